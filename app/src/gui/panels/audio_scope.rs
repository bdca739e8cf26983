//! An oscilloscope of the last samples the core produced.

use super::{Panel, PanelCx};

#[derive(Default)]
pub struct AudioScope {}

impl Panel for AudioScope {
    fn id(&self) -> &'static str {
        "audio_scope"
    }
    fn title(&self) -> &'static str {
        "Audio scope"
    }
    fn ui(&mut self, ui: &mut egui::Ui, cx: &mut PanelCx<'_>) {
        let Self {} = self;
        let (rect, _) = ui.allocate_exact_size(ui.available_size(), egui::Sense::hover());
        let painter = ui.painter_at(rect);
        painter.rect_filled(rect, 0.0, egui::Color32::from_gray(16));
        painter.hline(
            rect.x_range(),
            rect.center().y,
            egui::Stroke::new(1.0, egui::Color32::from_gray(60)),
        );
        let left: Vec<f32> = cx.snap.scope.iter().step_by(2).copied().collect();
        if left.len() < 2 {
            return;
        }
        let points: Vec<egui::Pos2> = left
            .iter()
            .enumerate()
            .map(|(i, v)| {
                let x = rect.left() + rect.width() * i as f32 / (left.len() - 1) as f32;
                egui::pos2(
                    x,
                    rect.center().y - v.clamp(-1.0, 1.0) * rect.height() * 0.45,
                )
            })
            .collect();
        painter.add(egui::Shape::line(
            points,
            egui::Stroke::new(1.5, egui::Color32::from_rgb(90, 220, 120)),
        ));
    }
}
