//! The FIAS link, inside the service: hotelcare connects to the PMS's interface (the PMS is the
//! TCP server), answers its link start (`LS`) with a link description (`LD`), the records it
//! wants (`LR`) and link alive (`LA`), answers a later `LS` the same way, and hands each guest
//! record to `Submit` (mapped to script text, journaled). It says `LE` when the service stops and
//! connects again, with backoff, when the link drops. FIAS over TCP has no per-record
//! acknowledgement: a record counts as received once its commands are journaled.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::sync::watch;

use crate::config::{Config, FiasConfig};
use crate::engine::RoomState;
use crate::fias::mapping::{Mapped, Wires, map};
use crate::fias::record::{ETX, Record, STX};
use crate::fias::resync;
use crate::fias::sharing::{self, RESERVATION, SHARERS, Sharing};

/// The longest frame taken; a longer one is dropped whole (a damaged stream).
const MAX_FRAME: usize = 64 * 1024;

/// Where mapped records go: the service journals them like a script.
pub(crate) trait Submit: Send + Sync {
    /// Journals `text` as the script `name`; the commands' numbers, or why it was refused.
    fn submit(
        &self,
        name: String,
        text: String,
        again: bool,
    ) -> std::pin::Pin<Box<dyn Future<Output = Result<Vec<u64>, String>> + Send + '_>>;

    /// Tells the operator (monitor, log).
    fn tell(&self, line: &str, problem: bool);

    /// The expected room state, every room.
    fn rooms(&self) -> Vec<(String, RoomState)>;

    /// Records `flag` = `value` in `room`'s state (the reservation the phone shows, sharers).
    fn set_flag<'a>(
        &'a self,
        room: &'a str,
        flag: &'a str,
        value: &'a str,
    ) -> std::pin::Pin<Box<dyn Future<Output = ()> + Send + 'a>>;

    /// The configuration (levels, for the resync's comparison).
    fn config(&self) -> &Config;

    /// How many commands wait in the journal (the resync compares once they have run).
    fn pending(&self) -> usize;
}

/// The records of the link (`LR`), with their fields: what the PMS sends (the guest records
/// with `SF`, the swap flag that marks the resync's records; `DA`/`TI`, which tell a record
/// delivered twice from a new one; `GS`, the share flag) and what hotelcare sends (`RE` with the
/// maid status `RS`, the resync request `DR`).
const WANTED: &[(&str, &str)] = &[
    ("GI", "RNG#GSGNGFGTCSENESSFDATI"),
    ("GO", "RNG#GSSFDATI"),
    ("GC", "RNROG#GSGNGFGTCSENESDATI"),
    ("RE", "RNCSDNMLRSENES"),
    ("DR", "DATI"),
    ("DS", "DATI"),
    ("DE", "DATI"),
];

/// Runs the link until `stop` carries a reason; `resync` asks for a resync now.
pub(crate) async fn run(
    config: FiasConfig,
    capabilities: Wires,
    submit: Arc<dyn Submit>,
    resync: Arc<tokio::sync::Notify>,
    mut stop: watch::Receiver<Option<String>>,
) {
    let mut pause = Duration::from_secs(1);
    loop {
        if stop.borrow().is_some() {
            return;
        }
        let connected = tokio::select! {
            connected = tokio::time::timeout(Duration::from_secs(10), TcpStream::connect(&config.server)) => connected,
            _ = stop.changed() => return,
        };
        match connected {
            Ok(Ok(stream)) => {
                submit.tell(
                    &format!("FIAS link to the PMS at {} connected", config.server),
                    false,
                );
                pause = Duration::from_secs(1);
                let ended = session(
                    stream,
                    &config,
                    &capabilities,
                    submit.as_ref(),
                    &resync,
                    &mut stop,
                )
                .await;
                if ended {
                    return;
                }
                submit.tell(
                    &format!(
                        "FIAS link to the PMS at {} lost; connecting again (records meanwhile are resent by the PMS's resync)",
                        config.server
                    ),
                    true,
                );
            }
            Ok(Err(error)) => tracing::debug!("FIAS: cannot connect to {}: {error}", config.server),
            Err(_) => tracing::debug!("FIAS: no connection to {} within 10 s", config.server),
        }
        tokio::select! {
            () = tokio::time::sleep(pause) => {}
            _ = stop.changed() => return,
        }
        pause = (pause * 2).min(Duration::from_secs(60));
    }
}

