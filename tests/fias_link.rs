//! The FIAS link as a hotel's IT sees it, through `hotelcare serve`: a PMS that cannot be
//! reached is seen (log, metrics, health, `fias status`, `fias resync`); a resync cannot empty
//! the house by itself; a sharer who stays is kept by a resync.

use std::net::TcpListener;
use std::process::Stdio;

use hotelcare::sim::Seed;
use hotelcare::sim::fias_pms::FiasPms;

use crate::fias::{add_fias, serve, start_pms};
use crate::fias_records::api;
use crate::support::{Service, Setup, TestPbx, text, wait_for};

fn log(pbx: &TestPbx) -> String {
    std::fs::read_to_string(pbx.dir.path().join("logs/hotelcare-service.log")).unwrap_or_default()
}

/// A PMS that is not there: a warn line once (not once per try), the gauge at 0, health
/// degraded, `fias status` and `fias resync` exit 3 and say why; then the PMS comes up and all
/// of it turns.
#[test]
fn a_pms_that_cannot_be_reached_is_seen_and_so_is_its_return() {
    let pbx = TestPbx::start();
    // A free port on loopback that nothing listens on.
    let address = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap();
    let config = std::fs::read_to_string(&pbx.config).unwrap();
    std::fs::write(
        &pbx.config,
        format!("{config}\n[fias]\nserver = \"{address}\"\n"),
    )
    .unwrap();
    let mut service = Service::new(
        pbx.command()
            .arg("serve")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap(),
    );
    wait_for("service.json", || {
        pbx.dir.path().join("state/service.json").exists()
    });
    // The gauge is 0 from the start: the health answer says when the first try has failed.
    wait_for("the link down in the health answer", || {
        api(&pbx, "/v1/health").1.starts_with("degraded")
    });
    assert!(
        api(&pbx, "/metrics")
            .1
            .lines()
            .any(|line| line == "hotelcare_fias_link_up 0")
    );
    let (status, body) = api(&pbx, "/v1/health");
    assert_eq!(
        (status, body.as_str()),
        (
            200,
            "degraded: the FIAS link to the PMS is down (`hotelcare fias status`)"
        )
    );
    let status = pbx.hotelcare().args(["fias", "status"]).output().unwrap();
    assert_eq!(status.status.code(), Some(3), "{}", text(&status.stderr));
    let shown = text(&status.stdout);
    assert!(
        shown.starts_with(&format!("FIAS link to the PMS at {address}: down since "))
            && shown.contains("(cannot connect: ")
            && shown.contains("; next try at "),
        "{shown}"
    );
    let resync = pbx.hotelcare().args(["fias", "resync"]).output().unwrap();
    assert_eq!(resync.status.code(), Some(3));
    assert!(
        text(&resync.stderr).starts_with(&format!(
            "error: the FIAS link to the PMS at {address} is down (cannot connect: "
        )),
        "{}",
        text(&resync.stderr)
    );
    // Tried again after 1 s and 2 s: still one warn line.
    std::thread::sleep(std::time::Duration::from_millis(3500));
    let warned = log(&pbx)
        .lines()
        .filter(|l| {
            l.contains("WARN FIAS link to the PMS") && l.contains("is down: cannot connect")
        })
        .count();
    assert_eq!(warned, 1, "{}", log(&pbx));

    // The PMS comes up on that address.
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap();
    let pms = runtime.block_on(FiasPms::start(address)).unwrap();
    wait_for("the link up", || {
        api(&pbx, "/metrics")
            .1
            .lines()
            .any(|line| line == "hotelcare_fias_link_up 1")
    });
    assert_eq!(
        api(&pbx, "/v1/health"),
        (200, "ok".to_owned()),
        "{}",
        log(&pbx)
    );
    let status = pbx.hotelcare().args(["fias", "status"]).output().unwrap();
    assert_eq!(status.status.code(), Some(0), "{}", text(&status.stdout));
    super::service::stop_service(service.id());
    let _ = service.wait();
    assert!(log(&pbx).contains(&format!("INFO FIAS link to the PMS at {address} is up")));
    let _guard = runtime.enter();
    drop(pms);
}

