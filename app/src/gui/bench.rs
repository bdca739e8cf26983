//! `WORKBENCH_BENCH_UI_FRAMES=N workbench ROM` (under Xvfb, software rendering): UI frame
//! time with every panel open, and rewind memory per emulated minute, as JSON lines on
//! stdout; then the app exits. A benchmark, never a timed test.

use std::time::Instant;

use super::emu::{RunState, Snapshot};

/// UI frames measured before the figures are printed.
pub struct UiBench {
    frames: usize,
    /// Wall time between consecutive UI frames (build + render + present), ms.
    intervals: Vec<f64>,
    /// Time spent building the UI inside `App::ui`, ms.
    build: Vec<f64>,
    last: Option<Instant>,
    done: bool,
}

impl UiBench {
    pub fn new(frames: usize) -> Self {
        UiBench {
            frames: frames.max(1),
            intervals: Vec::new(),
            build: Vec::new(),
            last: None,
            done: false,
        }
    }

    /// Record one UI frame that started at `started`; true once done (figures printed).
    pub fn frame(&mut self, started: Instant, snap: &Snapshot) -> bool {
        if self.done {
            return true;
        }
        // Measure only while the guest runs, so every panel has live data to draw.
        if snap.state != RunState::Running {
            self.last = None;
            return false;
        }
        let now = Instant::now();
        if let Some(last) = self.last {
            self.intervals.push((now - last).as_secs_f64() * 1e3);
            self.build.push((now - started).as_secs_f64() * 1e3);
        }
        self.last = Some(now);
        if self.intervals.len() < self.frames {
            return false;
        }
        let frame_rate = snap.info.as_ref().map_or(60.0, |i| i.frame_rate);
        let per_minute = if snap.frames_run > 0 {
            snap.history_bytes as f64 / snap.frames_run as f64 * frame_rate * 60.0
        } else {
            0.0
        };
        println!(
            "{{\"bench\":\"ui_frame_time\",\"panels\":\"all\",\"frames\":{},\"median_frame_ms\":{:.3},\"median_ui_build_ms\":{:.3}}}",
            self.intervals.len(),
            median(&mut self.intervals),
            median(&mut self.build)
        );
        println!(
            "{{\"bench\":\"rewind_memory\",\"program\":\"{}\",\"emulated_frames\":{},\"snapshots\":{},\"bytes_per_emulated_minute\":{:.0}}}",
            snap.program.replace('"', "'"),
            snap.frames_run,
            snap.history_states,
            per_minute
        );
        self.done = true;
        true
    }
}

fn median(v: &mut [f64]) -> f64 {
    if v.is_empty() {
        return 0.0;
    }
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}
