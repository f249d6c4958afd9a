//! A 1,000-room resync over FIAS (issue: FIAS): the PMS simulator sends the whole house (every
//! room occupied) to `hotelcare serve`, whose journal knows nothing yet; measured: the time from
//! the link coming up to the last room checked in on the PBX simulator (20 ms per request,
//! concurrency 16), against the PBX floor (requests × latency ÷ concurrency). Target ≤ 1.15×.
//!
//! `cargo bench --bench fias_resync` (about 10 s); `HOTELCARE_BENCH_ROOMS=200` for less.

// A benchmark's report is what it prints.
#![allow(clippy::print_stdout)]

mod support;

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use hotelcare::sim::fias_pms::FiasPms;
use hotelcare::sim::{Faults, Seed};

const LATENCY_MS: u64 = 20;
const CONCURRENCY: u32 = 16;

fn main() {
    if !support::requested() {
        return;
    }
    let rooms: u32 = support::count("HOTELCARE_BENCH_ROOMS", 1000);
    let runtime = support::runtime();
    let simulator = support::simulator(&runtime, Seed::range(10_000, rooms, 2));
    let pms = runtime
        .block_on(FiasPms::start("127.0.0.1:0".parse().expect("address")))
        .expect("PMS simulator");
    let house: Vec<Vec<u8>> = (0..rooms)
        .map(|i| format!("GI|RN{}|G#{i}|GNGuest{i}|GFBench|", 10_000 + i).into_bytes())
        .collect();
    let house: Vec<&[u8]> = house.iter().map(Vec::as_slice).collect();
    pms.set_house(&house);
    let dir = tempfile::tempdir().expect("tempdir");
    let pbx = support::pbx_keys(dir.path(), &simulator, "sim.pem");
    let config = dir.path().join("hotelcare.toml");
    std::fs::write(
        &config,
        format!(
            "[pbx]\n{pbx}\n\
             [run]\nmax_concurrency = {CONCURRENCY}\nstate_dir = \"state\"\nlog_dir = \"logs\"\n\n\
             [service]\nlisten = \"127.0.0.1:0\"\n\n[fias]\nserver = \"{}\"\n",
            pms.address()
        ),
    )
    .expect("write");
    simulator.set_faults(Faults {
        latency_ms: LATENCY_MS,
        ..Faults::default()
    });
    let mut service = Command::new(env!("CARGO_BIN_EXE_hotelcare"))
        .current_dir(dir.path())
        .arg("--config")
        .arg(&config)
        .arg("serve")
        .env("HOTELCARE_BENCH_PASSWORD", support::PASSWORD)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("hotelcare serve");
    let waited = Instant::now();
    while !pms.received().iter().any(|r| r.starts_with("DR|")) {
        assert!(
            waited.elapsed() < Duration::from_secs(60),
            "no resync asked"
        );
        std::thread::sleep(Duration::from_millis(1));
    }
    let started = Instant::now();
    let before = simulator.stats().requests;
    // A check-in sets three forms; counted, not read (reading 1,000 rooms 50 times a second
    // would hold the simulator's lock against the service's requests).
    let updates = simulator.stats().updates;
    while simulator.stats().updates < updates + 3 * u64::from(rooms) {
        assert!(
            started.elapsed() < Duration::from_secs(600),
            "the resync did not finish"
        );
        std::thread::sleep(Duration::from_millis(5));
    }
    assert!((0..rooms).all(|i| {
        simulator
            .record(&(10_000 + i).to_string())
            .is_some_and(|r| r.directory_name.starts_with("Guest"))
    }));
    let wall = started.elapsed();
    let requests = simulator.stats().requests - before;
    let _ = service.kill();
    let _ = service.wait();
    let floor = Duration::from_millis(requests * LATENCY_MS / u64::from(CONCURRENCY));
    println!(
        "{rooms}-room FIAS resync: {requests} PBX requests at {LATENCY_MS} ms, concurrency {CONCURRENCY}: wall {:.2} s, floor {:.2} s, {:.3}x the floor",
        wall.as_secs_f64(),
        floor.as_secs_f64(),
        wall.as_secs_f64() / floor.as_secs_f64()
    );
}
