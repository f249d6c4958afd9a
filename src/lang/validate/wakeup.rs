//! Wake-up calls as the language checks them: a time of day, a date (or the next time the clock
//! shows that time), never in the past, at most three booked a room (what MiVB holds).

use std::fmt;

use chrono::{NaiveDate, NaiveDateTime, NaiveTime, Timelike};
use serde::{Deserialize, Serialize};

/// How many wake-up calls a room holds at once (MiVB's hotel wake-up: three).
pub(crate) const MAX_PER_ROOM: usize = 3;

/// A time of day, to the minute.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub(crate) struct Clock {
    pub(crate) hour: u8,
    pub(crate) minute: u8,
}

impl Clock {
    /// `HH:MM` (or `H:MM`): hours 0 to 23, minutes 0 to 59; `None` for anything else (`24:00`
    /// is not a time of day a wake-up can be booked for).
    pub(crate) fn parse(text: &str) -> Option<Self> {
        let (hours, minutes) = text.split_once(':')?;
        if !(1..=2).contains(&hours.len()) || minutes.len() != 2 {
            return None;
        }
        let (hour, minute) = (hours.parse::<u8>().ok()?, minutes.parse::<u8>().ok()?);
        (hour < 24 && minute < 60).then_some(Self { hour, minute })
    }

    pub(crate) fn time(self) -> NaiveTime {
        NaiveTime::from_hms_opt(u32::from(self.hour), u32::from(self.minute), 0)
            .unwrap_or(NaiveTime::MIN)
    }

    /// `hhmm`, as the Mitel PMS protocol's `WKP` record carries it.
    pub(crate) fn hhmm(self) -> String {
        format!("{:02}{:02}", self.hour, self.minute)
    }
}

impl fmt::Display for Clock {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:02}:{:02}", self.hour, self.minute)
    }
}

/// A booked wake-up: the local date and time the room's phone rings.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub(crate) struct Wakeup {
    pub(crate) date: NaiveDate,
    pub(crate) clock: Clock,
}

impl Wakeup {
    /// At `clock` on `date`, or (without a date) the next time after `now` the clock shows it.
    pub(crate) fn at(clock: Clock, date: Option<NaiveDate>, now: NaiveDateTime) -> Self {
        let date = date.unwrap_or_else(|| {
            if clock.time() > now.time() {
                now.date()
            } else {
                now.date().succ_opt().unwrap_or(now.date())
            }
        });
        Self { date, clock }
    }

    /// `YYYY-MM-DD HH:MM`, as `Display` writes it.
    pub(crate) fn parse(text: &str) -> Option<Self> {
        let (date, time) = text.trim().split_once(' ')?;
        Some(Self {
            date: parse_date(date)?,
            clock: Clock::parse(time)?,
        })
    }

    pub(crate) fn when(self) -> NaiveDateTime {
        self.date.and_time(self.clock.time())
    }

    /// It is not after `now` (to the minute: a wake-up for the current minute has passed).
    pub(crate) fn has_passed(self, now: NaiveDateTime) -> bool {
        let now = now
            .with_second(0)
            .and_then(|n| n.with_nanosecond(0))
            .unwrap_or(now);
        self.when() <= now
    }
}

impl fmt::Display for Wakeup {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.date.format("%Y-%m-%d"), self.clock)
    }
}

/// A date written `YYYY-MM-DD`.
pub(crate) fn parse_date(text: &str) -> Option<NaiveDate> {
    let mut parts = text.splitn(3, '-');
    let (year, month, day) = (parts.next()?, parts.next()?, parts.next()?);
    if year.len() != 4 || month.len() != 2 || day.len() != 2 {
        return None;
    }
    NaiveDate::from_ymd_opt(year.parse().ok()?, month.parse().ok()?, day.parse().ok()?)
}

/// What `WAKEUP` does to a room's wake-up calls.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) enum WakeupChange {
    Book(Wakeup),
    /// `CLEAR HH:MM`: the room's wake-ups at that time of day (`None`: all of them).
    Clear(Option<Clock>),
}

impl WakeupChange {
    /// The room's wake-ups after this change (sorted; a booking already there is not doubled).
    pub(crate) fn apply(self, booked: &[Wakeup]) -> Vec<Wakeup> {
        let mut after: Vec<Wakeup> = match self {
            Self::Book(wakeup) => booked.iter().copied().chain([wakeup]).collect(),
            Self::Clear(None) => Vec::new(),
            Self::Clear(Some(clock)) => booked
                .iter()
                .copied()
                .filter(|w| w.clock != clock)
                .collect(),
        };
        after.sort_unstable();
        after.dedup();
        after
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn now() -> NaiveDateTime {
        parse_date("2026-12-02")
            .unwrap()
            .and_hms_opt(8, 30, 15)
            .unwrap()
    }

    #[test]
    fn times_of_day_are_hours_0_to_23_and_minutes_0_to_59() {
        assert_eq!(Clock::parse("07:00"), Some(Clock { hour: 7, minute: 0 }));
        assert_eq!(Clock::parse("7:05"), Some(Clock { hour: 7, minute: 5 }));
        assert_eq!(
            Clock::parse("23:59"),
            Some(Clock {
                hour: 23,
                minute: 59
            })
        );
        for bad in [
            "25:00", "24:00", "07:60", "7:5", "007:00", "07:000", "", ":", "ab:cd",
        ] {
            assert_eq!(Clock::parse(bad), None, "{bad}");
        }
    }

    #[test]
    fn dates_are_calendar_dates() {
        assert!(parse_date("2028-02-29").is_some());
        for bad in [
            "2026-02-30",
            "2026-13-01",
            "26-12-01",
            "2026-1-01",
            "2026-12-1",
        ] {
            assert_eq!(parse_date(bad), None, "{bad}");
        }
    }

    #[test]
    fn without_a_date_the_next_time_the_clock_shows_it_is_booked() {
        let later = Wakeup::at(Clock::parse("09:00").unwrap(), None, now());
        assert_eq!(later.to_string(), "2026-12-02 09:00");
        let earlier = Wakeup::at(Clock::parse("07:00").unwrap(), None, now());
        assert_eq!(earlier.to_string(), "2026-12-03 07:00");
        // The current minute has passed: it is tomorrow's.
        let this_minute = Wakeup::at(Clock::parse("08:30").unwrap(), None, now());
        assert_eq!(this_minute.to_string(), "2026-12-03 08:30");
        assert!(!earlier.has_passed(now()));
        let dated = Wakeup::at(
            Clock::parse("08:30").unwrap(),
            parse_date("2026-12-02"),
            now(),
        );
        assert!(dated.has_passed(now()));
    }

    #[test]
    fn booking_and_clearing() {
        let seven = Wakeup::at(Clock::parse("07:00").unwrap(), None, now());
        let nine = Wakeup::at(Clock::parse("09:00").unwrap(), None, now());
        let both = WakeupChange::Book(seven).apply(&[nine]);
        assert_eq!(both, [nine, seven]);
        assert_eq!(WakeupChange::Book(seven).apply(&both), both, "not doubled");
        assert_eq!(WakeupChange::Clear(Some(seven.clock)).apply(&both), [nine]);
        assert!(WakeupChange::Clear(None).apply(&both).is_empty());
    }
}
