//! `hotelcare plan FILE... [--raw]`: validate everything, then print what each command would send.

use std::io::{self, Write};

use crate::cli::exit::Exit;
use crate::cli::scripts::{Script, read_error, validate_all};
use crate::cli::summary::print_summary;
use crate::compile::{Event, compile};
use crate::config::Config;
use crate::lower::{Settings, lower};
use crate::monitor::plan::render;
use crate::validate::Validator;

pub(crate) fn plan(config: &Config, scripts: &[Script], raw: bool, color: bool) -> Exit {
    let summary = match validate_all(scripts, &mut Validator::new(config), color) {
        Ok(summary) => summary,
        Err(exit) => return exit,
    };
    if summary.errors > 0 {
        return print_summary(&summary, "no operations are shown");
    }
    let settings = Settings::from_config(config);
    let mut validator = Validator::new(config);
    let stdout = io::stdout();
    let mut out = io::BufWriter::new(stdout.lock());
    let mut write_error = None;
    for script in scripts {
        let name = script.name();
        let result = script.reader().and_then(|reader| {
            compile(&name, reader, &mut validator, &mut |event| {
                if let Event::Command(command) = event
                    && write_error.is_none()
                {
                    let ops = lower(&command.action, &settings);
                    let origin = format!("{name}:{}", command.line);
                    if let Err(e) = writeln!(out, "{}", render(&origin, &command, &ops, raw)) {
                        write_error = Some(e);
                    }
                }
            })
        });
        if let Err(error) = result {
            eprintln!("{}", read_error(script, &error));
            return Exit::Usage;
        }
    }
    if let Some(error) = write_error.or_else(|| out.flush().err()) {
        // A closed pipe (`hotelcare plan x.hc | head`) is not worth a message.
        if error.kind() != io::ErrorKind::BrokenPipe {
            eprintln!("error: cannot write the plan: {error}");
        }
        return Exit::Usage;
    }
    print_summary(&summary, "no operations are shown")
}
