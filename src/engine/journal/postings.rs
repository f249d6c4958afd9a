//! Postings of charged calls to the PMS's folio (FIAS `PS`), each with its durable sequence
//! number `P#`, journaled in the transaction that charges the call. One is out at a time; it is
//! marked out before it is written, so that a crash never sends it twice: a posting that was out
//! when the link or the service died is `Unknown` (the PMS may have posted it or not), never
//! resent by itself — `hotelcare charges repost P#` does that on purpose.

use redb::ReadableTable;
use serde::{Deserialize, Serialize};

use super::{Journal, JournalError, META, TableDefinition, begin_read, error};
use crate::config::Money;

/// P# -> `Posting`.
pub(super) const POSTINGS: TableDefinition<'_, u64, &[u8]> = TableDefinition::new("postings");
/// The P#s not sent yet, in order.
pub(super) const UNSENT: TableDefinition<'_, u64, ()> = TableDefinition::new("postings_unsent");
const NEXT_POSTING: &str = "next_posting";
/// FIAS: "P# must contain a value between 1-99999999".
const LAST_NUMBER: u64 = 99_999_999;

/// Where a posting stands.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "state")]
pub(crate) enum PostingState {
    /// Waiting for its turn (or for the link).
    Unsent,
    /// Written to the PMS at `at` (seconds since the epoch); its answer is awaited.
    Out { at: u64 },
    /// `PA ... ASOK`.
    Posted,
    /// `PA` with another status: never retried by itself.
    Refused { status: String, text: String },
    /// No answer in time, or the link or the service died while it was out.
    Unknown { why: String },
    /// Never sent: the stay ended before its turn (a `PS` names only the room, which may have
    /// a new guest by then).
    Held { why: String },
    /// Sent again on purpose as another posting, with a number of its own.
    Reposted { as_number: u64 },
}

/// One posting.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct Posting {
    /// P#.
    pub(crate) number: u64,
    /// The call it posts.
    pub(crate) call: u64,
    /// The stay charged: the posting goes to the room the stay is in when it is sent.
    #[serde(default)]
    pub(crate) stay: u64,
    /// The room the call was made from.
    pub(crate) room: String,
    pub(crate) amount: Money,
    /// The digits dialled (`DD`).
    pub(crate) number_dialled: String,
    pub(crate) duration_secs: u32,
    /// The start of the call, in the PBX's local time (`DA`/`TI`).
    pub(crate) start: chrono::NaiveDateTime,
    /// The tariff's name (`CT`).
    pub(crate) tariff: String,
    pub(crate) state: PostingState,
}

impl Posting {
    /// Whether the hotel still has to see it through: waiting, out, or of unknown fate.
    pub(crate) fn unsettled(&self) -> bool {
        matches!(
            self.state,
            PostingState::Unsent | PostingState::Out { .. } | PostingState::Unknown { .. }
        )
    }
}

fn encode(posting: &Posting) -> Result<Vec<u8>, JournalError> {
    serde_json::to_vec(posting).map_err(|e| error("journal", e))
}

fn decode(bytes: &[u8]) -> Result<Posting, JournalError> {
    serde_json::from_slice(bytes).map_err(|e| error("a posting in the journal does not read", e))
}

/// In the transaction that charges a call: its posting, numbered, waiting for its turn.
pub(super) fn queue(
    txn: &redb::WriteTransaction,
    mut posting: Posting,
) -> Result<u64, JournalError> {
    let mut meta = txn.open_table(META).map_err(|e| error("journal", e))?;
    let mut postings = txn.open_table(POSTINGS).map_err(|e| error("journal", e))?;
    let mut number = meta
        .get(NEXT_POSTING)
        .map_err(|e| error("journal", e))?
        .map_or(1, |v| v.value());
    // After 99,999,999 the numbers start again at 1, past those still kept.
    while postings
        .get(number)
        .map_err(|e| error("journal", e))?
        .is_some()
    {
        number = if number >= LAST_NUMBER { 1 } else { number + 1 };
    }
    let next = if number >= LAST_NUMBER { 1 } else { number + 1 };
    meta.insert(NEXT_POSTING, next)
        .map_err(|e| error("journal", e))?;
    posting.number = number;
    posting.state = PostingState::Unsent;
    postings
        .insert(number, encode(&posting)?.as_slice())
        .map_err(|e| error("journal", e))?;
    let mut unsent = txn.open_table(UNSENT).map_err(|e| error("journal", e))?;
    unsent.insert(number, ()).map_err(|e| error("journal", e))?;
    Ok(number)
}

