//! The engine behind its seam: a recording driver that knows nothing of MiXML plugs into the
//! same engine the binary uses (no change to engine, monitor or REPL code) and shows ordering,
//! concurrency, retries, halting, the journal, a stop in the middle and the replay after it.

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use crate::config::{Capabilities, Config, RetryPolicy};
use crate::engine::{
    self, Done, Engine, Event, Failure, FailureKind, Journal, Outcome, Pbxs, Run, StepHeader,
    StepResult, Stopped, Timing, Wire, WireFuture,
};
use crate::lang::compile::{Event as Compiled, compile};
use crate::lang::validate::{Command, Validator};

/// A PBX in memory: each command "writes" its keyword into each of its rooms after a pause.
#[derive(Default)]
struct Recording {
    /// (room, seq, keyword) in the order the writes happened.
    writes: Mutex<Vec<(String, u64, &'static str)>>,
    /// Transient failures still to give, per seq.
    flaky: Mutex<BTreeMap<u64, u32>>,
    /// Rooms the PBX refuses.
    refused: Vec<String>,
    down: AtomicBool,
    running: AtomicUsize,
    most_at_once: AtomicUsize,
    /// What each execution found kept by an earlier one, by seq.
    kept_seen: Mutex<Vec<(u64, serde_json::Value)>>,
    pause: Duration,
}

impl Wire for Recording {
    fn target(&self) -> String {
        "recording".into()
    }

    fn execute<'a>(&'a self, run: &'a mut Run<'_>) -> WireFuture<'a, Result<Done, Stopped>> {
        Box::pin(self.carry_out(run))
    }
}

impl Recording {
    async fn carry_out(&self, run: &mut Run<'_>) -> Result<Done, Stopped> {
        let seq = run.entry().seq;
        if !run.kept().is_null() {
            self.kept_seen
                .lock()
                .unwrap()
                .push((seq, run.kept().clone()));
        }
        let now = self.running.fetch_add(1, Ordering::SeqCst) + 1;
        self.most_at_once.fetch_max(now, Ordering::SeqCst);
        let rooms: Vec<String> = run
            .command()
            .action
            .rooms()
            .into_iter()
            .map(str::to_owned)
            .collect();
        let header = StepHeader {
            room: "-",
            verb: "write",
            operation: format!("write {}", run.command().text),
            fields: Vec::new(),
        };
        // What a retry must not read again, journaled before the first write.
        if run.kept().is_null()
            && let Err(stopped) = run.keep(serde_json::json!({ "written": seq })).await
        {
            self.running.fetch_sub(1, Ordering::SeqCst);
            return Err(stopped);
        }
        let mut attempt = 0;
        let result = loop {
            attempt += 1;
            tokio::time::sleep(self.pause).await;
            let failure = if self.down.load(Ordering::SeqCst) {
                Some(FailureKind::Transient { unreachable: true })
            } else if rooms.iter().any(|r| self.refused.contains(r)) {
                Some(FailureKind::Permanent)
            } else {
                let mut flaky = self.flaky.lock().unwrap();
                match flaky.get_mut(&seq) {
                    Some(left) if *left > 0 => {
                        *left -= 1;
                        Some(FailureKind::Transient { unreachable: false })
                    }
                    _ => None,
                }
            };
            let Some(kind) = failure else {
                let keyword = run.command().action.keyword();
                let mut writes = self.writes.lock().unwrap();
                for room in &rooms {
                    writes.push((room.clone(), seq, keyword));
                }
                run.emit(
                    &header,
                    StepResult::Ok {
                        detail: None,
                        read: &[],
                    },
                    Timing::now(),
                    false,
                    None,
                );
                break Ok(Done::default());
            };
            let failure = Failure {
                kind,
                message: format!("the recording PBX says no ({kind:?})"),
            };
            if let Err(stopped) = run.failed(&header, attempt, &failure, Timing::now()).await {
                break Err(stopped);
            }
        };
        self.running.fetch_sub(1, Ordering::SeqCst);
        result
    }
}

