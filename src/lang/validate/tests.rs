//! Validation unit tests: each error kind, with its line and column, through the real parser.

use std::path::Path;

use crate::config::Config;
use crate::diagnostics::DiagnosticKind;
use crate::lang::compile::{Event, compile};
use crate::lang::validate::{Action, CheckIn, DidRequest, Validator};

const CONFIG: &str = r#"
[class_of_restriction]
allow = 1
block = 2
[class_of_service]
LOCAL = 3
[number_transfer]
enabled = true
range = "3000-3005"
"#;

/// (line, column, kind) of every diagnostic, and the actions.
fn run(config: &str, script: &str) -> (Vec<(usize, usize, DiagnosticKind)>, Vec<Action>) {
    let config = Config::parse(config, Path::new("t.toml")).unwrap();
    let mut validator = Validator::new(&config);
    let (mut diagnostics, mut actions) = (Vec::new(), Vec::new());
    compile(
        "t.hc",
        script.as_bytes(),
        &mut validator,
        &mut |event| match event {
            Event::Diagnostic { diagnostic, source } => {
                let (line, column) = source.line_column(diagnostic.span.start);
                diagnostics.push((line, column, diagnostic.kind));
            }
            Event::Command(command) => actions.push(command.action),
        },
    )
    .unwrap();
    (diagnostics, actions)
}

fn errors(script: &str) -> Vec<(usize, usize, DiagnosticKind)> {
    run(CONFIG, script).0
}

#[test]
fn the_vendor_example_is_valid() {
    let (diagnostics, actions) = run(
        CONFIG,
        "CHECKIN 1000 \"Solo,Alina\" DID 3000\nCOS 1000 BLOCK\nMOVE 1000 2000\nCHECKOUT 2000\n",
    );
    assert!(diagnostics.is_empty(), "{diagnostics:?}");
    assert_eq!(actions.len(), 4);
    let Action::CheckIn(CheckIn {
        cor, did, guest, ..
    }) = &actions[0]
    else {
        panic!()
    };
    assert_eq!(cor.get(), 1);
    assert_eq!(did, &Some(DidRequest::Number("3000".into())));
    assert_eq!(guest.directory_name, "Solo,Alina");
    assert!(matches!(&actions[1], Action::Cos { cor, .. } if cor.get() == 2));
}

#[test]
fn levels_are_case_insensitive_and_configured() {
    let (diagnostics, actions) = run(CONFIG, "COS 1000 local\nCHECKIN 1000 \"x\" COS allow");
    assert!(diagnostics.is_empty());
    assert!(matches!(&actions[0], Action::Cos { cor, .. } if cor.get() == 3));
    assert!(matches!(&actions[1], Action::CheckIn(CheckIn { cor, .. }) if cor.get() == 1));
}

#[test]
fn unknown_level() {
    let found = errors("CHECKOUT 1000\nCOS 1000 GOLD");
    assert_eq!(found.len(), 1);
    assert_eq!((found[0].0, found[0].1), (2, 10));
    assert!(
        matches!(&found[0].2, DiagnosticKind::UnknownLevel { level, known } if level == "GOLD" && known.len() == 3)
    );
}

#[test]
fn did_outside_the_range() {
    let found = errors("CHECKIN 1000 \"x\" DID 3006");
    assert_eq!((found[0].0, found[0].1), (1, 18));
    assert!(matches!(&found[0].2, DiagnosticKind::DidOutOfRange { did, .. } if did == "3006"));
}

#[test]
fn did_without_number_transfer() {
    let (found, _) = run(
        "",
        "DID 1000 3000\nDID 1000 NONE\nCHECKIN 1000 \"x\" DID AUTO",
    );
    assert_eq!(found.len(), 3);
    assert!(
        found
            .iter()
            .all(|f| f.2 == DiagnosticKind::NumberTransferDisabled)
    );
    assert_eq!((found[0].0, found[0].1), (1, 10));
}

#[test]
fn did_given_to_two_rooms_at_once() {
    let found = errors("CHECKIN 1000 \"a\" DID 3000\nCHECKIN 2000 \"b\" DID 3000");
    assert_eq!(found.len(), 1);
    assert_eq!((found[0].0, found[0].1), (2, 18));
    assert!(
        matches!(&found[0].2, DiagnosticKind::DidAlreadyGiven { room, at, .. } if room == "1000" && at == "t.hc:1")
    );
}

