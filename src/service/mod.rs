//! `hotelcare serve`: the long-running service. It alone opens the journal; it runs the journal's
//! commands on the PBX (the drainer), the spool, and a local control API through which `run`,
//! `queue`, `show`, `test-access`, `rooms` and the REPL work while it runs.
//!
//! Input: scripts from the API, the spool and the PMS. Output: PBX changes through the core
//! (`control::local::Local`: the engine, the hub of events, the drainer). `cli` connects the
//! PBXs; this module knows none of their wires.

use std::path::PathBuf;
use std::sync::{Arc, PoisonError};
use std::time::Duration;

use tokio::net::TcpListener;
use tokio::sync::{Semaphore, watch};

use crate::config::Config;
use crate::control::discovery::{self, ServiceInfo};
use crate::control::drainer;
use crate::control::hub::Hub;
use crate::control::local::{FiasLink, Local};
use crate::engine::{Engine, Event, Intake, Journal, JournalError, Marker, Outcome, Pbxs, Status};
use crate::inputs::api;
use crate::inputs::spool::{self, Attempts, Execute, Spool, Stopping, Tell};
use crate::support::serving::{self, ACCEPT_BACKOFF, Timeouts};

/// At most this many API connections at once; one more is answered 503 and closed.
const MAX_CONNECTIONS: usize = 64;

/// Why the service cannot start.
#[derive(Debug, thiserror::Error)]
pub(crate) enum ServiceError {
    #[error(
        "another hotelcare service owns the state directory `{dir}` ({running}); stop it first, or use it: `hotelcare run`, `queue`, `show` and `repl` work through it"
    )]
    Running { dir: String, running: String },
    #[error("{0}")]
    Journal(#[from] JournalError),
    #[error(
        "cannot listen on {address}: {error}; is another program using it? Change `[service] listen` in the configuration"
    )]
    Listen {
        address: std::net::SocketAddr,
        error: std::io::Error,
    },
    #[error("cannot use the spool directory `{dir}`: {error}")]
    Spool { dir: String, error: std::io::Error },
    #[error("cannot keep the service's files in `{dir}`: {error}")]
    StateFiles { dir: String, error: std::io::Error },
    #[error(
        "the service stopped: its journal could not be written for {minutes} minutes ({error}); free space on its disk (or fix the disk) and start it again (a supervisor restarts it by itself)"
    )]
    JournalLost { minutes: u64, error: String },
}

/// The spool, as `serve --spool` (or `[spool] dir`, or `watch DIR`) asks for it.
#[derive(Clone, Debug)]
pub(crate) struct SpoolOptions {
    pub(crate) dir: PathBuf,
    pub(crate) create: bool,
    pub(crate) interval: Duration,
    pub(crate) settle: Duration,
}

/// What `prepare` made ready: everything that can refuse to start, before a PBX is connected.
pub(crate) struct Prepared {
    journal: Journal,
    listener: TcpListener,
    token: String,
    spool: Option<(Spool, SpoolOptions)>,
}

/// Opens the journal (refusing if another process has it, naming a running service), binds the
/// API's address, makes or reads the token, opens the spool.
pub(crate) async fn prepare(
    config: &Config,
    spool: Option<SpoolOptions>,
) -> Result<Prepared, ServiceError> {
    let state_dir = &config.run.state_dir;
    let journal = Journal::open(state_dir).map_err(|error| match ServiceInfo::read(state_dir) {
        Some(info) if error.is_in_use() => ServiceError::Running {
            dir: state_dir.display().to_string(),
            running: info.describe(),
        },
        _ => ServiceError::Journal(error),
    })?;
    let state_files = |error| ServiceError::StateFiles {
        dir: state_dir.display().to_string(),
        error,
    };
    let token = discovery::token(state_dir).map_err(state_files)?;
    let address = config.service.listen;
    let listener = TcpListener::bind(address)
        .await
        .map_err(|error| ServiceError::Listen { address, error })?;
    let spool = match spool {
        Some(options) => {
            let failed = |error| ServiceError::Spool {
                dir: options.dir.display().to_string(),
                error,
            };
            let mut opened =
                Spool::open(&options.dir, options.settle, options.create).map_err(failed)?;
            if let Some(group) = config.spool_report_group {
                opened.share_reports_with(group).map_err(failed)?;
            }
            Some((opened, options))
        }
        None => None,
    };
    Ok(Prepared {
        journal,
        listener,
        token,
        spool,
    })
}

