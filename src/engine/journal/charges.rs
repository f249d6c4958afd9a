//! The call ledger: stays (a guest's time in the house, carried by a move, ended by a check-out)
//! and the calls reported of their rooms, each journaled once (by the record's identity) with
//! what it cost, and the stay's running total, in one transaction.
//!
//! A stay is named by the sequence number of the check-in that began it (`RoomState::stay`);
//! `follow` keeps its rooms and times in the transaction that marks a command done, so the
//! ledger and the rooms never disagree.

use redb::ReadableTable;
use serde::{Deserialize, Serialize};

use super::{Journal, JournalError, META, ROOMS, TableDefinition, begin_read, decode_room, error};
use crate::config::Money;
use crate::engine::calls::{Call, CallKind, Rated};
use crate::lang::validate::Limit;

/// Stay id -> `Stay`.
pub(super) const STAYS: TableDefinition<'_, u64, &[u8]> = TableDefinition::new("stays");
/// Call id -> `CallEntry`.
pub(super) const CALLS: TableDefinition<'_, u64, &[u8]> = TableDefinition::new("calls");
/// A record's identity -> its call id: a record delivered twice is journaled once.
pub(super) const CALL_KEYS: TableDefinition<'_, &str, u64> = TableDefinition::new("call_keys");
const NEXT_CALL: &str = "next_call";
/// The resolution of a standard SMDR record's start.
const MINUTE: u64 = 60;

/// A room of a stay, and when.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct StayRoom {
    pub(crate) room: String,
    /// Seconds since the Unix epoch.
    pub(crate) from: u64,
    pub(crate) until: Option<u64>,
}

/// One stay and its charges.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct Stay {
    pub(crate) id: u64,
    pub(crate) rooms: Vec<StayRoom>,
    pub(crate) limit: Limit,
    pub(crate) total: Money,
    pub(crate) calls: u32,
    /// While the limit holds the room blocked: the level it had before.
    #[serde(default)]
    pub(crate) blocked_from: Option<u8>,
    pub(crate) ended: Option<u64>,
}

/// Part of a `Stay`'s record: what tells whether its limit needs a decision. Read without the
/// rooms and totals, it costs a start with thousands of stays half as much (issue 25); never
/// written back.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
pub(crate) struct StayLimit {
    pub(crate) id: u64,
    pub(crate) limit: Limit,
    #[serde(default)]
    pub(crate) blocked_from: Option<u8>,
    pub(crate) ended: Option<u64>,
}

impl Stay {
    /// The room the stay is in now (or was in last).
    pub(crate) fn room(&self) -> &str {
        self.rooms.last().map_or("", |r| r.room.as_str())
    }

    /// Whether the stay had `room` at `at` (seconds since the epoch). SMDR gives most starts
    /// to the minute only: a call in the minute the stay began is the stay's.
    fn had(&self, room: &str, at: u64) -> bool {
        self.rooms.iter().any(|r| {
            r.room == room && r.from < at + MINUTE && r.until.is_none_or(|until| at < until)
        })
    }
}

/// One call as the ledger keeps it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct CallEntry {
    pub(crate) id: u64,
    pub(crate) call: Call,
    /// Seconds since the epoch when it was received.
    pub(crate) received: u64,
    /// The stay it is charged to; `None`: a vacant room's (recorded for the hotel), or not a
    /// room at all.
    pub(crate) stay: Option<u64>,
    /// What it cost, for an outgoing answered call.
    pub(crate) rated: Option<Rated>,
    /// Its posting to the PMS (P#), when it is posted.
    #[serde(default)]
    pub(crate) posting: Option<u64>,
}

/// What recording a call did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Recorded {
    pub(crate) entry: CallEntry,
    /// The record was journaled before (delivered again): nothing changed.
    pub(crate) duplicate: bool,
    /// The stay charged, as it stands now.
    pub(crate) stay: Option<Stay>,
}

