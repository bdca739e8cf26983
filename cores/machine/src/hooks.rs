//! Debug hooks every core embeds: breakpoints, watchpoints, the instruction trace ring,
//! per-pc execution counters, per-page heat and call/return tracking.
//!
//! Cores call the `#[inline]` fast checks ([`Hooks::exec_active`], [`Hooks::mem_active`])
//! on every instruction and memory access. They are plain `bool` reads, so a machine with
//! no hooks set pays one well-predicted branch per instruction. Everything slower sits
//! behind them.
//!
//! Conditions, log-only breakpoints and hit counts are the debugger's business: the core
//! stops at an enabled address and the debugger decides whether to resume.

use std::collections::{HashMap, HashSet, VecDeque};

use crate::StopReason;

/// Kind of memory access a watchpoint reports.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Access {
    Read,
    Write,
    Execute,
}

/// A breakpoint at an address of the main address space.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Breakpoint {
    pub addr: u64,
    pub enabled: bool,
}

/// A watchpoint over `len` bytes from `start`, on reads, writes or both.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Watchpoint {
    pub start: u64,
    pub len: u64,
    pub read: bool,
    pub write: bool,
    pub enabled: bool,
}

impl Watchpoint {
    fn matches(&self, addr: u64, access: Access) -> bool {
        self.enabled
            && addr.wrapping_sub(self.start) < self.len
            && match access {
                Access::Read => self.read,
                Access::Write => self.write,
                Access::Execute => false,
            }
    }
}

/// One retired instruction in the trace ring.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TraceEntry {
    pub pc: u64,
    /// Value of [`crate::Machine::instructions_retired`] before this instruction ran.
    pub index: u64,
}

/// The last N retired instructions, oldest first.
#[derive(Clone, Debug)]
pub struct TraceRing {
    capacity: usize,
    entries: VecDeque<TraceEntry>,
}

impl TraceRing {
    pub fn new(capacity: usize) -> Self {
        TraceRing { capacity: capacity.max(1), entries: VecDeque::with_capacity(capacity.max(1)) }
    }
    pub fn push(&mut self, entry: TraceEntry) {
        if self.entries.len() == self.capacity {
            self.entries.pop_front();
        }
        self.entries.push_back(entry);
    }
    pub fn iter(&self) -> impl DoubleEndedIterator<Item = &TraceEntry> + ExactSizeIterator {
        self.entries.iter()
    }
    pub fn len(&self) -> usize {
        self.entries.len()
    }
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }
    pub fn clear(&mut self) {
        self.entries.clear();
    }
}

/// Per-pc execution and cycle counts, for the profiler.
#[derive(Clone, Debug, Default)]
pub struct ExecCounter {
    pub by_pc: HashMap<u64, (u64, u64)>,
}

impl ExecCounter {
    #[inline]
    pub fn record(&mut self, pc: u64, cycles: u64) {
        let e = self.by_pc.entry(pc).or_insert((0, 0));
        e.0 += 1;
        e.1 += cycles;
    }
}

/// Per-page read/write/execute counts, for the visualizer.
#[derive(Clone, Debug)]
pub struct Heat {
    /// Pages are `1 << page_shift` bytes.
    pub page_shift: u32,
    pub pages: HashMap<u64, [u64; 3]>,
}

impl Heat {
    pub fn new(page_shift: u32) -> Self {
        Heat { page_shift, pages: HashMap::new() }
    }
    #[inline]
    pub fn record(&mut self, addr: u64, access: Access) {
        let slot = match access {
            Access::Read => 0,
            Access::Write => 1,
            Access::Execute => 2,
        };
        self.pages.entry(addr >> self.page_shift).or_insert([0; 3])[slot] += 1;
    }
}

/// A call or return the core observed, kept as a shadow call stack.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CallEvent {
    /// Address of the call instruction.
    pub call_pc: u64,
    /// Where the call went.
    pub target: u64,
    /// Where the matching return will land.
    pub return_addr: u64,
}

/// Every debug hook of one machine. Cores own one and expose it through
/// [`crate::Machine::hooks_mut`].
#[derive(Clone, Debug, Default)]
pub struct Hooks {
    exec_active: bool,
    mem_active: bool,
    breakpoints: HashSet<u64>,
    breakpoint_list: Vec<Breakpoint>,
    watchpoints: Vec<Watchpoint>,
    skip_breakpoint_at: Option<u64>,
    pending: Option<StopReason>,
    trace: Option<TraceRing>,
    profile: Option<ExecCounter>,
    heat: Option<Heat>,
    track_calls: bool,
    call_stack: Vec<CallEvent>,
}

