//! Running a spool: each round finishes the files claimed earlier, then claims and runs the
//! complete new ones, and moves each finished file on with its report.
//!
//! Restart-safe: a complete file is first claimed (renamed into `work/` under a unique name); its
//! commands are journaled together with a marker naming the claimed file (one transaction). A
//! claimed file whose commands were accepted before a crash is therefore never accepted twice: the
//! next start runs what is pending of it and moves it on.

use std::collections::HashMap;
use std::path::Path;
use std::sync::{Arc, Mutex, PoisonError};

use crate::config::Config;
use crate::diagnostics::Count;
use crate::engine::{Journal, Status};
use crate::inputs::spool::report::{
    Accepted, AcceptedCommand, CommandReport, CommandResult, Report,
};
use crate::inputs::spool::{Notice, Spool, original_name};
use crate::intake::acceptance::{self, Checked, Refusal};
use crate::support::shown;

/// Failed attempts per command, as the engine's events report them (a done command leaves the
/// journal, so its attempts are known only from its last event). Shared with the engine's sink.
pub(crate) type Attempts = Arc<Mutex<HashMap<u64, u32>>>;

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
        seqs: &'a [u64],
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
    let mut fresh = false;
    let (seqs, accepted) = match journal.marked(&marker) {
        Ok(Some(found)) => (
            found.seqs,
            serde_json::from_value(found.details).unwrap_or_default(),
        ),
        Ok(None) => match accept(config, journal, claimed, &name, &marker).await {
            Ok(accepted) => {
                execute.accepted(accepted.0.len());
                fresh = true;
                accepted
            }
            Err(NotAccepted::Refused(report)) => {
                finish(spool, claimed, &report, tell);
                return true;
            }
            Err(NotAccepted::Wait(error)) => {
                tell.problem(&format!(
                    "error: `{name}` waits in work/: {error}; it runs once the journal can take it"
                ));
                return false;
            }
        },
        Err(error) => {
            tell.problem(&format!("error: {error}"));
            return false;
        }
    };
    if let Err(error) = execute.execute(&seqs, fresh).await {
        tell.problem(&format!("error: {error}"));
        return false;
    }
    let attempts = attempts
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .clone();
    let mut commands = Vec::with_capacity(seqs.len());
    let mut queued = 0;
    for (index, seq) in seqs.iter().enumerate() {
        let known = accepted.commands.get(index);
        let (line, room, keyword) = known.map_or((0, String::new(), String::new()), |c| {
            (c.line, c.room.clone(), c.keyword.clone())
        });
        let (result, tries, error) = match journal.get(*seq) {
            Ok(None) => (
                CommandResult::Done,
                attempts.get(seq).copied().unwrap_or(0),
                None,
            ),
            Ok(Some(entry)) if entry.status == Status::Failed => {
                (CommandResult::Failed, entry.attempts, entry.last_error)
            }
            Ok(Some(_)) | Err(_) => {
                queued += 1;
                continue;
            }
        };
        commands.push(CommandReport {
            seq: *seq,
            line,
            room,
            command: keyword,
            result,
            attempts: tries,
            error,
            warnings: Report::warnings_of(&accepted, line),
        });
    }
    if queued > 0 {
        tell.problem(&format!(
            "`{name}`: {} queued (the PBX is not reachable); trying again in the next round",
            Count(queued, "command")
        ));
        return false;
    }
    let read = accepted.bytes;
    let mut report = Report::finished(&name, accepted, commands);
    if let Ok(now) = std::fs::metadata(claimed).map(|meta| meta.len())
        && read > 0
        && now > read
    {
        report.notes.push(format!(
            "the file grew by {} bytes after it was taken (a program still wrote to it): what was added was not run; write each file whole, then rename it into the spool (`x.tmp` to `x.hc`), and send what was added as a file of its own",
            now - read
        ));
    }
    if finish(spool, claimed, &report, tell) {
        let _ = journal.unmark(&marker).await;
    }
    true
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

