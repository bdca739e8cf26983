//! Recorded history for reverse execution and rewind: periodic compressed snapshots plus
//! the inputs given between them. Any earlier instruction boundary is reached by loading
//! the nearest snapshot at or before it and re-executing deterministically (the
//! `Machine` contract guarantees save → load → run reproduces the run byte for byte).
//!
//! A position is an instruction count *and* a cycle count: a core may spend time without
//! retiring anything (CHIP-8 waiting for the vertical blank after a draw, a Game Boy in
//! HALT), so one instruction count can name several states. Re-executing to a count
//! arrives at the first of them, the one a single step shows; the states the user was
//! shown (a breakpoint stop past the wait, a pause at a frame end) are remembered with
//! their cycle count, and going back to that count lands on them exactly.

use std::collections::{BTreeMap, VecDeque};
use std::io::{Read, Write};

use wb_machine::{Budget, CallEvent, Hooks, InputEvent, Machine, StopReason};

/// Why the history could not take the machine where it was asked to.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum HistoryError {
    #[error("no recorded history that far back")]
    NoHistory,
    #[error("re-execution diverged: {0}")]
    Diverged(String),
}

/// Where a machine is in its run: instructions retired, then cycles (both only grow
/// within one history, so the derived order is the order of time).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Position {
    pub retired: u64,
    pub cycles: u64,
}

impl Position {
    pub fn of(m: &dyn Machine) -> Position {
        Position {
            retired: m.instructions_retired(),
            cycles: m.cycles(),
        }
    }

    /// The first state with `retired` instructions (the cycle count is a lower bound).
    fn first(retired: u64) -> Position {
        Position { retired, cycles: 0 }
    }
}

/// One snapshot: the machine's state at `retired` instructions.
struct Snapshot {
    retired: u64,
    cycles: u64,
    /// `Machine::save_state`, deflated.
    data: Vec<u8>,
    /// The shadow call stack, which save states do not carry.
    call_stack: Vec<CallEvent>,
    /// Inputs with an index below this were given before the snapshot was taken.
    inputs_before: usize,
    /// Taken right after an edit (poke, register write, state load): the only true state
    /// for its position, which re-execution from an older snapshot cannot reproduce.
    exact: bool,
}

impl Snapshot {
    fn position(&self) -> Position {
        Position {
            retired: self.retired,
            cycles: self.cycles,
        }
    }
}

/// Snapshots within a memory budget, oldest first, the input log, and the cycle count of
/// the last state shown to the user at each instruction count.
pub struct History {
    snaps: VecDeque<Snapshot>,
    inputs: Vec<(Position, InputEvent)>,
    shown: BTreeMap<u64, u64>,
    bytes: usize,
    budget: usize,
    /// Instructions between automatic snapshots.
    interval: u64,
}

impl History {
    pub fn new(interval: u64, budget_bytes: usize) -> Self {
        History {
            snaps: VecDeque::new(),
            inputs: Vec::new(),
            shown: BTreeMap::new(),
            bytes: 0,
            budget: budget_bytes,
            interval: interval.max(1),
        }
    }

    pub fn clear(&mut self) {
        self.snaps.clear();
        self.inputs.clear();
        self.shown.clear();
        self.bytes = 0;
    }

    pub fn set_interval(&mut self, interval: u64) {
        self.interval = interval.max(1);
    }

    /// How many compressed bytes to keep at most (the oldest snapshots go first).
    pub fn set_budget(&mut self, bytes: usize) {
        self.budget = bytes;
    }

    /// Compressed bytes held.
    pub fn bytes(&self) -> usize {
        self.bytes
    }

    pub fn len(&self) -> usize {
        self.snaps.len()
    }

    /// Instruction count of the oldest state we can go back to.
    pub fn oldest(&self) -> Option<u64> {
        self.snaps.front().map(|s| s.retired)
    }

    /// Snapshot positions, oldest first.
    #[cfg(test)]
    pub fn positions(&self) -> Vec<u64> {
        self.snaps.iter().map(|s| s.retired).collect()
    }

    /// Take a snapshot when the last one is at least `interval` instructions old.
    pub fn maybe_record(&mut self, m: &dyn Machine) {
        let now = m.instructions_retired();
        match self.snaps.back() {
            Some(last) if now < last.retired + self.interval && now >= last.retired => {}
            _ => self.record(m),
        }
    }

    /// Take a snapshot now, replacing one at the same position.
    pub fn record(&mut self, m: &dyn Machine) {
        self.record_with(m, false);
    }

    /// Take a snapshot after an edit of the machine: restoring this position uses it, not
    /// re-execution (which would miss the edit).
    pub fn record_exact(&mut self, m: &dyn Machine) {
        self.record_with(m, true);
    }

