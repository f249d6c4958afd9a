//! `hotelcare serve` (and `watch DIR`, its shorthand with a spool): start the service (see
//! `service`) on the configured PBX or the embedded simulator, until Ctrl-C or SIGTERM.

use std::path::PathBuf;
use std::time::Duration;

use crate::cli::arguments::SpoolArguments;
use crate::cli::error::Error;
use crate::cli::execution::{block_on_threads, connect, usage};
use crate::cli::exit::Exit;
use crate::cli::signals::stop_requested;
use crate::config::Config;
use crate::service::{self, SpoolOptions};
use crate::support::logs::{self, Retention};

/// How long the commands in flight get to finish when the service is stopped.
const GRACE: Duration = Duration::from_secs(10);

pub(crate) fn serve(config: &Config, spool: Option<PathBuf>, arguments: &SpoolArguments) -> Exit {
    logs::init(
        &config.run.log_dir,
        Retention::Service {
            files: config.run.log_files,
            bytes: config.run.log_bytes,
        },
    );
    let spool = spool
        .or_else(|| config.spool.clone())
        .map(|dir| SpoolOptions {
            dir,
            create: arguments.create,
            interval: Duration::from_millis(arguments.interval_ms),
            settle: Duration::from_millis(arguments.settle_ms),
        });
    block_on_threads(async {
        let prepared = service::prepare(config, spool)
            .await
            .map_err(|e| usage(Error::Other(e.to_string())))?;
        let mut target = connect(config).await?;
        let simulator = target.take_simulator();
        let result = service::run(
            config,
            prepared,
            std::sync::Arc::clone(&target.pbxs),
            GRACE,
            arguments.monitor,
            stop_requested(),
        )
        .await;
        if let Some(simulator) = simulator {
            simulator.stop().await;
        }
        // The service compacted its journal as it stopped (finished commands' guest names).
        result.map_err(|e| usage(Error::Other(e.to_string())))?;
        Ok(Exit::Done)
    })
}
