//! FIAS records (Fidelio Interface Application Specification 2.20): `STX` + a two-letter record
//! type + `|` + fields + `ETX`. A field is a two-letter id and its value up to the next `|`
//! (`RN101|`); fields come in any order, an id may repeat (`GS` after each room of a move), an
//! empty value is the bare id. Text is in the PMS's code page, never assumed to be UTF-8.

use encoding_rs::Encoding;

/// Start of a frame.
pub(crate) const STX: u8 = 0x02;
/// End of a frame.
pub(crate) const ETX: u8 = 0x03;

/// One record.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Record {
    /// `GI`, `GO`, `LS`, ...
    pub(crate) kind: String,
    pub(crate) fields: Vec<(String, String)>,
}

impl Record {
    pub(crate) fn new(kind: &str, fields: &[(&str, &str)]) -> Self {
        Self {
            kind: kind.to_owned(),
            fields: fields
                .iter()
                .map(|(id, value)| ((*id).to_owned(), (*value).to_owned()))
                .collect(),
        }
    }

    /// The first value of field `id`.
    pub(crate) fn get(&self, id: &str) -> Option<&str> {
        self.fields
            .iter()
            .find(|(field, _)| field == id)
            .map(|(_, value)| value.as_str())
    }

    /// Reads a frame's text (between `STX` and `ETX`), decoded from `encoding`. `None` for
    /// text that is no record (no two-letter type).
    pub(crate) fn parse(bytes: &[u8], encoding: &'static Encoding) -> Option<Self> {
        let (text, _, _) = encoding.decode(bytes);
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
        })
    }

    /// The frame: `STX kind|IDvalue|...|ETX`, encoded in `encoding`.
    pub(crate) fn frame(&self, encoding: &'static Encoding) -> Vec<u8> {
        let mut text = format!("{}|", self.kind);
        for (id, value) in &self.fields {
            text.push_str(id);
            text.push_str(value);
            text.push('|');
        }
        let (bytes, _, _) = encoding.encode(&text);
        let mut frame = Vec::with_capacity(bytes.len() + 2);
        frame.push(STX);
        frame.extend_from_slice(&bytes);
        frame.push(ETX);
        frame
    }

    /// As the log shows it (the frame's text without control bytes).
    pub(crate) fn shown(&self) -> String {
        let mut text = format!("{}|", self.kind);
        for (id, value) in &self.fields {
            text.push_str(id);
            text.push_str(value);
            text.push('|');
        }
        text
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const CP1252: &Encoding = encoding_rs::WINDOWS_1252;

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
        let gc = Record::parse(b"GC|RN1013|RO1012|G#1234567|GS|GS|", CP1252).unwrap();
        assert_eq!(gc.fields.iter().filter(|(id, _)| id == "GS").count(), 2);
        // Fields in any order; the code page decides the text.
        let latin = Record::parse(b"GI|GNM\xfcller|RN7|", CP1252).unwrap();
        assert_eq!(latin.get("GN"), Some("M\u{fc}ller"));
        assert_eq!(latin.get("RN"), Some("7"));
        assert!(Record::parse(b"garbage", CP1252).is_none());
        assert!(Record::parse(b"", CP1252).is_none());
    }

    #[test]
    fn frames_are_written_in_the_code_page() {
        let ld = Record::new("LD", &[("DA", "261126"), ("TI", "101500"), ("IF", "PB")]);
        assert_eq!(ld.frame(CP1252), b"\x02LD|DA261126|TI101500|IFPB|\x03");
        let name = Record::new("XX", &[("GN", "M\u{fc}ller")]);
        assert_eq!(name.frame(CP1252), b"\x02XX|GNM\xfcller|\x03");
    }
}
