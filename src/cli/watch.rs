//! `hotelcare watch SPOOL/`: the service mode. Executes each complete `*.hc` file that appears in
//! the spool directory (name order), then moves it to `done/` or `failed/` with a report.
//!
//! Restart-safe: a file's commands are journaled together with a marker naming the file and its
//! content (one transaction), so a file whose commands were accepted before a crash is not
//! accepted twice; it is finished (its pending commands run) and moved on the next start.

use std::fmt::Write as _;
use std::path::Path;
use std::time::Duration;

use sha2::{Digest, Sha256};

use crate::cli::execution::{self, runtime, stdout_printer};
use crate::cli::exit::Exit;
use crate::cli::target::Target;
use crate::client::Client;
use crate::compile::{Event, compile};
use crate::config::Config;
use crate::diagnostics::{Count, render};
use crate::engine::{Engine, Status};
use crate::logs::{self, Retention};
use crate::spool::{Spool, Verdict};
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
    let runtime = match runtime() {
        Ok(runtime) => runtime,
        Err(message) => {
            eprintln!("error: {message}");
            return Exit::Usage;
        }
    };
    runtime.block_on(async {
        let target = match Target::connect(config).await {
            Ok(target) => target,
            Err(message) => {
                eprintln!("error: {message}");
                return Exit::Usage;
            }
        };
        let journal = match crate::engine::Journal::open(&config.run.state_dir) {
            Ok(journal) => journal,
            Err(error) => {
                eprintln!("error: {error}");
                target.close().await;
                return Exit::Usage;
            }
        };
        let engine = execution::engine(config, &target, journal, raw, stdout_printer());
        eprintln!(
            "watching `{}` for *.hc files (every {} ms, settled after {} ms); Ctrl-C stops",
            dir.display(),
            timing.interval.as_millis(),
            timing.settle.as_millis()
        );
        tracing::info!("watch started on {}", dir.display());
        let stop = tokio::signal::ctrl_c();
        tokio::pin!(stop);
        loop {
            match spool.ready() {
                Ok(files) => {
                    for file in files {
                        process(config, &engine, &mut spool, &file).await;
                    }
                }
                Err(error) => eprintln!("error: cannot list `{}`: {error}", dir.display()),
            }
            tokio::select! {
                _ = &mut stop => break,
                () = tokio::time::sleep(timing.interval) => {}
            }
        }
        tracing::info!("watch stopped");
        target.close().await;
        Exit::Done
    })
}

/// Validates, journals and runs one file, then moves it with its report, unless some of its
/// commands are still queued (the PBX is unreachable): then it stays for the next round.
async fn process(config: &Config, engine: &Engine<Client>, spool: &mut Spool, file: &Path) {
    let name = file
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let text = match std::fs::read(file) {
        Ok(bytes) => bytes,
        Err(error) => {
            eprintln!("error: cannot read `{}`: {error}", file.display());
            return;
        }
    };
    let marker = format!("spool:{name}:{}", hex(&Sha256::digest(&text)));
    let journal = engine.journal();
    let seqs = match journal.marked(&marker) {
        Ok(Some(seqs)) => seqs,
        Ok(None) => match accept(config, engine, &name, &text, &marker).await {
            Ok(seqs) => seqs,
            Err(report) => {
                finish(spool, file, Verdict::Failed, &report);
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
            Ok(Some(entry)) if entry.status == Status::Failed => failed.push(format!(
                "{}: {}",
                entry.origin,
                entry.last_error.unwrap_or_default()
            )),
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
        writeln!(report, "failed: {line}").expect("String");
    }
    let verdict = if failed.is_empty() {
        Verdict::Done
    } else {
        Verdict::Failed
    };
    if finish(spool, file, verdict, &report) {
        // Only once the file is out of the spool: a crash in between must not let it be taken twice.
        let _ = journal.unmark(&marker).await;
    }
}

/// Checks the whole file and journals its commands with the marker. `Err(report)` if invalid.
async fn accept(
    config: &Config,
    engine: &Engine<Client>,
    name: &str,
    text: &[u8],
    marker: &str,
) -> Result<Vec<u64>, String> {
    let mut validator = Validator::new(config);
    let mut commands = Vec::new();
    let mut diagnostics = String::new();
    let mut errors = 0;
    let result = compile(name, text, &mut validator, &mut |event| match event {
        Event::Command(command) => commands.push((format!("{name}:{}", command.line), command)),
        Event::Diagnostic { diagnostic, source } => {
            errors += usize::from(diagnostic.is_error());
            diagnostics.push_str(&render(&diagnostic, &source, false));
            diagnostics.push('\n');
        }
    });
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

fn finish(spool: &mut Spool, file: &Path, verdict: Verdict, report: &str) -> bool {
    match spool.finish(file, verdict, report) {
        Ok(moved) => {
            eprintln!("`{}` -> {}", file.display(), moved.display());
            tracing::info!("{} -> {}", file.display(), moved.display());
            true
        }
        Err(error) => {
            eprintln!(
                "error: cannot move `{}` out of the spool: {error}",
                file.display()
            );
            false
        }
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().fold(String::new(), |mut out, b| {
        let _ = write!(out, "{b:02x}");
        out
    })
}
