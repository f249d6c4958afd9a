//! The words of the language, for the REPL's completion, hints and highlighting (the grammar
//! itself is in `grammar/hotelcare.pest`; a test keeps the two in step).

/// Each command with its arguments, as the REPL hints them.
pub const COMMANDS: &[(&str, &str)] = &[
    (
        "CHECKIN",
        "ext \"Last,First\" [DID n|DID AUTO] [COS level] [REPLACE]",
    ),
    ("CHECKOUT", "ext"),
    ("COS", "ext level"),
    ("MOVE", "from to"),
    ("RENAME", "ext \"Last,First\""),
    ("DID", "ext n|NONE"),
    ("SHOW", "ext"),
    ("TEST", ""),
];

/// Keywords that appear inside commands.
pub const WORDS: &[&str] = &["DID", "COS", "AUTO", "NONE", "REPLACE"];

/// `true` for any keyword (case-insensitive).
pub fn is_keyword(word: &str) -> bool {
    COMMANDS.iter().any(|(k, _)| k.eq_ignore_ascii_case(word))
        || WORDS.iter().any(|k| k.eq_ignore_ascii_case(word))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_command_of_the_table_parses() {
        for (keyword, _) in COMMANDS {
            let example = match *keyword {
                "CHECKIN" => "CHECKIN 1 \"x\"".to_owned(),
                "RENAME" => "RENAME 1 \"x\"".to_owned(),
                "COS" => "COS 1 ALLOW".to_owned(),
                "MOVE" => "MOVE 1 2".to_owned(),
                "DID" => "DID 1 NONE".to_owned(),
                "TEST" => "TEST".to_owned(),
                other => format!("{other} 1"),
            };
            let statements = crate::syntax::parse_line(&example, 0).unwrap();
            assert_eq!(statements[0].command.keyword(), *keyword);
        }
    }

    #[test]
    fn every_keyword_of_the_grammar_is_in_the_table() {
        let grammar = include_str!("../../grammar/hotelcare.pest");
        for line in grammar.lines().filter(|l| l.starts_with("kw_")) {
            let word = line.split('"').nth(1).unwrap();
            assert!(is_keyword(word), "{word} is missing from keywords.rs");
        }
    }
}
