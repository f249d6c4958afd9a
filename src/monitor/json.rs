//! `--format json`: what the monitor, `plan` and `queue list` show, as data. Field names are
//! stable and documented in `docs/json.md`; streams (the monitor, `plan`) are JSON lines with a
//! `type`, single answers (`queue list`, `check`) one document.

use std::time::SystemTime;

use chrono::{DateTime, Local, SecondsFormat};
use serde::{Deserialize, Serialize};

use crate::engine::{Entry, Event, Outcome, Shown, Status, Step, StepResult};

/// One field and its value, as the PBX stores it (`""` for empty, `1` for a COR, `on`/`off`
/// for a flag).
#[derive(Debug, Serialize)]
pub(crate) struct FieldValue {
    pub(crate) field: &'static str,
    pub(crate) value: String,
}

impl FieldValue {
    fn all(values: &[Shown]) -> Vec<Self> {
        values
            .iter()
            .map(|(field, value)| Self {
                field,
                value: value.clone(),
            })
            .collect()
    }
}

/// A monitor event, one JSON line each.
#[derive(Debug, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub(crate) enum MonitorLine {
    /// A login before a request.
    Login { time: String, target: String },
    /// The wire says something outside any command.
    Notice { time: String, text: String },
    Operation {
        time: String,
        seq: u64,
        origin: String,
        room: String,
        /// The PBX, when several are configured.
        #[serde(skip_serializing_if = "Option::is_none")]
        pbx: Option<String>,
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
        /// The PBX (`east`; `east->west` for a move between two), when several are configured.
        #[serde(skip_serializing_if = "Option::is_none")]
        pbx: Option<String>,
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
pub(crate) fn timestamp(at: SystemTime) -> String {
    DateTime::<Local>::from(at).to_rfc3339_opts(SecondsFormat::Millis, false)
}

impl MonitorLine {
    /// The lines of one engine event (a login comes before its operation).
    pub(crate) fn of(event: &Event<'_>, target: &str, journaled: bool, raw: bool) -> Vec<Self> {
        match event {
            Event::Notice { text, .. } | Event::Link { text, .. } => vec![Self::Notice {
                time: timestamp(SystemTime::now()),
                text: (*text).to_owned(),
            }],
            Event::Step(step) => {
                let mut lines = Vec::with_capacity(2);
                if step.logged_in {
                    lines.push(Self::Login {
                        time: timestamp(step.at),
                        target: target.to_owned(),
                    });
                }
                lines.push(Self::step(step, raw));
                lines
            }
            Event::Finished {
                entry,
                pbx,
                outcome,
                record,
            } => {
                let action = &entry.command.action;
                let (outcome, reason) = match outcome {
                    Outcome::Done => ("done", None),
                    Outcome::Failed { reason } => ("failed", Some(reason.clone())),
                    Outcome::Queued { reason, .. } => (
                        if journaled { "queued" } else { "not_done" },
                        Some(reason.clone()),
                    ),
                };
                vec![Self::Finished {
                    time: timestamp(SystemTime::now()),
                    seq: entry.seq,
                    origin: entry.origin.clone(),
                    room: action.room().to_owned(),
                    pbx: pbx.map(str::to_owned),
                    command: action.keyword(),
                    outcome,
                    reason,
                    record: record
                        .map(|r| {
                            r.fields
                                .iter()
                                .map(|f| FieldValue {
                                    field: f.field,
                                    value: f.value.clone(),
                                })
                                .collect()
                        })
                        .unwrap_or_default(),
                }]
            }
        }
    }

    fn step(step: &Step<'_>, raw: bool) -> Self {
        let action = &step.entry.command.action;
        let (result, detail, read, attempt, retry_in_ms) = match &step.result {
            StepResult::Ok { detail, read } => (
                "ok",
                detail.map(str::to_owned),
                FieldValue::all(read),
                None,
                None,
            ),
            StepResult::Checked { detail } => {
                ("ok", detail.map(str::to_owned), Vec::new(), None, None)
            }
            StepResult::Kept { read, .. } => ("kept", None, FieldValue::all(read), None, None),
            StepResult::Refused(why) => {
                ("refused", Some((*why).to_owned()), Vec::new(), None, None)
            }
            StepResult::Failed {
                error,
                attempt,
                retry_in,
            } => (
                "failed",
                Some((*error).to_owned()),
                Vec::new(),
                Some(*attempt),
                retry_in.map(|pause| pause.as_millis()),
            ),
        };
        let raw = step.raw.filter(|_| raw);
        Self::Operation {
            time: timestamp(step.at),
            seq: step.entry.seq,
            origin: step.entry.origin.clone(),
            room: step.header.room.to_owned(),
            pbx: step.pbx.map(str::to_owned),
            command: action.keyword(),
            verb: step.header.verb,
            operation: step.header.operation.clone(),
            fields: FieldValue::all(&step.header.fields),
            result,
            detail,
            read,
            attempt,
            retry_in_ms,
            duration_ms: step.elapsed.as_millis(),
            request: raw.map(|r| r.request.clone()),
            response: raw.map(|r| r.response.clone()),
        }
    }
}

/// One room of `rooms --format json`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct RoomEntry {
    pub(crate) room: String,
    pub(crate) occupied: bool,
    pub(crate) guest: Option<crate::lang::validate::Guest>,
    pub(crate) cor: Option<u8>,
    /// The level names that COR stands for in the configuration.
    pub(crate) levels: Vec<String>,
    /// The PBX, when several are configured.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) pbx: Option<String>,
    pub(crate) did: Option<String>,
    pub(crate) last: Option<crate::engine::LastCommand>,
    /// What the PBX reported or hotelcare set besides (message waiting, do not disturb, maid
    /// status); left out when there is none.
    #[serde(default, skip_serializing_if = "std::collections::BTreeMap::is_empty")]
    pub(crate) flags: std::collections::BTreeMap<String, String>,
    /// The wake-up calls booked, `YYYY-MM-DD HH:MM`, in time order; left out when none.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub(crate) wakeups: Vec<String>,
}

