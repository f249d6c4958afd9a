//! `Journal`: the durable queue of accepted commands, in an embedded redb database.
//!
//! A command is written here (one transaction per batch, fsynced) before its first MiXML
//! request; what its reads found is written before its first write (so a retry after a crash
//! moves the guest's data, not a half-cleared room's); it is deleted once the PBX confirmed every
//! operation, or kept as failed with the reason. Writes from concurrent commands are grouped into
//! one transaction by a writer thread (group commit), so durability costs one fsync per group,
//! not per command.
//!
//! Why redb and not SQLite: pure Rust (no C toolchain on the Windows servers hotels run),
//! crash-safe copy-on-write commits with checksums, and one file that a second process cannot open
//! at the same time, which is the lock we want.

use std::fmt::Display;
use std::path::{Path, PathBuf};
use std::sync::{Arc, RwLock};
use std::thread;

use redb::{
    Database, Durability, ReadableDatabase, ReadableTable, TableDefinition, WriteTransaction,
};
use serde::{Deserialize, Serialize};
use tokio::sync::oneshot;

use crate::engine::room_flags::{FlagChange, FlagChanges};
use crate::engine::room_state::{LastCommand, RoomState};
use crate::lang::validate::{Action, Command};

mod charges;
mod fault;
mod file;
mod inbox;
mod postings;
mod reads;
mod wakeups;
mod writer;

pub(crate) use charges::{Recorded, Stay};
pub(crate) use fault::{Fault, GIVE_UP};
pub(crate) use postings::{Posting, PostingState};
pub(crate) use wakeups::{PmsWakeup, WakeupAnswer};

pub(crate) use file::compact;
use file::{
    apply_flags, backup, begin_read, check_format, copy_live, decode, decode_room, decode_room_as,
    encode, has_data, in_use, older, open_file, put_room, stored_format,
};
pub(crate) use inbox::Running;
use inbox::{Inbox, ShutOnExit};
pub(crate) use writer::Synced;
use writer::{
    GROUP_WINDOW, Job, Request, Storage, Tables, TablesJob, When, Work, Writer, group_commit,
};

const COMMANDS: TableDefinition<'_, u64, &[u8]> = TableDefinition::new("commands");
const META: TableDefinition<'_, &str, u64> = TableDefinition::new("meta");
/// Per room, the sequence number of the last command on it that the PBX confirmed, as formats
/// 1 and 2 wrote it. Since format 3 that is only in the room's record (`RoomState::last`, written
/// in the same transaction, so this table said the same thing again); what an older release
/// wrote here is still read (`Journal::last_done`).
const ROOM_DONE: TableDefinition<'_, &str, u64> = TableDefinition::new("room_done");
/// Named groups of accepted commands (a spool file by name and content hash -> its sequence
/// numbers), written in the same transaction as the commands, so "accepted" is never half true.
const MARKERS: TableDefinition<'_, &str, &[u8]> = TableDefinition::new("markers");
/// Per room, what hotelcare last had confirmed (`RoomState`, JSON), written in the transaction
/// that marks a command done.
const ROOMS: TableDefinition<'_, &str, &[u8]> = TableDefinition::new("rooms");
/// Scripts accepted, by the SHA-256 of their content: a script delivered again (a PMS that
/// re-sends a batch after a crash) is recognised and refused instead of applied twice.
const SCRIPTS: TableDefinition<'_, &str, &[u8]> = TableDefinition::new("scripts");
const NEXT_SEQUENCE: &str = "next_sequence";
/// The journal's format (in `META`). Format 1, the first release, had no such key.
const FORMAT: &str = "format";
/// The format this release writes. Format 2 added script stamps, marker details, the
/// `REPLACE` flag of check-ins (absent in format 1: `false`) and this key. Format 3 no longer
/// writes `ROOM_DONE` (an older release would take what is left there as current, and retry a
/// failed command that a later one overtook, so it must refuse the file). A journal of an older
/// format is opened as it is (its records read as this format's) after a backup copy is made.
pub(crate) const CURRENT_FORMAT: u64 = 3;

/// The journal file inside the state directory.
pub(crate) const FILE_NAME: &str = "journal.redb";

