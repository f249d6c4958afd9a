//! `DiagnosticKind`: every problem a user can meet in a script or a configuration file, with all of
//! its wording in one place (message, label under the caret, help).

use std::fmt::{self, Display, Formatter};

use crate::diagnostics::count::Alternatives;

/// How bad a diagnostic is: an error stops the whole script, a warning does not.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Severity {
    Error,
    Warning,
}

/// What went wrong. Variants are sorted by name; messages are lowercase, without a final period,
/// with names in backticks.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum DiagnosticKind {
    /// A TOML value that parses but makes no sense (COR 97, a reversed DID range, ...).
    ConfigInvalid { key: String, message: String },
    /// The configuration file is not valid TOML or has an unknown key or a wrong type.
    ConfigSyntax { message: String },
    /// A name holds a control character (tab, line feed, ...), which no telephone display shows.
    ControlCharacterInName { character: char },
    /// A DID is already given to another room at this point of the script.
    DidAlreadyGiven {
        did: String,
        room: String,
        /// `file:line` of the command that gave it.
        at: String,
    },
    /// A move to another PBX of a guest whose DID that PBX's number transfer range lacks.
    DidNotOnTargetPbx {
        did: String,
        room: String,
        /// The target PBX and why: "PBX `east`, which has no number transfer".
        target: String,
    },
    /// A DID outside the configured `[number_transfer] range`.
    DidOutOfRange { did: String, range: String },
    /// The same option twice in one `CHECKIN`.
    DuplicateOption { option: &'static str },
    /// A name with nothing in it, or with an empty last name.
    EmptyName,
    /// A directory number longer than MiVB allows with a property-management system.
    ExtensionTooLong { ext: String },
    /// A directory number wider than the Mitel PMS interface's extension field.
    ExtensionWiderThanField { ext: String, width: usize },
    /// A line longer than hotelcare reads (a damaged export, a file that is not a script).
    LineTooLong { length: usize, limit: usize },
    /// `MOVE a a`.
    MoveToSameRoom { room: String },
    /// A room that no configured PBX owns (`[pbx.NAME] rooms`).
    RoomWithoutPbx { room: String, pbxs: String },
    /// A check-in into a room the script has already checked a guest into, not out since.
    RoomAlreadyCheckedIn { room: String, at: String },
    /// A name longer than a PBX field: kept, but cut.
    NameTruncated {
        field: &'static str,
        limit: usize,
        kept: String,
    },
    /// A name with characters the Mitel PMS interface cannot carry: sent with `?`.
    NameNotAscii { kept: String },
    /// A DID while telephone number transfer is off.
    NumberTransferDisabled,
    /// The line does not follow the grammar.
    Syntax {
        expected: Vec<&'static str>,
        found: String,
        /// What to write instead, when it can be told: `did you mean ...`, the command's form.
        hint: Option<String>,
    },
    /// A class of service level that is neither `ALLOW`, `BLOCK` nor configured.
    UnknownLevel { level: String, known: Vec<String> },
    /// A backslash that is not `\"` or `\\`.
    UnknownEscape { escape: String },
    /// Something the target PBX's wire cannot do (a DID on a wire without DIDs).
    UnsupportedByInterface {
        what: &'static str,
        needs: &'static str,
        pbx: String,
        interface: &'static str,
    },
    /// A name holds a character that XML 1.0 text cannot carry or Unicode reserves as a
    /// non-character (U+FFFE, U+FFFF, U+FDD0..U+FDEF, ...): the PBX interface cannot send it.
    UnsupportedCharacterInName { character: char },
    /// A name whose closing quote is missing.
    UnterminatedName,
    /// `WAKEUP` with a time of day that is not one (`25:00`, `24:00`, `07:60`).
    NotATime { text: String },
    /// `WAKEUP` with a date that is not one (`2026-02-30`).
    NotADate { text: String },
    /// `WAKEUP` at a time that has passed.
    WakeupInThePast { at: String, now: String },
    /// `WAKEUP` for a room that has no guest.
    WakeupRoomVacant { room: String },
    /// A fourth wake-up for a room (MiVB holds three).
    TooManyWakeups { room: String, booked: Vec<String> },
    /// `LIMIT` with an amount that is not one in the hotel's currency (`12.505` with cents).
    NotAnAmount { text: String, why: String },
    /// `LIMIT` for a room that has no guest (a limit belongs to a stay).
    LimitRoomVacant { room: String },
}

