//! Several PBXs from one configuration (`[pbx.NAME]`): three simulated PBXs on loopback, two
//! over MiXML and one over the Mitel PMS protocol, with the rooms split among them. Each
//! command goes to the PBX that owns its room; one PBX down queues only its own commands; a
//! move between two PBXs is a check-out on one and a check-in on the other.

use std::process::Output;

use hotelcare::sim::mitel_pms::PmsSimulator;
use hotelcare::sim::{self, Faults, Record, Seed, Simulator};

use crate::support::{PASSWORD, hotelcare, text};

const PASSWORD_ENV: &str = "HOTELCARE_TEST_PBX_PASSWORD";

/// East (MiXML, rooms 1000-1999), west (MiXML, rooms 3000-3999, its own CORs), north (Mitel
/// PMS, rooms 5000-5999). East and west share the DID range 7000-7009 (a carrier that routes
/// those numbers to both); north has no DIDs.
pub(crate) struct Property {
    runtime: tokio::runtime::Runtime,
    east: Option<Simulator>,
    west: Option<Simulator>,
    north: Option<PmsSimulator>,
    pub(crate) dir: tempfile::TempDir,
    pub(crate) config: std::path::PathBuf,
}

impl Property {
    pub(crate) fn start() -> Self {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap();
        let mixml = |rooms: &[&str], vacant_cor| {
            let mut options = sim::Options::new("hotelcare", PASSWORD);
            options.seed = Seed::numbered(rooms, vacant_cor);
            runtime.block_on(Simulator::start(options)).unwrap()
        };
        let east = mixml(&["1000", "1001"], 2);
        let west = mixml(&["3000", "3001"], 12);
        let north = runtime
            .block_on(PmsSimulator::start(
                "127.0.0.1:0".parse().unwrap(),
                &["5000".to_owned(), "5001".to_owned()],
                5,
            ))
            .unwrap();
        let dir = tempfile::tempdir().unwrap();
        for (name, simulator) in [("east", &east), ("west", &west)] {
            std::fs::write(
                dir.path().join(format!("{name}.pem")),
                simulator.certificate_pem().unwrap(),
            )
            .unwrap();
        }
        let config = format!(
            "[class_of_restriction]\nallow = 1\nblock = 2\n\n[class_of_service]\nLOCAL = 3\n\n\
             [number_transfer]\nenabled = true\nrange = \"7000-7009\"\n\n\
             [pbx.east]\nserver = \"{east}\"\nuser = \"hotelcare\"\npassword_env = \"{PASSWORD_ENV}\"\nca_file = \"east.pem\"\ntimeout_secs = 2\nrooms = [\"1000-1999\"]\n\n\
             [pbx.west]\nserver = \"{west}\"\nuser = \"hotelcare\"\npassword_env = \"{PASSWORD_ENV}\"\nca_file = \"west.pem\"\ntimeout_secs = 2\nrooms = [\"3000-3999\"]\n\
             [pbx.west.class_of_restriction]\nallow = 11\nblock = 12\n\
             [pbx.west.class_of_service]\nLOCAL = 13\n\n\
             [pbx.north]\ninterface = \"mitel-pms\"\nserver = \"{north}\"\nrooms = [\"5000-5999\"]\n\
             [pbx.north.mitel_pms]\nallow = 2\nblock = 0\nnam_replace = 2\nkeepalive_secs = 0\n\
             [pbx.north.class_of_service]\nLOCAL = 1\n\
             [pbx.north.number_transfer]\nenabled = false\n\n\
             [run]\nmax_concurrency = 4\nstate_dir = \"state\"\nlog_dir = \"logs\"\n\n\
             [run.retry]\nattempts = 3\ninitial_backoff_ms = 20\nmax_backoff_ms = 200\n\n\
             [service]\nlisten = \"127.0.0.1:0\"\n",
            east = east.address(),
            west = west.address(),
            north = north.address(),
        );
        let config_path = dir.path().join("hotelcare.toml");
        std::fs::write(&config_path, config).unwrap();
        Self {
            runtime,
            east: Some(east),
            west: Some(west),
            north: Some(north),
            dir,
            config: config_path,
        }
    }

    pub(crate) fn east(&self) -> &Simulator {
        self.east.as_ref().unwrap()
    }

