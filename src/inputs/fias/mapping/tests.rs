use std::collections::BTreeMap;

use super::*;
use crate::config::{Codepage, Interface};
use crate::engine::FlagChange;

fn config() -> FiasConfig {
    FiasConfig {
        server: "127.0.0.1:5010".into(),
        codepage: Codepage::default(),
        title: false,
        class_of_service: [("0", "BLOCK"), ("2", "ALLOW")]
            .into_iter()
            .map(|(a, b)| (a.to_owned(), b.to_owned()))
            .collect(),
        default_level: "BLOCK".into(),
        resync_checkout_limit: None,
        wakeup_answer_ok: false,
    }
}

/// Maps `line` on a PBX of `interface` with the rooms in `views`; the lines of the batch,
/// or why it was ignored.
fn lines(line: &str, interface: Interface, views: &BTreeMap<&str, RoomView>) -> Vec<String> {
    match mapped(line, interface, views) {
        Ok(Mapped::Effect(effect)) => effect
            .batch
            .commands
            .iter()
            .map(|(request, reservation)| {
                let text = request.write(0).text;
                match reservation {
                    Some(r) => format!("{text}  [G#{r}]"),
                    None => text,
                }
            })
            .collect(),
        Ok(Mapped::Ignored(why)) => vec![format!("ignored: {why}")],
        Err(refusal) => vec![format!("refused: {refusal}")],
    }
}

fn mapped(
    line: &str,
    interface: Interface,
    views: &BTreeMap<&str, RoomView>,
) -> Result<Mapped, Refusal> {
    let record = Record::parse(line.as_bytes(), Codepage::default()).unwrap();
    let config = config();
    let capabilities = move |_: &Extension| interface.capabilities();
    let view = |room: &Extension| views.get(room.as_str()).cloned().unwrap_or_default();
    map(
        &record,
        &Context {
            config: &config,
            capabilities: &capabilities,
            view: &view,
        },
    )
}

fn held(holder: &str, sharers: &[(&str, &str)]) -> RoomView {
    RoomView {
        occupied: true,
        holder: Some(holder.to_owned()),
        sharers: sharers
            .iter()
            .map(|(r, n)| Sharer {
                reservation: (*r).to_owned(),
                name: GuestName::whole(n).ok(),
            })
            .collect(),
    }
}

const MIXML: Interface = Interface::Mixml;

#[test]
fn guest_records_become_typed_commands() {
    let none = BTreeMap::new();
    assert_eq!(
        lines("GI|RN1000|G#77|GNSolo|GFAlina|CS2|", MIXML, &none),
        ["CHECKIN 1000 \"Solo,Alina\" COS ALLOW  [G#77]"]
    );
    assert_eq!(
        lines("GI|RN1|G#1|GNO\"Neil|", MIXML, &none),
        ["CHECKIN 1 \"O\\\"Neil\"  [G#1]"]
    );
    assert_eq!(lines("GO|RN2000|G#77|", MIXML, &none), ["CHECKOUT 2000"]);
    let rooms = BTreeMap::from([("1000", held("77", &[])), ("2000", held("77", &[]))]);
    assert_eq!(
        lines("GC|RN2000|G#77|GNSolo|GFAline|", MIXML, &rooms),
        ["RENAME 2000 \"Solo,Aline\""]
    );
    assert_eq!(
        lines("GO|G#1|", MIXML, &none),
        ["ignored: GO: no room number (RN)"]
    );
    assert_eq!(
        lines("XX|RN1000|", MIXML, &none),
        ["ignored: record type XX is not used"]
    );
}

/// The move records of the issue and of the specification (p.44): the guest moves, then
/// gets the name the record gives, in one ordered batch.
#[test]
fn a_move_with_a_new_name_moves_then_renames() {
    let rooms = BTreeMap::from([("201", held("123456", &[]))]);
    assert_eq!(
        lines("GC|RN202|G#123456|GNMrs. Bar|GLEN|GS|RO201|", MIXML, &rooms),
        ["MOVE 201 202", "RENAME 202 \"Mrs. Bar\""]
    );
    // The sharer 12381 stays in 2781 and takes its phone.
    let rooms = BTreeMap::from([("2781", held("12345", &[("12381", "Sharer, Dr.")]))]);
    assert_eq!(
        lines(
            "GC|RN9327|GSN|G#12345|GNGuest, Mr.|GLEA|GV3|GGA123|RO2781|GSY|",
            MIXML,
            &rooms
        ),
        [
            "MOVE 2781 9327",
            "RENAME 9327 \"Guest, Mr.\"",
            "CHECKIN 2781 \"Sharer, Dr.\"  [G#12381]"
        ]
    );
    // On a wire that cannot rename (Mitel PMS without `nam_replace`): the move, and a
    // warning.
    let record =
        Record::parse(b"GC|RN202|G#123456|GNMrs. Bar|RO201|", Codepage::default()).unwrap();
    let views = BTreeMap::from([("201", held("123456", &[]))]);
    let view = |room: &Extension| views.get(room.as_str()).cloned().unwrap_or_default();
    let capabilities = |_: &Extension| Capabilities {
        rename: false,
        ..Interface::MitelPms.capabilities()
    };
    let Ok(Mapped::Effect(effect)) = map(
        &record,
        &Context {
            config: &config(),
            capabilities: &capabilities,
            view: &view,
        },
    ) else {
        panic!()
    };
    assert_eq!(effect.batch.commands.len(), 1);
    assert_eq!(effect.warnings.len(), 1);
}

