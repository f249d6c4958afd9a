//! One SMDR record of a Mitel MiVoice Business, read by Mitel's own column tables ("SMDR -
//! Summary of Fields Tables"; see `../shared/spec/charges-and-wakeup.md`, 1.2-1.3). The layouts
//! are told apart by the record's length, or by its shape when a collector trimmed the trailing
//! blanks, or set by `[smdr] format`. SMDR carries no year: `year::infer` adds it.

use chrono::{NaiveDate, NaiveDateTime, NaiveTime};

use crate::config::SmdrFormat;

/// Where a layout keeps each field: 1-based inclusive columns, as Mitel's tables write them.
struct Layout {
    format: SmdrFormat,
    /// `hh:mmp` (6) or, in level 2, `hh:mm:ss` (8).
    start: (usize, usize),
    duration: (usize, usize),
    calling: (usize, usize),
    digits: (usize, usize),
    completion: usize,
    called: (usize, usize),
    account: (usize, usize),
    system: (usize, usize),
}

const STANDARD: Layout = Layout {
    format: SmdrFormat::Standard,
    start: (8, 13),
    duration: (15, 22),
    calling: (24, 27),
    digits: (34, 59),
    completion: 60,
    called: (62, 65),
    account: (73, 84),
    system: (86, 88),
};

const EXTENDED: Layout = Layout {
    format: SmdrFormat::Extended,
    start: (8, 13),
    duration: (15, 24),
    calling: (26, 32),
    digits: (39, 64),
    completion: 65,
    called: (67, 73),
    account: (84, 95),
    system: (97, 99),
};

/// Level 1 is the extended record with a longer account code: its last two fields move on.
const LEVEL1: Layout = Layout {
    format: SmdrFormat::Level1,
    account: (92, 103),
    system: (105, 107),
    ..EXTENDED
};

/// Level 2 records the start to the second (`hh:mm:ssp`, the `p` of a 12-hour clock in column 16);
/// everything after it moves 3 columns on.
const LEVEL2: Layout = Layout {
    format: SmdrFormat::Level2,
    start: (8, 16),
    duration: (18, 27),
    calling: (29, 35),
    digits: (42, 67),
    completion: 68,
    called: (70, 76),
    account: (95, 106),
    system: (108, 110),
};

/// A party of a call as SMDR names it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Party {
    /// A station: a room or an administrative phone.
    Extension(String),
    /// `Tnnn` (a CO trunk) or `Xnnn` (a non-CO trunk; `X999` an IP trunk).
    Trunk(String),
    /// `ATTm` / `ATmm`.
    Attendant(String),
    /// Blank, or `****`.
    None,
}

impl Party {
    fn of(field: &str) -> Self {
        let field = field.trim();
        if field.is_empty() || field.bytes().all(|b| b == b'*') {
            Self::None
        } else if field.starts_with("AT") {
            Self::Attendant(field.to_owned())
        } else if (field.starts_with('T') || field.starts_with('X'))
            && field.len() > 1
            && field[1..].bytes().all(|b| b.is_ascii_digit())
        {
            Self::Trunk(field.to_owned())
        } else {
            Self::Extension(field.to_owned())
        }
    }
}

/// One call record, as the PBX reported it (the year added).
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct SmdrRecord {
    pub(crate) format: SmdrFormat,
    /// The call's start, in the PBX's local time.
    pub(crate) start: NaiveDateTime,
    pub(crate) duration_secs: u32,
    pub(crate) calling: Party,
    pub(crate) called: Party,
    /// The digits dialled on the trunk (an outgoing call's number).
    pub(crate) digits: String,
    /// The meter pulses of the outgoing trunk, when the PBX reports them (the last 5 columns
    /// of the digits field).
    pub(crate) meter_pulses: Option<u32>,
    /// Time to answer (incoming calls only): seconds, or `None` (blank, or `***`: unanswered).
    pub(crate) answer_secs: Option<u32>,
    /// Whether the time-to-answer field has anything (`***` too): the call came in.
    pub(crate) answer_reported: bool,
    /// `A` answered (outgoing), `B` busy, `E` caller error, `T` toll-denied, `I` internal, ...;
    /// blank when the PBX gives none.
    pub(crate) completion: Option<char>,
    pub(crate) account: String,
    pub(crate) system: String,
}

