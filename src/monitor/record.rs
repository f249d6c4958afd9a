//! `SHOW`: one room's record, readable.

use std::fmt::Write as _;

use crate::engine::journal::Reads;
use crate::lower::ops::Field;
use crate::monitor::format;

/// The fields `SHOW` read, one per line, in the order of the PBX's form.
pub fn render_room(room: &str, reads: &Reads) -> String {
    let value = |field: Field| {
        reads
            .values()
            .flatten()
            .find(|(f, _)| *f == field)
            .map(|(_, v)| v.as_str())
    };
    let mut out = format!("room {room}");
    if let Some(label) = value(Field::ServiceLabel) {
        write!(out, " ({})", format::quoted(label)).expect("String");
    }
    out.push('\n');
    for field in Field::ALL {
        if field == Field::ServiceLabel {
            continue;
        }
        if let Some(text) = value(field) {
            writeln!(
                out,
                "  {:<27} {}",
                field.label(),
                format::sent_value(field, text)
            )
            .expect("String");
        }
    }
    out.trim_end().to_owned()
}
