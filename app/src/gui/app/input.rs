//! Keyboard, gamepads and dropped files: guest input, global shortcuts, loading.

use wb_machine::InputEvent;

use super::{FastForward, WorkbenchApp};
use crate::gui::emu::{Command, RunState, Speed};
use crate::gui::gamepad::{PadOutput, Target};

impl WorkbenchApp {
    pub(super) fn keyboard(&mut self, ctx: &egui::Context) {
        let typing = ctx.egui_wants_keyboard_input();
        let (events, focused) = ctx.input(|i| (i.events.clone(), i.focused));
        for event in events {
            let egui::Event::Key {
                key,
                physical_key,
                pressed,
                repeat,
                modifiers,
            } = event
            else {
                continue;
            };
            if repeat {
                continue;
            }
            if self.shortcut(ctx, key, pressed, modifiers, typing) {
                continue;
            }
            if typing {
                continue;
            }
            let Some(info) = &self.snap.info else {
                continue;
            };
            // Game keys go by position, so the keypad works on any keyboard layout.
            let key = physical_key.unwrap_or(key);
            if let Some(index) = self
                .settings
                .keymap
                .button_for(info.name, &info.buttons, key)
            {
                let changed = if pressed {
                    self.held.insert(index)
                } else {
                    self.held.remove(&index)
                };
                if changed {
                    self.guest_key_events += 1;
                    self.commands
                        .push(Command::Input(InputEvent::Button { index, pressed }));
                }
            }
        }
        // Typing in a field or leaving the window releases everything the guest holds.
        if typing || !focused {
            for index in self.held.drain() {
                self.commands.push(Command::Input(InputEvent::Button {
                    index,
                    pressed: false,
                }));
            }
        }
    }

    /// Global keys; true when `key` was one.
    pub(super) fn shortcut(
        &mut self,
        ctx: &egui::Context,
        key: egui::Key,
        pressed: bool,
        mods: egui::Modifiers,
        typing: bool,
    ) -> bool {
        use egui::Key as K;
        let cmd = match (key, pressed) {
            (K::F5, true) => Some(if self.snap.state == RunState::Running {
                Command::Pause
            } else {
                Command::Run
            }),
            (K::F6, true) => Some(Command::FrameAdvance),
            (K::F10, true) => Some(Command::StepOver),
            (K::F11, true) if mods.shift => Some(Command::StepOut),
            (K::F11, true) => Some(Command::StepInto),
            (K::F7, true) if mods.shift => Some(Command::ReverseContinue),
            (K::F7, true) => Some(Command::ReverseStep),
            (K::F8, true) => Some(Command::Reset),
            (K::Backspace, _) if !typing => Some(Command::Rewind(pressed)),
            (K::Tab, _) if !typing => {
                self.fast.key = pressed;
                Some(self.speed_command())
            }
            (K::O, true) if mods.command => {
                self.open_dialog(ctx);
                return true;
            }
            _ => None,
        };
        match cmd {
            Some(c) => {
                self.commands.push(c);
                true
            }
            None => matches!(key, K::F5 | K::F6 | K::F7 | K::F8 | K::F10 | K::F11),
        }
    }

    /// The speed the settings and the fast-forward sources ask for.
    pub(super) fn speed_command(&self) -> Command {
        let FastForward {
            key,
            button,
            toggled,
        } = self.fast;
        Command::SetSpeed(Speed {
            factor: self.settings.speed,
            unthrottled: key || button || toggled,
        })
    }

    /// Pad events since the last frame, through the mapping layer, to the guest.
    pub(super) fn gamepads(&mut self) {
        let Some(source) = &mut self.gilrs else {
            return;
        };
        let events = source.poll();
        // A new machine has other buttons: let go of what pads held on the old one.
        let machine = self.snap.info.as_ref().map(|i| i.name);
        let mut outputs = Vec::new();
        if machine != self.pad_machine {
            self.pad_machine = machine;
            outputs.extend(self.pads.release_all());
        }
        for event in events {
            let target = self.snap.info.as_ref().map(|i| Target {
                core: i.name,
                buttons: &i.buttons,
            });
            outputs.extend(
                self.pads
                    .handle(event, target.as_ref(), &self.settings.padmap),
            );
        }
        for out in outputs {
            match out {
                PadOutput::Input(event) => self.commands.push(Command::Input(event)),
                PadOutput::Notice(line) => self.notices.push(line),
            }
        }
    }

    pub(super) fn dropped_files(&mut self, ctx: &egui::Context) {
        let dropped = ctx.input(|i| i.raw.dropped_files.clone());
        for file in dropped {
            let path = file.path().to_path_buf();
            if path.is_file() {
                self.open(&path);
            } else {
                let name = path.file_name().map_or_else(
                    || "dropped file".into(),
                    |n| n.to_string_lossy().into_owned(),
                );
                match file.bytes() {
                    Ok(bytes) => self.open_bytes(&name, &bytes),
                    Err(e) => self.notices.push(format!("{name}: {e}")),
                }
            }
        }
    }
}
