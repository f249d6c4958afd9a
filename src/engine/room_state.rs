//! `RoomState`: what hotelcare last had confirmed about a room — occupied or vacant, the guest,
//! the class of restriction, the DID, and the last command. Kept in the journal and updated in
//! the same transaction that marks a command done; `hotelcare rooms` prints it. It is what a wire
//! that cannot read the PBX will use for `MOVE` and `SHOW`, and what a reconciliation compares the
//! PBX against.

use serde::{Deserialize, Serialize};

use crate::engine::room_flags::RoomFlags;
use crate::engine::wire::{Carried, Done};
#[cfg(test)]
use crate::lang::validate::CheckIn;
use crate::lang::validate::wakeup::Wakeup;
use crate::lang::validate::{Action, DidRequest, Guest};

/// One room as hotelcare last had it confirmed.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct RoomState {
    pub(crate) occupied: bool,
    pub(crate) guest: Option<Guest>,
    /// The Class of Restriction last set (day, night 1 and night 2 alike).
    pub(crate) cor: Option<u8>,
    /// The DID the room has, as far as hotelcare set it (`None`: none, or never set).
    pub(crate) did: Option<String>,
    pub(crate) last: Option<LastCommand>,
    /// Message waiting, do not disturb, maid status, the PMS's reservation and sharers.
    #[serde(default)]
    pub(crate) flags: RoomFlags,
    /// The wake-up calls booked for the guest, in time order (a stay's: a check-out clears
    /// them, a move takes them along).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub(crate) wakeups: Vec<Wakeup>,
    /// The stay the room has (the sequence number of the check-in that began it): a move
    /// carries it, a check-out ends it. Its calls and charges are in the journal's ledger.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) stay: Option<u64>,
}

/// The command that last changed a room.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct LastCommand {
    pub(crate) seq: u64,
    /// `file:line`, `repl:N`, a spool file.
    pub(crate) origin: String,
    pub(crate) keyword: String,
    /// Seconds since the Unix epoch.
    pub(crate) at: u64,
}

/// `flags` with a stay's flags ended and the reservation `reservation` (a check-in's, or the
/// one a move carries) set.
fn a_new_stay(flags: &RoomFlags, reservation: Option<&str>) -> RoomFlags {
    RoomFlags {
        reservation: reservation.map(str::to_owned),
        ..flags.stay_ended()
    }
}

