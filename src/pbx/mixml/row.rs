//! The MiXML wire's row of the registry: connecting to a MiVB over HTTPS, or, when the
//! configuration has no `[pbx]`, starting the embedded MiVB simulator (its rooms kept in the
//! state directory) and connecting to that; and planning without connecting.

use std::sync::Arc;
use std::time::Duration;

use crate::config::{Config, Interface, Site};
use crate::engine::WireFuture;
use crate::pbx::mixml::MixmlDriver;
use crate::pbx::mixml::client::{self, Client};
use crate::pbx::mixml::lower::Settings;
use crate::pbx::registry::{ConnectError, Connected, WireKind};
use crate::sim::{self, Seed, Simulator};

/// The simulator's rooms are kept in this file of the state directory between runs.
pub(crate) const SIMULATOR_STATE: &str = "simulator.json";
const SIMULATOR_USER: &str = "hotelcare";

pub(crate) const WIRE: WireKind = WireKind {
    interface: Interface::Mixml,
    connect,
    plan: |site, origin, command, raw| {
        crate::pbx::mixml::driver::plan(&Settings::of(site), origin, command, raw)
    },
};

fn connect<'a>(
    config: &'a Config,
    site: &'a Site,
) -> WireFuture<'a, Result<Connected, ConnectError>> {
    Box::pin(async move {
        match &site.pbx {
            Some(pbx) => {
                let notice = pbx
                    .server
                    .trim()
                    .to_ascii_lowercase()
                    .starts_with("http://")
                    .then(|| {
                        format!(
                            "warning: `allow_plain_http` is on: the MiXML password goes to {} unencrypted; use it only with `hotelcare sim --plain` on this machine",
                            pbx.server
                        )
                    });
                Ok(Connected {
                    wire: wire(Client::new(pbx)?, site, pbx.wakeup_report),
                    simulator: None,
                    notice,
                })
            }
            None => embedded(config, site).await,
        }
    })
}

fn wire(client: Client, site: &Site, report: Duration) -> Arc<MixmlDriver<Client>> {
    Arc::new(MixmlDriver::new(Arc::new(client), Settings::of(site)).reporting_every(report))
}

/// The embedded MiVB simulator, with the rooms of `[run] simulator_rooms` (or the vendor's
/// example) and their state kept in the state directory.
async fn embedded(config: &Config, site: &Site) -> Result<Connected, ConnectError> {
    let seed = match &config.simulator_rooms {
        Some(path) => Seed::load(path)?,
        None => Seed::vendor_example(site.cor.block.get()),
    };
    crate::support::files::create_private_dir(&config.run.state_dir).map_err(|error| {
        ConnectError::StateDirectory {
            dir: config.run.state_dir.display().to_string(),
            error,
        }
    })?;
    // A password made up for this process only; nothing outside it needs to know it.
    let password = format!("{:032x}", fastrand::u128(..));
    let mut options = sim::Options::new(SIMULATOR_USER, &password);
    options.seed = seed;
    options.state_file = Some(config.run.state_dir.join(SIMULATOR_STATE));
    // Nobody but hotelcare talks to it: no test API for any local user to set faults with.
    options.test_api = false;
    let simulator = Simulator::start(options)
        .await
        .map_err(ConnectError::Simulator)?;
    let rooms: Vec<String> = simulator.records().keys().cloned().collect();
    let notice = format!(
        "no [pbx] configured: using the embedded MiVB simulator at {} (rooms {}; state kept in {})",
        simulator.url(),
        rooms.join(", "),
        config.run.state_dir.join(SIMULATOR_STATE).display()
    );
    let pbx = client::simulator_pbx(
        simulator.url(),
        SIMULATOR_USER,
        &password,
        simulator.fingerprint(),
        Duration::from_secs(10),
    );
    Ok(Connected {
        wire: wire(Client::new(&pbx)?, site, pbx.wakeup_report),
        simulator: Some(simulator),
        notice: Some(notice),
    })
}
