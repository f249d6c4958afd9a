//! The hub: every engine event of the service, turned once into what its listeners need — the
//! service's own monitor (stdout and the service log), `GET /v1/events` subscribers (the REPL,
//! `run` as a client), the metrics, and whoever waits for particular commands to finish (the
//! spool). The engine calls the hub's `Sink`; it never knows who listens.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};

use serde::{Deserialize, Serialize};
use tokio::sync::{broadcast, oneshot};

use crate::control::awaited::Awaited;
use crate::control::links::{LinkKind, Links};
use crate::control::metrics::Metrics;
use crate::engine::{Event, Outcome, StepResult};
use crate::monitor::{Monitor, Printer, json};
use crate::support::audience::Audience;

/// How many events a slow subscriber may fall behind before it is told it lost some.
const BACKLOG: usize = 16_384;

/// How many of the last events the hub keeps for a listener that comes late (the status page).
pub(crate) const RECENT: usize = 1_000;

/// What an event is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub(crate) enum Kind {
    /// One operation of a command (a request to the PBX, a check).
    Step,
    /// A command ended: `outcome` says how.
    Finished,
    /// The service says something (the PBX is unreachable, a spool file is finished).
    Notice,
}

/// How a command ended, as its `finished` event says.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub(crate) enum Ending {
    Done,
    Failed,
    /// Left pending in the journal: it runs again.
    Queued,
    /// Left pending only because an earlier command on its room or DID is.
    Behind,
    /// A command outside the journal (`SHOW`, `TEST`) that could not run.
    NotDone,
}

/// One event as the service publishes it (`GET /v1/events`, one SSE `data:` line each).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub(crate) struct Published {
    /// Numbered from 1 for the life of the service.
    pub(crate) id: u64,
    #[serde(rename = "type")]
    pub(crate) kind: Kind,
    /// The command's sequence number in the journal (`None`: a notice, `SHOW`, `TEST`).
    pub(crate) seq: Option<u64>,
    /// Where the command came from: `tonight.hc:3`, `repl:2`, `spool/x.hc:7`.
    pub(crate) source: String,
    pub(crate) room: String,
    /// The PBX, when several are configured (`east`; `east->west` for a move between two).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) pbx: Option<String>,
    pub(crate) command: String,
    /// How the command ended (finished events).
    pub(crate) outcome: Option<Ending>,
    pub(crate) reason: Option<String>,
    /// The monitor's text, as `run` prints it.
    pub(crate) lines: Vec<String>,
    /// What went over the wire, passwords masked (for `--raw` listeners).
    #[serde(default)]
    pub(crate) envelopes: Vec<String>,
    /// The monitor's JSON lines (`--format json`), envelopes included.
    #[serde(default)]
    pub(crate) json: Vec<serde_json::Value>,
}

/// Commands someone waits for.
struct Waiter {
    id: u64,
    remaining: Awaited,
    done: Option<oneshot::Sender<()>>,
}

impl Waiter {
    /// Takes `seq` off; resolves the waiter once nothing is left.
    fn take(&mut self, seq: u64) {
        if self.remaining.take(seq)
            && self.remaining.is_empty()
            && let Some(done) = self.done.take()
        {
            let _ = done.send(());
        }
    }
}

/// Where a service shows its own monitor (stdout).
pub(crate) type Echo = Arc<dyn Fn(&str) + Send + Sync>;

/// See the module documentation.
pub(crate) struct Hub {
    sender: broadcast::Sender<Arc<Published>>,
    next_id: AtomicU64,
    journaled: Monitor,
    inline: Monitor,
    target: String,
    pub(crate) metrics: Metrics,
    /// The PBX an event without a PBX's name is about, when there is only one.
    only_pbx: Option<String>,
    waiters: Mutex<Vec<Waiter>>,
    next_waiter: AtomicU64,
    /// When events carry their JSON lines: while a service's listener wants them; a
    /// command-line core's, for `--format json` (issue 25: they were built for every event).
    json: Audience,
    /// The service echoes its own notices on stderr; a command-line client's core prints
    /// only what its listener prints.
    echo: bool,
    /// The last problem told, and when (seconds since the Unix epoch): `hotelcare status`.
    last_problem: Mutex<Option<(String, u64)>>,
    /// Each PBX's and SMDR port's link as it stands.
    pub(crate) links: Links,
    /// The last `RECENT` events, oldest first: what the status page shows before its stream
    /// has told anything, and a room's recent commands.
    recent: Mutex<VecDeque<Arc<Published>>>,
    /// When a service's engine captures what goes over the wire: while a `--raw` listener is
    /// connected.
    envelopes: Audience,
}

