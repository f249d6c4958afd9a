//! Our own cost per PBX request (issue 25): the CPU time (user + system) of the `hotelcare run`
//! process, divided by the requests the simulator received, for 1,000 check-ins (with a DID: 5
//! requests each), 1,000 moves and 1,000 check-outs (4 each). The simulator runs in a process of
//! its own (`hotelcare sim`), without latency, so what is measured is hotelcare and not the PBX.
//! Linux only: the CPU time is what `getrusage` says the finished process used, to the
//! microsecond (the kernel's own count of the time its threads ran; `/proc/PID/stat`, read
//! before, has it in clock ticks of 10 ms, which made the 0.15 s check-out phase good to only
//! about 6 %). Best of three runs.
//!
//! Then the same three phases through `hotelcare serve`: a service started for each phase (on a
//! journal of its own), `hotelcare run` submitting the script to it and following it, the
//! service stopped; the CPU of both processes.
//!
//! Beside it, the floor: what a bare client (hyper's, the same TLS, kept-alive connections)
//! pays per HTTPS request to the same simulator, one at a time and 16 at a time, measured the
//! same way on this process: the kernel's, TLS's and HTTP's share of any request on this
//! machine, which no change to hotelcare can go below.
//!
//! `cargo bench --bench cpu_per_request` (about a minute). `HOTELCARE_BENCH_ROOMS=300` for a
//! shorter run; `HOTELCARE_BENCH_RUNS=1` for one run.

// A benchmark's report is what it prints; its counts are far below 2^52.
#![allow(clippy::print_stdout, clippy::cast_precision_loss)]

use std::fmt::Write as _;
use std::io::{BufRead as _, BufReader, Read as _, Write as _};
use std::net::TcpStream;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

mod support;

fn main() {
    if !support::requested() {
        return;
    }
    if !cfg!(target_os = "linux") {
        println!("cpu_per_request: Linux only (getrusage through nix)");
        return;
    }
    let rooms: u32 = support::count("HOTELCARE_BENCH_ROOMS", 1000);
    let runs: usize = support::count("HOTELCARE_BENCH_RUNS", 3);
    let phases = ["check-ins", "moves", "check-outs"];
    let mut best = [f64::MAX; 3];
    let mut best_served = [f64::MAX; 3];
    let mut floors = [f64::MAX; 2];
    println!("hotelcare's CPU per PBX request (`hotelcare run`, simulator in its own process)");
    for run in 1..=runs {
        let (measured, served, floor) = one_run(rooms);
        println!("  run {run}:{}", phases_line(&phases, &measured, &mut best));
        println!(
            "    through `hotelcare serve` (the service's CPU and its client's):{}",
            phases_line(&phases, &served, &mut best_served)
        );
        println!(
            "         floor (a bare client): one at a time {:.1} µs, 16 at a time {:.1} µs a request",
            floor[0], floor[1]
        );
        floors[0] = floors[0].min(floor[0]);
        floors[1] = floors[1].min(floor[1]);
    }
    for (title, best) in [("  best:", best), ("  best through serve:", best_served)] {
        let mut line = title.to_owned();
        for (name, best) in phases.iter().zip(best) {
            let _ = write!(line, "  {name} {best:.1} µs");
        }
        println!("{line}");
    }
    println!(
        "  (floor: {:.1} µs one at a time, {:.1} µs 16 at a time)",
        floors[0], floors[1]
    );
}

/// Each phase's µs per request (and what it took), kept in `best` if lower.
fn phases_line(names: &[&str], measured: &[Phase], best: &mut [f64; 3]) -> String {
    let mut line = String::new();
    for (index, (name, phase)) in names.iter().zip(measured).enumerate() {
        let per_request = phase.cpu.as_secs_f64() * 1e6 / phase.requests as f64;
        best[index] = best[index].min(per_request);
        let _ = write!(
            line,
            "  {name} {per_request:.1} µs ({} requests, {:.2} s CPU, {:.2} s wall)",
            phase.requests,
            phase.cpu.as_secs_f64(),
            phase.wall.as_secs_f64()
        );
    }
    line
}

/// Requests of the floor's bare client, at each concurrency.
const FLOOR_REQUESTS: usize = 10_000;

