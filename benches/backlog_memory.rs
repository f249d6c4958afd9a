//! The service's memory under a backlog (issue 23, item 3): the PBX is down, and 10,000, then
//! 100,000, then 1,000,000 commands wait in the journal. At each size, the resident memory of
//! `hotelcare serve` after it has been asked for the queue (a page), the status, the metrics and
//! a retry round: what a hotel's monitoring and staff do while the PBX is down. Linux only (it
//! reads `/proc/PID/status`).
//!
//! Then a fresh service takes the same number of commands as one spool file (issue 23's
//! "million-line spool file with the PBX down").
//!
//! `cargo bench --bench backlog_memory` (a few minutes). `HOTELCARE_BENCH_BACKLOG=100000` stops
//! at that size. The commands arrive over the API in scripts of 10,000, as a PMS catching up would
//! send them.

// A benchmark's report is what it prints.
#![allow(clippy::print_stdout)]

use std::fmt::Write as _;
use std::io::{Read as _, Write as _};
use std::net::{SocketAddr, TcpStream};
use std::time::{Duration, Instant};

mod support;

use hotelcare::sim::{Faults, Seed};

const CHUNK: usize = 10_000;

fn main() {
    if !support::requested() {
        return;
    }
    if !cfg!(target_os = "linux") {
        println!("backlog_memory: Linux only (reads /proc)");
        return;
    }
    let largest: usize = support::count("HOTELCARE_BENCH_BACKLOG", 1_000_000);
    let runtime = support::runtime();
    let simulator = support::simulator(&runtime, Seed::vendor_example(2));
    let dir = tempfile::tempdir().expect("tempdir");
    let config = write_config(dir.path(), &simulator, "");
    // The PBX is down for the whole run.
    simulator.set_faults(Faults {
        refuse_connections: true,
        ..Faults::default()
    });
    let (mut service, address) = support::serve(dir.path(), &config, &[]);
    let token = std::fs::read_to_string(dir.path().join("state/api-token")).expect("token");
    let token = token.trim();
    let pid = service.id();
    let idle = memory(pid);

    println!("service memory with the PBX down and a backlog in the journal (RSS, MB)");
    println!("  idle, empty journal: {:.0} MB", idle.0);
    println!(
        "  {:>9}  {:>8}  {:>10}  {:>10}  {:>10}",
        "commands", "accept", "RSS after", "peak so far", "journal"
    );
    let mut queued = 0;
    for size in [10_000, 100_000, 1_000_000] {
        if size > largest {
            break;
        }
        let accepting = Instant::now();
        while queued < size {
            let mut script = String::with_capacity(CHUNK * 16);
            for n in 0..CHUNK {
                let room = if n % 2 == 0 { 1000 } else { 2000 };
                let level = if (queued + n) % 3 == 0 {
                    "BLOCK"
                } else {
                    "ALLOW"
                };
                let _ = writeln!(script, "COS {room} {level}");
            }
            let (status, body) = call(address, token, "POST", "/v1/scripts?source=bench", &script);
            assert_eq!(status, 200, "{body}");
            queued += CHUNK;
        }
        let accept = accepting.elapsed();
        // What staff and monitoring ask while the PBX is down.
        for path in [
            "/v1/queue",
            "/v1/status",
            "/metrics",
            "/v1/queue?after=500000",
        ] {
            let (status, body) = call(address, token, "GET", path, "");
            assert_eq!(status, 200, "{path}: {body}");
        }
        let (status, body) = call(address, token, "POST", "/v1/queue/retry", "");
        assert_eq!(status, 200, "{body}");
        std::thread::sleep(Duration::from_millis(500));
        let (rss, peak) = memory(pid);
        let journal = std::fs::metadata(dir.path().join("state/journal.redb"))
            .map_or(0, |meta| meta.len())
            / 1_000_000;
        println!(
            "  {size:>9}  {:>6.1} s  {rss:>7.0} MB  {peak:>8.0} MB  {journal:>7} MB",
            accept.as_secs_f64(),
        );
    }
    let _ = service.kill();
    let _ = service.wait();
    drop(dir);
    spool_file(&simulator, largest);
}