/// The recording PBX as the one PBX of a property.
fn pbxs(driver: &Arc<Recording>) -> Arc<Pbxs> {
    // It reads nothing and has no DIDs.
    let capabilities = Capabilities {
        did: false,
        reads: false,
        ..crate::config::Interface::Mixml.capabilities()
    };
    Arc::new(Pbxs::single(
        Arc::clone(driver) as Arc<dyn Wire>,
        capabilities,
    ))
}

fn commands(script: &str) -> Vec<(String, Command)> {
    let config = Config::parse("", Path::new("e.toml")).unwrap();
    let mut validator = Validator::new(&config);
    let mut out = Vec::new();
    compile("e.hc", script.as_bytes(), &mut validator, &mut |event| {
        if let Compiled::Command(command) = event {
            out.push((format!("e.hc:{}", command.line), command));
        }
    })
    .unwrap();
    out
}

fn engine(
    driver: &Arc<Recording>,
    journal: Journal,
    attempts: u32,
    steps: &Arc<AtomicUsize>,
) -> Engine {
    let counted = Arc::clone(steps);
    Engine::new(
        pbxs(driver),
        journal,
        engine::Options {
            policy: RetryPolicy {
                attempts,
                initial_backoff: Duration::from_millis(1),
                max_backoff: Duration::from_millis(2),
            },
            max_concurrency: 4,
            raw: crate::support::audience::Audience::Never,
            number_transfer: false,
            block_cor: 2,
        },
        Arc::new(move |event: &Event<'_>| {
            if let Event::Step(step) = event
                && matches!(step.result, StepResult::Failed { .. })
            {
                counted.fetch_add(1, Ordering::SeqCst);
            }
        }),
    )
}

