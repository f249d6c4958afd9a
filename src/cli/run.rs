//! `hotelcare run FILE...`, `show EXT` and `test-access`: validate everything, journal it, execute
//! it on the PBX (or the embedded simulator) with the monitor on stdout.

use tokio::sync::mpsc;

use crate::cli::execution::{self, Kind, block_on, connect, open_journal, recheck, usage, verdict};
use crate::cli::exit::Exit;
use crate::cli::progress::Progress;
use crate::cli::scripts::{Script, read_error, validated};
use crate::cli::signals::stop_requested;
use crate::config::Config;
use crate::engine::Engine;
use crate::engine::{Extras, Journal, JournalError};
use crate::intake::acceptance;
use crate::lang::compile::{Event, compile};
use crate::lang::validate::{Command, Validator};
use crate::support::logs::{self, Retention};
use crate::support::output::errln;

/// Validates all scripts, then executes them. `Exit::Invalid` without touching the PBX if any
/// has an error. `Kind::Inline` runs without the journal (nothing to replay) for `show` and
/// `test-access`.
/// `again`: run scripts seen before too (see `acceptance`).
pub(crate) fn run(
    config: &Config,
    scripts: &[Script],
    raw: bool,
    kind: Kind,
    again: bool,
    color: bool,
) -> Exit {
    if let Err(exit) = validated(scripts, config, color, "nothing was run") {
        return exit;
    }
    if kind == Kind::Journaled
        && let Some(exit) = crate::cli::remote::with_service(config, async |remote| {
            crate::cli::remote::run(remote, config, scripts, raw, again).await
        })
    {
        return exit;
    }
    logs::init(&config.run.log_dir, Retention::OneShot);
    let exit = block_on(execute(config, scripts, raw, kind, again));
    if kind == Kind::Journaled {
        execution::compact_journal(config);
    }
    exit
}

async fn execute(
    config: &Config,
    scripts: &[Script],
    raw: bool,
    kind: Kind,
    again: bool,
) -> Result<Exit, Exit> {
    let journal = match kind {
        Kind::Journaled => open_journal(config)?,
        Kind::Inline => Journal::in_memory().map_err(usage)?,
    };
    // `show` on a wire that cannot read the PBX answers from the expected room state.
    let rooms = match kind {
        Kind::Inline => Journal::open(&config.run.state_dir).ok(),
        Kind::Journaled => None,
    };
    // A script delivered again is refused before anything starts (the embedded simulator too).
    let stamps = match stamps(config, scripts, &journal, again) {
        Ok(stamps) => stamps,
        Err(refusal) => {
            errln!("{refusal}");
            return Ok(Exit::Invalid);
        }
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
    let engine = match rooms {
        Some(rooms) => engine.reading_rooms_from(rooms),
        None => engine,
    };
    let result = enqueue_and_drain(config, scripts, &engine, kind, stamps, &progress).await;
    target.close().await;
    result.map_err(usage)
}

async fn enqueue_and_drain(
    config: &Config,
    scripts: &[Script],
    engine: &Engine,
    kind: Kind,
    stamps: Vec<(String, String)>,
    progress: &Progress,
) -> Result<Exit, String> {
    let earlier = engine
        .journal()
        .count_pending()
        .map_err(|e| e.to_string())?;
    let mut refused = Vec::new();
    if earlier > 0 {
        errln!(
            "resuming {earlier} command(s) left pending by an earlier run; they run first, in their order"
        );
        refused = recheck(engine, config)
            .await
            .map_err(|_| "cannot check the journal's commands again".to_owned())?;
    }
    let accepted = enqueue(config, scripts, engine, stamps).await?;
    tracing::info!("accepted {} command(s)", accepted.len());
    progress.start(earlier + accepted.len());
    let report = engine.drain_until(stop_requested()).await;
    progress.finish();
    let mut report = report.map_err(|e| e.to_string())?;
    report.failed.extend(refused);
    Ok(verdict(&report, kind))
}

/// Journals every command of the scripts, streamed in batches; the last batch carries the
/// scripts' content stamps (`stamps`), so a script of up to a batch is accepted, stamp and all,
/// in one transaction. If a script cannot be read again (changed or removed since it was
/// validated), what was journaled of this run is taken back, so that nothing of it runs.
async fn enqueue(
    config: &Config,
    scripts: &[Script],
    engine: &Engine,
    stamps: Vec<(String, String)>,
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
                .map_err(|e| read_error(script, e).to_string())?;
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
            .map_err(|e| read_error(script, e).to_string())?;
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
    let production = producer.await.map_err(|e| format!("internal error: {e}"))?;
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
        return Err(error.to_string());
    }
    if let Err(message) = production {
        take_back(engine, &accepted).await;
        return Err(message);
    }
    Ok(accepted)
}

/// The content stamps of the run's scripts, or the refusal of one seen before (`again` skips
/// the check). `show` and `test-access` are not stamped.
fn stamps(
    config: &Config,
    scripts: &[Script],
    journal: &Journal,
    again: bool,
) -> Result<Vec<(String, String)>, String> {
    let mut stamps = Vec::new();
    for script in scripts {
        let Some(bytes) = script
            .bytes()
            .map_err(|e| read_error(script, e).to_string())?
        else {
            continue;
        };
        let hash = acceptance::content_hash(&bytes);
        if !again
            && let Some(stamp) = acceptance::earlier(journal, &hash, config.run.duplicate_window)
                .map_err(|e| e.to_string())?
        {
            return Err(format!(
                "error: {}; nothing was run. If it really is to run again, give `--again`; if some of it is still queued, `hotelcare queue retry` finishes it",
                acceptance::describe(&script.name(), &stamp)
            ));
        }
        stamps.push((hash, script.name()));
    }
    Ok(stamps)
}

async fn take_back(engine: &Engine, seqs: &[u64]) {
    for seq in seqs {
        let _ = engine.journal().remove(*seq).await;
    }
}
