//! The support REPL: type commands, see every operation they send and what the PBX answered —
//! the vendor's "Script Interpreter" monitor.
//!
//! One loop, written against `Backend`: the running service (then it shows everything the
//! service does, other sources' commands marked with their source) or the core in this
//! process. Each line is checked here like a script (an error shows a caret and runs nothing),
//! then submitted and followed to its end: there is no second way of executing. A thread reads
//! the lines (`reader`); this side prints events and runs the lines.

mod describe;
mod directive;
mod helper;
mod history;
mod reader;

use std::collections::HashSet;
use std::io::{self, Write};
use std::path::PathBuf;
use std::sync::mpsc as sync_mpsc;
use std::sync::{Arc, Mutex, PoisonError};

use rustyline::error::ReadlineError;
use tokio::sync::mpsc;

use crate::config::Config;
use crate::control::backend::{Backend, Item};
use crate::control::hub::{Kind, Published, Tally};
use crate::diagnostics::{Count, render};
use crate::intake::script::Script;
use crate::lang::compile::{Event, compile_at};
use crate::lang::validate::{Command, Validator};
use crate::pbx::registry;
use crate::support::output::{errln, out, outln};
use directive::Directive;
use helper::ReplHelper;
use reader::Input;

/// Why the REPL cannot go on reading lines.
#[derive(Debug, thiserror::Error)]
pub(crate) enum ReplError {
    #[error("cannot start the line editor: {0}")]
    Editor(ReadlineError),
    #[error("cannot read the terminal: {0}")]
    Terminal(ReadlineError),
    #[error("cannot read standard input: {0}")]
    Stdin(io::Error),
    #[error("cannot follow the commands: {0}")]
    Events(String),
}

/// The history file inside the state directory.
pub(crate) const HISTORY_FILE: &str = "repl-history.txt";

/// How a REPL session starts.
pub(crate) struct Options {
    /// Show what goes over the wire (`.raw`).
    pub(crate) raw: bool,
    pub(crate) color: bool,
    /// The line editor, with its history file; `None`: plain standard input.
    pub(crate) history: Option<PathBuf>,
    /// Commands an earlier run left pending (they run first), and those that no longer
    /// validate.
    pub(crate) resumed: Vec<u64>,
    pub(crate) refused: Vec<String>,
}

/// One REPL session.
struct Session<'a> {
    backend: &'a dyn Backend,
    config: &'a Config,
    validator: Validator<'a>,
    raw: bool,
    plan: bool,
    color: bool,
    /// Lines entered so far (for `repl:N` origins).
    count: usize,
    /// Extensions for completion: the PBXs' directory numbers and the rooms typed.
    rooms: Arc<Mutex<Vec<String>>>,
    events: mpsc::Receiver<Item>,
    /// Prints above the prompt (rustyline's external printer), once the editor runs.
    printer: Option<Box<dyn FnMut(String) + Send>>,
}

/// Runs the REPL until `.quit`, Ctrl-D, or a second Ctrl-C at an empty prompt.
pub(crate) async fn run(
    backend: &dyn Backend,
    config: &Config,
    options: Options,
) -> Result<(), ReplError> {
    // Every event with what went over the wire: `.raw` only changes what is shown. The REPL
    // shows text.
    let events = backend
        .events(true, false)
        .await
        .map_err(|e| ReplError::Events(e.to_string()))?
        .forwarded();
    let numbers = backend
        .directory_numbers()
        .await
        .map(|answer| answer.numbers)
        .unwrap_or_default();
    let mut session = Session {
        backend,
        config,
        validator: Validator::new(config),
        raw: options.raw,
        plan: false,
        color: options.color,
        count: 0,
        rooms: Arc::new(Mutex::new(numbers)),
        events,
        printer: None,
    };
    let readline = options.history.map(|history| {
        (
            history,
            helper_for(config, Arc::clone(&session.rooms), options.color),
            config.run.retention,
        )
    });
    if backend.is_service() {
        outln!(
            "hotelcare {} attached to {}; its monitor follows, marked with each command's source; `.help` for help, Ctrl-D to leave",
            env!("CARGO_PKG_VERSION"),
            backend.describe()
        );
    } else {
        outln!(
            "hotelcare {} on {}; `.help` for help, Ctrl-D to leave",
            env!("CARGO_PKG_VERSION"),
            backend.name()
        );
    }
    for reason in &options.refused {
        errln!("error: {reason}");
    }
    if !options.resumed.is_empty() {
        outln!(
            "{} left pending by an earlier run; running them first, in their order:",
            Count(options.resumed.len(), "command")
        );
        session.wait(&options.resumed).await;
    }
    let (input_sender, mut input) = mpsc::unbounded_channel();
    let (turns, turns_receiver) = sync_mpsc::channel::<String>();
    std::thread::spawn(move || reader::read_lines(readline, &input_sender, &turns_receiver));
    let _ = turns.send(session.prompt());
    loop {
        let line = tokio::select! {
            next = input.recv() => match next {
                Some(Input::Line(line)) => line,
                Some(Input::Printer(external)) => { session.printer = Some(external); continue; }
                Some(Input::Failed(error)) => return Err(error),
                Some(Input::End) | None => return Ok(()),
            },
            item = session.events.recv() => {
                let Some(item) = item else {
                    errln!("the service closed its event stream (it stopped?); leaving");
                    return Ok(());
                };
                session.show(&item, &HashSet::new());
                continue;
            },
        };
        if !session.line(&line).await {
            return Ok(());
        }
        let _ = turns.send(session.prompt());
    }
}

