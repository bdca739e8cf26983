//! The last instructions before the stop, with the registers each one changed
//! (re-executed from history when the machine pauses).

use super::{Panel, PanelCx, hex_addr};

#[derive(Default)]
pub struct Trace {}

impl Panel for Trace {
    fn id(&self) -> &'static str {
        "trace"
    }
    fn title(&self) -> &'static str {
        "Trace"
    }
    fn ui(&mut self, ui: &mut egui::Ui, cx: &mut PanelCx<'_>) {
        let Self {} = self;
        let snap = cx.snap;
        if snap.trace.is_empty() {
            ui.label("Pause the machine to see the last instructions");
            return;
        }
        egui::ScrollArea::vertical()
            .auto_shrink([false, false])
            .stick_to_bottom(true)
            .show(ui, |ui| {
                egui::Grid::new("trace")
                    .num_columns(4)
                    .striped(true)
                    .show(ui, |ui| {
                        for t in &snap.trace {
                            ui.monospace(t.index.to_string());
                            ui.monospace(hex_addr(snap, t.pc));
                            ui.monospace(&t.text);
                            ui.monospace(
                                egui::RichText::new(&t.changes)
                                    .color(egui::Color32::from_rgb(255, 170, 60)),
                            );
                            ui.end_row();
                        }
                    });
            });
    }
}
