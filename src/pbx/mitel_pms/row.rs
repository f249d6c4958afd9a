//! The Mitel PMS wire's row of the registry: connecting (the link is made on the first record)
//! and planning without connecting.

use std::sync::Arc;

use crate::config::Interface;
use crate::pbx::mitel_pms::MitelPmsDriver;
use crate::pbx::mitel_pms::driver::{PmsSettings, plan_command};
use crate::pbx::registry::{Connected, WireKind};

pub(crate) const WIRE: WireKind = WireKind {
    interface: Interface::MitelPms,
    connect: |_, site| {
        Box::pin(async move {
            let settings = PmsSettings::of(site);
            let server = site.pbx.as_ref().map_or("", |pbx| pbx.server.as_str());
            let timeout = site
                .pbx
                .as_ref()
                .map_or(std::time::Duration::from_secs(5), |pbx| pbx.timeout);
            Ok(Connected {
                wire: Arc::new(MitelPmsDriver::new(server, timeout, settings)),
                simulator: None,
                notice: None,
            })
        })
    },
    plan: |site, origin, command, raw| plan_command(&PmsSettings::of(site), origin, command, raw),
};
