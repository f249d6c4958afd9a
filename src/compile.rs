//! The front half of the pipeline, streamed: script text -> lines -> statements -> checked commands.
//!
//! Input: a script as any `BufRead` and a `Validator` shared by all scripts of a run (so that a
//! DID given in one file is known in the next). Output: events to a caller-supplied sink, one line
//! at a time; nothing of the script is kept, so memory does not grow with its length.

use std::io::{self, BufRead};

use crate::diagnostics::{Diagnostic, Source};
use crate::syntax::{self, Lines};
use crate::validate::{Command, Validator};

/// What compiling a script produces, in script order.
pub enum Event<'a> {
    /// An error or warning, with the line it points into.
    Diagnostic {
        diagnostic: Diagnostic,
        source: Source<'a>,
    },
    /// A command without errors.
    Command(Command),
}

/// Counts for the summary line.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Summary {
    pub commands: usize,
    pub errors: usize,
    pub warnings: usize,
}

impl Summary {
    pub fn add(&mut self, other: Summary) {
        self.commands += other.commands;
        self.errors += other.errors;
        self.warnings += other.warnings;
    }
}

/// Parses and validates `reader` line by line. `path` is how the script is named in messages.
/// Read errors (including text that is not UTF-8) end the script with an `io::Error`.
pub fn compile<R: BufRead>(
    path: &str,
    reader: R,
    validator: &mut Validator<'_>,
    sink: &mut dyn FnMut(Event<'_>),
) -> io::Result<Summary> {
    let mut summary = Summary::default();
    let mut lines = Lines::new(reader);
    while let Some(line) = lines.next_line()? {
        let source = Source {
            path,
            text: &line.text,
            first_line: line.number,
            offset: line.offset,
        };
        match syntax::parse_line(&line.text, line.offset) {
            Err(diagnostic) => report(diagnostic, source, &mut summary, sink),
            Ok(statements) => {
                for statement in &statements {
                    let checked =
                        validator.check(statement, line.number + 1, &line.text, line.offset);
                    for diagnostic in checked.diagnostics {
                        report(diagnostic, source, &mut summary, sink);
                    }
                    if let Some(command) = checked.command {
                        summary.commands += 1;
                        sink(Event::Command(command));
                    }
                }
            }
        }
    }
    Ok(summary)
}

fn report<'a>(
    diagnostic: Diagnostic,
    source: Source<'a>,
    summary: &mut Summary,
    sink: &mut dyn FnMut(Event<'a>),
) {
    if diagnostic.is_error() {
        summary.errors += 1;
    } else {
        summary.warnings += 1;
    }
    sink(Event::Diagnostic { diagnostic, source });
}
