//! Values from outside (a PMS record, a file name, a client's `source`) as a log line or the
//! monitor may show them: one line whatever they hold, control and bidirectional characters
//! escaped (`\u{a}`, `\u{202e}`), so that no value can forge a line or turn its text around.

use std::fmt::Write as _;

/// `value` escaped (see the module documentation).
pub(crate) fn escaped(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    push(&mut out, value, usize::MAX);
    out
}

/// A path from outside (a spool file's name), escaped like any other value.
pub(crate) fn path(path: &std::path::Path) -> String {
    escaped(&path.display().to_string())
}

/// Appends `value` with at most `limit` characters, each escaped if it could break a log line
/// or turn its text around (`|` too: it separates a FIAS record's fields); a cut is marked `…`.
pub(crate) fn push(out: &mut String, value: &str, limit: usize) {
    for (index, c) in value.chars().enumerate() {
        if index == limit {
            out.push('…');
            return;
        }
        if c == '|' || c.is_control() || is_bidi(c) {
            let _ = write!(out, "\\u{{{:x}}}", u32::from(c));
        } else {
            out.push(c);
        }
    }
}

/// Characters that change the direction of the text around them.
fn is_bidi(c: char) -> bool {
    matches!(c, '\u{200e}' | '\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nothing_outside_can_forge_a_line_or_turn_it_around() {
        assert_eq!(escaped("a\nb"), "a\\u{a}b");
        assert_eq!(escaped("x\u{202e}cod.hc"), "x\\u{202e}cod.hc");
        assert_eq!(escaped("Müller"), "Müller");
        let mut cut = String::new();
        push(&mut cut, "abcdef", 3);
        assert_eq!(cut, "abc…");
    }
}
