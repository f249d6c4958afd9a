//! `Local`: the core that carries commands out — the journal, the engine on the property's
//! PBXs, the hub of events, the drainer — and every request of the control protocol, answered
//! in this process. `hotelcare serve` wraps it in the API; a command-line client uses it
//! directly when no service runs (`Local::start`). Either way the answers are the same code.

use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use tokio::sync::{broadcast, mpsc, watch};
use tokio::task::JoinHandle;

use crate::config::{Config, ScriptEncoding};
use crate::control::backend::{Answer, Backend, EventStream, Inline};
use crate::control::charges::Charges;
use crate::control::drainer;
use crate::control::hub::{Hub, Published};
use crate::control::protocol::{
    BackendError, ChargesAnswer, DashboardTicket, DirectoryNumbers, Dropped, Imported, Overtaken,
    PbxStatus, QueueAnswer, QueuePage, Ran, Reconciled, Retried, RoomsAnswer, Said, StatusAnswer,
    Submitted,
};
use crate::engine::{Engine, Intake, Journal, JournalError, Options, Pbxs, Status};
use crate::inputs::fias::link::Control;
use crate::inputs::fias::resync::ResyncReport;
use crate::inputs::fias::status::{LinkState, LinkStatus, SharedStatus};
use crate::intake::acceptance::{self, Refusal};
use crate::intake::script::Script;
use crate::monitor::{format, json};
use crate::pbx::registry::{self, ConnectError, Connection};
use crate::support::audience::Audience;

mod charges;
mod health;
mod streamed;

/// How long `fias resync` waits for the PMS's house (less than the idle limit of an API
/// connection, 60 s).
const RESYNC_WAIT: Duration = Duration::from_secs(45);

/// The FIAS link as the core sees it: its status, and where `fias resync` asks it.
#[derive(Clone)]
pub(crate) struct FiasLink {
    pub(crate) status: SharedStatus,
    pub(crate) control: mpsc::Sender<Control>,
}

/// See the module documentation.
pub(crate) struct Local {
    pub(crate) config: Config,
    pub(crate) engine: Engine,
    pub(crate) hub: Arc<Hub>,
    pub(crate) intake: Arc<Intake>,
    pub(crate) fias: Option<FiasLink>,
    /// Calls costed, and the stays' credit limits kept.
    pub(crate) charges: Arc<Charges>,
    /// It is the core of `hotelcare serve` (which runs its own drainer, for good).
    service: bool,
    /// The service, for `status`: `PID 4711, listening on ... since ...`.
    about: Option<String>,
    /// A command-line client's drainer, while one runs (started by the first work).
    drainer: tokio::sync::Mutex<Option<Drainer>>,
    /// The first listener's events, taken since the core started: nothing a drainer did
    /// before the client listened is lost to it.
    first_events: Mutex<Option<broadcast::Receiver<Arc<Published>>>>,
}

/// A running drainer and how to stop it.
struct Drainer {
    stop: watch::Sender<Option<String>>,
    task: JoinHandle<()>,
}

/// Why a command-line client cannot work in this process.
#[derive(Debug, thiserror::Error)]
pub(crate) enum StartError {
    #[error(transparent)]
    Journal(#[from] JournalError),
    #[error(transparent)]
    Connect(#[from] ConnectError),
}

/// What a command-line client's core needs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Reach {
    /// The journal only (`queue list`, `rooms`, `queue drop`).
    Journal,
    /// The journal and every PBX (`run`, `show`, `reconcile`, the REPL).
    Pbxs,
}

/// A `Local` started by a command-line client.
pub(crate) struct Session {
    pub(crate) local: Arc<Local>,
    connection: Option<Connection>,
    /// What the PBXs' registry said (the embedded simulator in use, plain HTTP).
    pub(crate) notices: Vec<String>,
    /// Pending commands of an earlier run that no longer validate, with why (now failed).
    pub(crate) refused: Vec<String>,
    /// Commands an earlier run left pending: they run first, with the first work.
    pub(crate) resumed: Vec<u64>,
}

impl Session {
    /// Stops the drainer (commands still running are cut off and stay pending), ends the
    /// PBX sessions and closes the journal.
    pub(crate) async fn finish(self, reason: &str) {
        self.local.halt(reason).await;
        self.local.engine.pbxs().close().await;
        if let Some(connection) = self.connection {
            connection.close().await;
        }
    }
}

impl Local {
    /// The core of `hotelcare serve`: its engine, hub, intake and FIAS link; it runs its
    /// drainer itself.
    pub(crate) fn for_service(
        config: &Config,
        engine: Engine,
        hub: Arc<Hub>,
        intake: Arc<Intake>,
        fias: Option<FiasLink>,
        about: String,
    ) -> Self {
        let charges = Arc::new(Charges::new(
            config.clone(),
            engine.journal().clone(),
            Arc::clone(&hub),
            Arc::clone(&intake),
        ));
        charges.watch();
        Self {
            config: config.clone(),
            engine,
            hub,
            intake,
            fias,
            charges,
            service: true,
            about: Some(about),
            drainer: tokio::sync::Mutex::default(),
            first_events: Mutex::default(),
        }
    }

