//! `Cor`: a Class of Restriction number, 1 to 96 on MiVB.

use std::fmt::{self, Display, Formatter};

use serde::{Deserialize, Serialize};

/// A Class of Restriction number. MiVB has up to 96 CORs, numbered from 1.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub(crate) struct Cor(u8);

impl Cor {
    pub(crate) const MAX: u8 = 96;

    /// `None` outside 1..=96.
    pub(crate) fn new(number: i64) -> Option<Self> {
        u8::try_from(number)
            .ok()
            .filter(|n| (1..=Self::MAX).contains(n))
            .map(Self)
    }

    /// The highest restriction level of the Mitel PMS interface (RST 0-5).
    pub(crate) const MAX_RST: u8 = 5;

    /// On the Mitel PMS interface a level stands for an RST status digit, 0 to 5 (`None`
    /// outside): the PBX's Hotel Options form maps each to a COR.
    pub(crate) fn restriction_level(level: i64) -> Option<Self> {
        u8::try_from(level)
            .ok()
            .filter(|n| *n <= Self::MAX_RST)
            .map(Self)
    }

    pub(crate) fn get(self) -> u8 {
        self.0
    }
}

impl Display for Cor {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_one_to_ninety_six() {
        assert_eq!(Cor::new(0), None);
        assert_eq!(Cor::new(1).map(Cor::get), Some(1));
        assert_eq!(Cor::new(96).map(Cor::get), Some(96));
        assert_eq!(Cor::new(97), None);
        assert_eq!(Cor::new(-1), None);
    }
}
