//! Reconcile: reads each room from its PBX (where the wire can read) and compares it with the
//! expected room state. The result is the differences (room, field, PBX has, hotelcare expects,
//! since when), the rooms the PBX has and hotelcare never touched (unmanaged: reported, never
//! changed), and the script that makes each PBX match. PBXs are read concurrently, each through
//! a drain of its own outside the journal, so commands are never held up. On a wire without reads
//! it says what reconciles such a PBX instead (a general reset).
//!
//! Used by `hotelcare reconcile` in-process and by a running service (`GET /v1/reconcile`).

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::sync::{Arc, Mutex, PoisonError};

use crate::config::{Config, ScriptEncoding};
use crate::diagnostics::LocalTime;
use crate::engine::{Engine, Event, Journal, Pbxs, Record, RoomState};
use crate::intake::acceptance;
use crate::lang::syntax::{DidNumber, DidValue, Extension, GuestName, LevelName, Request};

/// One difference between a PBX and the expected state.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Difference {
    pub(crate) room: String,
    pub(crate) field: &'static str,
    pub(crate) pbx: String,
    pub(crate) expected: String,
    pub(crate) since: String,
}

/// What reconcile found, on every PBX it looked at.
#[derive(Debug, Default)]
pub(crate) struct Findings {
    /// Rooms compared.
    pub(crate) compared: usize,
    pub(crate) differences: Vec<Difference>,
    /// Rooms a PBX has that hotelcare never changed.
    pub(crate) unmanaged: Vec<String>,
    /// The commands that make the PBXs match.
    pub(crate) fixes: Vec<Request>,
    /// What could not be compared, and why (a wire without reads; a PBX that did not answer).
    pub(crate) notes: Vec<String>,
    /// A PBX could not be reached: its rooms were not compared.
    pub(crate) unreachable: bool,
    /// The PBXs whose wire cannot read: a general reset from the expected state reconciles them.
    pub(crate) resettable: Vec<String>,
}

impl Findings {
    /// The report, as `hotelcare reconcile` prints it.
    pub(crate) fn report(&self) -> String {
        let mut out = String::new();
        if self.differences.is_empty() && self.compared == 0 && !self.resettable.is_empty() {
            // Only PBXs that cannot be read: the notes say what reconciles them.
        } else if self.differences.is_empty() {
            let _ = writeln!(
                out,
                "{} room(s) compared: the PBX has them as hotelcare last set them",
                self.compared
            );
        } else {
            let _ = writeln!(
                out,
                "{:>7}  {:<27} {:<24} {:<24} since",
                "room", "field", "PBX has", "hotelcare expects"
            );
            for d in &self.differences {
                let _ = writeln!(
                    out,
                    "{:>7}  {:<27} {:<24} {:<24} {}",
                    d.room,
                    d.field,
                    shown(&d.pbx),
                    shown(&d.expected),
                    d.since
                );
            }
        }
        match self.unmanaged.as_slice() {
            [] => {}
            [room] => {
                let _ = writeln!(
                    out,
                    "{room:>7}  unmanaged: the PBX has it, hotelcare never changed it (left alone)"
                );
            }
            rooms => {
                // One line for them all: a fresh house has hundreds.
                let _ = writeln!(
                    out,
                    "{} rooms unmanaged (the PBX has them, hotelcare never changed them; left alone): {}",
                    rooms.len(),
                    ranges(rooms)
                );
            }
        }
        for note in &self.notes {
            let _ = writeln!(out, "{note}");
        }
        out
    }

    /// The fix script (`None`: nothing to fix).
    pub(crate) fn script(&self) -> Option<String> {
        (!self.fixes.is_empty()).then(|| {
            format!(
                "# hotelcare reconcile, {}: makes the PBX match what hotelcare last had confirmed\n{}",
                LocalTime(now()),
                crate::lang::syntax::script(&self.fixes)
            )
        })
    }
}