impl Hub {
    /// `printer` shows the service's monitor (stdout, `serve --monitor`); `echo`: its notices
    /// go to stderr too. Without either the hub only publishes. `target` names the PBX;
    /// `pbxs`: the PBXs' names (for the metrics).
    pub(crate) fn new(
        target: &str,
        pbxs: &[String],
        fias: bool,
        smdr: bool,
        printer: Option<&Echo>,
        echo: bool,
    ) -> Self {
        let (sender, _) = broadcast::channel(BACKLOG);
        let make = |journaled| {
            let printer: Printer = match printer {
                Some(printer) => {
                    let printer = Arc::clone(printer);
                    Box::new(move |text| printer(text))
                }
                None => Box::new(|_| {}),
            };
            Monitor::new(printer, false, target.to_owned(), journaled)
        };
        Self {
            sender,
            next_id: AtomicU64::new(1),
            journaled: make(true),
            inline: make(false),
            target: target.to_owned(),
            metrics: {
                let mut metrics = Metrics::new(pbxs);
                if fias {
                    metrics.add_fias();
                }
                if smdr {
                    metrics.add_smdr();
                }
                metrics
            },
            only_pbx: match pbxs {
                [only] => Some(only.clone()),
                _ => None,
            },
            waiters: Mutex::new(Vec::new()),
            next_waiter: AtomicU64::new(0),
            json: Audience::watched(),
            echo,
            last_problem: Mutex::new(None),
            links: {
                let links = Links::default();
                for pbx in pbxs {
                    links.register(LinkKind::Pbx, pbx);
                }
                links
            },
            recent: Mutex::new(VecDeque::with_capacity(RECENT)),
            envelopes: Audience::watched(),
        }
    }

    /// For a service's engine, and a listener that shows what went over the wire: the
    /// engine captures it while someone listens.
    pub(crate) fn envelopes(&self) -> &Audience {
        &self.envelopes
    }

    /// The last events (at most `RECENT`), oldest first.
    pub(crate) fn recent(&self) -> Vec<Arc<Published>> {
        self.recent
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .iter()
            .cloned()
            .collect()
    }

    /// PBX `pbx` answers, or not for `why`: in the metrics and the links.
    pub(crate) fn pbx_link(&self, pbx: &str, up: bool, why: Option<&str>) {
        let _ = self.metrics.reachable(pbx, up);
        self.links.set(LinkKind::Pbx, pbx, up, why);
    }

    /// A stream of the events after `after` (an event's id; `0`: all those kept): those kept
    /// and newer than it, then the live ones, none twice and none lost in between; with how
    /// many between `after` and the oldest kept are gone.
    pub(crate) fn subscribe_after(
        &self,
        after: u64,
    ) -> (
        Vec<Arc<Published>>,
        u64,
        broadcast::Receiver<Arc<Published>>,
    ) {
        let recent = self.recent.lock().unwrap_or_else(PoisonError::into_inner);
        let receiver = self.sender.subscribe();
        let gone = recent.front().map_or(0, |oldest| {
            oldest.id.saturating_sub(after.saturating_add(1))
        });
        let kept = recent
            .iter()
            .filter(|event| event.id > after)
            .cloned()
            .collect();
        (kept, if after == 0 { 0 } else { gone }, receiver)
    }

    /// The SMDR link of PBX `pbx` is up, or down for `why`: in the metrics and the links.
    pub(crate) fn smdr_link(&self, pbx: &str, up: bool, why: Option<&str>) {
        self.metrics.smdr_link_up(pbx, up);
        self.links.set(LinkKind::Smdr, pbx, up, why);
    }

