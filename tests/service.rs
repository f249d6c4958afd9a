//! `hotelcare serve`: one service owns the journal; `run`, `queue`, `show` and a piped `repl`
//! are its clients over the local API; the API wants its token; a second service is refused;
//! a killed service resumes exactly once.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::Path;
use std::process::Stdio;
use std::time::{Duration, Instant};

use crate::support::{Service, TestPbx, text, wait_for};

/// Starts `hotelcare serve` (with a spool if given) and waits until it answers.
pub(crate) fn start_serve(pbx: &TestPbx, spool: Option<&Path>) -> (Service, SocketAddr) {
    let _ = std::fs::remove_file(pbx.dir.path().join("state/service.json"));
    let mut command = pbx.command();
    command.arg("serve");
    if let Some(spool) = spool {
        command
            .arg("--spool")
            .arg(spool)
            .args(["--interval-ms", "50", "--settle-ms", "200"]);
    }
    let child = Service::new(
        command
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap(),
    );
    let info = pbx.dir.path().join("state/service.json");
    wait_for("service.json", || info.exists());
    let info: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&info).unwrap()).unwrap();
    let address: SocketAddr = info["address"].as_str().unwrap().parse().unwrap();
    (child, address)
}

/// Asks the process `pid` to stop (SIGTERM on Unix).
pub(crate) fn stop_service(pid: u32) {
    #[cfg(unix)]
    let _ = std::process::Command::new("kill")
        .args(["-TERM", &pid.to_string()])
        .status();
    #[cfg(not(unix))]
    let _ = pid;
}