impl DiagnosticKind {
    pub(crate) fn severity(&self) -> Severity {
        match self {
            Self::NameTruncated { .. } | Self::NameNotAscii { .. } => Severity::Warning,
            _ => Severity::Error,
        }
    }

    /// The short text written under the caret.
    pub(crate) fn label(&self) -> String {
        match self {
            Self::ConfigInvalid { .. } => "invalid value".into(),
            Self::ConfigSyntax { .. } => "here".into(),
            Self::ControlCharacterInName { character } => {
                format!("contains {}", character.escape_default())
            }
            Self::DidAlreadyGiven { room, .. } => format!("still given to room {room}"),
            Self::DidNotOnTargetPbx { .. } => "on another PBX".into(),
            Self::DidOutOfRange { .. } => "outside the range".into(),
            Self::DuplicateOption { .. } => "given again here".into(),
            Self::EmptyName => "empty name".into(),
            Self::ExtensionTooLong { ext } => format!("{} digits", ext.len()),
            Self::ExtensionWiderThanField { ext, width } => {
                format!("{} digits, the field has {width}", ext.len())
            }
            Self::LineTooLong { .. } => "the line starts here".into(),
            Self::MoveToSameRoom { .. } => "same room as the source".into(),
            Self::NameTruncated { kept, .. } => format!("kept as \"{kept}\""),
            Self::NameNotAscii { kept } => format!("sent as \"{kept}\""),
            Self::RoomAlreadyCheckedIn { .. } => "still occupied here".into(),
            Self::RoomWithoutPbx { .. } => "no PBX owns this room".into(),
            Self::NumberTransferDisabled => "DID not allowed".into(),
            Self::Syntax { expected, .. } => format!("expected {}", Alternatives(expected)),
            Self::UnknownEscape { .. } => "unknown escape".into(),
            Self::UnknownLevel { .. } => "unknown level".into(),
            Self::UnsupportedCharacterInName { character } => {
                format!("contains U+{:04X}", u32::from(*character))
            }
            Self::UnsupportedByInterface { interface, .. } => format!("not on {interface}"),
            Self::UnterminatedName => "name starts here".into(),
            Self::NotATime { .. } => "not a time of day".into(),
            Self::NotADate { .. } => "not a date".into(),
            Self::WakeupInThePast { .. } => "in the past".into(),
            Self::WakeupRoomVacant { .. } => "no guest here".into(),
            Self::TooManyWakeups { .. } => "a fourth wake-up".into(),
            Self::NotAnAmount { .. } => "not an amount".into(),
            Self::LimitRoomVacant { .. } => "no stay here".into(),
        }
    }

