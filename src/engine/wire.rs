//! `Wire`: the engine's contract with the wire to one PBX. A wire takes one checked command
//! (`validate::Command`, not a wire request) and carries it out on its PBX; the engine keeps the
//! journal, the ordering, the concurrency, the retry policy, the events and the policy of a
//! property with several PBXs (`pbxs`), and never names a wire type. The wires are
//! `pbx::mixml` and `pbx::mitel_pms`, found through `pbx::registry`; tests plug in their own.
//!
//! Object-safe (`Arc<dyn Wire>`): the PBXs of a property may each have another wire, and a
//! wire's future is boxed once per command, which costs nothing next to a PBX's answer.

use std::future::Future;
use std::pin::Pin;

use serde::{Deserialize, Serialize};
use tokio::sync::mpsc;

use crate::engine::room_flags::FlagChange;
use crate::engine::room_state::RoomState;
use crate::engine::run::{Run, Stopped};
use crate::lang::validate::Guest;
use crate::lang::validate::wakeup::Wakeup;

/// A wire's future: boxed, so that `Wire` is object-safe.
pub(crate) type WireFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// What a command that the PBX confirmed leaves for the room state.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct Done {
    /// The DID a `DID AUTO` check-in was given.
    pub(crate) did_given: Option<String>,
    /// What a `MOVE` carried from the old room, as the PBX had it there.
    pub(crate) moved: Option<Carried>,
    /// `SHOW`: the room's record, labelled, as the PBX has it.
    pub(crate) record: Option<Record>,
    /// A `CHECKIN … REPLACE` found the room vacant on the PBX: nobody was checked out, and
    /// whatever the room held (a DID) it holds still.
    pub(crate) found_vacant: bool,
}

/// A guest's data as a move carries it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct Carried {
    pub(crate) guest: Option<Guest>,
    pub(crate) cor: Option<u8>,
    pub(crate) did: Option<String>,
}

/// A room's record for `SHOW`: its label, its fields in the PBX's order and labels (for
/// people), and the same as typed values (for `reconcile`).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct Record {
    pub(crate) label: Option<String>,
    pub(crate) fields: Vec<RecordField>,
    /// What the PBX has, typed; `None` from a wire that cannot read its PBX.
    pub(crate) snapshot: Option<Snapshot>,
}

/// A room as the PBX has it, in the terms hotelcare compares: names, class of restriction
/// (day, night 1, night 2), DID.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct Snapshot {
    pub(crate) last_name: String,
    pub(crate) first_name: String,
    /// What the phone shows (`Last,First`, or the room's label when vacant).
    pub(crate) directory_name: String,
    pub(crate) cor: [Option<u8>; 3],
    /// `None`: the wire has no DIDs.
    pub(crate) did: Option<String>,
}

/// One field of a record: its label, its value for people (`"Solo"`, `empty`), and for programs
/// (the text the PBX stores).
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct RecordField {
    pub(crate) field: &'static str,
    pub(crate) shown: String,
    pub(crate) value: String,
}

/// A command as a wire would carry it out, without sending it (`plan`, the REPL's plan mode).
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Planned {
    /// For people: the operations or frames, as the monitor shows them.
    pub(crate) text: String,
    /// For programs (`plan --format json`): one document.
    pub(crate) json: serde_json::Value,
}

/// Why a wire could not do what it was asked outside a command.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub(crate) enum WireError {
    /// This wire has no such thing (a general reset over MiXML).
    #[error("this wire has no {0}")]
    Unsupported(&'static str),
    /// It was started and did not finish (the link dropped): what was sent stays sent.
    #[error("{0}")]
    Abandoned(String),
}

/// What a PBX says on its own, outside any command, as its wire reports it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum WireEvent {
    /// The link to the PBX is up.
    LinkUp { text: String },
    /// The link to the PBX is down (it is made again for the next command).
    LinkDown { text: String },
    /// The PBX reported a room's flag (its maid status): recorded in the room state.
    Reported {
        room: String,
        change: FlagChange,
        text: String,
    },
    /// The PBX restarted and asks for every room as it should be (a general reset).
    ResetRequested { text: String },
    /// A wake-up call rang, and ended so.
    WakeupRang {
        room: String,
        at: Wakeup,
        ending: WakeupEnding,
    },
    /// Anything else worth telling.
    Note { text: String, problem: bool },
}

/// How a wake-up call ended, as the PBX reports it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) enum WakeupEnding {
    Answered,
    NoAnswer,
    Busy,
}

impl std::fmt::Display for WakeupEnding {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Self::Answered => "answered",
            Self::NoAnswer => "not answered",
            Self::Busy => "busy",
        })
    }
}

/// Where a wire sends its events.
pub(crate) type WireEvents = mpsc::UnboundedSender<WireEvent>;

/// A wire to one PBX, connected. What a wire is without a connection — its capabilities, its
/// configuration section, how it plans a command — is its row in `pbx::registry`: known before
/// (and without) connecting, as validation and `plan` need it.
pub(crate) trait Wire: Send + Sync {
    /// `user@address` (or the like), for monitors and messages.
    fn target(&self) -> String;

    /// Carries out `run`'s command. Reports every step through `run.emit`, every failed attempt
    /// through `run.failed` (which applies the retry policy), and keeps what a retry must not
    /// read again through `run.keep` before its first write.
    fn execute<'a>(&'a self, run: &'a mut Run<'_>) -> WireFuture<'a, Result<Done, Stopped>>;

    /// The PBX's directory numbers, for completion and `reconcile` (best effort: empty when
    /// unknown, as on a wire that cannot list them).
    fn directory_numbers(&self) -> WireFuture<'_, Vec<String>> {
        Box::pin(async { Vec::new() })
    }

    /// Sends the PBX every room of `rooms` (the expected room state) as it should be: what
    /// reconciles a PBX whose wire cannot read it. `Ok` says what was sent.
    fn general_reset(
        &self,
        rooms: Vec<(String, RoomState)>,
    ) -> WireFuture<'_, Result<String, WireError>> {
        let _ = rooms;
        Box::pin(async { Err(WireError::Unsupported("general reset")) })
    }

    /// Ends the session (best effort; nothing to end on a wire without sessions).
    fn close(&self) -> WireFuture<'_, ()> {
        Box::pin(async {})
    }

    /// Where to report what the PBX says on its own (`WireEvent`). Called once, by the engine
    /// that drives the wire on the journal on disk.
    fn listen(&self, events: WireEvents) {
        let _ = events;
    }
}
