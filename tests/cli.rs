//! What a hotel's IT expects of a command-line tool: no panic on a closed pipe, a summary when
//! stopped, machine-readable output, scripts from Windows programs, configuration errors found
//! before anything runs, completions.

use std::process::Stdio;
use std::time::{Duration, Instant};

use hotelcare::sim::Faults;

use crate::support::{Setup, Test, TestPbx, hotelcare, text};

/// Runs `command` with its standard output closed before it writes anything; returns its exit
/// code and stderr.
fn with_closed_stdout(mut command: std::process::Command) -> (Option<i32>, String) {
    let mut child = command
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    drop(child.stdout.take());
    let output = child.wait_with_output().unwrap();
    (output.status.code(), text(&output.stderr))
}

#[test]
fn no_command_panics_on_a_closed_stdout() {
    let pbx = TestPbx::with(Setup {
        attempts: 1,
        ..Setup::default()
    });
    // Enough queued commands that `queue list` prints far more than a pipe holds.
    pbx.set_faults(Faults {
        refuse_connections: true,
        ..Faults::default()
    });
    let script = "COS 1000 BLOCK # queued\n".repeat(600);
    assert_eq!(pbx.run(&script).status.code(), Some(3));
    pbx.set_faults(Faults::default());
    let big = pbx.dir.path().join("big.hc");
    std::fs::write(&big, "CHECKOUT 1000\n".repeat(5000)).unwrap();
    let big = big.to_str().unwrap();
    let cases: [(&[&str], Option<i32>); 9] = [
        (&["queue", "list"], Some(0)),
        (&["check", big], Some(0)),
        (&["plan", big], Some(0)),
        (&["show", "1000"], Some(0)),
        (&["test-access"], Some(0)),
        (&["queue", "retry"], Some(0)),
        (&["completions", "bash"], Some(0)),
        (&["man"], Some(0)),
        (&["--format", "json", "plan", big], Some(0)),
    ];
    for (args, expected) in cases {
        let mut command = pbx.command();
        command.args(args);
        let (code, stderr) = with_closed_stdout(command);
        assert!(!stderr.contains("panicked"), "{args:?}: {stderr}");
        assert_eq!(code, expected, "{args:?}: {stderr}");
    }
}

#[cfg(unix)]
#[test]
fn run_stopped_by_sigterm_prints_a_summary_and_exits_3() {
    let pbx = TestPbx::with(Setup {
        rooms: hotelcare::sim::Seed::range(1000, 50, 2),
        ..Setup::default()
    });
    pbx.set_faults(Faults {
        latency_ms: 20,
        ..Faults::default()
    });
    let script: String = (0..200)
        .map(|i| format!("COS {} BLOCK", 1000 + i % 50))
        .collect::<Vec<_>>()
        .join("\n");
    let path = pbx.dir.path().join("long.hc");
    std::fs::write(&path, script).unwrap();
    let child = pbx
        .command()
        .arg("run")
        .arg(&path)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let started = Instant::now();
    while pbx.simulator().stats().updates < 20 {
        assert!(started.elapsed() < Duration::from_secs(30), "no progress");
        std::thread::sleep(Duration::from_millis(10));
    }
    let pid = child.id().to_string();
    assert!(
        std::process::Command::new("kill")
            .args(["-TERM", &pid])
            .status()
            .unwrap()
            .success()
    );
    let output = child.wait_with_output().unwrap();
    let stderr = text(&output.stderr);
    assert_eq!(output.status.code(), Some(3), "{stderr}");
    assert!(stderr.contains("stopped by SIGTERM: "), "{stderr}");
    assert!(stderr.contains("queued in the journal"), "{stderr}");
    assert!(stderr.contains("hotelcare queue retry"), "{stderr}");
    let list = text(
        &pbx.hotelcare()
            .args(["queue", "list"])
            .output()
            .unwrap()
            .stdout,
    );
    assert!(list.contains("pending"), "{list}");
    // And what was left runs later, exactly once.
    pbx.set_faults(Faults::default());
    let retry = pbx.hotelcare().args(["queue", "retry"]).output().unwrap();
    assert!(retry.status.success(), "{}", text(&retry.stderr));
}

