//! The house as the journal expects it, for checking a script against it (`validate::House`):
//! which rooms have a guest, and their wake-ups.

use std::sync::Arc;

use crate::engine::{Journal, Status};
use crate::lang::validate::Action;
use crate::lang::validate::wakeup::Wakeup;
use crate::lang::validate::{House, KnownRoom};

/// What the house needs of a room's record: reading only this (not the guest, the last command,
/// the flags) halves the cost of a start's look at a house of thousands of rooms (issue 25).
#[derive(serde::Deserialize)]
struct Occupancy {
    occupied: bool,
    #[serde(default)]
    wakeups: Vec<Wakeup>,
}

/// The journal's house as it will be once its pending commands have run (the room state lags
/// behind them: a wake-up right after a check-in still in the journal is for a guest); `None`
/// when the journal cannot be read (the engine checks again before anything is sent).
pub(crate) fn of_journal(journal: &Journal) -> Option<Arc<House>> {
    let mut house = House {
        rooms: journal
            .rooms_as::<Occupancy>()
            .ok()?
            .into_iter()
            .map(|(room, part)| {
                let known = KnownRoom {
                    occupied: part.occupied,
                    wakeups: part.wakeups,
                };
                (room, known)
            })
            .collect(),
    };
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::room_state::RoomState;

    /// The part is read from the whole record as the journal writes it, whatever else it has.
    #[test]
    fn the_occupancy_reads_from_every_kind_of_room_record() {
        let wakeup = Wakeup::parse("2026-12-05 07:30").expect("a wake-up");
        let occupied: RoomState = serde_json::from_str(
            r#"{"occupied":true,"guest":{"last":"Solo","first":"Alina","directory_name":"Solo,Alina"},"cor":1,"did":"3000","last":{"seq":4,"origin":"a.hc:1","keyword":"CHECKIN","at":1},"flags":{"message waiting":"on","fias reservation":"8","fias sharers":"2=Beta,Bob"},"stay":4}"#,
        )
        .expect("a record");
        let with_wakeup = RoomState {
            wakeups: vec![wakeup],
            ..occupied.clone()
        };
        for (state, wakeups) in [
            (RoomState::default(), Vec::new()),
            (occupied, Vec::new()),
            (with_wakeup, vec![wakeup]),
        ] {
            let bytes = serde_json::to_vec(&state).expect("encoded");
            let part: Occupancy = serde_json::from_slice(&bytes).expect("read in part");
            assert_eq!(part.occupied, state.occupied);
            assert_eq!(part.wakeups, wakeups);
        }
        // A record that is not a room's is still refused.
        assert!(serde_json::from_slice::<Occupancy>(br#"{"guest":null}"#).is_err());
    }
}
