//! The PBXs a command talks to: each configured PBX over its wire, behind one `Router`; or the
//! embedded simulator when the configuration has no `[pbx]` (started in-process, its rooms
//! kept in the state directory).

use std::sync::Arc;
use std::time::Duration;

use crate::cli::error::Error;
use crate::config::Config;
use crate::engine::{Driver as _, Engine};
use crate::pbx::AnyDriver;
use crate::pbx::mitel_pms::MitelPmsDriver;
use crate::pbx::mitel_pms::driver::PmsSettings;
use crate::pbx::mixml::MixmlDriver;
use crate::pbx::mixml::client::{self, Client};
use crate::pbx::mixml::lower::Settings;
use crate::pbx::router::Router;
use crate::sim::{self, Seed, Simulator};
use crate::support::output::errln;

/// The simulator's rooms are kept in this file of the state directory between runs.
pub(crate) const SIMULATOR_STATE: &str = "simulator.json";
const SIMULATOR_USER: &str = "hotelcare";

/// The engine of a command: the configured PBXs' wires behind a router.
pub(crate) type PbxEngine = Engine<Router>;

/// A connected target; keeps the embedded simulator alive while it lives.
pub(crate) struct Target {
    pub(crate) driver: Arc<Router>,
    pub(crate) simulator: Option<Simulator>,
}

impl Target {
    /// Sets up a client per PBX (or the simulator). Prints one line when the simulator is used.
    pub(crate) async fn connect(config: &Config) -> Result<Self, Error> {
        let mut drivers = Vec::with_capacity(config.pbxs.len());
        let mut simulator = None;
        for index in 0..config.pbxs.len() {
            let one = Self::connect_one(&config.view(index)).await?;
            drivers.push(one.driver);
            simulator = simulator.or(one.simulator);
        }
        Ok(Self {
            driver: Arc::new(Router::new(config, drivers)),
            simulator,
        })
    }

    /// One PBX: `config` is its view (`Config::view`).
    async fn connect_one(config: &Config) -> Result<One, Error> {
        if let Some(pbx) = &config.pbx
            && let Some(settings) = PmsSettings::from_config(config)
        {
            return Ok(One {
                driver: Arc::new(AnyDriver::MitelPms(MitelPmsDriver::new(
                    &pbx.server,
                    pbx.timeout,
                    settings,
                ))),
                simulator: None,
            });
        }
        if let Some(pbx) = &config.pbx {
            if pbx
                .server
                .trim()
                .to_ascii_lowercase()
                .starts_with("http://")
            {
                let warning = format!(
                    "warning: `allow_plain_http` is on: the MiXML password goes to {} unencrypted; use it only with `hotelcare sim --plain` on this machine",
                    pbx.server
                );
                tracing::warn!("{warning}");
                errln!("{warning}");
            }
            return Ok(One {
                driver: driver(Client::new(pbx)?, config),
                simulator: None,
            });
        }
        let seed = match &config.simulator_rooms {
            Some(path) => Seed::load(path)?,
            None => Seed::vendor_example(config.cor.block.get()),
        };
        crate::support::files::create_private_dir(&config.run.state_dir).map_err(|e| {
            format!(
                "cannot create the state directory `{}`: {e}",
                config.run.state_dir.display()
            )
        })?;
        // A password made up for this process only; nothing outside it needs to know it.
        let password = format!("{:032x}", fastrand::u128(..));
        let mut options = sim::Options::new(SIMULATOR_USER, &password);
        options.seed = seed;
        options.state_file = Some(config.run.state_dir.join(SIMULATOR_STATE));
        let simulator = Simulator::start(options)
            .await
            .map_err(|e| format!("cannot start the embedded simulator: {e}"))?;
        let rooms: Vec<String> = simulator.records().keys().cloned().collect();
        errln!(
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
        Ok(One {
            driver: driver(Client::new(&pbx)?, config),
            simulator: Some(simulator),
        })
    }

    /// Logs out and stops the simulator.
    pub(crate) async fn close(self) {
        self.driver.close().await;
        if let Some(simulator) = self.simulator {
            simulator.stop().await;
        }
    }
}

/// One PBX's wire (and the simulator behind it).
struct One {
    driver: Arc<AnyDriver>,
    simulator: Option<Simulator>,
}

fn driver(client: Client, config: &Config) -> Arc<AnyDriver> {
    Arc::new(AnyDriver::Mixml(MixmlDriver::new(
        Arc::new(client),
        Settings::from_config(config),
    )))
}
