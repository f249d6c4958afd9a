//! The engine: executes checked commands on the PBXs of a property through their `Wire`s, never
//! losing one.
//!
//! Input: commands, journaled first. Output: PBX changes, journal updates, and `Event`s for
//! whoever listens (the monitor). Knows the `Wire` trait (`wire`) and the policy of several
//! PBXs (`pbxs`), not any wire: never imports `pbx`, `monitor`, `sim`, `inputs` or `cli`.
//!
//! `drain` runs every pending command of the journal in order of acceptance: commands that
//! conflict (same room, interacting DID changes; see `conflicts`) one after the other, the rest
//! concurrently up to `max_concurrency`. A command is deleted from the journal when the PBX
//! confirmed all its operations, kept as failed when the PBX refused it, and left pending when the
//! PBX could not be reached; then the run stops starting commands (they would only fail too) and
//! the next run, or `queue retry`, takes them up again in order.

pub(crate) mod calls;
mod conflicts;
mod event;
mod flood;
mod halts;
use halts::Halts;
pub(crate) mod journal;
mod listen;
mod pbxs;
mod preconditions;
mod room_flags;
pub(crate) mod room_state;
pub(crate) mod run;
pub(crate) mod wire;

use std::sync::{Arc, Mutex, PoisonError};

use tokio::sync::{Semaphore, watch};
use tokio::task::JoinSet;

pub(crate) use event::{Event, Outcome, Raw, Shown, Sink, Step, StepHeader, StepResult};
pub(crate) use journal::{Entry, Extras, Journal, JournalError, Marker, Page, ScriptStamp, Status};
pub(crate) use pbxs::Pbxs;
pub(crate) use pbxs::move_across_plan;
pub(crate) use room_flags::{FlagChange, FlagChanges, MaidStatus, Sharer};
pub(crate) use room_state::{LastCommand, RoomState};
pub(crate) use run::{Failure, FailureKind, Run, Stopped, Timing};
pub(crate) use wire::{
    Carried, Done, Planned, Record, RecordField, Snapshot, Wire, WireError, WireEvent, WireEvents,
    WireFuture,
};

use crate::config::RetryPolicy;
use crate::lang::validate::wakeup::WakeupChange;
use crate::lang::validate::{Action, CheckIn, Command, DidRequest};
use crate::support::audience::Audience;
use conflicts::{RoomDid, Settled, Signals, Tracker, accesses};
use journal::WakeupAnswer;

/// How the engine runs.
#[derive(Clone, Debug)]
pub(crate) struct Options {
    pub(crate) policy: RetryPolicy,
    pub(crate) max_concurrency: usize,
    /// When to put what went over the wire into the events (for `--raw`).
    pub(crate) raw: Audience,
    /// Telephone number transfer is on: commands that change DIDs are ordered among themselves.
    pub(crate) number_transfer: bool,
    /// The Class of Restriction a check-out sets, for the room state.
    pub(crate) block_cor: u8,
}

impl Options {
    /// The options `config` asks for; `raw` says when what went over the wire goes into the
    /// events.
    pub(crate) fn of(config: &crate::config::Config, raw: Audience) -> Self {
        Self {
            policy: config.run.retry,
            max_concurrency: config.run.max_concurrency,
            raw,
            number_transfer: config
                .pbxs
                .iter()
                .any(|site| site.number_transfer.is_some()),
            block_cor: config.first_pbx().cor.block.get(),
        }
    }
}

/// Executes journaled commands. Clones share everything (the journal, the PBXs).
#[derive(Clone)]
pub(crate) struct Engine {
    inner: Arc<Inner>,
}

struct Inner {
    pbxs: Arc<Pbxs>,
    shared: Shared,
}

