//! Helpers shared by the integration tests.

use std::path::{Path, PathBuf};

use assert_cmd::Command;

/// The repository root (where `scripts/` and `tests/fixtures/` are).
pub(crate) fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

pub(crate) fn fixtures() -> PathBuf {
    root().join("tests/fixtures")
}

/// The `hotelcare` binary, uncolored, run from the repository root so that paths in messages are
/// short and stable.
pub(crate) fn hotelcare() -> Command {
    let mut command = Command::cargo_bin("hotelcare").expect("the binary is built by cargo test");
    command
        .current_dir(root())
        .arg("--color")
        .arg("never")
        .env_remove("NO_COLOR");
    command
}

/// A path relative to the repository root, with `/` separators on every platform (for snapshots).
pub(crate) fn relative(path: &Path) -> String {
    path.strip_prefix(root())
        .unwrap_or(path)
        .to_string_lossy()
        .replace('\\', "/")
}

/// Output as text.
pub(crate) fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).replace("\r\n", "\n")
}
