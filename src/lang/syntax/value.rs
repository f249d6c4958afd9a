//! Typed values for commands built from data rather than typed by a person (a FIAS record, a
//! reconcile difference, the resync): each is checked when it is made, so that whatever the data
//! held, its text in a command is one token of the language — never a `;`, a `#`, a quote or a
//! line break that would start another command.

use std::fmt::{self, Display, Formatter};

/// The most digits a directory number or DID may have here. The validator applies the PBX's
/// own, smaller limits with a diagnostic; this one only keeps absurd values out of messages.
const MAX_DIGITS: usize = 26;
/// The most characters a guest name may have here (the PBX's fields are far shorter; the
/// validator cuts to them with a warning).
const MAX_NAME: usize = 256;

/// Why a value was refused.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum ValueError {
    Empty,
    /// Something other than the digits 0-9 (the first such character).
    NotDigits(char),
    /// More characters than the value may have.
    TooLong {
        length: usize,
        limit: usize,
    },
    /// A control character (a line break, NUL, ...).
    ControlCharacter(char),
    /// Not a level name (`ALLOW`, `BLOCK`, a word of letters, digits, `_` and `-`).
    NotALevel,
    /// Not a time of day (`HHMMSS`).
    NotATime,
    /// Not a date (`YYMMDD`).
    NotADate,
}

impl Display for ValueError {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        match self {
            Self::Empty => f.write_str("it is empty"),
            Self::NotDigits(c) => write!(f, "it holds {} where only digits may be", Shown(*c)),
            Self::TooLong { length, limit } => {
                write!(f, "it has {length} characters, at most {limit} are taken")
            }
            Self::ControlCharacter(c) => write!(f, "it holds the control character {}", Shown(*c)),
            Self::NotALevel => f.write_str("it is not a level name"),
            Self::NotATime => f.write_str("it is not a time of day"),
            Self::NotADate => f.write_str("it is not a date"),
        }
    }
}

/// A character as a message shows it: printable ones quoted, others as `U+XXXX`.
struct Shown(char);

impl Display for Shown {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        if self.0.is_control() || self.0.is_whitespace() {
            write!(f, "U+{:04X}", u32::from(self.0))
        } else {
            write!(f, "`{}`", self.0)
        }
    }
}

fn digits(text: &str) -> Result<String, ValueError> {
    if text.is_empty() {
        return Err(ValueError::Empty);
    }
    if let Some(c) = text.chars().find(|c| !c.is_ascii_digit()) {
        return Err(ValueError::NotDigits(c));
    }
    if text.len() > MAX_DIGITS {
        return Err(ValueError::TooLong {
            length: text.len(),
            limit: MAX_DIGITS,
        });
    }
    Ok(text.to_owned())
}

/// A room's directory number: ASCII digits.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub(crate) struct Extension(String);

impl Extension {
    pub(crate) fn new(text: &str) -> Result<Self, ValueError> {
        digits(text).map(Self)
    }

    pub(crate) fn as_str(&self) -> &str {
        &self.0
    }
}

impl Display for Extension {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A DID service number: ASCII digits.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub(crate) struct DidNumber(String);

impl DidNumber {
    pub(crate) fn new(text: &str) -> Result<Self, ValueError> {
        digits(text).map(Self)
    }

    pub(crate) fn as_str(&self) -> &str {
        &self.0
    }
}

/// A level of class of service, as the language writes it.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub(crate) struct LevelName(String);

impl LevelName {
    pub(crate) fn new(text: &str) -> Result<Self, ValueError> {
        let mut chars = text.chars();
        match chars.next() {
            None => Err(ValueError::Empty),
            Some(first)
                if (first.is_ascii_alphabetic() || first == '_')
                    && chars.all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-') =>
            {
                Ok(Self(text.to_owned()))
            }
            Some(_) => Err(ValueError::NotALevel),
        }
    }

    pub(crate) fn as_str(&self) -> &str {
        &self.0
    }
}

/// A guest's name, `Last,First` or `Last`, as the language carries it (unquoted): no control
/// character, so that quoted it stays on its line.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub(crate) struct GuestName(String);

impl GuestName {
    /// `last` and `first` (either may be empty; the validator refuses an empty last name).
    pub(crate) fn new(last: &str, first: &str) -> Result<Self, ValueError> {
        let (last, first) = (last.trim(), first.trim());
        let text = if first.is_empty() {
            last.to_owned()
        } else {
            format!("{last},{first}")
        };
        Self::whole(&text)
    }

    /// A name already written as `Last,First`.
    pub(crate) fn whole(text: &str) -> Result<Self, ValueError> {
        if text.trim().is_empty() {
            return Err(ValueError::Empty);
        }
        if let Some(c) = text.chars().find(|c| c.is_control()) {
            return Err(ValueError::ControlCharacter(c));
        }
        let length = text.chars().count();
        if length > MAX_NAME {
            return Err(ValueError::TooLong {
                length,
                limit: MAX_NAME,
            });
        }
        Ok(Self(text.to_owned()))
    }

    pub(crate) fn as_str(&self) -> &str {
        &self.0
    }
}

/// The language's one quoting of a name: in double quotes, `\` and `"` escaped (the grammar's
/// only escapes).
pub(crate) fn quote(name: &str) -> String {
    let mut out = String::with_capacity(name.len() + 2);
    out.push('"');
    for c in name.chars() {
        if matches!(c, '"' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out.push('"');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_digits_are_extensions() {
        assert_eq!(Extension::new("1000").unwrap().as_str(), "1000");
        assert_eq!(
            Extension::new("1000;CHECKOUT 1001"),
            Err(ValueError::NotDigits(';'))
        );
        assert_eq!(Extension::new(""), Err(ValueError::Empty));
        assert_eq!(Extension::new(" 1000"), Err(ValueError::NotDigits(' ')));
        assert!(matches!(
            Extension::new(&"1".repeat(200)),
            Err(ValueError::TooLong { length: 200, .. })
        ));
        assert_eq!(
            ValueError::NotDigits('\n').to_string(),
            "it holds U+000A where only digits may be"
        );
    }

    #[test]
    fn names_refuse_control_characters_and_quote_the_rest() {
        assert_eq!(
            GuestName::new("Solo", "Alina").unwrap().as_str(),
            "Solo,Alina"
        );
        assert_eq!(GuestName::new(" Solo ", "").unwrap().as_str(), "Solo");
        assert_eq!(
            GuestName::new("A\nCHECKOUT 1", ""),
            Err(ValueError::ControlCharacter('\n'))
        );
        assert_eq!(
            GuestName::new("", "\u{0}"),
            Err(ValueError::ControlCharacter('\u{0}'))
        );
        assert_eq!(GuestName::new(" ", ""), Err(ValueError::Empty));
        assert_eq!(
            quote(r#"O"Neil\"; CHECKOUT 1004 #"#),
            r#""O\"Neil\\\"; CHECKOUT 1004 #""#
        );
    }

    #[test]
    fn levels_are_words() {
        assert!(LevelName::new("LOCAL").is_ok());
        assert!(LevelName::new("night_2-b").is_ok());
        assert_eq!(LevelName::new("A B"), Err(ValueError::NotALevel));
        assert_eq!(LevelName::new("1A"), Err(ValueError::NotALevel));
        assert_eq!(LevelName::new(""), Err(ValueError::Empty));
    }
}
