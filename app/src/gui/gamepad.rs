//! Gamepads: a mapping layer that turns pad events into guest input, and the gilrs source
//! that feeds it. The layer knows nothing of gilrs (its events carry button and axis
//! names), so it is tested with synthetic events; the source is a thin adapter, and when
//! gilrs cannot start the app simply runs without pads.
//!
//! Mapping is by name, per core, in the settings ([`PadMap`]); the left stick and
//! d-pad axes act as the d-pad buttons. Buttons a pad holds are released when it is
//! unplugged or the machine changes, so the guest never keeps a key stuck down.

use std::collections::{BTreeMap, BTreeSet};

use wb_machine::InputEvent;

use super::keymap::PadMap;

/// A pad event as the mapping layer sees it. `pad` tells pads apart while connected.
#[derive(Clone, Debug, PartialEq)]
pub enum PadEvent {
    Connected {
        pad: usize,
        name: String,
    },
    Disconnected {
        pad: usize,
    },
    /// A button by its gilrs name (`South`, `DPadUp`, `Start`...).
    Button {
        pad: usize,
        button: String,
        pressed: bool,
    },
    /// An axis by its gilrs name (`LeftStickX`, `DPadY`...), from -1.0 to 1.0 (up is
    /// positive on Y axes).
    Axis {
        pad: usize,
        axis: String,
        value: f32,
    },
}

/// What the app does with a pad event.
#[derive(Clone, Debug, PartialEq)]
pub enum PadOutput {
    Input(InputEvent),
    Notice(String),
}

/// An axis past this presses its direction...
const PRESS_AT: f32 = 0.5;
/// ...and back under this releases it (hysteresis: a resting stick does not chatter).
const RELEASE_AT: f32 = 0.3;

/// The machine pads drive: its core name and button names (`CoreInfo`).
pub struct Target<'a> {
    pub core: &'a str,
    pub buttons: &'a [&'a str],
}

/// Connected pads and the guest buttons each one holds.
#[derive(Default)]
pub struct Pads {
    names: BTreeMap<usize, String>,
    /// (pad, guest button index) pressed by a pad and not yet released.
    held: BTreeSet<(usize, usize)>,
    /// Axis directions currently pressed: (pad, the d-pad button name they act as).
    axes: BTreeSet<(usize, &'static str)>,
}

impl Pads {
    /// Connected pads, by name, in connection order of their ids.
    pub fn connected(&self) -> Vec<&str> {
        self.names.values().map(String::as_str).collect()
    }

    /// One line for the status bar.
    pub fn status(&self) -> String {
        match self.names.len() {
            0 => "no gamepad".into(),
            1 => format!("pad: {}", self.connected().join("")),
            n => format!("{n} gamepads"),
        }
    }

    /// Apply one event: guest inputs for the mapped buttons of `target` (none without a
    /// machine), notices for hot-plug.
    pub fn handle(
        &mut self,
        event: PadEvent,
        target: Option<&Target<'_>>,
        map: &PadMap,
    ) -> Vec<PadOutput> {
        match event {
            PadEvent::Connected { pad, name } => {
                let line = format!("gamepad connected: {name}");
                self.names.insert(pad, name);
                vec![PadOutput::Notice(line)]
            }
            PadEvent::Disconnected { pad } => {
                let name = self.names.remove(&pad).unwrap_or_else(|| "gamepad".into());
                self.axes.retain(|(p, _)| *p != pad);
                let mut out = self.release(|p| p == pad);
                out.push(PadOutput::Notice(format!("gamepad disconnected: {name}")));
                out
            }
            PadEvent::Button {
                pad,
                button,
                pressed,
            } => self.button(pad, &button, pressed, target, map),
            PadEvent::Axis { pad, axis, value } => {
                let Some((negative, positive)) = axis_buttons(&axis) else {
                    return Vec::new();
                };
                let mut out = Vec::new();
                for (name, amount) in [(negative, -value), (positive, value)] {
                    let on = self.axes.contains(&(pad, name));
                    let now = if on {
                        amount > RELEASE_AT
                    } else {
                        amount > PRESS_AT
                    };
                    if now != on {
                        if now {
                            self.axes.insert((pad, name));
                        } else {
                            self.axes.remove(&(pad, name));
                        }
                        out.extend(self.button(pad, name, now, target, map));
                    }
                }
                out
            }
        }
    }

    fn button(
        &mut self,
        pad: usize,
        button: &str,
        pressed: bool,
        target: Option<&Target<'_>>,
        map: &PadMap,
    ) -> Vec<PadOutput> {
        let Some(index) = target.and_then(|t| map.button_for(t.core, t.buttons, button)) else {
            return Vec::new();
        };
        // Only changes reach the guest: a release it never saw pressed is dropped.
        let changed = if pressed {
            self.held.insert((pad, index))
        } else {
            self.held.remove(&(pad, index))
        };
        if changed {
            vec![PadOutput::Input(InputEvent::Button { index, pressed })]
        } else {
            Vec::new()
        }
    }

