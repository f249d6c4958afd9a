//! `hotelcare reconcile [--pbx NAME] [EXT...] [--fix-script FILE] [--apply]`: what `reconcile`
//! found, printed; the fix script written for review, or journaled and run.

use std::path::Path;

use crate::cli::client::{Need, failed, with_backend};
use crate::cli::execution::usage;
use crate::cli::exit::Exit;
use crate::cli::run::submit_and_follow;
use crate::cli::scripts::Script;
use crate::config::Config;
use crate::support::output::{out, outln};

/// `pbx`: `--pbx NAME` (the rooms of that PBX only).
pub(crate) fn reconcile(
    config: &Config,
    pbx: Option<&str>,
    wanted: &[String],
    fix_script: Option<&Path>,
    apply: bool,
) -> Exit {
    with_backend(config, Need::Pbxs, false, async |client| {
        let found = client
            .backend
            .reconcile(wanted, pbx)
            .await
            .map_err(failed)?;
        out!("{}", found.text);
        if apply {
            for name in &found.resettable {
                let said = client.backend.general_reset(name).await.map_err(failed)?;
                outln!("{}", said.text);
            }
        }
        let Some(script) = found.script else {
            // Nothing to fix: done, or queued when a PBX could not be read.
            return Ok(if found.unreachable {
                Exit::Queued
            } else {
                Exit::Done
            });
        };
        write_fix_script(fix_script, &script)?;
        if !apply {
            if fix_script.is_none() {
                outln!(
                    "`--fix-script FILE` writes the script that fixes them; `--apply` runs it now"
                );
            }
            return Ok(Exit::Failed);
        }
        let fix = [Script::Inline {
            name: "reconcile",
            text: script,
        }];
        // The fix is made of the PBXs' own answers: run even if the same fix ran before.
        submit_and_follow(client, config, &fix, false, true).await
    })
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
