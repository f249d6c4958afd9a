//! Charged calls posted to the guest's folio (FIAS 2.20.23, `PS`/`PA`): one `PS` at a time,
//! the next only after the `PA` of the last ("Only one PS posting may be sent at a time"). A
//! posting is marked out in the journal before it is written; `PA ... ASOK` makes it posted, any
//! other status refused (kept with its reason, never retried by itself), no answer within
//! `[charges] posting_timeout_secs` — or a link or service that died while it was out — unknown:
//! the PMS may have posted it, and a double charge is worse than a missing one.

use std::time::{Duration, Instant};

use crate::engine::journal::{Posting, PostingState};
use crate::inputs::fias::record::Record;
use crate::support::shown;

/// The posting written, whose answer is awaited.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Outstanding {
    pub(crate) number: u64,
    pub(crate) since: Instant,
}

impl Outstanding {
    /// Whether its answer is overdue.
    pub(crate) fn overdue(&self, timeout: Duration) -> bool {
        self.since.elapsed() >= timeout
    }
}

/// The `PS` of `posting`: a direct charge (`PTC`) of `TA` minor units without a decimal point,
/// with the digits dialled, the duration and the start of the call, the tariff as clear text.
pub(crate) fn record(posting: &Posting) -> Record {
    let duration = format!(
        "{:02}{:02}{:02}",
        (posting.duration_secs / 3600).min(99),
        posting.duration_secs / 60 % 60,
        posting.duration_secs % 60
    );
    let date = posting.start.format("%y%m%d").to_string();
    let time = posting.start.format("%H%M%S").to_string();
    let amount = posting.amount.0.to_string();
    let number = posting.number.to_string();
    // FIAS: CT is at most 20 characters; DD at most 20 digits.
    let tariff: String = posting.tariff.chars().take(20).collect();
    let dialled: String = posting.number_dialled.chars().take(20).collect();
    Record::new(
        "PS",
        &[
            ("RN", &posting.room),
            ("PT", "C"),
            ("TA", &amount),
            ("DD", &dialled),
            ("DU", &duration),
            ("DA", &date),
            ("TI", &time),
            ("P#", &number),
            ("CT", &tariff),
        ],
    )
}

/// What a `PA` says: its P# and the posting's state.
pub(crate) fn answer(record: &Record) -> Option<(u64, PostingState)> {
    let number = record.get("P#")?.trim().parse().ok()?;
    let status = record.get("AS").unwrap_or("").trim().to_ascii_uppercase();
    let state = if status == "OK" {
        PostingState::Posted
    } else {
        let mut text = String::new();
        shown::push(&mut text, record.get("CT").unwrap_or(""), 40);
        PostingState::Refused {
            status: if status.is_empty() {
                "(none)".to_owned()
            } else {
                shown::escaped(&status)
            },
            text: format!(
                "{}{}",
                status_meaning(&status),
                if text.is_empty() {
                    String::new()
                } else {
                    format!(": {text}")
                }
            ),
        }
    };
    Some((number, state))
}

/// The answer statuses of the FIAS specification's table a posting can get.
fn status_meaning(status: &str) -> &'static str {
    match status {
        "CO" => "posting denied: overwriting the credit limit is not allowed",
        "NP" => "posting denied (NoPost flag)",
        "NG" => "guest not found",
        "NA" => "night audit",
        "IA" => "invalid account",
        "DN" => "request denied",
        "FX" => "guest not allowed this feature",
        "NF" => "feature not enabled",
        "RY" => "retry",
        "UR" => "unprocessable",
        "CD" => "check-out date not today",
        _ => "refused",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::{Codepage, Money};

    fn posting() -> Posting {
        Posting {
            number: 1729,
            call: 1,
            stay: 1,
            room: "2781".into(),
            amount: Money(1050),
            number_dialled: "004989920920".into(),
            duration_secs: 3 * 60 + 45,
            start: chrono::NaiveDate::from_ymd_opt(2000, 9, 15)
                .unwrap()
                .and_hms_opt(12, 35, 45)
                .unwrap(),
            tariff: "International".into(),
            state: PostingState::Unsent,
        }
    }

    #[test]
    fn a_posting_is_the_specifications_ps() {
        let frame = record(&posting()).frame(Codepage::default());
        // The specification's example (p. 87): `PS|RN2781|TA1050|DA000915|TI123545|P#1729|
        // DD004989920920|PCI|CTInternational|PTC|`, with the duration added.
        insta::assert_snapshot!(String::from_utf8_lossy(&frame), @"\u{2}PS|RN2781|PTC|TA1050|DD004989920920|DU000345|DA000915|TI123545|P#1729|CTInternational|\u{3}");
    }

    #[test]
    fn answers_by_their_status() {
        let parse = |text: &str| Record::parse(text.as_bytes(), Codepage::default()).unwrap();
        assert_eq!(
            answer(&parse("PA|RN2781|ASOK|P#1729|DA000915|TI123545|")),
            Some((1729, PostingState::Posted))
        );
        let Some((1753, PostingState::Refused { status, text })) =
            answer(&parse("PA|SO123|WS456|IDJOSH|ASNG|CTINVALID ROOM|P#1753|"))
        else {
            panic!()
        };
        assert_eq!(
            (status.as_str(), text.as_str()),
            ("NG", "guest not found: INVALID ROOM")
        );
        assert_eq!(answer(&parse("PA|ASOK|")), None);
    }
}
