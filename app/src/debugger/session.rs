//! The debugger session: run control over any `&mut dyn Machine`, with user breakpoints
//! and watchpoints, step into/over/out, run to cursor, and reverse execution.
//!
//! Long motions (step over a call, step out, run to cursor) are not blocking: `begin_*`
//! arms a target and the caller keeps calling [`Debugger::run`] (a frame at a time on the
//! emulation thread) until it returns something other than [`Stop::Budget`].

use wb_machine::{
    Access, Breakpoint, Budget, InputEvent, Machine, PokeError, RegValue, StopReason,
};

use super::history::{History, HistoryError, Position, with_quiet_hooks};
use super::points::{BreakpointSpec, Verdict, WatchSpec, judge};

/// Why a debugger operation returned.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Stop {
    /// The budget was spent with nothing to report: keep running if running.
    Budget,
    /// One instruction was stepped (forward or backward).
    Stepped,
    /// Step over, step out or run to cursor arrived at `pc`.
    Arrived { pc: u64 },
    /// A breakpoint or watchpoint stopped the machine, or the guest trapped, halted,
    /// exited or faulted.
    Machine(StopReason),
    /// A condition could not be evaluated; the machine stopped where it was checked.
    ConditionError(String),
    /// Reverse execution reached the oldest recorded state.
    HistoryStart,
}

impl Stop {
    /// True when a running machine should go on.
    pub fn keeps_running(&self) -> bool {
        matches!(self, Stop::Budget)
    }
}

/// An operation the debugger refused.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum DebugError {
    #[error("step out: the caller is not known (no call recorded since the last reset)")]
    NoCaller,
    #[error(transparent)]
    History(#[from] HistoryError),
    #[error(transparent)]
    Poke(#[from] PokeError),
}

/// Where a long motion stops: `addr`, once the call depth is at most `max_depth`.
#[derive(Clone, Copy, Debug)]
struct Target {
    addr: u64,
    max_depth: Option<usize>,
}

/// One retired instruction, re-executed to show what it changed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TraceRow {
    pub index: u64,
    pub pc: u64,
    /// `(register, before, after)` for every register the instruction changed.
    pub changes: Vec<(String, RegValue, RegValue)>,
}

/// Default history: a snapshot every 4096 instructions (or at each frame start, whichever
/// is later), within 64 MiB of compressed states.
const HISTORY_INTERVAL: u64 = 4096;
pub const HISTORY_BUDGET: usize = 64 << 20;

/// The debugger state of one machine.
pub struct Debugger {
    breakpoints: Vec<BreakpointSpec>,
    watchpoints: Vec<WatchSpec>,
    history: History,
    target: Option<Target>,
    /// The position where the machine last stopped for the user: a breakpoint at this pc
    /// is stepped over when running resumes from exactly here.
    parked: Option<(u64, u64)>,
    log: Vec<String>,
}

impl Default for Debugger {
    fn default() -> Self {
        Self::new()
    }
}

impl Debugger {
    pub fn new() -> Self {
        Debugger {
            breakpoints: Vec::new(),
            watchpoints: Vec::new(),
            history: History::new(HISTORY_INTERVAL, HISTORY_BUDGET),
            target: None,
            parked: None,
            log: Vec::new(),
        }
    }

    /// Start debugging `m`: call tracking on, points installed, history restarted here.
    pub fn attach(&mut self, m: &mut dyn Machine) {
        m.hooks_mut().set_call_tracking(true);
        self.target = None;
        self.sync_hooks(m);
        self.history.clear();
        self.history.record_exact(m);
        self.park(m);
    }

    pub fn history(&self) -> &History {
        &self.history
    }

    pub fn history_mut(&mut self) -> &mut History {
        &mut self.history
    }

    /// Lines written by log-only points (and condition errors) since the last drain.
    pub fn drain_log(&mut self) -> Vec<String> {
        std::mem::take(&mut self.log)
    }

    // ---- points ----

    pub fn breakpoints(&self) -> &[BreakpointSpec] {
        &self.breakpoints
    }

    pub fn watchpoints(&self) -> &[WatchSpec] {
        &self.watchpoints
    }

