//! The command line as a client of a running service (`hotelcare serve`): `run`, `show`,
//! `test-access`, `queue`, `rooms` and the REPL go through its API when it runs, and print what
//! they print in-process. This file only calls the API and prints.

use std::collections::HashSet;
use std::io::Read as _;

use serde_json::Value;

use crate::cli::arguments::Format;
use crate::cli::error::Error;
use crate::cli::execution::{Kind, block_on, output_format, usage, verdict};
use crate::cli::exit::Exit;
use crate::cli::scripts::{Script, read_error};
use crate::cli::signals::stop_requested;
use crate::config::Config;
use crate::control::client::{Events, Item, Remote, RemoteError};
use crate::engine::Report;
use crate::service::hub::{Kind as EventKind, Published, Tally};
use crate::support::output::{errln, out, outln};

/// Runs `body` against the service of the configuration's state directory if one runs;
/// `None` when none does (the caller works in-process).
pub(crate) fn with_service(
    config: &Config,
    body: impl AsyncFnOnce(&Remote) -> Result<Exit, Exit>,
) -> Option<Exit> {
    let state_dir = config.run.state_dir.clone();
    let mut used = false;
    let exit = block_on(async {
        match Remote::find(&state_dir).await {
            Ok(Some(remote)) => {
                used = true;
                body(&remote).await
            }
            Ok(None) => Ok(Exit::Done),
            Err(error) => {
                used = true;
                Err(remote_error(&error))
            }
        }
    });
    used.then_some(exit)
}

fn remote_error(error: &RemoteError) -> Exit {
    usage(Error::Other(error.to_string()))
}

/// `run FILE...` through the service: each script submitted whole (already checked here), then
/// the monitor lines of its commands as they happen, and the exit code of their outcomes.
pub(crate) async fn run(
    remote: &Remote,
    config: &Config,
    scripts: &[Script],
    raw: bool,
    again: bool,
) -> Result<Exit, Exit> {
    let mut events = remote.events(raw).await.map_err(|e| remote_error(&e))?;
    let mut waiting = HashSet::new();
    for script in scripts {
        let mut text = String::new();
        script
            .reader(config.run.script_encoding)
            .and_then(|mut reader| reader.read_to_string(&mut text))
            .map_err(|e| usage(read_error(script, e)))?;
        let name = script.name();
        let path = format!(
            "/v1/scripts?source={}&again={again}",
            url::form_urlencoded::byte_serialize(name.as_bytes()).collect::<String>()
        );
        match remote.post(&path, text.into_bytes()).await {
            Ok(answer) => {
                let seqs: Vec<u64> = answer
                    .get("seqs")
                    .and_then(Value::as_array)
                    .map(|seqs| seqs.iter().filter_map(Value::as_u64).collect())
                    .unwrap_or_default();
                waiting.extend(seqs);
            }
            Err(RemoteError::Answer {
                status: 409, body, ..
            }) => {
                let earlier = body.get("earlier").and_then(Value::as_str).unwrap_or("");
                errln!(
                    "error: {earlier}; nothing was run. If it really is to run again, give `--again`; if some of it is still queued, the service carries it out by itself"
                );
                return Ok(Exit::Invalid);
            }
            Err(RemoteError::Answer {
                status: 422,
                body,
                message,
            }) => {
                if let Some(rendered) = body.get("rendered").and_then(Value::as_str) {
                    errln!("{}", rendered.trim_end());
                }
                errln!("error: {message}");
                return Ok(Exit::Invalid);
            }
            Err(error) => return Err(remote_error(&error)),
        }
    }
    errln!(
        "sent to the hotelcare service ({}): {} command(s); its monitor follows",
        remote.info.describe(),
        waiting.len()
    );
    let tally = follow(remote, &mut events, waiting, raw).await;
    Ok(finish(remote, tally))
}

/// How waiting for commands ended.
struct Followed {
    tally: Tally,
    /// Commands whose end was not seen (the service went away, or Ctrl-C).
    unseen: usize,
    stopped: Option<String>,
}

/// Prints the events of the commands in `waiting` until each has finished.
async fn follow(
    remote: &Remote,
    events: &mut Events,
    mut waiting: HashSet<u64>,
    raw: bool,
) -> Followed {
    let mut tally = Tally::default();
    let stop = stop_requested();
    tokio::pin!(stop);
    while !waiting.is_empty() {
        let item = tokio::select! {
            item = events.next() => item,
            reason = &mut stop => return Followed { tally, unseen: waiting.len(), stopped: Some(reason) },
        };
        match item {
            Some(Item::Event(event)) => {
                if event.seq.is_some_and(|seq| waiting.contains(&seq)) {
                    print_event(&event, raw);
                    if event.kind == EventKind::Finished {
                        tally.add(&event);
                        if let Some(seq) = event.seq {
                            waiting.remove(&seq);
                        }
                    }
                }
            }
            Some(Item::Lagged(lost)) => {
                errln!(
                    "warning: the monitor fell behind and lost {lost} event(s); asking the journal how the commands stand"
                );
                settle_from_queue(remote, &mut waiting, &mut tally).await;
            }
            None => {
                return Followed {
                    tally,
                    unseen: waiting.len(),
                    stopped: None,
                };
            }
        }
    }
    Followed {
        tally,
        unseen: 0,
        stopped: None,
    }
}

