//! Serial output, debugger log lines and warnings, and a line to type to the guest's
//! serial input.

use super::{Panel, PanelCx};
use crate::gui::emu::Command;

#[derive(Default)]
pub struct Console {
    typed: String,
}

impl Panel for Console {
    fn id(&self) -> &'static str {
        "console"
    }
    fn title(&self) -> &'static str {
        "Console"
    }
    fn ui(&mut self, ui: &mut egui::Ui, cx: &mut PanelCx<'_>) {
        let Self { typed } = self;
        egui::Panel::bottom("serial-in").show(ui, |ui| {
            let resp = ui.add(
                egui::TextEdit::singleline(typed)
                    .hint_text("type to the guest's serial input, Enter sends the line")
                    .desired_width(f32::INFINITY),
            );
            if resp.lost_focus() && ui.input(|i| i.key_pressed(egui::Key::Enter)) {
                let mut line = std::mem::take(typed).into_bytes();
                line.push(b'\n');
                cx.commands.push(Command::SerialIn(line));
                resp.request_focus();
            }
        });
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
