//! SMDR: the PBX's call records, one per line (`record.rs`: Mitel's column tables; `year.rs`:
//! the year SMDR leaves out). Each record becomes an `engine::calls::Call` — the only thing the
//! rest of hotelcare knows of SMDR.

pub(crate) mod link;
pub(crate) mod record;
pub(crate) mod year;

use chrono::NaiveDate;

use crate::config::SmdrFormat;
use crate::engine::calls::{Call, CallKind};
pub(crate) use record::{Party, SmdrError, SmdrRecord};

/// `line` of PBX `pbx` as a call; `today` is the PBX's local date when it arrived.
pub(crate) fn call(
    pbx: &str,
    line: &str,
    format: SmdrFormat,
    today: NaiveDate,
) -> Result<Call, SmdrError> {
    let record = record::parse(line, format, today)?;
    Ok(of_record(pbx, record))
}

/// What makes a record the same as one journaled before: its PBX, the call's start (with the
/// year SMDR leaves out) and the line without the blanks a collector may trim — so an export
/// imported again, trimmed or not, changes nothing. (Two calls alike to the minute, number and
/// second of a standard record are one; the level-1 and level-2 layouts carry a call identifier
/// that tells them apart.)
pub(crate) fn identity(pbx: &str, call: &Call, line: &str) -> String {
    format!("{pbx}\u{1f}{}\u{1f}{}", call.start, line.trim_end())
}

/// What kind of call `record` is and whose. An outgoing trunk call names its trunk as the
/// called party, or (the real Level 2 records of `isontheline/smdr-parser`) leaves it blank
/// with the digits dialled on the trunk: both are outgoing. Answered is `A` (answer
/// supervision); anything else (`B`, `E`, `T`, blank) is not.
fn of_record(pbx: &str, record: SmdrRecord) -> Call {
    let outward = matches!(record.called, Party::Trunk(_))
        || (record.called == Party::None && !record.digits.is_empty());
    let (room, kind) = match (&record.calling, &record.called) {
        (Party::Trunk(_), Party::Extension(room)) => (Some(room.clone()), CallKind::Incoming),
        (Party::Trunk(_), _) => (None, CallKind::Incoming),
        (Party::Extension(room), _) if outward && record.completion == Some('A') => {
            (Some(room.clone()), CallKind::Outgoing)
        }
        (Party::Extension(room), _) if outward => (Some(room.clone()), CallKind::Unanswered),
        (Party::Extension(room), _) => (Some(room.clone()), CallKind::Internal),
        // No caller named but a time to answer: a trunk call in (the anonymised records).
        (Party::None, Party::Extension(room)) if record.answer_reported => {
            (Some(room.clone()), CallKind::Incoming)
        }
        (Party::Attendant(_) | Party::None, Party::Extension(room)) => {
            (Some(room.clone()), CallKind::Internal)
        }
        (Party::Attendant(_) | Party::None, _) => (None, CallKind::Internal),
    };
    Call {
        pbx: pbx.to_owned(),
        room,
        start: record.start,
        duration_secs: record.duration_secs,
        number: record.digits,
        kind,
    }
}

#[cfg(test)]
mod tests;

/// For the benchmark (`benches/smdr.rs`): reads `line` and costs it by `config`'s tariff; the
/// amount in minor units of a charged call, 0 for any other, `None` for a line that is not a
/// record.
pub fn parse_and_rate(config: &crate::config::Config, line: &str, today: NaiveDate) -> Option<i64> {
    let call = call("main", line, crate::config::SmdrFormat::Auto, today).ok()?;
    Some(if call.kind == CallKind::Outgoing {
        crate::engine::calls::rate(&config.charges.tariffs, &call.number, call.duration_secs)
            .amount
            .0
    } else {
        0
    })
}
