//! When the journal's storage fails (a full disk, a failing one): redb latches the I/O error
//! and refuses every later transaction until the file is closed and opened again. The writer
//! thread then answers writes at once with the fault (nothing is claimed journaled that is
//! not), closes the file, and opens it again with a growing pause until a probe write
//! succeeds; past `give_up` it says it cannot recover, and the service exits so that its
//! supervisor restarts it. The fault is published (`Journal::fault`, `Journal::faults`) for
//! `/v1/health`, the log and the service.

use std::sync::Arc;
use std::time::{Duration, Instant};

use redb::Database;
use serde::{Deserialize, Serialize};
use tokio::sync::watch;

use super::{JournalError, META};

/// How the journal's storage is opened again: its file (or, in tests, a backend of theirs).
pub(crate) type Opener = Arc<dyn Fn() -> Result<Database, JournalError> + Send + Sync>;

/// The first pause before the file is opened again; it doubles up to `MAX_PAUSE`.
const FIRST_PAUSE: Duration = Duration::from_millis(500);
const MAX_PAUSE: Duration = Duration::from_secs(30);

/// How long the journal may stay unwritable before the service gives up (and its supervisor
/// restarts it).
pub(crate) const GIVE_UP: Duration = Duration::from_secs(15 * 60);

/// What is wrong with the journal's storage.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct Fault {
    /// The storage's error (`No space left on device`).
    pub(crate) error: String,
    /// Since when (seconds since the Unix epoch).
    pub(crate) since: u64,
    /// It has not recovered within `GIVE_UP`: the service stops.
    pub(crate) gave_up: bool,
}

impl Fault {
    /// What a write is answered while the fault lasts.
    pub(crate) fn refusal(&self, path: &str) -> JournalError {
        JournalError::Unwritable(format!(
            "the journal `{path}` cannot be written ({}): free space on its disk (or fix the disk); hotelcare opens it again by itself, and nothing was accepted meanwhile",
            self.error
        ))
    }
}

/// Whether redb has latched an I/O error: it then refuses every transaction.
pub(super) fn latched(db: &Database) -> bool {
    matches!(
        db.begin_write(),
        Err(redb::TransactionError::Storage(
            redb::StorageError::Io(_) | redb::StorageError::PreviousIo
        ))
    )
}

/// A write that must reach the disk: the storage works again.
pub(super) fn probe(db: &Database) -> Result<(), JournalError> {
    let fail = |e: &dyn std::fmt::Display| JournalError::Other(e.to_string());
    let txn = db.begin_write().map_err(|e| fail(&e))?;
    {
        let mut meta = txn.open_table(META).map_err(|e| fail(&e))?;
        meta.insert("last_probe", crate::support::clock::epoch_secs())
            .map_err(|e| fail(&e))?;
    }
    txn.commit().map_err(|e| fail(&e))
}

/// The writer thread's view of a fault: when to try again, and since when it lasts.
pub(super) struct Recovery {
    pub(super) fault: Fault,
    started: Instant,
    pause: Duration,
    next_try: Instant,
    give_up: Duration,
}

impl Recovery {
    pub(super) fn new(error: String, give_up: Duration) -> Self {
        let now = Instant::now();
        Self {
            fault: Fault {
                error,
                since: crate::support::clock::epoch_secs(),
                gave_up: false,
            },
            started: now,
            pause: FIRST_PAUSE,
            next_try: now + FIRST_PAUSE,
            give_up,
        }
    }

    /// How long until the next try.
    pub(super) fn wait(&self) -> Duration {
        self.next_try.saturating_duration_since(Instant::now())
    }

    /// A try failed (`why`): the pause grows; `true` when it is time to give up (once).
    pub(super) fn failed(&mut self, why: String) -> bool {
        self.fault.error = why;
        self.pause = (self.pause * 2).min(MAX_PAUSE);
        self.next_try = Instant::now() + self.pause;
        if !self.fault.gave_up && self.started.elapsed() >= self.give_up {
            self.fault.gave_up = true;
            return true;
        }
        false
    }
}

/// The published state: `None` while the journal can be written.
pub(super) type Health = watch::Sender<Option<Fault>>;
