//! `RoomState`: what hotelcare last had confirmed about a room — occupied or vacant, the guest,
//! the class of restriction, the DID, and the last command. Kept in the journal and updated in
//! the same transaction that marks a command done; `hotelcare rooms` prints it. It is what a wire
//! that cannot read the PBX will use for `MOVE` and `SHOW`, and what a reconciliation compares the
//! PBX against.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::engine::journal::Reads;
use crate::lower::Settings;
use crate::lower::ops::{Field, ReadId};
use crate::validate::{Action, DidRequest, Guest};

/// One room as hotelcare last had it confirmed.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RoomState {
    pub occupied: bool,
    pub guest: Option<Guest>,
    /// The Class of Restriction last set (day, night 1 and night 2 alike).
    pub cor: Option<u8>,
    /// The DID the room has, as far as hotelcare set it (`None`: none, or never set).
    pub did: Option<String>,
    pub last: Option<LastCommand>,
    /// What later wires report (message waiting, do not disturb, maid status), by name.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub flags: BTreeMap<String, String>,
}

/// The command that last changed a room.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct LastCommand {
    pub seq: u64,
    /// `file:line`, `repl:N`, a spool file.
    pub origin: String,
    pub keyword: String,
    /// Seconds since the Unix epoch.
    pub at: u64,
}

fn read(reads: &Reads, id: ReadId, field: Field) -> Option<&str> {
    reads
        .get(&id)?
        .iter()
        .find(|(f, _)| *f == field)
        .map(|(_, v)| v.as_str())
}

fn non_empty(text: Option<&str>) -> Option<String> {
    text.filter(|t| !t.is_empty()).map(str::to_owned)
}