    /// The core of a command-line client: the journal of the state directory and, with
    /// `Reach::Pbxs`, every PBX connected; what an earlier run left pending is checked again
    /// (`Session::refused`) and runs with the first work. `raw`: the events carry what went
    /// over the wire; `json`: their JSON lines too (`--format json`).
    pub(crate) async fn start(
        config: &Config,
        reach: Reach,
        raw: bool,
        json: bool,
    ) -> Result<Session, StartError> {
        let journal = Journal::open(&config.run.state_dir)?;
        let (pbxs, connection, notices) = match reach {
            Reach::Pbxs => {
                let connection = registry::connect(config).await?;
                let notices = connection.notices.clone();
                (Arc::clone(&connection.pbxs), Some(connection), notices)
            }
            Reach::Journal => (Arc::new(Pbxs::none()), None, Vec::new()),
        };
        let hub = Hub::new(&pbxs.target(), &pbxs.pbx_names(), false, false, None, false);
        let hub = Arc::new(hub.with_json(json));
        let sink = {
            let hub = Arc::clone(&hub);
            Arc::new(move |event: &crate::engine::Event<'_>| {
                hub.on_event(event, true);
            })
        };
        let engine = Engine::new(pbxs, journal, Options::of(config, Audience::of(raw)), sink);
        let intake = Arc::new(Intake::default());
        let charges = Arc::new(Charges::new(
            config.clone(),
            engine.journal().clone(),
            Arc::clone(&hub),
            Arc::clone(&intake),
        ));
        if reach == Reach::Pbxs {
            charges.watch();
        }
        let local = Arc::new(Self {
            charges,
            config: config.clone(),
            first_events: Mutex::new(Some(hub.subscribe())),
            engine,
            hub,
            intake,
            fias: None,
            service: false,
            about: None,
            drainer: tokio::sync::Mutex::default(),
        });
        let mut session = Session {
            local: Arc::clone(&local),
            connection,
            notices,
            refused: Vec::new(),
            resumed: Vec::new(),
        };
        if reach == Reach::Pbxs {
            session.refused = local.recheck().await;
            session.resumed = local.pending().unwrap_or_default();
        }
        Ok(session)
    }

    /// Runs what an earlier run left pending now, before any new work.
    pub(crate) async fn resume(&self) {
        self.drive().await;
    }

    /// A command-line client's core: starts its drainer unless it runs (a service's runs
    /// from its start).
    async fn drive(&self) {
        if self.service {
            return;
        }
        let mut drainer = self.drainer.lock().await;
        if drainer.as_ref().is_some_and(|d| !d.task.is_finished()) {
            return;
        }
        let (stop, stopped) = watch::channel(None);
        let task = tokio::spawn(drainer::run(
            self.engine.clone(),
            Arc::clone(&self.intake),
            Arc::clone(&self.hub),
            stopped,
            Duration::ZERO,
            drainer::Retry::WithNewWork,
        ));
        *drainer = Some(Drainer { stop, task });
    }

    /// Stops a command-line client's drainer: what runs is cut off and stays pending in the
    /// journal, with the attempts it made; it runs again with the next work.
    pub(crate) async fn halt(&self, reason: &str) {
        let Some(drainer) = self.drainer.lock().await.take() else {
            return;
        };
        let _ = drainer.stop.send(Some(reason.to_owned()));
        let _ = drainer.task.await;
    }

    /// Pending commands checked again against the configuration (see
    /// `Engine::recheck_pending`): why those that no longer validate are failed now.
    pub(crate) async fn recheck(&self) -> Vec<String> {
        let config = &self.config;
        match self
            .engine
            .recheck_pending(|command| crate::lang::validate::recheck(config, command))
            .await
        {
            Ok(refused) => refused
                .into_iter()
                .map(|(entry, reason)| {
                    tracing::warn!("#{} ({}): {reason}", entry.seq, entry.origin);
                    format!(
                        "#{} `{}` ({}): {reason}",
                        entry.seq, entry.command.text, entry.origin
                    )
                })
                .collect(),
            Err(why) => vec![why.to_string()],
        }
    }

