//! The REPL's reading thread: a line per turn, read with rustyline (history, completion,
//! hints, highlighting) or from plain standard input; the async side prints events meanwhile
//! through rustyline's external printer, so that they do not break the line being typed.

use std::io::{self, BufRead, Write};
use std::path::PathBuf;
use std::sync::mpsc as sync_mpsc;

use rustyline::error::ReadlineError;
use rustyline::history::DefaultHistory;
use rustyline::{CompletionType, Config as EditorConfig, Editor, ExternalPrinter as _};
use tokio::sync::mpsc;

use crate::inputs::repl::ReplError;
use crate::inputs::repl::helper::ReplHelper;
use crate::support::output::{out, outln};

/// What the reading thread hands over.
pub(crate) enum Input {
    Line(String),
    /// Prints above the prompt while a line is being typed.
    Printer(Box<dyn FnMut(String) + Send>),
    /// Ctrl-D, `.quit`'s end of input, or a second Ctrl-C at an empty prompt.
    End,
    Failed(ReplError),
}

/// Reads one line per prompt received on `turns` (so that nothing is read while a command
/// runs: a Ctrl-C then reaches the process, and stops waiting).
pub(crate) fn read_lines(
    readline: Option<(PathBuf, ReplHelper, std::time::Duration)>,
    input: &mpsc::UnboundedSender<Input>,
    turns: &sync_mpsc::Receiver<String>,
) {
    let Some((history, helper, retention)) = readline else {
        let stdin = io::stdin();
        let mut lines = stdin.lock().lines();
        while let Ok(prompt) = turns.recv() {
            out!("{prompt}");
            let _ = io::stdout().flush();
            let sent = match lines.next() {
                Some(Ok(line)) => input.send(Input::Line(line)),
                Some(Err(error)) => input.send(Input::Failed(ReplError::Stdin(error))),
                None => {
                    outln!();
                    input.send(Input::End)
                }
            };
            if sent.is_err() {
                return;
            }
        }
        return;
    };
    let built = EditorConfig::builder()
        .completion_type(CompletionType::Circular)
        .auto_add_history(false)
        .history_ignore_dups(true)
        .map(rustyline::config::Builder::build);
    let editor = built.and_then(Editor::<ReplHelper, DefaultHistory>::with_config);
    let mut editor = match editor {
        Ok(editor) => editor,
        Err(error) => {
            let _ = input.send(Input::Failed(ReplError::Editor(error)));
            return;
        }
    };
    editor.set_helper(Some(helper));
    for line in super::history::load(&history, retention, crate::support::clock::epoch_secs()) {
        let _ = editor.add_history_entry(line);
    }
    if let Ok(mut external) = editor.create_external_printer() {
        let _ = input.send(Input::Printer(Box::new(move |text| {
            let _ = external.print(format!("{text}\n"));
        })));
    }
    // Ctrl-C clears the line; a second one in a row (at the empty prompt) leaves.
    let mut interrupted = false;
    while let Ok(prompt) = turns.recv() {
        let read = editor.readline(&prompt);
        let again = interrupted;
        interrupted = matches!(read, Err(ReadlineError::Interrupted));
        let sent = match read {
            Ok(line) => {
                if !line.trim().is_empty() {
                    let _ = editor.add_history_entry(line.as_str());
                    // Saved at once, so that the history survives a crash or a kill.
                    let _ = super::history::append(
                        &history,
                        &line,
                        crate::support::clock::epoch_secs(),
                    );
                }
                input.send(Input::Line(line))
            }
            Err(ReadlineError::Interrupted) if again => input.send(Input::End),
            Err(ReadlineError::Interrupted) => {
                outln!("(Ctrl-C again or Ctrl-D leaves)");
                input.send(Input::Line(String::new()))
            }
            Err(ReadlineError::Eof) => input.send(Input::End),
            Err(error) => input.send(Input::Failed(ReplError::Terminal(error))),
        };
        if sent.is_err() {
            return;
        }
    }
}
