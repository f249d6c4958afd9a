//! `Count`: "1 error", "2 errors" without hand-written plural logic at every call site.

use std::fmt::{self, Display, Formatter};

/// Displays `n noun` with the noun in the singular or the regular plural.
pub(crate) struct Count<'a>(pub(crate) usize, pub(crate) &'a str);

impl Display for Count<'_> {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        let Count(n, noun) = *self;
        if n == 1 {
            write!(f, "1 {noun}")
        } else {
            write!(f, "{n} {noun}s")
        }
    }
}

/// Displays seconds since the Unix epoch as local time, `2026-11-25 14:02:11` (for stamps kept
/// in the journal: when a script was accepted, when a room last changed).
pub(crate) struct LocalTime(pub(crate) u64);

impl Display for LocalTime {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        match chrono::DateTime::from_timestamp(i64::try_from(self.0).unwrap_or(0), 0) {
            Some(at) => write!(
                f,
                "{}",
                at.with_timezone(&chrono::Local).format("%Y-%m-%d %H:%M:%S")
            ),
            None => write!(f, "{} s after 1970", self.0),
        }
    }
}

/// Displays `a`, `a or b`, `a, b or c`: for lists of alternatives in messages.
pub(crate) struct Alternatives<'a, T>(pub(crate) &'a [T]);

impl<T: Display> Display for Alternatives<'_, T> {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        let items = self.0;
        for (i, item) in items.iter().enumerate() {
            if i > 0 {
                f.write_str(if i + 1 == items.len() { " or " } else { ", " })?;
            }
            write!(f, "{item}")?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn count_uses_singular_for_one() {
        assert_eq!(Count(1, "error").to_string(), "1 error");
        assert_eq!(Count(0, "error").to_string(), "0 errors");
        assert_eq!(Count(3, "warning").to_string(), "3 warnings");
    }

    #[test]
    fn alternatives_join_with_or() {
        assert_eq!(Alternatives(&["a"]).to_string(), "a");
        assert_eq!(Alternatives(&["a", "b"]).to_string(), "a or b");
        assert_eq!(Alternatives(&["a", "b", "c"]).to_string(), "a, b or c");
    }
}
