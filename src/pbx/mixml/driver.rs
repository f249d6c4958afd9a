//! The MiXML driver: a checked command lowered to MiXML operations (`lower`) and carried out
//! through the HTTPS client (`Transport`), one operation after the other. Reads that the
//! command's own writes could change are kept in the journal before the first write (through
//! the engine's `Run`); checks are made before anything is written; every failure is described
//! in the words a technician needs; the engine decides on retries.

use std::borrow::Cow;
use std::collections::{BTreeMap, HashSet};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use crate::config::DidRange;
use crate::engine::wire::WakeupEnding;
use crate::engine::{
    Carried, Done, Failure, FailureKind, Planned, Run, StepHeader, StepResult, Stopped, Timing,
    Wire, WireEvent, WireEvents, WireFuture,
};
use crate::lang::validate::wakeup::Wakeup;
use crate::lang::validate::{Action, CheckIn, Command, DidRequest, Guest};
use crate::pbx::mixml::describe;
use crate::pbx::mixml::lower::ops::{Expectation, Field, Op, ReadId};
use crate::pbx::mixml::lower::{Settings, lower};
use crate::pbx::mixml::transport::{Recovery, Reply, Transport, TransportError};
use crate::pbx::mixml::wire::{self, FaultCode, Request, Response};

/// What a command's reads found, by read: `ReadId -> [(field, value)]`. What of it must survive
/// a crash is kept in the journal (as JSON, opaque to the engine).
pub(crate) type Reads = BTreeMap<ReadId, Vec<(Field, String)>>;

/// Drives one MiVB (or the simulator) through MiXML.
pub(crate) struct MixmlDriver<T> {
    transport: Arc<T>,
    settings: Settings,
    /// DIDs chosen by `DID AUTO` of commands that have not finished.
    reserved: Mutex<HashSet<String>>,
    /// How often the wake-up report is read once someone listens.
    report_every: Duration,
}

impl<T: Transport> MixmlDriver<T> {
    pub(crate) fn new(transport: Arc<T>, settings: Settings) -> Self {
        Self {
            transport,
            settings,
            reserved: Mutex::new(HashSet::new()),
            report_every: Duration::from_secs(30),
        }
    }

    /// Reads the wake-up report this often (`[pbx] wakeup_report_secs`).
    #[must_use]
    pub(crate) fn reporting_every(mut self, every: Duration) -> Self {
        self.report_every = every;
        self
    }

    /// Picks the lowest DID of `range` that the PBX does not list, no running command holds,
    /// and is not in `excluded` (held on another PBX of the same range).
    fn reserve_free_did(
        &self,
        range: &DidRange,
        taken: &[(String, String)],
        excluded: &HashSet<String>,
    ) -> Option<String> {
        let mut reserved = self.reserved.lock().unwrap_or_else(PoisonError::into_inner);
        let unavailable: HashSet<String> = reserved.union(excluded).cloned().collect();
        let did = lowest_free(range, taken, &unavailable)?;
        reserved.insert(did.clone());
        Some(did)
    }

    fn release_did(&self, did: &str) {
        self.reserved
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .remove(did);
    }
}