/// The CPU a bare client spends per HTTPS request to the simulator at `address`, `concurrency`
/// at a time, each over a kept-alive connection of its own, on a runtime of one thread (as
/// `hotelcare run`'s): this process's CPU time, in µs per request. The client is the stack
/// hotelcare's MiXML client uses (hyper's HTTP/1 connections, hyper-rustls, the same TLS),
/// without anything of hotelcare's.
fn floor(address: &str, concurrency: usize) -> f64 {
    use http_body_util::{BodyExt as _, Empty};
    use tower_service::Service as _;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a runtime");
    let mut tcp = hyper_util::client::legacy::connect::HttpConnector::new();
    tcp.enforce_http(false);
    tcp.set_nodelay(true);
    let connector = hyper_rustls::HttpsConnectorBuilder::new()
        .with_tls_config((*rustls_connector()).clone())
        .https_only()
        .enable_http1()
        .wrap_connector(tcp);
    let target: hyper::Uri = format!("https://{address}/").parse().expect("a URI");
    let host = hyper::header::HeaderValue::from_str(address).expect("a Host header");
    runtime.block_on(async {
        // Connections opened (and TLS handshakes done) before the measure.
        let mut senders = Vec::new();
        for _ in 0..concurrency {
            let stream = connector
                .clone()
                .call(target.clone())
                .await
                .expect("a connection");
            let (sender, connection) = hyper::client::conn::http1::handshake(stream)
                .await
                .expect("HTTP/1");
            tokio::spawn(connection);
            senders.push(sender);
        }
        let before = own_cpu();
        let per_task = FLOOR_REQUESTS / concurrency;
        let tasks: Vec<_> = senders
            .into_iter()
            .map(|mut sender| {
                let host = host.clone();
                tokio::spawn(async move {
                    for _ in 0..per_task {
                        let request = hyper::Request::builder()
                            .uri("/_sim/stats")
                            .header(hyper::header::HOST, host.clone())
                            .body(Empty::<bytes::Bytes>::new())
                            .expect("a request");
                        sender.ready().await.expect("ready");
                        let answer = sender.send_request(request).await.expect("an answer");
                        answer.into_body().collect().await.expect("a body");
                    }
                })
            })
            .collect();
        for task in tasks {
            task.await.expect("requests");
        }
        own_cpu().saturating_sub(before).as_secs_f64() * 1e6 / (per_task * concurrency) as f64
    })
}

/// This process's CPU time so far (user + system, every thread).
fn own_cpu() -> Duration {
    cpu(Whose::Own)
}

/// Whose CPU time `cpu` reads.
#[derive(Clone, Copy)]
enum Whose {
    Own,
    /// The children that have ended and been waited for.
    Children,
}

/// User + system CPU time, to the microsecond.
#[cfg(target_os = "linux")]
fn cpu(whose: Whose) -> Duration {
    use nix::sys::resource::{UsageWho, getrusage};
    use nix::sys::time::TimeValLike as _;
    let usage = getrusage(match whose {
        Whose::Own => UsageWho::RUSAGE_SELF,
        Whose::Children => UsageWho::RUSAGE_CHILDREN,
    })
    .expect("getrusage");
    let micros = usage.user_time().num_microseconds() + usage.system_time().num_microseconds();
    Duration::from_micros(u64::try_from(micros).unwrap_or(0))
}

#[cfg(not(target_os = "linux"))]
fn cpu(_: Whose) -> Duration {
    Duration::ZERO
}

/// One phase's cost.
struct Phase {
    requests: u64,
    cpu: Duration,
    wall: Duration,
}

/// The phases' scripts, in their order.
const FILES: [&str; 3] = ["checkins.hc", "moves.hc", "checkouts.hc"];

