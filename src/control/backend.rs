//! `Backend`: what every subcommand and the REPL are written against, once — the running
//! service through its API (`Remote`), or the same core in this process when no service runs
//! (`Local`). The answers are the protocol's types (`protocol`); the events are the service's
//! (`hub::Published`), so that a subcommand prints the same whichever backend it has.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use tokio::sync::broadcast;

use crate::config::ScriptEncoding;
use crate::control::hub::Published;
use crate::control::protocol::{
    BackendError, ChargesAnswer, DashboardTicket, DirectoryNumbers, Dropped, Imported, QueueAnswer,
    QueuePage, Ran, Reconciled, Retried, RoomsAnswer, Said, StatusAnswer, Submitted,
};
use crate::control::remote;
use crate::inputs::fias::resync::ResyncReport;
use crate::inputs::fias::status::LinkStatus;
use crate::intake::script::Script;

/// A backend's future.
pub(crate) type Answer<'a, T> = Pin<Box<dyn Future<Output = Result<T, BackendError>> + Send + 'a>>;

/// A command run now, outside the journal.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Inline {
    /// `SHOW ext`: the room as its PBX has it.
    Show(String),
    /// `TEST`: every PBX answers.
    Test,
}

/// See the module documentation.
pub(crate) trait Backend: Send + Sync {
    /// Who carries the commands out, for messages (`the hotelcare service (pid 41, ...)`).
    fn describe(&self) -> String;

    /// A short name, for the REPL's prompt (`simulator`, `service 127.0.0.1:8421`).
    fn name(&self) -> String;

    /// Whether it is a service that goes on by itself (tries queued commands again, shows
    /// others' commands): what a client says when it stops waiting.
    fn is_service(&self) -> bool;

    /// Every event from now on (`raw`: with what went over the wire; `json`: with the
    /// monitor's JSON lines).
    fn events(&self, raw: bool, json: bool) -> Answer<'_, EventStream>;

    /// Journals the commands of `scripts` (in `encoding`; checked whole by the caller), or
    /// none of a script that has errors or was accepted before (`again`: run it anyway). The
    /// backend runs them.
    fn submit<'a>(
        &'a self,
        scripts: &'a [Script],
        encoding: ScriptEncoding,
        again: bool,
    ) -> Answer<'a, Submitted>;

    /// The person stops waiting (Ctrl-C): a client's own core cuts off what runs (it stays
    /// pending, and runs with the next work); a service goes on by itself.
    fn interrupt<'a>(&'a self, reason: &'a str) -> Answer<'a, ()>;

    /// A page of the journal's commands (of PBX `pbx`), with the counts of the whole queue.
    fn queue<'a>(&'a self, pbx: Option<&'a str>, page: QueuePage) -> Answer<'a, QueueAnswer>;

    /// Failed commands pending again (unless overtaken); everything pending runs, in order.
    fn retry(&self) -> Answer<'_, Retried>;

    /// Takes command `seq` out of the journal for good.
    fn drop_command(&self, seq: u64) -> Answer<'_, Dropped>;

    /// The expected room state (of `rooms`, of PBX `pbx`).
    fn rooms<'a>(&'a self, rooms: &'a [String], pbx: Option<&'a str>) -> Answer<'a, RoomsAnswer>;

    /// Runs `command` now, outside the journal, once.
    fn inline<'a>(&'a self, command: &'a Inline, pbx: Option<&'a str>) -> Answer<'a, Ran>;

    /// Reads `rooms` (every room, when empty) from their PBXs and compares.
    fn reconcile<'a>(&'a self, rooms: &'a [String], pbx: Option<&'a str>)
    -> Answer<'a, Reconciled>;

    /// Sends PBX `pbx` every room of the expected state (a wire that cannot read).
    fn general_reset<'a>(&'a self, pbx: &'a str) -> Answer<'a, Said>;

    /// The PBXs' directory numbers (best effort), for completion.
    fn directory_numbers(&self) -> Answer<'_, DirectoryNumbers>;

    /// The FIAS link's state.
    fn fias_status(&self) -> Answer<'_, LinkStatus>;

    /// Everything on one screen (`hotelcare status`).
    fn status(&self) -> Answer<'_, StatusAnswer>;

    /// Reads SMDR call records (`text`, one per line) of PBX `pbx` (the first when `None`):
    /// each costed and journaled once, the stays' limits kept.
    fn import_calls<'a>(&'a self, text: &'a str, pbx: Option<&'a str>) -> Answer<'a, Imported>;

    /// The calls and totals of the open stays (of `room`'s stay only, when given).
    fn charges<'a>(&'a self, room: Option<&'a str>) -> Answer<'a, ChargesAnswer>;

    /// Sends posting `number` (unknown or refused) to the PMS again, on purpose.
    fn repost(&self, number: u64) -> Answer<'_, Said>;

    /// Asks the PMS for the house (`dry_run`: compare only); `confirm`: journals the check-outs
    /// a resync held.
    fn fias_resync(&self, dry_run: bool, confirm: bool) -> Answer<'_, ResyncReport>;

    /// A one-time link to the service's status page (`hotelcare dashboard`).
    fn dashboard_ticket(&self) -> Answer<'_, DashboardTicket>;
}

/// Every command of the queue (of PBX `pbx`), page by page: for a client that must see them
/// all (`queue drop --failed`, a range, settling after lost events).
pub(crate) async fn every_queued(
    backend: &dyn Backend,
    pbx: Option<&str>,
) -> Result<Vec<crate::monitor::json::QueuedCommand>, BackendError> {
    let mut all = Vec::new();
    let mut page = QueuePage {
        after: 0,
        limit: QueuePage::MAX_LIMIT,
    };
    loop {
        let answer = backend.queue(pbx, page).await?.queue;
        let more = answer.more > 0;
        let last = answer.commands.last().map(|command| command.seq);
        all.extend(answer.commands);
        match last {
            Some(last) if more => page.after = last,
            _ => return Ok(all),
        }
    }
}

/// What an event stream brings.
#[derive(Debug)]
pub(crate) enum Item {
    Event(Arc<Published>),
    /// The listener fell behind and lost this many events.
    Lagged(u64),
}

/// A backend's events.
pub(crate) enum EventStream {
    Local(broadcast::Receiver<Arc<Published>>),
    Remote(remote::Events),
}

impl EventStream {
    /// The events handed over by a task of their own, so that waiting for them can be given
    /// up (Ctrl-C) without losing one; a listener that falls behind is told (`Item::Lagged`).
    pub(crate) fn forwarded(mut self) -> tokio::sync::mpsc::Receiver<Item> {
        let (sender, receiver) = tokio::sync::mpsc::channel(1024);
        tokio::spawn(async move {
            while let Some(item) = self.next().await {
                if sender.send(item).await.is_err() {
                    return;
                }
            }
        });
        receiver
    }

    /// The next event; `None` when the backend is gone.
    pub(crate) async fn next(&mut self) -> Option<Item> {
        match self {
            Self::Local(receiver) => match receiver.recv().await {
                Ok(event) => Some(Item::Event(event)),
                Err(broadcast::error::RecvError::Lagged(lost)) => Some(Item::Lagged(lost)),
                Err(broadcast::error::RecvError::Closed) => None,
            },
            Self::Remote(events) => events.next().await,
        }
    }
}
