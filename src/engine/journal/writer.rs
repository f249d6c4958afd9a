//! The writer thread: jobs from every command grouped into one fsynced transaction (group
//! commit), and compaction in between, while no transaction is live. When the storage fails,
//! it refuses writes and opens the file again until it can be written (`fault`).
//!
//! A write that need not be durable when it is answered (a command's completion: `When::Applied`)
//! is committed without an fsync; the next durable commit makes it durable with everything
//! before it (redb's commits are ordered), and its waiter is told then. That commit is the next
//! write that must be durable (the next command's reads, kept before its first write), or an
//! fsync of its own once `GROUP_WINDOW` has passed or `GROUP_MAX` such commits wait: commands
//! that run one after the other share an fsync instead of paying one each.

use std::sync::mpsc::RecvTimeoutError;
use std::time::{Duration, Instant};

use super::fault::{Health, Opener, Recovery, latched, probe};
use super::{
    Database, Durability, JournalError, Path, RwLock, WriteTransaction, copy_live, error, mpsc,
    oneshot, open_file, thread,
};

pub(super) type Job = Box<dyn FnOnce(&WriteTransaction) -> Result<(), JournalError> + Send>;

/// How long a write answered before its fsync (`When::Applied`) waits at most for one.
pub(super) const GROUP_WINDOW: Duration = Duration::from_millis(4);
/// How many commits at most wait for an fsync (a busy service may never be idle for a window).
const GROUP_MAX: usize = 64;

/// When a write is answered.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum When {
    /// Once it is durable.
    Durable,
    /// Once it is applied (every reader sees it), with what tells when it is durable too.
    Applied,
}

/// Told once a write answered before its fsync is durable, or that it never will be (the
/// storage failed first).
pub(crate) type Synced = oneshot::Receiver<Result<(), JournalError>>;

/// The answer to a write: `Some` for a write of `When::Applied` that is not yet durable.
pub(super) type Written = Result<Option<Synced>, JournalError>;

/// What the writer thread is asked to do.
pub(super) enum Request {
    /// A job in a write transaction, grouped with others.
    Write(Job, When, oneshot::Sender<Written>),
    /// Rewrite the file without what finished commands left in its free pages (see
    /// `Journal::compact_now`).
    Compact(oneshot::Sender<Result<(), JournalError>>),
}

/// The group-commit thread and its queue; joined on drop so that the file is closed afterwards.
pub(super) struct Writer {
    pub(super) queue: std::sync::Mutex<Option<mpsc::Sender<Request>>>,
    pub(super) thread: std::sync::Mutex<Option<thread::JoinHandle<()>>>,
}

impl Drop for Writer {
    fn drop(&mut self) {
        drop(self.queue.lock().map(|mut q| q.take()));
        if let Ok(mut thread) = self.thread.lock()
            && let Some(handle) = thread.take()
        {
            let _ = handle.join();
        }
    }
}

/// What the writer thread writes to, and how it opens it again.
pub(super) struct Storage {
    pub(super) db: std::sync::Arc<RwLock<Option<Database>>>,
    pub(super) path: Option<std::path::PathBuf>,
    /// `None`: it cannot be opened again (in memory).
    pub(super) opener: Option<Opener>,
    pub(super) health: std::sync::Arc<Health>,
    pub(super) give_up: Duration,
    /// How long a write answered before its fsync waits at most for one (`GROUP_WINDOW`).
    pub(super) window: Duration,
}

impl Storage {
    /// The file, for messages.
    fn shown(&self) -> String {
        self.path
            .as_ref()
            .map_or_else(|| "in memory".to_owned(), |path| path.display().to_string())
    }

    /// The database has latched an I/O error.
    fn latched(&self) -> bool {
        self.db
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .as_ref()
            .is_some_and(latched)
    }

    /// After a failed commit: if the storage has failed (redb latched the error), the fault,
    /// logged and published, to recover from.
    fn fault_after(&self, why: &JournalError) -> Option<Recovery> {
        if !self.latched() {
            return None;
        }
        tracing::error!(
            "the journal `{}` cannot be written: {why}; every new command is refused until it can (hotelcare opens it again by itself)",
            self.shown()
        );
        let faulted = Recovery::new(why.to_string(), self.give_up);
        self.health.send_replace(Some(faulted.fault.clone()));
        Some(faulted)
    }

    /// Closes the failed file and opens it again; kept open only if a write succeeds.
    fn reopen(&self) -> Result<(), JournalError> {
        let Some(opener) = &self.opener else {
            return Err(JournalError::Other(
                "a journal in memory cannot be opened again".into(),
            ));
        };
        let mut guard = self
            .db
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        // One open file at a time: the failed one is closed first.
        drop(guard.take());
        let db = opener()?;
        probe(&db)?;
        *guard = Some(db);
        Ok(())
    }