/// Runs the service on `driver` until `stop` yields a reason: stops accepting, lets the
/// commands in flight finish (up to `grace`), leaves the rest queued, and says so.
pub(crate) async fn run(
    config: &Config,
    prepared: Prepared,
    pbxs: Arc<Pbxs>,
    grace: Duration,
    monitor: bool,
    stop: impl Future<Output = String>,
) -> Result<(), ServiceError> {
    let Prepared {
        journal,
        listener,
        token,
        spool,
    } = prepared;
    let state_dir = config.run.state_dir.clone();
    let echo: crate::control::hub::Echo = Arc::new(|text: &str| {
        crate::support::output::outln!("{text}");
    });
    // Standard output carries the monitor (guests' names) only when asked; the service's
    // own lines always go to stderr and the log.
    let hub = Arc::new(Hub::new(
        &pbxs.target(),
        &pbxs.pbx_names(),
        config.fias.is_some(),
        config.smdr.is_some()
            || config
                .pbxs
                .iter()
                .any(|site| site.pbx.as_ref().is_some_and(|pbx| pbx.smdr.is_some())),
        monitor.then_some(&echo),
        true,
    ));
    let attempts: Attempts = Arc::default();
    let sink = {
        let hub = Arc::clone(&hub);
        let attempts = Arc::clone(&attempts);
        Arc::new(move |event: &Event<'_>| {
            hub.on_event(event, true);
            // A done command leaves the journal: its failed attempts are remembered for the
            // spool's report. Only those with any, and the latest `ATTEMPTS_KEPT`: a service
            // that runs for months must not keep a number per command it ever ran.
            if let Event::Finished {
                entry,
                outcome: Outcome::Done,
                ..
            } = event
                && entry.attempts > 0
            {
                let mut attempts = attempts.lock().unwrap_or_else(PoisonError::into_inner);
                attempts.insert(entry.seq, entry.attempts);
                if attempts.len() > spool::ATTEMPTS_KEPT {
                    attempts.pop_first();
                }
            }
        })
    };
    let engine = Engine::new(
        pbxs,
        journal,
        crate::engine::Options::of(config, hub.envelopes().clone()),
        sink,
    );
    let refused = engine
        .recheck_pending(|command| crate::lang::validate::recheck(config, command))
        .await?;
    for (entry, reason) in refused {
        hub.notice(
            &format!("error: #{} ({}): {reason}", entry.seq, entry.origin),
            true,
        );
    }
    let address = listener.local_addr().unwrap_or(config.service.listen);
    let info = ServiceInfo {
        address,
        pid: std::process::id(),
        started: chrono::Local::now().to_rfc3339(),
        version: env!("CARGO_PKG_VERSION").to_owned(),
        instance: discovery::random_hex().map_err(|error| ServiceError::StateFiles {
            dir: state_dir.display().to_string(),
            error,
        })?,
        state_dir: std::fs::canonicalize(&state_dir).ok(),
    };
    info.write(&state_dir)
        .map_err(|error| ServiceError::StateFiles {
            dir: state_dir.display().to_string(),
            error,
        })?;
    let intake = Arc::new(Intake::default());
    let (stopping, stop_signal) = watch::channel(None::<String>);
    let (closing, _) = watch::channel(false);
    let (fias_control, fias_requests) = tokio::sync::mpsc::channel(8);
    let fias_link = config.fias.as_ref().map(|fias| FiasLink {
        status: crate::inputs::fias::status::SharedStatus::new(&fias.server),
        control: fias_control,
    });
    let local = Arc::new(Local::for_service(
        config,
        engine.clone(),
        Arc::clone(&hub),
        Arc::clone(&intake),
        fias_link.clone(),
        info.describe(),
    ));
    // One SMDR link a PBX that has a port: its own `smdr`, or `[smdr] server` for the first.
    let smdr_format = config
        .smdr
        .as_ref()
        .map_or(crate::config::SmdrFormat::Auto, |smdr| smdr.format);
    let smdr: Vec<_> = config
        .pbxs
        .iter()
        .enumerate()
        .filter_map(|(index, site)| {
            let own = site.pbx.as_ref().and_then(|pbx| pbx.smdr.clone());
            let server = own.or_else(|| {
                (index == 0)
                    .then(|| config.smdr.as_ref().map(|smdr| smdr.server.clone()))
                    .flatten()
            })?;
            Some(tokio::spawn(crate::inputs::smdr::link::run(
                crate::inputs::smdr::link::Link {
                    server,
                    pbx: site.name.clone(),
                    format: smdr_format,
                    charges: Arc::clone(&local.charges),
                    hub: Arc::clone(&hub),
                },
                stop_signal.clone(),
            )))
        })
        .collect();
    let postings = Arc::clone(&local.charges.postings);
    let api = Arc::new(api::Api {
        local,
        token,
        instance: info.instance.clone(),
    });
    let (pages, signed_in) = crate::dashboard::router(&api, address);
    let server = tokio::spawn(serve_api(
        listener,
        api::router(&api, pages, signed_in),
        closing.clone(),
    ));
    let drainer = tokio::spawn(drainer::run(
        engine.clone(),
        Arc::clone(&intake),
        Arc::clone(&hub),
        stop_signal.clone(),
        grace,
        drainer::Retry::Paused,
    ));
    let fias = config.fias.clone().zip(fias_link).map(|(fias, handle)| {
        let host = Arc::new(FiasHost {
            config: config.clone(),
            journal: engine.journal().clone(),
            hub: Arc::clone(&hub),
            intake: Arc::clone(&intake),
            postings: Arc::clone(&postings),
        });
        let wires: Vec<_> = config
            .pbxs
            .iter()
            .map(|site| (site.clone(), site.capabilities()))
            .collect();
        // A room no PBX owns: nothing held back here, so that validation refuses it by name.
        let fallback = crate::config::Interface::default().capabilities();
        let link = crate::inputs::fias::link::Link {
            config: fias,
            wires: Arc::new(move |room: &crate::lang::syntax::Extension| {
                wires
                    .iter()
                    .find(|(site, _)| site.owns(room.as_str()))
                    .map_or(fallback, |(_, capabilities)| *capabilities)
            }),
            host,
            status: handle.status,
            held: Vec::new(),
        };
        tokio::spawn(crate::inputs::fias::link::run(
            link,
            fias_requests,
            stop_signal.clone(),
        ))
    });
    let compactor = tokio::spawn(compact_regularly(
        engine.journal().clone(),
        Arc::clone(&hub),
        config.run.retention,
        stop_signal.clone(),
    ));
    let pending = engine.journal().count_pending().unwrap_or(0);
    hub.notice(
        &format!(
            "hotelcare {} serving: API on http://{address} (token in `{}`), PBX {}{}{}",
            env!("CARGO_PKG_VERSION"),
            state_dir.join(discovery::TOKEN_FILE).display(),
            engine.pbxs().target(),
            spool
                .as_ref()
                .map(|(_, options)| format!(", spool `{}`", options.dir.display()))
                .unwrap_or_default(),
            if pending > 0 {
                format!("; resuming {pending} pending command(s)")
            } else {
                String::new()
            }
        ),
        false,
    );
    let spooler = spool.map(|(spool, options)| {
        let executor = Executor {
            hub: Arc::clone(&hub),
            intake: Arc::clone(&intake),
            journal: engine.journal().clone(),
            stop: stop_signal.clone(),
        };
        tokio::spawn(run_spool(
            config.clone(),
            spool,
            options,
            executor,
            attempts,
            stop_signal.clone(),
        ))
    });
    // A journal that cannot be written again ends the service, so that its supervisor
    // restarts it (with what is pending kept in the file).
    let mut faults = engine.journal().faults();
    let given_up = async move {
        match faults
            .wait_for(|fault| fault.as_ref().is_some_and(|fault| fault.gave_up))
            .await
        {
            Ok(fault) => fault.clone(),
            Err(_) => std::future::pending().await,
        }
    };
    let (reason, lost) = tokio::select! {
        reason = stop => (reason, None),
        fault = given_up => ("the journal cannot be written".to_owned(), fault),
    };
    hub.notice(
        &format!("{reason}: no new commands are accepted; finishing those in flight"),
        false,
    );
    let _ = closing.send(true);
    let _ = stopping.send(Some(reason));
    let _ = drainer.await;
    let _ = compactor.await;
    if let Some(fias) = fias {
        let _ = fias.await;
    }
    for link in smdr {
        let _ = link.await;
    }
    if let Some(spooler) = spooler {
        let _ = spooler.await;
    }
    let _ = server.await;
    let left = engine
        .journal()
        .page(0, 0, |e| e.status == Status::Pending)
        .unwrap_or_default();
    let pending = left.pending;
    hub.notice(
        &format!(
            "the service has stopped: {} queued in the journal (they run when it starts again), {} failed (`hotelcare queue list`)",
            crate::diagnostics::Count(pending, "command"),
            left.all - pending
        ),
        pending > 0,
    );
    engine.pbxs().close().await;
    // In place, through the journal's own writer: a wire may still hold the journal (the
    // Mitel PMS link answers the PBX from it), so it cannot be reopened to be rewritten.
    if let Err(error) = engine.journal().compact_now().await {
        tracing::warn!("the journal was not compacted: {error}");
    }
    ServiceInfo::remove_own(&state_dir);
    match lost {
        Some(fault) => Err(ServiceError::JournalLost {
            minutes: crate::engine::journal::GIVE_UP.as_secs() / 60,
            error: fault.error,
        }),
        None => Ok(()),
    }
}

