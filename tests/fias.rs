//! FIAS: the service takes guest events from a PMS (the FIAS simulator) and the PBX follows.

use std::process::Stdio;

use hotelcare::sim::fias_pms::{Faults, FiasPms};

use crate::support::{Service, TestPbx, wait_for};

pub(crate) fn serve(pbx: &TestPbx) -> Service {
    let child = Service::new(
        pbx.command()
            .arg("serve")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap(),
    );
    let info = pbx.dir.path().join("state/service.json");
    wait_for("service.json", || info.exists());
    child
}

/// A FIAS PMS simulator on a runtime of its own (it runs on that runtime's worker thread while
/// the test's thread waits).
pub(crate) fn start_pms() -> (tokio::runtime::Runtime, FiasPms) {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap();
    let pms = runtime
        .block_on(FiasPms::start("127.0.0.1:0".parse().unwrap()))
        .unwrap();
    (runtime, pms)
}

/// Stops the service and waits for it to end, then closes the PMS inside its runtime.
fn stop_with_pms(mut service: Service, runtime: &tokio::runtime::Runtime, pms: FiasPms) {
    super::service::stop_service(service.id());
    let _ = service.wait();
    let guard = runtime.enter();
    drop(pms);
    drop(guard);
}

/// Waits until the service has answered the PMS's link start (`LA`).
pub(crate) fn link_up(pms: &FiasPms) {
    wait_for("the link to come up", || {
        pms.received().iter().any(|r| r.starts_with("LA|"))
    });
}

/// Adds `[fias]` pointing at `pms` to the configuration `config`, then `more` (its tables).
pub(crate) fn add_fias(config: &std::path::Path, pms: &FiasPms, more: &str) {
    let text = std::fs::read_to_string(config).unwrap();
    std::fs::write(
        config,
        format!("{text}\n[fias]\nserver = \"{}\"\n{more}", pms.address()),
    )
    .unwrap();
}

