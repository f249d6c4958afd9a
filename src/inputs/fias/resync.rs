//! Resync: the PMS sends the whole house between `DS` and `DE` (each record with the swap flag
//! `SF`). hotelcare compares it with the expected room state and finds the commands that fix
//! the differences: a check-in for a room the PMS has occupied and hotelcare vacant, a check-in
//! in place of another guest, a class of service, and a check-out for a room the PMS has vacant.
//! The check-outs are kept apart: a PMS restarted with a wrong or empty house would otherwise
//! check out every guest, so the link holds them above `[fias] resync_checkout_limit`.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::config::{Config, FiasConfig};
use crate::diagnostics::Span;
use crate::engine::RoomState;
use crate::inputs::fias::fields;
use crate::inputs::fias::record::Record;
use crate::inputs::fias::refusal::screen;
use crate::inputs::fias::view::{RoomView, Sharer};
use crate::lang::syntax::{Extension, GuestName, LevelName, Request};
use crate::lang::validate::Guest;

/// What a comparison found.
#[derive(Debug, Default, PartialEq, Eq)]
pub(crate) struct Found {
    /// The commands that fix every difference but the check-outs, with the reservation each
    /// check-in carries.
    pub(crate) fixes: Vec<(Request, Option<String>)>,
    /// Rooms the PMS has vacant and hotelcare occupied.
    pub(crate) checkouts: Vec<Extension>,
    /// Each difference, in words, for the monitor.
    pub(crate) differences: Vec<String>,
    /// The occupied rooms as the PMS has them (the phone's reservation first, then the
    /// sharers).
    pub(crate) house: Vec<(Extension, RoomView)>,
    /// Records of the house that could not be read, with why (their rooms are left alone).
    pub(crate) refused: Vec<String>,
    /// Warnings (a class of service not mapped).
    pub(crate) warnings: Vec<String>,
}

/// What a resync did, as `hotelcare fias resync` and `fias status` show it.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct ResyncReport {
    /// When it ended (seconds since the Unix epoch).
    pub(crate) at: u64,
    /// Occupied rooms in the PMS's house.
    pub(crate) occupied: usize,
    pub(crate) differences: Vec<String>,
    /// Commands journaled to fix them.
    pub(crate) journaled: usize,
    /// Rooms whose check-out is held (more than the limit would have been checked out).
    pub(crate) held: Vec<String>,
    /// The limit that held them.
    pub(crate) limit: Option<usize>,
    /// Only compared; nothing was journaled.
    pub(crate) dry_run: bool,
    /// Why the fixes were not journaled, if they were not.
    pub(crate) error: Option<String>,
}

/// Compares `house` (the records between `DS` and `DE`) with `rooms`.
pub(crate) fn compare(
    house: &[Record],
    rooms: &[(String, RoomState)],
    config: &Config,
    fias: &FiasConfig,
) -> Found {
    let mut found = Found::default();
    // Room -> (the phone's record, the sharers).
    let mut occupied: BTreeMap<Extension, (&Record, Vec<Sharer>)> = BTreeMap::new();
    // Rooms named by a record that could not be read: neither checked in nor out.
    let mut unreadable: Vec<String> = Vec::new();
    for record in house.iter().filter(|r| r.kind == "GI") {
        let read = screen(record, fias.codepage).and_then(|()| {
            Ok((
                fields::room(record)?,
                fields::reservation(record)?,
                fields::guest_name(record, fias)?,
            ))
        });
        match read {
            Ok((Some(room), reservation, name)) => match occupied.get_mut(&room) {
                // The first reservation of a room holds its phone; later ones share it.
                Some((_, sharers)) => sharers.push(Sharer {
                    reservation: reservation.unwrap_or_default(),
                    name,
                }),
                None => {
                    occupied.insert(room, (record, Vec::new()));
                }
            },
            Ok((None, ..)) => {}
            Err(refusal) => {
                if let Some(room) = record.get("RN") {
                    unreadable.push(room.to_owned());
                }
                found.refused.push(format!("{}: {refusal}", record.shown()));
            }
        }
    }
    let known: BTreeMap<&str, &RoomState> = rooms.iter().map(|(r, s)| (r.as_str(), s)).collect();
    for (room, (record, sharers)) in &occupied {
        let reservation = fields::reservation(record).ok().flatten();
        found.house.push((
            room.clone(),
            RoomView {
                occupied: true,
                holder: reservation.clone(),
                sharers: sharers.clone(),
            },
        ));
        let name = fields::guest_name(record, fias).ok().flatten();
        let level = match fields::level(record, fias) {
            None => None,
            Some(Ok(level)) => Some(level),
            Some(Err(cs)) => {
                found.warnings.push(format!(
                    "room {room}: class of service CS{cs} is not in `[fias.class_of_service]`; `{}` is used",
                    fias.default_level
                ));
                fields::default_level(fias)
            }
        };
        let state = known
            .get(room.as_str())
            .copied()
            .cloned()
            .unwrap_or_default();
        let shown = reservation.as_deref().unwrap_or("");
        // Without a name (`GN`) a room cannot be checked in: the difference is reported.
        let unnamed = if name.is_none() {
            "; its record has no name (GN), so it is not checked in"
        } else {
            ""
        };
        if !state.occupied {
            found.differences.push(format!(
                "room {room}: the PMS has G#{shown} in it, hotelcare had it vacant{unnamed}"
            ));
            if let Some(name) = name {
                found
                    .fixes
                    .push((check_in(room, name, level, false), reservation.clone()));
            }
        } else if !same_guest(&state, reservation.as_deref(), name.as_ref()) {
            found.differences.push(format!(
                "room {room}: the PMS has G#{shown} in it, hotelcare another guest{unnamed}"
            ));
            if let Some(name) = name {
                found
                    .fixes
                    .push((check_in(room, name, level, true), reservation.clone()));
            }
        } else if let Some(level) = level
            && level_cor(config, room, &level) != state.cor
        {
            found.differences.push(format!(
                "room {room}: the PMS has class of service {}",
                level.as_str()
            ));
            found.fixes.push((
                Request::Cos {
                    room: room.clone(),
                    level,
                },
                None,
            ));
        }
    }
    for (room, state) in rooms {
        let Ok(extension) = Extension::new(room) else {
            continue;
        };
        if state.occupied
            && !occupied.contains_key(&extension)
            && !unreadable.iter().any(|r| r == room)
        {
            found.differences.push(format!(
                "room {room}: the PMS has it vacant, hotelcare had a guest in it"
            ));
            found.checkouts.push(extension);
        }
    }
    found
}