/// Finished commands leave the journal's records, but their pages (guest names in them) stay
/// in the file until it is rewritten: every `retention`, if commands finished since, the
/// journal is compacted while it stays open.
async fn compact_regularly(
    journal: Journal,
    hub: Arc<Hub>,
    retention: Duration,
    stop: watch::Receiver<Option<String>>,
) {
    let finished = || hub.metrics.done.get() + hub.metrics.failed.get();
    let mut compacted_at = finished();
    loop {
        tokio::select! {
            () = tokio::time::sleep(retention) => {}
            _ = drainer::stopped(stop.clone()) => return,
        }
        // A finished stay's calls (whom the guest called) are kept no longer than commands.
        let forgotten = journal
            .forget_calls(crate::support::clock::epoch_secs(), retention.as_secs())
            .await
            .unwrap_or_else(|error| {
                hub.notice(
                    &format!("warning: finished stays' calls were not forgotten: {error}"),
                    true,
                );
                0
            });
        let now = finished();
        if now == compacted_at && forgotten == 0 {
            continue;
        }
        match journal.compact_now().await {
            Ok(()) => {
                compacted_at = now;
                tracing::info!("the journal was compacted: finished commands left no data in it");
            }
            Err(error) => {
                hub.notice(
                    &format!("warning: the journal was not compacted: {error}"),
                    true,
                );
            }
        }
    }
}

