//! Breakpoints and watchpoints as the user sets them: the core only knows addresses and
//! ranges; conditions, hit counts, ignore counts and log-only points live here.

use wb_machine::{Access, Machine};

use super::expr::{Expr, interpolate};

/// What a breakpoint or watchpoint does when it is reached and its condition holds.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Action {
    /// Stop the machine.
    Stop,
    /// Append this message to the log (with `{expr}` parts expanded) and keep running.
    Log(String),
}

/// A user breakpoint.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BreakpointSpec {
    pub addr: u64,
    pub enabled: bool,
    pub condition: Option<Expr>,
    pub action: Action,
    /// Times it was reached with its condition true.
    pub hits: u64,
    /// Do not act on the first `ignore` hits.
    pub ignore: u64,
}

impl BreakpointSpec {
    pub fn new(addr: u64) -> Self {
        BreakpointSpec {
            addr,
            enabled: true,
            condition: None,
            action: Action::Stop,
            hits: 0,
            ignore: 0,
        }
    }
}

/// A user watchpoint over `len` bytes from `start` of the main address space.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WatchSpec {
    pub start: u64,
    pub len: u64,
    pub read: bool,
    pub write: bool,
    pub enabled: bool,
    pub condition: Option<Expr>,
    pub action: Action,
    pub hits: u64,
}

impl WatchSpec {
    pub fn new(start: u64, len: u64, read: bool, write: bool) -> Self {
        WatchSpec {
            start,
            len: len.max(1),
            read,
            write,
            enabled: true,
            condition: None,
            action: Action::Stop,
            hits: 0,
        }
    }

    pub fn covers(&self, addr: u64, access: Access) -> bool {
        self.enabled
            && addr.wrapping_sub(self.start) < self.len
            && match access {
                Access::Read => self.read,
                Access::Write => self.write,
                Access::Execute => false,
            }
    }

    pub fn to_hook(&self) -> wb_machine::Watchpoint {
        wb_machine::Watchpoint {
            start: self.start,
            len: self.len,
            read: self.read,
            write: self.write,
            enabled: self.enabled,
        }
    }
}

/// What the debugger decides when the core reports a point.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Verdict {
    Stop,
    /// Keep running (condition false, ignored hit, or a log-only point).
    Continue,
    /// Keep running after logging this line.
    Log(String),
    /// The condition could not be evaluated: stop and say why.
    Error(String),
}

/// Judge a reached point: condition, then hit count, then action. `count` says whether
/// hits are counted (false while re-executing for reverse continue, which must not count
/// the same hit twice).
pub fn judge(
    condition: Option<&Expr>,
    action: &Action,
    hits: &mut u64,
    ignore: u64,
    count: bool,
    m: &dyn Machine,
) -> Verdict {
    if let Some(cond) = condition {
        match cond.eval(m) {
            Ok(0) => return Verdict::Continue,
            Ok(_) => {}
            Err(e) => return Verdict::Error(format!("condition `{}`: {e}", cond.source())),
        }
    }
    let n = *hits + 1;
    if count {
        *hits = n;
    }
    if n <= ignore {
        return Verdict::Continue;
    }
    match action {
        Action::Stop => Verdict::Stop,
        Action::Log(template) => Verdict::Log(interpolate(template, m)),
    }
}
