//! Syntax: script text -> typed AST, one line at a time.
//!
//! Input: lines of text (`Lines`). Output: `Statement`s or one `Diagnostic` per bad line.
//! Imports only `diagnostics`.

mod ast;
mod lines;
mod parser;
mod rules;

pub use ast::{CheckInOption, Command, DidChoice, Spanned, Statement};
pub use lines::{Line, Lines};

use crate::diagnostics::Diagnostic;

/// Parses one line that starts at file offset `offset`. A line with a syntax error yields exactly
/// one diagnostic (the first error); other lines of the script are still parsed.
pub fn parse_line(text: &str, offset: usize) -> Result<Vec<Statement<'_>>, Diagnostic> {
    parser::parse_line(text, offset)
}

#[cfg(test)]
mod tests;
