//! The slot loop: instruction slots, display-wait idling and the 60 Hz tick.
//!
//! A frame is `Chip8::ipf` slots. Each slot executes one instruction, or idles while a draw
//! waits for vertical blank; the frame's last slot is followed by the tick. The loop spends
//! the slots of a frame in one run instead of returning to the budget check after each one:
//! the budget only says how many slots it still allows, so the check is made once per run.

use wb_machine::{Budget, RunResult, StopReason};

use crate::chip8::{Chip8, Exec};

impl Chip8 {
    /// Run until `budget` is spent or something stops the machine.
    pub(crate) fn run_budget(&mut self, budget: Budget) -> RunResult {
        let (c0, r0) = (self.cycles, self.retired);
        self.frame_ended = false;
        let stop = loop {
            // Slots the budget still allows, for slots that execute and for idle ones.
            let (exec_room, idle_room) = match budget {
                Budget::Cycles(n) => {
                    let left = n.saturating_sub(self.cycles - c0);
                    (left, left)
                }
                Budget::Instructions(n) => (n.saturating_sub(self.retired - r0), u64::MAX),
                Budget::Frame => (u64::MAX, u64::MAX),
            };
            if exec_room == 0 {
                break StopReason::BudgetSpent;
            }
            if self.halted {
                break StopReason::Halted;
            }
            let room = if self.vblank_wait {
                idle_room
            } else {
                exec_room
            };
            if let Some(stop) = self.run_slots(room) {
                break stop;
            }
            if budget == Budget::Frame && self.frame_ended {
                break StopReason::FrameDone;
            }
        };
        self.display.refresh();
        RunResult {
            stop,
            cycles: self.cycles - c0,
        }
    }

    /// Spend up to `room` slots (at least one) without passing the end of the frame. A run of
    /// executed slots ends early at a draw that waits for vertical blank (the rest of the frame
    /// idles) and at a stop. The frame closes when its last slot is spent.
    pub(crate) fn run_slots(&mut self, room: u64) -> Option<StopReason> {
        let ipf = self.ipf();
        let left = u64::from(ipf.saturating_sub(self.slot).max(1));
        let max = left.min(room.max(1));
        let (used, stop) = if self.vblank_wait {
            (max, None)
        } else {
            self.execute_run(max)
        };
        if used > 0 {
            self.cycles += used;
            // `used` is at most the slots left in the frame, a u32.
            self.slot += used as u32;
            if self.slot >= ipf {
                self.end_frame();
            }
        }
        stop
    }

    /// Execute up to `max` instructions; returns the slots used and why it stopped early.
    fn execute_run(&mut self, max: u64) -> (u64, Option<StopReason>) {
        let mut used = 0;
        while used < max {
            match self.execute_next() {
                Exec::Done => used += 1,
                // No time passed: the slot is not spent.
                Exec::Before(stop) => return (used, Some(stop)),
                Exec::After(stop) => return (used + 1, Some(stop)),
            }
            if self.vblank_wait {
                break;
            }
        }
        (used, None)
    }

    /// The 60 Hz tick: one frame of audio, then the timers count down.
    fn end_frame(&mut self) {
        self.sound.frame(self.st > 0);
        self.dt = self.dt.saturating_sub(1);
        self.st = self.st.saturating_sub(1);
        self.slot = 0;
        self.vblank_wait = false;
        self.frames += 1;
        self.frame_ended = true;
    }
}
