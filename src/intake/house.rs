//! The house as the journal expects it, for checking a script against it (`validate::House`):
//! which rooms have a guest, and their wake-ups.

use std::sync::Arc;

use crate::engine::room_state::RoomState;
use crate::engine::{Journal, Status};
use crate::lang::validate::Action;
use crate::lang::validate::{House, KnownRoom};

/// `rooms` (the journal's expected room state) as the validator knows them.
pub(crate) fn of_rooms(rooms: &[(String, RoomState)]) -> House {
    House {
        rooms: rooms
            .iter()
            .map(|(room, state)| {
                (
                    room.clone(),
                    KnownRoom {
                        occupied: state.occupied,
                        wakeups: state.wakeups.clone(),
                    },
                )
            })
            .collect(),
    }
}

/// The journal's house as it will be once its pending commands have run (the room state lags
/// behind them: a wake-up right after a check-in still in the journal is for a guest); `None`
/// when the journal cannot be read (the engine checks again before anything is sent).
pub(crate) fn of_journal(journal: &Journal) -> Option<Arc<House>> {
    let mut house = of_rooms(&journal.rooms().ok()?);
    journal
        .each(|entry| {
            if entry.status == Status::Pending {
                follow(&mut house, &entry.command.action);
            }
        })
        .ok()?;
    Some(Arc::new(house))
}

/// What `action` does to the house's occupancy and wake-ups.
fn follow(house: &mut House, action: &Action) {
    let mut set = |room: &str, occupied: bool, wakeups: Vec<_>| {
        house
            .rooms
            .insert(room.to_owned(), KnownRoom { occupied, wakeups });
    };
    match action {
        Action::CheckIn(check_in) => set(&check_in.room, true, Vec::new()),
        Action::CheckOut { room } => set(room, false, Vec::new()),
        Action::Move { from, to } => {
            let moving = house
                .rooms
                .get(from)
                .map(|known| known.wakeups.clone())
                .unwrap_or_default();
            house.rooms.insert(
                from.clone(),
                KnownRoom {
                    occupied: false,
                    wakeups: Vec::new(),
                },
            );
            house.rooms.insert(
                to.clone(),
                KnownRoom {
                    occupied: true,
                    wakeups: moving,
                },
            );
        }
        Action::Wakeup { room, change } => {
            // Accepted for the room, so it had a guest (or was not known to be vacant).
            let known = house.rooms.entry(room.clone()).or_insert(KnownRoom {
                occupied: true,
                wakeups: Vec::new(),
            });
            known.wakeups = change.apply(&known.wakeups);
        }
        _ => {}
    }
}
