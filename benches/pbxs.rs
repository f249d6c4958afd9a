//! Several PBXs from one process (issue 13): a mass check-out over 10 simulated PBXs × 500 rooms,
//! 20 ms per request, concurrency 16 per PBX, by the real `hotelcare run` binary; the PBXs work in
//! parallel, so the floor is one PBX's: rooms × requests per check-out × latency ÷ concurrency.
//! Then `hotelcare reconcile` of 1,000 rooms on one PBX against its read floor (every request it
//! sent, as the simulator counts them, × latency ÷ concurrency).
//!
//! `cargo bench --bench pbxs` (about a minute). `HOTELCARE_BENCH_PBXS=4` and
//! `HOTELCARE_BENCH_ROOMS=200` for a shorter run. The simulators run in this process, the ten
//! on one runtime of one worker thread, the reconcile's one on a runtime of two; the binary talks
//! to them over loopback HTTPS like to PBXs.

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
const CONCURRENCY: u64 = 16;

/// The first room of PBX `index`: 10000, 11000, ...
fn first_room(index: u32) -> u32 {
    10_000 + 1000 * index
}

fn write_config(dir: &Path, simulators: &[Simulator], state: &str) -> std::path::PathBuf {
    let mut text = format!(
        "[run]\nmax_concurrency = {CONCURRENCY}\nstate_dir = \"{state}\"\nlog_dir = \"logs\"\n\n"
    );
    for (index, simulator) in (0u32..).zip(simulators) {
        let pbx = support::pbx_keys(dir, simulator, &format!("pbx{index}.pem"));
        let _ = write!(
            text,
            "[pbx.p{index}]\n{pbx}rooms = [\"{}-{}\"]\n\n",
            first_room(index),
            first_room(index) + 999
        );
    }
    let path = dir.join(format!("{state}.toml"));
    std::fs::write(&path, text).expect("write");
    path
}

/// What a run of the binary cost: wall time, and (on Linux, through `/usr/bin/time`) its CPU
/// time and peak memory.
struct Cost {
    wall: Duration,
    /// User + system CPU seconds, and the peak resident set in kB.
    cpu_and_memory: Option<(f64, u64)>,
}

fn hotelcare(config: &Path, arguments: &[&str]) -> Cost {
    let timed = Path::new("/usr/bin/time").exists() && cfg!(target_os = "linux");
    let report = config.with_extension("time");
    let mut command = if timed {
        let mut command = Command::new("/usr/bin/time");
        command
            .arg("-f")
            .arg("%U %S %M")
            .arg("-o")
            .arg(&report)
            .arg(env!("CARGO_BIN_EXE_hotelcare"));
        command
    } else {
        Command::new(env!("CARGO_BIN_EXE_hotelcare"))
    };
    let started = Instant::now();
    let status = command
        .arg("--config")
        .arg(config)
        .args(arguments)
        .env("HOTELCARE_BENCH_PASSWORD", support::PASSWORD)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .expect("hotelcare runs");
    let wall = started.elapsed();
    assert!(status.success(), "hotelcare {arguments:?} failed");
    let cpu_and_memory = timed
        .then(|| std::fs::read_to_string(&report).ok())
        .flatten()
        .and_then(|text| {
            let numbers: Vec<&str> = text.split_whitespace().collect();
            match numbers.as_slice() {
                [user, system, peak] => Some((
                    user.parse::<f64>().ok()? + system.parse::<f64>().ok()?,
                    peak.parse().ok()?,
                )),
                _ => None,
            }
        });
    Cost {
        wall,
        cpu_and_memory,
    }
}

/// CPU seconds this process (the simulators) has used so far (Linux; `None` elsewhere).
fn own_cpu() -> Option<f64> {
    let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
    // Fields after the command name: utime and stime are the 12th and 13th.
    let after = stat.rsplit_once(')')?.1;
    let fields: Vec<&str> = after.split_whitespace().collect();
    let ticks = fields.get(11)?.parse::<f64>().ok()? + fields.get(12)?.parse::<f64>().ok()?;
    Some(ticks / 100.0)
}

