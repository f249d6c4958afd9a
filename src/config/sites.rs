//! The PBXs of a configuration file: its `[pbx]` or `[pbx.NAME]` sections read into sites, each
//! with its wire's settings and what it inherits from the file.

use super::{
    BTreeMap, Checker, ConfigFile, Cor, CorConfig, Diagnostic, Duration, Interface, MitelPmsConfig,
    NumberTransfer, Password, Path, PathBuf, PbxConfig, RoomRange, Secret, Site, Trust,
    WireSection, file, parse_fingerprint, server,
};

/// The wire a `[pbx]` table names (a wrong name is reported by `pbx_config`).
pub(super) fn interface_of(pbx: &file::PbxSection) -> Interface {
    pbx.interface
        .as_ref()
        .and_then(|name| Interface::parse(name.get_ref()))
        .unwrap_or_default()
}

/// The sections that may differ from PBX to PBX, as a PBX reads them: its own, else the file's.
pub(super) struct Sections<'f> {
    pub(super) cor: &'f file::CorSection,
    pub(super) class_of_service: &'f BTreeMap<toml::Spanned<String>, toml::Spanned<i64>>,
    pub(super) number_transfer: &'f file::NumberTransferSection,
    pub(super) mitel_pms: Option<&'f file::MitelPmsSection>,
    /// `mitel_pms` was written for this PBX (not inherited): on another wire it is a mistake.
    pub(super) pms_section_is_own: bool,
}

impl<'f> Sections<'f> {
    pub(super) fn of_file(file: &'f ConfigFile) -> Self {
        Self {
            cor: &file.class_of_restriction,
            class_of_service: &file.class_of_service,
            number_transfer: &file.number_transfer,
            mitel_pms: file.mitel_pms.as_ref(),
            pms_section_is_own: true,
        }
    }

    /// A named PBX's: its own tables where it has them. A Mitel PMS PBX inherits neither the
    /// levels (the file's are MiVB CORs; its levels are RST levels) nor number transfer (its
    /// wire has no DIDs): `none` stands in for them.
    pub(super) fn of_named(
        pbx: &'f file::PbxSection,
        file: &'f ConfigFile,
        none: &'f (
            BTreeMap<toml::Spanned<String>, toml::Spanned<i64>>,
            file::NumberTransferSection,
        ),
    ) -> Self {
        let pms = interface_of(pbx) == Interface::MitelPms;
        Self {
            cor: pbx
                .class_of_restriction
                .as_ref()
                .unwrap_or(&file.class_of_restriction),
            class_of_service: pbx.class_of_service.as_ref().unwrap_or(if pms {
                &none.0
            } else {
                &file.class_of_service
            }),
            number_transfer: pbx.number_transfer.as_ref().unwrap_or(if pms {
                &none.1
            } else {
                &file.number_transfer
            }),
            mitel_pms: pbx.mitel_pms.as_ref().or(file.mitel_pms.as_ref()),
            pms_section_is_own: pbx.mitel_pms.is_some(),
        }
    }
}

/// What may differ from PBX to PBX, checked.
pub(super) struct Settings {
    pub(super) cor: CorConfig,
    pub(super) levels: BTreeMap<String, Cor>,
    pub(super) number_transfer: Option<NumberTransfer>,
    pub(super) mitel_pms: Option<MitelPmsConfig>,
}