impl Hooks {
    pub fn new() -> Self {
        Self::default()
    }

    fn refresh(&mut self) {
        self.breakpoints =
            self.breakpoint_list.iter().filter(|b| b.enabled).map(|b| b.addr).collect();
        self.exec_active = !self.breakpoints.is_empty()
            || self.trace.is_some()
            || self.profile.is_some()
            || self.heat.is_some()
            || self.track_calls;
        self.mem_active = self.watchpoints.iter().any(|w| w.enabled) || self.heat.is_some();
    }

    // ---- configuration (debugger side) ----

    /// Add or replace the breakpoint at `bp.addr`.
    pub fn set_breakpoint(&mut self, bp: Breakpoint) {
        self.breakpoint_list.retain(|b| b.addr != bp.addr);
        self.breakpoint_list.push(bp);
        self.refresh();
    }
    pub fn remove_breakpoint(&mut self, addr: u64) {
        self.breakpoint_list.retain(|b| b.addr != addr);
        self.refresh();
    }
    pub fn breakpoints(&self) -> &[Breakpoint] {
        &self.breakpoint_list
    }
    pub fn has_breakpoint(&self, addr: u64) -> bool {
        self.breakpoints.contains(&addr)
    }
    pub fn set_watchpoints(&mut self, watchpoints: Vec<Watchpoint>) {
        self.watchpoints = watchpoints;
        self.refresh();
    }
    pub fn watchpoints(&self) -> &[Watchpoint] {
        &self.watchpoints
    }
    /// Keep the last `capacity` instructions; `None` turns tracing off.
    pub fn set_trace(&mut self, capacity: Option<usize>) {
        self.trace = capacity.map(TraceRing::new);
        self.refresh();
    }
    pub fn trace(&self) -> Option<&TraceRing> {
        self.trace.as_ref()
    }
    pub fn set_profiling(&mut self, on: bool) {
        self.profile = on.then(ExecCounter::default);
        self.refresh();
    }
    pub fn profile(&self) -> Option<&ExecCounter> {
        self.profile.as_ref()
    }
    pub fn set_heat(&mut self, page_shift: Option<u32>) {
        self.heat = page_shift.map(Heat::new);
        self.refresh();
    }
    pub fn heat(&self) -> Option<&Heat> {
        self.heat.as_ref()
    }
    pub fn set_call_tracking(&mut self, on: bool) {
        self.track_calls = on;
        if !on {
            self.call_stack.clear();
        }
        self.refresh();
    }
    /// The shadow call stack, outermost first (empty unless call tracking is on).
    pub fn call_stack(&self) -> &[CallEvent] {
        &self.call_stack
    }
    /// Forget the shadow call stack (after a reset or a state load).
    pub fn clear_call_stack(&mut self) {
        self.call_stack.clear();
    }

    // ---- the core side: fast checks ----

    /// True when [`Hooks::before_exec`] / [`Hooks::after_exec`] must be called.
    #[inline(always)]
    pub fn exec_active(&self) -> bool {
        self.exec_active
    }

    /// True when [`Hooks::on_access`] must be called for data accesses.
    #[inline(always)]
    pub fn mem_active(&self) -> bool {
        self.mem_active
    }

    /// Ignore a breakpoint at `pc` for the next [`Hooks::before_exec`] (single step, or
    /// resuming from the breakpoint the machine stopped on).
    #[inline]
    pub fn skip_breakpoint_once(&mut self, pc: u64) {
        self.skip_breakpoint_at = Some(pc);
    }

    /// Call before executing the instruction at `pc` when [`Hooks::exec_active`].
    /// Returns a stop when an enabled breakpoint sits at `pc`.
    #[inline]
    pub fn before_exec(&mut self, pc: u64, retired: u64) -> Option<StopReason> {
        let skip = self.skip_breakpoint_at.take();
        if skip != Some(pc) && self.breakpoints.contains(&pc) {
            return Some(StopReason::Breakpoint { addr: pc });
        }
        if let Some(trace) = &mut self.trace {
            trace.push(TraceEntry { pc, index: retired });
        }
        if let Some(heat) = &mut self.heat {
            heat.record(pc, Access::Execute);
        }
        None
    }

    /// Call after the instruction at `pc` retired, when [`Hooks::exec_active`].
    #[inline]
    pub fn after_exec(&mut self, pc: u64, cycles: u64) {
        if let Some(profile) = &mut self.profile {
            profile.record(pc, cycles);
        }
    }

