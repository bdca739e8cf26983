//! The desktop app (eframe on wgpu). Being written.

use std::path::PathBuf;

/// Open the window, optionally with a file loaded.
pub fn run(file: Option<PathBuf>) -> anyhow::Result<()> {
    let _ = file;
    anyhow::bail!("the window is not built yet")
}