    /// What to do about it.
    pub(crate) fn help(&self) -> Option<String> {
        Some(match self {
            Self::ConfigInvalid { .. } | Self::ConfigSyntax { .. } => {
                "see `hotelcare.example.toml` for every key and its meaning".into()
            }
            Self::ControlCharacterInName { .. } => "remove the character from the name".into(),
            Self::DidAlreadyGiven { room, .. } => format!(
                "check out room {room} or take its DID away (`DID {room} NONE`) before giving the DID to another room"
            ),
            Self::DidNotOnTargetPbx { room, .. } => format!(
                "take the DID away first (`DID <room> NONE`), then move, and give room {room} a DID of its PBX; or add the number to that PBX's `[pbx.NAME.number_transfer] range` if its carrier routes it there"
            ),
            Self::DidOutOfRange { range, .. } => {
                format!("use a DID in {range} or `DID AUTO`, or widen `[number_transfer] range`")
            }
            Self::DuplicateOption { option } => format!("give `{option}` only once"),
            Self::EmptyName => "write the name as \"Last,First\" or \"Last\"".into(),
            Self::ExtensionTooLong { .. } => {
                "MiVB directory numbers used with a guest management system have at most 7 digits".into()
            }
            Self::ExtensionWiderThanField { .. } => {
                "if the PBX's PMS link is set up for longer numbers, set `[mitel_pms] extension_width` to 6 or 7".into()
            }
            Self::LineTooLong { .. } => {
                "put one command per line (a line of commands separated by `;` must stay under the limit too)".into()
            }
            Self::MoveToSameRoom { .. } => "name two different rooms: `MOVE from to`".into(),
            Self::NameTruncated { .. } => return None,
            Self::NameNotAscii { .. } => {
                "the Mitel PMS interface carries ASCII only (umlauts are spelt `ae`, `oe`, `ue`, `ss`, accents dropped); write the name in Latin letters".into()
            }
            Self::RoomWithoutPbx { pbxs, .. } => format!(
                "check the room number, or add it to the `rooms` of a PBX in the configuration ({pbxs})"
            ),
            Self::RoomAlreadyCheckedIn { room, .. } => format!(
                "check room {room} out first (`CHECKOUT {room}`), or add `REPLACE` to check the new guest in in place of the old one"
            ),
            Self::NumberTransferDisabled => {
                "leave the DID out (or the whole `DID` command), or set `enabled = true` under `[number_transfer]` in the configuration".into()
            }
            Self::Syntax { hint: Some(hint), .. } => hint.clone(),
            Self::Syntax { hint: None, .. } => {
                "commands are CHECKIN, CHECKOUT, COS, MOVE, RENAME, DID, MW, DND, WAKEUP, SHOW and TEST; see the README".into()
            }
            Self::UnknownEscape { .. } => {
                "inside a name only `\\\"` (a quote) and `\\\\` (a backslash) are escapes".into()
            }
            Self::UnknownLevel { known, .. } => format!(
                "use {}, or add the level to `[class_of_service]` in the configuration",
                Alternatives(known)
            ),
            Self::UnsupportedCharacterInName { .. } => {
                "remove the character; it is not text (often a damaged export from another program)".into()
            }
            Self::UnsupportedByInterface { what, pbx, .. } => format!(
                "leave out the {what}, or drive PBX \"{pbx}\" over an interface that has it (`[pbx] interface`)"
            ),
            Self::UnterminatedName => "close the name with `\"`".into(),
            Self::NotATime { .. } => {
                "write the time as HH:MM, hours 00 to 23 and minutes 00 to 59, such as 07:00".into()
            }
            Self::NotADate { .. } => "write the date as YYYY-MM-DD, such as 2026-12-24".into(),
            Self::WakeupInThePast { .. } => {
                "give a later time or date; without a date, the next time the clock shows it is booked".into()
            }
            Self::WakeupRoomVacant { room } => format!(
                "a wake-up call is for a guest: check one in first (`CHECKIN {room} ...`), or check the room number"
            ),
            Self::TooManyWakeups { room, booked } => format!(
                "clear one first, such as `WAKEUP {room} CLEAR {}`",
                booked.first().map_or("07:00", |at| at.rsplit(' ').next().unwrap_or(at))
            ),
            Self::NotAnAmount { .. } => "write the amount as `[charges] decimals` allows, such as `LIMIT 1000 50` or `LIMIT 1000 12.50`, or `NONE` for no limit".into(),
            Self::LimitRoomVacant { room } => format!(
                "a credit limit is a stay's: check a guest in first (`CHECKIN {room} ... LIMIT amount`), or check the room number"
            ),
        })
    }
}

