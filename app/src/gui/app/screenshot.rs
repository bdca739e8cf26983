//! Screenshots of the window to PNG: from the File menu, and the scripted one
//! (`WORKBENCH_SCREENSHOT`) the Xvfb test uses.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use super::WorkbenchApp;
/// `WORKBENCH_SCREENSHOT=out.png WORKBENCH_SCREENSHOT_AFTER_FRAMES=N
/// WORKBENCH_EXIT_AFTER_SCREENSHOT=1`: used by the Xvfb smoke test and by scripts.
pub struct ScreenshotPlan {
    pub path: PathBuf,
    pub after_frames: u64,
    pub exit: bool,
    requested: bool,
    done: Arc<AtomicBool>,
}

impl ScreenshotPlan {
    pub fn new(path: PathBuf, after_frames: u64, exit: bool) -> Self {
        ScreenshotPlan {
            path,
            after_frames,
            exit,
            requested: false,
            done: Arc::new(AtomicBool::new(false)),
        }
    }
}

impl WorkbenchApp {
    pub(super) fn screenshot_plan(&mut self, ctx: &egui::Context) {
        let Some(plan) = &mut self.screenshot else {
            return;
        };
        if plan.done.load(Ordering::Acquire) {
            if plan.exit {
                ctx.send_viewport_cmd(egui::ViewportCommand::Close);
            }
            return;
        }
        // Wait until the guest ran long enough and its picture is on the screen texture.
        if !plan.requested && self.snap.frames_run >= plan.after_frames && self.screen_serial > 0 {
            plan.requested = true;
            request_window_screenshot(ctx, plan.path.clone(), Some(plan.done.clone()));
        }
        ctx.request_repaint();
    }
}

/// Ask the window for a screenshot and write it as PNG; `done` is set once written.
pub(super) fn request_window_screenshot(
    ctx: &egui::Context,
    path: PathBuf,
    done: Option<Arc<AtomicBool>>,
) {
    let repaint = ctx.clone();
    ctx.send_viewport_cmd(egui::ViewportCommand::Screenshot(
        egui::ScreenshotCallback::new(move |image| {
            let [w, h] = image.size;
            let rgba: Vec<u8> = image.pixels.iter().flat_map(|p| p.to_array()).collect();
            if let Err(e) = save_png(&path, w, h, &rgba) {
                eprintln!("workbench: {e}");
            }
            if let Some(done) = done {
                done.store(true, Ordering::Release);
            }
            repaint.request_repaint();
        }),
    ));
}

pub(super) fn save_png(path: &Path, w: usize, h: usize, rgba: &[u8]) -> Result<(), String> {
    let img = image::RgbaImage::from_raw(w as u32, h as u32, rgba.to_vec())
        .ok_or("no picture to save")?;
    img.save(path)
        .map_err(|e| format!("{}: {e}", path.display()))
}
