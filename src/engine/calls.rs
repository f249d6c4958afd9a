//! `Call`: a call as hotelcare charges it, whichever input reported it (the PBX's SMDR today),
//! and `rate`: what it costs by the tariff. Amounts are exact minor units (`config::Money`).

use chrono::NaiveDateTime;
use serde::{Deserialize, Serialize};

use crate::config::{Money, Tariff};

/// What kind of call a record is; only `Outgoing` is charged.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub(crate) enum CallKind {
    /// An outgoing trunk call the called party answered.
    Outgoing,
    /// An outgoing trunk call not answered (busy, toll-denied, ...).
    Unanswered,
    /// From one station to another.
    Internal,
    /// From a trunk to a station.
    Incoming,
}

/// One call.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct Call {
    /// The PBX that reported it.
    pub(crate) pbx: String,
    /// The room (station) the call is of: the caller, or the called station of an incoming
    /// call; `None` when no station took part (trunk to trunk, an attendant alone).
    pub(crate) room: Option<String>,
    /// The start, in the PBX's local time.
    pub(crate) start: NaiveDateTime,
    pub(crate) duration_secs: u32,
    /// The digits dialled (personal data: whom the guest called).
    pub(crate) number: String,
    pub(crate) kind: CallKind,
}

/// What a call costs.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct Rated {
    /// The tariff that matched; `None`: none did (the call costs 0 and is reported).
    pub(crate) tariff: Option<String>,
    pub(crate) amount: Money,
}

/// The cost of a call to `number` lasting `duration_secs` by `tariffs`: the longest matching
/// prefix wins; amount = `setup + per_minute × increments × increment_secs ÷ 60`, the duration
/// in whole increments rounded up, the amount rounded half up to the minor unit.
pub(crate) fn rate(tariffs: &[Tariff], number: &str, duration_secs: u32) -> Rated {
    let Some(tariff) = tariffs
        .iter()
        .filter(|tariff| number.starts_with(tariff.prefix.as_str()))
        .max_by_key(|tariff| tariff.prefix.len())
    else {
        return Rated {
            tariff: None,
            amount: Money::ZERO,
        };
    };
    let increment = u64::from(tariff.increment_secs.max(1));
    let increments = u64::from(duration_secs).div_ceil(increment);
    // In minor units × 60: exact; halves round up.
    let sixtieths = i128::from(tariff.per_minute.0) * i128::from(increments * increment);
    let per_time = (sixtieths + 30) / 60;
    let amount = i128::from(tariff.setup.0) + per_time;
    Rated {
        tariff: Some(tariff.name.clone()),
        amount: Money(i64::try_from(amount).unwrap_or(i64::MAX)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tariff(
        name: &str,
        prefix: &str,
        setup: i64,
        per_minute: i64,
        increment_secs: u32,
    ) -> Tariff {
        Tariff {
            name: name.into(),
            prefix: prefix.into(),
            setup: Money(setup),
            per_minute: Money(per_minute),
            increment_secs,
        }
    }

    #[test]
    fn the_longest_prefix_wins_and_increments_round_up() {
        let tariffs = [
            tariff("National", "0", 10, 30, 60),
            tariff("International", "00", 20, 120, 60),
            tariff("Germany", "0049", 20, 60, 30),
        ];
        // 2 min 1 s: three whole minutes at 0.30 + 0.10 setup.
        assert_eq!(rate(&tariffs, "0612345", 121).amount, Money(100));
        assert_eq!(
            rate(&tariffs, "0612345", 121).tariff.as_deref(),
            Some("National")
        );
        // 61 s in 30 s increments: 90 s at 0.60 a minute = 0.90, + 0.20.
        assert_eq!(rate(&tariffs, "00493012345", 61).amount, Money(110));
        assert_eq!(rate(&tariffs, "0033123", 60).amount, Money(140));
        // An answered call of no time costs its setup.
        assert_eq!(rate(&tariffs, "0612345", 0).amount, Money(10));
        // No tariff: 0, and no name.
        assert_eq!(
            rate(&tariffs, "112", 300),
            Rated {
                tariff: None,
                amount: Money::ZERO
            }
        );
        assert_eq!(rate(&[], "0612345", 300).amount, Money::ZERO);
    }

    #[test]
    fn halves_round_up_to_the_minor_unit() {
        // 0.25 a minute in 6 s increments: 6 s cost 2.5 cents -> 3.
        let tariffs = [tariff("Local", "", 0, 25, 6)];
        assert_eq!(rate(&tariffs, "5551234", 6).amount, Money(3));
        // 12 s: exactly 5.
        assert_eq!(rate(&tariffs, "5551234", 12).amount, Money(5));
        // 99:59:59 at 1.00 a minute, whole minutes: 6000 minutes.
        let tariffs = [tariff("Long", "", 0, 100, 60)];
        assert_eq!(
            rate(&tariffs, "1", 99 * 3600 + 59 * 60 + 59).amount,
            Money(600_000)
        );
    }
}
