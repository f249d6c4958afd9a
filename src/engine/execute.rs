//! Carrying out one command: its operations in order, each retried per the policy; reads the
//! command's own writes could change kept in the journal before the first write; checks made
//! before anything is written; a failure described in the words a technician needs.

use std::borrow::Cow;
use std::collections::HashSet;
use std::time::{Duration, Instant, SystemTime};

use crate::config::DidRange;
use crate::diagnostics::Count;
use crate::engine::Inner;
use crate::engine::event::{Event, Operation, OperationResult, Outcome};
use crate::engine::journal::{Entry, Reads};
use crate::engine::transport::{Recovery, Reply, Transport, TransportError};
use crate::lower::lower;
use crate::lower::ops::{Expectation, Field, Op, ReadId};
use crate::mixml::{self, FaultCode, Request, Response};
use crate::validate::Action;

/// What executing a command gives the caller.
pub(crate) struct Executed {
    pub(crate) outcome: Outcome,
    /// The entry with everything the command read (for the monitor, e.g. `SHOW`).
    pub(crate) entry: Entry,
    /// What of the reads goes into the journal: only reads the command's own writes could
    /// change, and only once it has written something (see `must_keep`). Anything else is read
    /// afresh by a retry, so a retry never works from stale data.
    pub(crate) journal_reads: Reads,
}

/// Runs `entry`'s operations.
pub(crate) async fn execute<T: Transport>(inner: &Inner<T>, entry: Entry) -> Executed {
    let action = entry.command.action.clone();
    let ops = lower(&action, &inner.settings);
    let keep: HashSet<ReadId> = ops
        .iter()
        .enumerate()
        .filter(|(index, _)| must_keep(&ops, *index))
        .filter_map(|(_, op)| read_into(op))
        .collect();
    let mut run = Run {
        inner,
        entry,
        keep: &keep,
        applied: Vec::new(),
        reads_saved: false,
    };
    let outcome = run.all(&ops).await;
    let journal_reads = run.journal_reads();
    Executed {
        outcome,
        entry: run.entry,
        journal_reads,
    }
}

/// Where a read or a DID search puts its result.
fn read_into(op: &Op<'_>) -> Option<ReadId> {
    match op {
        Op::Read { into, .. } | Op::FindFreeDid { into, .. } => Some(*into),
        _ => None,
    }
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
        Op::Set { .. } | Op::ExpectDidFree { .. } | Op::Expect(_) | Op::SystemInfo => false,
    }
}

/// One command being carried out.
struct Run<'r, T> {
    inner: &'r Inner<T>,
    entry: Entry,
    keep: &'r HashSet<ReadId>,
    /// The sets the PBX confirmed, as "User Profile of 1000".
    applied: Vec<String>,
    /// The kept reads were journaled: a write was (about to be) sent, so a retry must use them,
    /// even if that write's answer never came.
    reads_saved: bool,
}

/// Why a command stopped.
enum Stopped {
    /// This command cannot succeed; the reason names the room and what to do.
    Command(String),
    /// Nothing can succeed now (the reason is the run's halt reason).
    Run(String),
}