fn check_in(
    room: &Extension,
    guest: GuestName,
    level: Option<LevelName>,
    replace: bool,
) -> Request {
    Request::CheckIn {
        room: room.clone(),
        guest,
        did: None,
        level,
        replace,
    }
}

/// Whether the room's guest is the PMS's: by reservation where the room state has one, else by
/// the name the phone shows.
fn same_guest(state: &RoomState, reservation: Option<&str>, name: Option<&GuestName>) -> bool {
    match state.flags.reservation.as_ref().filter(|r| !r.is_empty()) {
        Some(holder) => Some(holder.as_str()) == reservation,
        None => state.guest.as_ref().zip(name).is_some_and(|(guest, name)| {
            Guest::from_text(name.as_str(), Span::new(0, 0))
                .is_ok_and(|(pms, _)| pms.directory_name == guest.directory_name)
        }),
    }
}

/// The COR of `level` on the PBX of `room` (none for a room no PBX owns).
fn level_cor(config: &Config, room: &Extension, level: &LevelName) -> Option<u8> {
    config
        .pbx_of(room.as_str())
        .and_then(|index| config.pbxs.get(index))?
        .levels
        .get(level.as_str())
        .map(|c| c.get())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Codepage;

    fn record(line: &str) -> Record {
        Record::parse(line.as_bytes(), Codepage::default()).unwrap()
    }

    #[test]
    fn only_the_differences_are_fixed_and_check_outs_are_kept_apart() {
        let config = Config::builtin();
        let fias = FiasConfig {
            server: "127.0.0.1:1".into(),
            codepage: Codepage::default(),
            class_of_service: [("0".to_owned(), "BLOCK".to_owned())].into(),
            default_level: "BLOCK".into(),
            title: false,
            resync_checkout_limit: None,
            wakeup_answer_ok: false,
        };
        let occupied = |name: &str| RoomState {
            occupied: true,
            guest: Some(Guest {
                last: name.into(),
                first: String::new(),
                directory_name: name.into(),
            }),
            cor: Some(1),
            ..RoomState::default()
        };
        let mut held = occupied("Held");
        held.flags.reservation = Some("6".into());
        let rooms = vec![
            ("1".to_owned(), occupied("Same")),
            ("2".to_owned(), occupied("Other")),
            ("3".to_owned(), RoomState::default()),
            ("4".to_owned(), occupied("Gone")),
            ("5".to_owned(), occupied("Blocked")),
            ("6".to_owned(), held),
            ("7".to_owned(), occupied("Unreadable")),
        ];
        let house = [
            record("DS|"),
            record("GI|RN1|G#1|GNSame|SF|"),
            record("GI|RN2|G#2|GNNew|SF|"),
            record("GI|RN3|G#3|GNArrived|SF|"),
            record("GI|RN3|G#33|GNSharer|SF|"),
            record("GI|RN5|G#5|GNBlocked|CS0|SF|"),
            record("GI|RN6|G#6|GNRenamed|SF|"),
            record("GI|RN7|G#7\u{1}|GNX|SF|"),
        ];
        let found = compare(&house, &rooms, &config, &fias);
        let lines: Vec<String> = found.fixes.iter().map(|(r, _)| r.write(0).text).collect();
        assert_eq!(
            lines,
            [
                "CHECKIN 2 \"New\" REPLACE",
                "CHECKIN 3 \"Arrived\"",
                "COS 5 BLOCK"
            ]
        );
        assert_eq!(found.checkouts, [Extension::new("4").unwrap()]);
        assert_eq!(found.differences.len(), 4);
        assert_eq!(
            found.refused.len(),
            1,
            "room 7's record is refused, the room left alone"
        );
        let three = &found
            .house
            .iter()
            .find(|(r, _)| r.as_str() == "3")
            .unwrap()
            .1;
        assert_eq!(three.holder.as_deref(), Some("3"));
        assert_eq!(three.sharers[0].reservation, "33");
    }
}
