//! `WORKBENCH_UI_SCRIPT`: a test hook that drives the real window with pointer events, as
//! a user would, and checks what the emulation thread reports. The Xvfb window test uses
//! it to set a breakpoint by clicking the disassembly gutter, run, and see the stop.
//!
//! Steps are separated by `;`:
//! - `click NAME`: click the widget the [`probe`] knows as NAME (a toolbar button by its
//!   label, `gutter 0x216` for a disassembly line), waiting until it is drawn and enabled.
//! - `wait running|paused|reset`, `wait breakpoint ADDR`, `wait stop ADDR` (paused at a
//!   breakpoint at ADDR).
//!
//! Each finished step prints `ui-script: ok STEP` on stdout; the end prints
//! `ui-script: passed` and closes the window. A step that takes longer than
//! [`STEP_LIMIT`] prints `ui-script: failed at STEP` and closes it; [`ScriptOutcome`]
//! then tells `workbench` to exit with an error.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use crate::gui::emu::{RunState, Snapshot};
use crate::gui::probe;

/// How long one step may take.
const STEP_LIMIT: Duration = Duration::from_secs(60);

#[derive(Clone, Debug, PartialEq)]
enum Step {
    Click(String),
    Wait(Cond),
}

#[derive(Clone, Debug, PartialEq)]
enum Cond {
    Running,
    Paused,
    /// Paused with nothing retired since reset.
    Reset,
    Breakpoint(u64),
    StoppedAt(u64),
}

impl Cond {
    fn holds(&self, s: &Snapshot) -> bool {
        match self {
            Cond::Running => s.state == RunState::Running,
            Cond::Paused => s.state == RunState::Paused,
            Cond::Reset => s.state == RunState::Paused && s.retired == 0,
            Cond::Breakpoint(addr) => s.breakpoints.iter().any(|b| b.addr == *addr && b.enabled),
            Cond::StoppedAt(addr) => {
                s.state == RunState::Paused
                    && s.pc == *addr
                    && s.last_stop == format!("breakpoint at {addr:#x}")
            }
        }
    }
}

/// Failed or not, shared with `gui::run` (which outlives the app).
#[derive(Clone, Default)]
pub struct ScriptOutcome(Arc<AtomicBool>);

impl ScriptOutcome {
    pub fn failed(&self) -> bool {
        self.0.load(Ordering::Acquire)
    }

    fn fail(&self) {
        self.0.store(true, Ordering::Release);
    }
}

/// Where a click is in its press/release sequence.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Press {
    None,
    /// Press at this point on the next input.
    Down(egui::Pos2),
    /// Release there on the next input.
    Up(egui::Pos2),
}

pub struct UiScript {
    steps: Vec<Step>,
    at: usize,
    press: Press,
    started: Instant,
    outcome: ScriptOutcome,
    finished: bool,
}

fn parse_addr(text: &str) -> Result<u64, String> {
    let t = text.trim();
    let hex = t.strip_prefix("0x").or_else(|| t.strip_prefix("0X"));
    match hex {
        Some(h) => u64::from_str_radix(h, 16),
        None => t.parse(),
    }
    .map_err(|_| format!("not an address: {t}"))
}

fn parse_step(text: &str) -> Result<Step, String> {
    let text = text.trim();
    let (verb, arg) = text.split_once(' ').unwrap_or((text, ""));
    let arg = arg.trim();
    match (verb, arg) {
        ("click", name) if !name.is_empty() => Ok(Step::Click(name.to_string())),
        ("wait", "running") => Ok(Step::Wait(Cond::Running)),
        ("wait", "paused") => Ok(Step::Wait(Cond::Paused)),
        ("wait", "reset") => Ok(Step::Wait(Cond::Reset)),
        ("wait", rest) => match rest.split_once(' ') {
            Some(("breakpoint", a)) => Ok(Step::Wait(Cond::Breakpoint(parse_addr(a)?))),
            Some(("stop", a)) => Ok(Step::Wait(Cond::StoppedAt(parse_addr(a)?))),
            _ => Err(format!("unknown wait: {rest}")),
        },
        _ => Err(format!("unknown step: {text}")),
    }
}

