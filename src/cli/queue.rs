//! `hotelcare queue list | retry | drop SEQ...`: what the journal holds, and what to do with it.

use std::fmt::Write as _;

use crate::cli::execution::{self, runtime, stdout_printer, verdict};
use crate::cli::exit::Exit;
use crate::cli::target::Target;
use crate::config::Config;
use crate::diagnostics::Count;
use crate::engine::{Entry, Journal, Status};
use crate::logs::{self, Retention};

/// `queue list`: pending and failed commands with room, command, attempts and last error.
pub(crate) fn list(config: &Config) -> Exit {
    let journal = match Journal::open(&config.run.state_dir) {
        Ok(journal) => journal,
        Err(error) => {
            eprintln!("error: {error}");
            return Exit::Usage;
        }
    };
    let entries = match journal.entries() {
        Ok(entries) => entries,
        Err(error) => {
            eprintln!("error: {error}");
            return Exit::Usage;
        }
    };
    if entries.is_empty() {
        println!("the journal is empty: no command is pending or failed");
        return Exit::Done;
    }
    for entry in &entries {
        print!("{}", describe(entry));
    }
    let pending = entries
        .iter()
        .filter(|e| e.status == Status::Pending)
        .count();
    println!(
        "{} pending, {} failed; `hotelcare queue retry` runs them again in this order",
        pending,
        entries.len() - pending
    );
    Exit::Done
}

fn describe(entry: &Entry) -> String {
    let status = match entry.status {
        Status::Pending => "pending",
        Status::Failed => "failed",
    };
    let mut out = format!(
        "#{:<6} {status:<8} room {:<7}  {}  ({}, {})\n",
        entry.seq,
        entry.command.action.room(),
        entry.command.text,
        entry.origin,
        Count(entry.attempts as usize, "failed attempt")
    );
    if let Some(error) = &entry.last_error {
        writeln!(out, "        last error: {error}").expect("String");
    }
    if !entry.reads.is_empty() {
        writeln!(
            out,
            "        (reads kept from an interrupted run: it resumes with them)"
        )
        .expect("String");
    }
    out
}

/// `queue retry`: failed commands become pending again; then everything pending runs, in order.
pub(crate) fn retry(config: &Config, raw: bool) -> Exit {
    logs::init(&config.run.log_dir, Retention::OneShot);
    let runtime = match runtime() {
        Ok(runtime) => runtime,
        Err(message) => {
            eprintln!("error: {message}");
            return Exit::Usage;
        }
    };
    runtime.block_on(async {
        let journal = match Journal::open(&config.run.state_dir) {
            Ok(journal) => journal,
            Err(error) => {
                eprintln!("error: {error}");
                return Exit::Usage;
            }
        };
        match journal.requeue_failed().await {
            Ok(0) => {}
            Ok(n) => eprintln!("{} failed before; trying again", Count(n, "command")),
            Err(error) => {
                eprintln!("error: {error}");
                return Exit::Usage;
            }
        }
        let target = match Target::connect(config).await {
            Ok(target) => target,
            Err(message) => {
                eprintln!("error: {message}");
                return Exit::Usage;
            }
        };
        let engine = execution::engine(config, &target, journal, raw, stdout_printer());
        let exit = match engine.drain().await {
            Ok(report) => verdict(&report, true),
            Err(error) => {
                eprintln!("error: {error}");
                Exit::Usage
            }
        };
        target.close().await;
        exit
    })
}

/// `queue drop SEQ...`: takes commands out of the journal for good (an operator's decision,
/// e.g. for a room that no longer exists).
pub(crate) fn drop(config: &Config, seqs: &[u64]) -> Exit {
    let runtime = match runtime() {
        Ok(runtime) => runtime,
        Err(message) => {
            eprintln!("error: {message}");
            return Exit::Usage;
        }
    };
    runtime.block_on(async {
        let journal = match Journal::open(&config.run.state_dir) {
            Ok(journal) => journal,
            Err(error) => {
                eprintln!("error: {error}");
                return Exit::Usage;
            }
        };
        let mut exit = Exit::Done;
        for seq in seqs {
            match journal.get(*seq) {
                Ok(Some(entry)) => match journal.complete(*seq).await {
                    Ok(()) => println!(
                        "dropped #{seq}: room {} {} ({})",
                        entry.command.action.room(),
                        entry.command.text,
                        entry.origin
                    ),
                    Err(error) => {
                        eprintln!("error: {error}");
                        exit = Exit::Usage;
                    }
                },
                Ok(None) => {
                    eprintln!("error: there is no command #{seq} in the journal; see `hotelcare queue list`");
                    exit = Exit::Usage;
                }
                Err(error) => {
                    eprintln!("error: {error}");
                    exit = Exit::Usage;
                }
            }
        }
        exit
    })
}