fn encode<T: Serialize>(value: &T) -> Result<Vec<u8>, JournalError> {
    serde_json::to_vec(value).map_err(|e| error("journal", e))
}

fn decode<T: serde::de::DeserializeOwned>(what: &str, bytes: &[u8]) -> Result<T, JournalError> {
    serde_json::from_slice(bytes)
        .map_err(|e| error(&format!("{what} in the journal does not read"), e))
}

fn stay_in(
    table: &impl ReadableTable<u64, &'static [u8]>,
    id: u64,
) -> Result<Option<Stay>, JournalError> {
    table
        .get(id)
        .map_err(|e| error("journal", e))?
        .map(|bytes| decode("a stay", bytes.value()))
        .transpose()
}

/// In the transaction that records `room`'s new state: the room went from stay `old` to stay
/// `new` at `now` (a check-in begins one with `limit`, a move carries one, a check-out ends
/// one). (The engine's completions use `follow_in`, in the tables a commit shares.)
#[cfg(test)]
pub(super) fn follow(
    txn: &redb::WriteTransaction,
    room: &str,
    old: Option<u64>,
    new: Option<u64>,
    limit: Limit,
    now: u64,
) -> Result<(), JournalError> {
    if old == new {
        return Ok(());
    }
    let mut stays = txn.open_table(STAYS).map_err(|e| error("journal", e))?;
    follow_in(&mut stays, room, (old, new), limit, now)
}

/// `follow`, in the stays table open already.
pub(super) fn follow_in(
    stays: &mut redb::Table<'_, u64, &'static [u8]>,
    room: &str,
    (old, new): (Option<u64>, Option<u64>),
    limit: Limit,
    now: u64,
) -> Result<(), JournalError> {
    if old == new {
        return Ok(());
    }
    if let Some(id) = new {
        let mut stay = stay_in(stays, id)?.unwrap_or(Stay {
            id,
            rooms: Vec::new(),
            limit,
            total: Money::ZERO,
            calls: 0,
            blocked_from: None,
            ended: None,
        });
        for open in stay.rooms.iter_mut().filter(|r| r.until.is_none()) {
            open.until = Some(now);
        }
        stay.rooms.push(StayRoom {
            room: room.to_owned(),
            from: now,
            until: None,
        });
        stay.ended = None;
        stays
            .insert(id, encode(&stay)?.as_slice())
            .map_err(|e| error("journal", e))?;
    }
    if let Some(id) = old
        && let Some(mut stay) = stay_in(stays, id)?
    {
        for open in stay
            .rooms
            .iter_mut()
            .filter(|r| r.room == room && r.until.is_none())
        {
            open.until = Some(now);
        }
        if stay.rooms.iter().all(|r| r.until.is_some()) {
            stay.ended = Some(now);
        }
        stays
            .insert(id, encode(&stay)?.as_slice())
            .map_err(|e| error("journal", e))?;
    }
    Ok(())
}

/// In the transaction that completes a `LIMIT`: stay `id`'s limit is `limit`.
pub(super) fn set_limit(
    stays: &mut redb::Table<'_, u64, &'static [u8]>,
    id: u64,
    limit: Limit,
) -> Result<(), JournalError> {
    if let Some(mut stay) = stay_in(stays, id)? {
        stay.limit = limit;
        stays
            .insert(id, encode(&stay)?.as_slice())
            .map_err(|e| error("journal", e))?;
    }
    Ok(())
}

/// In the transaction that journals the `COS` its limit decided: stay `id` is held blocked,
/// having had `level` before (`Some`), or no longer (`None`).
pub(super) fn set_blocked(
    txn: &redb::WriteTransaction,
    id: u64,
    level: Option<u8>,
) -> Result<(), JournalError> {
    let mut stays = txn.open_table(STAYS).map_err(|e| error("journal", e))?;
    if let Some(mut stay) = stay_in(&stays, id)? {
        stay.blocked_from = level;
        stays
            .insert(id, encode(&stay)?.as_slice())
            .map_err(|e| error("journal", e))?;
    }
    Ok(())
}

