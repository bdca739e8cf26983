//! The window: dockable panels around the guest, fed by the emulation thread's snapshots.
//!
//! - `input`: keyboard, gamepads and dropped files to commands.
//! - `menus`: menu bar, toolbar, status bar and the settings window.
//! - `screenshot`: window screenshots to PNG (menu and `WORKBENCH_SCREENSHOT`).

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::sync::Arc;

mod input;
mod menus;
mod screenshot;
mod script;

pub use menus::AppDialog;
pub use screenshot::ScreenshotPlan;
pub use script::{ScriptOutcome, UiScript};

use crate::gui::audio::{self, AudioControl, AudioOut};
use crate::gui::bench;
use crate::gui::dialog::Pending;
use crate::gui::editor::highlight::Lang;
use crate::gui::emu::{Command, EmuHandle, Snapshot, Speed, battery};
use crate::gui::gamepad::{GilrsSource, Pads};
use crate::gui::layout;
use crate::gui::panels::{self, Panel, PanelCx};
use crate::gui::settings::{self, Settings};
use crate::loader::{self, LoadOptions};

/// Fast-forward is on while any of its sources is.
#[derive(Default)]
struct FastForward {
    /// Tab held.
    key: bool,
    /// The toolbar button held.
    button: bool,
    /// The Debug menu's check box.
    toggled: bool,
}

/// Capacity of the audio ring, in samples (about 0.17 s of stereo at 48 kHz).
const AUDIO_RING: usize = 16_384;

/// How the app is started (the real window and the tests differ here).
#[derive(Default)]
pub struct AppOptions {
    /// Open the sound device (tests leave it off).
    pub audio: bool,
    /// Poll gamepads.
    pub gamepads: bool,
    /// `filter::install` ran: the screen panel may draw through the WGSL filter.
    pub gpu_filter: bool,
    /// Where settings and layout live; `None` keeps them in memory only.
    pub config_dir: Option<PathBuf>,
    /// Take a window screenshot after this many guest frames, then maybe exit.
    pub screenshot: Option<ScreenshotPlan>,
    /// Measure this many UI frames, print the figures as JSON lines, then exit.
    pub bench_frames: Option<usize>,
    /// The panels the benchmark shows (comma-separated ids); all when `None`.
    pub bench_panels: Option<String>,
    /// The GPU adapter drawing the window (named in the benchmark's figures).
    pub renderer: Option<String>,
    /// Drive the window with this script of clicks and checks (`WORKBENCH_UI_SCRIPT`).
    pub script: Option<UiScript>,
}

/// The window's state: the handle on the emulation thread, the latest snapshot, the
/// panels and their layout, settings, sound and input.
pub struct WorkbenchApp {
    emu: EmuHandle,
    snap: Snapshot,
    screen: Option<egui::TextureHandle>,
    screen_serial: u64,
    panels: Vec<Box<dyn Panel>>,
    tree: egui_tiles::Tree<String>,
    settings: Settings,
    config_dir: Option<PathBuf>,
    /// Messages shown in a banner until dismissed (load errors, no audio...).
    notices: Vec<String>,
    audio: Option<AudioOut>,
    audio_control: Arc<AudioControl>,
    audio_status: String,
    held: HashSet<usize>,
    /// Gamepads: the gilrs source (none when it could not start) and the mapping layer.
    gilrs: Option<GilrsSource>,
    pads: Pads,
    /// The core pads last drove (its buttons are released when it changes).
    pad_machine: Option<&'static str>,
    /// Why gilrs could not start (shown in the status bar; the app runs without pads).
    pad_error: Option<String>,
    /// The open file dialog, answered on a background thread.
    dialog: Option<Pending<AppDialog>>,
    screenshot: Option<ScreenshotPlan>,
    script: Option<UiScript>,
    bench: Option<bench::UiBench>,
    commands: Vec<Command>,
    show_settings: bool,
    fast: FastForward,
    rewind_button: bool,
    load_options: LoadOptions,
    /// Keyboard events sent to the guest so far (tests check typing never reaches it).
    guest_key_events: u64,
    gpu_filter: bool,
    /// The user chose to close the window despite unsaved changes.
    close_confirmed: bool,
    /// Unsaved changes that stopped a close, shown until the user decides.
    close_blocked: Option<Vec<String>>,
    /// The views panel was visible last frame (the emulation thread computes views then).
    views_shown: bool,
}

