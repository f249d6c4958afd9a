//! The control protocol: what each request of the local API answers, one type each, shared by
//! the server (`inputs::api`, from `Local`) and its client (`Remote`), so that neither builds
//! JSON by hand nor reads it back by field name. `docs/api.md` documents them.

use serde::{Deserialize, Serialize};

use crate::control::hub::Published;
use crate::diagnostics::DiagnosticRecord;
use crate::monitor::json;

/// `POST /v1/scripts`: the commands journaled, and the script's warnings.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct Submitted {
    pub(crate) seqs: Vec<u64>,
    pub(crate) diagnostics: Vec<DiagnosticRecord>,
    /// The warnings as `check` prints them.
    pub(crate) rendered: String,
}

/// `GET /v1/queue`: the journal's commands, for programs and as `queue list` prints them.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct QueueAnswer {
    pub(crate) queue: json::Queue,
    pub(crate) text: String,
}

/// `POST /v1/queue/retry`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct Retried {
    /// Failed commands made pending again.
    pub(crate) requeued: usize,
    /// Every pending command, in order (the ones to wait for).
    pub(crate) pending: Vec<u64>,
    /// Failed commands a later command on their room has overtaken: they stay failed.
    pub(crate) overtaken: Vec<Overtaken>,
    /// Pending commands that no longer validate under the configuration, with why.
    pub(crate) refused: Vec<String>,
}

/// A failed command that stays failed: running it now would undo a later one.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct Overtaken {
    pub(crate) seq: u64,
    pub(crate) command: String,
    pub(crate) origin: String,
    /// The later command on the same room.
    #[serde(rename = "overtaken_by")]
    pub(crate) later: u64,
}

/// `DELETE /v1/queue/{seq}`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct Dropped {
    pub(crate) dropped: u64,
    pub(crate) text: String,
}

/// `GET /v1/rooms`: the expected room state.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct RoomsAnswer {
    pub(crate) rooms: json::Rooms,
    pub(crate) text: String,
}

/// `GET /v1/rooms/{ext}`, `POST /v1/test-access`: one command run now, outside the journal:
/// its events as the monitor shows them.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub(crate) struct Ran {
    pub(crate) events: Vec<Published>,
}

/// `GET /v1/reconcile`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct Reconciled {
    /// The report, as `reconcile` prints it.
    pub(crate) text: String,
    /// The fix script; `None`: nothing to fix.
    pub(crate) script: Option<String>,
    pub(crate) differences: usize,
    /// A PBX could not be read.
    pub(crate) unreachable: bool,
    /// PBXs whose wire cannot read them: a general reset reconciles them.
    pub(crate) resettable: Vec<String>,
}

/// An answer that is a sentence (`POST /v1/reconcile/general-reset`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct Said {
    pub(crate) text: String,
}

/// `GET /v1/directory-numbers`: the PBXs' directory numbers (for completion).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct DirectoryNumbers {
    pub(crate) numbers: Vec<String>,
}

/// `GET /v1/status`: everything a hotel's IT checks, on one screen (`hotelcare status`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct StatusAnswer {
    /// The service that answered (`None`: no service runs; this is a client's own look).
    pub(crate) service: Option<String>,
    pub(crate) pbxs: Vec<PbxStatus>,
    pub(crate) fias: Option<crate::inputs::fias::status::LinkStatus>,
    pub(crate) pending: usize,
    pub(crate) failed: usize,
    /// The oldest pending command: `#12 COS 1000 LOCAL (tonight.hc:3)`.
    pub(crate) oldest_pending: Option<String>,
    /// The journal file's size in bytes.
    pub(crate) journal_bytes: Option<u64>,
    /// The last problem the service reported, and when (seconds since the Unix epoch).
    pub(crate) last_problem: Option<(String, u64)>,
    /// The journal cannot be written (a full disk): what failed, since when.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) journal_fault: Option<crate::engine::journal::Fault>,
    /// Each PBX's and SMDR port's link, with since when and its last error (a service's).
    #[serde(default)]
    pub(crate) links: Vec<crate::control::links::LinkRow>,
    /// Everything is as it should be: the service runs, every PBX and the FIAS link answer,
    /// no command failed.
    pub(crate) well: bool,
}

