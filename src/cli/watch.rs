//! `hotelcare watch SPOOL/`: the service mode. Executes each complete `*.hc` file that appears in
//! the spool directory (name order), then moves it to `done/` or `failed/` with a report (see
//! `spool`). This file only wires the spool to the engine and prints.

use std::path::Path;
use std::sync::{Arc, PoisonError};
use std::time::Duration;

use crate::cli::error::{Error, report};
use crate::cli::execution::{self, block_on, connect, open_journal, stdout_printer};
use crate::cli::exit::Exit;
use crate::cli::signals::stop_requested;
use crate::config::Config;
use crate::engine::Event;
use crate::logs::{self, Retention};
use crate::output::errln;
use crate::spool::{self, Attempts, Spool, Tell};

/// Timing of the spool loop.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Timing {
    pub(crate) interval: Duration,
    pub(crate) settle: Duration,
}

/// The longest pause between rounds while files wait for an unreachable PBX.
const WAITING_PAUSE: Duration = Duration::from_secs(60);

/// Finished files and problems go to stderr and the service log.
struct Stderr;

impl Tell for Stderr {
    fn tell(&self, line: &str) {
        tracing::info!("{line}");
        errln!("{line}");
    }

    fn problem(&self, line: &str) {
        tracing::warn!("{line}");
        errln!("{line}");
    }
}

pub(crate) fn watch(config: &Config, dir: &Path, timing: Timing, create: bool, raw: bool) -> Exit {
    logs::init(&config.run.log_dir, Retention::Service);
    let mut spool = match Spool::open(dir, timing.settle, create) {
        Ok(spool) => spool,
        Err(error) => {
            return report(Error::Io {
                what: format!("cannot use the spool directory `{}`", dir.display()),
                error,
            });
        }
    };
    let exit = block_on(async {
        let journal = open_journal(config)?;
        let target = connect(config).await?;
        let attempts: Attempts = Arc::default();
        let observed = Arc::clone(&attempts);
        let engine = execution::observed_engine(
            config,
            &target,
            journal,
            raw,
            stdout_printer(),
            move |event| {
                if let Event::Finished { entry, .. } = event {
                    observed
                        .lock()
                        .unwrap_or_else(PoisonError::into_inner)
                        .insert(entry.seq, entry.attempts);
                }
            },
        );
        for reason in execution::recheck(&engine, config).await? {
            errln!("error: {reason}");
        }
        errln!(
            "watching `{}` for *.hc files (every {} ms; a file counts once it ends with a line break and has not changed for {} ms); Ctrl-C stops",
            dir.display(),
            timing.interval.as_millis(),
            timing.settle.as_millis()
        );
        tracing::info!("watch started on {}", dir.display());
        let stop = stop_requested();
        tokio::pin!(stop);
        // While files wait for an unreachable PBX, rounds come further apart (up to a
        // minute), so that an outage does not fill the log with the same lines every second.
        let mut pause = timing.interval;
        let reason = loop {
            let waiting = spool::round(config, &engine, &attempts, &mut spool, &Stderr).await;
            pause = if waiting > 0 {
                (pause * 2).min(WAITING_PAUSE.max(timing.interval))
            } else {
                timing.interval
            };
            tokio::select! {
                reason = &mut stop => break reason,
                () = tokio::time::sleep(pause) => {}
            }
        };
        Stderr.tell(&format!(
            "watch {reason}; files not finished stay in `{}` and go on at the next start",
            dir.join("work").display()
        ));
        target.close().await;
        Ok(Exit::Done)
    });
    execution::compact_journal(config);
    exit
}
