//! Serial output, debugger log lines and warnings.

use super::{Panel, PanelCx};

#[derive(Default)]
pub struct Console {}

impl Panel for Console {
    fn id(&self) -> &'static str {
        "console"
    }
    fn title(&self) -> &'static str {
        "Console"
    }
    fn ui(&mut self, ui: &mut egui::Ui, cx: &mut PanelCx<'_>) {
        let Self {} = self;
        egui::ScrollArea::vertical()
            .auto_shrink([false, false])
            .stick_to_bottom(true)
            .show(ui, |ui| {
                for line in cx.snap.console.iter() {
                    ui.monospace(line);
                }
            });
    }
}
