//! Running a spool: each round finishes the files claimed earlier, then claims and runs the
//! complete new ones, and moves each finished file on with its report.
//!
//! Restart-safe: a complete file is first claimed (renamed into `work/` under a unique name) and
//! checked whole; then a marker naming the claimed file is journaled with the file's stamp, and
//! its commands a batch of 1,000 at a time, each batch with the marker's progress. A claimed file
//! is therefore never accepted twice: the next start journals what was not journaled yet, runs
//! what is pending of it and moves it on. Nothing per command is kept in memory (the marker
//! holds runs of numbers, the report is written a command at a time), so a file of a million
//! commands costs about what a small one does.

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::{Arc, Mutex, PoisonError};

use crate::config::Config;
use crate::diagnostics::Count;
use crate::engine::{Extras, Journal, JournalError, Marker, ScriptStamp, Status};
use crate::inputs::spool::report::{
    Accepted, CommandReport, CommandResult, Commands, Report, Tally,
};
use crate::inputs::spool::{Notice, Spool, original_name};
use crate::intake::acceptance::{self, Refusal};
use crate::lang::validate::Command;
use crate::support::shown;

/// Failed attempts of done commands, as the engine's events report them (a done command leaves
/// the journal, so its attempts are known only from its last event). Shared with the engine's
/// sink, which keeps only commands that had any, and only the latest `ATTEMPTS_KEPT`.
pub(crate) type Attempts = Arc<Mutex<BTreeMap<u64, u32>>>;

/// How many done commands' attempts are remembered for the reports (older ones show none).
pub(crate) const ATTEMPTS_KEPT: usize = 100_000;

/// The service stops: why (Ctrl-C, SIGTERM).
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub(crate) struct Stopping(pub(crate) String);

/// How the spool gets its journaled commands carried out (the service's engine).
pub(crate) trait Execute: Sync {
    /// Returns once each of `seqs` has finished (done or failed) or been left queued; `Err`
    /// when the service stops first. `fresh`: they were journaled just now (else they wait
    /// from an earlier round).
    fn execute<'a>(
        &'a self,
        commands: &'a Marker,
        fresh: bool,
    ) -> std::pin::Pin<Box<dyn Future<Output = Result<(), Stopping>> + Send + 'a>>;

    /// A file's `count` commands were journaled.
    fn accepted(&self, count: usize);
}

/// What a round tells the operator: problems and finished files, one line each.
pub(crate) trait Tell: Sync {
    fn tell(&self, line: &str);
    fn problem(&self, line: &str);
}

/// One round over the spool. Returns how many files wait because some of their commands are
/// queued (the PBX is unreachable), so that the caller can wait longer before the next round.
pub(crate) async fn round(
    config: &Config,
    journal: &Journal,
    execute: &dyn Execute,
    attempts: &Attempts,
    spool: &mut Spool,
    tell: &dyn Tell,
) -> usize {
    let mut work = match spool.claimed() {
        Ok(claimed) => claimed,
        Err(error) => {
            tell.problem(&format!(
                "error: cannot list `{}`: {error}",
                spool.dir().join("work").display()
            ));
            return 0;
        }
    };
    match spool.poll() {
        Ok(poll) => {
            for notice in poll.notices {
                tell.problem(&match notice {
                    Notice::NoFinalLineBreak(path) => format!(
                        "warning: `{}` does not end with a line break, so it may still be being written; it runs once it does (or, unchanged, after {} times the settle time): have the PMS end every line, or write `name.tmp` and rename it to `name.hc`",
                        shown::path(&path),
                        super::INCOMPLETE_LINE_PATIENCE
                    ),
                    Notice::TakenAsComplete(path) => format!(
                        "warning: `{}` has not changed for {} times the settle time without a final line break: taken as complete and run",
                        shown::path(&path),
                        super::INCOMPLETE_LINE_PATIENCE
                    ),
                    Notice::SymbolicLink(path) => format!(
                        "warning: `{}` is a symbolic link: not run (hotelcare does not follow links in the spool); drop the file itself",
                        shown::path(&path)
                    ),
                });
            }
            for file in poll.ready {
                match spool.claim(&file) {
                    Ok(claimed) => work.push(claimed),
                    Err(error) => tell.problem(&format!(
                        "error: cannot move `{}` into work/: {error}",
                        shown::path(&file)
                    )),
                }
            }
        }
        Err(error) => tell.problem(&format!(
            "error: cannot list `{}`: {error}",
            spool.dir().display()
        )),
    }
    let mut waiting = 0;
    for claimed in work {
        if !process(config, journal, execute, attempts, spool, &claimed, tell).await {
            waiting += 1;
        }
    }
    waiting
}