pub(crate) fn stop(mut child: Service) {
    #[cfg(unix)]
    {
        stop_service(child.id());
        let deadline = Instant::now() + Duration::from_secs(20);
        while Instant::now() < deadline {
            if child.try_wait().unwrap().is_some() {
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }
    child.kill().unwrap();
    child.wait().unwrap();
}

fn token(pbx: &TestPbx) -> String {
    std::fs::read_to_string(pbx.dir.path().join("state/api-token"))
        .unwrap()
        .trim()
        .to_owned()
}

/// One plain HTTP/1.1 request; the status code and the body.
pub(crate) fn request(address: SocketAddr, head: &str, body: &str) -> (u16, String) {
    let mut stream = TcpStream::connect(address).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(20)))
        .unwrap();
    // A server that refuses at once (503) may close before the request is written.
    let _ = write!(
        stream,
        "{head}\r\nHost: localhost\r\nConnection: close\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    );
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

#[test]
fn with_a_service_running_the_cli_and_a_piped_repl_are_its_clients() {
    let pbx = TestPbx::start();
    let spool = pbx.dir.path().join("spool");
    std::fs::create_dir_all(&spool).unwrap();
    let (service, address) = start_serve(&pbx, Some(&spool));

    let listed = pbx.hotelcare().args(["queue", "list"]).output().unwrap();
    assert!(listed.status.success(), "{}", text(&listed.stderr));
    assert!(text(&listed.stdout).contains("the journal is empty"));

    let ran = pbx.run("CHECKIN 1000 \"Solo,Alina\" DID 3000\nCOS 1000 LOCAL\n");
    assert!(ran.status.success(), "{}", text(&ran.stderr));
    let stdout = text(&ran.stdout);
    assert!(
        stdout.contains("1000  CHECKIN   set  User Profile"),
        "{stdout}"
    );
    assert!(stdout.contains("script.hc:2)"), "{stdout}");
    assert!(text(&ran.stderr).contains("sent to the hotelcare service"));
    assert_eq!(pbx.record("1000").cor_day, "3");

    let shown = pbx.hotelcare().args(["show", "1000"]).output().unwrap();
    assert!(shown.status.success(), "{}", text(&shown.stderr));
    assert!(
        text(&shown.stdout).contains("\"Solo,Alina\""),
        "{}",
        text(&shown.stdout)
    );

    let mut repl = pbx
        .command()
        .arg("repl")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    repl.stdin
        .take()
        .unwrap()
        .write_all(b"MOVE 1000 2000\n")
        .unwrap();
    let repl = repl.wait_with_output().unwrap();
    assert!(repl.status.success(), "{}", text(&repl.stderr));
    assert_eq!(pbx.record("2000").directory_name, "Solo,Alina");

    std::fs::write(spool.join("late.hc"), "CHECKOUT 2000\n").unwrap();
    wait_for("late.hc in done/", || spool.join("done/late.hc").exists());
    assert_eq!(pbx.record("2000").directory_name, "Room 2000");

    let rooms = pbx.hotelcare().arg("rooms").output().unwrap();
    assert!(rooms.status.success(), "{}", text(&rooms.stderr));
    assert!(
        text(&rooms.stdout).contains("2000  vacant"),
        "{}",
        text(&rooms.stdout)
    );
    let some = pbx
        .hotelcare()
        .args(["rooms", "2000", "1234"])
        .output()
        .unwrap();
    let some = text(&some.stdout);
    assert!(
        some.contains("2000  vacant") && !some.contains("1000  "),
        "{some}"
    );
    assert!(
        some.contains("1234  (never changed by hotelcare)"),
        "{some}"
    );

    // The API wants the token, and says nothing about it.
    let (status, body) = request(address, "GET /v1/queue HTTP/1.1", "");
    assert_eq!(status, 401, "{body}");
    let (status, _) = request(
        address,
        "GET /v1/queue HTTP/1.1\r\nAuthorization: Bearer wrong",
        "",
    );
    assert_eq!(status, 401);
    let (status, body) = request(address, "GET /v1/health HTTP/1.1", "");
    assert_eq!((status, body.as_str()), (200, "ok"));
    let (status, body) = request(
        address,
        &format!(
            "POST /v1/scripts?source=bad.hc HTTP/1.1\r\nAuthorization: Bearer {}",
            token(&pbx)
        ),
        "CHECKOUT 1000\nCOS 1000 GOLD\n",
    );
    assert_eq!(status, 422, "{body}");
    assert!(body.contains("bad.hc:2:10"), "{body}");
    let (status, body) = request(
        address,
        &format!(
            "GET /metrics HTTP/1.1\r\nAuthorization: Bearer {}",
            token(&pbx)
        ),
        "",
    );
    assert_eq!(status, 200);
    assert!(body.contains("hotelcare_commands_done_total 4"), "{body}");
    assert!(
        body.contains("hotelcare_commands_accepted_total 4"),
        "{body}"
    );

    stop(service);
    let log = std::fs::read_to_string(pbx.dir.path().join("logs/hotelcare-service.log")).unwrap();
    for source in ["script.hc:2)", "(<stdin>:1)", "late.hc:1", "(api:1)"] {
        assert!(log.contains(source), "{source} not in the log:\n{log}");
    }
    assert!(!pbx.dir.path().join("state/service.json").exists());
}

#[test]
fn events_stream_the_commands_of_another_client_and_a_second_service_is_refused() {
    let pbx = TestPbx::start();
    let (service, address) = start_serve(&pbx, None);
    let second = pbx.hotelcare().arg("serve").output().unwrap();
    assert_eq!(second.status.code(), Some(2));
    let refusal = text(&second.stderr);
    assert!(refusal.contains("another hotelcare service"), "{refusal}");
    assert!(refusal.contains(&address.to_string()), "{refusal}");

    let mut reader = event_stream(address, &token(&pbx), "");
    std::thread::sleep(Duration::from_millis(100));

    let ran = pbx.run("CHECKIN 1000 \"Solo,Alina\"\n");
    assert!(ran.status.success(), "{}", text(&ran.stderr));
    let mut seen = String::new();
    let deadline = Instant::now() + Duration::from_secs(20);
    while Instant::now() < deadline && !seen.contains("\"outcome\":\"done\"") {
        let mut line = String::new();
        if reader.read_line(&mut line).unwrap() == 0 {
            break;
        }
        seen.push_str(&line);
    }
    assert!(seen.contains("script.hc:1\""), "{seen}");
    assert!(seen.contains("\"outcome\":\"done\""), "{seen}");
    stop(service);
}

/// SIGKILL while scripts arrive over the API and the spool: after the restart every accepted
/// command is carried out exactly once, and the rooms end as sequential execution leaves them.
#[cfg(unix)]
#[test]
fn a_service_killed_mid_load_resumes_and_ends_as_sequential_execution() {
    use hotelcare::sim::Faults;

    let pbx = TestPbx::with(crate::support::Setup {
        rooms: hotelcare::sim::Seed::numbered(&["1000", "2000", "3000", "4000"], 2),
        ..crate::support::Setup::default()
    });
    pbx.set_faults(Faults {
        latency_ms: 15,
        ..Faults::default()
    });
    let spool = pbx.dir.path().join("spool");
    std::fs::create_dir_all(&spool).unwrap();
    let (mut service, address) = start_serve(&pbx, Some(&spool));
    // Batch files arrive over the spool while the API's script runs: each must run once (a
    // check-in run twice would fail on its own occupied room and land the file in failed/).
    std::fs::write(spool.join("a.hc"), "CHECKIN 3000 \"Spool,One\"\n").unwrap();
    std::fs::write(
        spool.join("b.hc"),
        "CHECKIN 4000 \"Spool,Two\"\nCOS 4000 LOCAL\n",
    )
    .unwrap();
    // 46 commands; the last word on each room decides its final state.
    let mut script = String::new();
    for round in 0..15 {
        std::fmt::Write::write_fmt(
            &mut script,
            format_args!("CHECKIN 1000 \"Guest{round},A\"\nCOS 1000 LOCAL\nCHECKOUT 1000\n"),
        )
        .unwrap();
    }
    script.push_str("CHECKIN 2000 \"Last,Guest\"\n");
    let (status, body) = request(
        address,
        &format!(
            "POST /v1/scripts?source=load.hc HTTP/1.1\r\nAuthorization: Bearer {}",
            token(&pbx)
        ),
        &script,
    );
    assert_eq!(status, 200, "{body}");
    wait_for("some commands done", || {
        pbx.record("1000").directory_name.starts_with("Guest3")
    });
    service.kill().unwrap();
    service.wait().unwrap();

    let (service, _) = start_serve(&pbx, Some(&spool));
    wait_for("both batch files done", || {
        spool.join("done/a.hc").exists() && spool.join("done/b.hc").exists()
    });
    assert!(
        !spool.join("failed").join("a.hc").exists() && !spool.join("failed").join("b.hc").exists()
    );
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let listed = pbx.hotelcare().args(["queue", "list"]).output().unwrap();
        if text(&listed.stdout).contains("the journal is empty") {
            break;
        }
        assert!(Instant::now() < deadline, "{}", text(&listed.stdout));
        std::thread::sleep(Duration::from_millis(200));
    }
    assert_eq!(pbx.record("1000").directory_name, "Room 1000");
    assert_eq!(pbx.record("1000").cor_day, "2");
    assert_eq!(pbx.record("2000").directory_name, "Last,Guest");
    assert_eq!(pbx.record("3000").directory_name, "Spool,One");
    assert_eq!(pbx.record("4000").cor_day, "3");
    stop(service);
}

#[test]
fn bad_requests_get_clear_http_errors_and_the_service_stays_up() {
    let pbx = TestPbx::start();
    let (service, address) = start_serve(&pbx, None);
    let auth = format!("Authorization: Bearer {}", token(&pbx));

    // Not UTF-8: 400, and nothing accepted.
    let mut stream = TcpStream::connect(address).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(20)))
        .unwrap();
    let body = b"CHECKOUT 1000\n\xff\xfe\n";
    write!(
        stream,
        "POST /v1/scripts HTTP/1.1\r\nHost: localhost\r\n{auth}\r\nConnection: close\r\nContent-Length: {}\r\n\r\n",
        body.len()
    )
    .unwrap();
    stream.write_all(body).unwrap();
    let mut answer = String::new();
    let _ = stream.read_to_string(&mut answer);
    assert!(answer.starts_with("HTTP/1.1 400"), "{answer}");
    assert!(answer.contains("not UTF-8"), "{answer}");

    // Too large (100 MB announced): 413 before the body is read.
    let mut stream = TcpStream::connect(address).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(20)))
        .unwrap();
    write!(
        stream,
        "POST /v1/scripts HTTP/1.1\r\nHost: localhost\r\n{auth}\r\nConnection: close\r\nContent-Length: 104857600\r\n\r\nCHECKOUT 1000\n"
    )
    .unwrap();
    let mut answer = Vec::new();
    let _ = stream.read_to_end(&mut answer);
    let answer = String::from_utf8_lossy(&answer);
    assert!(answer.starts_with("HTTP/1.1 413"), "{answer}");

    // Unknown query fields: 400.
    let (status, _) = request(
        address,
        &format!("POST /v1/scripts?sourse=x.hc HTTP/1.1\r\n{auth}"),
        "CHECKOUT 1000\n",
    );
    assert_eq!(status, 400);

    // Too many connections: the one over the limit is told so; the others are served.
    let idle: Vec<TcpStream> = (0..64)
        .map(|_| TcpStream::connect(address).unwrap())
        .collect();
    std::thread::sleep(Duration::from_millis(200));
    let (status, body) = request(address, "GET /v1/health HTTP/1.1", "");
    assert_eq!(status, 503, "{body}");
    drop(idle);
    std::thread::sleep(Duration::from_millis(200));
    let (status, body) = request(address, "GET /v1/health HTTP/1.1", "");
    assert_eq!((status, body.as_str()), (200, "ok"));

    let listed = pbx.hotelcare().args(["queue", "list"]).output().unwrap();
    assert!(
        text(&listed.stdout).contains("the journal is empty"),
        "nothing half-accepted"
    );
    stop(service);
}

