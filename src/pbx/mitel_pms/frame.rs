//! The records of the Mitel PMS protocol, as the PMS side sends them, and their framing
//! (`../shared/spec/mitel-pms-protocol.md` §2, §3): `STX text ETX`, ASCII, no checksum.
//!
//! - `CHK`/`RST`/`MW␠`/`DND` + one status digit + a blank + the extension, blank-padded to the
//!   field width (5 by default: a 10-byte record; left-padded, never zero-padded);
//! - `NAM` + operation digit + a blank + the name, left-justified in 21 characters + the
//!   extension (31 bytes); `AREYUTHERE`, `GRS`, `END`.

use std::fmt::Write as _;

/// Start of text.
pub(crate) const STX: u8 = 0x02;
/// End of text.
pub(crate) const ETX: u8 = 0x03;
/// Enquiry: "may I send?".
pub(crate) const ENQ: u8 = 0x05;
/// Acknowledgement.
pub(crate) const ACK: u8 = 0x06;
/// Negative acknowledgement.
pub(crate) const NAK: u8 = 0x15;

/// The name field: at most 21 characters with a comma, 20 without.
pub(crate) const NAME_WIDTH: usize = crate::pbx::mitel_pms::rules::NAME_WIDTH;

/// One record hotelcare sends.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Record {
    CheckIn(String),
    CheckOut(String),
    /// A restriction level 0-5.
    Restriction(u8, String),
    /// In a dry run only: the level a move carries from room `.0` (known when it runs).
    RestrictionOf(String, String),
    /// A NAM operation digit, the name (ASCII, fitted), the extension.
    Name(u8, String, String),
    MessageWaiting(bool, String),
    DoNotDisturb(bool, String),
    /// A wake-up at `hhmm` (`None`: the room's cleared), with the record's three letters.
    Wakeup([u8; 3], Option<String>, String),
    AreYouThere,
    /// The start of a general reset.
    GeneralReset,
    /// The end of a general reset.
    End,
}

impl Record {
    /// The record's text (between STX and ETX); the extension blank-padded on the left to
    /// `width`.
    pub(crate) fn text(&self, width: usize) -> String {
        let ext = |room: &str| format!("{room:>width$}");
        let flag = |on: bool| if on { '1' } else { '0' };
        match self {
            Self::CheckIn(room) => format!("CHK1 {}", ext(room)),
            Self::CheckOut(room) => format!("CHK0 {}", ext(room)),
            Self::Restriction(level, room) => format!("RST{level} {}", ext(room)),
            Self::RestrictionOf(from, room) => format!("RST<level of {from}> {}", ext(room)),
            Self::Name(op, name, room) => format!("NAM{op} {name:<NAME_WIDTH$}{}", ext(room)),
            Self::MessageWaiting(on, room) => format!("MW {} {}", flag(*on), ext(room)),
            Self::DoNotDisturb(on, room) => format!("DND{} {}", flag(*on), ext(room)),
            Self::Wakeup(code, hhmm, room) => format!(
                "{}{}{}",
                String::from_utf8_lossy(code),
                hhmm.as_deref().unwrap_or("    "),
                ext(room)
            ),
            Self::AreYouThere => "AREYUTHERE".to_owned(),
            Self::GeneralReset => "GRS".to_owned(),
            Self::End => "END".to_owned(),
        }
    }

    /// The whole frame: `STX text ETX`.
    pub(crate) fn frame(&self, width: usize) -> Vec<u8> {
        let mut bytes = Vec::with_capacity(40);
        bytes.push(STX);
        bytes.extend_from_slice(self.text(width).as_bytes());
        bytes.push(ETX);
        bytes
    }

    /// The operation as the monitor shows it.
    pub(crate) fn describe(&self) -> String {
        match self {
            Self::CheckIn(_) => "check in (CHK1)".to_owned(),
            Self::CheckOut(_) => "check out (CHK0)".to_owned(),
            Self::Restriction(level, _) => format!("restriction level {level} (RST{level})"),
            Self::RestrictionOf(from, _) => format!("the restriction level of room {from} (RST)"),
            Self::Name(op, name, _) => format!("name {} (NAM{op})", name.trim_end()),
            Self::MessageWaiting(on, _) => format!("message waiting {}", on_off(*on)),
            Self::DoNotDisturb(on, _) => format!("do not disturb {}", on_off(*on)),
            Self::Wakeup(code, Some(hhmm), _) => format!(
                "wake-up at {}:{} ({})",
                hhmm.get(..2).unwrap_or(""),
                hhmm.get(2..).unwrap_or(""),
                String::from_utf8_lossy(code)
            ),
            Self::Wakeup(code, None, _) => {
                format!("wake-ups cleared ({})", String::from_utf8_lossy(code))
            }
            Self::AreYouThere => "are you there (AREYUTHERE)".to_owned(),
            Self::GeneralReset => "general reset (GRS)".to_owned(),
            Self::End => "end of the general reset (END)".to_owned(),
        }
    }
}

