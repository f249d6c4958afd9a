//! The Mitel PMS wire end to end: the real binary drives the PBX-side simulator over a TCP link;
//! the frames are the spec's, the rooms end right, faults lose nothing.

use std::process::Output;

use hotelcare::sim::mitel_pms::{PmsFaults, PmsSimulator};

use crate::support::{hotelcare, text};

/// A PBX-side simulator in this test process and a configuration directory pointing at it.
pub(crate) struct TestPms {
    runtime: tokio::runtime::Runtime,
    simulator: Option<PmsSimulator>,
    pub(crate) dir: tempfile::TempDir,
    pub(crate) config: std::path::PathBuf,
}

impl TestPms {
    pub(crate) fn start(extra: &str) -> Self {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap();
        let rooms = ["1000".to_owned(), "2000".to_owned()];
        let simulator = runtime
            .block_on(PmsSimulator::start(
                "127.0.0.1:0".parse().unwrap(),
                &rooms,
                5,
            ))
            .unwrap();
        let dir = tempfile::tempdir().unwrap();
        let config = dir.path().join("hotelcare.toml");
        std::fs::write(
            &config,
            format!(
                "[pbx]\ninterface = \"mitel-pms\"\nserver = \"{}\"\n\n[mitel_pms]\nallow = 2\nblock = 0\nnam_replace = 2\nkeepalive_secs = 0\n{extra}\n\n\
                 [class_of_service]\nLOCAL = 1\n\n[run]\nstate_dir = \"state\"\nlog_dir = \"logs\"\n\n\
                 [run.retry]\nattempts = 6\ninitial_backoff_ms = 20\nmax_backoff_ms = 200\n\n[service]\nlisten = \"127.0.0.1:0\"\n",
                simulator.address()
            ),
        )
        .unwrap();
        Self {
            runtime,
            simulator: Some(simulator),
            dir,
            config,
        }
    }

    pub(crate) fn simulator(&self) -> &PmsSimulator {
        self.simulator.as_ref().unwrap()
    }

    /// `hotelcare --config <this PBX's configuration>`, in its directory.
    pub(crate) fn hotelcare(&self) -> assert_cmd::Command {
        let mut command = hotelcare();
        command
            .current_dir(self.dir.path())
            .arg("--config")
            .arg(&self.config);
        command
    }

    pub(crate) fn run(&self, script: &str) -> Output {
        let path = self.dir.path().join("script.hc");
        std::fs::write(&path, script).unwrap();
        hotelcare()
            .current_dir(self.dir.path())
            .arg("--config")
            .arg(&self.config)
            .arg("run")
            .arg(&path)
            .output()
            .unwrap()
    }
}

impl Drop for TestPms {
    fn drop(&mut self) {
        if let Some(simulator) = self.simulator.take() {
            let _guard = self.runtime.enter();
            simulator.stop();
        }
    }
}