#[cfg(unix)]
#[test]
fn a_client_that_loses_the_service_says_where_its_commands_stand() {
    use hotelcare::sim::Faults;

    let pbx = TestPbx::start();
    pbx.set_faults(Faults {
        latency_ms: 50,
        ..Faults::default()
    });
    let (mut service, _) = start_serve(&pbx, None);
    let script = pbx.dir.path().join("long.hc");
    let lines = (0..20).fold(String::new(), |mut lines, round| {
        std::fmt::Write::write_fmt(
            &mut lines,
            format_args!("CHECKIN 1000 \"G{round},A\"\nCHECKOUT 1000\n"),
        )
        .unwrap();
        lines
    });
    std::fs::write(&script, lines).unwrap();
    let run = pbx
        .command()
        .arg("run")
        .arg(&script)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    wait_for("the first check-in", || {
        pbx.record("1000").directory_name.starts_with("G0")
    });
    service.kill().unwrap();
    service.wait().unwrap();
    let output = run.wait_with_output().unwrap();
    assert_eq!(output.status.code(), Some(3));
    let stderr = text(&output.stderr);
    assert!(stderr.contains("lost the hotelcare service"), "{stderr}");
    assert!(stderr.contains("queue list"), "{stderr}");
}

/// The REPL on a terminal, attached to the service: its own commands, and the others' marked
/// with their source.
#[cfg(unix)]
#[test]
fn the_repl_on_a_terminal_attaches_to_the_service_and_shows_its_monitor() {
    use expectrl::{Expect, Session};

    let pbx = TestPbx::start();
    let (service, _) = start_serve(&pbx, None);
    let mut command = pbx.command();
    command.arg("repl").env("TERM", "xterm");
    let mut repl = Session::spawn(command).unwrap();
    repl.set_expect_timeout(Some(Duration::from_secs(15)));
    repl.expect("attached to the hotelcare service").unwrap();
    repl.expect("hotelcare(service 127.0.0.1:").unwrap();
    repl.send_line("CHECKIN 1000 \"Solo,Alina\"").unwrap();
    repl.expect("CHECKIN   done").unwrap();
    let ran = pbx.run("COS 1000 LOCAL\n");
    assert!(ran.status.success(), "{}", text(&ran.stderr));
    repl.expect("script.hc:1] ").unwrap();
    repl.expect("COS       done").unwrap();
    repl.send_line(".quit").unwrap();
    repl.expect(expectrl::Eof).unwrap();
    assert_eq!(pbx.record("1000").cor_day, "3");
    stop(service);
}