    fn record_with(&mut self, m: &dyn Machine, exact: bool) {
        let here = Position::of(m);
        let retired = here.retired;
        self.truncate_after(here);
        if self.snaps.back().is_some_and(|s| s.retired == retired)
            && let Some(old) = self.snaps.pop_back()
        {
            self.bytes -= old.data.len();
        }
        let data = deflate(&m.save_state());
        self.bytes += data.len();
        self.snaps.push_back(Snapshot {
            retired,
            cycles: here.cycles,
            data,
            call_stack: m.hooks().call_stack().to_vec(),
            inputs_before: self.inputs.len(),
            exact,
        });
        // Keep at least the newest two, so one reverse step always works.
        while self.bytes > self.budget && self.snaps.len() > 2 {
            if let Some(old) = self.snaps.pop_front() {
                self.bytes -= old.data.len();
            }
        }
        if let Some(oldest) = self.oldest() {
            self.shown = self.shown.split_off(&oldest);
        }
    }

    /// Remember the state the user is shown (a stop, a pause, the start of a step): going
    /// back to its instruction count lands on it rather than on the first state there.
    pub fn note_shown(&mut self, m: &dyn Machine) {
        let here = Position::of(m);
        self.shown.insert(here.retired, here.cycles);
    }

    /// Remember an input given at `at` (the machine's current position).
    pub fn log_input(&mut self, at: Position, event: InputEvent) {
        self.inputs.push((at, event));
    }

    /// Forget everything recorded after `here` (the future is about to change).
    pub fn truncate_after(&mut self, here: Position) {
        while self.snaps.back().is_some_and(|s| s.position() > here) {
            if let Some(old) = self.snaps.pop_back() {
                self.bytes -= old.data.len();
            }
        }
        self.inputs.retain(|(at, _)| *at <= here);
        self.shown
            .retain(|&retired, &mut cycles| Position { retired, cycles } <= here);
        let max_inputs = self.inputs.len();
        for s in self.snaps.iter_mut() {
            s.inputs_before = s.inputs_before.min(max_inputs);
        }
    }

    /// Drop the newest snapshot strictly before `retired` and everything after it, and load
    /// it (rewind: coarse, no re-execution). False when there is nothing older.
    pub fn rewind(&mut self, m: &mut dyn Machine) -> Result<bool, HistoryError> {
        let now = Position::of(m);
        let Some(idx) = self.snaps.iter().rposition(|s| s.position() < now) else {
            return Ok(false);
        };
        self.load(m, idx)?;
        self.truncate_after(Position::of(m));
        Ok(true)
    }

    /// The snapshot to re-execute from to reach `retired` instructions (and `cycles`, when
    /// an exact state is wanted): the newest one strictly before that count, so the
    /// machine arrives right after instruction `retired` retires. A snapshot at the count
    /// itself is used when it is the wanted state or one before it there, when it was
    /// taken right after an edit (the only true state for its position), or when nothing
    /// older exists.
    fn index_for(&self, retired: u64, cycles: Option<u64>) -> Option<usize> {
        let at = self.snaps.iter().rposition(|s| s.retired == retired);
        let usable = |s: &Snapshot| match cycles {
            Some(c) => s.cycles <= c && (s.exact || s.cycles == c),
            None => s.exact,
        };
        if let Some(i) = at.filter(|&i| usable(&self.snaps[i])) {
            return Some(i);
        }
        self.snaps.iter().rposition(|s| s.retired < retired).or(at)
    }

    /// Load snapshot `idx` exactly (no re-execution).
    fn load(&self, m: &mut dyn Machine, idx: usize) -> Result<(), HistoryError> {
        let snap = self.snaps.get(idx).ok_or(HistoryError::NoHistory)?;
        let bytes = inflate(&snap.data)
            .map_err(|e| HistoryError::Diverged(format!("snapshot unreadable: {e}")))?;
        m.load_state(&bytes)
            .map_err(|e| HistoryError::Diverged(format!("snapshot refused: {e}")))?;
        let hooks = m.hooks_mut();
        hooks.clear_call_stack();
        for c in &snap.call_stack {
            hooks.on_call(c.call_pc, c.target, c.return_addr);
        }
        Ok(())
    }

    /// Put the machine in the state it had after `target` instructions: the one the user
    /// was last shown at that count, else the first one there. Re-executes with
    /// breakpoints, watchpoints, trace and profile switched off.
    pub fn restore_to(&self, m: &mut dyn Machine, target: u64) -> Result<(), HistoryError> {
        self.restore_at(m, target, self.shown.get(&target).copied())
    }

    /// Put the machine at `target` exactly (a position seen during a scan).
    pub fn restore_exact(&self, m: &mut dyn Machine, target: Position) -> Result<(), HistoryError> {
        self.restore_at(m, target.retired, Some(target.cycles))
    }

    fn restore_at(
        &self,
        m: &mut dyn Machine,
        retired: u64,
        cycles: Option<u64>,
    ) -> Result<(), HistoryError> {
        let idx = self
            .index_for(retired, cycles)
            .ok_or(HistoryError::NoHistory)?;
        self.load(m, idx)?;
        let target = Position {
            retired,
            cycles: cycles.unwrap_or(0),
        };
        let replayed = with_quiet_hooks(m, false, |m| self.replay(m, idx, target, &mut |_, _| {}));
        match (replayed, cycles) {
            (Ok(()), Some(_)) if Position::of(m) == target => Ok(()),
            (Ok(()), None) => Ok(()),
            // The core could not stop at that cycle: settle for the first state there.
            (_, Some(_)) => self.restore_at(m, retired, None),
            (Err(e), None) => Err(e),
        }
    }

