//! `Faults`: what the simulator does wrong on purpose, for tests and benchmarks. Set by
//! `hotelcare sim` flags, by `PUT /_sim/faults`, or in-process through `Simulator::set_faults`.

use std::time::Duration;

use serde::{Deserialize, Serialize};

/// All off by default. Rates are probabilities per MiXML request (0.0 to 1.0).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Faults {
    /// How long after a request its answer comes: the PBX's own work is part of it.
    pub latency_ms: u64,
    /// Answer `Busy` (HTTP 503) without carrying the request out.
    pub failure_rate: f64,
    /// Carry the request out, then cut the connection in the middle of the answer.
    pub drop_rate: f64,
    /// Never answer (the client's timeout must fire).
    pub hang_rate: f64,
    /// Close the listening socket: connections are refused until this is switched off.
    pub refuse_connections: bool,
    /// Refuse any update of these `(directory number, field element name)` with `ValueRefused`.
    pub refuse_values: Vec<(String, String)>,
    /// The simulated world besides the faults: its clock for wake-up calls, `YYYY-MM-DD HH:MM`
    /// (`None`: this machine's local time). Due wake-ups ring at the next request.
    pub clock: Option<String>,
    /// How each room's wake-up calls end: `(directory number, answered | no-answer | busy)`;
    /// a room not named answers.
    pub wakeup_answers: Vec<(String, String)>,
}

impl Faults {
    pub(crate) fn latency(&self) -> Duration {
        Duration::from_millis(self.latency_ms)
    }

    /// `Err` naming the rate that is not a probability (outside 0 to 1, or not a number), or
    /// rates that add up to more than 1.
    pub(crate) fn check(&self) -> Result<(), FaultsError> {
        for (name, rate) in [
            ("failure_rate", self.failure_rate),
            ("drop_rate", self.drop_rate),
            ("hang_rate", self.hang_rate),
        ] {
            check_rate(rate).map_err(|problem| FaultsError(format!("`{name}` {problem}")))?;
        }
        if self.failure_rate + self.drop_rate + self.hang_rate > 1.0 {
            return Err(FaultsError("the rates add up to more than 1".into()));
        }
        Ok(())
    }
}

/// Faults that make no sense (a rate outside 0 to 1).
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub(crate) struct FaultsError(String);

/// A rate that is not a probability.
#[derive(Clone, Copy, Debug, PartialEq, thiserror::Error)]
#[error("must be a share from 0 to 1, not {0}")]
pub(crate) struct NotAShare(f64);

/// A probability: a number from 0 to 1.
pub(crate) fn check_rate(rate: f64) -> Result<f64, NotAShare> {
    if (0.0..=1.0).contains(&rate) {
        Ok(rate)
    } else {
        Err(NotAShare(rate))
    }
}

/// What happens to one request, drawn from the rates.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Mishap {
    None,
    Fail,
    Drop,
    Hang,
}

impl Faults {
    /// Draws the fate of one request from `roll` (uniform in 0..1).
    pub(crate) fn mishap(&self, roll: f64) -> Mishap {
        if roll < self.failure_rate {
            Mishap::Fail
        } else if roll < self.failure_rate + self.drop_rate {
            Mishap::Drop
        } else if roll < self.failure_rate + self.drop_rate + self.hang_rate {
            Mishap::Hang
        } else {
            Mishap::None
        }
    }
}
