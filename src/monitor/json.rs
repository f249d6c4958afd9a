//! `--format json`: what the monitor, `plan` and `queue list` show, as data. Field names are
//! stable and documented in `docs/json.md`; streams (the monitor, `plan`) are JSON lines with a
//! `type`, single answers (`queue list`, `check`) one document.

use std::time::SystemTime;

use chrono::{DateTime, Local, SecondsFormat};
use serde::Serialize;

use crate::engine::{Entry, Event, Operation, OperationResult, Outcome, Status};
use crate::lower::ops::{Expectation, Field, Op, Value};
use crate::mixml::Response;
use crate::monitor::format;
use crate::validate::Command;

/// One field and its value. `value` is the text as the PBX stores it (`""` for empty, `1` for a
/// COR, `on`/`off` for a flag); `from_read` names the read a value comes from, in a plan.
#[derive(Debug, Serialize)]
pub struct FieldValue {
    pub field: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub value: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub from_read: Option<String>,
}

impl FieldValue {
    fn sent(field: Field, text: &str) -> Self {
        Self {
            field: field.label(),
            value: Some(shown(field, text)),
            from_read: None,
        }
    }

    fn planned(field: Field, value: &Value<'_>) -> Self {
        let (value, from_read) = match value {
            Value::Text(text) => (Some((*text).to_owned()), None),
            Value::Empty => (Some(String::new()), None),
            Value::Cor(cor) => (Some(cor.to_string()), None),
            Value::Flag(on) => (Some(if *on { "on" } else { "off" }.to_owned()), None),
            Value::Read(id, from) => (None, Some(format!("{id}.{from}"))),
        };
        Self {
            field: field.label(),
            value,
            from_read,
        }
    }

    fn all(values: &[(Field, String)]) -> Vec<Self> {
        values.iter().map(|(f, v)| Self::sent(*f, v)).collect()
    }
}

/// A flag as `on`/`off`, anything else as the PBX stores it.
fn shown(field: Field, text: &str) -> String {
    match field {
        Field::UseDidForOutgoingCalls => format::sent_value(field, text),
        _ => text.to_owned(),
    }
}

/// One operation of a plan.
#[derive(Debug, Serialize)]
pub struct PlannedOperation {
    pub room: Option<String>,
    /// `read`, `set`, `find`, `check`, `info`.
    pub verb: &'static str,
    /// The whole operation as the text monitor shows it.
    pub operation: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub form: Option<&'static str>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub fields: Vec<FieldValue>,
    /// For reads and searches: the name later operations use (`$1`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub into: Option<String>,
}

/// `plan --format json`: one line per command.
#[derive(Debug, Serialize)]
pub struct PlannedCommand {
    #[serde(rename = "type")]
    pub kind: &'static str,
    pub origin: String,
    pub line: usize,
    pub command: String,
    pub keyword: &'static str,
    pub rooms: Vec<String>,
    pub operations: Vec<PlannedOperation>,
}