#[test]
fn the_vendor_example_over_the_link_sends_the_specs_frames() {
    let pms = TestPms::start("");
    let ran = pms.run("CHECKIN 1000 \"Solo,Alina\"\nCOS 1000 LOCAL\nMOVE 1000 2000\n");
    assert!(
        ran.status.success(),
        "{}\n{}",
        text(&ran.stdout),
        text(&ran.stderr)
    );
    let stdout = text(&ran.stdout);
    assert!(
        stdout.contains("1000  CHECKIN   send check in (CHK1)  <STX>CHK1  1000<ETX>  -> ok"),
        "{stdout}"
    );
    assert!(
        stdout.contains("Mitel PMS link to 127.0.0.1:"),
        "the monitor says so: {stdout}"
    );
    let room = pms.simulator().room("2000").unwrap();
    assert!(room.occupied);
    assert_eq!(room.name, "Solo,Alina");
    assert_eq!(room.level, Some(1), "the moved guest keeps the level");
    assert!(!pms.simulator().room("1000").unwrap().occupied);
    // SHOW on this wire is what hotelcare last set, and says so.
    let shown = hotelcare()
        .current_dir(pms.dir.path())
        .arg("--config")
        .arg(&pms.config)
        .args(["show", "2000"])
        .output()
        .unwrap();
    assert!(shown.status.success(), "{}", text(&shown.stderr));
    let record = text(&shown.stdout);
    assert!(record.contains("this wire cannot read the PBX"), "{record}");
    assert!(record.contains("\"Solo,Alina\""), "{record}");
    assert!(record.contains("Restriction level"), "{record}");

    let ran = pms.run("MW 2000 ON\nDND 2000 ON\nDND 2000 OFF\nCHECKOUT 2000\n");
    assert!(ran.status.success(), "{}", text(&ran.stderr));
    let vacated = pms.simulator().room("2000").unwrap();
    assert!(!vacated.occupied && vacated.name.is_empty());
    assert_eq!(vacated.level, Some(0), "blocked");
    assert_eq!(
        pms.simulator().applied(),
        [
            "CHK1  1000",
            "NAM1 Solo,Alina            1000",
            "RST2  1000",
            "RST1  1000",
            "CHK0  1000",
            "RST0  1000",
            "CHK1  2000",
            "NAM1 Solo,Alina            2000",
            "RST1  2000",
            "MW 1  2000",
            "DND1  2000",
            "DND0  2000",
            "CHK0  2000",
            "RST0  2000",
            // The lamp the stay switched on goes off with it: the next guest starts without.
            "MW 0  2000",
        ]
    );
    assert!(!vacated.message_waiting && !vacated.do_not_disturb);
    let rooms = hotelcare()
        .current_dir(pms.dir.path())
        .arg("--config")
        .arg(&pms.config)
        .args(["rooms", "2000"])
        .output()
        .unwrap();
    let listed = text(&rooms.stdout);
    assert!(
        !listed.contains("message waiting") && !listed.contains("do not disturb"),
        "{listed}"
    );
    // SHOW on this wire is what hotelcare last set, and says so.
    let shown = hotelcare()
        .current_dir(pms.dir.path())
        .arg("--config")
        .arg(&pms.config)
        .args(["show", "1000"])
        .output()
        .unwrap();
    assert!(shown.status.success(), "{}", text(&shown.stderr));
    assert!(text(&shown.stdout).contains("this wire cannot read the PBX"));
}

#[test]
fn a_did_for_a_mitel_pms_pbx_fails_validation_and_sends_nothing() {
    let pms = TestPms::start("");
    let ran = pms.run("CHECKIN 1000 \"Solo,Alina\"\nDID 1000 3000\n");
    assert_eq!(ran.status.code(), Some(1));
    let stderr = text(&ran.stderr);
    assert!(
        stderr.contains("DID needs the MiXML interface; PBX \"main\" uses mitel-pms"),
        "{stderr}"
    );
    assert_eq!(pms.simulator().stats().transactions, 0);
}

#[test]
fn a_check_in_into_an_occupied_room_is_refused_from_the_expected_state() {
    let pms = TestPms::start("");
    assert!(pms.run("CHECKIN 1000 \"Alpha,Ann\"\n").status.success());
    let ran = pms.run("CHECKIN 1000 \"Beta,Bob\"\n");
    assert_eq!(ran.status.code(), Some(4), "{}", text(&ran.stderr));
    assert!(text(&ran.stderr).contains("room 1000 is occupied by \"Alpha,Ann\""));
    assert_eq!(pms.simulator().room("1000").unwrap().name, "Alpha,Ann");
    let ran = pms.run("CHECKIN 1000 \"Beta,Bob\" REPLACE\n");
    assert!(ran.status.success(), "{}", text(&ran.stderr));
    assert_eq!(pms.simulator().room("1000").unwrap().name, "Beta,Bob");
}

