//! The front half of the pipeline, streamed: script text -> lines -> statements -> checked commands.
//!
//! Input: a script as any `BufRead` and a `Validator` shared by all scripts of a run (so that a
//! DID given in one file is known in the next). Output: events to a caller-supplied sink, one line
//! at a time; nothing of the script is kept, so memory does not grow with its length.

use std::io::{self, BufRead, BufReader, Read};

use encoding_rs_io::{DecodeReaderBytes, DecodeReaderBytesBuilder};

use crate::config::ScriptEncoding;
use crate::diagnostics::{DiagnosticKind, Span};
use crate::lang::syntax::{self, Line, Lines, Statement};
use crate::lang::validate::{Command, Validator};

// What a diagnostic event carries, named where the event is.
pub(crate) use crate::diagnostics::{diagnostic::Diagnostic, render::Source};

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
    pub(crate) commands: usize,
    pub errors: usize,
    pub(crate) warnings: usize,
    /// Diagnostics counted but not shown (past `MAX_DIAGNOSTICS_PER_LINE` on a line or
    /// `MAX_DIAGNOSTICS_PER_SCRIPT` in a script).
    pub(crate) suppressed: usize,
}

impl Summary {
    pub(crate) fn add(&mut self, other: Summary) {
        self.commands += other.commands;
        self.errors += other.errors;
        self.warnings += other.warnings;
        self.suppressed += other.suppressed;
    }
}

/// A line longer than this is refused unread: no command needs it, and a line of megabytes
/// (a damaged export, a hostile file) must not cost megabytes per diagnostic.
pub(crate) const MAX_LINE_BYTES: usize = 16 * 1024;
/// Diagnostics shown per line; the rest are counted (as compilers do).
pub(crate) const MAX_DIAGNOSTICS_PER_LINE: usize = 10;
/// Diagnostics shown per script; the rest are counted.
pub(crate) const MAX_DIAGNOSTICS_PER_SCRIPT: usize = 100;

/// The summary, and how many diagnostics were shown so far, in all and on the current line.
#[derive(Default)]
struct Tally {
    summary: Summary,
    shown: usize,
    line: usize,
    on_line: usize,
}

impl Tally {
    /// Counts a diagnostic on `line`; `true` when it is to be shown.
    fn admit(&mut self, error: bool, line: usize) -> bool {
        if error {
            self.summary.errors += 1;
        } else {
            self.summary.warnings += 1;
        }
        if line != self.line {
            self.line = line;
            self.on_line = 0;
        }
        if self.on_line >= MAX_DIAGNOSTICS_PER_LINE || self.shown >= MAX_DIAGNOSTICS_PER_SCRIPT {
            self.summary.suppressed += 1;
            return false;
        }
        self.on_line += 1;
        self.shown += 1;
        true
    }
}

/// Script bytes as UTF-8 text for `compile`. UTF-8 (the default) passes through unchanged and is
/// checked line by line by `compile`, so a byte that is not UTF-8 is an error naming its line;
/// another encoding is transcoded as the file is read. A byte order mark always wins: a UTF-8 or
/// UTF-16 file with a BOM is read as what its BOM says, whatever `encoding` says.
pub(crate) fn decode<R: Read>(
    reader: R,
    encoding: ScriptEncoding,
) -> BufReader<DecodeReaderBytes<R, Vec<u8>>> {
    let mut builder = DecodeReaderBytesBuilder::new();
    match encoding.encoding() {
        None => builder.utf8_passthru(true),
        Some(encoding) => builder.encoding(Some(encoding)).bom_override(true),
    };
    BufReader::with_capacity(64 * 1024, builder.build(reader))
}

/// Lines are parsed in blocks of about this many bytes: large enough to spread the parser's
/// per-call cost, small enough to keep memory flat.
const BLOCK_BYTES: usize = 32 * 1024;