impl PlannedCommand {
    pub fn new(origin: &str, command: &Command, ops: &[Op<'_>]) -> Self {
        Self {
            kind: "command",
            origin: origin.to_owned(),
            line: command.line,
            command: command.text.clone(),
            keyword: command.action.keyword(),
            rooms: command
                .action
                .rooms()
                .into_iter()
                .map(str::to_owned)
                .collect(),
            operations: ops.iter().map(planned).collect(),
        }
    }
}

fn planned(op: &Op<'_>) -> PlannedOperation {
    let (form, fields, into) = match op {
        Op::Read {
            form, fields, into, ..
        } => (
            Some(form.label()),
            fields
                .iter()
                .map(|f| FieldValue {
                    field: f.label(),
                    value: None,
                    from_read: None,
                })
                .collect(),
            Some(into.to_string()),
        ),
        Op::Set { form, values, .. } => (
            Some(form.label()),
            values
                .iter()
                .map(|(f, v)| FieldValue::planned(*f, v))
                .collect(),
            None,
        ),
        Op::FindFreeDid { into, .. } => (None, Vec::new(), Some(into.to_string())),
        Op::ExpectDidFree { .. }
        | Op::Expect(Expectation::Occupied { .. } | Expectation::Vacant { .. })
        | Op::SystemInfo => (None, Vec::new(), None),
    };
    PlannedOperation {
        room: op.room().map(str::to_owned),
        verb: op.verb(),
        operation: format::operation(op),
        form,
        fields,
        into,
    }
}

/// A monitor event, one JSON line each.
#[derive(Debug, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum MonitorLine {
    /// A login before a request.
    Login { time: String, target: String },
    Operation {
        time: String,
        seq: u64,
        origin: String,
        room: String,
        command: &'static str,
        verb: &'static str,
        operation: String,
        fields: Vec<FieldValue>,
        /// `ok`, `kept` (a read the journal kept), `refused` or `failed`.
        result: &'static str,
        /// What the PBX answered or why it failed, in words.
        detail: Option<String>,
        /// What a read returned.
        #[serde(skip_serializing_if = "Vec::is_empty")]
        read: Vec<FieldValue>,
        /// For `failed`: the attempt, and the pause before the next one (`null`: no more).
        #[serde(skip_serializing_if = "Option::is_none")]
        attempt: Option<u32>,
        #[serde(skip_serializing_if = "Option::is_none")]
        retry_in_ms: Option<u128>,
        duration_ms: u128,
        #[serde(skip_serializing_if = "Option::is_none")]
        request: Option<String>,
        #[serde(skip_serializing_if = "Option::is_none")]
        response: Option<String>,
    },
    Finished {
        time: String,
        seq: u64,
        origin: String,
        room: String,
        command: &'static str,
        /// `done`, `failed` or `queued` (`not_done` for `show` and `test-access`).
        outcome: &'static str,
        reason: Option<String>,
        /// `SHOW`: the room's fields as read.
        #[serde(skip_serializing_if = "Vec::is_empty")]
        record: Vec<FieldValue>,
    },
}

/// RFC 3339 local time with milliseconds.
pub fn timestamp(at: SystemTime) -> String {
    DateTime::<Local>::from(at).to_rfc3339_opts(SecondsFormat::Millis, false)
}

impl MonitorLine {
    /// The lines of one engine event (a login comes before its operation).
    pub fn of(event: &Event<'_>, target: &str, journaled: bool, raw: bool) -> Vec<Self> {
        match event {
            Event::Operation(operation) => {
                let mut lines = Vec::with_capacity(2);
                if operation.logged_in {
                    lines.push(Self::Login {
                        time: timestamp(operation.at),
                        target: target.to_owned(),
                    });
                }
                lines.push(Self::operation(operation, raw));
                lines
            }
            Event::Finished {
                entry,
                outcome,
                reads,
            } => {
                let action = &entry.command.action;
                let (outcome, reason) = match outcome {
                    Outcome::Done => ("done", None),
                    Outcome::Failed { reason } => ("failed", Some(reason.clone())),
                    Outcome::Queued { reason } => (
                        if journaled { "queued" } else { "not_done" },
                        Some(reason.clone()),
                    ),
                };
                let record = if matches!(action, crate::validate::Action::Show { .. })
                    && outcome == "done"
                {
                    Field::ALL
                        .into_iter()
                        .filter_map(|field| {
                            reads
                                .values()
                                .flatten()
                                .find(|(f, _)| *f == field)
                                .map(|(f, v)| FieldValue::sent(*f, v))
                        })
                        .collect()
                } else {
                    Vec::new()
                };
                vec![Self::Finished {
                    time: timestamp(SystemTime::now()),
                    seq: entry.seq,
                    origin: entry.origin.clone(),
                    room: action.room().to_owned(),
                    command: action.keyword(),
                    outcome,
                    reason,
                    record,
                }]
            }
        }
    }