/// One PBX in `StatusAnswer`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct PbxStatus {
    pub(crate) name: String,
    pub(crate) target: String,
    /// It answered the last time it was asked (`None`: not known without a service).
    pub(crate) reachable: Option<bool>,
}

/// `POST /v1/dashboard/ticket`: a one-time link to the status page (`hotelcare dashboard`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct DashboardTicket {
    /// `http://127.0.0.1:PORT/login?ticket=...`
    pub(crate) url: String,
    /// How long it may wait before it is opened.
    pub(crate) valid_secs: u64,
}

/// Which part of the queue to show: at most `limit` commands after number `after`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct QueuePage {
    #[serde(default)]
    pub(crate) after: u64,
    #[serde(default = "QueuePage::default_limit")]
    pub(crate) limit: usize,
}

impl QueuePage {
    /// What `queue list` and `GET /v1/queue` show unless asked for another page.
    pub(crate) const DEFAULT_LIMIT: usize = 1_000;
    /// The most one answer carries.
    pub(crate) const MAX_LIMIT: usize = 10_000;

    fn default_limit() -> usize {
        Self::DEFAULT_LIMIT
    }

    /// The limit, at most `MAX_LIMIT`.
    pub(crate) fn bounded(self) -> Self {
        Self {
            limit: self.limit.clamp(1, Self::MAX_LIMIT),
            ..self
        }
    }
}

impl Default for QueuePage {
    fn default() -> Self {
        Self {
            after: 0,
            limit: Self::DEFAULT_LIMIT,
        }
    }
}

/// `GET /v1/instance`, without the token.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct Instance {
    pub(crate) instance: String,
}

/// Every error answer: `{"error": ...}`, and what the kind of error has besides.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct ErrorBody {
    pub(crate) error: String,
    /// A script seen before: when, and as what.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) earlier: Option<String>,
    /// A script with errors: each of them.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub(crate) diagnostics: Vec<DiagnosticRecord>,
    /// The same, as `check` prints them.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) rendered: Option<String>,
}

/// Why a request was not done, on either side of the API: each kind is one HTTP status.
#[derive(Debug, thiserror::Error)]
pub(crate) enum BackendError {
    /// The script has errors; nothing was accepted (422).
    #[error("{message}")]
    Invalid {
        message: String,
        diagnostics: Vec<DiagnosticRecord>,
        rendered: String,
    },
    /// The same script was accepted before (409, with `earlier`).
    #[error("{message}")]
    Duplicate { message: String, earlier: String },
    /// What the request names does not exist: a PBX, a command, a FIAS link (404).
    #[error("{0}")]
    NotFound(String),
    /// It cannot be done now: a command that runs, a general reset with commands pending (409).
    #[error("{0}")]
    Conflict(String),
    /// The request itself is wrong (400).
    #[error("{0}")]
    BadRequest(String),
    /// The service cannot do it now: the journal, a link that is down (503).
    #[error("{0}")]
    Unavailable(String),
    /// Waited too long for a PBX or the PMS (504).
    #[error("{0}")]
    Timeout(String),
    /// A fault of hotelcare's own (500).
    #[error("{0}")]
    Internal(String),
    /// The service could not be reached, or its answer not read.
    #[error(transparent)]
    Remote(#[from] crate::control::remote::RemoteError),
}

impl BackendError {
    /// The HTTP status of this error.
    pub(crate) fn status(&self) -> u16 {
        match self {
            Self::Invalid { .. } => 422,
            Self::Duplicate { .. } | Self::Conflict(_) => 409,
            Self::NotFound(_) => 404,
            Self::BadRequest(_) => 400,
            Self::Unavailable(_) | Self::Remote(_) => 503,
            Self::Timeout(_) => 504,
            Self::Internal(_) => 500,
        }
    }