#[test]
fn sharers_join_leave_move_and_take_the_phone() {
    let one = BTreeMap::from([("1", held("1", &[]))]);
    let Ok(Mapped::Effect(effect)) = mapped("GI|RN1|G#2|GNBeta|GFBob|GSY|", MIXML, &one) else {
        panic!()
    };
    assert!(effect.batch.commands.is_empty());
    assert_eq!(
        effect.batch.flags,
        vec![(
            "1".to_owned(),
            FlagChange::Sharers(vec![crate::engine::Sharer {
                reservation: "2".into(),
                name: "Beta,Bob".into()
            }])
        )]
    );
    let shared = BTreeMap::from([("1", held("1", &[("2", "Beta,Bob")]))]);
    assert_eq!(
        lines("GO|RN1|G#1|", MIXML, &shared),
        ["CHECKIN 1 \"Beta,Bob\" REPLACE  [G#2]"]
    );
    assert!(
        lines("GO|RN1|G#2|", MIXML, &shared).is_empty(),
        "a sharer leaves"
    );
    assert_eq!(lines("GO|RN1|G#1|", MIXML, &one), ["CHECKOUT 1"]);
    // A sharer moves to a vacant room: a check-in there, the old room keeps its phone.
    assert_eq!(
        lines("GC|RN5|G#2|RO1|", MIXML, &shared),
        ["CHECKIN 5 \"Beta,Bob\"  [G#2]"]
    );
    // The same reservation checked in again: a data change, not a second check-in.
    assert_eq!(
        lines("GI|RN1|G#1|GNAlpha|CS0|", MIXML, &one),
        ["RENAME 1 \"Alpha\"", "COS 1 BLOCK"]
    );
}

#[test]
fn an_unmapped_class_of_service_still_checks_the_guest_in() {
    let none = BTreeMap::new();
    let Ok(Mapped::Effect(effect)) = mapped("GI|RN1000|G#1|GNX|CS9|", MIXML, &none) else {
        panic!()
    };
    assert_eq!(
        effect.batch.commands[0].0.write(0).text,
        "CHECKIN 1000 \"X\" COS BLOCK"
    );
    assert_eq!(effect.unmapped_class_of_service, 1);
    assert!(effect.warnings[0].contains("CS9"), "{:?}", effect.warnings);
    // In room equipment the level is left as it is; the rest applies.
    assert_eq!(
        lines("RE|RN1000|CS9|MLY|", Interface::MitelPms, &none),
        ["MW 1000 ON"]
    );
}

#[test]
fn virtual_numbers_become_dids_on_a_wire_with_dids() {
    let none = BTreeMap::new();
    assert_eq!(
        lines("GI|RN1000|G#5|GNSolo|EN3001|ES1|", MIXML, &none),
        ["CHECKIN 1000 \"Solo\" DID 3001  [G#5]"]
    );
    let rooms = BTreeMap::from([("1000", held("5", &[]))]);
    assert_eq!(
        lines("GC|RN2000|RO1000|G#5|EN3001|ES3|", MIXML, &rooms),
        ["MOVE 1000 2000"]
    );
    assert_eq!(
        lines("RE|RN2000|EN3001|ES0|", MIXML, &none),
        ["DID 2000 NONE"]
    );
    assert_eq!(
        lines(
            "GI|RN1000|G#5|GNSolo|EN3001|ES1|",
            Interface::MitelPms,
            &none
        ),
        ["CHECKIN 1000 \"Solo\"  [G#5]"]
    );
}

#[test]
fn room_equipment_follows_what_the_wire_can_do() {
    let none = BTreeMap::new();
    assert_eq!(
        lines("RE|RN1000|CS0|DNY|MLY|", Interface::MitelPms, &none),
        ["COS 1000 BLOCK", "DND 1000 ON", "MW 1000 ON"]
    );
    assert_eq!(
        lines("RE|RN1000|CS0|DNY|", MIXML, &none),
        ["COS 1000 BLOCK"]
    );
    assert_eq!(
        lines("RE|RN1000|MLN|", MIXML, &none),
        ["ignored: RE for room 1000: nothing this PBX's interface (mixml) takes"]
    );
}

/// A field id, mostly ones the mapping reads.
fn field_id() -> impl proptest::strategy::Strategy<Value = String> {
    use proptest::prelude::*;
    prop_oneof![
        prop::sample::select(vec![
            "RN", "RO", "G#", "GN", "GF", "GT", "CS", "EN", "ES", "DN", "ML", "GS", "SF", "DA",
            "TI", "XX",
        ])
        .prop_map(str::to_owned),
        "[A-Z0-9#]{2}",
    ]
}