impl Journal {
    /// The posting whose turn it is, if any.
    pub(crate) fn next_posting(&self) -> Result<Option<Posting>, JournalError> {
        let guard = self.database();
        let txn = begin_read(guard.as_ref())?;
        let Ok(unsent) = txn.open_table(UNSENT) else {
            return Ok(None);
        };
        let Some((number, ())) = unsent
            .first()
            .map_err(|e| error("journal", e))?
            .map(|(k, v)| (k.value(), v.value()))
        else {
            return Ok(None);
        };
        let postings = txn.open_table(POSTINGS).map_err(|e| error("journal", e))?;
        postings
            .get(number)
            .map_err(|e| error("journal", e))?
            .map(|bytes| decode(bytes.value()))
            .transpose()
    }

    /// Posting `number` now stands `state` (`Out` takes it off the unsent ones; `Unsent` puts
    /// it back). The posting as it was, if there is one.
    pub(crate) async fn set_posting(
        &self,
        number: u64,
        state: PostingState,
    ) -> Result<Option<Posting>, JournalError> {
        let (tx, rx) = tokio::sync::oneshot::channel();
        self.write(Box::new(move |txn| {
            let mut postings = txn.open_table(POSTINGS).map_err(|e| error("journal", e))?;
            let Some(mut posting) = postings
                .get(number)
                .map_err(|e| error("journal", e))?
                .map(|bytes| decode(bytes.value()))
                .transpose()?
            else {
                let _ = tx.send(None);
                return Ok(());
            };
            let was = posting.clone();
            let mut unsent = txn.open_table(UNSENT).map_err(|e| error("journal", e))?;
            if state == PostingState::Unsent {
                unsent.insert(number, ()).map_err(|e| error("journal", e))?;
            } else {
                unsent.remove(number).map_err(|e| error("journal", e))?;
            }
            posting.state = state;
            postings
                .insert(number, encode(&posting)?.as_slice())
                .map_err(|e| error("journal", e))?;
            let _ = tx.send(Some(was));
            Ok(())
        }))
        .await?;
        rx.await
            .map_err(|_| JournalError::Other("a posting's change lost its answer".into()))
    }

    /// Posting `number` (unknown, refused or held) sent again on purpose: a new posting with a
    /// number of its own (a late answer to the old one cannot be taken for the new one's), the
    /// old one marked reposted. The new number.
    pub(crate) async fn repost(&self, number: u64) -> Result<Option<u64>, JournalError> {
        let (tx, rx) = tokio::sync::oneshot::channel();
        self.write(Box::new(move |txn| {
            let old = {
                let postings = txn.open_table(POSTINGS).map_err(|e| error("journal", e))?;
                postings
                    .get(number)
                    .map_err(|e| error("journal", e))?
                    .map(|bytes| decode(bytes.value()))
                    .transpose()?
            };
            let Some(mut old) = old else {
                let _ = tx.send(None);
                return Ok(());
            };
            let new = queue(txn, old.clone())?;
            old.state = PostingState::Reposted { as_number: new };
            let mut postings = txn.open_table(POSTINGS).map_err(|e| error("journal", e))?;
            postings
                .insert(number, encode(&old)?.as_slice())
                .map_err(|e| error("journal", e))?;
            let _ = tx.send(Some(new));
            Ok(())
        }))
        .await?;
        rx.await
            .map_err(|_| JournalError::Other("a repost lost its answer".into()))
    }

    /// Every posting that is out (at a start: the service died while they were).
    pub(crate) fn postings_out(&self) -> Result<Vec<Posting>, JournalError> {
        Ok(self
            .postings()?
            .into_iter()
            .filter(|posting| matches!(posting.state, PostingState::Out { .. }))
            .collect())
    }

