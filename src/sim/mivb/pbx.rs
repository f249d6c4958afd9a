//! `Pbx`: the simulated MiVB's state and rules: users, sessions, records, DID uniqueness.

use std::collections::{BTreeMap, HashMap};
use std::time::{Duration, Instant};

use serde::Serialize;

use crate::pbx::mixml::wire::names;
use crate::sim::mivb::faults::Faults;
use crate::sim::mivb::record::Record;
use crate::sim::mivb::request::{Envelope, SimRequest};
use crate::sim::mivb::response::{SimFault, SimResponse};
use crate::sim::mivb::rules;
use crate::sim::mivb::seed::Seed;

/// What the simulator says it is ("Test access").
pub(crate) const PRODUCT: &str = "Mitel MiVoice Business (hotelcare simulator)";
pub(crate) const VERSION: &str = "10.1 SP1 (simulated)";

/// Request counts, for tests and benchmarks.
#[derive(Clone, Debug, Default, Serialize, PartialEq, Eq)]
pub struct Stats {
    pub requests: u64,
    pub logins: u64,
    pub updates: u64,
    pub reads: u64,
    pub faults: u64,
    /// Requests hit by an injected fault (failure, drop, hang).
    pub injected: u64,
}

pub(crate) struct Pbx {
    pub(crate) records: BTreeMap<String, Record>,
    user: String,
    password: String,
    sessions: HashMap<String, Instant>,
    session_ttl: Duration,
    pub(crate) stats: Stats,
    rng: fastrand::Rng,
    /// Wake-ups that have rung: `(directory number, YYYY-MM-DD HH:MM, status)`, the latest
    /// `RESULTS_KEPT`.
    pub(crate) wakeup_results: Vec<(String, String, String)>,
}

/// How many wake-up results the PBX keeps for its report.
const RESULTS_KEPT: usize = 100;

impl Pbx {
    pub(crate) fn new(seed: &Seed, user: &str, password: &str, session_ttl: Duration) -> Self {
        Self {
            records: seed
                .rooms
                .iter()
                .map(|room| {
                    (
                        room.extension.clone(),
                        Record::vacant(&room.label, room.cor),
                    )
                })
                .collect(),
            user: user.to_owned(),
            password: password.to_owned(),
            sessions: HashMap::new(),
            session_ttl,
            stats: Stats::default(),
            rng: fastrand::Rng::new(),
            wakeup_results: Vec::new(),
        }
    }

    /// Rings every wake-up due at `now` (`YYYY-MM-DD HH:MM`, the same shape as the booked
    /// times, so that they compare as text): it leaves the room's list, and how it ended (as
    /// `answers` says for the room, else answered) goes into the report.
    pub(crate) fn ring(&mut self, now: &str, answers: &[(String, String)]) {
        for (dn, record) in &mut self.records {
            if record.wakeup_times.is_empty() {
                continue;
            }
            let times: Vec<String> = record
                .wakeup_times
                .split(',')
                .map(|t| t.trim().to_owned())
                .collect();
            let (due, later): (Vec<String>, Vec<String>) =
                times.into_iter().partition(|time| time.as_str() <= now);
            if due.is_empty() {
                continue;
            }
            record.wakeup_times = later.join(", ");
            let status = answers
                .iter()
                .find(|(room, _)| room == dn)
                .map_or(names::ANSWERED, |(_, status)| status.as_str());
            for time in due {
                self.wakeup_results
                    .push((dn.clone(), time, status.to_owned()));
            }
        }
        let excess = self.wakeup_results.len().saturating_sub(RESULTS_KEPT);
        self.wakeup_results.drain(..excess);
    }

    pub(crate) fn expire_sessions(&mut self) {
        self.sessions.clear();
    }

    /// Carries out one request. `true` in the second value when records changed.
    pub(crate) fn handle(
        &mut self,
        envelope: Envelope,
        faults: &Faults,
        now: Instant,
    ) -> (SimResponse, bool) {
        self.stats.requests += 1;
        let clock = faults.clock.clone().unwrap_or_else(|| {
            chrono::Local::now()
                .naive_local()
                .format("%Y-%m-%d %H:%M")
                .to_string()
        });
        self.ring(&clock, &faults.wakeup_answers);
        let result = self.dispatch(envelope, faults, now);
        if let (SimResponse::Fault(_), _) = &result {
            self.stats.faults += 1;
        }
        result
    }

