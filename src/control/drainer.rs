//! The drainer: the one task that runs the journal's commands for the whole service. It keeps a
//! drain open while commands arrive (`Engine::drain_open`); when the PBX cannot be reached, it
//! waits — a little longer each time, up to a minute — and tries again, at once when new work
//! or a `queue retry` arrives. A command-line client's drainer (`Retry::WithNewWork`) does
//! not try again by itself: what a halted PBX left runs with the next command the person gives.

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::watch;

use crate::control::hub::Hub;
use crate::diagnostics::Count;
use crate::engine::{Engine, Intake};

/// The longest pause between attempts to reach an unreachable PBX.
const MAX_PAUSE: Duration = Duration::from_secs(60);

/// When commands a halted PBX left pending run again.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Retry {
    /// A service: after a pause that grows, and at once when new work arrives.
    Paused,
    /// A command-line client: only when new work arrives (the person decides).
    WithNewWork,
}

/// Runs until `stop` carries a reason; then lets running commands finish for up to `grace`.
pub(crate) async fn run(
    engine: Engine,
    intake: Arc<Intake>,
    hub: Arc<Hub>,
    stop: watch::Receiver<Option<String>>,
    grace: Duration,
    retry: Retry,
) {
    let mut pause = Duration::from_secs(1);
    loop {
        intake.take_rescan();
        let report = engine
            .drain_open(Some(&intake), grace, stopped(stop.clone()))
            .await;
        let report = match report {
            Ok(report) => report,
            Err(error) => {
                hub.notice(
                    &format!("error: {error}; trying again in {} s", pause.as_secs()),
                    true,
                );
                if wait(&intake, &stop, pause).await {
                    return;
                }
                pause = (pause * 2).min(MAX_PAUSE);
                continue;
            }
        };
        if report.stopped.is_some() {
            // The service says what is left once everything has stopped.
            return;
        }
        if let Some(reason) = report.halted {
            for pbx in &report.halted_pbxs {
                hub.pbx_link(pbx, false, Some(&reason));
            }
            if retry == Retry::WithNewWork {
                tokio::select! {
                    () = intake.wait() => continue,
                    _ = stopped(stop.clone()) => return,
                }
            }
            let queued = engine.journal().count_pending().unwrap_or(report.queued);
            hub.notice(
                &format!(
                    "{reason}; {} queued: trying again in {} s, or as soon as new commands or `queue retry` arrive",
                    Count(queued, "command"),
                    pause.as_secs()
                ),
                true,
            );
            // A `queue retry` during the drain took the wake-up with it: go at once.
            if !intake.take_rescan() && wait(&intake, &stop, pause).await {
                return;
            }
            pause = (pause * 2).min(MAX_PAUSE);
            continue;
        }
        pause = Duration::from_secs(1);
        if intake.take_rescan() {
            continue;
        }
        tokio::select! {
            () = intake.wait() => {}
            () = async { let _ = stopped(stop.clone()).await; } => return,
        }
    }
}

/// Waits `pause`, or less if work arrives; `true` if the service stops meanwhile.
async fn wait(intake: &Intake, stop: &watch::Receiver<Option<String>>, pause: Duration) -> bool {
    tokio::select! {
        () = tokio::time::sleep(pause) => false,
        () = intake.wait() => false,
        _ = stopped(stop.clone()) => true,
    }
}

/// Resolves with the reason once the service is asked to stop.
pub(crate) async fn stopped(mut stop: watch::Receiver<Option<String>>) -> String {
    loop {
        if let Some(reason) = stop.borrow_and_update().clone() {
            return reason;
        }
        if stop.changed().await.is_err() {
            return std::future::pending().await;
        }
    }
}