/// Where a command stands.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) enum Status {
    /// Accepted, not yet confirmed by the PBX: executed (again) by the next run.
    Pending,
    /// Refused by the PBX; kept with the reason until `queue retry`.
    Failed,
}

/// How a done command's rooms stand after it, given how each stood before (`Journal::complete`).
pub(crate) type After =
    Box<dyn FnOnce(&dyn Fn(&str) -> RoomState) -> Vec<(String, RoomState)> + Send>;

/// One journaled command.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct Entry {
    /// Order of acceptance; execution order for commands that share a room or the DID pool.
    pub(crate) seq: u64,
    /// `file:line` (or `repl:N`).
    pub(crate) origin: String,
    pub(crate) command: Command,
    pub(crate) status: Status,
    /// Failed attempts so far, over all runs.
    pub(crate) attempts: u32,
    pub(crate) last_error: Option<String>,
    /// What the driver kept before the command's first write (a move's reads, a DID found
    /// free); a resumed command uses it instead of reading again. The wire's own data, opaque
    /// here. (Named `reads` in the journal, as in format 1, whose MiXML reads it holds.)
    #[serde(rename = "reads", default)]
    pub(crate) kept: serde_json::Value,
}

impl Entry {
    /// Whether the command resumes with what it kept from an interrupted run.
    pub(crate) fn resumes(&self) -> bool {
        match &self.kept {
            serde_json::Value::Null => false,
            serde_json::Value::Object(map) => !map.is_empty(),
            _ => true,
        }
    }
}

/// A named group of commands accepted together (a spool file), with what the acceptor wants to
/// remember of it until it is finished (its diagnostics, for the report). A group journaled in
/// several batches adds a run of numbers with each; the details are the latest batch's.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub(crate) struct Marker {
    /// Every number, as releases before batches wrote them.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub(crate) seqs: Vec<u64>,
    /// The numbers as runs (first, how many), in the order they were journaled: a million
    /// commands of one file take a few runs, not a million numbers.
    #[serde(default)]
    pub(crate) runs: Vec<(u64, u64)>,
    #[serde(default)]
    pub(crate) details: serde_json::Value,
}

impl Marker {
    /// The commands' numbers, in the order they were journaled.
    pub(crate) fn seqs(&self) -> impl Iterator<Item = u64> + Clone + '_ {
        self.seqs.iter().copied().chain(
            self.runs
                .iter()
                .flat_map(|&(first, count)| first..first.saturating_add(count)),
        )
    }

    /// Adds `seqs` (consecutive, as one transaction numbers them).
    fn add(&mut self, seqs: &[u64]) {
        let (Some(&first), Some(&last)) = (seqs.first(), seqs.last()) else {
            return;
        };
        let count = last - first + 1;
        match self.runs.last_mut() {
            Some((start, length)) if *start + *length == first => *length += count,
            _ => self.runs.push((first, count)),
        }
    }
}

/// A marker as the journal keeps it.
fn read_marker(bytes: &[u8]) -> Result<Marker, JournalError> {
    serde_json::from_slice(bytes)
        // Journals of the first release kept the sequence numbers alone.
        .or_else(|_| {
            serde_json::from_slice(bytes).map(|seqs| Marker {
                seqs,
                ..Marker::default()
            })
        })
        .map_err(|e| error("a journal marker cannot be read", e))
}

/// A page of the journal's commands (`Journal::page`).
#[derive(Clone, Debug, Default)]
pub(crate) struct Page {
    pub(crate) entries: Vec<Entry>,
    /// Of all the commands kept (on this page or not).
    pub(crate) pending: usize,
    pub(crate) failed: usize,
    /// Commands kept after this page.
    pub(crate) more: usize,
    /// Every command in the journal, kept or not.
    pub(crate) all: usize,
}

/// When a script (by content) was accepted, and as what.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct ScriptStamp {
    /// How it was named then (`tonight.hc`, a spool file).
    pub(crate) name: String,
    /// Seconds since the Unix epoch.
    pub(crate) accepted_at: u64,
    /// Sequence number of the first command accepted with it (commands of one `run` are
    /// numbered together; `None` when it had none).
    pub(crate) first_seq: Option<u64>,
}

