//! The monitor: what support staff see of every operation (BRIEF §6), like the vendor's "Script
//! Interpreter" monitor: time, room, command, operation, fields with values, PBX result, duration.
//!
//! Input: engine `Event`s (and operations, for `plan`). Output: text lines to a printer (stdout,
//! or the REPL's external printer) and the same lines to the log. The engine never imports this
//! module. Passwords never reach it: envelopes arrive with the password masked.

pub mod format;
pub mod json;
pub mod plan;
mod record;

use std::time::SystemTime;

use chrono::{DateTime, Local};

use crate::engine::{Event, Operation, OperationResult, Outcome};
use crate::lower::ops::Op;
use crate::mixml::Response;

pub use record::render_room;

/// Where monitor text goes. Called from engine tasks, so it must be thread-safe.
pub type Printer = Box<dyn Fn(&str) + Send + Sync>;

/// How the monitor prints: text lines for people, or JSON lines (`--format json`). The log
/// always gets the text lines.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Format {
    #[default]
    Text,
    Json,
}

/// Turns events into lines.
pub struct Monitor {
    printer: Printer,
    /// Print the envelopes too.
    raw: bool,
    /// `user@address` of the PBX, for login lines.
    target: String,
    /// Whether commands that do not finish stay queued in a journal (`run`), or are simply not
    /// done (`show`, `test-access`).
    journaled: bool,
    format: Format,
}

impl Monitor {
    pub fn new(printer: Printer, raw: bool, target: String, journaled: bool) -> Self {
        Self {
            printer,
            raw,
            target,
            journaled,
            format: Format::Text,
        }
    }

    /// Prints JSON lines instead of text (the log keeps the text).
    #[must_use]
    pub fn with_format(mut self, format: Format) -> Self {
        self.format = format;
        self
    }

    fn print(&self, text: &str) {
        for line in text.lines() {
            tracing::info!(target: "monitor", "{line}");
        }
        if self.format == Format::Text {
            (self.printer)(text);
        }
    }

    /// A line that reports a problem: a warning in the log.
    fn print_problem(&self, text: &str) {
        tracing::warn!(target: "monitor", "{text}");
        if self.format == Format::Text {
            (self.printer)(text);
        }
    }

    /// Handles one engine event.
    pub fn on_event(&self, event: &Event<'_>) {
        self.on_event_text(event);
        if self.format == Format::Json {
            for line in json::MonitorLine::of(event, &self.target, self.journaled, self.raw) {
                if let Ok(text) = serde_json::to_string(&line) {
                    (self.printer)(&text);
                }
            }
        }
    }

    fn on_event_text(&self, event: &Event<'_>) {
        match event {
            Event::Operation(operation) => self.operation(operation),
            Event::Finished {
                entry,
                outcome,
                reads,
            } => {
                let prefix = format!(
                    "{}  {}  {:<8}",
                    time(SystemTime::now()),
                    format::room(entry.command.action.room()),
                    entry.command.action.keyword()
                );
                match outcome {
                    Outcome::Done => {
                        if let crate::validate::Action::Show { room } = &entry.command.action {
                            self.print(&render_room(room, reads));
                        }
                        self.print(&format!("{prefix}  done  ({})", entry.origin));
                    }
                    Outcome::Failed { reason } => {
                        self.print_problem(&format!(
                            "{prefix}  FAILED  ({}): {reason}",
                            entry.origin
                        ));
                    }
                    Outcome::Queued { reason } => {
                        let what = if self.journaled { "queued" } else { "not done" };
                        self.print_problem(&format!(
                            "{prefix}  {what}  ({}): {reason}",
                            entry.origin
                        ));
                    }
                }
            }
        }
    }

    fn operation(&self, operation: &Operation<'_>) {
        let action = &operation.entry.command.action;
        let room = operation.op.room().unwrap_or(action.room());
        let at = time(operation.at);
        if operation.logged_in {
            self.print(&format!(
                "{at}  {}  {:<8}  login {} -> ok",
                format::room("-"),
                "LOGIN",
                self.target
            ));
        }
        let described = match (operation.op, &operation.result) {
            (Op::Set { form, .. }, _) => format!(
                "set  {:<15}  {}",
                form.label(),
                format::sent(operation.sent)
            ),
            (op, _) => format::operation(op),
        };
        let result = match &operation.result {
            OperationResult::Ok(Response::Fields(values)) => {
                format!("ok: {}", format::sent(values))
            }
            OperationResult::Ok(Response::SystemInfo { product, version }) => {
                format!(
                    "ok: test access to {} succeeded: {product}, {version}",
                    self.target
                )
            }
            OperationResult::Ok(Response::Dids(_)) => match operation.op {
                Op::FindFreeDid { into, .. } => match operation.entry.reads.get(into) {
                    Some(found) => format!("ok: {}", format::sent(found)),
                    None => "ok".to_owned(),
                },
                _ => "ok: free".to_owned(),
            },
            OperationResult::Ok(_) | OperationResult::Checked => "ok".to_owned(),
            OperationResult::Kept(values) => {
                format!("kept from the journal: {}", format::sent(values))
            }
            OperationResult::Refused(why) => format!("refused: {why}"),
            OperationResult::Failed {
                error,
                attempt,
                retry_in,
            } => match retry_in {
                Some(pause) => format!(
                    "failed (attempt {attempt}): {error}; retrying in {:.1} s",
                    pause.as_secs_f64()
                ),
                None => format!("failed (attempt {attempt}): {error}"),
            },
        };
        let elapsed = operation.elapsed.as_millis();
        self.print(&format!(
            "{at}  {}  {:<8}  {described}  -> {result}  ({elapsed} ms)",
            format::room(room),
            action.keyword()
        ));
        if self.raw
            && let Some(raw) = operation.raw
        {
            self.print(&indent(&raw.request));
            self.print(&indent(&raw.response));
        }
    }
}

fn indent(text: &str) -> String {
    text.lines()
        .map(|line| format!("        {line}"))
        .collect::<Vec<_>>()
        .join("\n")
}

/// `14:02:11.532`, local time.
fn time(at: SystemTime) -> String {
    DateTime::<Local>::from(at)
        .format("%H:%M:%S%.3f")
        .to_string()
}
