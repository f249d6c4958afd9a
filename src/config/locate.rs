//! Where the configuration is: `--config FILE`, else `HOTELCARE_CONFIG`, else `hotelcare.toml`
//! in the working directory, else the system's place (`/etc/hotelcare/hotelcare.toml`;
//! `%ProgramData%\hotelcare\hotelcare.toml` on Windows). Only when none is there does hotelcare
//! run on its built-in defaults (the embedded simulator), and it says so.

use std::path::{Path, PathBuf};

use crate::config::DEFAULT_FILE;

/// The environment variable that names the configuration file.
pub(crate) const ENVIRONMENT: &str = "HOTELCARE_CONFIG";

/// Where the configuration comes from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Located {
    /// This file (named by `--config` or `HOTELCARE_CONFIG`, or found in its place).
    File(PathBuf),
    /// No file anywhere: the built-in defaults. The places looked at, for the notice.
    Nowhere(Vec<PathBuf>),
}

/// The system's place for the configuration (`None`: Windows without `ProgramData`).
#[allow(clippy::unnecessary_wraps)] // `None` happens on Windows
pub(crate) fn system_file() -> Option<PathBuf> {
    #[cfg(windows)]
    {
        std::env::var_os("ProgramData")
            .map(|data| PathBuf::from(data).join("hotelcare").join(DEFAULT_FILE))
    }
    #[cfg(not(windows))]
    {
        Some(PathBuf::from("/etc/hotelcare").join(DEFAULT_FILE))
    }
}

/// Finds the configuration (see the module documentation). A file that is named (`--config`,
/// `HOTELCARE_CONFIG`) is used even if it is missing: reading it then fails with its name,
/// never silently falls back to the defaults.
pub(crate) fn locate(given: Option<&Path>) -> Located {
    if let Some(path) = given {
        return Located::File(path.to_owned());
    }
    if let Some(path) = std::env::var_os(ENVIRONMENT).filter(|p| !p.is_empty()) {
        return Located::File(PathBuf::from(path));
    }
    let places: Vec<PathBuf> = std::iter::once(PathBuf::from(DEFAULT_FILE))
        .chain(system_file())
        .collect();
    match places.iter().find(|place| place.is_file()) {
        Some(found) => Located::File(found.clone()),
        None => Located::Nowhere(places),
    }
}

impl Located {
    /// What to tell on every command that runs on the built-in defaults.
    pub(crate) fn notice(&self) -> Option<String> {
        let Self::Nowhere(places) = self else {
            return None;
        };
        let looked: Vec<String> = places
            .iter()
            .map(|place| format!("`{}`", place.display()))
            .collect();
        Some(format!(
            "note: no configuration file (`--config`, `{ENVIRONMENT}`, {}): running on the built-in defaults, against the embedded simulator",
            looked.join(", ")
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_named_file_is_used_even_when_it_is_missing() {
        let named = Path::new("/nowhere/hotelcare.toml");
        assert_eq!(locate(Some(named)), Located::File(named.to_owned()));
        assert_eq!(Located::File(named.to_owned()).notice(), None);
    }

    #[test]
    fn the_defaults_say_where_hotelcare_looked() {
        let nowhere = Located::Nowhere(vec![PathBuf::from("hotelcare.toml")]);
        let notice = nowhere.notice().unwrap();
        assert!(notice.contains("HOTELCARE_CONFIG"), "{notice}");
        assert!(notice.contains("embedded simulator"), "{notice}");
    }
}