#[test]
fn queue_drop_takes_numbers_as_queue_list_prints_them_and_all_failed_ones() {
    let pbx = TestPbx::start();
    // Two failures: an unknown room, twice; and one pending command behind an unreachable PBX.
    assert_eq!(
        pbx.run("COS 4711 BLOCK\nCOS 4712 BLOCK\n").status.code(),
        Some(4)
    );
    let dropped = pbx
        .hotelcare()
        .args(["queue", "drop", "#1"])
        .output()
        .unwrap();
    assert!(dropped.status.success(), "{}", text(&dropped.stderr));
    assert!(text(&dropped.stdout).contains("dropped #1: room 4711"));
    assert_eq!(pbx.run("COS 4713 BLOCK\n").status.code(), Some(4));
    let dropped = pbx
        .hotelcare()
        .args(["queue", "drop", "--failed"])
        .output()
        .unwrap();
    assert!(dropped.status.success(), "{}", text(&dropped.stderr));
    let stdout = text(&dropped.stdout);
    assert!(stdout.contains("dropped #2: room 4712"), "{stdout}");
    assert!(stdout.contains("dropped #3: room 4713"), "{stdout}");
    let list = pbx.hotelcare().args(["queue", "list"]).output().unwrap();
    assert!(text(&list.stdout).contains("the journal is empty"));
    let bad = pbx
        .hotelcare()
        .args(["queue", "drop", "#x"])
        .output()
        .unwrap();
    assert_eq!(bad.status.code(), Some(2));
    assert!(text(&bad.stderr).contains("not a command number"));
    // A range drops those of its numbers still in the journal (4 and 6; 5 is not there).
    assert_eq!(
        pbx.run(
            "COS 4714 BLOCK
COS 4715 BLOCK
COS 4716 BLOCK
"
        )
        .status
        .code(),
        Some(4)
    );
    let dropped = pbx
        .hotelcare()
        .args(["queue", "drop", "#5"])
        .output()
        .unwrap();
    assert!(dropped.status.success(), "{}", text(&dropped.stderr));
    let dropped = pbx
        .hotelcare()
        .args(["queue", "drop", "3-9"])
        .output()
        .unwrap();
    assert!(dropped.status.success(), "{}", text(&dropped.stderr));
    let stdout = text(&dropped.stdout);
    assert!(
        stdout.contains("dropped #4: room 4714") && stdout.contains("dropped #6: room 4716"),
        "{stdout}"
    );
    let backwards = pbx
        .hotelcare()
        .args(["queue", "drop", "9-3"])
        .output()
        .unwrap();
    assert_eq!(backwards.status.code(), Some(2));
}