    /// The last problem told, and when.
    pub(crate) fn last_problem(&self) -> Option<(String, u64)> {
        self.last_problem
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    pub(crate) fn subscribe(&self) -> broadcast::Receiver<Arc<Published>> {
        self.sender.subscribe()
    }

    /// A line of the service's own (the PBX is unreachable, a spool file is finished): in the
    /// log, on the service's stdout, and to every listener.
    pub(crate) fn notice(&self, text: &str, problem: bool) -> Arc<Published> {
        if problem {
            tracing::warn!("{text}");
            let at = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |d| d.as_secs());
            *self
                .last_problem
                .lock()
                .unwrap_or_else(PoisonError::into_inner) = Some((text.to_owned(), at));
        } else {
            tracing::info!("{text}");
        }
        if self.echo {
            crate::support::output::errln!("{text}");
        }
        self.publish(Published {
            id: 0,
            kind: Kind::Notice,
            seq: None,
            source: "service".into(),
            room: String::new(),
            pbx: None,
            command: String::new(),
            outcome: None,
            reason: None,
            lines: vec![text.to_owned()],
            envelopes: Vec::new(),
            json: if self.json.wanted() {
                vec![serde_json::json!({"type": "notice", "text": text})]
            } else {
                Vec::new()
            },
        })
    }

    /// Resolves once each of `seqs` (increasing; a spool file's may be a million) has finished
    /// or been left queued. `finished` says which have already (they left the journal, or
    /// failed): call this before the commands can run, or pass what the journal says of them.
    pub(crate) fn wait_for(
        &self,
        seqs: impl Iterator<Item = u64> + Clone,
        finished: impl Fn(u64) -> bool,
    ) -> oneshot::Receiver<()> {
        let (done, receiver) = oneshot::channel();
        let id = self.next_waiter.fetch_add(1, Ordering::Relaxed);
        let remaining = Awaited::new(seqs.clone());
        if remaining.is_empty() {
            let _ = done.send(());
            return receiver;
        }
        let waiter = Waiter {
            id,
            remaining,
            done: Some(done),
        };
        // Registered first, then the journal asked without the lock (a million commands take
        // a while): a command that settles in between is taken by `settle`, and taking it
        // twice counts once.
        self.waiters
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push(waiter);
        let mut found = Vec::with_capacity(1024);
        let mut seqs = seqs.peekable();
        while seqs.peek().is_some() {
            found.extend(seqs.by_ref().take(1024).filter(|&seq| finished(seq)));
            if found.is_empty() {
                continue;
            }
            let mut waiters = self.waiters.lock().unwrap_or_else(PoisonError::into_inner);
            let Some(waiter) = waiters.iter_mut().find(|waiter| waiter.id == id) else {
                break; // resolved meanwhile
            };
            for seq in found.drain(..) {
                waiter.take(seq);
            }
        }
        receiver
    }

    /// Events with their JSON lines (`Published::json`) if `json`, else without: for a
    /// command-line core, whose only listener prints one or the other.
    #[must_use]
    pub(crate) fn with_json(mut self, json: bool) -> Self {
        self.json = Audience::of(json);
        self
    }

    /// For a listener that shows the JSON lines: they are made while it listens.
    pub(crate) fn json(&self) -> &Audience {
        &self.json
    }