/// `[pbx.NAME]` tables: each PBX with its rooms; a room in two PBXs' `rooms` is an error that
/// names both.
pub(super) fn named_sites(
    file: &ConfigFile,
    pbxs: &BTreeMap<String, file::PbxSection>,
    base: &Path,
    path: &Path,
    diagnostics: &mut Vec<Diagnostic>,
) -> Vec<Site> {
    // Each site with its ranges and where the file wrote them.
    type Ranges = Vec<(RoomRange, std::ops::Range<usize>)>;
    let mut sites: Vec<(Site, Ranges)> = Vec::new();
    let none = (BTreeMap::new(), file::NumberTransferSection::default());
    for (name, section) in pbxs {
        let prefix = format!("pbx.{name}.");
        let mut check = Checker { diagnostics };
        if !name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
        {
            check.fail(
                &format!("pbx.{name}"),
                section.server.span(),
                "a PBX name is a word of letters, digits, `-` and `_` (it is typed after `--pbx`)",
            );
        }
        if let Some((other, _)) = sites
            .iter()
            .find(|(site, _)| site.name.eq_ignore_ascii_case(name))
        {
            check.fail(
                &format!("pbx.{name}"),
                section.server.span(),
                &format!(
                    "`{name}` and `{}` are one name (`--pbx` takes either case); give the PBXs different names",
                    other.name
                ),
            );
        }
        let pms = interface_of(section) == Interface::MitelPms;
        let settings = check.settings(&prefix, pms, &Sections::of_named(section, file, &none));
        let mut ranges = Vec::new();
        match &section.rooms {
            None => check.fail(
                &format!("{prefix}rooms"),
                section.server.span(),
                "say which rooms this PBX owns, such as `rooms = [\"1000-1999\", \"2050\"]`",
            ),
            Some(rooms) if rooms.get_ref().is_empty() => check.fail(
                &format!("{prefix}rooms"),
                rooms.span(),
                "a PBX owns at least one room; give ranges such as \"1000-1999\"",
            ),
            Some(rooms) => {
                for text in rooms.get_ref() {
                    match text.get_ref().parse::<RoomRange>() {
                        Ok(range) => ranges.push((range, text.span())),
                        Err(message) => {
                            check.fail(&format!("{prefix}rooms"), text.span(), &message);
                        }
                    }
                }
            }
        }
        for (other, other_ranges) in &sites {
            for (range, span) in &ranges {
                for (theirs, _) in other_ranges {
                    if let Some(both) = range.overlap(theirs) {
                        check.fail(
                            &format!("{prefix}rooms"),
                            span.clone(),
                            &format!(
                                "{} {both} {} in both `{}` ({theirs}) and `{name}` ({range}); a room belongs to exactly one PBX",
                                if both.is_single() { "room" } else { "rooms" },
                                if both.is_single() { "is" } else { "are" },
                                other.name
                            ),
                        );
                    }
                }
            }
        }
        let pbx = pbx_config(&prefix, section, base, path, diagnostics);
        sites.push((
            Site {
                name: name.clone(),
                rooms: Some(ranges.iter().map(|(range, _)| *range).collect()),
                pbx: Some(pbx),
                cor: settings.cor,
                levels: settings.levels,
                number_transfer: settings.number_transfer,
                wire: WireSection::of(settings.mitel_pms),
            },
            ranges,
        ));
    }
    sites.into_iter().map(|(site, _)| site).collect()
}

/// Keys that only a named PBX (`[pbx.NAME]`) may have.
pub(super) fn not_named_only(pbx: &file::PbxSection, diagnostics: &mut Vec<Diagnostic>) {
    let mut check = Checker { diagnostics };
    let named_only = [
        ("rooms", pbx.rooms.is_some()),
        ("class_of_restriction", pbx.class_of_restriction.is_some()),
        ("class_of_service", pbx.class_of_service.is_some()),
        ("number_transfer", pbx.number_transfer.is_some()),
        ("mitel_pms", pbx.mitel_pms.is_some()),
    ];
    for (key, given) in named_only {
        if given {
            check.fail(
                &format!("pbx.{key}"),
                pbx.server.span(),
                &format!(
                    "`{key}` inside `[pbx]` is for several PBXs, each in a `[pbx.NAME]` table; with one PBX, write `[{key}]` as a section of its own"
                ),
            );
        }
    }
}

