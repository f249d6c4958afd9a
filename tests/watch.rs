//! `hotelcare watch`: files dropped while it runs and while it is stopped are executed once, in
//! name order; a file still being written is not executed; invalid files go to `failed/`.

use std::path::Path;
use std::process::{Child, Stdio};
use std::time::Duration;

use crate::support::{PASSWORD, TestPbx, text, wait_for};

fn start_watch(pbx: &TestPbx, spool: &Path) -> Child {
    std::process::Command::new(assert_cmd::cargo::cargo_bin("hotelcare"))
        .current_dir(pbx.dir.path())
        .args(["--color", "never", "--config"])
        .arg(&pbx.config)
        .arg("watch")
        .arg(spool)
        .args(["--interval-ms", "50", "--settle-ms", "400"])
        .env("HOTELCARE_TEST_PBX_PASSWORD", PASSWORD)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap()
}

#[test]
fn files_are_executed_once_whether_dropped_before_or_while_it_runs() {
    let pbx = TestPbx::start();
    let spool = pbx.dir.path().join("spool");
    std::fs::create_dir_all(&spool).unwrap();
    // Dropped while stopped.
    std::fs::write(
        spool.join("01-checkin.hc"),
        "CHECKIN 1000 \"Solo,Alina\" DID 3000\n",
    )
    .unwrap();
    let mut watch = start_watch(&pbx, &spool);
    wait_for("01 in done/", || spool.join("done/01-checkin.hc").exists());
    assert_eq!(pbx.record("1000").directory_name, "Solo,Alina");

    // Dropped while it runs, written in two steps: the half-written file must not run (its first
    // half alone moves the guest to a room 20 that does not exist, and would land in failed/).
    let slow = spool.join("02-move.hc");
    std::fs::write(&slow, "MOVE 1000 20").unwrap();
    std::thread::sleep(Duration::from_millis(250));
    std::fs::write(&slow, "MOVE 1000 2000\nCOS 2000 LOCAL\n").unwrap();
    wait_for("02 in done/", || spool.join("done/02-move.hc").exists());
    assert!(!spool.join("failed/02-move.hc").exists());
    assert_eq!(pbx.record("2000").did_service_number, "3000");
    assert_eq!(pbx.record("2000").cor_day, "3");

    // An invalid file: nothing of it runs; the report says why.
    std::fs::write(spool.join("03-bad.hc"), "CHECKOUT 2000\nCOS 2000 GOLD\n").unwrap();
    wait_for("03 in failed/", || spool.join("failed/03-bad.hc").exists());
    let report = std::fs::read_to_string(spool.join("failed/03-bad.hc.report.txt")).unwrap();
    assert!(report.contains("03-bad.hc:2:10"), "{report}");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        for report in [
            "failed/03-bad.hc.report.txt",
            "failed/03-bad.hc.report.json",
        ] {
            let mode = std::fs::metadata(spool.join(report))
                .unwrap()
                .permissions()
                .mode();
            assert_eq!(mode & 0o077, 0, "{report} is for its owner only");
        }
    }
    assert!(report.contains("nothing was run"), "{report}");
    assert_eq!(
        pbx.record("2000").directory_name,
        "Solo,Alina",
        "CHECKOUT of the bad file did not run"
    );

    // Stopped; a file arrives; started again.
    watch.kill().unwrap();
    watch.wait().unwrap();
    let updates = pbx.simulator().stats().updates;
    std::fs::write(spool.join("04-checkout.hc"), "CHECKOUT 2000\n").unwrap();
    let mut watch = start_watch(&pbx, &spool);
    wait_for("04 in done/", || spool.join("done/04-checkout.hc").exists());
    watch.kill().unwrap();
    watch.wait().unwrap();
    // Exactly the three updates of one check-out: nothing before it ran again.
    assert_eq!(pbx.simulator().stats().updates, updates + 3);
    assert_eq!(pbx.record("2000").directory_name, "Room 2000");
    let report = std::fs::read_to_string(spool.join("done/04-checkout.hc.report.txt")).unwrap();
    assert!(report.contains("1 command done, 0 failed"), "{report}");
    let spooled: Vec<_> = std::fs::read_dir(&spool)
        .unwrap()
        .filter_map(Result::ok)
        .filter(|e| e.path().is_file())
        .collect();
    assert!(spooled.is_empty(), "the spool is empty");
    assert_eq!(
        std::fs::read_dir(spool.join("work")).unwrap().count(),
        0,
        "nothing left in work/"
    );
    // The service log rotates: it exists in the configured directory.
    let log = std::fs::read_to_string(pbx.dir.path().join("logs/hotelcare-service.log")).unwrap();
    assert!(log.contains("serving: API on"), "{}", text(log.as_bytes()));
}

