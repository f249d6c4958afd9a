//! The FIAS link, inside the service: hotelcare connects to the PMS's interface (the PMS is the
//! TCP server), keeps trying with backoff while it cannot, and runs a `session` while connected.
//! Its state is seen: a change (up, down, and why) is logged once, at warn when it is a
//! problem, with the time of the next try; `LinkStatus` has it for `hotelcare fias status`,
//! `/v1/health` and the metrics. The link also keeps what outlives a connection: the check-outs
//! a resync holds, and answers `hotelcare fias resync` (`Control`).

use std::sync::Arc;
use std::time::Duration;

use tokio::net::TcpStream;
use tokio::sync::{mpsc, oneshot, watch};

use crate::config::{Capabilities, Config, FiasConfig};
use crate::diagnostics::LocalTime;
use crate::engine::journal::{PmsWakeup, Posting, PostingState};
use crate::engine::{FlagChange, FlagChanges, JournalError, RoomState};
use crate::inputs::fias::resync::ResyncReport;
use crate::inputs::fias::session;
use crate::inputs::fias::status::{LinkState, RecordOutcome, SharedStatus, now};
use crate::inputs::fias::view::RoomView;
use crate::intake::acceptance::{Batch, Refusal as NotAccepted};
use crate::lang::syntax::{Extension, Request};

/// What the link needs from the service.
pub(crate) trait Host: Send + Sync {
    /// Checks and journals a batch (see `acceptance::accept_batch`); the commands' numbers.
    fn journal(
        &self,
        batch: Batch,
    ) -> std::pin::Pin<Box<dyn Future<Output = Result<Vec<u64>, NotAccepted>> + Send + '_>>;

    /// Writes room flags (sharers) when a record journals no command.
    fn set_flags(
        &self,
        flags: FlagChanges,
    ) -> std::pin::Pin<Box<dyn Future<Output = Result<(), JournalError>> + Send + '_>>;

    /// Tells the operator (monitor, log; `problem`: at warn).
    fn tell(&self, line: &str, problem: bool);

    /// The expected room state, every room.
    fn rooms(&self) -> Vec<(String, RoomState)>;

    /// The configuration (levels, for the resync's comparison).
    fn config(&self) -> &Config;

    /// How many commands wait in the journal (the resync compares once they have run).
    fn pending(&self) -> usize;

    /// Counts a record of type `kind` and what became of it.
    fn count(&self, kind: &str, outcome: RecordOutcome);

    /// Counts check-ins whose class of service was not mapped.
    fn unmapped_class_of_service(&self, count: usize);

    /// The link is up (or not).
    fn link_up(&self, up: bool);

    /// The PMS's wake-up bookings whose answer is due.
    fn wakeup_answers(&self) -> Vec<PmsWakeup>;

    /// A booking's answer is about to go to the PMS: marked (and forgotten) first, so that it
    /// is never sent twice.
    fn wakeup_answered(
        &self,
        booking: &PmsWakeup,
    ) -> std::pin::Pin<Box<dyn Future<Output = Result<(), JournalError>> + Send + '_>>;

    /// The posting of a charged call whose turn it is (see `postings`).
    fn next_posting(&self) -> Option<Posting>;

    /// The postings that were out when the last link or service ended.
    fn postings_out(&self) -> Vec<Posting>;

    /// Posting `number` now stands `state`; the posting as it was.
    fn set_posting(
        &self,
        number: u64,
        state: PostingState,
    ) -> std::pin::Pin<Box<dyn Future<Output = Result<Option<Posting>, JournalError>> + Send + '_>>;

    /// The room stay `stay` is in now; `None` once it ended (or is not known).
    fn stay_room(&self, stay: u64) -> Option<String>;

    /// Woken when a charged call queues a posting.
    fn postings_queued(&self) -> Arc<tokio::sync::Notify>;

    /// Counts a posting's end (`posted`, `refused`, `unknown`).
    fn posted(&self, outcome: &str);
}

/// What the wire of the PBX that owns a room can do (PBXs differ: `[pbx.NAME]`).
pub(crate) type Wires = Arc<dyn Fn(&Extension) -> Capabilities + Send + Sync>;

/// What `hotelcare fias resync` asks of the link.
#[derive(Debug)]
pub(crate) enum Control {
    /// Ask the PMS for the house and compare; `dry_run`: journal nothing.
    Resync {
        dry_run: bool,
        reply: oneshot::Sender<ResyncReport>,
    },
    /// Journal the check-outs the last resync held.
    Confirm {
        reply: oneshot::Sender<Result<ResyncReport, NotConfirmed>>,
    },
}

/// Why held check-outs were not journaled.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub(crate) enum NotConfirmed {
    #[error("no resync holds check-outs")]
    NothingHeld,
    /// The journal refused them (why, in a sentence).
    #[error("{0}")]
    Refused(String),
}

/// The link, across connections.
pub(crate) struct Link {
    pub(crate) config: FiasConfig,
    pub(crate) wires: Wires,
    pub(crate) host: Arc<dyn Host>,
    pub(crate) status: SharedStatus,
    /// The check-outs the last resync held.
    pub(crate) held: Vec<Extension>,
}

