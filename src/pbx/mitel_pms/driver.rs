//! The Mitel PMS `Driver`: a command becomes records (`frames`), each sent as one transaction
//! of the link, retried per the engine's policy (every record sets an absolute state, so a
//! record sent again changes nothing).
//!
//! CHECKIN → `CHK1`, `NAM` (add), `RST` level; CHECKOUT → `CHK0`, `RST` block; COS → `RST`;
//! RENAME → `NAM` (replace); MOVE → `CHK0`/`RST` block on the old room, `CHK1`/`NAM`/`RST` on
//! the new one, with the guest and level of the expected room state; SHOW → the expected room
//! state; TEST → `AREYUTHERE`. A check-in into a room that the expected state says is occupied
//! is refused (unless `REPLACE`: `CHK0` first), as is a move out of a vacant or into an
//! occupied room.

use std::fmt::Write as _;
use std::time::{Duration, Instant};

use crate::config::{MitelPmsConfig, Site};
use std::sync::{Arc, OnceLock};

use tokio::sync::mpsc;

use crate::engine::{
    Carried, Done, Failure, FailureKind, Planned as PlannedCommand, Raw, Record as RoomRecord,
    RecordField, RoomState, Run, StepHeader, StepResult, Stopped, Timing, Wire, WireError,
    WireEvents, WireFuture,
};
use crate::lang::validate::wakeup::{Wakeup, WakeupChange};
use crate::lang::validate::{Action, CheckIn, Command, Flag, Guest};
use crate::pbx::mitel_pms::frame::{Record, visible};
use crate::pbx::mitel_pms::link::{Exchange, Link, LinkError, OnMessage, Say, Settings};
use crate::pbx::mitel_pms::rules::fit_name;
use crate::pbx::mitel_pms::unsolicited;

/// What the records need from the configuration.
#[derive(Clone, Debug)]
pub(crate) struct PmsSettings {
    pub(crate) pms: MitelPmsConfig,
    /// The RST level a check-out sends.
    pub(crate) block: u8,
    /// The rooms of this PBX when the property has several (a general reset sends only these).
    pub(crate) rooms: Option<Vec<crate::config::RoomRange>>,
}

impl PmsSettings {
    /// The settings of the PBX `site`.
    pub(crate) fn of(site: &Site) -> Self {
        Self {
            pms: site.wire.mitel_pms().copied().unwrap_or_default(),
            block: site.cor.block.get(),
            rooms: site.rooms.clone(),
        }
    }

    /// Whether `room` is one of this PBX's.
    pub(crate) fn owns(&self, room: &str) -> bool {
        self.rooms
            .as_ref()
            .is_none_or(|ranges| ranges.iter().any(|range| range.contains(room)))
    }
}

/// The wire to one PBX over the Mitel PMS interface.
pub(crate) struct MitelPmsDriver {
    link: Link,
    settings: PmsSettings,
    /// Where the link and `unsolicited` report, once the engine listens.
    events: Say,
}

impl MitelPmsDriver {
    /// Starts the link to `address` (`host:port`); connects on the first record. What the PBX
    /// sends on its own is handled by `unsolicited`.
    pub(crate) fn new(address: &str, connect_timeout: Duration, settings: PmsSettings) -> Self {
        let (messages, inbox) = mpsc::unbounded_channel();
        let on_message: OnMessage = Arc::new(move |text: &str| {
            let _ = messages.send(text.to_owned());
        });
        let events: Say = Arc::new(OnceLock::new());
        let link = Link::start(
            address,
            Settings {
                keepalive: settings.pms.keepalive,
                connect_timeout,
                transaction: connect_timeout,
            },
            on_message,
            Arc::clone(&events),
        );
        tokio::spawn(unsolicited::handle(
            inbox,
            address.to_owned(),
            settings.clone(),
            Arc::clone(&events),
        ));
        Self {
            link,
            settings,
            events,
        }
    }
}

/// One record to send, on a room.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Planned {
    pub(crate) room: String,
    pub(crate) record: Record,
}

/// The records that end what a guest's stay switched on (message waiting, do not disturb), as
/// the expected state has them: sent after a check-out so that the next guest starts without.
fn stay_ended(room: &str, state: &RoomState) -> Vec<Record> {
    let on = |flag: Flag| match flag {
        Flag::MessageWaiting => state.flags.message_waiting == Some(true),
        Flag::DoNotDisturb => state.flags.do_not_disturb == Some(true),
    };
    let mut records = Vec::new();
    if on(Flag::MessageWaiting) {
        records.push(Record::MessageWaiting(false, room.to_owned()));
    }
    if on(Flag::DoNotDisturb) {
        records.push(Record::DoNotDisturb(false, room.to_owned()));
    }
    records
}

