//! The rustyline helper: completion of keywords, levels and extensions, inline hints of a
//! command's arguments, and syntax highlighting. Every input line is "complete" (the language is
//! one command per line), so an unfinished command is submitted and reported with a caret, as in
//! a script.

use std::borrow::Cow;
use std::sync::{Arc, Mutex, PoisonError};

use rustyline::completion::{Completer, Pair};
use rustyline::highlight::{CmdKind, Highlighter};
use rustyline::hint::Hinter;
use rustyline::validate::Validator;
use rustyline::{Context, Helper};

use crate::inputs::repl::directive;
use crate::lang::syntax::keywords::{self, COMMANDS};

/// What the helper completes from.
pub(crate) struct ReplHelper {
    /// Class of service levels (`ALLOW`, `BLOCK`, configured ones).
    pub(crate) levels: Vec<String>,
    /// Directory numbers known from the PBX and from this session.
    pub(crate) rooms: Arc<Mutex<Vec<String>>>,
    pub(crate) color: bool,
}

/// The command being typed: the text after the last `;` before the cursor, split into words;
/// the last word is the one under the cursor (empty after a blank).
fn current_words(line: &str) -> (usize, Vec<&str>) {
    let start = line.rfind(';').map_or(0, |i| i + 1);
    let command = &line[start..];
    let mut words: Vec<&str> = command.split_whitespace().collect();
    if command.is_empty() || command.ends_with(char::is_whitespace) {
        words.push("");
    }
    let word_start = line.len() - words.last().map_or(0, |w| w.len());
    (word_start, words)
}

impl ReplHelper {
    fn candidates(&self, words: &[&str]) -> Vec<String> {
        let keyword = words
            .first()
            .map(|w| w.to_ascii_uppercase())
            .unwrap_or_default();
        let position = words.len() - 1;
        let rooms = || {
            self.rooms
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .clone()
        };
        if position == 0 {
            if keyword.starts_with('.') {
                return directive::NAMES.iter().map(|n| (*n).to_owned()).collect();
            }
            return COMMANDS.iter().map(|c| c.keyword.to_owned()).collect();
        }
        let previous = words[position - 1].to_ascii_uppercase();
        match (keyword.as_str(), position) {
            (".RAW" | ".PLAN", 1) => vec!["on".into(), "off".into()],
            (
                "CHECKOUT" | "COS" | "MOVE" | "RENAME" | "DID" | "MW" | "DND" | "SHOW" | "CHECKIN"
                | "WAKEUP",
                1,
            )
            | ("MOVE", 2) => rooms(),
            ("MW" | "DND", 2) => vec!["ON".into(), "OFF".into()],
            ("WAKEUP", 2) => vec!["CLEAR".into(), "07:00".into()],
            ("COS", 2) => self.levels.clone(),
            ("DID", 2) => vec!["NONE".into()],
            ("CHECKIN", _) if previous == "COS" => self.levels.clone(),
            ("CHECKIN", _) if previous == "DID" => vec!["AUTO".into()],
            ("CHECKIN", p) if p >= 3 && words[1..p].iter().any(|w| w.ends_with('"')) => {
                vec!["DID".into(), "COS".into(), "REPLACE".into()]
            }
            _ => Vec::new(),
        }
    }
}

impl Completer for ReplHelper {
    type Candidate = Pair;

    fn complete(
        &self,
        line: &str,
        pos: usize,
        _: &Context<'_>,
    ) -> rustyline::Result<(usize, Vec<Pair>)> {
        let (start, words) = current_words(&line[..pos]);
        let typed = words.last().copied().unwrap_or_default();
        let matches = self
            .candidates(&words)
            .into_iter()
            .filter(|c| {
                c.to_ascii_uppercase()
                    .starts_with(&typed.to_ascii_uppercase())
            })
            .map(|c| Pair {
                display: c.clone(),
                replacement: c,
            })
            .collect();
        Ok((start, matches))
    }
}

impl Hinter for ReplHelper {
    type Hint = String;

    /// After a command's keyword and a blank, its arguments (`CHECKIN ` -> `ext "Last,First" ...`).
    fn hint(&self, line: &str, pos: usize, _: &Context<'_>) -> Option<String> {
        if pos < line.len() {
            return None;
        }
        let (_, words) = current_words(line);
        if words.len() != 2 || !words[1].is_empty() {
            return None;
        }
        keywords::command(words[0])
            .filter(|c| !c.arguments.is_empty())
            .map(|c| c.arguments.to_owned())
    }
}

const KEYWORD: &str = "\x1b[1;34m";
const NUMBER: &str = "\x1b[33m";
const STRING: &str = "\x1b[32m";
const COMMENT: &str = "\x1b[2m";
const DIRECTIVE: &str = "\x1b[35m";
const RESET: &str = "\x1b[0m";

