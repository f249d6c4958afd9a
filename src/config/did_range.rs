//! `DidRange`: the DID service numbers hotelcare may hand out (`3000-3005`).

use std::fmt::{self, Display, Formatter};
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// An inclusive range of DID service numbers of one fixed width. MiVB stores DIDs as strings of up
/// to 26 characters, so numbers are compared as integers of the same width (`u128` holds 26
/// digits): `0300` is not `300`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct DidRange {
    first: u128,
    last: u128,
    width: usize,
}

/// The PBX's limit on a DID Service Number.
pub(crate) const MAX_DID_DIGITS: usize = 26;

impl DidRange {
    /// `Some(n)` when `did` is a number of the range's width inside it.
    pub(crate) fn contains(&self, did: &str) -> bool {
        did.len() == self.width
            && did.bytes().all(|b| b.is_ascii_digit())
            && did
                .parse::<u128>()
                .is_ok_and(|n| (self.first..=self.last).contains(&n))
    }

    /// The numbers of the range, lowest first, as the PBX stores them.
    pub(crate) fn numbers(&self) -> impl Iterator<Item = String> + '_ {
        (self.first..=self.last).map(|n| format!("{n:0width$}", width = self.width))
    }

    pub(crate) fn first(&self) -> String {
        format!("{:0width$}", self.first, width = self.width)
    }

    pub(crate) fn last(&self) -> String {
        format!("{:0width$}", self.last, width = self.width)
    }

    /// Whether the two ranges have a number in common.
    pub(crate) fn overlaps(&self, other: &Self) -> bool {
        self.width == other.width && self.first <= other.last && other.first <= self.last
    }

    pub(crate) fn len(&self) -> u128 {
        self.last - self.first + 1
    }
}

impl FromStr for DidRange {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let (first, last, width) = crate::config::digit_range::parse(
            text,
            &crate::config::digit_range::Words {
                not_a_number: "a number; write the range as `3000-3005`",
                max_digits: MAX_DID_DIGITS,
                limit: "the PBX's limit for a DID",
                one_width: "DIDs of a range have one width",
            },
        )?;
        Ok(Self { first, last, width })
    }
}

impl Display for DidRange {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        write!(f, "{}-{}", self.first(), self.last())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_contains() {
        let range: DidRange = "3000-3005".parse().unwrap();
        assert!(range.contains("3000"));
        assert!(range.contains("3005"));
        assert!(!range.contains("3006"));
        assert!(!range.contains("03000"));
        assert!(!range.contains("300"));
        assert_eq!(range.numbers().collect::<Vec<_>>().len(), 6);
        assert_eq!(range.to_string(), "3000-3005");
    }

    #[test]
    fn keeps_leading_zeros() {
        let range: DidRange = "0040-0042".parse().unwrap();
        assert_eq!(
            range.numbers().collect::<Vec<_>>(),
            ["0040", "0041", "0042"]
        );
        assert!(range.contains("0041"));
        assert!(!range.contains("41"));
    }

    #[test]
    fn refuses_bad_ranges() {
        assert!(
            "3005-3000"
                .parse::<DidRange>()
                .unwrap_err()
                .contains("backwards")
        );
        assert!(
            "300-3005"
                .parse::<DidRange>()
                .unwrap_err()
                .contains("width")
        );
        assert!(
            "abc"
                .parse::<DidRange>()
                .unwrap_err()
                .contains("not a number")
        );
        let long = format!("{0}-{0}", "1".repeat(27));
        assert!(long.parse::<DidRange>().unwrap_err().contains("26 digits"));
    }
}
