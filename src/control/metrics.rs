//! `GET /metrics`: the service's counters in the Prometheus text format, through
//! `prometheus-client` (no hand-formatted text).

use std::sync::PoisonError;

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
    /// `pbx_reachable`'s gauge of each PBX, found by name without building its label set (a
    /// lookup per PBX request; issue 25). A gauge shares its value with the family's.
    reachable_by_name: std::sync::RwLock<Vec<(String, Gauge)>>,
    pub(crate) request_seconds: Histogram,
    /// The FIAS link, when there is one (`add_fias`).
    fias: Option<FiasMetrics>,
    /// SMDR records by outcome (from the link and `charges import`).
    smdr_records: Family<Vec<(String, String)>, Counter>,
    /// The SMDR links by PBX, when there is one (`add_smdr`).
    smdr_link_up: Option<Family<Vec<(String, String)>, Gauge>>,
    /// The PBXs whose SMDR link is down now.
    smdr_down: std::sync::Mutex<std::collections::BTreeSet<String>>,
    /// Postings of charged calls to the PMS by how they ended.
    postings: Family<Vec<(String, String)>, Counter>,
    /// Charged calls whose number no tariff matched (costed 0).
    pub(crate) calls_without_tariff: Counter,
}

/// What the FIAS link counts.
struct FiasMetrics {
    link_up: Gauge,
    /// By record type and outcome.
    records: Family<Vec<(String, String)>, Counter>,
    unmapped_class_of_service: Counter,
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
        let smdr_records = Family::<Vec<(String, String)>, Counter>::default();
        registry.register(
            "smdr_records",
            "SMDR call records by outcome (recorded, again, refused, cut_off, failed)",
            smdr_records.clone(),
        );
        let postings = Family::<Vec<(String, String)>, Counter>::default();
        registry.register(
            "postings",
            "Postings of charged calls to the PMS by how they ended (posted, refused, unknown)",
            postings.clone(),
        );
        let calls_without_tariff = Counter::default();
        registry.register(
            "calls_without_tariff",
            "Outgoing calls whose number no [[charges.tariff]] prefix matched (charged 0)",
            calls_without_tariff.clone(),
        );
        let metrics = Self {
            registry,
            postings,
            calls_without_tariff,
            smdr_records,
            smdr_link_up: None,
            smdr_down: std::sync::Mutex::default(),
            accepted,
            done,
            failed,
            queued,
            pending,
            pbx_reachable,
            reachable_by_name: std::sync::RwLock::default(),
            request_seconds,
            fias: None,
        };
        for pbx in pbxs {
            let _ = metrics.reachable(pbx, true);
        }
        metrics
    }

    /// Whether PBX `pbx` answers; `true` when it did not before and does now.
    pub(crate) fn reachable(&self, pbx: &str, up: bool) -> bool {
        let was = self.reachable_gauge(pbx).set(i64::from(up));
        up && was == 0
    }

    /// Whether PBX `pbx` answered last time it was asked (as `hotelcare_pbx_reachable` has it).
    pub(crate) fn is_reachable(&self, pbx: &str) -> bool {
        self.reachable_gauge(pbx).get() != 0
    }

    /// PBX `pbx`'s `pbx_reachable` gauge, made on first use.
    fn reachable_gauge(&self, pbx: &str) -> Gauge {
        let known = self
            .reachable_by_name
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .iter()
            .find(|(name, _)| name == pbx)
            .map(|(_, gauge)| gauge.clone());
        known.unwrap_or_else(|| {
            let gauge = self
                .pbx_reachable
                .get_or_create(&vec![("pbx".to_owned(), pbx.to_owned())])
                .clone();
            let mut known = self
                .reachable_by_name
                .write()
                .unwrap_or_else(PoisonError::into_inner);
            if !known.iter().any(|(name, _)| name == pbx) {
                known.push((pbx.to_owned(), gauge.clone()));
            }
            gauge
        })
    }

    /// Registers the FIAS link's metrics (a service with `[fias]`).
    pub(crate) fn add_fias(&mut self) {
        let metrics = FiasMetrics {
            link_up: Gauge::default(),
            records: Family::default(),
            unmapped_class_of_service: Counter::default(),
        };
        self.registry.register(
            "fias_link_up",
            "1 while the FIAS link to the PMS is up, else 0",
            metrics.link_up.clone(),
        );
        self.registry.register(
            "fias_records",
            "Records from the PMS by type and outcome (journaled, duplicate, refused, ignored, failed)",
            metrics.records.clone(),
        );
        self.registry.register(
            "fias_unmapped_class_of_service",
            "Check-ins and changes whose CS is not in [fias.class_of_service]",
            metrics.unmapped_class_of_service.clone(),
        );
        self.fias = Some(metrics);
    }

    /// The FIAS link is up (or not).
    pub(crate) fn fias_link_up(&self, up: bool) {
        if let Some(fias) = &self.fias {
            fias.link_up.set(i64::from(up));
        }
    }

    /// A record from the PMS of type `kind`, and what became of it.
    pub(crate) fn fias_record(&self, kind: &str, outcome: &str) {
        if let Some(fias) = &self.fias {
            fias.records
                .get_or_create(&vec![
                    ("type".to_owned(), kind.to_owned()),
                    ("outcome".to_owned(), outcome.to_owned()),
                ])
                .inc();
        }
    }

    /// Classes of service not mapped.
    pub(crate) fn fias_unmapped_class_of_service(&self, count: usize) {
        if let Some(fias) = &self.fias {
            fias.unmapped_class_of_service.inc_by(count as u64);
        }
    }

    /// Registers the SMDR links' state (a service with `[smdr]` or a PBX's `smdr`).
    pub(crate) fn add_smdr(&mut self) {
        let family = Family::<Vec<(String, String)>, Gauge>::default();
        self.registry.register(
            "smdr_link_up",
            "1 while the SMDR link to the PBX is up, else 0, per PBX",
            family.clone(),
        );
        self.smdr_link_up = Some(family);
    }

    /// The SMDR link of PBX `pbx` is up (or not).
    pub(crate) fn smdr_link_up(&self, pbx: &str, up: bool) {
        if let Some(family) = &self.smdr_link_up {
            family
                .get_or_create(&vec![("pbx".to_owned(), pbx.to_owned())])
                .set(i64::from(up));
        }
        let mut down = self
            .smdr_down
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if up {
            down.remove(pbx);
        } else {
            down.insert(pbx.to_owned());
        }
    }

    /// Whether an SMDR link is down (`false` without one).
    pub(crate) fn smdr_link_down(&self) -> bool {
        !self
            .smdr_down
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .is_empty()
    }

    /// A posting ended so.
    pub(crate) fn posting(&self, outcome: &str) {
        self.postings
            .get_or_create(&vec![("outcome".to_owned(), outcome.to_owned())])
            .inc();
    }

    /// An SMDR record, and what became of it.
    pub(crate) fn smdr_record(&self, outcome: &str) {
        self.smdr_records
            .get_or_create(&vec![("outcome".to_owned(), outcome.to_owned())])
            .inc();
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
        assert!(!text.contains("fias"), "no FIAS link, no FIAS metrics");
    }

    #[test]
    fn the_fias_link_is_counted() {
        let mut metrics = Metrics::new(&["main".to_owned()]);
        metrics.add_fias();
        metrics.fias_link_up(false);
        metrics.fias_record("GI", "refused");
        metrics.fias_record("GI", "refused");
        metrics.fias_unmapped_class_of_service(1);
        let text = metrics.render();
        assert!(text.contains("hotelcare_fias_link_up 0"), "{text}");
        assert!(
            text.contains("hotelcare_fias_records_total{type=\"GI\",outcome=\"refused\"} 2"),
            "{text}"
        );
        assert!(
            text.contains("hotelcare_fias_unmapped_class_of_service_total 1"),
            "{text}"
        );
    }
}