/// Compares `wanted` rooms (all that hotelcare changed, and every other room a PBX has, when
/// empty) on every PBX of `config`; `driver` reaches exactly those PBXs, in that order.
pub(crate) async fn reconcile(
    config: &Config,
    pbxs: &Arc<Pbxs>,
    rooms: &[(String, RoomState)],
    wanted: &[String],
) -> Findings {
    let each = (0..config.pbxs.len()).map(|index| {
        let one = pbxs.only(index).map_or_else(|| Arc::clone(pbxs), Arc::new);
        one_pbx(config.only(index), one, rooms, wanted)
    });
    let mut findings = Findings::default();
    for found in futures_util::future::join_all(each).await {
        findings.compared += found.compared;
        findings.differences.extend(found.differences);
        findings.unmanaged.extend(found.unmanaged);
        findings.fixes.extend(found.fixes);
        findings.notes.extend(found.notes);
        findings.unreachable |= found.unreachable;
        findings.resettable.extend(found.resettable);
    }
    findings
}

/// The general reset of PBX `name` from the expected room state (`reconcile --apply` on a wire
/// that cannot read); `driver` reaches the PBXs of `config`, in that order. Refused while
/// commands for that PBX are in the journal: the reset is sent beside the engine, and could
/// overtake them.
pub(crate) async fn general_reset(
    config: &Config,
    pbxs: &Arc<Pbxs>,
    name: &str,
    journal: &Journal,
) -> Result<String, NoReset> {
    let index = config.pbx_named(name)?;
    let ours = |room: &str| config.pbx_of(room) == Some(index);
    let waiting = journal
        .entries()?
        .iter()
        .filter(|entry| {
            entry.status == crate::engine::Status::Pending
                && entry.command.action.rooms().into_iter().any(ours)
        })
        .count();
    if waiting > 0 {
        return Err(NoReset::Pending {
            waiting,
            name: name.to_owned(),
        });
    }
    let rooms = journal
        .rooms()?
        .into_iter()
        .filter(|(room, _)| ours(room))
        .collect();
    match pbxs.only(index) {
        Some(only) => only.general_reset(rooms).await,
        None => pbxs.general_reset(rooms).await,
    }
    .map_err(NoReset::Wire)
}

/// Why a general reset was not sent.
#[derive(Debug, thiserror::Error)]
pub(crate) enum NoReset {
    #[error(transparent)]
    Pbx(#[from] crate::config::NoSuchPbx),
    #[error(transparent)]
    Journal(#[from] crate::engine::JournalError),
    #[error(
        "{waiting} command(s) for it are pending in the journal (`hotelcare queue list --pbx {name}`); a general reset now could undo what they do: send it once they have run or been dropped"
    )]
    Pending { waiting: usize, name: String },
    #[error(transparent)]
    Wire(crate::engine::WireError),
}

/// One PBX: `config` is narrowed to it (`Config::only`).
async fn one_pbx(
    config: Config,
    pbxs: Arc<Pbxs>,
    rooms: &[(String, RoomState)],
    wanted: &[String],
) -> Findings {
    let mut findings = Findings::default();
    let owned = |room: &str| config.pbx_of(room).is_some();
    let rooms: Vec<(String, RoomState)> = rooms
        .iter()
        .filter(|(room, _)| owned(room) && (wanted.is_empty() || wanted.contains(room)))
        .cloned()
        .collect();
    // Rooms asked for: only those of this PBX; none of them here, nothing to do here.
    let everything = wanted.is_empty();
    let wanted: Vec<String> = wanted.iter().filter(|r| owned(r)).cloned().collect();
    if !everything && wanted.is_empty() {
        return findings;
    }
    let capabilities = config.first_pbx().capabilities();
    if !capabilities.reads {
        findings.notes.push(format!(
            "PBX \"{}\" uses {}, which cannot read the PBX: compare by eye with `hotelcare rooms`; what reconciles such a PBX is a general reset (GRS, then every room of the expected state), which the service sends when the PBX asks to initialize after a restart, and `--apply` sends now",
            config.pbx_name(),
            capabilities.interface.name()
        ));
        findings.resettable.push(config.pbx_name().to_owned());
        return findings;
    }
    let records = match read_rooms(&config, pbxs, &wanted, &rooms, everything).await {
        Ok(records) => records,
        Err(Unread::Unreachable(reason)) => {
            findings.unreachable = true;
            findings.notes.push(format!(
                "error: PBX \"{}\": {reason}; its rooms were not compared",
                config.pbx_name()
            ));
            return findings;
        }
        Err(Unread::Other(reason)) => {
            findings.notes.push(format!(
                "error: PBX \"{}\": {reason}; its rooms were not compared",
                config.pbx_name()
            ));
            return findings;
        }
    };
    if everything {
        findings.unmanaged = records
            .keys()
            .filter(|room| owned(room) && !rooms.iter().any(|(r, _)| r == *room))
            .cloned()
            .collect();
    }
    findings.compared = rooms.len();
    let (differences, fixes) = compare(&config, &rooms, &records.0);
    findings.differences = differences;
    findings.fixes = fixes;
    findings.notes.extend(records.1);
    findings
}

