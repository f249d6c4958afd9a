//! `hotelcare queue list | retry | drop SEQ...`: what the journal holds, and what to do with it.

use crate::cli::arguments::Format;
use crate::cli::execution::output_format;
use crate::cli::execution::{
    self, Kind, block_on, connect, open_journal, recheck, stdout_printer, usage, verdict,
};
use crate::cli::exit::Exit;
use crate::cli::signals::stop_requested;
use crate::config::Config;
use crate::diagnostics::Count;
use crate::engine::Status;
use crate::monitor::{format, json};
use crate::support::logs::{self, Retention};
use crate::support::output::{errln, out, outln};

/// `queue list`: pending and failed commands with room, command, attempts and last error.
pub(crate) fn list(config: &Config) -> Exit {
    let journal = match open_journal(config) {
        Ok(journal) => journal,
        Err(exit) => return exit,
    };
    let mut entries = match journal.entries() {
        Ok(entries) => entries,
        Err(error) => return usage(error),
    };
    let all = entries.len();
    entries.retain(|entry| config.concerns(&entry.command.action.rooms()));
    if output_format() == Format::Json {
        if let Ok(text) = serde_json::to_string_pretty(&json::Queue::new(&entries, config)) {
            outln!("{text}");
        }
        return Exit::Done;
    }
    if entries.is_empty() && all > 0 {
        outln!("{}", format::none_for_pbx(config.pbx_name(), all));
        return Exit::Done;
    }
    out!("{}", format::queue(&entries, false, config));
    Exit::Done
}

/// `queue retry`: failed commands become pending again (unless a later command on their room
/// has overtaken them); then everything pending runs, in order.
pub(crate) fn retry(config: &Config, raw: bool) -> Exit {
    logs::init(&config.run.log_dir, Retention::OneShot);
    let exit = block_on(async {
        let journal = open_journal(config)?;
        let (requeued, overtaken) = journal.requeue_failed().await.map_err(usage)?;
        if !requeued.is_empty() {
            errln!(
                "{} failed before; trying again",
                Count(requeued.len(), "command")
            );
        }
        for (entry, later) in &overtaken {
            errln!(
                "warning: #{} `{}` ({}) stays failed: command #{later} on the same room was done after it, and running this one now would undo that; write a new command if it is still wanted, and `hotelcare queue drop {}` this one",
                entry.seq,
                entry.command.text,
                entry.origin,
                entry.seq
            );
        }
        let target = connect(config).await?;
        let engine = execution::engine(config, &target, journal, raw, stdout_printer());
        let refused = recheck(&engine, config).await?;
        let drained = engine.drain_until(stop_requested()).await;
        target.close().await;
        let mut drained = drained.map_err(usage)?;
        drained.failed.extend(refused);
        let exit = verdict(&drained, Kind::Journaled);
        Ok(if exit == Exit::Done && !overtaken.is_empty() {
            Exit::Failed
        } else {
            exit
        })
    });
    execution::compact_journal(config);
    exit
}

/// `queue drop SEQ...`: takes commands out of the journal for good (an operator's decision,
/// e.g. for a room that no longer exists).
/// With `failed`, every failed command too (listed first, so the log says what went).
pub(crate) fn drop(config: &Config, seqs: &[u64], failed: bool) -> Exit {
    logs::init(&config.run.log_dir, Retention::OneShot);
    let exit = block_on(async {
        let journal = open_journal(config)?;
        let mut seqs = seqs.to_vec();
        if failed {
            let entries = journal.entries().map_err(usage)?;
            let failed: Vec<_> = entries
                .iter()
                .filter(|e| e.status == Status::Failed)
                .collect();
            if failed.is_empty() {
                outln!("no command has failed: nothing to drop");
            }
            for entry in failed {
                out!("{}", format::entry(entry, config));
                seqs.push(entry.seq);
            }
        }
        seqs.sort_unstable();
        seqs.dedup();
        let mut exit = Exit::Done;
        for seq in &seqs {
            let Some(entry) = journal.get(*seq).map_err(usage)? else {
                exit = usage(format!(
                    "there is no command #{seq} in the journal; see `hotelcare queue list`"
                ));
                continue;
            };
            journal.remove(*seq).await.map_err(usage)?;
            tracing::info!(
                "dropped #{seq} ({}) from the journal by `queue drop`",
                entry.origin
            );
            outln!(
                "dropped #{seq}: room {} {} ({})",
                entry.command.action.room(),
                entry.command.text,
                entry.origin
            );
        }
        Ok(exit)
    });
    execution::compact_journal(config);
    exit
}
