//! The report written beside a finished spool file: `<name>.report.txt` for people and
//! `<name>.report.json` for the PMS (field names documented in `docs/json.md`). Every
//! diagnostic of the file is in both, warnings included (a name cut to the PBX's field).

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::io::{self, Write};

use serde::{Deserialize, Serialize};

use crate::diagnostics::{Count, DiagnosticRecord};
use crate::inputs::spool::Verdict;

/// What is remembered of a file from its acceptance until its report is written (kept with the
/// journal's marker, so that a restart in between still writes a complete report). Nothing per
/// command: a file may have a million; the report reads them from the journal and the file.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct Accepted {
    /// The file's warnings (a file with an error is never accepted), the first
    /// `acceptance::KEPT_DIAGNOSTICS` of them.
    pub(crate) diagnostics: Vec<DiagnosticRecord>,
    /// The same, rendered with carets, for the text report.
    pub(crate) rendered: String,
    /// How many bytes of the file were read and accepted (a file that grows after is told).
    #[serde(default)]
    pub(crate) bytes: u64,
    /// The file's commands, and how many of them are journaled: fewer while a file is being
    /// journaled in batches (a restart journals the rest).
    #[serde(default)]
    pub(crate) total: usize,
    #[serde(default)]
    pub(crate) taken: usize,
    /// The SHA-256 of the bytes accepted: the rest is journaled only from the same bytes.
    #[serde(default)]
    pub(crate) hash: String,
    /// What the report must say besides (the file changed before all of it was journaled).
    #[serde(default)]
    pub(crate) notes: Vec<String>,
    /// When it was checked: it is read again as of then (to journal it, for the report), so
    /// that a wake-up whose time passes meanwhile gives the same command.
    #[serde(default)]
    pub(crate) checked_at: Option<chrono::NaiveDateTime>,
}

/// How one command of the file ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub(crate) enum CommandResult {
    Done,
    Failed,
}

/// One command in the report. The guest's name is left out on purpose: the report sits in a
/// shared folder, and the line number finds the command in the PMS's own file.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub(crate) struct CommandReport {
    /// Its number in the journal (`queue list` shows it).
    pub(crate) seq: u64,
    /// Its line in the file.
    pub(crate) line: usize,
    /// Its room (`1000->2000` for a move).
    pub(crate) room: String,
    /// Its keyword (`CHECKIN`).
    pub(crate) command: String,
    pub(crate) result: CommandResult,
    /// Failed attempts (timeouts, a busy PBX) before it ended.
    pub(crate) attempts: u32,
    pub(crate) error: Option<String>,
    /// The warnings of its line.
    pub(crate) warnings: Vec<String>,
}

/// How the commands of a finished file ended, counted before the report is written.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct Tally {
    pub(crate) done: usize,
    pub(crate) failed: usize,
    /// The first failed commands' lines and errors, for the summary line.
    pub(crate) errors: Vec<(usize, String)>,
}

impl Tally {
    /// How many errors the summary line quotes.
    const QUOTED: usize = 10;

    pub(crate) fn add(&mut self, result: CommandResult, line: usize, error: Option<&str>) {
        match result {
            CommandResult::Done => self.done += 1,
            CommandResult::Failed => self.failed += 1,
        }
        if let Some(error) = error
            && self.errors.len() < Self::QUOTED
        {
            self.errors.push((line, error.to_owned()));
        }
    }
}

/// Gives the commands of a finished file one at a time, in file order (a file may have a
/// million).
pub(crate) type Commands<'a> =
    dyn FnMut(&mut dyn FnMut(&CommandReport) -> io::Result<()>) -> io::Result<()> + 'a;

/// The report of one file.
#[derive(Clone, Debug)]
pub(crate) struct Report {
    pub(crate) file: String,
    /// Local time, `YYYY-MM-DD HH:MM:SS`.
    pub(crate) finished: String,
    pub(crate) verdict: Verdict,
    /// Why nothing of the file was run, when it was refused as a whole.
    pub(crate) rejected: Option<String>,
    pub(crate) tally: Tally,
    pub(crate) diagnostics: Vec<DiagnosticRecord>,
    /// What else the reader should know (the file grew after it was taken).
    pub(crate) notes: Vec<String>,
    pub(crate) rendered: String,
}

impl Report {
    fn now() -> String {
        chrono::Local::now().format("%Y-%m-%d %H:%M:%S").to_string()
    }

    /// A file refused as a whole: nothing of it was run.
    pub(crate) fn rejected(
        file: &str,
        reason: String,
        diagnostics: Vec<DiagnosticRecord>,
        rendered: String,
    ) -> Self {
        Self {
            file: file.to_owned(),
            finished: Self::now(),
            verdict: Verdict::Failed,
            rejected: Some(reason),
            tally: Tally::default(),
            diagnostics,
            notes: Vec::new(),
            rendered,
        }
    }

