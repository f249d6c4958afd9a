//! What is read of the journal without writing: rooms, entries, pages, script stamps. Each
//! read is its own read transaction, so a reader never waits for the writer.

use redb::{ReadableTable, TableDefinition};

use super::{
    COMMANDS, Entry, Journal, JournalError, Page, ROOMS, SCRIPTS, ScriptStamp, Status, begin_read,
    decode, decode_room_as, error,
};
use crate::engine::room_state::RoomState;

impl Journal {
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
        self.room_as(room)
    }

    /// `room`'s record read as `T`: the whole, or a part for a read that writes nothing back
    /// (see `rooms_as`).
    pub(crate) fn room_as<T: serde::de::DeserializeOwned>(
        &self,
        room: &str,
    ) -> Result<Option<T>, JournalError> {
        self.record(ROOMS, room, "a room's state")
    }

    /// Every room hotelcare has touched, by extension.
    pub(crate) fn rooms(&self) -> Result<Vec<(String, RoomState)>, JournalError> {
        self.rooms_as()
    }

    /// Every room hotelcare has touched, by extension, its record read as `T`: the whole
    /// (`RoomState`), or only the fields a part names (the rest is scanned, not built). A part
    /// is for reads that write nothing back: a state written from it would lose the rest.
    pub(crate) fn rooms_as<T: serde::de::DeserializeOwned>(
        &self,
    ) -> Result<Vec<(String, T)>, JournalError> {
        let guard = self.database();
        let txn = begin_read(guard.as_ref())?;
        let table = txn.open_table(ROOMS).map_err(|e| error("journal", e))?;
        let mut rooms = Vec::new();
        for row in table.iter().map_err(|e| error("journal", e))? {
            let (room, value) = row.map_err(|e| error("journal", e))?;
            let room = room.value().to_owned();
            let state = decode_room_as(&room, value.value())?;
            rooms.push((room, state));
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
    /// At most `limit` commands after sequence number `after` that `keep` keeps, in order, with
    /// the counts of all those `keep` keeps: a look at a queue of any length in bounded memory.
    pub(crate) fn page(
        &self,
        after: u64,
        limit: usize,
        keep: impl Fn(&Entry) -> bool,
    ) -> Result<Page, JournalError> {
        let guard = self.database();
        let txn = begin_read(guard.as_ref())?;
        let table = txn.open_table(COMMANDS).map_err(|e| error("journal", e))?;
        let mut page = Page::default();
        for item in table.iter().map_err(|e| error("journal", e))? {
            let (_, value) = item.map_err(|e| error("journal", e))?;
            let entry = decode(value.value())?;
            page.all += 1;
            if !keep(&entry) {
                continue;
            }
            match entry.status {
                Status::Pending => page.pending += 1,
                Status::Failed => page.failed += 1,
            }
            if entry.seq > after {
                if page.entries.len() < limit {
                    page.entries.push(entry);
                } else {
                    page.more += 1;
                }
            }
        }
        Ok(page)
    }

    /// Hands every command to `visit`, in order, one at a time (a backlog of any length in
    /// bounded memory).
    pub(crate) fn each(&self, mut visit: impl FnMut(Entry)) -> Result<(), JournalError> {
        let guard = self.database();
        let txn = begin_read(guard.as_ref())?;
        let table = txn.open_table(COMMANDS).map_err(|e| error("journal", e))?;
        for item in table.iter().map_err(|e| error("journal", e))? {
            let (_, value) = item.map_err(|e| error("journal", e))?;
            visit(decode(value.value())?);
        }
        Ok(())
    }

    /// The numbers of the pending commands, in order (8 bytes each, whatever the commands).
    pub(crate) fn pending_seqs(&self) -> Result<Vec<u64>, JournalError> {
        let guard = self.database();
        let txn = begin_read(guard.as_ref())?;
        let table = txn.open_table(COMMANDS).map_err(|e| error("journal", e))?;
        let mut seqs = Vec::new();
        for item in table.iter().map_err(|e| error("journal", e))? {
            let (key, value) = item.map_err(|e| error("journal", e))?;
            if decode(value.value())?.status == Status::Pending {
                seqs.push(key.value());
            }
        }
        Ok(seqs)
    }

    /// Every command at once: for a journal known to be small (tests, a client's own look at
    /// a house). The service pages (`page`, `pending_after`).
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
