//! The guest screen, scaled at its aspect ratio with nearest filtering, optionally through
//! the WGSL filter of `shaders/screen.wgsl`.

use super::{Panel, PanelCx};
use crate::gui::filter::{ScreenCallback, ScreenFilter};
use crate::gui::settings::ScreenScale;

#[derive(Default)]
pub struct Screen {}

impl Panel for Screen {
    fn id(&self) -> &'static str {
        "screen"
    }
    fn title(&self) -> &'static str {
        "Screen"
    }
    fn ui(&mut self, ui: &mut egui::Ui, cx: &mut PanelCx<'_>) {
        let Self {} = self;
        let Some(tex) = cx.screen else {
            ui.centered_and_justified(|ui| {
                ui.label("Open a program: File > Open (Ctrl+O), or drop a file on the window");
            });
            return;
        };
        let avail = ui.available_size();
        let [w, h] = tex.size().map(|v| v.max(1) as f32);
        let fit = (avail.x / w).min(avail.y / h).max(0.1);
        let scale = match cx.settings.scale {
            ScreenScale::Fit => fit,
            ScreenScale::Integer => fit.floor().max(1.0),
        };
        let (rect, _) = ui.allocate_exact_size(avail, egui::Sense::hover());
        let image = egui::Rect::from_center_size(rect.center(), egui::vec2(w * scale, h * scale));
        let painter = ui.painter_at(rect);
        painter.rect_filled(rect, 0.0, egui::Color32::BLACK);
        let filter = cx.settings.filter;
        if filter != ScreenFilter::None && cx.gpu_filter {
            let pixels_per_point = ui.ctx().pixels_per_point();
            painter.add(egui_wgpu::Callback::new_paint_callback(
                image,
                ScreenCallback {
                    frame: cx.snap.frame.clone(),
                    serial: cx.snap.frame_serial,
                    filter,
                    scale: scale * pixels_per_point,
                },
            ));
            return;
        }
        let uv = egui::Rect::from_min_max(egui::pos2(0.0, 0.0), egui::pos2(1.0, 1.0));
        painter.image(tex.id(), image, uv, egui::Color32::WHITE);
        if filter == ScreenFilter::Scanlines && scale >= 3.0 {
            // Without the GPU filter (tests, other renderers): the same rows, drawn by egui.
            let shade = egui::Color32::from_black_alpha(90);
            for row in 0..h as usize {
                let y = image.top() + (row as f32 + 0.66) * scale;
                let line = egui::Rect::from_min_max(
                    egui::pos2(image.left(), y),
                    egui::pos2(image.right(), y + scale / 3.0),
                );
                painter.rect_filled(line, 0.0, shade);
            }
        }
    }
}