#[test]
fn guest_events_from_the_pms_reach_the_pbx() {
    let pbx = TestPbx::start();
    let (runtime, pms) = start_pms();
    add_fias(
        &pbx.config,
        &pms,
        "\n[fias.class_of_service]\n\"0\" = \"BLOCK\"\n\"1\" = \"LOCAL\"\n\"2\" = \"ALLOW\"\n",
    );
    let mut service = serve(&pbx);
    link_up(&pms);
    let received = pms.received();
    assert!(
        received[0].starts_with("LD|") && received[0].contains("IFPB|"),
        "{received:?}"
    );
    assert!(
        received
            .iter()
            .any(|r| r == "LR|RIGI|FLRNG#GSGNGFGTCSENESSFDATI|")
            && received.iter().any(|r| r == "LR|RIRE|FLRNCSDNMLRS|"),
        "{received:?}"
    );
    // What hotelcare says at link start, as a snapshot (the date, time and version masked).
    let start: Vec<String> = received
        .iter()
        .take_while(|r| !r.starts_with("DR|"))
        .chain(received.iter().find(|r| r.starts_with("DR|")))
        .map(|record| masked(record))
        .collect();
    insta::with_settings!({snapshot_path => "../snapshots", prepend_module_to_snapshot => false}, {
        insta::assert_snapshot!("fias-link-start", start.join("\n"));
    });

    // A check-in, in the PMS's code page (windows-1252).
    pms.send(b"GI|RN1000|G#4711|GNM\xfcller|GFJ\xf6rg|CS2|EN3001|ES1|");
    wait_for("the check-in", || {
        let room = pbx.record("1000");
        room.directory_name == "M\u{fc}ller,J\u{f6}rg" && room.cor_day == "1"
    });
    // The same record again (a PMS resending): applied once, not twice.
    pms.send(b"GI|RN1000|G#4711|GNM\xfcller|GFJ\xf6rg|CS2|EN3001|ES1|");
    assert_eq!(
        pbx.record("1000").did_service_number,
        "3001",
        "the virtual number"
    );
    // A room move (GS after each room), then a class of service change, then the check-out.
    pms.send(b"GC|RN2000|RO1000|G#4711|GS|GS|EN3001|ES3|");
    // The move is done once the new room's Service Details (DID) are set, after its names.
    wait_for("the move", || {
        let room = pbx.record("2000");
        room.directory_name == "M\u{fc}ller,J\u{f6}rg" && !room.did_service_number.is_empty()
    });
    assert_eq!(pbx.record("1000").directory_name, "Room 1000");
    assert_eq!(
        pbx.record("2000").did_service_number,
        "3001",
        "it moved with the guest"
    );
    pms.send(b"RE|RN2000|CS1|");
    wait_for("the class of service", || pbx.record("2000").cor_day == "3");
    // A name change (GC without RO) and the virtual number given back (ES0).
    pms.send(b"GC|RN2000|G#4711|GNM\xfcller|GFJ\xfcrgen|");
    wait_for("the new name", || {
        pbx.record("2000").directory_name == "M\u{fc}ller,J\u{fc}rgen"
    });
    pms.send(b"RE|RN2000|EN3001|ES0|");
    wait_for("the virtual number given back", || {
        pbx.record("2000").did_service_number.is_empty()
    });
    pms.send(b"XX|RN2000|");
    // A sharer moves in: the phone keeps its guest; the first guest leaves: the phone shows the
    // sharer; the sharer leaves: the room is checked out.
    pms.send(b"GI|RN2000|G#4712|GNBeta|GFBob|GS|");
    pms.send(b"RE|RN2000|CS2|");
    wait_for("the class of service after the sharer", || {
        pbx.record("2000").cor_day == "1"
    });
    assert_eq!(pbx.record("2000").directory_name, "M\u{fc}ller,J\u{fc}rgen");
    pms.send(b"GO|RN2000|G#4711|");
    wait_for("the sharer on the phone", || {
        pbx.record("2000").directory_name == "Beta,Bob"
    });
    pms.send(b"GO|RN2000|G#4712|");
    wait_for("the check-out", || {
        pbx.record("2000").directory_name == "Room 2000"
    });
    assert!(pms.sent_all());

    super::service::stop_service(service.id());
    let _ = service.wait();
    let log = std::fs::read_to_string(pbx.dir.path().join("logs/hotelcare-service.log")).unwrap();
    assert!(log.contains("(fias:GI:G#4711:1)"), "{log}");
    assert!(log.contains("the PMS sent the same record again"), "{log}");
    assert!(log.contains("record type XX is not used"), "{log}");
    assert!(
        pms.received().iter().any(|r| r.starts_with("LE|")),
        "LE on shutdown"
    );
    let _guard = runtime.enter();
    drop(pms);
}

/// At link start (and on `hotelcare fias resync`), the PMS sends the whole house; only what
/// differs from hotelcare's room state is journaled.
#[test]
fn a_resync_fixes_exactly_the_differences() {
    let pbx = TestPbx::start();
    // hotelcare believes room 2000 has a guest the PMS has long checked out.
    let ran = pbx.run("CHECKIN 2000 \"Ghost,Gary\"\n");
    assert!(
        ran.status.success(),
        "{}",
        crate::support::text(&ran.stderr)
    );
    let (runtime, pms) = start_pms();
    pms.set_house(&[b"GI|RN1000|G#1|GNAlpha|GFAnn|CS2|"]);
    add_fias(
        &pbx.config,
        &pms,
        "\n[fias.class_of_service]\n\"2\" = \"ALLOW\"\n",
    );
    let mut service = serve(&pbx);
    wait_for("the resync's check-in", || {
        pbx.record("1000").directory_name == "Alpha,Ann"
    });
    wait_for("the resync's check-out", || {
        pbx.record("2000").directory_name == "Room 2000"
    });
    // Asked again, the same house: nothing to fix.
    let asked = pbx.hotelcare().args(["fias", "resync"]).output().unwrap();
    assert!(
        asked.status.success(),
        "{}",
        crate::support::text(&asked.stderr)
    );
    let log = pbx.dir.path().join("logs/hotelcare-service.log");
    wait_for("the second resync", || {
        std::fs::read_to_string(&log).is_ok_and(|l| l.contains("nothing to fix"))
    });
    super::service::stop_service(service.id());
    let _ = service.wait();
    let log = std::fs::read_to_string(&log).unwrap();
    assert!(log.contains("room 2000: the PMS has it vacant"), "{log}");
    assert!(log.contains("room 1000: the PMS has G#1 in it"), "{log}");
    let _guard = runtime.enter();
    drop(pms);
}