    pub(crate) fn west(&self) -> &Simulator {
        self.west.as_ref().unwrap()
    }

    pub(crate) fn north(&self) -> &PmsSimulator {
        self.north.as_ref().unwrap()
    }

    pub(crate) fn record(simulator: &Simulator, room: &str) -> Record {
        simulator.record(room).unwrap()
    }

    pub(crate) fn hotelcare(&self) -> assert_cmd::Command {
        let mut command = hotelcare();
        command
            .current_dir(self.dir.path())
            .arg("--config")
            .arg(&self.config)
            .env(PASSWORD_ENV, PASSWORD);
        command
    }

    /// `hotelcare ARGS` (with `stdin` on its standard input), which must exit with `code`;
    /// its standard output.
    pub(crate) fn expect(&self, args: &[&str], code: i32, stdin: Option<&str>) -> String {
        let mut command = self.hotelcare();
        command.args(args);
        if let Some(input) = stdin {
            command.write_stdin(input);
        }
        let output = command.output().unwrap();
        let stdout = text(&output.stdout);
        assert_eq!(
            output.status.code(),
            Some(code),
            "hotelcare {args:?}:\n{stdout}{}",
            text(&output.stderr)
        );
        stdout
    }

    pub(crate) fn run(&self, script: &str) -> Output {
        let path = self.dir.path().join("script.hc");
        std::fs::write(&path, script).unwrap();
        self.hotelcare().arg("run").arg(&path).output().unwrap()
    }
}

impl Drop for Property {
    fn drop(&mut self) {
        if let Some(north) = self.north.take() {
            let _guard = self.runtime.enter();
            north.stop();
        }
        for simulator in [self.east.take(), self.west.take()].into_iter().flatten() {
            self.runtime.block_on(simulator.stop());
        }
    }
}

/// A room's Directory Name, DID and day COR, as the PBX has them.
fn name_did_cor(record: &Record) -> (&str, &str, &str) {
    (
        &record.directory_name,
        &record.did_service_number,
        &record.cor_day,
    )
}

fn down(simulator: &Simulator, down: bool) {
    simulator.set_faults(Faults {
        refuse_connections: down,
        ..Faults::default()
    });
    // A closed or reopened socket needs the accept loop to notice.
    std::thread::sleep(std::time::Duration::from_millis(50));
}

#[test]
fn a_script_touching_three_pbxs_runs_each_command_on_the_pbx_that_owns_its_room() {
    let property = Property::start();
    let stdout = property.expect(
        &["run", "-"],
        0,
        Some("CHECKIN 1000 \"Solo,Alina\" DID 7001\nCHECKIN 3000 \"Organa,Leia\" COS LOCAL\nCHECKIN 5000 \"Skywalker,Luke\" COS LOCAL\n"),
    );
    let east = Property::record(property.east(), "1000");
    assert_eq!(name_did_cor(&east), ("Solo,Alina", "7001", "1"));
    let west = Property::record(property.west(), "3000");
    assert_eq!(
        (west.directory_name.as_str(), west.cor_day.as_str()),
        ("Organa,Leia", "13"),
        "west's own LOCAL"
    );
    let north = property.north().room("5000").unwrap();
    assert!(north.occupied);
    assert_eq!(
        (north.name.as_str(), north.level),
        ("Skywalker,Luke", Some(1))
    );
    // Nothing of one PBX's rooms went to another.
    assert!(property.east().record("3000").is_none() && property.west().record("1000").is_none());
    // The monitor names the PBX of every operation.
    for pbx in ["east: ", "west: ", "north: "] {
        assert!(stdout.contains(pbx), "{pbx} in {stdout}");
    }

    // West goes down: its command is queued, the others are done.
    down(property.west(), true);
    let ran = property.run("CHECKOUT 1000\nCHECKOUT 3000\nCHECKIN 5001 \"Kenobi,Ben\"\n");
    let stdout = text(&ran.stdout);
    assert_eq!(
        ran.status.code(),
        Some(3),
        "{stdout}\n{}",
        text(&ran.stderr)
    );
    assert_eq!(
        Property::record(property.east(), "1000").directory_name,
        "Room 1000"
    );
    assert!(property.north().room("5001").unwrap().occupied);
    assert_eq!(
        Property::record(property.west(), "3000").directory_name,
        "Organa,Leia",
        "not reached"
    );
    assert!(
        stdout.contains("PBX `west`: the PBX is unreachable"),
        "{stdout}"
    );
    let queue = property
        .hotelcare()
        .args(["queue", "list"])
        .output()
        .unwrap();
    let listed = text(&queue.stdout);
    assert!(
        listed.contains("CHECKOUT 3000") && listed.contains("on west"),
        "{listed}"
    );
    assert!(listed.contains("1 pending"), "{listed}");
    let only_east = property
        .hotelcare()
        .args(["queue", "list", "--pbx", "east"])
        .output()
        .unwrap();
    assert!(
        !text(&only_east.stdout).contains("CHECKOUT 3000"),
        "{}",
        text(&only_east.stdout)
    );

    // West is back: `queue retry` does its command.
    down(property.west(), false);
    property.expect(&["queue", "retry"], 0, None);
    let west = Property::record(property.west(), "3000");
    assert_eq!(
        (west.directory_name.as_str(), west.cor_day.as_str()),
        ("Room 3000", "12"),
        "west's own BLOCK"
    );

    // `rooms --pbx` and `show` on a named PBX.
    let rooms = property
        .hotelcare()
        .args(["rooms", "--pbx", "north"])
        .output()
        .unwrap();
    let listed = text(&rooms.stdout);
    assert!(rooms.status.success(), "{}", text(&rooms.stderr));
    assert!(
        listed.contains("5001") && !listed.contains("1000"),
        "{listed}"
    );
    property.expect(&["test-access", "--pbx", "west"], 0, None);
}

