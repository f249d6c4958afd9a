//! `hotelcare watch SPOOL/`: the service mode. Executes each complete `*.hc` file that appears in
//! the spool directory (name order), then moves it to `done/` or `failed/` with a report.
//!
//! Restart-safe: a complete file is first claimed (renamed into `work/` under a unique name); its
//! commands are journaled together with a marker naming the claimed file (one transaction). A
//! claimed file whose commands were accepted before a crash is therefore never accepted twice: the
//! next start runs what is pending of it and moves it on.

use std::fmt::Write as _;
use std::path::Path;
use std::time::Duration;

use crate::cli::execution::{self, block_on, connect, open_journal, stdout_printer};
use crate::cli::exit::Exit;
use crate::client::Client;
use crate::compile::{Event, compile};
use crate::config::Config;
use crate::diagnostics::{Count, render};
use crate::engine::{Engine, Status};
use crate::logs::{self, Retention};
use crate::spool::{Spool, Verdict, original_name};
use crate::validate::Validator;

/// Timing of the spool loop.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Timing {
    pub(crate) interval: Duration,
    pub(crate) settle: Duration,
}

pub(crate) fn watch(config: &Config, dir: &Path, timing: Timing, raw: bool) -> Exit {
    logs::init(&config.run.log_dir, Retention::Service);
    let mut spool = match Spool::open(dir, timing.settle) {
        Ok(spool) => spool,
        Err(error) => {
            eprintln!(
                "error: cannot use the spool directory `{}`: {error}",
                dir.display()
            );
            return Exit::Usage;
        }
    };
    block_on(async {
        let journal = open_journal(config)?;
        let target = connect(config).await?;
        let engine = execution::engine(config, &target, journal, raw, stdout_printer());
        eprintln!(
            "watching `{}` for *.hc files (every {} ms; a file counts once it ends with a line break and has not changed for {} ms); Ctrl-C stops",
            dir.display(),
            timing.interval.as_millis(),
            timing.settle.as_millis()
        );
        tracing::info!("watch started on {}", dir.display());
        let stop = tokio::signal::ctrl_c();
        tokio::pin!(stop);
        loop {
            round(config, &engine, &mut spool).await;
            tokio::select! {
                _ = &mut stop => break,
                () = tokio::time::sleep(timing.interval) => {}
            }
        }
        tracing::info!("watch stopped");
        target.close().await;
        Ok(Exit::Done)
    })
}

/// Finishes claimed files (from an interrupted earlier round first), then claims and runs the
/// complete new ones.
async fn round(config: &Config, engine: &Engine<Client>, spool: &mut Spool) {
    let mut work = match spool.claimed() {
        Ok(claimed) => claimed,
        Err(error) => {
            eprintln!(
                "error: cannot list `{}`: {error}",
                spool.dir().join("work").display()
            );
            return;
        }
    };
    match spool.ready() {
        Ok(ready) => {
            for file in ready {
                match spool.claim(&file) {
                    Ok(claimed) => work.push(claimed),
                    Err(error) => eprintln!(
                        "error: cannot move `{}` into work/: {error}",
                        file.display()
                    ),
                }
            }
        }
        Err(error) => eprintln!("error: cannot list `{}`: {error}", spool.dir().display()),
    }
    for claimed in work {
        process(config, engine, spool, &claimed).await;
    }
}

/// Validates, journals and runs one claimed file, then moves it on with its report, unless some
/// of its commands are still queued (the PBX is unreachable): then it waits for the next round.
async fn process(config: &Config, engine: &Engine<Client>, spool: &mut Spool, claimed: &Path) {
    let name = original_name(claimed).unwrap_or_default();
    let marker = format!(
        "spool:{}",
        claimed
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default()
    );
    let journal = engine.journal();
    let seqs = match journal.marked(&marker) {
        Ok(Some(seqs)) => seqs,
        Ok(None) => match accept(config, engine, claimed, &name, &marker).await {
            Ok(seqs) => seqs,
            Err(report) => {
                finish(spool, claimed, Verdict::Failed, &report);
                return;
            }
        },
        Err(error) => {
            eprintln!("error: {error}");
            return;
        }
    };
    if let Err(error) = engine.drain().await {
        eprintln!("error: {error}");
        return;
    }
    let (mut done, mut failed, mut queued) = (0, Vec::new(), 0);
    for seq in &seqs {
        match journal.get(*seq) {
            Ok(None) => done += 1,
            Ok(Some(entry)) if entry.status == Status::Failed => {
                failed.push(format!(
                    "{}: {}",
                    entry.origin,
                    entry.last_error.unwrap_or_default()
                ));
            }
            Ok(Some(_)) | Err(_) => queued += 1,
        }
    }
    if queued > 0 {
        eprintln!(
            "`{name}`: {} queued (the PBX is not reachable); trying again in the next round",
            Count(queued, "command")
        );
        return;
    }
    let mut report = format!(
        "hotelcare watch: {name}\nfinished {}\n{} done, {} failed\n",
        chrono::Local::now().format("%Y-%m-%d %H:%M:%S"),
        Count(done, "command"),
        failed.len()
    );
    for line in &failed {
        writeln!(report, "failed: {line}").expect("writing to a String cannot fail");
    }
    if !failed.is_empty() {
        report.push_str("the failed commands stay in the journal: see `hotelcare queue list`\n");
    }
    let verdict = if failed.is_empty() {
        Verdict::Done
    } else {
        Verdict::Failed
    };
    if finish(spool, claimed, verdict, &report) {
        let _ = journal.unmark(&marker).await;
    }
}

/// Checks the whole file and journals its commands with the marker. `Err(report)` if invalid.
async fn accept(
    config: &Config,
    engine: &Engine<Client>,
    claimed: &Path,
    name: &str,
    marker: &str,
) -> Result<Vec<u64>, String> {
    let text = std::fs::read(claimed).map_err(|error| {
        format!("hotelcare watch: {name}\ncannot be read: {error}\nnothing was run\n")
    })?;
    let mut validator = Validator::new(config);
    let mut commands = Vec::new();
    let mut diagnostics = String::new();
    let mut errors = 0;
    let result = compile(
        name,
        text.as_slice(),
        &mut validator,
        &mut |event| match event {
            Event::Command(command) => commands.push((format!("{name}:{}", command.line), command)),
            Event::Diagnostic { diagnostic, source } => {
                errors += usize::from(diagnostic.is_error());
                diagnostics.push_str(&render(&diagnostic, &source, false));
                diagnostics.push('\n');
            }
        },
    );
    if let Err(error) = result {
        return Err(format!(
            "hotelcare watch: {name}\ncannot be read: {error}\nnothing was run\n"
        ));
    }
    if errors > 0 {
        eprint!("{diagnostics}");
        return Err(format!(
            "hotelcare watch: {name}\n{}; nothing was run\n\n{diagnostics}",
            Count(errors, "error")
        ));
    }
    engine
        .journal()
        .append_marked(commands, Some(marker.to_owned()))
        .await
        .map_err(|error| {
            format!("hotelcare watch: {name}\ncannot journal it: {error}\nnothing was run\n")
        })
}

fn finish(spool: &mut Spool, claimed: &Path, verdict: Verdict, report: &str) -> bool {
    match spool.finish(claimed, verdict, report) {
        Ok(moved) => {
            eprintln!("-> {}", moved.display());
            tracing::info!("{} -> {}", claimed.display(), moved.display());
            true
        }
        Err(error) => {
            eprintln!(
                "error: cannot move `{}` out of work/: {error}",
                claimed.display()
            );
            false
        }
    }
}
