//! The writer thread: jobs from every command grouped into one fsynced transaction (group
//! commit), and compaction in between, while no transaction is live. When the storage fails,
//! it refuses writes and opens the file again until it can be written (`fault`).
//!
//! A write that may wait (a command's completion: `When::Soon`) is held until a write that
//! may not (the next command's reads, kept before its first write) or until `GROUP_WINDOW` has
//! passed or `GROUP_MAX` writes wait, and committed with it, in the order they came: commands
//! that run one after the other share a commit and its fsync instead of paying one each.
//! A write that may not wait (`When::Now`: its caller waits for the commit) is committed at
//! once, unless other commands are running beside its own (`Journal::running`): their next
//! writes are on their way. It then waits for them, once the writer has taken it, as long as
//! the last commit took and at most `COMMIT_DELAY` (the group-commit delay of `commit_delay`
//! and `commit_siblings` in `PostgreSQL`). Every such write pays that wait while commands run
//! side by side: a check-in's read kept before its first write, a batch accepted, a failed
//! attempt recorded. A run of 1,000 check-ins makes about half as many commits (issue 25).
//! Every write is answered once it is durable. Requests reach the thread through its inbox,
//! which wakes it only for what may not wait for the deadline it sleeps until (`inbox`).

use std::time::{Duration, Instant};

use super::fault::{Health, Opener, Recovery, latched, probe};
use super::inbox::{Held, Inbox, Taken};
use super::{
    Database, Durability, JournalError, Path, RwLock, WriteTransaction, copy_live, error, oneshot,
    open_file, thread,
};

pub(super) type Job = Box<dyn FnOnce(&WriteTransaction) -> Result<(), JournalError> + Send>;

/// A job on the tables every command's writes use, which the jobs of one commit share: each
/// job opening and closing them again cost 2 % of a check-out's instructions (issue 25).
pub(super) type TablesJob =
    Box<dyn for<'t> FnOnce(&mut Tables<'t>) -> Result<(), JournalError> + Send>;

/// What a write does.
pub(super) enum Work {
    /// With the transaction: it opens what it needs (and closes it again).
    Txn(Job),
    /// With the shared tables.
    Tables(TablesJob),
}

/// The tables a commit's `Work::Tables` jobs share: each opened at its first use and kept open
/// until a `Work::Txn` job (which may open any table itself) or the commit.
pub(super) struct Tables<'t> {
    txn: &'t WriteTransaction,
    commands: Option<redb::Table<'t, u64, &'static [u8]>>,
    rooms: Option<redb::Table<'t, &'static str, &'static [u8]>>,
    stays: Option<redb::Table<'t, u64, &'static [u8]>>,
}

/// Opens `definition` into `slot` unless it is open already.
fn opened<'s, 't, K: redb::Key + 'static, V: redb::Value + 'static>(
    txn: &'t WriteTransaction,
    slot: &'s mut Option<redb::Table<'t, K, V>>,
    definition: redb::TableDefinition<'_, K, V>,
) -> Result<&'s mut redb::Table<'t, K, V>, JournalError> {
    if slot.is_none() {
        *slot = Some(
            txn.open_table(definition)
                .map_err(|e| super::error("journal", e))?,
        );
    }
    slot.as_mut()
        .ok_or_else(|| JournalError::Other("journal: a table did not open".into()))
}

impl<'t> Tables<'t> {
    fn new(txn: &'t WriteTransaction) -> Self {
        Self {
            txn,
            commands: None,
            rooms: None,
            stays: None,
        }
    }

    /// Command sequence number -> `Entry`.
    pub(super) fn commands(
        &mut self,
    ) -> Result<&mut redb::Table<'t, u64, &'static [u8]>, JournalError> {
        opened(self.txn, &mut self.commands, super::COMMANDS)
    }

    /// Room -> `RoomState`, and stay -> `Stay`, at once (a room's new state and its stay are
    /// written together).
    #[allow(clippy::type_complexity)]
    pub(super) fn rooms_and_stays(
        &mut self,
    ) -> Result<
        (
            &mut redb::Table<'t, &'static str, &'static [u8]>,
            &mut redb::Table<'t, u64, &'static [u8]>,
        ),
        JournalError,
    > {
        let rooms = opened(self.txn, &mut self.rooms, super::ROOMS)?;
        let stays = opened(self.txn, &mut self.stays, super::charges::STAYS)?;
        Ok((rooms, stays))
    }
}

