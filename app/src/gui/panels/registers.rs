//! The register file; click a value to edit it.

use super::{Panel, PanelCx};
use crate::gui::emu::Command;

#[derive(Default)]
pub struct Registers {
    /// The register being edited and its text.
    editing: Option<(String, String)>,
    /// Values at the previous position, to highlight what changed since.
    previous: Vec<(String, u128)>,
    /// Values at the current position, and that position.
    current: Vec<(String, u128)>,
    current_at: Option<u64>,
}

impl Panel for Registers {
    fn id(&self) -> &'static str {
        "registers"
    }
    fn title(&self) -> &'static str {
        "Registers"
    }
    fn ui(&mut self, ui: &mut egui::Ui, cx: &mut PanelCx<'_>) {
        let Self {
            editing,
            previous,
            current,
            current_at,
        } = self;
        let snap = cx.snap;
        if snap.registers.is_empty() {
            ui.label("No machine");
            return;
        }
        if *current_at != Some(snap.retired) {
            *current_at = Some(snap.retired);
            *previous = std::mem::take(current);
            *current = snap
                .registers
                .iter()
                .map(|r| (r.name.clone(), r.value))
                .collect();
        }
        egui::ScrollArea::vertical()
            .auto_shrink([false, false])
            .show(ui, |ui| {
                egui::Grid::new("registers")
                    .num_columns(2)
                    .striped(true)
                    .show(ui, |ui| {
                        for r in &snap.registers {
                            ui.monospace(&r.name);
                            let digits = r.bits.div_ceil(4) as usize;
                            let text = format!("{:0digits$X}", r.value);
                            let changed =
                                previous.iter().any(|(n, v)| n == &r.name && *v != r.value);
                            match editing {
                                Some((name, buf)) if *name == r.name => {
                                    let resp = ui.add(
                                        egui::TextEdit::singleline(buf)
                                            .desired_width(120.0)
                                            .font(egui::TextStyle::Monospace),
                                    );
                                    resp.request_focus();
                                    if resp.lost_focus() {
                                        if ui.input(|i| i.key_pressed(egui::Key::Enter)) {
                                            let t = buf.trim().trim_start_matches("0x");
                                            if let Ok(value) = u128::from_str_radix(t, 16) {
                                                cx.commands.push(Command::SetRegister {
                                                    name: name.clone(),
                                                    value,
                                                });
                                            }
                                        }
                                        *editing = None;
                                    }
                                }
                                _ => {
                                    let color = if changed {
                                        egui::Color32::from_rgb(255, 140, 60)
                                    } else {
                                        ui.visuals().text_color()
                                    };
                                    let label =
                                        egui::RichText::new(text.clone()).monospace().color(color);
                                    if ui
                                        .add(egui::Label::new(label).sense(egui::Sense::click()))
                                        .on_hover_text("click to edit")
                                        .clicked()
                                    {
                                        *editing = Some((r.name.clone(), text));
                                    }
                                }
                            }
                            ui.end_row();
                        }
                    });
            });
    }
}
