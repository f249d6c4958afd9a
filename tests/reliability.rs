//! Never lose a command: injected failures, a PBX that is down, a process killed mid-batch, a
//! permanent fault on one room. Each final state is compared with that of sequential execution
//! of the same script on a simulator without faults.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::process::Stdio;
use std::time::{Duration, Instant};

use hotelcare::sim::{Faults, Record, Seed};

use crate::support::{Setup, TestPbx, text};

/// 40 rooms (1000-1039) with number transfer.
fn hotel(max_concurrency: usize, attempts: u32) -> Setup {
    Setup {
        rooms: Seed::range(1000, 40, 2),
        max_concurrency,
        attempts,
        ..Setup::default()
    }
}

/// A day at the hotel: check-ins with DIDs (explicit and AUTO), class of service changes, name
/// corrections, moves (the DID moves along), check-outs. Valid as a whole.
fn day(rounds: usize) -> String {
    let mut script = String::new();
    for round in 0..rounds {
        for i in 0..10 {
            let room = 1000 + i;
            let moved = 1020 + i;
            let did = if i % 3 == 0 {
                "AUTO".to_owned()
            } else {
                format!("{}", 3000 + i % 6)
            };
            let did = if i % 3 != 0 && i >= 6 {
                String::new()
            } else {
                format!(" DID {did}")
            };
            writeln!(script, "CHECKIN {room} \"Guest{round}-{i},Alina\"{did}").unwrap();
            writeln!(
                script,
                "COS {room} {}",
                if i % 2 == 0 { "BLOCK" } else { "LOCAL" }
            )
            .unwrap();
            writeln!(script, "RENAME {room} \"Guest{round}-{i},Alina Maria\"").unwrap();
            writeln!(script, "MOVE {room} {moved}").unwrap();
            writeln!(script, "CHECKOUT {moved}").unwrap();
        }
    }
    script
}

/// The records after running `script` sequentially on a simulator without faults.
fn sequential(setup: Setup, script: &str) -> BTreeMap<String, Record> {
    let pbx = TestPbx::with(Setup {
        max_concurrency: 1,
        ..setup
    });
    let output = pbx.run(script);
    assert!(output.status.success(), "{}", text(&output.stderr));
    pbx.simulator().records()
}

fn assert_same(actual: &BTreeMap<String, Record>, expected: &BTreeMap<String, Record>) {
    for (room, record) in expected {
        assert_eq!(actual.get(room), Some(record), "room {room}");
    }
    assert_eq!(actual.len(), expected.len());
}

#[test]
fn thirty_percent_failures_lose_nothing() {
    let script = day(2);
    let expected = sequential(hotel(1, 3), &script);
    let pbx = TestPbx::with(hotel(8, 40));
    pbx.set_faults(Faults {
        failure_rate: 0.3,
        ..Faults::default()
    });
    let output = pbx.run(&script);
    assert!(output.status.success(), "{}", text(&output.stderr));
    assert!(
        pbx.simulator().stats().injected > 100,
        "faults were injected"
    );
    assert_same(&pbx.simulator().records(), &expected);
}

#[test]
fn answers_lost_after_the_pbx_acted_are_harmless() {
    // The PBX carries the request out but the answer breaks off: the retry repeats an absolute
    // set, and a move's reads come from the journal, not from the half-moved room.
    let script = day(1);
    let expected = sequential(hotel(1, 3), &script);
    let pbx = TestPbx::with(hotel(8, 40));
    pbx.set_faults(Faults {
        drop_rate: 0.25,
        ..Faults::default()
    });
    let output = pbx.run(&script);
    assert!(output.status.success(), "{}", text(&output.stderr));
    assert_same(&pbx.simulator().records(), &expected);
}

#[test]
fn pbx_down_for_the_whole_run_queues_everything_then_retry_applies_it() {
    let script = day(1);
    let expected = sequential(hotel(1, 3), &script);
    let pbx = TestPbx::with(hotel(4, 3));
    let before = pbx.simulator().records();
    pbx.set_faults(Faults {
        refuse_connections: true,
        ..Faults::default()
    });
    let output = pbx.run(&script);
    assert_eq!(output.status.code(), Some(3), "{}", text(&output.stderr));
    let stderr = text(&output.stderr);
    assert!(stderr.contains("the PBX is unreachable"), "{stderr}");
    assert!(stderr.contains("hotelcare queue retry"), "{stderr}");
    assert_same(&pbx.simulator().records(), &before);

    let list = pbx.hotelcare().args(["queue", "list"]).output().unwrap();
    let listing = text(&list.stdout);
    assert!(listing.contains("50 pending, 0 failed"), "{listing}");
    assert!(listing.contains("refused the connection"), "{listing}");

    pbx.set_faults(Faults::default());
    let retry = pbx.hotelcare().args(["queue", "retry"]).output().unwrap();
    assert!(retry.status.success(), "{}", text(&retry.stderr));
    assert_same(&pbx.simulator().records(), &expected);
    let list = pbx.hotelcare().args(["queue", "list"]).output().unwrap();
    assert!(text(&list.stdout).contains("the journal is empty"));
}

