//! The year of a record: SMDR writes `mm/dd` only. A record is about a call that just ended
//! (or, after a link outage, one the PBX buffered), so its date is today or before: a date
//! later than tomorrow is last year's (a call of 31 December read on 1 January).

use chrono::{Datelike, Days, NaiveDate};

/// `month`/`day` as the latest date not after tomorrow (a day's grace for clocks that differ);
/// `None` for a day no calendar has (31/04, or 29/02 outside a leap year).
pub(crate) fn infer(month: u32, day: u32, today: NaiveDate) -> Option<NaiveDate> {
    let tomorrow = today.checked_add_days(Days::new(1)).unwrap_or(today);
    [today.year() + 1, today.year(), today.year() - 1]
        .into_iter()
        .filter_map(|year| NaiveDate::from_ymd_opt(year, month, day))
        .find(|date| *date <= tomorrow)
        // 29 February read in a year after a leap year is no day at all, not four years ago.
        .filter(|date| today.signed_duration_since(*date).num_days() < 366)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn date(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    #[test]
    fn across_new_year() {
        assert_eq!(infer(12, 31, date(2027, 1, 1)), Some(date(2026, 12, 31)));
        assert_eq!(infer(1, 1, date(2027, 1, 1)), Some(date(2027, 1, 1)));
        // The PBX's clock a little ahead of ours at midnight on New Year's Eve.
        assert_eq!(infer(1, 1, date(2026, 12, 31)), Some(date(2027, 1, 1)));
        assert_eq!(infer(6, 13, date(2026, 6, 14)), Some(date(2026, 6, 13)));
        assert_eq!(infer(6, 15, date(2026, 6, 13)), Some(date(2025, 6, 15)));
    }

    #[test]
    fn no_such_day() {
        assert_eq!(infer(4, 31, date(2026, 5, 1)), None);
        assert_eq!(infer(2, 29, date(2027, 3, 1)), None);
        assert_eq!(infer(2, 29, date(2028, 3, 1)), Some(date(2028, 2, 29)));
    }
}
