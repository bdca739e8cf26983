//! What the emulation thread publishes for the UI: plain data, copied out of the machine,
//! so panels never borrow the core.

use std::sync::{Arc, Mutex};

use wb_machine::{CallEvent, CoreInfo, DebugInfo, DisasmLine, Register, View};

/// A latest-wins slot: the producer replaces, the consumer takes the newest. The lock is
/// held only to swap an `Option`, never while the machine runs.
pub struct Mailbox<T> {
    slot: Mutex<Option<T>>,
}

impl<T> Default for Mailbox<T> {
    fn default() -> Self {
        Mailbox {
            slot: Mutex::new(None),
        }
    }
}

impl<T> Mailbox<T> {
    pub fn put(&self, value: T) {
        if let Ok(mut slot) = self.slot.lock() {
            *slot = Some(value);
        }
    }
    pub fn take(&self) -> Option<T> {
        self.slot.lock().ok().and_then(|mut s| s.take())
    }
}

/// The guest screen, RGBA8.
#[derive(Clone, Debug, Default)]
pub struct FrameImage {
    pub width: usize,
    pub height: usize,
    pub rgba: Vec<u8>,
}

/// A window of one address space, for the memory panel.
#[derive(Clone, Debug, Default)]
pub struct MemoryWindow {
    pub space: usize,
    pub start: u64,
    /// `None` for unmapped bytes.
    pub bytes: Vec<Option<u8>>,
}

/// A breakpoint as the panels show it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BreakpointView {
    pub addr: u64,
    pub enabled: bool,
    pub condition: String,
    /// The log message of a log-only breakpoint.
    pub log: Option<String>,
    pub hits: u64,
    pub ignore: u64,
}

/// A watchpoint as the panels show it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WatchpointView {
    pub start: u64,
    pub len: u64,
    pub read: bool,
    pub write: bool,
    pub enabled: bool,
    pub condition: String,
    pub hits: u64,
}

/// One line of the trace panel.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TraceLine {
    pub index: u64,
    pub pc: u64,
    pub text: String,
    pub changes: String,
}

/// Whether the machine is running, and why it last stopped.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub enum RunState {
    /// Nothing loaded.
    #[default]
    Empty,
    Running,
    Paused,
    /// A panic inside the core: only reset or reload can go on.
    Crashed(String),
}

/// Everything the panels read, copied from the machine on the emulation thread.
#[derive(Clone, Debug, Default)]
pub struct Snapshot {
    pub state: RunState,
    /// The file name, or empty.
    pub program: String,
    pub info: Option<CoreInfo>,
    /// Increases with every new guest frame.
    pub frame_serial: u64,
    pub frame: Arc<FrameImage>,
    pub frames_run: u64,
    pub registers: Vec<Register>,
    pub pc: u64,
    pub retired: u64,
    pub disasm: Vec<DisasmLine>,
    pub memory: MemoryWindow,
    pub breakpoints: Vec<BreakpointView>,
    pub watchpoints: Vec<WatchpointView>,
    pub call_stack: Vec<CallEvent>,
    pub trace: Vec<TraceLine>,
    pub debug_info: Arc<DebugInfo>,
    /// Serial output, debugger log and warnings, oldest first (the last few hundred).
    pub console: Arc<Vec<String>>,
    /// Why the machine last stopped, in words.
    pub last_stop: String,
    pub fps: f32,
    /// Emulated time over real time, in percent.
    pub speed_pct: f32,
    pub history_bytes: usize,
    pub history_states: usize,
    /// The result of the last memory search, in words.
    pub search: String,
    /// The last audio samples produced (interleaved stereo, core rate), for the scope.
    pub scope: Vec<f32>,
    /// The machine's core-specific views; empty unless the views panel is shown.
    pub views: Arc<Vec<View>>,
}
