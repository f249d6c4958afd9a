//! One connection of the FIAS link. It answers the PMS's link start (`LS`) with a link
//! description (`LD`), the records it wants (`LR`) and link alive (`LA`), asks for a resync
//! (`DR`), and hands each record to `mapping` and the journal. It says `LE` when the service
//! stops. FIAS over TCP has no per-record acknowledgement: a record counts as received once its
//! commands are journaled, and the resync at each link start covers a record lost in between.
//! During a resync (`DS` ... `DE`) it sends nothing but its answers, as the specification asks.

use std::collections::{BTreeMap, HashMap};
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::sync::{mpsc, oneshot, watch};

use crate::engine::journal::PostingState;
use crate::engine::{FlagChange, MaidStatus};
use crate::inputs::fias::link::{Control, Link, describe_refusal};
use crate::inputs::fias::mapping::{Context, Effect, Mapped, map};
use crate::inputs::fias::postings::Outstanding;
use crate::inputs::fias::record::{Framed, Frames, Record};
use crate::inputs::fias::refusal::screen;
use crate::inputs::fias::resync::{ResyncReport, compare};
use crate::inputs::fias::status::{LastRecord, RecordOutcome, now};
use crate::inputs::fias::view::RoomView;
use crate::intake::acceptance::{Batch, Refusal as NotAccepted};
use crate::lang::syntax::{Extension, Request};

/// The most resync requests waiting for one house.
const MAX_WAITING: usize = 16;

mod posting;

/// The records of the link (`LR`), with their fields: what the PMS sends (the guest records
/// with `SF`, the swap flag that marks the resync's records; `DA`/`TI`, which tell a record
/// delivered twice from a new one; `GS`, the share flag) and what hotelcare sends (`RE` with the
/// maid status `RS`). `DR`, `DS` and `DE` need no link record (FIAS 2.20.23, p. 28).
pub(crate) const WANTED: &[(&str, &str)] = &[
    ("GI", "RNG#GSGNGFGTCSENESSFDATI"),
    ("GO", "RNG#GSSFDATI"),
    ("GC", "RNROG#GSGNGFGTCSENESDATI"),
    ("RE", "RNCSDNMLRS"),
    // Wake-up calls: booked and cleared by the PMS, answered once by hotelcare.
    ("WR", "RNDATI"),
    ("WC", "RNDATI"),
    ("WA", "RNDATIAS"),
    // Charged calls, posted to the guest's folio and answered by the PMS.
    ("PS", "RNPTTADDDUDATIP#CT"),
    ("PA", "RNASP#DATICT"),
];

/// Who waits for the house the PMS is sending.
enum Waiting {
    /// The link start's own resync: the fixes are journaled.
    Start,
    /// `hotelcare fias resync`: journaled, and the report goes back.
    Apply(oneshot::Sender<ResyncReport>),
    /// `hotelcare fias resync --dry-run`: compared only.
    DryRun(oneshot::Sender<ResyncReport>),
}

/// What a connection keeps between frames.
struct Session<'l> {
    link: &'l mut Link,
    stream: TcpStream,
    /// Between `DS` and `DE`: the house as the PMS has it.
    house: Option<Vec<Record>>,
    waiting: Vec<Waiting>,
    /// The link's view of each room it touched (the room state lags behind: a command is in it
    /// once done; a check-in that follows a check-out still in the journal must not take the
    /// room for shared).
    rooms: HashMap<Extension, RoomView>,
    /// The link is up (the PMS's `LS` answered): postings may go out.
    up: bool,
    /// The posting written whose `PA` is awaited.
    outstanding: Option<Outstanding>,
}

