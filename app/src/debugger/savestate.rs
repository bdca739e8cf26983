//! Save states in numbered slots and in files: the core's versioned envelope
//! (`wb_machine::state`), written atomically, checked before the core sees it.

use std::path::{Path, PathBuf};

use wb_machine::{Machine, state};

/// Why a save state could not be written or read.
#[derive(Debug, thiserror::Error)]
pub enum SaveStateError {
    #[error("{path}: {source}")]
    Io {
        path: String,
        source: std::io::Error,
    },
    #[error("{path}: {source}")]
    Refused {
        path: String,
        source: wb_machine::StateError,
    },
}

/// The file of slot `slot` for the program `program` (its file name) in `dir`.
pub fn slot_path(dir: &Path, program: &str, slot: u8) -> PathBuf {
    let stem: String = program
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' || c == '.' {
                c
            } else {
                '_'
            }
        })
        .collect();
    dir.join(format!("{stem}.slot{slot}.wbss"))
}

/// Write the machine's state to `path` atomically (temporary file, then rename).
pub fn save(m: &dyn Machine, path: &Path) -> Result<(), SaveStateError> {
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(|source| SaveStateError::Io {
            path: path.display().to_string(),
            source,
        })?;
    }
    crate::fsutil::write_atomic(path, &m.save_state()).map_err(|source| SaveStateError::Io {
        path: path.display().to_string(),
        source,
    })
}

/// Read a save state and check its envelope against the machine's core. The bytes are
/// returned for [`super::Debugger::load_state`], which makes the core check the rest.
pub fn read(m: &dyn Machine, path: &Path) -> Result<Vec<u8>, SaveStateError> {
    let shown = path.display().to_string();
    let bytes = std::fs::read(path).map_err(|source| SaveStateError::Io {
        path: shown.clone(),
        source,
    })?;
    let (core, _, _) = state::inspect(&bytes).map_err(|source| SaveStateError::Refused {
        path: shown.clone(),
        source,
    })?;
    let expected = m.info().name;
    if core != expected {
        return Err(SaveStateError::Refused {
            path: shown,
            source: wb_machine::StateError::WrongCore {
                expected: expected.to_string(),
                found: core,
            },
        });
    }
    Ok(bytes)
}