/// One connection. `true` when it ended because the service stops.
async fn session(
    mut stream: TcpStream,
    config: &FiasConfig,
    capabilities: &Wires,
    submit: &dyn Submit,
    resync: &tokio::sync::Notify,
    stop: &mut watch::Receiver<Option<String>>,
) -> bool {
    let mut frame: Option<Vec<u8>> = None;
    let mut buffer = [0u8; 4096];
    let mut link = Link::default();
    // What the PBX last reported of each room's maid status (already told to the PMS).
    let mut maid: BTreeMap<String, String> = maid_statuses(&submit.rooms());
    let mut tick = tokio::time::interval(Duration::from_secs(1));
    loop {
        let read = tokio::select! {
            read = stream.read(&mut buffer) => read,
            _ = tick.tick() => {
                // Maid status the PBX reported (a wire that reports it keeps it in the room
                // state) goes to the PMS as room equipment (RE with RS).
                let rooms = submit.rooms();
                let now = maid_statuses(&rooms);
                for (room, status) in &now {
                    if maid.get(room) == Some(status) {
                        continue;
                    }
                    let occupied = rooms.iter().any(|(r, s)| r == room && s.occupied);
                    match room_status(status, occupied) {
                        Some(code) => {
                            let record = Record::new("RE", &[("RN", room), ("RS", code)]);
                            if send(&mut stream, config, &record).await.is_err() {
                                return false;
                            }
                            submit.tell(&format!("FIAS: maid status of room {room} ({status}) sent to the PMS"), false);
                        }
                        None => submit.tell(
                            &format!("FIAS: maid status of room {room} ({status}) has no FIAS room status; not sent"),
                            false,
                        ),
                    }
                }
                maid = now;
                continue;
            }
            () = resync.notified() => {
                if send(&mut stream, config, &stamped("DR")).await.is_err() {
                    return false;
                }
                submit.tell("FIAS: resync asked of the PMS (DR)", false);
                continue;
            }
            _ = stop.changed() => {
                let _ = send(&mut stream, config, &stamped("LE")).await;
                return true;
            }
        };
        let count = match read {
            Ok(0) | Err(_) => return false,
            Ok(count) => count,
        };
        for &byte in &buffer[..count] {
            match (byte, frame.as_mut()) {
                (STX, _) => frame = Some(Vec::new()),
                (ETX, Some(_)) => {
                    let bytes = frame.take().unwrap_or_default();
                    if !handle(&mut stream, &mut link, &bytes, config, capabilities, submit).await {
                        return false;
                    }
                }
                (_, Some(open)) if open.len() < MAX_FRAME => open.push(byte),
                (_, Some(_)) => {
                    submit.tell("FIAS: a frame longer than 64 kB was dropped", true);
                    frame = None;
                }
                // Bytes between frames: noise.
                (_, None) => {}
            }
        }
    }
}

/// What a session keeps between frames.
#[derive(Default)]
struct Link {
    /// Between `DS` and `DE`: the house as the PMS has it.
    house: Option<Vec<Record>>,
    /// What the link has journaled of each room it touched: who holds it, its sharers. The
    /// room state lags behind (a command is in it once done); a check-in that follows a
    /// check-out still in the journal must not take the room for shared.
    rooms: HashMap<String, RoomState>,
}

impl Link {
    /// The room as the link's journaled records leave it (from the room state the first time).
    fn room(&mut self, submit: &dyn Submit, room: &str) -> RoomState {
        if let Some(state) = self.rooms.get(room) {
            return state.clone();
        }
        let state = submit
            .rooms()
            .into_iter()
            .find(|(r, _)| r == room)
            .map(|(_, state)| state)
            .unwrap_or_default();
        self.rooms.insert(room.to_owned(), state.clone());
        state
    }

    /// Records what the link journaled of a room (and keeps it in the room state's flags, for
    /// the next start).
    async fn set(
        &mut self,
        submit: &dyn Submit,
        room: &str,
        occupied: bool,
        holder: &str,
        sharers: &str,
    ) {
        let state = self.rooms.entry(room.to_owned()).or_default();
        state.occupied = occupied;
        state
            .flags
            .insert(RESERVATION.to_owned(), holder.to_owned());
        state.flags.insert(SHARERS.to_owned(), sharers.to_owned());
        submit.set_flag(room, RESERVATION, holder).await;
        submit.set_flag(room, SHARERS, sharers).await;
    }
}

