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
use crate::lang::validate::Command;

/// Why a command stopped before it was done.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Stopped {
    /// This command cannot succeed as it is; the reason names the room and what to do. It is
    /// kept as failed.
    Command(String),
    /// Nothing can succeed now (the reason is the run's halt reason); the command stays queued.
    Run(String),
}

/// What a driver says about a failed attempt.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Failure {
    pub(crate) kind: FailureKind,
    /// In the words a technician needs (names the PBX and what to check).
    pub(crate) message: String,
}

/// How bad a failure is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum FailureKind {
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
pub(crate) struct Timing {
    pub(crate) at: SystemTime,
    pub(crate) elapsed: Duration,
}

impl Timing {
    pub(crate) fn now() -> Self {
        Self {
            at: SystemTime::now(),
            elapsed: Duration::ZERO,
        }
    }

    /// Since `started`, now.
    pub(crate) fn since(started: Instant) -> Self {
        Self {
            at: SystemTime::now(),
            elapsed: started.elapsed(),
        }
    }
}

/// One command being carried out.
pub(crate) struct Run<'r> {
    pub(crate) shared: &'r Shared,
    pub(crate) entry: Entry,
    /// What the journal holds of `entry.kept` (it is journaled only once a write is near).
    pub(crate) kept_saved: bool,
    /// The PBX the command talks to now (an index of `Driver::pbx_names`).
    pbx: usize,
    /// The part being carried out, when the command is done as several (`begin_part`).
    part: Option<Part>,
    /// DIDs a free-DID search must pass over: held by rooms of other PBXs that share the
    /// number range (the router sets them; the PBX's own list covers its own rooms).
    excluded_dids: std::collections::HashSet<String>,
}

/// A command carried out as parts, each a command of its own on its PBX (a move between two
/// PBXs: a check-in on one, a check-out on the other). The journal keeps the command as it was
/// given, with `{"parts": {NAME: {"kept": ...} | {"done": true}}}` as what it kept, so that a
/// retry skips the parts that were done and resumes the one that was not.
struct Part {
    name: &'static str,
    /// The command as it was given (the entry holds the part's while it runs).
    whole: crate::lang::validate::Action,
    parts: serde_json::Map<String, serde_json::Value>,
}

impl<'r> Run<'r> {
    pub(crate) fn new(shared: &'r Shared, entry: Entry, pbx: usize) -> Self {
        Self {
            shared,
            // What the entry brings was read from the journal: it is there already.
            kept_saved: !entry.kept.is_null(),
            entry,
            pbx,
            part: None,
            excluded_dids: std::collections::HashSet::new(),
        }
    }

    /// DIDs a free-DID search (`DID AUTO`) must pass over, besides those the PBX lists.
    pub(crate) fn exclude_dids(&mut self, dids: std::collections::HashSet<String>) {
        self.excluded_dids = dids;
    }

    pub(crate) fn excluded_dids(&self) -> &std::collections::HashSet<String> {
        &self.excluded_dids
    }

    /// Talks to PBX `pbx` from now on (a router, before it hands the run to that PBX's wire).
    pub(crate) fn on_pbx(&mut self, pbx: usize) {
        self.pbx = pbx;
    }

    /// Starts part `name` of this command: the driver then sees `action` as the command (and
    /// what an interrupted earlier try kept of this part). `false`: an earlier try did the
    /// part already; skip it.
    pub(crate) fn begin_part(
        &mut self,
        name: &'static str,
        action: crate::lang::validate::Action,
    ) -> bool {
        self.end_part_silently();
        let parts = match self.entry.kept.get("parts") {
            Some(serde_json::Value::Object(parts)) => parts.clone(),
            _ => serde_json::Map::new(),
        };
        if parts.get(name).and_then(|p| p.get("done")).is_some() {
            return false;
        }
        let kept = parts
            .get(name)
            .and_then(|p| p.get("kept"))
            .cloned()
            .unwrap_or_default();
        let whole = std::mem::replace(&mut self.entry.command.action, action);
        self.entry.kept = kept;
        self.part = Some(Part { name, whole, parts });
        true
    }

    /// Journals that the current part is done (a retry skips it).
    pub(crate) async fn end_part(&mut self) -> Result<(), Stopped> {
        let Some(mut part) = self.part.take() else {
            return Ok(());
        };
        part.parts
            .insert(part.name.to_owned(), serde_json::json!({ "done": true }));
        self.entry.command.action = part.whole;
        self.keep(serde_json::json!({ "parts": part.parts })).await
    }

    /// Gives the entry back its command as given (a part that ended early is not done).
    fn end_part_silently(&mut self) {
        if let Some(part) = self.part.take() {
            self.entry.command.action = part.whole;
            self.entry.kept = serde_json::json!({ "parts": part.parts });
        }
    }

