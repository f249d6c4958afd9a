//! The engine: executes checked commands on a PBX through a `Transport`, never losing one.
//!
//! Input: commands, journaled first. Output: PBX changes, journal updates, and `Event`s for
//! whoever listens (the monitor). Knows the `Transport` trait, not the client; never imports
//! `monitor`, `client`, `sim` or `cli`.
//!
//! `drain` runs every pending command of the journal in order of acceptance: commands that
//! conflict (same room, interacting DID changes; see `conflicts`) one after the other, the rest
//! concurrently up to `max_concurrency`. A command is deleted from the journal when the PBX
//! confirmed all its operations, kept as failed when the PBX refused it, and left pending when the
//! PBX could not be reached; then the run stops starting commands (they would only fail too) and
//! the next run, or `queue retry`, takes them up again in order.

mod conflicts;
mod event;
mod execute;
pub mod journal;
pub mod room_state;
mod transport;

use std::collections::HashSet;
use std::sync::{Arc, Mutex, PoisonError};

use tokio::sync::{Semaphore, watch};
use tokio::task::JoinSet;

pub use event::{Event, Operation, OperationResult, Outcome, Sink};
pub use journal::{Entry, Extras, Journal, JournalError, Marker, ScriptStamp, Status};
pub use room_state::{LastCommand, RoomState};
pub use transport::{ConnectCause, Raw, Recovery, Reply, Transport, TransportError};

use crate::config::{DidRange, RetryPolicy};
use crate::lower::Settings;
use crate::validate::Command;
use conflicts::{Settled, Tracker, accesses};

/// How the engine runs.
#[derive(Clone, Copy, Debug)]
pub struct Options {
    pub settings: Settings,
    pub policy: RetryPolicy,
    pub max_concurrency: usize,
    /// Put the envelopes into the events (for `--raw`).
    pub raw: bool,
}

/// Executes journaled commands.
pub struct Engine<T> {
    inner: Arc<Inner<T>>,
}

pub(crate) struct Inner<T> {
    transport: Arc<T>,
    journal: Journal,
    settings: Settings,
    policy: RetryPolicy,
    max_concurrency: usize,
    raw: bool,
    sink: Sink,
    /// Why the current run stopped starting commands.
    halt_reason: Mutex<Option<String>>,
    /// DIDs chosen by `DID AUTO` of commands that have not finished.
    reserved: Mutex<HashSet<String>>,
}

/// What a drain did.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Report {
    pub done: usize,
    /// Why each command the PBX refused failed (each reason names its room).
    pub failed: Vec<String>,
    /// Commands left pending.
    pub queued: usize,
    /// Why the run stopped early, if it did.
    pub halted: Option<String>,
    /// It was asked to stop (`drain_until`), and why.
    pub stopped: Option<String>,
}

impl<T: Transport> Engine<T> {
    pub fn new(transport: Arc<T>, journal: Journal, options: Options, sink: Sink) -> Self {
        Self {
            inner: Arc::new(Inner {
                transport,
                journal,
                settings: options.settings,
                policy: options.policy,
                max_concurrency: options.max_concurrency.max(1),
                raw: options.raw,
                sink,
                halt_reason: Mutex::new(None),
                reserved: Mutex::new(HashSet::new()),
            }),
        }
    }

    pub fn journal(&self) -> &Journal {
        &self.inner.journal
    }

    pub fn transport(&self) -> &T {
        &self.inner.transport
    }

    /// Journals commands (durably) as pending, in order.
    pub async fn enqueue(
        &self,
        commands: Vec<(String, Command)>,
    ) -> Result<Vec<u64>, JournalError> {
        self.inner.journal.append(commands).await
    }

