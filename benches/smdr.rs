//! SMDR records read and costed per second (issue 21: at least 1,000,000 a second on one core).
//!
//! `cargo bench --bench smdr` reads 100,000 records of every Mitel layout (90 to 207 characters;
//! outgoing, incoming and internal calls) and costs the outgoing ones by a tariff of 60
//! prefixes, on one thread.

use std::fmt::Write as _;
use std::hint::black_box;
use std::path::Path;

use chrono::NaiveDate;
use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use hotelcare::config::Config;

/// A tariff of 60 prefixes, as a hotel with country tariffs has.
fn config() -> Config {
    let mut text = String::from("[charges]\ndecimals = 2\nlimit = 50\n");
    text.push_str(
        "[[charges.tariff]]\nname = \"Local\"\nprefix = \"\"\nsetup = 0.10\nper_minute = 0.05\n",
    );
    text.push_str("[[charges.tariff]]\nname = \"National\"\nprefix = \"0\"\nsetup = 0.10\nper_minute = 0.20\n");
    for country in 1..=58 {
        let _ = write!(
            text,
            "[[charges.tariff]]\nname = \"Country {country}\"\nprefix = \"00{country}\"\nsetup = 0.20\nper_minute = \"1.{country:02}\"\nincrement_secs = 30\n"
        );
    }
    Config::parse(&text, Path::new("bench.toml")).expect("config")
}

/// `fields` at their 1-based columns in a line of `length`.
fn line(length: usize, fields: &[(usize, &str)]) -> String {
    let mut line = vec![b' '; length];
    for (column, text) in fields {
        line[column - 1..column - 1 + text.len()].copy_from_slice(text.as_bytes());
    }
    String::from_utf8(line).expect("ascii")
}

fn records(n: usize) -> Vec<String> {
    (0..n)
        .map(|i| {
            let room = format!("{}", 1000 + i % 300);
            let number = format!("00{}{:08}", 1 + i % 58, i);
            let duration = format!("00:{:02}:{:02}", i % 60, i % 59);
            let long_duration = format!("00{duration}");
            match i % 4 {
                0 => line(
                    90,
                    &[
                        (2, "03/05"),
                        (8, "11:42P"),
                        (15, &duration),
                        (24, &room),
                        (34, &number),
                        (60, "A"),
                        (62, "T054"),
                        (86, "000"),
                    ],
                ),
                1 => line(
                    101,
                    &[
                        (2, "03/05"),
                        (8, "11:42 "),
                        (15, &long_duration),
                        (26, &room),
                        (39, &number),
                        (65, "A"),
                        (67, "T054"),
                        (97, "000"),
                    ],
                ),
                2 => line(
                    207,
                    &[
                        (2, "03/05"),
                        (8, "23:42:07"),
                        (18, &long_duration),
                        (29, &room),
                        (42, &number),
                        (68, "A"),
                        (108, "001"),
                    ],
                ),
                _ => line(
                    90,
                    &[
                        (2, "03/05"),
                        (8, "09:01"),
                        (15, &duration),
                        (24, "T012"),
                        (30, "004"),
                        (34, &room),
                        (62, &room),
                        (86, "000"),
                    ],
                ),
            }
        })
        .collect()
}

fn bench(c: &mut Criterion) {
    let config = config();
    let today = NaiveDate::from_ymd_opt(2026, 3, 6).expect("date");
    let lines = records(100_000);
    // Every line must be a record, or the figure measures refusals.
    assert!(
        lines
            .iter()
            .all(|l| hotelcare::parse_and_rate(&config, l, today).is_some())
    );
    let mut group = c.benchmark_group("smdr");
    group.throughput(Throughput::Elements(lines.len() as u64));
    group.sample_size(20);
    group.bench_function("parse+rate 100k records", |b| {
        b.iter(|| {
            let mut total = 0_i64;
            for line in &lines {
                total += black_box(hotelcare::parse_and_rate(&config, line, today)).unwrap_or(0);
            }
            total
        });
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
