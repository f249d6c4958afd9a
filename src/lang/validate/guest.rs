//! Guest names: "Last,First" split into the PBX's fields, trimmed, and cut to their limits.

use crate::diagnostics::{Diagnostic, DiagnosticKind, Span};
use crate::lang::validate::checked::Guest;
use crate::pbx::mixml::rules as limits;

impl Guest {
    /// Splits at the first comma and trims around it. `span` is the quoted name in the script,
    /// for diagnostics. A cut field is a warning (the guest still gets phone service); an empty
    /// last name or a control character is an error.
    pub(crate) fn from_text(
        text: &str,
        span: Span,
    ) -> Result<(Guest, Vec<Diagnostic>), Diagnostic> {
        if let Some(character) = text.chars().find(|c| c.is_control()) {
            return Err(Diagnostic::new(
                DiagnosticKind::ControlCharacterInName { character },
                span,
            ));
        }
        if let Some(character) = text.chars().find(|c| is_non_character(*c)) {
            return Err(Diagnostic::new(
                DiagnosticKind::UnsupportedCharacterInName { character },
                span,
            ));
        }
        let (last, first) = text.split_once(',').unwrap_or((text, ""));
        let (last, first) = (last.trim(), first.trim());
        if last.is_empty() {
            return Err(Diagnostic::new(DiagnosticKind::EmptyName, span).with_note(
                "a name without a last name before the comma cannot be shown on the phone",
            ));
        }
        let mut warnings = Vec::new();
        let mut cut = |field: &'static str, value: &str, limit: usize| -> String {
            let kept = truncate(value, limit);
            if kept.len() < value.len() {
                warnings.push(Diagnostic::new(
                    DiagnosticKind::NameTruncated {
                        field,
                        limit,
                        kept: kept.to_owned(),
                    },
                    span,
                ));
            }
            kept.to_owned()
        };
        let last = cut("Last Name", last, limits::PROFILE_NAME);
        let first = cut("First Name", first, limits::PROFILE_NAME);
        let full = if first.is_empty() {
            last.clone()
        } else {
            format!("{last},{first}")
        };
        let directory_name = cut("Directory Name", &full, limits::DIRECTORY_NAME);
        // A cut just after the comma would leave "Last," on the display.
        let directory_name = directory_name.trim_end_matches(',').trim_end().to_owned();
        Ok((
            Guest {
                last,
                first,
                directory_name,
            },
            warnings,
        ))
    }
}

/// Unicode's non-characters (U+FDD0..U+FDEF and the last two code points of every plane,
/// U+FFFE and U+FFFF among them, which XML 1.0 text cannot hold at all): never text.
fn is_non_character(c: char) -> bool {
    let code = u32::from(c);
    (0xFDD0..=0xFDEF).contains(&code) || code & 0xFFFE == 0xFFFE
}

/// The first `limit` characters (not bytes: `ü` is one character on the display).
fn truncate(text: &str, limit: usize) -> &str {
    text.char_indices()
        .nth(limit)
        .map_or(text, |(index, _)| &text[..index])
}

#[cfg(test)]
mod tests {
    use super::*;

    fn guest(text: &str) -> (Guest, Vec<Diagnostic>) {
        Guest::from_text(text, Span::new(0, 1)).unwrap()
    }

    #[test]
    fn splits_last_and_first() {
        let (g, warnings) = guest("Solo,Alina");
        assert_eq!(
            (g.last.as_str(), g.first.as_str(), g.directory_name.as_str()),
            ("Solo", "Alina", "Solo,Alina")
        );
        assert!(warnings.is_empty());
    }

    #[test]
    fn trims_around_the_comma() {
        let (g, _) = guest("  Solo ,  Alina ");
        assert_eq!(g.directory_name, "Solo,Alina");
        assert_eq!(g.first, "Alina");
    }

    #[test]
    fn without_comma_is_a_last_name() {
        let (g, _) = guest("Housekeeping");
        assert_eq!(
            (g.last.as_str(), g.first.as_str(), g.directory_name.as_str()),
            ("Housekeeping", "", "Housekeeping")
        );
    }

    #[test]
    fn later_commas_stay_in_the_first_name() {
        let (g, _) = guest("Solo,Alina,Jr");
        assert_eq!(g.first, "Alina,Jr");
    }

    #[test]
    fn directory_name_is_cut_to_twenty_characters_with_a_warning() {
        let (g, warnings) = guest("Mustermann,Maximilian");
        assert_eq!(g.directory_name, "Mustermann,Maximilia");
        assert_eq!(g.first, "Maximilian");
        assert_eq!(warnings.len(), 1);
        assert!(matches!(
            warnings[0].kind,
            DiagnosticKind::NameTruncated {
                field: "Directory Name",
                limit: 20,
                ..
            }
        ));
    }

    #[test]
    fn cut_counts_characters_not_bytes() {
        let (g, warnings) = guest("Müller-Lüdenscheidt,Zoë");
        assert_eq!(g.directory_name, "Müller-Lüdenscheidt");
        assert_eq!(warnings.len(), 1);
    }

    #[test]
    fn profile_names_are_cut_to_sixty_four() {
        let long = "A".repeat(70);
        let (g, warnings) = guest(&long);
        assert_eq!(g.last.len(), 64);
        assert_eq!(g.directory_name.len(), 20);
        assert_eq!(warnings.len(), 2);
    }

    #[test]
    fn empty_and_control_characters_are_errors() {
        for text in ["", "   ", ",Alina", " , "] {
            let error = Guest::from_text(text, Span::new(0, 1)).unwrap_err();
            assert_eq!(error.kind, DiagnosticKind::EmptyName, "{text:?}");
        }
        for bad in [
            '\u{FFFE}',
            '\u{FFFF}',
            '\u{FDD0}',
            '\u{1FFFF}',
            '\u{10FFFE}',
        ] {
            let error = Guest::from_text(&format!("Solo{bad}"), Span::new(0, 1)).unwrap_err();
            assert_eq!(
                error.kind,
                DiagnosticKind::UnsupportedCharacterInName { character: bad }
            );
        }
        assert!(Guest::from_text("Zoë \u{1F600}", Span::new(0, 1)).is_ok());
        let error = Guest::from_text("Solo\tAlina", Span::new(0, 1)).unwrap_err();
        assert_eq!(
            error.kind,
            DiagnosticKind::ControlCharacterInName { character: '\t' }
        );
    }
}
