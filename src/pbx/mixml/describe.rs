//! How MiXML operations and values look to people (the monitor, `plan`) and to programs
//! (`--format json`): the MiXML driver describes its steps in these words; the monitor prints
//! them without knowing the wire.

use std::borrow::Cow;
use std::fmt::Write as _;

use serde::Serialize;

use crate::engine::{Record, RecordField, Shown, Snapshot};
use crate::lang::validate::Command;
use crate::monitor::format::{quoted, room as room_column};
use crate::pbx::mixml::lower::ops::{Expectation, Field, Op, Value};
use crate::pbx::mixml::wire::{self, Password};

/// `"Solo"`, `empty`, `1`, `on`, `$1.Service Label`.
pub(crate) fn value(value: &Value<'_>) -> String {
    match value {
        Value::Text(text) => quoted(text),
        Value::Empty => "empty".into(),
        Value::Cor(cor) => cor.to_string(),
        Value::Flag(on) => if *on { "on" } else { "off" }.into(),
        Value::Read(id, field) => format!("{id}.{field}"),
        Value::Wakeups(id, change) => match change {
            crate::lang::validate::wakeup::WakeupChange::Book(at) => {
                format!("{id}.Wake-up Times + {at}")
            }
            crate::lang::validate::wakeup::WakeupChange::Clear(Some(clock)) => {
                format!("{id}.Wake-up Times - {clock}")
            }
            crate::lang::validate::wakeup::WakeupChange::Clear(None) => "empty".into(),
        },
    }
}

/// `set  Service Details  COR Day=1, COR Night 1=1, ...` (without the room).
pub(crate) fn operation(op: &Op<'_>) -> String {
    let mut out = String::new();
    match op {
        Op::Read {
            form, fields, into, ..
        } => {
            let names: Vec<&str> = fields.iter().map(|f| f.label()).collect();
            write!(
                out,
                "read {:<15}  {} -> {into}",
                form.label(),
                names.join(", ")
            )
        }
        Op::Set { form, values, .. } => {
            let shown: Vec<String> = values
                .iter()
                .map(|(field, v)| format!("{}={}", field.label(), value(v)))
                .collect();
            write!(out, "set  {:<15}  {}", form.label(), shown.join(", "))
        }
        Op::FindFreeDid { range, into } => {
            write!(out, "find free DID     in {range} -> {into}")
        }
        Op::ExpectDidFree { room, did } => {
            write!(out, "check DID {did} is free (or already {room}'s)")
        }
        Op::Expect(Expectation::Occupied { room, profile }) => {
            write!(out, "check room {room} has a guest ({profile})")
        }
        Op::Expect(Expectation::Vacant { room, profile }) => {
            write!(out, "check room {room} is vacant ({profile})")
        }
        Op::SkipIf {
            holds: Expectation::Occupied { room, profile },
            count,
        } => write!(
            out,
            "skip the next {count} if room {room} has a guest ({profile})"
        ),
        Op::SkipIf {
            holds: Expectation::Vacant { room, profile },
            count,
        } => write!(
            out,
            "skip the next {count} if room {room} is vacant ({profile})"
        ),
        Op::SystemInfo => write!(out, "info system"),
    }
    .expect("writing to a String cannot fail");
    out
}

/// A value as sent on the wire, shown for people: numbers and flags bare, text quoted.
pub(crate) fn sent_value(field: Field, text: &str) -> String {
    let mut out = String::new();
    push_sent_value(&mut out, field, text);
    out
}

/// `sent_value`, written at the end of `out`.
fn push_sent_value(out: &mut String, field: Field, text: &str) {
    match field {
        Field::CorDay | Field::CorNight1 | Field::CorNight2 => out.push_str(text),
        Field::UseDidForOutgoingCalls => {
            let on = text == crate::pbx::mixml::wire::names::TRUE;
            out.push_str(if on { "on" } else { "off" });
        }
        _ if text.is_empty() => out.push_str("empty"),
        // As `quoted`, without a string of its own.
        _ => write!(out, "{text:?}").expect("writing to a String cannot fail"),
    }
}

/// `Last Name="Solo", COR Day=1, ...` of values as sent: written into one string, as the
/// monitor shows one for every step (issue 25).
pub(crate) fn sent(values: &[(Field, String)]) -> String {
    let mut out = String::with_capacity(32 * values.len());
    for (index, (field, text)) in values.iter().enumerate() {
        if index > 0 {
            out.push_str(", ");
        }
        out.push_str(field.label());
        out.push('=');
        push_sent_value(&mut out, *field, text);
    }
    out
}

/// A value as sent, for programs: the text the PBX stores, flags as `on`/`off`.
pub(crate) fn machine_value(field: Field, text: &str) -> String {
    match field {
        Field::UseDidForOutgoingCalls => sent_value(field, text),
        _ => text.to_owned(),
    }
}

/// Values as sent, for programs, labelled.
pub(crate) fn machine(values: &[(Field, String)]) -> Vec<Shown> {
    values
        .iter()
        .map(|(field, text)| (field.label(), machine_value(*field, text)))
        .collect()
}