    /// Re-execute the segment that starts at snapshot `idx` up to the first state with
    /// `end` instructions, with breakpoints and watchpoints on (trace and profile off),
    /// calling `on_point` at each point the core reports. Leaves the machine at `end`.
    pub fn scan_segment(
        &self,
        m: &mut dyn Machine,
        idx: usize,
        end: u64,
        on_point: &mut dyn FnMut(&mut dyn Machine, &StopReason),
    ) -> Result<(), HistoryError> {
        self.load(m, idx)?;
        with_quiet_hooks(m, true, |m| {
            self.replay(m, idx, Position::first(end), on_point)
        })
    }

    /// Snapshot indices whose position is before `retired`, newest first, with the end of
    /// each one's segment (the next snapshot, capped at `retired`).
    pub fn segments_before(&self, retired: u64) -> Vec<(usize, u64)> {
        let mut out = Vec::new();
        for (i, s) in self.snaps.iter().enumerate().rev() {
            if s.retired >= retired {
                continue;
            }
            let end = self
                .snaps
                .get(i + 1)
                .map_or(retired, |n| n.retired.min(retired));
            out.push((i, end));
        }
        out
    }

    /// Run from the loaded snapshot `idx` to `target`, giving logged inputs at their
    /// positions. Breakpoint stops are skipped over after `on_point` saw them. Time spent
    /// without retiring instructions is crossed with a cycle budget.
    fn replay(
        &self,
        m: &mut dyn Machine,
        idx: usize,
        target: Position,
        on_point: &mut dyn FnMut(&mut dyn Machine, &StopReason),
    ) -> Result<(), HistoryError> {
        let mut next_input = self
            .snaps
            .get(idx)
            .map_or(self.inputs.len(), |s| s.inputs_before);
        loop {
            let now = Position::of(m);
            while let Some((at, event)) = self.inputs.get(next_input) {
                if *at > now || *at > target {
                    break;
                }
                m.input(event.clone());
                next_input += 1;
            }
            if now >= target {
                return if now.retired == target.retired {
                    Ok(())
                } else {
                    Err(HistoryError::Diverged(format!(
                        "went past {} to {} instructions",
                        target.retired, now.retired
                    )))
                };
            }
            let next = self
                .inputs
                .get(next_input)
                .map_or(target, |(at, _)| (*at).min(target));
            let r = if next.retired > now.retired {
                m.run(Budget::Instructions(next.retired - now.retired))
            } else {
                // Same count, later cycle (`next > now`): idle time up to it.
                m.run(Budget::Cycles(next.cycles - now.cycles))
            };
            match &r.stop {
                StopReason::BudgetSpent | StopReason::FrameDone => {}
                StopReason::Breakpoint { addr } => {
                    on_point(m, &r.stop);
                    m.hooks_mut().skip_breakpoint_once(*addr);
                }
                StopReason::Watchpoint { .. } => on_point(m, &r.stop),
                // A debug trap is not an end: the instruction retired, carry on.
                StopReason::DebugTrap { .. } => {}
                other => {
                    return Err(HistoryError::Diverged(format!(
                        "stopped at {} instructions ({other:?}) before reaching {}",
                        m.instructions_retired(),
                        target.retired
                    )));
                }
            }
            if Position::of(m) == now && !matches!(r.stop, StopReason::Breakpoint { .. }) {
                return Err(HistoryError::Diverged(format!(
                    "no progress at {} instructions",
                    now.retired
                )));
            }
        }
    }
}

/// Run `f` with trace and profile off (and breakpoints/watchpoints off unless
/// `keep_points`), then put the hooks back, keeping the call stack `f` left.
pub fn with_quiet_hooks<R>(
    m: &mut dyn Machine,
    keep_points: bool,
    f: impl FnOnce(&mut dyn Machine) -> R,
) -> R {
    let saved: Hooks = m.hooks().clone();
    {
        let h = m.hooks_mut();
        h.set_trace(None);
        h.set_profiling(false);
        h.set_heat(None);
        if !keep_points {
            for bp in saved.breakpoints() {
                h.remove_breakpoint(bp.addr);
            }
            h.set_watchpoints(Vec::new());
        }
    }
    let out = f(m);
    let stack = m.hooks().call_stack().to_vec();
    let h = m.hooks_mut();
    *h = saved;
    h.clear_call_stack();
    for c in stack {
        h.on_call(c.call_pc, c.target, c.return_addr);
    }
    out
}

fn deflate(bytes: &[u8]) -> Vec<u8> {
    let mut enc = flate2::write::DeflateEncoder::new(Vec::new(), flate2::Compression::fast());
    // Writing into a Vec cannot fail.
    if enc.write_all(bytes).is_err() {
        return Vec::new();
    }
    enc.finish().unwrap_or_default()
}

fn inflate(bytes: &[u8]) -> std::io::Result<Vec<u8>> {
    let mut out = Vec::new();
    flate2::read::DeflateDecoder::new(bytes).read_to_end(&mut out)?;
    Ok(out)
}
