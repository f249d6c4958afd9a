//! How clients find the running service of a state directory: `service.json` (address, PID,
//! start time; never the token) and `api-token` (the bearer token, owner-only), both in the
//! state directory.
//!
//! On Unix both files are 0600 in a 0700 directory. On Windows a file inherits the ACL of its
//! folder: the README says to keep the state directory where only the service account and
//! administrators can read, which is what protects the token there.

use std::io;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::support::files;

/// Where a running service says where it listens.
pub(crate) const INFO_FILE: &str = "service.json";
/// The bearer token of the API.
pub(crate) const TOKEN_FILE: &str = "api-token";

/// What `service.json` holds.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct ServiceInfo {
    pub(crate) address: SocketAddr,
    pub(crate) pid: u32,
    /// RFC 3339.
    pub(crate) started: String,
    pub(crate) version: String,
    /// Random, made at each start: `GET /v1/instance` answers it, so that a client sends the
    /// token only to this service, not to whatever listens on a stale file's address.
    #[serde(default)]
    pub(crate) instance: String,
    /// The state directory the service owns, canonical: a copy of the directory (a backup)
    /// carries this file along, and its clients must not send their commands to the live
    /// service.
    #[serde(default)]
    pub(crate) state_dir: Option<PathBuf>,
}

impl ServiceInfo {
    /// Whether this file's service owns `state_dir` (the very directory, not a copy of it).
    pub(crate) fn owns(&self, state_dir: &Path) -> bool {
        match (&self.state_dir, std::fs::canonicalize(state_dir)) {
            (Some(owned), Ok(here)) => *owned == here,
            // A service of an older release says nothing: as before.
            (None, _) => true,
            (Some(_), Err(_)) => false,
        }
    }
}

impl ServiceInfo {
    pub(crate) fn path(state_dir: &Path) -> PathBuf {
        state_dir.join(INFO_FILE)
    }

    pub(crate) fn write(&self, state_dir: &Path) -> io::Result<()> {
        let bytes = serde_json::to_vec_pretty(self).map_err(io::Error::other)?;
        files::write_atomic(&Self::path(state_dir), &bytes)?;
        // `write_atomic` keeps the previous version: a stale address is of no use to anyone.
        let _ = std::fs::remove_file(files::backup_of(&Self::path(state_dir)));
        Ok(())
    }

    /// The file's content, if there is a readable one (it may be stale: ask the address).
    pub(crate) fn read(state_dir: &Path) -> Option<Self> {
        let bytes = std::fs::read(Self::path(state_dir)).ok()?;
        serde_json::from_slice(&bytes).ok()
    }

    /// Removes the file if it still names this process.
    pub(crate) fn remove_own(state_dir: &Path) {
        if Self::read(state_dir).is_some_and(|info| info.pid == std::process::id()) {
            let _ = std::fs::remove_file(Self::path(state_dir));
        }
    }

    /// For messages: `PID 4711, listening on 127.0.0.1:7878 since ...`.
    pub(crate) fn describe(&self) -> String {
        format!(
            "PID {}, listening on {} since {}",
            self.pid, self.address, self.started
        )
    }
}

/// The API token: read from the state directory, or made (32 random bytes, hex) and written
/// owner-only at the first start.
pub(crate) fn token(state_dir: &Path) -> io::Result<String> {
    match read_token(state_dir) {
        Ok(token) => Ok(token),
        Err(error) if error.kind() == io::ErrorKind::NotFound => {
            let token = random_hex()?;
            files::create_private_dir(state_dir)?;
            files::write_atomic(&state_dir.join(TOKEN_FILE), token.as_bytes())?;
            Ok(token)
        }
        Err(error) => Err(error),
    }
}

/// 32 random bytes from the operating system, as hex.
pub(crate) fn random_hex() -> io::Result<String> {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes).map_err(|e| io::Error::other(e.to_string()))?;
    // The same hex form as a content hash.
    Ok(crate::intake::acceptance::content_hash(&bytes))
}

/// The token a running service wrote (for its clients).
pub(crate) fn read_token(state_dir: &Path) -> io::Result<String> {
    let text = std::fs::read_to_string(state_dir.join(TOKEN_FILE))?;
    let token = text.trim().to_owned();
    if token.len() < 32 {
        return Err(io::Error::new(
            io::ErrorKind::InvalidData,
            format!(
                "`{}` does not hold a token; delete it and start `hotelcare serve` again",
                state_dir.join(TOKEN_FILE).display()
            ),
        ));
    }
    Ok(token)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_token_is_made_once_and_kept_private() {
        let dir = tempfile::tempdir().unwrap();
        let first = token(dir.path()).unwrap();
        assert_eq!(first.len(), 64);
        assert_eq!(token(dir.path()).unwrap(), first);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(dir.path().join(TOKEN_FILE))
                .unwrap()
                .permissions()
                .mode();
            assert_eq!(mode & 0o777, 0o600);
        }
    }

    #[test]
    fn service_info_round_trips_and_is_removed_only_by_its_process() {
        let dir = tempfile::tempdir().unwrap();
        let mut info = ServiceInfo {
            address: "127.0.0.1:7878".parse().unwrap(),
            pid: std::process::id(),
            started: "2026-11-26T10:00:00+00:00".into(),
            version: "0.1.0".into(),
            instance: "x".into(),
            state_dir: std::fs::canonicalize(dir.path()).ok(),
        };
        info.write(dir.path()).unwrap();
        assert_eq!(ServiceInfo::read(dir.path()), Some(info.clone()));
        assert!(info.owns(dir.path()));
        let copy = tempfile::tempdir().unwrap();
        assert!(!info.owns(copy.path()), "a copy is not the directory");
        info.pid += 1;
        info.write(dir.path()).unwrap();
        ServiceInfo::remove_own(dir.path());
        assert!(
            ServiceInfo::read(dir.path()).is_some(),
            "another process's file stays"
        );
    }
}