/// The API's accept loop: each connection with the time limits of `serving`, at most
/// `MAX_CONNECTIONS` at once.
async fn serve_api(listener: TcpListener, router: axum::Router, closing: watch::Sender<bool>) {
    let permits = Arc::new(Semaphore::new(MAX_CONNECTIONS));
    let gate = Arc::new(api::Gate::default());
    let mut shutdown = closing.subscribe();
    loop {
        let accepted = tokio::select! {
            _ = shutdown.changed() => return,
            accepted = listener.accept() => accepted,
        };
        let mut stream = match accepted {
            Ok((stream, _)) => stream,
            Err(error) => {
                tracing::debug!("the API cannot accept a connection: {error}");
                tokio::time::sleep(ACCEPT_BACKOFF).await;
                continue;
            }
        };
        let _ = stream.set_nodelay(true);
        let Ok(permit) = Arc::clone(&permits).try_acquire_owned() else {
            tokio::spawn(async move {
                use tokio::io::AsyncWriteExt as _;
                let body = "too many connections to the hotelcare API; try again shortly\n";
                let answer = format!(
                    "HTTP/1.1 503 Service Unavailable\r\nRetry-After: 1\r\nContent-Type: text/plain\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                    body.len()
                );
                let _ = stream.write_all(answer.as_bytes()).await;
                let _ = stream.shutdown().await;
            });
            continue;
        };
        let (router, shutdown) = (
            router.clone().layer(axum::Extension(gate.enter())),
            closing.subscribe(),
        );
        tokio::spawn(async move {
            let _permit = permit;
            serving::connection(stream, None, router, shutdown, Timeouts::default()).await;
        });
    }
}

