//! The wires hotelcare speaks, one row each: the interface the configuration names, how to
//! connect to a PBX of it (or start its simulator) and how to plan a command on it without
//! connecting. Everything that needs a wire asks here; nothing outside a wire's folder and this
//! table names one.

use std::sync::Arc;

use crate::config::{Config, Interface, Site};
use crate::engine::{Pbxs, Planned, Wire, WireFuture};
use crate::lang::validate::Command;
use crate::sim::{SeedError, Simulator};

/// One wire.
pub(crate) struct WireKind {
    pub(crate) interface: Interface,
    /// Connects to the PBX `site` of `config` (which says where state is kept).
    pub(crate) connect:
        for<'a> fn(&'a Config, &'a Site) -> WireFuture<'a, Result<Connected, ConnectError>>,
    /// What a command would send to the PBX `site`, without connecting.
    pub(crate) plan: fn(&Site, &str, &Command, bool) -> Planned,
}

/// The wires, one row each.
const WIRES: [WireKind; 2] = [crate::pbx::mixml::WIRE, crate::pbx::mitel_pms::WIRE];

/// The row of `interface`.
pub(crate) fn kind(interface: Interface) -> &'static WireKind {
    WIRES
        .iter()
        .find(|kind| kind.interface == interface)
        .unwrap_or(&WIRES[0])
}

/// A PBX connected: its wire, the simulator started in its place (the embedded MiVB when the
/// configuration has no `[pbx]`), and what the user should be told about it.
pub(crate) struct Connected {
    pub(crate) wire: Arc<dyn Wire>,
    pub(crate) simulator: Option<Simulator>,
    pub(crate) notice: Option<String>,
}

/// Why a PBX cannot be connected to (before anything is sent).
#[derive(Debug, thiserror::Error)]
pub(crate) enum ConnectError {
    #[error(transparent)]
    Setup(#[from] crate::pbx::mixml::client::SetupError),
    #[error(transparent)]
    Seed(#[from] SeedError),
    #[error("cannot create the state directory `{dir}`: {error}")]
    StateDirectory { dir: String, error: std::io::Error },
    #[error("cannot start the embedded simulator: {0}")]
    Simulator(std::io::Error),
}

/// Every PBX of a configuration, connected.
pub(crate) struct Connection {
    pub(crate) pbxs: Arc<Pbxs>,
    /// Kept alive while the connection lives.
    pub(crate) simulator: Option<Simulator>,
    pub(crate) notices: Vec<String>,
}

impl Connection {
    /// Ends every session and stops the simulator.
    pub(crate) async fn close(self) {
        self.pbxs.close().await;
        if let Some(simulator) = self.simulator {
            simulator.stop().await;
        }
    }
}

/// Connects to every PBX of `config`, each over its wire.
pub(crate) async fn connect(config: &Config) -> Result<Connection, ConnectError> {
    let mut wires = Vec::with_capacity(config.pbxs.len());
    let mut simulator = None;
    let mut notices = Vec::new();
    for site in &config.pbxs {
        let connected = (kind(site.capabilities().interface).connect)(config, site).await?;
        wires.push(connected.wire);
        simulator = simulator.or(connected.simulator);
        notices.extend(connected.notice);
    }
    Ok(Connection {
        pbxs: Arc::new(Pbxs::new(config, wires)),
        simulator,
        notices,
    })
}

/// What `command` would send, on each PBX it goes to (the PBX's name with several), without
/// connecting.
pub(crate) fn plan(
    config: &Config,
    origin: &str,
    command: &Command,
    raw: bool,
) -> Vec<(Option<String>, Planned)> {
    let rooms = command.action.rooms();
    let owners: Vec<usize> = rooms
        .iter()
        .filter_map(|room| config.pbx_of(room))
        .collect();
    if let ([from, to], [from_room, to_room]) = (owners.as_slice(), rooms.as_slice())
        && from != to
    {
        return vec![(
            None,
            crate::engine::move_across_plan(
                origin,
                command,
                (from_room, to_room),
                (&config.pbxs[*from].name, &config.pbxs[*to].name),
            ),
        )];
    }
    let mut pbxs: Vec<usize> = if rooms.is_empty() {
        (0..config.pbxs.len()).collect()
    } else {
        owners
    };
    pbxs.dedup();
    let several = config.has_several_pbxs();
    pbxs.into_iter()
        .map(|index| {
            let site = &config.pbxs[index];
            let planned = (kind(site.capabilities().interface).plan)(site, origin, command, raw);
            (several.then(|| config.pbxs[index].name.clone()), planned)
        })
        .collect()
}