/// Commands of a file journaled in one transaction. A file is checked whole first; then its
/// commands are journaled a batch at a time, each batch with the marker's progress, so that a
/// file of a million commands never has them all in memory, and a restart journals the rest.
const BATCH: usize = 1000;

/// Validates, journals and runs one claimed file, then moves it on with its report, unless some
/// of its commands are still queued (the PBX is unreachable): then it waits for the next round.
async fn process(
    config: &Config,
    journal: &Journal,
    execute: &dyn Execute,
    attempts: &Attempts,
    spool: &mut Spool,
    claimed: &Path,
    tell: &dyn Tell,
) -> bool {
    // A file name is data from outside: shown (and used as the commands' origin) escaped.
    let name = shown::escaped(&original_name(claimed).unwrap_or_default());
    let marker = format!(
        "spool:{}",
        claimed
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default()
    );
    let waits = |error: &dyn std::fmt::Display| {
        tell.problem(&format!(
            "error: `{name}` waits in work/: {error}; it runs once the journal can take it"
        ));
        false
    };
    let mut fresh = false;
    let mut found = match journal.marked(&marker) {
        Ok(found) => found,
        Err(error) => return waits(&error),
    };
    if found.is_none() {
        match accept(config, journal, claimed, &name, &marker).await {
            Ok(()) => {}
            Err(NotAccepted::Refused(report)) => {
                finish(spool, claimed, &report, &mut |_| Ok(()), tell);
                return true;
            }
            Err(NotAccepted::Wait(error)) => return waits(&error),
        }
        found = match journal.marked(&marker) {
            Ok(found) => found,
            Err(error) => return waits(&error),
        };
    }
    let Some(mut found) = found else {
        return waits(&"its marker is not in the journal");
    };
    // A marker of an older release has no progress: all of it was journaled at once.
    let mut accepted: Accepted = serde_json::from_value(found.details.clone()).unwrap_or_default();
    if accepted.taken < accepted.total {
        match journal_rest(config, journal, claimed, &name, &marker, &mut accepted).await {
            Ok(count) => execute.accepted(count),
            Err(error) => return waits(&error),
        }
        fresh = true;
        found = match journal.marked(&marker) {
            Ok(Some(found)) => found,
            Ok(None) => return waits(&"its marker is not in the journal"),
            Err(error) => return waits(&error),
        };
    }
    if let Err(error) = execute.execute(&found, fresh).await {
        tell.problem(&format!("error: {error}"));
        return false;
    }
    let mut tally = Tally::default();
    let mut queued = 0;
    for seq in found.seqs() {
        match journal.get(seq) {
            Ok(None) => tally.add(CommandResult::Done, 0, None),
            Ok(Some(entry)) if entry.status == Status::Failed => {
                let line = line_of(&entry.origin);
                tally.add(CommandResult::Failed, line, entry.last_error.as_deref());
            }
            Ok(Some(_)) | Err(_) => queued += 1,
        }
    }
    if queued > 0 {
        tell.problem(&format!(
            "`{name}`: {} queued (the PBX is not reachable); trying again in the next round",
            Count(queued, "command")
        ));
        return false;
    }
    let (read, checked_at) = (accepted.bytes, accepted.checked_at);
    let warnings = Report::warnings_by_line(&accepted);
    let mut report = Report::finished(&name, accepted, tally);
    if let Ok(now) = std::fs::metadata(claimed).map(|meta| meta.len())
        && read > 0
        && now > read
    {
        report.notes.push(format!(
            "the file grew by {} bytes after it was taken (a program still wrote to it): what was added was not run; write each file whole, then rename it into the spool (`x.tmp` to `x.hc`), and send what was added as a file of its own",
            now - read
        ));
    }
    // Each command with its line, room and keyword: a done one has left the journal, so they
    // are read from the file again, in the order they were journaled.
    let bytes = read_first(claimed, read).unwrap_or_default();
    let mut commands = |each: &mut dyn FnMut(&CommandReport) -> std::io::Result<()>| {
        let mut seqs = found.seqs();
        let attempts = attempts.lock().unwrap_or_else(PoisonError::into_inner);
        let result = |seq| match journal.get(seq) {
            Ok(Some(entry)) => (CommandResult::Failed, entry.attempts, entry.last_error),
            _ => (
                CommandResult::Done,
                attempts.get(&seq).copied().unwrap_or(0),
                None,
            ),
        };
        let mut written = Ok(());
        // The file was accepted, so it reads; if it has gone, its commands are listed below.
        let _ = commands_of(config, &name, &bytes, checked_at, |_, command| {
            let Some(seq) = seqs.next() else { return };
            if written.is_ok() {
                let (result, attempts, error) = result(seq);
                written = each(&CommandReport {
                    seq,
                    line: command.line,
                    room: command.action.rooms().join("->"),
                    command: command.action.keyword().to_owned(),
                    result,
                    attempts,
                    error,
                    warnings: warnings.get(&command.line).cloned().unwrap_or_default(),
                });
            }
        });
        // Commands the file no longer shows (it changed in work/): by number alone.
        for seq in seqs {
            written?;
            let (result, attempts, error) = result(seq);
            written = each(&CommandReport {
                seq,
                line: 0,
                room: String::new(),
                command: String::new(),
                result,
                attempts,
                error,
                warnings: Vec::new(),
            });
        }
        written
    };
    if finish(spool, claimed, &report, &mut commands, tell) {
        let _ = journal.unmark(&marker).await;
    }
    true
}