/// One frame from the PMS. `false` when the link must be closed.
async fn handle(
    stream: &mut TcpStream,
    link: &mut Link,
    bytes: &[u8],
    config: &FiasConfig,
    capabilities: &Wires,
    submit: &dyn Submit,
) -> bool {
    let Some(record) = Record::parse(bytes, config.codepage) else {
        submit.tell("FIAS: a frame that is no record was ignored", true);
        return true;
    };
    match record.kind.as_str() {
        "LS" => {
            let mut ld = stamped("LD");
            ld.fields
                .push(("V#".into(), env!("CARGO_PKG_VERSION").into()));
            ld.fields.push(("IF".into(), "PB".into()));
            let mut answer = vec![ld];
            for (kind, fields) in WANTED {
                answer.push(Record::new("LR", &[("RI", kind), ("FL", fields)]));
            }
            answer.push(stamped("LA"));
            // Every link start resyncs: records sent while the link was down are not resent.
            answer.push(stamped("DR"));
            for record in &answer {
                if send(stream, config, record).await.is_err() {
                    return false;
                }
            }
            true
        }
        "LA" => true,
        "DS" => {
            link.house = Some(Vec::new());
            true
        }
        "DE" => {
            if let Some(house) = link.house.take() {
                finish_resync(link, &house, config, submit).await;
            }
            true
        }
        _ if link.house.is_some() && record.get("SF").is_some() => {
            if let Some(house) = link.house.as_mut() {
                house.push(record);
            }
            true
        }
        "LE" => {
            submit.tell("FIAS: the PMS ended the link (LE)", true);
            false
        }
        "GI" | "GO" => {
            guest_event(link, &record, config, capabilities, submit).await;
            true
        }
        "GC" => {
            match map(&record, config, capabilities.as_ref()) {
                Mapped::Script { name, text, again } => {
                    let moved = journal(submit, &record, name, text, again).await;
                    // The reservation moves with the guest (the phone's, for shared rooms).
                    if let (true, Some(old), Some(room)) =
                        (moved, record.get("RO"), record.get("RN"))
                        && !old.is_empty()
                        && old != room
                    {
                        let before = link.room(submit, old);
                        let holder = record.get("G#").unwrap_or("");
                        let sharers = before.flags.get(SHARERS).cloned().unwrap_or_default();
                        link.set(submit, room, true, holder, &sharers).await;
                        link.set(submit, old, false, "", "").await;
                    }
                }
                Mapped::Ignored(why) => {
                    submit.tell(&format!("FIAS {}: ignored: {why}", record.shown()), false);
                }
            }
            true
        }
        _ => {
            match map(&record, config, capabilities.as_ref()) {
                Mapped::Script { name, text, again } => {
                    match submit.submit(name.clone(), text, again).await {
                        Ok(seqs) => tracing::info!(
                            "FIAS {}: {} command(s) journaled as `{name}`",
                            record.shown(),
                            seqs.len()
                        ),
                        Err(why) => submit.tell(
                            &format!("FIAS {}: not applied: {why}", record.shown()),
                            true,
                        ),
                    }
                }
                Mapped::Ignored(why) => {
                    submit.tell(&format!("FIAS {}: ignored: {why}", record.shown()), false);
                }
            }
            true
        }
    }
}

/// A check-in or check-out, with the shared-room rule (see `sharing`).
async fn guest_event(
    link: &mut Link,
    record: &Record,
    config: &FiasConfig,
    capabilities: &Wires,
    submit: &dyn Submit,
) {
    let Some(room) = record.get("RN").filter(|r| !r.is_empty()) else {
        submit.tell(
            &format!("FIAS {}: ignored: no room number (RN)", record.shown()),
            false,
        );
        return;
    };
    let state = link.room(submit, room);
    let reservation = record.get("G#").unwrap_or("");
    let holder = state.flags.get(RESERVATION).cloned().unwrap_or_default();
    match sharing::decide(record, &state) {
        Sharing::Sharers(list) => {
            link.set(submit, room, true, &holder, &list).await;
            submit.tell(
                &format!(
                    "FIAS {}: room {room} is shared; the phone keeps its guest, the sharers are recorded",
                    record.shown()
                ),
                false,
            );
        }
        Sharing::Promote {
            reservation,
            name,
            sharers,
        } => {
            let text = format!(
                "# FIAS GO G#{} RN{room}: the sharer G#{reservation} takes the phone\nCHECKIN {room} \"{}\" REPLACE\n",
                record.get("G#").unwrap_or(""),
                name.replace('\\', "\\\\").replace('"', "\\\"")
            );
            let name = format!("fias:GO:G#{}", record.get("G#").unwrap_or(""));
            if journal(submit, record, name, text, false).await {
                link.set(submit, room, true, &reservation, &sharers).await;
            }
        }
        Sharing::Map => match map(record, config, capabilities.as_ref()) {
            Mapped::Script { name, text, again } => {
                if journal(submit, record, name, text, again).await {
                    if record.kind == "GI" {
                        link.set(submit, room, true, reservation, "").await;
                    } else {
                        link.set(submit, room, false, "", "").await;
                    }
                }
            }
            Mapped::Ignored(why) => {
                submit.tell(&format!("FIAS {}: ignored: {why}", record.shown()), false);
            }
        },
    }
}