    /// Release everything pads hold (the machine changed: its buttons are other ones).
    pub fn release_all(&mut self) -> Vec<PadOutput> {
        self.axes.clear();
        self.release(|_| true)
    }

    fn release(&mut self, which: impl Fn(usize) -> bool) -> Vec<PadOutput> {
        let gone: Vec<(usize, usize)> = self
            .held
            .iter()
            .copied()
            .filter(|(p, _)| which(*p))
            .collect();
        let mut out = Vec::new();
        for (pad, index) in gone {
            self.held.remove(&(pad, index));
            // Another pad may still hold the same guest button.
            if !self.held.iter().any(|(_, i)| *i == index) {
                out.push(PadOutput::Input(InputEvent::Button {
                    index,
                    pressed: false,
                }));
            }
        }
        out
    }
}

/// The d-pad buttons an axis acts as: (negative direction, positive direction).
fn axis_buttons(axis: &str) -> Option<(&'static str, &'static str)> {
    match axis {
        "LeftStickX" | "DPadX" => Some(("DPadLeft", "DPadRight")),
        "LeftStickY" | "DPadY" => Some(("DPadDown", "DPadUp")),
        _ => None,
    }
}

/// gilrs behind the [`PadEvent`] stream.
pub struct GilrsSource {
    gilrs: gilrs::Gilrs,
    /// Pads present at start, reported as connections on the first poll.
    initial: Vec<PadEvent>,
}

impl GilrsSource {
    /// Start gilrs; the error is one line for the window (the app runs without pads).
    pub fn new() -> Result<GilrsSource, String> {
        let gilrs = match gilrs::Gilrs::new() {
            Ok(g) => g,
            // Some pads failed; the others work.
            Err(gilrs::Error::NotImplemented(g)) => g,
            Err(e) => return Err(format!("gamepads unavailable: {e}")),
        };
        let initial = gilrs
            .gamepads()
            .map(|(id, pad)| PadEvent::Connected {
                pad: usize::from(id),
                name: pad.name().to_string(),
            })
            .collect();
        Ok(GilrsSource { gilrs, initial })
    }

