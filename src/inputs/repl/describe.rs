//! `.config`: the configuration in use, as a support technician reads it; never a password.

use std::fmt::Write as _;

use crate::config::{Config, Site, Trust, WireSection};
use crate::support::fingerprint::format as format_fingerprint;

/// One PBX's part of `.config`.
fn describe_pbx(site: &Site) -> String {
    let mut out = String::new();
    let mut line = |text: String| {
        out.push_str(&text);
        out.push('\n');
    };
    match (&site.pbx, &site.wire) {
        (Some(pbx), WireSection::MitelPms(pms)) => line(format!(
            "PBX: {} over the Mitel PMS protocol, timeout {} s; names NAM{}, renames {}, extensions {} digits",
            pbx.server,
            pbx.timeout.as_secs(),
            pms.nam_add,
            pms.nam_replace
                .map_or_else(|| "off".to_owned(), |op| format!("NAM{op}")),
            pms.extension_width
        )),
        (Some(pbx), WireSection::Mixml) => {
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
        (None, _) => line("PBX: the embedded simulator".to_owned()),
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

#[cfg(test)]
mod tests {
    use super::*;

    /// Each PBX with its own settings, in its wire's terms (none guessed from another).
    #[test]
    fn every_pbx_is_described_with_its_own_settings() {
        let text = "[pbx.east]\nserver = \"mivb.example\"\nuser = \"hc\"\npassword_env = \"SECRET_PW\"\nrooms = [\"1000-1999\"]\n\n[pbx.east.number_transfer]\nenabled = true\nrange = \"3000-3009\"\n\n[pbx.west]\ninterface = \"mitel-pms\"\nserver = \"10.0.0.2:1752\"\nrooms = [\"2000-2999\"]\n";
        let config = Config::parse(text, std::path::Path::new("/etc/hotelcare/h.toml")).unwrap();
        let shown = describe(&config);
        let base = std::path::Path::new("/etc/hotelcare");
        assert_eq!(
            shown,
            format!(
                "PBX `east`, rooms 1000-1999:
  PBX: mivb.example as user `hc`, timeout 10 s, trusting the system's trusted certificates
  class of restriction: allow 1, block 2; levels: ALLOW=1, BLOCK=2
  number transfer: DIDs 3000-3009, signal extension to external on
PBX `west`, rooms 2000-2999:
  PBX: 10.0.0.2:1752 over the Mitel PMS protocol, timeout 10 s; names NAM1, renames off, extensions 5 digits
  class of restriction: allow 2, block 0; levels: ALLOW=2, BLOCK=0
  number transfer: off
max concurrency 4, 5 attempts; state in {}, logs in {}",
                base.join("state").display(),
                base.join("logs").display()
            )
        );
    }
}