/// Runs one connection; `true` when it ended because the service stops.
pub(crate) async fn run(
    link: &mut Link,
    stream: TcpStream,
    control: &mut mpsc::Receiver<Control>,
    stop: &mut watch::Receiver<Option<String>>,
) -> bool {
    let mut session = Session {
        link,
        stream,
        house: None,
        waiting: Vec::new(),
        rooms: HashMap::new(),
        up: false,
        outstanding: None,
    };
    // Postings out when the last link (or the service) ended have no answer coming.
    session
        .unknown(
            session.link.host.postings_out(),
            "the link to the PMS (or the service) ended before its answer",
        )
        .await;
    let queued = session.link.host.postings_queued();
    let mut frames = Frames::default();
    let mut buffer = [0u8; 4096];
    // What the PBX last reported of each room's maid status (already told to the PMS).
    let mut maid = maid_statuses(&session.link.host.rooms());
    let mut tick = tokio::time::interval(Duration::from_secs(1));
    loop {
        let read = tokio::select! {
            read = session.stream.read(&mut buffer) => read,
            _ = tick.tick() => {
                // Nothing is sent to the PMS during its resync.
                if session.house.is_none()
                    && !(session.maid_status(&mut maid).await
                        && session.wakeup_answers().await
                        && session.post().await)
                {
                    return false;
                }
                continue;
            }
            () = queued.notified(), if session.house.is_none() && session.outstanding.is_none() => {
                if !session.post().await {
                    return false;
                }
                continue;
            }
            Some(asked) = control.recv() => {
                if !session.control(asked).await {
                    return false;
                }
                continue;
            }
            _ = stop.changed() => {
                let _ = session.send(&stamped("LE")).await;
                return true;
            }
        };
        let count = match read {
            Ok(0) | Err(_) => return false,
            Ok(count) => count,
        };
        let mut complete = Vec::new();
        frames.push(&buffer[..count], &mut |framed| complete.push(framed));
        for framed in complete {
            match framed {
                Framed::Frame(bytes) => {
                    if !session.frame(&bytes).await {
                        return false;
                    }
                }
                Framed::TooLong => session
                    .link
                    .host
                    .tell("FIAS: a frame longer than 64 kB was dropped", true),
            }
        }
    }
}