    fn dispatch(
        &mut self,
        envelope: Envelope,
        faults: &Faults,
        now: Instant,
    ) -> (SimResponse, bool) {
        if let SimRequest::Login { user, password } = &envelope.request {
            self.stats.logins += 1;
            if *user != self.user || *password != self.password {
                return (
                    fault(
                        names::AUTHENTICATION_FAILED,
                        "login refused: unknown user or wrong password",
                    ),
                    false,
                );
            }
            let session = format!("{:032x}", self.rng.u128(..));
            self.sessions.insert(session.clone(), now);
            return (SimResponse::LoggedIn { session }, false);
        }
        let ttl = self.session_ttl;
        let valid = envelope
            .session
            .as_ref()
            .and_then(|s| self.sessions.get_mut(s))
            .filter(|last| now.duration_since(**last) < ttl);
        match valid {
            Some(last) => *last = now,
            None => {
                return (
                    fault(names::SESSION_INVALID, "no valid session: log in first"),
                    false,
                );
            }
        }
        match envelope.request {
            SimRequest::Login { .. } => unreachable!("handled above"),
            SimRequest::Logout => {
                if let Some(session) = &envelope.session {
                    self.sessions.remove(session);
                }
                (SimResponse::LoggedOut, false)
            }
            SimRequest::SystemInfo => (
                SimResponse::SystemInfo {
                    product: PRODUCT.into(),
                    version: VERSION.into(),
                },
                false,
            ),
            SimRequest::Read { dn, form, fields } => {
                self.stats.reads += 1;
                (self.read(dn, form, &fields), false)
            }
            SimRequest::Update { dn, form, values } => {
                self.stats.updates += 1;
                match self.update(&dn, &form, &values, faults) {
                    Ok(()) => (SimResponse::Updated, true),
                    Err(fault) => (SimResponse::Fault(fault), false),
                }
            }
            SimRequest::FindDids { from, to } => (self.find_dids(&from, &to), false),
            SimRequest::ListDirectoryNumbers => (
                SimResponse::DirectoryNumbers(self.records.keys().cloned().collect()),
                false,
            ),
            SimRequest::ListWakeupResults => (
                SimResponse::WakeupResults(self.wakeup_results.clone()),
                false,
            ),
        }
    }

    fn read(&self, dn: String, form: String, fields: &[String]) -> SimResponse {
        let Some(record) = self.records.get(&dn) else {
            return SimResponse::Fault(unknown(&dn));
        };
        let mut values = Vec::with_capacity(fields.len());
        for field in fields {
            match record.get(&form, field) {
                Some(value) => values.push((field.clone(), value)),
                None => {
                    return fault(
                        names::MALFORMED_REQUEST,
                        format!("form {form} has no field {field}"),
                    );
                }
            }
        }
        SimResponse::Fields { dn, form, values }
    }

    /// All or nothing: every value is checked before any is stored.
    fn update(
        &mut self,
        dn: &str,
        form: &str,
        values: &[(String, String)],
        faults: &Faults,
    ) -> Result<(), SimFault> {
        if !self.records.contains_key(dn) {
            return Err(unknown(dn));
        }
        for (field, value) in values {
            let refused = |message: String| SimFault {
                dn: Some(dn.to_owned()),
                field: Some(field.clone()),
                ..SimFault::new(names::VALUE_REFUSED, message)
            };
            if !rules::form_has(form, field) {
                return Err(SimFault {
                    field: Some(field.clone()),
                    ..SimFault::new(
                        names::MALFORMED_REQUEST,
                        format!("form {form} has no field {field}"),
                    )
                });
            }
            rules::check(field, value).map_err(|violation| refused(violation.to_string()))?;
            if faults
                .refuse_values
                .iter()
                .any(|(d, f)| d == dn && f == field)
            {
                return Err(refused(format!(
                    "{field} of {dn} cannot be changed now (refused by the PBX)"
                )));
            }
            if field == names::DID_SERVICE_NUMBER
                && !value.is_empty()
                && let Some((owner, _)) = self
                    .records
                    .iter()
                    .find(|(other, r)| other.as_str() != dn && r.did_service_number == *value)
            {
                return Err(SimFault {
                    dn: Some(dn.to_owned()),
                    field: Some(field.clone()),
                    owner: Some(owner.clone()),
                    ..SimFault::new(
                        names::DID_IN_USE,
                        format!(
                            "DID Service Number {value} is already used by directory number {owner}"
                        ),
                    )
                });
            }
        }
        let record = self.records.get_mut(dn).expect("checked above");
        for (field, value) in values {
            record.set(field, value);
        }
        // A check-out (the room shows its label again) clears its wake-ups, as MiVB does.
        if form == names::SERVICE_PROFILE && record.directory_name == record.service_label {
            record.wakeup_times.clear();
        }
        Ok(())
    }

    fn find_dids(&self, from: &str, to: &str) -> SimResponse {
        let in_range = |did: &str| did.len() == from.len() && did >= from && did <= to;
        SimResponse::Dids(
            self.records
                .iter()
                .filter(|(_, r)| in_range(&r.did_service_number))
                .map(|(dn, r)| (r.did_service_number.clone(), dn.clone()))
                .collect(),
        )
    }
}

fn fault(code: &'static str, message: impl Into<String>) -> SimResponse {
    SimResponse::Fault(SimFault::new(code, message))
}

fn unknown(dn: &str) -> SimFault {
    SimFault {
        dn: Some(dn.to_owned()),
        ..SimFault::new(
            names::UNKNOWN_DIRECTORY_NUMBER,
            format!("directory number {dn} does not exist"),
        )
    }
}
