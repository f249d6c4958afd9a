//! The checked form of a command: everything resolved against the configuration, nothing left to
//! fail but what only the PBX can know. This is what is lowered, journaled and replayed.

use serde::{Deserialize, Serialize};

use crate::config::Cor;
use crate::lang::syntax::Flag;
use crate::lang::validate::wakeup::WakeupChange;

/// One accepted command.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Command {
    /// 1-based line of the script it came from.
    pub(crate) line: usize,
    /// The command as written, for monitors, logs and `queue list`.
    pub(crate) text: String,
    pub(crate) action: Action,
    /// The PMS's reservation (FIAS `G#`) of the stay a check-in begins: kept beside the
    /// command, never in its text; the room state keeps it while the guest stays.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) reservation: Option<String>,
}

/// What a command does, with rooms as directory numbers and levels as COR numbers.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) enum Action {
    CheckIn(CheckIn),
    CheckOut {
        room: String,
    },
    Cos {
        room: String,
        cor: Cor,
    },
    Move {
        from: String,
        to: String,
    },
    Rename {
        room: String,
        guest: Guest,
    },
    /// `DID room n` (`Some`) or `DID room NONE` (`None`).
    SetDid {
        room: String,
        did: Option<String>,
    },
    /// `MW`/`DND room ON|OFF`.
    SetFlag {
        room: String,
        flag: Flag,
        on: bool,
    },
    /// `WAKEUP room ...`: book or clear wake-up calls.
    Wakeup {
        room: String,
        change: WakeupChange,
    },
    /// `LIMIT room amount|NONE`: the stay's credit limit. Nothing goes to the PBX; the charges
    /// check what it means for the room's class of service.
    Limit {
        room: String,
        limit: Limit,
    },
    Show {
        room: String,
    },
    Test,
}

/// A stay's credit limit for calls.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub(crate) enum Limit {
    /// `[charges] limit`, whatever it is when a call is costed.
    #[default]
    Default,
    /// No limit (`LIMIT ext NONE`).
    None,
    Amount(crate::config::Money),
}

impl Limit {
    /// The amount in force, given the configured default.
    pub(crate) fn resolve(
        self,
        default: Option<crate::config::Money>,
    ) -> Option<crate::config::Money> {
        match self {
            Self::Default => default,
            Self::None => None,
            Self::Amount(amount) => Some(amount),
        }
    }
}

/// A check-in. (In the journal it reads as the struct variant it was in format 1.)
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct CheckIn {
    pub(crate) room: String,
    pub(crate) guest: Guest,
    pub(crate) cor: Cor,
    /// `None`: the room's DID is not touched.
    pub(crate) did: Option<DidRequest>,
    /// `REPLACE`: whoever is in the room is checked out first (their DID released). Without it,
    /// a check-in into an occupied room is refused. (Journals of format 1 have no such field:
    /// `false`.)
    #[serde(default)]
    pub(crate) replace: bool,
    /// `LIMIT amount`: the stay's credit limit (`Default`: `[charges] limit`).
    #[serde(default, skip_serializing_if = "is_default")]
    pub(crate) limit: Limit,
}

fn is_default(limit: &Limit) -> bool {
    *limit == Limit::Default
}

/// The DID of a check-in.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) enum DidRequest {
    /// The lowest number of the range that no record on the PBX holds, found at run time.
    Auto,
    Number(String),
}

/// A guest name split into the PBX's fields, already cut to their limits.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct Guest {
    pub(crate) last: String,
    pub(crate) first: String,
    /// `Last,First` (or `Last`), no blanks around the comma.
    pub(crate) directory_name: String,
}

impl Action {
    /// The command keyword, for monitors.
    pub(crate) fn keyword(&self) -> &'static str {
        match self {
            Self::CheckIn(_) => "CHECKIN",
            Self::CheckOut { .. } => "CHECKOUT",
            Self::Cos { .. } => "COS",
            Self::Move { .. } => "MOVE",
            Self::Rename { .. } => "RENAME",
            Self::SetDid { .. } => "DID",
            Self::SetFlag { flag, .. } => flag.keyword(),
            Self::Wakeup { .. } => "WAKEUP",
            Self::Limit { .. } => "LIMIT",
            Self::Show { .. } => "SHOW",
            Self::Test => "TEST",
        }
    }

    /// The rooms the command writes or reads, in the order they are touched.
    pub(crate) fn rooms(&self) -> Vec<&str> {
        match self {
            Self::CheckIn(CheckIn { room, .. })
            | Self::CheckOut { room }
            | Self::Cos { room, .. }
            | Self::Rename { room, .. }
            | Self::SetDid { room, .. }
            | Self::SetFlag { room, .. }
            | Self::Wakeup { room, .. }
            | Self::Limit { room, .. }
            | Self::Show { room } => vec![room],
            Self::Move { from, to } => vec![from, to],
            Self::Test => Vec::new(),
        }
    }

    /// The credit limit a check-in gives the stay it begins, and the one a `LIMIT` sets.
    pub(crate) fn limit(&self) -> (Limit, Option<Limit>) {
        match self {
            Self::CheckIn(check_in) => (check_in.limit, None),
            Self::Limit { limit, .. } => (Limit::Default, Some(*limit)),
            _ => (Limit::Default, None),
        }
    }

    /// The room shown in monitors and messages: the first one touched, or `-`.
    pub(crate) fn room(&self) -> &str {
        self.rooms().first().copied().unwrap_or("-")
    }
}
