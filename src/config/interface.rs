//! `[pbx] interface`: which wire a PBX is driven over, and what that wire can do. Validation
//! refuses a script that asks for something the target PBX's wire cannot do, before anything
//! is sent.

use std::fmt::{self, Display, Formatter};

/// A wire hotelcare speaks.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) enum Interface {
    /// hotelcare's model of MiVB's MiXML provisioning interface.
    #[default]
    Mixml,
    /// The documented Mitel hotel/motel PMS protocol (ENQ/ACK, STX...ETX frames over TCP).
    MitelPms,
}

/// What a wire can do: one flag per ability (independent facts, not a state machine).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[allow(clippy::struct_excessive_bools)]
pub(crate) struct Capabilities {
    pub(crate) interface: Interface,
    /// Personal DIDs (telephone number transfer).
    pub(crate) did: bool,
    /// The PBX's records can be read (`SHOW`, the checks before a move or a check-in).
    pub(crate) reads: bool,
    /// A guest's name can be replaced while checked in (`RENAME`).
    pub(crate) rename: bool,
    /// The message waiting lamp and do not disturb can be switched (`MW`, `DND`).
    pub(crate) flags: bool,
    /// Wake-up calls can be booked and cleared (`WAKEUP`).
    pub(crate) wakeup: bool,
    /// The PBX reports how each wake-up call ended.
    pub(crate) wakeup_results: bool,
}

impl Interface {
    /// Every interface, for messages.
    pub(crate) const ALL: [Interface; 2] = [Interface::Mixml, Interface::MitelPms];

    /// As the configuration writes it.
    pub(crate) fn name(self) -> &'static str {
        match self {
            Self::Mixml => "mixml",
            Self::MitelPms => "mitel-pms",
        }
    }

    pub(crate) fn capabilities(self) -> Capabilities {
        match self {
            Self::Mixml => Capabilities {
                interface: self,
                did: true,
                reads: true,
                rename: true,
                // Unknown in our MiXML model until a capture of a real MiVB shows them.
                flags: false,
                // MiVB's hotel wake-up, in our model (`docs/mixml.md`), with its report.
                wakeup: true,
                wakeup_results: true,
            },
            Self::MitelPms => Capabilities {
                interface: self,
                did: false,
                reads: false,
                // Only with `[mitel_pms] nam_replace` (see `Site::capabilities`).
                rename: true,
                flags: true,
                // `WKP` (`[mitel_pms] wakeup_code`); the protocol carries no result.
                wakeup: true,
                wakeup_results: false,
            },
        }
    }

    pub(crate) fn parse(name: &str) -> Option<Self> {
        Self::ALL
            .into_iter()
            .find(|i| i.name().eq_ignore_ascii_case(name.trim()))
    }
}

impl Display for Interface {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}