#[test]
fn json_output_parses_back() {
    let pbx = TestPbx::start();
    let script = pbx.dir.path().join("a.hc");
    std::fs::write(
        &script,
        "CHECKIN 1000 \"Mustermann,Maximilian\" DID 3000\nSHOW 1000\n",
    )
    .unwrap();
    let check = pbx
        .hotelcare()
        .args(["--format", "json", "check"])
        .arg(&script)
        .output()
        .unwrap();
    assert!(check.status.success());
    let document: serde_json::Value = serde_json::from_slice(&check.stdout).unwrap();
    assert_eq!(document["valid"], true);
    assert_eq!(document["commands"], 2);
    assert_eq!(document["diagnostics"][0]["severity"], "warning");
    assert_eq!(document["diagnostics"][0]["line"], 1);
    assert_eq!(document["diagnostics"][0]["column"], 14);

    let plan = pbx
        .hotelcare()
        .args(["--format", "json", "plan"])
        .arg(&script)
        .output()
        .unwrap();
    let all: Vec<serde_json::Value> = text(&plan.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(all[0]["type"], "diagnostic", "the warning comes first");
    let lines: Vec<&serde_json::Value> = all.iter().filter(|l| l["type"] == "command").collect();
    assert_eq!(lines.len(), 2);
    assert_eq!(lines[0]["type"], "command");
    assert_eq!(lines[0]["keyword"], "CHECKIN");
    assert_eq!(lines[0]["operations"][3]["fields"][0]["field"], "Last Name");
    assert_eq!(
        lines[0]["operations"][3]["fields"][0]["value"],
        "Mustermann"
    );

    let run = pbx
        .hotelcare()
        .args(["--format", "json", "run"])
        .arg(&script)
        .output()
        .unwrap();
    assert!(run.status.success(), "{}", text(&run.stderr));
    let events: Vec<serde_json::Value> = text(&run.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{l}: {e}")))
        .collect();
    assert!(events.iter().any(|e| e["type"] == "login"));
    assert!(
        events
            .iter()
            .any(|e| e["type"] == "operation" && e["result"] == "ok" && e["room"] == "1000")
    );
    let show = events
        .iter()
        .find(|e| e["type"] == "finished" && e["command"] == "SHOW")
        .unwrap();
    assert_eq!(show["outcome"], "done");
    assert!(
        show["record"]
            .as_array()
            .unwrap()
            .iter()
            .any(|f| f["field"] == "DID Service Number" && f["value"] == "3000"),
        "{show}"
    );

    pbx.set_faults(Faults {
        refuse_connections: true,
        ..Faults::default()
    });
    pbx.run("COS 1000 BLOCK\n");
    let queue = pbx
        .hotelcare()
        .args(["--format", "json", "queue", "list"])
        .output()
        .unwrap();
    let queue: serde_json::Value = serde_json::from_slice(&queue.stdout).unwrap();
    assert_eq!(queue["pending"], 1);
    assert_eq!(queue["commands"][0]["command"], "COS 1000 BLOCK");
    assert_eq!(queue["commands"][0]["rooms"][0], "1000");
}

#[test]
fn a_windows_1252_script_runs_with_the_encoding_option() {
    let pbx = TestPbx::start();
    let path = pbx.dir.path().join("ansi.hc");
    // "Müller,Jürgen" in windows-1252: ü is the single byte 0xFC.
    std::fs::write(&path, b"CHECKIN 1000 \"M\xFCller,J\xFCrgen\"\r\n").unwrap();
    let refused = pbx.hotelcare().arg("run").arg(&path).output().unwrap();
    assert_eq!(refused.status.code(), Some(1));
    let stderr = text(&refused.stderr);
    assert!(stderr.contains("line 1 is not UTF-8"), "{stderr}");
    assert!(stderr.contains("--encoding windows-1252"), "{stderr}");
    assert_eq!(pbx.record("1000").last_name, "Room 1000");

    let output = pbx
        .hotelcare()
        .args(["--encoding", "windows-1252", "run"])
        .arg(&path)
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", text(&output.stderr));
    assert_eq!(pbx.record("1000").directory_name, "Müller,Jürgen");

    // UTF-16 with its byte order mark is recognised without an option.
    let mut utf16 = vec![0xFF, 0xFE];
    for unit in "RENAME 1000 \"Weiß,Zoë\"\n".encode_utf16() {
        utf16.extend(unit.to_le_bytes());
    }
    std::fs::write(&path, utf16).unwrap();
    let output = pbx.hotelcare().arg("run").arg(&path).output().unwrap();
    assert!(output.status.success(), "{}", text(&output.stderr));
    assert_eq!(pbx.record("1000").directory_name, "Weiß,Zoë");
}

/// Scripts too large to hold (over 256 KiB in all) are read again as they are journaled, each
/// checked again knowing the ones before it (small ones alone are journaled as they were
/// checked). Both run, in order, with their origins.
#[test]
fn a_script_too_large_to_hold_streams_after_the_small_one_before_it() {
    let pbx = TestPbx::start();
    let small = pbx.dir.path().join("small.hc");
    std::fs::write(&small, "CHECKIN 1000 \"Solo,Alina\"\n").unwrap();
    let large = pbx.dir.path().join("large.hc");
    let mut script = String::from("MOVE 1000 2000\n");
    while script.len() <= 1024 * 1024 {
        script.push_str("# a long export: comment lines are read and skipped\n");
    }
    script.push_str("CHECKOUT 2000\n");
    std::fs::write(&large, &script).unwrap();
    let output = pbx
        .hotelcare()
        .arg("run")
        .arg(&small)
        .arg(&large)
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", text(&output.stderr));
    let stdout = text(&output.stdout);
    let last = script.lines().count();
    for (keyword, origin) in [
        ("CHECKIN", "small.hc:1)".to_owned()),
        ("MOVE", "large.hc:1)".to_owned()),
        ("CHECKOUT", format!("large.hc:{last})")),
    ] {
        assert!(
            stdout.lines().any(|line| line.contains(keyword)
                && line.contains(" done ")
                && line.ends_with(&origin)),
            "{keyword} done ({origin} in {stdout}"
        );
    }
    assert_eq!(pbx.record("1000").last_name, "Room 1000");
    assert_eq!(pbx.record("2000").last_name, "Room 2000");
}

#[test]
fn invalid_utf8_on_standard_input_is_an_invalid_script_like_in_a_file() {
    Test::new()
        .copy("scripts/vendor-example.toml")
        .args(["check", "-", "--config", "vendor-example.toml"])
        .stdin(&b"CHECKOUT 1000\nCHECKIN 1000 \"\xFF\"\n"[..])
        .status(1)
        .stderr(
            "error: cannot read `<stdin>`: line 2 is not UTF-8 text (at byte 15 of the line); save the script as UTF-8, or give its encoding with `--encoding windows-1252` (or `[run] script_encoding` in the configuration)\n",
        )
        .run();
}

#[test]
fn configurations_that_can_never_work_are_refused_with_a_caret() {
    let check = |pbx: &str, rest: &str, stderr: &str| {
        Test::new()
            .file(
                "hotelcare.toml",
                format!("[pbx]\n{pbx}\nuser = \"u\"\npassword_env = \"X\"\n{rest}"),
            )
            .file("ok.hc", "TEST\n")
            .args(["--config", "hotelcare.toml", "check", "ok.hc"])
            .status(2)
            .stderr(&format!(
                "{stderr}help: see `hotelcare.example.toml` for every key and its meaning\n"
            ))
            .run();
    };
    check(
        "server = \"10.1.2.3:99999\"",
        "",
        r#"error: `pbx.server`: this is not an address hotelcare can connect to (invalid port number); write `host`, `host:port`, `[IPv6]:port` or `https://host:port`
 --> hotelcare.toml:2:10
  |
2 | server = "10.1.2.3:99999"
  |          ^^^^^^^^^^^^^^^^ invalid value
  |
"#,
    );
    check(
        "server = \"ftp://mivb\"",
        "",
        r#"error: `pbx.server`: `ftp://` is not a scheme hotelcare speaks; write `host`, `host:port` or `https://host:port`
 --> hotelcare.toml:2:10
  |
2 | server = "ftp://mivb"
  |          ^^^^^^^^^^^^ invalid value
  |
"#,
    );
    check(
        "server = \"[::1\"",
        "",
        r#"error: `pbx.server`: this is not an address hotelcare can connect to (invalid IPv6 address); write `host`, `host:port`, `[IPv6]:port` or `https://host:port`
 --> hotelcare.toml:2:10
  |
2 | server = "[::1"
  |          ^^^^^^ invalid value
  |
"#,
    );
    check(
        "server = \"127.0.0.1:9/x?y#z\"",
        "",
        r#"error: `pbx.server`: give only the host and port: hotelcare adds the MiXML path itself (remove everything after the port)
 --> hotelcare.toml:2:10
  |
2 | server = "127.0.0.1:9/x?y#z"
  |          ^^^^^^^^^^^^^^^^^^^ invalid value
  |
"#,
    );
    check(
        "server = \"http://mivb\"",
        "",
        r#"error: `pbx.server`: plain HTTP would send the MiXML password unencrypted; use https, or set `allow_plain_http = true` in [pbx] (only for `hotelcare sim --plain`)
 --> hotelcare.toml:2:10
  |
2 | server = "http://mivb"
  |          ^^^^^^^^^^^^^ invalid value
  |
"#,
    );
    // A password pasted into the address is never shown, not even in the frame.
    check(
        "server = \"https://admin:secretpw@mivb\"",
        "",
        r#"error: `pbx.server`: `server` must not carry a user name or password; give them as `user` and `password_env` (the value is not shown here)
 --> hotelcare.toml:2:10
  |
2 | server = "https://**************@mivb"
  |          ^^^^^^^^^^^^^^^^^^^^^^^^^^^^^ invalid value
  |
"#,
    );
    check(
        "server = \"mivb\"",
        "[run.retry]\ninitial_backoff_ms = 5000\nmax_backoff_ms = 10\n",
        r"error: `run.retry.initial_backoff_ms`: the first pause (5000 ms) is longer than `max_backoff_ms` (10 ms); make it at most that
 --> hotelcare.toml:6:22
  |
6 | initial_backoff_ms = 5000
  |                      ^^^^ invalid value
  |
",
    );
    check(
        "server = \"mivb\"",
        "[class_of_restriction]\nallow = 3\nblock = 3\n",
        r"error: `class_of_restriction.block`: `allow` and `block` are the same COR, so a check-out would not block external calls (and a check-in would not allow them); give two different CORs
 --> hotelcare.toml:7:9
  |
7 | block = 3
  |         ^ invalid value
  |
",
    );
}

#[test]
fn a_configuration_that_is_not_a_file_keeps_state_in_the_working_directory() {
    let dir = tempfile::tempdir().unwrap();
    let output = hotelcare()
        .current_dir(dir.path())
        .args(["--config", "/dev/null", "run", "-"])
        .write_stdin("TEST\n")
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", text(&output.stderr));
    assert!(dir.path().join("state").is_dir());
    assert!(dir.path().join("logs").is_dir());
    assert!(!std::path::Path::new("/dev/state").exists());
}

#[test]
fn completions_are_generated_for_bash() {
    let output = hotelcare().args(["completions", "bash"]).output().unwrap();
    assert!(output.status.success());
    let script = text(&output.stdout);
    assert!(script.contains("_hotelcare()"), "{script}");
    assert!(script.contains("test-access"));
    let man = hotelcare().arg("man").output().unwrap();
    let page = text(&man.stdout);
    assert!(page.contains(".TH hotelcare 1"));
    // Every subcommand, nested ones too, with its arguments.
    for part in [
        ".SS \"hotelcare charges repost\"",
        ".SS \"hotelcare queue drop\"",
        ".SS \"hotelcare fias resync\"",
        "\\fB--smdr-listen\\fR",
        "\\fB--monitor\\fR",
    ] {
        assert!(page.contains(part), "{part} missing from the manual page");
    }
}

#[test]
fn the_simulator_keeps_its_seeded_rooms_when_stopped_before_any_write() {
    let dir = tempfile::tempdir().unwrap();
    let rooms = dir.path().join("rooms.toml");
    std::fs::write(
        &rooms,
        "[[room]]\nextension = \"301\"\nlabel = \"Room 301\"\n[[room]]\nextension = \"302\"\nlabel = \"Room 302\"\n",
    )
    .unwrap();
    let state = dir.path().join("sim-state");
    let start = |with_rooms: bool| {
        let mut command = std::process::Command::new(assert_cmd::cargo::cargo_bin("hotelcare"));
        command
            .args(["sim", "--listen", "127.0.0.1:0", "--plain", "--state-dir"])
            .arg(&state)
            .stdout(Stdio::piped())
            .stderr(Stdio::null());
        if with_rooms {
            command.arg("--rooms").arg(&rooms);
        }
        let mut child = command.spawn().unwrap();
        let mut stdout = child.stdout.take().unwrap();
        let mut printed = String::new();
        let mut buffer = [0u8; 4096];
        while !printed.contains("rooms ") || !printed.contains('\n') {
            let n = std::io::Read::read(&mut stdout, &mut buffer).unwrap();
            assert!(n > 0, "{printed}");
            printed.push_str(&String::from_utf8_lossy(&buffer[..n]));
        }
        let _ = child.kill();
        let _ = child.wait();
        printed
    };
    let first = start(true);
    assert!(first.contains("rooms 301, 302"), "{first}");
    let second = start(false);
    assert!(second.contains("rooms 301, 302\n"), "{second}");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode =
            |p: std::path::PathBuf| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode(state.clone()), 0o700);
        assert_eq!(mode(state.join("simulator.json")), 0o600);
    }
    // The second line is the certificate's fingerprint, as the README says.
    let mut command = std::process::Command::new(assert_cmd::cargo::cargo_bin("hotelcare"));
    let mut child = command
        .args(["sim", "--listen", "127.0.0.1:0", "--cert-out"])
        .arg(dir.path().join("sim.pem"))
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut lines = std::io::BufRead::lines(std::io::BufReader::new(child.stdout.take().unwrap()));
    let url = lines.next().unwrap().unwrap();
    let fingerprint = lines.next().unwrap().unwrap();
    let _ = child.kill();
    let _ = child.wait();
    assert!(url.starts_with("https://127.0.0.1:"), "{url}");
    assert!(
        fingerprint.starts_with("certificate SHA-256 "),
        "{fingerprint}"
    );
}