    /// Call on a data access when [`Hooks::mem_active`]. A watchpoint hit is kept as a
    /// pending stop that [`Hooks::take_pending`] returns after the instruction retires.
    #[inline]
    pub fn on_access(&mut self, pc: u64, addr: u64, access: Access, value: u64) {
        if let Some(heat) = &mut self.heat {
            heat.record(addr, access);
        }
        if self.pending.is_none() && self.watchpoints.iter().any(|w| w.matches(addr, access)) {
            self.pending = Some(StopReason::Watchpoint { addr, access, value, pc });
        }
    }

    /// The watchpoint stop recorded during the last instruction, if any.
    #[inline]
    pub fn take_pending(&mut self) -> Option<StopReason> {
        self.pending.take()
    }

    /// Call when a call instruction transfers control (only needed when
    /// [`Hooks::exec_active`]; cheap no-op when call tracking is off).
    #[inline]
    pub fn on_call(&mut self, call_pc: u64, target: u64, return_addr: u64) {
        if self.track_calls {
            // A runaway recursion must not grow the shadow stack without bound.
            if self.call_stack.len() >= 1 << 16 {
                self.call_stack.remove(0);
            }
            self.call_stack.push(CallEvent { call_pc, target, return_addr });
        }
    }

    /// Call when a return instruction lands on `to`. Frames above the matching one are
    /// dropped too (longjmp, stack switching); an unmatched return leaves the stack alone.
    #[inline]
    pub fn on_return(&mut self, to: u64) {
        if self.track_calls
            && let Some(i) = self.call_stack.iter().rposition(|c| c.return_addr == to)
        {
            self.call_stack.truncate(i);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn no_hooks_means_inactive() {
        let hooks = Hooks::new();
        assert!(!hooks.exec_active());
        assert!(!hooks.mem_active());
    }

    #[test]
    fn breakpoint_stops_and_can_be_skipped_once() {
        let mut hooks = Hooks::new();
        hooks.set_breakpoint(Breakpoint { addr: 0x200, enabled: true });
        assert!(hooks.exec_active());
        assert_eq!(hooks.before_exec(0x200, 0), Some(StopReason::Breakpoint { addr: 0x200 }));
        hooks.skip_breakpoint_once(0x200);
        assert_eq!(hooks.before_exec(0x200, 0), None);
        assert_eq!(hooks.before_exec(0x200, 1), Some(StopReason::Breakpoint { addr: 0x200 }));
        hooks.set_breakpoint(Breakpoint { addr: 0x200, enabled: false });
        assert!(!hooks.exec_active());
        assert_eq!(hooks.before_exec(0x200, 2), None);
    }

    #[test]
    fn watchpoint_reports_once_per_instruction() {
        let mut hooks = Hooks::new();
        hooks.set_watchpoints(vec![Watchpoint {
            start: 0x10,
            len: 4,
            read: false,
            write: true,
            enabled: true,
        }]);
        assert!(hooks.mem_active());
        hooks.on_access(0x300, 0x12, Access::Read, 1);
        assert_eq!(hooks.take_pending(), None);
        hooks.on_access(0x300, 0x13, Access::Write, 7);
        hooks.on_access(0x300, 0x11, Access::Write, 8);
        assert_eq!(
            hooks.take_pending(),
            Some(StopReason::Watchpoint { addr: 0x13, access: Access::Write, value: 7, pc: 0x300 })
        );
        assert_eq!(hooks.take_pending(), None);
        hooks.on_access(0x300, 0x14, Access::Write, 7);
        assert_eq!(hooks.take_pending(), None);
    }

    #[test]
    fn trace_ring_keeps_the_last_entries() {
        let mut hooks = Hooks::new();
        hooks.set_trace(Some(3));
        for i in 0..5 {
            hooks.before_exec(0x100 + i, i);
        }
        let pcs: Vec<u64> = hooks.trace().unwrap().iter().map(|e| e.pc).collect();
        assert_eq!(pcs, vec![0x102, 0x103, 0x104]);
    }

    #[test]
    fn shadow_call_stack_matches_returns() {
        let mut hooks = Hooks::new();
        hooks.set_call_tracking(true);
        hooks.on_call(0x10, 0x100, 0x12);
        hooks.on_call(0x104, 0x200, 0x106);
        hooks.on_return(0x999);
        assert_eq!(hooks.call_stack().len(), 2);
        hooks.on_return(0x12);
        assert!(hooks.call_stack().is_empty());
    }

    #[test]
    fn profile_counts_executions_and_cycles() {
        let mut hooks = Hooks::new();
        hooks.set_profiling(true);
        hooks.after_exec(0x10, 4);
        hooks.after_exec(0x10, 8);
        assert_eq!(hooks.profile().unwrap().by_pc[&0x10], (2, 12));
    }
}
