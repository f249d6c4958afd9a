//! Call charges end to end through `hotelcare serve`: SMDR records imported, costed by the
//! tariff, journaled once on the guest's stay; the credit limit blocks outside calls when the
//! total passes it and restores them when it is raised.

use hotelcare::sim::fias_pms::{Faults as PmsFaults, PostingFaults};
use std::process::Output;

use crate::support::{TestPbx, text, wait_for};

/// `wait_for`, and on a timeout the service's log in the failure (what it did instead).
fn wait_logged(pbx: &TestPbx, what: &str, mut condition: impl FnMut() -> bool) {
    let started = std::time::Instant::now();
    while !condition() {
        if started.elapsed() > std::time::Duration::from_secs(20) {
            let log = std::fs::read_to_string(pbx.dir.path().join("logs/hotelcare-service.log"))
                .unwrap_or_default();
            panic!("timed out waiting for {what}; the service's log:\n{log}");
        }
        std::thread::sleep(std::time::Duration::from_millis(5));
    }
}

const CHARGES: &str = "\n[charges]\nlimit = 1\n[[charges.tariff]]\nname = \"National\"\nprefix = \"0\"\nsetup = 0.10\nper_minute = \"0.30\"\n";

/// A standard (90-character) record of an answered outgoing call from `room` to `number` on
/// trunk 1, started now (to the minute), lasting `duration`.
fn outgoing(room: &str, number: &str, duration: &str) -> String {
    let now = chrono::Local::now();
    let mut line = vec![b' '; 90];
    for (column, value) in [
        (2, now.format("%m/%d").to_string()),
        (8, now.format("%H:%M").to_string()),
        (15, duration.to_owned()),
        (24, room.to_owned()),
        (34, number.to_owned()),
        (60, "A".to_owned()),
        (62, "T001".to_owned()),
        (86, "000".to_owned()),
    ] {
        line[column - 1..column - 1 + value.len()].copy_from_slice(value.as_bytes());
    }
    String::from_utf8(line).unwrap()
}

fn import(pbx: &TestPbx, lines: &[String]) -> Output {
    let file = pbx.dir.path().join("smdr.txt");
    std::fs::write(&file, lines.join("\r\n") + "\r\n").unwrap();
    pbx.hotelcare()
        .args(["charges", "import"])
        .arg(&file)
        .output()
        .unwrap()
}

fn charges(pbx: &TestPbx, room: &str) -> serde_json::Value {
    let out = pbx
        .hotelcare()
        .args(["--format", "json", "charges", room])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", text(&out.stderr));
    serde_json::from_slice(&out.stdout).unwrap()
}