impl<T: Transport> Run<'_, T> {
    /// What of the reads the journal holds for this command (see `Executed::journal_reads`).
    fn journal_reads(&self) -> Reads {
        if self.reads_saved {
            self.kept_reads()
        } else {
            Reads::new()
        }
    }

    /// Records a failed attempt in the journal at once, so that what `queue list` shows is what
    /// happened even if the command is then interrupted (Ctrl-C, a kill).
    async fn record_attempt(&self) {
        let mut saved = self.entry.clone();
        saved.reads = self.journal_reads();
        if let Err(error) = self.inner.journal.update(&saved).await {
            tracing::warn!(
                "cannot record the failed attempt of {}: {error}",
                self.entry.origin
            );
        }
    }

    fn kept_reads(&self) -> Reads {
        self.entry
            .reads
            .iter()
            .filter(|(id, _)| self.keep.contains(id))
            .map(|(id, values)| (*id, values.clone()))
            .collect()
    }

    fn emit(
        &self,
        op: &Op<'_>,
        sent: &[(Field, String)],
        result: OperationResult<'_>,
        timing: Timing,
        reply: Option<&Reply>,
    ) {
        self.inner.emit(&Event::Operation(Operation {
            entry: &self.entry,
            op,
            sent,
            result,
            at: timing.at,
            elapsed: timing.elapsed,
            logged_in: reply.is_some_and(|r| r.logged_in),
            raw: reply.and_then(|r| r.raw.as_ref()),
        }));
    }

    async fn all(&mut self, ops: &[Op<'_>]) -> Outcome {
        let mut unsaved_reads = false;
        for (index, op) in ops.iter().enumerate() {
            if let Some(reason) = self.inner.halted() {
                return Outcome::Queued { reason };
            }
            // A read the journal kept from an interrupted run is not read again: the room may
            // already have changed under the command's own writes. A DID found free earlier is
            // checked first, though: if someone else has given it to another room since, this
            // command chooses again instead of failing on it at every retry.
            if let Some(into) = read_into(op)
                && let Some(kept) = self.entry.reads.get(&into).cloned()
            {
                let still_ours = match op {
                    Op::FindFreeDid { .. } => match self.kept_did_is_free(&kept).await {
                        Ok(free) => free,
                        Err(Stopped::Run(reason)) => return Outcome::Queued { reason },
                        Err(Stopped::Command(what)) => {
                            return Outcome::Failed {
                                reason: self.reason(op, &what),
                            };
                        }
                    },
                    _ => true,
                };
                if still_ours {
                    self.emit(op, &[], OperationResult::Kept(&kept), Timing::now(), None);
                    continue;
                }
                self.entry.reads.remove(&into);
                for (_, did) in &kept {
                    self.inner.release_did(did);
                }
            }
            if let Op::Expect(expectation) = op {
                match check(expectation, &self.entry.reads) {
                    Ok(()) => self.emit(op, &[], OperationResult::Checked, Timing::now(), None),
                    Err(mut reason) => {
                        if matches!(self.entry.command.action, Action::CheckIn { .. }) {
                            reason.push_str(
                                ", or add `REPLACE` to the check-in to check them out as part of it",
                            );
                        }
                        self.emit(
                            op,
                            &[],
                            OperationResult::Refused(&reason),
                            Timing::now(),
                            None,
                        );
                        return Outcome::Failed {
                            reason: self.reason(op, &reason),
                        };
                    }
                }
                continue;
            }
            if matches!(op, Op::Set { .. }) && unsaved_reads {
                let mut saved = self.entry.clone();
                saved.reads = self.kept_reads();
                if let Err(error) = self.inner.journal.update(&saved).await {
                    let reason = format!("cannot write the journal: {error}");
                    self.inner.halt(&reason);
                    return Outcome::Queued { reason };
                }
                unsaved_reads = false;
                self.reads_saved = true;
            }
            let sent = match self.resolve(op) {
                Ok(sent) => sent,
                Err(reason) => return Outcome::Failed { reason },
            };
            let (reply, timing) = match self.send(op, &sent).await {
                Ok(answered) => answered,
                Err(Stopped::Command(what)) => {
                    return Outcome::Failed {
                        reason: self.reason(op, &what),
                    };
                }
                Err(Stopped::Run(reason)) => return Outcome::Queued { reason },
            };
            if let Err(what) = self.absorb(op, &reply.response) {
                self.emit(
                    op,
                    &sent,
                    OperationResult::Refused(&what),
                    timing,
                    Some(&reply),
                );
                return Outcome::Failed {
                    reason: self.reason(op, &what),
                };
            }
            self.emit(
                op,
                &sent,
                OperationResult::Ok(&reply.response),
                timing,
                Some(&reply),
            );
            if must_keep(ops, index) {
                unsaved_reads = true;
            }
            if let Op::Set { room, form, .. } = op {
                self.applied.push(format!("{} of {room}", form.label()));
            }
        }
        Outcome::Done
    }

    /// Whether the DID a `DID AUTO` found free in an earlier run (`kept`) is still free or this
    /// room's own: asked of the PBX like an explicit DID.
    async fn kept_did_is_free(&mut self, kept: &[(Field, String)]) -> Result<bool, Stopped> {
        let Some((_, did)) = kept.iter().find(|(f, _)| *f == Field::DidServiceNumber) else {
            return Ok(false);
        };
        let room = self.entry.command.action.room().to_owned();
        let check = Op::ExpectDidFree {
            room: &room,
            did: did.as_str(),
        };
        let (reply, timing) = self.send(&check, &[]).await?;
        match self.absorb(&check, &reply.response) {
            Ok(()) => {
                self.emit(
                    &check,
                    &[],
                    OperationResult::Ok(&reply.response),
                    timing,
                    Some(&reply),
                );
                Ok(true)
            }
            Err(why) => {
                let why = format!("{why}; choosing another DID");
                self.emit(
                    &check,
                    &[],
                    OperationResult::Refused(&why),
                    timing,
                    Some(&reply),
                );
                Ok(false)
            }
        }
    }

    /// The values a set sends, with references to reads replaced by what was read.
    fn resolve(&self, op: &Op<'_>) -> Result<Vec<(Field, String)>, String> {
        let Op::Set { values, .. } = op else {
            return Ok(Vec::new());
        };
        let reads = &self.entry.reads;
        values
            .iter()
            .map(|(field, value)| {
                let text = match value {
                    crate::lower::ops::Value::Read(id, from) => {
                        lookup(reads, *id, *from).map(str::to_owned).ok_or_else(|| {
                            format!(
                                "internal error: {} has no value read for {id}.{from}; please report this as a hotelcare bug",
                                self.entry.origin
                            )
                        })?
                    }
                    other => mixml::wire_value(other, &|_, _| Cow::Borrowed("")).into_owned(),
                };
                Ok((*field, text))
            })
            .collect()
    }

    /// Sends one operation, retrying transient failures with exponential backoff. "Test access"
    /// logs in afresh first, so that it checks the credentials, not an old session.
    async fn send(
        &mut self,
        op: &Op<'_>,
        sent: &[(Field, String)],
    ) -> Result<(Reply, Timing), Stopped> {
        let request = match op {
            Op::Set { room, form, .. } => Request::Update {
                room,
                form: *form,
                values: sent
                    .iter()
                    .map(|(f, v)| (*f, Cow::Borrowed(v.as_str())))
                    .collect(),
            },
            other => mixml::request_for(other, &|_, _| Cow::Borrowed("")).ok_or_else(|| {
                Stopped::Command(format!(
                    "internal error: `{}` has no request; please report this",
                    other.verb()
                ))
            })?,
        };
        let (inner, policy) = (self.inner, self.inner.policy);
        let mut attempt = 0;
        loop {
            attempt += 1;
            let started = Instant::now();
            let result = if matches!(op, Op::SystemInfo) {
                match inner.transport.login(inner.raw).await {
                    Ok(login) => inner
                        .transport
                        .call(&request, inner.raw)
                        .await
                        .map(|reply| Reply {
                            logged_in: true,
                            raw: crate::engine::transport::Raw::join(login.raw, reply.raw),
                            ..reply
                        }),
                    Err(error) => Err(error),
                }
            } else {
                inner.transport.call(&request, inner.raw).await
            };
            let timing = Timing {
                at: SystemTime::now(),
                elapsed: started.elapsed(),
            };
            let error = match result {
                Ok(reply) => return Ok((reply, timing)),
                Err(error) => error,
            };
            self.entry.attempts += 1;
            self.entry.last_error = Some(error.to_string());
            if self.inner.journal.path().is_some() {
                self.record_attempt().await;
            }
            let recovery = error.recovery();
            let retry_in = (recovery == Recovery::Retry
                && attempt < policy.attempts
                && inner.halted().is_none())
            .then(|| backoff(policy.initial_backoff, policy.max_backoff, attempt));
            let result = OperationResult::Failed {
                error: &error,
                attempt,
                retry_in,
            };
            self.emit(op, sent, result, timing, None);
            if let Some(pause) = retry_in {
                tokio::time::sleep(pause).await;
                continue;
            }
            let attempts = Count(attempt as usize, "attempt");
            return Err(match recovery {
                Recovery::FailCommand => Stopped::Command(describe(&error, op)),
                // The PBX answers, but not this request: that is this command's failure, not a
                // reason to stop every other room.
                Recovery::Retry if !error.is_unreachable() => {
                    Stopped::Command(format!("gave up after {attempts}: {error}"))
                }
                Recovery::Retry => {
                    inner.halt(&format!(
                        "the PBX is unreachable (after {attempts}): {error}"
                    ));
                    Stopped::Run(inner.halted().unwrap_or_default())
                }
                Recovery::Stop => {
                    inner.halt(&error.to_string());
                    Stopped::Run(inner.halted().unwrap_or_default())
                }
            });
        }
    }

    /// Takes what a read or a search returned into the entry; `Err` when the answer means the
    /// command must not go on (no free DID, a DID held by another room).
    fn absorb(&mut self, op: &Op<'_>, response: &Response) -> Result<(), String> {
        match (op, response) {
            (Op::Read { into, .. }, Response::Fields(values)) => {
                self.entry.reads.insert(*into, values.clone());
                Ok(())
            }
            (Op::FindFreeDid { range, into }, Response::Dids(taken)) => {
                let did = self.inner.reserve_free_did(range, taken).ok_or_else(|| {
                    format!(
                        "no free DID in {range}: all {} numbers are in use on the PBX; widen `[number_transfer] range` or take a DID away",
                        range.len()
                    )
                })?;
                self.entry
                    .reads
                    .insert(*into, vec![(Field::DidServiceNumber, did)]);
                Ok(())
            }
            (Op::ExpectDidFree { room, did }, Response::Dids(holders)) => {
                match holders
                    .iter()
                    .find(|(d, holder)| d == did && holder != room)
                {
                    None => Ok(()),
                    Some((_, holder)) => Err(format!(
                        "DID {did} is already used by room {holder}; check out {holder} or take its DID away (`DID {holder} NONE`) first"
                    )),
                }
            }
            (Op::Set { .. }, Response::Updated) | (Op::SystemInfo, Response::SystemInfo { .. }) => {
                Ok(())
            }
            (_, other) => Err(format!(
                "the PBX answered {other:?} to `{}`; is the server a MiVB speaking MiXML?",
                op.verb()
            )),
        }
    }

    /// The reason a command failed: which room and step, what was wrong, what to do, and what
    /// had already been changed.
    fn reason(&self, op: &Op<'_>, what: &str) -> String {
        let room = op.room().unwrap_or(self.entry.command.action.room());
        let keyword = self.entry.command.action.keyword();
        let step = match op {
            Op::Set { form, .. } => format!("set {}", form.label()),
            other => other.verb().to_owned(),
        };
        let changed = if self.applied.is_empty() {
            "nothing was changed".to_owned()
        } else {
            format!(
                "already changed: {} (the command is half done: fix the cause and run `hotelcare queue retry`)",
                self.applied.join(", ")
            )
        };
        format!("room {room}: {keyword} failed at `{step}`: {what}; {changed}")
    }
}