    /// Add a breakpoint, or replace the one at the same address.
    pub fn set_breakpoint(&mut self, m: &mut dyn Machine, spec: BreakpointSpec) {
        match self.breakpoints.iter_mut().find(|b| b.addr == spec.addr) {
            Some(b) => *b = spec,
            None => self.breakpoints.push(spec),
        }
        self.sync_hooks(m);
    }

    pub fn remove_breakpoint(&mut self, m: &mut dyn Machine, addr: u64) {
        self.breakpoints.retain(|b| b.addr != addr);
        self.sync_hooks(m);
    }

    /// Add a plain breakpoint at `addr`, or remove the one there.
    pub fn toggle_breakpoint(&mut self, m: &mut dyn Machine, addr: u64) {
        if self.breakpoints.iter().any(|b| b.addr == addr) {
            self.remove_breakpoint(m, addr);
        } else {
            self.set_breakpoint(m, BreakpointSpec::new(addr));
        }
    }

    /// Change one breakpoint in place (enable, condition, action, ignore count).
    #[cfg(test)]
    pub fn edit_breakpoint(
        &mut self,
        m: &mut dyn Machine,
        addr: u64,
        edit: impl FnOnce(&mut BreakpointSpec),
    ) {
        if let Some(b) = self.breakpoints.iter_mut().find(|b| b.addr == addr) {
            edit(b);
        }
        self.sync_hooks(m);
    }

    pub fn add_watchpoint(&mut self, m: &mut dyn Machine, spec: WatchSpec) {
        self.watchpoints.push(spec);
        self.sync_hooks(m);
    }

    pub fn remove_watchpoint(&mut self, m: &mut dyn Machine, index: usize) {
        if index < self.watchpoints.len() {
            self.watchpoints.remove(index);
        }
        self.sync_hooks(m);
    }

    pub fn edit_watchpoint(
        &mut self,
        m: &mut dyn Machine,
        index: usize,
        edit: impl FnOnce(&mut WatchSpec),
    ) {
        if let Some(w) = self.watchpoints.get_mut(index) {
            edit(w);
        }
        self.sync_hooks(m);
    }

    /// Install the enabled points (and a pending motion's target) in the core's hooks.
    fn sync_hooks(&self, m: &mut dyn Machine) {
        let hooks = m.hooks_mut();
        for bp in hooks.breakpoints().to_vec() {
            hooks.remove_breakpoint(bp.addr);
        }
        for bp in self.breakpoints.iter().filter(|b| b.enabled) {
            hooks.set_breakpoint(Breakpoint {
                addr: bp.addr,
                enabled: true,
            });
        }
        if let Some(t) = self.target {
            hooks.set_breakpoint(Breakpoint {
                addr: t.addr,
                enabled: true,
            });
        }
        hooks.set_watchpoints(self.watchpoints.iter().map(WatchSpec::to_hook).collect());
    }

    // ---- edits and inputs (they change the future, so history follows) ----

    /// Give the guest an input, recorded for deterministic re-execution.
    pub fn input(&mut self, m: &mut dyn Machine, event: InputEvent) {
        let now = Position::of(m);
        self.history.truncate_after(now);
        self.history.log_input(now, event.clone());
        m.input(event);
    }

    pub fn poke(
        &mut self,
        m: &mut dyn Machine,
        space: usize,
        addr: u64,
        value: u8,
    ) -> Result<(), DebugError> {
        m.poke(space, addr, value)?;
        self.history.record_exact(m);
        Ok(())
    }

    /// Type bytes to the guest's serial/console input. The input becomes part of the
    /// state (a snapshot is taken), so going back past it and forward again replays it.
    pub fn serial_in(&mut self, m: &mut dyn Machine, bytes: &[u8]) {
        m.serial_in(bytes);
        self.history.record_exact(m);
    }

    pub fn set_register(
        &mut self,
        m: &mut dyn Machine,
        name: &str,
        value: RegValue,
    ) -> Result<(), DebugError> {
        m.set_register(name, value)?;
        self.history.record_exact(m);
        self.park(m);
        Ok(())
    }

    pub fn reset(&mut self, m: &mut dyn Machine) {
        m.reset();
        m.hooks_mut().clear_call_stack();
        self.attach(m);
    }