#[test]
fn calls_are_costed_once_and_the_limit_blocks_then_restores() {
    let pbx = TestPbx::start();
    let config = std::fs::read_to_string(&pbx.config).unwrap();
    std::fs::write(&pbx.config, format!("{config}{CHARGES}")).unwrap();
    let _service = crate::fias::serve(&pbx);
    let out = pbx.run("CHECKIN 1000 \"Solo,Alina\"\n");
    assert!(out.status.success(), "{}", text(&out.stderr));

    // 2:01 at 0.30 a started minute + 0.10: 1.00, not above the limit of 1.00.
    let first = outgoing("1000", "0612345678", "00:02:01");
    let out = import(&pbx, std::slice::from_ref(&first));
    assert!(
        out.status.success(),
        "{}{}",
        text(&out.stdout),
        text(&out.stderr)
    );
    assert!(
        text(&out.stdout).contains("1 call recorded"),
        "{}",
        text(&out.stdout)
    );
    let stay = &charges(&pbx, "1000")["stays"][0];
    assert_eq!(stay["total"], "1.00");
    assert_eq!(stay["limit"], "1.00");
    assert_eq!(stay["blocked"], false);
    assert_eq!(pbx.record("1000").cor_day, "1");

    // The same record again (a re-read export) changes nothing; a second call passes the limit.
    let second = outgoing("1000", "0698765432", "00:00:30");
    let garbled = "03/05 garbled".to_owned();
    let out = import(&pbx, &[first, second, garbled]);
    let said = text(&out.stdout);
    assert_eq!(out.status.code(), Some(4), "{said}{}", text(&out.stderr));
    assert!(
        said.contains("1 call recorded, 1 recorded before"),
        "{said}"
    );
    assert!(
        said.contains("smdr.txt:3: 13 characters fit none of Mitel's SMDR layouts"),
        "{said}"
    );
    wait_for("the limit to block room 1000", || {
        pbx.record("1000").cor_day == "2"
    });
    let stay = &charges(&pbx, "1000")["stays"][0];
    assert_eq!(stay["total"], "1.40");
    assert_eq!(stay["blocked"], true);
    assert_eq!(stay["calls"].as_array().unwrap().len(), 2);
    assert_eq!(stay["calls"][1]["amount"], "0.40");
    assert_eq!(stay["calls"][1]["tariff"], "National");

    // Raised above the total: the level the stay had is back.
    let out = pbx.run("LIMIT 1000 5\n");
    assert!(out.status.success(), "{}", text(&out.stderr));
    wait_for("the raised limit to restore room 1000", || {
        pbx.record("1000").cor_day == "1"
    });
    let stay = &charges(&pbx, "1000")["stays"][0];
    assert_eq!(stay["limit"], "5.00");
    assert_eq!(stay["blocked"], false);

    // Lowered below the total: blocked again. A class of service set by hand meanwhile wins
    // over the limit's restore.
    let out = pbx.run("LIMIT 1000 1.00\n");
    assert!(out.status.success(), "{}", text(&out.stderr));
    wait_for("the lowered limit to block", || {
        pbx.record("1000").cor_day == "2"
    });
    let out = pbx.run("COS 1000 LOCAL\n");
    assert!(out.status.success(), "{}", text(&out.stderr));
    let out = pbx.run("LIMIT 1000 NONE\n");
    assert!(out.status.success(), "{}", text(&out.stderr));
    wait_for("the limit to let go", || {
        charges(&pbx, "1000")["stays"][0]["blocked"] == false
    });
    assert_eq!(pbx.record("1000").cor_day, "3", "the hand-set LOCAL stands");
    let out = pbx.run("LIMIT 1000 5.00\n");
    assert!(out.status.success(), "{}", text(&out.stderr));

    // The text listing, for the front desk.
    let out = pbx.hotelcare().args(["charges"]).output().unwrap();
    let listing = text(&out.stdout);
    assert!(listing.contains("room 1000  stay #"), "{listing}");
    assert!(listing.contains("total 1.40 of limit 5.00"), "{listing}");
    assert!(listing.contains("0698765432"), "{listing}");
}

#[test]
fn a_limit_is_an_amount_for_a_stay() {
    let pbx = TestPbx::start();
    let out = pbx.run("LIMIT 1000 12.505\nLIMIT 2000 5\n");
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    let said = text(&out.stderr);
    assert!(
        said.contains("`12.505` is not an amount: `12.505` has more than 2 places"),
        "{said}"
    );
    assert!(said.contains("nothing was run"), "{said}");
    // A room hotelcare knows no stay of: refused where it runs, saying what to do.
    let out = pbx.run("LIMIT 2000 5\n");
    let said = format!("{}{}", text(&out.stdout), text(&out.stderr));
    assert_eq!(out.status.code(), Some(4), "{said}");
    assert!(
        said.contains("room 2000 has no stay as far as hotelcare knows"),
        "{said}"
    );
}

