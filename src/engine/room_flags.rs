//! A room's flags: what a command, the PBX or the PMS link set on a room besides its guest —
//! message waiting, do not disturb, the maid status, the PMS's reservation of the stay and the
//! reservations that share the room. Typed, so that no input, wire or monitor agrees on a
//! string; stored under the names the journal has always used (`"message waiting": "on"`), so
//! that a journal of an older release reads as it was.

use std::fmt::{self, Display, Formatter};

use serde::{Deserialize, Serialize};

/// See the module documentation.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct RoomFlags {
    #[serde(
        rename = "message waiting",
        default,
        skip_serializing_if = "Option::is_none",
        with = "on_off"
    )]
    pub(crate) message_waiting: Option<bool>,
    #[serde(
        rename = "do not disturb",
        default,
        skip_serializing_if = "Option::is_none",
        with = "on_off"
    )]
    pub(crate) do_not_disturb: Option<bool>,
    /// As the PBX last reported it.
    #[serde(
        rename = "maid status",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub(crate) maid_status: Option<MaidStatus>,
    /// The PMS's reservation of the stay (FIAS `G#`): set by the check-in that carries one,
    /// moved by a move, cleared when the room is vacated.
    #[serde(
        rename = "fias reservation",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub(crate) reservation: Option<String>,
    /// Reservations that share the room with the one its phone shows (the PMS link's).
    #[serde(
        rename = "fias sharers",
        default,
        skip_serializing_if = "Vec::is_empty",
        with = "sharers"
    )]
    pub(crate) sharers: Vec<Sharer>,
}

/// A reservation sharing a room.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct Sharer {
    pub(crate) reservation: String,
    /// `Last,First` as the PMS sent it; empty when it sent none.
    #[serde(default)]
    pub(crate) name: String,
}

/// A room's maid status, as the Mitel PMS protocol reports it (`STS` 1-9).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) enum MaidStatus {
    #[serde(rename = "maid present")]
    MaidPresent,
    #[serde(rename = "clean")]
    Clean,
    #[serde(rename = "not clean")]
    NotClean,
    #[serde(rename = "out of service")]
    OutOfService,
    #[serde(rename = "to be inspected")]
    ToBeInspected,
    #[serde(rename = "occupied, clean")]
    OccupiedClean,
    #[serde(rename = "occupied, not clean")]
    OccupiedNotClean,
    #[serde(rename = "vacant, clean")]
    VacantClean,
    #[serde(rename = "vacant, not clean")]
    VacantNotClean,
}

impl Display for MaidStatus {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::MaidPresent => "maid present",
            Self::Clean => "clean",
            Self::NotClean => "not clean",
            Self::OutOfService => "out of service",
            Self::ToBeInspected => "to be inspected",
            Self::OccupiedClean => "occupied, clean",
            Self::OccupiedNotClean => "occupied, not clean",
            Self::VacantClean => "vacant, clean",
            Self::VacantNotClean => "vacant, not clean",
        })
    }
}

/// One flag of a room set (or, with `None` / an empty list, cleared).
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum FlagChange {
    MessageWaiting(Option<bool>),
    MaidStatus(Option<MaidStatus>),
    Reservation(Option<String>),
    Sharers(Vec<Sharer>),
}

/// Flags changed, room by room: what the PBX reports and the PMS link writes of a room on
/// their own (`Journal::set_room_flags`), applied over its latest flags.
pub(crate) type FlagChanges = Vec<(String, FlagChange)>;

impl RoomFlags {
    pub(crate) fn apply(&mut self, change: FlagChange) {
        match change {
            FlagChange::MessageWaiting(on) => self.message_waiting = on,
            FlagChange::MaidStatus(status) => self.maid_status = status,
            FlagChange::Reservation(reservation) => self.reservation = reservation,
            FlagChange::Sharers(sharers) => self.sharers = sharers,
        }
    }