#[test]
fn state_and_logs_are_private_to_their_owner() {
    let pbx = TestPbx::start();
    assert!(pbx.run("CHECKIN 1000 \"Solo,Alina\"\n").status.success());
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = |p: &str| {
            std::fs::metadata(pbx.dir.path().join(p))
                .unwrap()
                .permissions()
                .mode()
                & 0o777
        };
        assert_eq!(mode("state"), 0o700);
        assert_eq!(mode("state/journal.redb"), 0o600);
        assert_eq!(mode("logs"), 0o700);
        assert_eq!(mode("logs/hotelcare.log"), 0o600);
    }
}

#[cfg(unix)]
#[test]
fn a_long_run_on_a_terminal_shows_a_progress_line() {
    use expectrl::{Expect, Session};
    let pbx = TestPbx::with(Setup {
        rooms: hotelcare::sim::Seed::range(1000, 40, 2),
        ..Setup::default()
    });
    pbx.set_faults(Faults {
        latency_ms: 30,
        ..Faults::default()
    });
    let script: String = (0..600)
        .map(|i| format!("COS {} BLOCK", 1000 + i % 40))
        .collect::<Vec<_>>()
        .join("\n");
    let path = pbx.dir.path().join("long.hc");
    std::fs::write(&path, script).unwrap();
    let mut command = pbx.command();
    command.arg("run").arg(&path).env("TERM", "xterm");
    let mut session = Session::spawn(command).unwrap();
    session.set_expect_timeout(Some(Duration::from_secs(30)));
    session.expect("/600 commands done (").unwrap();
    session.expect("done: 600 commands").unwrap();
}