/// The line of an origin `name:line`.
fn line_of(origin: &str) -> usize {
    origin
        .rsplit_once(':')
        .and_then(|(_, line)| line.parse().ok())
        .unwrap_or(0)
}

/// Gives each command of a file that was accepted (so it has no error) to `each`, in order.
/// Checked without the house: for a file without errors that gives the same commands, and a
/// restart that journals the rest of a file finds the house changed by its first part.
/// Checked as of `at`, the time of its first check.
fn commands_of(
    config: &Config,
    name: &str,
    bytes: &[u8],
    at: Option<chrono::NaiveDateTime>,
    each: impl FnMut(String, Command),
) -> Result<(), Refusal> {
    acceptance::check_each(
        config,
        name,
        bytes,
        config.run.script_encoding,
        None,
        at,
        each,
    )
    .map(|_| ())
}

/// Why a file was not accepted.
enum NotAccepted {
    /// Refused for good (unreadable, not in the configured encoding, with an error, seen
    /// before): nothing of it runs; it goes to failed/ with this report.
    Refused(Report),
    /// The journal cannot take it now (its disk is full): a fault of ours, not the file's; it
    /// waits in work/ for the next round.
    Wait(crate::engine::JournalError),
}

/// Checks the whole file and journals its marker (what the report needs, and how many commands
/// it has) with the file's stamp; `journal_rest` journals the commands.
async fn accept(
    config: &Config,
    journal: &Journal,
    claimed: &Path,
    name: &str,
    marker: &str,
) -> Result<(), NotAccepted> {
    let text = read_at_most(claimed, config.spool_max_bytes).map_err(|error| {
        NotAccepted::Refused(Report::rejected(
            name,
            format!("cannot be read: {error}"),
            Vec::new(),
            String::new(),
        ))
    })?;
    let Some(text) = text else {
        return Err(NotAccepted::Refused(Report::rejected(
            name,
            format!(
                "it is larger than {} bytes, the most a spool file may have (`[spool] max_bytes`); split it into smaller files",
                config.spool_max_bytes
            ),
            Vec::new(),
            String::new(),
        )));
    };
    let again = name.to_ascii_lowercase().ends_with(".again.hc");
    let stamp = acceptance::Identity::NamedContent.hash(name, &text);
    let duplicate = |earlier: &ScriptStamp| {
        NotAccepted::Refused(refused(
            name,
            Refusal::Duplicate(acceptance::describe(name, earlier)),
        ))
    };
    if !again
        && let Some(earlier) = acceptance::earlier(journal, &stamp, config.run.duplicate_window)
            .map_err(NotAccepted::Wait)?
    {
        return Err(duplicate(&earlier));
    }
    let mut total = 0;
    let checked_at = chrono::Local::now().naive_local();
    let checked = acceptance::check_each(
        config,
        name,
        &text,
        config.run.script_encoding,
        crate::intake::house::of_journal(journal),
        Some(checked_at),
        |_, _| total += 1,
    )
    .map_err(|refusal| NotAccepted::Refused(refused(name, refusal)))?;
    let accepted = Accepted {
        diagnostics: checked.diagnostics,
        rendered: checked.rendered,
        bytes: text.len() as u64,
        total,
        taken: 0,
        hash: acceptance::content_hash(&text),
        notes: Vec::new(),
        checked_at: Some(checked_at),
    };
    let extras = Extras {
        scripts: vec![(stamp, name.to_owned())],
        // Checked again where it is written: the same content delivered twice at once.
        refuse_seen_within: (!again)
            .then_some(config.run.duplicate_window)
            .flatten()
            .map(|window| window.as_secs()),
        ..progress(marker, &accepted)
    };
    match journal.append_with(Vec::new(), extras).await {
        Ok(_) => Ok(()),
        Err(JournalError::Duplicate(earlier)) => Err(duplicate(&earlier)),
        Err(error) => Err(NotAccepted::Wait(error)),
    }
}