/// How the spool's commands get carried out in the service: the drainer runs them; the spool
/// waits for their outcomes.
struct Executor {
    hub: Arc<Hub>,
    intake: Arc<Intake>,
    journal: Journal,
    stop: watch::Receiver<Option<String>>,
}

impl Execute for Executor {
    fn accepted(&self, count: usize) {
        self.hub.metrics.accepted.inc_by(count as u64);
    }

    fn execute<'a>(
        &'a self,
        commands: &'a Marker,
        fresh: bool,
    ) -> std::pin::Pin<Box<dyn Future<Output = Result<(), Stopping>> + Send + 'a>> {
        Box::pin(async move {
            let journal = &self.journal;
            let settled = self
                .hub
                .wait_for(commands.seqs(), |seq| match journal.get(seq) {
                    Ok(None) => true,
                    Ok(Some(entry)) => entry.status == Status::Failed,
                    Err(_) => false,
                });
            // Commands waiting from an earlier round run when the drainer tries again, on its
            // own schedule (a PBX that is down is not asked again for every round).
            if fresh {
                self.intake.more();
            }
            tokio::select! {
                outcome = settled => outcome.map_err(|_| Stopping("the service stopped".to_owned())),
                reason = drainer::stopped(self.stop.clone()) => Err(Stopping(reason)),
            }
        })
    }
}

/// The spool loop of the service (see `spool`).
async fn run_spool(
    config: Config,
    mut spool: Spool,
    options: SpoolOptions,
    executor: Executor,
    attempts: Attempts,
    stop: watch::Receiver<Option<String>>,
) {
    /// The longest pause between rounds while files wait for an unreachable PBX.
    const WAITING_PAUSE: Duration = Duration::from_secs(60);
    /// How often processed files are looked at for removal.
    const PRUNE_EVERY: Duration = Duration::from_secs(3600);
    let tell = Notices(Arc::clone(&executor.hub));
    let journal = executor.journal.clone();
    let mut pause = options.interval;
    let mut pruned: Option<std::time::Instant> = None;
    loop {
        if let Some(keep) = config.spool_keep
            && pruned.is_none_or(|at| at.elapsed() >= PRUNE_EVERY)
        {
            pruned = Some(std::time::Instant::now());
            let removed = spool.prune(keep);
            if removed > 0 {
                tell.tell(&format!(
                    "the spool removed {removed} processed file(s) older than `[spool] keep_days`"
                ));
            }
        }
        let round = spool::round(&config, &journal, &executor, &attempts, &mut spool, &tell);
        let waiting = tokio::select! {
            waiting = round => waiting,
            _ = drainer::stopped(stop.clone()) => break,
        };
        // Every finished file is reported: what it kept of attempts is no longer needed.
        if waiting == 0 {
            attempts
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .clear();
        }
        pause = if waiting > 0 {
            (pause * 2).min(WAITING_PAUSE.max(options.interval))
        } else {
            options.interval
        };
        tokio::select! {
            () = tokio::time::sleep(pause) => {}
            _ = drainer::stopped(stop.clone()) => break,
        }
    }
    tell.tell(&format!(
        "the spool stops; files not finished stay in `{}` and go on at the next start",
        options.dir.join("work").display()
    ));
}

/// What the FIAS link needs of the service: its batches journaled like a script from the API,
/// its lines in the monitor and the log, its counts in the metrics.
struct FiasHost {
    config: Config,
    journal: Journal,
    hub: Arc<Hub>,
    intake: Arc<Intake>,
    /// Woken when a charged call queues a posting.
    postings: Arc<tokio::sync::Notify>,
}

