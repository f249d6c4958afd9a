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
use std::sync::{Arc, RwLock, mpsc};
use std::thread;

use redb::{
    Database, Durability, ReadableDatabase, ReadableTable, TableDefinition, WriteTransaction,
};
use serde::{Deserialize, Serialize};
use tokio::sync::oneshot;

use crate::engine::room_flags::{FlagChange, FlagChanges};
use crate::engine::room_state::RoomState;
use crate::lang::validate::{Action, Command};

const COMMANDS: TableDefinition<'_, u64, &[u8]> = TableDefinition::new("commands");
const META: TableDefinition<'_, &str, u64> = TableDefinition::new("meta");
/// Per room, the sequence number of the last command on it that the PBX confirmed: a failed
/// command older than that must not be retried blindly (it would undo the later one).
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
/// `REPLACE` flag of check-ins (absent in format 1: `false`) and this key; a format-1 journal is
/// opened as it is (every format-1 record reads as format 2) after a backup copy is made.
pub(crate) const CURRENT_FORMAT: u64 = 2;

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
/// remember of it until it is finished (its diagnostics, for the report).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub(crate) struct Marker {
    pub(crate) seqs: Vec<u64>,
    #[serde(default)]
    pub(crate) details: serde_json::Value,
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

/// A room's stored state; a record that does not read is an error naming the room, never a
/// silent default (which would lose the guest's data).
fn decode_room(room: &str, bytes: &[u8]) -> Result<RoomState, JournalError> {
    serde_json::from_slice(bytes).map_err(|e| {
        error(
            &format!("the journal's record of room {room} does not read"),
            e,
        )
    })
}

type Job = Box<dyn FnOnce(&WriteTransaction) -> Result<(), JournalError> + Send>;

/// A handle to the journal; cheap to clone. The file is closed when the last handle is dropped.
#[derive(Clone)]
pub(crate) struct Journal {
    /// `None` only for a moment while a compaction swaps the file (or if reopening it failed).
    /// Readers hold the read lock for as long as their transaction lives.
    db: Arc<RwLock<Option<Database>>>,
    writer: Arc<Writer>,
    path: Option<PathBuf>,
}

/// What the writer thread is asked to do.
enum Request {
    /// A job in a write transaction, grouped with others.
    Write(Job, oneshot::Sender<Result<(), JournalError>>),
    /// Rewrite the file without what finished commands left in its free pages (see
    /// `Journal::compact_now`).
    Compact(oneshot::Sender<Result<(), JournalError>>),
}