/// What every command of a drain shares, whatever the wire.
pub(crate) struct Shared {
    journal: Journal,
    /// Where the expected room state is read (`None`: `journal`): one-off commands run on an
    /// in-memory journal but see the rooms of the real one.
    rooms: Option<Journal>,
    /// Commands admitted and not yet settled: they must not be dropped or changed meanwhile.
    in_flight: Mutex<std::collections::HashSet<u64>>,
    /// The highest number any drain admitted, and what it was when this drain began: a command
    /// at or below the latter was drained before (its "queued" line was told then). Two
    /// numbers, not a set: a million queued commands cost nothing here.
    admitted: std::sync::atomic::AtomicU64,
    drained_before: std::sync::atomic::AtomicU64,
    /// The lowest number a `queue retry` made pending again since the last drain began: from
    /// there on, the next drain tells "queued" lines afresh (`u64::MAX`: none).
    retold_from: std::sync::atomic::AtomicU64,
    options: Options,
    policy: RetryPolicy,
    raw: Audience,
    sink: Sink,
    /// The PBXs' names, for halt reasons and events.
    pbx_names: Vec<String>,
    /// Events and reasons name the PBX (`Pbxs::names_pbxs`).
    name_pbxs: bool,
    /// Why the current run stopped starting commands: on every PBX, or on some.
    halts: Mutex<Halts>,
}

/// How a service tells an open drain (`Engine::drain_open`) that there is more to do.
#[derive(Debug, Default)]
pub(crate) struct Intake {
    notify: tokio::sync::Notify,
    rescan: std::sync::atomic::AtomicBool,
}

impl Intake {
    /// New commands were journaled (call after the journal confirmed them).
    pub(crate) fn more(&self) {
        self.notify.notify_one();
    }

    /// Commands before the point an open drain has read to became pending again (`queue
    /// retry`): the drain stops taking commands in, and the next one starts from the beginning.
    pub(crate) fn rescan(&self) {
        self.rescan.store(true, std::sync::atomic::Ordering::SeqCst);
        self.notify.notify_one();
    }

    fn rescan_wanted(&self) -> bool {
        self.rescan.load(std::sync::atomic::Ordering::SeqCst)
    }

    /// Takes the rescan request (the caller starts a drain from the beginning).
    pub(crate) fn take_rescan(&self) -> bool {
        self.rescan.swap(false, std::sync::atomic::Ordering::SeqCst)
    }

    /// Waits until `more` or `rescan` is called (at once if it was since the last wait).
    pub(crate) async fn wait(&self) {
        self.notify.notified().await;
    }
}

/// What a drain did.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct Report {
    pub(crate) done: usize,
    /// Why each command the PBX refused failed: `origin: reason` (the reason names the room).
    pub(crate) failed: Vec<String>,
    /// Commands left pending.
    pub(crate) queued: usize,
    /// Why the run stopped early, if it did.
    pub(crate) halted: Option<String>,
    /// The PBXs it stopped on (by name; empty when it stopped on all, or did not stop).
    pub(crate) halted_pbxs: Vec<String>,
    /// It was asked to stop (`drain_until`), and why.
    pub(crate) stopped: Option<String>,
}

impl Engine {
    pub(crate) fn new(pbxs: Arc<Pbxs>, journal: Journal, options: Options, sink: Sink) -> Self {
        if journal.path().is_some() {
            listen::to_every_wire(&pbxs, &journal, &sink);
        }
        let options = Options {
            max_concurrency: options.max_concurrency.max(1),
            ..options
        };
        let name_pbxs = pbxs.names_pbxs();
        let mut pbx_names = pbxs.pbx_names();
        if pbx_names.is_empty() {
            pbx_names.push(crate::config::MAIN.to_owned());
        }
        Self {
            inner: Arc::new(Inner {
                pbxs,
                shared: Shared {
                    journal,
                    rooms: None,
                    in_flight: Mutex::default(),
                    admitted: std::sync::atomic::AtomicU64::new(0),
                    drained_before: std::sync::atomic::AtomicU64::new(0),
                    retold_from: std::sync::atomic::AtomicU64::new(u64::MAX),
                    policy: options.policy,
                    raw: options.raw.clone(),
                    options,
                    sink,
                    halts: Mutex::new(Halts {
                        all: None,
                        pbx: vec![None; pbx_names.len()],
                        since: None,
                    }),
                    name_pbxs,
                    pbx_names,
                },
            }),
        }
    }

