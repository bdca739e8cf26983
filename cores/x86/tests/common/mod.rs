//! Helpers shared by the integration tests.

use std::path::PathBuf;

#[allow(dead_code)]
/// The shared test-ROM directory: `$WORKBENCH_TESTROMS`, else `<workspace>/../shared/testroms`.
pub fn testroms() -> PathBuf {
    if let Some(p) = std::env::var_os("WORKBENCH_TESTROMS") {
        return PathBuf::from(p);
    }
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/testroms")
}

/// The workspace root.
#[allow(dead_code)]
pub fn workspace_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}
