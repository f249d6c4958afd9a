//! `Codepage`: the text encoding of a PMS link (`[fias] codepage`). PMSs are set to the
//! Windows and ISO code pages (`windows-1252`, `iso-8859-2`: `encoding_rs`, by their WHATWG
//! labels) or to the DOS code pages many OPERA installations and the open-source PMS modules
//! still use (`cp850`, `cp437`, ...: `oem_cp`'s tables).

use std::borrow::Cow;
use std::fmt::{self, Display, Formatter};

use encoding_rs::Encoding;
use oem_cp::code_table::{DECODING_TABLE_CP_MAP, ENCODING_TABLE_CP_MAP};
use oem_cp::code_table_type::TableType;

/// A PMS's code page.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Codepage {
    /// An encoding of the WHATWG Encoding Standard.
    Web(&'static Encoding),
    /// A DOS ("OEM") code page, by its number.
    Dos(u16),
}

impl Default for Codepage {
    fn default() -> Self {
        Self::Web(encoding_rs::WINDOWS_1252)
    }
}

impl Codepage {
    /// A code page by name: a WHATWG label (`windows-1252`, `latin1`, `iso-8859-2`, `cp1252`) or
    /// a DOS code page as `cp850`, `CP850`, `ibm850`, `oem850` or `850`.
    pub(crate) fn from_label(label: &str) -> Option<Self> {
        let label = label.trim();
        let lower = label.to_ascii_lowercase();
        let number = ["cp", "ibm", "oem", "dos"]
            .iter()
            .find_map(|prefix| lower.strip_prefix(prefix))
            .map_or(lower.as_str(), |rest| rest.trim_start_matches(['-', '_']));
        match number.parse::<u16>() {
            // The Windows Thai page, which encoding_rs has (as `windows-874`).
            Ok(874) => return Some(Self::Web(encoding_rs::WINDOWS_874)),
            Ok(number)
                if DECODING_TABLE_CP_MAP.contains_key(&number)
                    && ENCODING_TABLE_CP_MAP.contains_key(&number) =>
            {
                return Some(Self::Dos(number));
            }
            _ => {}
        }
        Encoding::for_label(label.as_bytes()).map(Self::Web)
    }

    /// Decodes `bytes`; `true` if some bytes were not text of this code page (each became
    /// U+FFFD).
    pub(crate) fn decode(self, bytes: &[u8]) -> (Cow<'_, str>, bool) {
        match self {
            Self::Web(encoding) => {
                let (text, _, errors) = encoding.decode(bytes);
                (text, errors)
            }
            Self::Dos(number) => {
                if bytes.is_ascii() {
                    // ASCII is ASCII in every DOS code page: no copy.
                    return (
                        Cow::Borrowed(std::str::from_utf8(bytes).unwrap_or_default()),
                        false,
                    );
                }
                match DECODING_TABLE_CP_MAP.get(&number) {
                    Some(TableType::Complete(table)) => (
                        Cow::Owned(oem_cp::decode_string_complete_table(bytes, table)),
                        false,
                    ),
                    Some(TableType::Incomplete(table)) => {
                        match oem_cp::decode_string_incomplete_table_checked(bytes, table) {
                            Some(text) => (Cow::Owned(text), false),
                            None => (
                                Cow::Owned(oem_cp::decode_string_incomplete_table_lossy(
                                    bytes, table,
                                )),
                                true,
                            ),
                        }
                    }
                    None => (String::from_utf8_lossy(bytes), true),
                }
            }
        }
    }

    /// Encodes `text`; a character the code page lacks becomes `?`.
    pub(crate) fn encode(self, text: &str) -> Cow<'_, [u8]> {
        match self {
            Self::Web(encoding) => {
                let (bytes, _, _) = encoding.encode(text);
                bytes
            }
            Self::Dos(_) if text.is_ascii() => Cow::Borrowed(text.as_bytes()),
            Self::Dos(number) => match ENCODING_TABLE_CP_MAP.get(&number) {
                Some(table) => Cow::Owned(oem_cp::encode_string_lossy(text, table)),
                None => Cow::Owned(
                    text.chars()
                        .map(|c| u8::try_from(c).ok().filter(u8::is_ascii).unwrap_or(b'?'))
                        .collect(),
                ),
            },
        }
    }
}

impl Display for Codepage {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        match self {
            Self::Web(encoding) => f.write_str(&encoding.name().to_ascii_lowercase()),
            Self::Dos(number) => write!(f, "cp{number}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dos_code_pages_go_by_every_usual_name() {
        for label in [
            "cp850", "CP850", "ibm850", "IBM850", "850", " cp850 ", "oem850",
        ] {
            assert_eq!(
                Codepage::from_label(label),
                Some(Codepage::Dos(850)),
                "{label}"
            );
        }
        for label in ["cp437", "437", "ibm437"] {
            assert_eq!(
                Codepage::from_label(label),
                Some(Codepage::Dos(437)),
                "{label}"
            );
        }
        assert_eq!(
            Codepage::from_label("cp1252"),
            Some(Codepage::Web(encoding_rs::WINDOWS_1252))
        );
        assert_eq!(
            Codepage::from_label("ISO-8859-2"),
            Some(Codepage::Web(encoding_rs::ISO_8859_2))
        );
        assert_eq!(
            Codepage::from_label("cp874"),
            Some(Codepage::Web(encoding_rs::WINDOWS_874))
        );
        assert_eq!(Codepage::from_label("klingon"), None);
        assert_eq!(Codepage::from_label("cp999"), None);
        assert_eq!(Codepage::Dos(850).to_string(), "cp850");
    }

    #[test]
    fn umlauts_in_the_dos_code_pages() {
        // "Müller Jörg Straße" in CP850 and CP437 (ü 0x81, ö 0x94, ß 0xE1 in both).
        let bytes = b"M\x81ller J\x94rg Stra\xe1e";
        for page in [Codepage::Dos(850), Codepage::Dos(437)] {
            let (text, errors) = page.decode(bytes);
            assert_eq!(text, "Müller Jörg Straße");
            assert!(!errors);
            assert_eq!(page.encode(&text).as_ref(), bytes);
        }
        // Where the two differ: 0x9B is ø in CP850, ¢ in CP437.
        assert_eq!(Codepage::Dos(850).decode(b"\x9b").0, "ø");
        assert_eq!(Codepage::Dos(437).decode(b"\x9b").0, "¢");
        assert_eq!(Codepage::Dos(437).encode("日本").as_ref(), b"??");
    }

    #[test]
    fn bytes_that_are_not_text_are_told() {
        let (text, errors) = Codepage::Web(encoding_rs::UTF_8).decode(b"a\xffb");
        assert_eq!((text.as_ref(), errors), ("a\u{fffd}b", true));
        assert!(!Codepage::default().decode(b"M\xfcller").1);
    }
}