    /// Reads the expected room state from `rooms` instead of its own journal (one-off
    /// commands: `SHOW` on a wire that cannot read the PBX answers from it). Call right after
    /// `new`, before the engine is cloned.
    #[must_use]
    pub(crate) fn reading_rooms_from(mut self, rooms: Journal) -> Self {
        if let Some(inner) = Arc::get_mut(&mut self.inner) {
            inner.shared.rooms = Some(rooms);
        }
        self
    }

    pub(crate) fn journal(&self) -> &Journal {
        &self.inner.shared.journal
    }

    /// Whether command `seq` is running (or waiting to) in a drain now: dropping or changing it
    /// in the journal then would race with its execution.
    /// Failed commands from `seq` on were made pending again (`queue retry`): their first
    /// "queued" line of the next drain goes to the log as any first one does.
    pub(crate) fn retold_from(&self, seq: u64) {
        self.inner
            .shared
            .retold_from
            .fetch_min(seq, std::sync::atomic::Ordering::Relaxed);
    }

    pub(crate) fn in_flight(&self, seq: u64) -> bool {
        self.inner
            .shared
            .in_flight
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .contains(&seq)
    }

    /// The PBXs it drives (to share with another engine: one-off commands next to a
    /// journal's).
    pub(crate) fn pbxs(&self) -> &Arc<Pbxs> {
        &self.inner.pbxs
    }

    /// Journals commands (durably) as pending, in order.
    pub(crate) async fn enqueue(
        &self,
        commands: Vec<(String, Command)>,
    ) -> Result<Vec<u64>, JournalError> {
        self.inner.shared.journal.append(commands).await
    }

    /// Checks every pending command again with `recheck` before it is replayed (the
    /// configuration may have changed since it was accepted): one that no longer validates is
    /// kept as failed with the reason, never run; one that reads differently now (a level with
    /// another COR) is updated. Returns the commands it failed, with why.
    pub(crate) async fn recheck_pending(
        &self,
        recheck: impl Fn(&Command) -> Result<Command, crate::lang::validate::NoLongerValid>,
    ) -> Result<Vec<(Entry, String)>, JournalError> {
        let mut refused = Vec::new();
        let mut cursor = 0;
        loop {
            let batch = self.inner.shared.journal.pending_after(cursor, 512)?;
            let Some(last) = batch.last() else {
                return Ok(refused);
            };
            cursor = last.seq;
            for mut entry in batch {
                if self.in_flight(entry.seq) {
                    // Running now: it was checked when it was admitted.
                    continue;
                }
                match recheck(&entry.command) {
                    Ok(fresh) if fresh.action == entry.command.action => {}
                    Ok(fresh) => {
                        entry.command.action = fresh.action;
                        self.inner.shared.journal.update(&entry).await?;
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
                        self.inner.shared.journal.update(&entry).await?;
                        if let Action::Wakeup {
                            room,
                            change: WakeupChange::Book(at),
                        } = &entry.command.action
                        {
                            self.inner
                                .shared
                                .journal
                                .answer_wakeup(room, *at, WakeupAnswer::NotBooked(reason.clone()))
                                .await?;
                        }
                        refused.push((entry, reason));
                    }
                }
            }
        }
    }

    /// Runs every pending command of the journal (see the module documentation).
    pub(crate) async fn drain(&self) -> Result<Report, JournalError> {
        self.drain_until(std::future::pending()).await
    }

    /// `drain`, until `stop` yields a reason (Ctrl-C, SIGTERM): then no further command starts,
    /// the ones waiting on the PBX stop waiting, and everything not done stays pending in the
    /// journal, with the attempts it made (`Report::halted` is the reason).
    pub(crate) async fn drain_until(
        &self,
        stop: impl Future<Output = String>,
    ) -> Result<Report, JournalError> {
        self.drain_open(None, std::time::Duration::ZERO, stop).await
    }

