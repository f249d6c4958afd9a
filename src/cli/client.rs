//! The backend a subcommand is written against (`control::backend::Backend`), chosen once: the
//! running service of the state directory (`Remote`), else the same core in this process
//! (`Local`), started with what the subcommand needs. A subcommand never asks which it has.

use std::sync::Arc;

use crate::cli::error::{Error, report};
use crate::cli::execution::{block_on, compact_journal};
use crate::cli::exit::Exit;
use crate::config::Config;
use crate::control::backend::{Backend, Item};
use crate::control::local::{Local, Reach};
use crate::control::remote::Remote;
use crate::engine::Journal;
use crate::lang::validate::wakeup::Wakeup;
use crate::lang::validate::{House, KnownRoom};
use crate::support::logs::{self, Retention};
use crate::support::output::errln;

/// What a subcommand needs of its backend.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Need {
    /// The journal (`queue list`, `rooms`): a core in this process does not connect to PBXs.
    Journal,
    /// Every PBX too (`run`, `show`, `reconcile`); what an earlier run left pending runs with
    /// the first command given.
    Pbxs,
    /// Every PBX, and what an earlier run left pending runs at once (the REPL).
    Resume,
}

/// A subcommand's backend, and what its own core found at the start.
pub(crate) struct Client<'a> {
    pub(crate) backend: &'a dyn Backend,
    /// Commands an earlier run left pending, which run first (a core in this process).
    pub(crate) resumed: Vec<u64>,
    /// Pending commands that no longer validate under the configuration, with why.
    pub(crate) refused: Vec<String>,
}

impl Client<'_> {
    /// A service that goes on by itself (and shows others' commands).
    pub(crate) fn is_service(&self) -> bool {
        self.backend.is_service()
    }

    /// The backend's events (see `EventStream::forwarded`).
    pub(crate) async fn events(
        &self,
        raw: bool,
    ) -> Result<tokio::sync::mpsc::Receiver<Item>, Exit> {
        let json = crate::cli::execution::output_format() == crate::cli::arguments::Format::Json;
        Ok(self
            .backend
            .events(raw, json)
            .await
            .map_err(failed)?
            .forwarded())
    }
}

/// A backend's error, printed; its exit code (see `Error::exit`).
pub(crate) fn failed(error: crate::control::protocol::BackendError) -> Exit {
    report(error)
}

/// The house as the journal expects it (through the running service, or read from the journal
/// when it exists), for checking scripts against it; `None` when it cannot be known (the
/// engine checks again before anything is sent).
pub(crate) fn house(config: &Config) -> Option<Arc<House>> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .ok()?;
    runtime.block_on(async {
        match Remote::find(&config.run.state_dir).await {
            Ok(Some(remote)) => {
                let answer = remote.rooms(&[], None).await.ok()?;
                Some(Arc::new(House {
                    rooms: answer
                        .rooms
                        .rooms
                        .into_iter()
                        .map(|entry| {
                            let known = KnownRoom {
                                occupied: entry.occupied,
                                wakeups: entry
                                    .wakeups
                                    .iter()
                                    .filter_map(|w| Wakeup::parse(w))
                                    .collect(),
                            };
                            (entry.room, known)
                        })
                        .collect(),
                }))
            }
            Ok(None) => {
                let file = config.run.state_dir.join(crate::engine::journal::FILE_NAME);
                if !file.is_file() {
                    return None;
                }
                crate::intake::house::of_journal(&Journal::open(&config.run.state_dir).ok()?)
            }
            Err(_) => None,
        }
    })
}

/// Runs `body` against the service of the configuration's state directory when one runs, else
/// against a core started here for `need` (its log one-shot, its journal compacted after).
pub(crate) fn with_backend(
    config: &Config,
    need: Need,
    raw: bool,
    body: impl AsyncFnOnce(&Client<'_>) -> Result<Exit, Exit>,
) -> Exit {
    let mut local = false;
    let exit = block_on(async {
        match Remote::find(&config.run.state_dir).await {
            Ok(Some(remote)) => {
                return body(&Client {
                    backend: &remote,
                    resumed: Vec::new(),
                    refused: Vec::new(),
                })
                .await;
            }
            Ok(None) => {}
            Err(error) => return Err(report(Error::Other(error.to_string()))),
        }
        local = true;
        logs::init(&config.run.log_dir, Retention::OneShot);
        let reach = match need {
            Need::Journal => Reach::Journal,
            Need::Pbxs | Need::Resume => Reach::Pbxs,
        };
        // The JSON lines of events are built only for `--format json`.
        let json = crate::cli::execution::output_format() == crate::cli::arguments::Format::Json;
        let session = Local::start(config, reach, raw, json)
            .await
            .map_err(report)?;
        if need == Need::Resume && !session.resumed.is_empty() {
            session.local.resume().await;
        }
        for notice in &session.notices {
            if notice.starts_with("warning:") {
                tracing::warn!("{notice}");
            }
            errln!("{notice}");
        }
        let backend: Arc<Local> = Arc::clone(&session.local);
        let result = body(&Client {
            backend: &*backend,
            resumed: session.resumed.clone(),
            refused: session.refused.clone(),
        })
        .await;
        session.finish("the command ended").await;
        result
    });
    if local {
        compact_journal(config);
    }
    exit
}

/// Runs `body` against the running service; `None` when none runs.
pub(crate) fn with_service(
    config: &Config,
    body: impl AsyncFnOnce(&Client<'_>) -> Result<Exit, Exit>,
) -> Option<Exit> {
    let mut found = false;
    let exit = block_on(async {
        match Remote::find(&config.run.state_dir).await {
            Ok(Some(remote)) => {
                found = true;
                body(&Client {
                    backend: &remote,
                    resumed: Vec::new(),
                    refused: Vec::new(),
                })
                .await
            }
            Ok(None) => Ok(Exit::Done),
            Err(error) => {
                found = true;
                Err(report(Error::Other(error.to_string())))
            }
        }
    });
    found.then_some(exit)
}