/// What is recorded together with a batch of commands, in the same transaction.
#[derive(Clone, Debug, Default)]
pub(crate) struct Extras {
    /// A marker name and its details (see `marked`).
    pub(crate) marker: Option<(String, serde_json::Value)>,
    /// Scripts (content hash, name) the batch completes (see `script_seen`).
    pub(crate) scripts: Vec<(String, String)>,
    /// Refuse the batch (`JournalError::Duplicate`) if one of `scripts` was accepted within this
    /// many seconds: checked in the same transaction, so two deliveries at once cannot both pass.
    pub(crate) refuse_seen_within: Option<u64>,
    /// Room flags the input sets with its commands (a FIAS link's sharers), applied to the room
    /// state in the same transaction: what the input decided and the commands it journaled are
    /// never half written.
    pub(crate) room_flags: FlagChanges,
    /// Wake-ups the PMS books with these commands, kept until it has its answer.
    pub(crate) pms_wakeups: Vec<PmsWakeup>,
    /// A stay its credit limit holds blocked (with the level it had before) or no longer
    /// (`None`), recorded with the `COS` that does it: the ledger and the queue never disagree.
    pub(crate) blocked: Option<(u64, Option<u8>)>,
}

/// A journal problem: the state directory cannot be used. Cloned to every waiter of a group
/// commit that failed.
#[derive(Clone, Debug, thiserror::Error)]
pub(crate) enum JournalError {
    #[error("{0}")]
    Other(String),
    /// The same script was accepted before (see `Extras::refuse_seen_within`).
    #[error("the same script was accepted before as `{}`", .0.name)]
    Duplicate(ScriptStamp),
    /// Another process has the journal open.
    #[error(
        "the journal `{}` is in use by another hotelcare process of this state directory (a `serve`, a `repl` or a `run` still going): stop it or let it finish, then try again (one process per state directory; with `hotelcare serve` running, the other commands go through it)",
        .0.display()
    )]
    InUse(PathBuf),
    /// The storage failed (a full disk): nothing is written until the file is opened again.
    #[error("{0}")]
    Unwritable(String),
}

impl JournalError {
    /// Another process has the journal open.
    pub(crate) fn is_in_use(&self) -> bool {
        matches!(self, Self::InUse(_))
    }
}

fn error(context: &str, e: impl Display) -> JournalError {
    JournalError::Other(format!("{context}: {e}"))
}

/// A handle to the journal; cheap to clone. The file is closed when the last handle is dropped.
#[derive(Clone)]
pub(crate) struct Journal {
    /// `None` only for a moment while a compaction swaps the file (or if reopening it failed).
    /// Readers hold the read lock for as long as their transaction lives.
    db: Arc<RwLock<Option<Database>>>,
    writer: Arc<Writer>,
    path: Option<PathBuf>,
    /// `None` while it can be written; what failed, while it cannot.
    health: Arc<fault::Health>,
}

impl Journal {
    /// Opens (or creates) `state_dir/journal.redb`. Fails with a clear message if another
    /// hotelcare process has it open.
    pub(crate) fn open(state_dir: &Path) -> Result<Self, JournalError> {
        crate::support::files::create_private_dir(state_dir).map_err(|e| {
            error(
                &format!(
                    "cannot create the state directory `{}`",
                    state_dir.display()
                ),
                e,
            )
        })?;
        let path = state_dir.join(FILE_NAME);
        // Looked at without changing it first: a journal of an older format is copied, byte
        // for byte, before this release writes to it.
        let found = match redb::ReadOnlyDatabase::open(&path) {
            Ok(db) => Some((stored_format(&db)?, has_data(&db)?)),
            Err(redb::DatabaseError::DatabaseAlreadyOpen) => return Err(in_use(&path)),
            // New, or in need of recovery after a kill: opened for writing, it is repaired (or
            // created) first, and looked at then.
            Err(_) => None,
        };
        if let Some((format, data)) = found {
            check_format(&path, format)?;
            if let Some(older) = older(format)
                && data
            {
                backup(state_dir, &path, older)?;
            }
        }
        let db = open_file(&path)?;
        // Guest names are in it: owner-only (a journal of an older release was 0644).
        crate::support::files::restrict(&path, false).map_err(|e| {
            error(
                &format!("cannot protect the journal `{}`", path.display()),
                e,
            )
        })?;
        if found.is_none() {
            let format = stored_format(&db)?;
            check_format(&path, format)?;
            if let Some(older) = older(format)
                && has_data(&db)?
            {
                backup(state_dir, &path, older)?;
            }
        }
        let opener: fault::Opener = {
            let path = path.clone();
            Arc::new(move || open_file(&path))
        };
        Self::start(db, Some(path), Some(opener), fault::GIVE_UP, GROUP_WINDOW)
    }