/// Noise, broken and oversized frames, text invalid in the code page and a room the PBX does
/// not have: each is logged with its reason, nothing is half-applied, the link goes on.
#[test]
fn bad_input_from_the_pms_is_logged_and_the_link_goes_on() {
    let pbx = TestPbx::start();
    let (runtime, pms) = start_pms();
    add_fias(&pbx.config, &pms, "");
    let mut service = serve(&pbx);
    link_up(&pms);
    // Noise between frames, a frame cut off (no ETX) by the next one, a 1 MB frame.
    pms.send_raw(b"noise\r\n\x02GI|RN1000|G#1|GNCut");
    let mut huge = vec![0x02];
    huge.extend(std::iter::repeat_n(b'A', 1024 * 1024));
    huge.push(0x03);
    pms.send_raw(&huge);
    // Bytes windows-1252 leaves undefined (control characters once decoded): refused.
    pms.send(b"GI|RN1000|G#2|GNBad\x81\x8dName|");
    // A room the PBX does not have: journaled, refused by the PBX, the others go on.
    pms.send(b"GI|RN9999|G#3|GNNobody|");
    pms.send(b"GI|RN2000|G#4|GNGood|GFGuest|");
    wait_for("the good record after the bad ones", || {
        pbx.record("2000").directory_name == "Good,Guest"
    });
    assert_eq!(
        pbx.record("1000").directory_name,
        "Room 1000",
        "nothing half-applied"
    );
    super::service::stop_service(service.id());
    let _ = service.wait();
    let log = std::fs::read_to_string(pbx.dir.path().join("logs/hotelcare-service.log")).unwrap();
    assert!(
        log.contains("a frame longer than 64 kB was dropped"),
        "{log}"
    );
    assert!(
        log.contains("GI|RN1000|G#2|GNB…|: refused: field GN holds the control character U+0081; nothing changed"),
        "{log}"
    );
    assert!(log.contains("9999"), "{log}");
    let _guard = runtime.enter();
    drop(pms);
}

