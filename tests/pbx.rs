//! `run`, `test-access` and `show` against the simulator over real loopback HTTPS: the vendor's
//! worked example step by step, and the vendor's "Error analysis" cases.

use std::time::{Duration, Instant};

use hotelcare::sim::{Faults, Record};

use crate::support::{PASSWORD, Setup, TestPbx, text};

fn assert_ok(output: &std::process::Output) {
    assert!(
        output.status.success(),
        "exit {:?}\nstdout:\n{}\nstderr:\n{}",
        output.status.code(),
        text(&output.stdout),
        text(&output.stderr)
    );
}

fn vacant(label: &str) -> Record {
    Record::vacant(label, 2)
}

fn guest(cor: &str, did: &str, use_did: bool, label: &str) -> Record {
    Record {
        last_name: "Solo".into(),
        first_name: "Alina".into(),
        directory_name: "Solo,Alina".into(),
        service_label: label.into(),
        cor_day: cor.into(),
        cor_night1: cor.into(),
        cor_night2: cor.into(),
        did_service_number: did.into(),
        use_did_for_outgoing_calls: use_did,
        wakeup_times: String::new(),
    }
}

#[test]
fn vendor_example_with_number_transfer_step_by_step() {
    let pbx = TestPbx::start();
    assert_eq!(pbx.record("1000"), vacant("Room 1000"));

    assert_ok(&pbx.run("CHECKIN 1000 \"Solo,Alina\" DID 3000\n"));
    assert_eq!(pbx.record("1000"), guest("1", "3000", true, "Room 1000"));
    assert_eq!(pbx.record("2000"), vacant("Room 2000"));

    assert_ok(&pbx.run("COS 1000 BLOCK\n"));
    assert_eq!(pbx.record("1000"), guest("2", "3000", true, "Room 1000"));

    assert_ok(&pbx.run("MOVE 1000 2000\n"));
    // The DID moved with the guest; room 1000 shows its Service Label again, blocked.
    assert_eq!(pbx.record("1000"), vacant("Room 1000"));
    assert_eq!(pbx.record("2000"), guest("2", "3000", true, "Room 2000"));

    assert_ok(&pbx.run("CHECKOUT 2000\n"));
    assert_eq!(pbx.record("2000"), vacant("Room 2000"));
    assert_eq!(pbx.record("1000"), vacant("Room 1000"));
}

#[test]
fn vendor_example_without_number_transfer_step_by_step() {
    let pbx = TestPbx::with(Setup {
        number_transfer: false,
        ..Setup::default()
    });
    assert_ok(&pbx.run("CHECKIN 1000 \"Solo,Alina\"\n"));
    assert_eq!(pbx.record("1000"), guest("1", "", false, "Room 1000"));
    assert_ok(&pbx.run("COS 1000 BLOCK\n"));
    assert_eq!(pbx.record("1000"), guest("2", "", false, "Room 1000"));
    assert_ok(&pbx.run("MOVE 1000 2000\n"));
    assert_eq!(pbx.record("1000"), vacant("Room 1000"));
    assert_eq!(pbx.record("2000"), guest("2", "", false, "Room 2000"));
    assert_ok(&pbx.run("CHECKOUT 2000\n"));
    assert_eq!(pbx.record("2000"), vacant("Room 2000"));
}

#[test]
fn checkout_restores_the_service_label_of_the_room() {
    let pbx = TestPbx::start();
    assert_ok(&pbx.run("CHECKIN 1000 \"Solo,Alina\" DID 3001\nCHECKOUT 1000\n"));
    let record = pbx.record("1000");
    assert_eq!(record.last_name, "Room 1000");
    assert_eq!(record.first_name, "");
    assert_eq!(record.directory_name, "Room 1000");
    assert_eq!(record.did_service_number, "");
    assert!(!record.use_did_for_outgoing_calls);
}