/// A field value: digits, names, and what must never become a command.
fn value() -> impl proptest::strategy::Strategy<Value = String> {
    use proptest::prelude::*;
    prop_oneof![
        "[0-9]{1,5}",
        "[0-9]{1,4};[0-9]{1,4}",
        "[A-Za-z ,.]{0,12}",
        prop::sample::select(vec![
            ";",
            "#",
            "\"",
            "\\",
            "\n",
            "\r",
            "\u{0}",
            "\u{1b}",
            "\u{202e}",
            "Y",
            "N",
            "0",
            "1",
            "3",
            "2\"; CHECKOUT 1004 #",
            "1000;CHECKOUT 1001",
            "1000\nCHECKOUT 1001",
        ])
        .prop_map(str::to_owned),
        "[0-9]{190,210}",
        any::<String>(),
    ]
}

fn view() -> impl proptest::strategy::Strategy<Value = RoomView> {
    use proptest::prelude::*;
    (
        any::<bool>(),
        prop::option::of("[0-9]{1,3}"),
        prop::collection::vec(("[0-9]{1,3}", any::<bool>()), 0..3),
    )
        .prop_map(|(occupied, holder, sharers)| RoomView {
            occupied,
            holder,
            sharers: sharers
                .into_iter()
                .map(|(reservation, named)| Sharer {
                    reservation,
                    name: named.then(|| GuestName::whole("Sharer").unwrap()),
                })
                .collect(),
        })
}

proptest::proptest! {
    #![proptest_config(proptest::test_runner::Config { cases: 2000, ..proptest::test_runner::Config::default() })]
    /// Whatever a record holds, on any wire and whatever hotelcare knows of its rooms: it
    /// is refused, ignored, or its commands touch only the rooms its `RN` and `RO` name —
    /// a few commands at most, each one line of the language.
    #[test]
    fn a_record_never_makes_a_command_it_did_not_name(
        kind in proptest::sample::select(vec!["GI", "GO", "GC", "RE", "XX"]),
        fields in proptest::collection::vec((field_id(), value()), 0..10),
        views in proptest::collection::vec(view(), 2),
        interface in proptest::sample::select(vec![Interface::Mixml, Interface::MitelPms]),
    ) {
        let mut text = format!("{kind}|");
        for (id, value) in &fields {
            text.push_str(id);
            text.push_str(value);
            text.push('|');
        }
        let record = Record::parse(text.as_bytes(), Codepage::default()).unwrap();
        let config = config();
        let capabilities = move |_: &Extension| interface.capabilities();
        let named: Vec<&str> = ["RN", "RO"].iter().filter_map(|id| record.get(id)).collect();
        let view = |room: &Extension| {
            if Some(room.as_str()) == record.get("RN") { views[0].clone() } else { views[1].clone() }
        };
        if crate::inputs::fias::refusal::screen(&record, Codepage::default()).is_err() {
            return Ok(());
        }
        let Ok(Mapped::Effect(effect)) = map(&record, &Context { config: &config, capabilities: &capabilities, view: &view }) else {
            return Ok(());
        };
        proptest::prop_assert!(effect.batch.commands.len() <= 5, "{:?}", effect.batch.commands);
        for (request, _) in &effect.batch.commands {
            for room in request.rooms() {
                proptest::prop_assert!(named.contains(&room.as_str()), "{} from {}", room, text);
            }
            let written = request.write(0);
            let parsed = crate::lang::syntax::parse_line(&written.text, 0).unwrap();
            proptest::prop_assert_eq!(parsed.len(), 1);
        }
        for (room, _) in &effect.rooms {
            proptest::prop_assert!(named.contains(&room.as_str()));
        }
    }
}

/// Each field that names a room or a number is refused unless it is one: nothing of it can
/// become a second command.
#[test]
fn fields_that_would_be_commands_are_refused() {
    let rooms = BTreeMap::from([("1000", held("1", &[]))]);
    for line in [
        "GO|RN1000;CHECKOUT 1001|G#1000|",
        "GC|RN2000|RO1000;CHECKOUT 1001|G#1|",
        "GI|RN1000|G#1|GNX|EN3001;CHECKOUT|ES1|",
        "GI|RN1000|G#1\"|GNX|",
    ] {
        let result = lines(line, MIXML, &rooms);
        assert!(
            result[0].starts_with("refused: field "),
            "{line}: {result:?}"
        );
    }
    // A name is data: quoted, it stays one name.
    assert_eq!(
        lines(
            "GI|RN1004|G#9|GNX\"; CHECKOUT 1004 #|",
            MIXML,
            &BTreeMap::new()
        ),
        [r#"CHECKIN 1004 "X\"; CHECKOUT 1004 #"  [G#9]"#]
    );
}
