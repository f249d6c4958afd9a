//! The one writer of commands built from data (a FIAS record, the resync, reconcile's fixes):
//! a `Request` of typed values becomes the statement the validator checks — built directly, not
//! parsed from text — and the line of the language that says the same (what the monitor shows,
//! the journal keeps and `recheck` reads again). Each value is one token by construction
//! (`value`), so no data can add a command, and `tests::written_lines_parse_to_their_statement`
//! holds the text and the statement to each other.

use std::borrow::Cow;
use std::fmt::Write as _;

use crate::diagnostics::Span;
use crate::lang::syntax::ast::{
    CheckInOption, Command, DidChoice, Flag, Spanned, Statement, WakeupChoice,
};
use crate::lang::syntax::value::{DidNumber, Extension, GuestName, LevelName, quote};
use crate::lang::validate::wakeup::{Clock, Wakeup};

/// A command to write.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Request {
    CheckIn {
        room: Extension,
        guest: GuestName,
        did: Option<DidValue>,
        level: Option<LevelName>,
        replace: bool,
    },
    CheckOut {
        room: Extension,
    },
    Cos {
        room: Extension,
        level: LevelName,
    },
    Move {
        from: Extension,
        to: Extension,
    },
    Rename {
        room: Extension,
        guest: GuestName,
    },
    /// `DID room n` (`Some`) or `DID room NONE`.
    Did {
        room: Extension,
        did: Option<DidNumber>,
    },
    Flag {
        flag: Flag,
        room: Extension,
        on: bool,
    },
    /// `WAKEUP room HH:MM YYYY-MM-DD`, `WAKEUP room CLEAR [HH:MM]`.
    Wakeup {
        room: Extension,
        change: WakeupWrite,
    },
}

/// A wake-up to write: its time and date as the language writes them (made from typed values
/// only, so each is one token).
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum WakeupWrite {
    Book { time: String, date: String },
    Clear { time: Option<String> },
}

impl WakeupWrite {
    pub(crate) fn book(at: Wakeup) -> Self {
        Self::Book {
            time: at.clock.to_string(),
            date: at.date.format("%Y-%m-%d").to_string(),
        }
    }

    pub(crate) fn clear(clock: Option<Clock>) -> Self {
        Self::Clear {
            time: clock.map(|clock| clock.to_string()),
        }
    }
}

/// The DID of a check-in (`DID AUTO` is for people: data names its number).
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum DidValue {
    Number(DidNumber),
}

/// A request written: its line, and the statement it is, with spans into the line (which starts
/// at file offset `offset`).
#[derive(Debug)]
pub(crate) struct Written<'r> {
    pub(crate) text: String,
    pub(crate) statement: Statement<'r>,
}

impl Request {
    /// The rooms it names, in order.
    #[cfg(test)]
    pub(crate) fn rooms(&self) -> Vec<&Extension> {
        match self {
            Self::CheckIn { room, .. }
            | Self::CheckOut { room }
            | Self::Cos { room, .. }
            | Self::Rename { room, .. }
            | Self::Did { room, .. }
            | Self::Flag { room, .. }
            | Self::Wakeup { room, .. } => vec![room],
            Self::Move { from, to } => vec![from, to],
        }
    }

    /// Its keyword.
    pub(crate) fn keyword(&self) -> &'static str {
        match self {
            Self::CheckIn { .. } => "CHECKIN",
            Self::CheckOut { .. } => "CHECKOUT",
            Self::Cos { .. } => "COS",
            Self::Move { .. } => "MOVE",
            Self::Rename { .. } => "RENAME",
            Self::Did { .. } => "DID",
            Self::Flag { flag, .. } => flag.keyword(),
            Self::Wakeup { .. } => "WAKEUP",
        }
    }

    /// Writes the request as one line starting at file offset `offset`.
    pub(crate) fn write(&self, offset: usize) -> Written<'_> {
        let mut line = Line {
            text: String::new(),
            offset,
        };
        let start = line.word(self.keyword()).start;
        let command = match self {
            Self::CheckIn {
                room,
                guest,
                did,
                level,
                replace,
            } => {
                let room = line.token(room.as_str());
                let guest = line.name(guest);
                let mut options = Vec::new();
                if let Some(did) = did {
                    let keyword = line.word("DID");
                    let DidValue::Number(n) = did;
                    let (node, value) = (DidChoice::Number(n.as_str()), line.word(n.as_str()));
                    options.push(CheckInOption::Did(Spanned {
                        node,
                        span: keyword.to(value),
                    }));
                }
                if let Some(level) = level {
                    line.word("COS");
                    options.push(CheckInOption::Cos(line.token(level.as_str())));
                }
                if *replace {
                    options.push(CheckInOption::Replace(line.word("REPLACE")));
                }
                Command::CheckIn {
                    room,
                    guest,
                    options,
                }
            }
            Self::CheckOut { room } => Command::CheckOut {
                room: line.token(room.as_str()),
            },
            Self::Cos { room, level } => Command::Cos {
                room: line.token(room.as_str()),
                level: line.token(level.as_str()),
            },
            Self::Move { from, to } => Command::Move {
                from: line.token(from.as_str()),
                to: line.token(to.as_str()),
            },
            Self::Rename { room, guest } => Command::Rename {
                room: line.token(room.as_str()),
                guest: line.name(guest),
            },
            Self::Did { room, did } => {
                let room = line.token(room.as_str());
                let did = match did {
                    Some(n) => Spanned {
                        node: DidChoice::Number(n.as_str()),
                        span: line.word(n.as_str()),
                    },
                    None => Spanned {
                        node: DidChoice::None,
                        span: line.word("NONE"),
                    },
                };
                Command::Did { room, did }
            }
            Self::Flag { flag, room, on } => {
                let room = line.token(room.as_str());
                line.word(if *on { "ON" } else { "OFF" });
                Command::Flag {
                    flag: *flag,
                    room,
                    on: *on,
                }
            }
            Self::Wakeup { room, change } => {
                let room = line.token(room.as_str());
                let wakeup = match change {
                    WakeupWrite::Book { time, date } => WakeupChoice::At {
                        time: line.token(time),
                        date: Some(line.token(date)),
                    },
                    WakeupWrite::Clear { time } => WakeupChoice::Clear {
                        span: line.word("CLEAR"),
                        time: time.as_deref().map(|time| line.token(time)),
                    },
                };
                Command::Wakeup { room, wakeup }
            }
        };
        let end = line.offset + line.text.len();
        Written {
            text: line.text,
            statement: Statement {
                command,
                span: Span::new(start, end),
            },
        }
    }
}

