//! Pest pairs -> AST. One `parse_<rule>` function per grammar rule; pairs never leave this file.
//! An unexpected pair is a bug in this file or the grammar (`unreachable!`), never a user error.

use std::borrow::Cow;

use pest::Parser as _;
use pest::error::{ErrorVariant, InputLocation};
use pest::iterators::Pair;

use crate::diagnostics::{Diagnostic, DiagnosticKind, Span};
use crate::lang::syntax::ast::{
    CheckInOption, Command, DidChoice, Flag, LimitChoice, Spanned, Statement, WakeupChoice,
};
use crate::lang::syntax::{keywords, rules};

pub(crate) use grammar::Rule;

mod grammar {
    // The derive writes `pub enum Rule`; it is crate-internal through the private module.
    #![allow(unreachable_pub, clippy::pedantic)]

    #[derive(pest_derive::Parser)]
    #[grammar = "grammar/hotelcare.pest"]
    pub(crate) struct LineParser;
}

/// Parses one line (without its line break) that starts at file offset `offset`.
pub(crate) fn parse_line(text: &str, offset: usize) -> Result<Vec<Statement<'_>>, Diagnostic> {
    let mut pairs = grammar::LineParser::parse(Rule::line, text)
        .map_err(|error| syntax_error(&error, text, offset))?;
    let line = pairs
        .next()
        .expect("the `line` rule always yields one pair");
    let commands = line.into_inner().next().expect("a line has its commands");
    Ok(parse_commands(commands, offset).collect())
}

/// Parses lines joined by `\n` in one go (much cheaper than line by line). `offsets[k]` is what
/// turns a position in `text` on line `k` into a file offset. `None` if any line has a syntax
/// error: the caller then parses the lines one by one to report each error.
pub(crate) fn parse_block<'a>(
    text: &'a str,
    offsets: &[usize],
) -> Option<Vec<(usize, Statement<'a>)>> {
    let mut pairs = grammar::LineParser::parse(Rule::block, text).ok()?;
    let block = pairs
        .next()
        .expect("the `block` rule always yields one pair");
    let mut statements = Vec::with_capacity(offsets.len());
    for (index, commands) in block
        .into_inner()
        .filter(|pair| pair.as_rule() == Rule::commands)
        .enumerate()
    {
        let offset = *offsets.get(index)?;
        statements.extend(parse_commands(commands, offset).map(|s| (index, s)));
    }
    Some(statements)
}

fn parse_commands(commands: Pair<'_, Rule>, offset: usize) -> impl Iterator<Item = Statement<'_>> {
    commands
        .into_inner()
        .map(move |pair| parse_statement(pair, offset))
}

fn span(pair: &Pair<'_, Rule>, offset: usize) -> Span {
    let s = pair.as_span();
    Span::new(offset + s.start(), offset + s.end())
}

fn spanned_str<'a>(pair: &Pair<'a, Rule>, offset: usize) -> Spanned<&'a str> {
    Spanned {
        node: pair.as_str(),
        span: span(pair, offset),
    }
}