/// The REPL attached to a service does what it does on a core of its own: `.plan on` checks and
/// shows, and sends nothing; `.raw on` shows what goes over the wire; Tab completes an
/// extension the PBX has.
#[cfg(unix)]
#[test]
fn the_attached_repl_plans_shows_the_wire_and_completes_extensions() {
    use expectrl::{Expect, Session};

    let pbx = TestPbx::start();
    let ran = pbx.run("CHECKIN 1000 \"Solo,Alina\"\n");
    assert!(ran.status.success(), "{}", text(&ran.stderr));
    let (service, _) = start_serve(&pbx, None);
    let mut command = pbx.command();
    command.arg("repl").env("TERM", "xterm");
    let mut repl = Session::spawn(command).unwrap();
    repl.set_expect_timeout(Some(Duration::from_secs(15)));
    repl.expect("hotelcare(service 127.0.0.1:").unwrap();

    repl.send_line(".plan on").unwrap();
    repl.expect("plan mode: commands are checked and shown, nothing is sent")
        .unwrap();
    repl.expect(" plan)> ").unwrap();
    repl.send_line("CHECKOUT 1000").unwrap();
    repl.expect("CHECKOUT  set  User Profile     Last Name=$1.Service Label")
        .unwrap();
    repl.expect(" plan)> ").unwrap();
    assert_eq!(
        pbx.record("1000").directory_name,
        "Solo,Alina",
        "a planned check-out is not sent"
    );
    repl.send_line(".plan off").unwrap();
    repl.expect("plan mode off").unwrap();

    repl.send_line(".raw on").unwrap();
    repl.expect("raw envelopes on").unwrap();
    repl.send("SHOW 10\t").unwrap();
    repl.expect("SHOW 1000").unwrap();
    repl.send("\r").unwrap();
    repl.expect("<soap").unwrap();
    repl.expect("room 1000 (\"Room 1000\")").unwrap();
    repl.send_line(".quit").unwrap();
    repl.expect(expectrl::Eof).unwrap();
    assert_eq!(pbx.record("1000").directory_name, "Solo,Alina");
    stop(service);
}