impl Journal {
    /// Records `call` (identified by `key`, started `start` seconds since the epoch), charged
    /// `rated` to the stay its room had then — or, delivered before, nothing. `post`: a charge
    /// of more than nothing is queued for posting to the PMS, in the same transaction.
    pub(crate) async fn record_call(
        &self,
        key: String,
        call: Call,
        rated: Option<Rated>,
        (start, received): (u64, u64),
        post: bool,
    ) -> Result<Recorded, JournalError> {
        let (tx, rx) = tokio::sync::oneshot::channel();
        self.write(Box::new(move |txn| {
            let mut keys = txn.open_table(CALL_KEYS).map_err(|e| error("journal", e))?;
            let mut calls = txn.open_table(CALLS).map_err(|e| error("journal", e))?;
            if let Some(id) = keys.get(key.as_str()).map_err(|e| error("journal", e))? {
                let id = id.value();
                if let Some(bytes) = calls.get(id).map_err(|e| error("journal", e))? {
                    let entry: CallEntry = decode("a call", bytes.value())?;
                    let _ = tx.send(Recorded {
                        entry,
                        duplicate: true,
                        stay: None,
                    });
                    return Ok(());
                }
            }
            let id = {
                // Closed before a posting takes its own number from the same table.
                let mut meta = txn.open_table(META).map_err(|e| error("journal", e))?;
                let id = meta
                    .get(NEXT_CALL)
                    .map_err(|e| error("journal", e))?
                    .map_or(1, |v| v.value());
                meta.insert(NEXT_CALL, id + 1)
                    .map_err(|e| error("journal", e))?;
                id
            };
            let mut stays = txn.open_table(STAYS).map_err(|e| error("journal", e))?;
            let stay = match &call.room {
                None => None,
                Some(room) => {
                    let rooms = txn.open_table(ROOMS).map_err(|e| error("journal", e))?;
                    let current = rooms
                        .get(room.as_str())
                        .map_err(|e| error("journal", e))?
                        .map(|bytes| decode_room(room, bytes.value()))
                        .transpose()?
                        .and_then(|state| state.stay);
                    let current = match current {
                        Some(id) => stay_in(&stays, id)?.filter(|stay| stay.had(room, start)),
                        None => None,
                    };
                    if current.is_some() {
                        current
                    } else {
                        // A call that began before a move or a check-out: the stay of then.
                        let mut found = None;
                        for row in stays.iter().map_err(|e| error("journal", e))?.rev() {
                            let (_, bytes) = row.map_err(|e| error("journal", e))?;
                            let stay: Stay = decode("a stay", bytes.value())?;
                            if stay.had(room, start) {
                                found = Some(stay);
                                break;
                            }
                        }
                        found
                    }
                }
            };
            let charged = call.kind == CallKind::Outgoing;
            let stay = match stay {
                Some(mut stay) if charged => {
                    stay.calls += 1;
                    if let Some(rated) = &rated {
                        stay.total = stay.total.plus(rated.amount);
                    }
                    stays
                        .insert(stay.id, encode(&stay)?.as_slice())
                        .map_err(|e| error("journal", e))?;
                    Some(stay)
                }
                other => other,
            };
            let posting = match (&stay, &rated, &call.room) {
                (Some(stay), Some(rated), Some(room))
                    if post && charged && rated.amount > Money::ZERO =>
                {
                    Some(super::postings::queue(
                        txn,
                        super::postings::Posting {
                            number: 0,
                            call: id,
                            stay: stay.id,
                            room: room.clone(),
                            amount: rated.amount,
                            number_dialled: call.number.clone(),
                            duration_secs: call.duration_secs,
                            start: call.start,
                            tariff: rated.tariff.clone().unwrap_or_default(),
                            state: super::postings::PostingState::Unsent,
                        },
                    )?)
                }
                _ => None,
            };
            let entry = CallEntry {
                id,
                call,
                received,
                stay: stay.as_ref().map(|stay| stay.id),
                rated,
                posting,
            };
            calls
                .insert(id, encode(&entry)?.as_slice())
                .map_err(|e| error("journal", e))?;
            keys.insert(key.as_str(), id)
                .map_err(|e| error("journal", e))?;
            let _ = tx.send(Recorded {
                entry,
                duplicate: false,
                stay,
            });
            Ok(())
        }))
        .await?;
        rx.await
            .map_err(|_| JournalError::Other("recording a call lost its answer".into()))
    }