#[test]
fn naks_silence_drops_glare_and_maid_status_lose_nothing() {
    let pms = TestPms::start("");
    pms.simulator().set_faults(PmsFaults {
        nak_rate: 0.2,
        silent_rate: 0.03,
        drop_rate: 0.1,
        glare_every: 5,
        maid_every: Some(std::time::Duration::from_millis(300)),
        ..PmsFaults::default()
    });
    let mut script = String::new();
    for round in 0..5 {
        std::fmt::Write::write_fmt(
            &mut script,
            format_args!(
                "CHECKIN 1000 \"Guest{round},A\"\nCOS 1000 LOCAL\nMOVE 1000 2000\nCHECKOUT 2000\n"
            ),
        )
        .unwrap();
    }
    script.push_str("CHECKIN 2000 \"Last,Guest\"\n");
    let ran = pms.run(&script);
    assert!(ran.status.success(), "{}", text(&ran.stderr));
    assert!(
        text(&ran.stdout).contains("maid status of room 1000: clean"),
        "the monitor shows what the PBX said: {}",
        text(&ran.stdout)
    );
    let stats = pms.simulator().stats();
    assert!(
        stats.naks > 0 && stats.glares > 0 && stats.unsolicited > 0,
        "{stats:?}"
    );
    assert!(
        stats.connections > 1,
        "a dropped connection was made again: {stats:?}"
    );
    let first = pms.simulator().room("1000").unwrap();
    assert!(!first.occupied && first.name.is_empty());
    // The maid status the PBX sent along the way is in the room state.
    let rooms = hotelcare()
        .current_dir(pms.dir.path())
        .arg("--config")
        .arg(&pms.config)
        .arg("rooms")
        .output()
        .unwrap();
    assert!(
        text(&rooms.stdout).contains("maid status: clean"),
        "{}",
        text(&rooms.stdout)
    );
    let last = pms.simulator().room("2000").unwrap();
    assert!(last.occupied);
    assert_eq!(last.name, "Last,Guest");
    assert_eq!(last.level, Some(2));
}

/// The frames of the vendor example (without number transfer), as `plan --raw` shows them:
/// a snapshot of the wire's shape.
#[test]
fn the_vendor_example_plans_to_the_specs_frames() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("pms.toml");
    std::fs::write(
        &config,
        "[pbx]\ninterface = \"mitel-pms\"\nserver = \"127.0.0.1:6830\"\n\n[mitel_pms]\nnam_replace = 2\n\n[class_of_service]\nLOCAL = 1\n",
    )
    .unwrap();
    let script = crate::support::root().join("scripts/vendor-example.hc");
    let output = hotelcare()
        .arg("--config")
        .arg(&config)
        .args(["plan", "--raw"])
        .arg(&script)
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", text(&output.stderr));
    let mut settings = insta::Settings::clone_current();
    settings.set_snapshot_path("../snapshots");
    settings.set_prepend_module_to_snapshot(false);
    settings.set_omit_expression(true);
    settings.bind(|| {
        insta::assert_snapshot!(
            "vendor-example-mitel-pms-frames",
            text(&output.stdout).replace(&script.display().to_string(), "vendor-example.hc")
        );
    });
}

/// The `[mitel_pms]` keys the example configuration documents are the ones the program reads.
#[test]
fn the_example_configuration_documents_the_mitel_pms_keys() {
    let example =
        std::fs::read_to_string(crate::support::root().join("hotelcare.example.toml")).unwrap();
    let section: String = example
        .lines()
        .skip_while(|line| *line != "# [mitel_pms]")
        .skip(1)
        .map_while(|line| line.strip_prefix("#   "))
        .flat_map(|line| [line, "\n"])
        .collect();
    assert!(section.contains("nam_replace = 2"), "{section}");
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("hotelcare.toml");
    std::fs::write(
        &config,
        format!("[pbx]\ninterface = \"mitel-pms\"\nserver = \"127.0.0.1:6830\"\n\n[mitel_pms]\n{section}"),
    )
    .unwrap();
    let output = hotelcare()
        .arg("--config")
        .arg(&config)
        .args(["check", "-"])
        .write_stdin("CHECKIN 1000 \"Solo,Alina\"\nRENAME 1000 \"Solo,Aline\"\n")
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", text(&output.stderr));
}

/// A PMS simulator and `hotelcare serve` for it with keep-alives on (so that the service makes
/// a lost link again by itself), started.
fn serving_with_keepalives() -> (TestPms, crate::support::Service) {
    let pms = TestPms::start("");
    let config = std::fs::read_to_string(&pms.config).unwrap();
    std::fs::write(
        &pms.config,
        config.replace("keepalive_secs = 0", "keepalive_secs = 1"),
    )
    .unwrap();
    let service = crate::support::Service::new(hotelcare_std(&pms).arg("serve").spawn().unwrap());
    let info = pms.dir.path().join("state/service.json");
    crate::support::wait_for("service.json", || info.exists());
    (pms, service)
}

