//! Core-specific views (tile data, background maps, OAM, palettes, IO registers...) as the
//! machine describes them with [`wb_machine::View`]: images scaled with nearest filtering,
//! tables in a grid, text in monospace. The emulation thread computes them only while this
//! panel is visible (the app sends [`crate::gui::emu::Command::WantViews`]).

use std::sync::Arc;

use wb_machine::View;

use super::{Panel, PanelCx};

#[derive(Default)]
pub struct Views {
    /// The views the textures were made from (compared by pointer: a new snapshot's views
    /// are a new allocation).
    uploaded: Option<Arc<Vec<View>>>,
    /// One texture per image view, by title.
    textures: Vec<(String, egui::TextureHandle)>,
    /// Integer zoom of images.
    zoom: u32,
}

impl Views {
    /// Textures made for image views (tests).
    #[cfg(test)]
    pub fn texture_count(&self) -> usize {
        self.textures.len()
    }

    fn upload(&mut self, ctx: &egui::Context, views: &Arc<Vec<View>>) {
        if self
            .uploaded
            .as_ref()
            .is_some_and(|u| Arc::ptr_eq(u, views))
        {
            return;
        }
        self.uploaded = Some(views.clone());
        let mut textures = Vec::new();
        for v in views.iter() {
            let View::Image {
                title,
                width,
                height,
                rgba,
            } = v
            else {
                continue;
            };
            // A malformed image from a core is skipped rather than trusted.
            if *width == 0 || *height == 0 || rgba.len() != width * height * 4 {
                continue;
            }
            let image = egui::ColorImage::from_rgba_unmultiplied([*width, *height], rgba);
            let existing = self
                .textures
                .iter()
                .position(|(t, _)| t == title)
                .map(|i| self.textures.swap_remove(i).1);
            let tex = match existing {
                Some(mut tex) => {
                    tex.set(image, egui::TextureOptions::NEAREST);
                    tex
                }
                None => ctx.load_texture(
                    format!("view-{title}"),
                    image,
                    egui::TextureOptions::NEAREST,
                ),
            };
            textures.push((title.clone(), tex));
        }
        self.textures = textures;
    }
}

impl Panel for Views {
    fn id(&self) -> &'static str {
        "views"
    }
    fn title(&self) -> &'static str {
        "Views"
    }
    fn ui(&mut self, ui: &mut egui::Ui, cx: &mut PanelCx<'_>) {
        let views = cx.snap.views.clone();
        if views.is_empty() {
            ui.label(if cx.snap.info.is_some() {
                "This machine has no core-specific views"
            } else {
                "No machine"
            });
            return;
        }
        self.upload(ui.ctx(), &views);
        if self.zoom == 0 {
            self.zoom = 2;
        }
        ui.horizontal(|ui| {
            ui.label("Zoom");
            for z in [1, 2, 3, 4] {
                ui.selectable_value(&mut self.zoom, z, format!("{z}x"));
            }
        });
        let zoom = self.zoom as f32;
        egui::ScrollArea::both()
            .auto_shrink([false, false])
            .show(ui, |ui| {
                for (i, view) in views.iter().enumerate() {
                    egui::CollapsingHeader::new(view.title())
                        .id_salt(("view", i))
                        .default_open(true)
                        .show(ui, |ui| match view {
                            View::Image {
                                title,
                                width,
                                height,
                                ..
                            } => match self.textures.iter().find(|(t, _)| t == title) {
                                Some((_, tex)) => {
                                    let size = egui::vec2(*width as f32, *height as f32) * zoom;
                                    ui.add(egui::Image::new((tex.id(), size)));
                                }
                                None => {
                                    ui.label(format!("malformed image ({width}x{height})"));
                                }
                            },
                            View::Table { columns, rows, .. } => table(ui, i, columns, rows),
                            View::Text { text, .. } => {
                                ui.monospace(text);
                            }
                        });
                }
            });
    }
}

fn table(ui: &mut egui::Ui, salt: usize, columns: &[String], rows: &[Vec<String>]) {
    egui::Grid::new(("view-table", salt))
        .striped(true)
        .num_columns(columns.len())
        .show(ui, |ui| {
            for c in columns {
                ui.strong(c);
            }
            ui.end_row();
            for row in rows {
                for cell in row {
                    ui.monospace(cell);
                }
                ui.end_row();
            }
        });
}
