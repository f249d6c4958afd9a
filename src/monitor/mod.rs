//! The monitor: what support staff see of every operation (BRIEF §6), like the vendor's "Script
//! Interpreter" monitor: time, room, command, operation, fields with values, PBX result, duration.
//!
//! Input: engine `Event`s (and operations, for `plan`). Output: text lines to a printer (stdout,
//! or the REPL's external printer) and the same lines to the log. The engine never imports this
//! module. Passwords never reach it: envelopes arrive with the password masked.

pub(crate) mod format;
pub(crate) mod json;

use std::fmt::Write as _;
use std::time::SystemTime;

use chrono::{DateTime, Local, Timelike as _};

use crate::engine::{Event, Outcome, Record, Step, StepResult};
use crate::support::logs;

/// Where monitor text goes. Called from engine tasks, so it must be thread-safe.
pub(crate) type Printer = Box<dyn Fn(&str) + Send + Sync>;

/// Turns events into lines.
pub(crate) struct Monitor {
    printer: Printer,
    /// Print the envelopes too.
    raw: bool,
    /// `user@address` of the PBX, for login lines.
    target: String,
    /// Whether commands that do not finish stay queued in a journal (`run`), or are simply not
    /// done (`show`, `test-access`).
    journaled: bool,
}

impl Monitor {
    pub(crate) fn new(printer: Printer, raw: bool, target: String, journaled: bool) -> Self {
        Self {
            printer,
            raw,
            target,
            journaled,
        }
    }

    /// Handles one engine event: logs and prints its lines, and returns them (formatted once).
    pub(crate) fn on_event(&self, event: &Event<'_>) -> Vec<Line> {
        // A retry round of a PBX that is still down logs its commands again only at debug
        // level (its one summary line says the round): a long outage does not rotate the
        // audit trail away.
        let again = Self::queued_again(event);
        let lines = self.lines(event);
        for line in &lines {
            if line.envelope && !self.raw {
                continue;
            }
            for text in line.text.lines() {
                if again {
                    tracing::debug!(target: "monitor", "{text}");
                } else if line.problem {
                    logs::monitor(logs::Level::Warn, text);
                } else {
                    logs::monitor(logs::Level::Info, text);
                }
            }
            (self.printer)(&line.text);
        }
        lines
    }

    /// Whether `event` leaves queued a command an earlier drain left queued too: its "queued"
    /// line was logged then.
    fn queued_again(event: &Event<'_>) -> bool {
        matches!(
            event,
            Event::Finished {
                outcome: Outcome::Queued { again: true, .. },
                ..
            }
        )
    }

    /// The text an event shows, whatever is printed or logged of it: envelopes too (marked as
    /// such), for a service whose listeners choose for themselves.
    pub(crate) fn lines(&self, event: &Event<'_>) -> Vec<Line> {
        let mut lines = Vec::new();
        match event {
            Event::Notice { text, problem } => lines.push(Line {
                text: format!("{}  {text}", time(SystemTime::now())),
                problem: *problem,
                envelope: false,
            }),
            Event::Link { text, up, .. } => lines.push(Line {
                text: format!("{}  {text}", time(SystemTime::now())),
                problem: !*up,
                envelope: false,
            }),
            Event::Step(step) => self.step(step, &mut lines),
            Event::Finished {
                entry,
                pbx,
                outcome,
                record,
            } => {
                let prefix = format!(
                    "{}  {}  {:<8}{}",
                    time(SystemTime::now()),
                    format::room(entry.command.action.room()),
                    entry.command.action.keyword(),
                    pbx.map_or_else(String::new, |pbx| format!("  {pbx}:"))
                );
                match outcome {
                    Outcome::Done => {
                        if let Some(record) = record {
                            lines.push(Line::plain(render_room(
                                entry.command.action.room(),
                                record,
                            )));
                        }
                        lines.push(Line::plain(format!("{prefix}  done  ({})", entry.origin)));
                    }
                    Outcome::Failed { reason } => lines.push(Line::problem(format!(
                        "{prefix}  FAILED  ({}): {reason}",
                        entry.origin
                    ))),
                    Outcome::Queued { reason, .. } => {
                        let what = if self.journaled { "queued" } else { "not done" };
                        lines.push(Line::problem(format!(
                            "{prefix}  {what}  ({}): {reason}",
                            entry.origin
                        )));
                    }
                }
            }
        }
        lines
    }