/// A PMS restarted with an empty house: the resync holds the 12 check-outs (more than the
/// default limit, 5 here), journals nothing of them; `--dry-run` shows the differences and
/// journals nothing; `--confirm` checks the rooms out.
#[test]
fn a_resync_cannot_empty_the_house_by_itself() {
    let pbx = TestPbx::with(Setup {
        rooms: Seed::range(1000, 12, 2),
        ..Setup::default()
    });
    let script: String = (1000..1012).fold(String::new(), |script, room| {
        script + &format!("CHECKIN {room} \"Guest{room}\"\n")
    });
    let ran = pbx.run(&script);
    assert!(ran.status.success(), "{}", text(&ran.stderr));
    let (runtime, pms) = start_pms();
    pms.set_house(&[]);
    add_fias(&pbx.config, &pms, "");
    let mut service = serve(&pbx);
    let occupied = || {
        (1000..1012)
            .filter(|room| {
                pbx.record(&room.to_string())
                    .directory_name
                    .starts_with("Guest")
            })
            .count()
    };
    wait_for("the held check-outs", || {
        log(&pbx).contains("FIAS resync: 12 check-outs are held: more than the limit of 5")
    });
    assert_eq!(occupied(), 12, "nothing checked out");
    let status = pbx.hotelcare().args(["fias", "status"]).output().unwrap();
    assert!(
        text(&status.stdout)
            .contains("held check-outs: 12 room(s) the PMS has vacant: 1000, 1001,"),
        "{}",
        text(&status.stdout)
    );

    let dry = pbx
        .hotelcare()
        .args(["fias", "resync", "--dry-run"])
        .output()
        .unwrap();
    assert!(dry.status.success(), "{}", text(&dry.stderr));
    let shown = text(&dry.stdout);
    assert!(
        shown.starts_with("FIAS resync (dry run): 0 occupied room(s) at the PMS, 12 difference(s)\n  room 1000: the PMS has it vacant, hotelcare had a guest in it\n")
            && shown.contains("nothing was journaled (dry run)")
            && shown.contains("12 check-outs would be held: more than the limit of 5"),
        "{shown}"
    );
    let queue = pbx.hotelcare().args(["queue", "list"]).output().unwrap();
    assert!(text(&queue.stdout).contains("the journal is empty"));

    let confirmed = pbx
        .hotelcare()
        .args(["fias", "resync", "--confirm"])
        .output()
        .unwrap();
    assert!(confirmed.status.success(), "{}", text(&confirmed.stderr));
    assert!(
        text(&confirmed.stdout).starts_with("12 held check-out(s) journaled"),
        "{}",
        text(&confirmed.stdout)
    );
    wait_for("every room checked out", || occupied() == 0);
    let again = pbx
        .hotelcare()
        .args(["fias", "resync", "--confirm"])
        .output()
        .unwrap();
    assert_eq!(again.status.code(), Some(2));
    assert!(text(&again.stderr).contains("no resync holds check-outs"));
    super::service::stop_service(service.id());
    let _ = service.wait();
    let _guard = runtime.enter();
    drop(pms);
}

/// `resync_checkout_limit = 0`: the guard is off; a resync checks out what the PMS has vacant.
#[test]
fn with_the_limit_off_a_resync_checks_out_what_the_pms_has_vacant() {
    let pbx = TestPbx::with(Setup {
        rooms: Seed::range(1000, 6, 2),
        ..Setup::default()
    });
    let script: String = (1000..1006).fold(String::new(), |script, room| {
        script + &format!("CHECKIN {room} \"Guest{room}\"\n")
    });
    assert!(pbx.run(&script).status.success());
    let (runtime, pms) = start_pms();
    pms.set_house(&[]);
    add_fias(&pbx.config, &pms, "resync_checkout_limit = 0\n");
    let mut service = serve(&pbx);
    wait_for("every room checked out", || {
        (1000..1006).all(|room| {
            pbx.record(&room.to_string())
                .directory_name
                .starts_with("Room")
        })
    });
    super::service::stop_service(service.id());
    let _ = service.wait();
    let _guard = runtime.enter();
    drop(pms);
}

/// A shared room: the phone's guest leaves, the sharer takes the phone and stays; a resync
/// (the PMS's house now has the sharer alone) changes nothing.
#[test]
fn a_resync_keeps_the_sharer_who_stays() {
    let pbx = TestPbx::start();
    let (runtime, pms) = start_pms();
    add_fias(&pbx.config, &pms, "");
    let mut service = serve(&pbx);
    pms.send(b"GI|RN1000|G#1|GNAlpha|GSN|");
    pms.send(b"GI|RN1000|G#2|GNBeta|GSY|");
    pms.send(b"GO|RN1000|G#1|GSY|");
    wait_for("the sharer on the phone", || {
        pbx.record("1000").directory_name == "Beta"
    });
    assert_eq!(pms.house(), ["GI|RN1000|G#2|GNBeta|GSY|"]);
    let resync = pbx.hotelcare().args(["fias", "resync"]).output().unwrap();
    assert!(resync.status.success(), "{}", text(&resync.stderr));
    assert_eq!(
        text(&resync.stdout),
        "FIAS resync: 1 occupied room(s) at the PMS, 0 difference(s)\n0 command(s) journaled\n"
    );
    assert_eq!(pbx.record("1000").directory_name, "Beta");
    super::service::stop_service(service.id());
    let _ = service.wait();
    let _guard = runtime.enter();
    drop(pms);
}