impl Session<'_> {
    async fn send(&mut self, record: &Record) -> std::io::Result<()> {
        self.stream
            .write_all(&record.frame(self.link.config.codepage))
            .await
    }

    /// Asks the PMS for the house; `false` when the link must be closed.
    async fn ask_resync(&mut self, waiting: Waiting) -> bool {
        if self.waiting.len() >= MAX_WAITING {
            self.waiting.remove(0);
        }
        let first = self.waiting.is_empty();
        self.waiting.push(waiting);
        if first {
            if self.send(&stamped("DR")).await.is_err() {
                return false;
            }
            self.link
                .host
                .tell("FIAS: resync asked of the PMS (DR)", false);
        }
        true
    }

    async fn control(&mut self, asked: Control) -> bool {
        match asked {
            Control::Resync { dry_run, reply } => {
                let waiting = if dry_run {
                    Waiting::DryRun(reply)
                } else {
                    Waiting::Apply(reply)
                };
                self.ask_resync(waiting).await
            }
            Control::Confirm { reply } => {
                let held = self.link.held.clone();
                let confirmed = self.link.confirm().await;
                if confirmed.is_ok() {
                    // As after a resync: the rooms checked out are vacant from now on, though
                    // the room state says "occupied" until the PBX has done each check-out.
                    self.rooms.clear();
                    self.rooms
                        .extend(held.into_iter().map(|room| (room, RoomView::vacant())));
                }
                let _ = reply.send(confirmed);
                true
            }
        }
    }

    /// One frame from the PMS; `false` when the link must be closed.
    async fn frame(&mut self, bytes: &[u8]) -> bool {
        let Some(record) = Record::parse(bytes, self.link.config.codepage) else {
            self.link
                .host
                .tell("FIAS: a frame that is no record was ignored", true);
            return true;
        };
        match record.kind.as_str() {
            "LS" => self.link_start().await,
            "PA" => self.posting_answer(&record).await,
            "LA" => true,
            "DS" => {
                self.house = Some(Vec::new());
                true
            }
            "DE" => {
                if let Some(house) = self.house.take() {
                    self.finish_resync(&house).await;
                }
                true
            }
            _ if self.house.is_some() && record.get("SF").is_some() => {
                if let Some(house) = self.house.as_mut() {
                    house.push(record);
                }
                true
            }
            "LE" => {
                self.link
                    .host
                    .tell("FIAS: the PMS ended the link (LE)", true);
                false
            }
            _ => {
                self.record(&record).await;
                true
            }
        }
    }

    async fn link_start(&mut self) -> bool {
        let mut ld = stamped("LD");
        ld.fields
            .push(("V#".into(), env!("CARGO_PKG_VERSION").into()));
        ld.fields.push(("IF".into(), "PB".into()));
        let mut answer = vec![ld];
        let posting = self.link.host.config().charges.post;
        for (kind, fields) in WANTED {
            // Postings are announced only when charges are posted (`[charges] post`).
            if posting || !matches!(*kind, "PS" | "PA") {
                answer.push(Record::new("LR", &[("RI", kind), ("FL", fields)]));
            }
        }
        answer.push(stamped("LA"));
        for record in &answer {
            if self.send(record).await.is_err() {
                return false;
            }
        }
        self.up = true;
        // A record read but not yet journaled when the link or the service died is not
        // resent by the PMS: every link start resyncs.
        self.ask_resync(Waiting::Start).await
    }

    /// The link's view of `room` (from the room state the first time).
    fn view(&mut self, room: &Extension) -> RoomView {
        if let Some(view) = self.rooms.get(room) {
            return view.clone();
        }
        let view = self
            .link
            .host
            .rooms()
            .into_iter()
            .find(|(r, _)| r == room.as_str())
            .map(|(_, state)| RoomView::of(&state))
            .unwrap_or_default();
        self.rooms.insert(room.clone(), view.clone());
        view
    }

    /// A guest or room record: screened, mapped, journaled; counted and reported.
    async fn record(&mut self, record: &Record) {
        let shown = record.shown();
        let outcome = match self.map(record) {
            Err(refusal) => {
                self.link.host.tell(
                    &format!("FIAS {shown}: refused: {refusal}; nothing changed"),
                    true,
                );
                RecordOutcome::Refused
            }
            Ok(Mapped::Ignored(why)) => {
                self.link
                    .host
                    .tell(&format!("FIAS {shown}: ignored: {why}"), false);
                RecordOutcome::Ignored
            }
            Ok(Mapped::Effect(effect)) => self.apply(&shown, effect).await,
        };
        // A wake-up that is not booked gets its one answer now: it cannot be done.
        if record.kind == "WR"
            && matches!(
                outcome,
                RecordOutcome::Refused | RecordOutcome::Ignored | RecordOutcome::Failed
            )
        {
            let echo = |id: &str| {
                record
                    .get(id)
                    .filter(|value| value.bytes().all(|b| b.is_ascii_alphanumeric()))
                    .unwrap_or("")
                    .to_owned()
            };
            let (room, date, time) = (echo("RN"), echo("DA"), echo("TI"));
            let answer = Record::new(
                "WA",
                &[("RN", &room), ("DA", &date), ("TI", &time), ("AS", "UR")],
            );
            if self.send(&answer).await.is_ok() {
                self.link.host.tell(
                    &format!("FIAS {shown}: answered UR (the wake-up is not booked)"),
                    false,
                );
            }
        }
        self.link.host.count(&record.kind, outcome);
        self.link.status.update(|status| {
            status.last_record = Some(LastRecord {
                kind: record.kind.clone(),
                at: now(),
                outcome,
            });
        });
    }

    fn map(&mut self, record: &Record) -> Result<Mapped, crate::inputs::fias::refusal::Refusal> {
        screen(record, self.link.config.codepage)?;
        // The views of the rooms a record can name, read before mapping (which only looks).
        for id in ["RN", "RO"] {
            if let Some(Ok(room)) = record.value(id).map(Extension::new) {
                self.view(&room);
            }
        }
        let rooms = &self.rooms;
        let view = |room: &Extension| rooms.get(room).cloned().unwrap_or_default();
        let wires = &self.link.wires;
        let capabilities = |room: &Extension| wires(room);
        map(
            record,
            &Context {
                config: &self.link.config,
                capabilities: &capabilities,
                view: &view,
            },
        )
    }

    async fn apply(&mut self, shown: &str, effect: Effect) -> RecordOutcome {
        let Effect {
            batch,
            rooms,
            notes,
            warnings,
            unmapped_class_of_service,
        } = effect;
        let host = &self.link.host;
        if unmapped_class_of_service > 0 {
            host.unmapped_class_of_service(unmapped_class_of_service);
        }
        for warning in &warnings {
            host.tell(&format!("FIAS {shown}: {warning}"), true);
        }
        let source = batch.source.clone();
        let result = if batch.commands.is_empty() {
            host.set_flags(batch.flags)
                .await
                .map(|()| Vec::new())
                .map_err(NotAccepted::Journal)
        } else {
            host.journal(batch).await
        };
        match result {
            Ok(seqs) => {
                for note in &notes {
                    host.tell(&format!("FIAS {shown}: {note}"), false);
                }
                if !seqs.is_empty() {
                    tracing::info!(
                        "FIAS {shown}: {} command(s) journaled as `{source}`",
                        seqs.len()
                    );
                }
                self.link.release(&rooms);
                self.rooms.extend(rooms);
                RecordOutcome::Journaled
            }
            Err(refusal @ NotAccepted::Duplicate(_)) => {
                let why = describe_refusal(&refusal);
                host.tell(&format!("FIAS {shown}: not applied: {why}"), false);
                RecordOutcome::Duplicate
            }
            Err(refusal @ NotAccepted::Invalid(_)) => {
                let why = describe_refusal(&refusal);
                host.tell(
                    &format!("FIAS {shown}: refused: {why}; nothing changed"),
                    true,
                );
                RecordOutcome::Refused
            }
            Err(refusal) => {
                let why = describe_refusal(&refusal);
                host.tell(&format!("FIAS {shown}: not applied: {why}"), true);
                RecordOutcome::Failed
            }
        }
    }

    /// The house is complete: compare, then journal the fixes (or only report them).
    async fn finish_resync(&mut self, house: &[Record]) {
        let waiting = std::mem::take(&mut self.waiting);
        let dry_run =
            !waiting.is_empty() && waiting.iter().all(|w| matches!(w, Waiting::DryRun(_)));
        let report = self.resync(house, dry_run).await;
        for waiter in waiting {
            if let Waiting::Apply(reply) | Waiting::DryRun(reply) = waiter {
                let _ = reply.send(report.clone());
            }
        }
        if !dry_run {
            self.link
                .status
                .update(|status| status.last_resync = Some(report));
        }
    }

    async fn resync(&mut self, house: &[Record], dry_run: bool) -> ResyncReport {
        let host = std::sync::Arc::clone(&self.link.host);
        // Commands journaled before (a restart resumes them) change the room state: compare
        // with what they leave, not with what they will overwrite (a minute at most).
        for _ in 0..600 {
            if host.pending() == 0 {
                break;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        let rooms = host.rooms();
        let found = compare(house, &rooms, host.config(), &self.link.config);
        let occupied = rooms.iter().filter(|(_, state)| state.occupied).count();
        let limit = self.link.config.checkout_limit(occupied);
        let hold = limit.is_some_and(|limit| found.checkouts.len() > limit);
        let prefix = if dry_run {
            "FIAS resync (dry run)"
        } else {
            "FIAS resync"
        };
        for line in &found.differences {
            host.tell(&format!("{prefix}: {line}"), false);
        }
        for line in &found.refused {
            host.tell(&format!("{prefix}: refused: {line}"), true);
        }
        for line in &found.warnings {
            host.tell(&format!("{prefix}: {line}"), true);
        }
        let mut report = ResyncReport {
            at: now(),
            occupied: found.house.len(),
            differences: found.differences.clone(),
            limit,
            dry_run,
            ..ResyncReport::default()
        };
        if hold {
            report.held = found.checkouts.iter().map(ToString::to_string).collect();
        }
        if dry_run {
            host.tell(
                &format!(
                    "{prefix}: {} difference(s){}; nothing journaled",
                    found.differences.len(),
                    if hold {
                        format!(
                            "; its {} check-outs would be held (more than the limit of {})",
                            found.checkouts.len(),
                            limit.unwrap_or_default()
                        )
                    } else {
                        String::new()
                    }
                ),
                false,
            );
            return report;
        }
        let mut commands = found.fixes.clone();
        if !hold {
            commands.extend(
                found
                    .checkouts
                    .iter()
                    .map(|room| (Request::CheckOut { room: room.clone() }, None)),
            );
        }
        let batch = Batch {
            source: "fias:resync".into(),
            commands,
            identity: None,
            flags: Self::resync_flags(&found, hold, &rooms),
            wakeups: Vec::new(),
            blocked: None,
        };
        let count = batch.commands.len();
        match host.journal(batch).await {
            Ok(seqs) => {
                report.journaled = seqs.len();
                if count == 0 {
                    host.tell(
                        &format!(
                            "{prefix}: {} rooms as the PMS has them; nothing to fix",
                            found.house.len()
                        ),
                        false,
                    );
                } else {
                    host.tell(
                        &format!(
                            "{prefix}: {} command(s) journaled to fix the differences",
                            seqs.len()
                        ),
                        false,
                    );
                }
                // After the resync the house is what the PMS said: the rooms it checks out are
                // vacant from now on, though the room state says "occupied" until the PBX has
                // done the check-out (a guest checking in meanwhile is a new guest, not a
                // sharer of the one leaving).
                self.rooms = found.house.iter().cloned().collect();
                if !hold {
                    self.rooms.extend(
                        found
                            .checkouts
                            .iter()
                            .map(|room| (room.clone(), RoomView::vacant())),
                    );
                }
                self.link.held = if hold {
                    found.checkouts.clone()
                } else {
                    Vec::new()
                };
                let held_rooms = report.held.clone();
                self.link.status.update(|status| status.held = held_rooms);
                if hold {
                    self.rooms.retain(|room, _| !found.checkouts.contains(room));
                    host.tell(
                        &format!(
                            "{prefix}: {} check-outs are held: more than the limit of {} (`[fias] resync_checkout_limit`); the PMS has these rooms vacant: {}; `hotelcare fias resync --confirm` checks them out",
                            found.checkouts.len(),
                            limit.unwrap_or_default(),
                            report.held.join(", ")
                        ),
                        true,
                    );
                }
            }
            Err(refusal) => {
                let why = describe_refusal(&refusal);
                host.tell(
                    &format!("{prefix}: the fixes were not applied: {why}"),
                    true,
                );
                report.error = Some(why);
            }
        }
        report
    }

    /// The flags a resync writes with its fixes: each occupied room's sharers and, where no
    /// check-in carries it, the reservation its phone shows; vacated rooms lose both.
    fn resync_flags(
        found: &crate::inputs::fias::resync::Found,
        hold: bool,
        rooms: &[(String, crate::engine::RoomState)],
    ) -> crate::engine::FlagChanges {
        let mut flags = Vec::new();
        let checked_in: Vec<&Extension> = found
            .fixes
            .iter()
            .filter_map(|(request, reservation)| match request {
                Request::CheckIn { room, .. } if reservation.is_some() => Some(room),
                _ => None,
            })
            .collect();
        for (room, view) in &found.house {
            flags.push((room.to_string(), view.sharers_flag()));
            if !checked_in.contains(&room) && view.holder.is_some() {
                flags.push((
                    room.to_string(),
                    FlagChange::Reservation(view.holder.clone()),
                ));
            }
        }
        if !hold {
            for room in &found.checkouts {
                flags.push((room.to_string(), FlagChange::Sharers(Vec::new())));
            }
        }
        // Vacant rooms keep no sharers of an earlier stay.
        for (room, state) in rooms {
            if !state.occupied && !state.flags.sharers.is_empty() {
                flags.push((room.clone(), FlagChange::Sharers(Vec::new())));
            }
        }
        flags
    }

    /// Maid status the PBX reported (a wire that reports it keeps it in the room state) goes
    /// to the PMS as room equipment (`RE` with `RS`). `false` when the link must be closed.
    async fn maid_status(&mut self, told: &mut BTreeMap<String, MaidStatus>) -> bool {
        let rooms = self.link.host.rooms();
        let now = maid_statuses(&rooms);
        for (room, status) in &now {
            if told.get(room) == Some(status) {
                continue;
            }
            let occupied = rooms.iter().any(|(r, s)| r == room && s.occupied);
            match room_status(*status, occupied) {
                Some(code) => {
                    let record = Record::new("RE", &[("RN", room), ("RS", code)]);
                    if self.send(&record).await.is_err() {
                        return false;
                    }
                    self.link.host.tell(
                        &format!("FIAS: maid status of room {room} ({status}) sent to the PMS"),
                        false,
                    );
                }
                None => self.link.host.tell(
                    &format!(
                        "FIAS: maid status of room {room} ({status}) has no FIAS room status; not sent"
                    ),
                    false,
                ),
            }
        }
        *told = now;
        true
    }
}

impl Session<'_> {
    /// Sends each due wake-up answer once (`wakeups::answer`); `false` when the link must be
    /// closed.
    async fn wakeup_answers(&mut self) -> bool {
        for booking in self.link.host.wakeup_answers() {
            let shown = format!("room {}: the wake-up of {}", booking.room, booking.at);
            // Marked before it is written: a crash in between loses an answer, never doubles one.
            if let Err(error) = self.link.host.wakeup_answered(&booking).await {
                self.link
                    .host
                    .tell(&format!("FIAS: {shown} is not answered now: {error}"), true);
                continue;
            }
            match crate::inputs::fias::wakeups::answer(&booking, &self.link.config) {
                Some((record, why)) => {
                    if self.send(&record).await.is_err() {
                        return false;
                    }
                    self.link
                        .host
                        .tell(&format!("FIAS: {shown} answered to the PMS: {why}"), false);
                }
                None => self.link.host.tell(
                    &format!(
                        "FIAS: {shown} is booked on a PBX that reports no result; not answered (`[fias] wakeup_answer`)"
                    ),
                    false,
                ),
            }
        }
        true
    }
}