/// Checks the whole file and journals its commands with the marker.
async fn accept(
    config: &Config,
    journal: &Journal,
    claimed: &Path,
    name: &str,
    marker: &str,
) -> Result<(Vec<u64>, Accepted), NotAccepted> {
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
    // What the report needs, without the guest's name, in journal order.
    let summary = |checked: &Checked| Accepted {
        bytes: text.len() as u64,
        diagnostics: checked.diagnostics.clone(),
        rendered: checked.rendered.clone(),
        commands: checked
            .commands
            .iter()
            .map(|(_, c)| AcceptedCommand {
                line: c.line,
                room: c.action.rooms().join("->"),
                keyword: c.action.keyword().to_owned(),
            })
            .collect(),
    };
    let mut kept = None;
    let accepted = acceptance::accept(
        config,
        journal,
        name,
        &text,
        config.run.script_encoding,
        acceptance::Identity::NamedContent,
        again,
        |checked| {
            let accepted = summary(checked);
            let details = serde_json::to_value(&accepted).unwrap_or_default();
            kept = Some(accepted);
            Some((marker.to_owned(), details))
        },
    )
    .await;
    let refusal = match accepted {
        Ok((seqs, _)) => return Ok((seqs, kept.unwrap_or_default())),
        Err(Refusal::Journal(error)) => return Err(NotAccepted::Wait(error)),
        Err(refusal) => refusal,
    };
    Err(NotAccepted::Refused(match refusal {
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
        // Taken above: the file waits.
        Refusal::Journal(error) => Report::rejected(
            name,
            format!("cannot journal it: {error}"),
            Vec::new(),
            String::new(),
        ),
    }))
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
fn finish(spool: &mut Spool, claimed: &Path, report: &Report, tell: &dyn Tell) -> bool {
    match spool.finish(claimed, report) {
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
mod tests {
    use std::sync::Mutex;
    use std::time::Duration;

    use super::*;

    #[derive(Default)]
    struct Recorded {
        lines: Mutex<Vec<String>>,
        executed: Mutex<Vec<u64>>,
        /// Carries the commands out (takes them out of this journal), and meanwhile appends
        /// `grow` to the file being run (a program that still writes to it).
        carry_out: Option<(Journal, std::path::PathBuf, &'static str)>,
    }

    impl Execute for Recorded {
        fn execute<'a>(
            &'a self,
            seqs: &'a [u64],
            _fresh: bool,
        ) -> std::pin::Pin<Box<dyn Future<Output = Result<(), Stopping>> + Send + 'a>> {
            self.executed.lock().unwrap().extend_from_slice(seqs);
            Box::pin(async move {
                if let Some((journal, work, grow)) = &self.carry_out {
                    for file in std::fs::read_dir(work).unwrap() {
                        use std::io::Write as _;
                        let mut file = std::fs::OpenOptions::new()
                            .append(true)
                            .open(file.unwrap().path())
                            .unwrap();
                        file.write_all(grow.as_bytes()).unwrap();
                    }
                    for seq in seqs {
                        journal.remove(*seq).await.unwrap();
                    }
                }
                Ok(())
            })
        }

        fn accepted(&self, _count: usize) {}
    }

    impl Tell for Recorded {
        fn tell(&self, line: &str) {
            self.lines.lock().unwrap().push(line.to_owned());
        }

        fn problem(&self, line: &str) {
            self.lines.lock().unwrap().push(line.to_owned());
        }
    }

    /// A file that arrives while the journal's disk is full is not the file's fault: it waits in
    /// work/ (never failed/), and is accepted once the journal can be written again.
    #[tokio::test]
    async fn a_file_waits_in_the_spool_while_the_journal_cannot_be_written() {
        let disk = crate::tests::disk::Disk::default();
        let journal = disk.journal(Duration::from_secs(600));
        let config = Config::builtin();
        let dir = tempfile::tempdir().unwrap();
        let mut spool = Spool::open(dir.path(), Duration::ZERO, false).unwrap();
        std::fs::write(dir.path().join("a.hc"), "CHECKOUT 1000\n").unwrap();
        let recorded = Recorded::default();
        let attempts = Attempts::default();

        disk.fill(true);
        let waiting = round(
            &config, &journal, &recorded, &attempts, &mut spool, &recorded,
        )
        .await;
        assert_eq!(waiting, 1);
        let lines = recorded.lines.lock().unwrap().join("\n");
        assert!(
            lines.contains("`a.hc` waits in work/") && lines.contains("No space left"),
            "{lines}"
        );
        assert_eq!(
            std::fs::read_dir(dir.path().join("work")).unwrap().count(),
            1,
            "{lines}"
        );
        assert_eq!(
            std::fs::read_dir(dir.path().join("failed"))
                .unwrap()
                .count(),
            0
        );

        disk.fill(false);
        let mut faults = journal.faults();
        tokio::time::timeout(Duration::from_secs(10), faults.wait_for(Option::is_none))
            .await
            .unwrap()
            .unwrap();
        round(
            &config, &journal, &recorded, &attempts, &mut spool, &recorded,
        )
        .await;
        let entries = journal.entries().unwrap();
        assert_eq!(entries.len(), 1, "accepted once there is space");
        assert_eq!(*recorded.executed.lock().unwrap(), [entries[0].seq]);
        assert_eq!(
            std::fs::read_dir(dir.path().join("failed"))
                .unwrap()
                .count(),
            0
        );
    }

    /// A file larger than `[spool] max_bytes` is refused unread (to failed/, with why).
    #[tokio::test]
    async fn a_file_larger_than_the_limit_is_refused_unread() {
        let journal = Journal::in_memory().unwrap();
        let mut config = Config::builtin();
        config.spool_max_bytes = 20;
        let dir = tempfile::tempdir().unwrap();
        let mut spool = Spool::open(dir.path(), Duration::ZERO, false).unwrap();
        std::fs::write(dir.path().join("big.hc"), "CHECKOUT 1000\nCHECKOUT 2000\n").unwrap();
        let recorded = Recorded::default();
        round(
            &config,
            &journal,
            &recorded,
            &Attempts::default(),
            &mut spool,
            &recorded,
        )
        .await;
        let lines = recorded.lines.lock().unwrap().join("\n");
        assert!(
            lines.contains("larger than 20 bytes") && lines.contains("split it"),
            "{lines}"
        );
        assert!(journal.entries().unwrap().is_empty());
        assert_eq!(
            std::fs::read_dir(dir.path().join("failed"))
                .unwrap()
                .count(),
            3,
            "the file and its two reports"
        );
    }

    /// A file that grows after it was taken: what was taken runs, and the report says what was
    /// not; the text report lists every command with its result.
    #[tokio::test]
    async fn a_file_that_grows_after_it_was_taken_is_told_and_every_command_is_listed() {
        let journal = Journal::in_memory().unwrap();
        let config = Config::builtin();
        let dir = tempfile::tempdir().unwrap();
        let mut spool = Spool::open(dir.path(), Duration::ZERO, false).unwrap();
        std::fs::write(dir.path().join("a.hc"), "CHECKOUT 1000\nCHECKOUT 2000\n").unwrap();
        let recorded = Recorded {
            carry_out: Some((journal.clone(), dir.path().join("work"), "CHECKOUT 3000\n")),
            ..Recorded::default()
        };
        let attempts = Attempts::default();
        attempts.lock().unwrap().insert(2, 2);
        round(
            &config, &journal, &recorded, &attempts, &mut spool, &recorded,
        )
        .await;
        let report = std::fs::read_dir(dir.path().join("done"))
            .unwrap()
            .map(|entry| entry.unwrap().path())
            .find(|path| path.to_string_lossy().ends_with(".report.txt"))
            .map_or_else(
                || recorded.lines.lock().unwrap().join("\n"),
                |path| std::fs::read_to_string(path).unwrap(),
            );
        assert!(report.contains("line 1: CHECKOUT 1000: done\n"), "{report}");
        assert!(
            report.contains("line 2: CHECKOUT 2000: done (after 2 failed attempts)"),
            "{report}"
        );
        assert!(
            report.contains("note: the file grew by 14 bytes after it was taken"),
            "{report}"
        );
        assert_eq!(
            *recorded.executed.lock().unwrap(),
            [1, 2],
            "what was taken ran; line 3 did not"
        );
    }
}