/// Runs the link until `stop` carries a reason.
pub(crate) async fn run(
    mut link: Link,
    mut control: mpsc::Receiver<Control>,
    mut stop: watch::Receiver<Option<String>>,
) {
    let server = link.config.server.clone();
    let mut pause = Duration::from_secs(1);
    // The last problem logged: the same one again is not logged again.
    let mut told: Option<String> = None;
    loop {
        if stop.borrow().is_some() {
            return;
        }
        let connected = tokio::select! {
            connected = tokio::time::timeout(Duration::from_secs(10), TcpStream::connect(&server)) => connected,
            _ = stop.changed() => return,
        };
        let problem = match connected {
            Ok(Ok(stream)) => {
                let _ = stream.set_nodelay(true);
                link.status.update(|status| {
                    status.state = LinkState::Up;
                    status.since = now();
                    status.last_error = None;
                    status.next_try = None;
                });
                link.host.link_up(true);
                link.host
                    .tell(&format!("FIAS link to the PMS at {server} is up"), false);
                told = None;
                pause = Duration::from_secs(1);
                if session::run(&mut link, stream, &mut control, &mut stop).await {
                    return;
                }
                "the link dropped".to_owned()
            }
            Ok(Err(error)) => format!("cannot connect: {error}"),
            Err(_) => "no connection within 10 s".to_owned(),
        };
        let next = now() + pause.as_secs();
        link.status.update(|status| {
            if status.state != LinkState::Down {
                status.since = now();
            }
            status.state = LinkState::Down;
            status.last_error = Some(problem.clone());
            status.next_try = Some(next);
        });
        link.host.link_up(false);
        if told.as_deref() == Some(problem.as_str()) {
            tracing::debug!("FIAS link to the PMS at {server}: {problem}");
        } else {
            link.host.tell(
                &format!(
                    "FIAS link to the PMS at {server} is down: {problem}; next try at {} (records the PMS sends meanwhile wait in its queue)",
                    LocalTime(next)
                ),
                true,
            );
            told = Some(problem);
        }
        let sleep = tokio::time::sleep(pause);
        tokio::pin!(sleep);
        loop {
            tokio::select! {
                () = &mut sleep => break,
                _ = stop.changed() => return,
                Some(asked) = control.recv() => link.answer_while_down(asked).await,
            }
        }
        pause = (pause * 2).min(Duration::from_secs(60));
    }
}

impl Link {
    /// Control while no connection is up: a resync cannot be asked; held check-outs can be
    /// confirmed.
    async fn answer_while_down(&mut self, asked: Control) {
        match asked {
            Control::Resync { reply, .. } => {
                let _ = reply.send(ResyncReport {
                    at: now(),
                    error: Some(format!(
                        "the FIAS link to the PMS at {} is down",
                        self.config.server
                    )),
                    ..ResyncReport::default()
                });
            }
            Control::Confirm { reply } => {
                let _ = reply.send(self.confirm().await);
            }
        }
    }

    /// Journals the check-outs the last resync held.
    pub(crate) async fn confirm(&mut self) -> Result<ResyncReport, NotConfirmed> {
        if self.held.is_empty() {
            return Err(NotConfirmed::NothingHeld);
        }
        let flags = self
            .held
            .iter()
            .map(|room| (room.to_string(), FlagChange::Sharers(Vec::new())))
            .collect();
        let batch = Batch {
            source: "fias:resync:confirmed".into(),
            commands: self
                .held
                .iter()
                .map(|room| (Request::CheckOut { room: room.clone() }, None))
                .collect(),
            identity: None,
            flags,
            wakeups: Vec::new(),
            blocked: None,
        };
        let held: Vec<String> = self.held.iter().map(ToString::to_string).collect();
        match self.host.journal(batch).await {
            Ok(seqs) => {
                self.host.tell(
                    &format!(
                        "FIAS resync: the {} held check-outs are confirmed and journaled",
                        seqs.len()
                    ),
                    false,
                );
                self.held.clear();
                self.status.update(|status| status.held.clear());
                Ok(ResyncReport {
                    at: now(),
                    journaled: seqs.len(),
                    differences: held
                        .iter()
                        .map(|room| format!("room {room}: checked out as the PMS has it"))
                        .collect(),
                    ..ResyncReport::default()
                })
            }
            Err(refusal) => Err(NotConfirmed::Refused(describe_refusal(&refusal))),
        }
    }

    /// A guest record came for `rooms`: a held check-out of theirs is no longer what the PMS
    /// says.
    pub(crate) fn release(&mut self, rooms: &[(Extension, RoomView)]) {
        let before = self.held.len();
        self.held
            .retain(|held| !rooms.iter().any(|(room, _)| room == held));
        if self.held.len() != before {
            let held: Vec<String> = self.held.iter().map(ToString::to_string).collect();
            self.status.update(|status| status.held = held);
        }
    }
}

/// Why a batch was not accepted, on one line.
pub(crate) fn describe_refusal(refusal: &NotAccepted) -> String {
    match refusal {
        NotAccepted::Invalid(checked) => {
            let reasons: Vec<String> = checked
                .diagnostics
                .iter()
                .filter(|d| d.is_error())
                .map(|d| {
                    let help = d
                        .help
                        .as_deref()
                        .map(|h| format!("; {h}"))
                        .unwrap_or_default();
                    format!("{}:{}:{}: {}{help}", d.file, d.line, d.column, d.message)
                })
                .collect();
            let mut shown = String::new();
            crate::inputs::fias::record::push_shown(&mut shown, &reasons.join(" / "), 1000);
            format!("its commands are not valid: {shown}")
        }
        NotAccepted::Duplicate(earlier) => {
            format!("{earlier} (the PMS sent the same record again)")
        }
        NotAccepted::Unreadable(why) => why.clone(),
        NotAccepted::Journal(why) => why.to_string(),
    }
}
