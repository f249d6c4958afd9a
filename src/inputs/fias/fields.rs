//! A record's fields as typed values, each checked at the edge: a room is an extension (digits),
//! a reservation is a short word, a name has no control character, a class of service is mapped
//! to a level of the configuration. What does not fit refuses the record with its reason.

use crate::config::FiasConfig;
use crate::inputs::fias::record::Record;
use crate::inputs::fias::refusal::Refusal;
use crate::lang::syntax::{DidNumber, Extension, GuestName, LevelName, ValueError};

/// The most characters of a reservation number (`G#`: "N, max. 10" in FIAS 2.20; other PMSs
/// send longer words).
const RESERVATION_LENGTH: usize = 20;

/// The record's room (`RN`); `None` if it has none.
pub(crate) fn room(record: &Record) -> Result<Option<Extension>, Refusal> {
    extension(record, "RN", "a room number (an extension)")
}

/// The old room of a move (`RO`), if it names one.
pub(crate) fn old_room(record: &Record) -> Result<Option<Extension>, Refusal> {
    extension(record, "RO", "a room number (an extension)")
}

fn extension(
    record: &Record,
    id: &'static str,
    what: &'static str,
) -> Result<Option<Extension>, Refusal> {
    // Leading zeros and blanks are data in FIAS ("0101" is its own room); a blank is no digit.
    match record.get(id).filter(|value| !value.is_empty()) {
        None => Ok(None),
        Some(value) => Extension::new(value)
            .map(Some)
            .map_err(|problem| Refusal::Field { id, what, problem }),
    }
}

/// The reservation number (`G#`): letters, digits and `-_/.`, at most 20 characters.
pub(crate) fn reservation(record: &Record) -> Result<Option<String>, Refusal> {
    let Some(value) = record.value("G#") else {
        return Ok(None);
    };
    let refused = |problem| Refusal::Field {
        id: "G#",
        what: "a reservation number",
        problem,
    };
    if let Some(c) = value
        .chars()
        .find(|c| !(c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '/' | '.')))
    {
        return Err(refused(ValueError::NotDigits(c)));
    }
    let length = value.chars().count();
    if length > RESERVATION_LENGTH {
        return Err(refused(ValueError::TooLong {
            length,
            limit: RESERVATION_LENGTH,
        }));
    }
    Ok(Some(value.to_owned()))
}

/// `Last,First` from `GN` and `GF` (and the title `GT` before the first name with `[fias] title
/// = true`, as a phone's display then shows it: `Solo,Dr. Alina`; off by default, since most
/// hotels do not want a title taking display characters). `None` without a `GN`.
pub(crate) fn guest_name(
    record: &Record,
    config: &FiasConfig,
) -> Result<Option<GuestName>, Refusal> {
    let Some(last) = record.value("GN") else {
        return Ok(None);
    };
    let title = record.value("GT").filter(|_| config.title);
    let given = record.value("GF").unwrap_or("");
    let first = match title {
        Some(title) if given.is_empty() => title.to_owned(),
        Some(title) => format!("{title} {given}"),
        None => given.to_owned(),
    };
    GuestName::new(last, &first)
        .map(Some)
        .map_err(|problem| Refusal::Field {
            id: "GN",
            what: "a guest name",
            problem,
        })
}

/// The level of the record's class of service (`CS`): `None` without one; `Err` with the value
/// when `[fias.class_of_service]` does not map it.
pub(crate) fn level(record: &Record, config: &FiasConfig) -> Option<Result<LevelName, String>> {
    let cs = record.value("CS")?;
    Some(
        config
            .class_of_service
            .get(cs)
            .and_then(|level| LevelName::new(level).ok())
            .ok_or_else(|| cs.to_owned()),
    )
}

/// The level a check-in gets whose `CS` is not mapped.
pub(crate) fn default_level(config: &FiasConfig) -> Option<LevelName> {
    LevelName::new(&config.default_level).ok()
}

/// A virtual number (a DID that follows the guest): `EN` the number, `ES` what happens to it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum VirtualNumber {
    /// `ES1`: the guest gets `EN`.
    Assign(DidNumber),
    /// `ES0`: the guest gives it back.
    Unassign,
    /// `ES3`: it moves with the guest (a `MOVE` carries the DID already).
    Moves,
}

