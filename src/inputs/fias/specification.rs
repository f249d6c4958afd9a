//! The FIAS 2.20.23 specification's own example records (`tests/fixtures/fias/specification.fias`,
//! quoted with their pages) replayed through the link's own steps — screen, map, check (as the
//! journal would), and the resync's comparison — with a snapshot of what each becomes; and the
//! link records hotelcare sends checked against the specification's field tables.

use std::collections::HashMap;
use std::fmt::Write as _;
use std::path::Path;

use crate::config::{Codepage, Config, FiasConfig};
use crate::engine::RoomState;
use crate::inputs::fias::mapping::{Context, Mapped, map};
use crate::inputs::fias::record::Record;
use crate::inputs::fias::refusal::screen;
use crate::inputs::fias::resync::compare;
use crate::inputs::fias::session::WANTED;
use crate::inputs::fias::view::RoomView;
use crate::intake::acceptance::check_batch;
use crate::lang::syntax::Extension;

/// Two PBXs: room 2781 (the specification's room-data examples) on the Mitel PMS wire, which has
/// the message lamp and do not disturb; every other room on MiXML, which has DIDs.
const CONFIG: &str = r#"
[class_of_service]
LOCAL = 3

[number_transfer]
enabled = true
range = "1000-2999"

[pbx.mivb]
server = "192.0.2.1"
user = "hotelcare"
password_env = "NONE"
rooms = ["100-999", "1000-2780", "2782-9999", "10000-99999"]

[pbx.pms]
interface = "mitel-pms"
server = "192.0.2.2:6830"
rooms = ["2781"]

[pbx.pms.mitel_pms]
nam_replace = 2

[pbx.pms.class_of_service]
LOCAL = 1

[fias]
server = "192.0.2.3:5010"

[fias.class_of_service]
"0" = "BLOCK"
"1" = "LOCAL"
"2" = "ALLOW"
"3" = "ALLOW"
"#;

fn fias(config: &Config) -> &FiasConfig {
    config.fias.as_ref().expect("the configuration has [fias]")
}

#[test]
fn the_specifications_records_become_what_the_snapshot_shows() {
    let config = Config::parse(CONFIG, Path::new("spec.toml")).expect("the configuration reads");
    let fixture = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/fias/specification.fias"),
    )
    .expect("the fixture is there");
    let mut views: HashMap<Extension, RoomView> = HashMap::new();
    let mut house: Option<Vec<Record>> = None;
    let mut out = String::new();
    for line in fixture.lines() {
        if let Some(heading) = line.strip_prefix("## ") {
            let _ = writeln!(out, "\n## {heading}");
            continue;
        }
        let Some(text) = line.strip_prefix("< ") else {
            continue;
        };
        let record = Record::parse(text.as_bytes(), Codepage::default()).expect("a record");
        let _ = writeln!(out, "< {text}");
        let became = match record.kind.as_str() {
            "LS" => "the link answers LD, LR for GI GO GC RE, LA, and asks DR".to_owned(),
            "LA" => "the link is alive".to_owned(),
            "LE" => "the PMS ends the link; hotelcare connects again".to_owned(),
            "DS" => {
                house = Some(Vec::new());
                "the house follows".to_owned()
            }
            "DE" => resync(&config, &house.take().unwrap_or_default(), &views),
            _ if house.is_some() && record.get("SF").is_some() => {
                if let Some(house) = house.as_mut() {
                    house.push(record.clone());
                }
                "part of the house".to_owned()
            }
            _ => replay(&config, &record, &mut views),
        };
        for line in became.lines() {
            let _ = writeln!(out, "    {line}");
        }
    }
    insta::with_settings!({snapshot_path => "../../../snapshots", prepend_module_to_snapshot => false}, {
        insta::assert_snapshot!("fias-specification", out.trim_start());
    });
}

/// One record through the link's steps; the views change as the link's would.
fn replay(config: &Config, record: &Record, views: &mut HashMap<Extension, RoomView>) -> String {
    let fias = fias(config);
    if let Err(refusal) = screen(record, fias.codepage) {
        return format!("refused: {refusal}");
    }
    let capabilities = |room: &Extension| {
        config.pbx_of(room.as_str()).map_or_else(
            // A room no PBX owns: validation refuses it by name (as the service does).
            || crate::config::Interface::default().capabilities(),
            |i| config.pbxs[i].capabilities(),
        )
    };
    let view = |room: &Extension| views.get(room).cloned().unwrap_or_default();
    let mapped = map(
        record,
        &Context {
            config: fias,
            capabilities: &capabilities,
            view: &view,
        },
    );
    let effect = match mapped {
        Err(refusal) => return format!("refused: {refusal}"),
        Ok(Mapped::Ignored(why)) => return format!("ignored: {why}"),
        Ok(Mapped::Effect(effect)) => effect,
    };
    let mut out = String::new();
    for warning in &effect.warnings {
        let _ = writeln!(out, "warning: {warning}");
    }
    for note in &effect.notes {
        let _ = writeln!(out, "note: {note}");
    }
    match check_batch(config, &effect.batch, None) {
        Ok(checked) => {
            for (origin, command) in &checked.commands {
                let reservation = command
                    .reservation
                    .as_deref()
                    .map(|r| format!("  [reservation {r}]"))
                    .unwrap_or_default();
                let _ = writeln!(out, "{}  ({origin}){reservation}", command.text);
            }
        }
        Err(refusal) => {
            let _ = writeln!(
                out,
                "refused: {}",
                crate::inputs::fias::link::describe_refusal(&refusal)
            );
            return out;
        }
    }
    for (room, after) in effect.rooms {
        let _ = writeln!(
            out,
            "room {room}: {}",
            if after.occupied {
                format!(
                    "G#{} on the phone{}",
                    after.holder.as_deref().unwrap_or("?"),
                    if after.sharers.is_empty() {
                        String::new()
                    } else {
                        let sharers: Vec<&str> = after
                            .sharers
                            .iter()
                            .map(|s| s.reservation.as_str())
                            .collect();
                        format!(", sharers {}", sharers.join(", "))
                    }
                )
            } else {
                "vacant".to_owned()
            }
        );
        views.insert(room, after);
    }
    out
}