/// A 500-record stream of guest events, the service killed twice and the link dropped once
/// along the way: after restarts, reconnects and the resyncs they bring, the PBX has every room
/// as the PMS has it (the stream applied once, in order).
#[cfg(unix)]
#[test]
fn a_service_killed_during_a_record_stream_ends_as_the_pms_has_the_house() {
    use hotelcare::sim::Seed;

    const ROOMS: u32 = 12;
    const RECORDS: usize = 500;
    let pbx = TestPbx::with(crate::support::Setup {
        rooms: Seed::range(1000, ROOMS, 2),
        ..crate::support::Setup::default()
    });
    let (runtime, pms) = start_pms();
    add_fias(
        &pbx.config,
        &pms,
        "\n[fias.class_of_service]\n\"0\" = \"BLOCK\"\n\"2\" = \"ALLOW\"\n",
    );
    // A stream spread over about a second and a half.
    pms.set_faults(Faults {
        pace: Some(4),
        ..Faults::default()
    });
    // The stream, and what the house is after it: room -> (guest, level COR).
    let mut rng = fastrand::Rng::with_seed(11);
    // room -> (guest, COR, reservation)
    let mut house: std::collections::BTreeMap<u32, (String, &str, usize)> =
        std::collections::BTreeMap::new();
    for n in 0..RECORDS {
        let room = 1000 + rng.u32(0..ROOMS);
        let record = match house.get(&room).cloned() {
            None => {
                let guest = format!("Guest{n}");
                let (cs, cor) = if rng.bool() { ("2", "1") } else { ("0", "2") };
                house.insert(room, (guest.clone(), cor, n));
                format!("GI|RN{room}|G#{n}|GN{guest}|CS{cs}|")
            }
            Some((guest, _, reservation)) => match rng.u8(0..3) {
                0 => {
                    house.remove(&room);
                    format!("GO|RN{room}|G#{reservation}|")
                }
                1 => {
                    let target = 1000 + rng.u32(0..ROOMS);
                    if house.contains_key(&target) {
                        house.insert(room, (guest, "2", reservation));
                        format!("RE|RN{room}|CS0|")
                    } else {
                        let moved = house.remove(&room).unwrap();
                        house.insert(target, moved);
                        format!("GC|RN{target}|RO{room}|G#{reservation}|")
                    }
                }
                _ => {
                    house.insert(room, (guest, "1", reservation));
                    format!("RE|RN{room}|CS2|")
                }
            },
        };
        pms.send(record.as_bytes());
    }
    let kill = |service: &mut Service| {
        service.kill().unwrap();
        service.wait().unwrap();
    };
    // Killed twice and the link dropped once, at points the seed chooses.
    let first = rng.usize(RECORDS / 10..RECORDS / 3);
    let second = rng.usize(RECORDS / 2..2 * RECORDS / 3);
    pms.set_faults(Faults {
        pace: Some(4),
        drop_after: Some(rng.usize(3 * RECORDS / 4..9 * RECORDS / 10)),
        ..Faults::default()
    });
    let mut service = serve(&pbx);
    wait_for("the first kill point", || pms.sent() >= first);
    kill(&mut service);
    let mut service = serve(&pbx);
    wait_for("the second kill point", || pms.sent() >= second);
    kill(&mut service);
    let service = serve(&pbx);
    wait_for("the whole stream", || pms.sent_all());
    // Quiet: the resync of the last link start and every queued command done.
    let expected = |room: u32| {
        house
            .get(&room)
            .map_or((format!("Room {room}"), "2"), |(guest, cor, _)| {
                (guest.clone(), *cor)
            })
    };
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    loop {
        let matches = (1000..1000 + ROOMS).all(|room| {
            let record = pbx.record(&room.to_string());
            let (name, cor) = expected(room);
            record.directory_name == name && record.cor_day == cor
        });
        if matches {
            break;
        }
        if std::time::Instant::now() > deadline {
            let rooms: Vec<String> = (1000..1000 + ROOMS)
                .map(|room| {
                    let record = pbx.record(&room.to_string());
                    format!(
                        "{room}: PBX {} {} / PMS {:?}",
                        record.directory_name,
                        record.cor_day,
                        expected(room)
                    )
                })
                .collect();
            let _ = std::fs::copy(
                pbx.dir.path().join("logs/hotelcare-service.log"),
                std::env::temp_dir().join("hotelcare-fias-kill-test.log"),
            );
            panic!("the PBX differs from the PMS:\n{}", rooms.join("\n"));
        }
        std::thread::sleep(std::time::Duration::from_millis(200));
    }
    stop_with_pms(service, &runtime, pms);
}

/// A PBX on the Mitel PMS wire reports maid status; the service passes it on to the PMS as room
/// equipment (`RE` with `RS`).
#[test]
fn maid_status_from_the_pbx_goes_back_to_the_pms() {
    use hotelcare::sim::mitel_pms::PmsFaults;

    let pbx = crate::mitel_pms::TestPms::start("");
    let (runtime, pms) = start_pms();
    let config = std::fs::read_to_string(&pbx.config).unwrap();
    std::fs::write(
        &pbx.config,
        config.replace("keepalive_secs = 0", "keepalive_secs = 1"),
    )
    .unwrap();
    add_fias(
        &pbx.config,
        &pms,
        "\n[fias.class_of_service]\n\"0\" = \"BLOCK\"\n\"2\" = \"ALLOW\"\n",
    );
    pbx.simulator().set_faults(PmsFaults {
        maid_every: Some(std::time::Duration::from_millis(300)),
        ..PmsFaults::default()
    });
    let service = Service::new(
        std::process::Command::new(assert_cmd::cargo::cargo_bin("hotelcare"))
            .current_dir(pbx.dir.path())
            .arg("--config")
            .arg(&pbx.config)
            .arg("serve")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap(),
    );
    // The first keep-alive connects the PMS link to the PBX; its maid status follows.
    wait_for("the maid status at the PMS", || {
        pms.received().iter().any(|r| r == "RE|RN1000|RS3|")
    });
    // Room equipment from a scripted stream: message lamp, do not disturb, class of service.
    pms.send_script(
        &std::fs::read_to_string(
            crate::support::root().join("tests/fixtures/fias/room-equipment.fias"),
        )
        .unwrap(),
    );
    wait_for("the room equipment on the PBX", || {
        let room = pbx.simulator().room("1000").unwrap();
        room.occupied && room.message_waiting && !room.do_not_disturb && room.level == Some(0)
    });
    let applied = pbx.simulator().applied();
    assert!(applied.iter().any(|f| f == "DND1  1000"), "{applied:?}");
    stop_with_pms(service, &runtime, pms);
}

