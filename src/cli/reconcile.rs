//! `hotelcare reconcile [EXT...] [--fix-script FILE] [--apply]`: reads each room from the PBX
//! (where the wire can read) and compares it with the expected room state: the differences in a
//! table, and the script that makes the PBX match. A room the PBX has and hotelcare never
//! touched is reported as unmanaged, never changed. On a wire without reads it says what
//! reconciles such a PBX instead (a general reset).

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::{Arc, Mutex, PoisonError};

use crate::acceptance;
use crate::cli::execution::{
    self, Kind, block_on, connect, open_journal, stdout_printer, usage, verdict,
};
use crate::cli::exit::Exit;
use crate::config::{Config, ScriptEncoding};
use crate::diagnostics::LocalTime;
use crate::engine::{Driver as _, Engine, Event, Journal, Record, RoomState};
use crate::logs::{self, Retention};
use crate::output::{errln, outln};

/// One difference between the PBX and the expected state.
struct Difference {
    room: String,
    field: &'static str,
    pbx: String,
    expected: String,
    since: String,
}

pub(crate) fn reconcile(
    config: &Config,
    wanted: &[String],
    fix_script: Option<&Path>,
    apply: bool,
) -> Exit {
    logs::init(&config.run.log_dir, Retention::OneShot);
    let exit = block_on(async {
        let journal = open_journal(config)?;
        let mut rooms = journal.rooms().map_err(usage)?;
        if !wanted.is_empty() {
            rooms.retain(|(room, _)| wanted.contains(room));
        }
        if !config.capabilities().reads {
            outln!(
                "PBX \"{}\" uses {}, which cannot read the PBX: compare by eye with `hotelcare rooms`; what reconciles such a PBX is a general reset (GRS, then every room of the expected state), which the service sends when the PBX asks to initialize after a restart",
                config.pbx_name(),
                config.capabilities().interface.name()
            );
            return Ok(Exit::Done);
        }
        let target = connect(config).await?;
        let records = read_rooms(config, &target, wanted, &rooms).await?;
        let unmanaged: Vec<String> = if wanted.is_empty() {
            records
                .keys()
                .filter(|room| !rooms.iter().any(|(r, _)| r == *room))
                .cloned()
                .collect()
        } else {
            Vec::new()
        };
        let (differences, fixes) = compare(config, &rooms, &records);
        print(&differences, &unmanaged, rooms.len());
        let exit = if fixes.is_empty() {
            Exit::Done
        } else {
            let script = format!(
                "# hotelcare reconcile, {}: makes the PBX match what hotelcare last had confirmed\n{}\n",
                LocalTime(now()),
                fixes.join("\n")
            );
            if let Some(path) = fix_script {
                std::fs::write(path, &script).map_err(|error| {
                    usage(crate::cli::error::Error::Io {
                        what: format!("cannot write `{}`", path.display()),
                        error,
                    })
                })?;
                outln!(
                    "the fix script is in `{}`: review it, then `hotelcare run` it",
                    path.display()
                );
            }
            if apply {
                apply_script(config, &target, journal, &script).await?
            } else {
                if fix_script.is_none() {
                    outln!(
                        "`--fix-script FILE` writes the script that fixes them; `--apply` runs it now"
                    );
                }
                Exit::Failed
            }
        };
        target.close().await;
        Ok(exit)
    });
    execution::compact_journal(config);
    exit
}

