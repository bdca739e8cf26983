//! `WORKBENCH_BENCH_UI_FRAMES=N workbench ROM` (under Xvfb, software rendering): UI frame
//! time with every panel open (vsync off, so a frame costs what building, tessellating
//! and rasterising it costs), as a JSON line on stdout; then the app exits. Rewind memory
//! is measured headless by `workbench bench rewind ROM`. A benchmark, never a timed test.

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
    renderer: String,
    panels: String,
}

impl UiBench {
    pub fn new(frames: usize, renderer: Option<String>, panels: Option<String>) -> Self {
        UiBench {
            frames: frames.max(1),
            intervals: Vec::new(),
            build: Vec::new(),
            last: None,
            done: false,
            renderer: renderer.unwrap_or_else(|| "unknown".into()),
            panels: panels.unwrap_or_else(|| "all".into()),
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
        let median_frame = median(&mut self.intervals);
        println!(
            "{{\"bench\":\"ui_frame_time\",\"panels\":\"{}\",\"renderer\":\"{}\",\"program\":\"{}\",\"frames\":{},\"median_frame_ms\":{:.3},\"median_ui_build_ms\":{:.3},\"ratio_vs_60hz_budget\":{:.3},\"guest_fps\":{:.1}}}",
            self.panels.replace('"', "'"),
            self.renderer.replace('"', "'"),
            snap.program.replace('"', "'"),
            self.intervals.len(),
            median_frame,
            median(&mut self.build),
            median_frame / (1000.0 / 60.0),
            snap.fps
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
