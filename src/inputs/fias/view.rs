//! The link's view of a room: occupied or not, the reservation its phone shows (the holder), and
//! the reservations that share it (sharers). A second reservation checking into an occupied room
//! does not overwrite the phone; when the holder leaves while sharers stay, the first sharer
//! takes the phone; the last one out checks the room out (`docs/fias.md`).
//!
//! The holder is kept in the room state by the commands themselves (a check-in carries its
//! reservation; `RoomFlags::reservation`); the sharers are the link's own, kept in the room
//! state's flags (`RoomFlags::sharers`), written in the transaction that journals the record's
//! commands.

use crate::engine::{FlagChange, RoomState, Sharer as StoredSharer};
use crate::lang::syntax::GuestName;

/// A reservation sharing a room whose phone shows another.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Sharer {
    pub(crate) reservation: String,
    /// As the PMS sent it (`None`: no `GN`).
    pub(crate) name: Option<GuestName>,
}

/// See the module documentation.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct RoomView {
    pub(crate) occupied: bool,
    pub(crate) holder: Option<String>,
    pub(crate) sharers: Vec<Sharer>,
}

impl RoomView {
    /// The view the room state gives.
    pub(crate) fn of(state: &RoomState) -> Self {
        Self {
            occupied: state.occupied,
            holder: state.flags.reservation.clone().filter(|r| !r.is_empty()),
            sharers: state
                .flags
                .sharers
                .iter()
                .map(|stored| Sharer {
                    reservation: stored.reservation.clone(),
                    name: GuestName::whole(&stored.name).ok(),
                })
                .collect(),
        }
    }

    /// An occupied room whose phone shows `holder`, no sharers.
    pub(crate) fn held_by(holder: Option<String>) -> Self {
        Self {
            occupied: true,
            holder,
            sharers: Vec::new(),
        }
    }

    pub(crate) fn vacant() -> Self {
        Self::default()
    }

    /// Whether `reservation` shares the room.
    pub(crate) fn has_sharer(&self, reservation: &str) -> bool {
        self.sharers.iter().any(|s| s.reservation == reservation)
    }

    /// The sharers, as the room state keeps them.
    pub(crate) fn sharers_flag(&self) -> FlagChange {
        FlagChange::Sharers(
            self.sharers
                .iter()
                .map(|s| StoredSharer {
                    reservation: s.reservation.clone(),
                    name: s.name.as_ref().map_or("", GuestName::as_str).to_owned(),
                })
                .collect(),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_view_reads_back_what_it_writes() {
        let view = RoomView {
            occupied: true,
            holder: Some("1".into()),
            sharers: vec![
                Sharer {
                    reservation: "2".into(),
                    name: GuestName::new("Beta", "Bob").ok(),
                },
                Sharer {
                    reservation: "3".into(),
                    name: None,
                },
            ],
        };
        let mut state = RoomState {
            occupied: true,
            ..RoomState::default()
        };
        state.flags.reservation = Some("1".into());
        state.flags.apply(view.sharers_flag());
        assert_eq!(RoomView::of(&state), view);
        assert_eq!(
            RoomView::vacant().sharers_flag(),
            FlagChange::Sharers(Vec::new())
        );
    }
}