/// After a restart the PBX asks to be initialized; the service answers with a general reset
/// from the expected room state.
#[test]
fn a_request_to_initialize_is_answered_with_a_general_reset() {
    let (pms, mut service) = serving_with_keepalives();
    let ran =
        pms.run("CHECKIN 1000 \"Solo,Alina\" COS LOCAL\nCHECKIN 2000 \"Rex,Ray\"\nCHECKOUT 2000\n");
    assert!(ran.status.success(), "{}", text(&ran.stderr));
    // The PBX drops the link (as it restarts) and comes back: the service reconnects unasked.
    pms.simulator().set_faults(PmsFaults {
        drop_rate: 1.0,
        ..PmsFaults::default()
    });
    crate::support::wait_for("the keep-alive that finds the link dropped", || {
        pms.simulator().stats().connections >= 2
    });
    pms.simulator().set_faults(PmsFaults::default());
    // The restarted PBX asks to be initialized on the link the service made again (asked
    // again while that link may still be settling).
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    let finished = || pms.simulator().applied().iter().any(|frame| frame == "END");
    while !finished() {
        assert!(
            std::time::Instant::now() < deadline,
            "no general reset: {:?}\n{}",
            pms.simulator().stats(),
            std::fs::read_to_string(pms.dir.path().join("logs/hotelcare-service.log"))
                .unwrap_or_default()
        );
        pms.simulator().reboot();
        std::thread::sleep(std::time::Duration::from_millis(1500));
    }
    // The first general reset, without the keep-alives between its records.
    let applied: Vec<String> = pms
        .simulator()
        .applied()
        .into_iter()
        .filter(|frame| frame != "AREYUTHERE")
        .collect();
    let start = applied.iter().position(|f| f == "GRS").unwrap();
    let end = start + applied[start..].iter().position(|f| f == "END").unwrap();
    let reset = &applied[start..=end];
    assert_eq!(
        reset,
        [
            "GRS",
            "CHK1  1000",
            &format!("NAM1 {:<21} 1000", "Solo,Alina"),
            "RST1  1000",
            "CHK0  2000",
            "END"
        ]
    );
    let _ = service.kill();
    let _ = service.wait();
}

fn hotelcare_std(pms: &TestPms) -> std::process::Command {
    let mut command = std::process::Command::new(assert_cmd::cargo::cargo_bin("hotelcare"));
    command
        .current_dir(pms.dir.path())
        .arg("--config")
        .arg(&pms.config)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null());
    command
}

/// A PMS simulator and a configuration that gives up on a transaction after 3 s, at once.
fn impatient() -> TestPms {
    let pms = TestPms::start("");
    let config = std::fs::read_to_string(&pms.config).unwrap();
    std::fs::write(
        &pms.config,
        config
            .replace(
                "interface = \"mitel-pms\"\n",
                "interface = \"mitel-pms\"\ntimeout_secs = 3\n",
            )
            .replace("attempts = 6", "attempts = 1"),
    )
    .unwrap();
    pms
}

/// A PBX that answers every ENQ with its own transaction (a glare storm): with `timeout_secs =
/// 3` the check-in gives up within about 3 s — not the 96 s the trial saw — and says why.
#[test]
fn a_glare_storm_is_bounded_by_the_pbxs_timeout() {
    let pms = impatient();
    pms.simulator().set_faults(PmsFaults {
        glare_every: 1,
        ..PmsFaults::default()
    });
    let started = std::time::Instant::now();
    let ran = pms.run("CHECKIN 1000 \"Solo,Alina\"\n");
    let took = started.elapsed();
    let said = format!("{}{}", text(&ran.stdout), text(&ran.stderr));
    assert!(!ran.status.success(), "{said}");
    assert!(
        said.contains("kept the link busy with its own transactions (glare) for 3 s"),
        "{said}"
    );
    assert!(
        took < std::time::Duration::from_secs(12),
        "{took:?}: {said}"
    );
    assert!(
        pms.simulator()
            .applied()
            .iter()
            .all(|f| !f.starts_with("CHK1"))
    );
}