/// The maid status of every room that has one (as the PBX reported it).
fn maid_statuses(rooms: &[(String, crate::engine::RoomState)]) -> BTreeMap<String, MaidStatus> {
    rooms
        .iter()
        .filter_map(|(room, state)| state.flags.maid_status.map(|status| (room.clone(), status)))
        .collect()
}

/// FIAS room status (`RS`: 1 dirty/vacant, 2 dirty/occupied, 3 clean/vacant, 4 clean/occupied)
/// of a maid status (`None`: no counterpart).
fn room_status(status: MaidStatus, occupied: bool) -> Option<&'static str> {
    use MaidStatus::{
        Clean, NotClean, OccupiedClean, OccupiedNotClean, VacantClean, VacantNotClean,
    };
    Some(match (status, occupied) {
        (VacantNotClean, _) | (NotClean, false) => "1",
        (OccupiedNotClean, _) | (NotClean, true) => "2",
        (VacantClean, _) | (Clean, false) => "3",
        (OccupiedClean, _) | (Clean, true) => "4",
        _ => return None,
    })
}

/// A link record with `DA` and `TI` of now (local time), as FIAS writes them.
fn stamped(kind: &str) -> Record {
    let now = chrono::Local::now();
    Record::new(
        kind,
        &[
            ("DA", &now.format("%y%m%d").to_string()),
            ("TI", &now.format("%H%M%S").to_string()),
        ],
    )
}