    /// A journal on storage of the caller's (a test's failing disk): `opener` opens it, again
    /// after a fault; the service would give up after `give_up`; a completion waits at most
    /// `window` for an fsync.
    #[cfg(test)]
    pub(crate) fn on_storage(
        opener: fault::Opener,
        give_up: std::time::Duration,
        window: std::time::Duration,
    ) -> Result<Self, JournalError> {
        Self::start(opener()?, None, Some(opener), give_up, window)
    }

    /// What is wrong with the journal's storage, if anything (`/v1/health`).
    pub(crate) fn fault(&self) -> Option<Fault> {
        self.health.borrow().clone()
    }

    /// Told each time the storage fails, recovers, or is given up on.
    pub(crate) fn faults(&self) -> tokio::sync::watch::Receiver<Option<Fault>> {
        self.health.subscribe()
    }

    /// A journal that lives in memory only (`show`, `test-access`, tests).
    pub(crate) fn in_memory() -> Result<Self, JournalError> {
        let db = redb::Builder::new()
            .create_with_backend(redb::backends::InMemoryBackend::new())
            .map_err(|e| error("cannot create an in-memory journal", e))?;
        Self::start(db, None, None, fault::GIVE_UP, GROUP_WINDOW)
    }

    fn start(
        db: Database,
        path: Option<PathBuf>,
        opener: Option<fault::Opener>,
        give_up: std::time::Duration,
        window: std::time::Duration,
    ) -> Result<Self, JournalError> {
        {
            let txn = db.begin_write().map_err(|e| error("journal", e))?;
            txn.open_table(COMMANDS).map_err(|e| error("journal", e))?;
            txn.open_table(META).map_err(|e| error("journal", e))?;
            txn.open_table(MARKERS).map_err(|e| error("journal", e))?;
            txn.open_table(SCRIPTS).map_err(|e| error("journal", e))?;
            txn.open_table(ROOMS).map_err(|e| error("journal", e))?;
            txn.open_table(META)
                .map_err(|e| error("journal", e))?
                .insert(FORMAT, CURRENT_FORMAT)
                .map_err(|e| error("journal", e))?;
            txn.commit().map_err(|e| error("journal", e))?;
        }
        let db = Arc::new(RwLock::new(Some(db)));
        let inbox = Arc::new(Inbox::default());
        let health = Arc::new(tokio::sync::watch::Sender::new(None));
        let storage = Storage {
            db: Arc::clone(&db),
            path: path.clone(),
            opener,
            health: Arc::clone(&health),
            give_up,
            window,
        };
        let thread = thread::Builder::new()
            .name("journal-writer".into())
            .spawn({
                let inbox = Arc::clone(&inbox);
                move || {
                    // However the thread ends, no sender is left waiting.
                    let shut = ShutOnExit(inbox);
                    group_commit(&storage, &shut.0);
                }
            })
            .map_err(|e| error("cannot start the journal writer", e))?;
        let writer = Arc::new(Writer {
            inbox,
            thread: std::sync::Mutex::new(Some(thread)),
        });
        Ok(Self {
            db,
            writer,
            path,
            health,
        })
    }

    /// Counts a command as running while what this returns lives: while several run, a write
    /// that one of them waits for waits a little for the others' (see `writer`).
    pub(crate) fn running(&self) -> Running {
        self.writer.inbox.running()
    }

    /// The file, for messages (`None` in memory).
    pub(crate) fn path(&self) -> Option<&Path> {
        self.path.as_deref()
    }

    /// Runs `job` in a write transaction, grouped with others, durable when this returns.
    async fn write(&self, job: Job) -> Result<(), JournalError> {
        self.ask_writer(|reply| Request::Write(Work::Txn(job), When::Now, reply))
            .await
    }