/// A running service does not keep finished guests' names in its journal file longer than
/// `[run] retention_secs`.
#[test]
fn a_running_service_compacts_finished_guests_out_of_its_journal() {
    let pbx = TestPbx::start();
    let config = std::fs::read_to_string(&pbx.config).unwrap();
    std::fs::write(
        &pbx.config,
        config.replacen("[run]\n", "[run]\nretention_secs = 1\n", 1),
    )
    .unwrap();
    let (service, _) = start_serve(&pbx, None);
    let ran = pbx.run("CHECKIN 1000 \"Zyxwvuts,Qponmlk\"\nCOS 1000 LOCAL\nCHECKOUT 1000\n");
    assert!(ran.status.success(), "{}", text(&ran.stderr));
    let journal = pbx.dir.path().join("state/journal.redb");
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let bytes = std::fs::read(&journal).unwrap();
        if !bytes.windows(8).any(|w| w == b"Zyxwvuts") {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the guest's name is still in the journal file"
        );
        std::thread::sleep(Duration::from_millis(200));
    }
    // The service goes on working with the compacted journal.
    let ran = pbx.run("CHECKIN 2000 \"Solo,Alina\"\n");
    assert!(ran.status.success(), "{}", text(&ran.stderr));
    assert_eq!(pbx.record("2000").directory_name, "Solo,Alina");
    stop(service);
}

/// A client that resends after a lost answer gives the same `Idempotency-Key`: refused the
/// second time, whatever the content; different keys with the same content both run.
#[test]
fn an_idempotency_key_makes_a_resent_request_the_same_one() {
    let pbx = TestPbx::start();
    let (service, address) = start_serve(&pbx, None);
    let post = |key: &str, body: &str| {
        request(
            address,
            &format!(
                "POST /v1/scripts?source=pms HTTP/1.1\r\nAuthorization: Bearer {}\r\nIdempotency-Key: {key}",
                token(&pbx)
            ),
            body,
        )
    };
    let (status, body) = post("event-1", "COS 1000 LOCAL\n");
    assert_eq!(status, 200, "{body}");
    let (status, body) = post("event-1", "COS 1000 LOCAL\n");
    assert_eq!(status, 409, "{body}");
    assert!(
        body.contains("Idempotency-Key `event-1` was used"),
        "{body}"
    );
    // The same content under another key is another event.
    let (status, body) = post("event-2", "COS 1000 LOCAL\n");
    assert_eq!(status, 200, "{body}");
    let (status, body) = post("", "COS 1000 LOCAL\n");
    assert_eq!(status, 400, "{body}");
    stop(service);
}

/// A copy of the state directory (a backup) carries `service.json` along; a client of the copy
/// works on the copy, never sends its commands to the live service.
#[test]
fn a_copy_of_the_state_directory_does_not_reach_the_live_service() {
    let pbx = TestPbx::start();
    let (service, _) = start_serve(&pbx, None);
    let backup = pbx.dir.path().join("backup");
    std::fs::create_dir_all(backup.join("state")).unwrap();
    for file in ["service.json", "api-token"] {
        std::fs::copy(
            pbx.dir.path().join("state").join(file),
            backup.join("state").join(file),
        )
        .unwrap();
    }
    let config = std::fs::read_to_string(&pbx.config).unwrap().replace(
        "state_dir = \"state\"",
        &format!("state_dir = {:?}", backup.join("state")),
    );
    // Beside the live one (its `ca_file` is relative to it).
    let backup_config = pbx.dir.path().join("backup.toml");
    std::fs::write(&backup_config, config).unwrap();
    let script = backup.join("script.hc");
    std::fs::write(&script, "COS 1000 LOCAL\n").unwrap();
    let ran = crate::support::hotelcare()
        .current_dir(&backup)
        .arg("--config")
        .arg(&backup_config)
        .env("HOTELCARE_TEST_PBX_PASSWORD", crate::support::PASSWORD)
        .arg("run")
        .arg(&script)
        .output()
        .unwrap();
    assert!(ran.status.success(), "{}", text(&ran.stderr));
    assert!(
        !text(&ran.stderr).contains("sent to the hotelcare service"),
        "{}",
        text(&ran.stderr)
    );
    // The live service's journal has nothing of it.
    let listed = pbx.hotelcare().args(["queue", "list"]).output().unwrap();
    assert!(text(&listed.stdout).contains("the journal is empty"));
    stop(service);
}