/// `SHOW`'s record: the Service Label, then every other field read, in the form's order.
pub(crate) fn record(values: &[(Field, String)]) -> Record {
    let value = |field: Field| {
        values
            .iter()
            .find(|(f, _)| *f == field)
            .map(|(_, v)| v.as_str())
    };
    let text = |field: Field| value(field).unwrap_or("").to_owned();
    let cor = |field: Field| value(field).and_then(|c| c.parse().ok());
    Record {
        label: value(Field::ServiceLabel).map(str::to_owned),
        snapshot: Some(Snapshot {
            last_name: text(Field::LastName),
            first_name: text(Field::FirstName),
            directory_name: text(Field::DirectoryName),
            cor: [
                cor(Field::CorDay),
                cor(Field::CorNight1),
                cor(Field::CorNight2),
            ],
            did: Some(text(Field::DidServiceNumber)),
        }),
        fields: Field::ALL
            .into_iter()
            .filter(|field| *field != Field::ServiceLabel)
            .filter_map(|field| {
                value(field).map(|text| RecordField {
                    field: field.label(),
                    shown: sent_value(field, text),
                    value: machine_value(field, text),
                })
            })
            .collect(),
    }
}

/// The session header shown in dry-run envelopes.
const SESSION_PLACEHOLDER: &str = "{session}";

/// The dry run of one command: `origin` (`file:line`), the command as written, then one line
/// per operation and, with `raw`, each operation's envelope. Values that only the PBX knows
/// appear as references to the read that will fetch them (`$1.Service Label`).
pub(crate) fn plan(origin: &str, command: &Command, ops: &[Op<'_>], raw: bool) -> String {
    let mut out = format!("{origin}  {}\n", command.text);
    let keyword = command.action.keyword();
    for op in ops {
        let room = op.room().unwrap_or(command.action.room());
        writeln!(
            out,
            "{}  {keyword:<8}  {}",
            room_column(room),
            operation(op)
        )
        .expect("writing to a String cannot fail");
        let placeholder = |id, field| Cow::Owned(format!("{{{id}.{field}}}"));
        if raw && let Some(request) = wire::request_for(op, &placeholder) {
            for line in request
                .envelope(Some(SESSION_PLACEHOLDER), Password::Mask)
                .lines()
            {
                writeln!(out, "        {line}").expect("writing to a String cannot fail");
            }
        }
    }
    out
}

/// One field and its value in a plan. `value` is the text as the PBX stores it (`""` for empty,
/// `1` for a COR, `on`/`off` for a flag); `from_read` names the read a value comes from.
#[derive(Debug, Serialize)]
pub(crate) struct PlannedField {
    /// The field's label (`Last Name`).
    pub(crate) field: &'static str,
    /// Where its value comes from (nothing for a field a read asks for).
    #[serde(flatten)]
    pub(crate) source: Option<Source>,
}

/// The value a set sends, as a plan knows it.
#[derive(Debug, Serialize)]
#[serde(rename_all = "snake_case")]
pub(crate) enum Source {
    /// Known before the PBX is asked.
    Value(String),
    /// What a read of the command returns (`$1.Service Label`).
    FromRead(String),
}

/// One operation of a plan.
#[derive(Debug, Serialize)]
pub(crate) struct PlannedOperation {
    pub(crate) room: Option<String>,
    /// `read`, `set`, `find`, `check`, `info`.
    pub(crate) verb: &'static str,
    /// The whole operation as the text monitor shows it.
    pub(crate) operation: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) form: Option<&'static str>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub(crate) fields: Vec<PlannedField>,
    /// For reads and searches: the name later operations use (`$1`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) into: Option<String>,
}

/// `plan --format json`: one line per command.
#[derive(Debug, Serialize)]
pub(crate) struct PlannedCommand {
    #[serde(rename = "type")]
    pub(crate) kind: &'static str,
    pub(crate) origin: String,
    pub(crate) line: usize,
    pub(crate) command: String,
    pub(crate) keyword: &'static str,
    pub(crate) rooms: Vec<String>,
    pub(crate) operations: Vec<PlannedOperation>,
}

impl PlannedCommand {
    pub(crate) fn new(origin: &str, command: &Command, ops: &[Op<'_>]) -> Self {
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

fn planned_value(field: Field, value: &Value<'_>) -> PlannedField {
    let source = match value {
        Value::Text(text) => Source::Value((*text).to_owned()),
        Value::Empty => Source::Value(String::new()),
        Value::Cor(cor) => Source::Value(cor.to_string()),
        Value::Flag(on) => Source::Value(if *on { "on" } else { "off" }.to_owned()),
        Value::Read(id, from) => Source::FromRead(format!("{id}.{from}")),
        Value::Wakeups(..) => Source::FromRead(self::value(value)),
    };
    PlannedField {
        field: field.label(),
        source: Some(source),
    }
}

/// An operation as a plan's JSON shows it; also the fields of a step of the monitor.
pub(crate) fn planned(op: &Op<'_>) -> PlannedOperation {
    let (form, fields, into) = match op {
        Op::Read {
            form, fields, into, ..
        } => (
            Some(form.label()),
            fields
                .iter()
                .map(|f| PlannedField {
                    field: f.label(),
                    source: None,
                })
                .collect(),
            Some(into.to_string()),
        ),
        Op::Set { form, values, .. } => (
            Some(form.label()),
            values.iter().map(|(f, v)| planned_value(*f, v)).collect(),
            None,
        ),
        Op::FindFreeDid { into, .. } => (None, Vec::new(), Some(into.to_string())),
        Op::ExpectDidFree { .. }
        | Op::Expect(Expectation::Occupied { .. } | Expectation::Vacant { .. })
        | Op::SkipIf { .. }
        | Op::SystemInfo => (None, Vec::new(), None),
    };
    PlannedOperation {
        room: op.room().map(str::to_owned),
        verb: op.verb(),
        operation: operation(op),
        form,
        fields,
        into,
    }
}
