//! The command line: arguments -> configuration -> subcommand. The only place that wires the
//! pieces together (the real PBX client or the embedded simulator, the journal, the monitor).

mod arguments;
mod check;
mod exit;
mod plan;
mod scripts;
mod summary;

use std::io::IsTerminal;
use std::path::Path;
use std::process::ExitCode;

use clap::Parser;

pub use arguments::{Arguments, Color, Subcommand};
pub use exit::Exit;

use crate::config::{self, Config};
use scripts::Script;

/// Runs the program with the process's arguments.
pub fn main() -> ExitCode {
    run(Arguments::parse()).into()
}

/// Runs one parsed command line.
pub fn run(arguments: Arguments) -> Exit {
    let color = match arguments.color {
        Color::Always => true,
        Color::Never => false,
        Color::Auto => std::io::stderr().is_terminal() && std::env::var_os("NO_COLOR").is_none(),
    };
    let config = match load_config(arguments.config.as_deref()) {
        Ok(config) => config,
        Err(error) => {
            eprintln!("{}", error.render(color));
            return Exit::Usage;
        }
    };
    match arguments.command {
        Subcommand::Check { files } => {
            with_scripts(&files, |scripts| check::check(&config, scripts, color))
        }
        Subcommand::Plan { files, raw } => {
            with_scripts(&files, |scripts| plan::plan(&config, scripts, raw, color))
        }
    }
}

/// `--config FILE`, else `hotelcare.toml` in the working directory, else the built-in defaults.
fn load_config(path: Option<&Path>) -> Result<Config, config::ConfigError> {
    match path {
        Some(path) => Config::load(path),
        None if Path::new(config::DEFAULT_FILE).is_file() => {
            Config::load(Path::new(config::DEFAULT_FILE))
        }
        None => Ok(Config::builtin()),
    }
}

fn with_scripts(files: &[std::path::PathBuf], body: impl FnOnce(&[Script]) -> Exit) -> Exit {
    match Script::open_all(files) {
        Ok(scripts) => body(&scripts),
        Err(error) => {
            eprintln!("error: cannot read standard input: {error}");
            Exit::Usage
        }
    }
}