/// Why a line is not a call record.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub(crate) enum SmdrError {
    #[error("the PBX reports a clock malfunction; its records have no date until its clock is set")]
    ClockMalfunction,
    #[error("the line has characters other than ASCII; an SMDR record has none")]
    NotAscii,
    #[error(
        "{length} characters fit none of Mitel's SMDR layouts (90, 101, 112, 120, 131, 139, 162, 195 to 207); if every line says so, set `[smdr] format` to the layout of the PBX's SMDR Options form"
    )]
    UnknownLength { length: usize },
    #[error("the {field} field `{value}` (columns {from}-{to}) is not {expected}")]
    Field {
        field: &'static str,
        value: String,
        from: usize,
        to: usize,
        expected: &'static str,
    },
}

/// Reads `line` (its line break already taken off) as laid out by `format`; `today` (the PBX's
/// local date when the record arrived) gives the year.
pub(crate) fn parse(
    line: &str,
    format: SmdrFormat,
    today: NaiveDate,
) -> Result<SmdrRecord, SmdrError> {
    let line = line.trim_end_matches(['\r', '\n']);
    if line.to_ascii_uppercase().contains("CLOCK MALFUNCTION") {
        return Err(SmdrError::ClockMalfunction);
    }
    if !line.is_ascii() {
        return Err(SmdrError::NotAscii);
    }
    let layout = layout(line, format)?;
    let column = |(from, to): (usize, usize)| line.get(from - 1..to.min(line.len())).unwrap_or("");
    let date = column((2, 6));
    let (month, day) = date
        .split_once('/')
        .and_then(|(m, d)| Some((m.parse::<u32>().ok()?, d.parse::<u32>().ok()?)))
        .filter(|(m, d)| (1..=12).contains(m) && (1..=31).contains(d))
        .ok_or_else(|| field_error("date", date, (2, 6), "a date mm/dd"))?;
    let start_text = column(layout.start);
    let time = start_time(start_text).ok_or_else(|| {
        field_error(
            "start time",
            start_text,
            layout.start,
            "a time hh:mm (P for afternoon) or hh:mm:ss",
        )
    })?;
    let date = super::year::infer(month, day, today)
        .ok_or_else(|| field_error("date", column((2, 6)), (2, 6), "a day of the calendar"))?;
    let duration_text = column(layout.duration);
    let duration_secs = duration(duration_text).ok_or_else(|| {
        field_error(
            "duration",
            duration_text,
            layout.duration,
            "a duration hh:mm:ss",
        )
    })?;
    let (digits, meter_pulses) = digits_and_pulses(column(layout.digits));
    // What a number or a party may hold: a character beyond these is noise, and would travel
    // into the folio's `DD` and the log.
    let plain = |text: &str| {
        text.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'*' || b == b'#')
    };
    for (field, range, value) in [
        ("digits dialled", layout.digits, digits.as_str()),
        (
            "calling party",
            layout.calling,
            column(layout.calling).trim(),
        ),
        ("called party", layout.called, column(layout.called).trim()),
    ] {
        if !plain(value) {
            return Err(field_error(
                field,
                value,
                range,
                "digits (and * #), or a trunk or attendant",
            ));
        }
    }
    let (answer_secs, answer_reported) =
        time_to_answer(column((layout.calling.1 + 1, layout.digits.0 - 1)));
    let completion = line
        .as_bytes()
        .get(layout.completion - 1)
        .map(|&b| char::from(b))
        .filter(|c| !c.is_ascii_whitespace());
    Ok(SmdrRecord {
        format: layout.format,
        start: date.and_time(time),
        duration_secs,
        calling: Party::of(column(layout.calling)),
        called: Party::of(column(layout.called)),
        digits,
        meter_pulses,
        answer_secs,
        answer_reported,
        completion,
        account: column(layout.account).trim().to_owned(),
        system: column(layout.system).trim().to_owned(),
    })
}

fn field_error(
    field: &'static str,
    value: &str,
    (from, to): (usize, usize),
    expected: &'static str,
) -> SmdrError {
    SmdrError::Field {
        field,
        // Shown in the log: what came off the wire, escaped.
        value: crate::support::shown::escaped(value),
        from,
        to,
        expected,
    }
}