fn parse_statement(pair: Pair<'_, Rule>, offset: usize) -> Statement<'_> {
    // Pest lets a command's pair swallow the blanks and comment after its last token (the implicit
    // skip before an empty `checkin_option*`); the statement ends where its last token ends.
    let start = offset + pair.as_span().start();
    let end = pair
        .clone()
        .into_inner()
        .map(|inner| offset + inner.as_span().end())
        .max()
        .unwrap_or(start);
    let span = Span::new(start, end);
    let command = match pair.as_rule() {
        Rule::checkin => parse_checkin(pair, offset),
        Rule::checkout => Command::CheckOut {
            room: parse_args::<1>(pair, offset)[0].clone(),
        },
        Rule::cos => {
            let [room, level] = parse_args::<2>(pair, offset);
            Command::Cos { room, level }
        }
        Rule::relocation => {
            let [from, to] = parse_args::<2>(pair, offset);
            Command::Move { from, to }
        }
        Rule::rename => parse_rename(pair, offset),
        Rule::did => parse_did(pair, offset),
        Rule::flag => parse_flag(pair, offset),
        Rule::wakeup => parse_wakeup(pair, offset),
        Rule::limit => parse_limit(pair, offset),
        Rule::show => Command::Show {
            room: parse_args::<1>(pair, offset)[0].clone(),
        },
        Rule::test => Command::Test,
        rule => unreachable!("`{rule:?}` is not a command"),
    };
    Statement { command, span }
}

/// The `N` plain arguments (directory numbers, levels) after a command's keyword.
fn parse_args<const N: usize>(pair: Pair<'_, Rule>, offset: usize) -> [Spanned<&str>; N] {
    let mut inner = pair.into_inner().skip(1);
    std::array::from_fn(|_| {
        let arg = inner.next().expect("the grammar fixes the argument count");
        spanned_str(&arg, offset)
    })
}

fn parse_checkin(pair: Pair<'_, Rule>, offset: usize) -> Command<'_> {
    let mut inner = pair.into_inner().skip(1);
    let room = spanned_str(&inner.next().expect("checkin has an ext"), offset);
    let guest = parse_name(inner.next().expect("checkin has a name"), offset);
    let options = inner
        .map(|option| match option.as_rule() {
            Rule::did_option => CheckInOption::Did(parse_did_choice(option, offset)),
            Rule::replace_option => CheckInOption::Replace(span(&option, offset)),
            Rule::limit_option => {
                let span = span(&option, offset);
                let amount = option
                    .into_inner()
                    .nth(1)
                    .expect("limit_option has an amount");
                CheckInOption::Limit(Spanned {
                    node: amount.as_str(),
                    span,
                })
            }
            Rule::cos_option => {
                let level = option.into_inner().nth(1).expect("cos_option has a level");
                CheckInOption::Cos(spanned_str(&level, offset))
            }
            rule => unreachable!("`{rule:?}` is not a check-in option"),
        })
        .collect();
    Command::CheckIn {
        room,
        guest,
        options,
    }
}

fn parse_rename(pair: Pair<'_, Rule>, offset: usize) -> Command<'_> {
    let mut inner = pair.into_inner().skip(1);
    let room = spanned_str(&inner.next().expect("rename has an ext"), offset);
    let guest = parse_name(inner.next().expect("rename has a name"), offset);
    Command::Rename { room, guest }
}

fn parse_flag(pair: Pair<'_, Rule>, offset: usize) -> Command<'_> {
    let mut inner = pair.into_inner();
    let flag = match inner.next().map(|k| k.as_rule()) {
        Some(Rule::kw_dnd) => Flag::DoNotDisturb,
        _ => Flag::MessageWaiting,
    };
    let room = spanned_str(&inner.next().expect("a flag command has an ext"), offset);
    let on = inner.next().is_some_and(|v| v.as_rule() == Rule::kw_on);
    Command::Flag { flag, room, on }
}

fn parse_wakeup(pair: Pair<'_, Rule>, offset: usize) -> Command<'_> {
    let mut inner = pair.into_inner().skip(1);
    let room = spanned_str(&inner.next().expect("wakeup has an ext"), offset);
    let what = inner.next().expect("wakeup has a time or CLEAR");
    let clear = what.as_rule() == Rule::wakeup_clear;
    let mut parts = what.into_inner();
    let wakeup = if clear {
        let span = span(&parts.next().expect("wakeup_clear has CLEAR"), offset);
        let time = parts.next().map(|time| spanned_str(&time, offset));
        WakeupChoice::Clear { span, time }
    } else {
        let time = spanned_str(&parts.next().expect("wakeup_at has a clock"), offset);
        let date = parts.next().map(|date| spanned_str(&date, offset));
        WakeupChoice::At { time, date }
    };
    Command::Wakeup { room, wakeup }
}

fn parse_limit(pair: Pair<'_, Rule>, offset: usize) -> Command<'_> {
    let mut inner = pair.into_inner().skip(1);
    let room = spanned_str(&inner.next().expect("limit has an ext"), offset);
    let value = inner.next().expect("limit has a value");
    let limit = Spanned {
        span: span(&value, offset),
        node: if value.as_rule() == Rule::kw_none {
            LimitChoice::None
        } else {
            LimitChoice::Amount(value.as_str())
        },
    };
    Command::Limit { room, limit }
}

fn parse_did(pair: Pair<'_, Rule>, offset: usize) -> Command<'_> {
    let mut inner = pair.into_inner().skip(1);
    let room = spanned_str(&inner.next().expect("did has an ext"), offset);
    let value = inner.next().expect("did has a value");
    let did = Spanned {
        span: span(&value, offset),
        node: parse_did_value(&value),
    };
    Command::Did { room, did }
}

/// `did_option`: the span covers `DID` and its value, so duplicates point at the whole option.
fn parse_did_choice(pair: Pair<'_, Rule>, offset: usize) -> Spanned<DidChoice<'_>> {
    let span = span(&pair, offset);
    let value = pair.into_inner().nth(1).expect("did_option has a value");
    Spanned {
        node: parse_did_value(&value),
        span,
    }
}

fn parse_did_value<'a>(pair: &Pair<'a, Rule>) -> DidChoice<'a> {
    match pair.as_rule() {
        Rule::kw_auto => DidChoice::Auto,
        Rule::kw_none => DidChoice::None,
        Rule::number => DidChoice::Number(pair.as_str()),
        rule => unreachable!("`{rule:?}` is not a DID value"),
    }
}

/// `name`: the span covers the quotes; escapes are resolved.
fn parse_name(pair: Pair<'_, Rule>, offset: usize) -> Spanned<Cow<'_, str>> {
    let span = span(&pair, offset);
    let text = pair
        .into_inner()
        .next()
        .expect("name has name_text")
        .as_str();
    let node = if text.contains('\\') {
        Cow::Owned(unescape(text))
    } else {
        Cow::Borrowed(text)
    };
    Spanned { node, span }
}

/// The grammar admits only `\"` and `\\`, so every backslash escapes the next character.
fn unescape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        if c == '\\' {
            out.extend(chars.next());
        } else {
            out.push(c);
        }
    }
    out
}

/// The one conversion of a pest error into a `Diagnostic`. Names that are not closed and unknown
/// escapes get their own kinds, found by scanning the line, because pest reports them as a
/// confusing "expected ..." at the end of the line.
fn syntax_error(error: &pest::error::Error<Rule>, text: &str, offset: usize) -> Diagnostic {
    if let Some((kind, start, end)) = scan_names(text) {
        return Diagnostic::new(kind, Span::new(offset + start, offset + end));
    }
    let position = match error.location {
        InputLocation::Pos(p) | InputLocation::Span((p, _)) => p,
    };
    let expected = match &error.variant {
        ErrorVariant::ParsingError { positives, .. } => {
            let mut expected: Vec<&'static str> = Vec::new();
            let wants_command = positives.iter().any(|r| rules::starts_command(*r));
            for rule in positives {
                let text = if wants_command && matches!(rule, Rule::kw_did | Rule::kw_cos) {
                    "a command"
                } else {
                    rules::describe(*rule)
                };
                if !expected.contains(&text) {
                    expected.push(text);
                }
            }
            // Stable, readable order: alternatives alphabetically, the end of the command last.
            expected.sort_by_key(|text| (*text == rules::END_OF_COMMAND, *text));
            expected
        }
        ErrorVariant::CustomError { .. } => unreachable!("the grammar has no custom errors"),
    };
    let (found, end) = found_at(text, position);
    let hint = hint(text, position, &text[position..end]);
    Diagnostic::new(
        DiagnosticKind::Syntax {
            expected,
            found,
            hint,
        },
        Span::new(offset + position, offset + end),
    )
}

/// What to write instead: the nearest command for a misspelt one, the form of the command the
/// error is in, or that directives belong to the REPL.
fn hint(text: &str, position: usize, token: &str) -> Option<String> {
    let command_start = text[..position].rfind(';').map_or(0, |i| i + 1);
    let before = text[command_start..position].trim();
    if token.starts_with('.') && before.is_empty() {
        return Some(format!(
            "`{token}` is a REPL directive: it works only when typing in `hotelcare repl`, not in a script"
        ));
    }
    if before.is_empty() {
        let word = token.to_ascii_uppercase();
        if let Some(keyword) = keywords::COMMANDS.iter().map(|c| c.keyword).find(|k| {
            word.starts_with(k)
                && word[k.len()..].starts_with(|c: char| c.is_ascii_digit() || c == '"')
        }) {
            return Some(format!(
                "put a blank after `{keyword}`: `{keyword} {}`",
                &token[keyword.len()..]
            ));
        }
        let nearest = keywords::COMMANDS
            .iter()
            .map(|c| (strsim::levenshtein(&word, c.keyword), c.keyword))
            .filter(|(distance, _)| *distance <= 2)
            .min();
        return Some(match nearest {
            Some((_, keyword)) => format!("did you mean `{keyword}`?"),
            None => format!("commands are {}; see the README", keywords::command_list()),
        });
    }
    let keyword = before.split_whitespace().next()?;
    keywords::command(keyword).map(|c| {
        format!(
            "write it as `{}`",
            format!("{} {}", c.keyword, c.arguments).trim_end()
        )
    })
}

/// Describes the token at `position` and where it ends.
fn found_at(text: &str, position: usize) -> (String, usize) {
    let rest = &text[position..];
    if rest.trim_start().is_empty() || rest.starts_with('#') {
        return ("the end of the line".into(), position);
    }
    let len = rest
        .char_indices()
        .find(|&(i, c)| i > 0 && (c.is_whitespace() || c == ';' || c == '#'))
        .map_or(rest.len(), |(i, _)| i);
    (format!("`{}`", &rest[..len]), position + len)
}

/// Finds an unknown escape or an unclosed name in a line, outside comments.
fn scan_names(text: &str) -> Option<(DiagnosticKind, usize, usize)> {
    let mut open: Option<usize> = None;
    let mut chars = text.char_indices();
    while let Some((i, c)) = chars.next() {
        match (open, c) {
            (None, '#') => return None,
            (None, '"') => open = Some(i),
            (Some(_), '"') => open = None,
            (Some(_), '\\') => match chars.next() {
                Some((_, '"' | '\\')) => {}
                Some((j, other)) => {
                    let escape = format!("\\{other}");
                    return Some((
                        DiagnosticKind::UnknownEscape { escape },
                        i,
                        j + other.len_utf8(),
                    ));
                }
                None => return Some((DiagnosticKind::UnterminatedName, i, i + 1)),
            },
            _ => {}
        }
    }
    open.map(|start| (DiagnosticKind::UnterminatedName, start, start + 1))
}
