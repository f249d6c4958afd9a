//! Grammar unit tests: every command as an s-expression tree, every error kind with its column and
//! width. Spans are checked to lie inside the line and in order before anything else.

use std::fmt::Write as _;

use super::*;
use crate::diagnostics::DiagnosticKind;

/// Renders statements as s-expressions: `(checkin 1000 "Solo,Alina" (did 3000))`.
fn tree(statements: &[Statement<'_>]) -> String {
    let mut out = String::new();
    for statement in statements {
        if !out.is_empty() {
            out.push(' ');
        }
        let (start, end) = (statement.span.start, statement.span.end);
        match &statement.command {
            Command::CheckIn {
                room,
                guest,
                options,
            } => {
                assert!(start <= room.span.start && guest.span.end <= end);
                write!(out, "(checkin {} {:?}", room.node, guest.node).unwrap();
                for option in options {
                    match option {
                        CheckInOption::Did(did) => write!(out, " (did {})", did_choice(&did.node)),
                        CheckInOption::Cos(level) => write!(out, " (cos {})", level.node),
                        CheckInOption::Replace(_) => write!(out, " (replace)"),
                        CheckInOption::Limit(amount) => write!(out, " (limit {})", amount.node),
                    }
                    .unwrap();
                }
                out.push(')');
            }
            Command::CheckOut { room } => write!(out, "(checkout {})", room.node).unwrap(),
            Command::Cos { room, level } => {
                write!(out, "(cos {} {})", room.node, level.node).unwrap();
            }
            Command::Did { room, did } => {
                write!(out, "(did {} {})", room.node, did_choice(&did.node)).unwrap();
            }
            Command::Move { from, to } => {
                assert!(from.span.end < to.span.start);
                write!(out, "(move {} {})", from.node, to.node).unwrap();
            }
            Command::Wakeup { room, wakeup } => match wakeup {
                crate::lang::syntax::WakeupChoice::At { time, date } => write!(
                    out,
                    "(wakeup {} {}{})",
                    room.node,
                    time.node,
                    date.as_ref()
                        .map(|d| format!(" {}", d.node))
                        .unwrap_or_default()
                )
                .unwrap(),
                crate::lang::syntax::WakeupChoice::Clear { time, .. } => write!(
                    out,
                    "(wakeup {} clear{})",
                    room.node,
                    time.as_ref()
                        .map(|t| format!(" {}", t.node))
                        .unwrap_or_default()
                )
                .unwrap(),
            },
            Command::Rename { room, guest } => {
                write!(out, "(rename {} {:?})", room.node, guest.node).unwrap();
            }
            Command::Flag { flag, room, on } => {
                write!(out, "({} {} {on})", flag.keyword(), room.node).unwrap();
            }
            Command::Limit { room, limit } => match limit.node {
                crate::lang::syntax::LimitChoice::None => {
                    write!(out, "(limit {} none)", room.node).unwrap();
                }
                crate::lang::syntax::LimitChoice::Amount(amount) => {
                    write!(out, "(limit {} {amount})", room.node).unwrap();
                }
            },
            Command::Show { room } => write!(out, "(show {})", room.node).unwrap(),
            Command::Test => out.push_str("(test)"),
        }
    }
    out
}

fn did_choice(choice: &DidChoice<'_>) -> String {
    match choice {
        DidChoice::Auto => "AUTO".into(),
        DidChoice::None => "NONE".into(),
        DidChoice::Number(n) => (*n).to_string(),
    }
}

macro_rules! parses {
    ($name:ident, $input:expr, $tree:expr $(,)?) => {
        #[test]
        fn $name() {
            let statements = parse_line($input, 0).unwrap_or_else(|d| panic!("{d:?}"));
            for s in &statements {
                assert!(s.span.end <= $input.len(), "span past the line");
            }
            assert_eq!(tree(&statements), $tree);
        }
    };
}

macro_rules! fails {
    ($name:ident, $input:expr, $kind:pat, column: $column:expr, width: $width:expr $(,)?) => {
        #[test]
        fn $name() {
            let diagnostic = parse_line($input, 0).expect_err("should not parse");
            assert!(
                matches!(diagnostic.kind, $kind),
                "unexpected kind {:?}",
                diagnostic.kind
            );
            assert_eq!(diagnostic.span.start + 1, $column, "column");
            assert_eq!(diagnostic.span.end - diagnostic.span.start, $width, "width");
        }
    };
}

parses!(empty_line, "", "");
parses!(comment_only, "   # nothing here", "");
parses!(
    checkin_plain,
    "CHECKIN 1000 \"Solo,Alina\"",
    "(checkin 1000 \"Solo,Alina\")"
);
parses!(
    checkin_with_did_and_cos,
    "CHECKIN 1000 \"Solo,Alina\" DID 3000 COS LOCAL",
    "(checkin 1000 \"Solo,Alina\" (did 3000) (cos LOCAL))"
);
parses!(
    checkin_options_in_any_order,
    "checkin 1000 \"Solo\" cos block did auto",
    "(checkin 1000 \"Solo\" (cos block) (did AUTO))"
);
parses!(checkout, "CHECKOUT 2000", "(checkout 2000)");
parses!(cos, "COS 1000 BLOCK", "(cos 1000 BLOCK)");
parses!(relocation, "MOVE 1000 2000", "(move 1000 2000)");
parses!(
    rename,
    "RENAME 1000 \"Solo, Alina\"",
    "(rename 1000 \"Solo, Alina\")"
);
parses!(did_number, "DID 1000 3001", "(did 1000 3001)");
parses!(did_none, "did 1000 none", "(did 1000 NONE)");
parses!(message_waiting, "MW 1000 ON", "(MW 1000 true)");
parses!(do_not_disturb, "dnd 1000 off", "(DND 1000 false)");
parses!(show, "SHOW 1000", "(show 1000)");
parses!(test, "Test", "(test)");
parses!(
    keywords_are_case_insensitive,
    "ChEcKoUt 1000",
    "(checkout 1000)"
);
parses!(
    semicolons_separate_commands,
    "CHECKOUT 1000; CHECKOUT 2000;; TEST ;",
    "(checkout 1000) (checkout 2000) (test)"
);
parses!(
    trailing_comment,
    "COS 1000 ALLOW # limit lifted",
    "(cos 1000 ALLOW)"
);
parses!(
    hash_inside_name_is_not_a_comment,
    "RENAME 1000 \"No #1\"",
    "(rename 1000 \"No #1\")"
);
parses!(
    escapes_are_resolved,
    r#"RENAME 1000 "O\"Brien\\x""#,
    r#"(rename 1000 "O\"Brien\\x")"#
);
parses!(
    names_keep_unicode,
    "CHECKIN 1000 \"Müller,Zoë\"",
    "(checkin 1000 \"Müller,Zoë\")"
);
parses!(tabs_are_blanks, "\tCOS\t1000\tBLOCK", "(cos 1000 BLOCK)");

fails!(
    unknown_command,
    "CHECKINN 1000 \"x\"",
    DiagnosticKind::Syntax { .. },
    column: 1,
    width: 8,
);
fails!(
    keyword_glued_to_number,
    "CHECKOUT1000",
    DiagnosticKind::Syntax { .. },
    column: 1,
    width: 12,
);
fails!(
    letters_in_extension,
    "CHECKOUT 10a0",
    DiagnosticKind::Syntax { .. },
    column: 10,
    width: 4,
);
fails!(
    missing_name,
    "CHECKIN 1000",
    DiagnosticKind::Syntax { .. },
    column: 13,
    width: 0,
);
fails!(
    unquoted_name,
    "CHECKIN 1000 Solo",
    DiagnosticKind::Syntax { .. },
    column: 14,
    width: 4,
);
fails!(
    unterminated_name,
    "CHECKIN 1000 \"Solo,Alina",
    DiagnosticKind::UnterminatedName,
    column: 14,
    width: 1,
);
fails!(
    unknown_escape,
    r#"CHECKIN 1000 "Solo\n""#,
    DiagnosticKind::UnknownEscape { .. },
    column: 19,
    width: 2,
);
fails!(
    did_auto_outside_checkin,
    "DID 1000 AUTO",
    DiagnosticKind::Syntax { .. },
    column: 10,
    width: 4,
);
fails!(
    did_none_in_checkin,
    "CHECKIN 1000 \"x\" DID NONE",
    DiagnosticKind::Syntax { .. },
    column: 22,
    width: 4,
);
fails!(
    extra_argument,
    "CHECKOUT 1000 2000",
    DiagnosticKind::Syntax { .. },
    column: 15,
    width: 4,
);
fails!(
    missing_semicolon,
    "CHECKOUT 1000 CHECKOUT 2000",
    DiagnosticKind::Syntax { .. },
    column: 15,
    width: 8,
);

#[test]
fn statement_span_ends_at_its_last_token() {
    let line = "CHECKIN 1000 \"Solo\"   # comment";
    let statements = parse_line(line, 0).unwrap();
    assert_eq!(
        &line[statements[0].span.start..statements[0].span.end],
        "CHECKIN 1000 \"Solo\""
    );
}

#[test]
fn spans_are_file_offsets() {
    let statements = parse_line("COS 1000 BLOCK", 100).unwrap();
    assert_eq!(statements[0].span, crate::diagnostics::Span::new(100, 114));
}

#[test]
fn expected_names_a_command_at_line_start() {
    let diagnostic = parse_line("HELLO", 0).unwrap_err();
    assert_eq!(
        diagnostic.kind.to_string(),
        "expected a command, found `HELLO`"
    );
}

#[test]
fn limits_are_amounts_or_none() {
    let statements = parse_line(
        "CHECKIN 1000 \"x\" LIMIT 50.00; LIMIT 1000 12; limit 1000 none",
        0,
    )
    .unwrap();
    assert_eq!(
        tree(&statements),
        "(checkin 1000 \"x\" (limit 50.00)) (limit 1000 12) (limit 1000 none)"
    );
    let diagnostic = parse_line("LIMIT 1000 12,50", 0).unwrap_err();
    assert!(
        diagnostic
            .kind
            .to_string()
            .contains("an amount such as 50 or 12.50"),
        "{}",
        diagnostic.kind
    );
}

#[test]
fn expected_lists_checkin_options() {
    let diagnostic = parse_line("CHECKIN 1000 \"x\" COLOUR", 0).unwrap_err();
    assert_eq!(
        diagnostic.kind.to_string(),
        "expected `COS`, `DID`, `LIMIT`, `REPLACE` or the end of the command, found `COLOUR`"
    );
}
