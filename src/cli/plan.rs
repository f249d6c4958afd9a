//! `hotelcare plan FILE... [--raw]`: validate everything, then print what each command would send.

use std::io::{self, Write};

use crate::cli::arguments::Format;
use crate::cli::error::{Error, report};
use crate::cli::execution::output_format;
use crate::cli::exit::Exit;
use crate::cli::scripts::{Script, read_error, validated};
use crate::cli::summary::print_summary;
use crate::config::Config;
use crate::lang::compile::{Event, compile};
use crate::lang::validate::Validator;
use crate::pbx::mitel_pms::{self, driver::PmsSettings};
use crate::pbx::mixml::describe::{PlannedCommand, plan as render};
use crate::pbx::mixml::lower::{Settings, lower};

/// How a plan is written.
struct Shown<'a> {
    json: bool,
    raw: bool,
    /// The PBX's name, when there are several.
    pbx: Option<&'a str>,
}

/// One command as one PBX would carry it out: its wire's operations or frames.
fn plan_one(
    out: &mut impl Write,
    (settings, pms): &(Settings, Option<PmsSettings>),
    shown: &Shown<'_>,
    origin: &str,
    command: &crate::lang::validate::Command,
) -> io::Result<()> {
    if let Some(pbx) = shown.pbx
        && !shown.json
    {
        writeln!(out, "PBX `{pbx}`:")?;
    }
    let line = match (pms, shown.json) {
        (Some(pms), false) => mitel_pms::driver::plan(origin, command, pms, shown.raw),
        (None, false) => {
            let ops = lower(&command.action, settings);
            render(origin, command, &ops, shown.raw)
        }
        (Some(pms), true) => json_line(
            &mitel_pms::driver::PlannedRecords::new(origin, command, pms),
            shown.pbx,
        )?,
        (None, true) => {
            let ops = lower(&command.action, settings);
            json_line(&PlannedCommand::new(origin, command, &ops), shown.pbx)?
        }
    };
    writeln!(out, "{line}")
}

/// A planned command as a JSON line; with several PBXs, with a `pbx` field naming its PBX.
fn json_line(document: &impl serde::Serialize, pbx: Option<&str>) -> io::Result<String> {
    let Some(pbx) = pbx else {
        return serde_json::to_string(document).map_err(io::Error::other);
    };
    let mut value = serde_json::to_value(document).map_err(io::Error::other)?;
    if let Some(fields) = value.as_object_mut() {
        fields.insert("pbx".into(), pbx.into());
    }
    Ok(value.to_string())
}

pub(crate) fn plan(config: &Config, scripts: &[Script], raw: bool, color: bool) -> Exit {
    let summary = match validated(scripts, config, color, "no operations are shown") {
        Ok(summary) => summary,
        Err(exit) => return exit,
    };
    // Each PBX plans in its own terms (its wire, CORs, levels, number transfer).
    let wires: Vec<(Settings, Option<PmsSettings>)> = (0..config.pbxs.len())
        .map(|index| {
            let view = config.view(index);
            (
                Settings::from_config(&view),
                PmsSettings::from_config(&view),
            )
        })
        .collect();
    let several = config.has_several_pbxs();
    let json = output_format() == Format::Json;
    let mut validator = Validator::new(config);
    let stdout = io::stdout();
    let mut out = io::BufWriter::new(stdout.lock());
    let mut write_error = None;
    for script in scripts {
        let name = script.name();
        let result = script
            .reader(config.run.script_encoding)
            .and_then(|reader| {
                compile(&name, reader, &mut validator, &mut |event| {
                    if let Event::Command(command) = event
                        && write_error.is_none()
                    {
                        let origin = format!("{name}:{}", command.line);
                        let rooms = command.action.rooms();
                        let owners: Vec<usize> =
                            rooms.iter().filter_map(|room| config.pbx_of(room)).collect();
                        if let [from, to] = owners.as_slice()
                            && from != to
                        {
                            let (from_pbx, to_pbx) =
                                (&config.pbxs[*from].name, &config.pbxs[*to].name);
                            let written = if json {
                                writeln!(
                                    out,
                                    "{}",
                                    serde_json::json!({
                                        "origin": origin,
                                        "command": command.text,
                                        "between_pbxs": [from_pbx, to_pbx],
                                        "parts": [
                                            format!("CHECKIN {} on {to_pbx}", rooms[1]),
                                            format!("CHECKOUT {} on {from_pbx}", rooms[0]),
                                        ],
                                    })
                                )
                            } else {
                                writeln!(
                                    out,
                                    "{origin}  {}: a move between PBXs `{from_pbx}` and `{to_pbx}`: check-in on room {} with the guest hotelcare has in room {} (name, class of service by name, DID), then check-out of room {}",
                                    command.text, rooms[1], rooms[0], rooms[0]
                                )
                            };
                            if let Err(e) = written {
                                write_error = Some(e);
                            }
                            return;
                        }
                        // `TEST` (no room) goes to every PBX.
                        let targets: Vec<usize> = if rooms.is_empty() {
                            (0..wires.len()).collect()
                        } else {
                            vec![owners.first().copied().unwrap_or(0)]
                        };
                        for owner in targets {
                            let shown = Shown {
                                json,
                                raw,
                                pbx: several.then(|| config.pbxs[owner].name.as_str()),
                            };
                            if let Some(wire) = wires.get(owner)
                                && let Err(e) = plan_one(&mut out, wire, &shown, &origin, &command)
                            {
                                write_error = Some(e);
                                return;
                            }
                        }
                    }
                })
            });
        if let Err(error) = result {
            return report(read_error(script, error));
        }
    }
    if let Some(error) = write_error.or_else(|| out.flush().err()) {
        // A closed pipe (`hotelcare plan x.hc | head`): the reader has all it wanted.
        if error.kind() == io::ErrorKind::BrokenPipe {
            return Exit::Done;
        }
        return report(Error::Io {
            what: "cannot write the plan".into(),
            error,
        });
    }
    print_summary(&summary, "no operations are shown")
}