    /// The entry as the journal must keep it: the command as it was given, with what was kept
    /// of its parts; and whether `kept` was journaled.
    fn journaled(&self) -> Entry {
        let mut saved = self.entry.clone();
        if let Some(part) = &self.part {
            saved.command.action = part.whole.clone();
            saved.kept = serde_json::json!({ "parts": part.parts });
        } else if !self.kept_saved {
            saved.kept = serde_json::Value::Null;
        }
        saved
    }

    /// The entry when the command ends, and whether its `kept` is in the journal.
    pub(crate) fn into_entry(mut self) -> (Entry, bool) {
        self.end_part_silently();
        (self.entry, self.kept_saved)
    }

    pub(crate) fn command(&self) -> &Command {
        &self.entry.command
    }

    pub(crate) fn entry(&self) -> &Entry {
        &self.entry
    }

    /// What an interrupted earlier run kept for this command (`Null` when nothing).
    pub(crate) fn kept(&self) -> &serde_json::Value {
        &self.entry.kept
    }

    /// Whether steps should carry what went over the wire (`--raw`).
    /// What hotelcare last had confirmed of `room` (a wire that cannot read the PBX works
    /// from it); a room it never changed is vacant. `Err`: the journal cannot be read, and
    /// the command must not guess.
    pub(crate) fn room_state(&self, room: &str) -> Result<crate::engine::RoomState, Stopped> {
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

    /// Commits what the journal was handed and has not committed yet (completions wait a few
    /// milliseconds for company): before other rooms' state is read from it.
    pub(crate) async fn commit_journal(&self) -> Result<(), Stopped> {
        let journal = self.shared.rooms.as_ref().unwrap_or(&self.shared.journal);
        journal.commit_waiting().await.map_err(|error| {
            let reason = format!("cannot write the journal: {error}");
            self.shared.halt(&reason);
            Stopped::Run(reason)
        })
    }

    /// Every room hotelcare has changed, as it last had it confirmed (`room_state` for all).
    pub(crate) fn rooms(&self) -> Result<Vec<(String, crate::engine::RoomState)>, Stopped> {
        let journal = self.shared.rooms.as_ref().unwrap_or(&self.shared.journal);
        journal.rooms().map_err(|error| {
            Stopped::Command(format!(
                "what hotelcare last set cannot be read from the journal ({error}); nothing was sent"
            ))
        })
    }

    /// Whether an exchange that starts now puts what went over the wire into its event.
    pub(crate) fn raw(&self) -> bool {
        self.shared.raw.wanted()
    }

    /// Why the run stopped starting commands, if it did.
    pub(crate) fn halted(&self) -> Option<String> {
        self.shared.halted_on(&[self.pbx])
    }

    /// Reports a step.
    pub(crate) fn emit(
        &self,
        header: &StepHeader<'_>,
        result: StepResult<'_>,
        timing: Timing,
        logged_in: bool,
        raw: Option<&Raw>,
    ) {
        let pbx = self.shared.pbx_label(&[self.pbx]);
        self.shared.emit(&Event::Step(Step {
            entry: &self.entry,
            pbx: pbx.as_deref(),
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
    pub(crate) async fn keep(&mut self, kept: serde_json::Value) -> Result<(), Stopped> {
        if let Some(part) = &mut self.part {
            part.parts
                .insert(part.name.to_owned(), serde_json::json!({ "kept": kept }));
        }
        self.entry.kept = kept;
        let was_saved = std::mem::replace(&mut self.kept_saved, true);
        if let Err(error) = self.shared.journal.update(&self.journaled()).await {
            self.kept_saved = was_saved;
            let reason = format!("cannot write the journal: {error}");
            self.shared.halt(&reason);
            return Err(Stopped::Run(reason));
        }
        Ok(())
    }

    /// A failed attempt `attempt` (from 1) of `header`: counted and journaled, shown, and then
    /// either paused for (`Ok`: try again now) or turned into why the command stops.
    pub(crate) async fn failed(
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
            if let Err(error) = self.shared.journal.update(&self.journaled()).await {
                tracing::warn!(
                    "cannot record the failed attempt of {}: {error}",
                    self.entry.origin
                );
            }
        }
        let policy = self.shared.policy;
        let retry_in = (matches!(failure.kind, FailureKind::Transient { .. })
            && attempt < policy.attempts)
            .then(|| backoff(policy.initial_backoff, policy.max_backoff, attempt))
            .filter(|_| self.halted().is_none());
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
                self.shared.halt_pbx(
                    self.pbx,
                    &format!(
                        "the PBX is unreachable (after {attempts}): {}",
                        failure.message
                    ),
                );
                Stopped::Run(self.halted().unwrap_or_default())
            }
            FailureKind::Fatal => {
                self.shared.halt_pbx(self.pbx, &failure.message);
                Stopped::Run(self.halted().unwrap_or_default())
            }
        })
    }
}

/// `initial × 2^(attempt-1)`, at most `max`, with ±25 % jitter so that concurrent retries spread.
fn backoff(initial: Duration, max: Duration, attempt: u32) -> Duration {
    let doubled = initial.saturating_mul(1u32 << (attempt - 1).min(16));
    doubled.min(max).mul_f64(0.75 + fastrand::f64() * 0.5)
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;
    use std::sync::Mutex;
    use std::sync::atomic::{AtomicBool, Ordering};
    use std::time::Duration;

    use crate::config::{Interface, RetryPolicy};
    use crate::engine::{Done, Engine, Journal, Options, Pbxs, Run, Stopped, Wire, WireFuture};
    use crate::lang::validate::{Action, Command};

    /// Carries a `MOVE` out as two parts, the way a move between two PBXs is; the second part
    /// finds the PBX down once.
    #[derive(Default)]
    struct TwoParts {
        calls: Mutex<Vec<String>>,
        down_once: AtomicBool,
    }

    impl Wire for TwoParts {
        fn target(&self) -> String {
            "two parts".into()
        }

        fn execute<'a>(&'a self, run: &'a mut Run<'_>) -> WireFuture<'a, Result<Done, Stopped>> {
            Box::pin(self.run(run))
        }
    }

    impl TwoParts {
        async fn run(&self, run: &mut Run<'_>) -> Result<Done, Stopped> {
            let Action::Move { from, to } = run.command().action.clone() else {
                return Ok(Done::default());
            };
            if run.begin_part("in", Action::CheckOut { room: to.clone() }) {
                let seen = format!("in: {} {}", run.command().text, run.command().action.room());
                self.calls.lock().unwrap().push(seen);
                run.keep(serde_json::json!("read before writing")).await?;
                run.end_part().await?;
            }
            if run.begin_part("out", Action::CheckOut { room: from.clone() }) {
                let kept = run.kept().clone();
                self.calls
                    .lock()
                    .unwrap()
                    .push(format!("out: {} kept {kept}", run.command().action.room()));
                if self.down_once.swap(false, Ordering::SeqCst) {
                    return Err(Stopped::Run("the PBX is down".into()));
                }
                run.end_part().await?;
            }
            Ok(Done::default())
        }
    }

    #[tokio::test]
    async fn a_command_in_parts_resumes_after_the_part_that_was_done() {
        let dir = tempfile::tempdir().unwrap();
        let journal = Journal::open(dir.path()).unwrap();
        let driver = Arc::new(TwoParts {
            down_once: AtomicBool::new(true),
            ..TwoParts::default()
        });
        let options = Options {
            policy: RetryPolicy {
                attempts: 1,
                initial_backoff: Duration::from_millis(1),
                max_backoff: Duration::from_millis(1),
            },
            max_concurrency: 1,
            raw: crate::support::audience::Audience::Never,
            number_transfer: false,
            block_cor: 2,
        };
        let pbxs = Arc::new(Pbxs::single(
            Arc::clone(&driver) as Arc<dyn Wire>,
            Interface::Mixml.capabilities(),
        ));
        let engine = Engine::new(pbxs, journal, options, Arc::new(|_| {}));
        let command = Command {
            line: 1,
            text: "MOVE 1000 3000".into(),
            action: Action::Move {
                from: "1000".into(),
                to: "3000".into(),
            },
            reservation: None,
        };
        engine
            .enqueue(vec![("t.hc:1".into(), command)])
            .await
            .unwrap();
        let first = engine.drain().await.unwrap();
        assert_eq!(first.queued, 1, "{first:?}");
        // The journal keeps the command as it was given, and that its first part was done.
        let kept = engine.journal().get(1).unwrap().unwrap();
        assert_eq!(kept.command.text, "MOVE 1000 3000");
        assert!(matches!(kept.command.action, Action::Move { .. }));
        assert_eq!(kept.kept["parts"]["in"]["done"], true, "{}", kept.kept);
        let second = engine.drain().await.unwrap();
        assert_eq!(second.done, 1, "{second:?}");
        assert_eq!(
            *driver.calls.lock().unwrap(),
            [
                "in: MOVE 1000 3000 3000",
                "out: 1000 kept null",
                "out: 1000 kept null"
            ],
            "the first part ran once; the second again after the PBX was back"
        );
        assert_eq!(engine.journal().get(1).unwrap(), None);
    }
}
