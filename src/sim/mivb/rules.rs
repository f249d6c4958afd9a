//! The PBX's rules for the fields hotelcare writes, written independently of `validate` from the
//! MiVB documentation (BRIEF §13): the simulator refuses what a MiVB would refuse.

use crate::pbx::mixml::wire::names;

/// Field limits of MiVB.
const PROFILE_NAME: usize = 64;
const DIRECTORY_NAME: usize = 20;
const SERVICE_LABEL: usize = 20;
const MAX_COR: u32 = 96;
const MAX_DID: usize = 26;

/// Which fields each form has.
pub(crate) fn form_has(form: &str, field: &str) -> bool {
    matches!(
        (form, field),
        (names::USER_PROFILE, names::LAST_NAME | names::FIRST_NAME)
            | (
                names::SERVICE_PROFILE,
                names::DIRECTORY_NAME | names::SERVICE_LABEL
            )
            | (
                names::SERVICE_DETAILS,
                names::COR_DAY
                    | names::COR_NIGHT1
                    | names::COR_NIGHT2
                    | names::DID_SERVICE_NUMBER
                    | names::USE_DID_FOR_OUTGOING_CALLS
            )
            | (names::WAKEUP_CALLS, names::WAKEUP_TIMES)
    )
}

/// How many wake-ups a room holds (MiVB's hotel wake-up).
pub(crate) const MAX_WAKEUPS: usize = 3;

/// The wake-ups of a `WakeupTimes` value: `YYYY-MM-DD HH:MM`, `, ` between; `None` if one is
/// not a time.
pub(crate) fn wakeup_times(value: &str) -> Option<Vec<String>> {
    if value.trim().is_empty() {
        return Some(Vec::new());
    }
    value
        .split(',')
        .map(|one| {
            let one = one.trim();
            let bytes = one.as_bytes();
            let digits = |range: std::ops::Range<usize>| {
                bytes
                    .get(range.clone())
                    .is_some_and(|b| b.iter().all(u8::is_ascii_digit))
                    .then(|| one[range].parse::<u32>().ok())
                    .flatten()
            };
            let shaped = bytes.len() == 16
                && bytes[4] == b'-'
                && bytes[7] == b'-'
                && bytes[10] == b' '
                && bytes[13] == b':';
            let (month, day, hour, minute) = (
                digits(5..7)?,
                digits(8..10)?,
                digits(11..13)?,
                digits(14..16)?,
            );
            (shaped
                && digits(0..4).is_some()
                && (1..=12).contains(&month)
                && (1..=31).contains(&day)
                && hour < 24
                && minute < 60)
                .then(|| one.to_owned())
        })
        .collect()
}

/// Why the PBX refuses a value, in its words.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub(crate) struct Violation(String);

/// `Err` when the PBX would refuse `value` for `field`.
pub(crate) fn check(field: &str, value: &str) -> Result<(), Violation> {
    if value.chars().any(char::is_control) {
        return Err(Violation(format!(
            "{field} must not contain control characters"
        )));
    }
    let length = value.chars().count();
    let limit = |max: usize| {
        if length > max {
            Err(Violation(format!(
                "{field} takes at most {max} characters, not {length}"
            )))
        } else {
            Ok(())
        }
    };
    match field {
        names::LAST_NAME | names::FIRST_NAME => limit(PROFILE_NAME),
        names::DIRECTORY_NAME => limit(DIRECTORY_NAME),
        names::SERVICE_LABEL => limit(SERVICE_LABEL),
        names::COR_DAY | names::COR_NIGHT1 | names::COR_NIGHT2 => match value.parse::<u32>() {
            Ok(n) if (1..=MAX_COR).contains(&n) => Ok(()),
            _ => Err(Violation(format!(
                "{field} must be a Class of Restriction from 1 to {MAX_COR}, not `{value}`"
            ))),
        },
        names::DID_SERVICE_NUMBER => {
            if value.is_empty()
                || (length <= MAX_DID
                    && value
                        .chars()
                        .all(|c| c.is_ascii_digit() || c == '*' || c == '#'))
            {
                Ok(())
            } else {
                Err(Violation(format!(
                    "{field} must be 1 to {MAX_DID} of 0-9, * and #, not `{value}`"
                )))
            }
        }
        names::USE_DID_FOR_OUTGOING_CALLS => {
            if value == names::TRUE || value == names::FALSE {
                Ok(())
            } else {
                Err(Violation(format!(
                    "{field} must be `true` or `false`, not `{value}`"
                )))
            }
        }
        names::WAKEUP_TIMES => match wakeup_times(value) {
            Some(times) if times.len() <= MAX_WAKEUPS => Ok(()),
            Some(times) => Err(Violation(format!(
                "{field} holds at most {MAX_WAKEUPS} wake-ups, not {}",
                times.len()
            ))),
            None => Err(Violation(format!(
                "{field} must be `YYYY-MM-DD HH:MM` times separated by `, `, not `{value}`"
            ))),
        },
        _ => Err(Violation(format!("unknown field {field}"))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limits() {
        assert!(check(names::DIRECTORY_NAME, &"x".repeat(20)).is_ok());
        assert!(check(names::DIRECTORY_NAME, &"x".repeat(21)).is_err());
        assert!(check(names::LAST_NAME, &"ü".repeat(64)).is_ok());
        assert!(check(names::COR_DAY, "96").is_ok());
        assert!(check(names::COR_DAY, "97").is_err());
        assert!(check(names::COR_DAY, "").is_err());
        assert!(check(names::DID_SERVICE_NUMBER, "").is_ok());
        assert!(check(names::DID_SERVICE_NUMBER, "*30#").is_ok());
        assert!(check(names::DID_SERVICE_NUMBER, "30a").is_err());
        assert!(check(names::LAST_NAME, "a\tb").is_err());
        assert!(check(names::USE_DID_FOR_OUTGOING_CALLS, "yes").is_err());
    }
}
