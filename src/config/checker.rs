//! `Checker`: reads a section's values, each checked where it is read; a wrong value becomes a
//! diagnostic that points at it (and a default, so that every other problem is reported too).

use super::{
    BTreeMap, Codepage, Cor, CorConfig, Diagnostic, DiagnosticKind, DidRange, Duration, Entry,
    FiasConfig, MitelPmsConfig, NumberTransfer, Sections, Settings, Span, file, server,
};

/// Collects value errors with the key's name and span.
pub(super) struct Checker<'a> {
    pub(super) diagnostics: &'a mut Vec<Diagnostic>,
}

impl Checker<'_> {
    /// What may differ from PBX to PBX: the CORs of ALLOW and BLOCK, the levels, number
    /// transfer and the Mitel PMS settings. `prefix` names the table in messages (`pbx.east.`).
    pub(super) fn settings(
        &mut self,
        prefix: &str,
        pms: bool,
        sections: &Sections<'_>,
    ) -> Settings {
        let fallback = Cor::new(1).expect("1 is a COR");
        let default_pms = file::MitelPmsSection::default();
        let pms_file = sections.mitel_pms.unwrap_or(&default_pms);
        let (allow, block) = if pms {
            (
                self.rst(&format!("{prefix}mitel_pms.allow"), &pms_file.allow),
                self.rst(&format!("{prefix}mitel_pms.block"), &pms_file.block),
            )
        } else {
            (
                self.cor(
                    &format!("{prefix}class_of_restriction.allow"),
                    &sections.cor.allow,
                ),
                self.cor(
                    &format!("{prefix}class_of_restriction.block"),
                    &sections.cor.block,
                ),
            )
        };
        let cor = CorConfig {
            allow: allow.unwrap_or(fallback),
            block: block.unwrap_or(fallback),
        };
        // Only two valid CORs can be the same: an invalid one has its own error already.
        if allow.is_some() && allow == block {
            let (key, span) = if pms {
                ("mitel_pms.block", pms_file.block.span())
            } else {
                ("class_of_restriction.block", sections.cor.block.span())
            };
            self.fail(
                &format!("{prefix}{key}"),
                span,
                "`allow` and `block` are the same COR, so a check-out would not block external calls (and a check-in would not allow them); give two different CORs",
            );
        }
        let mut levels = BTreeMap::from([
            ("ALLOW".to_owned(), cor.allow),
            ("BLOCK".to_owned(), cor.block),
        ]);
        for (name, number) in sections.class_of_service {
            let key = format!("{prefix}class_of_service.{}", name.get_ref());
            let upper = name.get_ref().to_ascii_uppercase();
            let valid_name = !upper.is_empty()
                && upper.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_')
                && upper
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
            if valid_name {
                match levels.entry(upper) {
                    Entry::Occupied(entry) => self.fail(
                        &key,
                        name.span(),
                        if matches!(entry.key().as_str(), "ALLOW" | "BLOCK") {
                            "ALLOW and BLOCK are set by `[class_of_restriction]` allow and block"
                        } else {
                            "this level is given twice (level names are case-insensitive)"
                        },
                    ),
                    Entry::Vacant(entry) => {
                        let level = if pms {
                            self.rst(&key, number)
                        } else {
                            self.cor(&key, number)
                        };
                        if let Some(cor) = level {
                            entry.insert(cor);
                        }
                    }
                }
            } else {
                self.fail(
                    &key,
                    name.span(),
                    "a level name is a word of letters, digits, `_` and `-` that starts with a letter",
                );
            }
        }
        let nt = sections.number_transfer;
        let number_transfer = if nt.enabled {
            match &nt.range {
                None => {
                    self.fail(
                        &format!("{prefix}number_transfer.range"),
                        0..0,
                        "number transfer is enabled but no `range` (such as \"3000-3005\") is given",
                    );
                    None
                }
                Some(range) => match range.get_ref().parse::<DidRange>() {
                    Ok(parsed) => Some(NumberTransfer {
                        range: parsed,
                        signal_extension_external: nt.signal_extension_external,
                    }),
                    Err(message) => {
                        self.fail(
                            &format!("{prefix}number_transfer.range"),
                            range.span(),
                            &message,
                        );
                        None
                    }
                },
            }
        } else {
            None
        };
        let mitel_pms = match (pms, sections.mitel_pms) {
            (true, _) => Some(self.mitel_pms(prefix, pms_file)),
            (false, Some(section)) if sections.pms_section_is_own => {
                self.fail(
                    &format!("{prefix}mitel_pms"),
                    section.allow.span(),
                    "`[mitel_pms]` is for a PBX with `interface = \"mitel-pms\"`",
                );
                None
            }
            (false, _) => None,
        };
        Settings {
            cor,
            levels,
            number_transfer,
            mitel_pms,
        }
    }

    pub(super) fn fail(&mut self, key: &str, span: std::ops::Range<usize>, message: &str) {
        self.diagnostics.push(Diagnostic::new(
            DiagnosticKind::ConfigInvalid {
                key: key.to_owned(),
                message: message.to_owned(),
            },
            Span::new(span.start, span.end),
        ));
    }

    /// A loopback `address:port` for the service's API.
    pub(super) fn listen(
        &mut self,
        key: &str,
        value: &toml::Spanned<String>,
    ) -> std::net::SocketAddr {
        let fallback = std::net::SocketAddr::from(([127, 0, 0, 1], 7878));
        match value.get_ref().trim().parse::<std::net::SocketAddr>() {
            Ok(address) if address.ip().is_loopback() => address,
            Ok(address) => {
                self.fail(
                    key,
                    value.span(),
                    &format!(
                        "{} is not a loopback address: the API checks guests in and out, so it answers only programs on this machine; use 127.0.0.1:PORT or [::1]:PORT",
                        address.ip()
                    ),
                );
                fallback
            }
            Err(_) => {
                self.fail(
                    key,
                    value.span(),
                    "write it as IP:PORT, such as 127.0.0.1:7878 (a name like `localhost` is not taken: it could resolve elsewhere)",
                );
                fallback
            }
        }
    }

    pub(super) fn fias(
        &mut self,
        section: &file::FiasSection,
        levels: &BTreeMap<String, Cor>,
    ) -> FiasConfig {
        if let Some(problem) = server::pms_problem(section.server.get_ref()) {
            self.fail(
                "fias.server",
                section.server.span(),
                &problem.replace(
                    "the PBX's PMS port is site configuration; ask the PBX technician",
                    "the FIAS port is configured in the PMS's interface program",
                ),
            );
        }
        let codepage = match &section.codepage {
            None => Codepage::default(),
            Some(label) => Codepage::from_label(label.get_ref()).unwrap_or_else(|| {
                self.fail(
                    "fias.codepage",
                    label.span(),
                    "not a code page hotelcare knows; the PMS's code page, such as \"windows-1252\", \"iso-8859-2\" or a DOS code page such as \"cp850\" or \"cp437\"",
                );
                Codepage::default()
            }),
        };
        let mut class_of_service = BTreeMap::new();
        for (cs, level) in &section.class_of_service {
            let upper = level.get_ref().to_ascii_uppercase();
            if levels.contains_key(&upper) {
                class_of_service.insert(cs.clone(), upper);
            } else {
                self.fail(
                    &format!("fias.class_of_service.{cs}"),
                    level.span(),
                    &format!(
                        "`{}` is not a level; use ALLOW, BLOCK or one of `[class_of_service]`",
                        level.get_ref()
                    ),
                );
            }
        }
        let default_level = match &section.default_level {
            None => "BLOCK".to_owned(),
            Some(level) => {
                let upper = level.get_ref().trim().to_ascii_uppercase();
                if !levels.contains_key(&upper) {
                    self.fail(
                        "fias.default_level",
                        level.span(),
                        &format!(
                            "`{}` is not a level; use ALLOW, BLOCK or one of `[class_of_service]`",
                            level.get_ref()
                        ),
                    );
                }
                upper
            }
        };
        let resync_checkout_limit = section.resync_checkout_limit.as_ref().and_then(|limit| {
            let value = usize::try_from(*limit.get_ref()).ok();
            if value.is_none() {
                self.fail(
                    "fias.resync_checkout_limit",
                    limit.span(),
                    "a number of rooms, 0 or more (0: a resync checks out any number of rooms by itself)",
                );
            }
            value
        });
        let wakeup_answer_ok = match &section.wakeup_answer {
            None => false,
            Some(answer) => match answer.get_ref().trim().to_ascii_lowercase().as_str() {
                "ok" => true,
                "none" => false,
                _ => {
                    self.fail(
                        "fias.wakeup_answer",
                        answer.span(),
                        "`OK` (a wake-up booked on a PBX that reports no result is answered as done) or `none` (it is not answered)",
                    );
                    false
                }
            },
        };
        FiasConfig {
            server: section.server.get_ref().trim().to_owned(),
            codepage,
            class_of_service,
            default_level,
            title: section.title,
            resync_checkout_limit,
            wakeup_answer_ok,
        }
    }

    /// An RST level of the Mitel PMS interface.
    pub(super) fn rst(&mut self, key: &str, value: &toml::Spanned<i64>) -> Option<Cor> {
        let level = Cor::restriction_level(*value.get_ref());
        if level.is_none() {
            self.fail(
                key,
                value.span(),
                &format!(
                    "{} is not a restriction level of the Mitel PMS interface: RST levels are 0 (internal) to {} (the PBX's Hotel Options form maps each to a COR)",
                    value.get_ref(),
                    Cor::MAX_RST
                ),
            );
        }
        level
    }

    /// A digit 0-9 (a NAM operation code).
    pub(super) fn digit(&mut self, key: &str, value: &toml::Spanned<i64>) -> u8 {
        match u8::try_from(*value.get_ref()) {
            Ok(digit) if digit <= 9 => digit,
            _ => {
                self.fail(
                    key,
                    value.span(),
                    "a NAM operation code is one digit, 0 to 9",
                );
                1
            }
        }
    }

    pub(super) fn mitel_pms(
        &mut self,
        prefix: &str,
        section: &file::MitelPmsSection,
    ) -> MitelPmsConfig {
        let width = *section.extension_width.get_ref();
        let extension_width = if (5..=7).contains(&width) {
            usize::try_from(width).unwrap_or(5)
        } else {
            self.fail(
                &format!("{prefix}mitel_pms.extension_width"),
                section.extension_width.span(),
                "the extension field is 5 characters wide (6 or 7 on sites with longer room numbers)",
            );
            5
        };
        let keepalive = *section.keepalive_secs.get_ref();
        if !(0..=3600).contains(&keepalive) {
            self.fail(
                &format!("{prefix}mitel_pms.keepalive_secs"),
                section.keepalive_secs.span(),
                "give 1 to 3600 seconds, or 0 for no \"are you there\" messages",
            );
        }
        let nam_add = self.digit(&format!("{prefix}mitel_pms.nam_add"), &section.nam_add);
        let nam_replace = section
            .nam_replace
            .as_ref()
            .map(|value| self.digit(&format!("{prefix}mitel_pms.nam_replace"), value));
        let mut wakeup_code = *b"WKP";
        if let Some(code) = &section.wakeup_code {
            match <[u8; 3]>::try_from(code.get_ref().as_bytes()) {
                Ok(bytes) if bytes.iter().all(u8::is_ascii_uppercase) => wakeup_code = bytes,
                _ => self.fail(
                    &format!("{prefix}mitel_pms.wakeup_code"),
                    code.span(),
                    "give the three capital letters of the record that books a wake-up, as the PBX technician confirms them (`WKP`)",
                ),
            }
        }
        MitelPmsConfig {
            nam_add,
            nam_replace,
            extension_width,
            keepalive: (keepalive > 0).then(|| Duration::from_secs(keepalive.unsigned_abs())),
            general_reset: section.general_reset,
            wakeup_code,
        }
    }

    pub(super) fn cor(&mut self, key: &str, value: &toml::Spanned<i64>) -> Option<Cor> {
        let cor = Cor::new(*value.get_ref());
        if cor.is_none() {
            self.fail(
                key,
                value.span(),
                &format!(
                    "{} is not a Class of Restriction; MiVB numbers them 1 to {}",
                    value.get_ref(),
                    Cor::MAX
                ),
            );
        }
        cor
    }

    /// A whole number in `1..=max`; 1 when it is not.
    pub(super) fn positive(&mut self, key: &str, value: &toml::Spanned<i64>, max: i64) -> usize {
        let n = *value.get_ref();
        if (1..=max).contains(&n) {
            usize::try_from(n).unwrap_or(1)
        } else {
            self.fail(key, value.span(), &format!("{n} is outside 1 to {max}"));
            1
        }
    }

    /// `[spool] report_group`: a group of this machine (`/etc/group`), as its id. Unix only.
    pub(super) fn report_group(&mut self, group: &toml::Spanned<String>) -> Option<u32> {
        let name = group.get_ref();
        if !cfg!(unix) {
            self.fail(
                "spool.report_group",
                group.span(),
                "works on Unix only; on Windows give the group read access to the spool's done\\ and failed\\ folders (icacls) instead",
            );
            return None;
        }
        let groups = std::fs::read_to_string("/etc/group").unwrap_or_default();
        let gid = groups.lines().find_map(|line| {
            let mut fields = line.split(':');
            (fields.next() == Some(name.as_str()))
                .then(|| fields.nth(1)?.parse::<u32>().ok())
                .flatten()
        });
        if gid.is_none() {
            self.fail(
                "spool.report_group",
                group.span(),
                &format!("there is no group `{name}` on this machine (/etc/group); create it (groupadd) or name another"),
            );
        }
        gid
    }

    /// A number from 0 (the feature off) to `max`.
    pub(super) fn positive_or_zero(
        &mut self,
        key: &str,
        value: &toml::Spanned<i64>,
        max: i64,
    ) -> usize {
        let n = *value.get_ref();
        if (0..=max).contains(&n) {
            usize::try_from(n).unwrap_or(0)
        } else {
            self.fail(key, value.span(), &format!("{n} is outside 0 to {max}"));
            0
        }
    }
}
