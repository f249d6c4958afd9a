//! Wake-up calls the hotel's PMS booked, until the PMS has its one answer: kept in the journal
//! beside the command that books the call (same transaction), answered when the call rang (or
//! could not be booked), and marked sent before the answer goes out, so that a restart never
//! answers twice.

use serde::{Deserialize, Serialize};

use redb::ReadableTable;

use super::{Journal, JournalError, ROOMS, TableDefinition, decode_room, error};
use crate::engine::wire::WakeupEnding;
use crate::lang::validate::wakeup::Wakeup;

/// Room and wake-up (`1000 2026-12-03 07:00`) -> `PmsWakeup`.
pub(super) const PMS_WAKEUPS: TableDefinition<'_, &str, &[u8]> =
    TableDefinition::new("pms_wakeups");

/// A wake-up the PMS booked, as it named it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct PmsWakeup {
    pub(crate) room: String,
    pub(crate) at: Wakeup,
    /// The PMS's date and time fields as received (its answer echoes them, seconds and all).
    pub(crate) date: String,
    pub(crate) time: String,
    /// The answer, once there is one.
    pub(crate) answer: Option<WakeupAnswer>,
    /// The answer went to the PMS (or is on its way: marked before it is written).
    pub(crate) sent: bool,
}

/// What the PMS is answered about a wake-up.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) enum WakeupAnswer {
    /// The call rang and ended so.
    Ended(WakeupEnding),
    /// Booked on a PBX whose wire reports no result (`[fias] wakeup_answer` says what to say).
    Booked,
    /// It could not be booked; why.
    NotBooked(String),
}

fn key(room: &str, at: Wakeup) -> String {
    format!("{room} {at}")
}

impl Journal {
    /// A wake-up of `room` rang: it leaves the room's booked ones, and a PMS's booking gets its
    /// answer. `true` if this is news (a report seen again after a restart is not).
    pub(crate) async fn wakeup_rang(
        &self,
        room: &str,
        at: Wakeup,
        ending: WakeupEnding,
    ) -> Result<bool, JournalError> {
        let room = room.to_owned();
        let (tx, rx) = tokio::sync::oneshot::channel();
        self.write(Box::new(move |txn| {
            let mut news = false;
            let mut rooms = txn.open_table(ROOMS).map_err(|e| error("journal", e))?;
            let stored = rooms
                .get(room.as_str())
                .map_err(|e| error("journal", e))?
                .map(|bytes| decode_room(&room, bytes.value()))
                .transpose()?;
            if let Some(mut state) = stored
                && state.wakeups.contains(&at)
            {
                state.wakeups.retain(|w| *w != at);
                super::file::put_room(&mut rooms, &room, &state)?;
                news = true;
            }
            news |= answer_in(txn, &room, at, WakeupAnswer::Ended(ending))?;
            let _ = tx.send(news);
            Ok(())
        }))
        .await?;
        Ok(rx.await.unwrap_or(false))
    }

    /// Gives a PMS's booking of `room`'s wake-up `at` its answer, if it has none yet.
    pub(crate) async fn answer_wakeup(
        &self,
        room: &str,
        at: Wakeup,
        answer: WakeupAnswer,
    ) -> Result<(), JournalError> {
        let room = room.to_owned();
        self.write(Box::new(move |txn| {
            answer_in(txn, &room, at, answer).map(|_| ())
        }))
        .await
    }

    /// The PMS's bookings that have an answer not yet sent.
    pub(crate) fn wakeup_answers_due(&self) -> Result<Vec<PmsWakeup>, JournalError> {
        let guard = self.database();
        let txn = super::begin_read(guard.as_ref())?;
        let table = match txn.open_table(PMS_WAKEUPS) {
            Ok(table) => table,
            Err(redb::TableError::TableDoesNotExist(_)) => return Ok(Vec::new()),
            Err(e) => return Err(error("journal", e)),
        };
        let mut due = Vec::new();
        for row in redb::ReadableTable::iter(&table).map_err(|e| error("journal", e))? {
            let (key, value) = row.map_err(|e| error("journal", e))?;
            let booking: PmsWakeup = serde_json::from_slice(value.value()).map_err(|e| {
                error(
                    &format!("the journal's wake-up {} does not read", key.value()),
                    e,
                )
            })?;
            if booking.answer.is_some() && !booking.sent {
                due.push(booking);
            }
        }
        Ok(due)
    }

    /// Marks a booking's answer sent (before it is written to the PMS: never twice), and
    /// forgets it.
    pub(crate) async fn wakeup_answer_sent(
        &self,
        room: &str,
        at: Wakeup,
    ) -> Result<(), JournalError> {
        let key = key(room, at);
        self.write(Box::new(move |txn| {
            let mut table = txn
                .open_table(PMS_WAKEUPS)
                .map_err(|e| error("journal", e))?;
            table
                .remove(key.as_str())
                .map_err(|e| error("journal", e))?;
            Ok(())
        }))
        .await
    }
}

/// Records the PMS's bookings in the transaction that journals the commands booking them.
pub(super) fn book_in(
    txn: &redb::WriteTransaction,
    bookings: &[PmsWakeup],
) -> Result<(), JournalError> {
    if bookings.is_empty() {
        return Ok(());
    }
    let mut table = txn
        .open_table(PMS_WAKEUPS)
        .map_err(|e| error("journal", e))?;
    for booking in bookings {
        let bytes = serde_json::to_vec(booking).map_err(|e| error("journal", e))?;
        table
            .insert(key(&booking.room, booking.at).as_str(), bytes.as_slice())
            .map_err(|e| error("journal", e))?;
    }
    Ok(())
}

/// `answer` for the booking of `room`'s `at`, if the PMS booked it and it has none; `true` if
/// it was set.
fn answer_in(
    txn: &redb::WriteTransaction,
    room: &str,
    at: Wakeup,
    answer: WakeupAnswer,
) -> Result<bool, JournalError> {
    let mut table = txn
        .open_table(PMS_WAKEUPS)
        .map_err(|e| error("journal", e))?;
    let key = key(room, at);
    let Some(mut booking) = table
        .get(key.as_str())
        .map_err(|e| error("journal", e))?
        .map(|bytes| serde_json::from_slice::<PmsWakeup>(bytes.value()))
        .transpose()
        .map_err(|e| error(&format!("the journal's wake-up {key} does not read"), e))?
    else {
        return Ok(false);
    };
    if booking.answer.is_some() {
        return Ok(false);
    }
    booking.answer = Some(answer);
    let bytes = serde_json::to_vec(&booking).map_err(|e| error("journal", e))?;
    table
        .insert(key.as_str(), bytes.as_slice())
        .map_err(|e| error("journal", e))?;
    Ok(true)
}