    /// `drain_until` for a service that keeps accepting: once the journal has nothing more,
    /// it waits on `intake` (told after new commands are journaled) while commands still run,
    /// and takes the new ones in, ordered after the running ones they conflict with. It
    /// returns once nothing runs and nothing new came, when `intake` asks for a rescan (failed
    /// commands made pending again sit before the point it has read to), or on `stop`: then
    /// no command starts, and the running ones get `grace` to finish before they are cut off
    /// (they stay pending).
    pub(crate) async fn drain_open(
        &self,
        intake: Option<&Intake>,
        grace: std::time::Duration,
        stop: impl Future<Output = String>,
    ) -> Result<Report, JournalError> {
        self.inner.shared.clear_halts();
        let shared = &self.inner.shared;
        let retold = shared
            .retold_from
            .swap(u64::MAX, std::sync::atomic::Ordering::Relaxed);
        shared.drained_before.store(
            shared
                .admitted
                .load(std::sync::atomic::Ordering::Relaxed)
                .min(retold.saturating_sub(1)),
            std::sync::atomic::Ordering::Relaxed,
        );
        let mut tasks: JoinSet<(String, Outcome)> = JoinSet::new();
        let mut report = Report::default();
        tokio::pin!(stop);
        let stopped = tokio::select! {
            admitted = self.admit_all(&mut tasks, &mut report, intake) => {
                admitted?;
                tokio::select! {
                    () = join_all(&mut tasks, &mut report) => None,
                    reason = &mut stop => Some(reason),
                }
            }
            reason = &mut stop => Some(reason),
        };
        if let Some(reason) = stopped {
            self.inner.shared.halt(&reason);
            if !grace.is_zero() {
                let _ = tokio::time::timeout(grace, join_all(&mut tasks, &mut report)).await;
            }
            tasks.abort_all();
            join_all(&mut tasks, &mut report).await;
            report.queued = self.inner.shared.journal.count_pending()?;
            report.stopped = Some(reason);
        }
        // Tasks cut off by a stop never got to say so.
        self.inner
            .shared
            .in_flight
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clear();
        report.halted = self.inner.shared.halted();
        report.halted_pbxs = self.inner.shared.halted_pbxs();
        Ok(report)
    }