/// The layout of `line`: the configured one, else by its length, else (trailing blanks
/// trimmed) by where the colons of the start time and the duration are.
fn layout(line: &str, format: SmdrFormat) -> Result<&'static Layout, SmdrError> {
    let bytes = line.as_bytes();
    let colon = |column: usize| bytes.get(column - 1) == Some(&b':');
    let by_shape = || {
        if colon(10) && colon(13) && colon(22) && colon(25) {
            Some(&LEVEL2)
        } else if colon(19) && colon(22) {
            Some(if line.len() > 139 { &LEVEL1 } else { &EXTENDED })
        } else if colon(17) && colon(20) {
            Some(&STANDARD)
        } else {
            None
        }
    };
    let found = match format {
        SmdrFormat::Standard => Some(&STANDARD),
        SmdrFormat::Extended => Some(&EXTENDED),
        SmdrFormat::Level1 => Some(&LEVEL1),
        SmdrFormat::Level2 => Some(&LEVEL2),
        SmdrFormat::Auto => match line.len() {
            90 | 112 | 131 => Some(&STANDARD),
            101 | 120 | 139 => Some(&EXTENDED),
            162 => Some(&LEVEL1),
            195..=207 => Some(&LEVEL2),
            _ => by_shape(),
        },
    };
    // Too short to hold the completion status: not a record whatever the layout.
    found
        .filter(|layout| line.len() >= layout.completion)
        .ok_or(SmdrError::UnknownLength { length: line.len() })
}

/// The digits field: the number, and the meter pulses when its last 5 columns are digits after
/// a blank (with pulses on, the number has the columns before them).
fn digits_and_pulses(field: &str) -> (String, Option<u32>) {
    let bytes = field.as_bytes();
    let n = bytes.len();
    if n > 6 && bytes[n - 6] == b' ' && bytes[n - 5..].iter().all(u8::is_ascii_digit) {
        let pulses = field[n - 5..].parse().ok();
        return (field[..n - 5].trim().to_owned(), pulses);
    }
    (field.trim().to_owned(), None)
}

/// The columns between the calling party and the digits: the attendant flag (`*`) and the time
/// to answer (`ttt`/`tttt` seconds, `***`/`****` unanswered). Returns the seconds and whether
/// a time to answer is there at all (only incoming calls have one).
fn time_to_answer(columns: &str) -> (Option<u32>, bool) {
    let columns = columns.trim();
    let seconds = columns.trim_start_matches('*').trim();
    if !seconds.is_empty() && seconds.bytes().all(|b| b.is_ascii_digit()) {
        return (seconds.parse().ok(), true);
    }
    // A lone `*` is the attendant flag; three or more, an unanswered call.
    (
        None,
        columns.len() >= 3 && columns.bytes().all(|b| b == b'*'),
    )
}

/// `hh:mm`, `hh:mmP` (12-hour clock, afternoon) or `hh:mm:ss`. A blank `p` is the morning on a
/// 12-hour clock and any hour on a 24-hour one: both read as written.
fn start_time(text: &str) -> Option<NaiveTime> {
    let text = text.trim();
    let (clock, afternoon) = match text.strip_suffix(['P', 'p']) {
        Some(clock) => (clock, true),
        None => (text.strip_suffix(['A', 'a']).unwrap_or(text), false),
    };
    let mut parts = clock.split(':');
    let hour: u32 = parts.next()?.parse().ok()?;
    let minute: u32 = parts.next()?.parse().ok()?;
    let second: u32 = parts.next().map_or(Some(0), |s| s.parse().ok())?;
    if parts.next().is_some() {
        return None;
    }
    let hour = match (afternoon, hour) {
        (true, 12) | (false, _) => hour,
        (true, hour) if hour < 12 => hour + 12,
        (true, _) => return None,
    };
    NaiveTime::from_hms_opt(hour, minute, second)
}