/// Journals a record's script; `true` if it was accepted.
async fn journal(
    submit: &dyn Submit,
    record: &Record,
    name: String,
    text: String,
    again: bool,
) -> bool {
    match submit.submit(name.clone(), text, again).await {
        Ok(seqs) => {
            tracing::info!(
                "FIAS {}: {} command(s) journaled as `{name}`",
                record.shown(),
                seqs.len()
            );
            true
        }
        Err(why) => {
            submit.tell(
                &format!("FIAS {}: not applied: {why}", record.shown()),
                true,
            );
            false
        }
    }
}

/// Compares the house the PMS sent with the room state and journals the fixes.
async fn finish_resync(
    link: &mut Link,
    house: &[Record],
    config: &FiasConfig,
    submit: &dyn Submit,
) {
    resync_rooms(link, house, config, submit).await;
    // After the resync the house is what the PMS said: the link's view starts from it.
    link.rooms.clear();
    for (room, _) in submit.rooms() {
        link.rooms.insert(room, RoomState::default());
    }
    let mut holders: Vec<(String, String, String)> = Vec::new();
    for record in house.iter().filter(|r| r.kind == "GI") {
        let (Some(room), Some(reservation)) = (record.get("RN"), record.get("G#")) else {
            continue;
        };
        match holders.iter_mut().find(|(r, _, _)| r == room) {
            Some((_, _, sharers)) => {
                let name = crate::fias::mapping::quoted_name(record, config).unwrap_or_default();
                if !sharers.is_empty() {
                    sharers.push('\u{1f}');
                }
                sharers.push_str(reservation);
                sharers.push('=');
                sharers.push_str(&name);
            }
            None => holders.push((room.to_owned(), reservation.to_owned(), String::new())),
        }
    }
    for (room, holder, sharers) in holders {
        link.set(submit, &room, true, &holder, &sharers).await;
    }
}

/// The resync's comparison and fixes.
async fn resync_rooms(link: &mut Link, house: &[Record], config: &FiasConfig, submit: &dyn Submit) {
    // Commands journaled before (a restart resumes them) change the room state: compare
    // with what they leave, not with what they will overwrite (a minute at most).
    for _ in 0..600 {
        if submit.pending() == 0 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let rooms = submit.rooms();
    let found = resync::fixes(house, &rooms, submit.config(), config);
    for difference in &found.differences {
        submit.tell(&format!("FIAS resync: {difference}"), false);
    }
    if found.lines.is_empty() {
        submit.tell(
            &format!(
                "FIAS resync: {} rooms as the PMS has them; nothing to fix",
                house.len()
            ),
            false,
        );
        return;
    }
    let text = format!("# FIAS resync\n{}\n", found.lines.join("\n"));
    match submit.submit("fias:resync".into(), text, true).await {
        Ok(seqs) => {
            submit.tell(
                &format!(
                    "FIAS resync: {} command(s) journaled to fix the differences",
                    seqs.len()
                ),
                false,
            );
            for (room, reservation) in &found.reservations {
                link.set(submit, room, true, reservation, "").await;
            }
        }
        Err(why) => submit.tell(
            &format!("FIAS resync: the fixes were not applied: {why}"),
            true,
        ),
    }
}

/// The maid status of every room that has one (as the PBX reported it).
fn maid_statuses(rooms: &[(String, RoomState)]) -> BTreeMap<String, String> {
    rooms
        .iter()
        .filter_map(|(room, state)| {
            state
                .flags
                .get("maid status")
                .map(|status| (room.clone(), status.clone()))
        })
        .collect()
}

/// FIAS room status (`RS`: 1 dirty/vacant, 2 dirty/occupied, 3 clean/vacant, 4 clean/occupied)
/// of a maid status as the Mitel PMS wire reports it (`None`: no counterpart).
fn room_status(status: &str, occupied: bool) -> Option<&'static str> {
    Some(match (status, occupied) {
        ("vacant, not clean", _) | ("not clean", false) => "1",
        ("occupied, not clean", _) | ("not clean", true) => "2",
        ("vacant, clean", _) | ("clean", false) => "3",
        ("occupied, clean", _) | ("clean", true) => "4",
        _ => return None,
    })
}

async fn send(stream: &mut TcpStream, config: &FiasConfig, record: &Record) -> std::io::Result<()> {
    stream.write_all(&record.frame(config.codepage)).await
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