#[test]
fn did_is_free_again_after_checkout_or_none() {
    assert!(
        errors("CHECKIN 1000 \"a\" DID 3000\nCHECKOUT 1000\nCHECKIN 2000 \"b\" DID 3000")
            .is_empty()
    );
    assert!(errors("DID 1000 3000\nDID 1000 NONE\nDID 2000 3000").is_empty());
    assert!(errors("DID 1000 3000\nDID 1000 3001\nDID 2000 3000").is_empty());
}

#[test]
fn did_follows_the_guest_on_move() {
    let found = errors("CHECKIN 1000 \"a\" DID 3000\nMOVE 1000 2000\nCHECKIN 1000 \"b\" DID 3000");
    assert_eq!(found.len(), 1);
    assert!(matches!(&found[0].2, DiagnosticKind::DidAlreadyGiven { room, .. } if room == "2000"));
    // The room moved into loses its own DID.
    assert!(errors("DID 2000 3001\nMOVE 1000 2000\nDID 3000 3001").is_empty());
}

#[test]
fn same_room_again_keeps_its_did() {
    assert!(
        errors(
            "CHECKIN 1000 \"a\" DID 3000\nRENAME 1000 \"b\"\nCHECKIN 1000 \"c\" DID 3000 REPLACE"
        )
        .is_empty()
    );
}

#[test]
fn move_to_the_same_room() {
    let found = errors("MOVE 1000 1000");
    assert_eq!(
        found,
        vec![(
            1,
            11,
            DiagnosticKind::MoveToSameRoom {
                room: "1000".into()
            }
        )]
    );
}

#[test]
fn empty_name_and_control_characters() {
    let found = errors("CHECKIN 1000 \"\"\nRENAME 1000 \" , x\"\nRENAME 1000 \"a\u{7}b\"");
    let kinds: Vec<_> = found.iter().map(|f| (f.0, f.1, &f.2)).collect();
    assert_eq!(kinds[0], (1, 14, &DiagnosticKind::EmptyName));
    assert_eq!(kinds[1], (2, 13, &DiagnosticKind::EmptyName));
    assert_eq!(
        kinds[2],
        (
            3,
            13,
            &DiagnosticKind::ControlCharacterInName { character: '\u{7}' }
        )
    );
}

#[test]
fn duplicate_checkin_options() {
    let found = errors("CHECKIN 1000 \"x\" DID 3000 COS LOCAL DID 3001");
    assert_eq!(
        found,
        vec![(1, 37, DiagnosticKind::DuplicateOption { option: "DID" })]
    );
}

#[test]
fn extension_longer_than_seven_digits() {
    let found = errors("CHECKOUT 12345678");
    assert_eq!(
        found,
        vec![(
            1,
            10,
            DiagnosticKind::ExtensionTooLong {
                ext: "12345678".into()
            }
        )]
    );
}

#[test]
fn every_error_of_a_line_and_of_the_script_is_reported() {
    let found = errors("CHECKIN 123456789 \"\" DID 9999 COS GOLD\nBAD\nMOVE 1 1");
    let lines: Vec<_> = found.iter().map(|f| f.0).collect();
    assert_eq!(lines, [1, 1, 1, 1, 2, 3]);
}

#[test]
fn truncation_is_a_warning_and_the_command_is_kept() {
    let (found, actions) = run(CONFIG, "CHECKIN 1000 \"Mustermann,Maximilian\"");
    assert_eq!(found.len(), 1);
    assert!(matches!(found[0].2, DiagnosticKind::NameTruncated { .. }));
    assert_eq!(actions.len(), 1);
}