    /// Starts a task for every pending command, in journal order (each waits for the earlier
    /// commands it conflicts with); tallies the tasks that finish meanwhile.
    async fn admit_all(
        &self,
        tasks: &mut JoinSet<(String, Outcome)>,
        report: &mut Report,
        intake: Option<&Intake>,
    ) -> Result<(), JournalError> {
        let options = &self.inner.shared.options;
        let number_transfer = options.number_transfer;
        // Concurrency is per PBX: a slow PBX does not take the others' turns.
        let running: Arc<Vec<Semaphore>> = Arc::new(
            (0..self.inner.shared.pbx_names.len())
                .map(|_| Semaphore::new(options.max_concurrency))
                .collect(),
        );
        // Bounds how far ahead of the running commands the journal is read (memory). Per PBX:
        // a script that lists one PBX's rooms after another's must keep every PBX busy.
        let lookahead = Arc::new(Semaphore::new(
            (options.max_concurrency * 64 + 64) * self.inner.shared.pbx_names.len(),
        ));
        let mut tracker = Tracker::default();
        let mut cursor = 0;
        loop {
            if intake.is_some()
                && self
                    .inner
                    .shared
                    .retry_halted_in()
                    .is_some_and(|left| left.is_zero())
            {
                // A PBX has been halted a while: end this drain, the next tries it again.
                return Ok(());
            }
            let batch = self.inner.shared.journal.pending_after(cursor, 512)?;
            if batch.is_empty() {
                let Some(intake) = intake else {
                    return Ok(());
                };
                // Wait for new commands while some still run; none running and none new: done.
                let woken = loop {
                    if intake.rescan_wanted() {
                        break false;
                    }
                    let retry = self.inner.shared.retry_halted_in();
                    tokio::select! {
                        () = intake.notify.notified() => break !intake.rescan_wanted(),
                        finished = tasks.join_next() => match finished {
                            Some(finished) => tally(report, finished),
                            None => break false,
                        },
                        () = async {
                            match retry {
                                Some(left) => tokio::time::sleep(left).await,
                                None => std::future::pending().await,
                            }
                        } => break false,
                    }
                };
                if woken {
                    continue;
                }
                return Ok(());
            }
            for entry in batch {
                cursor = entry.seq;
                self.inner
                    .shared
                    .admitted
                    .fetch_max(entry.seq, std::sync::atomic::Ordering::Relaxed);
                let ticket = Arc::clone(&lookahead)
                    .acquire_owned()
                    .await
                    .expect("the lookahead semaphore is never closed");
                while let Some(finished) = tasks.try_join_next() {
                    tally(report, finished);
                }
                let (settle, settled) = watch::channel(None);
                let routes = self.inner.pbxs.route(&entry.command.action);
                let mut pools: Vec<usize> = routes
                    .iter()
                    .map(|&pbx| self.inner.pbxs.did_pool(pbx))
                    .collect();
                pools.sort_unstable();
                pools.dedup();
                let room_did = match &entry.command.action {
                    Action::CheckIn(CheckIn {
                        room,
                        did: Some(DidRequest::Number(_)),
                        ..
                    }) if number_transfer => tracker.room_did(room, || {
                        /// All a check-in's admission needs of its room's record.
                        #[derive(serde::Deserialize)]
                        struct Did {
                            did: Option<String>,
                        }
                        self.inner
                            .shared
                            .journal
                            .room_as::<Did>(room)
                            .ok()
                            .map(|state| state.and_then(|state| state.did))
                    }),
                    _ => RoomDid::Unknown,
                };
                let awaited = Arc::new(std::sync::atomic::AtomicBool::new(false));
                let waits = tracker.admit(
                    &accesses(&entry.command.action, number_transfer, &pools, &room_did),
                    &Signals {
                        settled,
                        awaited: Arc::clone(&awaited),
                    },
                );
                self.inner
                    .shared
                    .in_flight
                    .lock()
                    .unwrap_or_else(PoisonError::into_inner)
                    .insert(entry.seq);
                let inner = Arc::clone(&self.inner);
                let running = Arc::clone(&running);
                tasks.spawn(async move {
                    let _ticket = ticket;
                    let mut held = false;
                    for mut wait in waits {
                        let settled = wait.wait_for(Option::is_some).await.map(|s| *s);
                        held |= !matches!(settled, Ok(Some(Settled::Finished)));
                    }
                    let origin = entry.origin.clone();
                    let entry_seq = entry.seq;
                    let outcome = if held {
                        inner.shared.hold(&entry, &routes, "it waits for an earlier command on the same room or DID that is still queued", true)
                    } else if let Some(reason) = inner.shared.halted_on(&routes) {
                        inner.shared.hold(&entry, &routes, &reason, false)
                    } else {
                        // In index order, so that two moves between the same PBXs cannot
                        // each hold the permit the other waits for.
                        let mut sorted = routes.clone();
                        sorted.sort_unstable();
                        let mut permits = Vec::with_capacity(sorted.len());
                        for pbx in sorted {
                            if let Some(semaphore) = running.get(pbx) {
                                permits.push(semaphore.acquire().await.expect("never closed"));
                            }
                        }
                        // Boxed: its state (kilobytes, the PBX exchange's) is allocated only
                        // once the command runs, so that the many admitted commands that wait
                        // for a slot stay small and the running ones reuse warm memory.
                        Box::pin(inner.run(entry, &routes, &awaited, || {
                            // Its completion is handed to the journal: the PBX's slot is
                            // free while it is made durable.
                            permits.clear();
                        }))
                        .await
                    };
                    inner
                        .shared
                        .in_flight
                        .lock()
                        .unwrap_or_else(PoisonError::into_inner)
                        .remove(&entry_seq);
                    let settled = match outcome {
                        Outcome::Queued { .. } => Settled::Held,
                        Outcome::Done | Outcome::Failed { .. } => Settled::Finished,
                    };
                    settle.send_replace(Some(settled));
                    (origin, outcome)
                });
            }
        }
    }
}

