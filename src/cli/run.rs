//! `hotelcare run FILE...`: validate everything, then hand it to the backend (the running
//! service, or the core in this process on the PBX or the embedded simulator) and follow its
//! commands with the monitor on stdout.

use std::collections::HashSet;

use crate::cli::client::{Client, Need, failed, with_backend};
use crate::cli::exit::Exit;
use crate::cli::follow::{finish, follow};
use crate::cli::scripts::{Script, validated};
use crate::config::Config;
use crate::control::protocol::BackendError;
use crate::support::output::errln;

/// Validates all scripts, then executes them: `Exit::Invalid` without touching the PBX if any
/// has an error. `again`: run scripts seen before too (see `acceptance`).
pub(crate) fn run(
    config: &Config,
    scripts: &[Script],
    raw: bool,
    again: bool,
    color: bool,
) -> Exit {
    // Small scripts come back with their checked commands: they are journaled as checked,
    // not read and checked a second time.
    let scripts = match validated(scripts, config, color, "nothing was run") {
        Ok((_, scripts)) => scripts,
        Err(exit) => return exit,
    };
    with_backend(config, Need::Pbxs, raw, async |client| {
        submit_and_follow(client, config, &scripts, raw, again).await
    })
}

/// Submits checked scripts and follows their commands (and, in this process, those an
/// earlier run left pending, which run first) to the verdict.
pub(crate) async fn submit_and_follow(
    client: &Client<'_>,
    config: &Config,
    scripts: &[Script],
    raw: bool,
    again: bool,
) -> Result<Exit, Exit> {
    let mut events = client.events(raw).await?;
    let submitted = match client
        .backend
        .submit(scripts, config.run.script_encoding, again)
        .await
    {
        Ok(submitted) => submitted,
        Err(BackendError::Duplicate { earlier, .. }) => {
            errln!(
                "error: {earlier}; nothing was run. If it really is to run again, give `--again`; if some of it is still queued, {}",
                if client.is_service() {
                    "the service carries it out by itself"
                } else {
                    "`hotelcare queue retry` finishes it"
                }
            );
            return Ok(Exit::Invalid);
        }
        Err(error) => return Err(failed(error)),
    };
    if client.is_service() {
        errln!(
            "sent to {}: {} command(s); its monitor follows",
            client.backend.describe(),
            submitted.seqs.len()
        );
    } else if !client.resumed.is_empty() {
        errln!(
            "resuming {} command(s) left pending by an earlier run; they run first, in their order",
            client.resumed.len()
        );
    }
    tracing::info!("accepted {} command(s)", submitted.seqs.len());
    let waiting: HashSet<u64> = client
        .resumed
        .iter()
        .chain(&submitted.seqs)
        .copied()
        .collect();
    let followed = follow(client, &mut events, waiting, raw).await;
    Ok(finish(client, followed))
}
