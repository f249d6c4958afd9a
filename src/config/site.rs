//! `Site`: one PBX of the property, and `RoomRange`: which rooms it owns. A single `[pbx]` is
//! one site called `main` that owns every room; `[pbx.NAME]` tables are several, each owning
//! the rooms of its `rooms = ["1000-1999", "2050"]`, and no room belongs to two.

use std::collections::BTreeMap;
use std::fmt::{self, Display, Formatter};
use std::str::FromStr;

use crate::config::{
    Capabilities, Cor, CorConfig, Interface, MitelPmsConfig, NumberTransfer, PbxConfig,
};

/// The name of the one PBX of a configuration with a single `[pbx]` (or none).
pub(crate) const MAIN: &str = "main";

/// One PBX and what is set for it.
#[derive(Clone, Debug)]
pub(crate) struct Site {
    pub(crate) name: String,
    /// `None`: every room (the only PBX).
    pub(crate) rooms: Option<Vec<RoomRange>>,
    /// `None`: the embedded simulator.
    pub(crate) pbx: Option<PbxConfig>,
    pub(crate) cor: CorConfig,
    pub(crate) levels: BTreeMap<String, Cor>,
    pub(crate) number_transfer: Option<NumberTransfer>,
    /// The wire it is driven over, with that wire's own section.
    pub(crate) wire: WireSection,
}

/// A PBX's wire and the settings only that wire has: one value, so that a PBX cannot have the
/// section of a wire it is not driven over.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum WireSection {
    /// hotelcare's MiXML model (its settings are the connection's, `[pbx]`).
    Mixml,
    /// The Mitel PMS protocol and its `[mitel_pms]` section.
    MitelPms(MitelPmsConfig),
}

impl WireSection {
    /// A PBX with `mitel_pms` settings is driven over that wire; one without, over MiXML.
    pub(crate) fn of(mitel_pms: Option<MitelPmsConfig>) -> Self {
        mitel_pms.map_or(Self::Mixml, Self::MitelPms)
    }

    pub(crate) fn interface(&self) -> Interface {
        match self {
            Self::Mixml => Interface::Mixml,
            Self::MitelPms(_) => Interface::MitelPms,
        }
    }

    /// The `[mitel_pms]` section, on that wire.
    pub(crate) fn mitel_pms(&self) -> Option<&MitelPmsConfig> {
        match self {
            Self::Mixml => None,
            Self::MitelPms(pms) => Some(pms),
        }
    }
}

impl Site {
    /// What this PBX's wire can do (the embedded simulator speaks MiXML).
    pub(crate) fn capabilities(&self) -> Capabilities {
        let mut capabilities = self.wire.interface().capabilities();
        if let WireSection::MitelPms(pms) = &self.wire {
            capabilities.rename = pms.nam_replace.is_some();
        }
        capabilities
    }

    /// Where the PBX is, for prompts and messages: its address, or "simulator".
    pub(crate) fn target(&self) -> &str {
        self.pbx
            .as_ref()
            .map_or("simulator", |pbx| pbx.server.as_str())
    }

    /// The level names a user may write for this PBX, for messages and completion: `ALLOW`,
    /// `BLOCK`, then the configured ones.
    pub(crate) fn level_names(&self) -> Vec<String> {
        let mut names: Vec<String> = vec!["ALLOW".into(), "BLOCK".into()];
        names.extend(
            self.levels
                .keys()
                .filter(|k| !matches!(k.as_str(), "ALLOW" | "BLOCK"))
                .cloned(),
        );
        names
    }

    /// The level names that stand for `cor` on this PBX.
    pub(crate) fn level_names_of(&self, cor: u8) -> Vec<String> {
        self.levels
            .iter()
            .filter(|(_, c)| c.get() == cor)
            .map(|(name, _)| name.clone())
            .collect()
    }

