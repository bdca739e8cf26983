//! Keyboard and gamepad to guest buttons. Mappings are by name (egui key names, core
//! button names from `CoreInfo::buttons`), so they survive in the settings file and work
//! for every core.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// Key name → button name, per core name.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct KeyMap {
    pub by_core: BTreeMap<String, Vec<(String, String)>>,
}

impl Default for KeyMap {
    fn default() -> Self {
        let mut by_core = BTreeMap::new();
        by_core.insert("chip8".to_string(), pairs(CHIP8));
        by_core.insert("gb".to_string(), pairs(GAME_BOY));
        KeyMap { by_core }
    }
}

/// The standard COSMAC VIP layout on a QWERTY keyboard:
/// `1 2 3 4 / Q W E R / A S D F / Z X C V` → `1 2 3 C / 4 5 6 D / 7 8 9 E / A 0 B F`.
const CHIP8: &[(&str, &str)] = &[
    ("1", "1"),
    ("2", "2"),
    ("3", "3"),
    ("4", "C"),
    ("Q", "4"),
    ("W", "5"),
    ("E", "6"),
    ("R", "D"),
    ("A", "7"),
    ("S", "8"),
    ("D", "9"),
    ("F", "E"),
    ("Z", "A"),
    ("X", "0"),
    ("C", "B"),
    ("V", "F"),
];

const GAME_BOY: &[(&str, &str)] = &[
    ("ArrowUp", "up"),
    ("ArrowDown", "down"),
    ("ArrowLeft", "left"),
    ("ArrowRight", "right"),
    ("Z", "a"),
    ("X", "b"),
    ("Enter", "start"),
    ("Space", "select"),
];

fn pairs(table: &[(&str, &str)]) -> Vec<(String, String)> {
    table
        .iter()
        .map(|(k, b)| (k.to_string(), b.to_string()))
        .collect()
}

/// The table for a core; the CHIP-8 variants share one.
fn core_key(core: &str) -> &str {
    match core {
        "schip" | "xochip" => "chip8",
        other => other,
    }
}

impl KeyMap {
    /// The button index `key` presses on a core with these `buttons`.
    pub fn button_for(&self, core: &str, buttons: &[&str], key: egui::Key) -> Option<usize> {
        let table = self.by_core.get(core_key(core))?;
        let name = key.name();
        let (_, button) = table.iter().find(|(k, _)| k == name)?;
        buttons.iter().position(|b| b.eq_ignore_ascii_case(button))
    }

    /// Mutable rows of a core's table, for the settings window.
    pub fn rows_mut(&mut self, core: &str) -> &mut Vec<(String, String)> {
        self.by_core.entry(core_key(core).to_string()).or_default()
    }
}

/// Gamepad button name (gilrs's, as `{:?}` prints it) → guest button name, per core.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct PadMap {
    pub by_core: BTreeMap<String, Vec<(String, String)>>,
}

impl Default for PadMap {
    fn default() -> Self {
        let mut by_core = BTreeMap::new();
        by_core.insert("chip8".to_string(), pairs(CHIP8_PAD));
        by_core.insert("gb".to_string(), pairs(GAME_BOY_PAD));
        PadMap { by_core }
    }
}

/// Most CHIP-8 games steer with 5/8/7/9 (W/S/A/D on the keypad) and act with 6.
const CHIP8_PAD: &[(&str, &str)] = &[
    ("DPadUp", "5"),
    ("DPadDown", "8"),
    ("DPadLeft", "7"),
    ("DPadRight", "9"),
    ("South", "6"),
    ("East", "4"),
];

const GAME_BOY_PAD: &[(&str, &str)] = &[
    ("DPadUp", "up"),
    ("DPadDown", "down"),
    ("DPadLeft", "left"),
    ("DPadRight", "right"),
    ("South", "a"),
    ("East", "b"),
    ("Start", "start"),
    ("Select", "select"),
];

impl PadMap {
    /// The button index a pad button (by gilrs name) presses on a core with these
    /// `buttons`.
    pub fn button_for(&self, core: &str, buttons: &[&str], button: &str) -> Option<usize> {
        let table = self.by_core.get(core_key(core))?;
        let (_, guest) = table.iter().find(|(b, _)| b == button)?;
        buttons.iter().position(|b| b.eq_ignore_ascii_case(guest))
    }

    /// Mutable rows of a core's table, for the settings window.
    pub fn rows_mut(&mut self, core: &str) -> &mut Vec<(String, String)> {
        self.by_core.entry(core_key(core).to_string()).or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const HEX: [&str; 16] = [
        "0", "1", "2", "3", "4", "5", "6", "7", "8", "9", "A", "B", "C", "D", "E", "F",
    ];

    #[test]
    fn qwerty_block_is_the_hex_keypad() {
        let map = KeyMap::default();
        let press = |k: egui::Key| map.button_for("chip8", &HEX, k);
        assert_eq!(press(egui::Key::Num1), Some(0x1));
        assert_eq!(press(egui::Key::Num4), Some(0xC));
        assert_eq!(press(egui::Key::Q), Some(0x4));
        assert_eq!(press(egui::Key::R), Some(0xD));
        assert_eq!(press(egui::Key::F), Some(0xE));
        assert_eq!(press(egui::Key::Z), Some(0xA));
        assert_eq!(press(egui::Key::X), Some(0x0));
        assert_eq!(press(egui::Key::V), Some(0xF));
        assert_eq!(press(egui::Key::P), None);
        assert_eq!(map.button_for("xochip", &HEX, egui::Key::W), Some(0x5));
        // All sixteen keys are reachable, each once.
        let mut seen: Vec<usize> = map.by_core["chip8"]
            .iter()
            .filter_map(|(k, _)| egui::Key::from_name(k).and_then(press))
            .collect();
        seen.sort();
        assert_eq!(seen, (0..16).collect::<Vec<_>>());
    }

    #[test]
    fn pad_buttons_map_by_name() {
        let pad = PadMap::default();
        assert_eq!(pad.button_for("chip8", &HEX, "DPadUp"), Some(0x5));
        assert_eq!(pad.button_for("schip", &HEX, "South"), Some(0x6));
        assert_eq!(pad.button_for("chip8", &HEX, "Mode"), None);
        let gb = ["a", "b", "select", "start", "right", "left", "up", "down"];
        assert_eq!(pad.button_for("gb", &gb, "Start"), Some(3));
        // The names are gilrs's own.
        assert_eq!(format!("{:?}", gilrs::Button::DPadUp), "DPadUp");
    }
}
