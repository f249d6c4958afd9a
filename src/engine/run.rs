//! `Run`: one command being carried out, as a driver sees it. Through it the driver reports its
//! steps, keeps what a retry must not read again (journaled before the command's first write),
//! and reports failed attempts, on which the engine applies the retry policy: a pause and
//! another try, this command's failure, or a halt of the whole run (the PBX is unreachable, the
//! credentials are wrong).

use std::time::{Duration, Instant, SystemTime};

use crate::diagnostics::Count;
use crate::engine::Shared;
use crate::engine::event::{Event, Raw, Step, StepHeader, StepResult};
use crate::engine::journal::Entry;
use crate::validate::Command;

/// Why a command stopped before it was done.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Stopped {
    /// This command cannot succeed as it is; the reason names the room and what to do. It is
    /// kept as failed.
    Command(String),
    /// Nothing can succeed now (the reason is the run's halt reason); the command stays queued.
    Run(String),
}

/// What a driver says about a failed attempt.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Failure {
    pub kind: FailureKind,
    /// In the words a technician needs (names the PBX and what to check).
    pub message: String,
}

/// How bad a failure is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FailureKind {
    /// Worth another try (a timeout, a busy PBX). `unreachable`: the PBX could not be reached
    /// at all, so when the tries run out the whole run stops and keeps everything queued.
    Transient { unreachable: bool },
    /// This command cannot succeed as it is (the PBX refused a value); the others go on.
    Permanent,
    /// No command can succeed until someone fixes the configuration (credentials, trust).
    Fatal,
}

/// When a step was answered and how long it took.
#[derive(Clone, Copy, Debug)]
pub struct Timing {
    pub at: SystemTime,
    pub elapsed: Duration,
}

impl Timing {
    pub fn now() -> Self {
        Self {
            at: SystemTime::now(),
            elapsed: Duration::ZERO,
        }
    }

    /// Since `started`, now.
    pub fn since(started: Instant) -> Self {
        Self {
            at: SystemTime::now(),
            elapsed: started.elapsed(),
        }
    }
}

/// One command being carried out.
pub struct Run<'r> {
    pub(crate) shared: &'r Shared,
    pub(crate) entry: Entry,
    /// What the journal holds of `entry.kept` (it is journaled only once a write is near).
    pub(crate) kept_saved: bool,
}

impl<'r> Run<'r> {
    pub(crate) fn new(shared: &'r Shared, entry: Entry) -> Self {
        Self {
            shared,
            entry,
            kept_saved: false,
        }
    }

    pub fn command(&self) -> &Command {
        &self.entry.command
    }

    pub fn entry(&self) -> &Entry {
        &self.entry
    }

    /// What an interrupted earlier run kept for this command (`Null` when nothing).
    pub fn kept(&self) -> &serde_json::Value {
        &self.entry.kept
    }

    /// Whether steps should carry what went over the wire (`--raw`).
    /// What hotelcare last had confirmed of `room` (a wire that cannot read the PBX works
    /// from it); a room it never changed is vacant. `Err`: the journal cannot be read, and
    /// the command must not guess.
    pub fn room_state(&self, room: &str) -> Result<crate::engine::RoomState, Stopped> {
        let journal = self.shared.rooms.as_ref().unwrap_or(&self.shared.journal);
        journal
            .room(room)
            .map(Option::unwrap_or_default)
            .map_err(|error| {
                Stopped::Command(format!(
                    "room {room}: what hotelcare last set cannot be read from the journal ({error}); nothing was sent"
                ))
            })
    }

    pub fn raw(&self) -> bool {
        self.shared.raw
    }

    /// Why the run stopped starting commands, if it did.
    pub fn halted(&self) -> Option<String> {
        self.shared.halted()
    }

    /// Reports a step.
    pub fn emit(
        &self,
        header: &StepHeader<'_>,
        result: StepResult<'_>,
        timing: Timing,
        logged_in: bool,
        raw: Option<&Raw>,
    ) {
        self.shared.emit(&Event::Step(Step {
            entry: &self.entry,
            header,
            result,
            at: timing.at,
            elapsed: timing.elapsed,
            logged_in,
            raw,
        }));
    }

    /// Journals `kept` for this command before it writes: a retry after a crash then uses it
    /// instead of reading a room the command's own writes may have changed.
    pub async fn keep(&mut self, kept: serde_json::Value) -> Result<(), Stopped> {
        self.entry.kept = kept;
        if let Err(error) = self.shared.journal.update(&self.entry).await {
            let reason = format!("cannot write the journal: {error}");
            self.shared.halt(&reason);
            return Err(Stopped::Run(reason));
        }
        self.kept_saved = true;
        Ok(())
    }

    /// A failed attempt `attempt` (from 1) of `header`: counted and journaled, shown, and then
    /// either paused for (`Ok`: try again now) or turned into why the command stops.
    pub async fn failed(
        &mut self,
        header: &StepHeader<'_>,
        attempt: u32,
        failure: &Failure,
        timing: Timing,
    ) -> Result<(), Stopped> {
        self.entry.attempts += 1;
        self.entry.last_error = Some(failure.message.clone());
        if self.shared.journal.path().is_some() {
            // At once, so that `queue list` shows what happened even if the command is then
            // interrupted (Ctrl-C, a kill).
            let mut saved = self.entry.clone();
            if !self.kept_saved {
                saved.kept = serde_json::Value::Null;
            }
            if let Err(error) = self.shared.journal.update(&saved).await {
                tracing::warn!(
                    "cannot record the failed attempt of {}: {error}",
                    self.entry.origin
                );
            }
        }
        let policy = self.shared.policy;
        let retry_in = (matches!(failure.kind, FailureKind::Transient { .. })
            && attempt < policy.attempts
            && self.shared.halted().is_none())
        .then(|| backoff(policy.initial_backoff, policy.max_backoff, attempt));
        self.emit(
            header,
            StepResult::Failed {
                error: &failure.message,
                attempt,
                retry_in,
            },
            timing,
            false,
            None,
        );
        if let Some(pause) = retry_in {
            tokio::time::sleep(pause).await;
            return Ok(());
        }
        let attempts = Count(attempt as usize, "attempt");
        Err(match failure.kind {
            FailureKind::Permanent => Stopped::Command(failure.message.clone()),
            // The PBX answers, but not this request: this command's failure, not a reason to
            // stop every other room.
            FailureKind::Transient { unreachable: false } => {
                Stopped::Command(format!("gave up after {attempts}: {}", failure.message))
            }
            FailureKind::Transient { unreachable: true } => {
                self.shared.halt(&format!(
                    "the PBX is unreachable (after {attempts}): {}",
                    failure.message
                ));
                Stopped::Run(self.shared.halted().unwrap_or_default())
            }
            FailureKind::Fatal => {
                self.shared.halt(&failure.message);
                Stopped::Run(self.shared.halted().unwrap_or_default())
            }
        })
    }
}

/// `initial × 2^(attempt-1)`, at most `max`, with ±25 % jitter so that concurrent retries spread.
fn backoff(initial: Duration, max: Duration, attempt: u32) -> Duration {
    let doubled = initial.saturating_mul(1u32 << (attempt - 1).min(16));
    doubled.min(max).mul_f64(0.75 + fastrand::f64() * 0.5)
}
