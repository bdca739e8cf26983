//! Settings and layout, saved as RON in the platform's config folder, written atomically.
//! A file that does not parse is refused with a message, set aside as `NAME.bad`, and the
//! defaults are used.

use std::path::{Path, PathBuf};

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

use super::filter::ScreenFilter;
use super::keymap::{KeyMap, PadMap};

/// How the screen panel scales the guest picture.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum ScreenScale {
    /// As large as fits, at the guest's aspect ratio.
    #[default]
    Fit,
    /// The largest whole multiple that fits (crisp pixels).
    Integer,
}

/// Everything the user sets, with defaults for what an older file lacks.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Settings {
    pub keymap: KeyMap,
    pub padmap: PadMap,
    /// Most recent first.
    pub recent: Vec<PathBuf>,
    pub volume: f32,
    pub muted: bool,
    /// Emulation speed, 1.0 = real time.
    pub speed: f32,
    pub scale: ScreenScale,
    /// The screen's look (shaders/screen.wgsl).
    pub filter: ScreenFilter,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            keymap: KeyMap::default(),
            padmap: PadMap::default(),
            recent: Vec::new(),
            volume: 0.8,
            muted: false,
            speed: 1.0,
            scale: ScreenScale::Fit,
            filter: ScreenFilter::None,
        }
    }
}

const RECENT_MAX: usize = 10;

impl Settings {
    pub fn add_recent(&mut self, path: &Path) {
        let path = path.canonicalize().unwrap_or_else(|_| path.to_path_buf());
        self.recent.retain(|p| p != &path);
        self.recent.insert(0, path);
        self.recent.truncate(RECENT_MAX);
    }
}

/// The folder for settings and layout: `$WORKBENCH_CONFIG_DIR`, else the platform's.
pub fn config_dir() -> Option<PathBuf> {
    if let Some(dir) = std::env::var_os("WORKBENCH_CONFIG_DIR") {
        return Some(PathBuf::from(dir));
    }
    directories::ProjectDirs::from("org", "workbench", "workbench")
        .map(|d| d.config_dir().to_path_buf())
}

/// Read a RON file. Missing → defaults, silently; unreadable or invalid → defaults and a
/// one-line message (the bad file is renamed to `NAME.bad` so it is not overwritten).
pub fn load<T: DeserializeOwned + Default>(path: &Path) -> (T, Option<String>) {
    let (value, warning) = load_or_none(path);
    (value.unwrap_or_default(), warning)
}

/// Like [`load`], with `None` instead of a default.
pub fn load_or_none<T: DeserializeOwned>(path: &Path) -> (Option<T>, Option<String>) {
    let text = match std::fs::read_to_string(path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return (None, None),
        Err(e) => {
            return (
                None,
                Some(format!("{}: {e}; using defaults", path.display())),
            );
        }
    };
    match ron::from_str(&text) {
        Ok(v) => (Some(v), None),
        Err(e) => {
            let bad = path.with_extension("ron.bad");
            let kept = std::fs::rename(path, &bad).is_ok();
            let kept = if kept {
                format!(", the file was kept as {}", bad.display())
            } else {
                String::new()
            };
            let msg = format!(
                "{} is not a valid settings file ({e}); using defaults{kept}",
                path.display()
            );
            (None, Some(msg))
        }
    }
}

/// Write a RON file atomically (temporary file, then rename).
pub fn save<T: Serialize>(path: &Path, value: &T) -> Result<(), String> {
    let text = ron::ser::to_string_pretty(value, ron::ser::PrettyConfig::default())
        .map_err(|e| e.to_string())?;
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    }
    crate::fsutil::write_atomic(path, text.as_bytes())
        .map_err(|e| format!("{}: {e}", path.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_corrupt_files_are_refused() {
        let dir = std::env::temp_dir().join(format!("wb-settings-{}", std::process::id()));
        let path = dir.join("settings.ron");
        let mut s = Settings {
            volume: 0.25,
            ..Settings::default()
        };
        s.keymap.rows_mut("chip8")[0].1 = "F".into();
        s.add_recent(Path::new("/tmp/some.ch8"));
        save(&path, &s).unwrap();
        let (back, warning): (Settings, _) = load(&path);
        assert_eq!(warning, None);
        assert_eq!(back, s);

        // Older files lacking fields get defaults for them.
        std::fs::write(&path, "(volume: 0.5)").unwrap();
        let (partial, warning): (Settings, _) = load(&path);
        assert_eq!(warning, None);
        assert_eq!(partial.volume, 0.5);
        assert_eq!(partial.keymap, KeyMap::default());

        std::fs::write(&path, "(volume: ").unwrap();
        let (fallback, warning): (Settings, _) = load(&path);
        assert_eq!(fallback, Settings::default());
        let warning = warning.unwrap();
        assert!(warning.contains("not a valid settings file"), "{warning}");
        assert!(dir.join("settings.ron.bad").exists());
        assert!(!path.exists());
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
