//! FIAS records (Oracle Hospitality IFC8 FIAS 2.20): `STX` + a two-letter record type + `|` +
//! fields + `ETX`. A field is a two-letter id and its value up to the next `|` (`RN101|`);
//! fields come in any order, an id may repeat (`GS` after each room of a move), an empty value
//! is the bare id. Text is in the PMS's code page, never assumed to be UTF-8.

use crate::config::Codepage;

/// Start of a frame.
pub(crate) const STX: u8 = 0x02;
/// End of a frame.
pub(crate) const ETX: u8 = 0x03;

/// The longest frame taken; a longer one is dropped whole (a damaged stream). FIAS's own
/// maximum is 2,000 bytes.
pub(crate) const MAX_FRAME: usize = 64 * 1024;

/// Splits a byte stream into frames: the bytes between an `STX` and the next `ETX`. Bytes
/// outside a frame are noise; an `STX` inside a frame starts it again (the one before was cut
/// off); a frame longer than `MAX_FRAME` is dropped whole.
#[derive(Debug, Default)]
pub(crate) struct Frames {
    open: Option<Vec<u8>>,
}

/// What a byte of the stream made.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Framed {
    Frame(Vec<u8>),
    /// A frame over `MAX_FRAME` was dropped.
    TooLong,
}

impl Frames {
    /// Takes `bytes`; each complete frame (or drop) goes to `out`.
    pub(crate) fn push(&mut self, bytes: &[u8], out: &mut impl FnMut(Framed)) {
        for &byte in bytes {
            match (byte, self.open.as_mut()) {
                (STX, _) => self.open = Some(Vec::new()),
                (ETX, Some(_)) => out(Framed::Frame(self.open.take().unwrap_or_default())),
                (_, Some(open)) if open.len() < MAX_FRAME => open.push(byte),
                (_, Some(_)) => {
                    self.open = None;
                    out(Framed::TooLong);
                }
                (_, None) => {}
            }
        }
    }
}

/// Fields that hold a guest's name: shortened wherever a record is shown (the log, the monitor).
const NAME_FIELDS: [&str; 3] = ["GN", "GF", "GT"];
/// Values longer than this are cut where a record is shown.
const SHOWN_VALUE: usize = 40;

/// One record.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Record {
    /// `GI`, `GO`, `LS`, ...
    pub(crate) kind: String,
    pub(crate) fields: Vec<(String, String)>,
    /// Some bytes were not text of the code page (each became U+FFFD).
    pub(crate) undecodable: bool,
}

impl Record {
    pub(crate) fn new(kind: &str, fields: &[(&str, &str)]) -> Self {
        Self {
            kind: kind.to_owned(),
            fields: fields
                .iter()
                .map(|(id, value)| ((*id).to_owned(), (*value).to_owned()))
                .collect(),
            undecodable: false,
        }
    }

    /// The first value of field `id`.
    pub(crate) fn get(&self, id: &str) -> Option<&str> {
        self.fields
            .iter()
            .find(|(field, _)| field == id)
            .map(|(_, value)| value.as_str())
    }

    /// The first value of field `id`, trimmed, if it is not empty.
    pub(crate) fn value(&self, id: &str) -> Option<&str> {
        self.get(id).map(str::trim).filter(|v| !v.is_empty())
    }

    /// Reads a frame's text (between `STX` and `ETX`), decoded from `codepage`. `None` for text
    /// that is no record (no two-letter type).
    pub(crate) fn parse(bytes: &[u8], codepage: Codepage) -> Option<Self> {
        let (text, undecodable) = codepage.decode(bytes);
        let mut parts = text.split('|');
        let kind = parts.next()?.trim();
        if kind.len() != 2
            || !kind
                .bytes()
                .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit())
        {
            return None;
        }
        let fields = parts
            .filter(|part| part.len() >= 2 && part.is_char_boundary(2))
            .map(|part| (part[..2].to_owned(), part[2..].to_owned()))
            .collect();
        Some(Self {
            kind: kind.to_owned(),
            fields,
            undecodable,
        })
    }

    /// The record as text: `kind|IDvalue|...|`.
    pub(crate) fn text(&self) -> String {
        let mut text = format!("{}|", self.kind);
        for (id, value) in &self.fields {
            text.push_str(id);
            text.push_str(value);
            text.push('|');
        }
        text
    }

    /// The frame: `STX kind|IDvalue|...|ETX`, encoded in `codepage`.
    pub(crate) fn frame(&self, codepage: Codepage) -> Vec<u8> {
        let text = self.text();
        let bytes = codepage.encode(&text);
        let mut frame = Vec::with_capacity(bytes.len() + 2);
        frame.push(STX);
        frame.extend_from_slice(&bytes);
        frame.push(ETX);
        frame
    }

    /// As the log and the monitor show it: one line whatever the record holds (control and
    /// bidirectional characters escaped, long values cut), names shortened to their initial.
    pub(crate) fn shown(&self) -> String {
        let mut text = String::new();
        push_shown(&mut text, &self.kind, SHOWN_VALUE);
        text.push('|');
        for (id, value) in &self.fields {
            push_shown(&mut text, id, SHOWN_VALUE);
            if NAME_FIELDS.contains(&id.as_str()) && !value.is_empty() {
                push_shown(&mut text, value, 1);
            } else {
                push_shown(&mut text, value, SHOWN_VALUE);
            }
            text.push('|');
        }
        text
    }
}

