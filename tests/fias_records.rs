//! FIAS records as real PMSs send them, through `hotelcare serve` and the PMS simulator: a record
//! is trusted to say who is in which room, never to run commands; a move may bring a new name;
//! DOS code pages; a class of service the configuration does not map; the shapes of the
//! open-source PMS module.

use hotelcare::sim::Seed;

use crate::fias::{add_fias, serve, start_pms};
use crate::support::{Setup, TestPbx, wait_for};

/// The service's log, once it stopped.
fn log(pbx: &TestPbx) -> String {
    std::fs::read_to_string(pbx.dir.path().join("logs/hotelcare-service.log")).unwrap()
}

/// The directory names of `rooms` on the simulated PBX.
fn names(pbx: &TestPbx, rooms: std::ops::Range<u32>) -> Vec<String> {
    rooms
        .map(|room| pbx.record(&room.to_string()).directory_name)
        .collect()
}

/// `GET path` on the running service of `pbx`, with its token.
pub(crate) fn api(pbx: &TestPbx, path: &str) -> (u16, String) {
    let state = pbx.dir.path().join("state");
    let info: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(state.join("service.json")).unwrap())
            .unwrap();
    let token = std::fs::read_to_string(state.join("api-token")).unwrap();
    crate::service::request(
        info["address"].as_str().unwrap().parse().unwrap(),
        &format!(
            "GET {path} HTTP/1.1\r\nAuthorization: Bearer {}",
            token.trim()
        ),
        "",
    )
}

/// The records of the issue that would have run commands on other rooms: a `;` in `RN` and in
/// `RO`, a line break in `G#`, a name that closes its quote. Each leaves every other room as it
/// was; each refusal is logged with its reason and counted.
#[test]
fn records_that_would_run_commands_change_nothing_but_their_own_room() {
    let pbx = TestPbx::with(Setup {
        rooms: Seed::range(1000, 6, 2),
        ..Setup::default()
    });
    let ran = pbx.run(
        "CHECKIN 1000 \"A\"\nCHECKIN 1001 \"B\"\nCHECKIN 1002 \"C\"\nCHECKIN 1003 \"D\"\nCHECKIN 1004 \"E\"\n",
    );
    assert!(
        ran.status.success(),
        "{}",
        crate::support::text(&ran.stderr)
    );
    let before = names(&pbx, 1000..1005);
    let (runtime, pms) = start_pms();
    add_fias(&pbx.config, &pms, "");
    // The rooms hotelcare checked in are not in the PMS's house: no resync may check them out.
    pms.set_house(&[
        b"GI|RN1000|G#1000|GNA|",
        b"GI|RN1001|G#1001|GNB|",
        b"GI|RN1002|G#1002|GNC|",
        b"GI|RN1003|G#1003|GND|",
        b"GI|RN1004|G#1004|GNE|",
    ]);
    let mut service = serve(&pbx);
    pms.send(b"GO|RN1000;CHECKOUT 1001|G#1000|");
    pms.send(b"GI|RN1002|G#7\nCHECKOUT 1003|GNX|");
    pms.send(b"GC|RN1005|RO1001;CHECKOUT 1002|G#1001|");
    pms.send(b"GI|RN1005|G#9|GNX\"; CHECKOUT 1004 #|");
    wait_for("the name that was data", || {
        pbx.record("1005").directory_name == "X\"; CHECKOUT 1004 #"
    });
    wait_for("the records counted", || {
        api(&pbx, "/metrics")
            .1
            .contains("hotelcare_fias_records_total{type=\"GI\",outcome=\"refused\"} 1")
    });
    let metrics = api(&pbx, "/metrics").1;
    for kind in ["GO", "GC"] {
        assert!(
            metrics.contains(&format!(
                "hotelcare_fias_records_total{{type=\"{kind}\",outcome=\"refused\"}} 1"
            )),
            "{metrics}"
        );
    }
    assert_eq!(
        names(&pbx, 1000..1005),
        before,
        "every other room as it was"
    );
    super::service::stop_service(service.id());
    let _ = service.wait();
    let log = log(&pbx);
    for refusal in [
        "FIAS GO|RN1000;CHECKOUT 1001|G#1000|: refused: field RN is not a room number (an extension): it holds `;` where only digits may be; nothing changed",
        "FIAS GI|RN1002|G#7\\u{a}CHECKOUT 1003|GNX|: refused: field G# holds the control character U+000A; nothing changed",
        "FIAS GC|RN1005|RO1001;CHECKOUT 1002|G#1001|: refused: field RO is not a room number (an extension): it holds `;` where only digits may be; nothing changed",
    ] {
        assert!(log.contains(refusal), "{refusal}\n{log}");
    }
    let _guard = runtime.enter();
    drop(pms);
}

