//! The house as the journal expects it, for checking a script against it (`validate::House`):
//! which rooms have a guest, and their wake-ups.

use std::sync::Arc;

use crate::engine::Journal;
use crate::engine::room_state::RoomState;
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

/// The journal's house; `None` when its rooms cannot be read (the engine checks again before
/// anything is sent).
pub(crate) fn of_journal(journal: &Journal) -> Option<Arc<House>> {
    journal.rooms().ok().map(|rooms| Arc::new(of_rooms(&rooms)))
}
