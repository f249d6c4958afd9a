//! `hotelcare reconcile [--pbx NAME] [EXT...] [--fix-script FILE] [--apply]`: what `reconcile`
//! found, printed; the fix script written for review, or journaled and run. Through a running
//! service when there is one (it reads through its own links, beside its commands).

use std::path::Path;

use crate::cli::execution::{
    self, Kind, block_on, connect, open_journal, stdout_printer, usage, verdict,
};
use crate::cli::exit::Exit;
use crate::cli::remote;
use crate::config::{Config, ScriptEncoding};
use crate::engine::Journal;
use crate::intake::acceptance;
use crate::intake::reconcile::Findings;
use crate::support::logs::{self, Retention};
use crate::support::output::{out, outln};

/// `config` is narrowed to `--pbx NAME` already (its view); `pbx` is that name, for a service.
pub(crate) fn reconcile(
    config: &Config,
    whole: &Config,
    pbx: Option<&str>,
    wanted: &[String],
    fix_script: Option<&Path>,
    apply: bool,
) -> Exit {
    if let Some(exit) = remote::with_service(whole, async |service| {
        let found = remote::reconcile(service, wanted, pbx).await?;
        out!("{}", found.report);
        if apply {
            for name in &found.resettable {
                match remote::general_reset(service, name).await {
                    Ok(text) => outln!("{text}"),
                    Err(why) => return Err(usage(why)),
                }
            }
        }
        match found.script {
            None => Ok(found.exit),
            Some(script) => {
                write_fix_script(fix_script, &script)?;
                if apply {
                    remote::run_text(service, whole, "reconcile", script).await
                } else {
                    say_how(fix_script);
                    Ok(Exit::Failed)
                }
            }
        }
    }) {
        return exit;
    }
    logs::init(&config.run.log_dir, Retention::OneShot);
    let exit = block_on(async {
        let journal = open_journal(config)?;
        let rooms = journal.rooms().map_err(usage)?;
        let target = connect(config).await?;
        let findings =
            crate::intake::reconcile::reconcile(config, &target.pbxs, &rooms, wanted).await;
        out!("{}", findings.report());
        if apply {
            for name in &findings.resettable {
                let reset =
                    crate::intake::reconcile::general_reset(config, &target.pbxs, name, &journal)
                        .await;
                match reset {
                    Ok(text) => outln!("{text}"),
                    Err(why) => {
                        target.close().await;
                        return Err(usage(format!("PBX `{name}`: {why}")));
                    }
                }
            }
        }
        // Closed before a fix is applied: that connects to every PBX, and a Mitel PMS link
        // is one connection.
        target.close().await;
        match findings.script() {
            None => Ok(verdict_of(&findings)),
            Some(script) => match write_fix_script(fix_script, &script) {
                Err(exit) => Err(exit),
                Ok(()) if apply => apply_script(whole, journal, &script).await,
                Ok(()) => {
                    say_how(fix_script);
                    Ok(Exit::Failed)
                }
            },
        }
    });
    execution::compact_journal(config);
    exit
}

/// Nothing to fix: done, or queued when a PBX could not be read.
pub(crate) fn verdict_of(findings: &Findings) -> Exit {
    if findings.unreachable {
        Exit::Queued
    } else {
        Exit::Done
    }
}

fn write_fix_script(path: Option<&Path>, script: &str) -> Result<(), Exit> {
    let Some(path) = path else {
        return Ok(());
    };
    std::fs::write(path, script).map_err(|error| {
        usage(crate::cli::error::Error::Io {
            what: format!("cannot write `{}`", path.display()),
            error,
        })
    })?;
    outln!(
        "the fix script is in `{}`: review it, then `hotelcare run` it",
        path.display()
    );
    Ok(())
}

fn say_how(fix_script: Option<&Path>) {
    if fix_script.is_none() {
        outln!("`--fix-script FILE` writes the script that fixes them; `--apply` runs it now");
    }
}

/// Journals the fix script and runs it, with the monitor. `config` is the whole configuration
/// (not narrowed to `--pbx`): the drain runs every pending command, each on its own PBX.
async fn apply_script(config: &Config, journal: Journal, script: &str) -> Result<Exit, Exit> {
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
    let target = connect(config).await?;
    let engine = execution::engine(config, &target, journal, false, stdout_printer());
    let report = engine.drain().await.map_err(usage);
    target.close().await;
    Ok(verdict(&report?, Kind::Journaled))
}