/// A fresh service with a spool; one file of `lines` commands (15 bytes each: a million is
/// 15 MB, under `[spool] max_bytes`) dropped into it with the PBX down. Its memory is read
/// every second while the file is checked and journaled and then through three retry rounds.
fn spool_file(simulator: &hotelcare::sim::Simulator, lines: usize) {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::create_dir(dir.path().join("spool")).expect("spool");
    let config = write_config(dir.path(), simulator, "\n[spool]\ndir = \"spool\"\n");
    let (mut service, address) = support::serve(dir.path(), &config, &["--interval-ms", "200"]);
    let token = std::fs::read_to_string(dir.path().join("state/api-token")).expect("token");
    let pid = service.id();
    let mut file = String::with_capacity(lines * 16);
    for n in 0..lines {
        let room = if n % 2 == 0 { 1000 } else { 2000 };
        let level = if n % 3 == 0 { "BLOCK" } else { "ALLOW" };
        let _ = writeln!(file, "COS {room} {level}");
    }
    let size = file.len();
    std::fs::write(dir.path().join("spool/big.tmp"), file).expect("write");
    std::fs::rename(
        dir.path().join("spool/big.tmp"),
        dir.path().join("spool/big.hc"),
    )
    .expect("rename");
    let started = Instant::now();
    let pending = || {
        let (_, metrics) = call(address, token.trim(), "GET", "/metrics", "");
        metrics
            .lines()
            .find_map(|line| line.strip_prefix("hotelcare_commands_pending "))
            .and_then(|value| value.trim().parse::<usize>().ok())
            .unwrap_or(0)
    };
    while pending() < lines {
        assert!(
            started.elapsed() < Duration::from_secs(1800),
            "the spool file was not journaled"
        );
        std::thread::sleep(Duration::from_secs(1));
    }
    let journaled = started.elapsed();
    let (at_journaled, _) = memory(pid);
    // Three retry rounds of the down PBX (1 + 2 + 4 s apart, and the spool's rounds).
    std::thread::sleep(Duration::from_secs(20));
    let (rss, peak) = memory(pid);
    println!(
        "a spool file of {lines} commands ({size} bytes), the PBX down: journaled in {:.1} s; RSS {at_journaled:.0} MB then, {rss:.0} MB after 20 s of retry rounds, peak {peak:.0} MB",
        journaled.as_secs_f64(),
    );
    let _ = service.kill();
    let _ = service.wait();
}

/// `dir/hotelcare.toml` for a service in `dir` against `simulator` (one attempt a round, no
/// duplicate guard), with `more` at its end.
fn write_config(
    dir: &std::path::Path,
    simulator: &hotelcare::sim::Simulator,
    more: &str,
) -> std::path::PathBuf {
    let pbx = support::pbx_keys(dir, simulator, "sim.pem");
    let config = dir.join("hotelcare.toml");
    std::fs::write(
        &config,
        format!(
            "[pbx]\n{pbx}\n\
             [run]\nstate_dir = \"state\"\nlog_dir = \"logs\"\nduplicate_window_hours = 0\n\n\
             [run.retry]\nattempts = 1\n\n\
             [service]\nlisten = \"127.0.0.1:0\"\n{more}"
        ),
    )
    .expect("write");
    config
}

/// The process's resident memory now and at its peak, in MB (`VmRSS`, `VmHWM`).
fn memory(pid: u32) -> (f64, f64) {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    let field = |name: &str| {
        status
            .lines()
            .find_map(|line| line.strip_prefix(name))
            .and_then(|rest| {
                rest.trim()
                    .trim_end_matches("kB")
                    .trim()
                    .parse::<f64>()
                    .ok()
            })
            .map_or(0.0, |kb| kb / 1024.0)
    };
    (field("VmRSS:"), field("VmHWM:"))
}

/// One request; the status and the body.
fn call(address: SocketAddr, token: &str, method: &str, path: &str, body: &str) -> (u16, String) {
    let mut stream = TcpStream::connect(address).expect("connect");
    stream
        .set_read_timeout(Some(Duration::from_secs(600)))
        .expect("timeout");
    write!(
        stream,
        "{method} {path} HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer {token}\r\nConnection: close\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    )
    .expect("write");
    let mut answer = Vec::new();
    let _ = stream.read_to_end(&mut answer);
    let answer = String::from_utf8_lossy(&answer).into_owned();
    let status = answer
        .split(' ')
        .nth(1)
        .and_then(|code| code.parse().ok())
        .unwrap_or(0);
    let body = answer
        .split_once("\r\n\r\n")
        .map(|(_, body)| body.to_owned())
        .unwrap_or_default();
    (status, body)
}