    /// Checks every pending command again with `recheck` before it is replayed (the
    /// configuration may have changed since it was accepted): one that no longer validates is
    /// kept as failed with the reason, never run; one that reads differently now (a level with
    /// another COR) is updated. Returns the commands it failed, with why.
    pub async fn recheck_pending(
        &self,
        recheck: impl Fn(&Command) -> Result<Command, String>,
    ) -> Result<Vec<(Entry, String)>, JournalError> {
        let mut refused = Vec::new();
        let mut cursor = 0;
        loop {
            let batch = self.inner.journal.pending_after(cursor, 512)?;
            let Some(last) = batch.last() else {
                return Ok(refused);
            };
            cursor = last.seq;
            for mut entry in batch {
                match recheck(&entry.command) {
                    Ok(fresh) if fresh.action == entry.command.action => {}
                    Ok(fresh) => {
                        entry.command.action = fresh.action;
                        self.inner.journal.update(&entry).await?;
                    }
                    Err(why) => {
                        let reason = format!(
                            "room {}: {} is no longer valid under the current configuration: {why}; fix the configuration and run `hotelcare queue retry`, or `hotelcare queue drop {}`",
                            entry.command.action.room(),
                            entry.command.action.keyword(),
                            entry.seq
                        );
                        entry.status = Status::Failed;
                        entry.last_error = Some(reason.clone());
                        self.inner.journal.update(&entry).await?;
                        refused.push((entry, reason));
                    }
                }
            }
        }
    }

    /// Runs every pending command of the journal (see the module documentation).
    pub async fn drain(&self) -> Result<Report, JournalError> {
        self.drain_until(std::future::pending()).await
    }

    /// `drain`, until `stop` yields a reason (Ctrl-C, SIGTERM): then no further command starts,
    /// the ones waiting on the PBX stop waiting, and everything not done stays pending in the
    /// journal, with the attempts it made (`Report::halted` is the reason).
    pub async fn drain_until(
        &self,
        stop: impl Future<Output = String>,
    ) -> Result<Report, JournalError> {
        *self
            .inner
            .halt_reason
            .lock()
            .unwrap_or_else(PoisonError::into_inner) = None;
        let mut tasks: JoinSet<Outcome> = JoinSet::new();
        let mut report = Report::default();
        tokio::pin!(stop);
        let stopped = tokio::select! {
            admitted = self.admit_all(&mut tasks, &mut report) => {
                admitted?;
                tokio::select! {
                    () = join_all(&mut tasks, &mut report) => None,
                    reason = &mut stop => Some(reason),
                }
            }
            reason = &mut stop => Some(reason),
        };
        if let Some(reason) = stopped {
            self.inner.halt(&reason);
            tasks.abort_all();
            join_all(&mut tasks, &mut report).await;
            report.queued = self.inner.journal.count_pending()?;
            report.stopped = Some(reason);
        }
        report.halted = self.inner.halted();
        Ok(report)
    }

    /// Starts a task for every pending command, in journal order (each waits for the earlier
    /// commands it conflicts with); tallies the tasks that finish meanwhile.
    async fn admit_all(
        &self,
        tasks: &mut JoinSet<Outcome>,
        report: &mut Report,
    ) -> Result<(), JournalError> {
        let number_transfer = self.inner.settings.number_transfer.is_some();
        let running = Arc::new(Semaphore::new(self.inner.max_concurrency));
        // Bounds how far ahead of the running commands the journal is read (memory).
        let lookahead = Arc::new(Semaphore::new(self.inner.max_concurrency * 64 + 64));
        let mut tracker = Tracker::default();
        let mut cursor = 0;
        loop {
            let batch = self.inner.journal.pending_after(cursor, 512)?;
            if batch.is_empty() {
                return Ok(());
            }
            for entry in batch {
                cursor = entry.seq;
                let ticket = Arc::clone(&lookahead)
                    .acquire_owned()
                    .await
                    .expect("the lookahead semaphore is never closed");
                while let Some(finished) = tasks.try_join_next() {
                    tally(report, finished);
                }
                let (settle, signal) = watch::channel(None);
                let waits = tracker.admit(
                    entry.seq,
                    &accesses(&entry.command.action, number_transfer),
                    &signal,
                );
                let inner = Arc::clone(&self.inner);
                let running = Arc::clone(&running);
                tasks.spawn(async move {
                    let _ticket = ticket;
                    let mut held = false;
                    for mut wait in waits {
                        let settled = wait.wait_for(Option::is_some).await.map(|s| *s);
                        held |= !matches!(settled, Ok(Some(Settled::Finished)));
                    }
                    let outcome = if held {
                        inner.hold(&entry, "it waits for an earlier command on the same room or DID that is still queued")
                    } else if let Some(reason) = inner.halted() {
                        inner.hold(&entry, &reason)
                    } else {
                        let _permit = running.acquire().await.expect("never closed");
                        inner.run(entry).await
                    };
                    settle.send_replace(Some(match outcome {
                        Outcome::Queued { .. } => Settled::Held,
                        Outcome::Done | Outcome::Failed { .. } => Settled::Finished,
                    }));
                    outcome
                });
            }
        }
    }
}