    /// Load a save state; history restarts from it. The machine is unchanged on error.
    pub fn load_state(
        &mut self,
        m: &mut dyn Machine,
        bytes: &[u8],
    ) -> Result<(), wb_machine::StateError> {
        m.load_state(bytes)?;
        m.hooks_mut().clear_call_stack();
        self.attach(m);
        Ok(())
    }

    /// Remember that the user is looking at this position (pause): resuming from here
    /// must not stop again on a breakpoint at the current pc.
    pub fn park(&mut self, m: &dyn Machine) {
        self.parked = Some((m.pc(), m.instructions_retired()));
        self.history.note_shown(m);
    }

    /// Forget a pending step over / step out / run to cursor.
    pub fn cancel_motion(&mut self, m: &mut dyn Machine) {
        if self.target.take().is_some() {
            self.sync_hooks(m);
        }
    }

    // ---- forward ----

    /// Run within `budget`, honouring conditions, hit counts, log-only points and a
    /// pending motion.
    pub fn run(&mut self, m: &mut dyn Machine, budget: Budget) -> Stop {
        self.history.maybe_record(m);
        if let Some((pc, retired)) = self.parked.take()
            && m.pc() == pc
            && m.instructions_retired() == retired
        {
            m.hooks_mut().skip_breakpoint_once(pc);
        }
        let start = m.instructions_retired();
        let mut cycles = 0u64;
        loop {
            let remaining = match budget {
                Budget::Frame => Budget::Frame,
                Budget::Instructions(n) => {
                    Budget::Instructions(n.saturating_sub(m.instructions_retired() - start))
                }
                Budget::Cycles(n) => Budget::Cycles(n.saturating_sub(cycles)),
            };
            if matches!(remaining, Budget::Instructions(0) | Budget::Cycles(0)) {
                return Stop::Budget;
            }
            let r = m.run(remaining);
            cycles += r.cycles;
            match self.on_core_stop(m, r.stop) {
                Some(stop) => {
                    if !stop.keeps_running() {
                        // Any stop for the user abandons a step over / out in progress.
                        self.cancel_motion(m);
                        self.park(m);
                    }
                    return stop;
                }
                None => continue,
            }
        }
    }

    /// Decide what a stop the core reported means; `None` resumes the run.
    fn on_core_stop(&mut self, m: &mut dyn Machine, stop: StopReason) -> Option<Stop> {
        match stop {
            StopReason::BudgetSpent | StopReason::FrameDone => Some(Stop::Budget),
            StopReason::Breakpoint { addr } => {
                if let Some(t) = self.target {
                    let deep_enough = t
                        .max_depth
                        .is_none_or(|d| m.hooks().call_stack().len() <= d);
                    if t.addr == addr && deep_enough {
                        self.cancel_motion(m);
                        return Some(Stop::Arrived { pc: addr });
                    }
                }
                let verdict = match self
                    .breakpoints
                    .iter_mut()
                    .find(|b| b.addr == addr && b.enabled)
                {
                    Some(b) => judge(
                        b.condition.as_ref(),
                        &b.action,
                        &mut b.hits,
                        b.ignore,
                        true,
                        m,
                    ),
                    // Only the motion's own breakpoint, at the wrong depth.
                    None => Verdict::Continue,
                };
                let out = self.apply(verdict, StopReason::Breakpoint { addr });
                if out.is_none() {
                    m.hooks_mut().skip_breakpoint_once(addr);
                }
                out
            }
            StopReason::Watchpoint { addr, access, .. } => {
                let verdict = self.judge_watch(m, addr, access, true);
                self.apply(verdict, stop)
            }
            other => {
                self.cancel_motion(m);
                Some(Stop::Machine(other))
            }
        }
    }

    fn judge_watch(&mut self, m: &dyn Machine, addr: u64, access: Access, count: bool) -> Verdict {
        let mut result = Verdict::Continue;
        for w in self
            .watchpoints
            .iter_mut()
            .filter(|w| w.covers(addr, access))
        {
            let v = judge(w.condition.as_ref(), &w.action, &mut w.hits, 0, count, m);
            result = match (result, v) {
                (Verdict::Error(e), _) | (_, Verdict::Error(e)) => Verdict::Error(e),
                (Verdict::Stop, _) | (_, Verdict::Stop) => Verdict::Stop,
                (Verdict::Log(a), Verdict::Log(b)) => Verdict::Log(format!("{a}\n{b}")),
                (Verdict::Log(a), Verdict::Continue) | (Verdict::Continue, Verdict::Log(a)) => {
                    Verdict::Log(a)
                }
                (Verdict::Continue, Verdict::Continue) => Verdict::Continue,
            };
        }
        result
    }

