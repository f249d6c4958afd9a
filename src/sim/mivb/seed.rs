//! `Seed`: the rooms a simulator starts with, from a TOML file or built in.

use std::path::Path;

use serde::Deserialize;

/// A rooms file that cannot be used.
#[derive(Debug, thiserror::Error)]
pub(crate) enum SeedError {
    #[error("cannot read the rooms file `{}`: {error}", path.display())]
    Read {
        path: std::path::PathBuf,
        error: std::io::Error,
    },
    #[error("the rooms file `{}` is invalid: {error}", path.display())]
    Invalid {
        path: std::path::PathBuf,
        error: toml::de::Error,
    },
}

/// One room: its directory number, Service Label and the COR it has while vacant.
#[derive(Clone, Debug, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub(crate) struct RoomSeed {
    pub(crate) extension: String,
    pub(crate) label: String,
    #[serde(default = "default_cor")]
    pub(crate) cor: u8,
}

fn default_cor() -> u8 {
    2
}

/// The rooms of a simulator.
#[derive(Clone, Debug, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct Seed {
    #[serde(rename = "room", default)]
    pub(crate) rooms: Vec<RoomSeed>,
}

impl Seed {
    /// The vendor example: rooms 1000 and 2000, labelled "Room 1000" and "Room 2000".
    pub fn vendor_example(vacant_cor: u8) -> Self {
        Self::numbered(&["1000", "2000"], vacant_cor)
    }

    /// Rooms with these extensions, labelled "Room <ext>".
    pub fn numbered(extensions: &[&str], vacant_cor: u8) -> Self {
        Self {
            rooms: extensions
                .iter()
                .map(|ext| RoomSeed {
                    extension: (*ext).to_owned(),
                    label: format!("Room {ext}"),
                    cor: vacant_cor,
                })
                .collect(),
        }
    }

    /// `count` rooms numbered from `first`.
    pub fn range(first: u32, count: u32, vacant_cor: u8) -> Self {
        let extensions: Vec<String> = (first..first + count).map(|n| n.to_string()).collect();
        let refs: Vec<&str> = extensions.iter().map(String::as_str).collect();
        Self::numbered(&refs, vacant_cor)
    }

    /// Reads a rooms file (`[[room]] extension = "1000" label = "Room 1000"`).
    pub(crate) fn load(path: &Path) -> Result<Self, SeedError> {
        let text = std::fs::read_to_string(path).map_err(|error| SeedError::Read {
            path: path.to_owned(),
            error,
        })?;
        toml::from_str(&text).map_err(|error| SeedError::Invalid {
            path: path.to_owned(),
            error,
        })
    }
}