impl crate::inputs::fias::link::Host for FiasHost {
    fn journal(
        &self,
        batch: crate::intake::acceptance::Batch,
    ) -> std::pin::Pin<
        Box<dyn Future<Output = Result<Vec<u64>, crate::intake::acceptance::Refusal>> + Send + '_>,
    > {
        Box::pin(async move {
            let (seqs, _) =
                crate::intake::acceptance::accept_batch(&self.config, &self.journal, batch).await?;
            if !seqs.is_empty() {
                self.hub.metrics.accepted.inc_by(seqs.len() as u64);
                self.intake.more();
            }
            Ok(seqs)
        })
    }

    fn set_flags(
        &self,
        flags: crate::engine::FlagChanges,
    ) -> std::pin::Pin<Box<dyn Future<Output = Result<(), JournalError>> + Send + '_>> {
        Box::pin(async move { self.journal.set_room_flags(flags).await })
    }

    fn tell(&self, line: &str, problem: bool) {
        self.hub.notice(line, problem);
    }

    fn rooms(&self) -> Vec<(String, crate::engine::RoomState)> {
        self.journal.rooms().unwrap_or_else(|error| {
            self.hub.notice(
                &format!("error: the room state cannot be read: {error}"),
                true,
            );
            Vec::new()
        })
    }

    fn config(&self) -> &Config {
        &self.config
    }

    fn pending(&self) -> usize {
        self.journal.count_pending().unwrap_or(0)
    }

    fn count(&self, kind: &str, outcome: crate::inputs::fias::status::RecordOutcome) {
        self.hub.metrics.fias_record(kind, outcome.label());
    }

    fn unmapped_class_of_service(&self, count: usize) {
        self.hub.metrics.fias_unmapped_class_of_service(count);
    }

    fn link_up(&self, up: bool) {
        self.hub.metrics.fias_link_up(up);
    }

    fn next_posting(&self) -> Option<crate::engine::journal::Posting> {
        self.journal.next_posting().unwrap_or_else(|error| {
            self.hub.notice(
                &format!("error: the postings cannot be read: {error}"),
                true,
            );
            None
        })
    }

    fn postings_out(&self) -> Vec<crate::engine::journal::Posting> {
        self.journal.postings_out().unwrap_or_default()
    }

    fn set_posting(
        &self,
        number: u64,
        state: crate::engine::journal::PostingState,
    ) -> std::pin::Pin<
        Box<
            dyn Future<Output = Result<Option<crate::engine::journal::Posting>, JournalError>>
                + Send
                + '_,
        >,
    > {
        Box::pin(self.journal.set_posting(number, state))
    }

    fn stay_room(&self, stay: u64) -> Option<String> {
        self.journal
            .stay(stay)
            .ok()
            .flatten()
            .filter(|stay| stay.ended.is_none())
            .map(|stay| stay.room().to_owned())
    }

    fn postings_queued(&self) -> Arc<tokio::sync::Notify> {
        Arc::clone(&self.postings)
    }

    fn posted(&self, outcome: &str) {
        self.hub.metrics.posting(outcome);
    }

    fn wakeup_answers(&self) -> Vec<crate::engine::journal::PmsWakeup> {
        self.journal.wakeup_answers_due().unwrap_or_else(|error| {
            self.hub.notice(
                &format!("error: the wake-up answers cannot be read: {error}"),
                true,
            );
            Vec::new()
        })
    }

    fn wakeup_answered(
        &self,
        booking: &crate::engine::journal::PmsWakeup,
    ) -> std::pin::Pin<Box<dyn Future<Output = Result<(), JournalError>> + Send + '_>> {
        let (room, at) = (booking.room.clone(), booking.at);
        Box::pin(async move { self.journal.wakeup_answer_sent(&room, at).await })
    }
}

/// Spool lines go to the hub: the log, the service's stderr and every listener.
struct Notices(Arc<Hub>);

impl Tell for Notices {
    fn tell(&self, line: &str) {
        self.0.notice(line, false);
    }

    fn problem(&self, line: &str) {
        self.0.notice(line, true);
    }
}