/// See `support::shown::push`.
pub(crate) use crate::support::shown::push as push_shown;

#[cfg(test)]
mod tests {
    use super::*;

    const CP1252: Codepage = Codepage::Web(encoding_rs::WINDOWS_1252);

    /// Records as the FIAS 2.20 specification writes them.
    #[test]
    fn records_of_the_specification_are_read() {
        let gi =
            Record::parse(b"GI|RN1012|G#1234567|GNSmith|GFJohn|GTMr.|CS2|GS|", CP1252).unwrap();
        assert_eq!(gi.kind, "GI");
        assert_eq!(gi.get("RN"), Some("1012"));
        assert_eq!(gi.get("G#"), Some("1234567"));
        assert_eq!(gi.get("GN"), Some("Smith"));
        assert_eq!(gi.get("GS"), Some(""), "an empty value is the bare id");
        assert_eq!(gi.value("GS"), None);
        let gc = Record::parse(b"GC|RN1013|RO1012|G#1234567|GS|GS|", CP1252).unwrap();
        assert_eq!(gc.fields.iter().filter(|(id, _)| id == "GS").count(), 2);
        // Fields in any order; the code page decides the text.
        let latin = Record::parse(b"GI|GNM\xfcller|RN7|", CP1252).unwrap();
        assert_eq!(latin.get("GN"), Some("M\u{fc}ller"));
        assert_eq!(latin.get("RN"), Some("7"));
        assert!(!latin.undecodable);
        assert!(Record::parse(b"garbage", CP1252).is_none());
        assert!(Record::parse(b"", CP1252).is_none());
        let utf8 = Record::parse(b"GI|GNM\xfcller|", Codepage::Web(encoding_rs::UTF_8)).unwrap();
        assert!(utf8.undecodable);
    }

    #[test]
    fn frames_are_written_in_the_code_page() {
        let ld = Record::new("LD", &[("DA", "261126"), ("TI", "101500"), ("IF", "PB")]);
        assert_eq!(ld.frame(CP1252), b"\x02LD|DA261126|TI101500|IFPB|\x03");
        let name = Record::new("XX", &[("GN", "M\u{fc}ller")]);
        assert_eq!(name.frame(CP1252), b"\x02XX|GNM\xfcller|\x03");
        assert_eq!(name.frame(Codepage::Dos(850)), b"\x02XX|GNM\x81ller|\x03");
    }

    proptest::proptest! {
        /// Any bytes, in any chunks: frames are what lies between an STX and the next ETX,
        /// never longer than the limit, and nothing panics.
        #[test]
        fn frames_are_what_lies_between_stx_and_etx(
            bytes in proptest::collection::vec(
                proptest::prop_oneof![
                    proptest::strategy::Just(STX),
                    proptest::strategy::Just(ETX),
                    proptest::num::u8::ANY
                ],
                0..2000
            ),
            cut in 1usize..64,
        ) {
            let mut frames = Frames::default();
            let mut got = Vec::new();
            for chunk in bytes.chunks(cut) {
                frames.push(chunk, &mut |framed| got.push(framed));
            }
            // The same, by the definition.
            let mut expected = Vec::new();
            let mut open: Option<Vec<u8>> = None;
            for &byte in &bytes {
                match byte {
                    STX => open = Some(Vec::new()),
                    ETX => {
                        if let Some(frame) = open.take() {
                            expected.push(Framed::Frame(frame));
                        }
                    }
                    _ => {
                        if let Some(frame) = open.as_mut() {
                            frame.push(byte);
                        }
                    }
                }
            }
            proptest::prop_assert_eq!(got, expected);
        }

        /// Any bytes as a record: read in any code page without a panic, shown on one line.
        #[test]
        fn any_record_reads_and_shows_on_one_line(
            bytes in proptest::collection::vec(proptest::num::u8::ANY, 0..300),
            dos in proptest::bool::ANY,
        ) {
            let codepage = if dos { Codepage::Dos(850) } else { CP1252 };
            if let Some(record) = Record::parse(&bytes, codepage) {
                let shown = record.shown();
                proptest::prop_assert!(!shown.chars().any(char::is_control), "{}", shown);
            }
        }
    }

    #[test]
    fn a_record_is_shown_on_one_line_with_names_shortened() {
        let record = Record::new(
            "GI",
            &[
                ("RN", "1000\n2026-12-02 INFO forged"),
                ("G#", "\u{202e}evil"),
                ("GN", "Müller"),
                ("GF", ""),
                ("XX", &"A".repeat(200)),
            ],
        );
        assert_eq!(
            record.shown(),
            format!(
                "GI|RN1000\\u{{a}}2026-12-02 INFO forged|G#\\u{{202e}}evil|GNM…|GF|XX{}…|",
                "A".repeat(40)
            )
        );
    }
}
