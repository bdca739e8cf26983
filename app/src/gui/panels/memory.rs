//! Hex and ASCII view of an address space: go to an address or symbol, edit bytes,
//! recent writes highlighted, search for bytes or text.

use std::collections::HashMap;

use super::{Panel, PanelCx, hex_addr, parse_addr};
use crate::gui::emu::Command;

/// UI frames a changed byte stays highlighted.
const FADE: u32 = 90;

#[derive(Default)]
pub struct Memory {
    goto: String,
    search: String,
    found: Option<String>,
    editing: Option<(u64, String)>,
    /// The bytes seen last frame, and how many frames ago each changed byte changed.
    seen: Vec<Option<u8>>,
    seen_start: u64,
    fresh: HashMap<u64, u32>,
}

impl Panel for Memory {
    fn id(&self) -> &'static str {
        "memory"
    }
    fn title(&self) -> &'static str {
        "Memory"
    }
    fn ui(&mut self, ui: &mut egui::Ui, cx: &mut PanelCx<'_>) {
        let Self {
            goto,
            search,
            found,
            editing,
            seen,
            seen_start,
            fresh,
        } = self;
        let snap = cx.snap;
        let win = &snap.memory;
        let Some(info) = &snap.info else {
            ui.label("No machine");
            return;
        };
        // Age the highlights, then mark bytes that differ from last frame.
        fresh.retain(|_, age| {
            *age += 1;
            *age < FADE
        });
        if *seen_start == win.start && seen.len() == win.bytes.len() {
            for (i, (a, b)) in seen.iter().zip(win.bytes.iter()).enumerate() {
                if a != b {
                    fresh.insert(win.start + i as u64, 0);
                }
            }
        }
        *seen = win.bytes.clone();
        *seen_start = win.start;

        ui.horizontal(|ui| {
            let mut space = win.space;
            egui::ComboBox::from_label("space")
                .selected_text(info.address_spaces.get(space).map_or("?", |s| s.name))
                .show_ui(ui, |ui| {
                    for (i, s) in info.address_spaces.iter().enumerate() {
                        ui.selectable_value(&mut space, i, s.name);
                    }
                });
            if space != win.space {
                cx.commands.push(Command::View {
                    space,
                    memory_start: 0,
                    disasm_anchor: None,
                });
            }
            let resp = ui.add(
                egui::TextEdit::singleline(goto)
                    .hint_text("go to address or symbol")
                    .desired_width(150.0),
            );
            if resp.lost_focus()
                && ui.input(|i| i.key_pressed(egui::Key::Enter))
                && let Some(a) = parse_addr(snap, goto)
            {
                cx.commands.push(Command::View {
                    space: win.space,
                    memory_start: a,
                    disasm_anchor: None,
                });
            }
            let resp = ui.add(
                egui::TextEdit::singleline(search)
                    .hint_text("search: hex bytes or \"text\"")
                    .desired_width(170.0),
            );
            if resp.lost_focus() && ui.input(|i| i.key_pressed(egui::Key::Enter)) {
                match search_pattern(search) {
                    // The whole space is searched on the emulation thread; Enter again
                    // finds the next match.
                    Some(pattern) => {
                        *found = None;
                        cx.commands.push(Command::Search {
                            space: win.space,
                            pattern,
                        });
                    }
                    None => *found = Some("type hex bytes (A2 1F) or \"text\"".into()),
                }
            }
            match found {
                Some(f) => ui.label(f.as_str()),
                None => ui.label(&snap.search),
            };
        });
        ui.separator();
        let highlight = egui::Color32::from_rgb(255, 170, 60);
        egui::ScrollArea::vertical()
            .auto_shrink([false, false])
            .show_rows(
                ui,
                ui.text_style_height(&egui::TextStyle::Monospace),
                win.bytes.len().div_ceil(16),
                |ui, rows| {
                    for row in rows {
                        let base = win.start + row as u64 * 16;
                        ui.horizontal(|ui| {
                            ui.spacing_mut().item_spacing.x = 4.0;
                            ui.monospace(hex_addr(snap, base));
                            let mut ascii = String::new();
                            for col in 0..16u64 {
                                let addr = base + col;
                                let byte =
                                    win.bytes.get((row * 16) + col as usize).copied().flatten();
                                ascii.push(match byte {
                                    Some(b) if b.is_ascii_graphic() || b == b' ' => b as char,
                                    Some(_) => '.',
                                    None => ' ',
                                });
                                match editing {
                                    Some((at, text)) if *at == addr => {
                                        let resp = ui.add(
                                            egui::TextEdit::singleline(text)
                                                .desired_width(18.0)
                                                .font(egui::TextStyle::Monospace),
                                        );
                                        resp.request_focus();
                                        if resp.lost_focus() {
                                            if let Ok(value) = u8::from_str_radix(text.trim(), 16) {
                                                cx.commands.push(Command::Poke {
                                                    space: win.space,
                                                    addr,
                                                    value,
                                                });
                                            }
                                            *editing = None;
                                        }
                                    }
                                    _ => {
                                        let text =
                                            byte.map_or("--".to_string(), |b| format!("{b:02X}"));
                                        let mut rich =
                                            egui::RichText::new(text.clone()).monospace();
                                        if fresh.contains_key(&addr) {
                                            rich = rich.color(highlight);
                                        }
                                        let resp = ui.add(
                                            egui::Label::new(rich).sense(egui::Sense::click()),
                                        );
                                        if resp.clicked() && byte.is_some() {
                                            *editing = Some((addr, text));
                                        }
                                    }
                                }
                            }
                            ui.monospace(ascii);
                        });
                    }
                },
            );
    }
}

/// `A2 1F 00` as bytes, or `"text"` as its bytes.
fn search_pattern(text: &str) -> Option<Vec<u8>> {
    let t = text.trim();
    if let Some(inner) = t.strip_prefix('"').and_then(|s| s.strip_suffix('"')) {
        return (!inner.is_empty()).then(|| inner.as_bytes().to_vec());
    }
    let digits: String = t.chars().filter(|c| !c.is_whitespace()).collect();
    if digits.is_empty() || !digits.len().is_multiple_of(2) {
        return None;
    }
    (0..digits.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&digits[i..i + 2], 16).ok())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn search_patterns() {
        assert_eq!(search_pattern("A2 1f"), Some(vec![0xA2, 0x1F]));
        assert_eq!(search_pattern("\"Hi\""), Some(b"Hi".to_vec()));
        assert_eq!(search_pattern("A"), None);
    }
}
