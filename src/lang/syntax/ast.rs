//! The typed syntax tree of one line. Every node carries its `Span` (file byte offsets); text
//! borrows from the line, so parsing allocates only where a name has escapes.

use std::borrow::Cow;

use crate::diagnostics::Span;

/// A value and where it was written.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Spanned<T> {
    pub(crate) node: T,
    pub(crate) span: Span,
}

/// One command as written, with the span of the whole command (for monitors and journals).
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Statement<'a> {
    pub(crate) command: Command<'a>,
    pub(crate) span: Span,
}

/// The commands of BRIEF §2. Ranges, duplicates and configuration lookups are `validate`'s job.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Command<'a> {
    CheckIn {
        room: Spanned<&'a str>,
        guest: Spanned<Cow<'a, str>>,
        options: Vec<CheckInOption<'a>>,
    },
    CheckOut {
        room: Spanned<&'a str>,
    },
    Cos {
        room: Spanned<&'a str>,
        level: Spanned<&'a str>,
    },
    Did {
        room: Spanned<&'a str>,
        did: Spanned<DidChoice<'a>>,
    },
    Move {
        from: Spanned<&'a str>,
        to: Spanned<&'a str>,
    },
    Rename {
        room: Spanned<&'a str>,
        guest: Spanned<Cow<'a, str>>,
    },
    /// `MW ext ON|OFF`, `DND ext ON|OFF`.
    Flag {
        flag: Flag,
        room: Spanned<&'a str>,
        on: bool,
    },
    /// `WAKEUP ext HH:MM [YYYY-MM-DD]`, `WAKEUP ext CLEAR [HH:MM]`.
    Wakeup {
        room: Spanned<&'a str>,
        wakeup: WakeupChoice<'a>,
    },
    /// `LIMIT ext amount|NONE`: the stay's credit limit.
    Limit {
        room: Spanned<&'a str>,
        limit: Spanned<LimitChoice<'a>>,
    },
    Show {
        room: Spanned<&'a str>,
    },
    Test,
}

/// The value after `LIMIT`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum LimitChoice<'a> {
    /// `NONE`: no limit.
    None,
    /// An amount as written (`50`, `12.50`).
    Amount(&'a str),
}

/// What `WAKEUP` does.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum WakeupChoice<'a> {
    /// Book one at `time` (`HH:MM`), on `date` (`YYYY-MM-DD`) or the next time the clock
    /// shows it.
    At {
        time: Spanned<&'a str>,
        date: Option<Spanned<&'a str>>,
    },
    /// `CLEAR`: the one at `time`, or every one of the room's. `span` covers `CLEAR`.
    Clear {
        span: Span,
        time: Option<Spanned<&'a str>>,
    },
}

/// A room's flag that `MW` and `DND` switch.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub(crate) enum Flag {
    /// The message waiting lamp (`MW`).
    MessageWaiting,
    /// Do not disturb (`DND`).
    DoNotDisturb,
}

impl Flag {
    /// The command's keyword.
    pub(crate) fn keyword(self) -> &'static str {
        match self {
            Self::MessageWaiting => "MW",
            Self::DoNotDisturb => "DND",
        }
    }
}

/// `DID ...` or `COS ...` after a check-in's name; `span` covers keyword and value.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum CheckInOption<'a> {
    Cos(Spanned<&'a str>),
    Did(Spanned<DidChoice<'a>>),
    /// `REPLACE`: check out whoever is in the room first.
    Replace(crate::diagnostics::Span),
    /// `LIMIT amount`: the stay's credit limit; `span` covers keyword and amount.
    Limit(Spanned<&'a str>),
}

/// The value after `DID`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum DidChoice<'a> {
    /// `AUTO`: the lowest free number of the range, chosen at run time.
    Auto,
    /// `NONE`: no DID (only in the `DID` command).
    None,
    Number(&'a str),
}

impl Command<'_> {
    /// The command's keyword as users write it, for monitors and messages.
    pub(crate) fn keyword(&self) -> &'static str {
        match self {
            Self::CheckIn { .. } => "CHECKIN",
            Self::CheckOut { .. } => "CHECKOUT",
            Self::Cos { .. } => "COS",
            Self::Did { .. } => "DID",
            Self::Move { .. } => "MOVE",
            Self::Rename { .. } => "RENAME",
            Self::Flag { flag, .. } => flag.keyword(),
            Self::Wakeup { .. } => "WAKEUP",
            Self::Limit { .. } => "LIMIT",
            Self::Show { .. } => "SHOW",
            Self::Test => "TEST",
        }
    }
}
