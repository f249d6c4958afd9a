//! `hotelcare plan FILE... [--raw]`: validate everything, then print what each command would send,
//! each PBX in its own terms (its wire, CORs, levels, number transfer), without connecting.

use std::io::{self, Write};

use crate::cli::arguments::Format;
use crate::cli::error::{Error, report};
use crate::cli::execution::output_format;
use crate::cli::exit::Exit;
use crate::cli::scripts::{Script, read_error, validated};
use crate::cli::summary::print_summary;
use crate::config::Config;
use crate::engine::Planned;
use crate::lang::compile::{Event, compile};
use crate::lang::validate::{Command, Validator};
use crate::pbx::registry;

/// Writes one PBX's plan of a command: its text (under the PBX's name when there are several)
/// or its JSON line (with a `pbx` field then).
fn write_planned(
    out: &mut impl Write,
    json: bool,
    pbx: Option<&str>,
    planned: Planned,
) -> io::Result<()> {
    if json {
        let mut value = planned.json;
        if let (Some(pbx), Some(fields)) = (pbx, value.as_object_mut()) {
            fields.insert("pbx".into(), pbx.into());
        }
        return writeln!(out, "{value}");
    }
    if let Some(pbx) = pbx {
        writeln!(out, "PBX `{pbx}`:")?;
    }
    writeln!(out, "{}", planned.text)
}

pub(crate) fn plan(config: &Config, scripts: &[Script], raw: bool, color: bool) -> Exit {
    // The scripts as checked (small ones held in memory): what is planned is what was checked.
    let (summary, scripts) = match validated(scripts, config, color, "no operations are shown") {
        Ok(validated) => validated,
        Err(exit) => return exit,
    };
    let json = output_format() == Format::Json;
    let mut validator = Validator::new(config);
    let stdout = io::stdout();
    let mut out = io::BufWriter::new(stdout.lock());
    let mut write_error = None;
    let mut plan_one = |name: &str, command: &Command| {
        if write_error.is_some() {
            return;
        }
        let origin = format!("{name}:{}", command.line);
        for (pbx, planned) in registry::plan(config, &origin, command, raw) {
            if let Err(e) = write_planned(&mut out, json, pbx.as_deref(), planned) {
                write_error = Some(e);
                return;
            }
        }
    };
    for script in &scripts {
        let name = script.name();
        // Kept with its commands when it was checked: not read and checked again.
        if let Some(commands) = script.commands() {
            for command in commands {
                plan_one(&name, command);
            }
            continue;
        }
        let result = script
            .reader(config.run.script_encoding)
            .and_then(|reader| {
                compile(&name, reader, &mut validator, &mut |event| {
                    if let Event::Command(command) = event {
                        plan_one(&name, &command);
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