impl UiScript {
    pub fn parse(text: &str, outcome: ScriptOutcome) -> Result<UiScript, String> {
        let steps = text
            .split(';')
            .filter(|s| !s.trim().is_empty())
            .map(parse_step)
            .collect::<Result<Vec<_>, _>>()?;
        Ok(UiScript {
            steps,
            at: 0,
            press: Press::None,
            started: Instant::now(),
            outcome,
            finished: false,
        })
    }

    /// Before egui reads this frame's input: add the pointer events of a click under way.
    pub fn inject(&mut self, raw: &mut egui::RawInput) {
        let (pos, pressed, next) = match self.press {
            Press::None => return,
            Press::Down(pos) => (pos, true, Press::Up(pos)),
            Press::Up(pos) => (pos, false, Press::None),
        };
        raw.events.push(egui::Event::PointerMoved(pos));
        raw.events.push(egui::Event::PointerButton {
            pos,
            button: egui::PointerButton::Primary,
            pressed,
            modifiers: egui::Modifiers::NONE,
        });
        self.press = next;
        if next == Press::None {
            self.advance();
        }
    }

    /// After the frame: start the next click or check a wait; close the window at the end.
    pub fn frame(&mut self, ctx: &egui::Context, snap: &Snapshot) {
        probe::enable(ctx);
        ctx.request_repaint();
        if self.finished {
            return;
        }
        let Some(step) = self.steps.get(self.at).cloned() else {
            println!("ui-script: passed");
            self.finish(ctx);
            return;
        };
        if self.started.elapsed() > STEP_LIMIT {
            println!(
                "ui-script: failed at {step:?} (state {:?}, pc {:#x}, last stop {:?})",
                snap.state, snap.pc, snap.last_stop
            );
            self.outcome.fail();
            self.finish(ctx);
            return;
        }
        match step {
            Step::Click(name) if self.press == Press::None => {
                if let Some(rect) = probe::rect(ctx, &name) {
                    self.press = Press::Down(rect.center());
                }
            }
            Step::Click(_) => {}
            Step::Wait(cond) => {
                if cond.holds(snap) {
                    self.advance();
                }
            }
        }
    }

    fn advance(&mut self) {
        if let Some(step) = self.steps.get(self.at) {
            println!("ui-script: ok {step:?}");
        }
        self.at += 1;
        self.started = Instant::now();
    }

    fn finish(&mut self, ctx: &egui::Context) {
        self.finished = true;
        ctx.send_viewport_cmd(egui::ViewportCommand::Close);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn steps_parse_and_bad_ones_are_refused() {
        let s = UiScript::parse(
            "click Pause; wait paused; click gutter 0x216; wait breakpoint 0x216; wait stop 534",
            ScriptOutcome::default(),
        )
        .unwrap();
        assert_eq!(
            s.steps,
            vec![
                Step::Click("Pause".into()),
                Step::Wait(Cond::Paused),
                Step::Click("gutter 0x216".into()),
                Step::Wait(Cond::Breakpoint(0x216)),
                Step::Wait(Cond::StoppedAt(0x216)),
            ]
        );
        assert!(UiScript::parse("jump 3", ScriptOutcome::default()).is_err());
        assert!(UiScript::parse("wait stop zz", ScriptOutcome::default()).is_err());
    }

    /// A click is a press on one frame and a release on the next, at the widget's centre.
    #[test]
    fn a_click_presses_then_releases_at_the_probed_widget() {
        let ctx = egui::Context::default();
        let mut script = UiScript::parse("click Run", ScriptOutcome::default()).unwrap();
        let snap = Snapshot::default();
        let mut clicked = 0;
        for _ in 0..4 {
            let mut raw = egui::RawInput::default();
            script.inject(&mut raw);
            let mut out = ctx.run_ui(raw, |ui| {
                let r = ui.button("Run");
                probe::note(&r, "Run");
                if r.clicked() {
                    clicked += 1;
                }
            });
            // No renderer here to take the font texture.
            out.textures_delta.clear();
            script.frame(&ctx, &snap);
        }
        assert_eq!(clicked, 1);
        assert_eq!(script.at, 1, "the step is done");
        assert!(script.finished, "and the script with it");
        assert!(!script.outcome.failed());
    }
}