/// How long a write of `When::Soon` waits at most for company.
pub(super) const GROUP_WINDOW: Duration = Duration::from_millis(4);
/// How many writes at most wait for one commit (a busy service may never be idle for a window).
pub(super) const GROUP_MAX: usize = 64;
/// How many writes one commit takes at most.
const COMMIT_MAX: usize = 1024;
/// How long a write of `When::Now` waits at most for the writes of the commands running beside
/// it (see the module's doc).
const COMMIT_DELAY: Duration = Duration::from_millis(1);

/// When a write must be committed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum When {
    /// At once: its writer waits for it.
    Now,
    /// Within `GROUP_WINDOW`, with the writes that come meanwhile: its writer goes on.
    Soon,
}

/// Told once a write is durable, or that it is not (the storage failed, or its transaction did).
pub(crate) type Synced = oneshot::Receiver<Result<(), JournalError>>;

/// What the writer thread is asked to do.
pub(super) enum Request {
    /// A job in a write transaction, grouped with others; answered once durable.
    Write(Work, When, oneshot::Sender<Result<(), JournalError>>),
    /// Rewrite the file without what finished commands left in its free pages (see
    /// `Journal::compact_now`).
    Compact(oneshot::Sender<Result<(), JournalError>>),
}

/// The group-commit thread and its inbox; joined on drop so that the file is closed afterwards.
pub(super) struct Writer {
    pub(super) inbox: std::sync::Arc<Inbox>,
    pub(super) thread: std::sync::Mutex<Option<thread::JoinHandle<()>>>,
}