/// `hh:mm:ss` or `hhhh:mm:ss` in seconds; blank (a call without one) is 0.
fn duration(text: &str) -> Option<u32> {
    let text = text.trim();
    if text.is_empty() {
        return Some(0);
    }
    let mut parts = text.split(':').map(|part| {
        part.bytes()
            .all(|b| b.is_ascii_digit())
            .then(|| part.parse::<u32>().ok())
            .flatten()
    });
    let (hours, minutes, seconds) = (parts.next()??, parts.next()??, parts.next()??);
    if parts.next().is_some() || minutes > 59 || seconds > 59 {
        return None;
    }
    Some(hours * 3600 + minutes * 60 + seconds)
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    fn today() -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 3, 6).unwrap()
    }

    /// A line of `length` characters with `fields` at their 1-based columns, as Mitel's
    /// tables place them.
    pub(crate) fn line(length: usize, fields: &[(usize, &str)]) -> String {
        let mut line = vec![b' '; length];
        for (column, text) in fields {
            line[column - 1..column - 1 + text.len()].copy_from_slice(text.as_bytes());
        }
        String::from_utf8(line).unwrap()
    }

    #[test]
    fn a_standard_record_is_read_by_mitels_columns() {
        // Mitel's example: station 214 accessed trunk 54 and dialled 613-592-2122, answered,
        // 8 minutes 29 seconds.
        let text = line(
            90,
            &[
                (2, "06/13"),
                (8, "11:42P"),
                (15, "00:08:29"),
                (24, "214"),
                (34, "6135952122"),
                (60, "A"),
                (62, "T054"),
                (86, "000"),
            ],
        );
        let record = parse(
            &text,
            SmdrFormat::Auto,
            NaiveDate::from_ymd_opt(2026, 6, 14).unwrap(),
        )
        .unwrap();
        assert_eq!(record.format, SmdrFormat::Standard);
        assert_eq!(record.start.to_string(), "2026-06-13 23:42:00");
        assert_eq!(record.duration_secs, 8 * 60 + 29);
        assert_eq!(record.calling, Party::Extension("214".into()));
        assert_eq!(record.called, Party::Trunk("T054".into()));
        assert_eq!(record.digits, "6135952122");
        assert_eq!(record.completion, Some('A'));
        assert_eq!(record.system, "000");
    }

    #[test]
    fn a_number_with_anything_but_digits_is_noise_not_a_record() {
        // `|` would become a field of the folio's `PS`; ESC would reach a terminal.
        for digits in ["061|TA1|", "06\u{1b}[2J", "06 12"] {
            let text = line(
                90,
                &[
                    (2, "06/13"),
                    (8, "11:42"),
                    (15, "00:01:00"),
                    (24, "214"),
                    (34, digits),
                    (60, "A"),
                    (62, "T054"),
                ],
            );
            let error = parse(&text, SmdrFormat::Standard, today()).unwrap_err();
            assert!(
                matches!(
                    error,
                    SmdrError::Field {
                        field: "digits dialled",
                        ..
                    }
                ),
                "{error}"
            );
            assert!(!error.to_string().contains('\u{1b}'), "{error}");
        }
    }

    #[test]
    fn a_level_2_afternoon_on_a_12_hour_clock() {
        let text = line(
            207,
            &[
                (2, "03/05"),
                (8, "05:20:37P"),
                (18, "0000:00:05"),
                (29, "9025"),
                (42, "99999"),
                (68, "A"),
            ],
        );
        let record = parse(&text, SmdrFormat::Auto, today()).unwrap();
        assert_eq!(record.start.format("%H:%M:%S").to_string(), "17:20:37");
    }

    #[test]
    fn times_on_both_clocks() {
        assert_eq!(start_time("12:05P"), NaiveTime::from_hms_opt(12, 5, 0));
        assert_eq!(start_time("03:10P"), NaiveTime::from_hms_opt(15, 10, 0));
        assert_eq!(start_time("17:20:37"), NaiveTime::from_hms_opt(17, 20, 37));
        assert_eq!(start_time("13:10P"), None);
        assert_eq!(start_time("25:00"), None);
        assert_eq!(duration("99:59:59"), Some(99 * 3600 + 59 * 60 + 59));
        assert_eq!(duration("0000:06:59"), Some(419));
        assert_eq!(duration(""), Some(0));
        assert_eq!(duration("00:61:00"), None);
        assert_eq!(duration("0a:00:00"), None);
    }

    #[test]
    fn what_is_not_a_record_says_why() {
        assert_eq!(
            parse("", SmdrFormat::Auto, today()),
            Err(SmdrError::UnknownLength { length: 0 })
        );
        assert_eq!(
            parse("*** CLOCK MALFUNCTION ***", SmdrFormat::Auto, today()),
            Err(SmdrError::ClockMalfunction)
        );
        assert_eq!(
            parse(&"é".repeat(45), SmdrFormat::Auto, today()),
            Err(SmdrError::NotAscii)
        );
        let garbled = format!(" 13/45 11:42  00:08:29 214 {}", " ".repeat(63));
        assert!(matches!(
            parse(&garbled, SmdrFormat::Auto, today()),
            Err(SmdrError::Field { field: "date", .. })
        ));
    }
}