/// The keywords written into each room, in order.
fn per_room(driver: &Recording) -> BTreeMap<String, Vec<(u64, &'static str)>> {
    let mut rooms: BTreeMap<String, Vec<(u64, &'static str)>> = BTreeMap::new();
    for (room, seq, keyword) in driver.writes.lock().unwrap().iter() {
        rooms.entry(room.clone()).or_default().push((*seq, keyword));
    }
    rooms
}

const DAY: &str = "COS 1 BLOCK\nCOS 2 BLOCK\nCHECKOUT 1\nCOS 3 ALLOW\nMOVE 2 4\nCHECKOUT 3\nCOS 1 ALLOW\nCHECKOUT 4\nCOS 5 BLOCK\nCOS 6 BLOCK\n";

#[tokio::test(start_paused = true)]
async fn same_room_in_order_other_rooms_at_once_and_transient_failures_retried() {
    let driver = Arc::new(Recording {
        flaky: Mutex::new(BTreeMap::from([(1, 2), (5, 1)])),
        pause: Duration::from_millis(20),
        ..Recording::default()
    });
    let steps = Arc::new(AtomicUsize::new(0));
    let engine = engine(&driver, Journal::in_memory().unwrap(), 5, &steps);
    engine.enqueue(commands(DAY)).await.unwrap();
    let report = engine.drain().await.unwrap();
    assert_eq!(
        (report.done, report.failed.len(), report.queued),
        (10, 0, 0)
    );
    assert_eq!(
        steps.load(Ordering::SeqCst),
        3,
        "three failed attempts shown"
    );
    for (room, writes) in per_room(&driver) {
        let seqs: Vec<u64> = writes.iter().map(|(seq, _)| *seq).collect();
        let mut sorted = seqs.clone();
        sorted.sort_unstable();
        assert_eq!(seqs, sorted, "room {room} in journal order");
    }
    assert!(
        driver.most_at_once.load(Ordering::SeqCst) > 1,
        "unrelated rooms ran at the same time"
    );
    assert!(engine.journal().entries().unwrap().is_empty());
}

#[tokio::test]
async fn a_refusal_fails_one_command_and_an_unreachable_pbx_queues_the_rest() {
    let driver = Arc::new(Recording {
        refused: vec!["3".into()],
        ..Recording::default()
    });
    let steps = Arc::new(AtomicUsize::new(0));
    let engine = engine(&driver, Journal::in_memory().unwrap(), 3, &steps);
    engine.enqueue(commands(DAY)).await.unwrap();
    let report = engine.drain().await.unwrap();
    assert_eq!(report.failed.len(), 2, "{report:?}");
    assert_eq!(report.done, 8);

    driver.down.store(true, Ordering::SeqCst);
    engine
        .enqueue(commands("COS 7 BLOCK\nCOS 8 BLOCK\nCOS 7 ALLOW\n"))
        .await
        .unwrap();
    let report = engine.drain().await.unwrap();
    assert!(report.halted.unwrap().contains("unreachable"));
    assert_eq!((report.done, report.queued), (0, 3));
    driver.down.store(false, Ordering::SeqCst);
    let report = engine.drain().await.unwrap();
    assert_eq!((report.done, report.queued), (3, 0));
    assert_eq!(per_room(&driver)["7"], [(11, "COS"), (13, "COS")]);
    // The commands that had started came back with what they had kept before the PBX went
    // away (#13 waited behind #11 on its room and never started).
    let kept: Vec<u64> = driver
        .kept_seen
        .lock()
        .unwrap()
        .iter()
        .map(|(seq, kept)| {
            assert_eq!(kept["written"], *seq);
            *seq
        })
        .collect();
    assert_eq!(kept, [11, 12]);
}

// Real time: the stop must come while commands are between their keep (an fsync on the
// journal's own thread, which a paused clock does not wait for) and their write.
#[tokio::test]
async fn a_stop_in_the_middle_is_replayed_from_the_journal_with_what_was_kept() {
    let dir = tempfile::tempdir().unwrap();
    let driver = Arc::new(Recording {
        pause: Duration::from_millis(30),
        ..Recording::default()
    });
    let steps = Arc::new(AtomicUsize::new(0));
    {
        let engine = engine(&driver, Journal::open(dir.path()).unwrap(), 3, &steps);
        engine.enqueue(commands(DAY)).await.unwrap();
        let report = engine
            .drain_until(async {
                tokio::time::sleep(Duration::from_millis(45)).await;
                "stopped by the test".to_owned()
            })
            .await
            .unwrap();
        assert_eq!(report.stopped.as_deref(), Some("stopped by the test"));
        assert!(report.queued > 0 && report.done < 10, "{report:?}");
    }
    let after_stop = driver.writes.lock().unwrap().len();
    let engine = engine(&driver, Journal::open(dir.path()).unwrap(), 3, &steps);
    let report = engine.drain().await.unwrap();
    assert_eq!(report.failed, Vec::<String>::new());
    assert!(driver.writes.lock().unwrap().len() > after_stop);
    assert!(engine.journal().entries().unwrap().is_empty());
    // Every command wrote, each room in journal order (a command interrupted after its write
    // wrote again: absolute writes make that harmless).
    let rooms = per_room(&driver);
    for (room, writes) in &rooms {
        let seqs: Vec<u64> = writes.iter().map(|(seq, _)| *seq).collect();
        let mut sorted = seqs.clone();
        sorted.sort_unstable();
        assert_eq!(&seqs, &sorted, "room {room}");
    }
    let written: std::collections::BTreeSet<u64> =
        rooms.values().flatten().map(|(seq, _)| *seq).collect();
    assert_eq!(written.len(), 10);
    // What an interrupted command kept before its write came back to it.
    for (seq, kept) in driver.kept_seen.lock().unwrap().iter() {
        assert_eq!(kept["written"], *seq);
    }
}

/// One command at a time, one attempt each.
fn one_at_a_time() -> engine::Options {
    engine::Options {
        policy: RetryPolicy {
            attempts: 1,
            initial_backoff: Duration::from_millis(1),
            max_backoff: Duration::from_millis(1),
        },
        max_concurrency: 1,
        raw: crate::support::audience::Audience::Never,
        number_transfer: false,
        block_cor: 2,
    }
}

#[tokio::test]
async fn outcomes_are_reported_to_the_sink() {
    let driver = Arc::new(Recording::default());
    let finished = Arc::new(Mutex::new(Vec::new()));
    let seen = Arc::clone(&finished);
    let engine = Engine::new(
        pbxs(&driver),
        Journal::in_memory().unwrap(),
        one_at_a_time(),
        Arc::new(move |event: &Event<'_>| {
            if let Event::Finished { entry, outcome, .. } = event {
                seen.lock()
                    .unwrap()
                    .push((entry.seq, matches!(outcome, Outcome::Done)));
            }
        }),
    );
    engine
        .enqueue(commands("COS 1 BLOCK\nCOS 2 BLOCK\n"))
        .await
        .unwrap();
    engine.drain().await.unwrap();
    assert_eq!(*finished.lock().unwrap(), [(1, true), (2, true)]);
    let rooms = engine.journal().rooms().unwrap();
    assert_eq!(rooms.len(), 2, "the room state follows whatever the wire");
    assert_eq!(rooms[0].1.cor, Some(2));
}

