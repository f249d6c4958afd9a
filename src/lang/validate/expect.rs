//! What each argument of a statement must be: a room, a guest, a level, an amount, a DID. Each
//! check adds its diagnostics and gives the checked value, or `None` when there is none.

use crate::diagnostics::{Diagnostic, DiagnosticKind, Span};
use crate::lang::syntax::{CheckInOption, DidChoice, Spanned};
use crate::lang::validate::checked::{DidRequest, Guest};
// The wires' rules: leaves of their folders, data and pure functions that import nothing.
use crate::lang::validate::validator::Validator;
use crate::pbx::mitel_pms::rules;
use crate::pbx::mixml::rules as limits;

impl Validator<'_> {
    /// An amount in the hotel's currency (`[charges] decimals` places at most).
    pub(super) fn expect_amount(
        &self,
        amount: &Spanned<&str>,
        diagnostics: &mut Vec<Diagnostic>,
    ) -> Option<crate::config::Money> {
        crate::config::Money::parse(amount.node, self.config.charges.decimals)
            .map_err(|why| {
                diagnostics.push(Diagnostic::new(
                    DiagnosticKind::NotAnAmount {
                        text: amount.node.to_owned(),
                        why: why.to_string(),
                    },
                    amount.span,
                ));
            })
            .ok()
    }

    pub(super) fn expect_level(
        &self,
        level: &Spanned<&str>,
        diagnostics: &mut Vec<Diagnostic>,
    ) -> Option<crate::config::Cor> {
        // A room no PBX owns has its error; its levels are not guessed.
        let site = self.site()?;
        let found = site.levels.get(&level.node.to_ascii_uppercase()).copied();
        if found.is_none() {
            diagnostics.push(Diagnostic::new(
                DiagnosticKind::UnknownLevel {
                    level: level.node.to_owned(),
                    known: site.level_names(),
                },
                level.span,
            ));
        }
        found
    }

    /// A guest's name, split and cut to the PBX's fields. On the Mitel PMS interface its
    /// Directory Name is what the NAM record carries: ASCII, at most 21 characters.
    pub(super) fn expect_guest(
        &self,
        text: &Spanned<std::borrow::Cow<'_, str>>,
        diagnostics: &mut Vec<Diagnostic>,
    ) -> Option<Guest> {
        let (mut guest, mut warnings) = expect_guest_free(text, diagnostics)?;
        if self.site().and_then(|site| site.wire.mitel_pms()).is_some() {
            warnings.retain(|w| {
                !matches!(
                    w.kind,
                    DiagnosticKind::NameTruncated {
                        field: "Directory Name",
                        ..
                    }
                )
            });
            let fitted = rules::fit_name(&guest.last, &guest.first);
            if fitted.replaced {
                warnings.push(Diagnostic::new(
                    DiagnosticKind::NameNotAscii {
                        kept: fitted.name.clone(),
                    },
                    text.span,
                ));
            }
            if fitted.cut {
                warnings.push(Diagnostic::new(
                    DiagnosticKind::NameTruncated {
                        field: "PMS name",
                        limit: rules::NAME_WIDTH,
                        kept: fitted.name.clone(),
                    },
                    text.span,
                ));
            }
            guest.directory_name = fitted.name;
        }
        diagnostics.extend(warnings);
        Some(guest)
    }

    /// A room: one a configured PBX owns (it becomes the PBX the statement is checked for),
    /// at most 7 digits, and no wider than the Mitel PMS interface's extension field.
    pub(super) fn expect_room(
        &mut self,
        room: &Spanned<&str>,
        diagnostics: &mut Vec<Diagnostic>,
    ) -> Option<String> {
        let room_text = expect_room_free(room, diagnostics)?;
        let Some(owner) = self.config.pbx_of(&room_text) else {
            diagnostics.push(Diagnostic::new(
                DiagnosticKind::RoomWithoutPbx {
                    room: room_text,
                    pbxs: self
                        .config
                        .pbxs
                        .iter()
                        .map(|site| format!("`{}` {}", site.name, site.rooms_text()))
                        .collect::<Vec<_>>()
                        .join("; "),
                },
                room.span,
            ));
            return None;
        };
        self.current = owner;
        if let Some(pms) = self.site().and_then(|site| site.wire.mitel_pms())
            && room_text.len() > pms.extension_width
        {
            diagnostics.push(Diagnostic::new(
                DiagnosticKind::ExtensionWiderThanField {
                    ext: room_text,
                    width: pms.extension_width,
                },
                room.span,
            ));
            return None;
        }
        Some(room_text)
    }

    pub(super) fn expect_number_transfer(
        &self,
        span: Span,
        diagnostics: &mut Vec<Diagnostic>,
    ) -> Option<()> {
        if self.knows_pbx() && !self.capabilities().did {
            diagnostics.push(Diagnostic::new(
                DiagnosticKind::UnsupportedByInterface {
                    what: "DID",
                    needs: "the MiXML interface",
                    pbx: self.pbx_name().to_owned(),
                    interface: self.capabilities().interface.name(),
                },
                span,
            ));
            return None;
        }
        // A room no PBX owns has its error; whether its PBX transfers numbers is not guessed.
        let site = self.site()?;
        if site.number_transfer.is_some() {
            Some(())
        } else {
            diagnostics.push(Diagnostic::new(
                DiagnosticKind::NumberTransferDisabled,
                span,
            ));
            None
        }
    }

    pub(super) fn expect_did(
        &self,
        did: &Spanned<DidChoice<'_>>,
        diagnostics: &mut Vec<Diagnostic>,
    ) -> Option<DidRequest> {
        self.expect_number_transfer(did.span, diagnostics)?;
        let range = self.site()?.number_transfer.as_ref()?.range;
        match did.node {
            DidChoice::Auto => Some(DidRequest::Auto),
            DidChoice::Number(n) if range.contains(n) => Some(DidRequest::Number(n.to_owned())),
            DidChoice::Number(n) => {
                diagnostics.push(Diagnostic::new(
                    DiagnosticKind::DidOutOfRange {
                        did: n.to_owned(),
                        range: range.to_string(),
                    },
                    did.span,
                ));
                None
            }
            DidChoice::None => unreachable!("callers handle `NONE`"),
        }
    }
}