    /// Every posting, by P#.
    pub(crate) fn postings(&self) -> Result<Vec<Posting>, JournalError> {
        let guard = self.database();
        let txn = begin_read(guard.as_ref())?;
        let Ok(table) = txn.open_table(POSTINGS) else {
            return Ok(Vec::new());
        };
        let mut postings = Vec::new();
        for row in table.iter().map_err(|e| error("journal", e))? {
            let (_, bytes) = row.map_err(|e| error("journal", e))?;
            postings.push(decode(bytes.value())?);
        }
        Ok(postings)
    }

    /// Posting `number`, if there is one.
    pub(crate) fn posting(&self, number: u64) -> Result<Option<Posting>, JournalError> {
        let guard = self.database();
        let txn = begin_read(guard.as_ref())?;
        let Ok(table) = txn.open_table(POSTINGS) else {
            return Ok(None);
        };
        table
            .get(number)
            .map_err(|e| error("journal", e))?
            .map(|bytes| decode(bytes.value()))
            .transpose()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::calls::{Call, CallKind, Rated};

    fn call(room: &str) -> Call {
        Call {
            pbx: "main".into(),
            room: Some(room.into()),
            start: chrono::NaiveDate::from_ymd_opt(2026, 3, 5)
                .unwrap()
                .and_hms_opt(12, 0, 0)
                .unwrap(),
            duration_secs: 60,
            number: "0612".into(),
            kind: CallKind::Outgoing,
        }
    }

    #[tokio::test]
    async fn postings_are_numbered_in_the_charges_transaction_and_go_out_in_order() {
        let dir = tempfile::tempdir().unwrap();
        let journal = Journal::open(dir.path()).unwrap();
        // A room with a stay (as `complete` leaves it).
        journal
            .write(Box::new(|txn| {
                super::super::charges::follow(
                    txn,
                    "1000",
                    None,
                    Some(7),
                    crate::lang::validate::Limit::Default,
                    0,
                )?;
                let mut rooms = txn
                    .open_table(super::super::ROOMS)
                    .map_err(|e| error("journal", e))?;
                let state = crate::engine::RoomState {
                    stay: Some(7),
                    ..Default::default()
                };
                rooms
                    .insert("1000", serde_json::to_vec(&state).unwrap().as_slice())
                    .map_err(|e| error("journal", e))?;
                Ok(())
            }))
            .await
            .unwrap();
        let rated = |amount| {
            Some(Rated {
                tariff: Some("National".into()),
                amount: Money(amount),
            })
        };
        for (key, amount) in [("a", 110), ("b", 0), ("c", 40)] {
            journal
                .record_call(key.into(), call("1000"), rated(amount), (100, 200), true)
                .await
                .unwrap();
        }
        // Nothing to charge, nothing posted: P#1 and P#2 are the two charges.
        let numbers: Vec<(u64, Money)> = journal
            .postings()
            .unwrap()
            .iter()
            .map(|p| (p.number, p.amount))
            .collect();
        assert_eq!(numbers, [(1, Money(110)), (2, Money(40))]);
        let first = journal.next_posting().unwrap().unwrap();
        assert_eq!(first.number, 1);
        journal
            .set_posting(1, PostingState::Out { at: 300 })
            .await
            .unwrap();
        assert_eq!(journal.next_posting().unwrap().unwrap().number, 2);
        assert_eq!(journal.postings_out().unwrap().len(), 1);
        journal.set_posting(1, PostingState::Posted).await.unwrap();
        journal
            .set_posting(2, PostingState::Unknown { why: "x".into() })
            .await
            .unwrap();
        assert!(journal.next_posting().unwrap().is_none());
        // `charges repost`: a new posting, the old one marked.
        assert_eq!(journal.repost(2).await.unwrap(), Some(3));
        assert_eq!(journal.next_posting().unwrap().unwrap().number, 3);
        assert_eq!(
            journal.posting(2).unwrap().unwrap().state,
            PostingState::Reposted { as_number: 3 }
        );
        assert!(
            journal
                .set_posting(99, PostingState::Posted)
                .await
                .unwrap()
                .is_none()
        );
    }
}