/// The move of the issue (`GC` with `RO` and a new name) and the specification's own move
/// (p. 44: the guest leaves a shared room with a name it was given since; the sharer stays and
/// takes the phone).
#[test]
fn a_move_with_a_new_name_shows_the_new_name_and_a_sharer_who_stays_keeps_the_old_room() {
    let pbx = TestPbx::with(Setup {
        rooms: Seed::numbered(&["201", "202", "2781", "9327"], 2),
        number_transfer: false,
        ..Setup::default()
    });
    let (runtime, pms) = start_pms();
    add_fias(&pbx.config, &pms, "");
    let mut service = serve(&pbx);
    pms.send(b"GI|RN201|G#123456|GNFoo|GLEN|GSN|");
    pms.send(b"GC|RN202|G#123456|GNMrs. Bar|GLEN|GS|RO201|");
    // FIAS 2.20.23, p. 43-44, with the sharer's arrival between.
    pms.send(b"GI|RN2781|G#12345|GNGuest, Mr.|GLEA|GV3|GGA123|GSN|");
    pms.send(b"GC|RN2781|G#12345|GNGast, Hr.|GLGE|");
    pms.send(b"GI|RN2781|G#12381|GNSharer, Dr.|GLEA|GV0|GGA123|GSY|");
    pms.send(b"GC|RN9327|GSN|G#12345|GNGuest, Mr.|GLEA|GV3|GGA123|RO2781|GSY|");
    wait_for("the moves", || {
        pbx.record("202").directory_name == "Mrs. Bar"
            && pbx.record("9327").directory_name == "Guest,Mr."
            && pbx.record("2781").directory_name == "Sharer,Dr."
    });
    assert_eq!(pbx.record("201").directory_name, "Room 201");
    super::service::stop_service(service.id());
    let _ = service.wait();
    let _guard = runtime.enter();
    drop(pms);
}

/// A PMS set to a DOS code page (the open-source PMS module's default is CP850): names with
/// umlauts arrive as they were typed, by every usual name of the code page.
#[test]
fn names_in_the_dos_code_pages_arrive_as_typed() {
    for (codepage, bytes, name) in [
        (
            "CP850",
            b"GI|RN1000|G#1|GNM\x81ller|GFJ\x94rg|".as_slice(),
            "M\u{fc}ller,J\u{f6}rg",
        ),
        (
            "cp437",
            b"GI|RN1000|G#1|GN\x8eberle|GFB\x84rbel|".as_slice(),
            "\u{c4}berle,B\u{e4}rbel",
        ),
        (
            "ibm850",
            b"GI|RN1000|G#1|GNS\x9bren|GFJ\x9brgen|".as_slice(),
            "S\u{f8}ren,J\u{f8}rgen",
        ),
    ] {
        let pbx = TestPbx::start();
        let (runtime, pms) = start_pms();
        add_fias(&pbx.config, &pms, &format!("codepage = \"{codepage}\"\n"));
        let mut service = serve(&pbx);
        pms.send(bytes);
        wait_for(codepage, || pbx.record("1000").directory_name == name);
        super::service::stop_service(service.id());
        let _ = service.wait();
        let _guard = runtime.enter();
        drop(pms);
    }
}

/// A check-in whose `CS` the configuration does not map is not dropped: the guest is checked in
/// at `[fias] default_level`, with a warning and a count.
#[test]
fn an_unmapped_class_of_service_still_checks_the_guest_in() {
    let pbx = TestPbx::start();
    let (runtime, pms) = start_pms();
    add_fias(
        &pbx.config,
        &pms,
        "default_level = \"LOCAL\"\n\n[fias.class_of_service]\n\"2\" = \"ALLOW\"\n",
    );
    let mut service = serve(&pbx);
    pms.send(b"GI|RN1000|G#5|GNSolo|CS9|");
    wait_for("the check-in", || {
        let room = pbx.record("1000");
        room.directory_name == "Solo" && room.cor_day == "3"
    });
    assert!(
        api(&pbx, "/metrics")
            .1
            .contains("hotelcare_fias_unmapped_class_of_service_total 1")
    );
    super::service::stop_service(service.id());
    let _ = service.wait();
    assert!(
        log(&pbx).contains(
            "WARN FIAS GI|RN1000|G#5|GNS…|CS9|: class of service CS9 is not in `[fias.class_of_service]`: checked in at `LOCAL` (`[fias] default_level`)"
        ),
        "{}",
        log(&pbx)
    );
    let _guard = runtime.enter();
    drop(pms);
}

/// The records as the open-source PMS module sends them: empty fields as bare ids, the swap
/// flag on a real-time check-in.
#[test]
fn records_in_the_open_source_pms_modules_shape_are_taken() {
    let pbx = TestPbx::with(Setup {
        rooms: Seed::numbered(&["201", "203"], 2),
        ..Setup::default()
    });
    let (runtime, pms) = start_pms();
    add_fias(
        &pbx.config,
        &pms,
        "\n[fias.class_of_service]\n\"0\" = \"BLOCK\"\n\"2\" = \"ALLOW\"\n",
    );
    let mut service = serve(&pbx);
    pms.send(b"GI|RN201|G#123456|GNMr Foo Bar|GLIT|GS|SF|");
    pms.send(b"GI|RN203|G#123457|GNBaz|CS2|");
    pms.send(b"RE|RN203|RS|ML|CS0|DN|");
    wait_for("the check-in and the class of service", || {
        pbx.record("201").directory_name == "Mr Foo Bar" && pbx.record("203").cor_day == "2"
    });
    super::service::stop_service(service.id());
    let _ = service.wait();
    let _guard = runtime.enter();
    drop(pms);
}
