//! The writer thread: jobs from every command grouped into one fsynced transaction (group
//! commit), and compaction in between, while no transaction is live. When the storage fails,
//! it refuses writes and opens the file again until it can be written (`fault`).

use std::sync::mpsc::RecvTimeoutError;
use std::time::Duration;

use super::fault::{Health, Opener, Recovery, latched, probe};
use super::{
    Database, Durability, JournalError, Path, RwLock, WriteTransaction, copy_live, error, mpsc,
    oneshot, open_file, thread,
};

pub(super) type Job = Box<dyn FnOnce(&WriteTransaction) -> Result<(), JournalError> + Send>;

/// What the writer thread is asked to do.
pub(super) enum Request {
    /// A job in a write transaction, grouped with others.
    Write(Job, oneshot::Sender<Result<(), JournalError>>),
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
            Ok(Request::Write(_, reply) | Request::Compact(reply)) => {
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

/// The writer thread: takes every job waiting, runs them in one transaction, commits once.
pub(super) fn group_commit(storage: &Storage, jobs: &mpsc::Receiver<Request>) {
    let db = &*storage.db;
    let path = storage.path.as_deref();
    let mut pending = None;
    let mut recovery: Option<Recovery> = None;
    loop {
        if let Some(faulted) = recovery.take() {
            match storage.recover(faulted, jobs) {
                Recovering::Still(still) => recovery = Some(still),
                Recovering::Recovered => {}
                Recovering::Closed => return,
            }
            continue;
        }
        let first = match pending.take() {
            Some(request) => request,
            None => match jobs.recv() {
                Ok(request) => request,
                Err(_) => return,
            },
        };
        let mut batch = match first {
            Request::Write(job, reply) => vec![(job, reply)],
            Request::Compact(reply) => {
                let _ = reply.send(compact_in_place(db, path));
                continue;
            }
        };
        while batch.len() < 1024 {
            match jobs.try_recv() {
                Ok(Request::Write(job, reply)) => batch.push((job, reply)),
                Ok(compact @ Request::Compact(_)) => {
                    pending = Some(compact);
                    break;
                }
                Err(_) => break,
            }
        }
        let mut result = {
            let guard = db.read().unwrap_or_else(std::sync::PoisonError::into_inner);
            match guard.as_ref() {
                Some(db) => commit(db, &mut batch),
                None => Err(JournalError::Other("the journal file could not be opened again after a compaction; restart hotelcare".to_owned())),
            }
        };
        if let Err(why) = &result
            && storage.latched()
        {
            tracing::error!(
                "the journal `{}` cannot be written: {why}; every new command is refused until it can (hotelcare opens it again by itself)",
                storage.shown()
            );
            let faulted = Recovery::new(why.to_string(), storage.give_up);
            result = Err(faulted.fault.refusal(&storage.shown()));
            storage.health.send_replace(Some(faulted.fault.clone()));
            recovery = Some(faulted);
        }
        for (_, reply) in batch {
            let _ = reply.send(result.clone());
        }
    }
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

pub(super) fn commit(
    db: &Database,
    batch: &mut Vec<(Job, oneshot::Sender<Result<(), JournalError>>)>,
) -> Result<(), JournalError> {
    let mut txn = db.begin_write().map_err(|e| error("journal", e))?;
    txn.set_durability(Durability::Immediate)
        .map_err(|e| error("journal", e))?;
    let jobs: Vec<Job> = batch
        .iter_mut()
        .map(|(job, _)| std::mem::replace(job, Box::new(|_| Ok(()))))
        .collect();
    for job in jobs {
        if let Err(e) = job(&txn) {
            txn.abort().map_err(|e| error("journal", e))?;
            return Err(e);
        }
    }
    txn.commit().map_err(|e| error("journal", e))
}