    /// While the storage has failed: writes are answered with the fault at once; the file is
    /// opened again when the pause is over.
    fn recover(&self, mut recovery: Recovery, jobs: &mpsc::Receiver<Request>) -> Recovering {
        match jobs.recv_timeout(recovery.wait()) {
            Ok(Request::Write(_, _, reply)) => {
                let _ = reply.send(Err(recovery.fault.refusal(&self.shown())));
            }
            Ok(Request::Compact(reply)) => {
                let _ = reply.send(Err(recovery.fault.refusal(&self.shown())));
            }
            Err(RecvTimeoutError::Timeout) => match self.reopen() {
                Ok(()) => {
                    tracing::info!(
                        "the journal `{}` can be written again (it could not since {}: {})",
                        self.shown(),
                        crate::diagnostics::LocalTime(recovery.fault.since),
                        recovery.fault.error
                    );
                    self.health.send_replace(None);
                    return Recovering::Recovered;
                }
                Err(why) => {
                    if recovery.failed(why.to_string()) {
                        tracing::error!(
                            "the journal `{}` has not been writable for {} minutes ({}); the service stops so that it can be restarted",
                            self.shown(),
                            self.give_up.as_secs() / 60,
                            recovery.fault.error
                        );
                    }
                    self.health.send_replace(Some(recovery.fault.clone()));
                }
            },
            Err(RecvTimeoutError::Disconnected) => return Recovering::Closed,
        }
        Recovering::Still(recovery)
    }
}

/// Where a fault stands after one step of `Storage::recover`.
enum Recovering {
    Still(Recovery),
    Recovered,
    /// Every journal handle is gone: the thread ends.
    Closed,
}

/// Writes committed without an fsync, waiting for one.
#[derive(Default)]
struct Unsynced {
    /// Their waiters.
    waiters: Vec<oneshot::Sender<Result<(), JournalError>>>,
    /// When the first of them was committed.
    since: Option<Instant>,
}

impl Unsynced {
    /// How long the writer may wait for a request before it must fsync (`None`: as long as it
    /// likes, nothing waits).
    fn patience(&self, window: Duration) -> Option<Duration> {
        self.since
            .map(|since| (since + window).saturating_duration_since(Instant::now()))
    }

    /// Whether the next commit must be durable anyway.
    fn due(&self, window: Duration) -> bool {
        self.waiters.len() >= GROUP_MAX || self.patience(window) == Some(Duration::ZERO)
    }

    /// Tells every waiter how it ended.
    fn settle(&mut self, result: &Result<(), JournalError>) {
        self.since = None;
        for waiter in self.waiters.drain(..) {
            let _ = waiter.send(result.clone());
        }
    }
}

/// One write of a batch.
type Batched = (Job, When, oneshot::Sender<Written>);

/// The writer thread: takes every job waiting, runs them in one transaction, commits once.
pub(super) fn group_commit(storage: &Storage, jobs: &mpsc::Receiver<Request>) {
    let db = &*storage.db;
    let path = storage.path.as_deref();
    let mut pending = None;
    let mut recovery: Option<Recovery> = None;
    let mut unsynced = Unsynced::default();
    loop {
        if let Some(faulted) = recovery.take() {
            match storage.recover(faulted, jobs) {
                Recovering::Still(still) => recovery = Some(still),
                Recovering::Recovered => {}
                Recovering::Closed => return,
            }
            continue;
        }
        let first = if let Some(request) = pending.take() {
            request
        } else {
            let next = match unsynced.patience(storage.window) {
                None => jobs.recv().map_err(|_| RecvTimeoutError::Disconnected),
                Some(patience) => jobs.recv_timeout(patience),
            };
            match next {
                Ok(request) => request,
                // Nothing came within the window (or the journal was closed): their own fsync.
                Err(timeout_or_closed) => {
                    recovery = flush(storage, &mut unsynced);
                    if timeout_or_closed == RecvTimeoutError::Disconnected {
                        return;
                    }
                    continue;
                }
            }
        };
        let mut batch: Vec<Batched> = match first {
            Request::Write(job, when, reply) => vec![(job, when, reply)],
            Request::Compact(reply) => {
                // What is not durable yet is made durable before the file is rewritten.
                recovery = flush(storage, &mut unsynced);
                let result = match &recovery {
                    Some(faulted) => Err(faulted.fault.refusal(&storage.shown())),
                    None => compact_in_place(db, path),
                };
                let _ = reply.send(result);
                continue;
            }
        };
        while batch.len() < 1024 {
            match jobs.try_recv() {
                Ok(Request::Write(job, when, reply)) => batch.push((job, when, reply)),
                Ok(compact @ Request::Compact(_)) => {
                    pending = Some(compact);
                    break;
                }
                Err(_) => break,
            }
        }
        let durable =
            unsynced.due(storage.window) || batch.iter().any(|(_, when, _)| *when == When::Durable);
        let mut result = {
            let guard = db.read().unwrap_or_else(std::sync::PoisonError::into_inner);
            match guard.as_ref() {
                Some(db) => commit(db, &mut batch, durable),
                None => Err(reopen_failed()),
            }
        };
        if let Err(why) = &result
            && let Some(faulted) = storage.fault_after(why)
        {
            result = Err(faulted.fault.refusal(&storage.shown()));
            recovery = Some(faulted);
        }
        match &result {
            // Everything committed before is durable with it.
            Ok(()) if durable => unsynced.settle(&Ok(())),
            Ok(()) => {
                unsynced.since.get_or_insert_with(Instant::now);
            }
            // The file is opened again: what was not durable is gone with it.
            Err(why) if recovery.is_some() => unsynced.settle(&Err(why.clone())),
            // A job refused the batch: what was committed before stays, waiting for its fsync.
            Err(_) => {}
        }
        for (_, when, reply) in batch {
            let answer = match &result {
                Ok(()) if when == When::Applied && !durable => {
                    let (waiter, synced) = oneshot::channel();
                    unsynced.waiters.push(waiter);
                    Ok(Some(synced))
                }
                Ok(()) => Ok(None),
                Err(why) => Err(why.clone()),
            };
            let _ = reply.send(answer);
        }
    }
}

