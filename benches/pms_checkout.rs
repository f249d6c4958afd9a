//! Mass check-out over the Mitel PMS link (issue: the Mitel PMS protocol): check-outs by the
//! real `hotelcare run` binary against the PBX-side simulator answering after 20 ms, beside the
//! floor: 2 round trips per frame (ENQ/ACK, frame/ACK) × frames × 20 ms, one transaction at a
//! time. Target ≤ 1.05× the floor.
//!
//! `cargo bench --bench pms_checkout` (about 90 s for 1,000 rooms);
//! `HOTELCARE_BENCH_ROOMS=200` for a shorter run.

// A benchmark's report is what it prints.
#![allow(clippy::print_stdout)]

use std::fmt::Write as _;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

mod support;

use hotelcare::sim::mitel_pms::{PmsFaults, PmsSimulator};

const LATENCY: Duration = Duration::from_millis(20);
/// A check-out: `CHK0` and `RST` block.
const FRAMES_PER_CHECKOUT: u32 = 2;

fn main() {
    if !support::requested() {
        return;
    }
    let rooms: usize = support::count("HOTELCARE_BENCH_ROOMS", 1000);
    let runtime = support::runtime();
    let extensions: Vec<String> = (0..rooms).map(|i| (10_000 + i).to_string()).collect();
    let simulator = runtime
        .block_on(PmsSimulator::start(
            "127.0.0.1:0".parse().expect("address"),
            &extensions,
            5,
        ))
        .expect("simulator");
    simulator.set_faults(PmsFaults {
        latency: LATENCY,
        ..PmsFaults::default()
    });
    let dir = tempfile::tempdir().expect("tempdir");
    let config = dir.path().join("hotelcare.toml");
    std::fs::write(
        &config,
        format!(
            "[pbx]\ninterface = \"mitel-pms\"\nserver = \"{}\"\n\n[mitel_pms]\nkeepalive_secs = 0\n\n[run]\nstate_dir = \"state\"\nlog_dir = \"logs\"\n",
            simulator.address()
        ),
    )
    .expect("write");
    let script = dir.path().join("checkout.hc");
    let mut text = String::new();
    for extension in &extensions {
        let _ = writeln!(text, "CHECKOUT {extension}");
    }
    std::fs::write(&script, text).expect("write");
    let started = Instant::now();
    let status = Command::new(env!("CARGO_BIN_EXE_hotelcare"))
        .current_dir(dir.path())
        .arg("--config")
        .arg(&config)
        .arg("run")
        .arg(&script)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .expect("hotelcare runs");
    let wall = started.elapsed();
    assert!(status.success(), "hotelcare run failed");
    let frames = u32::try_from(rooms).expect("rooms") * FRAMES_PER_CHECKOUT;
    assert_eq!(simulator.stats().applied, u64::from(frames));
    let floor = LATENCY * 2 * frames;
    println!(
        "{rooms} check-outs over the Mitel PMS link, {frames} frames, 20 ms per answer: wall {:.2} s, floor {:.2} s, {:.3}x the floor",
        wall.as_secs_f64(),
        floor.as_secs_f64(),
        wall.as_secs_f64() / floor.as_secs_f64()
    );
    simulator.stop();
}
