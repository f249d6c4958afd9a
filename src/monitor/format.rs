//! How operations, values and results look in the monitor: one line per operation, in the
//! columns of the vendor's "Script Interpreter" monitor (room, command, operation, fields).

use std::fmt::Write as _;

use crate::lower::ops::{Expectation, Field, Op, Value};

/// `"Solo"`, `empty`, `1`, `on`, `$1.Service Label`.
pub fn value(value: &Value<'_>) -> String {
    match value {
        Value::Text(text) => quoted(text),
        Value::Empty => "empty".into(),
        Value::Cor(cor) => cor.to_string(),
        Value::Flag(on) => if *on { "on" } else { "off" }.into(),
        Value::Read(id, field) => format!("{id}.{field}"),
    }
}

/// A string in double quotes with `"` and `\` escaped and control characters visible.
pub fn quoted(text: &str) -> String {
    format!("{text:?}")
}

/// `set  Service Details  COR Day=1, COR Night 1=1, ...` (without the room).
pub fn operation(op: &Op<'_>) -> String {
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
        Op::SystemInfo => write!(out, "info system"),
    }
    .expect("writing to a String cannot fail");
    out
}

/// The room column: right-aligned to the longest directory number (7 digits).
pub fn room(room: &str) -> String {
    format!("{room:>7}")
}

/// A value as sent on the wire, shown for people: numbers and flags bare, text quoted.
pub fn sent_value(field: Field, text: &str) -> String {
    match field {
        Field::CorDay | Field::CorNight1 | Field::CorNight2 => text.to_owned(),
        Field::UseDidForOutgoingCalls => if text == crate::mixml::names::TRUE {
            "on"
        } else {
            "off"
        }
        .to_owned(),
        _ if text.is_empty() => "empty".to_owned(),
        _ => quoted(text),
    }
}

/// `Last Name="Solo", COR Day=1, ...` of values as sent.
pub fn sent(values: &[(Field, String)]) -> String {
    values
        .iter()
        .map(|(field, text)| format!("{}={}", field.label(), sent_value(*field, text)))
        .collect::<Vec<_>>()
        .join(", ")
}

/// The header of `hotelcare rooms`.
pub fn room_state_header() -> String {
    format!(
        "{:>7}  {:<8}  {:<22}  {:<12}  {:<8}  last command",
        "room", "state", "guest", "COR", "DID"
    )
}

/// One room of `hotelcare rooms`; `levels` names the levels a COR stands for.
pub fn room_state(
    room: &str,
    state: &crate::engine::RoomState,
    levels: &dyn Fn(u8) -> Vec<String>,
) -> String {
    let guest = state
        .guest
        .as_ref()
        .map_or_else(String::new, |g| quoted(&g.directory_name));
    let cor = state.cor.map_or_else(String::new, |cor| {
        let names = levels(cor);
        if names.is_empty() {
            cor.to_string()
        } else {
            format!("{cor} ({})", names.join("/"))
        }
    });
    let last = state.last.as_ref().map_or_else(String::new, |last| {
        let at = chrono::DateTime::from_timestamp(i64::try_from(last.at).unwrap_or(0), 0)
            .map(|t| {
                t.with_timezone(&chrono::Local)
                    .format("%Y-%m-%d %H:%M:%S")
                    .to_string()
            })
            .unwrap_or_default();
        format!("#{} {} ({}) {at}", last.seq, last.keyword, last.origin)
    });
    format!(
        "{room:>7}  {:<8}  {guest:<22}  {cor:<12}  {:<8}  {last}",
        if state.occupied { "occupied" } else { "vacant" },
        state.did.as_deref().unwrap_or("-"),
    )
}

/// A journal entry for `queue list` and the REPL's `.queue`: number, status, rooms, command,
/// origin, attempts, last error.
pub fn entry(entry: &crate::engine::Entry) -> String {
    let status = match entry.status {
        crate::engine::Status::Pending => "pending",
        crate::engine::Status::Failed => "failed",
    };
    let mut out = format!(
        "#{:<6} {status:<8} room {:<7}  {}  ({}, {})\n",
        entry.seq,
        entry.command.action.rooms().join("->"),
        entry.command.text,
        entry.origin,
        crate::diagnostics::Count(entry.attempts as usize, "failed attempt")
    );
    if let Some(error) = &entry.last_error {
        writeln!(out, "        last error: {error}").expect("writing to a String cannot fail");
    }
    if !entry.reads.is_empty() {
        writeln!(
            out,
            "        (it resumes with what it read before it was interrupted)"
        )
        .expect("writing to a String cannot fail");
    }
    out
}
