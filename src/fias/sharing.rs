//! Shared rooms: a second reservation checking into an occupied room (a sharer) does not
//! overwrite the phone. The room keeps the first guest's name; the sharer is recorded in the
//! room state (`fias sharers`); when the first guest checks out while a sharer stays, the phone
//! shows the sharer; the last check-out checks the room out. Outside FIAS, a check-in into an
//! occupied room is refused unless `REPLACE` says otherwise (`docs/fias.md`).

use crate::engine::RoomState;
use crate::fias::record::Record;

/// The room-state flag naming the reservation the phone shows.
pub(crate) const RESERVATION: &str = "fias reservation";
/// The room-state flag listing the sharers: `G#=Last,First` entries.
pub(crate) const SHARERS: &str = "fias sharers";
/// Between sharers (a control character no name has: names with one are refused).
const SEPARATOR: char = '\u{1f}';

/// What a `GI` or `GO` means for a room, given what hotelcare knows of it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Sharing {
    /// An ordinary check-in or check-out: map it.
    Map,
    /// A sharer arrives or leaves: only the room state changes (the new list of sharers).
    Sharers(String),
    /// The phone's guest leaves while sharers stay: the first sharer takes the phone.
    Promote {
        reservation: String,
        name: String,
        sharers: String,
    },
}

/// Decides for `record` (`GI` or `GO`) on a room in `state`.
pub(crate) fn decide(record: &Record, state: &RoomState) -> Sharing {
    let reservation = record.get("G#").unwrap_or("");
    let holder = state.flags.get(RESERVATION).map_or("", String::as_str);
    let mut sharers = parse(state.flags.get(SHARERS).map_or("", String::as_str));
    match record.kind.as_str() {
        "GI" if state.occupied
            && !holder.is_empty()
            && !reservation.is_empty()
            && holder != reservation =>
        {
            if !sharers.iter().any(|(r, _)| r == reservation) {
                let name = match (record.get("GN"), record.get("GF")) {
                    (Some(last), Some(first)) if !first.is_empty() => format!("{last},{first}"),
                    (Some(last), _) => last.to_owned(),
                    _ => String::new(),
                };
                sharers.push((reservation.to_owned(), name));
            }
            Sharing::Sharers(join(&sharers))
        }
        "GO" if !reservation.is_empty() && sharers.iter().any(|(r, _)| r == reservation) => {
            sharers.retain(|(r, _)| r != reservation);
            Sharing::Sharers(join(&sharers))
        }
        "GO" if !sharers.is_empty() && (reservation.is_empty() || reservation == holder) => {
            let (reservation, name) = sharers.remove(0);
            Sharing::Promote {
                reservation,
                name,
                sharers: join(&sharers),
            }
        }
        _ => Sharing::Map,
    }
}

fn parse(list: &str) -> Vec<(String, String)> {
    list.split(SEPARATOR)
        .filter(|entry| !entry.is_empty())
        .map(|entry| {
            let (reservation, name) = entry.split_once('=').unwrap_or((entry, ""));
            (reservation.to_owned(), name.to_owned())
        })
        .collect()
}

fn join(sharers: &[(String, String)]) -> String {
    sharers
        .iter()
        .map(|(reservation, name)| format!("{reservation}={name}"))
        .collect::<Vec<_>>()
        .join(&SEPARATOR.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(line: &str) -> Record {
        Record::parse(line.as_bytes(), encoding_rs::WINDOWS_1252).unwrap()
    }

    fn occupied_by(reservation: &str, sharers: &str) -> RoomState {
        let mut state = RoomState {
            occupied: true,
            ..RoomState::default()
        };
        state.flags.insert(RESERVATION.into(), reservation.into());
        if !sharers.is_empty() {
            state.flags.insert(SHARERS.into(), sharers.into());
        }
        state
    }

    #[test]
    fn a_second_guest_shares_the_first_leaves_the_last_checks_out() {
        let vacant = RoomState::default();
        assert_eq!(
            decide(&record("GI|RN1|G#1|GNAlpha|"), &vacant),
            Sharing::Map
        );
        let first = occupied_by("1", "");
        assert_eq!(
            decide(&record("GI|RN1|G#2|GNBeta|GFBob|"), &first),
            Sharing::Sharers("2=Beta,Bob".into())
        );
        let shared = occupied_by("1", "2=Beta,Bob");
        assert_eq!(
            decide(&record("GO|RN1|G#1|"), &shared),
            Sharing::Promote {
                reservation: "2".into(),
                name: "Beta,Bob".into(),
                sharers: String::new()
            }
        );
        assert_eq!(
            decide(&record("GO|RN1|G#2|"), &shared),
            Sharing::Sharers(String::new())
        );
        assert_eq!(decide(&record("GO|RN1|G#1|"), &first), Sharing::Map);
        assert_eq!(
            decide(&record("GI|RN1|G#1|GNAlpha|"), &first),
            Sharing::Map,
            "the same reservation again"
        );
    }
}
