//! `GET /metrics`: the service's counters in the Prometheus text format, through
//! `prometheus-client` (no hand-formatted text).

use prometheus_client::encoding::text::encode;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::Histogram;
use prometheus_client::registry::Registry;

/// What the service counts.
pub(crate) struct Metrics {
    registry: Registry,
    pub(crate) accepted: Counter,
    pub(crate) done: Counter,
    pub(crate) failed: Counter,
    pub(crate) queued: Counter,
    pub(crate) pending: Gauge,
    /// By PBX (`pbx="east"`; `main` for a single one).
    pbx_reachable: Family<Vec<(String, String)>, Gauge>,
    pub(crate) request_seconds: Histogram,
}

impl Metrics {
    /// `pbxs`: the names of the PBXs, each reachable until it is found not to be.
    pub(crate) fn new(pbxs: &[String]) -> Self {
        let mut registry = Registry::with_prefix("hotelcare");
        let accepted = Counter::default();
        let done = Counter::default();
        let failed = Counter::default();
        let queued = Counter::default();
        let pending = Gauge::default();
        let pbx_reachable = Family::<Vec<(String, String)>, Gauge>::default();
        // 1 ms to about 16 s.
        let request_seconds = Histogram::new(
            prometheus_client::metrics::histogram::exponential_buckets(0.001, 2.0, 15),
        );
        registry.register(
            "commands_accepted",
            "Commands journaled (from scripts, the spool and the API)",
            accepted.clone(),
        );
        registry.register("commands_done", "Commands the PBX confirmed", done.clone());
        registry.register(
            "commands_failed",
            "Commands the PBX refused (kept as failed in the journal)",
            failed.clone(),
        );
        registry.register(
            "commands_queued",
            "Times a command was left queued (PBX unreachable, service stopping)",
            queued.clone(),
        );
        registry.register(
            "commands_pending",
            "Commands in the journal not yet confirmed (pending or failed)",
            pending.clone(),
        );
        registry.register(
            "pbx_reachable",
            "1 while the PBX answers, 0 after it could not be reached, per PBX",
            pbx_reachable.clone(),
        );
        registry.register(
            "pbx_request_duration_seconds",
            "Time from a request to the PBX to its answer",
            request_seconds.clone(),
        );
        let metrics = Self {
            registry,
            accepted,
            done,
            failed,
            queued,
            pending,
            pbx_reachable,
            request_seconds,
        };
        for pbx in pbxs {
            let _ = metrics.reachable(pbx, true);
        }
        metrics
    }

    /// Whether PBX `pbx` answers; `true` when it did not before and does now.
    pub(crate) fn reachable(&self, pbx: &str, up: bool) -> bool {
        let gauge = self
            .pbx_reachable
            .get_or_create(&vec![("pbx".to_owned(), pbx.to_owned())]);
        let was = gauge.set(i64::from(up));
        up && was == 0
    }

    /// The text exposition.
    pub(crate) fn render(&self) -> String {
        let mut out = String::new();
        // Writing into a String cannot fail; an encoder error would leave a partial answer.
        let _ = encode(&mut out, &self.registry);
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counters_and_the_histogram_are_exposed() {
        let metrics = Metrics::new(&["east".to_owned(), "west".to_owned()]);
        assert!(!metrics.reachable("west", false));
        assert!(metrics.reachable("west", true), "back");
        assert!(!metrics.reachable("west", true), "still");
        let _ = metrics.reachable("west", false);
        metrics.accepted.inc_by(3);
        metrics.request_seconds.observe(0.02);
        let text = metrics.render();
        assert!(
            text.contains("hotelcare_commands_accepted_total 3"),
            "{text}"
        );
        assert!(
            text.contains("hotelcare_pbx_request_duration_seconds_count 1"),
            "{text}"
        );
        assert!(
            text.contains("hotelcare_pbx_reachable{pbx=\"east\"} 1"),
            "{text}"
        );
        assert!(
            text.contains("hotelcare_pbx_reachable{pbx=\"west\"} 0"),
            "{text}"
        );
    }
}
