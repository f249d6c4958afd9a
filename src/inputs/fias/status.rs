//! The FIAS link's state as the service shows it: `hotelcare fias status`, `GET /v1/fias`,
//! `/v1/health` and the metrics. One type, shared by the API server and its client.

use std::sync::{Arc, Mutex, PoisonError};

use serde::{Deserialize, Serialize};

use crate::inputs::fias::resync::ResyncReport;

/// Whether the link is up.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub(crate) enum LinkState {
    /// Not yet connected since the service started.
    #[default]
    Connecting,
    Up,
    /// It could not connect, or it dropped; it is tried again (`next_try`).
    Down,
}

/// What became of a record.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub(crate) enum RecordOutcome {
    /// Its commands (or its sharers) are in the journal.
    Journaled,
    /// The same record was applied before.
    Duplicate,
    /// It was refused with a reason; nothing changed.
    Refused,
    /// Nothing hotelcare keeps (a record type or field it does not use).
    Ignored,
    /// The journal could not take it.
    Failed,
}

impl RecordOutcome {
    /// As the metrics label it.
    pub(crate) fn label(self) -> &'static str {
        match self {
            Self::Journaled => "journaled",
            Self::Duplicate => "duplicate",
            Self::Refused => "refused",
            Self::Ignored => "ignored",
            Self::Failed => "failed",
        }
    }
}

/// The last record from the PMS.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct LastRecord {
    /// Its type (`GI`).
    pub(crate) kind: String,
    /// When it came (seconds since the Unix epoch).
    pub(crate) at: u64,
    pub(crate) outcome: RecordOutcome,
}

/// See the module documentation.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct LinkStatus {
    /// The PMS's `host:port`.
    pub(crate) server: String,
    pub(crate) state: LinkState,
    /// Since when (seconds since the Unix epoch).
    pub(crate) since: u64,
    /// Why it is down.
    pub(crate) last_error: Option<String>,
    /// When it is tried again (seconds since the Unix epoch), while down.
    pub(crate) next_try: Option<u64>,
    pub(crate) last_record: Option<LastRecord>,
    pub(crate) last_resync: Option<ResyncReport>,
    /// Rooms whose check-out a resync holds (`hotelcare fias resync --confirm`).
    pub(crate) held: Vec<String>,
}

/// The status, shared between the link and the API.
#[derive(Clone, Debug, Default)]
pub(crate) struct SharedStatus(Arc<Mutex<LinkStatus>>);

impl SharedStatus {
    pub(crate) fn new(server: &str) -> Self {
        Self(Arc::new(Mutex::new(LinkStatus {
            server: server.to_owned(),
            since: now(),
            ..LinkStatus::default()
        })))
    }

    /// A copy of the status now.
    pub(crate) fn get(&self) -> LinkStatus {
        self.0
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    pub(crate) fn update(&self, change: impl FnOnce(&mut LinkStatus)) {
        change(&mut self.0.lock().unwrap_or_else(PoisonError::into_inner));
    }
}

/// Seconds since the Unix epoch.
pub(crate) fn now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}
