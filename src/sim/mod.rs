//! The simulators hotelcare is tested against, each on its own, sharing nothing with the code
//! they test: the MiVB (`mivb`: hotelcare's MiXML model over HTTPS), the PBX side of the Mitel
//! PMS protocol (`mitel_pms`) and a hotel PMS speaking FIAS (`fias_pms`).

pub mod fias_pms;
pub mod mitel_pms;
mod mivb;
pub mod smdr;

pub(crate) use mivb::{FaultsError, Identity, NotAShare, SeedError, check_rate};
pub use {
    crate::support::serving::Timeouts,
    mivb::{Options, Simulator, faults::Faults, pbx::Stats, record::Record, seed::Seed},
};