#[test]
fn a_call_from_a_vacant_room_is_recorded_for_the_hotel_and_charged_to_no_one() {
    let pbx = TestPbx::start();
    let config = std::fs::read_to_string(&pbx.config).unwrap();
    std::fs::write(&pbx.config, format!("{config}{CHARGES}")).unwrap();
    let out = import(
        &pbx,
        &[
            outgoing("2000", "0612345678", "00:01:00"),
            outgoing("2000", "112", "00:01:00"),
        ],
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    let said = text(&out.stdout);
    assert!(said.contains("2 calls recorded"), "{said}");
    assert!(
        said.contains("1 call matched no tariff (charged 0"),
        "{said}"
    );
    let out = pbx.hotelcare().args(["charges", "2000"]).output().unwrap();
    assert!(!out.status.success());
    assert!(
        text(&out.stderr).contains("room 2000 has no stay"),
        "{}",
        text(&out.stderr)
    );
}

#[test]
fn calls_on_the_pbxs_smdr_port_are_costed_as_they_end() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap();
    let port = runtime
        .block_on(hotelcare::sim::smdr::SmdrPort::start(
            "127.0.0.1:0".parse().unwrap(),
        ))
        .unwrap();
    let pbx = TestPbx::start();
    let config = std::fs::read_to_string(&pbx.config).unwrap();
    std::fs::write(
        &pbx.config,
        format!(
            "{config}{CHARGES}\n[smdr]\nserver = \"{}\"\n",
            port.address()
        ),
    )
    .unwrap();
    let _service = crate::fias::serve(&pbx);
    let out = pbx.run("CHECKIN 1000 \"Solo,Alina\" LIMIT 20\n");
    assert!(out.status.success(), "{}", text(&out.stderr));
    wait_for("the SMDR link to come up", || {
        crate::fias_records::api(&pbx, "/metrics")
            .1
            .contains("hotelcare_smdr_link_up{pbx=\"main\"} 1")
    });

    port.place_call("1000", "0612345678", 61);
    port.send_line("*** CLOCK MALFUNCTION ***");
    port.place_call("2000", "0612345678", 30);
    wait_for("the call to be costed", || {
        charges(&pbx, "1000")["stays"][0]["total"] == "0.70"
    });
    // The last of the three lines (room 2000's call) may still be on its way.
    wait_for("every line to be read", || {
        crate::fias_records::api(&pbx, "/metrics")
            .1
            .contains("hotelcare_smdr_records_total{outcome=\"recorded\"} 2")
    });
    let metrics = crate::fias_records::api(&pbx, "/metrics").1;
    assert!(
        metrics.contains("hotelcare_smdr_records_total{outcome=\"recorded\"} 2"),
        "{metrics}"
    );
    assert!(
        metrics.contains("hotelcare_smdr_records_total{outcome=\"refused\"} 1"),
        "{metrics}"
    );
    let log = std::fs::read_to_string(pbx.dir.path().join("logs/hotelcare-service.log")).unwrap();
    assert!(
        log.contains("SMDR: a line is not a call record: the PBX reports a clock malfunction"),
        "{log}"
    );
    assert!(
        log.contains("call of room 1000: 1:01 National 0.70 (stay total 0.70 of limit 20.00)"),
        "{log}"
    );
    assert!(
        log.contains("call of room 2000: 0:30 National 0.40, no stay"),
        "{log}"
    );
    // Whom the guest called is in the ledger, not in the log.
    assert!(!log.contains("0612345678"), "{log}");
    drop(port);
}

#[test]
fn a_pbx_whose_smdr_port_does_not_answer_makes_the_service_degraded() {
    // A port nothing listens on (bound, then released).
    let closed = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap();
    let pbx = TestPbx::start();
    let config = std::fs::read_to_string(&pbx.config).unwrap();
    std::fs::write(
        &pbx.config,
        format!("{config}\n[smdr]\nserver = \"{closed}\"\n"),
    )
    .unwrap();
    let _service = crate::fias::serve(&pbx);
    wait_for("the health to say why", || {
        crate::fias_records::api(&pbx, "/v1/health")
            .1
            .contains("degraded: the SMDR link to the PBX is down")
    });
    let metrics = crate::fias_records::api(&pbx, "/metrics").1;
    assert!(
        metrics.contains("hotelcare_smdr_link_up{pbx=\"main\"} 0"),
        "{metrics}"
    );
    let log = std::fs::read_to_string(pbx.dir.path().join("logs/hotelcare-service.log")).unwrap();
    assert_eq!(
        log.matches("the SMDR link to").count(),
        1,
        "told once: {log}"
    );
}

/// A PBX with its SMDR port and a FIAS PMS, and a configuration that reads the one and posts
/// to the other (`charges`: more `[charges]` keys; `tariff`: more keys of its one tariff).
struct House {
    pbx: TestPbx,
    runtime: tokio::runtime::Runtime,
    pms: hotelcare::sim::fias_pms::FiasPms,
    port: hotelcare::sim::smdr::SmdrPort,
}