/// Why a command is refused before anything is sent.
type Refusal = String;

/// The records of `action`. `state` is the expected state of a room (`None` in a dry run:
/// then a move's guest shows as a placeholder).
pub(crate) fn frames(
    action: &Action,
    settings: &PmsSettings,
    state: Option<&dyn Fn(&str) -> RoomState>,
) -> Result<Vec<Planned>, Refusal> {
    let mut out = Vec::new();
    let mut push = |room: &str, record: Record| {
        out.push(Planned {
            room: room.to_owned(),
            record,
        });
    };
    // ASCII, fitted to the NAM field as the script's check did (`rules.rs`; again
    // here for a guest the room state has from another configuration).
    let name = |guest: &Guest| fit_name(&guest.last, &guest.first).name;
    match action {
        Action::CheckIn(CheckIn {
            room,
            guest,
            cor,
            replace,
            ..
        }) => {
            if let Some(state) = state {
                let before = state(room);
                if before.occupied && !replace {
                    return Err(format!(
                        "room {room} is occupied{} as far as hotelcare knows (this wire cannot read the PBX); nothing was sent. Check it out first, or write `CHECKIN {room} \"...\" REPLACE`",
                        guest_of(&before)
                    ));
                }
                if before.occupied {
                    push(room, Record::CheckOut(room.clone()));
                    for record in stay_ended(room, &before) {
                        push(room, record);
                    }
                }
            } else if *replace {
                push(room, Record::CheckOut(room.clone()));
            }
            push(room, Record::CheckIn(room.clone()));
            let name = name(guest);
            push(room, Record::Name(settings.pms.nam_add, name, room.clone()));
            push(room, Record::Restriction(cor.get(), room.clone()));
        }
        Action::CheckOut { room } => {
            push(room, Record::CheckOut(room.clone()));
            push(room, Record::Restriction(settings.block, room.clone()));
            if let Some(state) = state {
                for record in stay_ended(room, &state(room)) {
                    push(room, record);
                }
            }
        }
        Action::Cos { room, cor } => push(room, Record::Restriction(cor.get(), room.clone())),
        Action::Rename { room, guest } => {
            let Some(op) = settings.pms.nam_replace else {
                return Err("RENAME needs `[mitel_pms] nam_replace`".into());
            };
            if let Some(state) = state
                && !state(room).occupied
            {
                return Err(format!(
                    "room {room} is vacant as far as hotelcare knows: there is no guest to rename; nothing was sent"
                ));
            }
            let name = name(guest);
            push(room, Record::Name(op, name, room.clone()));
        }
        Action::Move { from, to } => {
            let (guest, level) = match state {
                Some(state) => {
                    let (old, new) = (state(from), state(to));
                    if !old.occupied {
                        return Err(format!(
                            "room {from} is vacant as far as hotelcare knows: there is no guest to move; nothing was sent"
                        ));
                    }
                    if new.occupied {
                        return Err(format!(
                            "room {to} is occupied{} as far as hotelcare knows: nothing was sent. Check it out first",
                            guest_of(&new)
                        ));
                    }
                    let level = old.cor.unwrap_or(settings.block);
                    let guest = old.guest.map_or_else(String::new, |g| name(&g));
                    (guest, Record::Restriction(level, to.clone()))
                }
                None => (
                    format!("<guest of {from}>"),
                    Record::RestrictionOf(from.clone(), to.clone()),
                ),
            };
            push(from, Record::CheckOut(from.clone()));
            push(from, Record::Restriction(settings.block, from.clone()));
            if let Some(state) = state {
                for record in stay_ended(from, &state(from)) {
                    push(from, record);
                }
            }
            push(to, Record::CheckIn(to.clone()));
            // A room checked in without a name (never by hotelcare) moves without one.
            if !guest.is_empty() {
                push(to, Record::Name(settings.pms.nam_add, guest, to.clone()));
            }
            push(to, level);
            // The PBX cleared the guest's wake-ups with the old room: booked again here.
            if let Some(state) = state {
                for wakeup in state(from).wakeups {
                    push(
                        to,
                        Record::Wakeup(
                            settings.pms.wakeup_code,
                            Some(wakeup.clock.hhmm()),
                            to.clone(),
                        ),
                    );
                }
            }
        }
        Action::SetFlag { room, flag, on } => push(
            room,
            match flag {
                Flag::MessageWaiting => Record::MessageWaiting(*on, room.clone()),
                Flag::DoNotDisturb => Record::DoNotDisturb(*on, room.clone()),
            },
        ),
        Action::Wakeup { room, change } => {
            let code = settings.pms.wakeup_code;
            let book =
                |wakeup: &Wakeup| Record::Wakeup(code, Some(wakeup.clock.hhmm()), room.clone());
            match change {
                WakeupChange::Book(at) => {
                    if let Some(state) = state
                        && !state(room).occupied
                    {
                        return Err(format!(
                            "room {room} is vacant as far as hotelcare knows: there is no guest to wake; nothing was sent"
                        ));
                    }
                    push(room, book(at));
                }
                WakeupChange::Clear(None) => push(room, Record::Wakeup(code, None, room.clone())),
                // The record names no time to clear: all of them are cleared, and the others
                // booked again.
                WakeupChange::Clear(Some(_)) => {
                    push(room, Record::Wakeup(code, None, room.clone()));
                    if let Some(state) = state {
                        for wakeup in change.apply(&state(room).wakeups) {
                            push(room, book(&wakeup));
                        }
                    }
                }
            }
        }
        Action::Test => push("-", Record::AreYouThere),
        // The engine keeps a limit in its ledger; no wire sees it.
        Action::Show { .. } | Action::Limit { .. } => {}
        Action::SetDid { room, .. } => {
            return Err(format!(
                "room {room}: DIDs need the MiXML interface; nothing was sent"
            ));
        }
    }
    Ok(out)
}

