//! The support REPL: type commands, see every MiXML operation they emit and what the PBX answered.
//!
//! Input: lines from a person (rustyline) or from `--no-readline` standard input. Output: the
//! monitor. Each line is checked like a script (an error shows a caret and runs nothing) and then
//! journaled and executed by the same engine as `run`: there is no second way of executing.
//! Imports `engine`, `compile`, `monitor`; it is wired to a target by `cli`.

mod attached;
mod directive;
mod helper;

pub(crate) use attached::attached;

use std::fmt::Write as _;
use std::io::{self, BufRead, Write};
use std::path::PathBuf;
use std::sync::{Arc, Mutex, PoisonError};

use rustyline::error::ReadlineError;
use rustyline::history::DefaultHistory;
use rustyline::{CompletionType, Config as EditorConfig, Editor};

use crate::config::{Config, Trust, format_fingerprint};
use crate::diagnostics::render;
use crate::engine::{Engine, Report};
use crate::lang::compile::{Event, compile_at};
use crate::lang::validate::{Action, Validator};
use crate::monitor;
use crate::support::output::{errln, out, outln};
use directive::Directive;
use helper::ReplHelper;

/// Why the REPL cannot go on reading lines.
#[derive(Debug, thiserror::Error)]
pub(crate) enum ReplError {
    #[error("cannot start the line editor: {0}")]
    Editor(ReadlineError),
    #[error("cannot read the terminal: {0}")]
    Terminal(ReadlineError),
    #[error("cannot read standard input: {0}")]
    Stdin(io::Error),
}

/// The history file inside the state directory.
pub(crate) const HISTORY_FILE: &str = "repl-history.txt";

/// Builds an engine for the session (again when `.raw` changes).
pub(crate) type EngineFactory<'a> = dyn Fn(bool) -> Engine + 'a;

/// One REPL session, on any transport (`cli` wires the client in).
pub(crate) struct Session<'a> {
    config: &'a Config,
    make_engine: &'a EngineFactory<'a>,
    engine: Engine,
    validator: Validator<'a>,
    raw: bool,
    plan: bool,
    color: bool,
    /// Lines entered so far (for `repl:N` origins).
    count: usize,
    rooms: Arc<Mutex<Vec<String>>>,
}

impl<'a> Session<'a> {
    pub(crate) fn new(
        config: &'a Config,
        make_engine: &'a EngineFactory<'a>,
        raw: bool,
        color: bool,
    ) -> Self {
        Self {
            config,
            make_engine,
            engine: make_engine(raw),
            validator: Validator::new(config),
            raw,
            plan: false,
            color,
            count: 0,
            rooms: Arc::new(Mutex::new(Vec::new())),
        }
    }

    /// Asks the PBX for its directory numbers (for completion); runs what an earlier session or
    /// run left pending.
    pub(crate) async fn start(&mut self) {
        let numbers = self.engine.pbxs().directory_numbers().await;
        *self.rooms.lock().unwrap_or_else(PoisonError::into_inner) = numbers;
        let config = self.config;
        match self
            .engine
            .recheck_pending(|command| crate::lang::validate::recheck(config, command))
            .await
        {
            Ok(refused) => {
                for (entry, reason) in refused {
                    errln!("error: #{} ({}): {reason}", entry.seq, entry.origin);
                }
            }
            Err(error) => errln!("error: {error}"),
        }
        if let Ok(pending) = self.engine.journal().count_pending()
            && pending > 0
        {
            outln!(
                "{} left pending by an earlier run; running them first, in their order:",
                crate::diagnostics::Count(pending, "command")
            );
            self.drain().await;
        }
    }

    /// The prompt: `hotelcare(simulator)> ` or `hotelcare(10.1.2.3)> `.
    pub(crate) fn prompt(&self) -> String {
        let mode = if self.plan { " plan" } else { "" };
        format!("hotelcare({}{mode})> ", self.config.target_name())
    }