    /// `write`, of a job on the tables the commit's jobs share.
    async fn write_tables(&self, job: TablesJob) -> Result<(), JournalError> {
        self.ask_writer(|reply| Request::Write(Work::Tables(job), When::Now, reply))
            .await
    }

    /// Commits, durably, every write handed to the writer thread before (see `hand_over`).
    pub(crate) async fn commit_waiting(&self) -> Result<(), JournalError> {
        self.write(Box::new(|_| Ok(()))).await
    }

    /// Hands `job` to the writer thread and returns at once: with `When::Soon` it is committed
    /// with the writes that come within a few milliseconds (`writer::GROUP_WINDOW`). What it
    /// returns tells when it is durable (`Journal::synced`); readers do not see it before.
    fn hand_over(&self, when: When, job: TablesJob) -> Result<Synced, JournalError> {
        let (reply, synced) = oneshot::channel();
        self.send(Request::Write(Work::Tables(job), when, reply))?;
        Ok(synced)
    }

    /// Waits until a write that `hand_over` took is durable.
    pub(crate) async fn synced(synced: Synced) -> Result<(), JournalError> {
        synced.await.unwrap_or_else(|_| {
            Err(JournalError::Other(
                "the journal writer stopped before the write reached the disk".into(),
            ))
        })
    }

    /// Rewrites the journal file with only what is live (see `compact`), while it stays open:
    /// writes wait meanwhile. Finished commands' guest names leave the disk. Does nothing for
    /// a journal in memory.
    pub(crate) async fn compact_now(&self) -> Result<(), JournalError> {
        self.ask_writer(Request::Compact).await
    }

    /// Hands the writer thread a request and waits for its answer.
    async fn ask_writer(
        &self,
        request: impl FnOnce(oneshot::Sender<Result<(), JournalError>>) -> Request,
    ) -> Result<(), JournalError> {
        let (reply, answer) = oneshot::channel();
        self.send(request(reply))?;
        Self::synced(answer).await
    }

    /// Hands the writer thread a request.
    fn send(&self, request: Request) -> Result<(), JournalError> {
        let stopped = || JournalError::Other("the journal writer has stopped".into());
        self.writer.inbox.send(request).map_err(|_| stopped())
    }

    /// The database, read-locked for as long as the guard lives.
    fn database(&self) -> std::sync::RwLockReadGuard<'_, Option<Database>> {
        self.db
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Appends commands as pending, in order, in one transaction; returns their sequence numbers.
    pub(crate) async fn append(
        &self,
        commands: Vec<(String, Command)>,
    ) -> Result<Vec<u64>, JournalError> {
        self.append_with(commands, Extras::default()).await
    }