pub(super) fn expect_room_free(
    room: &Spanned<&str>,
    diagnostics: &mut Vec<Diagnostic>,
) -> Option<String> {
    if room.node.len() > limits::DIRECTORY_NUMBER_DIGITS {
        diagnostics.push(Diagnostic::new(
            DiagnosticKind::ExtensionTooLong {
                ext: room.node.to_owned(),
            },
            room.span,
        ));
        return None;
    }
    Some(room.node.to_owned())
}

pub(super) fn expect_guest_free(
    guest: &Spanned<std::borrow::Cow<'_, str>>,
    diagnostics: &mut Vec<Diagnostic>,
) -> Option<(Guest, Vec<Diagnostic>)> {
    match Guest::from_text(&guest.node, guest.span) {
        Ok(found) => Some(found),
        Err(error) => {
            diagnostics.push(error);
            None
        }
    }
}

/// The single `DID`, `COS` and `REPLACE` options of a check-in; a second one of any is an error.
/// A check-in's options: `DID`, `COS`, `REPLACE`, `LIMIT`.
type Options<'o, 'a> = (
    Option<&'o Spanned<DidChoice<'a>>>,
    Option<&'o Spanned<&'a str>>,
    bool,
    Option<&'o Spanned<&'a str>>,
);

pub(super) fn expect_options<'o, 'a>(
    options: &'o [CheckInOption<'a>],
    diagnostics: &mut Vec<Diagnostic>,
) -> Options<'o, 'a> {
    let (mut did, mut cos, mut replace, mut limit) = (None, None, false, None);
    for option in options {
        match option {
            CheckInOption::Did(d) => {
                if did.is_some() {
                    diagnostics.push(Diagnostic::new(
                        DiagnosticKind::DuplicateOption { option: "DID" },
                        d.span,
                    ));
                }
                did = did.or(Some(d));
            }
            CheckInOption::Cos(c) => {
                if cos.is_some() {
                    diagnostics.push(Diagnostic::new(
                        DiagnosticKind::DuplicateOption { option: "COS" },
                        c.span,
                    ));
                }
                cos = cos.or(Some(c));
            }
            CheckInOption::Replace(span) => {
                if replace {
                    diagnostics.push(Diagnostic::new(
                        DiagnosticKind::DuplicateOption { option: "REPLACE" },
                        *span,
                    ));
                }
                replace = true;
            }
            CheckInOption::Limit(amount) => {
                if limit.is_some() {
                    diagnostics.push(Diagnostic::new(
                        DiagnosticKind::DuplicateOption { option: "LIMIT" },
                        amount.span,
                    ));
                }
                limit = limit.or(Some(amount));
            }
        }
    }
    (did, cos, replace, limit)
}
