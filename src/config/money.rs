//! `Money`: an amount in the hotel's minor units (cents with `[charges] decimals = 2`), exact —
//! never a floating-point number. Written and read as a decimal number with at most `decimals`
//! places (`4.1`, `4.10`, `"0.30"`), printed with exactly `decimals` places.

use serde::{Deserialize, Serialize};

/// The most places after the decimal point a currency has in practice (and `[charges]
/// decimals` allows).
pub(crate) const MAX_DECIMALS: u32 = 4;

/// An amount in minor units.
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize,
)]
#[serde(transparent)]
pub(crate) struct Money(pub(crate) i64);

/// Why a text is not an amount.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub(crate) enum MoneyError {
    #[error("`{0}` is not an amount; write a number such as 50 or 0.30")]
    NotANumber(String),
    #[error("`{text}` has more than {decimals} places after the decimal point")]
    TooPrecise { text: String, decimals: u32 },
    #[error("`{0}` is too large an amount")]
    TooLarge(String),
    #[error("`{0}` is negative; an amount is 0 or more")]
    Negative(String),
}

impl Money {
    pub(crate) const ZERO: Self = Self(0);

    /// `text` (`50`, `0.3`, `4.10`) in minor units of `decimals` places.
    pub(crate) fn parse(text: &str, decimals: u32) -> Result<Self, MoneyError> {
        let trimmed = text.trim();
        if trimmed.starts_with('-') {
            return Err(MoneyError::Negative(trimmed.to_owned()));
        }
        let (whole, fraction) = trimmed.split_once('.').unwrap_or((trimmed, ""));
        let digits = |part: &str| part.bytes().all(|b| b.is_ascii_digit());
        if whole.is_empty() || !digits(whole) || !digits(fraction) || trimmed.ends_with('.') {
            return Err(MoneyError::NotANumber(trimmed.to_owned()));
        }
        // Trailing zeros carry no precision: 4.100 is 4.10.
        let fraction = fraction.trim_end_matches('0');
        let places = u32::try_from(fraction.len()).unwrap_or(u32::MAX);
        if places > decimals {
            return Err(MoneyError::TooPrecise {
                text: trimmed.to_owned(),
                decimals,
            });
        }
        let too_large = || MoneyError::TooLarge(trimmed.to_owned());
        let whole: i64 = whole.parse().map_err(|_| too_large())?;
        let fraction: i64 = if fraction.is_empty() {
            0
        } else {
            fraction.parse().map_err(|_| too_large())?
        };
        whole
            .checked_mul(10_i64.pow(decimals))
            .and_then(|minor| minor.checked_add(fraction * 10_i64.pow(decimals - places)))
            .map(Self)
            .ok_or_else(too_large)
    }

    /// `4.10` with `decimals = 2`; the minor units as they are with `decimals = 0`.
    pub(crate) fn show(self, decimals: u32) -> String {
        if decimals == 0 {
            return self.0.to_string();
        }
        let unit = 10_i64.pow(decimals);
        let sign = if self.0 < 0 { "-" } else { "" };
        let magnitude = self.0.unsigned_abs();
        let unit = unit.unsigned_abs();
        format!(
            "{sign}{}.{:0width$}",
            magnitude / unit,
            magnitude % unit,
            width = decimals as usize
        )
    }

    /// The sum, saturating: a ledger never wraps around.
    #[must_use]
    pub(crate) fn plus(self, other: Self) -> Self {
        Self(self.0.saturating_add(other.0))
    }
}

/// An amount as `hotelcare.toml` may write it: `limit = 50`, `setup = 0.10`, `per_minute =
/// "0.30"`. A TOML float is read by its shortest decimal form, so `0.1` is exactly 0.1.
#[derive(Clone, Debug, Deserialize)]
#[serde(untagged)]
pub(crate) enum AmountText {
    Whole(i64),
    Float(f64),
    Text(String),
}

impl AmountText {
    /// The amount in minor units of `decimals` places.
    pub(crate) fn money(&self, decimals: u32) -> Result<Money, MoneyError> {
        match self {
            Self::Whole(n) => Money::parse(&n.to_string(), decimals),
            Self::Float(x) if x.is_finite() => Money::parse(&x.to_string(), decimals),
            Self::Float(x) => Err(MoneyError::NotANumber(x.to_string())),
            Self::Text(text) => Money::parse(text, decimals),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn amounts_are_exact_in_minor_units() {
        assert_eq!(Money::parse("50", 2), Ok(Money(5000)));
        assert_eq!(Money::parse("0.3", 2), Ok(Money(30)));
        assert_eq!(Money::parse("4.10", 2), Ok(Money(410)));
        assert_eq!(Money::parse("4.100", 2), Ok(Money(410)));
        assert_eq!(Money::parse("7", 0), Ok(Money(7)));
        assert_eq!(Money::parse("1.005", 3), Ok(Money(1005)));
        assert!(matches!(
            Money::parse("0.305", 2),
            Err(MoneyError::TooPrecise { .. })
        ));
        for bad in ["", ".5", "5.", "1e3", "1,50", "abc", "1.2.3"] {
            assert!(
                matches!(Money::parse(bad, 2), Err(MoneyError::NotANumber(_))),
                "{bad}"
            );
        }
        assert!(matches!(
            Money::parse("-1", 2),
            Err(MoneyError::Negative(_))
        ));
        assert!(matches!(
            Money::parse("99999999999999999999", 2),
            Err(MoneyError::TooLarge(_))
        ));
    }

    #[test]
    fn amounts_print_with_exactly_the_places_of_the_currency() {
        assert_eq!(Money(410).show(2), "4.10");
        assert_eq!(Money(5).show(2), "0.05");
        assert_eq!(Money(5).show(0), "5");
        assert_eq!(Money(-150).show(2), "-1.50");
        assert_eq!(Money(12345).show(3), "12.345");
    }

    #[test]
    fn toml_numbers_and_strings_alike() {
        #[derive(Deserialize)]
        struct T {
            a: AmountText,
            b: AmountText,
            c: AmountText,
        }
        let t: T = toml::from_str("a = 50\nb = 0.10\nc = \"0.30\"").unwrap();
        assert_eq!(t.a.money(2), Ok(Money(5000)));
        assert_eq!(t.b.money(2), Ok(Money(10)));
        assert_eq!(t.c.money(2), Ok(Money(30)));
    }
}