    /// Appends commands and, in the same transaction, records their sequence numbers (and the
    /// details) under the marker's name (see `marked`) and stamps the scripts they complete.
    pub(crate) async fn append_with(
        &self,
        commands: Vec<(String, Command)>,
        extras: Extras,
    ) -> Result<Vec<u64>, JournalError> {
        let Extras {
            marker,
            scripts,
            refuse_seen_within,
            room_flags,
            pms_wakeups,
            blocked,
        } = extras;
        let (tx, rx) = oneshot::channel::<Result<Vec<u64>, ScriptStamp>>();
        self.write(Box::new(move |txn| {
            if let Some(window) = refuse_seen_within {
                let seen = txn.open_table(SCRIPTS).map_err(|e| error("journal", e))?;
                let now = std::time::SystemTime::now()
                    .duration_since(std::time::UNIX_EPOCH)
                    .map_or(0, |d| d.as_secs());
                for (hash, _) in &scripts {
                    let Some(value) = seen.get(hash.as_str()).map_err(|e| error("journal", e))?
                    else {
                        continue;
                    };
                    // A stamp that does not read is an error, never a skipped duplicate check.
                    let stamp: ScriptStamp =
                        serde_json::from_slice(value.value()).map_err(|e| {
                            error(
                                &format!("the journal's stamp of the script {hash} does not read"),
                                e,
                            )
                        })?;
                    if now.saturating_sub(stamp.accepted_at) < window {
                        let _ = tx.send(Err(stamp));
                        return Ok(());
                    }
                }
            }
            let mut meta = txn.open_table(META).map_err(|e| error("journal", e))?;
            let mut table = txn.open_table(COMMANDS).map_err(|e| error("journal", e))?;
            let mut next = meta
                .get(NEXT_SEQUENCE)
                .map_err(|e| error("journal", e))?
                .map_or(1, |v| v.value());
            let mut seqs = Vec::with_capacity(commands.len());
            for (origin, command) in commands {
                let entry = Entry {
                    seq: next,
                    origin,
                    command,
                    status: Status::Pending,
                    attempts: 0,
                    last_error: None,
                    kept: serde_json::Value::Null,
                };
                table
                    .insert(next, encode(&entry)?.as_slice())
                    .map_err(|e| error("journal", e))?;
                seqs.push(next);
                next += 1;
            }
            meta.insert(NEXT_SEQUENCE, next)
                .map_err(|e| error("journal", e))?;
            if !scripts.is_empty() {
                let mut table = txn.open_table(SCRIPTS).map_err(|e| error("journal", e))?;
                let accepted_at = std::time::SystemTime::now()
                    .duration_since(std::time::UNIX_EPOCH)
                    .map_or(0, |d| d.as_secs());
                for (hash, name) in &scripts {
                    let stamp = ScriptStamp {
                        name: name.clone(),
                        accepted_at,
                        first_seq: seqs.first().copied(),
                    };
                    let bytes = serde_json::to_vec(&stamp).map_err(|e| error("journal", e))?;
                    table
                        .insert(hash.as_str(), bytes.as_slice())
                        .map_err(|e| error("journal", e))?;
                }
            }
            if let Some((name, details)) = marker {
                let mut markers = txn.open_table(MARKERS).map_err(|e| error("journal", e))?;
                let mut marker = match markers
                    .get(name.as_str())
                    .map_err(|e| error("journal", e))?
                {
                    Some(earlier) => read_marker(earlier.value())?,
                    None => Marker::default(),
                };
                marker.add(&seqs);
                marker.details = details;
                let bytes = serde_json::to_vec(&marker).map_err(|e| error("journal", e))?;
                markers
                    .insert(name.as_str(), bytes.as_slice())
                    .map_err(|e| error("journal", e))?;
            }
            apply_flags(txn, &room_flags)?;
            wakeups::book_in(txn, &pms_wakeups)?;
            if let Some((stay, level)) = blocked {
                charges::set_blocked(txn, stay, level)?;
            }
            let _ = tx.send(Ok(seqs));
            Ok(())
        }))
        .await?;
        rx.await
            .map_err(|_| JournalError::Other("journal append lost its answer".into()))?
            .map_err(JournalError::Duplicate)
    }

