//! Wake-up calls over FIAS (FIAS 2.20.23 p. 67–69): `WR` books one, `WC` clears one (or, with
//! empty `DA` and `TI`, all of the room's), and the PMS gets exactly one final answer per
//! booking, `WA` with `AS` `OK`, `NR` (no answer), `BY` (busy) or `UR` (it could not be done),
//! `DA` and `TI` echoed as received. No intermediate results: the specification reads any
//! answer as final.

use chrono::NaiveDate;

use crate::config::FiasConfig;
use crate::engine::journal::{PmsWakeup, WakeupAnswer};
use crate::engine::wire::WakeupEnding;
use crate::inputs::fias::record::Record;
use crate::inputs::fias::refusal::Refusal;
use crate::lang::syntax::{Extension, Request, ValueError, WakeupWrite};
use crate::lang::validate::wakeup::{Clock, Wakeup};

/// What a `WR` or `WC` journals: the command, and (`WR`) the booking to answer.
pub(crate) struct Wakeups {
    pub(crate) request: Request,
    pub(crate) booking: Option<PmsWakeup>,
}

/// Maps `WR` (book) and `WC` (clear) for `room`.
pub(crate) fn map(record: &Record, room: &Extension) -> Result<Wakeups, Refusal> {
    let date = record.value("DA");
    let time = record.value("TI");
    if record.kind == "WC" && date.is_none() && time.is_none() {
        return Ok(Wakeups {
            request: Request::Wakeup {
                room: room.clone(),
                change: WakeupWrite::clear(None),
            },
            booking: None,
        });
    }
    let time_text = time.ok_or(Refusal::Field {
        id: "TI",
        what: "a wake-up time (HHMMSS)",
        problem: ValueError::Empty,
    })?;
    let clock = clock_of(time_text)?;
    if record.kind == "WC" {
        return Ok(Wakeups {
            request: Request::Wakeup {
                room: room.clone(),
                change: WakeupWrite::clear(Some(clock)),
            },
            booking: None,
        });
    }
    let date_text = date.ok_or(Refusal::Field {
        id: "DA",
        what: "a wake-up date (YYMMDD)",
        problem: ValueError::Empty,
    })?;
    let at = Wakeup {
        date: date_of(date_text)?,
        clock,
    };
    Ok(Wakeups {
        request: Request::Wakeup {
            room: room.clone(),
            change: WakeupWrite::book(at),
        },
        booking: Some(PmsWakeup {
            room: room.to_string(),
            at,
            date: date_text.to_owned(),
            time: time_text.to_owned(),
            answer: None,
            sent: false,
        }),
    })
}

/// `TI`: `HHMMSS` (the seconds are echoed in the answer; the PBX rings at the minute).
fn clock_of(text: &str) -> Result<Clock, Refusal> {
    let problem = |problem| Refusal::Field {
        id: "TI",
        what: "a wake-up time (HHMMSS)",
        problem,
    };
    if let Some(bad) = text.chars().find(|c| !c.is_ascii_digit()) {
        return Err(problem(ValueError::NotDigits(bad)));
    }
    if text.len() != 6 {
        return Err(problem(if text.len() > 6 {
            ValueError::TooLong {
                length: text.len(),
                limit: 6,
            }
        } else {
            ValueError::NotATime
        }));
    }
    let seconds_ok = text[4..].parse::<u8>().is_ok_and(|s| s < 60);
    Clock::parse(&format!("{}:{}", &text[..2], &text[2..4]))
        .filter(|_| seconds_ok)
        .ok_or_else(|| problem(ValueError::NotATime))
}

/// `DA`: `YYMMDD`, this century.
fn date_of(text: &str) -> Result<NaiveDate, Refusal> {
    let problem = |problem| Refusal::Field {
        id: "DA",
        what: "a wake-up date (YYMMDD)",
        problem,
    };
    if let Some(bad) = text.chars().find(|c| !c.is_ascii_digit()) {
        return Err(problem(ValueError::NotDigits(bad)));
    }
    if text.len() != 6 {
        return Err(problem(ValueError::NotADate));
    }
    let number = |range: std::ops::Range<usize>| text[range].parse::<u32>().unwrap_or(0);
    let year = i32::try_from(2000 + number(0..2)).unwrap_or(2000);
    NaiveDate::from_ymd_opt(year, number(2..4), number(4..6))
        .ok_or_else(|| problem(ValueError::NotADate))
}

