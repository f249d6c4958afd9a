//! Several PBXs from one process (issue 13): a mass check-out over 10 simulated PBXs × 500 rooms,
//! 20 ms per request, concurrency 16 per PBX, by the real `hotelcare run` binary; the PBXs work in
//! parallel, so the floor is one PBX's: rooms × requests per check-out × latency ÷ concurrency.
//! Then `hotelcare reconcile` of 1,000 rooms on one PBX against its read floor (every request it
//! sent, as the simulator counts them, × latency ÷ concurrency).
//!
//! `cargo bench --bench pbxs` (about a minute). `HOTELCARE_BENCH_PBXS=4` and
//! `HOTELCARE_BENCH_ROOMS=200` for a shorter run. The simulators run in this process on one
//! runtime; the binary talks to them over loopback HTTPS like to PBXs.

// A benchmark's report is what it prints.
#![allow(clippy::print_stdout)]

use std::fmt::Write as _;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

mod support;

use hotelcare::sim::{self, Faults, Seed, Simulator};

const LATENCY_MS: u64 = 20;
/// A check-out: read the Service Label, set Service Details, User Profile, Service Profile.
const REQUESTS_PER_CHECKOUT: u64 = 4;
const CONCURRENCY: u64 = 16;
const PASSWORD: &str = "bench";

/// The first room of PBX `index`: 10000, 11000, ...
fn first_room(index: u32) -> u32 {
    10_000 + 1000 * index
}

fn config(dir: &Path, simulators: &[Simulator], state: &str) -> std::path::PathBuf {
    let mut text = format!(
        "[run]\nmax_concurrency = {CONCURRENCY}\nstate_dir = \"{state}\"\nlog_dir = \"logs\"\n\n"
    );
    for (index, simulator) in (0u32..).zip(simulators) {
        let pem = format!("pbx{index}.pem");
        std::fs::write(dir.join(&pem), simulator.certificate_pem().expect("TLS")).expect("write");
        let _ = write!(
            text,
            "[pbx.p{index}]\nserver = \"{}\"\nuser = \"hotelcare\"\npassword_env = \"HOTELCARE_BENCH_PASSWORD\"\ntimeout_secs = 10\nca_file = \"{pem}\"\nrooms = [\"{}-{}\"]\n\n",
            simulator.address(),
            first_room(index),
            first_room(index) + 999
        );
    }
    let path = dir.join(format!("{state}.toml"));
    std::fs::write(&path, text).expect("write");
    path
}

fn hotelcare(config: &Path, arguments: &[&str]) -> Duration {
    let started = Instant::now();
    let status = Command::new(env!("CARGO_BIN_EXE_hotelcare"))
        .arg("--config")
        .arg(config)
        .args(arguments)
        .env("HOTELCARE_BENCH_PASSWORD", PASSWORD)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .expect("hotelcare runs");
    assert!(status.success(), "hotelcare {arguments:?} failed");
    started.elapsed()
}

fn main() {
    if !support::requested() {
        return;
    }
    let pbxs: u32 = support::count("HOTELCARE_BENCH_PBXS", 10);
    let rooms: u32 = support::count("HOTELCARE_BENCH_ROOMS", 500);
    let runtime = support::runtime();
    let latency = Duration::from_millis(LATENCY_MS);
    let simulators: Vec<Simulator> = (0..pbxs)
        .map(|index| {
            let mut options = sim::Options::new("hotelcare", PASSWORD);
            options.seed = Seed::range(first_room(index), rooms, 2);
            let simulator = runtime
                .block_on(Simulator::start(options))
                .expect("simulator");
            simulator.set_faults(Faults {
                latency_ms: LATENCY_MS,
                ..Faults::default()
            });
            simulator
        })
        .collect();
    let dir = tempfile::tempdir().expect("temp dir");
    let script = dir.path().join("checkout.hc");
    let all = (0..pbxs)
        .flat_map(|index| first_room(index)..first_room(index) + rooms)
        .fold(String::new(), |mut all, room| {
            let _ = writeln!(all, "CHECKOUT {room}");
            all
        });
    std::fs::write(&script, all).expect("write");

    let config = config(dir.path(), &simulators, "state");
    let wall = hotelcare(&config, &["run", script.to_str().expect("UTF-8 path")]);
    let per_pbx = u64::from(rooms) * REQUESTS_PER_CHECKOUT;
    let floor = latency * u32::try_from(per_pbx / CONCURRENCY).expect("small");
    let sent: u64 = simulators.iter().map(|s| s.stats().requests).sum();
    println!(
        "mass check-out: {pbxs} PBXs x {rooms} rooms, {LATENCY_MS} ms per request, concurrency {CONCURRENCY} per PBX"
    );
    println!(
        "  wall {:.2}s, floor (one PBX: {per_pbx} requests x {LATENCY_MS} ms / {CONCURRENCY}) {:.2}s, wall/floor {:.3}  ({sent} requests in all)",
        wall.as_secs_f64(),
        floor.as_secs_f64(),
        wall.as_secs_f64() / floor.as_secs_f64()
    );

    // Reconcile of 1,000 rooms on one PBX: the first one, with a thousand managed rooms.
    let reconciled: u32 = support::count("HOTELCARE_BENCH_RECONCILE_ROOMS", 1000);
    let mut options = sim::Options::new("hotelcare", PASSWORD);
    options.seed = Seed::range(first_room(0), reconciled, 2);
    let one = runtime
        .block_on(Simulator::start(options))
        .expect("simulator");
    let config = config(dir.path(), std::slice::from_ref(&one), "reconcile");
    let checkout = dir.path().join("one.hc");
    let lines = (first_room(0)..first_room(0) + reconciled).fold(String::new(), |mut all, room| {
        let _ = writeln!(all, "CHECKOUT {room}");
        all
    });
    std::fs::write(&checkout, lines).expect("write");
    hotelcare(&config, &["run", checkout.to_str().expect("UTF-8 path")]);
    one.set_faults(Faults {
        latency_ms: LATENCY_MS,
        ..Faults::default()
    });
    let before = one.stats();
    let wall = hotelcare(&config, &["reconcile"]);
    let after = one.stats();
    let requests = after.requests - before.requests;
    let logins = after.logins - before.logins;
    // Reads go out `CONCURRENCY` at a time; a login (and the directory listing) is one at a time.
    let floor = latency * u32::try_from((requests - logins) / CONCURRENCY + logins).expect("small");
    println!(
        "reconcile of {reconciled} rooms on one PBX: wall {:.2}s, read floor ({requests} requests, {logins} login(s), {LATENCY_MS} ms, concurrency {CONCURRENCY}) {:.2}s, wall/floor {:.3}",
        wall.as_secs_f64(),
        floor.as_secs_f64(),
        wall.as_secs_f64() / floor.as_secs_f64()
    );
    runtime.block_on(one.stop());
    for simulator in simulators {
        runtime.block_on(simulator.stop());
    }
}