fn guest_of(state: &RoomState) -> String {
    state
        .guest
        .as_ref()
        .map(|g| format!(" by \"{}\"", g.directory_name))
        .unwrap_or_default()
}

/// A dry run: the records of `command` (`plan`, the REPL's plan mode).
pub(crate) fn plan(origin: &str, command: &Command, settings: &PmsSettings, raw: bool) -> String {
    let mut out = format!("{origin}  {}\n", command.text);
    let keyword = command.action.keyword();
    match frames(&command.action, settings, None) {
        Ok(planned) => {
            if matches!(command.action, Action::Show { .. }) {
                let _ = writeln!(
                    out,
                    "{:>7}  {keyword:<8}  the expected room state (this wire cannot read the PBX)",
                    command.action.room()
                );
            }
            for Planned { room, record } in planned {
                let _ = writeln!(out, "{room:>7}  {keyword:<8}  send {}", record.describe());
                if raw {
                    let _ = writeln!(
                        out,
                        "        <ENQ> {}",
                        visible(&record.frame(settings.pms.extension_width))
                    );
                }
            }
        }
        Err(refusal) => {
            let _ = writeln!(out, "        refused: {refusal}");
        }
    }
    out
}

/// A command's records as data (`plan --format json`).
#[derive(Debug, serde::Serialize)]
pub(crate) struct PlannedRecords {
    #[serde(rename = "type")]
    kind: &'static str,
    origin: String,
    command: String,
    records: Vec<PlannedRecord>,
    refused: Option<String>,
}

/// One record of a plan: its room, what it does, its frame with the control bytes named.
#[derive(Debug, serde::Serialize)]
pub(crate) struct PlannedRecord {
    room: String,
    operation: String,
    frame: String,
}

impl PlannedRecords {
    pub(crate) fn new(origin: &str, command: &Command, settings: &PmsSettings) -> Self {
        let (records, refused) = match frames(&command.action, settings, None) {
            Ok(planned) => (
                planned
                    .into_iter()
                    .map(|p| PlannedRecord {
                        operation: p.record.describe(),
                        frame: visible(&p.record.frame(settings.pms.extension_width)),
                        room: p.room,
                    })
                    .collect(),
                None,
            ),
            Err(refusal) => (Vec::new(), Some(refusal)),
        };
        Self {
            kind: "command",
            origin: origin.to_owned(),
            command: command.text.clone(),
            records,
            refused,
        }
    }
}

impl Wire for MitelPmsDriver {
    fn target(&self) -> String {
        format!("mitel-pms {}", self.link.address())
    }

