//! The link's view of a room: occupied or not, the reservation its phone shows (the holder), and
//! the reservations that share it (sharers). A second reservation checking into an occupied room
//! does not overwrite the phone; when the holder leaves while sharers stay, the first sharer
//! takes the phone; the last one out checks the room out (`docs/fias.md`).
//!
//! The holder is kept in the room state by the commands themselves (a check-in carries its
//! reservation; `engine::RESERVATION`); the sharers are the link's own, kept in the room state's
//! `fias sharers` flag, written in the transaction that journals the record's commands.

use crate::engine::{RESERVATION, RoomState};
use crate::lang::syntax::GuestName;

/// The room-state flag listing the sharers: `G#=Last,First` entries.
pub(crate) const SHARERS: &str = "fias sharers";
/// Between sharers (a control character: a record holding one is refused before it is read).
const SEPARATOR: char = '\u{1f}';

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
        let sharers = state
            .flags
            .get(SHARERS)
            .map(|list| parse(list))
            .unwrap_or_default();
        Self {
            occupied: state.occupied,
            holder: state
                .flags
                .get(RESERVATION)
                .filter(|r| !r.is_empty())
                .cloned(),
            sharers,
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

    /// The sharers flag's value (`None`: no sharers, the flag is removed).
    pub(crate) fn sharers_flag(&self) -> Option<String> {
        if self.sharers.is_empty() {
            return None;
        }
        let entries: Vec<String> = self
            .sharers
            .iter()
            .map(|s| {
                format!(
                    "{}={}",
                    s.reservation,
                    s.name.as_ref().map_or("", GuestName::as_str)
                )
            })
            .collect();
        Some(entries.join(&SEPARATOR.to_string()))
    }
}

fn parse(list: &str) -> Vec<Sharer> {
    list.split(SEPARATOR)
        .filter(|entry| !entry.is_empty())
        .map(|entry| {
            let (reservation, name) = entry.split_once('=').unwrap_or((entry, ""));
            Sharer {
                reservation: reservation.to_owned(),
                name: GuestName::whole(name).ok(),
            }
        })
        .collect()
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
        state.flags.insert(RESERVATION.into(), "1".into());
        state
            .flags
            .insert(SHARERS.into(), view.sharers_flag().unwrap());
        assert_eq!(RoomView::of(&state), view);
        assert_eq!(RoomView::vacant().sharers_flag(), None);
    }
}
