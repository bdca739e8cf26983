//! Recorded history for reverse execution and rewind: periodic compressed snapshots plus
//! the inputs given between them. Any earlier instruction boundary is reached by loading
//! the nearest snapshot at or before it and re-executing deterministically (the
//! `Machine` contract guarantees save → load → run reproduces the run byte for byte).

use std::collections::VecDeque;
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

/// One snapshot: the machine's state at `retired` instructions.
struct Snapshot {
    retired: u64,
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

/// Snapshots within a memory budget, oldest first, and the input log.
pub struct History {
    snaps: VecDeque<Snapshot>,
    inputs: Vec<(u64, InputEvent)>,
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
            bytes: 0,
            budget: budget_bytes,
            interval: interval.max(1),
        }
    }

    pub fn clear(&mut self) {
        self.snaps.clear();
        self.inputs.clear();
        self.bytes = 0;
    }

    pub fn set_interval(&mut self, interval: u64) {
        self.interval = interval.max(1);
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
        let retired = m.instructions_retired();
        self.truncate_after(retired);
        if self.snaps.back().is_some_and(|s| s.retired == retired)
            && let Some(old) = self.snaps.pop_back()
        {
            self.bytes -= old.data.len();
        }
        let data = deflate(&m.save_state());
        self.bytes += data.len();
        self.snaps.push_back(Snapshot {
            retired,
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
    }

    /// Remember an input given at the machine's current position.
    pub fn log_input(&mut self, retired: u64, event: InputEvent) {
        self.inputs.push((retired, event));
    }

    /// Forget everything recorded after `retired` (the future is about to change).
    pub fn truncate_after(&mut self, retired: u64) {
        while self.snaps.back().is_some_and(|s| s.retired > retired) {
            if let Some(old) = self.snaps.pop_back() {
                self.bytes -= old.data.len();
            }
        }
        self.inputs.retain(|(r, _)| *r <= retired);
        let max_inputs = self.inputs.len();
        for s in self.snaps.iter_mut() {
            s.inputs_before = s.inputs_before.min(max_inputs);
        }
    }

    /// Drop the newest snapshot strictly before `retired` and everything after it, and load
    /// it (rewind: coarse, no re-execution). False when there is nothing older.
    pub fn rewind(&mut self, m: &mut dyn Machine) -> Result<bool, HistoryError> {
        let now = m.instructions_retired();
        let Some(idx) = self.snaps.iter().rposition(|s| s.retired < now) else {
            return Ok(false);
        };
        self.load(m, idx)?;
        let retired = m.instructions_retired();
        self.truncate_after(retired);
        Ok(true)
    }

    /// The snapshot to re-execute from for `target`: the newest one strictly before it, so
    /// the machine arrives right after instruction `target` retires. Several states can
    /// share one instruction count (a core may spend idle cycles after an instruction, as
    /// CHIP-8 does waiting for the display); re-execution always yields the first of them,
    /// the one a single step shows. Only when nothing older exists is a snapshot at
    /// `target` itself used, or one taken right after an edit there.
    fn index_for(&self, target: u64) -> Option<usize> {
        let at = self.snaps.iter().rposition(|s| s.retired == target);
        if let Some(i) = at.filter(|&i| self.snaps[i].exact) {
            return Some(i);
        }
        self.snaps.iter().rposition(|s| s.retired < target).or(at)
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

    /// Put the machine in the state it had after `target` instructions, re-executing
    /// with breakpoints, watchpoints, trace and profile switched off.
    pub fn restore_to(&self, m: &mut dyn Machine, target: u64) -> Result<(), HistoryError> {
        let idx = self.index_for(target).ok_or(HistoryError::NoHistory)?;
        self.load(m, idx)?;
        with_quiet_hooks(m, false, |m| self.replay(m, idx, target, &mut |_, _| {}))
    }

    /// Re-execute the segment that starts at snapshot `idx` up to `end`, with breakpoints
    /// and watchpoints on (trace and profile off), calling `on_point` at each point the
    /// core reports. Leaves the machine at `end`.
    pub fn scan_segment(
        &self,
        m: &mut dyn Machine,
        idx: usize,
        end: u64,
        on_point: &mut dyn FnMut(&mut dyn Machine, &StopReason),
    ) -> Result<(), HistoryError> {
        self.load(m, idx)?;
        with_quiet_hooks(m, true, |m| self.replay(m, idx, end, on_point))
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
    /// positions. Breakpoint stops are skipped over after `on_point` saw them.
    fn replay(
        &self,
        m: &mut dyn Machine,
        idx: usize,
        target: u64,
        on_point: &mut dyn FnMut(&mut dyn Machine, &StopReason),
    ) -> Result<(), HistoryError> {
        let mut next_input = self
            .snaps
            .get(idx)
            .map_or(self.inputs.len(), |s| s.inputs_before);
        loop {
            let now = m.instructions_retired();
            while let Some((at, event)) = self.inputs.get(next_input) {
                if *at > now || *at > target {
                    break;
                }
                m.input(event.clone());
                next_input += 1;
            }
            if now >= target {
                return if now == target {
                    Ok(())
                } else {
                    Err(HistoryError::Diverged(format!(
                        "went past {target} to {now}"
                    )))
                };
            }
            let until = self
                .inputs
                .get(next_input)
                .map_or(target, |(at, _)| (*at).min(target));
            let r = m.run(Budget::Instructions(until - now));
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
                        "stopped at {} instructions ({other:?}) before reaching {target}",
                        m.instructions_retired()
                    )));
                }
            }
            if m.instructions_retired() == now && !matches!(r.stop, StopReason::Breakpoint { .. }) {
                return Err(HistoryError::Diverged(format!(
                    "no progress at {now} instructions"
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