    /// The pending commands' numbers, in order.
    pub(crate) fn pending(&self) -> Result<Vec<u64>, BackendError> {
        self.engine.journal().pending_seqs().map_err(unavailable)
    }

    /// The configuration as PBX `pbx` sees it (and its index), or all of it.
    fn scope(&self, pbx: Option<&str>) -> Result<(Config, Option<usize>), BackendError> {
        match pbx {
            None => Ok((self.config.clone(), None)),
            Some(name) => self
                .config
                .pbx_named(name)
                .map(|index| (self.config.only(index), Some(index)))
                .map_err(|missing| BackendError::NotFound(missing.to_string())),
        }
    }

    /// The PBXs of PBX `index` alone, or all.
    fn pbxs_of(&self, index: Option<usize>) -> Arc<Pbxs> {
        match index.and_then(|index| self.engine.pbxs().only(index)) {
            Some(only) => Arc::new(only),
            None => Arc::clone(self.engine.pbxs()),
        }
    }

    /// A script as bytes (the API's body): checked whole; all its commands journaled in one
    /// transaction, or none. `source` names it in the monitor, the log and the origins.
    pub(crate) async fn submit_bytes(
        self: &Arc<Self>,
        source: String,
        bytes: Vec<u8>,
        again: bool,
        key: Option<String>,
    ) -> Result<Submitted, BackendError> {
        if source.is_empty() || source.len() > 200 || source.chars().any(char::is_control) {
            return Err(BackendError::BadRequest(
                "`source` names the script in the monitor: 1 to 200 characters, no control characters".into(),
            ));
        }
        if let Err(utf8) = std::str::from_utf8(&bytes) {
            return Err(BackendError::BadRequest(format!(
                "the body is not UTF-8 (byte {} is not): send the script as UTF-8 text",
                utf8.valid_up_to()
            )));
        }
        // Accepted in a task of its own: a client that goes away mid-request cannot cut the
        // acceptance in two (the journal's transaction is whole either way; this keeps the
        // intake told and the counters right).
        let local = Arc::clone(self);
        let accepted = tokio::spawn(async move {
            let result = acceptance::accept(
                &local.config,
                local.engine.journal(),
                &source,
                &bytes,
                // The API takes UTF-8 (checked above), whatever the spool's files are in.
                ScriptEncoding::default(),
                key.as_deref()
                    .map_or(acceptance::Identity::Content, acceptance::Identity::Key),
                again,
            )
            .await;
            if let Ok((seqs, _)) = &result {
                local.accepted(seqs.len(), &source);
            }
            result
        })
        .await
        .map_err(|_| {
            BackendError::Internal(
                "the acceptance task ended abnormally; nothing was accepted".into(),
            )
        })?;
        match accepted {
            Ok((seqs, checked)) => Ok(Submitted {
                seqs,
                diagnostics: checked.diagnostics,
                rendered: checked.rendered,
            }),
            Err(Refusal::Invalid(checked)) => Err(BackendError::Invalid {
                message: format!("{} error(s); nothing was accepted", checked.errors()),
                diagnostics: checked.diagnostics,
                rendered: checked.rendered,
            }),
            Err(Refusal::Unreadable(why)) => Err(BackendError::BadRequest(format!(
                "the script cannot be read: {why}; nothing was accepted"
            ))),
            Err(Refusal::Duplicate(earlier)) => Err(BackendError::Duplicate {
                message: format!(
                    "{earlier}; nothing was accepted. If it really is to run again, add `again=true`"
                ),
                earlier,
            }),
            Err(Refusal::Journal(why)) => Err(BackendError::Unavailable(format!(
                "the journal cannot take it: {why}; nothing was accepted"
            ))),
        }
    }

    /// Commands were journaled: counted, logged, and the drainer told.
    fn accepted(&self, count: usize, source: &str) {
        self.hub.metrics.accepted.inc_by(count as u64);
        tracing::info!("accepted {count} command(s) from `{source}`");
        self.intake.more();
    }
}

#[allow(clippy::needless_pass_by_value)] // for `map_err`
fn unavailable(error: impl ToString) -> BackendError {
    BackendError::Unavailable(error.to_string())
}