    /// Handles one engine event (see the module documentation); returns it as published.
    pub(crate) fn on_event(&self, event: &Event<'_>, journaled: bool) -> Arc<Published> {
        match event {
            Event::Notice { text, problem } => return self.notice(text, *problem),
            Event::Link { pbx, up, text } => {
                self.pbx_link(pbx, *up, (!*up).then_some(*text));
                return self.notice(text, !*up);
            }
            Event::Step(_) | Event::Finished { .. } => {}
        }
        let monitor = if journaled {
            &self.journaled
        } else {
            &self.inline
        };
        let lines = monitor.on_event(event);
        // A command run now outside the journal (`SHOW`, `TEST`) answers its caller with its
        // events: their JSON lines always, whoever listens to the stream.
        let json = if !journaled || self.json.wanted() {
            json::MonitorLine::of(event, &self.target, journaled, true)
                .iter()
                .filter_map(|line| serde_json::to_value(line).ok())
                .collect()
        } else {
            Vec::new()
        };
        // One pass, and no vector for envelopes unless `--raw` made some (issue 25).
        let mut text = Vec::with_capacity(lines.len());
        let mut envelopes = Vec::new();
        for line in lines {
            if line.envelope {
                envelopes.push(line.text);
            } else {
                text.push(line.text);
            }
        }
        let mut published = Published {
            id: 0,
            kind: Kind::Step,
            seq: None,
            source: String::new(),
            room: String::new(),
            pbx: None,
            command: String::new(),
            outcome: None,
            reason: None,
            lines: text,
            envelopes,
            json,
        };
        let entry = match event {
            Event::Step(step) => {
                match step.result {
                    StepResult::Ok { .. } | StepResult::Refused(_) => {
                        if let Some(pbx) = step.pbx.or(self.only_pbx.as_deref()) {
                            self.links.set(LinkKind::Pbx, pbx, true, None);
                        }
                        if let Some(pbx) = step.pbx.or(self.only_pbx.as_deref())
                            && self.metrics.reachable(pbx, true)
                        {
                            // It was found unreachable before: say that it is back.
                            let text = if self.only_pbx.is_some() {
                                "the PBX answers again".to_owned()
                            } else {
                                format!("PBX `{pbx}` answers again")
                            };
                            self.notice(&text, false);
                        }
                        self.metrics
                            .request_seconds
                            .observe(step.elapsed.as_secs_f64());
                    }
                    StepResult::Failed { .. } => {
                        self.metrics
                            .request_seconds
                            .observe(step.elapsed.as_secs_f64());
                    }
                    StepResult::Kept { .. } | StepResult::Checked { .. } => {}
                }
                published.pbx = step.pbx.map(str::to_owned);
                step.entry
            }
            // Handled above.
            Event::Notice { .. } | Event::Link { .. } => return Arc::new(published),
            Event::Finished {
                entry,
                outcome,
                pbx,
                ..
            } => {
                published.kind = Kind::Finished;
                published.pbx = pbx.map(str::to_owned);
                let (ending, reason) = match outcome {
                    Outcome::Done => (Ending::Done, None),
                    Outcome::Failed { reason } => (Ending::Failed, Some(reason.clone())),
                    Outcome::Queued { reason, .. } if !journaled => {
                        (Ending::NotDone, Some(reason.clone()))
                    }
                    Outcome::Queued {
                        reason,
                        behind: true,
                        ..
                    } => (Ending::Behind, Some(reason.clone())),
                    Outcome::Queued { reason, .. } => (Ending::Queued, Some(reason.clone())),
                };
                published.outcome = Some(ending);
                published.reason = reason;
                // Not sent for want of an answer: its PBX is down (a `TEST` too).
                if let Outcome::Queued {
                    reason,
                    behind: false,
                    ..
                } = outcome
                    && let Some(pbx) = pbx.or(self.only_pbx.as_deref())
                {
                    self.links
                        .set_known(LinkKind::Pbx, pbx, false, Some(reason));
                }
                if journaled {
                    match outcome {
                        Outcome::Done => self.metrics.done.inc(),
                        Outcome::Failed { .. } => self.metrics.failed.inc(),
                        Outcome::Queued { .. } => self.metrics.queued.inc(),
                    };
                    self.settle(entry.seq);
                }
                entry
            }
        };
        if journaled {
            published.seq = Some(entry.seq);
        }
        published.source.clone_from(&entry.origin);
        match entry.command.action.rooms().as_slice() {
            [room] => (*room).clone_into(&mut published.room),
            rooms => published.room = rooms.join("->"),
        }
        entry
            .command
            .action
            .keyword()
            .clone_into(&mut published.command);
        self.publish(published)
    }