#[test]
fn a_file_whose_commands_are_queued_stays_until_the_pbx_is_back() {
    let pbx = TestPbx::with(crate::support::Setup {
        attempts: 2,
        ..crate::support::Setup::default()
    });
    let spool = pbx.dir.path().join("spool");
    std::fs::create_dir_all(&spool).unwrap();
    pbx.set_faults(hotelcare::sim::Faults {
        refuse_connections: true,
        ..hotelcare::sim::Faults::default()
    });
    std::fs::write(spool.join("a.hc"), "CHECKIN 1000 \"Solo,Alina\"\n").unwrap();
    let mut watch = start_watch(&pbx, &spool);
    std::thread::sleep(Duration::from_millis(1500));
    assert_eq!(
        std::fs::read_dir(spool.join("work")).unwrap().count(),
        1,
        "claimed and kept in work/ while its command is queued"
    );
    assert!(!spool.join("done/a.hc").exists() && !spool.join("failed/a.hc").exists());
    pbx.set_faults(hotelcare::sim::Faults::default());
    wait_for("a in done/", || spool.join("done/a.hc").exists());
    watch.kill().unwrap();
    watch.wait().unwrap();
    assert_eq!(pbx.record("1000").directory_name, "Solo,Alina");
}

#[test]
fn a_missing_spool_directory_is_refused_unless_created() {
    let pbx = TestPbx::start();
    let missing = pbx.dir.path().join("nodir");
    let output = pbx.hotelcare().arg("watch").arg(&missing).output().unwrap();
    assert_eq!(output.status.code(), Some(2));
    let stderr = text(&output.stderr);
    assert!(stderr.contains("does not exist"), "{stderr}");
    assert!(stderr.contains("--create"), "{stderr}");
    assert!(!missing.exists());
    let mut watch = std::process::Command::new(assert_cmd::cargo::cargo_bin("hotelcare"))
        .current_dir(pbx.dir.path())
        .args(["--config"])
        .arg(&pbx.config)
        .arg("watch")
        .arg(&missing)
        .arg("--create")
        .env("HOTELCARE_TEST_PBX_PASSWORD", PASSWORD)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    wait_for("the spool folders", || missing.join("work").is_dir());
    watch.kill().unwrap();
    watch.wait().unwrap();
}

#[test]
fn a_file_without_a_final_line_break_is_warned_about_then_run_and_reports_say_why() {
    let pbx = TestPbx::start();
    let spool = pbx.dir.path().join("spool");
    std::fs::create_dir_all(&spool).unwrap();
    // settle 400 ms: warned after 0.4 s, taken as complete after 12 s.
    std::fs::write(
        spool.join("a.hc"),
        "CHECKIN 1000 \"Mustermann,Maximilian\" DID 3000",
    )
    .unwrap();
    std::fs::write(spool.join("b.hc"), b"CHECKIN 2000 \"M\xFCller\"\n").unwrap();
    let mut watch = start_watch(&pbx, &spool);
    let log = pbx.dir.path().join("logs/hotelcare-service.log");
    let read_log = || std::fs::read_to_string(&log).unwrap_or_default();
    wait_for("the warning", || {
        read_log().contains("does not end with a line break")
    });
    // The Latin-1 file is refused, with the reason in the log and the report.
    wait_for("b in failed/", || spool.join("failed/b.hc").exists());
    // The log's lines are written when the service waits: the refusal may reach the file a
    // moment after the move.
    wait_for("the refusal with its reason in the log", || {
        read_log().contains("b.hc: refused, nothing was run: cannot be read: line 1 is not UTF-8")
    });
    let report = std::fs::read_to_string(spool.join("failed/b.hc.report.json")).unwrap();
    let report: serde_json::Value = serde_json::from_str(&report).unwrap();
    assert_eq!(report["verdict"], "failed");
    assert!(
        report["rejected"]
            .as_str()
            .unwrap()
            .contains("--encoding windows-1252")
    );
    assert_eq!(pbx.record("1000").last_name, "Room 1000", "not run yet");
    wait_for("a in done/", || spool.join("done/a.hc").exists());
    watch.kill().unwrap();
    watch.wait().unwrap();
    assert_eq!(pbx.record("1000").did_service_number, "3000");
    let log = read_log();
    assert_eq!(
        log.matches("a.hc` does not end with a line break").count(),
        1,
        "warned once: {log}"
    );
    assert!(log.contains("taken as complete and run"), "{log}");
    // Both reports carry the warning about the cut name; the JSON one per command.
    let text_report = std::fs::read_to_string(spool.join("done/a.hc.report.txt")).unwrap();
    assert!(
        text_report.contains("1 command done, 0 failed"),
        "{text_report}"
    );
    assert!(
        text_report.contains("cut to \"Mustermann,Maximilia\""),
        "{text_report}"
    );
    let json: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(spool.join("done/a.hc.report.json")).unwrap(),
    )
    .unwrap();
    assert_eq!(json["verdict"], "done");
    let command = &json["commands"][0];
    assert_eq!(command["line"], 1);
    assert_eq!(command["room"], "1000");
    assert_eq!(command["result"], "done");
    assert_eq!(command["attempts"], 0);
    assert!(
        command["warnings"][0]
            .as_str()
            .unwrap()
            .contains("Mustermann,Maximilia")
    );
    assert!(
        !json.to_string().contains("Maximilian\""),
        "the name stays out: {json}"
    );
}

