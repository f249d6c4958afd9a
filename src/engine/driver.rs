//! `Driver`: the engine's contract with a wire to a PBX. A driver takes one checked command
//! (`validate::Command`, not a wire request) and carries it out on its PBX; the engine keeps the
//! journal, the ordering, the concurrency, the retry policy and the events, and never names a
//! wire type. The MiXML driver (`pbx::mixml`) is one; tests plug in their own.
//!
//! Why a generic (`Engine<D: Driver>`) and not `Box<dyn Driver>`: native `async fn` in traits
//! is not object-safe, and boxing every future of every operation buys nothing while one
//! engine drives one kind of wire. A service that drives several wires at once will hold an
//! enum of drivers that implements `Driver` by matching: the seam stays here.

use std::future::Future;

pub use crate::config::Capabilities;
use crate::engine::run::{Run, Stopped};
use crate::lang::validate::{Command, Guest};

/// What a command that the PBX confirmed leaves for the room state.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Done {
    /// The DID a `DID AUTO` check-in was given.
    pub did_given: Option<String>,
    /// What a `MOVE` carried from the old room, as the PBX had it there.
    pub moved: Option<Carried>,
    /// `SHOW`: the room's record, labelled, as the PBX has it.
    pub record: Option<Record>,
}

/// A guest's data as a move carries it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Carried {
    pub guest: Option<Guest>,
    pub cor: Option<u8>,
    pub did: Option<String>,
}

/// A room's record for `SHOW`: its label and its fields, in the PBX's order.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Record {
    pub label: Option<String>,
    pub fields: Vec<RecordField>,
}

/// One field of a record: its label, its value for people (`"Solo"`, `empty`), and for programs
/// (the text the PBX stores).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RecordField {
    pub field: &'static str,
    pub shown: String,
    pub value: String,
}

/// A wire to one PBX.
pub trait Driver: Send + Sync + 'static {
    /// `user@address` (or the like), for monitors and messages.
    fn target(&self) -> String;

    /// What this wire can do.
    fn capabilities(&self) -> Capabilities;

    /// Carries out `run`'s command. Reports every step through `run.emit`, every failed attempt
    /// through `run.failed` (which applies the retry policy), and keeps what a retry must not
    /// read again through `run.keep` before its first write.
    fn execute(&self, run: &mut Run<'_>) -> impl Future<Output = Result<Done, Stopped>> + Send;

    /// The dry run of `command`: what it would send, as text (with `raw`, the wire's own
    /// messages too), for the REPL's plan mode.
    fn plan(&self, origin: &str, command: &Command, raw: bool) -> String;

    /// The PBX's directory numbers, for completion (best effort: empty when unknown).
    fn directory_numbers(&self) -> impl Future<Output = Vec<String>> + Send;

    /// The PBXs this driver reaches, by name: one for a wire, several for a router.
    fn pbx_names(&self) -> Vec<String> {
        vec![crate::config::MAIN.to_owned()]
    }

    /// Whether events name the PBX (a property with several; also a router narrowed to one
    /// of them by `--pbx`).
    fn names_pbxs(&self) -> bool {
        self.pbx_names().len() > 1
    }

    /// Which of `pbx_names` (their indexes) `action` goes to: one, or two for a move between
    /// rooms of two PBXs, or all for `TEST`. The engine keeps "unreachable, queued" and the
    /// concurrency per PBX.
    fn route(&self, action: &crate::lang::validate::Action) -> Vec<usize> {
        let _ = action;
        vec![0]
    }

    /// The DID pool of PBX `pbx`: commands that give DIDs in one pool run one after the other.
    /// PBXs whose number transfer ranges overlap share a pool (a DID is one guest's, whichever
    /// PBX it is on).
    fn did_pool(&self, pbx: usize) -> usize {
        pbx
    }

    /// The Class of Restriction a check-out of `room` sets, where it differs from PBX to PBX
    /// (`None`: the engine's `Options::block_cor`).
    fn block_cor(&self, room: &str) -> Option<u8> {
        let _ = room;
        None
    }

    /// Sends the PBX every room of `rooms` (the expected room state) as it should be: what
    /// reconciles a PBX whose wire cannot read it (Mitel PMS: `GRS` … `END`). `Ok` says what
    /// was sent; `Err` why not (a wire without it, a lost link).
    fn general_reset(
        &self,
        rooms: Vec<(String, crate::engine::RoomState)>,
    ) -> impl Future<Output = Result<String, String>> + Send {
        let _ = rooms;
        async { Err("this wire has no general reset".to_owned()) }
    }

    /// A driver for PBX `pbx` alone (`--pbx NAME`), sharing its wire; `None` when this driver
    /// reaches one PBX only.
    fn only(&self, pbx: usize) -> Option<Self>
    where
        Self: Sized,
    {
        let _ = pbx;
        None
    }

    /// Ends the session (best effort).
    fn close(&self) -> impl Future<Output = ()> + Send;

    /// The journal of the engine that drives it (a wire whose PBX reports on its own records
    /// what it says in the room state, and reads the expected state for a general reset).
    /// Called once by `Engine::new` for a journal on disk.
    /// `notices` reaches the engine's listeners (the monitor, the service's events).
    fn attach(&self, journal: &crate::engine::Journal, notices: crate::engine::Notices) {
        let _ = (journal, notices);
    }
}
