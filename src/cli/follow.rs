//! Waiting for commands a client gave: their monitor lines as they happen, and the verdict of
//! their outcomes as a line and an exit code — the same whichever backend carries them out.

use std::collections::HashSet;

use tokio::sync::mpsc;

use crate::cli::arguments::Format;
use crate::cli::client::Client;
use crate::cli::execution::{Kind, output_format, verdict};
use crate::cli::exit::Exit;
use crate::cli::progress::Progress;
use crate::cli::signals::stop_requested;
use crate::control::backend::Item;
use crate::control::hub::{Kind as EventKind, Published, Tally};
use crate::engine::Report;
use crate::monitor::json::QueueStatus;
use crate::support::output::{errln, monitor_line, outln};

/// How waiting for commands ended.
pub(crate) struct Followed {
    pub(crate) tally: Tally,
    /// Commands whose end was not seen (the service went away, or a stop).
    pub(crate) unseen: usize,
    pub(crate) stopped: Option<String>,
}

/// Prints events, with a progress line on a terminal, until every command of `waiting` has
/// finished, or Ctrl-C or a stop signal comes (then the backend is told: a core of this process
/// cuts off what runs). A service's events
/// of other commands are not this client's; a core of this process has only its own.
pub(crate) async fn follow(
    client: &Client<'_>,
    events: &mut mpsc::Receiver<Item>,
    mut waiting: HashSet<u64>,
    raw: bool,
) -> Followed {
    let progress = &Progress::for_terminal();
    let stop = stop_requested();
    let mut tally = Tally::default();
    let everything = !client.is_service();
    tokio::pin!(stop);
    progress.start(waiting.len());
    while !waiting.is_empty() {
        let item = tokio::select! {
            item = events.recv() => item,
            reason = &mut stop => {
                let _ = client.backend.interrupt(&reason).await;
                progress.finish();
                return Followed { tally, unseen: waiting.len(), stopped: Some(reason) };
            }
        };
        match item {
            Some(Item::Event(event)) => {
                let mine = event.seq.is_some_and(|seq| waiting.contains(&seq));
                if mine || everything {
                    progress.print(|| print_event(&event, raw));
                }
                if mine && event.kind == EventKind::Finished {
                    progress.observe(&event);
                    tally.add(&event);
                    if let Some(seq) = event.seq {
                        waiting.remove(&seq);
                    }
                }
            }
            Some(Item::Lagged(lost)) => {
                errln!(
                    "warning: the monitor fell behind and lost {lost} event(s); asking the journal how the commands stand"
                );
                settle_from_queue(client, &mut waiting, &mut tally).await;
            }
            None => break,
        }
    }
    progress.finish();
    Followed {
        tally,
        unseen: waiting.len(),
        stopped: None,
    }
}

/// After lost events: commands no longer in the journal are done, failed ones failed.
async fn settle_from_queue(client: &Client<'_>, waiting: &mut HashSet<u64>, tally: &mut Tally) {
    let Ok(commands) = crate::control::backend::every_queued(client.backend, None).await else {
        return;
    };
    waiting.retain(|&seq| match commands.iter().find(|c| c.seq == seq) {
        None => {
            tally.done += 1;
            false
        }
        Some(command) if command.status == QueueStatus::Failed => {
            tally
                .failed
                .push(format!("#{seq} failed (see `hotelcare queue list`)"));
            false
        }
        Some(_) => true,
    });
}

/// One event as `run` prints it: its monitor lines (`--format json`: its JSON lines), and
/// with `raw` what went over the wire.
pub(crate) fn print_event(event: &Published, raw: bool) {
    if output_format() == Format::Json {
        for line in &event.json {
            if raw {
                outln!("{line}");
            } else {
                // What went over the wire is in an operation's `request` and `response`.
                let mut line = line.clone();
                if let Some(fields) = line.as_object_mut() {
                    fields.remove("request");
                    fields.remove("response");
                }
                outln!("{line}");
            }
        }
        return;
    }
    for line in &event.lines {
        monitor_line(line);
    }
    if raw {
        for line in &event.envelopes {
            monitor_line(line);
        }
    }
}

/// The verdict of what was followed: a line on stderr and the exit code. A service tries
/// queued commands again by itself; a run of its own leaves them to `queue retry`.
pub(crate) fn finish(client: &Client<'_>, followed: Followed) -> Exit {
    let Followed {
        mut tally,
        unseen,
        stopped,
    } = followed;
    for reason in &client.refused {
        // A `queue retry` checks them again, and says so too.
        if !tally.failed.contains(reason) {
            tally.failed.push(reason.clone());
        }
    }
    let service = client.backend.describe();
    if unseen > 0 && stopped.is_none() {
        errln!(
            "error: lost {service} with {unseen} command(s) not yet reported; they are in its journal and run when it is back: `hotelcare queue list` shows them"
        );
        return Exit::Queued;
    }
    if client.is_service() && stopped.is_none() && tally.queued > 0 {
        for reason in &tally.failed {
            errln!("error: {reason}");
        }
        errln!(
            "error: {}; {} done, {} failed, {} queued in the service's journal: the service tries them again by itself, in their order (`hotelcare queue list` shows them)",
            tally
                .queued_reason
                .as_deref()
                .unwrap_or("some commands could not run"),
            tally.done,
            tally.failed.len(),
            tally.queued
        );
        return Exit::Queued;
    }
    let stopped = stopped.map(|reason| {
        if client.is_service() {
            format!("{reason}: stopped waiting; the service goes on with the commands")
        } else {
            reason
        }
    });
    let report = Report {
        done: tally.done,
        failed: tally.failed,
        queued: tally.queued + unseen,
        halted: tally.queued_reason,
        halted_pbxs: Vec::new(),
        stopped,
    };
    verdict(&report, Kind::Journaled)
}

/// The verdict of a command run now, outside the journal (`show`, `test-access`).
pub(crate) fn finish_inline(events: &[Published], raw: bool) -> Exit {
    let mut tally = Tally::default();
    for event in events {
        print_event(event, raw);
        if event.kind == EventKind::Finished {
            tally.add(event);
        }
    }
    let report = Report {
        done: tally.done,
        failed: tally.failed,
        queued: tally.queued,
        halted: tally.queued_reason,
        halted_pbxs: Vec::new(),
        stopped: None,
    };
    verdict(&report, Kind::Inline)
}