    fn apply(&mut self, verdict: Verdict, stop: StopReason) -> Option<Stop> {
        match verdict {
            Verdict::Stop => Some(Stop::Machine(stop)),
            Verdict::Continue => None,
            Verdict::Log(line) => {
                self.log.extend(line.lines().map(str::to_string));
                None
            }
            Verdict::Error(e) => {
                self.log.push(e.clone());
                Some(Stop::ConditionError(e))
            }
        }
    }

    /// Execute one instruction (a breakpoint at pc does not stop it; a watchpoint does
    /// report).
    pub fn step_into(&mut self, m: &mut dyn Machine) -> Stop {
        self.history.maybe_record(m);
        // A reverse step comes back to exactly here.
        self.history.note_shown(m);
        let r = m.step();
        let stop = match r.stop {
            StopReason::BudgetSpent | StopReason::FrameDone | StopReason::Breakpoint { .. } => {
                Stop::Stepped
            }
            StopReason::Watchpoint { addr, access, .. } => {
                let verdict = self.judge_watch(m, addr, access, true);
                self.apply(verdict, r.stop).unwrap_or(Stop::Stepped)
            }
            other => Stop::Machine(other),
        };
        self.park(m);
        stop
    }

    /// Step over: a call runs to its return (use [`Debugger::run`] to go on when this
    /// returns `None`); any other instruction is one step.
    pub fn begin_step_over(&mut self, m: &mut dyn Machine) -> Option<Stop> {
        let Some(ret) = m.call_return_address() else {
            return Some(self.step_into(m));
        };
        let depth = m.hooks().call_stack().len();
        let first = self.step_into(m);
        if first != Stop::Stepped {
            return Some(first);
        }
        if m.pc() == ret && m.hooks().call_stack().len() <= depth {
            return Some(Stop::Arrived { pc: ret });
        }
        self.arm(
            m,
            Target {
                addr: ret,
                max_depth: Some(depth),
            },
        );
        None
    }

    /// Step out of the current routine (its caller must be on the shadow call stack).
    pub fn begin_step_out(&mut self, m: &mut dyn Machine) -> Result<(), DebugError> {
        let stack = m.hooks().call_stack();
        let top = stack.last().ok_or(DebugError::NoCaller)?;
        let target = Target {
            addr: top.return_addr,
            max_depth: Some(stack.len() - 1),
        };
        self.arm(m, target);
        Ok(())
    }

    /// Run to `addr` (at any depth).
    pub fn begin_run_to(&mut self, m: &mut dyn Machine, addr: u64) {
        self.arm(
            m,
            Target {
                addr,
                max_depth: None,
            },
        );
    }

    fn arm(&mut self, m: &mut dyn Machine, target: Target) {
        self.target = Some(target);
        self.sync_hooks(m);
        self.park(m);
    }

    /// True while a step over / step out / run to cursor is under way.
    #[cfg(test)]
    pub fn in_motion(&self) -> bool {
        self.target.is_some()
    }

    /// Drive the current motion (or a plain run) to its end, at most `max_frames` frames.
    #[cfg(test)]
    pub fn finish(&mut self, m: &mut dyn Machine, max_frames: u32) -> Stop {
        for _ in 0..max_frames {
            let stop = self.run(m, Budget::Frame);
            if !stop.keeps_running() {
                return stop;
            }
        }
        Stop::Budget
    }

    // ---- backward ----

    /// Go back one instruction: the state equals the one recorded then, byte for byte.
    pub fn reverse_step(&mut self, m: &mut dyn Machine) -> Result<Stop, DebugError> {
        self.cancel_motion(m);
        let now = m.instructions_retired();
        if now == 0 || self.history.oldest().is_none_or(|o| o >= now) {
            return Ok(Stop::HistoryStart);
        }
        self.history.restore_to(m, now - 1)?;
        self.history.truncate_after(Position::of(m));
        self.park(m);
        Ok(Stop::Stepped)
    }