#[test]
fn what_the_mitel_pms_wire_cannot_do_is_refused_naming_the_pbx_and_its_interface() {
    let config = Config::parse(
        "[pbx]\ninterface = \"mitel-pms\"\nserver = \"127.0.0.1:6830\"\n\n[number_transfer]\nenabled = true\nrange = \"3000-3005\"\n",
        Path::new("t.toml"),
    )
    .unwrap();
    let mut validator = Validator::new(&config);
    let mut found = Vec::new();
    compile(
        "t.hc",
        "CHECKIN 1000 \"x\" DID 3000\nDID 1000 NONE\nCHECKIN 1000 \"y\" REPLACE\nRENAME 1000 \"z\"\nCHECKOUT 123456\n"
            .as_bytes(),
        &mut validator,
        &mut |event| {
            if let Event::Diagnostic { diagnostic, source } = event {
                let (line, column) = source.line_column(diagnostic.span.start);
                found.push((line, column, diagnostic.kind.to_string()));
            }
        },
    )
    .unwrap();
    assert_eq!(
        found,
        [
            (
                1,
                18,
                "DID needs the MiXML interface; PBX \"main\" uses mitel-pms".to_owned()
            ),
            (
                2,
                10,
                "DID needs the MiXML interface; PBX \"main\" uses mitel-pms".to_owned()
            ),
            (
                4,
                1,
                "RENAME needs the MiXML interface, or `[mitel_pms] nam_replace` on mitel-pms; PBX \"main\" uses mitel-pms".to_owned()
            ),
            (
                5,
                10,
                "directory number `123456` is wider than the Mitel PMS extension field (5 characters)"
                    .to_owned()
            ),
        ]
    );
}

#[test]
fn a_second_check_in_into_a_room_the_script_filled_is_an_error_unless_it_replaces() {
    let found = errors(
        "CHECKIN 1000 \"a\"\nCHECKIN 1000 \"b\"\nCHECKOUT 1000\nCHECKIN 1000 \"c\"\nMOVE 1000 2000\nCHECKIN 1000 \"d\"\nCHECKIN 2000 \"e\" REPLACE\nCHECKIN 2000 \"f\"",
    );
    let kinds: Vec<(usize, usize, String)> = found
        .iter()
        .map(|(line, column, kind)| (*line, *column, kind.to_string()))
        .collect();
    assert_eq!(
        kinds,
        [
            (
                2,
                9,
                "room 1000 already has a guest checked in by this script (at t.hc:1) and not checked out".to_owned()
            ),
            (
                8,
                9,
                "room 2000 already has a guest checked in by this script (at t.hc:7) and not checked out".to_owned()
            ),
        ]
    );
}

#[test]
fn on_the_mitel_pms_wire_names_are_checked_as_the_nam_record_carries_them() {
    let config = Config::parse(
        "[pbx]\ninterface = \"mitel-pms\"\nserver = \"127.0.0.1:6830\"\n",
        Path::new("t.toml"),
    )
    .unwrap();
    let mut validator = Validator::new(&config);
    let mut found = Vec::new();
    let mut names = Vec::new();
    compile(
        "t.hc",
        "CHECKIN 1000 \"M\u{fc}ller,J\u{fc}rgen Karl-Heinz\"\nCHECKIN 2000 \"\u{3a0}\u{3b1}\u{3c0}\u{3b1}\"\n"
            .as_bytes(),
        &mut validator,
        &mut |event| match event {
            Event::Diagnostic { diagnostic, .. } => found.push(diagnostic.kind.to_string()),
            Event::Command(command) => {
                if let crate::lang::validate::Action::CheckIn(check_in) = command.action {
                    names.push(check_in.guest.directory_name);
                }
            }
        },
    )
    .unwrap();
    assert_eq!(names, ["Mueller,Juergen Karl-", "????"]);
    assert_eq!(
        found,
        [
            "the name is longer than the PBX field PMS name (21 characters) and is cut to \"Mueller,Juergen Karl-\"",
            "the name has characters the Mitel PMS interface cannot carry; it is sent as \"????\"",
        ]
    );
}

