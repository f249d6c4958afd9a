//! `Charges`: what a reported call does — costed by the tariff, journaled once on the stay of
//! its room, and the stay's credit limit kept: above it, `COS room BLOCK` is journaled (source
//! `limit`); a limit raised above the total (or `NONE`) journals the level the stay had before,
//! unless someone set the room's class of service by hand meanwhile (theirs wins).
//!
//! Every input of calls (the SMDR link, `charges import`) comes through `record`; every change
//! of a limit (a `LIMIT` done, a restart) through `enforce`.

use std::sync::Arc;

use chrono::TimeZone as _;

use crate::config::{Config, Money};
use tokio::sync::broadcast;

use crate::control::hub::{Ending, Hub, Kind};
use crate::engine::Intake;
use crate::engine::calls::{Call, CallKind, rate};
use crate::engine::journal::{Journal, JournalError, Recorded, Stay};
use crate::intake::acceptance::{self, Batch, Refusal};
use crate::lang::syntax::{Extension, LevelName, Request};

/// Why the credit limit's class of service was not journaled (it is decided again later).
#[derive(Debug, thiserror::Error)]
enum NotJournaled {
    #[error("room {0} belongs to no configured PBX")]
    NoPbx(String),
    #[error(transparent)]
    Journal(#[from] JournalError),
    /// The `COS` command was refused: why, as its check said.
    #[error("{0}")]
    Refused(String),
}

/// See the module documentation.
pub(crate) struct Charges {
    config: Config,
    journal: Journal,
    hub: Arc<Hub>,
    /// Told when a limit journals a command, so that the drainer runs it.
    intake: Arc<Intake>,
    /// Woken when a posting is queued (the FIAS link sends it at once).
    pub(crate) postings: Arc<tokio::sync::Notify>,
    /// One decision about a limit at a time: two calls of one stay at once must not both
    /// block it.
    deciding: tokio::sync::Mutex<()>,
}

/// What a call's record was, for the caller's count.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Taken {
    /// Journaled (charged to a stay, or recorded for the hotel).
    New,
    /// Journaled, an outgoing call whose number no tariff matched (charged 0).
    Unrated,
    /// Journaled before: nothing changed.
    Again,
}

impl Charges {
    pub(crate) fn new(
        config: Config,
        journal: Journal,
        hub: Arc<Hub>,
        intake: Arc<Intake>,
    ) -> Self {
        Self {
            config,
            journal,
            hub,
            intake,
            postings: Arc::new(tokio::sync::Notify::new()),
            deciding: tokio::sync::Mutex::new(()),
        }
    }

    /// `call`, identified by `identity` (the record as the PBX sent it, with its PBX and
    /// year): costed, journaled once, and its stay's limit kept.
    pub(crate) async fn record(&self, call: Call, identity: &str) -> Result<Taken, JournalError> {
        let rated = (call.kind == CallKind::Outgoing).then(|| {
            rate(
                &self.config.charges.tariffs,
                &call.number,
                call.duration_secs,
            )
        });
        let start = chrono::Local
            .from_local_datetime(&call.start)
            .earliest()
            .map_or(0, |at| u64::try_from(at.timestamp()).unwrap_or(0));
        let key = acceptance::content_hash(identity.as_bytes());
        let received = crate::support::clock::epoch_secs();
        let recorded = self
            .journal
            .record_call(
                key,
                call,
                rated,
                (start, received),
                self.config.charges.post,
            )
            .await?;
        if recorded.duplicate {
            return Ok(Taken::Again);
        }
        self.tell(&recorded);
        if recorded.entry.posting.is_some() {
            self.postings.notify_one();
        }
        if let Some(stay) = &recorded.stay {
            self.enforce(stay.id).await;
        }
        let unrated = recorded
            .entry
            .rated
            .as_ref()
            .is_some_and(|rated| rated.tariff.is_none());
        Ok(if unrated { Taken::Unrated } else { Taken::New })
    }

    /// The monitor's line of a call (no number: whom a guest called stays in the ledger).
    fn tell(&self, recorded: &Recorded) {
        let call = &recorded.entry.call;
        let Some(rated) = &recorded.entry.rated else {
            return;
        };
        let decimals = self.config.charges.decimals;
        let room = call.room.as_deref().unwrap_or("-");
        let minutes = format!("{}:{:02}", call.duration_secs / 60, call.duration_secs % 60);
        if rated.tariff.is_none() {
            self.hub.metrics.calls_without_tariff.inc();
        }
        let text = match (&rated.tariff, &recorded.stay) {
            (None, _) => format!(
                "warning: call of room {room} ({minutes}) matches no tariff: charged 0; `hotelcare charges {room}` shows its number: add a `[[charges.tariff]]` for its prefix"
            ),
            (Some(tariff), Some(stay)) => format!(
                "call of room {room}: {minutes} {tariff} {} (stay total {}{})",
                rated.amount.show(decimals),
                stay.total.show(decimals),
                stay.limit
                    .resolve(self.config.charges.limit)
                    .map(|limit| format!(" of limit {}", limit.show(decimals)))
                    .unwrap_or_default()
            ),
            (Some(tariff), None) => format!(
                "call of room {room}: {minutes} {tariff} {}, no stay: recorded for the hotel, charged to no one",
                rated.amount.show(decimals)
            ),
        };
        self.hub.notice(&text, rated.tariff.is_none());
    }

