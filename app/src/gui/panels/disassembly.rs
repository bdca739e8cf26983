//! Disassembly around pc (or a chosen address), with symbols. Click the gutter to toggle
//! a breakpoint; right-click a line to run to it. When the program came with a line map
//! (our assembler, an ELF with line info), each source line is shown above its code.

use std::collections::HashMap;
use std::sync::Arc;

use wb_machine::DebugInfo;

use super::{Panel, PanelCx, hex_addr, parse_addr};
use crate::gui::emu::Command;
use crate::gui::probe;

/// Source files larger than this are not read for the line display.
const MAX_SOURCE: u64 = 4 << 20;

/// Source files named by the line map, read once per loaded program.
#[derive(Default)]
struct Sources {
    of: Option<Arc<DebugInfo>>,
    files: HashMap<String, Option<Vec<String>>>,
}

impl Sources {
    /// The text of `line` (1-based) of `file`, when the file can be read.
    fn line(&mut self, info: &Arc<DebugInfo>, file: &str, line: u32) -> Option<&str> {
        if !self.of.as_ref().is_some_and(|o| Arc::ptr_eq(o, info)) {
            self.of = Some(info.clone());
            self.files.clear();
        }
        self.files
            .entry(file.to_string())
            .or_insert_with(|| {
                let meta = std::fs::metadata(file).ok()?;
                if meta.len() > MAX_SOURCE {
                    return None;
                }
                let text = std::fs::read(file).ok()?;
                Some(
                    String::from_utf8_lossy(&text)
                        .lines()
                        .map(str::to_string)
                        .collect(),
                )
            })
            .as_ref()?
            .get((line as usize).checked_sub(1)?)
            .map(String::as_str)
    }
}

#[derive(Default)]
pub struct Disassembly {
    /// `None` follows pc.
    anchor: Option<u64>,
    goto: String,
    /// The pc last scrolled to, so the view jumps only when pc moves.
    scrolled_to: Option<u64>,
    sources: Sources,
}

impl Panel for Disassembly {
    fn id(&self) -> &'static str {
        "disassembly"
    }
    fn title(&self) -> &'static str {
        "Disassembly"
    }
    fn ui(&mut self, ui: &mut egui::Ui, cx: &mut PanelCx<'_>) {
        let Self {
            anchor,
            goto,
            scrolled_to,
            sources,
        } = self;
        let snap = cx.snap;
        ui.horizontal(|ui| {
            let resp = ui.add(
                egui::TextEdit::singleline(goto)
                    .hint_text("address or symbol")
                    .desired_width(140.0),
            );
            if resp.lost_focus()
                && ui.input(|i| i.key_pressed(egui::Key::Enter))
                && let Some(a) = parse_addr(snap, goto)
            {
                *anchor = Some(a);
                cx.commands.push(view(snap, Some(a)));
            }
            if ui.selectable_label(anchor.is_none(), "Follow pc").clicked() {
                *anchor = None;
                cx.commands.push(view(snap, None));
            }
        });
        ui.separator();
        let symbols = &snap.debug_info.symbols;
        let bp_color = egui::Color32::from_rgb(230, 60, 60);
        egui::ScrollArea::vertical()
            .auto_shrink([false, false])
            .show(ui, |ui| {
                let mut shown_line = None;
                for line in &snap.disasm {
                    if let Some(src) = snap.debug_info.line_at(line.addr) {
                        let key = (src.file.to_string(), src.line);
                        if shown_line.as_ref() != Some(&key) {
                            let text = sources
                                .line(&snap.debug_info, src.file, src.line)
                                .unwrap_or("")
                                .trim_end();
                            let name = std::path::Path::new(src.file).file_name().map_or_else(
                                || src.file.to_string(),
                                |n| n.to_string_lossy().into_owned(),
                            );
                            ui.monospace(
                                egui::RichText::new(format!("{name}:{}  {text}", src.line))
                                    .color(egui::Color32::from_rgb(150, 170, 130)),
                            );
                            shown_line = Some(key);
                        }
                    }
                    if let Some(sym) = symbols.at(line.addr) {
                        ui.monospace(
                            egui::RichText::new(format!("{}:", sym.name))
                                .color(egui::Color32::from_rgb(120, 180, 255)),
                        );
                    }
                    ui.horizontal(|ui| {
                        let bp = snap.breakpoints.iter().find(|b| b.addr == line.addr);
                        let mark = match bp {
                            Some(b) if b.enabled => egui::RichText::new("●").color(bp_color),
                            Some(_) => egui::RichText::new("○").color(bp_color),
                            None => egui::RichText::new("·").weak(),
                        };
                        let gutter =
                            ui.add(egui::Label::new(mark.monospace()).sense(egui::Sense::click()));
                        probe::note(&gutter, &format!("gutter {:#x}", line.addr));
                        if gutter.on_hover_text("toggle breakpoint").clicked() {
                            cx.commands.push(Command::ToggleBreakpoint(line.addr));
                        }
                        let at_pc = line.addr == snap.pc;
                        let bytes: String = line.bytes.iter().map(|b| format!("{b:02X}")).collect();
                        let target = line
                            .target
                            .and_then(|t| symbols.describe(t))
                            .map(|s| format!("  ; {s}"))
                            .unwrap_or_default();
                        let text = format!(
                            "{} {:<8} {}{}",
                            hex_addr(snap, line.addr),
                            bytes,
                            line.text,
                            target
                        );
                        let mut rich = egui::RichText::new(text).monospace();
                        if at_pc {
                            rich = rich
                                .background_color(egui::Color32::from_rgb(60, 70, 20))
                                .strong();
                        }
                        let resp = ui.add(egui::Label::new(rich).sense(egui::Sense::click()));
                        if at_pc && anchor.is_none() && *scrolled_to != Some(snap.pc) {
                            *scrolled_to = Some(snap.pc);
                            resp.scroll_to_me(Some(egui::Align::Center));
                        }
                        resp.context_menu(|ui| {
                            if ui.button("Run to here").clicked() {
                                cx.commands.push(Command::RunTo(line.addr));
                                ui.close();
                            }
                            if ui.button("Toggle breakpoint").clicked() {
                                cx.commands.push(Command::ToggleBreakpoint(line.addr));
                                ui.close();
                            }
                        });
                        if resp.double_clicked() {
                            cx.commands.push(Command::RunTo(line.addr));
                        }
                    });
                }
            });
    }
}

fn view(snap: &crate::gui::emu::Snapshot, anchor: Option<u64>) -> Command {
    Command::View {
        space: snap.memory.space,
        memory_start: snap.memory.start,
        disasm_anchor: anchor,
    }
}