async fn join_all(tasks: &mut JoinSet<Outcome>, report: &mut Report) {
    while let Some(finished) = tasks.join_next().await {
        tally(report, finished);
    }
}

fn tally(report: &mut Report, finished: Result<Outcome, tokio::task::JoinError>) {
    match finished {
        Ok(Outcome::Done) => report.done += 1,
        Ok(Outcome::Failed { reason }) => report.failed.push(reason),
        Ok(Outcome::Queued { .. }) => report.queued += 1,
        // Stopped (`drain_until`): the command stays pending in the journal.
        Err(error) if error.is_cancelled() => report.queued += 1,
        Err(error) => report.failed.push(format!(
            "internal error: a command task ended abnormally ({error}); please report this"
        )),
    }
}

impl<T: Transport> Inner<T> {
    pub(crate) fn emit(&self, event: &Event<'_>) {
        (self.sink)(event);
    }

    pub(crate) fn halted(&self) -> Option<String> {
        self.halt_reason
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    /// Stops the run from starting further commands; the first reason is kept.
    pub(crate) fn halt(&self, reason: &str) {
        let mut slot = self
            .halt_reason
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        if slot.is_none() {
            *slot = Some(reason.to_owned());
        }
    }

    /// Leaves a command pending without running it.
    fn hold(&self, entry: &Entry, reason: &str) -> Outcome {
        let outcome = Outcome::Queued {
            reason: reason.to_owned(),
        };
        self.emit(&Event::Finished {
            entry,
            outcome: &outcome,
            reads: &entry.reads,
        });
        outcome
    }

    /// Executes one command and records the result in the journal.
    async fn run(&self, entry: Entry) -> Outcome {
        let executed = execute::execute(self, entry).await;
        let (outcome, entry) = (executed.outcome, executed.entry);
        let mut journaled = entry.clone();
        journaled.reads = executed.journal_reads;
        let recorded = match &outcome {
            Outcome::Done => {
                let states = self.room_states(&entry);
                self.journal.complete(&journaled, states).await
            }
            Outcome::Failed { reason } => {
                journaled.status = Status::Failed;
                journaled.last_error = Some(reason.clone());
                self.journal.update(&journaled).await
            }
            Outcome::Queued { .. } => self.journal.update(&journaled).await,
        };
        self.release_dids(&entry);
        let outcome = match recorded {
            Ok(()) => outcome,
            Err(error) => {
                let reason = format!("cannot write the journal: {error}");
                self.halt(&reason);
                Outcome::Queued { reason }
            }
        };
        self.emit(&Event::Finished {
            entry: &entry,
            outcome: &outcome,
            reads: &entry.reads,
        });
        outcome
    }

    /// How the rooms of a done command stand now (see `room_state`).
    fn room_states(&self, entry: &Entry) -> Vec<(String, RoomState)> {
        let last = LastCommand {
            seq: entry.seq,
            origin: entry.origin.clone(),
            keyword: entry.command.action.keyword().to_owned(),
            at: std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |d| d.as_secs()),
        };
        let before = |room: &str| match self.journal.room(room) {
            Ok(state) => state.unwrap_or_default(),
            Err(error) => {
                tracing::warn!("room {room}: its state cannot be read ({error}); starting afresh");
                RoomState::default()
            }
        };
        room_state::after(
            &entry.command.action,
            &entry.reads,
            &self.settings,
            &before,
            &last,
        )
    }

    /// Picks the lowest DID of `range` that the PBX does not list and no running command holds.
    pub(crate) fn reserve_free_did(
        &self,
        range: &DidRange,
        taken: &[(String, String)],
    ) -> Option<String> {
        let mut reserved = self.reserved.lock().unwrap_or_else(PoisonError::into_inner);
        let did = execute::lowest_free(range, taken, &reserved)?;
        reserved.insert(did.clone());
        Some(did)
    }

    /// Forgets a reservation (a kept DID that turned out to be taken).
    pub(crate) fn release_did(&self, did: &str) {
        self.reserved
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .remove(did);
    }

    fn release_dids(&self, entry: &Entry) {
        let mut reserved = self.reserved.lock().unwrap_or_else(PoisonError::into_inner);
        for values in entry.reads.values() {
            for (field, value) in values {
                if *field == crate::lower::ops::Field::DidServiceNumber {
                    reserved.remove(value);
                }
            }
        }
    }
}