    /// Replaces an entry (new status, attempts, error, reads).
    pub(crate) async fn update(&self, entry: &Entry) -> Result<(), JournalError> {
        let bytes = encode(entry)?;
        let seq = entry.seq;
        self.write_tables(Box::new(move |tables: &mut Tables<'_>| {
            let table = tables.commands()?;
            let replaced = table
                .insert(seq, bytes.as_slice())
                .map_err(|e| error("journal", e))?
                .is_some();
            // A command dropped meanwhile (`queue drop`) stays dropped (one lookup where a
            // look first and an insert were two: issue 25).
            if !replaced {
                table.remove(seq).map_err(|e| error("journal", e))?;
            }
            Ok(())
        }))
        .await
    }

    /// Records what the PBX reported of a room on its own (maid status, message waiting) in
    /// the room's expected state.
    pub(crate) async fn set_room_flag(
        &self,
        room: &str,
        change: FlagChange,
    ) -> Result<(), JournalError> {
        self.set_room_flags(vec![(room.to_owned(), change)]).await
    }

    /// Sets (or clears) room flags, in one transaction.
    pub(crate) async fn set_room_flags(&self, flags: FlagChanges) -> Result<(), JournalError> {
        self.write(Box::new(move |txn| apply_flags(txn, &flags)))
            .await
    }

    /// Deletes a done command and records how its rooms stand: `after` works that out from
    /// how they stood, as read in the completion's own transaction (one read of each room,
    /// and nothing written meanwhile, such as the PBX's reports or the FIAS link's sharers,
    /// is lost). Handed to the writer when this returns; committed at once if `awaited` (a
    /// later command waits for this one), else within a few milliseconds with what comes
    /// meanwhile (unrelated commands share the fsync). Durable once what it returns says so
    /// (`synced`), and only then may the command be reported done and those waiting for it run.
    pub(crate) fn complete(
        &self,
        entry: &Entry,
        after: After,
        awaited: bool,
    ) -> Result<Synced, JournalError> {
        let seq = entry.seq;
        let origin = entry.origin.clone();
        let keyword = entry.command.action.keyword().to_owned();
        let rooms: Vec<String> = match &entry.command.action {
            // A query changes nothing: it cannot make an older failed command obsolete, and
            // its room's record is not read (a `SHOW` of a room whose record does not read
            // is no reason to fail the commit).
            Action::Show { .. } | Action::Test => Vec::new(),
            action => action.rooms().into_iter().map(str::to_owned).collect(),
        };
        // The credit limit a check-in gives its stay, or a `LIMIT` sets.
        let (limit, set_limit) = entry.command.action.limit();
        let when = if awaited { When::Now } else { When::Soon };
        self.hand_over(
            when,
            Box::new(move |tables: &mut Tables<'_>| {
                tables
                    .commands()?
                    .remove(seq)
                    .map_err(|e| error("journal", e))?;
                let (table, stays) = tables.rooms_and_stays()?;
                let mut stored = Vec::with_capacity(rooms.len());
                for room in &rooms {
                    let state = match table.get(room.as_str()).map_err(|e| error("journal", e))? {
                        Some(bytes) => decode_room(room, bytes.value())?,
                        None => RoomState::default(),
                    };
                    stored.push((room.as_str(), state));
                }
                let stored_of = |room: &str| {
                    stored
                        .iter()
                        .find(|(known, _)| *known == room)
                        .map(|(_, state)| state)
                };
                let now = crate::support::clock::epoch_secs();
                let last = LastCommand {
                    seq,
                    origin,
                    keyword,
                    at: now,
                };
                let mut states = after(&|room: &str| stored_of(room).cloned().unwrap_or_default());
                // Each of its rooms records it as the last command done there, which is what
                // `queue retry` goes by: the journal's own rule, whatever `after` made of them.
                for room in &rooms {
                    if let Some((_, state)) = states.iter_mut().find(|(known, _)| known == room) {
                        state.last = Some(last.clone());
                    } else {
                        let mut state = stored_of(room).cloned().unwrap_or_default();
                        state.last = Some(last.clone());
                        states.push((room.clone(), state));
                    }
                }
                for (room, state) in &states {
                    let old_stay = stored_of(room).and_then(|stored| stored.stay);
                    charges::follow_in(stays, room, (old_stay, state.stay), limit, now)?;
                    if let (Some(limit), Some(stay)) = (set_limit, state.stay) {
                        charges::set_limit(stays, stay, limit)?;
                    }
                    put_room(table, room, state)?;
                }
                Ok(())
            }),
        )
    }

    /// `complete`, and waits until it is durable.
    #[cfg(test)]
    pub(crate) async fn complete_now(
        &self,
        entry: &Entry,
        after: After,
    ) -> Result<(), JournalError> {
        Self::synced(self.complete(entry, after, true)?).await
    }

    /// Takes a command out of the journal without running it (`queue drop`).
    pub(crate) async fn remove(&self, seq: u64) -> Result<(), JournalError> {
        self.write(Box::new(move |txn| {
            let mut table = txn.open_table(COMMANDS).map_err(|e| error("journal", e))?;
            table.remove(seq).map_err(|e| error("journal", e))?;
            Ok(())
        }))
        .await
    }

    /// How many commands are pending.
    pub(crate) fn count_pending(&self) -> Result<usize, JournalError> {
        let guard = self.database();
        let txn = begin_read(guard.as_ref())?;
        let table = txn.open_table(COMMANDS).map_err(|e| error("journal", e))?;
        let mut count = 0;
        for item in table.iter().map_err(|e| error("journal", e))? {
            let (_, value) = item.map_err(|e| error("journal", e))?;
            count += usize::from(decode(value.value())?.status == Status::Pending);
        }
        Ok(count)
    }

    /// The last confirmed command on `room`, if any: its record's, or what a release before
    /// format 3 wrote in `ROOM_DONE`, whichever is later.
    fn last_done(&self, room: &str) -> Result<Option<u64>, JournalError> {
        /// All this needs of a room's record.
        #[derive(Deserialize)]
        struct LastDone {
            last: Option<Seq>,
        }
        #[derive(Deserialize)]
        struct Seq {
            seq: u64,
        }
        let guard = self.database();
        let txn = begin_read(guard.as_ref())?;
        let rooms = txn.open_table(ROOMS).map_err(|e| error("journal", e))?;
        let recorded = match rooms.get(room).map_err(|e| error("journal", e))? {
            Some(bytes) => decode_room_as::<LastDone>(room, bytes.value())?
                .last
                .map(|last| last.seq),
            None => None,
        };
        let older = match txn.open_table(ROOM_DONE) {
            Ok(table) => table
                .get(room)
                .map_err(|e| error("journal", e))?
                .map(|v| v.value()),
            Err(redb::TableError::TableDoesNotExist(_)) => None,
            Err(e) => return Err(error("journal", e)),
        };
        Ok(recorded.max(older))
    }

    /// Marks failed commands pending again (`queue retry`), keeping their order. A failed
    /// command that a later, confirmed command on the same room has overtaken stays failed:
    /// running it now would undo the later one (a check-in retried after the guest's check-out).
    /// Returns the requeued commands and the overtaken ones with the command that overtook them.
    pub(crate) async fn requeue_failed(
        &self,
    ) -> Result<(Vec<Entry>, Vec<(Entry, u64)>), JournalError> {
        let mut requeued = Vec::new();
        let mut overtaken = Vec::new();
        let failed = self
            .page(0, usize::MAX, |e| e.status == Status::Failed)?
            .entries;
        // Every room read first: a record that does not read fails the retry before any
        // command is requeued.
        let mut decided = Vec::with_capacity(failed.len());
        for entry in failed {
            let mut later = None;
            for room in entry.command.action.rooms() {
                if let Some(done) = self.last_done(room)?
                    && done > entry.seq
                {
                    later = later.max(Some(done));
                }
            }
            decided.push((entry, later));
        }
        for (mut entry, later) in decided {
            if let Some(done) = later {
                overtaken.push((entry, done));
            } else {
                entry.status = Status::Pending;
                self.update(&entry).await?;
                requeued.push(entry);
            }
        }
        Ok((requeued, overtaken))
    }

    /// Pending commands after `after`, in order, at most `limit`.
    pub(crate) fn pending_after(
        &self,
        after: u64,
        limit: usize,
    ) -> Result<Vec<Entry>, JournalError> {
        let guard = self.database();
        let txn = begin_read(guard.as_ref())?;
        let table = txn.open_table(COMMANDS).map_err(|e| error("journal", e))?;
        let mut out = Vec::new();
        for item in table.range(after + 1..).map_err(|e| error("journal", e))? {
            let (_, value) = item.map_err(|e| error("journal", e))?;
            let entry = decode(value.value())?;
            if entry.status == Status::Pending {
                out.push(entry);
                if out.len() == limit {
                    break;
                }
            }
        }
        Ok(out)
    }

    /// What was recorded under `marker`, if it was recorded.
    pub(crate) fn marked(&self, marker: &str) -> Result<Option<Marker>, JournalError> {
        let guard = self.database();
        let txn = begin_read(guard.as_ref())?;
        let table = txn.open_table(MARKERS).map_err(|e| error("journal", e))?;
        let Some(value) = table.get(marker).map_err(|e| error("journal", e))? else {
            return Ok(None);
        };
        read_marker(value.value()).map(Some)
    }

    /// Forgets a marker.
    pub(crate) async fn unmark(&self, marker: &str) -> Result<(), JournalError> {
        let marker = marker.to_owned();
        self.write(Box::new(move |txn| {
            let mut table = txn.open_table(MARKERS).map_err(|e| error("journal", e))?;
            table
                .remove(marker.as_str())
                .map_err(|e| error("journal", e))?;
            Ok(())
        }))
        .await
    }
}

#[cfg(test)]
mod tests;
