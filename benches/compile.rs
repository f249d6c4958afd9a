//! Parse + validate + lower throughput (BRIEF §12: at least 1,000,000 commands/s on one core, memory
//! flat in script length).
//!
//! `cargo bench --bench compile` measures a generated 1,000,000-command script streamed from a file
//! (the way `run` and `plan` read scripts), then prints the process's peak resident memory after
//! 100,000 and after 1,000,000 commands: flat memory means the second figure is not ten times the
//! first.

// A benchmark's report is what it prints.
#![allow(clippy::print_stdout)]

use std::fmt::Write as _;
use std::fs::File;
use std::hint::black_box;
use std::io::{BufReader, BufWriter, Write};
use std::path::Path;

use criterion::{Criterion, Throughput, criterion_group};
use hotelcare::config::Config;
use hotelcare::lang::{Event, Validator, compile};
use hotelcare::pbx::operations;

const CONFIG: &str = r#"
[class_of_service]
LOCAL = 3
[number_transfer]
enabled = true
range = "3000-3999"
"#;

/// A realistic day at a 1,000-room hotel, repeated: check-in with a DID, class of service
/// change, name correction, room move (the DID moves along), check-out.
fn write_script(path: &Path, commands: usize) {
    let mut out = BufWriter::new(File::create(path).expect("temp file"));
    let mut line = String::new();
    for i in 0..commands {
        let cycle = i / 5;
        let room = 1000 + cycle % 1000;
        line.clear();
        match i % 5 {
            0 => write!(
                line,
                "CHECKIN {room} \"Guest{cycle},Alina\" DID {} COS LOCAL",
                3000 + cycle % 1000
            ),
            1 => write!(line, "COS {room} BLOCK   # limit reached"),
            2 => write!(line, "RENAME {room} \"Guest{cycle} , Alina Maria\""),
            3 => write!(line, "MOVE {room} {}", room + 1000),
            _ => write!(line, "CHECKOUT {}", room + 1000),
        }
        .expect("formatting");
        writeln!(out, "{line}").expect("write");
    }
    out.flush().expect("flush");
}

/// Streams the script through the front half of the pipeline and lowers every command.
fn compile_and_lower(path: &Path, config: &Config) -> usize {
    let mut validator = Validator::new(config);
    let mut lowered = 0;
    let reader = BufReader::with_capacity(64 * 1024, File::open(path).expect("script"));
    let summary = compile("bench.hc", reader, &mut validator, &mut |event| {
        if let Event::Command(command) = event {
            lowered += black_box(operations(&command, config));
        }
    })
    .expect("read");
    assert_eq!(summary.errors, 0);
    lowered
}

fn bench(c: &mut Criterion) {
    let config = Config::parse(CONFIG, Path::new("bench.toml")).expect("config");
    let dir = tempfile::tempdir().expect("temp dir");
    let script = dir.path().join("million.hc");
    let commands = 1_000_000;
    write_script(&script, commands);
    let mut group = c.benchmark_group("compile");
    group.sample_size(10);
    group.throughput(Throughput::Elements(commands as u64));
    group.bench_function("parse+validate+lower 1M commands", |b| {
        b.iter(|| compile_and_lower(&script, &config));
    });
    group.finish();
}

/// Peak resident memory of this process in KiB (Linux only; elsewhere not reported).
fn peak_rss_kib() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

fn memory() {
    let config = Config::parse(CONFIG, Path::new("bench.toml")).expect("config");
    let dir = tempfile::tempdir().expect("temp dir");
    let (small, large) = (dir.path().join("small.hc"), dir.path().join("large.hc"));
    write_script(&small, 100_000);
    write_script(&large, 1_000_000);
    compile_and_lower(&small, &config);
    let after_small = peak_rss_kib();
    compile_and_lower(&large, &config);
    let after_large = peak_rss_kib();
    match (after_small, after_large) {
        (Some(s), Some(l)) => println!(
            "peak resident memory: {s} KiB after 100,000 commands, {l} KiB after 1,000,000 commands"
        ),
        _ => println!("peak resident memory: not measured on this platform"),
    }
}

criterion_group!(benches, bench);

fn main() {
    // Memory first, before criterion's own allocations raise the high-water mark.
    memory();
    benches();
    Criterion::default().configure_from_args().final_summary();
}