fn one_run(rooms: u32) -> (Vec<Phase>, [Phase; 3], [f64; 2]) {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path();
    // Rooms 10000.. are checked in, moved to 20000.., checked out there.
    let mut seed = String::new();
    for base in [10_000, 20_000] {
        for n in 0..rooms {
            let _ = writeln!(
                seed,
                "[[room]]\nextension = \"{}\"\nlabel = \"Room {}\"",
                base + n,
                base + n
            );
        }
    }
    std::fs::write(path.join("rooms.toml"), seed).expect("rooms");
    let (mut simulator, address) = simulator(path);
    let config = |state: &str| {
        format!(
            "[pbx]\nserver = \"{address}\"\nuser = \"hotelcare\"\npassword_env = \"HOTELCARE_BENCH_PASSWORD\"\nca_file = \"sim.pem\"\ntimeout_secs = 10\n\n\
             [number_transfer]\nenabled = true\nrange = \"30000-{}\"\n\n\
             [run]\nstate_dir = \"{state}\"\nlog_dir = \"logs\"\nmax_concurrency = 16\n",
            30_000 + rooms - 1
        )
    };
    std::fs::write(path.join("hotelcare.toml"), config("state")).expect("config");
    // The service's journal is a fresh one: the simulator's rooms are as the check-outs leave
    // them, ready for the same three phases again.
    std::fs::write(
        path.join("serve.toml"),
        config("served") + "\n[service]\nlisten = \"127.0.0.1:0\"\n",
    )
    .expect("config");
    let script = |name: &str, line: &dyn Fn(u32) -> String| {
        let mut text = String::new();
        for n in 0..rooms {
            text.push_str(&line(n));
            text.push('\n');
        }
        std::fs::write(path.join(name), text).expect("script");
    };
    script("checkins.hc", &|n| {
        format!(
            "CHECKIN {} \"Guest,Number{n}\" DID {}",
            10_000 + n,
            30_000 + n
        )
    });
    script("moves.hc", &|n| {
        format!("MOVE {} {}", 10_000 + n, 20_000 + n)
    });
    script("checkouts.hc", &|n| format!("CHECKOUT {}", 20_000 + n));
    let mut phases = Vec::new();
    for file in FILES {
        let before = requests(&address);
        let started = Instant::now();
        let child = Command::new(env!("CARGO_BIN_EXE_hotelcare"))
            .current_dir(path)
            .args(["--config", "hotelcare.toml", "run", file])
            .env("HOTELCARE_BENCH_PASSWORD", support::PASSWORD)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("hotelcare run");
        let cpu = cpu_at_exit(child);
        let wall = started.elapsed();
        phases.push(Phase {
            requests: requests(&address) - before,
            cpu,
            wall,
        });
    }
    let served = FILES.map(|file| served(path, &address, file));
    let floor = [floor(&address, 1), floor(&address, 16)];
    let _ = simulator.kill();
    let _ = simulator.wait();
    (phases, served, floor)
}

/// One phase through `hotelcare serve`: a service started for it, `hotelcare run` submitting
/// `file` to it and following it to the end, and the service stopped; the CPU of both (the
/// service's start and stop counted, as `run`'s are).
fn served(path: &Path, address: &str, file: &str) -> Phase {
    let before = requests(address);
    let cpu_before = cpu(Whose::Children);
    let started = Instant::now();
    let info = path.join("served/service.json");
    let _ = std::fs::remove_file(&info);
    let mut service = Command::new(env!("CARGO_BIN_EXE_hotelcare"))
        .current_dir(path)
        .args(["--config", "serve.toml", "serve"])
        .env("HOTELCARE_BENCH_PASSWORD", support::PASSWORD)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("hotelcare serve");
    while !info.exists() {
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "the service did not start"
        );
        std::thread::sleep(Duration::from_millis(5));
    }
    let status = Command::new(env!("CARGO_BIN_EXE_hotelcare"))
        .current_dir(path)
        .args(["--config", "serve.toml", "run", file])
        .env("HOTELCARE_BENCH_PASSWORD", support::PASSWORD)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .expect("hotelcare run");
    assert!(
        status.success(),
        "hotelcare run through the service ended with {status}"
    );
    let wall = started.elapsed();
    stop(&service);
    let status = service.wait().expect("wait");
    assert!(status.success(), "hotelcare serve ended with {status}");
    Phase {
        requests: requests(address) - before,
        cpu: cpu(Whose::Children).saturating_sub(cpu_before),
        wall,
    }
}

/// Asks `service` to stop, as a service manager does.
#[cfg(target_os = "linux")]
fn stop(service: &Child) {
    use nix::sys::signal::{Signal, kill};
    use nix::unistd::Pid;
    let pid = Pid::from_raw(i32::try_from(service.id()).expect("a PID"));
    kill(pid, Signal::SIGTERM).expect("SIGTERM");
}