/// The record's virtual number. FIAS lists several as `EN1033;2050|ES1;1|`; a room has one DID
/// here, so the first entry counts. `None` without one (or with a status hotelcare does not
/// use).
pub(crate) fn virtual_number(record: &Record) -> Result<Option<VirtualNumber>, Refusal> {
    let mut numbers = Vec::new();
    for entry in record.value("EN").unwrap_or("").split(';').map(str::trim) {
        if !entry.is_empty() {
            numbers.push(DidNumber::new(entry).map_err(|problem| Refusal::Field {
                id: "EN",
                what: "a list of virtual numbers (DIDs)",
                problem,
            })?);
        }
    }
    let status = record
        .value("ES")
        .and_then(|v| v.split(';').next())
        .map(str::trim);
    Ok(match (status, numbers.into_iter().next()) {
        (Some("1"), Some(number)) => Some(VirtualNumber::Assign(number)),
        (Some("0"), _) => Some(VirtualNumber::Unassign),
        (Some("3"), _) => Some(VirtualNumber::Moves),
        _ => None,
    })
}

/// FIAS flags: `Y`/`N` (and `1`/`0` from some PMSs).
pub(crate) fn yes(value: &str) -> bool {
    matches!(value.trim(), "Y" | "y" | "1")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Codepage;

    fn record(text: &str) -> Record {
        Record::parse(text.as_bytes(), Codepage::default()).unwrap()
    }

    fn config(title: bool) -> FiasConfig {
        FiasConfig {
            server: "127.0.0.1:5010".into(),
            codepage: Codepage::default(),
            class_of_service: [("2".to_owned(), "ALLOW".to_owned())].into(),
            default_level: "BLOCK".into(),
            title,
            resync_checkout_limit: None,
            wakeup_answer_ok: false,
        }
    }

    #[test]
    fn rooms_are_extensions_or_the_record_is_refused() {
        assert_eq!(
            room(&record("GI|RN1000|")).unwrap().unwrap().as_str(),
            "1000"
        );
        assert_eq!(room(&record("GI|RN|")).unwrap(), None);
        assert_eq!(
            room(&record("GO|RN1000;CHECKOUT 1001|"))
                .unwrap_err()
                .to_string(),
            "field RN is not a room number (an extension): it holds `;` where only digits may be"
        );
        assert!(
            old_room(&record("GC|RN1|RO 1000|")).is_err(),
            "a blank is data"
        );
    }

    #[test]
    fn reservations_are_short_words() {
        assert_eq!(
            reservation(&record("GI|G#12345|")).unwrap().unwrap(),
            "12345"
        );
        assert_eq!(reservation(&record("GO|RN1|")).unwrap(), None);
        assert!(reservation(&record("GI|G#1\"; CHECKOUT 2|")).is_err());
        assert!(reservation(&record(&format!("GI|G#{}|", "1".repeat(21)))).is_err());
    }

    #[test]
    fn the_title_goes_before_the_first_name_only_when_asked() {
        let r = record("GI|RN1000|G#7|GNSolo|GFAlina|GTDr.|");
        let name = |title| guest_name(&r, &config(title)).unwrap().unwrap();
        assert_eq!(name(false).as_str(), "Solo,Alina");
        assert_eq!(name(true).as_str(), "Solo,Dr. Alina");
        let no_first = record("GI|RN1000|GNSolo|GTMrs.|");
        assert_eq!(
            guest_name(&no_first, &config(true))
                .unwrap()
                .unwrap()
                .as_str(),
            "Solo,Mrs."
        );
    }

    #[test]
    fn virtual_number_lists_take_their_first_entry() {
        assert_eq!(
            virtual_number(&record("GI|EN1033;2050|EP1;2|ES1;1|")).unwrap(),
            Some(VirtualNumber::Assign(DidNumber::new("1033").unwrap()))
        );
        assert_eq!(
            virtual_number(&record("GO|EN1062|ES0|")).unwrap(),
            Some(VirtualNumber::Unassign)
        );
        assert!(virtual_number(&record("GI|EN12a|ES1|")).is_err());
        assert_eq!(virtual_number(&record("GI|EN1034|ES2|")).unwrap(), None);
    }
}
