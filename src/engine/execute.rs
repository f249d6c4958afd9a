//! Carrying out one command: its operations in order, each retried per the policy; reads kept in
//! the journal before the first write; a failure described in the words a technician needs.

use std::borrow::Cow;
use std::fmt::Write as _;
use std::time::{Duration, Instant, SystemTime};

use crate::config::DidRange;
use crate::diagnostics::Count;
use crate::engine::Inner;
use crate::engine::event::{Event, Operation, OperationResult, Outcome};
use crate::engine::journal::Entry;
use crate::engine::transport::{Recovery, Transport, TransportError};
use crate::lower::lower;
use crate::lower::ops::{Field, Op};
use crate::mixml::{self, FaultCode, Response};

/// Runs `entry`'s operations. Returns how it ended and the entry as it should be journaled.
pub(crate) async fn execute<T: Transport>(inner: &Inner<T>, mut entry: Entry) -> (Outcome, Entry) {
    let action = entry.command.action.clone();
    let ops = lower(&action, &inner.settings);
    let mut unsaved_reads = false;
    let mut applied: Vec<&'static str> = Vec::new();
    for (index, op) in ops.iter().enumerate() {
        if let Some(reason) = inner.halted() {
            return (Outcome::Queued { reason }, entry);
        }
        // A read the journal kept from an interrupted run is not read again: the room may
        // already have changed under the command's own writes.
        if let Op::Read { into, .. } | Op::FindFreeDid { into, .. } = op
            && let Some(kept) = entry.reads.get(into)
        {
            let kept = kept.clone();
            inner.emit(&Event::Operation(Operation {
                entry: &entry,
                op,
                sent: &[],
                result: OperationResult::Kept(&kept),
                at: SystemTime::now(),
                elapsed: Duration::ZERO,
                logged_in: false,
                raw: None,
            }));
            continue;
        }
        if matches!(op, Op::Set { .. }) && unsaved_reads {
            if let Err(error) = inner.journal.update(&entry).await {
                let reason = format!("cannot write the journal: {error}");
                inner.halt(&reason);
                return (Outcome::Queued { reason }, entry);
            }
            unsaved_reads = false;
        }
        let sent: Vec<(Field, String)> = match op {
            Op::Set { values, .. } => {
                let mut sent = Vec::with_capacity(values.len());
                for (field, value) in values {
                    match mixml::wire_value(value, &|id, f| lookup(&entry, id, f)) {
                        Cow::Owned(text) if text.starts_with(MISSING) => {
                            let reason = format!(
                                "internal error: {text}; please report this as a hotelcare bug"
                            );
                            return (Outcome::Failed { reason }, entry);
                        }
                        text => sent.push((*field, text.into_owned())),
                    }
                }
                sent
            }
            _ => Vec::new(),
        };
        match send(inner, &mut entry, op, &sent).await {
            Ok(response) => {
                if let Err(reason) = absorb(inner, &mut entry, op, &response) {
                    return (Outcome::Failed { reason }, entry);
                }
                if must_keep(&ops, index) {
                    unsaved_reads = true;
                }
                if let Op::Set { form, .. } = op {
                    applied.push(form.label());
                }
            }
            Err(Stopped::Command(error)) => {
                let reason = failure(&entry, op, &error, &applied);
                return (Outcome::Failed { reason }, entry);
            }
            Err(Stopped::Run(reason)) => return (Outcome::Queued { reason }, entry),
        }
    }
    (Outcome::Done, entry)
}

/// Whether what operation `index` reads must be journaled before the command writes: when the
/// command itself later writes what was read, a read repeated after a crash would see the
/// command's own writes (a move's reads of the old room; a DID found free, then given). Other
/// reads (the Service Label a check-out restores) read the same again and cost no fsync.
fn must_keep(ops: &[Op<'_>], index: usize) -> bool {
    match &ops[index] {
        Op::FindFreeDid { .. } => true,
        Op::Read { room, fields, .. } => ops[index + 1..].iter().any(|later| {
            matches!(later, Op::Set { room: written, values, .. }
                if written == room && values.iter().any(|(field, _)| fields.contains(field)))
        }),
        Op::Set { .. } | Op::SystemInfo => false,
    }
}

const MISSING: &str = "no value was read for";

fn lookup(entry: &Entry, id: crate::lower::ops::ReadId, field: Field) -> Cow<'_, str> {
    entry
        .reads
        .get(&id)
        .and_then(|values| values.iter().find(|(f, _)| *f == field))
        .map_or_else(
            || Cow::Owned(format!("{MISSING} {id}.{field}")),
            |(_, v)| Cow::Borrowed(v.as_str()),
        )
}