fn describe(cost: &Cost) -> String {
    cost.cpu_and_memory.map_or_else(String::new, |(cpu, peak)| {
        format!(
            ", hotelcare CPU {cpu:.2}s, peak memory {}.{} MB",
            peak / 1024,
            peak % 1024 * 10 / 1024
        )
    })
}

fn main() {
    if !support::requested() {
        return;
    }
    let pbxs: u32 = support::count("HOTELCARE_BENCH_PBXS", 10);
    let rooms: u32 = support::count("HOTELCARE_BENCH_ROOMS", 500);
    // The ten simulated PBXs share one worker, so that they take at most one of the two cores:
    // on a site the PBXs are machines of their own, and the floor counts none of their work.
    // On two workers their polling of the clock held this benchmark at 1.19-1.26x (issue 25).
    let runtime = support::runtime_of(1);
    let latency = Duration::from_millis(LATENCY_MS);
    let simulators: Vec<Simulator> = (0..pbxs)
        .map(|index| {
            let simulator = support::simulator(&runtime, Seed::range(first_room(index), rooms, 2));
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

    let config = write_config(dir.path(), &simulators, "state");
    let simulators_before = own_cpu();
    let cost = hotelcare(&config, &["run", script.to_str().expect("UTF-8 path")]);
    let simulators_cpu = own_cpu()
        .zip(simulators_before)
        .map_or_else(String::new, |(after, before)| {
            format!(", simulators' CPU {:.2}s (2 cores)", after - before)
        });
    let wall = cost.wall;
    let per_pbx = u64::from(rooms) * REQUESTS_PER_CHECKOUT;
    let floor = latency * u32::try_from(per_pbx / CONCURRENCY).expect("small");
    let sent: u64 = simulators.iter().map(|s| s.stats().requests).sum();
    println!(
        "mass check-out: {pbxs} PBXs x {rooms} rooms, {LATENCY_MS} ms per request, concurrency {CONCURRENCY} per PBX"
    );
    println!(
        "  wall {:.2}s, floor (one PBX: {per_pbx} requests x {LATENCY_MS} ms / {CONCURRENCY}) {:.2}s, wall/floor {:.3}  ({sent} requests in all{}{simulators_cpu})",
        wall.as_secs_f64(),
        floor.as_secs_f64(),
        wall.as_secs_f64() / floor.as_secs_f64(),
        describe(&cost)
    );

    // Reconcile of 1,000 rooms on one PBX: the first one, with a thousand managed rooms. One
    // simulator answering 16 at a time: on two workers, as in `mass_checkout`.
    let reconciled: u32 = support::count("HOTELCARE_BENCH_RECONCILE_ROOMS", 1000);
    let one_runtime = support::runtime();
    let one = support::simulator(&one_runtime, Seed::range(first_room(0), reconciled, 2));
    let config = write_config(dir.path(), std::slice::from_ref(&one), "reconcile");
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
    let cost = hotelcare(&config, &["reconcile"]);
    let wall = cost.wall;
    let after = one.stats();
    let requests = after.requests - before.requests;
    let logins = after.logins - before.logins;
    // Reads go out `CONCURRENCY` at a time; a login (and the directory listing) is one at a time.
    let floor = latency * u32::try_from((requests - logins) / CONCURRENCY + logins).expect("small");
    println!(
        "reconcile of {reconciled} rooms on one PBX: wall {:.2}s, read floor ({requests} requests, {logins} login(s), {LATENCY_MS} ms, concurrency {CONCURRENCY}) {:.2}s, wall/floor {:.3}{}",
        wall.as_secs_f64(),
        floor.as_secs_f64(),
        wall.as_secs_f64() / floor.as_secs_f64(),
        describe(&cost)
    );
    one_runtime.block_on(one.stop());
    for simulator in simulators {
        runtime.block_on(simulator.stop());
    }
}
