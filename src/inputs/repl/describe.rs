//! `.config`: the configuration in use, as a support technician reads it; never a password.

use std::fmt::Write as _;

use crate::config::{Config, Site, Trust};
use crate::support::fingerprint::format as format_fingerprint;

/// One PBX's part of `.config`.
fn describe_pbx(site: &Site) -> String {
    let mut out = String::new();
    let mut line = |text: String| {
        out.push_str(&text);
        out.push('\n');
    };
    match &site.pbx {
        Some(pbx) => {
            let trust = match &pbx.trust {
                Trust::System => "the system's trusted certificates".to_owned(),
                Trust::CaFile(path) => format!("the CA file {}", path.display()),
                Trust::Pinned(fp) => format!("the pinned certificate {}", format_fingerprint(fp)),
            };
            line(format!(
                "PBX: {} as user `{}`, timeout {} s, trusting {trust}",
                pbx.server,
                pbx.user,
                pbx.timeout.as_secs()
            ));
        }
        None => line("PBX: the embedded simulator".to_owned()),
    }
    let levels: Vec<String> = site
        .levels
        .iter()
        .map(|(name, cor)| format!("{name}={cor}"))
        .collect();
    line(format!(
        "class of restriction: allow {}, block {}; levels: {}",
        site.cor.allow,
        site.cor.block,
        levels.join(", ")
    ));
    line(match &site.number_transfer {
        Some(nt) => format!(
            "number transfer: DIDs {}, signal extension to external {}",
            nt.range,
            if nt.signal_extension_external {
                "on"
            } else {
                "off"
            }
        ),
        None => "number transfer: off".to_owned(),
    });
    out
}

/// The configuration, as `.config` shows it: never the password.
pub(crate) fn describe(config: &Config) -> String {
    let mut out = String::new();
    if config.has_several_pbxs() {
        for site in &config.pbxs {
            let _ = writeln!(out, "PBX `{}`, rooms {}:", site.name, site.rooms_text());
            for text in describe_pbx(site).lines() {
                let _ = writeln!(out, "  {text}");
            }
        }
    } else {
        out.push_str(&describe_pbx(config.first_pbx()));
    }
    let mut line = |text: String| {
        out.push_str(&text);
        out.push('\n');
    };
    line(format!(
        "max concurrency {}, {} attempts; state in {}, logs in {}",
        config.run.max_concurrency,
        config.run.retry.attempts,
        config.run.state_dir.display(),
        config.run.log_dir.display()
    ));
    out.trim_end().to_owned()
}
