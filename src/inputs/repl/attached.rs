//! The REPL attached to a running service: the vendor's "Script Interpreter" monitor of the
//! service. It shows everything the service does — commands from the spool, the API and other
//! REPLs too, each marked with its source — and runs its own lines through the service's API.
//!
//! A thread reads lines (rustyline, or plain standard input) and hands them over; the async
//! side prints events (through rustyline's external printer while the prompt is shown, so they
//! do not break the line being typed) and, for a line, submits it and waits for its commands.

use std::collections::HashSet;
use std::io::{self, BufRead, Write};
use std::path::PathBuf;
use std::sync::mpsc as sync_mpsc;

use rustyline::error::ReadlineError;
use rustyline::history::DefaultHistory;
use rustyline::{CompletionType, Config as EditorConfig, Editor, ExternalPrinter as _};
use serde_json::Value;
use tokio::sync::mpsc;

use crate::config::Config;
use crate::control::client::{Item, Remote};
use crate::diagnostics::render;
use crate::inputs::repl::ReplError;
use crate::inputs::repl::directive::{self, Directive};
use crate::inputs::repl::helper::ReplHelper;
use crate::lang::compile::{Event, compile_at};
use crate::lang::validate::Validator;
use crate::service::hub::{Kind, Published};
use crate::support::output::{errln, out, outln};

/// What the reading thread hands over.
enum Input {
    Line(String),
    Printer(Box<dyn FnMut(String) + Send>),
    End,
    Failed(ReplError),
}

/// Runs the attached REPL until `.quit`, Ctrl-D, or a second Ctrl-C at an empty prompt.
pub(crate) async fn attached(
    remote: &Remote,
    config: &Config,
    raw: bool,
    color: bool,
    readline: Option<(PathBuf, ReplHelper)>,
) -> Result<(), ReplError> {
    let mut events = remote
        .events(raw)
        .await
        .map_err(|e| ReplError::Stdin(io::Error::other(e.to_string())))?;
    let (event_sender, mut event_receiver) = mpsc::unbounded_channel();
    tokio::spawn(async move {
        while let Some(item) = events.next().await {
            if event_sender.send(item).is_err() {
                return;
            }
        }
    });
    let prompt = format!("hotelcare(service {})> ", remote.info.address);
    outln!(
        "hotelcare {} attached to the service ({}); its monitor follows, marked with each command's source; `.help` for help, Ctrl-D to leave",
        env!("CARGO_PKG_VERSION"),
        remote.info.describe()
    );
    let (input_sender, mut input) = mpsc::unbounded_channel();
    let (go, go_receiver) = sync_mpsc::channel::<()>();
    std::thread::spawn(move || read_lines(&prompt, readline, &input_sender, &go_receiver));
    let mut printer: Option<Box<dyn FnMut(String) + Send>> = None;
    let mut validator = Validator::new(config);
    let mut count = 0usize;
    let mut raw = raw;
    let _ = go.send(());
    loop {
        let line = tokio::select! {
            next = input.recv() => match next {
                Some(Input::Line(line)) => line,
                Some(Input::Printer(external)) => { printer = Some(external); continue; }
                Some(Input::Failed(error)) => return Err(error),
                Some(Input::End) | None => return Ok(()),
            },
            item = event_receiver.recv() => {
                let Some(item) = item else {
                    errln!("the service closed its event stream (it stopped?); leaving");
                    return Ok(());
                };
                show(&item, &HashSet::new(), raw, &mut printer);
                continue;
            },
        };
        let trimmed = line.trim();
        if trimmed.starts_with('.') {
            match Directive::parse(trimmed) {
                Ok(Directive::Quit) => return Ok(()),
                Ok(Directive::Help) => outln!("{}", directive::help()),
                Ok(Directive::Raw(on)) => {
                    raw = on;
                    outln!("raw envelopes {}", if on { "on" } else { "off" });
                }
                Ok(Directive::Queue) => match remote.get("/v1/queue").await {
                    Ok(answer) => out!(
                        "{}",
                        answer.get("text").and_then(Value::as_str).unwrap_or("")
                    ),
                    Err(error) => errln!("error: {error}"),
                },
                Ok(Directive::Plan(_) | Directive::Config) => errln!(
                    "attached to a service: `.plan` and `.config` are for a REPL of its own (stop the service, or use `hotelcare plan`)"
                ),
                Err(message) => errln!("error: {message}"),
            }
            let _ = go.send(());
            continue;
        }
        if !trimmed.is_empty() {
            count += 1;
            let seqs = submit(remote, &mut validator, count, &line, color).await;
            if !seqs.is_empty() {
                wait(&seqs, &mut event_receiver, raw).await;
            }
        }
        let _ = go.send(());
    }
}