/// A file name is data from outside: a line break or a bidirectional control in it cannot
/// forge a line of the service's log or turn its text around.
#[cfg(unix)]
#[test]
fn a_file_name_cannot_forge_a_log_line() {
    let pbx = TestPbx::start();
    let spool = pbx.dir.path().join("spool");
    std::fs::create_dir_all(&spool).unwrap();
    let name = "a\nERROR forged\u{202e}.hc";
    std::fs::write(spool.join(name), "COS 1000 LOCAL\n").unwrap();
    let mut watch = start_watch(&pbx, &spool);
    wait_for("the file in done/", || {
        spool.join("done").join(name).exists()
    });
    // The log line may come a moment after the move (lines are written when the service
    // waits): killed at once, the service could take it along.
    let path = pbx.dir.path().join("logs/hotelcare-service.log");
    wait_for("the file's name in the log", || {
        std::fs::read_to_string(&path)
            .is_ok_and(|log| log.contains("a\\u{a}ERROR forged\\u{202e}.hc"))
    });
    let _ = watch.kill();
    let _ = watch.wait();
    let log = std::fs::read_to_string(&path).unwrap();
    assert!(!log.contains("\nERROR forged"), "{log}");
    assert!(!log.contains('\u{202e}'), "{log}");
}

/// A symbolic link in the spool is never followed: a linked `done/` (processed files name
/// guests) stops the spool with what to do; a linked script is told about and not run.
#[cfg(unix)]
#[test]
fn symbolic_links_in_the_spool_are_refused_not_followed() {
    let pbx = TestPbx::start();
    let spool = pbx.dir.path().join("spool");
    let elsewhere = pbx.dir.path().join("elsewhere");
    std::fs::create_dir_all(&spool).unwrap();
    std::fs::create_dir_all(&elsewhere).unwrap();
    std::os::unix::fs::symlink(&elsewhere, spool.join("done")).unwrap();
    let out = pbx.hotelcare().arg("watch").arg(&spool).output().unwrap();
    let said = text(&out.stderr);
    assert!(!out.status.success(), "{said}");
    assert!(
        said.contains("`done` in it is a symbolic link, which hotelcare does not follow"),
        "{said}"
    );
    std::fs::remove_file(spool.join("done")).unwrap();

    let script = elsewhere.join("tonight.hc");
    std::fs::write(&script, "COS 1000 LOCAL\n").unwrap();
    std::os::unix::fs::symlink(&script, spool.join("linked.hc")).unwrap();
    let mut watch = start_watch(&pbx, &spool);
    let log = pbx.dir.path().join("logs/hotelcare-service.log");
    wait_for("the notice", || {
        std::fs::read_to_string(&log)
            .unwrap_or_default()
            .contains("linked.hc` is a symbolic link: not run")
    });
    std::thread::sleep(std::time::Duration::from_millis(800));
    let _ = watch.kill();
    let _ = watch.wait();
    assert!(spool.join("linked.hc").exists(), "left where it is");
    assert!(
        std::fs::read_dir(spool.join("done"))
            .unwrap()
            .next()
            .is_none()
    );
    let told = std::fs::read_to_string(&log).unwrap();
    assert_eq!(
        told.matches("is a symbolic link: not run").count(),
        1,
        "told once: {told}"
    );
}
