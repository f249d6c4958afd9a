//! The text of a range of digit strings of one width (`3000-3005`, `0100-0199`, `2050` alone):
//! DID ranges and room ranges are written alike and read by this one parser, each with its own
//! words for what went wrong.

/// How a kind of range names its mistakes.
pub(crate) struct Words {
    /// After "`x` is not ...": what a bound must be, and how to write the range.
    pub(crate) not_a_number: &'static str,
    /// The most digits a bound may have, and why.
    pub(crate) max_digits: usize,
    pub(crate) limit: &'static str,
    /// What to do about bounds of two widths.
    pub(crate) one_width: &'static str,
}

/// `(first, last, width)` of `text`: `a-b` or `a` alone, digits only, both of one width, not
/// backwards.
pub(crate) fn parse(text: &str, words: &Words) -> Result<(u128, u128, usize), String> {
    let (first, last) = text
        .split_once('-')
        .map_or((text.trim(), text.trim()), |(a, b)| (a.trim(), b.trim()));
    for bound in [first, last] {
        if bound.is_empty() || !bound.bytes().all(|b| b.is_ascii_digit()) {
            return Err(format!("`{bound}` is not {}", words.not_a_number));
        }
        if bound.len() > words.max_digits {
            return Err(format!(
                "`{bound}` has more than {} digits, {}",
                words.max_digits, words.limit
            ));
        }
    }
    if first.len() != last.len() {
        return Err(format!(
            "`{first}` and `{last}` have different numbers of digits; {}",
            words.one_width
        ));
    }
    let number = |s: &str| s.parse::<u128>().map_err(|e| e.to_string());
    let (first_n, last_n) = (number(first)?, number(last)?);
    if first_n > last_n {
        return Err(format!("the range runs backwards: {first} is above {last}"));
    }
    Ok((first_n, last_n, first.len()))
}
