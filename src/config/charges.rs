//! `[charges]` (the currency's places, the default credit limit, the tariff) and `[smdr]` (where
//! the PBX's call records come from), checked.

use std::time::Duration;

use serde::Deserialize;
use toml::Spanned;

use crate::config::checker::Checker;
use crate::config::money::{AmountText, MAX_DECIMALS, Money};
use crate::config::server;

/// `[charges]` as the file has it.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct ChargesSection {
    /// Places after the decimal point of the currency (minor units); default 2.
    pub(crate) decimals: Option<Spanned<i64>>,
    /// The credit limit of a stay that sets none; absent: no limit.
    pub(crate) limit: Option<Spanned<AmountText>>,
    /// How long a posting waits for the PMS's answer; default 30 (the FIAS specification's
    /// minimum).
    pub(crate) posting_timeout_secs: Option<Spanned<i64>>,
    /// `"fias"` (the default with `[fias]`): each charged call is posted to the guest's folio;
    /// `"none"`: charges stay in hotelcare.
    pub(crate) post: Option<Spanned<String>>,
    #[serde(default)]
    pub(crate) tariff: Vec<TariffSection>,
}

/// `[[charges.tariff]]`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct TariffSection {
    pub(crate) name: Spanned<String>,
    pub(crate) prefix: Spanned<String>,
    pub(crate) setup: Option<Spanned<AmountText>>,
    pub(crate) per_minute: Spanned<AmountText>,
    pub(crate) increment_secs: Option<Spanned<i64>>,
}

/// `[smdr]` as the file has it.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct SmdrSection {
    /// `host:port` of the PBX's SMDR port (it listens, on 1752 by default).
    pub(crate) server: Spanned<String>,
    /// `auto` (by each record's length and shape), `standard`, `extended`, `level1`, `level2`.
    pub(crate) format: Option<Spanned<String>>,
}

/// How calls are costed and limited.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct ChargesConfig {
    pub(crate) decimals: u32,
    /// The default credit limit of a stay; `None`: no limit.
    pub(crate) limit: Option<Money>,
    pub(crate) posting_timeout: Duration,
    /// Charged calls are posted to the PMS over FIAS.
    pub(crate) post: bool,
    /// In the file's order; the longest matching prefix wins.
    pub(crate) tariffs: Vec<Tariff>,
}

impl Default for ChargesConfig {
    fn default() -> Self {
        Self {
            decimals: 2,
            limit: None,
            posting_timeout: Duration::from_secs(30),
            post: false,
            tariffs: Vec::new(),
        }
    }
}

/// One tariff: the calls whose dialled digits start with `prefix`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Tariff {
    pub(crate) name: String,
    pub(crate) prefix: String,
    pub(crate) setup: Money,
    pub(crate) per_minute: Money,
    /// A started increment is charged whole.
    pub(crate) increment_secs: u32,
}

/// Which of Mitel's SMDR record layouts the PBX sends.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) enum SmdrFormat {
    /// Told apart by each record's length and shape.
    #[default]
    Auto,
    /// 90 characters (112 with ANI/DNIS, 131 with network OLI).
    Standard,
    /// Extended digit length: 101 (120, 139).
    Extended,
    /// Extended reporting level 1: 162.
    Level1,
    /// Extended reporting levels 1 and 2: 195 to 207.
    Level2,
}

/// `[smdr]`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct SmdrConfig {
    pub(crate) server: String,
    pub(crate) format: SmdrFormat,
}

/// What is wrong with an SMDR port's `host:port`, if anything.
pub(super) fn smdr_problem(server: &str) -> Option<String> {
    server::pms_problem(server).map(|problem| {
        problem
            .replace(
                "the PBX's PMS port is site configuration; ask the PBX technician",
                "MiVB's SMDR port is 1752 unless the PBX technician changed it",
            )
            .replace("the Mitel PMS interface", "the SMDR port")
    })
}