impl Session<'_> {
    /// The prompt: `hotelcare(simulator)> `, `hotelcare(service 127.0.0.1:8421 plan)> `.
    fn prompt(&self) -> String {
        let mode = if self.plan { " plan" } else { "" };
        format!("hotelcare({}{mode})> ", self.backend.name())
    }

    /// Handles one input line. `false` when the session should end.
    async fn line(&mut self, line: &str) -> bool {
        let trimmed = line.trim();
        if trimmed.is_empty() {
            return true;
        }
        if trimmed.starts_with('.') {
            return self.directive(trimmed).await;
        }
        self.count += 1;
        let Some(commands) = self.check(line) else {
            return true;
        };
        self.remember_rooms(&commands);
        let source = if self.backend.is_service() {
            // Several REPLs may be attached: the process tells them apart.
            format!("repl:{}:{}", std::process::id(), self.count)
        } else {
            format!("repl:{}", self.count)
        };
        if self.plan {
            for command in &commands {
                for (pbx, planned) in registry::plan(self.config, &source, command, self.raw) {
                    if let Some(pbx) = pbx {
                        out!("PBX `{pbx}`:\n");
                    }
                    out!("{}", planned.text);
                    if !planned.text.ends_with('\n') {
                        out!("\n");
                    }
                }
            }
            return true;
        }
        let script = [Script::Line {
            source,
            text: line.to_owned(),
        }];
        // Lines typed are commands given now, not a batch delivered again.
        match self
            .backend
            .submit(&script, self.config.run.script_encoding, true)
            .await
        {
            Ok(submitted) => self.wait(&submitted.seqs).await,
            Err(error) => errln!("error: {error}"),
        }
        true
    }

    /// Checks the line on a copy of the session's validator (a line with an error changes
    /// nothing, not even what the session knows of DIDs); its commands, or `None` after the
    /// errors are shown.
    fn check(&mut self, line: &str) -> Option<Vec<Command>> {
        let mut validator = self.validator.clone();
        let mut commands = Vec::new();
        let mut errors = 0;
        let color = self.color;
        let compiled = compile_at(
            "repl",
            self.count - 1,
            line.as_bytes(),
            &mut validator,
            &mut |event| match event {
                Event::Command(command) => commands.push(command),
                Event::Diagnostic { diagnostic, source } => {
                    errors += usize::from(diagnostic.is_error());
                    errln!("{}", render(&diagnostic, &source, color));
                }
            },
        );
        if let Err(error) = compiled {
            errln!("error: {error}");
            return None;
        }
        if errors > 0 {
            errln!("nothing was run");
            return None;
        }
        self.validator = validator;
        Some(commands)
    }

    /// Prints events until the commands `seqs` have finished, then what went wrong; Ctrl-C
    /// stops waiting (a core of this process leaves them queued; a service goes on).
    async fn wait(&mut self, seqs: &[u64]) {
        let own: HashSet<u64> = seqs.iter().copied().collect();
        let mut waiting = own.clone();
        let mut tally = Tally::default();
        while !waiting.is_empty() {
            let item = tokio::select! {
                item = self.events.recv() => item,
                _ = tokio::signal::ctrl_c() => {
                    self.interrupted(waiting.len()).await;
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
                && waiting.remove(&seq)
            {
                tally.add(event);
            }
            self.show(&item, &own);
        }
        for reason in &tally.failed {
            errln!("error: {reason}");
        }
        if tally.queued > 0 {
            errln!(
                "error: {}; {} queued (`.queue` lists them; {})",
                tally
                    .queued_reason
                    .as_deref()
                    .unwrap_or("some commands could not run"),
                tally.queued,
                if self.backend.is_service() {
                    "the service tries them again by itself"
                } else {
                    "they run again with the next command"
                }
            );
        }
        let _ = io::stdout().flush();
    }

    /// Ctrl-C while commands run.
    async fn interrupted(&self, waiting: usize) {
        let reason = "interrupted by Ctrl-C";
        if self.backend.is_service() {
            errln!(
                "stopped waiting: the service goes on with {} (`.queue` shows what is left)",
                Count(waiting, "command")
            );
            return;
        }
        if let Err(error) = self.backend.interrupt(reason).await {
            errln!("error: {error}");
        }
        errln!(
            "{reason}: {} left queued in the journal with the attempts made (`.queue` shows them); they run again with the next command",
            Count(waiting, "command")
        );
    }

    /// One event: this REPL's own commands as they are; a service's others marked with their
    /// source.
    fn show(&mut self, item: &Item, own: &HashSet<u64>) {
        let text = match item {
            Item::Lagged(lost) => format!("(the monitor fell behind: {lost} event(s) not shown)"),
            Item::Event(event) => self.render(event, own),
        };
        if text.is_empty() {
            return;
        }
        match &mut self.printer {
            Some(print) if own.is_empty() => print(text),
            _ => outln!("{text}"),
        }
    }

    fn render(&self, event: &Published, own: &HashSet<u64>) -> String {
        let mine = event.seq.is_some_and(|seq| own.contains(&seq));
        let mark = if mine || event.kind == Kind::Notice || !self.backend.is_service() {
            String::new()
        } else {
            format!("[{}] ", event.source)
        };
        let mut lines: Vec<String> = event.lines.iter().map(|l| format!("{mark}{l}")).collect();
        if self.raw {
            lines.extend(event.envelopes.iter().cloned());
        }
        lines.join("\n")
    }

    fn remember_rooms(&self, commands: &[Command]) {
        let mut rooms = self.rooms.lock().unwrap_or_else(PoisonError::into_inner);
        for command in commands {
            for room in command.action.rooms() {
                if !rooms.iter().any(|r| r == room) {
                    rooms.push(room.to_owned());
                }
            }
        }
    }

    async fn directive(&mut self, line: &str) -> bool {
        match Directive::parse(line) {
            Err(message) => errln!("error: {message}"),
            Ok(Directive::Quit) => return false,
            Ok(Directive::Help) => outln!("{}", directive::help()),
            Ok(Directive::Raw(on)) => {
                self.raw = on;
                outln!("raw envelopes {}", if on { "on" } else { "off" });
            }
            Ok(Directive::Plan(on)) => {
                self.plan = on;
                outln!(
                    "{}",
                    if on {
                        "plan mode: commands are checked and shown, nothing is sent"
                    } else {
                        "plan mode off: commands are sent to the PBX"
                    }
                );
            }
            Ok(Directive::Queue) => match self
                .backend
                .queue(None, crate::control::protocol::QueuePage::default())
                .await
            {
                Ok(answer) => out!("{}", answer.text),
                Err(error) => errln!("error: {error}"),
            },
            Ok(Directive::Config) => {
                outln!("{}", describe::describe(self.config));
                if self.backend.is_service() {
                    outln!(
                        "(as this REPL reads the configuration file; the service read it when it started)"
                    );
                }
            }
        }
        true
    }
}

/// The line editor's helper (completion, hints, highlighting) for `config`.
fn helper_for(config: &Config, rooms: Arc<Mutex<Vec<String>>>, color: bool) -> ReplHelper {
    ReplHelper {
        levels: config.all_level_names(),
        rooms,
        color,
    }
}
