//! What a hostile tester found, each as a test that failed on the code before the fix: a guest
//! overwritten by a move, a DID AUTO stuck forever, a script applied twice, commands replayed
//! under a changed configuration, a state file emptied by a kill, a password sent along a
//! redirect, guest names left in the journal, connections that starve the simulator.

use std::fmt::Write as _;
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::process::Stdio;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use hotelcare::sim::Faults;

use crate::support::{Setup, TestPbx, hotelcare, text, wait_for};

#[test]
fn move_never_takes_another_guest_with_the_same_directory_name_for_the_mover() {
    let pbx = TestPbx::start();
    let output = pbx.run(
        "CHECKIN 1000 \"Mustermann,Maximilian\" DID 3000\nCHECKIN 2000 \"Mustermann,Maximiliane\" DID 3001 COS LOCAL\n",
    );
    assert!(output.status.success(), "{}", text(&output.stderr));
    let before = pbx.record("2000");
    let output = pbx.run("MOVE 1000 2000\n");
    assert_eq!(output.status.code(), Some(4), "{}", text(&output.stdout));
    let stderr = text(&output.stderr);
    assert!(stderr.contains("room 2000 is occupied"), "{stderr}");
    assert!(stderr.contains("nothing was changed"), "{stderr}");
    assert_eq!(
        pbx.record("2000"),
        before,
        "room 2000's guest keeps DID and COS"
    );
    assert_eq!(pbx.record("1000").did_service_number, "3000");
}

#[test]
fn a_did_auto_whose_kept_did_was_taken_meanwhile_chooses_again_on_retry() {
    let pbx = TestPbx::with(Setup {
        attempts: 1,
        ..Setup::default()
    });
    pbx.set_faults(Faults {
        latency_ms: 200,
        ..Faults::default()
    });
    let path = pbx.dir.path().join("auto.hc");
    std::fs::write(&path, "CHECKIN 1000 \"Auto,Anna\" DID AUTO\n").unwrap();
    let child = pbx
        .command()
        .arg("run")
        .arg(&path)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // Once the name is set, DID 3000 has been chosen: another system gives it to room 2000.
    wait_for("the check-in's first write", || {
        pbx.record("1000").last_name == "Auto"
    });
    let mut taken = pbx.record("2000");
    taken.did_service_number = "3000".into();
    pbx.simulator().set_record("2000", taken);
    let output = child.wait_with_output().unwrap();
    assert_eq!(output.status.code(), Some(4), "{}", text(&output.stderr));
    assert!(text(&output.stderr).contains("already used by room 2000"));
    pbx.set_faults(Faults::default());
    let retry = pbx.hotelcare().args(["queue", "retry"]).output().unwrap();
    let stdout = text(&retry.stdout);
    assert!(retry.status.success(), "{stdout}\n{}", text(&retry.stderr));
    assert!(stdout.contains("choosing another DID"), "{stdout}");
    let room = pbx.record("1000");
    assert_eq!(room.did_service_number, "3001");
    assert!(room.use_did_for_outgoing_calls);
    assert_eq!(
        room.cor_day, "1",
        "calls are allowed: the check-in is complete"
    );
    assert_eq!(pbx.record("2000").did_service_number, "3000");
}

