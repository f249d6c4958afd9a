//! The wires to the PBX: one folder per interface, each a `Driver` of the engine: `mixml` (our
//! model of MiVB's provisioning interface, reads and DIDs included) and `mitel_pms` (the
//! documented Mitel PMS protocol: no reads, no DIDs). `AnyDriver` is the one a configuration
//! picks.

pub mod mitel_pms;
pub mod mixml;
pub mod router;

use crate::engine::{Capabilities, Done, Driver, Run, Stopped};
use crate::lang::validate::Command;
use crate::pbx::mitel_pms::MitelPmsDriver;
use crate::pbx::mixml::MixmlDriver;
use crate::pbx::mixml::client::Client;

/// The driver of a configured PBX, whichever its wire: one engine type for every wire, the
/// choice made once by the configuration (`[pbx] interface`).
pub enum AnyDriver {
    Mixml(MixmlDriver<Client>),
    MitelPms(MitelPmsDriver),
}

impl Driver for AnyDriver {
    fn target(&self) -> String {
        match self {
            Self::Mixml(driver) => driver.target(),
            Self::MitelPms(driver) => driver.target(),
        }
    }

    fn capabilities(&self) -> Capabilities {
        match self {
            Self::Mixml(driver) => driver.capabilities(),
            Self::MitelPms(driver) => driver.capabilities(),
        }
    }

    async fn execute(&self, run: &mut Run<'_>) -> Result<Done, Stopped> {
        match self {
            Self::Mixml(driver) => driver.execute(run).await,
            Self::MitelPms(driver) => driver.execute(run).await,
        }
    }

    fn plan(&self, origin: &str, command: &Command, raw: bool) -> String {
        match self {
            Self::Mixml(driver) => driver.plan(origin, command, raw),
            Self::MitelPms(driver) => driver.plan(origin, command, raw),
        }
    }

    async fn directory_numbers(&self) -> Vec<String> {
        match self {
            Self::Mixml(driver) => driver.directory_numbers().await,
            Self::MitelPms(driver) => driver.directory_numbers().await,
        }
    }

    async fn general_reset(
        &self,
        rooms: Vec<(String, crate::engine::RoomState)>,
    ) -> Result<String, String> {
        match self {
            Self::Mixml(driver) => driver.general_reset(rooms).await,
            Self::MitelPms(driver) => driver.general_reset(rooms).await,
        }
    }

    async fn close(&self) {
        match self {
            Self::Mixml(driver) => driver.close().await,
            Self::MitelPms(driver) => driver.close().await,
        }
    }

    fn attach(&self, journal: &crate::engine::Journal, notices: crate::engine::Notices) {
        match self {
            Self::Mixml(driver) => driver.attach(journal, notices),
            Self::MitelPms(driver) => driver.attach(journal, notices),
        }
    }
}