/// Clients without the token cannot lock out those with it: a connection that has not shown
/// the token is closed after each answer, and past a small share of the connection limit it is
/// refused unless its first request shows the token. The CLI still gets in.
#[test]
fn clients_without_the_token_cannot_lock_out_those_with_it() {
    let pbx = TestPbx::start();
    let (service, address) = start_serve(&pbx, None);
    // A monitor that keeps its connection alive: answered, then the connection is closed.
    let mut pinger = TcpStream::connect(address).unwrap();
    pinger
        .set_read_timeout(Some(Duration::from_secs(5)))
        .unwrap();
    write!(pinger, "GET /v1/health HTTP/1.1\r\nHost: localhost\r\n\r\n").unwrap();
    let mut answer = String::new();
    let _ = pinger.read_to_string(&mut answer);
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    assert!(
        answer.to_ascii_lowercase().contains("connection: close"),
        "{answer}"
    );
    // Forty connections that say nothing hold their places...
    let silent: Vec<TcpStream> = (0..40)
        .map(|_| TcpStream::connect(address).unwrap())
        .collect();
    std::thread::sleep(Duration::from_millis(200));
    // ...past the anonymous share, one more without the token is refused at once,
    let (status, _) = request(address, "GET /v1/health HTTP/1.1", "");
    assert_eq!(status, 503);
    // and the CLI, which has it, gets in.
    let listed = pbx.hotelcare().args(["queue", "list"]).output().unwrap();
    assert!(listed.status.success(), "{}", text(&listed.stderr));
    assert!(text(&listed.stdout).contains("the journal is empty"));
    drop(silent);
    stop(service);
}

/// `hotelcare status`: one screen, exit 0 only while all is well.
#[test]
fn status_shows_the_service_its_pbx_and_queue_and_exits_0_only_when_all_is_well() {
    let pbx = TestPbx::start();
    let alone = pbx.hotelcare().arg("status").output().unwrap();
    assert_eq!(alone.status.code(), Some(3), "{}", text(&alone.stdout));
    assert!(text(&alone.stdout).contains("service:  not running"));

    let (service, _) = start_serve(&pbx, None);
    let well = pbx.hotelcare().arg("status").output().unwrap();
    let screen = text(&well.stdout);
    assert_eq!(well.status.code(), Some(0), "{screen}");
    assert!(screen.contains("service:  running (PID "), "{screen}");
    assert!(screen.contains("answers"), "{screen}");
    assert!(screen.contains("queue:    0 pending, 0 failed"), "{screen}");
    assert!(screen.ends_with("all is well\n"), "{screen}");

    pbx.set_faults(hotelcare::sim::Faults {
        refuse_connections: true,
        ..hotelcare::sim::Faults::default()
    });
    let queued = pbx.run("COS 1000 LOCAL\n");
    assert_eq!(queued.status.code(), Some(3), "{}", text(&queued.stderr));
    let down = pbx
        .hotelcare()
        .args(["--format", "json", "status"])
        .output()
        .unwrap();
    assert_eq!(down.status.code(), Some(3));
    let json: serde_json::Value = serde_json::from_slice(&down.stdout).unwrap();
    assert_eq!(json["well"], false, "{json}");
    assert_eq!(json["pbxs"][0]["reachable"], false, "{json}");
    assert_eq!(json["pending"], 1, "{json}");
    assert!(json["last_problem"][0].as_str().is_some(), "{json}");
    pbx.set_faults(hotelcare::sim::Faults::default());
    stop(service);
}

/// The service's standard output names no guest unless `--monitor` asks for the monitor.
#[test]
fn the_services_stdout_names_guests_only_with_monitor() {
    for monitor in [false, true] {
        let pbx = TestPbx::start();
        let mut command = pbx.command();
        command.arg("serve");
        if monitor {
            command.arg("--monitor");
        }
        let mut child = Service::new(
            command
                .stdout(Stdio::piped())
                .stderr(Stdio::null())
                .spawn()
                .unwrap(),
        );
        let info = pbx.dir.path().join("state/service.json");
        wait_for("service.json", || info.exists());
        let ran = pbx.run("CHECKIN 1000 \"Zyxwvuts,Qponmlk\"\n");
        assert!(ran.status.success(), "{}", text(&ran.stderr));
        crate::service::stop_service(child.id());
        let mut stdout = String::new();
        child
            .stdout
            .take()
            .unwrap()
            .read_to_string(&mut stdout)
            .unwrap();
        assert_eq!(
            stdout.contains("Zyxwvuts"),
            monitor,
            "--monitor {monitor}: {stdout}"
        );
    }
}