impl<T: Transport + 'static> Wire for MixmlDriver<T> {
    fn target(&self) -> String {
        self.transport.target()
    }

    /// Reads the PBX's wake-up report every `report_every` and tells each call that rang
    /// (once per process; the journal knows which it had already).
    fn listen(&self, events: WireEvents) {
        let Ok(runtime) = tokio::runtime::Handle::try_current() else {
            return;
        };
        let transport = Arc::clone(&self.transport);
        let every = self.report_every;
        runtime.spawn(async move {
            let mut told = HashSet::new();
            while !events.is_closed() {
                tokio::time::sleep(every).await;
                let Ok(Reply {
                    response: Response::WakeupResults(results),
                    ..
                }) = transport.call(&Request::ListWakeupResults, false).await
                else {
                    // A PBX that cannot be reached now is reported by the commands; the report
                    // is read again next time.
                    continue;
                };
                for (room, time, status) in results {
                    let (Some(at), Some(ending)) = (Wakeup::parse(&time), ending_of(&status))
                    else {
                        continue;
                    };
                    if told.insert((room.clone(), at)) {
                        let _ = events.send(WireEvent::WakeupRang { room, at, ending });
                    }
                }
            }
        });
    }

    fn execute<'a>(&'a self, run: &'a mut Run<'_>) -> WireFuture<'a, Result<Done, Stopped>> {
        Box::pin(self.run(run))
    }

    fn directory_numbers(&self) -> WireFuture<'_, Vec<String>> {
        Box::pin(async {
            match self
                .transport
                .call(&Request::ListDirectoryNumbers, false)
                .await
            {
                Ok(Reply {
                    response: Response::DirectoryNumbers(numbers),
                    ..
                }) => numbers,
                _ => Vec::new(),
            }
        })
    }

    fn close(&self) -> WireFuture<'_, ()> {
        Box::pin(self.transport.log_out())
    }
}

/// What `command` sends over MiXML with `settings`: its operations (with `raw`, their
/// envelopes), and the same as JSON.
pub(crate) fn plan(settings: &Settings, origin: &str, command: &Command, raw: bool) -> Planned {
    let ops = lower(&command.action, settings);
    Planned {
        text: describe::plan(origin, command, &ops, raw),
        json: serde_json::to_value(describe::PlannedCommand::new(origin, command, &ops))
            .unwrap_or_default(),
    }
}

impl<T: Transport> MixmlDriver<T> {
    async fn run(&self, run: &mut Run<'_>) -> Result<Done, Stopped> {
        let action = run.command().action.clone();
        if let Action::SetFlag { room, flag, .. } = &action {
            // Validation refuses it on this wire; a command journaled under another
            // configuration must not pass as done.
            return Err(Stopped::Command(format!(
                "room {room}: {} needs the mitel-pms interface; this PBX is driven over MiXML",
                flag.keyword()
            )));
        }
        let ops = lower(&action, &self.settings);
        let keep: HashSet<ReadId> = ops
            .iter()
            .enumerate()
            .filter(|(index, _)| must_keep(&ops, *index))
            .filter_map(|(_, op)| read_into(op))
            .collect();
        let reads: Reads = serde_json::from_value(run.kept().clone()).unwrap_or_default();
        let mut operations = Operations {
            driver: self,
            run,
            reads,
            keep: &keep,
            applied: Vec::new(),
        };
        let result = operations.all(&ops).await;
        let reads = operations.reads;
        if let Some(into) = ops.iter().find_map(|op| match op {
            Op::FindFreeDid { into, .. } => Some(*into),
            _ => None,
        }) && let Some(did) = lookup(&reads, into, Field::DidServiceNumber)
        {
            self.release_did(did);
        }
        result?;
        Ok(done(&action, &reads))
    }
}

/// What a done command leaves for the room state (see `lower` for the read numbers).
fn done(action: &Action, reads: &Reads) -> Done {
    match action {
        Action::CheckIn(CheckIn {
            room, did, replace, ..
        }) => Done {
            did_given: matches!(did, Some(DidRequest::Auto))
                .then(|| lookup(reads, ReadId(1), Field::DidServiceNumber).map(str::to_owned))
                .flatten(),
            // The check-out part was skipped (`Op::SkipIf`): the room kept what it held.
            found_vacant: *replace
                && check(
                    &Expectation::Vacant {
                        room,
                        profile: ReadId(2),
                    },
                    reads,
                )
                .is_ok(),
            ..Done::default()
        },
        Action::Move { .. } => {
            let text = |id, field| lookup(reads, ReadId(id), field).map(str::to_owned);
            let guest = match (
                text(1, Field::LastName),
                text(1, Field::FirstName),
                text(2, Field::DirectoryName),
            ) {
                (Some(last), Some(first), Some(directory_name)) => Some(Guest {
                    last,
                    first,
                    directory_name,
                }),
                _ => None,
            };
            Done {
                moved: Some(Carried {
                    guest,
                    cor: text(3, Field::CorDay).and_then(|c| c.parse().ok()),
                    did: text(3, Field::DidServiceNumber).filter(|d| !d.is_empty()),
                }),
                ..Done::default()
            }
        }
        Action::Show { .. } => {
            let values: Vec<(Field, String)> = reads.values().flatten().cloned().collect();
            Done {
                record: Some(describe::record(&values)),
                ..Done::default()
            }
        }
        _ => Done::default(),
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
        Op::Set { .. }
        | Op::ExpectDidFree { .. }
        | Op::Expect(_)
        | Op::SkipIf { .. }
        | Op::SystemInfo => false,
    }
}