#[test]
fn monitor_shows_every_operation_with_room_command_fields_result_and_duration() {
    let pbx = TestPbx::start();
    let output = pbx.run("CHECKIN 1000 \"Solo,Alina\" DID 3000\n");
    assert_ok(&output);
    let stdout = text(&output.stdout);
    let line = stdout
        .lines()
        .find(|l| l.contains("set  Service Details"))
        .unwrap_or_else(|| panic!("{stdout}"));
    // time, room, command, operation, fields, result, duration
    let time = line.split_whitespace().next().unwrap();
    assert_eq!(time.len(), "12:34:56.789".len(), "{line}");
    assert!(line.contains(" 1000  CHECKIN "), "{line}");
    assert!(line.contains("COR Day=1, COR Night 1=1, COR Night 2=1, DID Service Number=\"3000\", Use DID for Outgoing Calls=on"), "{line}");
    assert!(line.contains("-> ok"), "{line}");
    assert!(line.trim_end().ends_with(" ms)"), "{line}");
    assert!(stdout.contains("LOGIN"), "{stdout}");
}

#[test]
fn show_prints_the_room_and_test_access_reports_the_pbx() {
    let pbx = TestPbx::start();
    assert_ok(&pbx.run("CHECKIN 1000 \"Müller,Zoë\" DID 3002\n"));
    let output = pbx.hotelcare().args(["show", "1000"]).output().unwrap();
    assert_ok(&output);
    let stdout = text(&output.stdout);
    assert!(stdout.contains("room 1000 (\"Room 1000\")"), "{stdout}");
    assert!(
        stdout.contains("Last Name                   \"Müller\""),
        "{stdout}"
    );
    assert!(
        stdout.contains("DID Service Number          \"3002\""),
        "{stdout}"
    );

    let output = pbx.hotelcare().arg("test-access").output().unwrap();
    assert_ok(&output);
    let stdout = text(&output.stdout);
    assert!(
        stdout.contains("test access to hotelcare@127.0.0.1:"),
        "{stdout}"
    );
    assert!(
        stdout.contains("Mitel MiVoice Business (hotelcare simulator)"),
        "{stdout}"
    );
}

#[test]
fn show_of_an_unknown_room_names_it() {
    let pbx = TestPbx::start();
    let output = pbx.hotelcare().args(["show", "4711"]).output().unwrap();
    assert_eq!(output.status.code(), Some(4), "{}", text(&output.stderr));
    assert!(
        text(&output.stderr)
            .contains("room 4711: SHOW failed at `read`: the PBX has no directory number 4711")
    );
}

#[test]
fn closed_port_says_refused_with_the_address() {
    let pbx = TestPbx::with(Setup {
        attempts: 2,
        ..Setup::default()
    });
    pbx.set_faults(Faults {
        refuse_connections: true,
        ..Faults::default()
    });
    let output = pbx.hotelcare().arg("test-access").output().unwrap();
    assert_eq!(output.status.code(), Some(3));
    let stderr = text(&output.stderr);
    let address = pbx.simulator().address().to_string();
    assert!(
        stderr.contains(&format!("the PBX at {address} refused the connection")),
        "{stderr}"
    );
    assert!(stderr.contains("check `server`"), "{stderr}");
}