    fn operation(operation: &Operation<'_>, raw: bool) -> Self {
        let action = &operation.entry.command.action;
        let (result, detail, read, attempt, retry_in_ms) = match &operation.result {
            OperationResult::Ok(Response::Fields(values)) => {
                ("ok", None, FieldValue::all(values), None, None)
            }
            OperationResult::Ok(Response::SystemInfo { product, version }) => (
                "ok",
                Some(format!("{product}, {version}")),
                Vec::new(),
                None,
                None,
            ),
            OperationResult::Ok(Response::Dids(_)) => {
                let found = match operation.op {
                    Op::FindFreeDid { into, .. } => operation
                        .entry
                        .reads
                        .get(into)
                        .map(|values| FieldValue::all(values))
                        .unwrap_or_default(),
                    _ => Vec::new(),
                };
                ("ok", None, found, None, None)
            }
            OperationResult::Ok(_) | OperationResult::Checked => {
                ("ok", None, Vec::new(), None, None)
            }
            OperationResult::Kept(values) => ("kept", None, FieldValue::all(values), None, None),
            OperationResult::Refused(why) => {
                ("refused", Some((*why).to_owned()), Vec::new(), None, None)
            }
            OperationResult::Failed {
                error,
                attempt,
                retry_in,
            } => (
                "failed",
                Some(error.to_string()),
                Vec::new(),
                Some(*attempt),
                retry_in.map(|pause| pause.as_millis()),
            ),
        };
        let fields = match operation.op {
            Op::Set { .. } => FieldValue::all(operation.sent),
            other => planned(other).fields,
        };
        let raw = operation.raw.filter(|_| raw);
        Self::Operation {
            time: timestamp(operation.at),
            seq: operation.entry.seq,
            origin: operation.entry.origin.clone(),
            room: operation.op.room().unwrap_or(action.room()).to_owned(),
            command: action.keyword(),
            verb: operation.op.verb(),
            operation: format::operation(operation.op),
            fields,
            result,
            detail,
            read,
            attempt,
            retry_in_ms,
            duration_ms: operation.elapsed.as_millis(),
            request: raw.map(|r| r.request.clone()),
            response: raw.map(|r| r.response.clone()),
        }
    }
}

/// One room of `rooms --format json`.
#[derive(Debug, Serialize)]
pub struct Room<'a> {
    pub room: &'a str,
    pub occupied: bool,
    pub guest: Option<&'a crate::validate::Guest>,
    pub cor: Option<u8>,
    /// The level names that COR stands for in the configuration.
    pub levels: Vec<String>,
    pub did: Option<&'a str>,
    pub last: Option<&'a crate::engine::LastCommand>,
}

/// `rooms --format json`.
#[derive(Debug, Serialize)]
pub struct Rooms<'a> {
    pub rooms: Vec<Room<'a>>,
}

impl<'a> Rooms<'a> {
    pub fn new(
        rooms: &'a [(String, crate::engine::RoomState)],
        levels: &dyn Fn(u8) -> Vec<String>,
    ) -> Self {
        Self {
            rooms: rooms
                .iter()
                .map(|(room, state)| Room {
                    room,
                    occupied: state.occupied,
                    guest: state.guest.as_ref(),
                    cor: state.cor,
                    levels: state.cor.map(levels).unwrap_or_default(),
                    did: state.did.as_deref(),
                    last: state.last.as_ref(),
                })
                .collect(),
        }
    }
}

/// One command of `queue list --format json`.
#[derive(Debug, Serialize)]
pub struct QueuedCommand {
    pub seq: u64,
    /// `pending` or `failed`.
    pub status: &'static str,
    pub rooms: Vec<String>,
    pub command: String,
    pub origin: String,
    pub attempts: u32,
    pub last_error: Option<String>,
    /// It resumes with what it read before it was interrupted.
    pub resumes: bool,
}

/// `queue list --format json`.
#[derive(Debug, Serialize)]
pub struct Queue {
    pub pending: usize,
    pub failed: usize,
    pub commands: Vec<QueuedCommand>,
}

impl Queue {
    pub fn new(entries: &[Entry]) -> Self {
        let commands: Vec<QueuedCommand> = entries
            .iter()
            .map(|entry| QueuedCommand {
                seq: entry.seq,
                status: match entry.status {
                    Status::Pending => "pending",
                    Status::Failed => "failed",
                },
                rooms: entry
                    .command
                    .action
                    .rooms()
                    .into_iter()
                    .map(str::to_owned)
                    .collect(),
                command: entry.command.text.clone(),
                origin: entry.origin.clone(),
                attempts: entry.attempts,
                last_error: entry.last_error.clone(),
                resumes: !entry.reads.is_empty(),
            })
            .collect();
        let pending = commands.iter().filter(|c| c.status == "pending").count();
        Self {
            pending,
            failed: commands.len() - pending,
            commands,
        }
    }
}