/// The resync's comparison, against the rooms as the replay left them.
fn resync(config: &Config, house: &[Record], views: &HashMap<Extension, RoomView>) -> String {
    let mut sorted: Vec<(&Extension, &RoomView)> = views.iter().collect();
    sorted.sort_by_key(|(room, _)| *room);
    let rooms: Vec<(String, RoomState)> = sorted
        .into_iter()
        .map(|(room, view)| {
            let mut state = RoomState {
                occupied: view.occupied,
                ..RoomState::default()
            };
            if let Some(holder) = &view.holder {
                state.flags.reservation = Some(holder.clone());
            }
            (room.to_string(), state)
        })
        .collect();
    let found = compare(house, &rooms, config, fias(config));
    let mut out = String::new();
    for line in &found.differences {
        let _ = writeln!(out, "difference: {line}");
    }
    for (request, reservation) in &found.fixes {
        let _ = writeln!(
            out,
            "fix: {}{}",
            request.write(0).text,
            reservation
                .as_deref()
                .map(|r| format!("  [reservation {r}]"))
                .unwrap_or_default()
        );
    }
    let mut checkouts: Vec<String> = found.checkouts.iter().map(ToString::to_string).collect();
    checkouts.sort();
    let _ = writeln!(
        out,
        "check-outs (held if more than the limit): {}",
        if checkouts.is_empty() {
            "none".to_owned()
        } else {
            checkouts.join(", ")
        }
    );
    out
}

/// The fields of the records the link asks for, as the specification's tables have them (p. 40-43
/// GI/GO/GC with the virtual number fields of p. 48-49, p. 63 RE, p. 68 WR/WC/WA, p. 80-85
/// PS/PA).
#[test]
fn the_link_records_ask_only_for_fields_the_specification_lists() {
    let tables: [(&str, &[&str]); 9] = [
        (
            "GI",
            &[
                "G#", "RN", "GS", "A0", "A1", "A2", "A3", "A4", "A5", "A6", "A7", "A8", "A9", "CS",
                "DA", "G+", "GA", "GD", "GF", "GG", "GL", "GN", "GT", "GV", "MR", "NP", "SF", "TI",
                "TV", "VR", "WS", "EN", "ES", "EP",
            ],
        ),
        (
            "GO",
            &["G#", "RN", "GS", "DA", "SF", "TI", "WS", "EN", "ES", "EP"],
        ),
        (
            "GC",
            &[
                "G#", "RN", "GS", "A0", "A1", "A2", "A3", "A4", "A5", "A6", "A7", "A8", "A9", "CS",
                "DA", "G+", "GA", "GD", "GF", "GG", "GL", "GN", "GT", "GV", "MR", "NP", "TI", "TV",
                "VR", "WS", "RO", "EN", "ES", "EP", "EO", "ET", "EI",
            ],
        ),
        (
            "RE",
            &[
                "RN", "CS", "CT", "DN", "G#", "ID", "ML", "MR", "PP", "PU", "RS", "TV", "VM",
            ],
        ),
        ("WR", &["DA", "RN", "TI"]),
        ("WC", &["DA", "RN", "TI"]),
        ("WA", &["AS", "DA", "RN", "TI"]),
        (
            "PS",
            &[
                "DA", "DD", "DU", "MA", "M#", "MP", "PT", "RN", "SO", "TA", "TI", "C#", "CO", "CT",
                "CV", "ID", "P#", "PC", "PM", "PX", "SC", "ST", "T#", "TP", "WS", "X1",
            ],
        ),
        (
            "PA",
            &[
                "AS", "CT", "DA", "P#", "RN", "TI", "WS", "C#", "G#", "GN", "ID", "SO",
            ],
        ),
    ];
    for (kind, fields) in WANTED {
        let (_, table) = tables
            .iter()
            .find(|(k, _)| k == kind)
            .unwrap_or_else(|| panic!("no table for {kind}"));
        let asked: Vec<&str> = (0..fields.len())
            .step_by(2)
            .map(|i| &fields[i..i + 2])
            .collect();
        for field in asked {
            assert!(table.contains(&field), "{kind} asks for {field}");
        }
        // The one field the specification makes mandatory in each (red) is asked for.
        assert!(fields.contains("RN"), "{kind} lacks RN");
    }
}
