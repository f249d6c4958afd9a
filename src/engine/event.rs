//! `Event`: what the engine reports as it works, for monitors and logs, in words that do not
//! depend on the wire: a driver describes each step (the operation as text, the fields it sent
//! with their values, what came back); the engine adds the command and its place. The engine
//! calls a `Sink`; it never knows who listens.

use std::sync::Arc;
use std::time::{Duration, SystemTime};

use crate::engine::journal::Entry;
use crate::engine::wire::Record;

/// Receives every event, from any task; must be quick (it runs on the engine's tasks).
pub(crate) type Sink = Arc<dyn Fn(&Event<'_>) + Send + Sync>;

/// Something happened.
pub(crate) enum Event<'a> {
    /// One step of a command (a request to the PBX, a check on what was read) ended, failed,
    /// or was taken from the journal.
    Step(Step<'a>),
    /// A command ended (done, failed, or left queued).
    Finished {
        entry: &'a Entry,
        /// The PBX (`east`, `east->west` for a move between two) when there are several.
        pbx: Option<&'a str>,
        outcome: &'a Outcome,
        /// `SHOW`: the room's record.
        record: Option<&'a Record>,
    },
    /// The link to PBX `pbx` is up or down, in words.
    Link {
        pbx: &'a str,
        up: bool,
        text: &'a str,
    },
    /// The wire says something outside any command (what the PBX reported on its own).
    Notice { text: &'a str, problem: bool },
}

/// A field and its value as shown to people (`Last Name`, `"Solo"`), in the wire's own labels.
pub(crate) type Shown = (&'static str, String);

/// What a step is: on which room, what it does.
#[derive(Clone, Debug)]
pub(crate) struct StepHeader<'a> {
    pub(crate) room: &'a str,
    /// `read`, `set`, `find`, `check`, `info`, or the wire's own verbs.
    pub(crate) verb: &'static str,
    /// The whole operation as the monitor shows it (`set  Service Details  COR Day=1, ...`).
    pub(crate) operation: String,
    /// The values sent, for machine-readable output.
    pub(crate) fields: Vec<(&'static str, String)>,
}

/// One step of a command, as the monitor shows it.
pub(crate) struct Step<'a> {
    pub(crate) entry: &'a Entry,
    /// The PBX the step went to, when there are several.
    pub(crate) pbx: Option<&'a str>,
    pub(crate) header: &'a StepHeader<'a>,
    pub(crate) result: StepResult<'a>,
    /// When the request was sent.
    pub(crate) at: SystemTime,
    pub(crate) elapsed: Duration,
    /// A login preceded the request.
    pub(crate) logged_in: bool,
    pub(crate) raw: Option<&'a Raw>,
}

/// How a step went.
pub(crate) enum StepResult<'a> {
    /// The PBX answered; `detail` says what, in words (`Service Label="Room 2000"`); `read` is
    /// what a read returned, field by field.
    Ok {
        detail: Option<&'a str>,
        read: &'a [Shown],
    },
    /// A read whose result the journal kept from an earlier, interrupted run: in words, and
    /// field by field.
    Kept { detail: &'a str, read: &'a [Shown] },
    /// A check on what was read held, or chose what runs next (`detail`); nothing was sent.
    Checked { detail: Option<&'a str> },
    /// The PBX answered, but the answer stops the command (a DID held by another room).
    Refused(&'a str),
    Failed {
        error: &'a str,
        attempt: u32,
        /// `Some` when it will be tried again after this pause.
        retry_in: Option<Duration>,
    },
}

/// What went over the wire, for `--raw` monitors; passwords and session ids always masked.
#[derive(Clone, Debug, Default)]
pub(crate) struct Raw {
    pub(crate) request: String,
    pub(crate) response: String,
}

impl Raw {
    /// Two exchanges in order (a login and the request after it) as one.
    pub(crate) fn join(first: Option<Raw>, second: Option<Raw>) -> Option<Raw> {
        match (first, second) {
            (Some(a), Some(b)) => Some(Raw {
                request: format!("{}\n{}", a.request, b.request),
                response: format!("{}\n{}", a.response, b.response),
            }),
            (a, b) => b.or(a),
        }
    }
}

/// How a command ended.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Outcome {
    /// The PBX confirmed every operation.
    Done,
    /// The PBX refused; the command is kept as failed with this reason.
    Failed { reason: String },
    /// Not (fully) carried out and still pending in the journal, for this reason; `behind`: only
    /// because an earlier command on the same room or DID is still queued; `again`: an earlier
    /// drain of this process left it queued too (a retry round of a PBX still down), so its
    /// line is logged at debug level only.
    Queued {
        reason: String,
        behind: bool,
        again: bool,
    },
}