#[test]
fn a_move_between_two_pbxs_checks_out_on_one_and_in_on_the_other() {
    let property = Property::start();
    let stdout = property.expect(
        &["run", "-"],
        0,
        Some("CHECKIN 1001 \"Solo,Han\" DID 7002 COS LOCAL\nMOVE 1001 3001\nCHECKIN 1000 \"Tano,Ahsoka\"\nMOVE 1000 5001\n"),
    );
    // With its DID (west's range holds it) and its class of service by name.
    let moved = Property::record(property.west(), "3001");
    assert_eq!(name_did_cor(&moved), ("Solo,Han", "7002", "13"));
    let left = Property::record(property.east(), "1001");
    assert_eq!(name_did_cor(&left), ("Room 1001", "", "2"));
    // Without a DID, to the PBX that has none.
    let north = property.north().room("5001").unwrap();
    assert!(north.occupied);
    assert_eq!(north.name, "Tano,Ahsoka");
    assert_eq!(
        Property::record(property.east(), "1000").directory_name,
        "Room 1000"
    );
    assert!(stdout.contains("MOVE      east->north:  done"), "{stdout}");
    let rooms = property.hotelcare().arg("rooms").output().unwrap();
    let listed = text(&rooms.stdout);
    assert!(
        listed.lines().any(|l| l.contains("3001")
            && l.contains("Solo,Han")
            && l.contains("7002")
            && l.ends_with("on west")),
        "{listed}"
    );

    // A DID the script gave cannot go to a PBX that does not have it: refused before anything.
    let refused = property.run("CHECKIN 1000 \"Solo,Alina\" DID 7003\nMOVE 1000 5000\n");
    let stderr = text(&refused.stderr);
    assert_eq!(refused.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("the guest's DID 7003 moves with them, but room 5000 is on PBX `north`, which has no number transfer"),
        "{stderr}"
    );
    assert_eq!(
        Property::record(property.east(), "1000").directory_name,
        "Room 1000"
    );
    // A DID the journal knows of: refused when it runs, with nothing sent.
    let refused = property.run("MOVE 3001 5000\n");
    let stdout = text(&refused.stdout);
    assert_eq!(refused.status.code(), Some(4), "{stdout}");
    assert!(
        stdout.contains("the guest's DID 7002 cannot move to room 5000"),
        "{stdout}"
    );
    assert!(!property.north().room("5000").unwrap().occupied);
    assert_eq!(
        Property::record(property.west(), "3001").directory_name,
        "Solo,Han"
    );
}