/// The rooms `action` changed and how they stand now, given how they stood (`before`) and what
/// the command read (a DID found free, the guest a move carried along).
pub fn after(
    action: &Action,
    reads: &Reads,
    settings: &Settings,
    before: &dyn Fn(&str) -> RoomState,
    last: &LastCommand,
) -> Vec<(String, RoomState)> {
    let with_last = |mut state: RoomState| {
        state.last = Some(last.clone());
        state
    };
    let transfer = settings.number_transfer.is_some();
    let vacated = |room: &str| {
        let previous = before(room);
        RoomState {
            occupied: false,
            guest: None,
            cor: Some(settings.cor.block.get()),
            did: if transfer { None } else { previous.did },
            flags: previous.flags,
            last: None,
        }
    };
    match action {
        Action::CheckIn {
            room,
            guest,
            cor,
            did,
            replace,
        } => {
            let previous = if *replace {
                vacated(room)
            } else {
                before(room)
            };
            let did = match did {
                Some(DidRequest::Number(n)) => Some(n.clone()),
                Some(DidRequest::Auto) => {
                    non_empty(read(reads, ReadId(1), Field::DidServiceNumber))
                }
                None => previous.did.clone(),
            };
            vec![(
                room.clone(),
                with_last(RoomState {
                    occupied: true,
                    guest: Some(guest.clone()),
                    cor: Some(cor.get()),
                    did,
                    flags: previous.flags,
                    last: None,
                }),
            )]
        }
        Action::CheckOut { room } => vec![(room.clone(), with_last(vacated(room)))],
        Action::Cos { room, cor } => {
            let mut state = before(room);
            state.cor = Some(cor.get());
            vec![(room.clone(), with_last(state))]
        }
        Action::Rename { room, guest } => {
            let mut state = before(room);
            state.guest = Some(guest.clone());
            vec![(room.clone(), with_last(state))]
        }
        Action::SetDid { room, did } => {
            let mut state = before(room);
            state.did.clone_from(did);
            vec![(room.clone(), with_last(state))]
        }
        Action::Move { from, to } => {
            // What moved is what the move read from the old room (see `lower`: $1 names, $2
            // profile, $3 details); what hotelcare knew of it fills any gap.
            let moving = before(from);
            let text = |id, field| read(reads, ReadId(id), field).map(str::to_owned);
            let guest = match (
                text(1, Field::LastName),
                text(1, Field::FirstName),
                text(2, Field::DirectoryName),
            ) {
                (Some(last), Some(first), Some(directory_name)) => Some(Guest {
                    last,
                    first,
                    directory_name,
                }),
                _ => moving.guest.clone(),
            };
            let cor = text(3, Field::CorDay)
                .and_then(|c| c.parse().ok())
                .or(moving.cor);
            let did = if transfer {
                non_empty(read(reads, ReadId(3), Field::DidServiceNumber))
            } else {
                before(to).did
            };
            let target = RoomState {
                occupied: true,
                guest,
                cor,
                did,
                flags: before(to).flags,
                last: None,
            };
            vec![
                (from.clone(), with_last(vacated(from))),
                (to.clone(), with_last(target)),
            ]
        }
        Action::Show { .. } | Action::Test => Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::{Config, Cor, NumberTransfer};

    fn settings(transfer: bool) -> Settings {
        let mut config = Config::builtin();
        config.number_transfer = transfer.then(|| NumberTransfer {
            range: "3000-3005".parse().unwrap(),
            signal_extension_external: true,
        });
        Settings::from_config(&config)
    }

    fn guest(name: &str) -> Guest {
        Guest {
            last: name.into(),
            first: String::new(),
            directory_name: name.into(),
        }
    }

    #[test]
    fn a_stay_from_check_in_through_move_to_check_out() {
        let settings = settings(true);
        let mut rooms: BTreeMap<String, RoomState> = BTreeMap::new();
        let apply = |rooms: &mut BTreeMap<String, RoomState>, action: Action, reads: Reads| {
            let snapshot = rooms.clone();
            let before = |room: &str| snapshot.get(room).cloned().unwrap_or_default();
            for (room, state) in after(&action, &reads, &settings, &before, &LastCommand::default())
            {
                rooms.insert(room, state);
            }
        };
        let mut found = Reads::new();
        found.insert(ReadId(1), vec![(Field::DidServiceNumber, "3002".into())]);
        apply(
            &mut rooms,
            Action::CheckIn {
                room: "1000".into(),
                guest: guest("Solo"),
                cor: Cor::new(1).unwrap(),
                did: Some(DidRequest::Auto),
                replace: false,
            },
            found,
        );
        assert!(rooms["1000"].occupied);
        assert_eq!(rooms["1000"].did.as_deref(), Some("3002"));
        let mut moved = Reads::new();
        moved.insert(
            ReadId(1),
            vec![
                (Field::LastName, "Solo".into()),
                (Field::FirstName, String::new()),
            ],
        );
        moved.insert(ReadId(2), vec![(Field::DirectoryName, "Solo".into())]);
        moved.insert(
            ReadId(3),
            vec![
                (Field::CorDay, "3".into()),
                (Field::DidServiceNumber, "3002".into()),
            ],
        );
        apply(
            &mut rooms,
            Action::Move {
                from: "1000".into(),
                to: "2000".into(),
            },
            moved,
        );
        assert!(!rooms["1000"].occupied);
        assert_eq!(rooms["1000"].did, None);
        assert_eq!(rooms["1000"].cor, Some(2), "blocked");
        assert_eq!(rooms["2000"].guest, Some(guest("Solo")));
        assert_eq!(
            (rooms["2000"].cor, rooms["2000"].did.as_deref()),
            (Some(3), Some("3002"))
        );
        apply(
            &mut rooms,
            Action::CheckIn {
                room: "2000".into(),
                guest: guest("Beta"),
                cor: Cor::new(1).unwrap(),
                did: None,
                replace: true,
            },
            Reads::new(),
        );
        assert_eq!(rooms["2000"].guest, Some(guest("Beta")));
        assert_eq!(rooms["2000"].did, None, "REPLACE took Solo's DID away");
    }
}