#[test]
fn a_script_delivered_again_is_refused_unless_forced() {
    let pbx = TestPbx::start();
    let path = pbx.dir.path().join("batch.hc");
    std::fs::write(
        &path,
        "CHECKIN 1000 \"Solo,Alina\" REPLACE\nCOS 1000 LOCAL\n",
    )
    .unwrap();
    let first = pbx.hotelcare().arg("run").arg(&path).output().unwrap();
    assert!(first.status.success());
    let updates = pbx.simulator().stats().updates;
    let again = pbx.hotelcare().arg("run").arg(&path).output().unwrap();
    assert_eq!(again.status.code(), Some(1));
    let stderr = text(&again.stderr);
    assert!(stderr.contains("has the same content as"), "{stderr}");
    assert!(stderr.contains("apply every command twice"), "{stderr}");
    assert!(stderr.contains("--again"), "{stderr}");
    assert_eq!(pbx.simulator().stats().updates, updates, "nothing ran");
    let forced = pbx
        .hotelcare()
        .args(["run", "--again"])
        .arg(&path)
        .output()
        .unwrap();
    assert!(forced.status.success(), "{}", text(&forced.stderr));
    assert!(pbx.simulator().stats().updates > updates);

    // The spool: one event per file. The same content under another name is another event and
    // runs; the same file dropped again is refused, and `.again.hc` runs it.
    let spool = pbx.dir.path().join("spool");
    std::fs::create_dir_all(&spool).unwrap();
    std::fs::write(spool.join("redelivered.hc"), std::fs::read(&path).unwrap()).unwrap();
    let mut watch = pbx
        .command()
        .arg("watch")
        .arg(&spool)
        .args(["--interval-ms", "50", "--settle-ms", "100"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    wait_for("the other name's run", || {
        spool.join("done/redelivered.hc").exists()
    });
    std::fs::remove_file(spool.join("done/redelivered.hc")).unwrap();
    std::fs::write(spool.join("redelivered.hc"), std::fs::read(&path).unwrap()).unwrap();
    wait_for("the refusal", || {
        spool.join("failed/redelivered.hc").exists()
    });
    let report = std::fs::read_to_string(spool.join("failed/redelivered.hc.report.txt")).unwrap();
    assert!(report.contains("redelivered.again.hc"), "{report}");
    std::fs::write(
        spool.join("redelivered.again.hc"),
        std::fs::read(&path).unwrap(),
    )
    .unwrap();
    wait_for("the forced run", || {
        spool.join("done/redelivered.again.hc").exists()
    });
    watch.kill().unwrap();
    watch.wait().unwrap();
}

#[test]
fn commands_queued_with_number_transfer_fail_when_replayed_without_it() {
    let pbx = TestPbx::start();
    pbx.set_faults(Faults {
        refuse_connections: true,
        ..Faults::default()
    });
    let queued = pbx.run("CHECKIN 1000 \"Solo,Alina\" DID 3003\nDID 2000 3004\nCOS 2000 LOCAL\n");
    assert_eq!(queued.status.code(), Some(3));
    let config = std::fs::read_to_string(&pbx.config).unwrap();
    std::fs::write(
        &pbx.config,
        config.replace(
            "[number_transfer]\nenabled = true\n",
            "[number_transfer]\nenabled = false\n",
        ),
    )
    .unwrap();
    pbx.set_faults(Faults::default());
    let retry = pbx.hotelcare().args(["queue", "retry"]).output().unwrap();
    assert_eq!(retry.status.code(), Some(4), "never `done`");
    let stderr = text(&retry.stderr);
    assert!(
        stderr.contains("room 1000: CHECKIN is no longer valid under the current configuration"),
        "{stderr}"
    );
    assert!(
        stderr.contains("room 2000: DID is no longer valid"),
        "{stderr}"
    );
    assert!(
        stderr.contains("telephone number transfer is off"),
        "{stderr}"
    );
    assert_eq!(
        pbx.record("1000").last_name,
        "Room 1000",
        "not run without its DID"
    );
    assert_eq!(pbx.record("2000").cor_day, "3", "the valid command ran");
    let list = text(
        &pbx.hotelcare()
            .args(["queue", "list"])
            .output()
            .unwrap()
            .stdout,
    );
    assert!(list.contains("0 pending, 2 failed"), "{list}");
}

#[cfg(unix)]
#[test]
fn kills_never_leave_the_embedded_simulators_state_unreadable() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("hotelcare.toml"),
        "[run]\nmax_concurrency = 4\n[simulator]\nrooms = \"rooms.toml\"\n",
    )
    .unwrap();
    let mut rooms = String::new();
    for room in 1000..1020 {
        writeln!(
            rooms,
            "[[room]]\nextension = \"{room}\"\nlabel = \"Room {room}\""
        )
        .unwrap();
    }
    std::fs::write(dir.path().join("rooms.toml"), rooms).unwrap();
    let state = dir.path().join("state/simulator.json");
    for round in 0..12 {
        let script: String = (0..200)
            .map(|i| {
                format!(
                    "CHECKIN {} \"Round{round},Guest{i}\" REPLACE",
                    1000 + i % 20
                )
            })
            .collect::<Vec<_>>()
            .join("\n");
        let path = dir.path().join(format!("r{round}.hc"));
        std::fs::write(&path, script).unwrap();
        let mut child = std::process::Command::new(assert_cmd::cargo::cargo_bin("hotelcare"))
            .current_dir(dir.path())
            .args(["run"])
            .arg(&path)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        std::thread::sleep(Duration::from_millis(150 + 40 * round));
        child.kill().unwrap();
        child.wait().unwrap();
        if let Ok(text) = std::fs::read_to_string(&state) {
            serde_json::from_str::<serde_json::Value>(&text)
                .unwrap_or_else(|e| panic!("round {round}: unreadable state ({e}): {text:?}"));
        }
    }
    // And it still runs: what was queued is carried out.
    let output = hotelcare()
        .current_dir(dir.path())
        .args(["queue", "retry"])
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", text(&output.stderr));
}