/// Parses and validates `reader` line by line. `path` is how the script is named in messages.
/// Read errors (including text that is not UTF-8) end the script with an `io::Error`.
pub fn compile<R: BufRead>(
    path: &str,
    reader: R,
    validator: &mut Validator<'_>,
    sink: &mut dyn FnMut(Event<'_>),
) -> io::Result<Summary> {
    compile_at(path, 0, reader, validator, sink)
}

/// `compile` for input whose first line is line `first_line` (0-based) of a longer whole: the
/// REPL numbers its inputs across the session.
pub(crate) fn compile_at<R: BufRead>(
    path: &str,
    first_line: usize,
    reader: R,
    validator: &mut Validator<'_>,
    sink: &mut dyn FnMut(Event<'_>),
) -> io::Result<Summary> {
    let mut tally = Tally::default();
    validator.start_script(path);
    let mut lines = Lines::starting_at(reader, first_line);
    let mut block = Block::default();
    loop {
        block.clear();
        let mut too_long = None;
        while block.text.len() < BLOCK_BYTES {
            match lines.next_line()? {
                Some(line) if line.text.len() > MAX_LINE_BYTES => {
                    let start = &line.text[..floor_char_boundary(&line.text, 60)];
                    too_long = Some(LongLine {
                        number: line.number,
                        offset: line.offset,
                        length: line.text.len(),
                        start: start.to_owned(),
                    });
                    break;
                }
                Some(line) => block.push(line),
                None => break,
            }
        }
        if !block.lines.is_empty() {
            compile_block(path, &block, validator, &mut tally, sink);
        }
        match too_long {
            Some(line) => refuse_long_line(path, &line, &mut tally, sink),
            None if block.lines.is_empty() => return Ok(tally.summary),
            None => {}
        }
    }
}

/// A line over `MAX_LINE_BYTES`, of which only the start is kept.
struct LongLine {
    number: usize,
    offset: usize,
    length: usize,
    start: String,
}

/// One error, shown with the line's start only.
fn refuse_long_line(
    path: &str,
    line: &LongLine,
    tally: &mut Tally,
    sink: &mut dyn FnMut(Event<'_>),
) {
    let source = Source {
        path,
        text: &line.start,
        first_line: line.number,
        offset: line.offset,
    };
    let diagnostic = Diagnostic::new(
        DiagnosticKind::LineTooLong {
            length: line.length,
            limit: MAX_LINE_BYTES,
        },
        Span::new(line.offset, line.offset + line.start.len()),
    );
    report(diagnostic, source, tally, sink);
}

fn floor_char_boundary(text: &str, mut index: usize) -> usize {
    index = index.min(text.len());
    while !text.is_char_boundary(index) {
        index -= 1;
    }
    index
}

/// Whole lines joined by `\n`, with where each came from.
#[derive(Default)]
struct Block {
    text: String,
    lines: Vec<BlockLine>,
    /// Per line: file offset minus position in `text`, for `syntax::parse_block`.
    offsets: Vec<usize>,
}

struct BlockLine {
    /// 0-based line number in the file.
    number: usize,
    /// File offset of the line.
    offset: usize,
    /// Position of the line in the block's text.
    start: usize,
    end: usize,
}

impl Block {
    fn clear(&mut self) {
        self.text.clear();
        self.lines.clear();
        self.offsets.clear();
    }

    fn push(&mut self, line: &Line) {
        if !self.lines.is_empty() {
            self.text.push('\n');
        }
        let start = self.text.len();
        self.text.push_str(&line.text);
        self.lines.push(BlockLine {
            number: line.number,
            offset: line.offset,
            start,
            end: self.text.len(),
        });
        self.offsets.push(line.offset - start);
    }

    fn source<'a>(&'a self, path: &'a str, line: &BlockLine) -> Source<'a> {
        Source {
            path,
            text: &self.text[line.start..line.end],
            first_line: line.number,
            offset: line.offset,
        }
    }
}

fn compile_block(
    path: &str,
    block: &Block,
    validator: &mut Validator<'_>,
    tally: &mut Tally,
    sink: &mut dyn FnMut(Event<'_>),
) {
    if let Some(statements) = syntax::parse_block(&block.text, &block.offsets) {
        for (index, statement) in &statements {
            let line = &block.lines[*index];
            check(block.source(path, line), statement, validator, tally, sink);
        }
        return;
    }
    // Some line has a syntax error: parse line by line to report every one of them.
    for line in &block.lines {
        let source = block.source(path, line);
        match syntax::parse_line(source.text, line.offset) {
            Err(diagnostic) => report(diagnostic, source, tally, sink),
            Ok(statements) => {
                for statement in &statements {
                    check(source, statement, validator, tally, sink);
                }
            }
        }
    }
}

fn check<'a>(
    source: Source<'a>,
    statement: &Statement<'_>,
    validator: &mut Validator<'_>,
    tally: &mut Tally,
    sink: &mut dyn FnMut(Event<'a>),
) {
    let checked = validator.check(statement, source.first_line + 1, source.text, source.offset);
    for diagnostic in checked.diagnostics {
        report(diagnostic, source, tally, sink);
    }
    if let Some(command) = checked.command {
        tally.summary.commands += 1;
        sink(Event::Command(command));
    }
}

fn report<'a>(
    diagnostic: Diagnostic,
    source: Source<'a>,
    tally: &mut Tally,
    sink: &mut dyn FnMut(Event<'a>),
) {
    if tally.admit(diagnostic.is_error(), source.first_line) {
        sink(Event::Diagnostic { diagnostic, source });
    }
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use std::fmt::Write as _;

    use super::*;
    use crate::config::Config;

    /// (1-based line, column) of each diagnostic and the line of each command.
    fn run(script: &str) -> (Vec<(usize, usize)>, Vec<usize>, Summary) {
        let config = Config::parse("[class_of_service]\nLOCAL = 3\n", Path::new("t.toml")).unwrap();
        let mut validator = Validator::new(&config);
        let (mut diagnostics, mut commands) = (Vec::new(), Vec::new());
        let summary = compile(
            "t.hc",
            script.as_bytes(),
            &mut validator,
            &mut |event| match event {
                Event::Diagnostic { diagnostic, source } => {
                    diagnostics.push(source.line_column(diagnostic.span.start));
                }
                Event::Command(command) => commands.push(command.line),
            },
        )
        .unwrap();
        (diagnostics, commands, summary)
    }

    #[test]
    fn blocks_keep_line_numbers_and_columns_across_their_boundaries() {
        // About 100 kB: several blocks; Windows line ends shift file offsets against block text.
        let mut script = String::new();
        for i in 0..5000 {
            writeln!(script, "COS {} LOCAL  # line {}\r", 1000 + i % 100, i + 1).unwrap();
        }
        script.push_str("COS 1000 GOLD\r\n");
        let (diagnostics, commands, summary) = run(&script);
        assert_eq!(diagnostics, vec![(5001, 10)]);
        assert_eq!(commands.len(), 5000);
        assert_eq!(commands[4999], 5000);
        assert_eq!((summary.commands, summary.errors), (5000, 1));
    }

    #[test]
    fn a_syntax_error_in_a_block_still_reports_the_other_lines() {
        let (diagnostics, commands, _) = run("COS 1 LOCAL\nCOS 2 ???\nCOS 3 GOLD\nTEST");
        assert_eq!(diagnostics, vec![(2, 7), (3, 7)]);
        assert_eq!(commands, vec![1, 4]);
    }

    #[test]
    fn diagnostics_are_capped_per_line_and_per_script_and_the_rest_counted() {
        let line = format!("CHECKIN 1000 \"a\"{}", " COS LOCAL".repeat(1500));
        let (diagnostics, commands, summary) = run(&line);
        assert_eq!(diagnostics.len(), MAX_DIAGNOSTICS_PER_LINE);
        assert_eq!(summary.errors, 1499, "every duplicate is counted");
        assert_eq!(summary.suppressed, 1499 - MAX_DIAGNOSTICS_PER_LINE);
        assert!(commands.is_empty());
        // The hostile tester's line (80 kB, 9 s to report before): one error.
        let line = format!("CHECKIN 1000 \"a\"{}", " COS LOCAL".repeat(8000));
        let (diagnostics, _, summary) = run(&line);
        assert_eq!((diagnostics.len(), summary.errors), (1, 1));
        let script = "COS 1 GOLD\n".repeat(500);
        let (diagnostics, _, summary) = run(&script);
        assert_eq!(diagnostics.len(), MAX_DIAGNOSTICS_PER_SCRIPT);
        assert_eq!((summary.errors, summary.suppressed), (500, 400));
    }

    #[test]
    fn a_line_over_the_limit_is_one_error_and_the_lines_around_it_still_count() {
        let script = format!(
            "COS 1 LOCAL\nCOS 2 {}\nCOS 3 GOLD\n",
            "X".repeat(20 * 1024 * 1024)
        );
        let (diagnostics, commands, summary) = run(&script);
        assert_eq!(diagnostics, vec![(2, 1), (3, 7)]);
        assert_eq!(commands, vec![1]);
        assert_eq!(summary.errors, 2);
    }

    #[test]
    fn an_unclosed_quote_does_not_swallow_the_next_line() {
        let (diagnostics, commands, _) = run("RENAME 1 \"Solo\nCOS 2 LOCAL\nCOS 3 LOCAL\n");
        assert_eq!(diagnostics, vec![(1, 10)]);
        assert_eq!(commands, vec![2, 3]);
    }

    #[test]
    fn command_text_is_what_was_written() {
        let config = Config::builtin();
        let mut validator = Validator::new(&config);
        let mut texts = Vec::new();
        compile(
            "t.hc",
            "\u{feff}TEST ; CHECKOUT 1000  # done\r\n".as_bytes(),
            &mut validator,
            &mut |event| {
                if let Event::Command(command) = event {
                    texts.push(command.text);
                }
            },
        )
        .unwrap();
        assert_eq!(texts, ["TEST", "CHECKOUT 1000"]);
    }
}