impl Drop for Writer {
    fn drop(&mut self) {
        self.inbox.close();
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
    fn recover(&self, mut recovery: Recovery, inbox: &Inbox) -> Recovering {
        match inbox.take(Some(recovery.wait()), Held::default(), usize::MAX) {
            Taken::Requests(requests) => {
                let shown = self.shown();
                for request in requests {
                    refuse(request, &recovery, &shown);
                }
            }
            // Not for a write: nothing to do before the pause is over.
            Taken::Woken => {}
            Taken::TimedOut => match self.reopen() {
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
            Taken::Closed => return Recovering::Closed,
        }
        Recovering::Still(recovery)
    }
}

/// Answers `request` with the storage's fault.
fn refuse(request: Request, recovery: &Recovery, shown: &str) {
    let (Request::Write(_, _, reply) | Request::Compact(reply)) = request;
    let _ = reply.send(Err(recovery.fault.refusal(shown)));
}

/// Where a fault stands after one step of `Storage::recover`.
enum Recovering {
    Still(Recovery),
    Recovered,
    /// Every journal handle is gone: the thread ends.
    Closed,
}

/// The writes waiting to be committed, in the order they came.
#[derive(Default)]
struct Waiting {
    writes: Vec<(Work, oneshot::Sender<Result<(), JournalError>>)>,
    /// When the first of them came.
    since: Option<Instant>,
    /// When the first of them that may not wait came.
    urgent_since: Option<Instant>,
    /// How long the last commit took.
    last_took: Option<Duration>,
}

impl Waiting {
    fn push(
        &mut self,
        job: Work,
        when: When,
        reply: oneshot::Sender<Result<(), JournalError>>,
        now: Instant,
    ) {
        self.writes.push((job, reply));
        self.since.get_or_insert(now);
        if when == When::Now {
            self.urgent_since.get_or_insert(now);
        }
    }

    /// How long a write that may not wait waits for company, with `running` commands (its
    /// own among them): none unless others run, else as long as the last commit took, at most
    /// `COMMIT_DELAY`.
    fn delay(&self, running: usize) -> Duration {
        match self.last_took {
            Some(took) if running > 1 => took.min(COMMIT_DELAY),
            _ => Duration::ZERO,
        }
    }

    /// How long, from `now`, the writer may wait for more (`None`: nothing waits).
    fn patience(&self, window: Duration, now: Instant, running: usize) -> Option<Duration> {
        let soon = self.since.map(|since| since + window);
        let urgent = self.urgent_since.map(|since| since + self.delay(running));
        soon.into_iter()
            .chain(urgent)
            .min()
            .map(|deadline| deadline.saturating_duration_since(now))
    }

    /// Whether they must be committed at `now`.
    fn due(&self, window: Duration, now: Instant, running: usize) -> bool {
        self.writes.len() >= GROUP_MAX
            || self.patience(window, now, running) == Some(Duration::ZERO)
    }

    /// What decides which requests wake the writer while it waits for these.
    fn held(&self) -> Held {
        Held {
            waiting: self.writes.len(),
            urgent: self.urgent_since.is_some(),
        }
    }

    /// Takes the writes out to be committed; how long the last commit took is kept.
    fn take(&mut self) -> Vec<(Work, oneshot::Sender<Result<(), JournalError>>)> {
        self.since = None;
        self.urgent_since = None;
        std::mem::take(&mut self.writes)
    }
}

/// The writer thread: gathers the jobs waiting, runs them in one transaction, commits once.
pub(super) fn group_commit(storage: &Storage, inbox: &Inbox) {
    let db = &*storage.db;
    let path = storage.path.as_deref();
    let mut recovery: Option<Recovery> = None;
    let mut waiting = Waiting::default();
    loop {
        if let Some(faulted) = recovery.take() {
            match storage.recover(faulted, inbox) {
                Recovering::Still(still) => recovery = Some(still),
                Recovering::Recovered => {}
                Recovering::Closed => return,
            }
            continue;
        }
        let patience = waiting.patience(storage.window, Instant::now(), inbox.running_now());
        let most = COMMIT_MAX.saturating_sub(waiting.writes.len());
        let requests = match inbox.take(patience, waiting.held(), most) {
            Taken::Requests(requests) => requests,
            Taken::TimedOut | Taken::Woken => Vec::new(),
            Taken::Closed => {
                commit_waiting(storage, &mut waiting);
                return;
            }
        };
        let mut requests = requests.into_iter();
        for request in requests.by_ref() {
            match request {
                Request::Write(job, when, reply) => {
                    waiting.push(job, when, reply, Instant::now());
                }
                Request::Compact(reply) => {
                    // What waits is committed before the file is rewritten.
                    recovery = commit_waiting(storage, &mut waiting);
                    let result = match &recovery {
                        Some(faulted) => Err(faulted.fault.refusal(&storage.shown())),
                        None => compact_in_place(db, path),
                    };
                    let _ = reply.send(result);
                    if recovery.is_some() {
                        break;
                    }
                }
            }
        }
        if let Some(faulted) = &recovery {
            // As every request while the fault lasts: answered at once with it.
            let shown = storage.shown();
            for request in requests {
                refuse(request, faulted, &shown);
            }
            continue;
        }
        if waiting.due(storage.window, Instant::now(), inbox.running_now()) {
            recovery = commit_waiting(storage, &mut waiting);
        }
    }
}

/// Commits what waits, in one durable transaction, and answers each; what to recover from if
/// the storage failed.
fn commit_waiting(storage: &Storage, waiting: &mut Waiting) -> Option<Recovery> {
    let writes = waiting.take();
    if writes.is_empty() {
        return None;
    }
    let started = Instant::now();
    let (jobs, replies): (Vec<Work>, Vec<_>) = writes.into_iter().unzip();
    let mut result = {
        let guard = storage
            .db
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        match guard.as_ref() {
            Some(db) => commit(db, jobs),
            None => Err(JournalError::Other(
                "the journal file could not be opened again after a compaction; restart hotelcare"
                    .to_owned(),
            )),
        }
    };
    waiting.last_took = Some(started.elapsed());
    let recovery = result
        .as_ref()
        .err()
        .and_then(|why| storage.fault_after(why));
    if let Some(faulted) = &recovery {
        result = Err(faulted.fault.refusal(&storage.shown()));
    }
    for reply in replies {
        let _ = reply.send(result.clone());
    }
    recovery
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

/// Runs the jobs in one durable transaction.
fn commit(db: &Database, jobs: Vec<Work>) -> Result<(), JournalError> {
    let mut txn = db.begin_write().map_err(|e| error("journal", e))?;
    txn.set_durability(Durability::Immediate)
        .map_err(|e| error("journal", e))?;
    let done = run_jobs(&txn, jobs);
    match done {
        Ok(()) => txn.commit().map_err(|e| error("journal", e)),
        Err(e) => {
            txn.abort().map_err(|e| error("journal", e))?;
            Err(e)
        }
    }
}

/// Runs the jobs in order in `txn`; the shared tables are closed before a job that takes the
/// transaction itself (it may open them) and at the end (before the commit).
fn run_jobs(txn: &WriteTransaction, jobs: Vec<Work>) -> Result<(), JournalError> {
    let mut tables: Option<Tables<'_>> = None;
    for job in jobs {
        match job {
            Work::Txn(job) => {
                tables = None;
                job(txn)?;
            }
            Work::Tables(job) => job(tables.get_or_insert_with(|| Tables::new(txn)))?,
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use redb::{ReadableDatabase as _, ReadableTable as _, ReadableTableMetadata as _};

    use super::*;

    fn database() -> Database {
        redb::Builder::new()
            .create_with_backend(redb::backends::InMemoryBackend::new())
            .unwrap()
    }

    fn put(seq: u64) -> Work {
        Work::Tables(Box::new(move |tables: &mut Tables<'_>| {
            let commands = tables.commands()?;
            // What the job before it wrote is there (same transaction, same open table).
            if seq > 1 {
                assert!(commands.get(seq - 1).unwrap().is_some(), "{seq}");
            }
            commands.insert(seq, b"x".as_slice()).unwrap();
            Ok(())
        }))
    }

    /// Writes waiting after a commit that took `took`: one write of `when` that came at `came`.
    fn waiting_after(took: Duration, when: When, came: Instant) -> Waiting {
        let mut waiting = Waiting {
            last_took: Some(took),
            ..Waiting::default()
        };
        waiting.push(put(1), when, oneshot::channel().0, came);
        waiting
    }

    #[test]
    fn a_write_that_may_not_wait_waits_only_while_other_commands_run() {
        let window = Duration::from_secs(60);
        let t0 = Instant::now();
        let micros = Duration::from_micros;
        // Its own command alone (or none: a batch accepted), or nothing committed yet: at once.
        let alone = waiting_after(micros(400), When::Now, t0);
        assert!(alone.due(window, t0, 1));
        assert!(alone.due(window, t0, 0));
        let mut first = Waiting::default();
        first.push(put(1), When::Now, oneshot::channel().0, t0);
        assert!(first.due(window, t0, 16));
        // Others running: as long as the last commit took...
        assert!(!alone.due(window, t0, 2));
        assert_eq!(alone.patience(window, t0, 2), Some(micros(400)));
        assert!(alone.due(window, t0 + micros(400), 2));
        // ...and at most `COMMIT_DELAY`.
        let slow = waiting_after(Duration::from_secs(2), When::Now, t0);
        assert_eq!(slow.patience(window, t0, 16), Some(COMMIT_DELAY));
        // A write that may wait waits for the window, whatever runs...
        let soon = waiting_after(Duration::ZERO, When::Soon, t0);
        assert!(!soon.due(window, t0, 1));
        assert_eq!(soon.patience(window, t0, 16), Some(window));
        // ...and goes with the next that may not.
        let mut both = soon;
        both.push(put(2), When::Now, oneshot::channel().0, t0);
        assert!(both.due(window, t0, 1));
        // Taken out: nothing waits any more; the last commit's time is kept.
        let mut taken = waiting_after(micros(100), When::Now, t0);
        assert_eq!(taken.take().len(), 1);
        assert_eq!(taken.patience(window, t0, 16), None);
        assert_eq!(taken.delay(16), micros(100));
    }

    #[test]
    fn jobs_on_shared_tables_and_jobs_on_the_transaction_take_turns_in_order() {
        let db = database();
        let on_txn = Work::Txn(Box::new(|txn| {
            // The shared table is closed for it: opening it again is no error.
            let mut commands = txn.open_table(super::super::COMMANDS).unwrap();
            assert!(commands.get(2).unwrap().is_some());
            commands.insert(3, b"y".as_slice()).unwrap();
            Ok(())
        }));
        commit(&db, vec![put(1), put(2), on_txn, put(4), put(5)]).unwrap();
        let read = db.begin_read().unwrap();
        let commands = read.open_table(super::super::COMMANDS).unwrap();
        let stored: Vec<u64> = commands
            .iter()
            .unwrap()
            .map(|row| row.unwrap().0.value())
            .collect();
        assert_eq!(stored, [1, 2, 3, 4, 5]);
    }

    #[test]
    fn a_failing_job_leaves_nothing_of_the_commit() {
        let db = database();
        let failing = Work::Tables(Box::new(|_: &mut Tables<'_>| {
            Err(JournalError::Other("no".into()))
        }));
        assert!(commit(&db, vec![put(1), failing]).is_err());
        let read = db.begin_read().unwrap();
        match read.open_table(super::super::COMMANDS) {
            Ok(table) => assert_eq!(table.len().unwrap(), 0),
            Err(redb::TableError::TableDoesNotExist(_)) => {}
            Err(e) => panic!("{e}"),
        }
    }
}