/// When an operation was answered and how long it took.
#[derive(Clone, Copy)]
struct Timing {
    at: SystemTime,
    elapsed: Duration,
}

impl Timing {
    fn now() -> Self {
        Self {
            at: SystemTime::now(),
            elapsed: Duration::ZERO,
        }
    }
}

fn lookup(reads: &Reads, id: ReadId, field: Field) -> Option<&str> {
    reads
        .get(&id)?
        .iter()
        .find(|(f, _)| *f == field)
        .map(|(_, v)| v.as_str())
}

/// Checks an expectation against what was read.
fn check(expectation: &Expectation<'_>, reads: &Reads) -> Result<(), String> {
    let name = |id| lookup(reads, id, Field::DirectoryName).unwrap_or_default();
    let label = |id| lookup(reads, id, Field::ServiceLabel).unwrap_or_default();
    match *expectation {
        Expectation::Occupied { room, profile } => {
            if name(profile) == label(profile) {
                Err(format!(
                    "room {room} has no guest: its Directory Name is its Service Label {:?}; check the guest in first (`CHECKIN`)",
                    label(profile)
                ))
            } else {
                Ok(())
            }
        }
        Expectation::Vacant { room, profile } => {
            if name(profile) == label(profile) {
                Ok(())
            } else {
                Err(format!(
                    "room {room} is occupied by {:?} (its Directory Name is not its Service Label {:?}); check that guest out or move them first",
                    name(profile),
                    label(profile)
                ))
            }
        }
    }
}