/// Reads every room (`SHOW`), concurrently, outside the journal: room -> its record.
async fn read_rooms(
    config: &Config,
    target: &crate::cli::target::Target,
    wanted: &[String],
    rooms: &[(String, RoomState)],
) -> Result<BTreeMap<String, Record>, Exit> {
    let mut list: Vec<String> = rooms.iter().map(|(room, _)| room.clone()).collect();
    if wanted.is_empty() {
        for room in target.driver.directory_numbers().await {
            if !list.contains(&room) {
                list.push(room);
            }
        }
    } else {
        for room in wanted {
            if !list.contains(room) {
                list.push(room.clone());
            }
        }
    }
    let text: String = list.iter().flat_map(|room| ["SHOW ", room, "\n"]).collect();
    let commands = match acceptance::check(
        config,
        "reconcile",
        text.as_bytes(),
        ScriptEncoding::default(),
    ) {
        Ok(checked) => checked.commands,
        Err(_) => return Err(usage("the rooms to read cannot be checked".to_owned())),
    };
    let records: Arc<Mutex<BTreeMap<String, Record>>> = Arc::default();
    let collected = Arc::clone(&records);
    let mut reading = config.clone();
    reading.run.retry.attempts = 1;
    let engine = Engine::new(
        Arc::clone(&target.driver),
        Journal::in_memory().map_err(usage)?,
        crate::engine::Options::of(&reading, false),
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
    engine.enqueue(commands).await.map_err(usage)?;
    let report = engine.drain().await.map_err(usage)?;
    if let Some(reason) = report.halted {
        errln!("error: {reason}; nothing was compared");
        return Err(Exit::Queued);
    }
    for reason in &report.failed {
        errln!("warning: {reason}");
    }
    let records = std::mem::take(&mut *records.lock().unwrap_or_else(PoisonError::into_inner));
    Ok(records)
}

/// The differences, and the script lines that fix them.
fn compare(
    config: &Config,
    rooms: &[(String, RoomState)],
    records: &BTreeMap<String, Record>,
) -> (Vec<Difference>, Vec<String>) {
    let mut differences = Vec::new();
    let mut fixes = Vec::new();
    for (room, state) in rooms {
        let Some(record) = records.get(room) else {
            continue;
        };
        let value = |field: &str| {
            record
                .fields
                .iter()
                .find(|f| f.field == field)
                .map(|f| f.value.clone())
                .unwrap_or_default()
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
        let mut expected: Vec<(&'static str, String)> = Vec::new();
        let label = record.label.clone().unwrap_or_default();
        if let (Some(guest), true) = (&state.guest, state.occupied) {
            expected.push(("Last Name", guest.last.clone()));
            expected.push(("First Name", guest.first.clone()));
            expected.push(("Directory Name", guest.directory_name.clone()));
        } else {
            expected.push(("Last Name", label.clone()));
            expected.push(("First Name", String::new()));
            expected.push(("Directory Name", label.clone()));
        }
        if let Some(cor) = state.cor {
            for field in ["COR Day", "COR Night 1", "COR Night 2"] {
                expected.push((field, cor.to_string()));
            }
        }
        if config.number_transfer.is_some() {
            expected.push(("DID Service Number", state.did.clone().unwrap_or_default()));
        }
        let before = differences.len();
        for (field, want) in expected {
            let has = value(field);
            if has != want {
                differences.push(Difference {
                    room: room.clone(),
                    field,
                    pbx: has,
                    expected: want,
                    since: since.clone(),
                });
            }
        }
        if differences.len() == before {
            continue;
        }
        match (&state.guest, state.occupied) {
            (Some(guest), true) => {
                let level = state
                    .cor
                    .and_then(|cor| config.level_names_of(cor).into_iter().next())
                    .map(|level| format!(" COS {level}"))
                    .unwrap_or_default();
                let did = state
                    .did
                    .as_ref()
                    .map(|did| format!(" DID {did}"))
                    .unwrap_or_default();
                let name = guest
                    .directory_name
                    .replace('\\', "\\\\")
                    .replace('"', "\\\"");
                fixes.push(format!("CHECKIN {room} \"{name}\"{level}{did} REPLACE"));
            }
            _ => fixes.push(format!("CHECKOUT {room}")),
        }
    }
    (differences, fixes)
}

fn print(differences: &[Difference], unmanaged: &[String], rooms: usize) {
    if differences.is_empty() {
        outln!("{rooms} room(s) compared: the PBX has them as hotelcare last set them");
    } else {
        outln!(
            "{:>7}  {:<27} {:<24} {:<24} since",
            "room",
            "field",
            "PBX has",
            "hotelcare expects"
        );
        for d in differences {
            outln!(
                "{:>7}  {:<27} {:<24} {:<24} {}",
                d.room,
                d.field,
                shown(&d.pbx),
                shown(&d.expected),
                d.since
            );
        }
    }
    for room in unmanaged {
        outln!("{room:>7}  unmanaged: the PBX has it, hotelcare never changed it (left alone)");
    }
}

fn shown(value: &str) -> String {
    if value.is_empty() {
        "empty".to_owned()
    } else {
        format!("\"{value}\"")
    }
}

/// Journals the fix script and runs it, with the monitor.
async fn apply_script(
    config: &Config,
    target: &crate::cli::target::Target,
    journal: Journal,
    script: &str,
) -> Result<Exit, Exit> {
    acceptance::accept(
        config,
        &journal,
        "reconcile",
        script.as_bytes(),
        ScriptEncoding::default(),
        true,
        |_| None,
    )
    .await
    .map_err(|_| usage("the fix script cannot be journaled".to_owned()))?;
    let engine = execution::engine(config, target, journal, false, stdout_printer());
    let report = engine.drain().await.map_err(usage)?;
    Ok(verdict(&report, Kind::Journaled))
}

fn now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}
