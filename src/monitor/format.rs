//! How operations, values and results look in the monitor: one line per operation, in the
//! columns of the vendor's "Script Interpreter" monitor (room, command, operation, fields).

use std::fmt::Write as _;

use crate::lower::ops::{Field, Op, Value};

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