impl Property {
    /// `hotelcare serve` on this property; waits until it answers.
    fn serve(&self) -> crate::support::Service {
        let info = self.dir.path().join("state/service.json");
        let _ = std::fs::remove_file(&info);
        let child = crate::support::Service::new(
            std::process::Command::new(assert_cmd::cargo::cargo_bin("hotelcare"))
                .current_dir(self.dir.path())
                .args(["--color", "never", "--config"])
                .arg(&self.config)
                .arg("serve")
                .env(PASSWORD_ENV, PASSWORD)
                .stdout(std::process::Stdio::null())
                .stderr(std::process::Stdio::null())
                .spawn()
                .unwrap(),
        );
        crate::support::wait_for("service.json", || info.exists());
        child
    }
}

#[test]
fn reconcile_finds_what_changed_on_each_pbx_in_process_and_through_the_service() {
    let property = Property::start();
    property.expect(
        &["run", "-"],
        0,
        Some("CHECKIN 1000 \"Solo,Alina\" DID 7001\nCHECKIN 3000 \"Organa,Leia\"\nCHECKIN 5000 \"Skywalker,Luke\"\n"),
    );
    let report = property.expect(&["reconcile"], 0, None);
    assert!(report.contains("2 room(s) compared"), "{report}");
    assert!(
        report.contains("rooms unmanaged") && report.contains("1001") && report.contains("3001"),
        "{report}"
    );
    assert!(
        report.contains("PBX \"north\" uses mitel-pms, which cannot read the PBX"),
        "{report}"
    );

    // Behind hotelcare's back: a COR on west, a name on east.
    let mut record = Property::record(property.west(), "3000");
    record.cor_day = "12".into();
    property.west().set_record("3000", record);
    let mut record = Property::record(property.east(), "1000");
    record.directory_name = "Someone,Else".into();
    property.east().set_record("1000", record);

    let fix = property.dir.path().join("fix.hc");
    let fix_arg = fix.to_str().unwrap();
    let report = property.expect(
        &["reconcile", "--pbx", "west", "--fix-script", fix_arg],
        4,
        None,
    );
    assert!(
        report.contains("3000  COR Day") && report.contains("\"12\""),
        "{report}"
    );
    assert!(!report.contains("1000  "), "west only: {report}");
    let script = std::fs::read_to_string(&fix).unwrap();
    assert!(
        script.contains("CHECKIN 3000 \"Organa,Leia\" COS ALLOW REPLACE"),
        "{script}"
    );
    property.expect(&["check", fix_arg], 0, None);
    property.expect(&["run", fix_arg], 0, None);
    assert_eq!(Property::record(property.west(), "3000").cor_day, "11");
    property.expect(&["reconcile", "--pbx", "west"], 0, None);

    // In-process, a PBX that cannot be read is reconciled by its general reset.
    let report = property.expect(&["reconcile", "--pbx", "north", "--apply"], 0, None);
    assert!(report.contains(": 1 rooms, 5 records"), "{report}");
    assert!(!report.contains("1000"), "north only: {report}");

    // Through a running service: east's difference found, and fixed with `--apply`.
    let service = property.serve();
    let report = property.expect(&["reconcile"], 4, None);
    assert!(
        report.contains("1000  Directory Name") && report.contains("\"Someone,Else\""),
        "{report}"
    );
    assert!(!report.contains("3000  "), "no false positive: {report}");
    let applied_before = property.north().stats().applied;
    let report = property.expect(&["reconcile", "--apply"], 0, None);
    assert_eq!(
        Property::record(property.east(), "1000").directory_name,
        "Solo,Alina"
    );
    // North cannot be read: `--apply` sent it the general reset from the expected state (its
    // one room: check-in, name, level), over the service's own link.
    assert!(
        report.contains("general reset for the PBX at") && report.contains(": 1 rooms, 5 records"),
        "{report}"
    );
    crate::support::wait_for("the general reset applied", || {
        property.north().stats().applied >= applied_before + 3
    });
    let north = property.north().room("5000").unwrap();
    assert!(
        north.occupied && north.name == "Skywalker,Luke",
        "{north:?}"
    );
    property.expect(&["reconcile"], 0, None);
    crate::service::stop(service);
}

