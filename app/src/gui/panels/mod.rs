//! The dockable panels: one file and one struct per panel, all listed in [`registry`].
//! A panel reads the published [`Snapshot`] and asks for changes with [`Command`]s; it
//! never touches the machine.
//!
//! Adding a panel is two edits: its file here, and a line in [`registry`].

mod audio_scope;
mod breakpoints;
mod callstack;
mod console;
mod disassembly;
pub(crate) mod editor;
mod memory;
mod registers;
mod screen;
mod trace;
pub(crate) mod views;

use super::emu::{Command, Snapshot};
use super::settings::Settings;

/// What a panel gets to draw itself.
pub struct PanelCx<'a> {
    pub snap: &'a Snapshot,
    /// Commands for the emulation thread, sent after the frame is drawn.
    pub commands: &'a mut Vec<Command>,
    /// The guest screen as a texture, once a frame arrived.
    pub screen: Option<&'a egui::TextureHandle>,
    pub settings: &'a mut Settings,
    /// The GPU screen filter is installed (the real window); otherwise egui draws.
    pub gpu_filter: bool,
}

/// One dockable panel.
pub trait Panel {
    /// Stable identifier, stored in saved layouts.
    fn id(&self) -> &'static str;
    /// Tab title.
    fn title(&self) -> &'static str;
    fn ui(&mut self, ui: &mut egui::Ui, cx: &mut PanelCx<'_>);
    /// What would be lost by closing the window now (an editor's unsaved file), in words.
    fn unsaved_changes(&self) -> Option<String> {
        None
    }
    /// Open a source file (a program to edit, not to run); false when this panel does not
    /// edit sources.
    fn open_source(&mut self, _path: &std::path::Path) -> bool {
        false
    }
}

/// Every panel, in the order the default layout and the View menu list them.
pub fn registry() -> Vec<Box<dyn Panel>> {
    vec![
        Box::new(screen::Screen::default()),
        Box::new(registers::Registers::default()),
        Box::new(disassembly::Disassembly::default()),
        Box::new(memory::Memory::default()),
        Box::new(breakpoints::Breakpoints::default()),
        Box::new(callstack::CallStack::default()),
        Box::new(trace::Trace::default()),
        Box::new(console::Console::default()),
        Box::new(audio_scope::AudioScope::default()),
        Box::new(views::Views::default()),
        Box::new(editor::Editor::default()),
    ]
}

/// `0x1234`-style address text, as wide as the core's pc.
pub fn hex_addr(snap: &Snapshot, addr: u64) -> String {
    let digits = snap
        .info
        .as_ref()
        .map_or(4, |i| i.pc_bits.div_ceil(4).max(3)) as usize;
    format!("{addr:0digits$X}")
}

/// Parse an address typed by the user: a number (hex with or without `0x`, or `#dec`)
/// or a symbol name.
pub fn parse_addr(snap: &Snapshot, text: &str) -> Option<u64> {
    let t = text.trim();
    if let Some(dec) = t.strip_prefix('#') {
        return dec.parse().ok();
    }
    let hex = t
        .strip_prefix("0x")
        .or_else(|| t.strip_prefix("0X"))
        .unwrap_or(t);
    if let Ok(v) = u64::from_str_radix(hex, 16) {
        return Some(v);
    }
    snap.debug_info.symbols.by_name(t).map(|s| s.addr)
}