fn on_off(on: bool) -> &'static str {
    if on { "on" } else { "off" }
}

/// Bytes as people read them: control characters named (`<STX>CHK1   100<ETX>`).
pub(crate) fn visible(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len() + 10);
    for &byte in bytes {
        match byte {
            STX => out.push_str("<STX>"),
            ETX => out.push_str("<ETX>"),
            ENQ => out.push_str("<ENQ>"),
            ACK => out.push_str("<ACK>"),
            NAK => out.push_str("<NAK>"),
            0x20..=0x7e => out.push(char::from(byte)),
            other => {
                let _ = write!(out, "<{other:02X}>");
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hex(bytes: &[u8]) -> String {
        bytes
            .iter()
            .map(|b| format!("{b:02X}"))
            .collect::<Vec<_>>()
            .join(" ")
    }

    /// The spec's §6 test vectors, byte for byte.
    #[test]
    fn frames_are_the_specs_test_vectors() {
        // 1. Check-in ext 100 (3CX's example `2CHK1   1003`).
        assert_eq!(
            hex(&Record::CheckIn("100".into()).frame(5)),
            "02 43 48 4B 31 20 20 20 31 30 30 03"
        );
        // 2. DND on ext 302.
        assert_eq!(
            hex(&Record::DoNotDisturb(true, "302".into()).frame(5)),
            "02 44 4E 44 31 20 20 20 33 30 32 03"
        );
        // 3. Name, as Mitel's PMS Tester sent it: room 101, "TEST,GUEST", 31 bytes of text.
        let name = Record::Name(1, "TEST,GUEST".into(), "101".into());
        assert_eq!(
            hex(&name.frame(5)).to_ascii_lowercase(),
            "02 4e 41 4d 31 20 54 45 53 54 2c 47 55 45 53 54 20 20 20 20 20 20 20 20 20 20 20 20 20 31 30 31 03"
        );
        assert_eq!(name.text(5).len(), 31);
        // 4. Message waiting on ext 2129.
        assert_eq!(
            hex(&Record::MessageWaiting(true, "2129".into()).frame(5)),
            "02 4D 57 20 31 20 20 32 31 32 39 03"
        );
    }

    #[test]
    fn records_have_their_exact_text_at_the_default_width_and_wider() {
        for (record, five, seven) in [
            (Record::CheckIn("1000".into()), "CHK1  1000", "CHK1    1000"),
            (
                Record::CheckOut("1000".into()),
                "CHK0  1000",
                "CHK0    1000",
            ),
            (
                Record::Restriction(2, "1000".into()),
                "RST2  1000",
                "RST2    1000",
            ),
            (
                Record::MessageWaiting(false, "1000".into()),
                "MW 0  1000",
                "MW 0    1000",
            ),
            (
                Record::DoNotDisturb(true, "1000".into()),
                "DND1  1000",
                "DND1    1000",
            ),
            (
                Record::Wakeup(*b"WKP", Some("0700".into()), "1000".into()),
                "WKP0700 1000",
                "WKP0700   1000",
            ),
            (
                Record::Wakeup(*b"WKP", None, "1000".into()),
                "WKP     1000",
                "WKP       1000",
            ),
        ] {
            assert_eq!(record.text(5), five, "{record:?}");
            assert_eq!(record.text(7), seven, "{record:?}");
        }
        assert_eq!(Record::CheckOut("1000".into()).text(5), "CHK0  1000");
        assert_eq!(Record::Restriction(0, "42".into()).text(6), "RST0     42");
        assert_eq!(
            visible(&Record::CheckIn("100".into()).frame(5)),
            "<STX>CHK1   100<ETX>"
        );
    }
}