/// Records that arrive while the PBX is down are journaled and applied, in order, once it is back.
#[test]
fn records_while_the_pbx_is_down_are_applied_when_it_is_back() {
    use hotelcare::sim::Faults;

    let pbx = TestPbx::start();
    let (runtime, pms) = start_pms();
    add_fias(&pbx.config, &pms, "");
    let service = serve(&pbx);
    link_up(&pms);
    pbx.set_faults(Faults {
        refuse_connections: true,
        ..Faults::default()
    });
    pms.send(b"GI|RN1000|G#1|GNFirst|");
    pms.send(b"GO|RN1000|G#1|");
    pms.send(b"GI|RN1000|G#2|GNSecond|");
    wait_for("the records taken", || pms.sent_all());
    wait_for("three commands journaled", || {
        let queued = pbx.hotelcare().args(["queue", "list"]).output().unwrap();
        crate::support::text(&queued.stdout).contains("3 pending")
    });
    pbx.set_faults(Faults::default());
    wait_for("the last guest in the room", || {
        pbx.record("1000").directory_name == "Second"
    });
    stop_with_pms(service, &runtime, pms);
}

/// The PMS link drops in the middle of a resync: the partial house changes nothing; the next
/// link start resyncs again, and every fix is applied once.
#[test]
fn a_link_dropped_mid_resync_resyncs_again_and_applies_nothing_twice() {
    use hotelcare::sim::Seed;

    let pbx = TestPbx::with(crate::support::Setup {
        rooms: Seed::range(1000, 5, 2),
        ..crate::support::Setup::default()
    });
    let (runtime, pms) = start_pms();
    let house: Vec<Vec<u8>> = (0..5)
        .map(|i| format!("GI|RN{}|G#{i}|GNGuest{i}|", 1000 + i).into_bytes())
        .collect();
    let house: Vec<&[u8]> = house.iter().map(Vec::as_slice).collect();
    pms.set_house(&house);
    // DS and two of the five rooms, then the link drops.
    pms.set_faults(Faults {
        drop_after: Some(3),
        ..Faults::default()
    });
    add_fias(&pbx.config, &pms, "");
    let mut service = serve(&pbx);
    wait_for("every room checked in", || {
        (0..5).all(|i| pbx.record(&(1000 + i).to_string()).directory_name == format!("Guest{i}"))
    });
    super::service::stop_service(service.id());
    let _ = service.wait();
    let log = std::fs::read_to_string(pbx.dir.path().join("logs/hotelcare-service.log")).unwrap();
    assert!(
        log.contains("is down: the link dropped; next try at"),
        "{log}"
    );
    assert_eq!(
        log.matches("FIAS resync: 5 command(s) journaled").count(),
        1,
        "one resync applied, once: {log}"
    );
    assert!(!log.contains("FAILED"), "{log}");
    let _guard = runtime.enter();
    drop(pms);
}

/// A check-in that follows a check-out of the same room while the PBX is still busy with the
/// check-out: a new guest, not a sharer (the link knows what it journaled before the room
/// state does).
#[test]
fn a_check_in_right_after_a_check_out_is_not_taken_for_a_sharer() {
    use hotelcare::sim::Faults;

    let pbx = TestPbx::start();
    pbx.set_faults(Faults {
        latency_ms: 60,
        ..Faults::default()
    });
    let (runtime, pms) = start_pms();
    add_fias(&pbx.config, &pms, "");
    let service = serve(&pbx);
    link_up(&pms);
    pms.send(b"GI|RN1000|G#1|GNFirst|");
    wait_for("the first guest on the phone", || {
        pbx.record("1000").directory_name == "First"
    });
    // The room state says "occupied by First" until the check-out is done, 4 requests later.
    pms.send(b"GO|RN1000|G#1|");
    pms.send(b"GI|RN1000|G#2|GNSecond|");
    wait_for("the second guest on the phone", || {
        pbx.record("1000").directory_name == "Second"
    });
    stop_with_pms(service, &runtime, pms);
}