/// The rooms `action` changed and how they stand now, given how they stood (`before`) and what
/// the driver reports (`done`: a DID found free, the guest a move carried along). `transfer`:
/// telephone number transfer is on; `block_cor`: what a check-out sets; `reservation`: the
/// PMS's reservation a check-in carries; `seq`: the command's number, which names the stay a
/// check-in begins. (The journal records the command as each room's `last`.)
#[allow(clippy::too_many_arguments)]
pub(crate) fn after(
    action: &Action,
    reservation: Option<&str>,
    done: &Done,
    transfer: bool,
    block_cor: u8,
    before: &dyn Fn(&str) -> RoomState,
    seq: u64,
) -> Vec<(String, RoomState)> {
    let vacated = |room: &str| {
        let previous = before(room);
        RoomState {
            occupied: false,
            guest: None,
            cor: Some(block_cor),
            did: if transfer { None } else { previous.did },
            flags: previous.flags.stay_ended(),
            wakeups: Vec::new(),
            last: None,
            stay: None,
        }
    };
    match action {
        Action::CheckIn(check_in) => {
            let room = &check_in.room;
            let previous = if check_in.replace && !done.found_vacant {
                vacated(room)
            } else {
                before(room)
            };
            let did = match &check_in.did {
                Some(DidRequest::Number(n)) => Some(n.clone()),
                Some(DidRequest::Auto) => done.did_given.clone(),
                None => previous.did.clone(),
            };
            vec![(
                room.clone(),
                RoomState {
                    occupied: true,
                    guest: Some(check_in.guest.clone()),
                    cor: Some(check_in.cor.get()),
                    did,
                    flags: a_new_stay(&previous.flags, reservation),
                    wakeups: Vec::new(),
                    last: None,
                    stay: Some(seq),
                },
            )]
        }
        Action::CheckOut { room } => vec![(room.clone(), vacated(room))],
        Action::Cos { room, cor } => {
            let mut state = before(room);
            state.cor = Some(cor.get());
            vec![(room.clone(), state)]
        }
        Action::Rename { room, guest } => {
            let mut state = before(room);
            state.guest = Some(guest.clone());
            vec![(room.clone(), state)]
        }
        Action::SetDid { room, did } => {
            let mut state = before(room);
            state.did.clone_from(did);
            vec![(room.clone(), state)]
        }
        Action::SetFlag { room, flag, on } => {
            let mut state = before(room);
            match flag {
                crate::lang::validate::Flag::MessageWaiting => {
                    state.flags.message_waiting = Some(*on);
                }
                crate::lang::validate::Flag::DoNotDisturb => {
                    state.flags.do_not_disturb = Some(*on);
                }
            }
            vec![(room.clone(), state)]
        }
        Action::Move { from, to } => {
            // What moved is what the PBX had in the old room; what hotelcare knew of it fills
            // any gap.
            let moving = before(from);
            let carried = done.moved.clone().unwrap_or_default();
            let Carried { guest, cor, did } = carried;
            let guest = guest.or(moving.guest);
            let cor = cor.or(moving.cor);
            let did = if transfer { did } else { before(to).did };
            let target = RoomState {
                occupied: true,
                guest,
                cor,
                did,
                flags: a_new_stay(&before(to).flags, moving.flags.reservation.as_deref()),
                wakeups: moving.wakeups.clone(),
                last: None,
                stay: moving.stay,
            };
            vec![(from.clone(), vacated(from)), (to.clone(), target)]
        }
        Action::Wakeup { room, change } => {
            let mut state = before(room);
            state.wakeups = change.apply(&state.wakeups);
            vec![(room.clone(), state)]
        }
        // The limit is the ledger's; the room is as it was, its last command this one.
        Action::Limit { room, .. } => vec![(room.clone(), before(room))],
        Action::Show { .. } | Action::Test => Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;
    use crate::config::Cor;
    use crate::engine::room_flags::MaidStatus;

    fn guest(name: &str) -> Guest {
        Guest {
            last: name.into(),
            first: String::new(),
            directory_name: name.into(),
        }
    }

    fn apply(rooms: &mut BTreeMap<String, RoomState>, action: &Action, done: &Done) {
        let snapshot = rooms.clone();
        let before = |room: &str| snapshot.get(room).cloned().unwrap_or_default();
        for (room, state) in after(action, None, done, true, 2, &before, 1) {
            rooms.insert(room, state);
        }
    }

    #[test]
    fn a_check_out_ends_the_stays_flags_and_keeps_the_rooms() {
        let mut rooms = BTreeMap::new();
        let state = RoomState {
            occupied: true,
            guest: Some(guest("Solo")),
            flags: RoomFlags {
                message_waiting: Some(true),
                do_not_disturb: Some(true),
                maid_status: Some(MaidStatus::Clean),
                reservation: Some("7".into()),
                ..RoomFlags::default()
            },
            ..RoomState::default()
        };
        rooms.insert("1000".to_owned(), state);
        apply(
            &mut rooms,
            &Action::CheckOut {
                room: "1000".into(),
            },
            &Done::default(),
        );
        assert_eq!(
            rooms["1000"].flags,
            RoomFlags {
                maid_status: Some(MaidStatus::Clean),
                ..RoomFlags::default()
            },
            "the PBX's maid status is the room's, not the stay's"
        );
    }

    #[test]
    fn a_stay_from_check_in_through_move_to_check_out() {
        let mut rooms = BTreeMap::new();
        let check_in = |name: &str, room: &str, did, replace| {
            Action::CheckIn(CheckIn {
                room: room.into(),
                guest: guest(name),
                cor: Cor::new(1).unwrap(),
                did,
                replace,
                limit: crate::lang::validate::Limit::Default,
            })
        };
        apply(
            &mut rooms,
            &check_in("Solo", "1000", Some(DidRequest::Auto), false),
            &Done {
                did_given: Some("3002".into()),
                ..Done::default()
            },
        );
        assert!(rooms["1000"].occupied);
        assert_eq!(rooms["1000"].did.as_deref(), Some("3002"));
        let moved = Done {
            moved: Some(Carried {
                guest: Some(guest("Solo")),
                cor: Some(3),
                did: Some("3002".into()),
            }),
            ..Done::default()
        };
        let relocation = Action::Move {
            from: "1000".into(),
            to: "2000".into(),
        };
        apply(&mut rooms, &relocation, &moved);
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
            &check_in("Beta", "2000", None, true),
            &Done::default(),
        );
        assert_eq!(rooms["2000"].guest, Some(guest("Beta")));
        assert_eq!(rooms["2000"].did, None, "REPLACE took Solo's DID away");
    }
}
