//! The shadow call stack the core reports (innermost first).

use super::{Panel, PanelCx, hex_addr};

#[derive(Default)]
pub struct CallStack {}

impl Panel for CallStack {
    fn id(&self) -> &'static str {
        "callstack"
    }
    fn title(&self) -> &'static str {
        "Call stack"
    }
    fn ui(&mut self, ui: &mut egui::Ui, cx: &mut PanelCx<'_>) {
        let Self {} = self;
        let snap = cx.snap;
        if snap.call_stack.is_empty() {
            ui.label("No calls recorded (top level, or the core does not report calls)");
            return;
        }
        let symbols = &snap.debug_info.symbols;
        let name = |a: u64| symbols.describe(a).unwrap_or_else(|| hex_addr(snap, a));
        egui::Grid::new("calls")
            .num_columns(3)
            .striped(true)
            .show(ui, |ui| {
                ui.strong("#");
                ui.strong("routine");
                ui.strong("called from");
                ui.end_row();
                for (depth, c) in snap.call_stack.iter().rev().enumerate() {
                    ui.monospace(depth.to_string());
                    ui.monospace(name(c.target));
                    ui.monospace(format!(
                        "{} (returns to {})",
                        name(c.call_pc),
                        hex_addr(snap, c.return_addr)
                    ));
                    ui.end_row();
                }
            });
    }
}
