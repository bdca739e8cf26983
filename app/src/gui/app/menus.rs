//! The menu bar, the toolbar, the status bar and the settings window.

use std::path::PathBuf;

use super::WorkbenchApp;
use super::screenshot::{request_window_screenshot, save_png};
use crate::debugger::savestate;
use crate::gui::dialog::{self, Mode, Pending};
use crate::gui::emu::{Command, RunState};
use crate::gui::filter::ScreenFilter;
use crate::gui::keymap;
use crate::gui::layout;
use crate::gui::probe;
use crate::gui::settings::ScreenScale;

/// What an open file dialog's path is for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AppDialog {
    OpenProgram,
    SaveStateTo,
    LoadStateFrom,
    ScreenPng,
    WindowScreenshot,
}

const STATE_FILES: &[(&str, &[&str])] = &[("save state", &["wbss"])];
const PNG_FILES: &[(&str, &[&str])] = &[("PNG", &["png"])];

/// A menu entry and the command it sends.
type MenuItem = (&'static str, fn() -> Command);
/// A toolbar button: label, tooltip, command.
type ToolButton = (&'static str, &'static str, fn() -> Command);

impl WorkbenchApp {
    /// Ask for a program to open; the answer arrives in [`WorkbenchApp::poll_dialog`].
    pub(super) fn open_dialog(&mut self, ctx: &egui::Context) {
        const PROGRAMS: &[&str] = &[
            "ch8", "c8", "sc8", "xo8", "gb", "gbc", "elf", "img", "bin", "kite", "8o", "s",
        ];
        self.ask(
            ctx,
            AppDialog::OpenProgram,
            Mode::Open,
            &[("programs", PROGRAMS), ("all files", &["*"])],
        );
    }

    /// Show a file dialog unless one is already open (one at a time).
    fn ask(
        &mut self,
        ctx: &egui::Context,
        purpose: AppDialog,
        mode: Mode,
        filters: &[(&str, &[&str])],
    ) {
        if self.dialog.is_none() {
            self.dialog = Some(Pending::show(ctx, purpose, mode, filters));
        }
    }

    /// Act on the open dialog's answer once there is one.
    pub(super) fn poll_dialog(&mut self, ctx: &egui::Context) {
        let Some((purpose, answer)) = dialog::take_answer(&mut self.dialog, ctx) else {
            return;
        };
        self.dialog_answer(ctx, purpose, answer);
    }

    /// What a dialog's answer does (tests call it directly: there is no dialog here).
    pub(super) fn dialog_answer(
        &mut self,
        ctx: &egui::Context,
        purpose: AppDialog,
        answer: Option<PathBuf>,
    ) {
        let Some(path) = answer else {
            if purpose == AppDialog::OpenProgram
                && std::env::var_os("WAYLAND_DISPLAY").is_none()
                && which("zenity").is_none()
            {
                self.notices.push("no file dialog available (install xdg-desktop-portal or zenity); drop a file on the window instead".into());
            }
            return;
        };
        match purpose {
            AppDialog::OpenProgram => self.open(&path),
            AppDialog::SaveStateTo => self.commands.push(Command::SaveState(path)),
            AppDialog::LoadStateFrom => self.commands.push(Command::LoadState(path)),
            AppDialog::ScreenPng => {
                let f = &self.snap.frame;
                if let Err(e) = save_png(&path, f.width, f.height, &f.rgba) {
                    self.notices.push(e);
                }
            }
            AppDialog::WindowScreenshot => request_window_screenshot(ctx, path, None),
        }
    }

    pub(super) fn state_dir(&self) -> PathBuf {
        self.config_dir
            .clone()
            .unwrap_or_else(std::env::temp_dir)
            .join("states")
    }

    pub(super) fn menus(&mut self, ui: &mut egui::Ui) {
        ui.menu_button("File", |ui| {
            if ui.button("Open...  (Ctrl+O)").clicked() {
                ui.close();
                self.open_dialog(ui.ctx());
            }
            ui.menu_button("Recent", |ui| {
                if self.settings.recent.is_empty() {
                    ui.label("nothing yet");
                }
                for path in self.settings.recent.clone() {
                    if ui.button(path.display().to_string()).clicked() {
                        ui.close();
                        self.open(&path);
                    }
                }
            });
            ui.separator();
            let loaded = self.snap.info.is_some();
            ui.add_enabled_ui(loaded, |ui| {
                ui.menu_button("Save state", |ui| {
                    for slot in 1..=4u8 {
                        if ui.button(format!("Slot {slot}")).clicked() {
                            let path =
                                savestate::slot_path(&self.state_dir(), &self.snap.program, slot);
                            self.commands.push(Command::SaveState(path));
                            ui.close();
                        }
                    }
                    if ui.button("To file...").clicked() {
                        ui.close();
                        self.ask(ui.ctx(), AppDialog::SaveStateTo, Mode::Save, STATE_FILES);
                    }
                });
                ui.menu_button("Load state", |ui| {
                    for slot in 1..=4u8 {
                        let path =
                            savestate::slot_path(&self.state_dir(), &self.snap.program, slot);
                        if ui
                            .add_enabled(path.exists(), egui::Button::new(format!("Slot {slot}")))
                            .clicked()
                        {
                            self.commands.push(Command::LoadState(path));
                            ui.close();
                        }
                    }
                    if ui.button("From file...").clicked() {
                        ui.close();
                        self.ask(ui.ctx(), AppDialog::LoadStateFrom, Mode::Open, STATE_FILES);
                    }
                });
                if ui.button("Save screen as PNG...").clicked() {
                    ui.close();
                    self.ask(ui.ctx(), AppDialog::ScreenPng, Mode::Save, PNG_FILES);
                }
            });
            if ui.button("Window screenshot...").clicked() {
                ui.close();
                self.ask(ui.ctx(), AppDialog::WindowScreenshot, Mode::Save, PNG_FILES);
            }
            ui.separator();
            if ui.button("Quit").clicked() {
                ui.ctx().send_viewport_cmd(egui::ViewportCommand::Close);
            }
        });
        ui.menu_button("Debug", |ui| {
            let items: [MenuItem; 9] = [
                ("Run", || Command::Run),
                ("Pause", || Command::Pause),
                ("Step into  (F11)", || Command::StepInto),
                ("Step over  (F10)", || Command::StepOver),
                ("Step out  (Shift+F11)", || Command::StepOut),
                ("Frame advance  (F6)", || Command::FrameAdvance),
                ("Reverse step  (F7)", || Command::ReverseStep),
                ("Reverse continue  (Shift+F7)", || Command::ReverseContinue),
                ("Reset  (F8)", || Command::Reset),
            ];
            for (label, make) in items {
                if ui.button(label).clicked() {
                    self.commands.push(make());
                    ui.close();
                }
            }
            let mut fast = self.fast.toggled;
            if ui
                .checkbox(&mut fast, "Fast-forward (or hold Tab)")
                .changed()
            {
                self.fast.toggled = fast;
                self.commands.push(self.speed_command());
            }
            ui.separator();
            ui.label("Speed");
            for factor in [0.25f32, 0.5, 1.0, 2.0, 4.0] {
                if ui
                    .radio(
                        self.settings.speed == factor,
                        format!("{:.0} %", factor * 100.0),
                    )
                    .clicked()
                {
                    self.settings.speed = factor;
                    self.commands.push(self.speed_command());
                }
            }
        });
        ui.menu_button("View", |ui| {
            for i in 0..self.panels.len() {
                let (id, title) = (self.panels[i].id(), self.panels[i].title());
                let mut shown = layout::is_shown(&self.tree, id);
                if ui.checkbox(&mut shown, title).changed() {
                    layout::set_shown(&mut self.tree, id, shown);
                }
            }
            ui.separator();
            if ui.button("Reset layout").clicked() {
                self.tree = layout::default_tree();
                ui.close();
            }
            ui.separator();
            ui.radio_value(&mut self.settings.scale, ScreenScale::Fit, "Screen: fit");
            ui.radio_value(
                &mut self.settings.scale,
                ScreenScale::Integer,
                "Screen: integer scale",
            );
            ui.radio_value(
                &mut self.settings.filter,
                ScreenFilter::None,
                "Filter: none",
            );
            ui.radio_value(
                &mut self.settings.filter,
                ScreenFilter::Scanlines,
                "Filter: scanlines",
            );
            ui.radio_value(
                &mut self.settings.filter,
                ScreenFilter::LcdGrid,
                "Filter: LCD grid",
            );
            if ui.button("Settings...").clicked() {
                self.show_settings = true;
                ui.close();
            }
        });
    }

    pub(super) fn toolbar(&mut self, ui: &mut egui::Ui) {
        ui.horizontal(|ui| {
            let running = self.snap.state == RunState::Running;
            let loaded = self.snap.info.is_some();
            ui.add_enabled_ui(loaded, |ui| {
                let (label, cmd) = if running {
                    ("Pause", Command::Pause)
                } else {
                    ("Run", Command::Run)
                };
                let run = ui.button(label);
                probe::note(&run, label);
                if run.on_hover_text("F5").clicked() {
                    self.commands.push(cmd);
                }
                let buttons: [ToolButton; 7] = [
                    ("Into", "step into (F11)", || Command::StepInto),
                    ("Over", "step over (F10)", || Command::StepOver),
                    ("Out", "step out (Shift+F11)", || Command::StepOut),
                    ("Frame", "frame advance (F6)", || Command::FrameAdvance),
                    ("Back", "reverse step (F7)", || Command::ReverseStep),
                    ("Back to hit", "reverse continue (Shift+F7)", || {
                        Command::ReverseContinue
                    }),
                    ("Reset", "reset (F8)", || Command::Reset),
                ];
                for (label, tip, make) in buttons {
                    let button = ui.button(label);
                    probe::note(&button, label);
                    if button.on_hover_text(tip).clicked() {
                        self.commands.push(make());
                    }
                }
                // Held, not clicked: these last as long as the press.
                let fast = ui
                    .button("Fast")
                    .on_hover_text("fast-forward while held (or hold Tab)");
                if fast.is_pointer_button_down_on() != self.fast.button {
                    self.fast.button = fast.is_pointer_button_down_on();
                    self.commands.push(self.speed_command());
                }
                let rewind = ui
                    .button("Rewind")
                    .on_hover_text("rewind while held (or hold Backspace)");
                if rewind.is_pointer_button_down_on() != self.rewind_button {
                    self.rewind_button = rewind.is_pointer_button_down_on();
                    self.commands.push(Command::Rewind(self.rewind_button));
                }
            });
            ui.separator();
            let mut muted = self.settings.muted;
            let icon = if muted { "Muted" } else { "Mute" };
            if ui.toggle_value(&mut muted, icon).changed() {
                self.settings.muted = muted;
                self.audio_control.set_muted(muted);
            }
            if ui
                .add(
                    egui::Slider::new(&mut self.settings.volume, 0.0..=1.0)
                        .show_value(false)
                        .text("volume"),
                )
                .changed()
            {
                self.audio_control.set_volume(self.settings.volume);
            }
        });
    }

    pub(super) fn status_bar(&mut self, ui: &mut egui::Ui) {
        let s = &self.snap;
        ui.horizontal(|ui| {
            let core = s
                .info
                .as_ref()
                .map_or("no machine".to_string(), |i| i.long_name.clone());
            ui.label(core);
            ui.separator();
            if !s.program.is_empty() {
                ui.label(&s.program);
                ui.separator();
            }
            let state = match &s.state {
                RunState::Empty => "idle".to_string(),
                RunState::Running => "running".to_string(),
                RunState::Paused if s.last_stop.is_empty() => "paused".to_string(),
                RunState::Paused => format!("paused: {}", s.last_stop),
                RunState::Crashed(m) => format!("crashed: {m}"),
            };
            ui.label(state);
            ui.separator();
            ui.label(format!("{:.0} fps", s.fps));
            ui.label(format!("{:.0} %", s.speed_pct));
            ui.separator();
            let underruns = self.audio_control.underruns();
            if self.audio.is_some() && underruns > 0 {
                ui.label(format!("{} ({underruns} underruns)", self.audio_status));
            } else {
                ui.label(&self.audio_status);
            }
            ui.separator();
            if let Some(line) = &self.pad_error {
                ui.label(line);
                ui.separator();
            } else if self.gilrs.is_some() {
                ui.label(self.pads.status());
                ui.separator();
            }
            ui.label(format!(
                "pc {:#x}  ·  {} instructions  ·  history {} states, {} KiB",
                s.pc,
                s.retired,
                s.history_states,
                s.history_bytes / 1024
            ));
        });
    }

    pub(super) fn settings_window(&mut self, ctx: &egui::Context) {
        let mut open = self.show_settings;
        let core = self
            .snap
            .info
            .as_ref()
            .map_or("chip8", |i| i.name)
            .to_string();
        egui::Window::new("Settings")
            .open(&mut open)
            .show(ctx, |ui| {
                ui.heading(format!("Keys for {core}"));
                ui.label("Key names as egui spells them (A, Num1, ArrowUp, Enter...).");
                egui::Grid::new("keymap").num_columns(2).show(ui, |ui| {
                    ui.strong("key");
                    ui.strong("button");
                    ui.end_row();
                    for (key, button) in self.settings.keymap.rows_mut(&core).iter_mut() {
                        ui.add(egui::TextEdit::singleline(key).desired_width(90.0));
                        ui.add(egui::TextEdit::singleline(button).desired_width(60.0));
                        ui.end_row();
                    }
                });
                if ui.button("Restore default keys").clicked() {
                    self.settings.keymap = keymap::KeyMap::default();
                }
                ui.separator();
                ui.heading(format!("Gamepad for {core}"));
                ui.label("Button names as gilrs spells them (South, East, DPadUp, Start...).");
                egui::Grid::new("padmap").num_columns(2).show(ui, |ui| {
                    for (pad, button) in self.settings.padmap.rows_mut(&core).iter_mut() {
                        ui.add(egui::TextEdit::singleline(pad).desired_width(90.0));
                        ui.add(egui::TextEdit::singleline(button).desired_width(60.0));
                        ui.end_row();
                    }
                });
                if ui.button("Restore default gamepad").clicked() {
                    self.settings.padmap = keymap::PadMap::default();
                }
            });
        self.show_settings = open;
    }
}

/// The first file called `program` on `PATH`.
fn which(program: &str) -> Option<PathBuf> {
    std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths)
            .map(|p| p.join(program))
            .find(|p| p.is_file())
    })
}