/// A PBX down for a long time: each retry round of the service logs one line for the PBX (and
/// a failed request per concurrency slot), not a "queued" line per command every round — a
/// long outage must not rotate the audit trail away.
#[test]
fn a_retry_round_of_a_down_pbx_logs_a_line_for_the_pbx_not_one_per_command() {
    let pbx = TestPbx::start();
    pbx.set_faults(hotelcare::sim::Faults {
        refuse_connections: true,
        ..hotelcare::sim::Faults::default()
    });
    let mut script = String::new();
    for room in 1000..1020 {
        script.push_str("COS ");
        script.push_str(&room.to_string());
        script.push_str(" BLOCK\n");
    }
    assert_eq!(pbx.run(&script).status.code(), Some(3));
    let (service, _) = start_serve(&pbx, None);
    let log = pbx.dir.path().join("logs/hotelcare-service.log");
    let read = || std::fs::read_to_string(&log).unwrap_or_default();
    wait_for("three retry rounds", || {
        read().matches("WARN the PBX is unreachable (after").count() >= 3
    });
    let text = read();
    // Each command's "queued" line at most once, however many rounds.
    let origins: Vec<&str> = text
        .lines()
        .filter(|line| line.contains("COS       queued"))
        .filter_map(|line| line.split("script.hc:").nth(1))
        .filter_map(|rest| rest.split(')').next())
        .collect();
    let mut unique = origins.clone();
    unique.sort_unstable();
    unique.dedup();
    assert!(!origins.is_empty(), "{text}");
    assert_eq!(
        origins.len(),
        unique.len(),
        "a command logged queued twice: {text}"
    );
    stop(service);
}

/// A long `run` through the service shows its progress line on a terminal, as it does on a core
/// of its own (issue 23, item 11).
#[cfg(unix)]
#[test]
fn a_long_run_through_the_service_shows_the_progress_line_on_a_terminal() {
    use std::fmt::Write as _;

    use expectrl::{Expect, Session};

    let pbx = TestPbx::start();
    // 150 commands a room, one after the other, 40 ms each: longer than the line's 3 s delay.
    pbx.set_faults(hotelcare::sim::Faults {
        latency_ms: 40,
        ..hotelcare::sim::Faults::default()
    });
    let (service, _) = start_serve(&pbx, None);
    let mut script = String::new();
    for n in 0..300 {
        let room = if n % 2 == 0 { 1000 } else { 2000 };
        let level = if n % 3 == 0 { "BLOCK" } else { "ALLOW" };
        let _ = writeln!(script, "COS {room} {level}");
    }
    std::fs::write(pbx.dir.path().join("long.hc"), script).unwrap();
    let mut command = pbx.command();
    command.arg("run").arg("long.hc").env("TERM", "xterm");
    let mut run = Session::spawn(command).unwrap();
    run.set_expect_timeout(Some(Duration::from_secs(30)));
    run.expect("/300 commands done (").unwrap();
    run.expect(expectrl::Eof).unwrap();
    stop(service);
}

/// `GET /v1/events?QUERY` on the service at `address`: the stream, past its headers.
fn event_stream(address: SocketAddr, token: &str, query: &str) -> BufReader<TcpStream> {
    let mut stream = TcpStream::connect(address).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(20)))
        .unwrap();
    write!(
        stream,
        "GET /v1/events{query} HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer {token}\r\n\r\n"
    )
    .unwrap();
    let mut reader = BufReader::new(stream);
    let mut line = String::new();
    reader.read_line(&mut line).unwrap();
    assert!(line.contains("200"), "{line}");
    while line.trim() != "" {
        line.clear();
        reader.read_line(&mut line).unwrap();
    }
    reader
}

/// The step events a stream tells until the next command is done.
fn steps_until_done(reader: &mut BufReader<TcpStream>) -> Vec<serde_json::Value> {
    let mut steps = Vec::new();
    let deadline = Instant::now() + Duration::from_secs(20);
    while Instant::now() < deadline {
        let mut line = String::new();
        if reader.read_line(&mut line).unwrap() == 0 {
            break;
        }
        let Some(data) = line.trim().strip_prefix("data: ") else {
            continue;
        };
        let event: serde_json::Value = serde_json::from_str(data).unwrap();
        match event["type"].as_str() {
            Some("step") => steps.push(event),
            Some("finished") => {
                assert_eq!(event["outcome"], "done", "{event}");
                return steps;
            }
            _ => {}
        }
    }
    panic!("no command was done within 20 s; steps seen: {steps:?}");
}

fn texts(event: &serde_json::Value, key: &str) -> Vec<String> {
    event[key]
        .as_array()
        .unwrap_or_else(|| panic!("no `{key}` in {event}"))
        .iter()
        .map(ToString::to_string)
        .collect()
}

