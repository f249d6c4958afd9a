//! Why a record from the PMS is refused, and the checks every record passes before it is mapped.
//! A PMS is trusted to say who is in which room, not to run commands: a record with a control
//! character in any field, bytes that are not text of the code page, a field it must have once
//! given twice with different values, or a room that is not an extension changes nothing, and
//! is reported with its reason.

use std::fmt::{self, Display, Formatter};

use crate::config::Codepage;
use crate::inputs::fias::record::{Record, push_shown};
use crate::lang::syntax::ValueError;

/// Fields that may repeat: `GS` follows each room of a move.
const REPEATABLE: [&str; 1] = ["GS"];

/// Why a record was refused.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Refusal {
    /// Bytes that are not text of the configured code page.
    Undecodable { codepage: Codepage },
    /// A field holds a control character (a line break, NUL, ...).
    ControlCharacter { id: String, character: char },
    /// A field that may appear once has two different values.
    Repeated { id: String },
    /// A field's value is not what it must be.
    Field {
        id: &'static str,
        what: &'static str,
        problem: ValueError,
    },
}

impl Display for Refusal {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        match self {
            Self::Undecodable { codepage } => write!(
                f,
                "it has bytes that are not {codepage} text; is `[fias] codepage` the PMS's code page?"
            ),
            Self::ControlCharacter { id, character } => write!(
                f,
                "field {id} holds the control character U+{:04X}",
                u32::from(*character)
            ),
            Self::Repeated { id } => {
                write!(f, "field {id} is given twice with different values")
            }
            Self::Field { id, what, problem } => {
                write!(f, "field {id} is not {what}: {problem}")
            }
        }
    }
}

/// The checks of every record, before it means anything.
pub(crate) fn screen(record: &Record, codepage: Codepage) -> Result<(), Refusal> {
    if record.undecodable {
        return Err(Refusal::Undecodable { codepage });
    }
    for (index, (id, value)) in record.fields.iter().enumerate() {
        if let Some(character) = value.chars().chain(id.chars()).find(|c| c.is_control()) {
            return Err(Refusal::ControlCharacter {
                id: shown_id(id),
                character,
            });
        }
        if !REPEATABLE.contains(&id.as_str())
            && record.fields[..index]
                .iter()
                .any(|(earlier, other)| earlier == id && other.trim() != value.trim())
        {
            return Err(Refusal::Repeated { id: shown_id(id) });
        }
    }
    Ok(())
}

fn shown_id(id: &str) -> String {
    let mut shown = String::new();
    push_shown(&mut shown, id, 2);
    shown
}

#[cfg(test)]
mod tests {
    use super::*;

    fn screened(bytes: &[u8]) -> Result<(), Refusal> {
        let codepage = Codepage::default();
        screen(&Record::parse(bytes, codepage).unwrap(), codepage)
    }

    #[test]
    fn control_characters_repeats_and_bad_bytes_are_refused() {
        assert_eq!(screened(b"GI|RN1000|G#1|GNSolo|GS|GS|"), Ok(()));
        assert_eq!(
            screened(b"GI|RN1000|G#1\nCHECKOUT 1001|"),
            Err(Refusal::ControlCharacter {
                id: "G#".into(),
                character: '\n'
            })
        );
        assert_eq!(
            screened(b"GI|RN1000|GNA\x00|"),
            Err(Refusal::ControlCharacter {
                id: "GN".into(),
                character: '\0'
            })
        );
        assert_eq!(
            screened(b"GO|RN1000|RN1001|"),
            Err(Refusal::Repeated { id: "RN".into() })
        );
        assert_eq!(
            screened(b"GO|RN1000|RN1000|"),
            Ok(()),
            "the same value twice"
        );
        // windows-1252 leaves 0x81 undefined: a C1 control once decoded.
        assert!(matches!(
            screened(b"GI|RN1000|GNBad\x81|"),
            Err(Refusal::ControlCharacter { .. })
        ));
        let utf8 = Codepage::Web(encoding_rs::UTF_8);
        let record = Record::parse(b"GI|RN1|GN\xff|", utf8).unwrap();
        assert_eq!(
            screen(&record, utf8).unwrap_err().to_string(),
            "it has bytes that are not utf-8 text; is `[fias] codepage` the PMS's code page?"
        );
    }
}
