//! Mass check-out (BRIEF §12): 1,000 rooms checked out against the simulator with 20 ms latency
//! per request, by the real `hotelcare run` binary at concurrency 1, 4 and 16, beside the floor
//! (requests × latency ÷ concurrency); and the same work done the way the vendor's tool does it
//! (one process started and one login per action, one action after the other) as the baseline.
//!
//! Then the same check-out at concurrency 16 through `hotelcare serve`.
//!
//! `cargo bench --bench mass_checkout` (about 4 minutes). `HOTELCARE_BENCH_ROOMS=200` for a
//! shorter run; `HOTELCARE_BENCH_NO_BASELINE=1` leaves out the vendor's way (3 of the 4 minutes). The simulator runs in this process on its own runtime; the binary talks to it
//! over loopback HTTPS like to a PBX.

// A benchmark's report is what it prints.
#![allow(clippy::print_stdout)]

use std::fmt::Write as _;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

mod support;

use hotelcare::sim::{Faults, Seed, Simulator};

const LATENCY_MS: u64 = 20;
/// A check-out: read the Service Label, set Service Details, User Profile, Service Profile.
const REQUESTS_PER_CHECKOUT: u64 = 4;

fn config(dir: &Path, simulator: &Simulator, concurrency: usize) -> std::path::PathBuf {
    let pbx = support::pbx_keys(dir, simulator, "sim.pem");
    let path = dir.join(format!("hotelcare-{concurrency}.toml"));
    std::fs::write(
        &path,
        format!(
            "[pbx]\n{pbx}\n\
             [number_transfer]\nenabled = true\nrange = \"3000-3999\"\n\n\
             [run]\nmax_concurrency = {concurrency}\nstate_dir = \"state-{concurrency}\"\nlog_dir = \"logs\"\n"
        ),
    )
    .expect("write");
    path
}

fn hotelcare(config: &Path, script: &Path) -> Duration {
    let started = Instant::now();
    let status = Command::new(env!("CARGO_BIN_EXE_hotelcare"))
        .arg("--config")
        .arg(config)
        .arg("run")
        .arg(script)
        .env("HOTELCARE_BENCH_PASSWORD", support::PASSWORD)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .expect("hotelcare runs");
    assert!(status.success(), "hotelcare run failed");
    started.elapsed()
}

fn main() {
    if !support::requested() {
        return;
    }
    let rooms: u32 = support::count("HOTELCARE_BENCH_ROOMS", 1000);
    let runtime = support::runtime();
    let simulator = support::simulator(&runtime, Seed::range(1000, rooms, 2));
    let dir = tempfile::tempdir().expect("temp dir");
    let script = dir.path().join("checkout.hc");
    let all = (1000..1000 + rooms).fold(String::new(), |mut all, room| {
        let _ = writeln!(all, "CHECKOUT {room}");
        all
    });
    std::fs::write(&script, all).expect("write");

    let latency = Duration::from_millis(LATENCY_MS);
    simulator.set_faults(Faults {
        latency_ms: LATENCY_MS,
        ..Faults::default()
    });
    let requests = u64::from(rooms) * REQUESTS_PER_CHECKOUT;
    println!(
        "mass check-out of {rooms} rooms, {LATENCY_MS} ms latency per request, {requests} requests (+1 login)"
    );
    println!(
        "{:>12}  {:>10}  {:>10}  {:>12}",
        "concurrency", "wall", "floor", "wall/floor"
    );
    let mut results = Vec::new();
    for concurrency in [1usize, 4, 16] {
        let config = config(dir.path(), &simulator, concurrency);
        let before = simulator.stats().requests;
        let wall = hotelcare(&config, &script);
        let sent = simulator.stats().requests - before;
        let floor = latency * u32::try_from(requests / concurrency as u64).expect("small");
        println!(
            "{concurrency:>12}  {:>9.2}s  {:>9.2}s  {:>12.3}   ({sent} requests)",
            wall.as_secs_f64(),
            floor.as_secs_f64(),
            wall.as_secs_f64() / floor.as_secs_f64()
        );
        results.push((concurrency, wall));
    }

    // The same through `hotelcare serve` (issue 25: at most 1.05x the floor at concurrency 16):
    // `hotelcare run` finds the service and submits the script to it, and follows it to the
    // end.
    let served = dir.path().join("hotelcare-serve.toml");
    let text = std::fs::read_to_string(config(dir.path(), &simulator, 16)).expect("read");
    // `support::serve` waits for `state/service.json`.
    let text = text.replace("state-16", "state") + "\n[service]\nlisten = \"127.0.0.1:0\"\n";
    std::fs::write(&served, text).expect("write");
    let (mut service, _) = support::serve(dir.path(), &served, &[]);
    let before = simulator.stats().requests;
    let wall = hotelcare(&served, &script);
    let sent = simulator.stats().requests - before;
    let floor = latency * u32::try_from(requests / 16).expect("small");
    println!(
        "{:>12}  {:>9.2}s  {:>9.2}s  {:>12.3}   ({sent} requests, through `hotelcare serve`)",
        16,
        wall.as_secs_f64(),
        floor.as_secs_f64(),
        wall.as_secs_f64() / floor.as_secs_f64()
    );
    let _ = service.kill();
    let _ = service.wait();
    if std::env::var_os("HOTELCARE_BENCH_NO_BASELINE").is_some() {
        runtime.block_on(simulator.stop());
        return;
    }

    // The vendor's architecture: one helper process and one login per action, in sequence.
    let config = config(dir.path(), &simulator, 1);
    let single = dir.path().join("one.hc");
    let before = simulator.stats();
    let started = Instant::now();
    for room in 1000..1000 + rooms {
        std::fs::write(&single, format!("CHECKOUT {room}\n")).expect("write");
        hotelcare(&config, &single);
    }
    let baseline = started.elapsed();
    let after = simulator.stats();
    println!(
        "baseline (process + login per action): {:.2}s  ({} requests, {} logins)",
        baseline.as_secs_f64(),
        after.requests - before.requests,
        after.logins - before.logins
    );
    for (concurrency, wall) in results {
        println!(
            "speed-up over the baseline at concurrency {concurrency}: {:.1}x",
            baseline.as_secs_f64() / wall.as_secs_f64()
        );
    }
    runtime.block_on(simulator.stop());
}