impl WorkbenchApp {
    pub fn new(
        ctx: &egui::Context,
        file: Option<PathBuf>,
        options: AppOptions,
    ) -> anyhow::Result<Self> {
        let repaint_ctx = ctx.clone();
        let emu = EmuHandle::spawn(move || repaint_ctx.request_repaint())?;
        let mut notices = Vec::new();
        let (settings, tree) = match &options.config_dir {
            Some(dir) => {
                let (s, w1): (Settings, _) = settings::load(&dir.join("settings.ron"));
                let (t, w2) = layout::load(&dir.join("layout.ron"));
                notices.extend(w1.into_iter().chain(w2));
                (s, t)
            }
            None => (Settings::default(), layout::default_tree()),
        };
        // The benchmark measures the window with every panel drawn (or the ones
        // `WORKBENCH_BENCH_PANELS` names, comma-separated: its baseline).
        let tree = match (&options.bench_frames, &options.bench_panels) {
            (Some(_), Some(ids)) => layout::grid_of(|id| ids.split(',').any(|i| i == id)),
            (Some(_), None) => layout::every_panel_tree(),
            (None, _) => tree,
        };
        let audio_control = AudioControl::new(settings.volume, settings.muted);
        let mut app = WorkbenchApp {
            emu,
            snap: Snapshot::default(),
            screen: None,
            screen_serial: 0,
            panels: panels::registry(),
            tree,
            config_dir: options.config_dir,
            notices,
            audio: None,
            audio_control,
            audio_status: "audio off".into(),
            held: HashSet::new(),
            gilrs: None,
            pads: Pads::default(),
            pad_machine: None,
            pad_error: None,
            dialog: None,
            screenshot: options.screenshot,
            script: options.script,
            bench: options.bench_frames.map(|n| {
                bench::UiBench::new(n, options.renderer.clone(), options.bench_panels.clone())
            }),
            commands: Vec::new(),
            show_settings: false,
            fast: FastForward::default(),
            rewind_button: false,
            load_options: LoadOptions::default(),
            guest_key_events: 0,
            gpu_filter: options.gpu_filter,
            views_shown: false,
            close_confirmed: false,
            close_blocked: None,
            settings,
        };
        app.emu.send(Command::SetSpeed(Speed {
            factor: app.settings.speed,
            unthrottled: false,
        }));
        if options.audio {
            app.start_audio();
        }
        if options.gamepads {
            match GilrsSource::new() {
                Ok(g) => app.gilrs = Some(g),
                Err(line) => app.pad_error = Some(line),
            }
        }
        if let Some(file) = file {
            app.open(&file);
        }
        Ok(app)
    }

    fn start_audio(&mut self) {
        let (producer, consumer) = audio::ring::ring(AUDIO_RING);
        match audio::open(consumer, self.audio_control.clone()) {
            Ok(out) => {
                self.audio_status = format!("audio: {} at {} Hz", out.device, out.rate);
                self.emu.send(Command::Audio(Some((producer, out.rate))));
                self.audio = Some(out);
            }
            Err(e) => {
                self.audio_status = "no audio".into();
                self.notices
                    .push(format!("No sound: {e}. Running without audio."));
                self.emu.send(Command::Audio(None));
            }
        }
    }

