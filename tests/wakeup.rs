//! Wake-up calls through the binary: booked, cleared one and all, taken along by a move and
//! cleared by a check-out, on a MiXML PBX and on a Mitel PMS PBX; every bad input refused by
//! `check` with a caret and a fix.

use crate::mitel_pms::TestPms;
use crate::support::{TestPbx, text};

/// Tomorrow's date, as the language writes it.
fn tomorrow() -> String {
    (chrono::Local::now().date_naive() + chrono::Days::new(1))
        .format("%Y-%m-%d")
        .to_string()
}

#[test]
fn on_a_mixml_pbx_wakeups_are_booked_cleared_moved_and_checked_out() {
    let pbx = TestPbx::start();
    let day = tomorrow();
    let ran = pbx.run(&format!(
        "CHECKIN 1000 \"Solo,Alina\"\nWAKEUP 1000 07:00 {day}\nWAKEUP 1000 06:30 {day}\nWAKEUP 1000 08:15 {day}\nWAKEUP 1000 CLEAR 06:30\n"
    ));
    assert!(ran.status.success(), "{}", text(&ran.stderr));
    assert_eq!(
        pbx.record("1000").wakeup_times,
        format!("{day} 07:00, {day} 08:15")
    );
    let rooms = pbx.hotelcare().args(["rooms", "1000"]).output().unwrap();
    assert!(
        text(&rooms.stdout).contains(&format!("[wake-up: {day} 07:00, {day} 08:15]")),
        "{}",
        text(&rooms.stdout)
    );

    let ran = pbx.run("MOVE 1000 2000\n");
    assert!(ran.status.success(), "{}", text(&ran.stderr));
    assert_eq!(pbx.record("1000").wakeup_times, "", "the old room's went");
    assert_eq!(
        pbx.record("2000").wakeup_times,
        format!("{day} 07:00, {day} 08:15"),
        "and came along"
    );

    let ran = pbx.run("WAKEUP 2000 CLEAR\nWAKEUP 2000 09:00\n");
    assert!(ran.status.success(), "{}", text(&ran.stderr));
    assert!(pbx.record("2000").wakeup_times.ends_with(" 09:00"));
    let ran = pbx.run("CHECKOUT 2000\n");
    assert!(ran.status.success(), "{}", text(&ran.stderr));
    assert_eq!(
        pbx.record("2000").wakeup_times,
        "",
        "a check-out clears them"
    );
    let json = pbx
        .hotelcare()
        .args(["--format", "json", "rooms", "2000"])
        .output()
        .unwrap();
    let rooms: serde_json::Value = serde_json::from_slice(&json.stdout).unwrap();
    assert!(rooms["rooms"][0].get("wakeups").is_none(), "{rooms}");
}

#[test]
fn a_vacant_room_gets_no_wakeup_and_nothing_is_written() {
    let pbx = TestPbx::start();
    // Never touched by hotelcare: the MiXML wire reads the room and refuses before writing.
    let ran = pbx.run(&format!("WAKEUP 1000 07:00 {}\n", tomorrow()));
    assert_eq!(ran.status.code(), Some(4), "{}", text(&ran.stderr));
    assert!(
        text(&ran.stderr).contains("has no guest"),
        "{}",
        text(&ran.stderr)
    );
    assert_eq!(pbx.record("1000").wakeup_times, "");
}