/// The configuration is found through `HOTELCARE_CONFIG` when there is none in the working
/// directory; a named file that is missing is an error naming it, never the defaults.
#[test]
fn hotelcare_config_names_the_configuration() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("site.toml");
    std::fs::write(&config, "[class_of_service]\nLOCAL = 3\n").unwrap();
    let checked = hotelcare()
        .current_dir(dir.path())
        .env("HOTELCARE_CONFIG", &config)
        .args(["check", "-"])
        .write_stdin("COS 1000 LOCAL\n")
        .output()
        .unwrap();
    assert!(checked.status.success(), "{}", text(&checked.stderr));
    assert!(!text(&checked.stderr).contains("no configuration file"));
    let missing = hotelcare()
        .current_dir(dir.path())
        .env("HOTELCARE_CONFIG", dir.path().join("gone.toml"))
        .args(["check", "-"])
        .write_stdin("TEST\n")
        .output()
        .unwrap();
    assert_eq!(missing.status.code(), Some(2));
    assert!(
        text(&missing.stderr).contains("gone.toml"),
        "{}",
        text(&missing.stderr)
    );
}

/// The PBX password from a file (a systemd credential, `LoadCredential=`): read when
/// connecting, its trailing line break dropped; a file that cannot be read is named, its
/// content never shown.
#[test]
fn the_pbx_password_may_come_from_a_file() {
    let pbx = TestPbx::start();
    let secret = pbx.dir.path().join("pbx-password");
    std::fs::write(&secret, format!("{}\n", crate::support::PASSWORD)).unwrap();
    let config = std::fs::read_to_string(&pbx.config).unwrap();
    let with_file = config.replace(
        "password_env = \"HOTELCARE_TEST_PBX_PASSWORD\"",
        "password_file = \"pbx-password\"",
    );
    assert_ne!(with_file, config);
    std::fs::write(&pbx.config, &with_file).unwrap();
    let out = pbx
        .hotelcare()
        .env_remove("HOTELCARE_TEST_PBX_PASSWORD")
        .arg("test-access")
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", text(&out.stderr));
    std::fs::remove_file(&secret).unwrap();
    let out = pbx
        .hotelcare()
        .env_remove("HOTELCARE_TEST_PBX_PASSWORD")
        .arg("test-access")
        .output()
        .unwrap();
    let said = text(&out.stderr);
    assert!(!out.status.success());
    assert!(
        said.contains("`pbx.password_file`: the password file"),
        "{said}"
    );
    assert!(!said.contains(crate::support::PASSWORD), "{said}");
}