/// The `WA` record for a booking that has its answer, and what the log says of it; `None`
/// when nothing is sent (a booking on a PBX that reports no result, with `[fias]
/// wakeup_answer = "none"`).
pub(crate) fn answer(booking: &PmsWakeup, config: &FiasConfig) -> Option<(Record, String)> {
    let (status, why) = match booking.answer.as_ref()? {
        WakeupAnswer::Ended(WakeupEnding::Answered) => ("OK", "answered".to_owned()),
        WakeupAnswer::Ended(WakeupEnding::NoAnswer) => ("NR", "not answered".to_owned()),
        WakeupAnswer::Ended(WakeupEnding::Busy) => ("BY", "busy".to_owned()),
        WakeupAnswer::Booked if config.wakeup_answer_ok => (
            "OK",
            "booked on a PBX that reports no result (`[fias] wakeup_answer = \"OK\"`)".to_owned(),
        ),
        WakeupAnswer::Booked => return None,
        WakeupAnswer::NotBooked(reason) => ("UR", format!("not booked: {reason}")),
    };
    let record = Record::new(
        "WA",
        &[
            ("RN", booking.room.as_str()),
            ("DA", booking.date.as_str()),
            ("TI", booking.time.as_str()),
            ("AS", status),
        ],
    );
    Some((record, why))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(text: &str) -> Record {
        Record::parse(text.as_bytes(), crate::config::Codepage::default()).unwrap()
    }

    fn room() -> Extension {
        Extension::new("2781").unwrap()
    }

    #[test]
    fn the_specifications_records_book_and_clear() {
        let booked = map(&record("WR|RN2781|DA301031|TI070000|"), &room()).unwrap();
        assert_eq!(booked.request.write(0).text, "WAKEUP 2781 07:00 2030-10-31");
        let booking = booked.booking.unwrap();
        assert_eq!(
            (booking.date.as_str(), booking.time.as_str()),
            ("301031", "070000")
        );
        let cleared = map(&record("WC|RN2781|DA301031|TI070000|"), &room()).unwrap();
        assert_eq!(cleared.request.write(0).text, "WAKEUP 2781 CLEAR 07:00");
        assert!(cleared.booking.is_none());
        let all = map(&record("WC|RN2781|DA|TI|"), &room()).unwrap();
        assert_eq!(all.request.write(0).text, "WAKEUP 2781 CLEAR");
    }

    #[test]
    fn a_missing_or_malformed_time_or_date_is_refused_naming_the_field() {
        for (text, says) in [
            ("WR|RN2781|DA301031|", "field TI"),
            ("WR|RN2781|DA301031|TI0700000|", "7 characters"),
            ("WR|RN2781|DA301031|TI250000|", "not a time of day"),
            ("WR|RN2781|DA301031|TI07a000|", "field TI"),
            ("WR|RN2781|DA301331|TI070000|", "not a date"),
            ("WR|RN2781|TI070000|", "field DA"),
        ] {
            let refused = map(&record(text), &room()).err().unwrap().to_string();
            assert!(refused.contains(says), "{text}: {refused}");
        }
    }

    #[test]
    fn each_booking_gets_one_final_status_with_its_fields_echoed() {
        let config = FiasConfig {
            server: String::new(),
            codepage: crate::config::Codepage::default(),
            class_of_service: std::collections::BTreeMap::new(),
            default_level: "BLOCK".into(),
            title: false,
            resync_checkout_limit: None,
            wakeup_answer_ok: false,
        };
        let mut booking = map(&record("WR|RN2781|DA301031|TI070030|"), &room())
            .unwrap()
            .booking
            .unwrap();
        let text = |booking: &PmsWakeup, config: &FiasConfig| {
            answer(booking, config).map(|(record, _)| record.text())
        };
        assert_eq!(text(&booking, &config), None, "no answer yet");
        for (ending, status) in [
            (WakeupAnswer::Ended(WakeupEnding::Answered), "OK"),
            (WakeupAnswer::Ended(WakeupEnding::NoAnswer), "NR"),
            (WakeupAnswer::Ended(WakeupEnding::Busy), "BY"),
            (WakeupAnswer::NotBooked("the PBX is down".into()), "UR"),
        ] {
            booking.answer = Some(ending);
            assert_eq!(
                text(&booking, &config).unwrap(),
                format!("WA|RN2781|DA301031|TI070030|AS{status}|")
            );
        }
        booking.answer = Some(WakeupAnswer::Booked);
        assert_eq!(text(&booking, &config), None);
        let config = FiasConfig {
            wakeup_answer_ok: true,
            ..config
        };
        assert_eq!(
            text(&booking, &config).unwrap(),
            "WA|RN2781|DA301031|TI070030|ASOK|"
        );
    }
}