#[test]
fn with_a_service_one_pbx_down_queues_only_its_commands_and_they_run_when_it_is_back() {
    let property = Property::start();
    let service = property.serve();
    down(property.west(), true);
    let ran = property.run(
        "CHECKIN 1000 \"Solo,Alina\"\nCHECKIN 3000 \"Organa,Leia\"\nCHECKIN 5000 \"Skywalker,Luke\"\nCOS 1000 LOCAL\n",
    );
    let stdout = text(&ran.stdout);
    assert_eq!(ran.status.code(), Some(3), "{stdout}{}", text(&ran.stderr));
    assert_eq!(Property::record(property.east(), "1000").cor_day, "3");
    assert!(property.north().room("5000").unwrap().occupied);
    let queue = property
        .hotelcare()
        .args(["queue", "list"])
        .output()
        .unwrap();
    let listed = text(&queue.stdout);
    assert!(
        listed.contains("CHECKIN 3000") && listed.contains("on west"),
        "{listed}"
    );
    assert!(listed.contains("1 pending"), "{listed}");
    // The metrics say which PBX does not answer.
    let state = property.dir.path().join("state");
    let info: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(state.join("service.json")).unwrap())
            .unwrap();
    let token = std::fs::read_to_string(state.join("api-token")).unwrap();
    let metrics = || {
        let (status, metrics) = crate::service::request(
            info["address"].as_str().unwrap().parse().unwrap(),
            &format!(
                "GET /metrics HTTP/1.1\r\nAuthorization: Bearer {}",
                token.trim()
            ),
            "",
        );
        assert_eq!(status, 200, "{metrics}");
        metrics
    };
    // (Set when the service's drain ends, a moment after the client has its answer.)
    crate::support::wait_for("west unreachable in the metrics", || {
        metrics().contains("hotelcare_pbx_reachable{pbx=\"west\"} 0")
    });
    assert!(
        metrics().contains("hotelcare_pbx_reachable{pbx=\"east\"} 1"),
        "{}",
        metrics()
    );
    let rooms = property
        .hotelcare()
        .args(["rooms", "--pbx", "east"])
        .output()
        .unwrap();
    let listed = text(&rooms.stdout);
    assert!(
        listed.contains("1000") && !listed.contains("5000"),
        "{listed}"
    );

    down(property.west(), false);
    let retried = property
        .hotelcare()
        .args(["queue", "retry"])
        .output()
        .unwrap();
    assert!(
        retried.status.success(),
        "{}{}",
        text(&retried.stdout),
        text(&retried.stderr)
    );
    crate::support::wait_for("west's check-in", || {
        Property::record(property.west(), "3000").cor_day == "11"
    });
    // The service says so when a PBX it found unreachable answers again.
    crate::support::wait_for("west back in the log", || {
        std::fs::read_to_string(property.dir.path().join("logs/hotelcare-service.log"))
            .is_ok_and(|log| log.contains("PBX `west` answers again"))
    });
    assert_eq!(
        Property::record(property.west(), "3000").directory_name,
        "Organa,Leia"
    );
    property.expect(&["test-access", "--pbx", "north"], 0, None);
    let unknown = property
        .hotelcare()
        .args(["test-access", "--pbx", "south"])
        .output()
        .unwrap();
    assert_eq!(unknown.status.code(), Some(2));
    assert!(
        text(&unknown.stderr)
            .contains("there is no PBX `south`; the configuration has `east`, `north`, `west`"),
        "{}",
        text(&unknown.stderr)
    );
    crate::service::stop(service);
}