pub(super) fn pbx_config(
    prefix: &str,
    pbx: &file::PbxSection,
    base: &Path,
    path: &Path,
    diagnostics: &mut Vec<Diagnostic>,
) -> PbxConfig {
    let mut check = Checker { diagnostics };
    let interface = match &pbx.interface {
        None => Interface::default(),
        Some(name) => Interface::parse(name.get_ref()).unwrap_or_else(|| {
            check.fail(
                &format!("{prefix}interface"),
                name.span(),
                "hotelcare drives a PBX over `mixml` (its model of MiXML) or `mitel-pms` (the Mitel PMS protocol)",
            );
            Interface::default()
        }),
    };
    let smdr = pbx.smdr.as_ref().map(|smdr| {
        if let Some(problem) = super::charges::smdr_problem(smdr.get_ref()) {
            check.fail(&format!("{prefix}smdr"), smdr.span(), &problem);
        }
        smdr.get_ref().trim().to_owned()
    });
    if interface == Interface::MitelPms {
        if let Some(problem) = server::pms_problem(pbx.server.get_ref()) {
            check.fail(&format!("{prefix}server"), pbx.server.span(), &problem);
        }
        return PbxConfig {
            server: pbx.server.get_ref().trim().to_owned(),
            user: String::new(),
            password: Password::Given(Secret::default()),
            timeout: Duration::from_secs(check.positive(
                &format!("{prefix}timeout_secs"),
                &pbx.timeout_secs,
                3600,
            ) as u64),
            trust: Trust::System,
            wakeup_report: Duration::from_secs(30),
            smdr,
        };
    }
    if let Some(problem) = server::problem(pbx.server.get_ref(), pbx.allow_plain_http) {
        check.fail(&format!("{prefix}server"), pbx.server.span(), &problem);
    }
    if pbx.user.trim().is_empty() {
        check.fail(
            &format!("{prefix}user"),
            pbx.server.span(),
            "give the MiXML user name as `user` (a user of System Administration -> User Authorization Profiles)",
        );
    }
    let given = [
        pbx.password.is_some(),
        pbx.password_env.is_some(),
        pbx.password_file.is_some(),
    ]
    .iter()
    .filter(|given| **given)
    .count();
    let password = if given > 1 {
        check.fail(
            prefix.trim_end_matches('.'),
            pbx.server.span(),
            "give the password one way: `password`, `password_env` or `password_file`",
        );
        Password::Given(Secret::default())
    } else if let Some(password) = &pbx.password {
        Password::Given(Secret::new(password.clone()))
    } else if let Some(variable) = &pbx.password_env {
        Password::Environment {
            key: format!("{prefix}password_env"),
            variable: variable.get_ref().clone(),
            config: path.to_owned(),
        }
    } else if let Some(file) = &pbx.password_file {
        Password::File {
            key: format!("{prefix}password_file"),
            path: base.join(file.get_ref()),
        }
    } else {
        check.fail(
            prefix.trim_end_matches('.'),
            pbx.server.span(),
            "give the MiXML user's password as `password_file` (a file only this service's user reads, such as a systemd credential), `password_env` (an environment variable) or `password`",
        );
        Password::Given(Secret::default())
    };
    let trust = match (&pbx.ca_file, &pbx.pin_sha256) {
        (None, None) => Trust::System,
        (Some(ca), None) => Trust::CaFile(base.join(ca)),
        (None, Some(pin)) => {
            if let Some(bytes) = parse_fingerprint(pin.get_ref()) {
                Trust::Pinned(bytes)
            } else {
                check.fail(
                    &format!("{prefix}pin_sha256"),
                    pin.span(),
                    "a SHA-256 fingerprint is 64 hex digits (colons allowed), as `hotelcare sim` prints it",
                );
                Trust::System
            }
        }
        (Some(_), Some(pin)) => {
            check.fail(
                &format!("{prefix}pin_sha256"),
                pin.span(),
                "give either `ca_file` or `pin_sha256`, not both",
            );
            Trust::System
        }
    };
    let timeout = check.positive(&format!("{prefix}timeout_secs"), &pbx.timeout_secs, 3600);
    let report = check.positive(
        &format!("{prefix}wakeup_report_secs"),
        &pbx.wakeup_report_secs,
        3600,
    );
    PbxConfig {
        server: pbx.server.get_ref().trim().to_owned(),
        user: pbx.user.clone(),
        password,
        timeout: Duration::from_secs(timeout as u64),
        wakeup_report: Duration::from_secs(report as u64),
        trust,
        smdr,
    }
}

/// What relative paths in a configuration file are relative to: the file's folder, when it is
/// a regular file; the working directory otherwise (`--config /dev/null`, a pipe), so that a
/// configuration that is not a file never makes hotelcare write into `/dev` or the like.
pub(super) fn base_dir(path: &Path) -> PathBuf {
    match std::fs::metadata(path) {
        Ok(metadata) if !metadata.is_file() => PathBuf::from("."),
        _ => path.parent().unwrap_or(Path::new(".")).to_owned(),
    }
}
