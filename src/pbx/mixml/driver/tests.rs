use super::*;
use crate::config::Config;
use crate::lang::validate::{Action, CheckIn, DidRequest, Guest};
use crate::pbx::mixml::lower::Settings;

fn kept(action: &Action) -> Vec<bool> {
    let mut config = Config::builtin();
    config.pbxs[0].number_transfer = Some(crate::config::NumberTransfer {
        range: "3000-3005".parse().unwrap(),
        signal_extension_external: true,
    });
    let ops = lower(action, &Settings::of(config.first_pbx()));
    (0..ops.len()).map(|i| must_keep(&ops, i)).collect()
}

#[test]
fn only_reads_the_command_overwrites_are_journaled() {
    let checkout = kept(&Action::CheckOut { room: "1".into() });
    assert!(
        checkout.iter().all(|k| !k),
        "the Service Label is not written by a check-out"
    );
    let relocation = kept(&Action::Move {
        from: "1".into(),
        to: "2".into(),
    });
    assert_eq!(
        &relocation[..4],
        [true, true, true, true],
        "the target's read too: the move writes the target's Directory Name"
    );
    let auto = kept(&Action::CheckIn(CheckIn {
        room: "1".into(),
        guest: Guest {
            last: "x".into(),
            first: String::new(),
            directory_name: "x".into(),
        },
        cor: crate::config::Cor::new(1).unwrap(),
        did: Some(DidRequest::Auto),
        replace: false,
        limit: crate::lang::validate::Limit::Default,
    }));
    assert!(auto[0], "a DID found free is journaled before it is given");
    assert!(kept(&Action::Show { room: "1".into() }).iter().all(|k| !k));
}

fn profile(name: &str, label: &str) -> Vec<(Field, String)> {
    vec![
        (Field::DirectoryName, name.into()),
        (Field::ServiceLabel, label.into()),
    ]
}

#[test]
fn a_move_needs_a_guest_and_a_vacant_target() {
    let mut reads = Reads::new();
    reads.insert(ReadId(2), profile("Solo,Alina", "Room 1000"));
    reads.insert(ReadId(4), profile("Room 2000", "Room 2000"));
    let occupied = Expectation::Occupied {
        room: "1000",
        profile: ReadId(2),
    };
    let vacant = Expectation::Vacant {
        room: "2000",
        profile: ReadId(4),
    };
    assert_eq!(check(&occupied, &reads), Ok(()));
    assert_eq!(check(&vacant, &reads), Ok(()));
    reads.insert(ReadId(4), profile("Beta,Bob", "Room 2000"));
    assert!(
        check(&vacant, &reads)
            .unwrap_err()
            .to_string()
            .contains("occupied by \"Beta,Bob\"")
    );
    // Another guest whose Directory Name is the mover's (names cut to 20 characters) is
    // still another guest: the target is occupied.
    reads.insert(ReadId(4), profile("Solo,Alina", "Room 2000"));
    assert!(check(&vacant, &reads).is_err());
    reads.insert(ReadId(2), profile("Room 1000", "Room 1000"));
    assert!(
        check(&occupied, &reads)
            .unwrap_err()
            .to_string()
            .contains("has no guest")
    );
}
