//! The words of the language, for the REPL's completion, hints and highlighting (the grammar
//! itself is in `grammar/hotelcare.pest`; a test keeps the two in step).

use std::fmt::Write as _;

/// What there is to know of a command, in one place: the parser's hints, the REPL's completion,
/// argument hints and `.help`, and the syntax error's list of commands read it. Adding a command
/// is a row here (and its rule in the grammar; a test keeps the two in step).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct CommandInfo {
    pub(crate) keyword: &'static str,
    /// Its arguments, as the REPL hints them and `write it as ...` shows them.
    pub(crate) arguments: &'static str,
    /// It changes the PBX (`SHOW` and `TEST` only ask).
    pub(crate) writes: bool,
    /// One line for `.help`.
    pub(crate) help: &'static str,
}

/// Every command, in the order `.help` lists them.
pub(crate) const COMMANDS: &[CommandInfo] = &[
    CommandInfo {
        keyword: "CHECKIN",
        arguments: "ext \"Last,First\" [DID n|DID AUTO] [COS level] [LIMIT amount] [REPLACE]",
        writes: true,
        help: "guest arrives (REPLACE: whoever is in the room is checked out first)",
    },
    CommandInfo {
        keyword: "CHECKOUT",
        arguments: "ext",
        writes: true,
        help: "guest leaves",
    },
    CommandInfo {
        keyword: "COS",
        arguments: "ext level",
        writes: true,
        help: "class of service (ALLOW, BLOCK or configured)",
    },
    CommandInfo {
        keyword: "MOVE",
        arguments: "from to",
        writes: true,
        help: "guest, class of service and DID move",
    },
    CommandInfo {
        keyword: "RENAME",
        arguments: "ext \"Last,First\"",
        writes: true,
        help: "name of the guest in the room corrected",
    },
    CommandInfo {
        keyword: "DID",
        arguments: "ext n|NONE",
        writes: true,
        help: "give or take a personal DID",
    },
    CommandInfo {
        keyword: "MW",
        arguments: "ext ON|OFF",
        writes: true,
        help: "message waiting lamp (Mitel PMS interface)",
    },
    CommandInfo {
        keyword: "DND",
        arguments: "ext ON|OFF",
        writes: true,
        help: "do not disturb (Mitel PMS interface)",
    },
    CommandInfo {
        keyword: "WAKEUP",
        arguments: "ext HH:MM [YYYY-MM-DD]|CLEAR [HH:MM]",
        writes: true,
        help: "book a wake-up call (up to 3 a room), or clear one or all",
    },
    CommandInfo {
        keyword: "LIMIT",
        arguments: "ext amount|NONE",
        writes: true,
        help: "the stay's credit limit for calls: above it, outside calls are blocked",
    },
    CommandInfo {
        keyword: "SHOW",
        arguments: "ext",
        writes: false,
        help: "the room as the PBX has it",
    },
    CommandInfo {
        keyword: "TEST",
        arguments: "",
        writes: false,
        help: "test access",
    },
];

/// The command with this keyword (case-insensitive).
pub(crate) fn command(keyword: &str) -> Option<&'static CommandInfo> {
    COMMANDS
        .iter()
        .find(|c| c.keyword.eq_ignore_ascii_case(keyword))
}

/// `CHECKIN, CHECKOUT, ... and TEST`, for messages.
pub(crate) fn command_list() -> String {
    let keywords: Vec<&str> = COMMANDS.iter().map(|c| c.keyword).collect();
    crate::diagnostics::Alternatives(&keywords)
        .to_string()
        .replace(" or ", " and ")
}

/// `.help`'s list of commands: each with its arguments and what it does.
pub(crate) fn help() -> String {
    let mut out = String::new();
    for info in COMMANDS {
        let form = format!("{} {}", info.keyword, info.arguments);
        let _ = writeln!(out, "  {:<56} {}", form.trim_end(), info.help);
    }
    out
}

/// Keywords that appear inside commands.
pub(crate) const WORDS: &[&str] = &[
    "DID", "COS", "AUTO", "NONE", "REPLACE", "ON", "OFF", "CLEAR",
];

/// `true` for any keyword (case-insensitive).
pub(crate) fn is_keyword(word: &str) -> bool {
    command(word).is_some() || WORDS.iter().any(|k| k.eq_ignore_ascii_case(word))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_command_of_the_table_parses() {
        for CommandInfo { keyword, .. } in COMMANDS {
            let example = match *keyword {
                "CHECKIN" => "CHECKIN 1 \"x\"".to_owned(),
                "RENAME" => "RENAME 1 \"x\"".to_owned(),
                "COS" => "COS 1 ALLOW".to_owned(),
                "MOVE" => "MOVE 1 2".to_owned(),
                "DID" => "DID 1 NONE".to_owned(),
                "MW" | "DND" => format!("{keyword} 1 ON"),
                "TEST" => "TEST".to_owned(),
                "WAKEUP" => "WAKEUP 1 CLEAR".to_owned(),
                "LIMIT" => "LIMIT 1 NONE".to_owned(),
                other => format!("{other} 1"),
            };
            let statements = crate::lang::syntax::parse_line(&example, 0).unwrap();
            assert_eq!(statements[0].command.keyword(), *keyword);
        }
    }

    #[test]
    fn every_keyword_of_the_grammar_is_in_the_table() {
        let grammar = include_str!("../../../grammar/hotelcare.pest");
        for line in grammar.lines().filter(|l| l.starts_with("kw_")) {
            let word = line.split('"').nth(1).unwrap();
            assert!(is_keyword(word), "{word} is missing from keywords.rs");
        }
    }
}
