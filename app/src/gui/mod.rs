//! The desktop app (eframe on wgpu): the window, its dockable panels, input and sound.
//! The machine lives on the emulation thread ([`emu`]); the UI reads snapshots and sends
//! commands, so it never waits for the guest.

pub mod app;
pub mod audio;
pub mod bench;
pub mod dialog;
pub mod editor;
pub mod emu;
#[cfg(test)]
mod feature_tests;
pub mod filter;
pub mod gamepad;
pub mod keymap;
pub mod layout;
pub mod panels;
pub mod probe;
pub mod settings;
#[cfg(test)]
mod tests;

use std::path::PathBuf;

use app::{AppOptions, ScreenshotPlan, ScriptOutcome, UiScript, WorkbenchApp};

/// Open the window, optionally with a file loaded.
pub fn run(file: Option<PathBuf>) -> anyhow::Result<()> {
    if std::env::var_os("DISPLAY").is_none() && std::env::var_os("WAYLAND_DISPLAY").is_none() {
        anyhow::bail!(
            "cannot open a window: neither DISPLAY nor WAYLAND_DISPLAY is set (use `workbench run FILE` without a display)"
        );
    }
    let screenshot = std::env::var_os("WORKBENCH_SCREENSHOT").map(|path| {
        let after = std::env::var("WORKBENCH_SCREENSHOT_AFTER_FRAMES")
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(60);
        let exit = std::env::var("WORKBENCH_EXIT_AFTER_SCREENSHOT").is_ok_and(|v| v == "1");
        ScreenshotPlan::new(PathBuf::from(path), after, exit)
    });
    let outcome = ScriptOutcome::default();
    let script = match std::env::var("WORKBENCH_UI_SCRIPT") {
        Ok(text) => Some(
            UiScript::parse(&text, outcome.clone())
                .map_err(|e| anyhow::anyhow!("WORKBENCH_UI_SCRIPT: {e}"))?,
        ),
        Err(_) => None,
    };
    let bench_frames = std::env::var("WORKBENCH_BENCH_UI_FRAMES")
        .ok()
        .and_then(|v| v.parse().ok());
    let mut options = eframe::NativeOptions {
        viewport: egui::ViewportBuilder::default()
            .with_title("Workbench")
            .with_inner_size([1200.0, 760.0])
            .with_drag_and_drop(true),
        ..Default::default()
    };
    if bench_frames.is_some() {
        // The benchmark measures what a frame costs, not the display's refresh.
        options.wgpu_options.surface.present_mode = eframe::wgpu::PresentMode::AutoNoVsync;
    }
    let result = eframe::run_native(
        "Workbench",
        options,
        Box::new(move |cc| {
            let gpu_filter = match &cc.wgpu_render_state {
                Some(render_state) => {
                    filter::install(render_state);
                    true
                }
                None => false,
            };
            let renderer = cc.wgpu_render_state.as_ref().map(|r| {
                let info = r.adapter.get_info();
                format!("{} ({:?})", info.name, info.backend)
            });
            let app = WorkbenchApp::new(
                &cc.egui_ctx,
                file,
                AppOptions {
                    audio: true,
                    gamepads: true,
                    gpu_filter,
                    config_dir: settings::config_dir(),
                    screenshot,
                    bench_frames,
                    bench_panels: std::env::var("WORKBENCH_BENCH_PANELS").ok(),
                    renderer,
                    script,
                },
            )?;
            Ok(Box::new(app))
        }),
    );
    result.map_err(|e| anyhow::anyhow!("cannot open a window: {}", one_line(&e.to_string())))?;
    if outcome.failed() {
        anyhow::bail!("the UI script failed");
    }
    Ok(())
}

fn one_line(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}
