//! What `run`, `show`, `queue retry` and the REPL share: an engine on the target, the monitor on
//! stdout, and the verdict of a drain as a line and an exit code.

use std::sync::Arc;

use crate::cli::exit::Exit;
use crate::cli::target::Target;
use crate::client::Client;
use crate::config::Config;
use crate::diagnostics::Count;
use crate::engine::Transport as _;
use crate::engine::{self, Engine, Journal, Report};
use crate::lower::Settings;
use crate::monitor::{Monitor, Printer};

/// An engine for `config` on `target`, printing the monitor with `printer`.
pub(crate) fn engine(
    config: &Config,
    target: &Target,
    journal: Journal,
    raw: bool,
    printer: Printer,
) -> Engine<Client> {
    let monitor = Arc::new(Monitor::new(printer, raw, target.client.target()));
    let options = engine::Options {
        settings: Settings::from_config(config),
        policy: config.run.retry,
        max_concurrency: config.run.max_concurrency,
        raw,
    };
    Engine::new(
        Arc::clone(&target.client),
        journal,
        options,
        Arc::new(move |event| monitor.on_event(event)),
    )
}

/// Stdout, line-buffered by `println!`.
pub(crate) fn stdout_printer() -> Printer {
    Box::new(|text| println!("{text}"))
}

/// Prints the verdict of a drain on stderr and returns its exit code. `journaled`: whether
/// commands that did not run are kept for `queue retry`.
pub(crate) fn verdict(report: &Report, journaled: bool) -> Exit {
    let failed = report.failed.len();
    for reason in &report.failed {
        eprintln!("error: {reason}");
    }
    if !journaled && let Some(reason) = &report.halted {
        eprintln!("error: {reason}");
        return Exit::Queued;
    }
    if let Some(reason) = &report.halted {
        eprintln!(
            "error: {}; {} done, {} failed, {} queued in the journal: run `hotelcare queue retry` once the PBX is reachable",
            reason, report.done, failed, report.queued
        );
        return Exit::Queued;
    }
    if report.queued > 0 {
        eprintln!(
            "error: {} queued; run `hotelcare queue retry`",
            Count(report.queued, "command")
        );
        return Exit::Queued;
    }
    if failed > 0 {
        eprintln!(
            "error: {} failed, {} done; see `hotelcare queue list`",
            Count(failed, "command"),
            report.done
        );
        return Exit::Failed;
    }
    eprintln!("done: {}", Count(report.done, "command"));
    Exit::Done
}

/// A multi-threaded runtime for one command.
pub(crate) fn runtime() -> Result<tokio::runtime::Runtime, String> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| format!("cannot start the async runtime: {e}"))
}
