//! The command line: arguments -> configuration -> subcommand. The only place that wires the
//! pieces together (the real PBX client or the embedded simulator, the journal, the monitor).

mod arguments;
mod charges;
mod check;
mod client;
mod dashboard;
mod error;
mod execution;
mod exit;
mod fias;
mod follow;
mod help;
mod plan;
mod progress;
mod queue;
mod reconcile;
mod repl;
mod rooms;
mod run;
mod scripts;
mod serve;
mod signals;
mod sim;
mod status;
mod summary;
mod target;

use std::io::IsTerminal;
use std::process::ExitCode;

use clap::Parser;

pub(crate) use arguments::{Arguments, ChargesAction, Color, FiasAction, QueueAction, Subcommand};
pub(crate) use exit::Exit;

use crate::config::{self, Config};
use crate::control::backend::Inline;
use error::report;
use scripts::Script;

/// Runs the program with the process's arguments.
pub fn main() -> ExitCode {
    let exit = run(Arguments::parse());
    // Monitor lines held back by a command that ran without the async runtime.
    execution::flush_held();
    exit.into()
}

/// Runs one parsed command line.
pub(crate) fn run(arguments: Arguments) -> Exit {
    let color = match arguments.color {
        Color::Always => true,
        Color::Never => false,
        Color::Auto => std::io::stderr().is_terminal() && std::env::var_os("NO_COLOR").is_none(),
    };
    execution::set_format(arguments.format);
    let _ = COLOR.set(color);
    let located = config::locate::locate(arguments.config.as_deref());
    // Said on every command that works on the property: the wrong directory, silently the
    // simulator and "done", is what a hotel must never see.
    if let Some(notice) = located.notice()
        && !matches!(
            arguments.command,
            Subcommand::Sim(_) | Subcommand::Completions { .. } | Subcommand::Man
        )
    {
        crate::support::output::errln!("{notice}");
    }
    let config = match load_config(&located) {
        Ok(mut config) => {
            if let Some(encoding) = arguments.encoding {
                config.run.script_encoding = encoding;
            }
            config
        }
        Err(error) => return report(error),
    };
    match arguments.command {
        Subcommand::Check { files } => {
            with_scripts(&files, |scripts| check::check(&config, scripts, color))
        }
        Subcommand::Plan { files, raw } => {
            with_scripts(&files, |scripts| plan::plan(&config, scripts, raw, color))
        }
        Subcommand::Run { files, raw, again } => with_scripts(&files, |scripts| {
            run::run(&config, scripts, raw, again, color)
        }),
        Subcommand::Repl { raw, no_readline } => repl::repl(&config, raw, no_readline, color),
        Subcommand::Reconcile {
            exts,
            fix_script,
            apply,
            pbx,
        } => match narrowed(&config, pbx.as_deref())
            .and_then(|narrowed| rooms_of(&config, narrowed, &exts))
        {
            Ok(_) => {
                reconcile::reconcile(&config, pbx.as_deref(), &exts, fix_script.as_deref(), apply)
            }
            Err(exit) => exit,
        },
        Subcommand::Rooms { exts, pbx } => match narrowed(&config, pbx.as_deref()) {
            Ok(_) => rooms::rooms(&config, &exts, pbx.as_deref()),
            Err(exit) => exit,
        },
        Subcommand::Show { ext, raw, pbx } => match narrowed(&config, pbx.as_deref())
            .and_then(|narrowed| rooms_of(&config, narrowed, std::slice::from_ref(&ext)))
        {
            Ok(_) => inline(&config, &Inline::Show(ext), pbx.as_deref(), raw),
            Err(exit) => exit,
        },
        Subcommand::TestAccess { raw, pbx } => match narrowed(&config, pbx.as_deref()) {
            Ok(_) => inline(&config, &Inline::Test, pbx.as_deref(), raw),
            Err(exit) => exit,
        },
        Subcommand::Sim(arguments) if arguments.interface.eq_ignore_ascii_case("mitel-pms") => {
            sim::sim_mitel_pms(
                arguments.listen,
                arguments.rooms.as_deref(),
                crate::sim::mitel_pms::PmsFaults {
                    nak_rate: arguments.failure_rate,
                    latency: std::time::Duration::from_millis(arguments.latency_ms),
                    ..crate::sim::mitel_pms::PmsFaults::default()
                },
            )
        }
        Subcommand::Sim(arguments) if arguments.interface.eq_ignore_ascii_case("fias-pms") => {
            sim::sim_fias_pms(arguments.listen, arguments.script.as_deref())
        }
        Subcommand::Sim(arguments) if !arguments.interface.eq_ignore_ascii_case("mixml") => {
            report(error::Error::Other(format!(
                "the simulator speaks `mixml`, `mitel-pms` or `fias-pms`, not `{}`",
                arguments.interface
            )))
        }
        Subcommand::Sim(arguments) => sim::sim(sim::SimArguments {
            listen: arguments.listen,
            rooms: arguments.rooms,
            user: arguments.user,
            password: arguments.password,
            cert_out: arguments.cert_out,
            plain: arguments.plain,
            faults: crate::sim::Faults {
                latency_ms: arguments.latency_ms,
                failure_rate: arguments.failure_rate,
                drop_rate: arguments.drop_rate,
                hang_rate: arguments.hang_rate,
                refuse_connections: arguments.refuse_connections,
                ..crate::sim::Faults::default()
            },
            state_dir: arguments.state_dir,
            smdr_listen: arguments.smdr_listen,
            timeouts: crate::sim::Timeouts {
                handshake: std::time::Duration::from_millis(arguments.handshake_timeout_ms),
                header: std::time::Duration::from_millis(arguments.header_timeout_ms),
                idle: std::time::Duration::from_millis(arguments.idle_timeout_ms),
            },
        }),
        Subcommand::Completions { shell } => help::completions(shell),
        Subcommand::Man => help::man(),
        Subcommand::Queue { action } => match action.unwrap_or(QueueAction::List {
            pbx: None,
            limit: crate::control::protocol::QueuePage::DEFAULT_LIMIT,
            after: 0,
        }) {
            QueueAction::List { pbx, limit, after } => match narrowed(&config, pbx.as_deref()) {
                Ok(_) => queue::list(
                    &config,
                    pbx.as_deref(),
                    crate::control::protocol::QueuePage { after, limit },
                ),
                Err(exit) => exit,
            },
            QueueAction::Retry { raw } => queue::retry(&config, raw),
            QueueAction::Drop { seqs, failed } => queue::drop(&config, &seqs, failed),
        },
        Subcommand::Serve {
            spool,
            spool_options,
        } => serve::serve(&config, spool, &spool_options),
        Subcommand::Status => status::status(&config),
        Subcommand::Dashboard { open } => dashboard::dashboard(&config, open),
        Subcommand::Fias { action } => match action {
            FiasAction::Status => fias::status(&config),
            FiasAction::Resync { dry_run, confirm } => fias::resync(&config, dry_run, confirm),
        },
        Subcommand::Charges { action, room } => match action {
            None => charges::list(&config, room.as_deref()),
            Some(ChargesAction::Import { file, pbx }) => {
                charges::import(&config, &file, pbx.as_deref())
            }
            Some(ChargesAction::Repost { number }) => charges::repost(&config, number),
        },
        Subcommand::Watch { dir, spool_options } => {
            serve::serve(&config, Some(dir), &spool_options)
        }
    }
}