    /// Keeps the limits from now on: every stay's at once (a decision a stop interrupted is
    /// made again), then a stay's whenever a `LIMIT` on its room is done.
    pub(crate) fn watch(self: &Arc<Self>) {
        let charges = Arc::clone(self);
        let mut events = self.hub.subscribe();
        tokio::spawn(async move {
            charges.enforce_all().await;
            loop {
                match events.recv().await {
                    Ok(event) => {
                        let limit = event
                            .command
                            .split_whitespace()
                            .next()
                            .is_some_and(|word| word.eq_ignore_ascii_case("LIMIT"));
                        if event.kind == Kind::Finished
                            && event.outcome == Some(Ending::Done)
                            && limit
                        {
                            let stay = charges
                                .journal
                                .room(&event.room)
                                .ok()
                                .flatten()
                                .and_then(|state| state.stay);
                            if let Some(stay) = stay {
                                charges.enforce(stay).await;
                            }
                        }
                    }
                    Err(broadcast::error::RecvError::Lagged(_)) => charges.enforce_all().await,
                    Err(broadcast::error::RecvError::Closed) => return,
                }
            }
        });
    }

    /// Every stay's limit kept (at a start: a decision a stop interrupted is made again).
    pub(crate) async fn enforce_all(&self) {
        match self.journal.open_stay_limits() {
            Ok(stays) => {
                let default = self.config.charges.limit;
                for stay in stays {
                    // Without a limit and not blocked there is nothing to decide: a start
                    // with a thousand stays and no limits does not read a thousand rooms.
                    if stay.limit.resolve(default).is_some() || stay.blocked_from.is_some() {
                        self.enforce(stay.id).await;
                    }
                }
            }
            Err(error) => {
                self.hub.notice(
                    &format!("error: the stays' credit limits cannot be checked: {error}"),
                    true,
                );
            }
        }
    }

    /// Stay `id`'s limit kept: blocked above it, released below it. A problem is told, never
    /// raised: the call is journaled either way, and the next call or start decides again.
    pub(crate) async fn enforce(&self, id: u64) {
        let _one = self.deciding.lock().await;
        let stay = match self.journal.stay(id) {
            Ok(Some(stay)) if stay.ended.is_none() => stay,
            Ok(_) => return,
            Err(error) => {
                self.hub.notice(
                    &format!("error: stay {id}'s credit limit cannot be checked: {error}"),
                    true,
                );
                return;
            }
        };
        if let Err(why) = self.decide(&stay).await {
            self.hub.notice(
                &format!(
                    "error: room {}: the credit limit's class of service was not journaled: {why}; it is decided again with the next call or start",
                    stay.room()
                ),
                true,
            );
        }
    }

    async fn decide(&self, stay: &Stay) -> Result<(), NotJournaled> {
        let decimals = self.config.charges.decimals;
        let limit = stay.limit.resolve(self.config.charges.limit);
        let over = limit.is_some_and(|limit| stay.total > limit);
        let room = stay.room();
        let site = self
            .config
            .pbx_of(room)
            .and_then(|index| self.config.pbxs.get(index))
            .ok_or_else(|| NotJournaled::NoPbx(room.to_owned()))?;
        let state = self.journal.room(room)?;
        let cor = state.as_ref().and_then(|state| state.cor);
        let block = site.cor.block.get();
        let show = |money: Money| money.show(decimals);
        match (over, stay.blocked_from) {
            (true, None) => {
                let before = cor.unwrap_or_else(|| site.cor.allow.get());
                self.journal_cos(room, "BLOCK", (stay.id, Some(before)))
                    .await?;
                self.hub.notice(
                    &format!(
                        "room {room}: limit reached: total {} of limit {}; outside calls blocked (COS {room} BLOCK)",
                        show(stay.total),
                        limit.map(show).unwrap_or_default()
                    ),
                    false,
                );
            }
            (false, Some(before)) => {
                if cor == Some(block) {
                    let level = site
                        .levels
                        .iter()
                        .find(|(_, level)| level.get() == before)
                        .map_or("ALLOW", |(name, _)| name.as_str());
                    self.journal_cos(room, level, (stay.id, None)).await?;
                    self.hub.notice(
                        &format!(
                            "room {room}: total {} is within the limit{}: outside calls restored (COS {room} {level})",
                            show(stay.total),
                            limit.map_or_else(|| " (none)".into(), |l| format!(" of {}", show(l)))
                        ),
                        false,
                    );
                } else {
                    // Someone set the room's class of service by hand while it was blocked:
                    // theirs stands; the limit lets go.
                    self.journal.release_block(stay.id).await?;
                }
            }
            _ => {}
        }
        Ok(())
    }

    /// `COS room level`, source `limit`, with the stay's blocked state in the same transaction.
    async fn journal_cos(
        &self,
        room: &str,
        level: &str,
        blocked: (u64, Option<u8>),
    ) -> Result<(), NotJournaled> {
        let room = Extension::new(room).map_err(|e| NotJournaled::Refused(e.to_string()))?;
        let level = LevelName::new(level).map_err(|e| NotJournaled::Refused(e.to_string()))?;
        let batch = Batch {
            source: "limit".into(),
            commands: vec![(Request::Cos { room, level }, None)],
            identity: None,
            flags: Vec::new(),
            wakeups: Vec::new(),
            blocked: Some(blocked),
        };
        let accepted = acceptance::accept_batch(&self.config, &self.journal, batch).await;
        if let Ok((seqs, _)) = &accepted {
            self.hub.metrics.accepted.inc_by(seqs.len() as u64);
            self.intake.more();
        }
        accepted.map(|_| ()).map_err(|refusal| match refusal {
            Refusal::Invalid(checked) => NotJournaled::Refused(
                checked
                    .diagnostics
                    .iter()
                    .map(|record| record.message.clone())
                    .collect::<Vec<_>>()
                    .join("; "),
            ),
            Refusal::Unreadable(why) | Refusal::Duplicate(why) => NotJournaled::Refused(why),
            Refusal::Journal(error) => NotJournaled::Journal(error),
        })
    }
}