    /// Whether this PBX owns `room`.
    pub(crate) fn owns(&self, room: &str) -> bool {
        self.rooms
            .as_ref()
            .is_none_or(|ranges| ranges.iter().any(|range| range.contains(room)))
    }

    /// The rooms as the configuration writes them (`1000-1999, 2050`), or `every room`.
    pub(crate) fn rooms_text(&self) -> String {
        self.rooms.as_ref().map_or_else(
            || "every room".to_owned(),
            |ranges| {
                ranges
                    .iter()
                    .map(ToString::to_string)
                    .collect::<Vec<_>>()
                    .join(", ")
            },
        )
    }
}

/// An inclusive range of room extensions of one width (`1000-1999`; `2050` alone). Compared as
/// numbers of that width: `0100` is not `100`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct RoomRange {
    first: u128,
    last: u128,
    width: usize,
}

/// The longest extension a room range may name (a MiVB directory number has at most 10 digits).
const MAX_ROOM_DIGITS: usize = 10;

impl RoomRange {
    pub(crate) fn contains(&self, room: &str) -> bool {
        room.len() == self.width
            && room.bytes().all(|b| b.is_ascii_digit())
            && room
                .parse::<u128>()
                .is_ok_and(|n| (self.first..=self.last).contains(&n))
    }

    /// One room, not a range of them.
    pub(crate) fn is_single(&self) -> bool {
        self.first == self.last
    }

    /// The rooms both ranges hold, if any.
    pub(crate) fn overlap(&self, other: &Self) -> Option<Self> {
        let (first, last) = (self.first.max(other.first), self.last.min(other.last));
        (self.width == other.width && first <= last).then_some(Self {
            first,
            last,
            width: self.width,
        })
    }
}

impl Display for RoomRange {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        let width = self.width;
        if self.first == self.last {
            write!(f, "{:0width$}", self.first)
        } else {
            write!(f, "{:0width$}-{:0width$}", self.first, self.last)
        }
    }
}

impl FromStr for RoomRange {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let (first, last, width) = crate::config::digit_range::parse(
            text,
            &crate::config::digit_range::Words {
                not_a_number: "a room number; write rooms as \"1000-1999\" or \"2050\"",
                max_digits: MAX_ROOM_DIGITS,
                limit: "more than a directory number holds",
                one_width: "give a range of one width (or two ranges)",
            },
        )?;
        Ok(Self { first, last, width })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_range_holds_the_rooms_of_its_width_between_its_ends() {
        let range: RoomRange = "1000-1999".parse().unwrap();
        assert!(range.contains("1000") && range.contains("1999") && range.contains("1500"));
        assert!(!range.contains("999") && !range.contains("2000") && !range.contains("01500"));
        let single: RoomRange = " 2050 ".parse().unwrap();
        assert!(single.contains("2050") && !single.contains("2051"));
        assert_eq!(single.to_string(), "2050");
        assert_eq!(
            "0100-0199".parse::<RoomRange>().unwrap().to_string(),
            "0100-0199"
        );
    }

    #[test]
    fn overlaps_are_found_only_between_ranges_of_one_width() {
        let a: RoomRange = "1000-1999".parse().unwrap();
        let b: RoomRange = "1500-2500".parse().unwrap();
        assert_eq!(a.overlap(&b).unwrap().to_string(), "1500-1999");
        let c: RoomRange = "15000-15999".parse().unwrap();
        assert_eq!(a.overlap(&c), None);
        assert_eq!(a.overlap(&"2000".parse().unwrap()), None);
    }

    #[test]
    fn a_bad_range_says_how_to_write_one() {
        for (text, says) in [
            ("10a0", "not a room number"),
            ("1000-999", "different numbers of digits"),
            ("2000-1000", "runs backwards"),
            ("", "not a room number"),
            ("12345678901", "more than 10 digits"),
        ] {
            let error = text.parse::<RoomRange>().unwrap_err();
            assert!(error.contains(says), "{text}: {error}");
        }
    }
}