/// Checks the line here (carets as in-process), then submits it; its commands' numbers.
async fn submit(
    remote: &Remote,
    validator: &mut Validator<'_>,
    count: usize,
    line: &str,
    color: bool,
) -> Vec<u64> {
    let mut checking = validator.clone();
    let mut errors = 0;
    let _ = compile_at(
        "repl",
        count - 1,
        line.as_bytes(),
        &mut checking,
        &mut |event| {
            if let Event::Diagnostic { diagnostic, source } = event {
                errors += usize::from(diagnostic.is_error());
                errln!("{}", render(&diagnostic, &source, color));
            }
        },
    );
    if errors > 0 {
        errln!("nothing was run");
        return Vec::new();
    }
    *validator = checking;
    let source = format!("repl:{}:{count}", std::process::id());
    match remote
        .post(
            &format!("/v1/scripts?source={source}&again=true"),
            line.as_bytes().to_vec(),
        )
        .await
    {
        Ok(answer) => answer
            .get("seqs")
            .and_then(Value::as_array)
            .map(|seqs| seqs.iter().filter_map(Value::as_u64).collect())
            .unwrap_or_default(),
        Err(error) => {
            errln!("error: {error}");
            Vec::new()
        }
    }
}

/// Prints events until the commands `seqs` have finished; Ctrl-C stops waiting (the service
/// goes on with them).
async fn wait(seqs: &[u64], events: &mut mpsc::UnboundedReceiver<Item>, raw: bool) {
    let mut waiting: HashSet<u64> = seqs.iter().copied().collect();
    let own = waiting.clone();
    let mut none = None;
    while !waiting.is_empty() {
        let item = tokio::select! {
            item = events.recv() => item,
            _ = tokio::signal::ctrl_c() => {
                errln!(
                    "stopped waiting: the service goes on with {} command(s) (`.queue` shows what is left)",
                    waiting.len()
                );
                return;
            }
        };
        let Some(item) = item else {
            errln!(
                "the service closed its event stream: {} command(s) not yet reported; `hotelcare queue list` shows them once it runs",
                waiting.len()
            );
            return;
        };
        if let Item::Event(event) = &item
            && event.kind == Kind::Finished
            && let Some(seq) = event.seq
        {
            waiting.remove(&seq);
        }
        show(&item, &own, raw, &mut none);
    }
    let _ = io::stdout().flush();
}

/// One event: the REPL's own commands as they are, others marked with their source.
fn show(
    item: &Item,
    own: &HashSet<u64>,
    raw: bool,
    printer: &mut Option<Box<dyn FnMut(String) + Send>>,
) {
    let text = match item {
        Item::Lagged(lost) => format!("(the monitor fell behind: {lost} event(s) not shown)"),
        Item::Event(event) => render_event(event, own, raw),
    };
    if text.is_empty() {
        return;
    }
    match printer {
        Some(print) => print(text),
        None => outln!("{text}"),
    }
}

fn render_event(event: &Published, own: &HashSet<u64>, raw: bool) -> String {
    let mine = event.seq.is_some_and(|seq| own.contains(&seq));
    let mark = if mine || event.kind == Kind::Notice {
        String::new()
    } else {
        format!("[{}] ", event.source)
    };
    let mut lines: Vec<String> = event.lines.iter().map(|l| format!("{mark}{l}")).collect();
    if raw {
        lines.extend(event.envelopes.iter().cloned());
    }
    lines.join("\n")
}

/// The reading thread: a line per `go`.
fn read_lines(
    prompt: &str,
    readline: Option<(PathBuf, ReplHelper)>,
    input: &mpsc::UnboundedSender<Input>,
    go: &sync_mpsc::Receiver<()>,
) {
    let Some((history, helper)) = readline else {
        let stdin = io::stdin();
        let mut lines = stdin.lock().lines();
        while go.recv().is_ok() {
            out!("{prompt}");
            let _ = io::stdout().flush();
            match lines.next() {
                Some(Ok(line)) => {
                    if input.send(Input::Line(line)).is_err() {
                        return;
                    }
                }
                Some(Err(error)) => {
                    let _ = input.send(Input::Failed(ReplError::Stdin(error)));
                    return;
                }
                None => {
                    outln!();
                    let _ = input.send(Input::End);
                    return;
                }
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
    let _ = editor.load_history(&history);
    if let Ok(mut external) = editor.create_external_printer() {
        let _ = input.send(Input::Printer(Box::new(move |text| {
            let _ = external.print(format!("{text}\n"));
        })));
    }
    let mut interrupted = false;
    while go.recv().is_ok() {
        let read = editor.readline(prompt);
        let again = interrupted;
        interrupted = matches!(read, Err(ReadlineError::Interrupted));
        let sent = match read {
            Ok(line) => {
                if !line.trim().is_empty() {
                    let _ = editor.add_history_entry(line.as_str());
                    let _ = editor.append_history(&history);
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