#[cfg(not(target_os = "linux"))]
fn stop(_: &Child) {}

/// `hotelcare sim` on a free port, its certificate in `dir/sim.pem`; its address.
fn simulator(dir: &Path) -> (Child, String) {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .expect("a free port")
        .port();
    let address = format!("127.0.0.1:{port}");
    let mut child = Command::new(env!("CARGO_BIN_EXE_hotelcare"))
        .current_dir(dir)
        .args(["sim", "--listen", &address, "--rooms", "rooms.toml"])
        .args(["--cert-out", "sim.pem", "--password", support::PASSWORD])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("hotelcare sim");
    // Its URL on the first line: it listens.
    let mut first = String::new();
    BufReader::new(child.stdout.take().expect("stdout"))
        .read_line(&mut first)
        .expect("the simulator's URL");
    (child, address)
}

/// The requests the simulator has received (its test API, `GET /_sim/stats`, on its HTTPS
/// port).
fn requests(address: &str) -> u64 {
    let connector = rustls_connector();
    let host = rustls::pki_types::ServerName::try_from("localhost").expect("a name");
    let mut tls = rustls::ClientConnection::new(connector, host).expect("TLS");
    let mut socket = TcpStream::connect(address).expect("connect");
    let mut stream = rustls::Stream::new(&mut tls, &mut socket);
    write!(
        stream,
        "GET /_sim/stats HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n"
    )
    .expect("write");
    let mut answer = Vec::new();
    let _ = stream.read_to_end(&mut answer);
    let answer = String::from_utf8_lossy(&answer);
    let body = answer.split_once("\r\n\r\n").map_or("", |(_, body)| body);
    serde_json::from_str::<serde_json::Value>(body)
        .ok()
        .and_then(|stats| stats["requests"].as_u64())
        .expect("the simulator's request count")
}

/// A TLS client that trusts anything: the simulator's own certificate, on loopback, in a
/// benchmark.
fn rustls_connector() -> std::sync::Arc<rustls::ClientConfig> {
    #[derive(Debug)]
    struct Anything;
    impl rustls::client::danger::ServerCertVerifier for Anything {
        fn verify_server_cert(
            &self,
            _: &rustls::pki_types::CertificateDer<'_>,
            _: &[rustls::pki_types::CertificateDer<'_>],
            _: &rustls::pki_types::ServerName<'_>,
            _: &[u8],
            _: rustls::pki_types::UnixTime,
        ) -> Result<rustls::client::danger::ServerCertVerified, rustls::Error> {
            Ok(rustls::client::danger::ServerCertVerified::assertion())
        }
        fn verify_tls12_signature(
            &self,
            _: &[u8],
            _: &rustls::pki_types::CertificateDer<'_>,
            _: &rustls::DigitallySignedStruct,
        ) -> Result<rustls::client::danger::HandshakeSignatureValid, rustls::Error> {
            Ok(rustls::client::danger::HandshakeSignatureValid::assertion())
        }
        fn verify_tls13_signature(
            &self,
            _: &[u8],
            _: &rustls::pki_types::CertificateDer<'_>,
            _: &rustls::DigitallySignedStruct,
        ) -> Result<rustls::client::danger::HandshakeSignatureValid, rustls::Error> {
            Ok(rustls::client::danger::HandshakeSignatureValid::assertion())
        }
        fn supported_verify_schemes(&self) -> Vec<rustls::SignatureScheme> {
            rustls::crypto::ring::default_provider()
                .signature_verification_algorithms
                .supported_schemes()
        }
    }
    let config = rustls::ClientConfig::builder_with_provider(std::sync::Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .expect("TLS versions")
    .dangerous()
    .with_custom_certificate_verifier(std::sync::Arc::new(Anything))
    .with_no_client_auth();
    std::sync::Arc::new(config)
}

/// The CPU time (user + system, every thread) of `child` once it has ended: what waiting for
/// it adds to this process's children's (the simulator, also a child, is waited for only at
/// the end).
fn cpu_at_exit(mut child: Child) -> Duration {
    let before = cpu(Whose::Children);
    let status = child.wait().expect("wait");
    assert!(status.success(), "hotelcare run ended with {status}");
    cpu(Whose::Children).saturating_sub(before)
}