    fn execute<'a>(&'a self, run: &'a mut Run<'_>) -> WireFuture<'a, Result<Done, Stopped>> {
        Box::pin(self.run(run))
    }

    fn general_reset(
        &self,
        rooms: Vec<(String, RoomState)>,
    ) -> WireFuture<'_, Result<String, WireError>> {
        Box::pin(unsolicited::general_reset(
            &self.link,
            &self.settings,
            rooms,
        ))
    }

    fn listen(&self, events: WireEvents) {
        let _ = self.events.set(events);
    }
}

/// What `command` sends over the Mitel PMS wire with `settings`: its records, and the same as
/// JSON.
pub(crate) fn plan_command(
    settings: &PmsSettings,
    origin: &str,
    command: &Command,
    raw: bool,
) -> PlannedCommand {
    PlannedCommand {
        text: plan(origin, command, settings, raw),
        json: serde_json::to_value(PlannedRecords::new(origin, command, settings))
            .unwrap_or_default(),
    }
}

impl MitelPmsDriver {
    async fn run(&self, run: &mut Run<'_>) -> Result<Done, Stopped> {
        let action = run.command().action.clone();
        let mut states = std::collections::HashMap::new();
        for room in action.rooms() {
            states.insert(room.to_owned(), run.room_state(room)?);
        }
        let state = |room: &str| states.get(room).cloned().unwrap_or_default();
        let planned = frames(&action, &self.settings, Some(&state));
        let planned = match planned {
            Ok(found) => found,
            Err(refusal) => {
                let header = StepHeader {
                    room: action.room(),
                    verb: "check",
                    operation: "check the expected room state".into(),
                    fields: Vec::new(),
                };
                run.emit(
                    &header,
                    StepResult::Refused(&refusal),
                    Timing::now(),
                    false,
                    None,
                );
                return Err(Stopped::Command(refusal));
            }
        };
        let mut done = Done::default();
        if let Action::Move { from, .. } = &action {
            let old = state(from);
            done.moved = Some(Carried {
                guest: old.guest,
                cor: old.cor,
                did: None,
            });
        }
        if let Action::Show { room } = &action {
            done.record = Some(record(&state(room)));
            let header = StepHeader {
                room,
                verb: "read",
                operation: "the expected room state (this wire cannot read the PBX)".into(),
                fields: Vec::new(),
            };
            run.emit(
                &header,
                StepResult::Ok {
                    detail: Some("what hotelcare last set"),
                    read: &[],
                },
                Timing::now(),
                false,
                None,
            );
        }
        for Planned { room, record } in planned {
            let frame = record.frame(self.settings.pms.extension_width);
            let header = StepHeader {
                room: &room,
                verb: "send",
                operation: format!("send {}  {}", record.describe(), visible(&frame)),
                fields: Vec::new(),
            };
            let mut attempt = 1;
            loop {
                let started = Instant::now();
                let frame = match (&record, self.settings.pms.nam_replace) {
                    // NAM "add" adds a directory entry: sent again after a lost answer it
                    // would add the name twice, so a retry replaces where the site allows it.
                    (Record::Name(op, name, room), Some(replace))
                        if attempt > 1 && *op == self.settings.pms.nam_add =>
                    {
                        Record::Name(replace, name.clone(), room.clone())
                            .frame(self.settings.pms.extension_width)
                    }
                    _ => frame.clone(),
                };
                match self.link.send(frame).await {
                    Ok(exchange) => {
                        let raw = run.raw().then(|| raw_of(&exchange));
                        run.emit(
                            &header,
                            StepResult::Ok {
                                detail: None,
                                read: &[],
                            },
                            Timing::since(started),
                            exchange.connected,
                            raw.as_ref(),
                        );
                        break;
                    }
                    Err(error) => {
                        let failure = failure(&error);
                        run.failed(&header, attempt, &failure, Timing::since(started))
                            .await?;
                        attempt += 1;
                    }
                }
            }
        }
        Ok(done)
    }
}

/// What to check when the link cannot be made or the PBX does not answer.
const LINK_HINT: &str = "check `server` (host:port of the PBX's PMS link) in [pbx] (or [pbx.NAME]), that the PBX has \"Property Management System Installed\" on, and that nothing else holds its PMS link";

