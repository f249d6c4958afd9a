//! What the subcommands share: the output format, a runtime, the journal's compaction, and
//! the verdict of their commands as a line and an exit code.

use std::sync::OnceLock;

use crate::cli::arguments::Format;
use crate::cli::error::{Error, report};
use crate::cli::exit::Exit;
use crate::cli::target::Target;
use crate::config::Config;
use crate::diagnostics::Count;
use crate::engine::Report;
use crate::support::output::errln;

/// `--format`, for everything this run prints (set once, before anything is printed).
static FORMAT: OnceLock<Format> = OnceLock::new();

pub(crate) fn set_format(format: Format) {
    let _ = FORMAT.set(format);
}

pub(crate) fn output_format() -> Format {
    FORMAT.get().copied().unwrap_or(Format::Text)
}

/// Runs a command's async body on a runtime of one thread: a one-shot command (or a client of
/// the service) waits on the PBX or the service, and one thread does that with far fewer
/// hand-offs between threads (issue 25: `run` took 40 % less CPU per PBX request than on a
/// runtime with a worker per core). Blocking work goes to `spawn_blocking` as everywhere. The
/// body returns `Err(exit)` for an error it has already reported, so that it can use `?`.
pub(crate) fn block_on(body: impl Future<Output = Result<Exit, Exit>>) -> Exit {
    run_on(tokio::runtime::Builder::new_current_thread(), body)
}

/// `block_on` on a worker thread per core, for what serves many at once (`serve`, `sim`): a
/// spool file being checked or a slow API client must not hold up the rest.
pub(crate) fn block_on_threads(body: impl Future<Output = Result<Exit, Exit>>) -> Exit {
    run_on(tokio::runtime::Builder::new_multi_thread(), body)
}

fn run_on(
    mut builder: tokio::runtime::Builder,
    body: impl Future<Output = Result<Exit, Exit>>,
) -> Exit {
    // Monitor lines are held while a burst of work runs and written when the runtime waits
    // for something (see `output::HELD`), and at the end.
    let exit = match builder.enable_all().on_thread_park(flush_held).build() {
        Ok(runtime) => runtime.block_on(body).unwrap_or_else(|exit| exit),
        Err(error) => report(Error::Io {
            what: "cannot start the async runtime".into(),
            error,
        }),
    };
    flush_held();
    exit
}

/// Writes the monitor lines held back for stdout and the log.
pub(crate) fn flush_held() {
    crate::support::output::flush_held();
    crate::support::logs::flush_held();
}

/// Reports an error that stops the command (see `error::report`).
pub(crate) fn usage(error: impl Into<Error>) -> Exit {
    report(error)
}

/// Rewrites the journal without what finished commands left behind in its free pages (guest
/// names): called once a command has closed the journal. A failure is only logged: the journal
/// itself is intact either way.
pub(crate) fn compact_journal(config: &Config) {
    if let Err(error) = crate::engine::journal::compact(&config.run.state_dir) {
        tracing::warn!("the journal was not compacted: {error}");
    }
}

/// The target (PBX or embedded simulator); `Err` is already reported.
pub(crate) async fn connect(config: &Config) -> Result<Target, Exit> {
    Target::connect(config).await.map_err(usage)
}

/// What the commands of a drain were.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Kind {
    /// Scripts and queued commands: what does not run stays in the journal.
    Journaled,
    /// `show`, `test-access`: answered now or not at all; nothing is kept.
    Inline,
}

/// Prints the verdict of a drain on stderr and returns its exit code.
pub(crate) fn verdict(report: &Report, kind: Kind) -> Exit {
    let failed = report.failed.len();
    for reason in &report.failed {
        errln!("error: {reason}");
    }
    if kind == Kind::Inline {
        if let Some(reason) = &report.halted {
            errln!("error: {reason}");
            return Exit::Queued;
        }
        return if failed > 0 { Exit::Failed } else { Exit::Done };
    }
    if let Some(reason) = &report.stopped {
        errln!(
            "{reason}: {} done, {failed} failed, {} queued in the journal; `hotelcare queue retry` (or the next `hotelcare run`) carries out the queued ones, in their order",
            report.done,
            report.queued
        );
        tracing::warn!(
            "{reason}: {} done, {failed} failed, {} queued",
            report.done,
            report.queued
        );
        return Exit::Queued;
    }
    if report.halted.is_some() || report.queued > 0 {
        errln!(
            "error: {}; {} done, {failed} failed, {} queued in the journal: once that is fixed, run `hotelcare queue retry` (not the script again, which would queue its commands a second time)",
            report
                .halted
                .as_deref()
                .unwrap_or("some commands could not run"),
            report.done,
            report.queued
        );
        return Exit::Queued;
    }
    if failed > 0 {
        errln!(
            "error: {} failed, {} done; `hotelcare queue list` shows them",
            Count(failed, "command"),
            report.done
        );
        return Exit::Failed;
    }
    errln!("done: {}", Count(report.done, "command"));
    Exit::Done
}