    /// A file whose commands all ended (done or failed) as `tally` counts them.
    pub(crate) fn finished(file: &str, accepted: Accepted, tally: Tally) -> Self {
        let verdict = if tally.failed == 0 {
            Verdict::Done
        } else {
            Verdict::Failed
        };
        Self {
            file: file.to_owned(),
            finished: Self::now(),
            verdict,
            rejected: None,
            tally,
            diagnostics: accepted.diagnostics,
            notes: accepted.notes,
            rendered: accepted.rendered,
        }
    }

    /// The warnings of the file by line, for its commands.
    pub(crate) fn warnings_by_line(accepted: &Accepted) -> BTreeMap<usize, Vec<String>> {
        let mut by_line: BTreeMap<usize, Vec<String>> = BTreeMap::new();
        for diagnostic in &accepted.diagnostics {
            by_line
                .entry(diagnostic.line)
                .or_default()
                .push(diagnostic.message.clone());
        }
        by_line
    }

    /// One line for the log and stderr: the file, where it went, and why.
    pub(crate) fn summary(&self) -> String {
        if let Some(reason) = &self.rejected {
            return format!("{}: refused, nothing was run: {reason}", self.file);
        }
        let mut line = format!(
            "{}: {} done, {} failed",
            self.file,
            Count(self.tally.done, "command"),
            self.tally.failed
        );
        for (at, error) in &self.tally.errors {
            write!(line, "; line {at}: {error}").expect("String");
        }
        let quoted = self.tally.errors.len();
        if self.tally.failed > quoted {
            write!(
                line,
                "; {} more failed (the report lists them)",
                self.tally.failed - quoted
            )
            .expect("String");
        }
        let warnings = self.diagnostics.len();
        if warnings > 0 {
            write!(line, " ({})", Count(warnings, "warning")).expect("String");
        }
        for note in &self.notes {
            write!(line, "; {note}").expect("String");
        }
        line
    }

    /// Writes `<name>.report.txt` to `text` and `<name>.report.json` to `json`, the commands
    /// as `commands` gives them.
    pub(crate) fn write(
        &self,
        text: &mut dyn Write,
        json: &mut dyn Write,
        commands: &mut Commands<'_>,
    ) -> io::Result<()> {
        self.text_head(text)?;
        let rejected = serde_json::to_string(&self.rejected)?;
        write!(
            json,
            "{{\n  \"file\": {},\n  \"finished\": {},\n  \"verdict\": {},\n  \"rejected\": {rejected},\n  \"commands\": [",
            serde_json::to_string(&self.file)?,
            serde_json::to_string(&self.finished)?,
            serde_json::to_string(&self.verdict)?,
        )?;
        let mut first = true;
        if self.rejected.is_none() {
            commands(&mut |command| {
                Self::text_line(text, command)?;
                let separator = if first { "" } else { "," };
                first = false;
                write!(json, "{separator}\n    {}", serde_json::to_string(command)?)
            })?;
        }
        self.text_tail(text)?;
        let closing = if first { "" } else { "\n  " };
        write!(
            json,
            "{closing}],\n  \"diagnostics\": {}",
            serde_json::to_string(&self.diagnostics)?
        )?;
        if !self.notes.is_empty() {
            write!(
                json,
                ",\n  \"notes\": {}",
                serde_json::to_string(&self.notes)?
            )?;
        }
        writeln!(json, "\n}}")
    }

    fn text_head(&self, out: &mut dyn Write) -> io::Result<()> {
        writeln!(
            out,
            "hotelcare watch: {}\nfinished {}",
            self.file, self.finished
        )?;
        match &self.rejected {
            Some(reason) => writeln!(out, "{reason}; nothing was run"),
            None => writeln!(
                out,
                "{} done, {} failed",
                Count(self.tally.done, "command"),
                self.tally.failed
            ),
        }
    }

    /// Every command, as it ended.
    fn text_line(out: &mut dyn Write, command: &CommandReport) -> io::Result<()> {
        let result = match command.result {
            CommandResult::Done => "done",
            CommandResult::Failed => "FAILED",
        };
        write!(
            out,
            "line {}: {} {}: {result}",
            command.line, command.command, command.room
        )?;
        if command.attempts > 0 {
            write!(
                out,
                " (after {})",
                Count(command.attempts as usize, "failed attempt")
            )?;
        }
        if let Some(error) = &command.error {
            write!(out, ": {error}")?;
        }
        writeln!(out)
    }

    fn text_tail(&self, out: &mut dyn Write) -> io::Result<()> {
        if self.rejected.is_none() && self.tally.failed > 0 {
            writeln!(
                out,
                "the failed commands stay in the journal: see `hotelcare queue list`"
            )?;
        }
        for note in &self.notes {
            writeln!(out, "note: {note}")?;
        }
        if !self.rendered.is_empty() {
            writeln!(out)?;
            write!(out, "{}", self.rendered)?;
        }
        Ok(())
    }
}