enum Unread {
    Unreachable(String),
    Other(String),
}

/// Every room read (`SHOW`), concurrently, outside the journal: room -> its record; and the
/// warnings of rooms that could not be read.
struct Records(BTreeMap<String, Record>, Vec<String>);

impl Records {
    fn keys(&self) -> impl Iterator<Item = &String> {
        self.0.keys()
    }
}

async fn read_rooms(
    config: &Config,
    pbxs: Arc<Pbxs>,
    wanted: &[String],
    rooms: &[(String, RoomState)],
    everything: bool,
) -> Result<Records, Unread> {
    let mut list: Vec<String> = rooms.iter().map(|(room, _)| room.clone()).collect();
    let others = if everything {
        pbxs.directory_numbers().await
    } else {
        wanted.to_vec()
    };
    for room in others {
        if !list.contains(&room) && config.pbx_of(&room).is_some() {
            list.push(room);
        }
    }
    let text: String = list.iter().flat_map(|room| ["SHOW ", room, "\n"]).collect();
    let commands = acceptance::check(
        config,
        "reconcile",
        text.as_bytes(),
        ScriptEncoding::default(),
        None,
    )
    .map(|checked| checked.commands)
    .map_err(|_| Unread::Other("the rooms to read cannot be checked".to_owned()))?;
    let records: Arc<Mutex<BTreeMap<String, Record>>> = Arc::default();
    let collected = Arc::clone(&records);
    let mut reading = config.clone();
    reading.run.retry.attempts = 1;
    let journal = Journal::in_memory().map_err(|e| Unread::Other(e.to_string()))?;
    let engine = Engine::new(
        pbxs,
        journal,
        crate::engine::Options::of(&reading, crate::support::audience::Audience::Never),
        Arc::new(move |event: &Event<'_>| {
            if let Event::Finished {
                entry,
                record: Some(record),
                ..
            } = event
            {
                collected
                    .lock()
                    .unwrap_or_else(PoisonError::into_inner)
                    .insert(entry.command.action.room().to_owned(), (*record).clone());
            }
        }),
    );
    engine
        .enqueue(commands)
        .await
        .map_err(|e| Unread::Other(e.to_string()))?;
    let report = engine
        .drain()
        .await
        .map_err(|e| Unread::Other(e.to_string()))?;
    if let Some(reason) = report.halted {
        return Err(Unread::Unreachable(reason));
    }
    let warnings = report
        .failed
        .iter()
        .map(|reason| format!("warning: {reason}"))
        .collect();
    let records = std::mem::take(&mut *records.lock().unwrap_or_else(PoisonError::into_inner));
    Ok(Records(records, warnings))
}

