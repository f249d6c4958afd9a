//! `hotelcare queue list | retry | drop SEQ...`: what the journal holds, and what to do with it.

use crate::cli::execution::{
    self, Kind, block_on, connect, open_journal, stdout_printer, usage, verdict,
};
use crate::cli::exit::Exit;
use crate::config::Config;
use crate::diagnostics::Count;
use crate::engine::Status;
use crate::logs::{self, Retention};
use crate::monitor::format;

/// `queue list`: pending and failed commands with room, command, attempts and last error.
pub(crate) fn list(config: &Config) -> Exit {
    let journal = match open_journal(config) {
        Ok(journal) => journal,
        Err(exit) => return exit,
    };
    let entries = match journal.entries() {
        Ok(entries) => entries,
        Err(error) => return usage(error),
    };
    if entries.is_empty() {
        println!("the journal is empty: no command is pending or failed");
        return Exit::Done;
    }
    for entry in &entries {
        print!("{}", format::entry(entry));
    }
    let pending = entries
        .iter()
        .filter(|e| e.status == Status::Pending)
        .count();
    let failed = entries.len() - pending;
    println!("{pending} pending, {failed} failed");
    if pending > 0 {
        println!(
            "pending commands run with the next `hotelcare run` or `hotelcare queue retry`, in this order"
        );
    }
    if failed > 0 {
        println!(
            "failed commands: fix the cause (see the last error), then `hotelcare queue retry`; or give one up with `hotelcare queue drop NUMBER`"
        );
    }
    Exit::Done
}

/// `queue retry`: failed commands become pending again (unless a later command on their room
/// has overtaken them); then everything pending runs, in order.
pub(crate) fn retry(config: &Config, raw: bool) -> Exit {
    logs::init(&config.run.log_dir, Retention::OneShot);
    block_on(async {
        let journal = open_journal(config)?;
        let (requeued, overtaken) = journal.requeue_failed().await.map_err(usage)?;
        if !requeued.is_empty() {
            eprintln!(
                "{} failed before; trying again",
                Count(requeued.len(), "command")
            );
        }
        for (entry, later) in &overtaken {
            eprintln!(
                "warning: #{} `{}` ({}) stays failed: command #{later} on the same room was done after it, and running this one now would undo that; write a new command if it is still wanted, and `hotelcare queue drop {}` this one",
                entry.seq, entry.command.text, entry.origin, entry.seq
            );
        }
        let target = connect(config).await?;
        let engine = execution::engine(config, &target, journal, raw, stdout_printer());
        let drained = engine.drain().await;
        target.close().await;
        let exit = verdict(&drained.map_err(usage)?, Kind::Journaled);
        Ok(if exit == Exit::Done && !overtaken.is_empty() {
            Exit::Failed
        } else {
            exit
        })
    })
}

/// `queue drop SEQ...`: takes commands out of the journal for good (an operator's decision,
/// e.g. for a room that no longer exists).
pub(crate) fn drop(config: &Config, seqs: &[u64]) -> Exit {
    block_on(async {
        let journal = open_journal(config)?;
        let mut exit = Exit::Done;
        for seq in seqs {
            let Some(entry) = journal.get(*seq).map_err(usage)? else {
                eprintln!(
                    "error: there is no command #{seq} in the journal; see `hotelcare queue list`"
                );
                exit = Exit::Usage;
                continue;
            };
            journal.remove(*seq).await.map_err(usage)?;
            println!(
                "dropped #{seq}: room {} {} ({})",
                entry.command.action.room(),
                entry.command.text,
                entry.origin
            );
        }
        Ok(exit)
    })
}