/// `--color`, decided once: diagnostics and configuration errors are colored alike.
static COLOR: std::sync::OnceLock<bool> = std::sync::OnceLock::new();

pub(crate) fn color() -> bool {
    COLOR.get().copied().unwrap_or(false)
}

/// The configuration where `config::locate` finds it, else the built-in defaults.
fn load_config(located: &config::locate::Located) -> Result<Config, config::ConfigError> {
    match located {
        config::locate::Located::File(path) => Config::load(path),
        config::locate::Located::Nowhere(_) => Ok(Config::builtin()),
    }
}

/// `--pbx NAME`: the configuration of that PBX (its rooms only); without it, all.
fn narrowed(config: &Config, pbx: Option<&str>) -> Result<Config, Exit> {
    match pbx {
        None => Ok(config.clone()),
        Some(name) => config
            .pbx_named(name)
            .map(|index| config.only(index))
            .map_err(execution::usage),
    }
}

/// `narrowed` (by `--pbx NAME`) if it owns every room of `rooms`; else which PBX does.
fn rooms_of(config: &Config, narrowed: Config, rooms: &[String]) -> Result<Config, Exit> {
    for room in rooms {
        match (narrowed.pbx_of(room), config.pbx_of(room)) {
            (None, Some(owner)) => {
                return Err(execution::usage(format!(
                    "room {room} is on PBX `{}`, not `{}`; leave out `--pbx` (a room's PBX is known from its number)",
                    config.pbxs[owner].name,
                    narrowed.pbx_name()
                )));
            }
            (None, None) => {
                return Err(execution::usage(format!(
                    "room {room} belongs to no configured PBX ({}); check the number, or the `rooms` of the PBXs in the configuration",
                    config.pbx_names().join(", ")
                )));
            }
            _ => {}
        }
    }
    Ok(narrowed)
}

/// A command run now, outside the journal and without retries (the answer is wanted now):
/// `show`, `test-access`.
fn inline(config: &Config, command: &Inline, pbx: Option<&str>, raw: bool) -> Exit {
    client::with_backend(config, client::Need::Pbxs, raw, async |client| {
        let ran = client
            .backend
            .inline(command, pbx)
            .await
            .map_err(client::failed)?;
        Ok(follow::finish_inline(&ran.events, raw))
    })
}

fn with_scripts(files: &[std::path::PathBuf], body: impl FnOnce(&[Script]) -> Exit) -> Exit {
    match Script::open_all(files) {
        Ok(scripts) => body(&scripts),
        Err(error) => report(error::Error::Io {
            what: "cannot read standard input".into(),
            error,
        }),
    }
}