    /// Handles one input line. `false` when the session should end.
    pub(crate) async fn line(&mut self, line: &str) -> bool {
        let trimmed = line.trim();
        if trimmed.is_empty() {
            return true;
        }
        if trimmed.starts_with('.') {
            return self.directive(trimmed);
        }
        self.count += 1;
        let name = format!("repl:{}", self.count);
        // Checked on a copy: a line with an error changes nothing, not even what the session
        // knows of DIDs.
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
            return true;
        }
        if errors > 0 {
            errln!("nothing was run");
            return true;
        }
        self.validator = validator;
        self.remember_rooms(commands.iter().map(|c| &c.action));
        if self.plan {
            for command in &commands {
                for (pbx, planned) in self.engine.pbxs().plan(&name, command, self.raw) {
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
        let commands = commands.into_iter().map(|c| (name.clone(), c)).collect();
        if let Err(error) = self.engine.enqueue(commands).await {
            errln!("error: {error}");
            return true;
        }
        self.drain().await;
        true
    }

    /// Runs what is pending; Ctrl-C stops waiting on the PBX and leaves it queued.
    async fn drain(&mut self) {
        let interrupted = async {
            match tokio::signal::ctrl_c().await {
                Ok(()) => "interrupted by Ctrl-C".to_owned(),
                Err(_) => std::future::pending().await,
            }
        };
        match self.engine.drain_until(interrupted).await {
            Ok(report) => summary(&report),
            Err(error) => errln!("error: {error}"),
        }
        let _ = io::stdout().flush();
    }

    fn remember_rooms<'c>(&self, actions: impl Iterator<Item = &'c Action>) {
        let mut rooms = self.rooms.lock().unwrap_or_else(PoisonError::into_inner);
        for action in actions {
            for room in action.rooms() {
                if !rooms.iter().any(|r| r == room) {
                    rooms.push(room.to_owned());
                }
            }
        }
    }

    fn directive(&mut self, line: &str) -> bool {
        match Directive::parse(line) {
            Err(message) => errln!("error: {message}"),
            Ok(Directive::Quit) => return false,
            Ok(Directive::Help) => outln!("{}", directive::help()),
            Ok(Directive::Raw(on)) => {
                self.raw = on;
                self.engine = (self.make_engine)(on);
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
            Ok(Directive::Queue) => match self.engine.journal().entries() {
                Ok(entries) if entries.is_empty() => outln!("the journal is empty"),
                Ok(entries) => {
                    for entry in &entries {
                        out!("{}", monitor::format::entry(entry, self.config));
                    }
                }
                Err(error) => errln!("error: {error}"),
            },
            Ok(Directive::Config) => outln!("{}", describe(self.config)),
        }
        true
    }

    fn helper(&self) -> ReplHelper {
        helper_for(self.config, Arc::clone(&self.rooms), self.color)
    }
}

/// The line editor's helper (completion, hints, highlighting) for `config`.
pub(crate) fn helper_for(
    config: &Config,
    rooms: Arc<Mutex<Vec<String>>>,
    color: bool,
) -> ReplHelper {
    ReplHelper {
        levels: config.all_level_names(),
        rooms,
        color,
    }
}

/// One line after each command: what happened.
fn summary(report: &Report) {
    for reason in &report.failed {
        errln!("error: {reason}");
    }
    if let Some(reason) = &report.stopped {
        errln!(
            "{reason}: {} left queued in the journal with the attempts made (`.queue` shows them); they run again with the next command",
            crate::diagnostics::Count(report.queued, "command")
        );
        return;
    }
    if let Some(reason) = &report.halted {
        errln!(
            "error: {reason}; {} queued (`.queue` lists them; they run again with the next command)",
            report.queued
        );
    }
}

/// One PBX's part of `.config`.
fn describe_pbx(config: &Config) -> String {
    let mut out = String::new();
    let mut line = |text: String| {
        out.push_str(&text);
        out.push('\n');
    };
    match &config.pbx {
        Some(pbx) => {
            let trust = match &pbx.trust {
                Trust::System => "the system's trusted certificates".to_owned(),
                Trust::CaFile(path) => format!("the CA file {}", path.display()),
                Trust::Pinned(fp) => format!("the pinned certificate {}", format_fingerprint(fp)),
            };
            line(format!(
                "PBX: {} as user `{}`, timeout {} s, trusting {trust}",
                pbx.server,
                pbx.user,
                pbx.timeout.as_secs()
            ));
        }
        None => line("PBX: the embedded simulator".to_owned()),
    }
    let levels: Vec<String> = config
        .levels
        .iter()
        .map(|(name, cor)| format!("{name}={cor}"))
        .collect();
    line(format!(
        "class of restriction: allow {}, block {}; levels: {}",
        config.cor.allow,
        config.cor.block,
        levels.join(", ")
    ));
    line(match &config.number_transfer {
        Some(nt) => format!(
            "number transfer: DIDs {}, signal extension to external {}",
            nt.range,
            if nt.signal_extension_external {
                "on"
            } else {
                "off"
            }
        ),
        None => "number transfer: off".to_owned(),
    });
    out
}

/// The configuration, as `.config` shows it: never the password.
fn describe(config: &Config) -> String {
    let mut out = String::new();
    if config.has_several_pbxs() {
        for (index, site) in config.pbxs.iter().enumerate() {
            let _ = writeln!(out, "PBX `{}`, rooms {}:", site.name, site.rooms_text());
            for text in describe_pbx(&config.view(index)).lines() {
                let _ = writeln!(out, "  {text}");
            }
        }
    } else {
        out.push_str(&describe_pbx(config));
    }
    let mut line = |text: String| {
        out.push_str(&text);
        out.push('\n');
    };
    line(format!(
        "max concurrency {}, {} attempts; state in {}, logs in {}",
        config.run.max_concurrency,
        config.run.retry.attempts,
        config.run.state_dir.display(),
        config.run.log_dir.display()
    ));
    out.trim_end().to_owned()
}

/// The interactive loop with rustyline: history in the state directory, completion, hints,
/// highlighting. Ctrl-C clears the line, Ctrl-D leaves.
pub(crate) async fn interactive(
    session: &mut Session<'_>,
    history: PathBuf,
) -> Result<(), ReplError> {
    let config = EditorConfig::builder()
        .completion_type(CompletionType::Circular)
        .auto_add_history(false)
        .history_ignore_dups(true)
        .map_err(ReplError::Editor)?
        .build();
    let mut editor: Editor<ReplHelper, DefaultHistory> =
        Editor::with_config(config).map_err(ReplError::Editor)?;
    editor.set_helper(Some(session.helper()));
    let _ = editor.load_history(&history);
    outln!(
        "hotelcare {} on {}; `.help` for help, Ctrl-D to leave",
        env!("CARGO_PKG_VERSION"),
        session.config.target_name()
    );
    // Ctrl-C clears the line; a second one in a row (at the empty prompt) leaves.
    let mut interrupted = false;
    loop {
        let read = editor.readline(&session.prompt());
        let again = interrupted;
        interrupted = matches!(read, Err(ReadlineError::Interrupted));
        match read {
            Ok(line) => {
                if !line.trim().is_empty() {
                    let _ = editor.add_history_entry(line.as_str());
                    // Saved at once, so that the history survives a crash or a kill.
                    let _ = editor.append_history(&history);
                }
                if !session.line(&line).await {
                    break;
                }
            }
            Err(ReadlineError::Interrupted) if again => break,
            Err(ReadlineError::Interrupted) => outln!("(Ctrl-C again or Ctrl-D leaves)"),
            Err(ReadlineError::Eof) => break,
            Err(error) => return Err(ReplError::Terminal(error)),
        }
    }
    Ok(())
}

/// `--no-readline`: the same session on plain standard input, line by line, with prompts.
pub(crate) async fn plain(session: &mut Session<'_>) -> Result<(), ReplError> {
    let stdin = io::stdin();
    let mut lines = stdin.lock().lines();
    loop {
        out!("{}", session.prompt());
        let _ = io::stdout().flush();
        match lines.next() {
            Some(Ok(line)) => {
                if !session.line(&line).await {
                    break;
                }
            }
            Some(Err(error)) => return Err(ReplError::Stdin(error)),
            None => break,
        }
    }
    outln!();
    Ok(())
}