/// A long queue is shown a page at a time: `--limit`, the counts of the whole, and the command
/// that shows the next page.
#[test]
fn queue_list_shows_a_page_and_how_to_see_the_next() {
    let pbx = TestPbx::with(Setup {
        attempts: 1,
        ..Setup::default()
    });
    pbx.set_faults(Faults {
        refuse_connections: true,
        ..Faults::default()
    });
    let ran =
        pbx.run("COS 1000 BLOCK\nCOS 1000 ALLOW\nCOS 2000 BLOCK\nCOS 2000 ALLOW\nCOS 1000 BLOCK\n");
    assert_eq!(ran.status.code(), Some(3), "{}", text(&ran.stderr));
    let listed = pbx
        .hotelcare()
        .args(["queue", "list", "--limit", "2"])
        .output()
        .unwrap();
    let listed = text(&listed.stdout);
    assert!(
        listed.contains("#1 ") && listed.contains("#2 ") && !listed.contains("#3 "),
        "{listed}"
    );
    assert!(
        listed.contains("... and 3 more after #2: `hotelcare queue list --after 2`"),
        "{listed}"
    );
    assert!(listed.contains("5 pending, 0 failed"), "{listed}");
    let next = pbx
        .hotelcare()
        .args([
            "queue", "list", "--after", "2", "--limit", "2", "--format", "json",
        ])
        .output()
        .unwrap();
    let next: serde_json::Value = serde_json::from_slice(&next.stdout).unwrap();
    let seqs: Vec<u64> = next["commands"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["seq"].as_u64().unwrap())
        .collect();
    assert_eq!(seqs, [3, 4]);
    assert_eq!(
        (next["pending"].as_u64(), next["more"].as_u64()),
        (Some(5), Some(1))
    );
}