    /// The flags of a guest's stay cleared (message waiting, do not disturb, the reservation):
    /// a check-in and a check-out end them (the Mitel PMS wire sends them off; MiVB also clears
    /// them on check-in and check-out itself). The maid status is the room's, and the sharers
    /// the PMS link's.
    #[must_use]
    pub(crate) fn stay_ended(&self) -> Self {
        Self {
            message_waiting: None,
            do_not_disturb: None,
            reservation: None,
            ..self.clone()
        }
    }

    /// Each flag that has a value, as `hotelcare rooms` and `SHOW` show it.
    pub(crate) fn shown(&self) -> Vec<(&'static str, String)> {
        let on = |on: bool| if on { "on" } else { "off" }.to_owned();
        let mut shown = Vec::new();
        if let Some(value) = self.message_waiting {
            shown.push(("message waiting", on(value)));
        }
        if let Some(value) = self.do_not_disturb {
            shown.push(("do not disturb", on(value)));
        }
        if let Some(status) = self.maid_status {
            shown.push(("maid status", status.to_string()));
        }
        if let Some(reservation) = &self.reservation {
            shown.push(("fias reservation", reservation.clone()));
        }
        if !self.sharers.is_empty() {
            let sharers: Vec<String> = self
                .sharers
                .iter()
                .map(|s| format!("{}={}", s.reservation, s.name))
                .collect();
            shown.push(("fias sharers", sharers.join("; ")));
        }
        shown
    }
}

/// `Option<bool>` as `"on"` / `"off"`.
mod on_off {
    use serde::{Deserialize, Deserializer, Serializer};

    // serde's `with` hands a reference.
    #[allow(clippy::ref_option, clippy::trivially_copy_pass_by_ref)]
    pub(super) fn serialize<S: Serializer>(on: &Option<bool>, out: S) -> Result<S::Ok, S::Error> {
        match on {
            Some(on) => out.serialize_str(if *on { "on" } else { "off" }),
            None => out.serialize_none(),
        }
    }

    pub(super) fn deserialize<'de, D: Deserializer<'de>>(
        input: D,
    ) -> Result<Option<bool>, D::Error> {
        Ok(Option::<String>::deserialize(input)?.map(|text| text == "on"))
    }
}

/// The sharers as a list; a journal of an older release kept them as one string of
/// `G#=Last,First` entries between U+001F.
mod sharers {
    use serde::{Deserialize, Deserializer, Serialize, Serializer};

    use super::Sharer;

    pub(super) fn serialize<S: Serializer>(sharers: &[Sharer], out: S) -> Result<S::Ok, S::Error> {
        sharers.serialize(out)
    }

    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Stored {
        List(Vec<Sharer>),
        Joined(String),
    }

    pub(super) fn deserialize<'de, D: Deserializer<'de>>(
        input: D,
    ) -> Result<Vec<Sharer>, D::Error> {
        Ok(match Stored::deserialize(input)? {
            Stored::List(list) => list,
            Stored::Joined(joined) => joined
                .split('\u{1f}')
                .filter(|entry| !entry.is_empty())
                .map(|entry| {
                    let (reservation, name) = entry.split_once('=').unwrap_or((entry, ""));
                    Sharer {
                        reservation: reservation.to_owned(),
                        name: name.to_owned(),
                    }
                })
                .collect(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_flags_of_an_older_journal_read_as_they_were() {
        let stored = r#"{"message waiting":"on","maid status":"vacant, clean","fias reservation":"8","fias sharers":"2=Beta,Bob\u001f3=","unknown":"x"}"#;
        let flags: RoomFlags = serde_json::from_str(stored).unwrap();
        assert_eq!(
            flags,
            RoomFlags {
                message_waiting: Some(true),
                do_not_disturb: None,
                maid_status: Some(MaidStatus::VacantClean),
                reservation: Some("8".into()),
                sharers: vec![
                    Sharer {
                        reservation: "2".into(),
                        name: "Beta,Bob".into()
                    },
                    Sharer {
                        reservation: "3".into(),
                        name: String::new()
                    },
                ],
            }
        );
        let written = serde_json::to_string(&flags).unwrap();
        assert_eq!(serde_json::from_str::<RoomFlags>(&written).unwrap(), flags);
        assert_eq!(serde_json::to_string(&RoomFlags::default()).unwrap(), "{}");
    }
}