/// Line noise with ACK bytes in it: an ACK that came before our frame does not pass for the
/// PBX's acceptance of it; the frame the PBX never applied is not reported done.
#[test]
fn a_stray_ack_in_noise_is_not_taken_for_acceptance() {
    let pms = impatient();
    pms.simulator().set_faults(PmsFaults {
        noise_acks: true,
        ..PmsFaults::default()
    });
    let ran = pms.run("CHECKIN 1000 \"Solo,Alina\"\n");
    let said = format!("{}{}", text(&ran.stdout), text(&ran.stderr));
    assert!(
        !ran.status.success(),
        "reported done though never applied: {said}"
    );
    assert!(pms.simulator().applied().is_empty(), "{said}");
    assert!(said.contains("no answer to"), "{said}");
}

/// A PBX that asks to be initialized 30 times in a row (the trial saw 30 general resets, 11,458
/// frames): requests that come while a reset is queued or runs are answered by it.
#[test]
fn repeated_requests_to_initialize_are_folded_into_the_running_reset() {
    let (pms, mut service) = serving_with_keepalives();
    let ran = pms.run("CHECKIN 1000 \"Solo,Alina\"\nCHECKIN 2000 \"Rex,Ray\"\n");
    assert!(ran.status.success(), "{}", text(&ran.stderr));
    // A slow PBX: a reset takes a while, and the requests keep coming meanwhile.
    pms.simulator().set_faults(PmsFaults {
        latency: std::time::Duration::from_millis(20),
        ..PmsFaults::default()
    });
    for _ in 0..30 {
        pms.simulator().reboot();
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    let resets = || {
        pms.simulator()
            .applied()
            .iter()
            .filter(|frame| *frame == "GRS")
            .count()
    };
    crate::support::wait_for("a general reset", || resets() > 0);
    // Quiet for a while: every request has been answered.
    let mut seen = resets();
    loop {
        std::thread::sleep(std::time::Duration::from_millis(1500));
        let now = resets();
        if now == seen {
            break;
        }
        seen = now;
    }
    // The reset's summary and the folded requests are told once the reset has ended, which
    // on a loaded machine may be after the quiet time above.
    let log = || {
        std::fs::read_to_string(pms.dir.path().join("logs/hotelcare-service.log"))
            .unwrap_or_default()
    };
    crate::support::wait_for("the folded requests told", || {
        log().contains("answered by it, not each with a reset of its own")
    });
    let seen = seen.max(resets());
    assert!(
        seen <= 6,
        "{seen} general resets for 30 requests:\n{}",
        log()
    );
    let _ = service.kill();
    let _ = service.wait();
}

/// A PBX that floods its status frames (a maid status every few milliseconds): each is recorded,
/// but the log gets a line for the first reports of a minute only, so that the flood cannot
/// rotate the audit trail away (issue 23, item 8).
#[test]
fn a_flood_of_status_frames_is_recorded_without_a_log_line_each() {
    let (pms, mut service) = serving_with_keepalives();
    pms.simulator().set_faults(PmsFaults {
        maid_every: Some(std::time::Duration::from_millis(5)),
        ..PmsFaults::default()
    });
    crate::support::wait_for("a flood of status frames", || {
        pms.simulator().stats().unsolicited > 200
    });
    pms.simulator().set_faults(PmsFaults::default());
    let log = std::fs::read_to_string(pms.dir.path().join("logs/hotelcare-service.log"))
        .unwrap_or_default();
    let lines = log
        .lines()
        .filter(|line| line.contains("maid status of room"))
        .count();
    assert!(
        (1..=crate::support::FLOOD_TOLD).contains(&lines),
        "{lines} log lines for {} frames",
        pms.simulator().stats().unsolicited
    );
    let rooms = hotelcare()
        .current_dir(pms.dir.path())
        .arg("--config")
        .arg(&pms.config)
        .args(["rooms", "1000"])
        .output()
        .unwrap();
    assert!(
        text(&rooms.stdout).contains("maid status"),
        "recorded all the same: {}",
        text(&rooms.stdout)
    );
    let _ = service.kill();
    let _ = service.wait();
}