#[test]
fn a_process_killed_mid_batch_is_completed_by_the_next_run() {
    let script = day(10); // 500 commands
    let after = "SHOW 1000\n";
    let expected = sequential(hotel(1, 3), &format!("{script}{after}"));
    let pbx = TestPbx::with(hotel(4, 3));
    pbx.set_faults(Faults {
        latency_ms: 3,
        ..Faults::default()
    });
    let path = pbx.dir.path().join("batch.hc");
    std::fs::write(&path, &script).unwrap();
    let mut child = std::process::Command::new(assert_cmd::cargo::cargo_bin("hotelcare"))
        .current_dir(pbx.dir.path())
        .arg("--config")
        .arg(&pbx.config)
        .arg("run")
        .arg(&path)
        .env("HOTELCARE_TEST_PBX_PASSWORD", crate::support::PASSWORD)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let started = Instant::now();
    while pbx.simulator().stats().updates < 600 {
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "the batch does not progress"
        );
        std::thread::sleep(Duration::from_millis(5));
    }
    child.kill().unwrap(); // SIGKILL: no chance to clean up
    child.wait().unwrap();
    assert!(
        pbx.simulator().stats().updates < 1400,
        "killed before the end"
    );

    let list = pbx.hotelcare().args(["queue", "list"]).output().unwrap();
    assert!(
        text(&list.stdout).contains("pending"),
        "{}",
        text(&list.stdout)
    );

    pbx.set_faults(Faults::default());
    let output = pbx.run(after);
    assert!(output.status.success(), "{}", text(&output.stderr));
    assert!(text(&output.stderr).contains("left pending by an earlier run"));
    assert_same(&pbx.simulator().records(), &expected);
}

#[test]
fn a_permanent_fault_on_one_room_does_not_block_the_others() {
    let script = day(1);
    let pbx = TestPbx::with(hotel(4, 3));
    pbx.set_faults(Faults {
        refuse_values: vec![("1003".into(), "LastName".into())],
        ..Faults::default()
    });
    let output = pbx.run(&script);
    assert_eq!(output.status.code(), Some(4), "{}", text(&output.stderr));
    let stderr = text(&output.stderr);
    assert!(
        stderr
            .contains("room 1003: CHECKIN failed at `set User Profile`: the PBX refused Last Name"),
        "{stderr}"
    );
    // Every other room ends checked out as in a run without the fault.
    let expected = sequential(hotel(1, 3), &script);
    for (room, record) in expected {
        if room != "1003" && room != "1023" {
            assert_eq!(pbx.record(&room), record, "room {room}");
        }
    }
    let list = pbx.hotelcare().args(["queue", "list"]).output().unwrap();
    let listing = text(&list.stdout);
    assert!(listing.contains("failed   room 1003"), "{listing}");
}

#[test]
fn queue_retry_does_not_undo_a_later_command_on_the_same_room() {
    let pbx = TestPbx::with(hotel(4, 3));
    assert!(
        pbx.run("CHECKIN 1010 \"Holder,Hank\" DID 3001\n")
            .status
            .success()
    );
    // The check-in fails (room 1010 holds the DID); the check-out after it succeeds.
    let output = pbx.run("CHECKIN 1005 \"Early,Guest\" DID 3001\nCHECKOUT 1005\n");
    assert_eq!(output.status.code(), Some(4), "{}", text(&output.stderr));
    // The cause is removed; a blind retry would now check the departed guest in again.
    assert!(pbx.run("DID 1010 NONE\n").status.success());
    let before = pbx.record("1005");
    let retry = pbx.hotelcare().args(["queue", "retry"]).output().unwrap();
    let stderr = text(&retry.stderr);
    assert!(
        stderr.contains("#2 `CHECKIN 1005 \"Early,Guest\" DID 3001`"),
        "{stderr}"
    );
    assert!(
        stderr.contains("stays failed: command #3 on the same room was done after it"),
        "{stderr}"
    );
    assert!(stderr.contains("hotelcare queue drop 2"), "{stderr}");
    assert_eq!(retry.status.code(), Some(4));
    assert_eq!(
        pbx.record("1005"),
        before,
        "the departed guest was not checked in again"
    );
    let list = text(
        &pbx.hotelcare()
            .args(["queue", "list"])
            .output()
            .unwrap()
            .stdout,
    );
    assert!(list.contains("failed   room 1005"), "{list}");
}