#[test]
fn wrong_password_says_so_without_showing_it() {
    let pbx = TestPbx::start();
    let output = pbx
        .hotelcare()
        .env("HOTELCARE_TEST_PBX_PASSWORD", "not-the-password")
        .args(["test-access", "--raw"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(3));
    let all = format!("{}{}", text(&output.stdout), text(&output.stderr));
    assert!(all.contains("wrong user name or password"), "{all}");
    assert!(!all.contains("not-the-password"), "{all}");
}

#[test]
fn untrusted_certificate_is_refused_with_how_to_trust_it() {
    let pbx = TestPbx::with(Setup {
        trust_certificate: false,
        ..Setup::default()
    });
    let output = pbx.hotelcare().arg("test-access").output().unwrap();
    assert_eq!(output.status.code(), Some(3));
    let stderr = text(&output.stderr);
    assert!(stderr.contains("certificate of the PBX"), "{stderr}");
    assert!(
        stderr.contains("`ca_file`") && stderr.contains("`pin_sha256`"),
        "{stderr}"
    );
}

#[test]
fn pinned_certificate_is_trusted() {
    let pbx = TestPbx::with(Setup {
        trust_certificate: false,
        ..Setup::default()
    });
    let pin = pbx.simulator().pin_sha256().unwrap();
    let config = std::fs::read_to_string(&pbx.config).unwrap().replace(
        "timeout_secs = 2\n",
        &format!("timeout_secs = 2\npin_sha256 = \"{pin}\"\n"),
    );
    std::fs::write(&pbx.config, config).unwrap();
    assert_ok(&pbx.hotelcare().arg("test-access").output().unwrap());
}

#[test]
fn hung_request_fails_after_the_timeout_not_later() {
    let pbx = TestPbx::with(Setup {
        timeout_secs: 1,
        attempts: 1,
        ..Setup::default()
    });
    pbx.set_faults(Faults {
        hang_rate: 1.0,
        ..Faults::default()
    });
    let started = Instant::now();
    let output = pbx.run("COS 1000 BLOCK\n");
    let elapsed = started.elapsed();
    assert_eq!(output.status.code(), Some(3), "{}", text(&output.stderr));
    assert!(
        text(&output.stderr).contains("did not answer within 1 s"),
        "{}",
        text(&output.stderr)
    );
    // The login hangs for one timeout; nothing else may add a second one.
    assert!(elapsed < Duration::from_millis(1900), "took {elapsed:?}");
}

#[test]
fn pbx_fault_on_one_field_names_room_field_and_what_the_pbx_said() {
    let pbx = TestPbx::start();
    pbx.set_faults(Faults {
        refuse_values: vec![("1000".into(), "DirectoryName".into())],
        ..Faults::default()
    });
    let output = pbx.run("CHECKIN 1000 \"Solo,Alina\"\nCHECKIN 2000 \"Doe,John\"\n");
    assert_eq!(output.status.code(), Some(4));
    let stderr = text(&output.stderr);
    assert!(
        stderr.contains(
            "room 1000: CHECKIN failed at `set Service Profile`: the PBX refused Directory Name"
        ),
        "{stderr}"
    );
    assert!(stderr.contains("already changed: User Profile"), "{stderr}");
    // The other room is not held up by it.
    assert_eq!(pbx.record("2000").directory_name, "Doe,John");
}

#[test]
fn did_in_use_names_the_room_that_holds_it() {
    let pbx = TestPbx::start();
    assert_ok(&pbx.run("CHECKIN 2000 \"Doe,John\" DID 3000\n"));
    let output = pbx.run("CHECKIN 1000 \"Solo,Alina\" DID 3000\n");
    assert_eq!(output.status.code(), Some(4));
    assert!(
        text(&output.stderr).contains("room 1000: CHECKIN failed at `check`: DID 3000 is already used by room 2000; check out 2000 or take its DID away (`DID 2000 NONE`) first; nothing was changed"),
        "{}",
        text(&output.stderr)
    );
}

#[test]
fn the_password_appears_in_no_output_log_or_journal() {
    let pbx = TestPbx::start();
    let output = pbx
        .hotelcare()
        .args(["run", "--raw", "-"])
        .write_stdin("TEST\nCHECKIN 1000 \"Solo,Alina\" DID AUTO\nSHOW 1000\nCHECKOUT 1000\n")
        .output()
        .unwrap();
    assert_ok(&output);
    let stdout = text(&output.stdout);
    assert!(
        stdout.contains("<mx:Password>********</mx:Password>"),
        "the raw monitor shows the login, masked"
    );
    let escaped = PASSWORD
        .replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;");
    for (name, content) in [("stdout", stdout), ("stderr", text(&output.stderr))] {
        assert!(
            !content.contains(PASSWORD) && !content.contains(&escaped),
            "password in {name}"
        );
    }
    let files = pbx.written_files();
    assert!(
        files.iter().any(|(p, _)| p.ends_with("logs/hotelcare.log")),
        "a log was written"
    );
    for (path, content) in files {
        assert!(
            !content.contains(PASSWORD) && !content.contains(&escaped),
            "password in {}",
            path.display()
        );
    }
}

#[test]
fn demo_runs_on_the_embedded_simulator() {
    let dir = tempfile::tempdir().unwrap();
    let output = crate::support::hotelcare()
        .current_dir(dir.path())
        .arg("run")
        .arg(crate::support::root().join("scripts/demo.hc"))
        .output()
        .unwrap();
    assert_ok(&output);
    let stderr = text(&output.stderr);
    // No configuration anywhere: said first, then which simulator.
    let (first, rest) = stderr.split_once('\n').unwrap();
    assert!(
        first.starts_with(
            "note: no configuration file (`--config`, `HOTELCARE_CONFIG`, `hotelcare.toml`"
        ) && first.ends_with("running on the built-in defaults, against the embedded simulator"),
        "{stderr}"
    );
    assert!(
        rest.starts_with(
            "no [pbx] configured: using the embedded MiVB simulator at https://127.0.0.1:"
        ),
        "{stderr}"
    );
    assert!(stderr.contains("done: 8 commands"), "{stderr}");
    let stdout = text(&output.stdout);
    let last_show = stdout.rsplit("room 2000 (\"Room 2000\")").next().unwrap();
    assert!(
        last_show.contains("Last Name                   \"Room 2000\""),
        "{stdout}"
    );
    // The simulator's rooms are kept for the next command.
    let show = crate::support::hotelcare()
        .current_dir(dir.path())
        .args(["show", "1000"])
        .output()
        .unwrap();
    assert_ok(&show);
    assert!(text(&show.stdout).contains("Last Name                   \"Room 1000\""));
}

#[test]
fn a_move_into_an_occupied_room_changes_nothing() {
    let pbx = TestPbx::start();
    assert_ok(
        &pbx.run("CHECKIN 1000 \"Alpha,Ann\" DID 3001\nCHECKIN 2000 \"Beta,Bob\" DID 3002\n"),
    );
    let before = pbx.simulator().records();
    let output = pbx.run("MOVE 2000 1000\n");
    assert_eq!(output.status.code(), Some(4));
    let stderr = text(&output.stderr);
    assert!(
        stderr
            .contains("room 1000: MOVE failed at `check`: room 1000 is occupied by \"Alpha,Ann\""),
        "{stderr}"
    );
    assert!(stderr.contains("nothing was changed"), "{stderr}");
    assert_eq!(pbx.simulator().records(), before);
}

#[test]
fn a_move_out_of_an_empty_room_or_to_a_missing_one_changes_nothing() {
    let pbx = TestPbx::start();
    let before = pbx.simulator().records();
    let output = pbx.run("MOVE 2000 1000\n");
    assert_eq!(output.status.code(), Some(4));
    assert!(
        text(&output.stderr).contains("room 2000 has no guest"),
        "{}",
        text(&output.stderr)
    );
    assert_ok(&pbx.run("CHECKIN 1000 \"Solo,Alina\"\n"));
    let before_typo = pbx.simulator().records();
    let output = pbx.run("MOVE 1000 9999\n");
    assert_eq!(output.status.code(), Some(4));
    let stderr = text(&output.stderr);
    assert!(
        stderr.contains("the PBX has no directory number 9999"),
        "{stderr}"
    );
    assert!(stderr.contains("nothing was changed"), "{stderr}");
    assert_eq!(pbx.simulator().records(), before_typo);
    assert_ne!(before, before_typo);
}

#[test]
fn test_logs_in_afresh_each_time() {
    let pbx = TestPbx::start();
    assert_ok(&pbx.run("TEST\nTEST\n"));
    assert_eq!(pbx.simulator().stats().logins, 2);
}

#[test]
fn a_pbx_that_answers_busy_fails_the_commands_but_does_not_queue_them() {
    let pbx = TestPbx::with(Setup {
        attempts: 2,
        ..Setup::default()
    });
    assert_ok(&pbx.run("TEST\n"));
    pbx.set_faults(Faults {
        failure_rate: 1.0,
        ..Faults::default()
    });
    let output = pbx.run("COS 1000 BLOCK\nCOS 2000 BLOCK\n");
    assert_eq!(output.status.code(), Some(4), "{}", text(&output.stderr));
    let stderr = text(&output.stderr);
    assert!(
        stderr.contains("room 1000: COS failed at `set Service Details`: gave up after 2 attempts"),
        "{stderr}"
    );
    assert!(stderr.contains("room 2000: COS failed"), "{stderr}");
}

#[test]
fn show_takes_only_an_extension() {
    let pbx = TestPbx::start();
    let output = pbx
        .hotelcare()
        .args(["show", "1000;CHECKOUT 1000"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    assert!(
        text(&output.stderr).contains("give the room's extension"),
        "{}",
        text(&output.stderr)
    );
    assert_eq!(pbx.simulator().stats().requests, 0);
}

#[test]
fn offline_commands_do_not_need_the_password() {
    let pbx = TestPbx::start();
    for args in [&["check", "-"][..], &["plan", "-"], &["queue", "list"]] {
        pbx.hotelcare()
            .env_remove("HOTELCARE_TEST_PBX_PASSWORD")
            .args(args)
            .write_stdin("CHECKOUT 1000\n")
            .assert()
            .success();
    }
    let output = pbx
        .hotelcare()
        .env_remove("HOTELCARE_TEST_PBX_PASSWORD")
        .arg("test-access")
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    assert!(text(&output.stderr).contains(
        "names the environment variable `HOTELCARE_TEST_PBX_PASSWORD`, which is not set"
    ));
}

#[test]
fn a_check_in_into_an_occupied_room_is_refused_unless_it_replaces() {
    let pbx = TestPbx::start();
    assert_ok(&pbx.run("CHECKIN 1000 \"Alpha,Ann\" DID 3002\n"));
    let alpha = pbx.record("1000");
    let output = pbx.run("CHECKIN 1000 \"Beta,Bob\"\n");
    assert_eq!(output.status.code(), Some(4));
    let stderr = text(&output.stderr);
    assert!(
        stderr.contains("room 1000 is occupied by \"Alpha,Ann\""),
        "{stderr}"
    );
    assert!(stderr.contains("`REPLACE`"), "{stderr}");
    assert!(stderr.contains("nothing was changed"), "{stderr}");
    assert_eq!(
        pbx.record("1000"),
        alpha,
        "Alpha keeps the room and DID 3002"
    );
    // The failed check-in stays in the journal; give it up before replacing.
    assert_ok(
        &pbx.hotelcare()
            .args(["queue", "drop", "--failed"])
            .output()
            .unwrap(),
    );
    assert_ok(&pbx.run("CHECKIN 1000 \"Beta,Bob\" REPLACE\n"));
    let beta = pbx.record("1000");
    assert_eq!(beta.directory_name, "Beta,Bob");
    assert_eq!(
        beta.did_service_number, "",
        "no DID: Alpha's went with the check-out"
    );
    assert!(!beta.use_did_for_outgoing_calls);
    assert_eq!(beta.cor_day, "1");
    // DID 3002 is free again.
    assert_ok(&pbx.run("DID 2000 3002\n"));
}

#[test]
fn a_replacing_check_in_of_a_vacant_room_sends_what_a_plain_one_sends() {
    // Issue 23, item 11: nobody to check out, so no check-out writes (5 requests, not 8).
    let pbx = TestPbx::start();
    let sent = |script: &str| {
        let before = pbx.simulator().stats().requests;
        let output = pbx.run(script);
        assert_ok(&output);
        (
            pbx.simulator().stats().requests - before,
            text(&output.stdout),
        )
    };
    // Each run logs in and out (2 requests); a check-in with a DID sends 5.
    let (plain, _) = sent("CHECKIN 1000 \"Alpha,Ann\" DID 3002\n");
    let (replacing, monitor) = sent("CHECKIN 2000 \"Beta,Bob\" DID 3003 REPLACE\n");
    assert_eq!((plain, replacing), (2 + 5, 2 + 5), "{monitor}");
    assert!(
        monitor.contains("skip the next 3 if room 2000 is vacant ($2)"),
        "{monitor}"
    );
    assert!(monitor.contains("ok: yes: the next 3 skipped"), "{monitor}");
    let beta = pbx.record("2000");
    assert_eq!(
        (
            beta.directory_name.as_str(),
            beta.did_service_number.as_str()
        ),
        ("Beta,Bob", "3003")
    );
    // An occupied room is still checked out first: 3 writes more.
    let (occupied, monitor) = sent("CHECKIN 1000 \"Gamma,Gil\" REPLACE\n");
    assert_eq!(occupied, 2 + 7, "{monitor}");
    assert!(monitor.contains("ok: no: the next 3 run"), "{monitor}");
    assert_eq!(
        pbx.record("1000").did_service_number,
        "",
        "Alpha's DID went"
    );
}

#[test]
fn a_replacing_check_in_of_a_vacant_room_keeps_what_the_room_held() {
    // The check-out was skipped, so a DID the vacant room held stays, on the PBX and in what
    // hotelcare expects (else `reconcile` would find a difference it can never repair).
    let pbx = TestPbx::start();
    assert_ok(&pbx.run("DID 2000 3005\nCHECKIN 2000 \"Beta,Bob\" REPLACE\n"));
    assert_eq!(pbx.record("2000").did_service_number, "3005");
    let output = pbx.hotelcare().arg("rooms").output().unwrap();
    assert_ok(&output);
    let stdout = text(&output.stdout);
    let line = stdout
        .lines()
        .find(|line| line.trim_start().starts_with("2000"))
        .unwrap_or_default();
    assert!(
        line.contains("\"Beta,Bob\"") && line.contains("3005"),
        "{stdout}"
    );
}

#[test]
fn rooms_prints_what_hotelcare_last_had_confirmed() {
    let pbx = TestPbx::start();
    assert_ok(&pbx.run("CHECKIN 1000 \"Solo,Alina\" DID AUTO COS LOCAL\n"));
    let output = pbx.hotelcare().arg("rooms").output().unwrap();
    assert_ok(&output);
    let stdout = text(&output.stdout);
    assert!(
        stdout.contains("   1000  occupied  \"Solo,Alina\"            3 (LOCAL)     3000"),
        "{stdout}"
    );
    let origin = format!(
        "#1 CHECKIN ({}:1) ",
        pbx.dir.path().join("script.hc").display()
    );
    assert!(stdout.contains(&origin), "{stdout}");
    assert_ok(&pbx.run("MOVE 1000 2000\n"));
    let json = pbx
        .hotelcare()
        .args(["--format", "json", "rooms", "1000", "2000"])
        .output()
        .unwrap();
    let rooms: serde_json::Value = serde_json::from_slice(&json.stdout).unwrap();
    let room = |n: usize| &rooms["rooms"][n];
    assert_eq!(
        (room(0)["room"].as_str(), room(0)["occupied"].as_bool()),
        (Some("1000"), Some(false))
    );
    assert_eq!(room(0)["did"], serde_json::Value::Null);
    assert_eq!(room(1)["guest"]["directory_name"], "Solo,Alina");
    assert_eq!(room(1)["did"], "3000");
    assert_eq!(room(1)["levels"][0], "LOCAL");
    assert_eq!(room(1)["last"]["keyword"], "MOVE");
}