    /// Stay `id` is no longer held blocked by its limit (its class of service was set by hand).
    pub(crate) async fn release_block(&self, id: u64) -> Result<(), JournalError> {
        self.write(Box::new(move |txn| set_blocked(txn, id, None)))
            .await
    }

    /// A stay, by id.
    pub(crate) fn stay(&self, id: u64) -> Result<Option<Stay>, JournalError> {
        let guard = self.database();
        let txn = begin_read(guard.as_ref())?;
        let Ok(table) = txn.open_table(STAYS) else {
            return Ok(None);
        };
        stay_in(&table, id)
    }

    /// Every stay not ended.
    pub(crate) fn open_stays(&self) -> Result<Vec<Stay>, JournalError> {
        self.open_stays_as(|stay: &Stay| stay.ended.is_some())
    }

    /// Of every stay not ended, what deciding its limit looks at first (`StayLimit`): a start
    /// reads this much of each stay, and the whole record only of those with a limit.
    pub(crate) fn open_stay_limits(&self) -> Result<Vec<StayLimit>, JournalError> {
        self.open_stays_as(|stay: &StayLimit| stay.ended.is_some())
    }

    /// Every stay's record read as `T` (the whole, or a part), without those `ended` says
    /// have ended.
    fn open_stays_as<T: serde::de::DeserializeOwned>(
        &self,
        ended: impl Fn(&T) -> bool,
    ) -> Result<Vec<T>, JournalError> {
        let guard = self.database();
        let txn = begin_read(guard.as_ref())?;
        let Ok(table) = txn.open_table(STAYS) else {
            return Ok(Vec::new());
        };
        let mut open = Vec::new();
        for row in table.iter().map_err(|e| error("journal", e))? {
            let (_, bytes) = row.map_err(|e| error("journal", e))?;
            let stay: T = decode("a stay", bytes.value())?;
            if !ended(&stay) {
                open.push(stay);
            }
        }
        Ok(open)
    }

    /// The calls, in the order they arrived (those of stay `stay` only, when given).
    pub(crate) fn calls(&self, stay: Option<u64>) -> Result<Vec<CallEntry>, JournalError> {
        let guard = self.database();
        let txn = begin_read(guard.as_ref())?;
        let Ok(table) = txn.open_table(CALLS) else {
            return Ok(Vec::new());
        };
        let mut calls = Vec::new();
        for row in table.iter().map_err(|e| error("journal", e))? {
            let (_, bytes) = row.map_err(|e| error("journal", e))?;
            let entry: CallEntry = decode("a call", bytes.value())?;
            if stay.is_none_or(|id| entry.stay == Some(id)) {
                calls.push(entry);
            }
        }
        Ok(calls)
    }