/// `rooms --format json`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct Rooms {
    pub(crate) rooms: Vec<RoomEntry>,
}

impl Rooms {
    pub(crate) fn new(
        rooms: &[(String, crate::engine::RoomState)],
        config: &crate::config::Config,
    ) -> Self {
        Self {
            rooms: rooms
                .iter()
                .map(|(room, state)| RoomEntry {
                    room: room.clone(),
                    occupied: state.occupied,
                    guest: state.guest.clone(),
                    cor: state.cor,
                    levels: state
                        .cor
                        .map(|cor| config.level_names_in(room, cor))
                        .unwrap_or_default(),
                    pbx: config.pbx_label(&[room]),
                    did: state.did.clone(),
                    last: state.last.clone(),
                    flags: state
                        .flags
                        .shown()
                        .into_iter()
                        .map(|(flag, value)| (flag.to_owned(), value))
                        .collect(),
                    wakeups: state.wakeups.iter().map(ToString::to_string).collect(),
                })
                .collect(),
        }
    }
}

/// Where a journaled command stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub(crate) enum QueueStatus {
    Pending,
    Failed,
}

/// One command of `queue list --format json`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct QueuedCommand {
    pub(crate) seq: u64,
    pub(crate) status: QueueStatus,
    pub(crate) rooms: Vec<String>,
    /// The PBX (`east`; `east->west` for a move between two), when several are configured.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) pbx: Option<String>,
    pub(crate) command: String,
    pub(crate) origin: String,
    pub(crate) attempts: u32,
    pub(crate) last_error: Option<String>,
    /// It resumes with what it read before it was interrupted.
    pub(crate) resumes: bool,
}

/// `queue list --format json`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct Queue {
    /// Of the whole queue (of the PBX asked for), not only of this page.
    pub(crate) pending: usize,
    pub(crate) failed: usize,
    /// This page of it, oldest first.
    pub(crate) commands: Vec<QueuedCommand>,
    /// How many come after this page (`?after=` the last one's number shows them).
    #[serde(default, skip_serializing_if = "is_zero")]
    pub(crate) more: usize,
}

#[allow(clippy::trivially_copy_pass_by_ref)] // serde's `skip_serializing_if` lends it
fn is_zero(count: &usize) -> bool {
    *count == 0
}

impl Queue {
    /// A page of the journal, as `queue list` shows it.
    pub(crate) fn of_page(page: &crate::engine::Page, config: &crate::config::Config) -> Self {
        Self {
            pending: page.pending,
            failed: page.failed,
            more: page.more,
            ..Self::new(&page.entries, config)
        }
    }

    pub(crate) fn new(entries: &[Entry], config: &crate::config::Config) -> Self {
        let commands: Vec<QueuedCommand> = entries
            .iter()
            .map(|entry| QueuedCommand {
                pbx: config.pbx_label(&entry.command.action.rooms()),
                seq: entry.seq,
                status: match entry.status {
                    Status::Pending => QueueStatus::Pending,
                    Status::Failed => QueueStatus::Failed,
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
                resumes: entry.resumes(),
            })
            .collect();
        let pending = commands
            .iter()
            .filter(|c| c.status == QueueStatus::Pending)
            .count();
        Self {
            pending,
            failed: commands.len() - pending,
            commands,
            more: 0,
        }
    }
}