/// Colors keywords, numbers, names, comments and directives.
fn highlight(line: &str) -> String {
    if line.trim_start().starts_with('.') {
        return format!("{DIRECTIVE}{line}{RESET}");
    }
    let mut out = String::with_capacity(line.len() * 2);
    let mut rest = line;
    while let Some(c) = rest.chars().next() {
        let (token, color) = if c == '#' {
            (rest, Some(COMMENT))
        } else if c == '"' {
            let mut end = rest.len();
            let mut escaped = false;
            for (i, ch) in rest.char_indices().skip(1) {
                match (escaped, ch) {
                    (false, '\\') => escaped = true,
                    (false, '"') => {
                        end = i + 1;
                        break;
                    }
                    _ => escaped = false,
                }
            }
            (&rest[..end], Some(STRING))
        } else if c.is_alphanumeric() || c == '_' || c == '-' {
            let end = rest
                .char_indices()
                .find(|(_, ch)| !(ch.is_alphanumeric() || *ch == '_' || *ch == '-'))
                .map_or(rest.len(), |(i, _)| i);
            let word = &rest[..end];
            let color = if keywords::is_keyword(word) {
                Some(KEYWORD)
            } else if word.bytes().all(|b| b.is_ascii_digit()) {
                Some(NUMBER)
            } else {
                None
            };
            (word, color)
        } else {
            (&rest[..c.len_utf8()], None)
        };
        match color {
            Some(color) => {
                out.push_str(color);
                out.push_str(token);
                out.push_str(RESET);
            }
            None => out.push_str(token),
        }
        rest = &rest[token.len()..];
    }
    out
}

impl Highlighter for ReplHelper {
    fn highlight<'l>(&self, line: &'l str, _pos: usize) -> Cow<'l, str> {
        if self.color {
            Cow::Owned(highlight(line))
        } else {
            Cow::Borrowed(line)
        }
    }

    fn highlight_hint<'h>(&self, hint: &'h str) -> Cow<'h, str> {
        if self.color {
            Cow::Owned(format!("{COMMENT}{hint}{RESET}"))
        } else {
            Cow::Borrowed(hint)
        }
    }

    fn highlight_char(&self, _line: &str, _pos: usize, kind: CmdKind) -> bool {
        self.color && kind != CmdKind::MoveCursor
    }
}

impl Validator for ReplHelper {}

impl Helper for ReplHelper {}

#[cfg(test)]
mod tests {
    use rustyline::history::DefaultHistory;

    use super::*;

    fn helper() -> ReplHelper {
        ReplHelper {
            levels: vec!["ALLOW".into(), "BLOCK".into(), "LOCAL".into()],
            rooms: Arc::new(Mutex::new(vec!["1000".into(), "2000".into()])),
            color: true,
        }
    }

    fn complete(line: &str) -> Vec<String> {
        let history = DefaultHistory::new();
        let (_, pairs) = helper()
            .complete(line, line.len(), &Context::new(&history))
            .unwrap();
        pairs.into_iter().map(|p| p.replacement).collect()
    }

    #[test]
    fn completes_keywords_rooms_levels_and_options() {
        assert_eq!(complete("chec"), ["CHECKIN", "CHECKOUT"]);
        assert_eq!(complete("CHECKOUT 1"), ["1000"]);
        assert_eq!(complete("MOVE 1000 "), ["1000", "2000"]);
        assert_eq!(complete("COS 1000 lo"), ["LOCAL"]);
        assert_eq!(complete("CHECKIN 1000 \"Solo,Alina\" D"), ["DID"]);
        assert_eq!(complete("CHECKIN 1000 \"Solo,Alina\" DID A"), ["AUTO"]);
        assert_eq!(complete("TEST; SH"), ["SHOW"]);
        assert_eq!(complete(".r"), [".raw"]);
        assert_eq!(complete(".raw o"), ["on", "off"]);
        assert_eq!(complete("WAKEUP 10"), ["1000"]);
        assert_eq!(complete("WAKEUP 1000 c"), ["CLEAR"]);
    }

    #[test]
    fn hints_a_commands_arguments() {
        let history = DefaultHistory::new();
        let context = Context::new(&history);
        assert_eq!(
            helper().hint("CHECKIN ", 8, &context).as_deref(),
            Some("ext \"Last,First\" [DID n|DID AUTO] [COS level] [LIMIT amount] [REPLACE]")
        );
        assert_eq!(helper().hint("CHECKIN 1", 9, &context), None);
        assert_eq!(helper().hint("TEST ", 5, &context), None);
    }

    #[test]
    fn highlights_tokens() {
        assert_eq!(
            highlight("COS 1000 BLOCK # x"),
            format!("{KEYWORD}COS{RESET} {NUMBER}1000{RESET} BLOCK {COMMENT}# x{RESET}")
        );
        assert!(
            highlight("RENAME 1 \"a \\\" b\"").contains(&format!("{STRING}\"a \\\" b\"{RESET}"))
        );
    }
}