/// A check-in right after a resync that checks the same room out, while the PBX is still busy
/// with that check-out: a new guest, not a sharer of the guest being checked out (the room state
/// says "occupied" until the check-out is done; the link must go by what the resync journaled).
#[test]
fn a_check_in_right_after_a_resyncs_check_out_is_not_taken_for_a_sharer() {
    let pbx = TestPbx::start();
    let (runtime, pms) = start_pms();
    add_fias(&pbx.config, &pms, "");
    let service = checked_out_while_stopped(&pbx, &pms, &["2000"]);
    wait_for("the resync's check-out journaled", || {
        service_log(&pbx).contains("journaled to fix the differences")
    });
    // The check-out has not reached the User Profile yet: the race is still on.
    assert_eq!(pbx.record("2000").directory_name, "Ghost");
    pms.send(b"GI|RN2000|G#7|GNNew|");
    wait_for("the new guest on the phone", || {
        pbx.record("2000").directory_name == "New"
    });
    stop_with_pms(service, &runtime, pms);
}

/// The same after `fias resync --confirm` journals the check-outs a resync held: a guest
/// checking into one of those rooms while the PBX is still busy with it is a new guest.
#[test]
fn a_check_in_right_after_confirmed_check_outs_is_not_taken_for_a_sharer() {
    let pbx = TestPbx::start();
    let (runtime, pms) = start_pms();
    add_fias(&pbx.config, &pms, "resync_checkout_limit = 1\n");
    // Two check-outs: more than the limit, so the resync holds them.
    let service = checked_out_while_stopped(&pbx, &pms, &["1000", "2000"]);
    wait_for("the held check-outs", || {
        service_log(&pbx).contains("check-outs are held")
    });
    let confirmed = pbx
        .hotelcare()
        .args(["fias", "resync", "--confirm"])
        .output()
        .unwrap();
    assert!(
        confirmed.status.success(),
        "{}",
        crate::support::text(&confirmed.stderr)
    );
    assert_eq!(pbx.record("2000").directory_name, "Ghost");
    pms.send(b"GI|RN2000|G#7|GNNew|");
    wait_for("the new guest on the phone", || {
        pbx.record("2000").directory_name == "New"
    });
    wait_for("room 1000 checked out", || {
        pbx.record("1000").directory_name == "Room 1000"
    });
    stop_with_pms(service, &runtime, pms);
}

/// A guest of the PMS's (a reservation) in each of `rooms`, whom the PMS checks out while
/// hotelcare is stopped (the records are lost); then the service started again, the PBX at
/// 300 ms a request, so that the resync's check-outs take over a second each.
fn checked_out_while_stopped(pbx: &TestPbx, pms: &FiasPms, rooms: &[&str]) -> Service {
    let mut service = serve(pbx);
    link_up(pms);
    for (reservation, room) in rooms.iter().enumerate() {
        pms.send(format!("GI|RN{room}|G#{}|GNGhost|", reservation + 1).as_bytes());
    }
    wait_for("the guests on the phones", || {
        rooms
            .iter()
            .all(|room| pbx.record(room).directory_name == "Ghost")
    });
    super::service::stop_service(service.id());
    let _ = service.wait();
    pms.set_house(&[]);
    pbx.set_faults(hotelcare::sim::Faults {
        latency_ms: 300,
        ..hotelcare::sim::Faults::default()
    });
    serve(pbx)
}

fn service_log(pbx: &TestPbx) -> String {
    std::fs::read_to_string(pbx.dir.path().join("logs/hotelcare-service.log")).unwrap_or_default()
}

/// A record with its date (`DA`), time (`TI`) and version (`V#`) masked, for snapshots.
fn masked(record: &str) -> String {
    record
        .split('|')
        .map(|field| match field.get(..2) {
            Some(id @ ("DA" | "TI" | "V#")) => format!("{id}<{}>", id.to_ascii_lowercase()),
            _ => field.to_owned(),
        })
        .collect::<Vec<_>>()
        .join("|")
}
