//! `hotelcare queue list | retry | drop SEQ...`: what the journal holds, and what to do with it.

use std::collections::HashSet;

use crate::cli::arguments::{Format, Numbers};
use crate::cli::client::{Client, Need, failed, with_backend};
use crate::cli::execution::output_format;
use crate::cli::exit::Exit;
use crate::cli::follow::{finish, follow};
use crate::config::Config;
use crate::control::backend::every_queued;
use crate::control::protocol::BackendError;
use crate::control::protocol::QueuePage;
use crate::diagnostics::Count;
use crate::monitor::json::QueueStatus;
use crate::support::output::{errln, out, outln};

/// `queue list`: pending and failed commands with room, command, attempts and last error.
pub(crate) fn list(config: &Config, pbx: Option<&str>, page: QueuePage) -> Exit {
    with_backend(config, Need::Journal, false, async |client| {
        let answer = client.backend.queue(pbx, page).await.map_err(failed)?;
        if output_format() == Format::Json {
            print_json(&answer.queue);
        } else {
            out!("{}", answer.text);
        }
        Ok(Exit::Done)
    })
}

/// A document as `--format json` prints it.
pub(crate) fn print_json(document: &impl serde::Serialize) {
    if let Ok(text) = serde_json::to_string_pretty(document) {
        outln!("{text}");
    }
}

/// `queue retry`: failed commands become pending again (unless a later command on their room
/// has overtaken them); then everything pending runs, in order, with the monitor.
pub(crate) fn retry(config: &Config, raw: bool) -> Exit {
    with_backend(config, Need::Pbxs, raw, async |client| {
        retry_with(client, raw).await
    })
}

async fn retry_with(client: &Client<'_>, raw: bool) -> Result<Exit, Exit> {
    let mut events = client.events(raw).await?;
    let retried = client.backend.retry().await.map_err(failed)?;
    if retried.requeued > 0 {
        errln!(
            "{} failed before; trying again",
            Count(retried.requeued, "command")
        );
    }
    for overtaken in &retried.overtaken {
        errln!(
            "warning: #{} `{}` ({}) stays failed: command #{} on the same room was done after it, and running this one now would undo that; write a new command if it is still wanted, and `hotelcare queue drop {}` this one",
            overtaken.seq,
            overtaken.command,
            overtaken.origin,
            overtaken.later,
            overtaken.seq
        );
    }
    let waiting: HashSet<u64> = retried.pending.iter().copied().collect();
    let followed = follow(client, &mut events, waiting, raw).await;
    // Pending commands that no longer validate were failed by the retry's check.
    let mut followed = followed;
    followed.tally.failed.extend(retried.refused);
    let exit = finish(client, followed);
    Ok(if exit == Exit::Done && !retried.overtaken.is_empty() {
        Exit::Failed
    } else {
        exit
    })
}

/// `queue drop SEQ...`: takes commands out of the journal for good (an operator's decision,
/// e.g. for a room that no longer exists). With `failed`, every failed command too.
pub(crate) fn drop(config: &Config, given: &[Numbers], failed_too: bool) -> Exit {
    with_backend(config, Need::Journal, false, async |client| {
        let mut seqs = Vec::new();
        // A range drops those of its numbers that are in the journal; a number given alone
        // that is not is an error.
        let mut in_a_range = std::collections::BTreeSet::new();
        for numbers in given {
            match *numbers {
                Numbers::One(seq) => seqs.push(seq),
                Numbers::Range(first, last) => {
                    let commands = every_queued(client.backend, None).await.map_err(failed)?;
                    for command in commands {
                        if (first..=last).contains(&command.seq) {
                            seqs.push(command.seq);
                            in_a_range.insert(command.seq);
                        }
                    }
                }
            }
        }
        if failed_too {
            let commands = every_queued(client.backend, None).await.map_err(failed)?;
            let failed: Vec<u64> = commands
                .iter()
                .filter(|c| c.status == QueueStatus::Failed)
                .map(|c| c.seq)
                .collect();
            if failed.is_empty() {
                outln!("no command has failed: nothing to drop");
            }
            seqs.extend(failed);
        }
        seqs.sort_unstable();
        seqs.dedup();
        let mut exit = Exit::Done;
        for seq in seqs {
            match client.backend.drop_command(seq).await {
                Ok(dropped) => outln!("{}", dropped.text),
                Err(BackendError::NotFound(_)) if in_a_range.contains(&seq) => {}
                Err(error @ (BackendError::NotFound(_) | BackendError::Conflict(_))) => {
                    exit = failed(error);
                }
                Err(error) => return Err(failed(error)),
            }
        }
        Ok(exit)
    })
}