/// The group-commit thread and its queue; joined on drop so that the file is closed afterwards.
struct Writer {
    queue: std::sync::Mutex<Option<mpsc::Sender<Request>>>,
    thread: std::sync::Mutex<Option<thread::JoinHandle<()>>>,
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
            if format.is_none() && data {
                backup(state_dir, &path, 1)?;
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
            if format.is_none() && has_data(&db)? {
                backup(state_dir, &path, 1)?;
            }
        }
        Self::start(db, Some(path))
    }

    /// A journal that lives in memory only (`show`, `test-access`, tests).
    pub(crate) fn in_memory() -> Result<Self, JournalError> {
        let db = redb::Builder::new()
            .create_with_backend(redb::backends::InMemoryBackend::new())
            .map_err(|e| error("cannot create an in-memory journal", e))?;
        Self::start(db, None)
    }

    fn start(db: Database, path: Option<PathBuf>) -> Result<Self, JournalError> {
        {
            let txn = db.begin_write().map_err(|e| error("journal", e))?;
            txn.open_table(COMMANDS).map_err(|e| error("journal", e))?;
            txn.open_table(META).map_err(|e| error("journal", e))?;
            txn.open_table(MARKERS).map_err(|e| error("journal", e))?;
            txn.open_table(ROOM_DONE).map_err(|e| error("journal", e))?;
            txn.open_table(SCRIPTS).map_err(|e| error("journal", e))?;
            txn.open_table(ROOMS).map_err(|e| error("journal", e))?;
            txn.open_table(META)
                .map_err(|e| error("journal", e))?
                .insert(FORMAT, CURRENT_FORMAT)
                .map_err(|e| error("journal", e))?;
            txn.commit().map_err(|e| error("journal", e))?;
        }
        let db = Arc::new(RwLock::new(Some(db)));
        let (queue, jobs) = mpsc::channel::<Request>();
        let db_for_writer = Arc::clone(&db);
        let path_for_writer = path.clone();
        let thread = thread::Builder::new()
            .name("journal-writer".into())
            .spawn(move || group_commit(&db_for_writer, path_for_writer.as_deref(), &jobs))
            .map_err(|e| error("cannot start the journal writer", e))?;
        let writer = Arc::new(Writer {
            queue: std::sync::Mutex::new(Some(queue)),
            thread: std::sync::Mutex::new(Some(thread)),
        });
        Ok(Self { db, writer, path })
    }

    /// The file, for messages (`None` in memory).
    pub(crate) fn path(&self) -> Option<&Path> {
        self.path.as_deref()
    }

    /// Runs `job` in a write transaction, grouped with others, durable when this returns.
    async fn write(&self, job: Job) -> Result<(), JournalError> {
        self.ask_writer(|reply| Request::Write(job, reply)).await
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
        let stopped = || JournalError::Other("the journal writer has stopped".into());
        self.writer
            .queue
            .lock()
            .map_err(|_| stopped())?
            .as_ref()
            .ok_or_else(stopped)?
            .send(request(reply))
            .map_err(|_| stopped())?;
        answer.await.map_err(|_| stopped())?
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
        } = extras;
        let (tx, rx) = oneshot::channel::<Result<Vec<u64>, ScriptStamp>>();
        self.write(Box::new(move |txn| {
            if let Some(window) = refuse_seen_within {
                let seen = txn.open_table(SCRIPTS).map_err(|e| error("journal", e))?;
                let now = std::time::SystemTime::now()
                    .duration_since(std::time::UNIX_EPOCH)
                    .map_or(0, |d| d.as_secs());
                for (hash, _) in &scripts {
                    if let Some(value) = seen.get(hash.as_str()).map_err(|e| error("journal", e))?
                        && let Ok(stamp) = serde_json::from_slice::<ScriptStamp>(value.value())
                        && now.saturating_sub(stamp.accepted_at) < window
                    {
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
                let marker = Marker {
                    seqs: seqs.clone(),
                    details,
                };
                let bytes = serde_json::to_vec(&marker).map_err(|e| error("journal", e))?;
                markers
                    .insert(name.as_str(), bytes.as_slice())
                    .map_err(|e| error("journal", e))?;
            }
            apply_flags(txn, &room_flags)?;
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
        self.write(Box::new(move |txn| {
            let mut table = txn.open_table(COMMANDS).map_err(|e| error("journal", e))?;
            // A command dropped meanwhile (`queue drop`) stays dropped.
            if table.get(seq).map_err(|e| error("journal", e))?.is_some() {
                table
                    .insert(seq, bytes.as_slice())
                    .map_err(|e| error("journal", e))?;
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

    /// Deletes a done command and records how its rooms stand. A room's flags are what was
    /// written last (the PBX's reports and the FIAS link's sharers may land while the command
    /// ran): only `flags`, the ones the command changed, are applied over them.
    pub(crate) async fn complete(
        &self,
        entry: &Entry,
        states: Vec<(String, RoomState)>,
        flags: FlagChanges,
    ) -> Result<(), JournalError> {
        let seq = entry.seq;
        let rooms: Vec<String> = match &entry.command.action {
            // A query changes nothing: it cannot make an older failed command obsolete.
            Action::Show { .. } | Action::Test => Vec::new(),
            action => action.rooms().into_iter().map(str::to_owned).collect(),
        };
        self.write(Box::new(move |txn| {
            let mut table = txn.open_table(COMMANDS).map_err(|e| error("journal", e))?;
            table.remove(seq).map_err(|e| error("journal", e))?;
            let mut done = txn.open_table(ROOM_DONE).map_err(|e| error("journal", e))?;
            for room in &rooms {
                done.insert(room.as_str(), seq)
                    .map_err(|e| error("journal", e))?;
            }
            let mut table = txn.open_table(ROOMS).map_err(|e| error("journal", e))?;
            for (room, state) in &states {
                let mut state = state.clone();
                if let Some(stored) = table.get(room.as_str()).map_err(|e| error("journal", e))? {
                    state.flags = decode_room(room, stored.value())?.flags;
                }
                for (_, change) in flags.iter().filter(|(changed, _)| changed == room) {
                    state.flags.apply(change.clone());
                }
                let bytes = serde_json::to_vec(&state).map_err(|e| error("journal", e))?;
                table
                    .insert(room.as_str(), bytes.as_slice())
                    .map_err(|e| error("journal", e))?;
            }
            Ok(())
        }))
        .await
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

    /// The last confirmed command on `room`, if any.
    fn last_done(&self, room: &str) -> Result<Option<u64>, JournalError> {
        let guard = self.database();
        let txn = begin_read(guard.as_ref())?;
        let table = txn.open_table(ROOM_DONE).map_err(|e| error("journal", e))?;
        Ok(table
            .get(room)
            .map_err(|e| error("journal", e))?
            .map(|v| v.value()))
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
        for mut entry in self
            .entries()?
            .into_iter()
            .filter(|e| e.status == Status::Failed)
        {
            let mut later = None;
            for room in entry.command.action.rooms() {
                if let Some(done) = self.last_done(room)?
                    && done > entry.seq
                {
                    later = later.max(Some(done));
                }
            }
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
        let bytes = value.value();
        serde_json::from_slice(bytes)
            // Journals of the first release kept the sequence numbers alone.
            .or_else(|_| {
                serde_json::from_slice(bytes).map(|seqs| Marker {
                    seqs,
                    details: serde_json::Value::Null,
                })
            })
            .map(Some)
            .map_err(|e| error("a journal marker cannot be read", e))
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

    /// The JSON record under `key` in `table`, if there is one; `what` names it for errors.
    fn record<T: serde::de::DeserializeOwned>(
        &self,
        table: TableDefinition<'_, &str, &[u8]>,
        key: &str,
        what: &str,
    ) -> Result<Option<T>, JournalError> {
        let guard = self.database();
        let txn = begin_read(guard.as_ref())?;
        let table = txn.open_table(table).map_err(|e| error("journal", e))?;
        let Some(value) = table.get(key).map_err(|e| error("journal", e))? else {
            return Ok(None);
        };
        serde_json::from_slice(value.value())
            .map(Some)
            .map_err(|e| error(&format!("{what} in the journal cannot be read"), e))
    }

    /// How `room` stands, as hotelcare last had it confirmed (`None`: never touched).
    pub(crate) fn room(&self, room: &str) -> Result<Option<RoomState>, JournalError> {
        self.record(ROOMS, room, "a room's state")
    }

    /// Every room hotelcare has touched, by extension.
    pub(crate) fn rooms(&self) -> Result<Vec<(String, RoomState)>, JournalError> {
        let guard = self.database();
        let txn = begin_read(guard.as_ref())?;
        let table = txn.open_table(ROOMS).map_err(|e| error("journal", e))?;
        let mut rooms = Vec::new();
        for row in table.iter().map_err(|e| error("journal", e))? {
            let (room, value) = row.map_err(|e| error("journal", e))?;
            let state = serde_json::from_slice(value.value())
                .map_err(|e| error("a room's state in the journal cannot be read", e))?;
            rooms.push((room.value().to_owned(), state));
        }
        Ok(rooms)
    }

    /// When a script with this content hash was accepted, if it was.
    pub(crate) fn script_seen(&self, hash: &str) -> Result<Option<ScriptStamp>, JournalError> {
        self.record(SCRIPTS, hash, "a script's stamp")
    }

    /// One command, if it is still in the journal (pending or failed).
    pub(crate) fn get(&self, seq: u64) -> Result<Option<Entry>, JournalError> {
        let guard = self.database();
        let txn = begin_read(guard.as_ref())?;
        let table = txn.open_table(COMMANDS).map_err(|e| error("journal", e))?;
        table
            .get(seq)
            .map_err(|e| error("journal", e))?
            .map(|value| decode(value.value()))
            .transpose()
    }

    /// Every command still in the journal (pending and failed), in order.
    pub(crate) fn entries(&self) -> Result<Vec<Entry>, JournalError> {
        let guard = self.database();
        let txn = begin_read(guard.as_ref())?;
        let table = txn.open_table(COMMANDS).map_err(|e| error("journal", e))?;
        table
            .iter()
            .map_err(|e| error("journal", e))?
            .map(|item| {
                let (_, value) = item.map_err(|e| error("journal", e))?;
                decode(value.value())
            })
            .collect()
    }
}

/// Opens (or creates) the journal file, saying so when another process has it.
fn open_file(path: &Path) -> Result<Database, JournalError> {
    Database::create(path).map_err(|e| match e {
        redb::DatabaseError::DatabaseAlreadyOpen => in_use(path),
        other => error(
            &format!("cannot open the journal `{}`", path.display()),
            other,
        ),
    })
}

fn in_use(path: &Path) -> JournalError {
    JournalError::InUse(path.to_owned())
}

/// Refuses a journal written by a newer release.
fn check_format(path: &Path, format: Option<u64>) -> Result<(), JournalError> {
    match format {
        Some(newer) if newer > CURRENT_FORMAT => Err(JournalError::Other(format!(
            "the journal `{}` was written by a newer hotelcare (journal format {newer}; this release reads up to {CURRENT_FORMAT}); run that release, or move the state directory aside to start with an empty journal (what it holds would then not run)",
            path.display()
        ))),
        _ => Ok(()),
    }
}

/// Keeps a copy of a journal of format `older` before this release updates it (in `start`,
/// one transaction).
fn backup(state_dir: &Path, path: &Path, older: u64) -> Result<(), JournalError> {
    let copy = state_dir.join(format!("{FILE_NAME}.format{older}.bak"));
    std::fs::copy(path, &copy)
        .and_then(|_| crate::support::files::restrict(&copy, false))
        .map_err(|e| {
            error(
                &format!(
                    "cannot keep a copy of the journal before updating it (`{}`)",
                    copy.display()
                ),
                e,
            )
        })?;
    tracing::info!(
        "journal `{}` updated from format {older} to {CURRENT_FORMAT}; the old one is kept as `{}`",
        path.display(),
        copy.display()
    );
    Ok(())
}

/// A counter of the `META` table; `None` when it (or the table) is not there.
fn meta(db: &impl ReadableDatabase, key: &str) -> Result<Option<u64>, JournalError> {
    let txn = db.begin_read().map_err(|e| error("journal", e))?;
    match txn.open_table(META) {
        Ok(meta) => Ok(meta
            .get(key)
            .map_err(|e| error("journal", e))?
            .map(|v| v.value())),
        Err(redb::TableError::TableDoesNotExist(_)) => Ok(None),
        Err(e) => Err(error("journal", e)),
    }
}

/// The format a journal says it has; `None` for a new file or one of the first release.
fn stored_format(db: &impl ReadableDatabase) -> Result<Option<u64>, JournalError> {
    meta(db, FORMAT)
}

/// Whether a journal file holds anything (a new file does not).
fn has_data(db: &impl ReadableDatabase) -> Result<bool, JournalError> {
    Ok(meta(db, NEXT_SEQUENCE)?.is_some())
}

/// Applies flag changes to the rooms' states inside `txn`.
fn apply_flags(txn: &WriteTransaction, flags: &FlagChanges) -> Result<(), JournalError> {
    if flags.is_empty() {
        return Ok(());
    }
    let mut table = txn.open_table(ROOMS).map_err(|e| error("journal", e))?;
    for (room, change) in flags {
        let mut state = match table.get(room.as_str()).map_err(|e| error("journal", e))? {
            Some(bytes) => decode_room(room, bytes.value())?,
            None => RoomState::default(),
        };
        state.flags.apply(change.clone());
        let bytes = serde_json::to_vec(&state).map_err(|e| error("journal", e))?;
        table
            .insert(room.as_str(), bytes.as_slice())
            .map_err(|e| error("journal", e))?;
    }
    Ok(())
}

/// Rewrites `state_dir/journal.redb` with only what is live (pending and failed commands,
/// markers, script stamps, counters). A finished command's record is deleted from the journal,
/// but a copy-on-write store keeps the old pages, guest names included, until they happen to be
/// reused; the rewritten file has none of them. Call it when no `Journal` of this directory is
/// open (it fails, changing nothing, if one is). Cost: one pass over the live records.
pub(crate) fn compact(state_dir: &Path) -> Result<(), JournalError> {
    let path = state_dir.join(FILE_NAME);
    if !path.exists() {
        return Ok(());
    }
    let fresh_path = state_dir.join(format!("{FILE_NAME}.compacting"));
    {
        let old = Database::create(&path)
            .map_err(|e| error(&format!("cannot open the journal `{}`", path.display()), e))?;
        copy_live(&old, &fresh_path)?;
    }
    crate::support::files::restrict(&fresh_path, false)
        .map_err(|e| error("cannot protect the compacted journal", e))?;
    std::fs::rename(&fresh_path, &path)
        .map_err(|e| error("cannot replace the journal with its compacted copy", e))?;
    Ok(())
}

/// Writes what is live in `old` (every table) into a new file at `fresh_path`.
fn copy_live(old: &Database, fresh_path: &Path) -> Result<(), JournalError> {
    let _ = std::fs::remove_file(fresh_path);
    let fresh = Database::create(fresh_path)
        .map_err(|e| error(&format!("cannot create `{}`", fresh_path.display()), e))?;
    let read = old.begin_read().map_err(|e| error("journal", e))?;
    let mut write = fresh.begin_write().map_err(|e| error("journal", e))?;
    write
        .set_durability(Durability::Immediate)
        .map_err(|e| error("journal", e))?;
    copy(&read, &write, COMMANDS)?;
    copy(&read, &write, META)?;
    copy(&read, &write, ROOM_DONE)?;
    copy(&read, &write, MARKERS)?;
    copy(&read, &write, SCRIPTS)?;
    copy(&read, &write, ROOMS)?;
    write.commit().map_err(|e| error("journal", e))?;
    Ok(())
}

/// Copies every row of `table` (if the old file has it) into the new file's transaction.
fn copy<K, V>(
    read: &redb::ReadTransaction,
    write: &WriteTransaction,
    table: TableDefinition<'_, K, V>,
) -> Result<(), JournalError>
where
    K: redb::Key + 'static,
    V: redb::Value + 'static,
    for<'a> K::SelfType<'a>: std::borrow::Borrow<K::SelfType<'a>>,
    for<'a> V::SelfType<'a>: std::borrow::Borrow<V::SelfType<'a>>,
{
    let source = match read.open_table(table) {
        Ok(source) => source,
        Err(redb::TableError::TableDoesNotExist(_)) => return Ok(()),
        Err(e) => return Err(error("journal", e)),
    };
    let mut target = write.open_table(table).map_err(|e| error("journal", e))?;
    for row in source.iter().map_err(|e| error("journal", e))? {
        let (key, value) = row.map_err(|e| error("journal", e))?;
        target
            .insert(key.value(), value.value())
            .map_err(|e| error("journal", e))?;
    }
    Ok(())
}

/// A read transaction on the locked database.
fn begin_read(database: Option<&Database>) -> Result<redb::ReadTransaction, JournalError> {
    database
        .ok_or_else(|| {
            JournalError::Other(
                "the journal is not open (a compaction failed); restart hotelcare".into(),
            )
        })?
        .begin_read()
        .map_err(|e| error("journal", e))
}

fn encode(entry: &Entry) -> Result<Vec<u8>, JournalError> {
    serde_json::to_vec(entry).map_err(|e| error("cannot encode a journal entry", e))
}

fn decode(bytes: &[u8]) -> Result<Entry, JournalError> {
    serde_json::from_slice(bytes).map_err(|e| {
        error(
            "a journal entry cannot be read (written by another version?)",
            e,
        )
    })
}

/// The writer thread: takes every job waiting, runs them in one transaction, commits once.
fn group_commit(
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
fn compact_in_place(
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

fn commit(
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lang::validate::Action;

    fn command(room: &str) -> (String, Command) {
        (
            format!("t.hc:{room}"),
            Command {
                line: 1,
                text: format!("CHECKOUT {room}"),
                action: Action::CheckOut { room: room.into() },
                reservation: None,
            },
        )
    }

    #[tokio::test]
    async fn survives_reopening_and_keeps_order_status_reads_and_markers() {
        let dir = tempfile::tempdir().unwrap();
        {
            let journal = Journal::open(dir.path()).unwrap();
            let seqs = journal
                .append_with(
                    vec![command("1"), command("2"), command("3")],
                    Extras {
                        marker: Some(("spool/a.hc".into(), serde_json::json!({"x": 1}))),
                        scripts: vec![("abc".into(), "a.hc".into())],
                        refuse_seen_within: None,
                        room_flags: vec![("9".into(), FlagChange::Reservation(Some("7".into())))],
                    },
                )
                .await
                .unwrap();
            assert_eq!(seqs, [1, 2, 3]);
            assert_eq!(
                journal
                    .room("9")
                    .unwrap()
                    .unwrap()
                    .flags
                    .reservation
                    .as_deref(),
                Some("7"),
                "the flags are written with the commands"
            );
            let second = journal.get(2).unwrap().unwrap();
            journal
                .complete(&second, Vec::new(), Vec::new())
                .await
                .unwrap();
            let mut third = journal.get(3).unwrap().unwrap();
            third.status = Status::Failed;
            third.attempts = 4;
            third.kept = serde_json::json!({"1": [["ServiceLabel", "Room 3"]]});
            journal.update(&third).await.unwrap();
        }
        let journal = Journal::open(dir.path()).unwrap();
        let marker = journal.marked("spool/a.hc").unwrap().unwrap();
        assert_eq!(marker.seqs, [1, 2, 3]);
        assert_eq!(marker.details["x"], 1);
        let stamp = journal.script_seen("abc").unwrap().unwrap();
        assert_eq!((stamp.name.as_str(), stamp.first_seq), ("a.hc", Some(1)));
        assert_eq!(journal.script_seen("abd").unwrap(), None);
        assert_eq!(journal.marked("spool/b.hc").unwrap(), None);
        let entries = journal.entries().unwrap();
        assert_eq!(entries.iter().map(|e| e.seq).collect::<Vec<_>>(), [1, 3]);
        assert_eq!(entries[1].kept["1"][0][1], "Room 3");
        assert_eq!(journal.pending_after(0, 10).unwrap().len(), 1);
        let (requeued, overtaken) = journal.requeue_failed().await.unwrap();
        assert_eq!((requeued.len(), overtaken.len()), (1, 0));
        assert_eq!(journal.pending_after(0, 10).unwrap().len(), 2);
        assert_eq!(journal.pending_after(1, 10).unwrap()[0].seq, 3);
        // Sequence numbers are never reused.
        assert_eq!(journal.append(vec![command("4")]).await.unwrap(), [4]);
    }

    #[tokio::test]
    async fn a_flag_written_while_a_command_ran_survives_its_completion() {
        let journal = Journal::in_memory().unwrap();
        journal.append(vec![command("1")]).await.unwrap();
        let entry = journal.get(1).unwrap().unwrap();
        // The command's new state was worked out from the room as it stood...
        let state = RoomState {
            cor: Some(2),
            ..RoomState::default()
        };
        // ...then the FIAS link (or the PBX) wrote a flag before the command completed.
        journal
            .set_room_flag("1", FlagChange::Reservation(Some("2".into())))
            .await
            .unwrap();
        journal
            .complete(&entry, vec![("1".into(), state)], Vec::new())
            .await
            .unwrap();
        let room = journal.room("1").unwrap().unwrap();
        assert_eq!(room.cor, Some(2));
        assert_eq!(room.flags.reservation.as_deref(), Some("2"));
        // A flag command's own flag is its own.
        let flag = (
            "t.hc:2".to_owned(),
            Command {
                line: 2,
                text: "MW 1 ON".into(),
                action: Action::SetFlag {
                    room: "1".into(),
                    flag: crate::lang::syntax::Flag::MessageWaiting,
                    on: true,
                },
                reservation: None,
            },
        );
        journal.append(vec![flag]).await.unwrap();
        let entry = journal.get(2).unwrap().unwrap();
        journal
            .complete(
                &entry,
                vec![("1".into(), RoomState::default())],
                vec![("1".into(), FlagChange::MessageWaiting(Some(true)))],
            )
            .await
            .unwrap();
        let room = journal.room("1").unwrap().unwrap();
        assert_eq!(room.flags.reservation.as_deref(), Some("2"));
        assert_eq!(room.flags.message_waiting, Some(true));
    }

    #[tokio::test]
    async fn a_failed_command_overtaken_on_its_room_is_not_requeued() {
        let journal = Journal::in_memory().unwrap();
        journal
            .append(vec![command("1"), command("1"), command("2")])
            .await
            .unwrap();
        for seq in [1, 3] {
            let mut failed = journal.get(seq).unwrap().unwrap();
            failed.status = Status::Failed;
            journal.update(&failed).await.unwrap();
        }
        let later = journal.get(2).unwrap().unwrap();
        journal
            .complete(&later, Vec::new(), Vec::new())
            .await
            .unwrap();
        let (requeued, overtaken) = journal.requeue_failed().await.unwrap();
        assert_eq!(requeued.iter().map(|e| e.seq).collect::<Vec<_>>(), [3]);
        assert_eq!(
            overtaken
                .iter()
                .map(|(e, by)| (e.seq, *by))
                .collect::<Vec<_>>(),
            [(1, 2)]
        );
        assert_eq!(journal.count_pending().unwrap(), 1);
    }

    #[tokio::test]
    async fn compaction_keeps_what_is_live_and_drops_what_finished_commands_left() {
        let dir = tempfile::tempdir().unwrap();
        let named = |room: &str, name: &str| {
            (
                format!("t.hc:{room}"),
                Command {
                    line: 1,
                    text: format!("RENAME {room} \"{name}\""),
                    action: Action::CheckOut { room: room.into() },
                    reservation: None,
                },
            )
        };
        {
            let journal = Journal::open(dir.path()).unwrap();
            journal
                .append(vec![
                    named("1", "Gone,Guestname"),
                    named("2", "Kept,Guestname"),
                ])
                .await
                .unwrap();
            let done = journal.get(1).unwrap().unwrap();
            journal
                .complete(&done, Vec::new(), Vec::new())
                .await
                .unwrap();
        }
        let file = dir.path().join(FILE_NAME);
        let contains = |bytes: &[u8], needle: &str| {
            bytes.windows(needle.len()).any(|w| w == needle.as_bytes())
        };
        compact(dir.path()).unwrap();
        let bytes = std::fs::read(&file).unwrap();
        let contains = |needle: &str| contains(&bytes, needle);
        assert!(!contains("Gone,Guestname"));
        assert!(contains("Kept,Guestname"));
        let journal = Journal::open(dir.path()).unwrap();
        assert_eq!(journal.entries().unwrap().len(), 1);
        assert_eq!(journal.append(vec![command("3")]).await.unwrap(), [3]);
        assert!(compact(dir.path()).is_err(), "refused while open");
    }

    #[tokio::test]
    async fn a_journal_of_the_first_release_is_opened_after_a_backup_copy() {
        let dir = tempfile::tempdir().unwrap();
        let fixture =
            Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/journal-v1/journal.redb");
        std::fs::copy(&fixture, dir.path().join(FILE_NAME)).unwrap();
        {
            let journal = Journal::open(dir.path()).unwrap();
            let entries = journal.entries().unwrap();
            let described: Vec<_> = entries
                .iter()
                .map(|e| (e.seq, e.status.clone(), e.command.text.as_str()))
                .collect();
            assert_eq!(
                described,
                [
                    (2, Status::Failed, "COS 4711 BLOCK"),
                    (
                        3,
                        Status::Pending,
                        "CHECKIN 2000 \"Fixture,Guest\" DID AUTO"
                    ),
                    (4, Status::Pending, "MOVE 1000 2000"),
                ]
            );
            assert!(
                matches!(
                    &entries[1].command.action,
                    Action::CheckIn(crate::lang::validate::CheckIn { replace: false, .. })
                ),
                "format 1 had no REPLACE"
            );
            assert_eq!(entries[1].attempts, 1);
            // New commands continue the numbering.
            assert_eq!(journal.append(vec![command("5")]).await.unwrap(), [5]);
        }
        let backup = dir.path().join(format!("{FILE_NAME}.format1.bak"));
        assert_eq!(
            std::fs::read(&backup).unwrap(),
            std::fs::read(&fixture).unwrap()
        );
        // Opened again: already current, no second copy, nothing lost.
        std::fs::remove_file(&backup).unwrap();
        let journal = Journal::open(dir.path()).unwrap();
        assert!(!backup.exists());
        assert_eq!(journal.entries().unwrap().len(), 4);
    }

    #[test]
    fn a_journal_of_a_newer_release_is_refused_with_what_to_do() {
        let dir = tempfile::tempdir().unwrap();
        {
            let db = Database::create(dir.path().join(FILE_NAME)).unwrap();
            let txn = db.begin_write().unwrap();
            txn.open_table(META).unwrap().insert(FORMAT, 99).unwrap();
            txn.commit().unwrap();
        }
        let error = Journal::open(dir.path()).err().unwrap().to_string();
        assert!(
            error.contains("newer hotelcare (journal format 99"),
            "{error}"
        );
        assert!(error.contains("move the state directory aside"), "{error}");
    }

    #[tokio::test]
    async fn a_second_process_is_told_the_journal_is_in_use() {
        let dir = tempfile::tempdir().unwrap();
        let _first = Journal::open(dir.path()).unwrap();
        let error = Journal::open(dir.path()).err().unwrap();
        assert!(
            error
                .to_string()
                .contains("in use by another hotelcare process"),
            "{error}"
        );
    }
}