    fn step(&self, step: &Step<'_>, lines: &mut Vec<Line>) {
        let action = &step.entry.command.action;
        let at = time(step.at);
        if step.logged_in {
            lines.push(Line::plain(format!(
                "{at}  {}  {:<8}  login {} -> ok",
                format::room("-"),
                "LOGIN",
                step.pbx.unwrap_or(&self.target)
            )));
        }
        let result = match &step.result {
            StepResult::Ok {
                detail: Some(detail),
                ..
            }
            | StepResult::Checked {
                detail: Some(detail),
            } => format!("ok: {detail}"),
            StepResult::Ok { detail: None, .. } | StepResult::Checked { detail: None } => {
                "ok".to_owned()
            }
            StepResult::Kept { detail, .. } => format!("kept from the journal: {detail}"),
            StepResult::Refused(why) => format!("refused: {why}"),
            StepResult::Failed {
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
        // One string written in place: a line for every request (issue 25).
        let mut line =
            String::with_capacity(at.len() + step.header.operation.len() + result.len() + 48);
        let _ = write!(
            line,
            "{at}  {:>width$}  {:<8}  ",
            step.header.room,
            action.keyword(),
            width = format::ROOM_WIDTH
        );
        if let Some(pbx) = step.pbx {
            line.push_str(pbx);
            line.push_str(": ");
        }
        let _ = write!(
            line,
            "{}  -> {result}  ({} ms)",
            step.header.operation,
            step.elapsed.as_millis()
        );
        lines.push(Line::plain(line));
        if let Some(raw) = step.raw {
            for text in [&raw.request, &raw.response] {
                lines.push(Line {
                    text: indent(text),
                    problem: false,
                    envelope: true,
                });
            }
        }
    }
}

/// One piece of monitor text (it may span several lines: a room's record, an envelope).
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Line {
    pub(crate) text: String,
    /// It reports a problem: a warning in the log.
    pub(crate) problem: bool,
    /// What went over the wire (`--raw`).
    pub(crate) envelope: bool,
}

impl Line {
    fn plain(text: String) -> Self {
        Self {
            text,
            problem: false,
            envelope: false,
        }
    }

    fn problem(text: String) -> Self {
        Self {
            text,
            problem: true,
            envelope: false,
        }
    }
}

/// `SHOW`: one room's record, one field per line, in the PBX's order.
pub(crate) fn render_room(room: &str, record: &Record) -> String {
    use std::fmt::Write as _;
    let mut out = format!("room {room}");
    if let Some(label) = &record.label {
        write!(out, " ({})", format::quoted(label)).expect("String");
    }
    out.push('\n');
    for field in &record.fields {
        writeln!(out, "  {:<27} {}", field.field, field.shown).expect("String");
    }
    out.trim_end().to_owned()
}

fn indent(text: &str) -> String {
    text.lines()
        .map(|line| format!("        {line}"))
        .collect::<Vec<_>>()
        .join("\n")
}

/// `14:02:11.532`, local time.
fn time(at: SystemTime) -> String {
    thread_local! {
        /// The last second shown, as `14:02:11`: the local time's offset is looked up once a
        /// second, not for each of the five lines a command prints (issue 25).
        static SECOND: std::cell::RefCell<(i64, String)> =
            const { std::cell::RefCell::new((i64::MIN, String::new())) };
    }
    let (second, millis) = if let Ok(since) = at.duration_since(std::time::UNIX_EPOCH) {
        (
            i64::try_from(since.as_secs()).unwrap_or(i64::MAX),
            since.subsec_millis(),
        )
    } else {
        let at = DateTime::<Local>::from(at);
        (at.timestamp(), at.timestamp_subsec_millis().min(999))
    };
    SECOND.with_borrow_mut(|(shown, text)| {
        if *shown != second {
            let local = DateTime::<Local>::from(at);
            *shown = second;
            text.clear();
            let _ = write!(
                text,
                "{:02}:{:02}:{:02}",
                local.hour(),
                local.minute(),
                local.second()
            );
        }
        let mut out = String::with_capacity(12);
        out.push_str(text);
        let _ = write!(out, ".{millis:03}");
        out
    })
}

#[cfg(test)]
mod tests {
    use std::time::{Duration, UNIX_EPOCH};

    use super::*;

    /// The monitor's time is what `%H:%M:%S%.3f` shows.
    #[test]
    fn the_time_of_a_line_is_local_with_milliseconds() {
        for millis in [0, 1, 999, 61_000, 1_764_750_525_317, 1_764_797_999_999] {
            let at = UNIX_EPOCH + Duration::from_millis(millis) + Duration::from_micros(456);
            assert_eq!(
                time(at),
                DateTime::<Local>::from(at)
                    .format("%H:%M:%S%.3f")
                    .to_string()
            );
        }
    }
}
