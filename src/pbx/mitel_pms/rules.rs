//! Guest names on the Mitel PMS interface: 7-bit ASCII, `Last,First` in a field of 21
//! characters (20 without a comma). Checked with the script, so that the warnings come with it
//! and the room state keeps the name the PBX got. A leaf: `lang::validate` and this wire's
//! records both fit names here, so this file imports nothing.

/// The NAM record's name field.
pub(crate) const NAME_WIDTH: usize = 21;

/// A guest's name in 7-bit ASCII, as the protocol carries it: German umlauts and ß spelt out
/// (`ä` → `ae`), accents stripped (`é` → `e`), anything else `?`. `Last,First` without blanks
/// around the comma; at most 21 characters with a comma, 20 without. Also says whether the
/// name had to be changed (a character replaced by `?`) and whether it was cut.
pub(crate) fn fit_name(last: &str, first: &str) -> FittedName {
    let mut replaced = false;
    let mut ascii = |text: &str| {
        let mut out = String::with_capacity(text.len());
        for c in text.chars() {
            match transliterate(c) {
                Some(spelt) => out.push_str(spelt),
                None if c.is_ascii() && !c.is_ascii_control() => out.push(c),
                None => {
                    replaced = true;
                    out.push('?');
                }
            }
        }
        out
    };
    let last = ascii(last.trim());
    let first = ascii(first.trim());
    let full = if first.is_empty() {
        last
    } else {
        format!("{last},{first}")
    };
    let limit = if full.contains(',') {
        NAME_WIDTH
    } else {
        NAME_WIDTH - 1
    };
    let cut = full.len() > limit;
    let name: String = full.chars().take(limit).collect();
    FittedName {
        name: name.trim_end_matches(',').to_owned(),
        replaced,
        cut,
    }
}

/// A name fitted to the protocol (see `fit_name`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct FittedName {
    pub(crate) name: String,
    /// A character had no ASCII spelling and became `?`.
    pub(crate) replaced: bool,
    /// It was longer than the field and was cut.
    pub(crate) cut: bool,
}

/// The ASCII spelling of a letter that has one other than itself.
fn transliterate(c: char) -> Option<&'static str> {
    Some(match c {
        'ä' | 'æ' => "ae",
        'ö' | 'ø' | 'œ' => "oe",
        'ü' => "ue",
        'Ä' => "Ae",
        'Ö' | 'Ø' => "Oe",
        'Ü' => "Ue",
        'ß' => "ss",
        'à' | 'á' | 'â' | 'ã' | 'å' | 'ā' | 'ă' | 'ą' => "a",
        'À' | 'Á' | 'Â' | 'Ã' | 'Å' | 'Ā' | 'Ă' | 'Ą' => "A",
        'Æ' => "AE",
        'ç' | 'ć' | 'č' => "c",
        'Ç' | 'Ć' | 'Č' => "C",
        'ď' | 'đ' => "d",
        'Ď' | 'Đ' => "D",
        'è' | 'é' | 'ê' | 'ë' | 'ē' | 'ę' | 'ě' => "e",
        'È' | 'É' | 'Ê' | 'Ë' | 'Ē' | 'Ę' | 'Ě' => "E",
        'ì' | 'í' | 'î' | 'ï' | 'ī' => "i",
        'Ì' | 'Í' | 'Î' | 'Ï' | 'Ī' => "I",
        'ł' => "l",
        'Ł' => "L",
        'ñ' | 'ń' | 'ň' => "n",
        'Ñ' | 'Ń' | 'Ň' => "N",
        'ò' | 'ó' | 'ô' | 'õ' | 'ō' | 'ő' => "o",
        'Ò' | 'Ó' | 'Ô' | 'Õ' | 'Ō' | 'Ő' => "O",
        'Œ' => "OE",
        'ř' => "r",
        'Ř' => "R",
        'ś' | 'š' | 'ş' => "s",
        'Ś' | 'Š' | 'Ş' => "S",
        'ť' | 'ţ' => "t",
        'Ť' | 'Ţ' => "T",
        'ù' | 'ú' | 'û' | 'ū' | 'ů' | 'ű' => "u",
        'Ù' | 'Ú' | 'Û' | 'Ū' | 'Ů' | 'Ű' => "U",
        'ý' | 'ÿ' => "y",
        'Ý' | 'Ÿ' => "Y",
        'ź' | 'ż' | 'ž' => "z",
        'Ź' | 'Ż' | 'Ž' => "Z",
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_ascii_and_fit_the_field() {
        let fitted = fit_name("Müller", "Jörg");
        assert_eq!(fitted.name, "Mueller,Joerg");
        assert!(!fitted.replaced && !fitted.cut);
        assert_eq!(fit_name("Ibáñez", "José").name, "Ibanez,Jose");
        assert_eq!(fit_name("Straße", "").name, "Strasse");
        let greek = fit_name("Παπαδόπουλος", "");
        assert!(greek.replaced);
        assert!(greek.name.chars().all(|c| c == '?'));
        let long = fit_name("Mustermann-Schulze", "Maximilian");
        assert_eq!(long.name, "Mustermann-Schulze,Ma");
        assert_eq!(long.name.len(), 21);
        assert!(long.cut);
        let single = fit_name("Abcdefghijklmnopqrstuvwxyz", "");
        assert_eq!(single.name.len(), 20);
        // A cut that ends on the comma leaves no dangling comma.
        assert_eq!(
            fit_name("Abcdefghijklmnopqrst", "X").name,
            "Abcdefghijklmnopqrst"
        );
    }
}
