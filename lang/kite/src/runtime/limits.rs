//! Stopping a run from outside: a step budget and a cancel flag, checked by both engines.
//!
//! A *step* is a call of a Kite function or a loop back-edge (the jump to a loop's next
//! iteration). Every endless program takes steps forever, so checking only there stops
//! any of them, and it costs one decrement at places that already branch. Both engines
//! count the same events, so a budget stops them at the same point of the program.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

/// Limits on one run (see [`crate::run_source_limited`]). The default has none.
#[derive(Clone, Debug, Default)]
pub struct RunLimits {
    /// Stop with [`RunOutcome::StepLimit`] instead of taking step number `max_steps + 1`.
    pub max_steps: Option<u64>,
    /// Stop with [`RunOutcome::Cancelled`] soon after another thread sets this flag
    /// (checked every [`CHECK_EVERY`] steps).
    pub cancel: Option<Arc<AtomicBool>>,
}

impl RunLimits {
    /// True when neither limit is set (the engines then skip all checks).
    pub fn is_unlimited(&self) -> bool {
        self.max_steps.is_none() && self.cancel.is_none()
    }
}

/// How a run that raised no error ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RunOutcome {
    /// The program ran to its end.
    Finished,
    /// The cancel flag was set.
    Cancelled,
    /// The step budget was spent.
    StepLimit,
}

/// Steps between two looks at the cancel flag.
pub const CHECK_EVERY: u64 = 1024;

/// The countdown both engines tick at every step.
#[derive(Clone, Debug)]
pub struct StepGate {
    /// Ticks until the next slow check.
    countdown: u64,
    /// Ticks still allowed after the countdown runs out.
    left: u64,
    cancel: Option<Arc<AtomicBool>>,
}

impl StepGate {
    pub fn new(limits: &RunLimits) -> StepGate {
        // The tick that fails is number `max_steps + 1`.
        let total = limits.max_steps.map_or(u64::MAX, |n| n.saturating_add(1));
        let countdown = total.min(CHECK_EVERY);
        StepGate {
            countdown,
            left: total - countdown,
            cancel: limits.cancel.clone(),
        }
    }

    /// Count one step; `Some` when the run must stop before taking it.
    #[inline(always)]
    pub fn tick(&mut self) -> Option<RunOutcome> {
        self.countdown -= 1;
        if self.countdown == 0 {
            self.refill()
        } else {
            None
        }
    }

    #[cold]
    #[inline(never)]
    fn refill(&mut self) -> Option<RunOutcome> {
        if self
            .cancel
            .as_ref()
            .is_some_and(|c| c.load(Ordering::Relaxed))
        {
            // Stay stopped: a later tick reports the same.
            self.countdown = 1;
            return Some(RunOutcome::Cancelled);
        }
        if self.left == 0 {
            self.countdown = 1;
            return Some(RunOutcome::StepLimit);
        }
        self.countdown = self.left.min(CHECK_EVERY);
        self.left -= self.countdown;
        None
    }
}

impl Default for StepGate {
    fn default() -> StepGate {
        StepGate::new(&RunLimits::default())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ticks_until_stop(gate: &mut StepGate, max: u64) -> Option<(u64, RunOutcome)> {
        (1..=max).find_map(|i| gate.tick().map(|o| (i, o)))
    }

    #[test]
    fn budget_allows_exactly_max_steps() {
        for n in [0, 1, 2, CHECK_EVERY - 1, CHECK_EVERY, CHECK_EVERY + 1, 5000] {
            let mut gate = StepGate::new(&RunLimits {
                max_steps: Some(n),
                cancel: None,
            });
            assert_eq!(
                ticks_until_stop(&mut gate, n + 10),
                Some((n + 1, RunOutcome::StepLimit)),
                "max_steps {n}"
            );
        }
    }

    #[test]
    fn cancel_is_seen_within_check_every_steps() {
        let flag = Arc::new(AtomicBool::new(false));
        let mut gate = StepGate::new(&RunLimits {
            max_steps: None,
            cancel: Some(flag.clone()),
        });
        assert_eq!(ticks_until_stop(&mut gate, 3 * CHECK_EVERY), None);
        flag.store(true, Ordering::Relaxed);
        let (n, outcome) = ticks_until_stop(&mut gate, 3 * CHECK_EVERY).unwrap();
        assert_eq!(outcome, RunOutcome::Cancelled);
        assert!(n <= CHECK_EVERY);
    }

    #[test]
    fn no_limits_never_stop() {
        let mut gate = StepGate::default();
        assert_eq!(ticks_until_stop(&mut gate, 10 * CHECK_EVERY), None);
    }
}