#[test]
fn a_redirect_is_never_followed_and_names_its_target() {
    // The second server counts every connection it gets: there must be none.
    let elsewhere = TcpListener::bind("127.0.0.1:0").unwrap();
    let elsewhere_port = elsewhere.local_addr().unwrap().port();
    let visits = Arc::new(AtomicUsize::new(0));
    let counted = Arc::clone(&visits);
    elsewhere.set_nonblocking(true).unwrap();
    std::thread::spawn(move || {
        for _ in 0..400 {
            if elsewhere.accept().is_ok() {
                counted.fetch_add(1, Ordering::SeqCst);
            }
            std::thread::sleep(Duration::from_millis(10));
        }
    });
    let port = fake_pbx(move |stream, _| {
        let _ = write!(
            stream,
            "HTTP/1.1 307 Temporary Redirect\r\nLocation: http://127.0.0.1:{elsewhere_port}/x\r\nContent-Length: 0\r\n\r\n"
        );
    });
    let output = test_access(port);
    let stderr = text(&output.stderr);
    assert_eq!(output.status.code(), Some(3), "{stderr}");
    assert!(
        stderr.contains("a redirect to `http://127.0.0.1:"),
        "{stderr}"
    );
    assert!(stderr.contains("does not follow"), "{stderr}");
    assert!(
        stderr.contains("warning: `allow_plain_http` is on"),
        "{stderr}"
    );
    std::thread::sleep(Duration::from_millis(200));
    assert_eq!(
        visits.load(Ordering::SeqCst),
        0,
        "nothing went to the redirect's target"
    );
}

/// A plain-HTTP "PBX" on loopback that reads each request (up to 8 KiB, one read) and lets
/// `answer` write what it likes; its port. Up to four connections.
fn fake_pbx(answer: impl Fn(&mut TcpStream, &[u8]) + Send + 'static) -> u16 {
    let server = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = server.local_addr().unwrap().port();
    std::thread::spawn(move || {
        for stream in server.incoming().take(4) {
            let Ok(mut stream) = stream else { continue };
            let mut request = [0u8; 8192];
            let read = stream.read(&mut request).unwrap_or(0);
            answer(&mut stream, &request[..read]);
        }
    });
    port
}

/// `hotelcare test-access` against a plain-HTTP "PBX" on `port`, one attempt.
fn test_access(port: u16) -> std::process::Output {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("hotelcare.toml");
    std::fs::write(
        &config,
        format!(
            "[pbx]\nserver = \"http://127.0.0.1:{port}\"\nallow_plain_http = true\nuser = \"u\"\npassword = \"Secret-Pw\"\n\n[run.retry]\nattempts = 1\n"
        ),
    )
    .unwrap();
    hotelcare()
        .current_dir(dir.path())
        .arg("--config")
        .arg(&config)
        .arg("test-access")
        .output()
        .unwrap()
}

