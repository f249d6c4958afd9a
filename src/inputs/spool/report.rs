//! The report written beside a finished spool file: `<name>.report.txt` for people and
//! `<name>.report.json` for the PMS (field names documented in `docs/json.md`). Every
//! diagnostic of the file is in both, warnings included (a name cut to the PBX's field).

use std::fmt::Write as _;

use serde::{Deserialize, Serialize};

use crate::diagnostics::{Count, DiagnosticRecord};
use crate::inputs::spool::Verdict;

/// What is remembered of a file from its acceptance until its report is written (kept with the
/// journal's marker, so that a restart in between still writes a complete report).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct Accepted {
    /// Every warning of the file (a file with an error is never accepted).
    pub(crate) diagnostics: Vec<DiagnosticRecord>,
    /// The same, rendered with carets, for the text report.
    pub(crate) rendered: String,
    /// In journal order: the marker's sequence numbers, one for one.
    pub(crate) commands: Vec<AcceptedCommand>,
    /// How many bytes of the file were read and accepted (a file that grows after is told).
    #[serde(default)]
    pub(crate) bytes: u64,
}

/// One accepted command of the file.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct AcceptedCommand {
    pub(crate) line: usize,
    pub(crate) room: String,
    pub(crate) keyword: String,
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

/// The report of one file.
#[derive(Clone, Debug, Serialize)]
pub(crate) struct Report {
    pub(crate) file: String,
    /// Local time, `YYYY-MM-DD HH:MM:SS`.
    pub(crate) finished: String,
    pub(crate) verdict: Verdict,
    /// Why nothing of the file was run, when it was refused as a whole.
    pub(crate) rejected: Option<String>,
    pub(crate) commands: Vec<CommandReport>,
    pub(crate) diagnostics: Vec<DiagnosticRecord>,
    /// What else the reader should know (the file grew after it was taken).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub(crate) notes: Vec<String>,
    #[serde(skip)]
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
            commands: Vec::new(),
            diagnostics,
            notes: Vec::new(),
            rendered,
        }
    }

    /// A file whose commands all ended (done or failed).
    pub(crate) fn finished(file: &str, accepted: Accepted, commands: Vec<CommandReport>) -> Self {
        let verdict = if commands.iter().all(|c| c.result == CommandResult::Done) {
            Verdict::Done
        } else {
            Verdict::Failed
        };
        Self {
            file: file.to_owned(),
            finished: Self::now(),
            verdict,
            rejected: None,
            commands,
            diagnostics: accepted.diagnostics,
            notes: Vec::new(),
            rendered: accepted.rendered,
        }
    }

    /// The warnings of `line`, for its commands.
    pub(crate) fn warnings_of(accepted: &Accepted, line: usize) -> Vec<String> {
        accepted
            .diagnostics
            .iter()
            .filter(|d| d.line == line)
            .map(|d| d.message.clone())
            .collect()
    }

    fn count(&self, result: CommandResult) -> usize {
        self.commands.iter().filter(|c| c.result == result).count()
    }

    /// One line for the log and stderr: the file, where it went, and why.
    pub(crate) fn summary(&self) -> String {
        if let Some(reason) = &self.rejected {
            return format!("{}: refused, nothing was run: {reason}", self.file);
        }
        let mut line = format!(
            "{}: {} done, {} failed",
            self.file,
            Count(self.count(CommandResult::Done), "command"),
            self.count(CommandResult::Failed)
        );
        for command in &self.commands {
            if let Some(error) = &command.error {
                write!(line, "; line {}: {error}", command.line).expect("String");
            }
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

    /// `<name>.report.txt`.
    pub(crate) fn text(&self) -> String {
        let mut out = format!(
            "hotelcare watch: {}\nfinished {}\n",
            self.file, self.finished
        );
        if let Some(reason) = &self.rejected {
            writeln!(out, "{reason}; nothing was run").expect("String");
        } else {
            writeln!(
                out,
                "{} done, {} failed",
                Count(self.count(CommandResult::Done), "command"),
                self.count(CommandResult::Failed)
            )
            .expect("String");
            // Every command, as it ended.
            for command in &self.commands {
                let result = match command.result {
                    CommandResult::Done => "done",
                    CommandResult::Failed => "FAILED",
                };
                write!(
                    out,
                    "line {}: {} {}: {result}",
                    command.line, command.command, command.room
                )
                .expect("String");
                if command.attempts > 0 {
                    write!(
                        out,
                        " (after {})",
                        Count(command.attempts as usize, "failed attempt")
                    )
                    .expect("String");
                }
                if let Some(error) = &command.error {
                    write!(out, ": {error}").expect("String");
                }
                out.push('\n');
            }
            if self.count(CommandResult::Failed) > 0 {
                out.push_str(
                    "the failed commands stay in the journal: see `hotelcare queue list`\n",
                );
            }
        }
        for note in &self.notes {
            writeln!(out, "note: {note}").expect("String");
        }
        if !self.rendered.is_empty() {
            out.push('\n');
            out.push_str(&self.rendered);
        }
        out
    }

    /// `<name>.report.json`.
    pub(crate) fn json(&self) -> String {
        let mut json = serde_json::to_string_pretty(self).expect("a report always serializes");
        json.push('\n');
        json
    }
}
