//! `hotelcare watch`: files dropped while it runs and while it is stopped are executed once, in
//! name order; a file still being written is not executed; invalid files go to `failed/`.

use std::path::Path;
use std::process::{Child, Stdio};
use std::time::{Duration, Instant};

use crate::support::{PASSWORD, TestPbx, text};

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

fn wait_for(what: &str, mut condition: impl FnMut() -> bool) {
    let started = Instant::now();
    while !condition() {
        assert!(
            started.elapsed() < Duration::from_secs(20),
            "timed out waiting for {what}"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
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
    let log = std::fs::read_to_string(pbx.dir.path().join("logs/hotelcare-watch.log")).unwrap();
    assert!(log.contains("watch started"), "{}", text(log.as_bytes()));
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