async fn join_all(tasks: &mut JoinSet<(String, Outcome)>, report: &mut Report) {
    while let Some(finished) = tasks.join_next().await {
        tally(report, finished);
    }
}

fn tally(report: &mut Report, finished: Result<(String, Outcome), tokio::task::JoinError>) {
    match finished {
        Ok((_, Outcome::Done)) => report.done += 1,
        // Where it came from first, so that a PMS's log finds the line of its file.
        Ok((origin, Outcome::Failed { reason })) => {
            report.failed.push(format!("{origin}: {reason}"));
        }
        Ok((_, Outcome::Queued { .. })) => report.queued += 1,
        // Stopped (`drain_until`): the command stays pending in the journal.
        Err(error) if error.is_cancelled() => report.queued += 1,
        Err(error) => report.failed.push(format!(
            "internal error: a command task ended abnormally ({error}); please report this"
        )),
    }
}

impl Shared {
    pub(crate) fn emit(&self, event: &Event<'_>) {
        (self.sink)(event);
    }

    /// The PBX(s) of a command for people when there are several: `east`, `east->west` for a
    /// move between two, `east,west` for a `TEST` of all.
    pub(crate) fn pbx_label(&self, pbxs: &[usize]) -> Option<String> {
        self.pbx_label_of(pbxs, false)
    }

    fn pbx_label_of(&self, pbxs: &[usize], moved: bool) -> Option<String> {
        self.name_pbxs.then(|| {
            pbxs.iter()
                .filter_map(|&pbx| self.pbx_names.get(pbx).map(String::as_str))
                .collect::<Vec<_>>()
                .join(if moved { "->" } else { "," })
        })
    }

    /// Whether an earlier drain of this process admitted `entry` (see `drained_before`).
    fn drained_before(&self, entry: &Entry) -> bool {
        entry.seq
            <= self
                .drained_before
                .load(std::sync::atomic::Ordering::Relaxed)
    }

    /// The PBX(s) of a journaled command (see `pbx_label`).
    fn command_pbx(&self, entry: &Entry, routes: &[usize]) -> Option<String> {
        let moved = matches!(
            entry.command.action,
            crate::lang::validate::Action::Move { .. }
        );
        self.pbx_label_of(routes, moved)
    }

    /// Leaves a command pending without running it.
    fn hold(&self, entry: &Entry, routes: &[usize], reason: &str, behind: bool) -> Outcome {
        let outcome = Outcome::Queued {
            reason: reason.to_owned(),
            behind,
            again: self.drained_before(entry),
        };
        let pbx = self.command_pbx(entry, routes);
        self.emit(&Event::Finished {
            entry,
            pbx: pbx.as_deref(),
            outcome: &outcome,
            record: None,
        });
        outcome
    }

    /// How the rooms of a done command will stand (see `room_state`), worked out by the
    /// journal from how they stood, in the transaction that records it; `block_cor`: what its
    /// PBX's check-out sets, when the driver says.
    fn room_after(&self, entry: &Entry, done: Done, block_cor: Option<u8>) -> journal::After {
        let action = entry.command.action.clone();
        let reservation = entry.command.reservation.clone();
        let transfer = self.options.number_transfer;
        let block_cor = block_cor.unwrap_or(self.options.block_cor);
        let seq = entry.seq;
        Box::new(move |before| {
            room_state::after(
                &action,
                reservation.as_deref(),
                &done,
                transfer,
                block_cor,
                before,
                seq,
            )
        })
    }
}