impl Backend for Local {
    fn describe(&self) -> String {
        format!("hotelcare on {}", self.config.target_name())
    }

    fn name(&self) -> String {
        self.config.target_name()
    }

    fn is_service(&self) -> bool {
        self.service
    }

    fn events(&self, _raw: bool, _json: bool) -> Answer<'_, EventStream> {
        let receiver = self
            .first_events
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .take()
            .unwrap_or_else(|| self.hub.subscribe());
        Box::pin(async move { Ok(EventStream::Local(receiver)) })
    }

    fn submit<'a>(
        &'a self,
        scripts: &'a [Script],
        encoding: ScriptEncoding,
        again: bool,
    ) -> Answer<'a, Submitted> {
        Box::pin(async move {
            let submitted = self.submit_streamed(scripts, encoding, again).await?;
            self.drive().await;
            Ok(submitted)
        })
    }

    fn interrupt<'a>(&'a self, reason: &'a str) -> Answer<'a, ()> {
        Box::pin(async move {
            self.halt(reason).await;
            Ok(())
        })
    }

    fn queue<'a>(&'a self, pbx: Option<&'a str>, page: QueuePage) -> Answer<'a, QueueAnswer> {
        Box::pin(async move {
            let (config, _) = self.scope(pbx)?;
            let page = page.bounded();
            // The whole property shows every command, those of a PBX no longer configured
            // too (labelled so): what waits in the journal is never hidden.
            let found = self
                .engine
                .journal()
                .page(page.after, page.limit, |entry| {
                    pbx.is_none() || config.concerns(&entry.command.action.rooms())
                })
                .map_err(unavailable)?;
            let text = if found.pending + found.failed == 0 && found.all > 0 {
                format!("{}\n", format::none_for_pbx(config.pbx_name(), found.all))
            } else {
                // Named as the whole property names them.
                format::queue(&found, self.service, &self.config)
            };
            Ok(QueueAnswer {
                queue: json::Queue::of_page(&found, &self.config),
                text,
            })
        })
    }

    fn retry(&self) -> Answer<'_, Retried> {
        Box::pin(async move {
            let journal = self.engine.journal();
            let (requeued, overtaken) = journal.requeue_failed().await.map_err(unavailable)?;
            if let Some(first) = requeued.iter().map(|entry| entry.seq).min() {
                self.engine.retold_from(first);
            }
            tracing::info!(
                "queue retry: {} failed command(s) pending again",
                requeued.len()
            );
            let refused = self.recheck().await;
            let pending = self.pending()?;
            self.intake.rescan();
            self.drive().await;
            Ok(Retried {
                requeued: requeued.len(),
                pending,
                overtaken: overtaken
                    .iter()
                    .map(|(entry, later)| Overtaken {
                        seq: entry.seq,
                        command: entry.command.text.clone(),
                        origin: entry.origin.clone(),
                        later: *later,
                    })
                    .collect(),
                refused,
            })
        })
    }

    fn drop_command(&self, seq: u64) -> Answer<'_, Dropped> {
        Box::pin(async move {
            let journal = self.engine.journal();
            if self.engine.in_flight(seq) {
                return Err(BackendError::Conflict(format!(
                    "command #{seq} is running now; drop it once it has finished or failed (`hotelcare queue list`)"
                )));
            }
            let Some(entry) = journal.get(seq).map_err(unavailable)? else {
                return Err(BackendError::NotFound(format!(
                    "there is no command #{seq} in the journal; see `hotelcare queue list`"
                )));
            };
            journal.remove(seq).await.map_err(unavailable)?;
            tracing::info!("dropped #{seq} ({}) from the journal", entry.origin);
            Ok(Dropped {
                dropped: seq,
                text: format!(
                    "dropped #{seq}: room {} {} ({})",
                    entry.command.action.room(),
                    entry.command.text,
                    entry.origin
                ),
            })
        })
    }

    fn rooms<'a>(&'a self, wanted: &'a [String], pbx: Option<&'a str>) -> Answer<'a, RoomsAnswer> {
        Box::pin(async move {
            let (config, _) = self.scope(pbx)?;
            let mut rooms = self.engine.journal().rooms().map_err(unavailable)?;
            if !wanted.is_empty() {
                rooms.retain(|(room, _)| wanted.contains(room));
            }
            rooms.retain(|(room, _)| config.pbx_of(room).is_some());
            Ok(RoomsAnswer {
                rooms: json::Rooms::new(&rooms, &self.config),
                text: format::rooms(&rooms, wanted, &self.config),
            })
        })
    }

    fn inline<'a>(&'a self, command: &'a Inline, pbx: Option<&'a str>) -> Answer<'a, Ran> {
        Box::pin(async move {
            let text = match command {
                Inline::Show(ext) => {
                    if ext.is_empty() || ext.len() > 7 || !ext.bytes().all(|b| b.is_ascii_digit()) {
                        return Err(BackendError::BadRequest(format!(
                            "`{ext}` is not an extension: up to 7 digits"
                        )));
                    }
                    format!("SHOW {ext}")
                }
                Inline::Test => "TEST".to_owned(),
            };
            let (mut config, index) = self.scope(pbx)?;
            // Named for the monitor: from the API, or a command line of this process.
            let origin = if self.service { "api" } else { "command line" };
            let commands = match acceptance::check(
                &config,
                origin,
                text.as_bytes(),
                ScriptEncoding::default(),
                None,
            ) {
                Ok(checked) => checked.commands,
                Err(Refusal::Invalid(checked)) => {
                    return Err(BackendError::Invalid {
                        message: format!("{} error(s)", checked.errors()),
                        diagnostics: checked.diagnostics,
                        rendered: checked.rendered,
                    });
                }
                Err(_) => return Err(BackendError::BadRequest("cannot be checked".into())),
            };
            let journal =
                Journal::in_memory().map_err(|e| BackendError::Internal(e.to_string()))?;
            config.run.retry.attempts = 1;
            let seen: Arc<Mutex<Vec<Published>>> = Arc::default();
            let hub = Arc::clone(&self.hub);
            let collected = Arc::clone(&seen);
            let engine = Engine::new(
                self.pbxs_of(index),
                journal,
                Options::of(&config, Audience::Always),
                Arc::new(move |event| {
                    let published = hub.on_event(event, false);
                    collected
                        .lock()
                        .unwrap_or_else(PoisonError::into_inner)
                        .push(Arc::unwrap_or_clone(published));
                }),
            )
            // `SHOW` on a wire that cannot read the PBX answers from the expected room state.
            .reading_rooms_from(self.engine.journal().clone());
            engine
                .enqueue(commands)
                .await
                .map_err(|e| BackendError::Internal(e.to_string()))?;
            engine
                .drain()
                .await
                .map_err(|e| BackendError::Internal(e.to_string()))?;
            let events = std::mem::take(&mut *seen.lock().unwrap_or_else(PoisonError::into_inner));
            Ok(Ran { events })
        })
    }

    fn reconcile<'a>(
        &'a self,
        wanted: &'a [String],
        pbx: Option<&'a str>,
    ) -> Answer<'a, Reconciled> {
        Box::pin(async move {
            let (config, index) = self.scope(pbx)?;
            let rooms = self.engine.journal().rooms().map_err(unavailable)?;
            let findings =
                crate::intake::reconcile::reconcile(&config, &self.pbxs_of(index), &rooms, wanted)
                    .await;
            Ok(Reconciled {
                text: findings.report(),
                script: findings.script(),
                differences: findings.differences.len(),
                unreachable: findings.unreachable,
                resettable: findings.resettable,
            })
        })
    }

    fn general_reset<'a>(&'a self, pbx: &'a str) -> Answer<'a, Said> {
        Box::pin(async move {
            crate::intake::reconcile::general_reset(
                &self.config,
                self.engine.pbxs(),
                pbx,
                self.engine.journal(),
            )
            .await
            .map(|text| Said { text })
            .map_err(|why| BackendError::Conflict(format!("PBX `{pbx}`: {why}")))
        })
    }

    fn directory_numbers(&self) -> Answer<'_, DirectoryNumbers> {
        Box::pin(async move {
            Ok(DirectoryNumbers {
                numbers: self.engine.pbxs().directory_numbers().await,
            })
        })
    }

    fn status(&self) -> Answer<'_, StatusAnswer> {
        Box::pin(async move {
            let journal = self.engine.journal();
            // The oldest pending command and the counts, in bounded memory.
            let found = journal
                .page(0, 1, |e| e.status == Status::Pending)
                .map_err(unavailable)?;
            let failed = found.all - found.pending;
            let pbxs: Vec<PbxStatus> = self
                .config
                .pbxs
                .iter()
                .map(|site| PbxStatus {
                    name: site.name.clone(),
                    target: site.target().to_owned(),
                    reachable: self
                        .service
                        .then(|| self.hub.metrics.is_reachable(&site.name)),
                })
                .collect();
            let fias = self.fias.as_ref().map(|fias| fias.status.get());
            let service = self.about.clone();
            let well = journal.fault().is_none()
                && service.is_some()
                && pbxs.iter().all(|pbx| pbx.reachable != Some(false))
                && fias.as_ref().is_none_or(|link| link.state == LinkState::Up)
                && failed == 0;
            Ok(StatusAnswer {
                service,
                pbxs,
                fias,
                pending: found.pending,
                failed,
                oldest_pending: found.entries.first().map(|entry| {
                    format!("#{} {} ({})", entry.seq, entry.command.text, entry.origin)
                }),
                journal_bytes: journal
                    .path()
                    .and_then(|path| std::fs::metadata(path).ok())
                    .map(|meta| meta.len()),
                last_problem: self.hub.last_problem(),
                journal_fault: journal.fault(),
                links: if self.service {
                    self.hub.links.rows()
                } else {
                    Vec::new()
                },
                well,
            })
        })
    }

    fn dashboard_ticket(&self) -> Answer<'_, DashboardTicket> {
        // The page's tickets are the API's (`dashboard::access`); a core is asked through it.
        Box::pin(async {
            Err(BackendError::NotFound(
                "the status page is served by `hotelcare serve`; ask the running service (`hotelcare dashboard`)".into(),
            ))
        })
    }

    fn fias_status(&self) -> Answer<'_, LinkStatus> {
        Box::pin(async move { Ok(self.fias()?.status.get()) })
    }

    fn import_calls<'a>(&'a self, text: &'a str, pbx: Option<&'a str>) -> Answer<'a, Imported> {
        Box::pin(self.import_smdr(text, pbx))
    }

    fn charges<'a>(&'a self, room: Option<&'a str>) -> Answer<'a, ChargesAnswer> {
        Box::pin(async move { self.stays_charges(room) })
    }

    fn repost(&self, number: u64) -> Answer<'_, Said> {
        Box::pin(self.repost_posting(number))
    }

    fn fias_resync(&self, dry_run: bool, confirm: bool) -> Answer<'_, ResyncReport> {
        Box::pin(async move {
            let fias = self.fias()?;
            let stopped = || BackendError::Unavailable("the FIAS link has stopped".into());
            if confirm {
                let (reply, answer) = tokio::sync::oneshot::channel();
                fias.control
                    .send(Control::Confirm { reply })
                    .await
                    .map_err(|_| stopped())?;
                return answer
                    .await
                    .map_err(|_| stopped())?
                    .map_err(|why| BackendError::Conflict(why.to_string()));
            }
            let status = fias.status.get();
            if status.state != LinkState::Up {
                return Err(BackendError::Unavailable(format!(
                    "the FIAS link to the PMS at {} is {}{}; a resync is asked by itself when the link comes up",
                    status.server,
                    if status.state == LinkState::Down {
                        "down"
                    } else {
                        "not up yet"
                    },
                    status
                        .last_error
                        .map(|why| format!(" ({why})"))
                        .unwrap_or_default()
                )));
            }
            let (reply, answer) = tokio::sync::oneshot::channel();
            fias.control
                .send(Control::Resync { dry_run, reply })
                .await
                .map_err(|_| stopped())?;
            match tokio::time::timeout(RESYNC_WAIT, answer).await {
                Ok(Ok(report))
                    if report.error.is_some()
                        && report.journaled == 0
                        && report.differences.is_empty() =>
                {
                    Err(BackendError::Unavailable(report.error.unwrap_or_default()))
                }
                Ok(Ok(report)) => Ok(report),
                Ok(Err(_)) => Err(BackendError::Unavailable(
                    "the FIAS link dropped before the PMS sent the house; a resync is asked again when it comes up".into(),
                )),
                Err(_) => Err(BackendError::Timeout(format!(
                    "the PMS has not sent the house within {} s; some PMSs ignore a resync they find unneeded. The resync still applies if the house comes: `hotelcare fias status` shows it",
                    RESYNC_WAIT.as_secs()
                ))),
            }
        })
    }
}

impl Local {
    fn fias(&self) -> Result<&FiasLink, BackendError> {
        self.fias.as_ref().ok_or_else(|| {
            BackendError::NotFound(
                "this service has no FIAS link: add `[fias]` to the configuration and restart it"
                    .into(),
            )
        })
    }
}