    /// Everything that happened since the last poll.
    pub fn poll(&mut self) -> Vec<PadEvent> {
        let mut out = std::mem::take(&mut self.initial);
        while let Some(ev) = self.gilrs.next_event() {
            let pad = usize::from(ev.id);
            let event = match ev.event {
                gilrs::EventType::Connected => PadEvent::Connected {
                    pad,
                    name: self.gilrs.gamepad(ev.id).name().to_string(),
                },
                gilrs::EventType::Disconnected => PadEvent::Disconnected { pad },
                gilrs::EventType::ButtonPressed(b, _) => PadEvent::Button {
                    pad,
                    button: format!("{b:?}"),
                    pressed: true,
                },
                gilrs::EventType::ButtonReleased(b, _) => PadEvent::Button {
                    pad,
                    button: format!("{b:?}"),
                    pressed: false,
                },
                gilrs::EventType::AxisChanged(a, value, _) => PadEvent::Axis {
                    pad,
                    axis: format!("{a:?}"),
                    value,
                },
                _ => continue,
            };
            out.push(event);
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const HEX: [&str; 16] = [
        "0", "1", "2", "3", "4", "5", "6", "7", "8", "9", "A", "B", "C", "D", "E", "F",
    ];
    const GB: [&str; 8] = ["a", "b", "select", "start", "right", "left", "up", "down"];

    fn press(index: usize, pressed: bool) -> PadOutput {
        PadOutput::Input(InputEvent::Button { index, pressed })
    }

    fn button(pad: usize, name: &str, pressed: bool) -> PadEvent {
        PadEvent::Button {
            pad,
            button: name.into(),
            pressed,
        }
    }

    fn axis(pad: usize, name: &str, value: f32) -> PadEvent {
        PadEvent::Axis {
            pad,
            axis: name.into(),
            value,
        }
    }

    #[test]
    fn buttons_map_per_core_and_unmapped_ones_do_nothing() {
        let map = PadMap::default();
        let mut pads = Pads::default();
        let chip8 = Target {
            core: "chip8",
            buttons: &HEX,
        };
        assert_eq!(
            pads.handle(button(0, "DPadUp", true), Some(&chip8), &map),
            vec![press(5, true)]
        );
        assert_eq!(
            pads.handle(button(0, "DPadUp", false), Some(&chip8), &map),
            vec![press(5, false)]
        );
        assert_eq!(
            pads.handle(button(0, "Mode", true), Some(&chip8), &map),
            vec![]
        );
        let gb = Target {
            core: "gb",
            buttons: &GB,
        };
        assert_eq!(
            pads.handle(button(0, "Start", true), Some(&gb), &map),
            vec![press(3, true)]
        );
        // No machine: nothing reaches a guest.
        assert_eq!(pads.handle(button(0, "South", true), None, &map), vec![]);
    }

    #[test]
    fn the_mapping_comes_from_the_settings() {
        let mut map = PadMap::default();
        let rows = map.rows_mut("chip8");
        rows.clear();
        rows.push(("West".into(), "F".into()));
        let mut pads = Pads::default();
        let chip8 = Target {
            core: "xochip",
            buttons: &HEX,
        };
        assert_eq!(
            pads.handle(button(0, "West", true), Some(&chip8), &map),
            vec![press(0xF, true)]
        );
        assert_eq!(
            pads.handle(button(0, "DPadUp", true), Some(&chip8), &map),
            vec![]
        );
    }

    #[test]
    fn hot_plug_is_announced_and_unplugging_releases_what_the_pad_held() {
        let map = PadMap::default();
        let mut pads = Pads::default();
        let gb = Target {
            core: "gb",
            buttons: &GB,
        };
        let plug = |pad, name: &str| PadEvent::Connected {
            pad,
            name: name.into(),
        };
        assert_eq!(
            pads.handle(plug(3, "Pad A"), Some(&gb), &map),
            vec![PadOutput::Notice("gamepad connected: Pad A".into())]
        );
        pads.handle(plug(4, "Pad B"), Some(&gb), &map);
        assert_eq!(pads.status(), "2 gamepads");
        pads.handle(button(3, "South", true), Some(&gb), &map);
        pads.handle(button(3, "DPadLeft", true), Some(&gb), &map);
        pads.handle(button(4, "South", true), Some(&gb), &map);
        // Pad A goes: left is released; A stays down, pad B still holds it.
        assert_eq!(
            pads.handle(PadEvent::Disconnected { pad: 3 }, Some(&gb), &map),
            vec![
                press(5, false),
                PadOutput::Notice("gamepad disconnected: Pad A".into())
            ]
        );
        assert_eq!(pads.status(), "pad: Pad B");
        // A release for a button the new pad never pressed is dropped.
        pads.handle(plug(3, "Pad A"), Some(&gb), &map);
        assert_eq!(
            pads.handle(button(3, "DPadLeft", false), Some(&gb), &map),
            vec![]
        );
        assert_eq!(pads.release_all(), vec![press(0, false)]);
        pads.handle(PadEvent::Disconnected { pad: 3 }, Some(&gb), &map);
        pads.handle(PadEvent::Disconnected { pad: 4 }, Some(&gb), &map);
        assert_eq!(pads.status(), "no gamepad");
    }

    #[test]
    fn sticks_act_as_the_dpad_with_hysteresis() {
        let map = PadMap::default();
        let mut pads = Pads::default();
        let chip8 = Target {
            core: "chip8",
            buttons: &HEX,
        };
        let mut send = |e| pads.handle(e, Some(&chip8), &map);
        assert_eq!(send(axis(0, "LeftStickX", 0.2)), vec![], "dead zone");
        assert_eq!(send(axis(0, "LeftStickX", -0.8)), vec![press(7, true)]);
        assert_eq!(
            send(axis(0, "LeftStickX", -0.4)),
            vec![],
            "held above release"
        );
        assert_eq!(send(axis(0, "LeftStickX", -0.1)), vec![press(7, false)]);
        // Straight across: one direction lets go, the other presses.
        send(axis(0, "LeftStickX", -0.9));
        assert_eq!(
            send(axis(0, "LeftStickX", 0.9)),
            vec![press(7, false), press(9, true)]
        );
        assert_eq!(send(axis(0, "LeftStickY", 0.7)), vec![press(5, true)], "up");
        assert_eq!(send(axis(0, "RightStickY", 1.0)), vec![], "unmapped axis");
    }

    /// No device here: gilrs either starts with no pads or fails; both leave the app
    /// without pads and without an error it cannot show.
    #[test]
    fn gilrs_without_devices_gives_no_events() {
        match GilrsSource::new() {
            Ok(mut source) => {
                let events = source.poll();
                assert!(
                    events
                        .iter()
                        .all(|e| matches!(e, PadEvent::Connected { .. })),
                    "only pads present at start: {events:?}"
                );
            }
            Err(line) => assert!(line.starts_with("gamepads unavailable"), "{line}"),
        }
    }
}