    /// Forgets the stays that ended, and their calls and vacant rooms' calls, more than
    /// `retention_secs` before `now`: dialled numbers are personal data too.
    pub(crate) async fn forget_calls(
        &self,
        now: u64,
        retention_secs: u64,
    ) -> Result<usize, JournalError> {
        let cutoff = now.saturating_sub(retention_secs);
        let (tx, rx) = tokio::sync::oneshot::channel();
        self.write(Box::new(move |txn| {
            let mut stays = txn.open_table(STAYS).map_err(|e| error("journal", e))?;
            let mut calls = txn.open_table(CALLS).map_err(|e| error("journal", e))?;
            let mut keys = txn.open_table(CALL_KEYS).map_err(|e| error("journal", e))?;
            // A stay whose postings still wait, are out or unknown is kept: the hotel has to
            // see them through (retention never drops a charge the folio may lack).
            let mut unsettled = std::collections::BTreeSet::new();
            {
                let postings = txn
                    .open_table(super::postings::POSTINGS)
                    .map_err(|e| error("journal", e))?;
                for row in postings.iter().map_err(|e| error("journal", e))? {
                    let (_, bytes) = row.map_err(|e| error("journal", e))?;
                    let posting: super::postings::Posting = decode("a posting", bytes.value())?;
                    if posting.unsettled() {
                        unsettled.insert(posting.stay);
                    }
                }
            }
            let mut gone_stays = Vec::new();
            for row in stays.iter().map_err(|e| error("journal", e))? {
                let (id, bytes) = row.map_err(|e| error("journal", e))?;
                let stay: Stay = decode("a stay", bytes.value())?;
                if stay.ended.is_some_and(|ended| ended < cutoff)
                    && !unsettled.contains(&id.value())
                {
                    gone_stays.push(id.value());
                }
            }
            let mut gone_calls = Vec::new();
            for row in calls.iter().map_err(|e| error("journal", e))? {
                let (id, bytes) = row.map_err(|e| error("journal", e))?;
                let entry: CallEntry = decode("a call", bytes.value())?;
                let stay_gone = entry.stay.is_some_and(|stay| gone_stays.contains(&stay));
                if stay_gone || (entry.stay.is_none() && entry.received < cutoff) {
                    gone_calls.push(id.value());
                }
            }
            for id in &gone_stays {
                stays.remove(*id).map_err(|e| error("journal", e))?;
            }
            for id in &gone_calls {
                calls.remove(*id).map_err(|e| error("journal", e))?;
            }
            let mut postings = txn
                .open_table(super::postings::POSTINGS)
                .map_err(|e| error("journal", e))?;
            let mut gone_postings = Vec::new();
            for row in postings.iter().map_err(|e| error("journal", e))? {
                let (number, bytes) = row.map_err(|e| error("journal", e))?;
                let posting: super::postings::Posting = decode("a posting", bytes.value())?;
                if gone_calls.contains(&posting.call) {
                    gone_postings.push(number.value());
                }
            }
            let mut unsent = txn
                .open_table(super::postings::UNSENT)
                .map_err(|e| error("journal", e))?;
            for number in &gone_postings {
                postings.remove(*number).map_err(|e| error("journal", e))?;
                unsent.remove(*number).map_err(|e| error("journal", e))?;
            }
            keys.retain(|_, id| !gone_calls.contains(&id))
                .map_err(|e| error("journal", e))?;
            let _ = tx.send(gone_calls.len());
            Ok(())
        }))
        .await?;
        rx.await
            .map_err(|_| JournalError::Other("forgetting calls lost its answer".into()))
    }
}

#[cfg(test)]
mod tests {
    use chrono::NaiveDate;

    use super::*;
    use crate::engine::room_state::RoomState;

    fn call(room: &str, number: &str) -> Call {
        Call {
            pbx: "main".into(),
            room: Some(room.into()),
            start: NaiveDate::from_ymd_opt(2026, 3, 5)
                .unwrap()
                .and_hms_opt(12, 0, 0)
                .unwrap(),
            duration_secs: 60,
            number: number.into(),
            kind: CallKind::Outgoing,
        }
    }

    fn rated(amount: i64) -> Rated {
        Rated {
            tariff: Some("National".into()),
            amount: Money(amount),
        }
    }