    /// Load a file and hand the machine to the emulation thread; errors become notices.
    /// A source file (Kite, Octo, SM83 or RISC-V assembly) opens in the editor instead.
    pub fn open(&mut self, path: &Path) {
        if Lang::from_path(path) != Lang::Plain && self.open_source(path) {
            self.settings.add_recent(path);
            return;
        }
        // The new machine starts with every button up: pads forget what they held.
        let _ = self.pads.release_all();
        match loader::load_file(path, &self.load_options) {
            Ok(mut machine) => {
                let program = path.file_name().map_or_else(
                    || path.display().to_string(),
                    |n| n.to_string_lossy().into_owned(),
                );
                self.settings.add_recent(path);
                let (battery, notice) = battery::attach(machine.as_mut(), path);
                self.notices.extend(notice);
                self.emu.send(Command::Load {
                    machine,
                    program,
                    battery,
                });
            }
            Err(e) => self.notices.push(e.to_string()),
        }
    }

    /// Hand `path` to the panel that edits sources and bring that panel forward.
    fn open_source(&mut self, path: &Path) -> bool {
        let Some(id) = self
            .panels
            .iter_mut()
            .find_map(|p| p.open_source(path).then(|| p.id()))
        else {
            return false;
        };
        layout::bring_forward(&mut self.tree, id);
        true
    }

    fn open_bytes(&mut self, name: &str, bytes: &[u8]) {
        match loader::load_bytes(name, bytes, &self.load_options) {
            // Dropped bytes have no folder to keep a save file in.
            Ok(machine) => self.emu.send(Command::Load {
                machine,
                program: name.to_string(),
                battery: None,
            }),
            Err(e) => self.notices.push(e.to_string()),
        }
    }

    /// The latest published snapshot (tests read it).
    #[cfg(test)]
    pub fn snapshot(&self) -> &Snapshot {
        &self.snap
    }

    /// Keyboard events the guest received so far.
    #[cfg(test)]
    pub fn guest_key_events(&self) -> u64 {
        self.guest_key_events
    }

    /// Act as if a file dialog answered `path` (tests: there is no dialog without a desktop).
    #[cfg(test)]
    pub fn answer_dialog(
        &mut self,
        ctx: &egui::Context,
        purpose: AppDialog,
        path: Option<PathBuf>,
    ) {
        self.dialog_answer(ctx, purpose, path);
    }

    /// True while a file dialog is open.
    #[cfg(test)]
    pub fn dialog_open(&self) -> bool {
        self.dialog.is_some()
    }

    /// Send a command directly (tests).
    #[cfg(test)]
    pub fn send(&self, cmd: Command) {
        self.emu.send(cmd);
    }

    /// Draw the whole window into `ui`.
    pub fn ui(&mut self, ui: &mut egui::Ui) {
        let started = std::time::Instant::now();
        let ctx = ui.ctx().clone();
        if let Some(s) = self.emu.snapshots.take() {
            self.snap = s;
        }
        self.upload_screen(&ctx);
        self.keyboard(&ctx);
        self.gamepads();
        self.dropped_files(&ctx);
        self.poll_dialog(&ctx);

        egui::Panel::top("menu").show(ui, |ui| {
            egui::MenuBar::new().ui(ui, |ui| self.menus(ui));
        });
        egui::Panel::top("toolbar").show(ui, |ui| self.toolbar(ui));
        egui::Panel::bottom("status").show(ui, |ui| self.status_bar(ui));
        if !self.notices.is_empty() {
            egui::Panel::top("notices").show(ui, |ui| {
                let mut dismiss = None;
                for (i, n) in self.notices.iter().enumerate() {
                    ui.horizontal(|ui| {
                        ui.colored_label(egui::Color32::from_rgb(255, 190, 80), n.as_str());
                        if ui.small_button("x").clicked() {
                            dismiss = Some(i);
                        }
                    });
                }
                if let Some(i) = dismiss {
                    self.notices.remove(i);
                }
            });
        }
        egui::CentralPanel::default().show(ui, |ui| {
            let Self {
                tree,
                panels,
                snap,
                commands,
                settings,
                screen,
                gpu_filter,
                ..
            } = self;
            let mut behavior = layout::Behavior {
                panels,
                cx: PanelCx {
                    snap,
                    commands,
                    screen: screen.as_ref(),
                    settings,
                    gpu_filter: *gpu_filter,
                },
            };
            tree.ui(&mut behavior, ui);
        });
        let views_shown = self.tree.active_tiles().into_iter().any(
            |t| matches!(self.tree.tiles.get(t), Some(egui_tiles::Tile::Pane(p)) if p == "views"),
        );
        if views_shown != self.views_shown {
            self.views_shown = views_shown;
            self.commands.push(Command::WantViews(views_shown));
        }
        if self.show_settings {
            self.settings_window(&ctx);
        }
        self.guard_close(&ctx);
        for cmd in self.commands.drain(..) {
            self.emu.send(cmd);
        }
        self.screenshot_plan(&ctx);
        if let Some(script) = &mut self.script {
            script.frame(&ctx, &self.snap);
        }
        if let Some(b) = &mut self.bench
            && b.frame(started, &self.snap)
        {
            ctx.send_viewport_cmd(egui::ViewportCommand::Close);
        }
        if self.bench.is_some() {
            ctx.request_repaint();
        }
        if self.gilrs.is_some() {
            ctx.request_repaint_after(std::time::Duration::from_millis(50));
        }
    }