impl Inner {
    /// Executes one command and records the result in the journal. `handed_over` is called
    /// once a done command's completion is handed to the journal, before it is durable; it is
    /// reported done only once it is. `awaited`: a later command waits for it.
    async fn run(
        &self,
        entry: Entry,
        routes: &[usize],
        awaited: &std::sync::atomic::AtomicBool,
        handed_over: impl FnOnce(),
    ) -> Outcome {
        let shared = &self.shared;
        // Counted until its completion is handed over: from then on it only waits.
        let running = shared.journal.running();
        let refused = preconditions::refusal(
            &entry.command.action,
            || {
                shared
                    .journal
                    .room(entry.command.action.room())
                    .ok()
                    .flatten()
            },
            chrono::Local::now().naive_local(),
        );
        let mut run = Run::new(shared, entry, routes.first().copied().unwrap_or(0));
        let executed = match refused {
            Some(reason) => Err(Stopped::Command(reason)),
            None => self.pbxs.execute(&mut run).await,
        };
        let (mut entry, kept_saved) = run.into_entry();
        if !kept_saved {
            // Only what was journaled before a write is kept: anything else is read afresh by
            // a retry, so that a retry never works from stale data.
            entry.kept = serde_json::Value::Null;
        }
        // A wake-up the PMS booked gets its answer when the command ends (see
        // `journal::wakeups`): booked on a PBX that reports no result, or not booked at all.
        let booked = match &entry.command.action {
            Action::Wakeup {
                room,
                change: WakeupChange::Book(at),
            } => Some((room.clone(), *at)),
            _ => None,
        };
        let (outcome, record) = match executed {
            Ok(mut done) => {
                let block_cor = self.pbxs.block_cor(entry.command.action.room());
                let record = done.record.take();
                let after = shared.room_after(&entry, done, block_cor);
                // A later command waits for it to be reported done: no reason to wait for
                // company.
                let now = awaited.load(std::sync::atomic::Ordering::Relaxed);
                let recorded = match shared.journal.complete(&entry, after, now) {
                    Ok(synced) => {
                        handed_over();
                        drop(running);
                        Journal::synced(synced).await
                    }
                    Err(error) => Err(error),
                };
                if let Some((room, at)) = &booked
                    && !self.pbxs.reports_wakeups(room)
                {
                    let _ = shared
                        .journal
                        .answer_wakeup(room, *at, WakeupAnswer::Booked)
                        .await;
                }
                (recorded.map(|()| Outcome::Done), record)
            }
            Err(Stopped::Command(reason)) => {
                entry.status = Status::Failed;
                // A refusal (a check before any write) is a failed attempt too.
                entry.attempts = entry.attempts.max(1);
                entry.last_error = Some(reason.clone());
                let recorded = shared.journal.update(&entry).await;
                if let Some((room, at)) = &booked {
                    let _ = shared
                        .journal
                        .answer_wakeup(room, *at, WakeupAnswer::NotBooked(reason.clone()))
                        .await;
                }
                (recorded.map(|()| Outcome::Failed { reason }), None)
            }
            Err(Stopped::Run(reason)) => {
                let recorded = shared.journal.update(&entry).await;
                (
                    recorded.map(|()| Outcome::Queued {
                        reason,
                        behind: false,
                        again: shared.drained_before(&entry),
                    }),
                    None,
                )
            }
        };
        let outcome = outcome.unwrap_or_else(|error| {
            let reason = format!("cannot write the journal: {error}");
            shared.halt(&reason);
            Outcome::Queued {
                reason,
                behind: false,
                again: shared.drained_before(&entry),
            }
        });
        let pbx = shared.command_pbx(&entry, routes);
        shared.emit(&Event::Finished {
            entry: &entry,
            pbx: pbx.as_deref(),
            outcome: &outcome,
            record: record.as_ref(),
        });
        outcome
    }
}
