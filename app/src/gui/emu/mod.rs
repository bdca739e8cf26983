//! The emulation thread: it owns the machine and the debugger, paces frames to real time
//! (or runs unthrottled), feeds the audio ring, and publishes [`Snapshot`]s. The UI talks
//! to it only through the closed [`Command`] enum and never waits for it.

pub mod battery;
mod snapshot;
pub mod worker;

use std::path::PathBuf;
use std::sync::Arc;
use std::thread::JoinHandle;

use crossbeam_channel::Sender;
use wb_machine::{InputEvent, Machine, RegValue};

pub use snapshot::{BreakpointView, FrameImage, Mailbox, RunState, Snapshot, WatchpointView};

use super::audio::ring::Producer;

/// How fast to run.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Speed {
    /// 1.0 is real time.
    pub factor: f32,
    /// As fast as the host can (fast-forward); audio is dropped.
    pub unthrottled: bool,
}

impl Default for Speed {
    fn default() -> Self {
        Speed {
            factor: 1.0,
            unthrottled: false,
        }
    }
}

/// Everything the UI can ask of the emulation thread.
pub enum Command {
    /// Replace the machine (a freshly loaded file); it starts running.
    Load {
        machine: Box<dyn Machine>,
        program: String,
        /// The battery save file (`<rom>.sav`) to keep up to date, when there is one to
        /// write; the app already loaded it into the machine.
        battery: Option<PathBuf>,
    },
    Run,
    Pause,
    StepInto,
    StepOver,
    StepOut,
    RunTo(u64),
    FrameAdvance,
    ReverseStep,
    ReverseContinue,
    /// Rewind while held: true starts, false stops.
    Rewind(bool),
    Reset,
    Input(InputEvent),
    SetSpeed(Speed),
    ToggleBreakpoint(u64),
    RemoveBreakpoint(u64),
    /// Set a breakpoint's fields (created when missing). Empty condition means none.
    EditBreakpoint(BreakpointView),
    AddWatchpoint {
        start: u64,
        len: u64,
        read: bool,
        write: bool,
    },
    RemoveWatchpoint(usize),
    EditWatchpoint(usize, WatchpointView),
    Poke {
        space: usize,
        addr: u64,
        value: u8,
    },
    /// Text typed to the guest's serial/console input.
    SerialIn(Vec<u8>),
    SetRegister {
        name: String,
        value: RegValue,
    },
    SaveState(PathBuf),
    LoadState(PathBuf),
    /// Find `pattern` in an address space, after the previous match of the same pattern;
    /// the memory view moves to it.
    Search {
        space: usize,
        pattern: Vec<u8>,
    },
    /// Which memory window and disassembly anchor the panels look at.
    View {
        space: usize,
        memory_start: u64,
        disasm_anchor: Option<u64>,
    },
    /// Compute the machine's core-specific views into each snapshot (the views panel is
    /// visible) or stop doing so.
    WantViews(bool),
    /// Where audio goes (the device's rate), or `None` when there is no device.
    Audio(Option<(Producer, u32)>),
    Quit,
}

/// The UI's handle on the thread.
pub struct EmuHandle {
    tx: Sender<Command>,
    pub snapshots: Arc<Mailbox<Snapshot>>,
    thread: Option<JoinHandle<()>>,
}

impl EmuHandle {
    /// Start the thread. `repaint` is called after each publication (the UI wakes up).
    pub fn spawn(repaint: impl Fn() + Send + 'static) -> std::io::Result<EmuHandle> {
        let (tx, rx) = crossbeam_channel::unbounded();
        let snapshots = Arc::new(Mailbox::default());
        let out = snapshots.clone();
        let thread = std::thread::Builder::new()
            .name("emulation".into())
            .spawn(move || worker::Worker::new(rx, out, Box::new(repaint)).run())?;
        Ok(EmuHandle {
            tx,
            snapshots,
            thread: Some(thread),
        })
    }

    /// Send a command; never blocks (the channel is unbounded and the thread drains it
    /// every frame).
    pub fn send(&self, cmd: Command) {
        // Fails only when the thread is gone, which the status bar already shows.
        let _ = self.tx.send(cmd);
    }
}

impl Drop for EmuHandle {
    fn drop(&mut self) {
        let _ = self.tx.send(Command::Quit);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}