    /// Closing the window with unsaved editor changes asks first.
    fn guard_close(&mut self, ctx: &egui::Context) {
        if ctx.input(|i| i.viewport().close_requested()) && !self.close_confirmed {
            let unsaved: Vec<String> = self
                .panels
                .iter()
                .filter_map(|p| p.unsaved_changes())
                .collect();
            if !unsaved.is_empty() {
                ctx.send_viewport_cmd(egui::ViewportCommand::CancelClose);
                self.close_blocked = Some(unsaved);
            }
        }
        let Some(unsaved) = &self.close_blocked else {
            return;
        };
        let mut decision = None;
        egui::Window::new("Unsaved changes")
            .collapsible(false)
            .resizable(false)
            .show(ctx, |ui| {
                for line in unsaved {
                    ui.label(line);
                }
                ui.horizontal(|ui| {
                    if ui.button("Quit without saving").clicked() {
                        decision = Some(true);
                    }
                    if ui.button("Keep editing").clicked() {
                        decision = Some(false);
                    }
                });
            });
        match decision {
            Some(true) => {
                self.close_confirmed = true;
                self.close_blocked = None;
                ctx.send_viewport_cmd(egui::ViewportCommand::Close);
            }
            Some(false) => self.close_blocked = None,
            None => {}
        }
    }

    fn upload_screen(&mut self, ctx: &egui::Context) {
        let f = &self.snap.frame;
        if self.snap.frame_serial == self.screen_serial
            || f.width == 0
            || f.rgba.len() != f.width * f.height * 4
        {
            return;
        }
        self.screen_serial = self.snap.frame_serial;
        let image = egui::ColorImage::from_rgba_unmultiplied([f.width, f.height], &f.rgba);
        match &mut self.screen {
            Some(tex) => tex.set(image, egui::TextureOptions::NEAREST),
            None => {
                self.screen =
                    Some(ctx.load_texture("guest-screen", image, egui::TextureOptions::NEAREST))
            }
        }
    }

    /// Persist settings and layout (on exit and periodically).
    pub fn save(&mut self) {
        let Some(dir) = &self.config_dir else { return };
        if let Err(e) = settings::save(&dir.join("settings.ron"), &self.settings) {
            eprintln!("workbench: cannot save settings: {e}");
        }
        if let Err(e) = settings::save(&dir.join("layout.ron"), &self.tree) {
            eprintln!("workbench: cannot save the layout: {e}");
        }
    }
}

impl eframe::App for WorkbenchApp {
    fn ui(&mut self, ui: &mut egui::Ui, _frame: &mut eframe::Frame) {
        WorkbenchApp::ui(self, ui);
    }

    fn raw_input_hook(&mut self, _ctx: &egui::Context, raw_input: &mut egui::RawInput) {
        if let Some(script) = &mut self.script {
            script.inject(raw_input);
        }
    }

    fn save(&mut self, _storage: &mut dyn eframe::Storage) {
        WorkbenchApp::save(self);
    }

    fn on_exit(&mut self) {
        WorkbenchApp::save(self);
    }
}
