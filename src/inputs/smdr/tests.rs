//! The parser against Mitel's layouts and real records: the anonymised Level 2 records of
//! `isontheline/smdr-parser` (quoted exactly, trailing blanks included) and a record of every
//! length Mitel's tables give.

use std::fmt::Write as _;

use chrono::NaiveDate;

use super::record::tests::line;
use super::*;

fn today() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 3, 6).unwrap()
}

/// One line per record: what hotelcare makes of it.
fn described(lines: &str, format: SmdrFormat) -> String {
    let mut out = String::new();
    for text in lines.lines() {
        let _ = match call("main", text, format, today()) {
            Ok(call) => writeln!(
                out,
                "{} {:>5}s {:<10} room={:<5} number={}",
                call.start,
                call.duration_secs,
                format!("{:?}", call.kind),
                call.room.as_deref().unwrap_or("-"),
                call.number
            ),
            Err(error) => writeln!(out, "refused: {error}"),
        };
    }
    out
}

#[test]
fn the_real_level_2_records() {
    let records = include_str!("../../../tests/fixtures/smdr/isontheline-smdr-parser.txt");
    insta::assert_snapshot!(described(records, SmdrFormat::Auto));
    // The same, told by the configuration.
    assert_eq!(
        described(records, SmdrFormat::Auto),
        described(records, SmdrFormat::Level2)
    );
}

#[test]
fn mitels_example_templates_are_refused_with_a_reason() {
    let examples = include_str!("../../../tests/fixtures/smdr/mitel-examples.txt");
    let lines: Vec<&str> = examples.lines().filter(|l| !l.starts_with('#')).collect();
    insta::assert_snapshot!(described(&lines.join("\n"), SmdrFormat::Auto));
    // The first, filled in as the page explains it, is a record (see
    // `a_standard_record_is_read_by_mitels_columns`).
}

/// Station 214 calls 6135952122 on trunk 54, answered, 8:29 — in every layout.
fn outgoing(length: usize) -> String {
    let (start, duration, calling, digits, completion, called) = match length {
        90 | 112 | 131 => ("11:42P", "00:08:29", 24, 34, 60, 62),
        101 | 120 | 139 | 162 => ("11:42P", "0000:08:29", 26, 39, 65, 67),
        _ => ("23:42:07", "0000:08:29", 29, 42, 68, 70),
    };
    let (duration_at, system_at) = match length {
        90 | 112 | 131 => (15, 86),
        101 | 120 | 139 => (15, 97),
        162 => (15, 105),
        _ => (18, 108),
    };
    line(
        length,
        &[
            (2, "03/05"),
            (8, start),
            (duration_at, duration),
            (calling, "214"),
            (digits, "6135952122"),
            (completion, "A"),
            (called, "T054"),
            (system_at, "000"),
        ],
    )
}

#[test]
fn every_length_of_mitels_tables() {
    for length in [90, 101, 112, 120, 131, 139, 162, 195, 201, 207] {
        let record = record::parse(&outgoing(length), SmdrFormat::Auto, today())
            .unwrap_or_else(|error| panic!("{length}: {error}"));
        assert_eq!(record.calling, Party::Extension("214".into()), "{length}");
        assert_eq!(record.called, Party::Trunk("T054".into()), "{length}");
        assert_eq!(record.digits, "6135952122", "{length}");
        assert_eq!(record.duration_secs, 509, "{length}");
        assert_eq!(record.completion, Some('A'), "{length}");
        assert_eq!(record.system, "000", "{length}");
        assert_eq!(
            record.start.format("%H:%M").to_string(),
            "23:42",
            "{length}"
        );
        // A collector that trims trailing blanks: told apart by shape.
        let trimmed = outgoing(length);
        let by_shape = record::parse(trimmed.trim_end(), SmdrFormat::Auto, today()).unwrap();
        assert_eq!(by_shape.digits, record.digits, "{length} trimmed");
        assert_eq!(by_shape.called, record.called, "{length} trimmed");
    }
}

#[test]
fn bad_lines_are_refused_with_a_reason_never_a_panic() {
    let good = outgoing(90);
    let lines = [
        good[..40].to_owned(),                // truncated
        format!("{good}{}", "x".repeat(30)),  // overlong (120 with garbage: read as extended)
        good.replace("03/05", "3/5  "),       // garbled date
        good.replace("00:08:29", "00:8a:29"), // garbled duration
        "*** CLOCK MALFUNCTION ***".to_owned(),
        good.replace("00:08:29", "99:59:59"), // the longest duration
        "\u{0}\u{7f}".repeat(45),
    ];
    insta::assert_snapshot!(described(&lines.join("\n"), SmdrFormat::Auto));
}

#[test]
fn a_line_of_any_bytes_never_panics() {
    proptest::proptest!(|(text in "\\PC{0,260}")| {
        let _ = call("main", &text, SmdrFormat::Auto, today());
    });
}
