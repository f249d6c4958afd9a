//! `Event`: what the engine reports as it works, for monitors and logs. The engine calls a
//! `Sink`; it never knows who listens.

use std::sync::Arc;
use std::time::{Duration, SystemTime};

use crate::engine::journal::{Entry, Reads};
use crate::engine::transport::{Raw, TransportError};
use crate::lower::ops::{Field, Op};
use crate::mixml::Response;

/// Receives every event, from any task; must be quick (it runs on the engine's tasks).
pub type Sink = Arc<dyn Fn(&Event<'_>) + Send + Sync>;

/// Something happened.
pub enum Event<'a> {
    /// One MiXML operation was answered, failed, or was taken from the journal.
    Operation(Operation<'a>),
    /// A command ended (done, failed, or left queued).
    Finished {
        entry: &'a Entry,
        outcome: &'a Outcome,
        /// What the command's reads found (for `SHOW`).
        reads: &'a Reads,
    },
}

/// One operation of a command, as the monitor shows it.
pub struct Operation<'a> {
    pub entry: &'a Entry,
    pub op: &'a Op<'a>,
    /// The values a set sent, resolved (references to reads replaced by what was read).
    pub sent: &'a [(Field, String)],
    pub result: OperationResult<'a>,
    /// When the request was sent.
    pub at: SystemTime,
    pub elapsed: Duration,
    /// A login preceded the request.
    pub logged_in: bool,
    pub raw: Option<&'a Raw>,
}

/// How an operation went.
pub enum OperationResult<'a> {
    Ok(&'a Response),
    /// A read whose result the journal kept from an earlier, interrupted run.
    Kept(&'a [(Field, String)]),
    /// A check on what was read held (nothing was sent).
    Checked,
    /// The PBX answered, but the answer stops the command (a DID held by another room).
    Refused(&'a str),
    Failed {
        error: &'a TransportError,
        attempt: u32,
        /// `Some` when it will be tried again after this pause.
        retry_in: Option<Duration>,
    },
}

/// How a command ended.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// The PBX confirmed every operation.
    Done,
    /// The PBX refused; the command is kept as failed with this reason.
    Failed { reason: String },
    /// Not (fully) carried out and still pending in the journal, for this reason.
    Queued { reason: String },
}