#[test]
fn on_a_mitel_pms_pbx_a_wakeup_is_a_wkp_record() {
    let pms = TestPms::start("");
    let ran = pms.run(&format!(
        "CHECKIN 1000 \"Solo,Alina\"\nWAKEUP 1000 07:00\nWAKEUP 1000 06:30 {}\nWAKEUP 1000 CLEAR 07:00\nMOVE 1000 2000\nWAKEUP 2000 CLEAR\n",
        tomorrow()
    ));
    assert!(ran.status.success(), "{}", text(&ran.stderr));
    let applied = pms.simulator().applied();
    let wakeups: Vec<&str> = applied
        .iter()
        .map(String::as_str)
        .filter(|r| r.starts_with("WKP"))
        .collect();
    assert_eq!(
        wakeups,
        [
            "WKP0700 1000",
            "WKP0630 1000",
            // A clear names no time: all go, the others are booked again.
            "WKP     1000",
            "WKP0630 1000",
            // The move books them again in the new room (the old room's went at its CHK0).
            "WKP0630 2000",
            "WKP     2000",
        ]
    );
    assert!(pms.simulator().room("2000").unwrap().wakeups.is_empty());
    // SHOW on this wire is the expected room state: the wake-ups hotelcare booked.
    let ran = pms.run(&format!("WAKEUP 2000 05:45 {}\n", tomorrow()));
    assert!(ran.status.success(), "{}", text(&ran.stderr));
    let shown = pms.hotelcare().args(["show", "2000"]).output().unwrap();
    let record = text(&shown.stdout);
    assert!(
        record.contains("Wake-up Times") && record.contains(&format!("\"{} 05:45\"", tomorrow())),
        "{record}"
    );
}

#[test]
fn the_wakeup_code_is_configurable_for_the_site() {
    let pms = TestPms::start("wakeup_code = \"WAK\"");
    let plan = pms
        .hotelcare()
        .args(["plan", "-"])
        .write_stdin("WAKEUP 1000 CLEAR\n")
        .output()
        .unwrap();
    assert!(plan.status.success(), "{}", text(&plan.stderr));
    assert!(text(&plan.stdout).contains("WAK"), "{}", text(&plan.stdout));
    let bad = TestPms::start("wakeup_code = \"wk\"");
    let check = bad
        .hotelcare()
        .args(["check", "-"])
        .write_stdin("TEST\n")
        .output()
        .unwrap();
    assert_eq!(check.status.code(), Some(2));
    assert!(
        text(&check.stderr).contains("mitel_pms.wakeup_code"),
        "{}",
        text(&check.stderr)
    );
}

#[test]
fn check_refuses_each_bad_wakeup_with_a_caret_and_a_fix() {
    let pbx = TestPbx::start();
    // Room 2000 is vacant as the journal has it: a guest came and went.
    let ran = pbx.run("CHECKIN 1000 \"Solo,Alina\"\nCHECKIN 2000 \"Doe,Jo\"\nCHECKOUT 2000\n");
    assert!(ran.status.success(), "{}", text(&ran.stderr));
    let day = tomorrow();
    let cases = [
        ("WAKEUP 1000 25:00", "`25:00` is not a time of day", "1:13"),
        ("WAKEUP 1000 24:00", "`24:00` is not a time of day", "1:13"),
        ("WAKEUP 1000 07:60", "`07:60` is not a time of day", "1:13"),
        (
            "WAKEUP 1000 07:00 2020-01-01",
            "a wake-up at 2020-01-01 07:00 is in the past",
            "1:13",
        ),
        (
            "WAKEUP 1000 07:00 2026-02-30",
            "`2026-02-30` is not a date",
            "1:19",
        ),
        // Room 2000 has no guest, as the journal has it.
        ("WAKEUP 2000 07:00", "room 2000 has no guest to wake", "1:8"),
    ];
    for (line, message, at) in cases {
        let check = pbx
            .hotelcare()
            .args(["check", "-"])
            .write_stdin(format!("{line}\n"))
            .output()
            .unwrap();
        let stderr = text(&check.stderr);
        assert_eq!(check.status.code(), Some(1), "{line}: {stderr}");
        assert!(stderr.contains(message), "{line}: {stderr}");
        assert!(
            stderr.contains(&format!("<stdin>:{at}")),
            "{line}: {stderr}"
        );
        assert!(stderr.contains("help: "), "{line}: {stderr}");
    }
    let fourth = pbx
        .hotelcare()
        .args(["check", "-"])
        .write_stdin(format!(
            "WAKEUP 1000 06:00 {day}\nWAKEUP 1000 06:30 {day}\nWAKEUP 1000 07:00 {day}\nWAKEUP 1000 07:30 {day}\n"
        ))
        .output()
        .unwrap();
    let stderr = text(&fourth.stderr);
    assert_eq!(fourth.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("already has 3 wake-up calls booked"),
        "{stderr}"
    );
    assert!(stderr.contains("<stdin>:4:13"), "{stderr}");
    assert!(stderr.contains("WAKEUP 1000 CLEAR 06:00"), "{stderr}");
}

