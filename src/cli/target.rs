//! The PBXs a command talks to: each configured PBX over its wire (`pbx::registry`), or the
//! embedded simulator when the configuration has no `[pbx]`. Prints what the registry says
//! about them (the simulator in use, plain HTTP).

use std::sync::Arc;

use crate::cli::error::Error;
use crate::config::Config;
use crate::engine::Pbxs;
use crate::pbx::registry::{self, Connection};
use crate::sim::Simulator;
use crate::support::output::errln;

/// A connected target; keeps the embedded simulator alive while it lives.
pub(crate) struct Target {
    pub(crate) pbxs: Arc<Pbxs>,
    connection: Connection,
}

impl Target {
    /// Connects to every PBX of `config` (or starts the simulator), saying so where it matters.
    pub(crate) async fn connect(config: &Config) -> Result<Self, Error> {
        let connection = registry::connect(config).await?;
        for notice in &connection.notices {
            if notice.starts_with("warning:") {
                tracing::warn!("{notice}");
            }
            errln!("{notice}");
        }
        Ok(Self {
            pbxs: Arc::clone(&connection.pbxs),
            connection,
        })
    }

    /// The simulator started for this target, taken out to outlive it (`serve`).
    pub(crate) fn take_simulator(&mut self) -> Option<Simulator> {
        self.connection.simulator.take()
    }
}