#[test]
fn each_command_is_checked_against_the_pbx_that_owns_its_room() {
    let config = crate::config::tests::THREE_PBXS;
    let (diagnostics, actions) = run(
        config,
        "CHECKIN 1000 \"Solo\" COS LOCAL\nCHECKIN 3000 \"Solo\" DID 7001\nCHECKIN 3001 \"Solo\"\nMW 5000 ON\n",
    );
    assert_eq!(diagnostics, [], "{diagnostics:?}");
    let cors: Vec<u8> = actions
        .iter()
        .filter_map(|a| match a {
            Action::CheckIn(CheckIn { cor, .. }) => Some(cor.get()),
            _ => None,
        })
        .collect();
    assert_eq!(
        cors,
        [3, 11, 11],
        "LOCAL on east; each PBX's own COR for ALLOW"
    );
    let (diagnostics, _) = run(
        config,
        "CHECKIN 2051 \"Solo\"\nCHECKIN 1000 \"Solo\" DID 7001\nMW 1000 ON\nMOVE 3000 5000\nDID 3001 7002\nMOVE 3001 1001\nMW 5000 ON\nMW 2051 ON\n",
    );
    let kinds: Vec<(usize, usize, String)> = diagnostics
        .iter()
        .map(|(l, c, k)| (*l, *c, k.to_string()))
        .collect();
    assert_eq!(kinds.len(), 5, "{kinds:#?}");
    assert_eq!(
        (kinds[4].0, kinds[4].2.as_str()),
        (8, "room 2051 belongs to no configured PBX"),
        "and nothing about a PBX it is not on"
    );
    assert_eq!((kinds[0].0, kinds[0].1), (1, 9));
    assert_eq!(kinds[0].2, "room 2051 belongs to no configured PBX");
    assert_eq!(
        kinds[1].2,
        "a DID is given but telephone number transfer is off"
    );
    assert!(
        kinds[2].2.contains("PBX \"east\" uses mixml"),
        "{}",
        kinds[2].2
    );
    assert_eq!((kinds[3].0, kinds[3].1), (6, 11));
    assert_eq!(
        kinds[3].2,
        "the guest's DID 7002 moves with them, but room 1001 is on PBX `east`, which has no number transfer"
    );
}

/// What the script does to a room is what a wake-up is checked against: a guest checked in,
/// checked out or moved; three at most, a move taking them along.
#[test]
fn wakeups_follow_the_scripts_own_guests() {
    let day = (chrono::Local::now().date_naive() + chrono::Days::new(1)).format("%Y-%m-%d");
    let script = format!(
        "CHECKIN 1000 \"A,B\"\nWAKEUP 1000 06:00 {day}\nWAKEUP 1000 06:30 {day}\nMOVE 1000 2000\nWAKEUP 1000 07:00 {day}\nWAKEUP 2000 07:00 {day}\nWAKEUP 2000 07:30 {day}\nWAKEUP 2000 CLEAR 06:00\nWAKEUP 2000 07:30 {day}\nCHECKOUT 2000\nWAKEUP 2000 08:00 {day}\n"
    );
    let found: Vec<(usize, usize, &str)> = errors(&script)
        .iter()
        .map(|(line, column, kind)| {
            (
                *line,
                *column,
                match kind {
                    DiagnosticKind::WakeupRoomVacant { .. } => "vacant",
                    DiagnosticKind::TooManyWakeups { .. } => "fourth",
                    _ => "other",
                },
            )
        })
        .collect();
    // 1000 is vacant after the move; 2000 holds the two that came along plus 07:00, so a
    // fourth is refused until one is cleared; after the check-out 2000 is vacant.
    assert_eq!(
        found,
        [(5, 8, "vacant"), (7, 13, "fourth"), (11, 8, "vacant")]
    );
}

#[test]
fn a_limit_is_an_amount_in_the_hotels_currency_for_a_stay() {
    use crate::lang::validate::Limit;
    let (diagnostics, actions) = run(
        CONFIG,
        "CHECKIN 1000 \"Solo,Alina\" LIMIT 50\nLIMIT 1000 12.5\nLIMIT 1000 NONE\n",
    );
    assert!(diagnostics.is_empty(), "{diagnostics:?}");
    let money = crate::config::Money;
    let limits: Vec<_> = actions
        .iter()
        .map(|action| match action {
            Action::CheckIn(check_in) => check_in.limit,
            Action::Limit { limit, .. } => *limit,
            other => panic!("{other:?}"),
        })
        .collect();
    assert_eq!(
        limits,
        [
            Limit::Amount(money(5000)),
            Limit::Amount(money(1250)),
            Limit::None
        ]
    );
    let found = errors("CHECKIN 1000 \"x\" LIMIT 1.005 LIMIT 2\nCHECKOUT 1000\nLIMIT 1000 5\n");
    let kinds: Vec<_> = found
        .iter()
        .map(|(line, column, kind)| {
            let what = match kind {
                DiagnosticKind::NotAnAmount { .. } => "amount",
                DiagnosticKind::DuplicateOption { .. } => "twice",
                DiagnosticKind::LimitRoomVacant { .. } => "vacant",
                other => panic!("{other:?}"),
            };
            (*line, *column, what)
        })
        .collect();
    assert_eq!(
        kinds,
        [(1, 18, "amount"), (1, 30, "twice"), (3, 7, "vacant")]
    );
}