    fn publish(&self, mut published: Published) -> Arc<Published> {
        // Numbered, kept and sent under one lock: `recent` and every stream see the events in
        // the order of their ids (see `subscribe_after`).
        let mut recent = self.recent.lock().unwrap_or_else(PoisonError::into_inner);
        published.id = self.next_id.fetch_add(1, Ordering::Relaxed);
        let shared = Arc::new(published);
        if recent.len() == RECENT {
            recent.pop_front();
        }
        recent.push_back(Arc::clone(&shared));
        // No subscriber is not an error.
        let _ = self.sender.send(Arc::clone(&shared));
        shared
    }

    fn settle(&self, seq: u64) {
        let mut waiters = self.waiters.lock().unwrap_or_else(PoisonError::into_inner);
        for waiter in waiters.iter_mut() {
            waiter.take(seq);
        }
        waiters.retain(|w| {
            w.done.is_some() && !w.done.as_ref().is_some_and(oneshot::Sender::is_closed)
        });
    }
}

/// `Published` as a `Report`-like tally, for clients that wait for their commands.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub(crate) struct Tally {
    pub(crate) done: usize,
    pub(crate) failed: Vec<String>,
    pub(crate) queued: usize,
    pub(crate) queued_reason: Option<String>,
    /// `queued_reason` is only "it waits for an earlier command".
    reason_is_behind: bool,
}

impl Tally {
    pub(crate) fn add(&mut self, event: &Published) {
        match event.outcome {
            Some(Ending::Done) => self.done += 1,
            Some(Ending::Failed) => self.failed.push(format!(
                "{}: {}",
                event.source,
                event.reason.as_deref().unwrap_or("failed")
            )),
            // "It waits for an earlier command" only follows from the real reason.
            Some(Ending::Behind) => {
                self.queued += 1;
                if self.queued_reason.is_none() {
                    self.queued_reason.clone_from(&event.reason);
                    self.reason_is_behind = true;
                }
            }
            Some(Ending::Queued | Ending::NotDone) => {
                self.queued += 1;
                if self.queued_reason.is_none() || self.reason_is_behind {
                    self.queued_reason.clone_from(&event.reason);
                    self.reason_is_behind = false;
                }
            }
            None => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A stream that starts after event `after` gets each later event once, those kept and
    /// then the live ones; what is no longer kept is counted.
    #[test]
    fn a_stream_after_an_event_misses_none_and_repeats_none() {
        let hub = Hub::new("sim", &["main".to_owned()], false, false, None, false);
        for n in 0..5 {
            hub.notice(&format!("n{n}"), false);
        }
        let (kept, gone, mut live) = hub.subscribe_after(2);
        assert_eq!(kept.iter().map(|e| e.id).collect::<Vec<_>>(), [3, 4, 5]);
        assert_eq!(gone, 0);
        hub.notice("n5", false);
        assert_eq!(live.try_recv().map(|e| e.id).ok(), Some(6));
        assert!(live.try_recv().is_err(), "once");
        for n in 0..RECENT {
            hub.notice(&format!("m{n}"), false);
        }
        // 1,006 events: 7 to 1,006 kept.
        let (kept, gone, _) = hub.subscribe_after(3);
        assert_eq!(kept.first().map(|e| e.id), Some(7));
        assert_eq!(gone, 3, "events 4, 5 and 6 are no longer kept");
        let (kept, gone, _) = hub.subscribe_after(0);
        assert_eq!((kept.len(), gone), (RECENT, 0));
    }

    /// A service makes the JSON lines while a listener that shows them is connected; a
    /// command-line core always or never.
    #[test]
    fn json_lines_are_made_only_for_a_listener_that_shows_them() {
        let hub = Hub::new("sim", &["main".to_owned()], false, false, None, false);
        assert!(hub.notice("nobody listens", false).json.is_empty());
        let listening = hub.json().listen();
        assert_eq!(hub.notice("someone listens", false).json.len(), 1);
        drop(listening);
        assert!(hub.notice("they went away", false).json.is_empty());
        let core = Hub::new("sim", &["main".to_owned()], false, false, None, false);
        assert_eq!(core.with_json(true).notice("always", false).json.len(), 1);
    }
}