/// `YYMMDD` of tomorrow, as FIAS writes dates.
fn tomorrow_fias() -> String {
    (chrono::Local::now().date_naive() + chrono::Days::new(1))
        .format("%y%m%d")
        .to_string()
}

/// The wake-up answers the PMS received.
fn answers(pms: &hotelcare::sim::fias_pms::FiasPms) -> Vec<String> {
    pms.received()
        .into_iter()
        .filter(|r| r.starts_with("WA|"))
        .collect()
}

/// Through `hotelcare serve`: the PMS books with `WR` and clears with `WC`; the MiXML PBX rings
/// at its (simulated) time and reports how each call ended; the PMS gets one `WA` per booking,
/// `TI` echoed with its seconds; a check-out clears what is left.
#[test]
fn through_the_service_the_pms_books_clears_and_gets_one_answer_per_call() {
    use hotelcare::sim::Faults;

    let pbx = TestPbx::with(crate::support::Setup {
        pbx_extra: "wakeup_report_secs = 1\n".into(),
        ..crate::support::Setup::default()
    });
    let (_runtime, pms) = crate::fias::start_pms();
    crate::fias::add_fias(&pbx.config, &pms, "");
    let mut service = crate::fias::serve(&pbx);
    crate::fias::link_up(&pms);
    assert!(
        pms.received().iter().any(|r| r == "LR|RIWA|FLRNDATIAS|"),
        "{:?}",
        pms.received()
    );
    pms.send(b"GI|RN1000|G#71|GNSolo|GFAlina|");
    crate::support::wait_for("the check-in", || {
        pbx.record("1000").directory_name == "Solo,Alina"
    });
    let day = tomorrow_fias();
    let date = tomorrow();
    for time in ["070015", "080000", "090000", "100000"] {
        // In order, as a PMS sends them.
        std::thread::sleep(std::time::Duration::from_millis(100));
        pms.send(format!("WR|RN1000|DA{day}|TI{time}|").as_bytes());
    }
    // Three are booked; a fourth is more than MiVB holds: refused, and answered UR at once.
    crate::support::wait_for("three booked, the fourth refused", || {
        pbx.record("1000").wakeup_times.matches(", ").count() == 2
            && answers(&pms).contains(&format!("WA|RN1000|DA{day}|TI100000|ASUR|"))
    });
    pms.send(format!("WR|RN2000|DA{day}|TI063000|").as_bytes());
    crate::support::wait_for("a vacant room's refused", || {
        answers(&pms).contains(&format!("WA|RN2000|DA{day}|TI063000|ASUR|"))
    });
    // The PMS clears one and books another.
    pms.send(format!("WC|RN1000|DA{day}|TI090000|").as_bytes());
    pms.send(format!("WR|RN1000|DA{day}|TI090000|").as_bytes());

    for (clock, answer, expected) in [
        ("07:00", "busy", "TI070015|ASBY|"),
        ("08:00", "no-answer", "TI080000|ASNR|"),
        ("09:00", "answered", "TI090000|ASOK|"),
    ] {
        pbx.set_faults(Faults {
            clock: Some(format!("{date} {clock}")),
            wakeup_answers: vec![("1000".into(), answer.into())],
            ..Faults::default()
        });
        let wanted = format!("WA|RN1000|DA{day}|{expected}");
        crate::support::wait_for(&wanted, || answers(&pms).contains(&wanted));
    }
    // Each booking had exactly one answer (the two refused ones their UR), the cleared one
    // none.
    std::thread::sleep(std::time::Duration::from_millis(2500));
    assert_eq!(answers(&pms).len(), 5, "{:?}", answers(&pms));
    assert_eq!(pbx.record("1000").wakeup_times, "");

    // Killed and started again: the PBX's report still lists the calls that rang, and the
    // PMS gets no second answer for any of them.
    let _ = service.kill();
    let _ = service.wait();
    let _ = std::fs::remove_file(pbx.dir.path().join("state/service.json"));
    let links = pms
        .received()
        .iter()
        .filter(|r| r.starts_with("LD|"))
        .count();
    let mut service = crate::fias::serve(&pbx);
    crate::support::wait_for("the link to come up again", || {
        pms.received()
            .iter()
            .filter(|r| r.starts_with("LD|"))
            .count()
            > links
    });
    std::thread::sleep(std::time::Duration::from_millis(2500));
    assert_eq!(answers(&pms).len(), 5, "{:?}", answers(&pms));

    pbx.set_faults(Faults::default());
    pms.send(format!("WR|RN1000|DA{day}|TI110000|").as_bytes());
    crate::support::wait_for("booked", || {
        pbx.record("1000").wakeup_times.contains("11:00")
    });
    pms.send(format!("WR|RN1000|DA{day}|TI113000|").as_bytes());
    crate::support::wait_for("two booked", || {
        pbx.record("1000").wakeup_times.contains("11:30")
    });
    // `WC` with empty `DA` and `TI` clears all of the room's.
    pms.send(b"WC|RN1000|DA|TI|");
    crate::support::wait_for("all cleared", || pbx.record("1000").wakeup_times.is_empty());
    pms.send(format!("WR|RN1000|DA{day}|TI110000|").as_bytes());
    crate::support::wait_for("booked again", || {
        pbx.record("1000").wakeup_times.contains("11:00")
    });
    pms.send(b"GO|RN1000|G#71|");
    crate::support::wait_for("the check-out clears it", || {
        pbx.record("1000").directory_name == "Room 1000"
    });
    assert_eq!(pbx.record("1000").wakeup_times, "");
    let _ = service.kill();
}