/// Monitor lines on a pipe are held while a burst of work runs and written in one go (issue
/// 25): none is lost or cut, none comes after the summary on stderr when both streams share the
/// pipe, and the log has each of them once.
#[cfg(unix)]
#[test]
fn monitor_lines_on_a_pipe_come_whole_and_before_the_summary() {
    let pbx = TestPbx::with(Setup {
        rooms: hotelcare::sim::Seed::range(1000, 60, 2),
        ..Setup::default()
    });
    let script = (0..60)
        .map(|i| format!("CHECKOUT {}", 1000 + i))
        .collect::<Vec<_>>()
        .join("\n");
    let path = pbx.dir.path().join("out.hc");
    std::fs::write(&path, script).unwrap();
    let command = pbx.command();
    let program = command.get_program().to_str().unwrap().to_owned();
    let args: Vec<String> = command
        .get_args()
        .map(|a| format!("'{}'", a.to_str().unwrap()))
        .collect();
    let output = std::process::Command::new("sh")
        .current_dir(pbx.dir.path())
        .envs(command.get_envs().filter_map(|(k, v)| Some((k, v?))))
        .arg("-c")
        .arg(format!("'{program}' {} run out.hc 2>&1", args.join(" ")))
        .output()
        .unwrap();
    let both = text(&output.stdout);
    assert!(output.status.success(), "{both}");
    let lines: Vec<&str> = both.lines().collect();
    for room in 1000..1060 {
        let done = format!("{room}  CHECKOUT  done  (out.hc:{})", room - 999);
        assert_eq!(
            lines.iter().filter(|line| line.ends_with(&done)).count(),
            1,
            "{done}\n{both}"
        );
    }
    assert!(
        lines
            .last()
            .is_some_and(|line| line.starts_with("done: 60 commands")),
        "{both}"
    );
    let log = std::fs::read_to_string(pbx.dir.path().join("logs/hotelcare.log")).unwrap();
    assert_eq!(
        log.matches("  CHECKOUT  done  (out.hc:").count(),
        60,
        "{log}"
    );
    assert!(log.lines().all(|line| line.starts_with("20")), "{log}");
}
