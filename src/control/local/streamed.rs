//! A script file (or standard input) of a command-line client streamed into the journal in
//! batches, so that a script of any length takes constant memory.

use tokio::sync::mpsc;

use super::{Local, unavailable};
use crate::config::{Config, ScriptEncoding};
use crate::control::protocol::{BackendError, Submitted};
use crate::engine::{Engine, Extras, JournalError};
use crate::intake::acceptance;
use crate::intake::script::Script;
use crate::lang::compile::{Event as Compiled, compile};
use crate::lang::validate::{Command, Validator};

impl Local {
    /// Script files (or standard input) streamed into the journal in batches, so that a
    /// script of any length takes constant memory; the last batch carries their content
    /// stamps. A script seen before refuses the whole run before anything is journaled; one
    /// that changed since it was checked takes back what was journaled of the run.
    pub(super) async fn submit_streamed(
        &self,
        scripts: &[Script],
        encoding: ScriptEncoding,
        again: bool,
    ) -> Result<Submitted, BackendError> {
        let mut stamps = Vec::new();
        for script in scripts {
            let name = script.name();
            let hash = match script.bytes() {
                Ok(Some(bytes)) => acceptance::content_hash(&bytes),
                Ok(None) => continue,
                Err(error) => {
                    return Err(BackendError::BadRequest(format!(
                        "cannot read `{name}`: {error}"
                    )));
                }
            };
            if !again
                && let Some(stamp) = acceptance::earlier(
                    self.engine.journal(),
                    &hash,
                    self.config.run.duplicate_window,
                )
                .map_err(unavailable)?
            {
                let earlier = acceptance::describe(&name, &stamp);
                return Err(BackendError::Duplicate {
                    message: format!("{earlier}; nothing was accepted"),
                    earlier,
                });
            }
            stamps.push((hash, name));
        }
        let seqs = enqueue(&self.config, scripts, encoding, &self.engine, stamps).await?;
        let names: Vec<String> = scripts.iter().map(Script::name).collect();
        self.accepted(seqs.len(), &names.join(", "));
        Ok(Submitted {
            seqs,
            ..Submitted::default()
        })
    }
}

/// Journals every command of `scripts`, streamed in batches (see `Local::submit_streamed`).
async fn enqueue(
    config: &Config,
    scripts: &[Script],
    encoding: ScriptEncoding,
    engine: &Engine,
    stamps: Vec<(String, String)>,
) -> Result<Vec<u64>, BackendError> {
    const BATCH: usize = 1000;
    let (sender, mut batches) = mpsc::channel::<Vec<(String, Command)>>(4);
    let producer_config = config.clone();
    let producer_scripts = scripts.to_vec();
    let producer = tokio::task::spawn_blocking(move || -> Result<(), BackendError> {
        let mut validator = Validator::new(&producer_config);
        let mut batch = Vec::with_capacity(BATCH);
        // A command into the batch, which goes to the journal when full.
        let mut add = |origin: String, command: Command| {
            batch.push((origin, command));
            if batch.len() == BATCH {
                let _ = sender.blocking_send(std::mem::take(&mut batch));
            }
        };
        for script in &producer_scripts {
            // Checked whole before the run and held since: journaled as checked.
            if let Some(commands) = script.commands() {
                for command in commands {
                    add(script.origin(command.line), command.clone());
                }
                continue;
            }
            let name = script.name();
            let unreadable = |error: std::io::Error| {
                BackendError::BadRequest(format!("cannot read `{name}`: {error}"))
            };
            let reader = script.reader(encoding).map_err(unreadable)?;
            let summary = compile(&name, reader, &mut validator, &mut |event| {
                if let Compiled::Command(command) = event {
                    add(script.origin(command.line), command);
                }
            })
            .map_err(unreadable)?;
            // Checked before it was run: an error now (shown or only counted) means it changed.
            if summary.errors > 0 {
                return Err(BackendError::Conflict(format!(
                    "`{name}` changed while it was being run; run it again"
                )));
            }
        }
        if !batch.is_empty() {
            let _ = sender.blocking_send(batch);
        }
        Ok(())
    });
    let mut accepted = Vec::new();
    let mut journal_error: Option<JournalError> = None;
    let mut held: Vec<(String, Command)> = Vec::new();
    while let Some(batch) = batches.recv().await {
        let previous = std::mem::replace(&mut held, batch);
        if journal_error.is_some() || previous.is_empty() {
            continue;
        }
        match engine.enqueue(previous).await {
            Ok(seqs) => accepted.extend(seqs),
            Err(error) => journal_error = Some(error),
        }
    }
    let production = producer.await.map_err(|e| {
        BackendError::Internal(format!("the script's reader ended abnormally: {e}"))
    })?;
    if journal_error.is_none() && production.is_ok() {
        let last = Extras {
            scripts: stamps,
            ..Extras::default()
        };
        match engine.journal().append_with(held, last).await {
            Ok(seqs) => accepted.extend(seqs),
            Err(error) => journal_error = Some(error),
        }
    }
    if let Some(error) = journal_error {
        take_back(engine, &accepted).await;
        return Err(unavailable(error));
    }
    if let Err(error) = production {
        take_back(engine, &accepted).await;
        return Err(error);
    }
    Ok(accepted)
}

async fn take_back(engine: &Engine, seqs: &[u64]) {
    for seq in seqs {
        let _ = engine.journal().remove(*seq).await;
    }
}