/// A refusal in the words a technician needs.
fn describe(error: &TransportError, op: &Op<'_>) -> String {
    let TransportError::Fault(fault) = error else {
        return error.to_string();
    };
    let room = op.room().unwrap_or("?");
    let field = fault
        .field
        .as_deref()
        .map(|f| mixml::field_by_name(f).map_or_else(|| f.to_owned(), |f| f.label().to_owned()));
    match (&fault.code, &fault.owner) {
        (FaultCode::DidInUse, Some(owner)) => format!(
            "the DID is already used by room {owner}; check out {owner} or take its DID away (`DID {owner} NONE`) first"
        ),
        (FaultCode::UnknownDirectoryNumber, _) => {
            format!("the PBX has no directory number {room}; check the room's extension")
        }
        (FaultCode::ValueRefused, _) => format!(
            "the PBX refused {}: {}",
            field.unwrap_or_else(|| "a value".into()),
            fault.message
        ),
        (FaultCode::MalformedRequest, _) => format!(
            "the PBX cannot read the request ({}); this is a hotelcare bug, please report it with the `--raw` output",
            fault.message
        ),
        _ => error.to_string(),
    }
}

/// `initial × 2^(attempt-1)`, at most `max`, with ±25 % jitter so that concurrent retries spread.
fn backoff(initial: Duration, max: Duration, attempt: u32) -> Duration {
    let doubled = initial.saturating_mul(1u32 << (attempt - 1).min(16));
    doubled.min(max).mul_f64(0.75 + fastrand::f64() * 0.5)
}

