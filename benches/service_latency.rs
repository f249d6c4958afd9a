//! How quickly the service starts on new work (issue: `hotelcare serve`): the time from
//! `POST /v1/scripts` returning to the PBX's first request for it, and from a spool file renamed
//! into place to its first request; p50/p99 over many submissions, on loopback against the
//! simulator without latency. Target: p99 ≤ 10 ms for the API (plus the poll interval for the
//! spool).
//!
//! `cargo bench --bench service_latency` (about a minute). `HOTELCARE_BENCH_SUBMISSIONS=200`
//! for a shorter run. The simulator runs in this process, so its request counter is read
//! directly; the service is the real binary.

// A benchmark's report is what it prints.
#![allow(clippy::print_stdout)]

use std::io::{Read as _, Write as _};
use std::net::{SocketAddr, TcpStream};
use std::path::Path;
use std::process::Child;
use std::time::{Duration, Instant};

mod support;

use hotelcare::sim::{Seed, Simulator};

/// A check-out: read the Service Label, set Service Details, User Profile, Service Profile.
const REQUESTS_PER_CHECKOUT: u64 = 4;
const SPOOL_INTERVAL_MS: u64 = 20;

fn main() {
    if !support::requested() {
        return;
    }
    let submissions: usize = support::count("HOTELCARE_BENCH_SUBMISSIONS", 1000);
    let runtime = support::runtime();
    let simulator = support::simulator(&runtime, Seed::vendor_example(2));
    let dir = tempfile::tempdir().expect("tempdir");
    let pbx = support::pbx_keys(dir.path(), &simulator, "sim.pem");
    let config = dir.path().join("hotelcare.toml");
    std::fs::write(
        &config,
        format!(
            "[pbx]\n{pbx}\n\
             [run]\nstate_dir = \"state\"\nlog_dir = \"logs\"\nduplicate_window_hours = 0\n\n\
             [service]\nlisten = \"127.0.0.1:0\"\n"
        ),
    )
    .expect("write");
    let spool = dir.path().join("spool");
    std::fs::create_dir_all(&spool).expect("spool");
    let (mut service, address) = serve(dir.path(), &config, &spool);
    let token = std::fs::read_to_string(dir.path().join("state/api-token")).expect("token");

    // The first command logs in; it is not counted.
    submit(address, token.trim(), "CHECKOUT 1000\n");
    settle(
        &simulator,
        simulator.stats().requests,
        REQUESTS_PER_CHECKOUT,
    );

    // From the answer (0 when the PBX request came first: the drainer is told before the
    // answer is written), and from the request's first byte.
    let mut api = Vec::with_capacity(submissions);
    let mut round_trip = Vec::with_capacity(submissions);
    for i in 0..submissions {
        let before = simulator.stats().requests;
        let room = if i % 2 == 0 { 1000 } else { 2000 };
        let sent = Instant::now();
        submit(address, token.trim(), &format!("CHECKOUT {room}\n"));
        let returned = Instant::now();
        let first = if simulator.stats().requests == before {
            while simulator.stats().requests == before {
                std::hint::spin_loop();
            }
            Instant::now()
        } else {
            returned
        };
        api.push(first - returned);
        round_trip.push(first - sent);
        settle(&simulator, before, REQUESTS_PER_CHECKOUT);
    }

    let files = (submissions / 10).max(10);
    let mut spooled = Vec::with_capacity(files);
    for i in 0..files {
        let before = simulator.stats().requests;
        let staged = dir.path().join(format!("{i:05}.tmp"));
        std::fs::write(&staged, format!("CHECKOUT {}\n", 1000 + (i % 2) * 1000)).expect("write");
        std::fs::rename(&staged, spool.join(format!("{i:05}.hc"))).expect("rename");
        let renamed = Instant::now();
        while simulator.stats().requests == before {
            std::thread::sleep(Duration::from_micros(100));
        }
        spooled.push(renamed.elapsed());
        settle(&simulator, before, REQUESTS_PER_CHECKOUT);
    }
    let _ = service.kill();
    let _ = service.wait();

    println!("service latency to the first PBX request (simulator without latency)");
    report(
        &format!("API, {submissions} submissions, from the 200"),
        &mut api,
    );
    report(
        &format!("API, {submissions} submissions, from sending the POST"),
        &mut round_trip,
    );
    report(
        &format!("spool, {files} files (poll interval {SPOOL_INTERVAL_MS} ms, settle 0)"),
        &mut spooled,
    );
}

fn serve(dir: &Path, config: &Path, spool: &Path) -> (Child, SocketAddr) {
    let interval = SPOOL_INTERVAL_MS.to_string();
    let spool = spool.to_string_lossy();
    support::serve(
        dir,
        config,
        &[
            "--spool",
            &spool,
            "--interval-ms",
            &interval,
            "--settle-ms",
            "0",
        ],
    )
}

fn submit(address: SocketAddr, token: &str, script: &str) {
    let mut stream = TcpStream::connect(address).expect("connect");
    let _ = stream.set_nodelay(true);
    write!(
        stream,
        "POST /v1/scripts?source=bench HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer {token}\r\nConnection: close\r\nContent-Length: {}\r\n\r\n{script}",
        script.len()
    )
    .expect("send");
    let mut answer = String::new();
    stream.read_to_string(&mut answer).expect("answer");
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
}

/// Waits until the command's requests have all been made (and a moment more).
fn settle(simulator: &Simulator, before: u64, requests: u64) {
    let started = Instant::now();
    while simulator.stats().requests < before + requests {
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "the command did not finish"
        );
        std::thread::sleep(Duration::from_micros(200));
    }
    std::thread::sleep(Duration::from_millis(2));
}

fn report(what: &str, samples: &mut [Duration]) {
    let [p50, p99, max] = support::percentiles(samples);
    println!("  {what}: p50 {p50:.2} ms, p99 {p99:.2} ms, max {max:.2} ms");
}
