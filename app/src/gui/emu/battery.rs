//! Battery saves: a cartridge's battery-backed RAM kept beside the ROM as `<rom>.sav`
//! (`game.gb` → `game.sav`). The app loads it before handing the machine over; the
//! emulation thread writes it atomically when the machine says it changed (polled at most
//! once a second), on reload and on exit. A save file the machine refuses is never
//! written over.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use wb_machine::Machine;

use crate::fsutil::write_atomic;

/// How often the emulation thread asks the machine whether its battery RAM changed.
pub const POLL_PERIOD: Duration = Duration::from_secs(1);

/// The save file that belongs to a ROM.
pub fn sav_path(rom: &Path) -> PathBuf {
    rom.with_extension("sav")
}

/// Load `<rom>.sav` into `m` when both exist. Returns the file to keep up to date (`None`
/// for a machine without battery RAM) and a notice for the user when the file was refused,
/// in which case it is left alone and nothing is written to it this session.
pub fn attach(m: &mut dyn Machine, rom: &Path) -> (Option<PathBuf>, Option<String>) {
    if m.battery_ram().is_none() {
        return (None, None);
    }
    let path = sav_path(rom);
    match std::fs::read(&path) {
        Ok(bytes) => match m.load_battery_ram(&bytes) {
            Ok(()) => (Some(path), None),
            Err(e) => (
                None,
                Some(format!(
                    "{}: save file refused ({e}); it is kept as it is and this session's saves are not written",
                    path.display()
                )),
            ),
        },
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => (Some(path), None),
        Err(e) => (
            None,
            Some(format!(
                "{}: cannot read the save file ({e}); this session's saves are not written",
                path.display()
            )),
        ),
    }
}

/// The emulation thread's side: where to write, and when it last asked.
pub struct BatterySaver {
    path: PathBuf,
    last_poll: Instant,
    /// The RAM changed and is not written yet (kept across a failed write, since the
    /// machine reports a change only once).
    pending: bool,
}

impl BatterySaver {
    pub fn new(path: PathBuf) -> Self {
        BatterySaver {
            path,
            last_poll: Instant::now(),
            pending: false,
        }
    }

    /// Write the save file if a second passed since the last poll and the RAM changed.
    /// Returns a line for the console when a write failed.
    pub fn poll(&mut self, m: &mut dyn Machine) -> Option<String> {
        if self.last_poll.elapsed() < POLL_PERIOD {
            return None;
        }
        self.last_poll = Instant::now();
        self.flush(m)
    }

    /// Write the save file now if the RAM changed since the last write (reload, exit).
    /// Unchanged RAM is never written, so a fresh cartridge never blanks an old save.
    pub fn flush(&mut self, m: &mut dyn Machine) -> Option<String> {
        self.pending |= m.battery_dirty();
        if !self.pending {
            return None;
        }
        let ram = m.battery_ram()?;
        match write_atomic(&self.path, &ram) {
            Ok(()) => {
                self.pending = false;
                None
            }
            Err(e) => Some(format!("cannot write {}: {e}", self.path.display())),
        }
    }
}
