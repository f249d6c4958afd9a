//! Syntax: script text -> typed AST, one line at a time; and the one writer of commands built
//! from data (`writer`), which makes the same AST from typed values (`value`) without parsing.
//!
//! Input: lines of text (`Lines`), or `Request`s. Output: `Statement`s or one `Diagnostic` per
//! bad line. Imports only `diagnostics`.

mod ast;
pub(crate) mod keywords;
mod lines;
mod parser;
mod rules;
mod value;
mod writer;

pub(crate) use ast::Flag;
pub(crate) use ast::{
    CheckInOption, Command, DidChoice, LimitChoice, Spanned, Statement, WakeupChoice,
};
pub(crate) use lines::{Line, Lines};
pub(crate) use value::{DidNumber, Extension, GuestName, LevelName, ValueError};
pub(crate) use writer::{DidValue, Request, WakeupWrite, script};

use crate::diagnostics::Diagnostic;

/// Parses one line that starts at file offset `offset`. A line with a syntax error yields exactly
/// one diagnostic (the first error); other lines of the script are still parsed.
pub(crate) fn parse_line(text: &str, offset: usize) -> Result<Vec<Statement<'_>>, Diagnostic> {
    parser::parse_line(text, offset)
}

/// Parses lines joined by `\n`, all at once; `offsets[k]` turns a position in `text` on line `k`
/// into a file offset (file offset of the line minus its position in `text`). Yields
/// `(line index, statement)`, or `None` if a line has a syntax error (then parse each line with
/// `parse_line` to report it).
pub(crate) fn parse_block<'a>(
    text: &'a str,
    offsets: &[usize],
) -> Option<Vec<(usize, Statement<'a>)>> {
    parser::parse_block(text, offsets)
}

#[cfg(test)]
mod tests;