    /// In one transaction: `room` moves from stay `old` to `new` at `at`, as `complete` does.
    async fn change(journal: &Journal, room: &str, old: Option<u64>, new: Option<u64>, at: u64) {
        let room = room.to_owned();
        journal
            .write(Box::new(move |txn| {
                follow(txn, &room, old, new, Limit::Amount(Money(150)), at)?;
                let mut rooms = txn.open_table(ROOMS).map_err(|e| error("journal", e))?;
                let state = RoomState {
                    occupied: new.is_some(),
                    stay: new,
                    ..RoomState::default()
                };
                rooms
                    .insert(room.as_str(), encode(&state)?.as_slice())
                    .map_err(|e| error("journal", e))?;
                Ok(())
            }))
            .await
            .unwrap();
    }

    #[tokio::test]
    async fn a_call_is_the_stay_s_its_room_had_when_it_began_and_counted_once() {
        let dir = tempfile::tempdir().unwrap();
        let journal = Journal::open(dir.path()).unwrap();
        change(&journal, "1000", None, Some(7), 1000).await;
        let first = journal
            .record_call(
                "a".into(),
                call("1000", "01"),
                Some(rated(100)),
                (1100, 1200),
                false,
            )
            .await
            .unwrap();
        assert!(!first.duplicate);
        assert_eq!(first.stay.as_ref().map(|s| s.total), Some(Money(100)));
        // The same record again: nothing changes.
        let again = journal
            .record_call(
                "a".into(),
                call("1000", "01"),
                Some(rated(100)),
                (1100, 1300),
                false,
            )
            .await
            .unwrap();
        assert!(again.duplicate);
        assert_eq!(journal.stay(7).unwrap().unwrap().total, Money(100));

        // The guest moves to 2000; a call from 1000 that began before the move arrives after it.
        change(&journal, "1000", Some(7), None, 2000).await;
        change(&journal, "2000", None, Some(7), 2000).await;
        let late = journal
            .record_call(
                "b".into(),
                call("1000", "02"),
                Some(rated(50)),
                (1500, 2100),
                false,
            )
            .await
            .unwrap();
        assert_eq!(late.entry.stay, Some(7));
        let stay = journal.stay(7).unwrap().unwrap();
        assert_eq!(
            (stay.total, stay.calls, stay.room()),
            (Money(150), 2, "2000")
        );
        assert_eq!(stay.limit, Limit::Amount(Money(150)));
        // The part a start reads of each open stay says what the whole record says.
        let limits = journal.open_stay_limits().unwrap();
        let whole = journal.open_stays().unwrap();
        assert_eq!(limits.len(), 1);
        assert_eq!(
            (limits[0].id, limits[0].limit, limits[0].blocked_from),
            (whole[0].id, whole[0].limit, whole[0].blocked_from)
        );
        // A call from the vacated room after the move is the hotel's.
        let vacant = journal
            .record_call(
                "c".into(),
                call("1000", "03"),
                Some(rated(20)),
                (2500, 2600),
                false,
            )
            .await
            .unwrap();
        assert_eq!(vacant.entry.stay, None);
        assert_eq!(journal.calls(Some(7)).unwrap().len(), 2);

        // The check-out ends the stay; past the retention, its calls are forgotten.
        change(&journal, "2000", Some(7), None, 3000).await;
        assert!(journal.open_stays().unwrap().is_empty());
        assert!(journal.open_stay_limits().unwrap().is_empty(), "ended");
        assert_eq!(journal.forget_calls(3500, 1000).await.unwrap(), 0);
        assert_eq!(journal.forget_calls(10_000, 1000).await.unwrap(), 3);
        assert!(journal.stay(7).unwrap().is_none());
        assert!(journal.calls(None).unwrap().is_empty());
        // Forgotten means forgotten: the record may come again as news.
        let back = journal
            .record_call(
                "a".into(),
                call("1000", "01"),
                Some(rated(100)),
                (1100, 10_001),
                false,
            )
            .await
            .unwrap();
        assert!(!back.duplicate);
    }
}