/// The differences, and the script lines that fix them.
fn compare(
    config: &Config,
    rooms: &[(String, RoomState)],
    records: &BTreeMap<String, Record>,
) -> (Vec<Difference>, Vec<Request>) {
    let mut differences = Vec::new();
    let mut fixes = Vec::new();
    for (room, state) in rooms {
        let Some(record) = records.get(room) else {
            continue;
        };
        // The wire's typed reading of the room (a wire that cannot read has none).
        let Some(has) = &record.snapshot else {
            continue;
        };
        let since = state.last.as_ref().map_or_else(String::new, |last| {
            format!(
                "#{} {} ({}) {}",
                last.seq,
                last.keyword,
                last.origin,
                LocalTime(last.at)
            )
        });
        let cor = |c: Option<u8>| c.map(|c| c.to_string()).unwrap_or_default();
        // Field, what the PBX has, what hotelcare expects.
        let mut compared: Vec<(&'static str, String, String)> = Vec::new();
        let label = record.label.clone().unwrap_or_default();
        let (last, first, directory) = match (&state.guest, state.occupied) {
            (Some(guest), true) => (
                guest.last.clone(),
                guest.first.clone(),
                guest.directory_name.clone(),
            ),
            _ => (label.clone(), String::new(), label.clone()),
        };
        compared.push(("Last Name", has.last_name.clone(), last));
        compared.push(("First Name", has.first_name.clone(), first));
        compared.push(("Directory Name", has.directory_name.clone(), directory));
        if let Some(expected) = state.cor {
            for (field, pbx) in ["COR Day", "COR Night 1", "COR Night 2"]
                .into_iter()
                .zip(has.cor)
            {
                compared.push((field, cor(pbx), expected.to_string()));
            }
        }
        if config.first_pbx().number_transfer.is_some()
            && let Some(did) = &has.did
        {
            compared.push((
                "DID Service Number",
                did.clone(),
                state.did.clone().unwrap_or_default(),
            ));
        }
        let before = differences.len();
        for (field, pbx, want) in compared {
            if pbx != want {
                differences.push(Difference {
                    room: room.clone(),
                    field,
                    pbx,
                    expected: want,
                    since: since.clone(),
                });
            }
        }
        if differences.len() == before {
            continue;
        }
        let Ok(extension) = Extension::new(room) else {
            continue;
        };
        let guest = state
            .guest
            .as_ref()
            .filter(|_| state.occupied)
            .and_then(|guest| GuestName::whole(&guest.directory_name).ok());
        match guest {
            Some(guest) => {
                let level = state
                    .cor
                    .and_then(|cor| config.first_pbx().level_names_of(cor).into_iter().next())
                    .and_then(|level| LevelName::new(&level).ok());
                let did = state
                    .did
                    .as_deref()
                    .and_then(|did| DidNumber::new(did).ok())
                    .map(DidValue::Number);
                fixes.push(Request::CheckIn {
                    room: extension,
                    guest,
                    did,
                    level,
                    replace: true,
                });
            }
            None => fixes.push(Request::CheckOut { room: extension }),
        }
    }
    (differences, fixes)
}

fn shown(value: &str) -> String {
    if value.is_empty() {
        "empty".to_owned()
    } else {
        format!("\"{value}\"")
    }
}

fn now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

/// `1000-1099, 2001, 2003-2004`: directory numbers as runs of consecutive numbers.
fn ranges(rooms: &[String]) -> String {
    let mut numbers: Vec<(u64, &str)> = Vec::new();
    let mut others: Vec<&str> = Vec::new();
    for room in rooms {
        // Leading zeros keep a number apart (`0100` is not `100`).
        match room.parse::<u64>() {
            Ok(n) if !room.starts_with('0') || room == "0" => numbers.push((n, room)),
            _ => others.push(room),
        }
    }
    numbers.sort_unstable();
    numbers.dedup();
    let mut out: Vec<String> = Vec::new();
    let mut index = 0;
    while index < numbers.len() {
        let start = index;
        while index + 1 < numbers.len() && numbers[index + 1].0 == numbers[index].0 + 1 {
            index += 1;
        }
        out.push(if index == start {
            numbers[start].1.to_owned()
        } else {
            format!("{}-{}", numbers[start].1, numbers[index].1)
        });
        index += 1;
    }
    out.extend(others.into_iter().map(str::to_owned));
    out.join(", ")
}

#[cfg(test)]
mod tests {
    use super::ranges;

    #[test]
    fn unmanaged_rooms_are_runs() {
        let rooms: Vec<String> = ["1002", "1000", "1001", "2001", "2003", "2004", "0100"]
            .iter()
            .map(|r| (*r).to_owned())
            .collect();
        assert_eq!(ranges(&rooms), "1000-1002, 2001, 2003-2004, 0100");
    }
}