/// A command left queued by an earlier drain is queued "again" (its line was told then), a new
/// one is not; a `queue retry` of failed commands tells theirs afresh.
#[tokio::test]
async fn queued_again_means_an_earlier_drain_left_it_queued() {
    let driver = Arc::new(Recording {
        refused: vec!["9".into()],
        ..Recording::default()
    });
    let queued = Arc::new(Mutex::new(Vec::new()));
    let seen = Arc::clone(&queued);
    let engine = Engine::new(
        pbxs(&driver),
        Journal::in_memory().unwrap(),
        one_at_a_time(),
        Arc::new(move |event: &Event<'_>| {
            if let Event::Finished {
                entry,
                outcome: Outcome::Queued { again, .. },
                ..
            } = event
            {
                seen.lock().unwrap().push((entry.seq, *again));
            }
        }),
    );
    let round = async |script: &str| {
        if !script.is_empty() {
            engine.enqueue(commands(script)).await.unwrap();
        }
        engine.drain().await.unwrap();
        std::mem::take(&mut *queued.lock().unwrap())
    };
    assert_eq!(
        round("COS 9 BLOCK\n").await,
        [],
        "refused: failed, not queued"
    );
    driver.down.store(true, Ordering::SeqCst);
    assert_eq!(
        round("COS 1 BLOCK\nCOS 2 BLOCK\n").await,
        [(2, false), (3, false)]
    );
    assert_eq!(
        round("COS 3 BLOCK\n").await,
        [(2, true), (3, true), (4, false)]
    );
    engine.journal().requeue_failed().await.unwrap();
    engine.retold_from(1);
    assert_eq!(
        round("").await,
        [(1, false), (2, false), (3, false), (4, false)],
        "after a retry, told afresh"
    );
    assert_eq!(
        round("").await,
        [(1, true), (2, true), (3, true), (4, true)]
    );
}

/// The service's health follows its journal's disk: `failing` (503) while it cannot be written,
/// `ok` again once it is reopened; the command refused meanwhile was never journaled.
#[tokio::test]
async fn the_health_says_failing_while_the_journal_cannot_be_written() {
    let disk = crate::tests::disk::Disk::default();
    let journal = disk.journal(Duration::from_secs(600));
    let driver = Arc::new(Recording::default());
    let steps = Arc::new(AtomicUsize::new(0));
    let engine = engine(&driver, journal.clone(), 1, &steps);
    let config = Config::parse("", Path::new("e.toml")).unwrap();
    let hub = Arc::new(crate::control::hub::Hub::new(
        "recording",
        &["main".to_owned()],
        false,
        false,
        None,
        false,
    ));
    let local = crate::control::local::Local::for_service(
        &config,
        engine.clone(),
        hub,
        Arc::default(),
        None,
        "test".into(),
    );
    assert_eq!(local.health(), (true, "ok".to_owned()));

    disk.fill(true);
    let refused = engine
        .enqueue(commands("CHECKOUT 1000\n"))
        .await
        .unwrap_err();
    assert!(refused.to_string().contains("No space left"), "{refused}");
    let (serving, text) = local.health();
    assert!(!serving, "{text}");
    assert!(
        text.starts_with("failing: the journal cannot be written")
            && text.contains("No space left"),
        "{text}"
    );

    disk.empty(&journal).await;
    assert_eq!(local.health(), (true, "ok".to_owned()));
    assert!(
        journal.entries().unwrap().is_empty(),
        "the refused command was never journaled"
    );
}