#[test]
fn a_request_names_its_host_and_port_once() {
    // What the MiVB's web server sees of hotelcare's request: one `Host` with the port.
    let (seen_tx, seen) = std::sync::mpsc::channel();
    let port = fake_pbx(move |stream, request| {
        let _ = seen_tx.send(String::from_utf8_lossy(request).into_owned());
        let _ = write!(
            stream,
            "HTTP/1.1 503 Service Unavailable\r\nContent-Length: 0\r\n\r\n"
        );
    });
    let output = test_access(port);
    let request = seen.recv_timeout(Duration::from_secs(10)).unwrap();
    let hosts: Vec<&str> = request
        .lines()
        .filter(|line| line.to_ascii_lowercase().starts_with("host:"))
        .collect();
    assert_eq!(hosts.len(), 1, "{request}");
    assert_eq!(
        hosts[0].split_once(':').map(|(_, v)| v.trim()),
        Some(format!("127.0.0.1:{port}").as_str()),
        "{request}"
    );
    assert!(!output.status.success());
}

#[test]
fn an_answer_that_is_not_utf8_is_shown_with_its_bad_bytes_replaced() {
    // A proxy in front of the MiVB answers in Latin-1 ("Wartung läuft"): the error shows it,
    // its one bad byte replaced, and never the password.
    let port = fake_pbx(|stream, _| {
        let body = b"Wartung l\xe4uft";
        let _ = write!(
            stream,
            "HTTP/1.1 503 Service Unavailable\r\nContent-Type: text/plain\r\nContent-Length: {}\r\n\r\n",
            body.len()
        );
        let _ = stream.write_all(body);
    });
    let output = test_access(port);
    let stderr = text(&output.stderr);
    assert!(!output.status.success(), "{stderr}");
    assert!(stderr.contains("503"), "{stderr}");
    assert!(stderr.contains("Wartung l\u{FFFD}uft"), "{stderr}");
    assert!(!stderr.contains("Secret-Pw"), "{stderr}");
}

#[test]
fn an_endless_answer_is_not_read_into_memory() {
    // A server that is not the MiVB answers with 40 MiB: hotelcare stops reading at 32 MiB.
    let port = fake_pbx(|stream, _| {
        let size = 40 << 20;
        let _ = write!(
            stream,
            "HTTP/1.1 200 OK\r\nContent-Type: text/xml\r\nContent-Length: {size}\r\n\r\n"
        );
        let chunk = vec![b' '; 1 << 20];
        for _ in 0..40 {
            if stream.write_all(&chunk).is_err() {
                break;
            }
        }
    });
    let output = test_access(port);
    let stderr = text(&output.stderr);
    assert_eq!(output.status.code(), Some(4), "{stderr}");
    assert!(
        stderr.contains("its answer is larger than 32 MiB"),
        "{stderr}"
    );
    assert!(!stderr.contains("Secret-Pw"), "{stderr}");
}

#[test]
fn a_finished_run_leaves_no_guest_name_in_the_journal() {
    let pbx = TestPbx::with(Setup {
        rooms: hotelcare::sim::Seed::range(1000, 30, 2),
        ..Setup::default()
    });
    let script: String = (0..150)
        .map(|i| {
            let room = 1000 + i % 30;
            format!("CHECKIN {room} \"Privacy{i:03},Person\"\nCHECKOUT {room}")
        })
        .collect::<Vec<_>>()
        .join("\n");
    let output = pbx.run(&script);
    assert!(output.status.success(), "{}", text(&output.stderr));
    let journal = std::fs::read(pbx.dir.path().join("state/journal.redb")).unwrap();
    let found = journal
        .windows(7)
        .filter(|window| *window == b"Privacy")
        .count();
    assert_eq!(found, 0, "guest names left in journal.redb");
}

#[test]
fn a_wrong_pin_is_named_as_such() {
    let pbx = TestPbx::with(Setup {
        trust_certificate: false,
        pbx_extra: format!("pin_sha256 = \"{}\"\n", "AB".repeat(32)),
        ..Setup::default()
    });
    let output = pbx.hotelcare().arg("test-access").output().unwrap();
    let stderr = text(&output.stderr);
    assert_eq!(output.status.code(), Some(3), "{stderr}");
    assert!(stderr.contains("is not trusted"), "{stderr}");
    assert!(stderr.contains("not the one in `pin_sha256`"), "{stderr}");
    assert!(!stderr.contains("unexpected error"), "{stderr}");
}

/// Open connections that never finish a request.
fn idle_connections(address: std::net::SocketAddr, count: usize, partial: &[u8]) -> Vec<TcpStream> {
    (0..count)
        .filter_map(|_| TcpStream::connect(address).ok())
        .map(|mut stream| {
            let _ = stream.write_all(partial);
            stream
        })
        .collect()
}

