//! The journal's file: opening it (one process at a time, its format checked and an older
//! one backed up), reading and writing its records, and compacting it.

use super::{
    COMMANDS, CURRENT_FORMAT, Database, Durability, Entry, FILE_NAME, FORMAT, FlagChanges,
    JournalError, MARKERS, META, NEXT_SEQUENCE, Path, ROOM_DONE, ROOMS, ReadableDatabase,
    ReadableTable, RoomState, SCRIPTS, TableDefinition, WriteTransaction, error,
};

/// Writes `state` as the record of `room` (the counterpart of `decode_room`).
pub(super) fn put_room(
    table: &mut redb::Table<'_, &str, &[u8]>,
    room: &str,
    state: &RoomState,
) -> Result<(), JournalError> {
    let bytes = serde_json::to_vec(state).map_err(|e| error("journal", e))?;
    table
        .insert(room, bytes.as_slice())
        .map_err(|e| error("journal", e))?;
    Ok(())
}

/// A room's stored state; a record that does not read is an error naming the room, never a
/// silent default (which would lose the guest's data).
pub(super) fn decode_room(room: &str, bytes: &[u8]) -> Result<RoomState, JournalError> {
    decode_room_as(room, bytes)
}

/// `room`'s record read as `T`: the whole (`RoomState`) or a part (`Journal::rooms_as`).
pub(super) fn decode_room_as<T: serde::de::DeserializeOwned>(
    room: &str,
    bytes: &[u8],
) -> Result<T, JournalError> {
    serde_json::from_slice(bytes).map_err(|e| {
        error(
            &format!("the journal's record of room {room} does not read"),
            e,
        )
    })
}

/// What the journal's file may keep cached in memory: redb's default (1 GiB) would let a large
/// backlog, read once, hold that much of the service's memory.
const CACHE_BYTES: usize = 64 * 1024 * 1024;

/// Opens (or creates) the journal file, saying so when another process has it.
pub(super) fn open_file(path: &Path) -> Result<Database, JournalError> {
    redb::Builder::new()
        .set_cache_size(CACHE_BYTES)
        .create(path)
        .map_err(|e| match e {
            redb::DatabaseError::DatabaseAlreadyOpen => in_use(path),
            other => error(
                &format!("cannot open the journal `{}`", path.display()),
                other,
            ),
        })
}

pub(super) fn in_use(path: &Path) -> JournalError {
    JournalError::InUse(path.to_owned())
}

/// Refuses a journal written by a newer release.
pub(super) fn check_format(path: &Path, format: Option<u64>) -> Result<(), JournalError> {
    match format {
        Some(newer) if newer > CURRENT_FORMAT => Err(JournalError::Other(format!(
            "the journal `{}` was written by a newer hotelcare (journal format {newer}; this release reads up to {CURRENT_FORMAT}); run that release, or move the state directory aside to start with an empty journal (what it holds would then not run)",
            path.display()
        ))),
        _ => Ok(()),
    }
}

/// The format of a journal older than this release's, if it is (no format at all: format 1).
pub(super) fn older(format: Option<u64>) -> Option<u64> {
    match format {
        None => Some(1),
        Some(older) if older < CURRENT_FORMAT => Some(older),
        Some(_) => None,
    }
}

/// Keeps a copy of a journal of format `older` before this release updates it (in `start`,
/// one transaction).
pub(super) fn backup(state_dir: &Path, path: &Path, older: u64) -> Result<(), JournalError> {
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
pub(super) fn meta(db: &impl ReadableDatabase, key: &str) -> Result<Option<u64>, JournalError> {
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
pub(super) fn stored_format(db: &impl ReadableDatabase) -> Result<Option<u64>, JournalError> {
    meta(db, FORMAT)
}

/// Whether a journal file holds anything (a new file does not).
pub(super) fn has_data(db: &impl ReadableDatabase) -> Result<bool, JournalError> {
    Ok(meta(db, NEXT_SEQUENCE)?.is_some())
}

/// Applies flag changes to the rooms' states inside `txn`.
pub(super) fn apply_flags(txn: &WriteTransaction, flags: &FlagChanges) -> Result<(), JournalError> {
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
        put_room(&mut table, room, &state)?;
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
pub(super) fn copy_live(old: &Database, fresh_path: &Path) -> Result<(), JournalError> {
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
    copy(&read, &write, super::wakeups::PMS_WAKEUPS)?;
    copy(&read, &write, super::charges::STAYS)?;
    copy(&read, &write, super::charges::CALLS)?;
    copy(&read, &write, super::charges::CALL_KEYS)?;
    copy(&read, &write, super::postings::POSTINGS)?;
    copy(&read, &write, super::postings::UNSENT)?;
    write.commit().map_err(|e| error("journal", e))?;
    Ok(())
}

/// Copies every row of `table` (if the old file has it) into the new file's transaction.
pub(super) fn copy<K, V>(
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
pub(super) fn begin_read(
    database: Option<&Database>,
) -> Result<redb::ReadTransaction, JournalError> {
    database
        .ok_or_else(|| {
            JournalError::Other(
                "the journal is not open: it is being opened again after its disk failed (`hotelcare status`), or a compaction failed (restart hotelcare)".into(),
            )
        })?
        .begin_read()
        .map_err(|e| error("journal", e))
}

pub(super) fn encode(entry: &Entry) -> Result<Vec<u8>, JournalError> {
    serde_json::to_vec(entry).map_err(|e| error("cannot encode a journal entry", e))
}

pub(super) fn decode(bytes: &[u8]) -> Result<Entry, JournalError> {
    serde_json::from_slice(bytes).map_err(|e| {
        error(
            "a journal entry cannot be read (written by another version?)",
            e,
        )
    })
}
