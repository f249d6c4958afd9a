//! `ScriptEncoding`: the text encoding of script files (`[run] script_encoding`, `--encoding`).
//! Middleware on Windows often writes ANSI (windows-1252) files; UTF-8 stays the default.

use std::fmt::{self, Display, Formatter};
use std::str::FromStr;

use encoding_rs::Encoding;

/// UTF-8 (checked strictly: a byte that is not UTF-8 is an error naming the line), or an
/// explicit encoding by its WHATWG label (`windows-1252`, `latin1`, `utf-16le`, ...). A byte
/// order mark always wins: a UTF-8 or UTF-16 file with a BOM is read as what the BOM says.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct ScriptEncoding(Option<&'static Encoding>);

impl ScriptEncoding {
    /// `None` for UTF-8 (strict), else the encoding to decode from.
    pub(crate) fn encoding(self) -> Option<&'static Encoding> {
        self.0
    }
}

impl FromStr for ScriptEncoding {
    type Err = String;

    fn from_str(label: &str) -> Result<Self, Self::Err> {
        match Encoding::for_label(label.trim().as_bytes()) {
            Some(encoding) if encoding == encoding_rs::UTF_8 => Ok(Self(None)),
            Some(encoding) => Ok(Self(Some(encoding))),
            None => Err(format!(
                "`{label}` is not a text encoding hotelcare knows; use `utf-8` or a Windows code page such as `windows-1252`"
            )),
        }
    }
}

impl Display for ScriptEncoding {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0.map_or("UTF-8", Encoding::name).to_ascii_lowercase())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels() {
        assert_eq!("utf-8".parse::<ScriptEncoding>(), Ok(ScriptEncoding(None)));
        let ansi: ScriptEncoding = "windows-1252".parse().unwrap();
        assert_eq!(ansi.to_string(), "windows-1252");
        assert_eq!("cp1252".parse::<ScriptEncoding>(), Ok(ansi));
        assert!("klingon".parse::<ScriptEncoding>().is_err());
    }
}
