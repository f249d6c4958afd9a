//! `hotelcare run FILE...`, `show EXT` and `test-access`: validate everything, journal it, execute
//! it on the PBX (or the embedded simulator) with the monitor on stdout.

use tokio::sync::mpsc;

use crate::cli::execution::{self, Kind, block_on, connect, open_journal, usage, verdict};
use crate::cli::exit::Exit;
use crate::cli::progress::Progress;
use crate::cli::scripts::{Script, print_diagnostic_lines, read_error, validate_all};
use crate::cli::signals::stop_requested;
use crate::cli::summary::print_summary;
use crate::client::Client;
use crate::compile::{Event, compile};
use crate::config::Config;
use crate::engine::{Engine, Journal, JournalError};
use crate::logs::{self, Retention};
use crate::output::errln;
use crate::validate::{Command, Validator};

/// Validates all scripts, then executes them. `Exit::Invalid` without touching the PBX if any
/// has an error. `Kind::Inline` runs without the journal (nothing to replay) for `show` and
/// `test-access`.
pub(crate) fn run(config: &Config, scripts: &[Script], raw: bool, kind: Kind, color: bool) -> Exit {
    let summary = match validate_all(
        scripts,
        &mut Validator::new(config),
        config.run.script_encoding,
        color,
    ) {
        Ok((summary, records)) => {
            print_diagnostic_lines(&records);
            summary
        }
        Err(exit) => return exit,
    };
    if summary.errors > 0 {
        return print_summary(&summary, "nothing was run");
    }
    logs::init(&config.run.log_dir, Retention::OneShot);
    block_on(execute(config, scripts, raw, kind))
}

async fn execute(config: &Config, scripts: &[Script], raw: bool, kind: Kind) -> Result<Exit, Exit> {
    let journal = match kind {
        Kind::Journaled => open_journal(config)?,
        Kind::Inline => Journal::in_memory().map_err(usage)?,
    };
    let target = connect(config).await?;
    let progress = match kind {
        Kind::Journaled => Progress::for_terminal(),
        Kind::Inline => Progress::none(),
    };
    let observer = progress.clone();
    let engine = execution::observed_engine(
        config,
        &target,
        journal,
        raw,
        progress.printer(),
        move |event| observer.observe(event),
    );
    let result = enqueue_and_drain(config, scripts, &engine, kind, &progress).await;
    target.close().await;
    result.map_err(usage)
}

async fn enqueue_and_drain(
    config: &Config,
    scripts: &[Script],
    engine: &Engine<Client>,
    kind: Kind,
    progress: &Progress,
) -> Result<Exit, String> {
    let earlier = engine
        .journal()
        .count_pending()
        .map_err(|e| e.to_string())?;
    if earlier > 0 {
        errln!(
            "resuming {earlier} command(s) left pending by an earlier run; they run first, in their order"
        );
    }
    let accepted = enqueue(config, scripts, engine).await?;
    tracing::info!("accepted {} command(s)", accepted.len());
    progress.start(earlier + accepted.len());
    let report = engine.drain_until(stop_requested()).await;
    progress.finish();
    Ok(verdict(&report.map_err(|e| e.to_string())?, kind))
}

/// Journals every command of the scripts, streamed in batches. If a script cannot be read again
/// (changed or removed since it was validated), what was journaled of this run is taken back,
/// so that nothing of it runs.
async fn enqueue(
    config: &Config,
    scripts: &[Script],
    engine: &Engine<Client>,
) -> Result<Vec<u64>, String> {
    const BATCH: usize = 1000;
    let (sender, mut batches) = mpsc::channel::<Vec<(String, Command)>>(4);
    let producer_config = config.clone();
    let producer_scripts: Vec<Script> = scripts.to_vec();
    let producer = tokio::task::spawn_blocking(move || -> Result<(), String> {
        let mut validator = Validator::new(&producer_config);
        let mut batch = Vec::with_capacity(BATCH);
        for script in &producer_scripts {
            let name = script.name();
            let reader = script
                .reader(producer_config.run.script_encoding)
                .map_err(|e| read_error(script, &e))?;
            let mut changed = false;
            compile(&name, reader, &mut validator, &mut |event| match event {
                Event::Command(command) => {
                    batch.push((format!("{name}:{}", command.line), command));
                    if batch.len() == BATCH {
                        let _ = sender.blocking_send(std::mem::take(&mut batch));
                    }
                }
                Event::Diagnostic { diagnostic, .. } => changed |= diagnostic.is_error(),
            })
            .map_err(|e| read_error(script, &e))?;
            if changed {
                return Err(format!(
                    "`{name}` changed while it was being run; run it again"
                ));
            }
        }
        if !batch.is_empty() {
            let _ = sender.blocking_send(batch);
        }
        Ok(())
    });
    let mut accepted = Vec::new();
    let mut journal_error: Option<JournalError> = None;
    while let Some(batch) = batches.recv().await {
        if journal_error.is_some() {
            continue;
        }
        match engine.enqueue(batch).await {
            Ok(seqs) => accepted.extend(seqs),
            Err(error) => journal_error = Some(error),
        }
    }
    let production = producer.await.map_err(|e| format!("internal error: {e}"))?;
    if let Some(error) = journal_error {
        take_back(engine, &accepted).await;
        return Err(error.to_string());
    }
    if let Err(message) = production {
        take_back(engine, &accepted).await;
        return Err(message);
    }
    Ok(accepted)
}

async fn take_back(engine: &Engine<Client>, seqs: &[u64]) {
    for seq in seqs {
        let _ = engine.journal().remove(*seq).await;
    }
}
