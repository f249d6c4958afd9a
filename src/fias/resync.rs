//! Resync: the PMS sends the whole house between `DS` and `DE` (each record with the swap flag
//! `SF`). hotelcare compares it with the expected room state and journals only the commands
//! that fix the differences: a check-in for a room the PMS says is occupied and hotelcare has
//! vacant, a check-in in place of another guest, a class of service, a check-out for a room the
//! PMS has vacant.

use std::collections::BTreeMap;

use crate::config::{Config, FiasConfig};
use crate::engine::RoomState;
use crate::fias::mapping::quoted_name;
use crate::fias::record::Record;
use crate::fias::sharing::RESERVATION;

/// What a resync found.
#[derive(Debug, Default, PartialEq, Eq)]
pub(crate) struct Fixes {
    /// The script that makes the PBX match the PMS (empty: nothing to do).
    pub(crate) lines: Vec<String>,
    /// Each difference, in words, for the monitor.
    pub(crate) differences: Vec<String>,
    /// The reservation each room checked in by the fix belongs to.
    pub(crate) reservations: Vec<(String, String)>,
}

/// Compares `house` (the records between `DS` and `DE`) with `rooms`.
pub(crate) fn fixes(
    house: &[Record],
    rooms: &[(String, RoomState)],
    config: &Config,
    fias: &FiasConfig,
) -> Fixes {
    let mut occupied: BTreeMap<&str, &Record> = BTreeMap::new();
    for record in house.iter().filter(|r| r.kind == "GI") {
        if let Some(room) = record.get("RN").filter(|r| !r.is_empty()) {
            // The first reservation of a room holds its phone; later ones share it.
            occupied.entry(room).or_insert(record);
        }
    }
    let known: BTreeMap<&str, &RoomState> = rooms.iter().map(|(r, s)| (r.as_str(), s)).collect();
    let mut fixes = Fixes::default();
    for (room, record) in &occupied {
        let Some(name) = quoted_name(record, fias) else {
            continue;
        };
        let reservation = record.get("G#").unwrap_or("");
        let level = record
            .get("CS")
            .and_then(|cs| fias.class_of_service.get(cs))
            .map(String::as_str);
        let cos = level.map(|l| format!(" COS {l}")).unwrap_or_default();
        let state = known.get(room).copied().cloned().unwrap_or_default();
        let holder = state.flags.get(RESERVATION).map_or("", String::as_str);
        let same_guest = if holder.is_empty() {
            state
                .guest
                .as_ref()
                .is_some_and(|g| name.replace("\\\"", "\"").starts_with(&g.directory_name))
        } else {
            holder == reservation
        };
        if !state.occupied {
            fixes.lines.push(format!("CHECKIN {room} \"{name}\"{cos}"));
            fixes.differences.push(format!(
                "room {room}: the PMS has G#{reservation} in it, hotelcare had it vacant"
            ));
            fixes
                .reservations
                .push(((*room).to_owned(), reservation.to_owned()));
        } else if !same_guest {
            fixes
                .lines
                .push(format!("CHECKIN {room} \"{name}\"{cos} REPLACE"));
            fixes.differences.push(format!(
                "room {room}: the PMS has G#{reservation} in it, hotelcare another guest"
            ));
            fixes
                .reservations
                .push(((*room).to_owned(), reservation.to_owned()));
        } else if let Some(level) = level
            && config
                .pbx_of(room)
                .and_then(|index| config.pbxs.get(index))
                .map_or(&config.levels, |site| &site.levels)
                .get(level)
                .map(|c| c.get())
                != state.cor
        {
            fixes.lines.push(format!("COS {room} {level}"));
            fixes
                .differences
                .push(format!("room {room}: the PMS has class of service {level}"));
        }
    }
    for (room, state) in rooms {
        if state.occupied && !occupied.contains_key(room.as_str()) {
            fixes.lines.push(format!("CHECKOUT {room}"));
            fixes.differences.push(format!(
                "room {room}: the PMS has it vacant, hotelcare had a guest in it"
            ));
        }
    }
    fixes
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::validate::Guest;

    fn record(line: &str) -> Record {
        Record::parse(line.as_bytes(), encoding_rs::WINDOWS_1252).unwrap()
    }

    #[test]
    fn only_the_differences_are_fixed() {
        let config = Config::builtin();
        let fias = FiasConfig {
            server: "127.0.0.1:1".into(),
            codepage: encoding_rs::WINDOWS_1252,
            class_of_service: [("0".to_owned(), "BLOCK".to_owned())].into(),
            title: false,
        };
        let guest = |name: &str| {
            Some(Guest {
                last: name.into(),
                first: String::new(),
                directory_name: name.into(),
            })
        };
        let occupied = |name: &str| RoomState {
            occupied: true,
            guest: guest(name),
            cor: Some(1),
            ..RoomState::default()
        };
        let rooms = vec![
            ("1".to_owned(), occupied("Same")),
            ("2".to_owned(), occupied("Other")),
            ("3".to_owned(), RoomState::default()),
            ("4".to_owned(), occupied("Gone")),
            ("5".to_owned(), occupied("Blocked")),
        ];
        let house = [
            record("DS|"),
            record("GI|RN1|G#1|GNSame|SF|"),
            record("GI|RN2|G#2|GNNew|SF|"),
            record("GI|RN3|G#3|GNArrived|SF|"),
            record("GI|RN5|G#5|GNBlocked|CS0|SF|"),
        ];
        let found = fixes(&house, &rooms, &config, &fias);
        assert_eq!(
            found.lines,
            [
                "CHECKIN 2 \"New\" REPLACE",
                "CHECKIN 3 \"Arrived\"",
                "COS 5 BLOCK",
                "CHECKOUT 4"
            ]
        );
        assert_eq!(found.differences.len(), 4);
    }
}