/// A line being written: tokens separated by one blank.
struct Line {
    text: String,
    offset: usize,
}

impl Line {
    /// Appends a word; its span.
    fn word(&mut self, word: &str) -> Span {
        if !self.text.is_empty() {
            self.text.push(' ');
        }
        let start = self.offset + self.text.len();
        self.text.push_str(word);
        Span::new(start, self.offset + self.text.len())
    }

    fn token<'r>(&mut self, token: &'r str) -> Spanned<&'r str> {
        Spanned {
            span: self.word(token),
            node: token,
        }
    }

    /// A quoted name; the span covers the quotes (as the parser's).
    fn name<'r>(&mut self, guest: &'r GuestName) -> Spanned<Cow<'r, str>> {
        let quoted = quote(guest.as_str());
        Spanned {
            span: self.word(&quoted),
            node: Cow::Borrowed(guest.as_str()),
        }
    }
}

/// Requests as a script, one line each (for a fix script written to a file).
pub(crate) fn script(requests: &[Request]) -> String {
    let mut out = String::new();
    for request in requests {
        let _ = writeln!(out, "{}", request.write(0).text);
    }
    out
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;
    use crate::lang::syntax::parse_line;

    fn ext(text: &str) -> Extension {
        Extension::new(text).unwrap()
    }

    #[test]
    fn a_check_in_is_written_as_the_readme_writes_it() {
        let request = Request::CheckIn {
            room: ext("1000"),
            guest: GuestName::new("O\"Neil\\", "Al; CHECKOUT 1004 #").unwrap(),
            did: Some(DidValue::Number(DidNumber::new("3001").unwrap())),
            level: Some(LevelName::new("LOCAL").unwrap()),
            replace: true,
        };
        let written = request.write(7);
        assert_eq!(
            written.text,
            r#"CHECKIN 1000 "O\"Neil\\,Al; CHECKOUT 1004 #" DID 3001 COS LOCAL REPLACE"#
        );
        let parsed = parse_line(&written.text, 7).unwrap();
        assert_eq!(parsed, vec![written.statement]);
    }

    fn extension() -> impl Strategy<Value = Extension> {
        "[0-9]{1,8}".prop_map(|t| ext(&t))
    }

    fn guest() -> impl Strategy<Value = GuestName> {
        any::<String>().prop_filter_map("a name", |t| GuestName::whole(&t).ok())
    }

    fn level() -> impl Strategy<Value = LevelName> {
        "[A-Za-z_][A-Za-z0-9_-]{0,8}".prop_map(|t| LevelName::new(&t).unwrap())
    }

    fn did() -> impl Strategy<Value = DidNumber> {
        "[0-9]{1,8}".prop_map(|t| DidNumber::new(&t).unwrap())
    }

    fn request() -> impl Strategy<Value = Request> {
        prop_oneof![
            (
                extension(),
                guest(),
                prop::option::of(did().prop_map(DidValue::Number)),
                prop::option::of(level()),
                any::<bool>()
            )
                .prop_map(|(room, guest, did, level, replace)| Request::CheckIn {
                    room,
                    guest,
                    did,
                    level,
                    replace
                }),
            extension().prop_map(|room| Request::CheckOut { room }),
            (extension(), level()).prop_map(|(room, level)| Request::Cos { room, level }),
            (extension(), extension()).prop_map(|(from, to)| Request::Move { from, to }),
            (extension(), guest()).prop_map(|(room, guest)| Request::Rename { room, guest }),
            (extension(), prop::option::of(did()))
                .prop_map(|(room, did)| Request::Did { room, did }),
            (
                prop_oneof![Just(Flag::MessageWaiting), Just(Flag::DoNotDisturb)],
                extension(),
                any::<bool>()
            )
                .prop_map(|(flag, room, on)| Request::Flag { flag, room, on }),
        ]
    }

    proptest! {
        /// Whatever the values hold, the line is exactly one command, and it is the statement.
        #[test]
        fn written_lines_parse_to_their_statement(request in request(), offset in 0usize..1000) {
            let written = request.write(offset);
            prop_assert!(!written.text.contains('\n'));
            let parsed = parse_line(&written.text, offset).expect("a written line parses");
            prop_assert_eq!(parsed, vec![written.statement]);
        }
    }
}
