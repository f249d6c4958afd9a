//! The operations IR: reads and sets of fields of one directory number, as MiVB's "User and
//! Services Configuration" form groups them (User Profile, Service Profile, Service Details).
//! Values borrow from the checked command; values only the PBX knows are references to reads.

use std::fmt::{self, Display, Formatter};

use serde::{Deserialize, Serialize};

use crate::config::{Cor, DidRange};
use crate::lang::validate::wakeup::{Wakeup, WakeupChange};

/// A part of the User and Services Configuration form of one directory number.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub(crate) enum Form {
    UserProfile,
    ServiceProfile,
    ServiceDetails,
    /// MiVB's hotel wake-up calls of the room (in our model, `docs/mixml.md`).
    WakeupCalls,
}

/// A field hotelcare reads or writes. Each belongs to exactly one `Form`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub(crate) enum Field {
    LastName,
    FirstName,
    DirectoryName,
    ServiceLabel,
    CorDay,
    CorNight1,
    CorNight2,
    DidServiceNumber,
    UseDidForOutgoingCalls,
    /// The room's booked wake-ups: `YYYY-MM-DD HH:MM` each, `, ` between, at most three.
    WakeupTimes,
}

impl Field {
    pub(crate) const ALL: [Field; 10] = [
        Field::LastName,
        Field::FirstName,
        Field::DirectoryName,
        Field::ServiceLabel,
        Field::CorDay,
        Field::CorNight1,
        Field::CorNight2,
        Field::DidServiceNumber,
        Field::UseDidForOutgoingCalls,
        Field::WakeupTimes,
    ];

    pub(crate) fn form(self) -> Form {
        match self {
            Self::LastName | Self::FirstName => Form::UserProfile,
            Self::DirectoryName | Self::ServiceLabel => Form::ServiceProfile,
            Self::CorDay
            | Self::CorNight1
            | Self::CorNight2
            | Self::DidServiceNumber
            | Self::UseDidForOutgoingCalls => Form::ServiceDetails,
            Self::WakeupTimes => Form::WakeupCalls,
        }
    }

    /// The field's name as MiVB's management screens (and the vendor document) write it.
    pub(crate) fn label(self) -> &'static str {
        match self {
            Self::LastName => "Last Name",
            Self::FirstName => "First Name",
            Self::DirectoryName => "Directory Name",
            Self::ServiceLabel => "Service Label",
            Self::CorDay => "COR Day",
            Self::CorNight1 => "COR Night 1",
            Self::CorNight2 => "COR Night 2",
            Self::DidServiceNumber => "DID Service Number",
            Self::UseDidForOutgoingCalls => "Use DID for Outgoing Calls",
            Self::WakeupTimes => "Wake-up Times",
        }
    }
}

impl Form {
    pub(crate) fn label(self) -> &'static str {
        match self {
            Self::UserProfile => "User Profile",
            Self::ServiceProfile => "Service Profile",
            Self::ServiceDetails => "Service Details",
            Self::WakeupCalls => "Wake-up Calls",
        }
    }
}

impl Display for Form {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        f.write_str(self.label())
    }
}

impl Display for Field {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        f.write_str(self.label())
    }
}

/// Numbers the reads of one command from 1, so later operations can refer to what was read.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub(crate) struct ReadId(pub(crate) u8);

impl Display for ReadId {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        write!(f, "${}", self.0)
    }
}

/// The value a set writes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Value<'a> {
    Text(&'a str),
    /// The field is cleared.
    Empty,
    Cor(Cor),
    Flag(bool),
    /// What read `ReadId` found in `Field` (when this command ran, or as the journal kept it).
    Read(ReadId, Field),
    /// The wake-ups read into `ReadId` (`Field::WakeupTimes`), changed.
    Wakeups(ReadId, WakeupChange),
}

/// The wake-ups of a `Field::WakeupTimes` text (what does not read is left out: the PBX
/// holds only what it accepted).
pub(crate) fn wakeups_of(text: &str) -> Vec<Wakeup> {
    text.split(',').filter_map(Wakeup::parse).collect()
}

/// The `Field::WakeupTimes` text of `wakeups`.
pub(crate) fn wakeups_text(wakeups: &[Wakeup]) -> String {
    wakeups
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join(", ")
}

/// A condition on what a command has read, checked before the command writes anything: the
/// engine evaluates it, no request is sent.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Expectation<'a> {
    /// `room` has a guest: its Directory Name (read into `profile`) is not its Service Label.
    Occupied { room: &'a str, profile: ReadId },
    /// `room` is vacant: its Directory Name, read into `profile`, is its Service Label. (A move
    /// repeated after an interruption checks the reads the journal kept from before its first
    /// write, so it never needs to accept "already shows the mover": two guests may share a
    /// Directory Name.)
    Vacant { room: &'a str, profile: ReadId },
}

/// One MiXML operation on the directory number `room`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Op<'a> {
    /// Reads `fields` (all of one form) into `into`.
    Read {
        room: &'a str,
        form: Form,
        fields: &'static [Field],
        into: ReadId,
    },
    /// Writes values (all fields of one form).
    Set {
        room: &'a str,
        form: Form,
        values: Vec<(Field, Value<'a>)>,
    },
    /// Finds the lowest DID of `range` that no record on the PBX holds; the result is
    /// `Read(into, DidServiceNumber)`.
    FindFreeDid { range: DidRange, into: ReadId },
    /// Fails the command, before it writes anything, if another room holds `did`.
    ExpectDidFree { room: &'a str, did: &'a str },
    /// Fails the command, before it writes anything, unless the expectation holds.
    Expect(Expectation<'a>),
    /// Leaves out the next `count` operations when the expectation holds: a `REPLACE` check-in
    /// of a vacant room has nobody to check out (nothing is sent for it).
    SkipIf {
        holds: Expectation<'a>,
        count: usize,
    },
    /// "Test access": log in and ask the PBX who it is.
    SystemInfo,
}

impl Op<'_> {
    /// The room the operation works on, if any.
    pub(crate) fn room(&self) -> Option<&str> {
        match self {
            Self::Read { room, .. }
            | Self::Set { room, .. }
            | Self::ExpectDidFree { room, .. }
            | Self::Expect(Expectation::Occupied { room, .. } | Expectation::Vacant { room, .. })
            | Self::SkipIf {
                holds: Expectation::Occupied { room, .. } | Expectation::Vacant { room, .. },
                ..
            } => Some(room),
            Self::FindFreeDid { .. } | Self::SystemInfo => None,
        }
    }

    /// A short verb for monitors.
    pub(crate) fn verb(&self) -> &'static str {
        match self {
            Self::Read { .. } => "read",
            Self::Set { .. } => "set",
            Self::FindFreeDid { .. } => "find",
            Self::ExpectDidFree { .. } | Self::Expect(_) | Self::SkipIf { .. } => "check",
            Self::SystemInfo => "info",
        }
    }
}