fn house(charges: &str, tariff: &str) -> House {
    let pbx = TestPbx::start();
    let (runtime, pms) = crate::fias::start_pms();
    let port = runtime
        .block_on(hotelcare::sim::smdr::SmdrPort::start(
            "127.0.0.1:0".parse().unwrap(),
        ))
        .unwrap();
    crate::fias::add_fias(&pbx.config, &pms, "");
    let config = std::fs::read_to_string(&pbx.config).unwrap();
    std::fs::write(
        &pbx.config,
        format!(
            "{config}\n[charges]\n{charges}[[charges.tariff]]\nname = \"National\"\nprefix = \"0\"\n{tariff}per_minute = \"0.30\"\n[smdr]\nserver = \"{}\"\n",
            port.address()
        ),
    )
    .unwrap();
    House {
        pbx,
        runtime,
        pms,
        port,
    }
}

/// What the test masks in a `PS`: the call's date and time.
fn masked_ps(record: &str) -> String {
    record
        .split('|')
        .map(|field| match field.get(..2) {
            Some("DA") => "DA<date>".to_owned(),
            Some("TI") => "TI<time>".to_owned(),
            _ => field.to_owned(),
        })
        .collect::<Vec<_>>()
        .join("|")
}

#[test]
fn a_guests_calls_are_posted_to_the_folio_once_and_every_answer_is_kept() {
    let House {
        pbx,
        runtime: _runtime,
        pms,
        port,
    } = house("posting_timeout_secs = 1\n", "setup = 0.10\n");
    let _service = crate::fias::serve(&pbx);
    wait_logged(&pbx, "the link to come up", || {
        pms.received().iter().any(|r| r.starts_with("LA|"))
    });
    assert!(
        pms.received()
            .iter()
            .any(|r| r == "LR|RIPS|FLRNPTTADDDUDATIP#CT|"),
        "{:?}",
        pms.received()
    );
    pms.send(b"GI|RN1000|G#4711|GNSolo|GFAlina|");
    // The stay begins when hotelcare has the check-in done (not when the PBX has its name).
    wait_logged(&pbx, "the stay", || {
        pbx.hotelcare()
            .args(["charges", "1000"])
            .output()
            .unwrap()
            .status
            .success()
    });

    // Posted: the PMS answers OK.
    port.place_call("1000", "0612345678", 61);
    wait_logged(&pbx, "the posting", || {
        pms.received().iter().any(|r| r.starts_with("PS|"))
    });
    let posted: Vec<String> = pms
        .received()
        .iter()
        .filter(|r| r.starts_with("PS|"))
        .map(|r| masked_ps(r))
        .collect();
    assert_eq!(
        posted,
        ["PS|RN1000|PTC|TA70|DD0612345678|DU000101|DA<date>|TI<time>|P#1|CTNational|"]
    );
    wait_logged(&pbx, "the answer", || {
        charges(&pbx, "1000")["stays"][0]["calls"][0]["posting"] == "P#1 posted"
    });

    // A PMS that answers another P# first, or twice: only the answer to the posting out counts.
    pms.set_faults(PmsFaults {
        postings: PostingFaults::WrongNumberFirst,
        ..PmsFaults::default()
    });
    port.place_call("1000", "0655555555", 10);
    wait_logged(&pbx, "the posting after a stray answer", || {
        charges(&pbx, "1000")["stays"][0]["calls"][1]["posting"] == "P#2 posted"
    });
    pms.set_faults(PmsFaults {
        postings: PostingFaults::Twice,
        ..PmsFaults::default()
    });
    port.place_call("1000", "0666666666", 10);
    wait_logged(&pbx, "the posting answered twice", || {
        charges(&pbx, "1000")["stays"][0]["calls"][2]["posting"] == "P#3 posted"
    });
    pms.set_faults(PmsFaults::default());
    let log = std::fs::read_to_string(pbx.dir.path().join("logs/hotelcare-service.log")).unwrap();
    assert!(
        log.contains("answers P#1002, which is not the posting out: ignored"),
        "{log}"
    );
    // The second answer comes after the first (that posted it): ignored then.
    wait_logged(&pbx, "the second answer to be ignored", || {
        std::fs::read_to_string(pbx.dir.path().join("logs/hotelcare-service.log"))
            .unwrap_or_default()
            .contains("answers P#3, which is not the posting out: ignored")
    });

    // Refused: kept with its reason, never sent again by itself.
    pms.set_faults(PmsFaults {
        posting_status: Some("NG".to_owned()),
        ..PmsFaults::default()
    });
    port.place_call("1000", "0698765432", 30);
    wait_logged(&pbx, "the refusal", || {
        charges(&pbx, "1000")["stays"][0]["calls"][3]["posting"]
            .as_str()
            .is_some_and(|p| {
                p.starts_with("P#4 REFUSED (NG: guest not found: REFUSED BY SIMULATOR)")
            })
    });

    // No answer: unknown after the timeout, not resent; the next posting goes out after it.
    pms.set_faults(PmsFaults {
        posting_status: None,
        ..PmsFaults::default()
    });
    port.place_call("1000", "0611111111", 10);
    wait_logged(&pbx, "the timeout", || {
        charges(&pbx, "1000")["stays"][0]["calls"][4]["posting"]
            .as_str()
            .is_some_and(|p| p.starts_with("P#5 UNKNOWN (no answer within 1 s)"))
    });
    std::thread::sleep(std::time::Duration::from_millis(1500));
    let sent = |number: &str| {
        pms.received()
            .iter()
            .filter(|r| r.starts_with("PS|") && r.contains(&format!("|P#{number}|")))
            .count()
    };
    assert_eq!(
        (sent("1"), sent("2"), sent("3"), sent("4"), sent("5")),
        (1, 1, 1, 1, 1)
    );

    // Sent again on purpose, once the folio was checked.
    pms.set_faults(PmsFaults::default());
    let out = pbx
        .hotelcare()
        .args(["charges", "repost", "P#5"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", text(&out.stderr));
    wait_logged(&pbx, "the repost", || {
        charges(&pbx, "1000")["stays"][0]["calls"][4]["posting"] == "P#6 posted"
    });
    // Sent again with a number of its own: a late answer to P#5 cannot pass for it.
    assert_eq!((sent("5"), sent("6")), (1, 1));
    let out = pbx
        .hotelcare()
        .args(["charges", "repost", "1"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(
        text(&out.stderr).contains("P#1 posted: sending it again would charge the guest twice"),
        "{}",
        text(&out.stderr)
    );
    let metrics = crate::fias_records::api(&pbx, "/metrics").1;
    for line in [
        "hotelcare_postings_total{outcome=\"posted\"} 4",
        "hotelcare_postings_total{outcome=\"refused\"} 1",
        "hotelcare_postings_total{outcome=\"unknown\"} 1",
    ] {
        assert!(metrics.contains(line), "{line}: {metrics}");
    }
    drop(port);
}

/// The service killed (SIGKILL) at seeded points while 200 calls stream in on the SMDR port
/// and their postings go out: afterwards every call the ledger has is posted, refused or
/// unknown — none waits for ever — and no call was posted twice.
#[test]
// The test says what the kills did (`--nocapture`), for the figures in the closing note.
#[allow(clippy::print_stderr)]
fn killed_while_calls_stream_in_no_call_is_posted_twice() {
    let House {
        pbx,
        runtime: _runtime,
        pms,
        port,
    } = house("posting_timeout_secs = 2\n", "");
    pms.set_faults(PmsFaults {
        posting_delay: std::time::Duration::from_millis(5),
        ..PmsFaults::default()
    });
    let start = || {
        let _ = std::fs::remove_file(pbx.dir.path().join("state/service.json"));
        crate::fias::serve(&pbx)
    };
    let mut service = start();
    // Checked in by the PMS: every restart's resync finds the guest where hotelcare has them.
    pms.send(b"GI|RN1000|G#4711|GNSolo|GFAlina|");
    wait_for("the stay", || {
        pbx.hotelcare()
            .args(["charges", "1000"])
            .output()
            .unwrap()
            .status
            .success()
    });
    wait_for("the SMDR link", || {
        crate::fias_records::api(&pbx, "/metrics")
            .1
            .contains("hotelcare_smdr_link_up{pbx=\"main\"} 1")
    });
    let mut rng = fastrand::Rng::with_seed(21);
    let kills: Vec<usize> = {
        let mut points: Vec<usize> = (0..3).map(|_| rng.usize(10..190)).collect();
        points.sort_unstable();
        points
    };
    for call in 0..200 {
        if kills.contains(&call) {
            let _ = service.kill();
            let _ = service.wait();
            service = start();
            wait_for("the SMDR link again", || {
                crate::fias_records::api(&pbx, "/metrics")
                    .1
                    .contains("hotelcare_smdr_link_up{pbx=\"main\"} 1")
            });
        }
        port.place_call("1000", &format!("06{call:08}"), 60);
        std::thread::sleep(std::time::Duration::from_millis(rng.u64(0..15)));
    }
    // Every call the ledger has comes to an end: posted, refused or unknown.
    wait_for("every posting to end", || {
        let stay = charges(&pbx, "1000");
        let calls = stay["stays"][0]["calls"]
            .as_array()
            .cloned()
            .unwrap_or_default();
        !calls.is_empty()
            && calls.iter().all(|call| {
                let posting = call["posting"].as_str().unwrap_or("");
                posting.ends_with(" posted")
                    || posting.contains(" REFUSED ")
                    || posting.contains(" UNKNOWN ")
            })
    });
    let calls = charges(&pbx, "1000")["stays"][0]["calls"]
        .as_array()
        .cloned()
        .unwrap();
    // Never twice: each call's number is in at most one PS.
    let mut posted: std::collections::HashMap<String, usize> = std::collections::HashMap::new();
    for record in pms.received().iter().filter(|r| r.starts_with("PS|")) {
        let number = record
            .split('|')
            .find_map(|field| field.strip_prefix("DD"))
            .unwrap_or("")
            .to_owned();
        *posted.entry(number).or_default() += 1;
    }
    let twice: Vec<_> = posted.iter().filter(|(_, n)| **n > 1).collect();
    assert!(twice.is_empty(), "posted twice: {twice:?}");
    // And each call the ledger has posted was received by the PMS.
    for call in &calls {
        let number = call["number"].as_str().unwrap();
        if call["posting"].as_str().unwrap().ends_with(" posted") {
            assert_eq!(posted.get(number), Some(&1), "{call}");
        }
    }
    let count = |what: &str| {
        calls
            .iter()
            .filter(|call| call["posting"].as_str().unwrap_or("").contains(what))
            .count()
    };
    eprintln!(
        "kills after calls {kills:?}: {} calls in the ledger, {} posted, {} unknown, {} PS sent",
        calls.len(),
        count(" posted"),
        count(" UNKNOWN "),
        posted.values().sum::<usize>()
    );
    // Lines written to a killed collector are lost in its socket, as with a real PBX; most
    // calls are in the ledger.
    assert!(calls.len() > 150, "{} of 200 calls", calls.len());
    drop(service);
    drop(port);
}

/// A PBX whose SMDR connection drops in the middle of a record: the half is not a call; the
/// link reconnects and the next whole record is.
#[test]
fn a_record_cut_off_by_a_dropped_link_is_not_a_call() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let address = listener.local_addr().unwrap();
    let pbx = TestPbx::start();
    let config = std::fs::read_to_string(&pbx.config).unwrap();
    std::fs::write(
        &pbx.config,
        format!("{config}{CHARGES}\n[smdr]\nserver = \"{address}\"\n"),
    )
    .unwrap();
    let _service = crate::fias::serve(&pbx);
    let out = pbx.run("CHECKIN 1000 \"Solo,Alina\"\n");
    assert!(out.status.success(), "{}", text(&out.stderr));
    let whole = outgoing("1000", "0612345678", "00:01:00");
    {
        let (mut first, _) = listener.accept().unwrap();
        std::io::Write::write_all(&mut first, &whole.as_bytes()[..50]).unwrap();
    } // dropped: the PBX went away mid-record
    let (mut second, _) = listener.accept().unwrap();
    std::io::Write::write_all(&mut second, format!("{whole}\r\n").as_bytes()).unwrap();
    wait_logged(&pbx, "the whole record", || {
        charges(&pbx, "1000")["stays"][0]["total"] == "0.40"
    });
    let metrics = crate::fias_records::api(&pbx, "/metrics").1;
    assert!(
        metrics.contains("hotelcare_smdr_records_total{outcome=\"cut_off\"} 1"),
        "{metrics}"
    );
    assert!(
        metrics.contains("hotelcare_smdr_records_total{outcome=\"recorded\"} 1"),
        "{metrics}"
    );
    drop(second);
}
