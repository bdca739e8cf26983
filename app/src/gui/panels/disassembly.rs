//! Disassembly around pc (or a chosen address), with symbols. Click the gutter to toggle
//! a breakpoint; right-click a line to run to it.

use super::{Panel, PanelCx, hex_addr, parse_addr};
use crate::gui::emu::Command;

#[derive(Default)]
pub struct Disassembly {
    /// `None` follows pc.
    anchor: Option<u64>,
    goto: String,
    /// The pc last scrolled to, so the view jumps only when pc moves.
    scrolled_to: Option<u64>,
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
                for line in &snap.disasm {
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