/// Makes what was committed without an fsync durable (an empty durable commit) and tells its
/// waiters; what to recover from if the storage failed.
fn flush(storage: &Storage, unsynced: &mut Unsynced) -> Option<Recovery> {
    if unsynced.waiters.is_empty() {
        unsynced.since = None;
        return None;
    }
    let result = {
        let guard = storage
            .db
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        match guard.as_ref() {
            Some(db) => commit(db, &mut Vec::new(), true),
            None => Err(reopen_failed()),
        }
    };
    let recovery = result
        .as_ref()
        .err()
        .and_then(|why| storage.fault_after(why));
    // Not durable: its command is not reported done (even if a later fsync saves it).
    unsynced.settle(&result);
    recovery
}

fn reopen_failed() -> JournalError {
    JournalError::Other(
        "the journal file could not be opened again after a compaction; restart hotelcare"
            .to_owned(),
    )
}

/// Copies what is live into a fresh file beside the journal, closes the journal, puts the fresh
/// file in its place and opens that: under the write lock, so no transaction is live. If the
/// swap fails, the journal is opened again as it was.
pub(super) fn compact_in_place(
    db: &RwLock<Option<Database>>,
    path: Option<&Path>,
) -> Result<(), JournalError> {
    let Some(path) = path else {
        return Ok(());
    };
    let mut guard = db
        .write()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    let fresh_path = path.with_extension("redb.compacting");
    {
        let Some(old) = guard.as_ref() else {
            return Err(JournalError::Other("the journal is not open".into()));
        };
        copy_live(old, &fresh_path).map_err(|e| error("compacting the journal", e))?;
    }
    // Closed before the rename: Windows renames no open file.
    drop(guard.take());
    let swapped = crate::support::files::restrict(&fresh_path, false)
        .and_then(|()| std::fs::rename(&fresh_path, path));
    let reopened = open_file(path);
    match (swapped, reopened) {
        (Ok(()), Ok(db)) => {
            *guard = Some(db);
            Ok(())
        }
        (Err(why), Ok(db)) => {
            *guard = Some(db);
            let _ = std::fs::remove_file(&fresh_path);
            Err(error(
                "the compacted journal could not replace the old one",
                why,
            ))
        }
        (_, Err(error)) => Err(error),
    }
}

/// Runs the batch's jobs in one transaction; fsynced if `durable`.
fn commit(db: &Database, batch: &mut [Batched], durable: bool) -> Result<(), JournalError> {
    let mut txn = db.begin_write().map_err(|e| error("journal", e))?;
    txn.set_durability(if durable {
        Durability::Immediate
    } else {
        Durability::None
    })
    .map_err(|e| error("journal", e))?;
    let jobs: Vec<Job> = batch
        .iter_mut()
        .map(|(job, _, _)| std::mem::replace(job, Box::new(|_| Ok(()))))
        .collect();
    for job in jobs {
        if let Err(e) = job(&txn) {
            txn.abort().map_err(|e| error("journal", e))?;
            return Err(e);
        }
    }
    txn.commit().map_err(|e| error("journal", e))
}