    /// Go back to the previous breakpoint or watchpoint hit whose condition holds (hit
    /// counts are not counted again), or to the oldest recorded state.
    pub fn reverse_continue(&mut self, m: &mut dyn Machine) -> Result<Stop, DebugError> {
        self.cancel_motion(m);
        let now = m.instructions_retired();
        for (idx, end) in self.history.segments_before(now) {
            let mut hits: Vec<(Position, StopReason)> = Vec::new();
            let mut breakpoints = self.breakpoints.clone();
            let mut scratch = Debugger {
                breakpoints: Vec::new(),
                watchpoints: self.watchpoints.clone(),
                ..Debugger::new()
            };
            self.history.scan_segment(m, idx, end, &mut |m, stop| {
                let here = Position::of(m);
                if here.retired >= now {
                    return;
                }
                let verdict = match stop {
                    StopReason::Breakpoint { addr } => match breakpoints
                        .iter_mut()
                        .find(|b| b.addr == *addr && b.enabled)
                    {
                        Some(b) => judge(b.condition.as_ref(), &b.action, &mut b.hits, 0, false, m),
                        None => Verdict::Continue,
                    },
                    StopReason::Watchpoint { addr, access, .. } => {
                        scratch.judge_watch(m, *addr, *access, false)
                    }
                    _ => Verdict::Continue,
                };
                if matches!(verdict, Verdict::Stop | Verdict::Error(_)) {
                    hits.push((here, stop.clone()));
                }
            })?;
            if let Some((at, stop)) = hits.pop() {
                // The exact position: a breakpoint stop comes after any idle time (CHIP-8
                // display wait) that followed the previous instruction.
                self.history.restore_exact(m, at)?;
                self.history.truncate_after(at);
                self.park(m);
                return Ok(Stop::Machine(stop));
            }
        }
        let oldest = self.history.oldest().ok_or(HistoryError::NoHistory)?;
        self.history.restore_to(m, oldest.min(now))?;
        self.history.truncate_after(Position::of(m));
        self.park(m);
        Ok(Stop::HistoryStart)
    }

    /// Step back one snapshot (rewind while a key is held). False at the oldest state.
    pub fn rewind(&mut self, m: &mut dyn Machine) -> Result<bool, DebugError> {
        self.cancel_motion(m);
        let moved = self.history.rewind(m)?;
        self.park(m);
        Ok(moved)
    }

    /// The last `n` instructions with the registers each one changed, found by
    /// re-executing them from history. The machine ends where it was.
    pub fn trace_with_changes(
        &mut self,
        m: &mut dyn Machine,
        n: u64,
    ) -> Result<Vec<TraceRow>, DebugError> {
        let now = m.instructions_retired();
        let Some(oldest) = self.history.oldest() else {
            return Ok(Vec::new());
        };
        let from = now.saturating_sub(n).max(oldest);
        let here = m.save_state();
        let call_stack = m.hooks().call_stack().to_vec();
        self.history.restore_to(m, from)?;
        let rows = with_quiet_hooks(m, false, |m| {
            let mut rows = Vec::new();
            while m.instructions_retired() < now {
                let index = m.instructions_retired();
                let pc = m.pc();
                let before = m.registers();
                let r = m.step();
                if r.stop.is_terminal() || m.instructions_retired() == index {
                    break;
                }
                let after = m.registers();
                let changes = before
                    .iter()
                    .zip(after.iter())
                    .filter(|(a, b)| a.value != b.value && a.name != "pc")
                    .map(|(a, b)| (a.name.clone(), a.value, b.value))
                    .collect();
                rows.push(TraceRow { index, pc, changes });
            }
            rows
        });
        if m.save_state() != here {
            // Re-execution did not land on the same state: put the real one back.
            m.load_state(&here)
                .map_err(|e| HistoryError::Diverged(e.to_string()))?;
            let hooks = m.hooks_mut();
            hooks.clear_call_stack();
            for c in call_stack {
                hooks.on_call(c.call_pc, c.target, c.return_addr);
            }
        }
        self.park(m);
        Ok(rows)
    }
}