enum Stopped {
    /// This command cannot succeed.
    Command(TransportError),
    /// Nothing can succeed now; the reason is already recorded as the halt reason.
    Run(String),
}

/// Sends one operation, retrying transient failures with exponential backoff.
async fn send<T: Transport>(
    inner: &Inner<T>,
    entry: &mut Entry,
    op: &Op<'_>,
    sent: &[(Field, String)],
) -> Result<Response, Stopped> {
    let values: Vec<(Field, Cow<'_, str>)> = sent
        .iter()
        .map(|(f, v)| (*f, Cow::Borrowed(v.as_str())))
        .collect();
    let request = match op {
        Op::Set { room, form, .. } => mixml::Request::Update {
            room,
            form: *form,
            values,
        },
        other => mixml::request_for(other, &|_, _| Cow::Borrowed("")),
    };
    let policy = inner.policy;
    let mut attempt = 0;
    loop {
        attempt += 1;
        let at = SystemTime::now();
        let started = Instant::now();
        let result = inner.transport.call(&request, inner.raw).await;
        let elapsed = started.elapsed();
        match result {
            Ok(reply) => {
                inner.emit(&Event::Operation(Operation {
                    entry,
                    op,
                    sent,
                    result: OperationResult::Ok(&reply.response),
                    at,
                    elapsed,
                    logged_in: reply.logged_in,
                    raw: reply.raw.as_ref(),
                }));
                return Ok(reply.response);
            }
            Err(error) => {
                entry.attempts += 1;
                entry.last_error = Some(error.to_string());
                let recovery = error.recovery();
                let retry_in = (recovery == Recovery::Retry
                    && attempt < policy.attempts
                    && inner.halted().is_none())
                .then(|| backoff(policy.initial_backoff, policy.max_backoff, attempt));
                inner.emit(&Event::Operation(Operation {
                    entry,
                    op,
                    sent,
                    result: OperationResult::Failed {
                        error: &error,
                        attempt,
                        retry_in,
                    },
                    at,
                    elapsed,
                    logged_in: false,
                    raw: None,
                }));
                if let Some(pause) = retry_in {
                    tokio::time::sleep(pause).await;
                    continue;
                }
                return Err(match recovery {
                    Recovery::FailCommand => Stopped::Command(error),
                    Recovery::Retry => {
                        let reason = if error.is_unreachable() {
                            format!(
                                "PBX unreachable after {}: {error}",
                                Count(attempt as usize, "attempt")
                            )
                        } else {
                            format!(
                                "gave up after {}: {error}",
                                Count(attempt as usize, "attempt")
                            )
                        };
                        inner.halt(&reason);
                        Stopped::Run(inner.halted().unwrap_or(reason))
                    }
                    Recovery::Stop => {
                        let reason = error.to_string();
                        inner.halt(&reason);
                        Stopped::Run(inner.halted().unwrap_or(reason))
                    }
                });
            }
        }
    }
}

/// `initial × 2^(attempt-1)`, at most `max`, with ±25 % jitter so that concurrent retries spread.
fn backoff(initial: Duration, max: Duration, attempt: u32) -> Duration {
    let doubled = initial.saturating_mul(1u32 << (attempt - 1).min(16));
    let base = doubled.min(max);
    base.mul_f64(0.75 + fastrand::f64() * 0.5)
}

/// Takes what a read or a DID search returned into the entry.
fn absorb<T: Transport>(
    inner: &Inner<T>,
    entry: &mut Entry,
    op: &Op<'_>,
    response: &Response,
) -> Result<(), String> {
    match (op, response) {
        (Op::Read { into, .. }, Response::Fields(values)) => {
            entry.reads.insert(*into, values.clone());
            Ok(())
        }
        (Op::FindFreeDid { range, into }, Response::Dids(taken)) => {
            let did = inner.reserve_free_did(range, taken).ok_or_else(|| {
                format!(
                    "room {}: no free DID in {range}: all {} numbers are in use on the PBX; widen `[number_transfer] range` or take a DID away",
                    entry.command.action.room(),
                    range.len()
                )
            })?;
            entry
                .reads
                .insert(*into, vec![(Field::DidServiceNumber, did)]);
            Ok(())
        }
        (Op::Set { .. }, Response::Updated) | (Op::SystemInfo, Response::SystemInfo { .. }) => {
            Ok(())
        }
        (_, other) => Err(format!(
            "room {}: the PBX answered {other:?} to `{}`; is it a MiVB speaking MiXML?",
            entry.command.action.room(),
            op.verb()
        )),
    }
}

/// The reason a command failed: which room, which step, what the PBX said, what to do, and what
/// had already been changed.
fn failure(entry: &Entry, op: &Op<'_>, error: &TransportError, applied: &[&str]) -> String {
    let room = op.room().unwrap_or(entry.command.action.room());
    let keyword = entry.command.action.keyword();
    let what = match error {
        TransportError::Fault(fault) => {
            let field = fault.field.as_deref().map(|f| {
                mixml::field_by_name(f).map_or_else(|| f.to_owned(), |f| f.label().to_owned())
            });
            match (&fault.code, &fault.owner) {
                (FaultCode::DidInUse, Some(owner)) => format!(
                    "the DID is already used by room {owner}; check out {owner} or take its DID away (`DID {owner} NONE`) first"
                ),
                (FaultCode::UnknownDirectoryNumber, _) => format!(
                    "the PBX has no directory number {room}; check the room's extension in the script"
                ),
                (FaultCode::ValueRefused, _) => format!(
                    "the PBX refused {}: {}",
                    field.unwrap_or_else(|| "a value".into()),
                    fault.message
                ),
                _ => error.to_string(),
            }
        }
        other => other.to_string(),
    };
    let step = match op {
        Op::Set { form, .. } => format!("set {}", form.label()),
        other => other.verb().to_owned(),
    };
    let mut reason = format!("room {room}: {keyword} failed at `{step}`: {what}");
    if !applied.is_empty() {
        write!(
            reason,
            "; already changed: {} (the room is half done: fix the cause and run `hotelcare queue retry`)",
            applied.join(", ")
        )
        .expect("writing to a String cannot fail");
    }
    reason
}

/// The lowest number of `range` that is neither on the PBX nor reserved by a running command.
pub(crate) fn lowest_free(
    range: &DidRange,
    taken: &[(String, String)],
    reserved: &std::collections::HashSet<String>,
) -> Option<String> {
    range
        .numbers()
        .find(|n| !reserved.contains(n) && !taken.iter().any(|(did, _)| did == n))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Config;
    use crate::lower::Settings;
    use crate::validate::{Action, DidRequest, Guest};

    fn kept(action: &Action) -> Vec<bool> {
        let mut config = Config::builtin();
        config.number_transfer = Some(crate::config::NumberTransfer {
            range: "3000-3005".parse().unwrap(),
            signal_extension_external: true,
        });
        let ops = lower(action, &Settings::from_config(&config));
        (0..ops.len()).map(|i| must_keep(&ops, i)).collect()
    }

    #[test]
    fn only_reads_the_command_overwrites_are_journaled() {
        let checkout = kept(&Action::CheckOut { room: "1".into() });
        assert!(
            checkout.iter().all(|k| !k),
            "the Service Label is not written by a check-out"
        );
        let relocation = kept(&Action::Move {
            from: "1".into(),
            to: "2".into(),
        });
        assert_eq!(&relocation[..3], [true, true, true]);
        let auto = kept(&Action::CheckIn {
            room: "1".into(),
            guest: Guest {
                last: "x".into(),
                first: String::new(),
                directory_name: "x".into(),
            },
            cor: crate::config::Cor::new(1).unwrap(),
            did: Some(DidRequest::Auto),
        });
        assert!(auto[0], "a DID found free is journaled before it is given");
        assert!(kept(&Action::Show { room: "1".into() }).iter().all(|k| !k));
    }
}