/// How a link error counts for the retry policy: a PBX that cannot be reached or does not
/// answer holds the run (commands stay queued). A busy PBX (`NAK` to `ENQ`), and a record
/// `NAK`ed four times, are tried again in new transactions (a `NAK` also means a transmission
/// error on a noisy line); the command fails when the attempts are used up.
fn failure(error: &LinkError) -> Failure {
    match error {
        LinkError::Unreachable(message) | LinkError::Lost(message) => Failure {
            kind: FailureKind::Transient { unreachable: true },
            message: format!("{message}; {LINK_HINT}"),
        },
        LinkError::Busy(message) | LinkError::Refused(message) => Failure {
            kind: FailureKind::Transient { unreachable: false },
            message: message.clone(),
        },
    }
}

fn raw_of(exchange: &Exchange) -> Raw {
    Raw {
        request: format!("sent:     {}", exchange.sent.join(" ")),
        response: format!("received: {}", exchange.received.join(" ")),
    }
}

/// `SHOW` on this wire: the expected room state, labelled as such.
fn record(state: &RoomState) -> RoomRecord {
    let field = |field: &'static str, value: String| RecordField {
        field,
        shown: if value.is_empty() {
            "empty".to_owned()
        } else {
            format!("\"{value}\"")
        },
        value,
    };
    let mut fields = vec![
        field(
            "Occupied",
            if state.occupied { "yes" } else { "no" }.to_owned(),
        ),
        field(
            "Name",
            state
                .guest
                .as_ref()
                .map(|g| g.directory_name.clone())
                .unwrap_or_default(),
        ),
        field(
            "Restriction level",
            state.cor.map(|c| c.to_string()).unwrap_or_default(),
        ),
    ];
    for (flag, value) in state.flags.shown() {
        fields.push(RecordField {
            field: "Flag",
            shown: format!("{flag}={value}"),
            value: format!("{flag}={value}"),
        });
    }
    if !state.wakeups.is_empty() {
        let wakeups: Vec<String> = state.wakeups.iter().map(ToString::to_string).collect();
        fields.push(field("Wake-up Times", wakeups.join(", ")));
    }
    RoomRecord {
        label: Some("as hotelcare last set it; this wire cannot read the PBX".into()),
        fields,
        snapshot: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Cor;

    fn settings() -> PmsSettings {
        PmsSettings {
            rooms: None,
            pms: MitelPmsConfig {
                nam_add: 1,
                nam_replace: Some(2),
                extension_width: 5,
                keepalive: None,
                general_reset: true,
                wakeup_code: *b"WKP",
            },
            block: 0,
        }
    }

    fn texts(action: &Action, state: &dyn Fn(&str) -> RoomState) -> Vec<String> {
        frames(action, &settings(), Some(state))
            .unwrap()
            .iter()
            .map(|p| p.record.text(5))
            .collect()
    }

    fn guest(last: &str, first: &str) -> Guest {
        Guest {
            last: last.into(),
            first: first.into(),
            directory_name: format!("{last},{first}"),
        }
    }

    #[test]
    fn the_vendor_example_as_records() {
        let vacant = |_: &str| RoomState::default();
        let checkin = Action::CheckIn(CheckIn {
            room: "1000".into(),
            guest: guest("Solo", "Alina"),
            cor: Cor::restriction_level(2).unwrap(),
            did: None,
            replace: false,
            limit: crate::lang::validate::Limit::Default,
        });
        assert_eq!(
            texts(&checkin, &vacant),
            [
                "CHK1  1000",
                "NAM1 Solo,Alina            1000",
                "RST2  1000"
            ]
        );
        let occupied = |room: &str| RoomState {
            occupied: room == "1000",
            guest: (room == "1000").then(|| guest("Solo", "Alina")),
            cor: Some(1),
            ..RoomState::default()
        };
        let moved = Action::Move {
            from: "1000".into(),
            to: "2000".into(),
        };
        assert_eq!(
            texts(&moved, &occupied),
            [
                "CHK0  1000",
                "RST0  1000",
                "CHK1  2000",
                "NAM1 Solo,Alina            2000",
                "RST1  2000"
            ]
        );
        assert!(
            frames(&checkin, &settings(), Some(&occupied))
                .unwrap_err()
                .contains("room 1000 is occupied by \"Solo,Alina\"")
        );
        assert!(
            frames(&moved, &settings(), Some(&vacant))
                .unwrap_err()
                .contains("room 1000 is vacant")
        );
        let checkout = Action::CheckOut {
            room: "2000".into(),
        };
        assert_eq!(texts(&checkout, &vacant), ["CHK0  2000", "RST0  2000"]);
    }
}
