//! What `GET /v1/health` answers: `ok`, `degraded` (a link is down, still 200) or `failing`
//! (the journal cannot be written, answered 503).

use super::{LinkState, Local};

impl Local {
    /// `GET /v1/health`: `ok`, or what is not: a link that is down (`degraded`, still 200), or
    /// a journal that cannot be written (`failing`: `false`, answered 503).
    pub(crate) fn health(&self) -> (bool, String) {
        if let Some(fault) = self.engine.journal().fault() {
            return (
                false,
                format!(
                    "failing: the journal cannot be written since {} ({}); new commands are refused until it can",
                    crate::diagnostics::LocalTime(fault.since),
                    fault.error
                ),
            );
        }
        let degraded = match &self.fias {
            Some(fias) if fias.status.get().state == LinkState::Down => {
                "degraded: the FIAS link to the PMS is down (`hotelcare fias status`)"
            }
            _ if self.hub.metrics.smdr_link_down() => {
                "degraded: the SMDR link to the PBX is down (calls are not costed until it is back)"
            }
            _ => "ok",
        };
        (true, degraded.to_owned())
    }
}