#[test]
fn pbxs_that_share_a_did_range_share_its_numbers() {
    let property = Property::start();
    let ran =
        property.run("CHECKIN 3000 \"Organa,Leia\" DID 7000\nCHECKIN 1000 \"Solo,Han\" DID AUTO\n");
    assert!(
        ran.status.success(),
        "{}{}",
        text(&ran.stdout),
        text(&ran.stderr)
    );
    assert_eq!(
        Property::record(property.west(), "3000").did_service_number,
        "7000"
    );
    assert_eq!(
        Property::record(property.east(), "1000").did_service_number,
        "7001",
        "AUTO skips the number west's room holds"
    );
    let rooms = property
        .hotelcare()
        .args(["rooms", "1000"])
        .output()
        .unwrap();
    assert!(
        text(&rooms.stdout).contains("7001"),
        "{}",
        text(&rooms.stdout)
    );
    // A number another PBX's room holds is refused when it runs, with nothing sent.
    let refused = property.run("DID 1001 7000\n");
    let stdout = text(&refused.stdout);
    assert_eq!(refused.status.code(), Some(4), "{stdout}");
    assert!(
        stdout.contains(
            "DID 7000 is given to room 3000 on PBX `west`, which shares the number range"
        ),
        "{stdout}"
    );
    assert_eq!(
        Property::record(property.east(), "1001").did_service_number,
        ""
    );
    // `show --pbx` with a room of another PBX says whose it is.
    let shown = property
        .hotelcare()
        .args(["show", "1000", "--pbx", "west"])
        .output()
        .unwrap();
    assert_eq!(shown.status.code(), Some(2));
    assert!(
        text(&shown.stderr).contains("room 1000 is on PBX `east`, not `west`"),
        "{}",
        text(&shown.stderr)
    );
    // Reconcile of named rooms reads only their PBXs: nothing else is called unmanaged.
    let found = property
        .hotelcare()
        .args(["reconcile", "1000"])
        .output()
        .unwrap();
    let report = text(&found.stdout);
    assert_eq!(
        found.status.code(),
        Some(0),
        "{report}{}",
        text(&found.stderr)
    );
    assert!(report.contains("1 room(s) compared"), "{report}");
    assert!(
        !report.contains("unmanaged") && !report.contains("north"),
        "{report}"
    );
}

#[test]
fn plan_shows_each_command_in_its_pbxs_terms() {
    let property = Property::start();
    let path = property.dir.path().join("plan.hc");
    std::fs::write(
        &path,
        "CHECKIN 3000 \"Organa,Leia\" COS LOCAL\nCHECKIN 5000 \"Skywalker,Luke\" COS LOCAL\nMOVE 1000 5001\nTEST\n",
    )
    .unwrap();
    let planned = property
        .hotelcare()
        .arg("plan")
        .arg(&path)
        .output()
        .unwrap();
    let plan = text(&planned.stdout);
    assert!(planned.status.success(), "{plan}{}", text(&planned.stderr));
    // West's own LOCAL (13) as MiXML operations; north's LOCAL (RST 1) as Mitel PMS frames.
    assert!(
        plan.contains("PBX `west`:") && plan.contains("COR Day=13"),
        "{plan}"
    );
    assert!(
        plan.contains("PBX `north`:") && plan.contains("CHK1"),
        "{plan}"
    );
    assert!(plan.contains("RST1"), "{plan}");
    assert!(
        plan.contains("MOVE 1000 5001: a move between PBXs `east` and `north`"),
        "{plan}"
    );
    // TEST goes to every PBX.
    assert_eq!(plan.matches("TEST\n").count(), 3, "{plan}");
    // As JSON, each line names its PBX.
    let json = property.expect(
        &["--format", "json", "plan", path.to_str().unwrap()],
        0,
        None,
    );
    let lines: Vec<serde_json::Value> = json
        .lines()
        .filter(|line| line.starts_with('{') && line.contains("\"command\""))
        .map(|line| serde_json::from_str(line).unwrap())
        .collect();
    assert_eq!(lines[0]["pbx"], "west", "{json}");
    assert_eq!(lines[1]["pbx"], "north", "{json}");
    assert_eq!(
        lines[2]["between_pbxs"],
        serde_json::json!(["east", "north"])
    );
}

/// A PBX removed from the configuration leaves its queued commands in the journal: `queue list`
/// shows them, labelled as not configured, instead of hiding what `/metrics` counts.
#[test]
fn commands_of_a_pbx_removed_from_the_configuration_are_listed_as_such() {
    let property = Property::start();
    down(property.west(), true);
    let queued = property.run("COS 3000 LOCAL\nCOS 1000 LOCAL\n");
    assert_eq!(queued.status.code(), Some(3), "{}", text(&queued.stderr));
    let config = std::fs::read_to_string(&property.config).unwrap();
    let start = config.find("[pbx.west]").unwrap();
    let end = config.find("[pbx.north]").unwrap();
    std::fs::write(
        &property.config,
        format!("{}{}", &config[..start], &config[end..]),
    )
    .unwrap();
    let listed = property.expect(&["queue", "list"], 0, None);
    assert!(listed.contains("COS 3000 LOCAL"), "{listed}");
    assert!(listed.contains("not configured"), "{listed}");
}
