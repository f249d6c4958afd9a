//! An SMDR record to its `PS` on the wire (issue 21: p99 under 20 ms, the PMS answering in
//! 5 ms): the PBX simulator's SMDR port writes a record of a guest's call; the time until the
//! PMS simulator has read the posting. `hotelcare serve` is the real binary: it reads the
//! record, costs it, journals it (fsynced) with its posting, and the FIAS link sends it.
//!
//! `cargo bench --bench posting_latency` (about 20 s); `HOTELCARE_BENCH_CALLS=100` for a
//! shorter run. Calls are 50 ms apart, so that each posting has its `PA` before the next call
//! ends (one posting is out at a time: a burst queues, and that is not this figure).

// A benchmark's report is what it prints.
#![allow(clippy::print_stdout)]

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

mod support;

use hotelcare::sim::Seed;
use hotelcare::sim::fias_pms::{Faults, FiasPms};
use hotelcare::sim::smdr::SmdrPort;

fn main() {
    if !support::requested() {
        return;
    }
    let calls: usize = support::count("HOTELCARE_BENCH_CALLS", 400);
    let runtime = support::runtime();
    let simulator = support::simulator(&runtime, Seed::vendor_example(2));
    let pms = runtime
        .block_on(FiasPms::start("127.0.0.1:0".parse().expect("address")))
        .expect("PMS simulator");
    pms.set_faults(Faults {
        posting_delay: Duration::from_millis(5),
        ..Faults::default()
    });
    let port = runtime
        .block_on(SmdrPort::start("127.0.0.1:0".parse().expect("address")))
        .expect("SMDR port");
    let dir = tempfile::tempdir().expect("tempdir");
    let pbx = support::pbx_keys(dir.path(), &simulator, "sim.pem");
    let config = dir.path().join("hotelcare.toml");
    std::fs::write(
        &config,
        format!(
            "[pbx]\n{pbx}\n[run]\nstate_dir = \"state\"\nlog_dir = \"logs\"\n\n\
             [service]\nlisten = \"127.0.0.1:0\"\n\n[fias]\nserver = \"{}\"\n\n\
             [charges]\n[[charges.tariff]]\nname = \"National\"\nprefix = \"0\"\nper_minute = \"0.30\"\n\n\
             [smdr]\nserver = \"{}\"\n",
            pms.address(),
            port.address()
        ),
    )
    .expect("write");
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
    wait("the FIAS link", || {
        pms.received().iter().any(|r| r.starts_with("LA|"))
    });
    pms.send(b"GI|RN1000|G#1|GNSolo|GFAlina|");
    wait("the check-in", || {
        simulator
            .record("1000")
            .is_some_and(|room| room.directory_name == "Solo,Alina")
    });
    // The stay begins when the check-in is recorded done, a moment after the PBX has it.
    std::thread::sleep(Duration::from_millis(500));
    let postings = || {
        pms.received()
            .iter()
            .filter(|r| r.starts_with("PS|"))
            .count()
    };
    let mut samples = Vec::with_capacity(calls);
    for call in 0..calls {
        let before = postings();
        let written = Instant::now();
        port.place_call("1000", &format!("06{call:08}"), 60);
        while postings() == before {
            assert!(
                written.elapsed() < Duration::from_secs(10),
                "no posting for call {call}"
            );
            std::thread::sleep(Duration::from_micros(100));
        }
        samples.push(written.elapsed());
        std::thread::sleep(Duration::from_millis(50));
    }
    let _ = service.kill();
    let _ = service.wait();
    let [p50, p99, max] = support::percentiles(&mut samples);
    println!(
        "SMDR record to its PS on the wire ({calls} calls, the PMS answering in 5 ms): p50 {p50:.2} ms, p99 {p99:.2} ms, max {max:.2} ms"
    );
}

fn wait(what: &str, mut condition: impl FnMut() -> bool) {
    let started = Instant::now();
    while !condition() {
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "timed out waiting for {what}"
        );
        std::thread::sleep(Duration::from_millis(10));
    }
}