/// The lowest number of `range` that is neither on the PBX nor reserved by a running command.
pub(crate) fn lowest_free(
    range: &DidRange,
    taken: &[(String, String)],
    reserved: &HashSet<String>,
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
        assert_eq!(
            &relocation[..4],
            [true, true, true, true],
            "the target's read too: the move writes the target's Directory Name"
        );
        let auto = kept(&Action::CheckIn {
            room: "1".into(),
            guest: Guest {
                last: "x".into(),
                first: String::new(),
                directory_name: "x".into(),
            },
            cor: crate::config::Cor::new(1).unwrap(),
            did: Some(DidRequest::Auto),
            replace: false,
        });
        assert!(auto[0], "a DID found free is journaled before it is given");
        assert!(kept(&Action::Show { room: "1".into() }).iter().all(|k| !k));
    }

    fn profile(name: &str, label: &str) -> Vec<(Field, String)> {
        vec![
            (Field::DirectoryName, name.into()),
            (Field::ServiceLabel, label.into()),
        ]
    }

    #[test]
    fn a_move_needs_a_guest_and_a_vacant_target() {
        let mut reads = Reads::new();
        reads.insert(ReadId(2), profile("Solo,Alina", "Room 1000"));
        reads.insert(ReadId(4), profile("Room 2000", "Room 2000"));
        let occupied = Expectation::Occupied {
            room: "1000",
            profile: ReadId(2),
        };
        let vacant = Expectation::Vacant {
            room: "2000",
            profile: ReadId(4),
        };
        assert_eq!(check(&occupied, &reads), Ok(()));
        assert_eq!(check(&vacant, &reads), Ok(()));
        reads.insert(ReadId(4), profile("Beta,Bob", "Room 2000"));
        assert!(
            check(&vacant, &reads)
                .unwrap_err()
                .contains("occupied by \"Beta,Bob\"")
        );
        // Another guest whose Directory Name is the mover's (names cut to 20 characters) is
        // still another guest: the target is occupied.
        reads.insert(ReadId(4), profile("Solo,Alina", "Room 2000"));
        assert!(check(&vacant, &reads).is_err());
        reads.insert(ReadId(2), profile("Room 1000", "Room 1000"));
        assert!(
            check(&occupied, &reads)
                .unwrap_err()
                .contains("has no guest")
        );
    }
}