/// One command's operations being carried out.
struct Operations<'o, 'r, T> {
    driver: &'o MixmlDriver<T>,
    run: &'o mut Run<'r>,
    /// Everything read so far (kept reads of an interrupted run first).
    reads: Reads,
    keep: &'o HashSet<ReadId>,
    /// The sets the PBX confirmed, as "User Profile of 1000".
    applied: Vec<String>,
}

impl<T: Transport> Operations<'_, '_, T> {
    fn kept_reads(&self) -> Reads {
        self.reads
            .iter()
            .filter(|(id, _)| self.keep.contains(id))
            .map(|(id, values)| (*id, values.clone()))
            .collect()
    }

    fn header<'h>(op: &'h Op<'_>, sent: &[(Field, String)]) -> StepHeader<'h> {
        let room = op.room().unwrap_or("-");
        let (operation, fields) = match op {
            Op::Set { form, .. } => (
                format!("set  {:<15}  {}", form.label(), describe::sent(sent)),
                describe::machine(sent),
            ),
            other => (describe::operation(other), Vec::new()),
        };
        StepHeader {
            room,
            verb: op.verb(),
            operation,
            fields,
        }
    }

    async fn all(&mut self, ops: &[Op<'_>]) -> Result<(), Stopped> {
        let mut unsaved_reads = false;
        let mut skipping = 0;
        for (index, op) in ops.iter().enumerate() {
            if let Some(reason) = self.run.halted() {
                return Err(Stopped::Run(reason));
            }
            if skipping > 0 {
                skipping -= 1;
                continue;
            }
            // A read the journal kept from an interrupted run is not read again: the room may
            // already have changed under the command's own writes. A DID found free earlier is
            // checked first, though: if someone else has given it to another room since, this
            // command chooses again instead of failing on it at every retry.
            if let Some(into) = read_into(op)
                && let Some(kept) = self.reads.get(&into).cloned()
            {
                let still_ours = match op {
                    Op::FindFreeDid { .. } => self
                        .kept_did_is_free(&kept)
                        .await
                        .map_err(|stopped| self.explain(op, stopped))?,
                    _ => true,
                };
                if still_ours {
                    let detail = describe::sent(&kept);
                    self.run.emit(
                        &Self::header(op, &[]),
                        StepResult::Kept {
                            detail: &detail,
                            read: &describe::machine(&kept),
                        },
                        Timing::now(),
                        false,
                        None,
                    );
                    continue;
                }
                self.reads.remove(&into);
                for (_, did) in &kept {
                    self.driver.release_did(did);
                }
            }
            if let Op::SkipIf { holds, count } = op {
                let detail = if check(holds, &self.reads).is_ok() {
                    skipping = *count;
                    format!("yes: the next {count} skipped")
                } else {
                    format!("no: the next {count} run")
                };
                self.run.emit(
                    &Self::header(op, &[]),
                    StepResult::Checked {
                        detail: Some(&detail),
                    },
                    Timing::now(),
                    false,
                    None,
                );
                continue;
            }
            if let Op::Expect(expectation) = op {
                let header = Self::header(op, &[]);
                match check(expectation, &self.reads) {
                    Ok(()) => {
                        self.run.emit(
                            &header,
                            StepResult::Checked { detail: None },
                            Timing::now(),
                            false,
                            None,
                        );
                    }
                    Err(blocked) => {
                        let mut reason = blocked.to_string();
                        if matches!(self.run.command().action, Action::CheckIn(_)) {
                            reason.push_str(
                                ", or add `REPLACE` to the check-in to check them out as part of it",
                            );
                        }
                        self.run.emit(
                            &header,
                            StepResult::Refused(&reason),
                            Timing::now(),
                            false,
                            None,
                        );
                        return Err(Stopped::Command(self.reason(op, &reason)));
                    }
                }
                continue;
            }
            if matches!(op, Op::Set { .. }) && unsaved_reads {
                let kept = serde_json::to_value(self.kept_reads()).unwrap_or_default();
                self.run.keep(kept).await?;
                unsaved_reads = false;
            }
            let sent = self
                .resolve(op)
                .map_err(|blocked| Stopped::Command(blocked.to_string()))?;
            let (reply, timing) = self
                .send(op, &sent)
                .await
                .map_err(|stopped| self.explain(op, stopped))?;
            if let Err(blocked) = self.absorb(op, &reply.response) {
                let what = blocked.to_string();
                self.run.emit(
                    &Self::header(op, &sent),
                    StepResult::Refused(&what),
                    timing,
                    reply.logged_in,
                    reply.raw.as_ref(),
                );
                return Err(Stopped::Command(self.reason(op, &what)));
            }
            self.emit_answer(op, &sent, &reply, timing);
            if must_keep(ops, index) {
                unsaved_reads = true;
            }
            if let Op::Set { room, form, .. } = op {
                self.applied.push(format!("{} of {room}", form.label()));
            }
        }
        Ok(())
    }

    /// Shows what the PBX answered to `op`.
    fn emit_answer(&self, op: &Op<'_>, sent: &[(Field, String)], reply: &Reply, timing: Timing) {
        let found = |into: &ReadId| self.reads.get(into).cloned().unwrap_or_default();
        let (detail, read) = match (&reply.response, op) {
            (Response::Fields(values), _) => (Some(describe::sent(values)), values.clone()),
            (Response::SystemInfo { product, version }, _) => (
                Some(format!(
                    "test access to {} succeeded: {product}, {version}",
                    self.driver.transport.target()
                )),
                Vec::new(),
            ),
            (Response::Dids(_), Op::FindFreeDid { into, .. }) => {
                let values = found(into);
                (Some(describe::sent(&values)), values)
            }
            (Response::Dids(_), _) => (Some("free".to_owned()), Vec::new()),
            _ => (None, Vec::new()),
        };
        self.run.emit(
            &Self::header(op, sent),
            StepResult::Ok {
                detail: detail.as_deref(),
                read: &describe::machine(&read),
            },
            timing,
            reply.logged_in,
            reply.raw.as_ref(),
        );
    }

    /// A stop of this command in its full words (room, step, what was changed already).
    fn explain(&self, op: &Op<'_>, stopped: Stopped) -> Stopped {
        match stopped {
            Stopped::Command(what) => Stopped::Command(self.reason(op, &what)),
            run @ Stopped::Run(_) => run,
        }
    }

    /// Whether the DID a `DID AUTO` found free in an earlier run (`kept`) is still free or this
    /// room's own: asked of the PBX like an explicit DID.
    async fn kept_did_is_free(&mut self, kept: &[(Field, String)]) -> Result<bool, Stopped> {
        let Some((_, did)) = kept.iter().find(|(f, _)| *f == Field::DidServiceNumber) else {
            return Ok(false);
        };
        let room = self.run.command().action.room().to_owned();
        let check = Op::ExpectDidFree {
            room: &room,
            did: did.as_str(),
        };
        let (reply, timing) = self.send(&check, &[]).await?;
        match self.absorb(&check, &reply.response) {
            Ok(()) => {
                self.emit_answer(&check, &[], &reply, timing);
                Ok(true)
            }
            Err(why) => {
                let why = format!("{why}; choosing another DID");
                self.run.emit(
                    &Self::header(&check, &[]),
                    StepResult::Refused(&why),
                    timing,
                    reply.logged_in,
                    reply.raw.as_ref(),
                );
                Ok(false)
            }
        }
    }

    /// The values a set sends, with references to reads replaced by what was read.
    fn resolve(&self, op: &Op<'_>) -> Result<Vec<(Field, String)>, Blocked> {
        let Op::Set { values, .. } = op else {
            return Ok(Vec::new());
        };
        values
            .iter()
            .map(|(field, value)| {
                let text = match value {
                    crate::pbx::mixml::lower::ops::Value::Read(id, from) => {
                        lookup(&self.reads, *id, *from)
                            .map(str::to_owned)
                            .ok_or_else(|| Blocked::Unread {
                                origin: self.run.entry().origin.clone(),
                                read: format!("{id}.{from}"),
                            })?
                    }
                    crate::pbx::mixml::lower::ops::Value::Wakeups(id, _) => {
                        let booked =
                            lookup(&self.reads, *id, Field::WakeupTimes).ok_or_else(|| {
                                Blocked::Unread {
                                    origin: self.run.entry().origin.clone(),
                                    read: format!("{id}.{}", Field::WakeupTimes),
                                }
                            })?;
                        wire::wire_value(value, &|_, _| Cow::Borrowed(booked)).into_owned()
                    }
                    other => wire::wire_value(other, &|_, _| Cow::Borrowed("")).into_owned(),
                };
                Ok((*field, text))
            })
            .collect()
    }

    /// Sends one operation; every failed attempt goes to the engine, which pauses and lets it
    /// try again or says why to stop. "Test access" logs in afresh first, so that it checks
    /// the credentials, not an old session.
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
            other => wire::request_for(other, &|_, _| Cow::Borrowed("")).ok_or_else(|| {
                Stopped::Command(format!(
                    "internal error: `{}` has no request; please report this",
                    other.verb()
                ))
            })?,
        };
        let transport = &self.driver.transport;
        let raw = self.run.raw();
        let mut attempt = 0;
        loop {
            attempt += 1;
            let started = Instant::now();
            let result = if matches!(op, Op::SystemInfo) {
                match transport.login(raw).await {
                    Ok(login) => transport.call(&request, raw).await.map(|reply| Reply {
                        logged_in: true,
                        raw: crate::engine::Raw::join(login.raw, reply.raw),
                        ..reply
                    }),
                    Err(error) => Err(error),
                }
            } else {
                transport.call(&request, raw).await
            };
            let timing = Timing::since(started);
            let error = match result {
                Ok(reply) => return Ok((reply, timing)),
                Err(error) => error,
            };
            let failure = Failure {
                kind: match error.recovery() {
                    Recovery::Retry => FailureKind::Transient {
                        unreachable: error.is_unreachable(),
                    },
                    Recovery::FailCommand => FailureKind::Permanent,
                    Recovery::Stop => FailureKind::Fatal,
                },
                message: describe_failure(&error, op),
            };
            let header = Self::header(op, sent);
            self.run.failed(&header, attempt, &failure, timing).await?;
        }
    }

    /// Takes what a read or a search returned into the reads; `Err` when the answer means the
    /// command must not go on (no free DID, a DID held by another room).
    fn absorb(&mut self, op: &Op<'_>, response: &Response) -> Result<(), Blocked> {
        match (op, response) {
            (Op::Read { into, .. }, Response::Fields(values)) => {
                self.reads.insert(*into, values.clone());
                Ok(())
            }
            (Op::FindFreeDid { range, into }, Response::Dids(taken)) => {
                let excluded = self.run.excluded_dids();
                let did = self
                    .driver
                    .reserve_free_did(range, taken, excluded)
                    .ok_or_else(|| Blocked::NoFreeDid {
                        range: range.to_string(),
                        size: range.len(),
                    })?;
                self.reads
                    .insert(*into, vec![(Field::DidServiceNumber, did)]);
                Ok(())
            }
            (Op::ExpectDidFree { room, did }, Response::Dids(holders)) => {
                match holders
                    .iter()
                    .find(|(d, holder)| d == did && holder != room)
                {
                    None => Ok(()),
                    Some((_, holder)) => Err(Blocked::DidHeld {
                        did: (*did).to_owned(),
                        holder: holder.clone(),
                    }),
                }
            }
            (Op::Set { .. }, Response::Updated) | (Op::SystemInfo, Response::SystemInfo { .. }) => {
                Ok(())
            }
            (_, other) => Err(Blocked::Unexpected {
                answer: format!("{other:?}"),
                verb: op.verb(),
            }),
        }
    }

    /// The reason a command failed: which room and step, what was wrong, what to do, and what
    /// had already been changed.
    fn reason(&self, op: &Op<'_>, what: &str) -> String {
        let action = &self.run.command().action;
        let room = op.room().unwrap_or(action.room());
        let keyword = action.keyword();
        let step = match op {
            Op::Set { form, .. } => format!("set {}", form.label()),
            other => other.verb().to_owned(),
        };
        let changed = if matches!(action, Action::Show { .. } | Action::Test) {
            "it only reads".to_owned()
        } else if self.applied.is_empty() {
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

/// How a wake-up call ended, as the report words it.
fn ending_of(status: &str) -> Option<WakeupEnding> {
    match status {
        wire::names::ANSWERED => Some(WakeupEnding::Answered),
        wire::names::NO_ANSWER => Some(WakeupEnding::NoAnswer),
        wire::names::LINE_BUSY => Some(WakeupEnding::Busy),
        _ => None,
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
fn check(expectation: &Expectation<'_>, reads: &Reads) -> Result<(), Blocked> {
    let name = |id| lookup(reads, id, Field::DirectoryName).unwrap_or_default();
    let label = |id| lookup(reads, id, Field::ServiceLabel).unwrap_or_default();
    match *expectation {
        Expectation::Occupied { room, profile } if name(profile) == label(profile) => {
            Err(Blocked::NoGuest {
                room: room.to_owned(),
                label: label(profile).to_owned(),
            })
        }
        Expectation::Vacant { room, profile } if name(profile) != label(profile) => {
            Err(Blocked::Occupied {
                room: room.to_owned(),
                name: name(profile).to_owned(),
                label: label(profile).to_owned(),
            })
        }
        Expectation::Occupied { .. } | Expectation::Vacant { .. } => Ok(()),
    }
}

/// Why a command cannot go on, as the PBX's answers show: each says what to do.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
enum Blocked {
    #[error(
        "room {room} has no guest: its Directory Name is its Service Label {label:?}; check the guest in first (`CHECKIN`)"
    )]
    NoGuest { room: String, label: String },
    #[error(
        "room {room} is occupied by {name:?} (its Directory Name is not its Service Label {label:?}); check that guest out or move them first"
    )]
    Occupied {
        room: String,
        name: String,
        label: String,
    },
    #[error(
        "no free DID in {range}: all {size} numbers are in use on the PBX; widen `[number_transfer] range` or take a DID away"
    )]
    NoFreeDid { range: String, size: u128 },
    #[error(
        "DID {did} is already used by room {holder}; check out {holder} or take its DID away (`DID {holder} NONE`) first"
    )]
    DidHeld { did: String, holder: String },
    #[error("the PBX answered {answer} to `{verb}`; is the server a MiVB speaking MiXML?")]
    Unexpected { answer: String, verb: &'static str },
    #[error(
        "internal error: {origin} has no value read for {read}; please report this as a hotelcare bug"
    )]
    Unread { origin: String, read: String },
}

/// A refusal in the words a technician needs.
fn describe_failure(error: &TransportError, op: &Op<'_>) -> String {
    let TransportError::Fault(fault) = error else {
        return error.to_string();
    };
    let room = op.room().unwrap_or("?");
    let field = fault
        .field
        .as_deref()
        .map(|f| wire::field_by_name(f).map_or_else(|| f.to_owned(), |f| f.label().to_owned()));
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
mod tests;