/// What the service makes only for a listener that shows it (issue 25: a copy of what went over
/// the wire, the monitor's JSON lines) is made while such a listener is connected, and each
/// listener gets what it asked for; `run` through the service prints the same as before.
#[test]
fn each_listener_gets_what_it_asked_for_and_the_wire_is_shown_only_to_those_who_ask() {
    let pbx = TestPbx::start();
    let (service, address) = start_serve(&pbx, None);
    let token = token(&pbx);
    let mut text_only = event_stream(address, &token, "?json=false");
    std::thread::sleep(Duration::from_millis(100));

    let run = |script: &str| {
        let ran = pbx.run(script);
        assert!(ran.status.success(), "{}", text(&ran.stderr));
    };
    // The text alone: no envelopes, no JSON lines.
    let text_alone = |steps: Vec<serde_json::Value>| {
        assert!(!steps.is_empty());
        for step in &steps {
            assert!(!texts(step, "lines").is_empty(), "{step}");
            assert!(texts(step, "envelopes").is_empty(), "{step}");
            assert!(texts(step, "json").is_empty(), "{step}");
        }
    };
    run("CHECKIN 1000 \"Solo,Alina\"\n");
    text_alone(steps_until_done(&mut text_only));

    // A listener of the wire (and, by default, of the JSON lines) gets both, masked; the text
    // listener still gets neither.
    let mut wire = event_stream(address, &token, "?raw=true");
    std::thread::sleep(Duration::from_millis(100));
    run("COS 1000 LOCAL\n");
    let steps = steps_until_done(&mut wire);
    assert!(!steps.is_empty());
    for step in &steps {
        let envelopes = texts(step, "envelopes").concat();
        assert!(envelopes.contains("<mx:"), "{step}");
        assert!(!envelopes.contains(crate::support::PASSWORD), "{step}");
        let json = texts(step, "json").concat();
        assert!(json.contains("\"type\":\"operation\""), "{step}");
        assert!(json.contains("request"), "{step}");
    }
    text_alone(steps_until_done(&mut text_only));
    drop(wire);

    // `run` through the service: `--raw` prints what went over the wire, `--format json` the
    // JSON lines, and plain `run` neither.
    let script = pbx.dir.path().join("more.hc");
    std::fs::write(&script, "COS 1000 BLOCK  # --raw\n").unwrap();
    let raw = pbx
        .hotelcare()
        .args(["run", "--raw"])
        .arg(&script)
        .output()
        .unwrap();
    assert!(raw.status.success(), "{}", text(&raw.stderr));
    assert!(text(&raw.stdout).contains("<mx:"), "{}", text(&raw.stdout));
    std::fs::write(&script, "COS 1000 LOCAL  # --format json\n").unwrap();
    let json = pbx
        .hotelcare()
        .args(["--format", "json", "run"])
        .arg(&script)
        .output()
        .unwrap();
    assert!(json.status.success(), "{}", text(&json.stderr));
    let operations: Vec<serde_json::Value> = text(&json.stdout)
        .lines()
        .map(|line| serde_json::from_str(line).unwrap())
        .filter(|line: &serde_json::Value| line["type"] == "operation")
        .collect();
    assert!(!operations.is_empty(), "{}", text(&json.stdout));
    assert!(operations.iter().all(|line| line.get("request").is_none()));
    std::fs::write(&script, "COS 1000 BLOCK  # text\n").unwrap();
    let plain = pbx.hotelcare().arg("run").arg(&script).output().unwrap();
    assert!(plain.status.success(), "{}", text(&plain.stderr));
    let plain = text(&plain.stdout);
    assert!(plain.contains("COS"), "{plain}");
    assert!(
        !plain.contains("<mx:") && !plain.contains("\"type\""),
        "{plain}"
    );
    stop(service);
}

/// A room read now through the service (`SHOW`, outside the journal) answers with its JSON
/// lines whether or not anyone listens to the event stream for them.
#[test]
fn show_through_the_service_prints_its_json_lines_with_no_listener_connected() {
    let pbx = TestPbx::start();
    let (service, _) = start_serve(&pbx, None);
    let shown = pbx
        .hotelcare()
        .args(["--format", "json", "show", "1000"])
        .output()
        .unwrap();
    assert!(shown.status.success(), "{}", text(&shown.stderr));
    let stdout = text(&shown.stdout);
    let kinds: Vec<String> = stdout
        .lines()
        .filter_map(|line| serde_json::from_str::<serde_json::Value>(line).ok())
        .filter_map(|line| line["type"].as_str().map(str::to_owned))
        .collect();
    assert!(kinds.iter().any(|kind| kind == "operation"), "{stdout}");
    assert!(kinds.iter().any(|kind| kind == "finished"), "{stdout}");
    stop(service);
}