/// On a Mitel PMS PBX (its protocol reports no result), the PMS is answered `OK` once the
/// call is booked when the hotel says so; a wake-up that cannot be booked is answered `UR`.
#[test]
fn on_a_pbx_without_results_the_configured_answer_goes_once() {
    let pms_pbx = TestPms::start("");
    let (_runtime, pms) = crate::fias::start_pms();
    crate::fias::add_fias(&pms_pbx.config, &pms, "wakeup_answer = \"OK\"\n");
    let mut service = crate::support::Service::new(
        std::process::Command::new(assert_cmd::cargo::cargo_bin("hotelcare"))
            .current_dir(pms_pbx.dir.path())
            .arg("--config")
            .arg(&pms_pbx.config)
            .arg("serve")
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap(),
    );
    crate::fias::link_up(&pms);
    pms.send(b"GI|RN1000|G#72|GNSolo|GFAlina|");
    let day = tomorrow_fias();
    pms.send(format!("WR|RN1000|DA{day}|TI063000|").as_bytes());
    // Room 2000 has no guest: refused before anything is sent, answered UR.
    pms.send(format!("WR|RN2000|DA{day}|TI063000|").as_bytes());
    crate::support::wait_for("both answered", || answers(&pms).len() == 2);
    let answered = answers(&pms);
    assert!(
        answered.contains(&format!("WA|RN1000|DA{day}|TI063000|ASOK|")),
        "{answered:?}"
    );
    assert!(
        answered.contains(&format!("WA|RN2000|DA{day}|TI063000|ASUR|")),
        "{answered:?}"
    );
    assert_eq!(pms_pbx.simulator().room("1000").unwrap().wakeups, ["0630"]);
    std::thread::sleep(std::time::Duration::from_secs(2));
    assert_eq!(answers(&pms).len(), 2, "never twice");
    let _ = service.kill();
}
