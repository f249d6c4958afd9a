//! The progress line of a long `run` on a terminal: done / total, rate, failed, and what waits
//! on an unreachable PBX. It lives on stderr below the monitor lines; monitor output is printed
//! with the line suspended, so the two never mix. Nothing of it appears when stdout or stderr is
//! not a terminal, or before the run has lasted a few seconds.

use std::fmt::Write as _;
use std::io::IsTerminal;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use crate::cli::arguments::Format;
use crate::cli::execution::output_format;
use crate::control::hub::{Ending, Published};

/// A run shorter than this shows no progress line.
const DELAY: Duration = Duration::from_secs(3);

/// The progress of one run; cheap to clone.
#[derive(Clone)]
pub(crate) struct Progress {
    bar: Option<ProgressBar>,
    failed: Arc<AtomicUsize>,
    queued: Arc<AtomicUsize>,
}

impl Progress {
    /// A progress line when both streams are terminals and the output is text; else nothing.
    pub(crate) fn for_terminal() -> Self {
        let wanted = std::io::stdout().is_terminal()
            && std::io::stderr().is_terminal()
            && output_format() == Format::Text;
        let bar = wanted.then(|| {
            let bar = ProgressBar::with_draw_target(Some(0), ProgressDrawTarget::hidden());
            bar.set_style(
                ProgressStyle::with_template(
                    "{pos}/{len} commands done ({per_sec}), {msg} [{elapsed}]",
                )
                .unwrap_or_else(|_| ProgressStyle::default_bar()),
            );
            bar
        });
        Self {
            bar,
            failed: Arc::default(),
            queued: Arc::default(),
        }
    }

    /// Starts counting towards `total`; the line appears after `DELAY`.
    pub(crate) fn start(&self, total: usize) {
        let Some(bar) = &self.bar else { return };
        bar.set_length(total as u64);
        self.refresh();
        let bar = bar.clone();
        tokio::spawn(async move {
            tokio::time::sleep(DELAY).await;
            if !bar.is_finished() {
                bar.set_draw_target(ProgressDrawTarget::stderr());
            }
        });
    }

    /// Prints monitor lines with the progress line out of the way.
    pub(crate) fn print(&self, print: impl FnOnce()) {
        match &self.bar {
            Some(bar) => bar.suspend(print),
            None => print(),
        }
    }

    /// Counts a finished command.
    pub(crate) fn observe(&self, event: &Published) {
        let Some(bar) = &self.bar else { return };
        match event.outcome {
            Some(Ending::Done) => bar.inc(1),
            Some(Ending::Failed) => {
                self.failed.fetch_add(1, Ordering::Relaxed);
                bar.inc(1);
            }
            Some(Ending::Queued | Ending::Behind | Ending::NotDone) => {
                self.queued.fetch_add(1, Ordering::Relaxed);
            }
            None => return,
        }
        self.refresh();
    }

    fn refresh(&self) {
        if let Some(bar) = &self.bar {
            let queued = self.queued.load(Ordering::Relaxed);
            let mut message = format!("{} failed", self.failed.load(Ordering::Relaxed));
            if queued > 0 {
                let _ = write!(message, ", {queued} queued (the PBX is unreachable)");
            }
            bar.set_message(message);
        }
    }

    /// Takes the line away before the summary is printed.
    pub(crate) fn finish(&self) {
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
    }
}