#[test]
fn idle_and_slow_connections_are_closed_and_good_clients_still_served() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let mut options = hotelcare::sim::Options::new("hotelcare", "pw");
    options.timeouts = hotelcare::sim::Timeouts {
        handshake: Duration::from_millis(300),
        header: Duration::from_millis(300),
        idle: Duration::from_millis(600),
    };
    let simulator = runtime
        .block_on(hotelcare::sim::Simulator::start(options))
        .unwrap();
    let address = simulator.address();
    // TLS handshakes that never start, requests whose headers never end.
    let mut silent = idle_connections(address, 30, b"");
    let mut slow = idle_connections(address, 30, b"\x16\x03\x01");
    std::thread::sleep(Duration::from_millis(1500));
    for stream in silent.iter_mut().chain(slow.iter_mut()) {
        stream
            .set_read_timeout(Some(Duration::from_secs(2)))
            .unwrap();
        let mut byte = [0u8; 64];
        // Closed by the server: end of file (or a reset), never a timeout.
        match stream.read(&mut byte) {
            Ok(n) => assert!(n < 64, "still open"),
            Err(error) => assert!(
                !matches!(
                    error.kind(),
                    std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                ),
                "still open: {error}"
            ),
        }
    }
    // A good client is still served: the binary logs in, trusting the pinned certificate.
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("hotelcare.toml");
    std::fs::write(
        &config,
        format!(
            "[pbx]\nserver = \"{address}\"\nuser = \"hotelcare\"\npassword_env = \"HOSTILE_PW\"\ntimeout_secs = 2\npin_sha256 = \"{}\"\n\n[run]\nstate_dir = \"state\"\nlog_dir = \"logs\"\n",
            simulator.pin_sha256().unwrap()
        ),
    )
    .unwrap();
    let output = crate::support::hotelcare()
        .current_dir(dir.path())
        .arg("--config")
        .arg(&config)
        .arg("test-access")
        .env("HOSTILE_PW", "pw")
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        crate::support::text(&output.stderr)
    );
    runtime.block_on(simulator.stop());
}

#[cfg(unix)]
#[test]
fn a_simulator_out_of_file_descriptors_recovers_once_idle_connections_time_out() {
    let mut child = std::process::Command::new("sh")
        .arg("-c")
        .arg(format!(
            "ulimit -n 48 && exec '{}' sim --listen 127.0.0.1:0 --plain --idle-timeout-ms 800 --header-timeout-ms 400",
            assert_cmd::cargo::cargo_bin("hotelcare").display()
        ))
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut stdout = std::io::BufReader::new(child.stdout.take().unwrap());
    let mut url = String::new();
    std::io::BufRead::read_line(&mut stdout, &mut url).unwrap();
    std::thread::spawn(move || std::io::copy(&mut stdout, &mut std::io::sink()));
    let address: std::net::SocketAddr = url.trim().trim_start_matches("http://").parse().unwrap();
    // More idle connections than the simulator has descriptors.
    let idle = idle_connections(address, 80, b"");
    std::thread::sleep(Duration::from_millis(2500));
    let mut good = TcpStream::connect(address).unwrap();
    good.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    write!(
        good,
        "GET /_sim/stats HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let mut answer = String::new();
    let _ = good.read_to_string(&mut answer);
    drop(idle);
    let _ = child.kill();
    let _ = child.wait();
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer:?}");
}

#[test]
fn a_damaged_simulator_state_is_refused_with_the_way_out() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("state")).unwrap();
    std::fs::write(dir.path().join("state/simulator.json"), "").unwrap();
    std::fs::write(dir.path().join("state/simulator.json.bak"), "{}").unwrap();
    let output = hotelcare()
        .current_dir(dir.path())
        .args(["run", "-"])
        .write_stdin("TEST\n")
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    let stderr = text(&output.stderr);
    assert!(stderr.contains("is damaged"), "{stderr}");
    assert!(stderr.contains("simulator.json.bak"), "{stderr}");
    assert_eq!(
        std::fs::read_to_string(dir.path().join("state/simulator.json.bak")).unwrap(),
        "{}",
        "the good copy is kept"
    );
}