impl Checker<'_> {
    /// `fias`: `[fias]` is configured (postings go there by default).
    pub(super) fn charges(&mut self, section: &ChargesSection, fias: bool) -> ChargesConfig {
        let mut config = ChargesConfig {
            post: fias,
            ..ChargesConfig::default()
        };
        if let Some(post) = &section.post {
            match post.get_ref().to_ascii_lowercase().as_str() {
                "fias" if fias => config.post = true,
                "fias" => self.fail(
                    "charges.post",
                    post.span(),
                    "postings go to the PMS over FIAS, and there is no `[fias]`: add it, or write `post = \"none\"`",
                ),
                "none" => config.post = false,
                _ => self.fail(
                    "charges.post",
                    post.span(),
                    "give \"fias\" (each charged call posted to the guest's folio) or \"none\"",
                ),
            }
        }
        if let Some(decimals) = &section.decimals {
            match u32::try_from(*decimals.get_ref()) {
                Ok(places) if places <= MAX_DECIMALS => config.decimals = places,
                _ => self.fail(
                    "charges.decimals",
                    decimals.span(),
                    &format!(
                        "give the places after the decimal point of the currency, 0 to {MAX_DECIMALS} (2 for cents)"
                    ),
                ),
            }
        }
        let decimals = config.decimals;
        let amount = |checker: &mut Self, key: &str, value: &Spanned<AmountText>| {
            value.get_ref().money(decimals).unwrap_or_else(|error| {
                checker.fail(key, value.span(), &error.to_string());
                Money::ZERO
            })
        };
        config.limit = section
            .limit
            .as_ref()
            .map(|limit| amount(self, "charges.limit", limit));
        if let Some(timeout) = &section.posting_timeout_secs {
            config.posting_timeout =
                Duration::from_secs(
                    self.positive("charges.posting_timeout_secs", timeout, 3600) as u64
                );
        }
        for (index, tariff) in section.tariff.iter().enumerate() {
            let key = |field: &str| format!("charges.tariff[{index}].{field}");
            let prefix = tariff.prefix.get_ref().trim().to_owned();
            if !prefix
                .bytes()
                .all(|b| b.is_ascii_digit() || b == b'*' || b == b'#')
            {
                self.fail(
                    &key("prefix"),
                    tariff.prefix.span(),
                    "a prefix is the first digits dialled (0-9, * and #), such as \"00\" or \"0049\"; \"\" matches every call",
                );
            }
            if let Some(other) = config.tariffs.iter().find(|t: &&Tariff| t.prefix == prefix) {
                self.fail(
                    &key("prefix"),
                    tariff.prefix.span(),
                    &format!(
                        "tariff `{}` has the same prefix \"{prefix}\"; give each prefix once",
                        other.name
                    ),
                );
            }
            let name = tariff.name.get_ref().trim().to_owned();
            if name.is_empty() || name.chars().count() > 20 || name.contains(['|', '\n', '\r']) {
                self.fail(
                    &key("name"),
                    tariff.name.span(),
                    "give a name of 1 to 20 characters (it is the posting's clear text `CT` on the folio)",
                );
            }
            let setup = tariff
                .setup
                .as_ref()
                .map_or(Money::ZERO, |setup| amount(self, &key("setup"), setup));
            let per_minute = amount(self, &key("per_minute"), &tariff.per_minute);
            let increment_secs = tariff.increment_secs.as_ref().map_or(60, |secs| {
                u32::try_from(self.positive(&key("increment_secs"), secs, 3600)).unwrap_or(60)
            });
            config.tariffs.push(Tariff {
                name,
                prefix,
                setup,
                per_minute,
                increment_secs,
            });
        }
        config
    }

    pub(super) fn smdr(&mut self, section: &SmdrSection) -> SmdrConfig {
        if let Some(problem) = smdr_problem(section.server.get_ref()) {
            self.fail("smdr.server", section.server.span(), &problem);
        }
        let format = match section.format.as_ref() {
            None => SmdrFormat::Auto,
            Some(format) => match format.get_ref().to_ascii_lowercase().as_str() {
                "auto" => SmdrFormat::Auto,
                "standard" => SmdrFormat::Standard,
                "extended" => SmdrFormat::Extended,
                "level1" => SmdrFormat::Level1,
                "level2" => SmdrFormat::Level2,
                _ => {
                    self.fail(
                        "smdr.format",
                        format.span(),
                        "give \"auto\", or the layout the PBX's SMDR Options form sets: \"standard\" (90 characters), \"extended\" (extended digit length, 101), \"level1\" (162) or \"level2\" (195 to 207)",
                    );
                    SmdrFormat::Auto
                }
            },
        };
        SmdrConfig {
            server: section.server.get_ref().trim().to_owned(),
            format,
        }
    }
}