/// The report of a file refused as a whole.
fn refused(name: &str, refusal: Refusal) -> Report {
    match refusal {
        Refusal::Unreadable(error) => Report::rejected(
            name,
            format!("cannot be read: {error}"),
            Vec::new(),
            String::new(),
        ),
        Refusal::Invalid(checked) => {
            let first = checked
                .diagnostics
                .iter()
                .find(|d| d.is_error())
                .map(|d| format!(" (the first at line {}: {})", d.line, d.message))
                .unwrap_or_default();
            Report::rejected(
                name,
                format!("{}{first}", Count(checked.errors(), "error")),
                checked.diagnostics,
                checked.rendered,
            )
        }
        Refusal::Duplicate(earlier) => Report::rejected(
            name,
            format!(
                "{earlier}; if it really is to run again, drop it into the spool as `{}`",
                again_name(name)
            ),
            Vec::new(),
            String::new(),
        ),
        Refusal::Journal(error) => Report::rejected(
            name,
            format!("cannot journal it: {error}"),
            Vec::new(),
            String::new(),
        ),
    }
}

/// Why the rest of a file could not be journaled now: it waits in work/ for the next round.
#[derive(Debug, thiserror::Error)]
enum NotYet {
    #[error("{0}")]
    Journal(#[from] JournalError),
    #[error("cannot read it again: {0}")]
    Read(#[from] std::io::Error),
}

/// Journals the commands of an accepted file from the first one not journaled yet, a batch per
/// transaction, each with the marker's progress; how many it journaled.
async fn journal_rest(
    config: &Config,
    journal: &Journal,
    claimed: &Path,
    name: &str,
    marker: &str,
    accepted: &mut Accepted,
) -> Result<usize, NotYet> {
    let bytes = read_first(claimed, accepted.bytes)?;
    let (sender, mut batches) = tokio::sync::mpsc::channel::<Vec<(String, Command)>>(2);
    let same = acceptance::content_hash(&bytes) == accepted.hash;
    let (producer_config, producer_name) = (config.clone(), name.to_owned());
    let (skip, at) = (accepted.taken, accepted.checked_at);
    // How many commands the file gives now, or why it gives none.
    let producer = tokio::task::spawn_blocking(move || {
        if !same {
            return None;
        }
        let mut batch = Vec::with_capacity(BATCH);
        let mut seen = 0;
        let read = commands_of(
            &producer_config,
            &producer_name,
            &bytes,
            at,
            |origin, command| {
                seen += 1;
                if seen <= skip {
                    return;
                }
                batch.push((origin, command));
                if batch.len() == BATCH {
                    let _ = sender.blocking_send(std::mem::take(&mut batch));
                }
            },
        );
        if !batch.is_empty() {
            let _ = sender.blocking_send(batch);
        }
        read.ok().map(|()| seen)
    });
    let mut journaled = 0;
    let mut failed = None;
    while let Some(batch) = batches.recv().await {
        if failed.is_some() {
            continue;
        }
        let count = batch.len();
        let mut after = accepted.clone();
        after.taken += count;
        match journal.append_with(batch, progress(marker, &after)).await {
            Ok(_) => {
                accepted.taken = after.taken;
                journaled += count;
            }
            Err(error) => failed = Some(error),
        }
    }
    if let Some(error) = failed {
        return Err(error.into());
    }
    let given = producer.await.ok().flatten();
    if given != Some(accepted.total) {
        // The bytes changed in work/ since they were checked, or the configuration changed
        // across a restart so that they no longer check: what was journaled runs, the rest
        // cannot, and the report says so.
        accepted.notes.push(format!(
            "the file no longer gives the commands it was checked with (it changed in work/, or the configuration changed) while they were being journaled: {} of its {} commands were journaled and run, the others were not; check it and send those as a file of their own",
            accepted.taken, accepted.total
        ));
        accepted.total = accepted.taken;
        journal
            .append_with(Vec::new(), progress(marker, accepted))
            .await?;
    }
    Ok(journaled)
}

/// What goes with a batch of a file's commands: the marker with the file's progress.
fn progress(marker: &str, accepted: &Accepted) -> Extras {
    Extras {
        marker: Some((
            marker.to_owned(),
            serde_json::to_value(accepted).unwrap_or_default(),
        )),
        ..Extras::default()
    }
}

/// The first `count` bytes of the file (all of it if it has fewer).
fn read_first(path: &Path, count: u64) -> std::io::Result<Vec<u8>> {
    use std::io::Read as _;
    let mut bytes = Vec::new();
    std::fs::File::open(path)?
        .take(count)
        .read_to_end(&mut bytes)?;
    Ok(bytes)
}

/// The file's bytes, or `None` if it has more than `max` (only `max + 1` are read).
fn read_at_most(path: &Path, max: u64) -> std::io::Result<Option<Vec<u8>>> {
    use std::io::Read as _;
    let mut bytes = Vec::new();
    std::fs::File::open(path)?
        .take(max.saturating_add(1))
        .read_to_end(&mut bytes)?;
    Ok((bytes.len() as u64 <= max).then_some(bytes))
}

/// `x.hc` -> `x.again.hc`: the name that tells the spool to run a file it has seen before.
fn again_name(name: &str) -> String {
    let stem = name
        .strip_suffix(".hc")
        .or_else(|| name.strip_suffix(".HC"))
        .unwrap_or(name);
    format!("{stem}.again.hc")
}

/// Moves the file on with its report; tells where it went and why. `true` when it was moved.
fn finish(
    spool: &mut Spool,
    claimed: &Path,
    report: &Report,
    commands: &mut Commands<'_>,
    tell: &dyn Tell,
) -> bool {
    match spool.finish(claimed, report, commands) {
        Ok(moved) => {
            let line = format!("{} -> {}", report.summary(), shown::path(&moved));
            if report.verdict == super::Verdict::Done && report.diagnostics.is_empty() {
                tell.tell(&line);
            } else {
                tell.problem(&line);
            }
            true
        }
        Err(error) => {
            tell.problem(&format!(
                "error: cannot move `{}` out of work/: {error}",
                shown::path(claimed)
            ));
            false
        }
    }
}

#[cfg(test)]
mod tests;