/// After lost events: commands no longer in the journal are done, failed ones failed.
async fn settle_from_queue(remote: &Remote, waiting: &mut HashSet<u64>, tally: &mut Tally) {
    let Ok(answer) = remote.get("/v1/queue").await else {
        return;
    };
    let commands = answer
        .pointer("/queue/commands")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    let status = |seq: u64| {
        commands
            .iter()
            .find(|c| c.get("seq").and_then(Value::as_u64) == Some(seq))
            .and_then(|c| c.get("status").and_then(Value::as_str).map(str::to_owned))
    };
    waiting.retain(|&seq| match status(seq).as_deref() {
        None => {
            tally.done += 1;
            false
        }
        Some("failed") => {
            tally
                .failed
                .push(format!("#{seq} failed (see `hotelcare queue list`)"));
            false
        }
        Some(_) => true,
    });
}

fn print_event(event: &Published, raw: bool) {
    if output_format() == Format::Json {
        for line in &event.json {
            outln!("{line}");
        }
        return;
    }
    for line in &event.lines {
        outln!("{line}");
    }
    if raw {
        for line in &event.envelopes {
            outln!("{line}");
        }
    }
}

/// The verdict of what was followed, as `run` in-process gives it.
fn finish(remote: &Remote, followed: Followed) -> Exit {
    let Followed {
        tally,
        unseen,
        stopped,
    } = followed;
    if unseen > 0 && stopped.is_none() {
        errln!(
            "error: lost the hotelcare service ({}) with {unseen} command(s) not yet reported; they are in its journal and run when it is back: `hotelcare queue list` shows them",
            remote.info.describe()
        );
        return Exit::Queued;
    }
    if stopped.is_none() && tally.queued > 0 {
        // Unlike a `run` of its own, the service tries them again by itself.
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
    let report = Report {
        done: tally.done,
        failed: tally.failed,
        queued: tally.queued + unseen,
        halted: tally.queued_reason,
        halted_pbxs: Vec::new(),
        stopped: stopped.map(|reason| {
            format!("{reason}: stopped waiting; the service goes on with the commands")
        }),
    };
    verdict(&report, Kind::Journaled)
}

/// `show EXT` and `test-access` through the service.
pub(crate) async fn inline(
    remote: &Remote,
    path: &str,
    post: bool,
    raw: bool,
) -> Result<Exit, Exit> {
    let answer = if post {
        remote.post(path, Vec::new()).await
    } else {
        remote.get(path).await
    }
    .map_err(|e| remote_error(&e))?;
    let events: Vec<Published> = answer
        .get("events")
        .cloned()
        .and_then(|events| serde_json::from_value(events).ok())
        .unwrap_or_default();
    let mut tally = Tally::default();
    for event in &events {
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
    Ok(verdict(&report, Kind::Inline))
}

/// What a service's reconcile found.
pub(crate) struct Reconciled {
    pub(crate) report: String,
    pub(crate) script: Option<String>,
    /// With nothing to fix: done, or queued when a PBX could not be read.
    pub(crate) exit: Exit,
    /// PBXs that cannot be read, which a general reset reconciles.
    pub(crate) resettable: Vec<String>,
}

/// `reconcile` through the service: it reads the PBXs through its own links.
pub(crate) async fn reconcile(
    remote: &Remote,
    wanted: &[String],
    pbx: Option<&str>,
) -> Result<Reconciled, Exit> {
    let only = pbx_query(pbx).replacen('?', "&", 1);
    let answer = remote
        .get(&format!(
            "/v1/reconcile?rooms={}{only}",
            url::form_urlencoded::byte_serialize(wanted.join(",").as_bytes()).collect::<String>()
        ))
        .await
        .map_err(|e| remote_error(&e))?;
    Ok(Reconciled {
        report: answer
            .get("text")
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_owned(),
        script: answer
            .get("script")
            .and_then(Value::as_str)
            .map(str::to_owned),
        exit: if answer.get("unreachable").and_then(Value::as_bool) == Some(true) {
            Exit::Queued
        } else {
            Exit::Done
        },
        resettable: answer
            .get("resettable")
            .and_then(Value::as_array)
            .map(|names| {
                names
                    .iter()
                    .filter_map(Value::as_str)
                    .map(str::to_owned)
                    .collect()
            })
            .unwrap_or_default(),
    })
}

/// The general reset of PBX `name`, sent by the service over its own link.
pub(crate) async fn general_reset(remote: &Remote, name: &str) -> Result<String, String> {
    let answer = remote
        .post(
            &format!("/v1/reconcile/general-reset{}", pbx_query(Some(name))),
            Vec::new(),
        )
        .await
        .map_err(|e| e.to_string())?;
    Ok(answer
        .get("text")
        .and_then(Value::as_str)
        .unwrap_or("")
        .to_owned())
}

/// A script made here (`reconcile --apply`) run through the service, as `run` would.
pub(crate) async fn run_text(
    remote: &Remote,
    config: &Config,
    name: &'static str,
    text: String,
) -> Result<Exit, Exit> {
    run(
        remote,
        config,
        &[Script::Inline { name, text }],
        false,
        true,
    )
    .await
}

/// `?pbx=NAME` for `--pbx NAME`; empty without it.
pub(crate) fn pbx_query(pbx: Option<&str>) -> String {
    pbx.map_or_else(String::new, |name| {
        format!(
            "?pbx={}",
            url::form_urlencoded::byte_serialize(name.as_bytes()).collect::<String>()
        )
    })
}

/// `queue list` through the service.
pub(crate) async fn queue_list(remote: &Remote, pbx: Option<&str>) -> Result<Exit, Exit> {
    let answer = remote
        .get(&format!("/v1/queue{}", pbx_query(pbx)))
        .await
        .map_err(|e| remote_error(&e))?;
    print_document(&answer, "queue");
    Ok(Exit::Done)
}

/// `rooms [EXT...]` through the service.
pub(crate) async fn rooms(
    remote: &Remote,
    wanted: &[String],
    pbx: Option<&str>,
) -> Result<Exit, Exit> {
    let only = pbx_query(pbx).replacen('?', "&", 1);
    let answer = remote
        .get(&format!(
            "/v1/rooms?rooms={}{only}",
            url::form_urlencoded::byte_serialize(wanted.join(",").as_bytes()).collect::<String>()
        ))
        .await
        .map_err(|e| remote_error(&e))?;
    print_document(&answer, "rooms");
    Ok(Exit::Done)
}

/// A document's JSON (`--format json`) or its text.
fn print_document(answer: &Value, key: &str) {
    if output_format() == Format::Json {
        if let Some(document) = answer.get(key)
            && let Ok(text) = serde_json::to_string_pretty(document)
        {
            outln!("{text}");
        }
    } else {
        out!(
            "{}",
            answer.get("text").and_then(Value::as_str).unwrap_or("")
        );
    }
}

/// `queue retry` through the service: failed commands pending again, then their monitor.
pub(crate) async fn queue_retry(remote: &Remote, raw: bool) -> Result<Exit, Exit> {
    let mut events = remote.events(raw).await.map_err(|e| remote_error(&e))?;
    let answer = remote
        .post("/v1/queue/retry", Vec::new())
        .await
        .map_err(|e| remote_error(&e))?;
    let requeued = answer.get("requeued").and_then(Value::as_u64).unwrap_or(0);
    if requeued > 0 {
        errln!("{requeued} command(s) failed before; trying again");
    }
    for overtaken in answer
        .get("overtaken")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        errln!(
            "warning: #{} `{}` ({}) stays failed: command #{} on the same room was done after it; write a new command if it is still wanted, and `hotelcare queue drop {}` this one",
            overtaken["seq"],
            overtaken["command"].as_str().unwrap_or(""),
            overtaken["origin"].as_str().unwrap_or(""),
            overtaken["overtaken_by"],
            overtaken["seq"]
        );
    }
    let pending: HashSet<u64> = answer
        .get("pending")
        .and_then(Value::as_array)
        .map(|seqs| seqs.iter().filter_map(Value::as_u64).collect())
        .unwrap_or_default();
    let followed = follow(remote, &mut events, pending, raw).await;
    let mut exit = finish(remote, followed);
    let refused = answer
        .get("refused")
        .and_then(Value::as_array)
        .map_or(0, Vec::len);
    if exit == Exit::Done
        && (refused > 0
            || answer
                .get("overtaken")
                .and_then(Value::as_array)
                .is_some_and(|o| !o.is_empty()))
    {
        exit = Exit::Failed;
    }
    Ok(exit)
}

/// `queue drop SEQ...` through the service (`--failed`: every failed one, listed first).
pub(crate) async fn queue_drop(remote: &Remote, seqs: &[u64], failed: bool) -> Result<Exit, Exit> {
    let mut seqs = seqs.to_vec();
    if failed {
        let answer = remote
            .get("/v1/queue")
            .await
            .map_err(|e| remote_error(&e))?;
        let commands = answer
            .pointer("/queue/commands")
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default();
        let failed: Vec<u64> = commands
            .iter()
            .filter(|c| c.get("status").and_then(Value::as_str) == Some("failed"))
            .filter_map(|c| c.get("seq").and_then(Value::as_u64))
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
        match remote.delete(&format!("/v1/queue/{seq}")).await {
            Ok(answer) => outln!(
                "{}",
                answer.get("text").and_then(Value::as_str).unwrap_or("")
            ),
            Err(RemoteError::Answer {
                status: 404,
                message,
                ..
            }) => {
                exit = usage(Error::Other(message));
            }
            Err(error) => return Err(remote_error(&error)),
        }
    }
    Ok(exit)
}