    /// The answer's body.
    pub(crate) fn body(&self) -> ErrorBody {
        let mut body = ErrorBody {
            error: self.to_string(),
            ..ErrorBody::default()
        };
        match self {
            Self::Invalid {
                diagnostics,
                rendered,
                ..
            } => {
                body.diagnostics.clone_from(diagnostics);
                body.rendered = Some(rendered.clone());
            }
            Self::Duplicate { earlier, .. } => body.earlier = Some(earlier.clone()),
            _ => {}
        }
        body
    }

    /// The error an answer with `status` and `body` is.
    pub(crate) fn from_answer(status: u16, body: ErrorBody) -> Self {
        let ErrorBody {
            error,
            earlier,
            diagnostics,
            rendered,
        } = body;
        match (status, earlier) {
            (422, _) if rendered.is_some() || !diagnostics.is_empty() => Self::Invalid {
                message: error,
                diagnostics,
                rendered: rendered.unwrap_or_default(),
            },
            (409, Some(earlier)) => Self::Duplicate {
                message: error,
                earlier,
            },
            (409, None) => Self::Conflict(error),
            (404, _) => Self::NotFound(error),
            (400 | 422, _) => Self::BadRequest(error),
            (504, _) => Self::Timeout(error),
            (500, _) => Self::Internal(error),
            _ => Self::Unavailable(error),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_error_goes_over_the_wire_and_comes_back_as_itself() {
        let errors = [
            BackendError::Invalid {
                message: "1 error(s); nothing was accepted".into(),
                diagnostics: Vec::new(),
                rendered: "error: ...".into(),
            },
            BackendError::Duplicate {
                message: "seen; nothing was accepted".into(),
                earlier: "seen".into(),
            },
            BackendError::NotFound("no PBX `x`".into()),
            BackendError::Conflict("#7 is running".into()),
            BackendError::BadRequest("not a number".into()),
            BackendError::Unavailable("the journal".into()),
            BackendError::Timeout("the PMS".into()),
            BackendError::Internal("a task".into()),
        ];
        for error in errors {
            let body: ErrorBody =
                serde_json::from_str(&serde_json::to_string(&error.body()).unwrap()).unwrap();
            let back = BackendError::from_answer(error.status(), body);
            assert_eq!(back.to_string(), error.to_string());
            assert_eq!(back.status(), error.status());
        }
    }
}

/// `POST /v1/charges/import`: what became of each SMDR line.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct Imported {
    /// Records journaled now.
    pub(crate) new: usize,
    /// Records journaled before (the same line of the same PBX): nothing changed.
    pub(crate) again: usize,
    /// Of the new ones, outgoing calls whose number no tariff matched (charged 0).
    #[serde(default)]
    pub(crate) without_tariff: usize,
    /// Lines that are not records, with why (1-based line numbers).
    pub(crate) refused: Vec<RefusedLine>,
}

/// A line of an SMDR file that is not a call record.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct RefusedLine {
    pub(crate) line: usize,
    pub(crate) reason: String,
}

/// `GET /v1/charges[?room=EXT]`: the open stays' calls (the room's stay only, with a room).
/// Amounts are decimal strings with exactly `[charges] decimals` places.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct ChargesAnswer {
    pub(crate) stays: Vec<StayCharges>,
}

/// One stay and its calls.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct StayCharges {
    pub(crate) room: String,
    /// The check-in's sequence number that began it.
    pub(crate) stay: u64,
    /// Seconds since the epoch.
    pub(crate) since: u64,
    pub(crate) total: String,
    /// `None`: no limit.
    pub(crate) limit: Option<String>,
    /// The limit holds the room's outside calls blocked.
    pub(crate) blocked: bool,
    pub(crate) calls: Vec<CallLine>,
}

/// One charged call.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct CallLine {
    /// The start, in the PBX's local time (`2026-03-05 17:20:37`).
    pub(crate) start: String,
    /// The digits dialled (personal data: shown to whom may see the guest's folio).
    pub(crate) number: String,
    pub(crate) duration_secs: u32,
    /// `None`: no tariff matched (charged 0).
    pub(crate) tariff: Option<String>,
    pub(crate) amount: String,
    /// Where its posting to the PMS stands (`not posted`: no posting is configured).
    pub(crate) posting: String,
}