impl Display for DiagnosticKind {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        match self {
            Self::NotATime { text } => write!(f, "`{text}` is not a time of day"),
            Self::NotADate { text } => write!(f, "`{text}` is not a date"),
            Self::WakeupInThePast { at, now } => {
                write!(f, "a wake-up at {at} is in the past (it is {now})")
            }
            Self::WakeupRoomVacant { room } => {
                write!(f, "room {room} has no guest to wake")
            }
            Self::TooManyWakeups { room, booked } => write!(
                f,
                "room {room} already has 3 wake-up calls booked ({}), as many as MiVB holds",
                booked.join(", ")
            ),
            Self::NotAnAmount { text, why } => write!(f, "`{text}` is not an amount: {why}"),
            Self::LimitRoomVacant { room } => {
                write!(f, "room {room} has no guest whose calls a limit could hold")
            }
            Self::ConfigInvalid { key, message } => write!(f, "`{key}`: {message}"),
            Self::ConfigSyntax { message } => write!(f, "{message}"),
            Self::ControlCharacterInName { character } => write!(
                f,
                "the name contains the control character `{}`",
                character.escape_default()
            ),
            Self::DidAlreadyGiven { did, room, at } => write!(
                f,
                "DID {did} is already given to room {room} (at {at}) and not taken back"
            ),
            Self::DidNotOnTargetPbx { did, room, target } => write!(
                f,
                "the guest's DID {did} moves with them, but room {room} is on {target}"
            ),
            Self::DidOutOfRange { did, range } => {
                write!(f, "DID {did} is outside the number transfer range {range}")
            }
            Self::DuplicateOption { option } => write!(f, "`{option}` is given twice"),
            Self::EmptyName => write!(f, "the guest name is empty"),
            Self::ExtensionWiderThanField { ext, width } => write!(
                f,
                "directory number `{ext}` is wider than the Mitel PMS extension field ({width} characters)"
            ),
            Self::ExtensionTooLong { ext } => write!(
                f,
                "directory number `{ext}` has {} digits, more than 7",
                ext.len()
            ),
            Self::LineTooLong { length, limit } => write!(
                f,
                "the line has {length} bytes, more than the {limit} a line may have; it is not read"
            ),
            Self::MoveToSameRoom { room } => write!(
                f,
                "`MOVE {room} {room}` moves a guest to the room they are in"
            ),
            Self::NameTruncated { field, limit, kept } => write!(
                f,
                "the name is longer than the PBX field {field} ({limit} characters) and is cut to \"{kept}\""
            ),
            Self::NameNotAscii { kept } => write!(
                f,
                "the name has characters the Mitel PMS interface cannot carry; it is sent as \"{kept}\""
            ),
            Self::NumberTransferDisabled => {
                write!(f, "a DID is given but telephone number transfer is off")
            }
            Self::RoomWithoutPbx { room, .. } => {
                write!(f, "room {room} belongs to no configured PBX")
            }
            Self::RoomAlreadyCheckedIn { room, at } => write!(
                f,
                "room {room} already has a guest checked in by this script (at {at}) and not checked out"
            ),
            Self::Syntax {
                expected, found, ..
            } => {
                write!(f, "expected {}, found {found}", Alternatives(expected))
            }
            Self::UnknownEscape { escape } => write!(f, "unknown escape `{escape}` in a name"),
            Self::UnknownLevel { level, .. } => write!(f, "unknown class of service `{level}`"),
            Self::UnsupportedByInterface {
                what,
                needs,
                pbx,
                interface,
            } => write!(f, "{what} needs {needs}; PBX \"{pbx}\" uses {interface}"),
            Self::UnsupportedCharacterInName { character } => write!(
                f,
                "the name contains U+{:04X}, which is not a text character the PBX interface can carry",
                u32::from(*character)
            ),
            Self::UnterminatedName => write!(f, "the name has no closing quote"),
        }
    }
}
