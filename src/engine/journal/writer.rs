//! The writer thread: jobs from every command grouped into one fsynced transaction (group
//! commit), and compaction in between, while no transaction is live.

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

/// The writer thread: takes every job waiting, runs them in one transaction, commits once.
pub(super) fn group_commit(
    db: &RwLock<Option<Database>>,
    path: Option<&Path>,
    jobs: &mpsc::Receiver<Request>,
) {
    let mut pending = None;
    loop {
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
        let result = {
            let guard = db.read().unwrap_or_else(std::sync::PoisonError::into_inner);
            match guard.as_ref() {
                Some(db) => commit(db, &mut batch),
                None => Err(JournalError::Other("the journal file could not be opened again after a compaction; restart hotelcare".to_owned())),
            }
        };
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
