//! The body of the emulation thread.

use std::collections::VecDeque;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::Arc;
use std::time::{Duration, Instant};

use crossbeam_channel::{Receiver, RecvTimeoutError};
use wb_machine::{Budget, DebugInfo, DisasmLine, Machine, StopReason};

use super::battery::BatterySaver;
use super::snapshot::{
    BreakpointView, FrameImage, Mailbox, MemoryWindow, RunState, Snapshot, TraceLine,
    WatchpointView,
};
use super::{Command, Speed};
use crate::debugger::{Action, BreakpointSpec, Debugger, Expr, Stop, WatchSpec, savestate};
use crate::gui::audio::resample::Resampler;
use crate::gui::audio::ring::Producer;

const CONSOLE_LINES: usize = 400;
/// Bytes of memory published for the memory panel.
const MEMORY_WINDOW: u64 = 4096;
/// Instructions re-executed to show the trace with register changes when paused.
const TRACE_LEN: u64 = 32;
/// The most bytes one memory search reads.
const SEARCH_LIMIT: u64 = 64 << 20;
/// Instructions per tick for machines without a video frame.
const NO_FRAME_BUDGET: u64 = 200_000;

struct Audio {
    producer: Producer,
    device_rate: u32,
    resampler: Option<Resampler>,
}

pub struct Worker {
    rx: Receiver<Command>,
    out: Arc<Mailbox<Snapshot>>,
    repaint: Box<dyn Fn() + Send>,
    machine: Option<Box<dyn Machine>>,
    dbg: Debugger,
    program: String,
    state: RunState,
    speed: Speed,
    rewinding: bool,
    view: (usize, u64, Option<u64>),
    console: VecDeque<String>,
    /// The console as last published; rebuilt only when a line was added.
    console_shared: Option<Arc<Vec<String>>>,
    last_stop: String,
    audio: Option<Audio>,
    samples: Vec<f32>,
    resampled: Vec<f32>,
    scope: Vec<f32>,
    serial_line: Vec<u8>,
    frame_serial: u64,
    frames_run: u64,
    trace: Vec<TraceLine>,
    debug_info: Arc<DebugInfo>,
    meter: (Instant, u32),
    fps: f32,
    /// The last memory search: pattern, space, address found.
    last_search: Option<(Vec<u8>, usize, u64)>,
    search_text: String,
    /// Compute core-specific views into snapshots (the views panel is visible).
    want_views: bool,
    /// Keeps the loaded cartridge's `.sav` up to date.
    battery: Option<BatterySaver>,
}

impl Worker {
    pub fn new(
        rx: Receiver<Command>,
        out: Arc<Mailbox<Snapshot>>,
        repaint: Box<dyn Fn() + Send>,
    ) -> Self {
        Worker {
            rx,
            out,
            repaint,
            machine: None,
            dbg: Debugger::new(),
            program: String::new(),
            state: RunState::Empty,
            speed: Speed::default(),
            rewinding: false,
            view: (0, 0, None),
            console: VecDeque::new(),
            console_shared: None,
            last_stop: String::new(),
            audio: None,
            samples: Vec::new(),
            resampled: Vec::new(),
            scope: Vec::new(),
            serial_line: Vec::new(),
            frame_serial: 0,
            frames_run: 0,
            trace: Vec::new(),
            debug_info: Arc::new(DebugInfo::default()),
            meter: (Instant::now(), 0),
            fps: 0.0,
            last_search: None,
            search_text: String::new(),
            want_views: false,
            battery: None,
        }
    }

    fn frame_period(&self) -> Duration {
        let rate = self.machine.as_ref().map_or(60.0, |m| m.info().frame_rate);
        let rate = if rate > 0.0 { rate } else { 60.0 };
        Duration::from_secs_f64(1.0 / (rate * self.speed.factor.clamp(0.05, 16.0) as f64))
    }

    fn running(&self) -> bool {
        self.machine.is_some() && (self.state == RunState::Running || self.rewinding)
    }

    pub fn run(mut self) {
        let mut deadline = Instant::now();
        self.publish();
        loop {
            let timeout = if !self.running() {
                Duration::from_millis(500)
            } else if self.speed.unthrottled {
                Duration::ZERO
            } else {
                deadline.saturating_duration_since(Instant::now())
            };
            let mut dirty = false;
            match self.rx.recv_timeout(timeout) {
                Ok(cmd) => {
                    let was_running = self.running();
                    if !self.guarded_command(cmd) {
                        self.flush_battery();
                        return;
                    }
                    while let Ok(cmd) = self.rx.try_recv() {
                        if !self.guarded_command(cmd) {
                            self.flush_battery();
                            return;
                        }
                    }
                    if !was_running && self.running() {
                        deadline = Instant::now();
                    }
                    dirty = true;
                }
                Err(RecvTimeoutError::Timeout) => {}
                Err(RecvTimeoutError::Disconnected) => {
                    self.flush_battery();
                    return;
                }
            }
            let now = Instant::now();
            if self.running() && (self.speed.unthrottled || now >= deadline) {
                if self.speed.unthrottled {
                    // Fast-forward: as many frames as fit in one UI frame, then show one.
                    while self.running() && now.elapsed() < Duration::from_millis(15) {
                        self.guarded(|w| w.frame());
                    }
                    deadline = Instant::now();
                } else {
                    self.guarded(|w| w.frame());
                    let period = self.frame_period();
                    deadline += period;
                    // Far behind (a stall, a debugger stop): do not try to catch up.
                    if Instant::now() > deadline + period * 4 {
                        deadline = Instant::now() + period;
                    }
                }
                dirty = true;
            }
            self.poll_battery();
            if dirty {
                self.publish();
            }
        }
    }

    /// Write the battery save when the machine says its RAM changed (at most once a second).
    fn poll_battery(&mut self) {
        let (Some(saver), Some(m)) = (self.battery.as_mut(), self.machine.as_deref_mut()) else {
            return;
        };
        if let Some(line) = saver.poll(m) {
            self.say(line);
        }
    }

    /// Write the battery save now if it changed (reload and exit).
    fn flush_battery(&mut self) {
        let (Some(saver), Some(m)) = (self.battery.as_mut(), self.machine.as_deref_mut()) else {
            return;
        };
        // A crashed core's RAM may be half-written; it is still the best the user has.
        let result = catch_unwind(AssertUnwindSafe(|| saver.flush(m)));
        match result {
            Ok(Some(line)) => self.say(line),
            Ok(None) => {}
            Err(_) => self.say("the core crashed while saving its battery RAM".into()),
        }
    }

    /// Run `f`, turning a panic inside the core into a crashed state the UI shows.
    fn guarded(&mut self, f: impl FnOnce(&mut Self)) {
        if let Err(panic) = catch_unwind(AssertUnwindSafe(|| f(self))) {
            let msg = panic
                .downcast_ref::<&str>()
                .map(|s| s.to_string())
                .or_else(|| panic.downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "unknown panic".into());
            let line = format!("the core crashed: {msg} (reset or load a file to go on)");
            self.say(line.clone());
            self.last_stop = line;
            self.state = RunState::Crashed(msg);
            self.rewinding = false;
        }
    }

    fn guarded_command(&mut self, cmd: Command) -> bool {
        if matches!(cmd, Command::Quit) {
            return false;
        }
        self.guarded(|w| w.command(cmd));
        true
    }

    fn say(&mut self, line: String) {
        if self.console.len() >= CONSOLE_LINES {
            self.console.pop_front();
        }
        self.console.push_back(line);
        self.console_shared = None;
    }

    /// One video frame (or one rewind step).
    fn frame(&mut self) {
        let Some(m) = self.machine.as_deref_mut() else {
            return;
        };
        if self.rewinding {
            match self.dbg.rewind(m) {
                Ok(true) => {}
                Ok(false) => self.rewinding = false,
                Err(e) => {
                    self.rewinding = false;
                    let line = format!("rewind: {e}");
                    self.say(line);
                }
            }
            self.frame_serial += 1;
            return;
        }
        let budget = if m.info().frame_rate > 0.0 {
            Budget::Frame
        } else {
            Budget::Instructions(NO_FRAME_BUDGET)
        };
        let before = m.instructions_retired();
        let stop = self.dbg.run(m, budget);
        if self.frames_run == 0 {
            // One snapshot per frame: rewind then steps back a frame per UI frame.
            let per_frame = m.instructions_retired().saturating_sub(before);
            self.dbg.history_mut().set_interval(per_frame.max(1));
        }
        self.frames_run += 1;
        self.frame_serial += 1;
        self.count_frame();
        self.drain_outputs();
        if !stop.keeps_running() {
            self.stopped(stop);
        }
    }

    fn count_frame(&mut self) {
        self.meter.1 += 1;
        let elapsed = self.meter.0.elapsed();
        if elapsed >= Duration::from_millis(500) {
            self.fps = self.meter.1 as f32 / elapsed.as_secs_f32();
            self.meter = (Instant::now(), 0);
        }
    }

    /// Move audio to the ring, serial text and debugger log lines to the console.
    fn drain_outputs(&mut self) {
        let Some(m) = self.machine.as_deref_mut() else {
            return;
        };
        self.samples.clear();
        m.drain_audio(&mut self.samples);
        let keep = self.samples.len().min(2048);
        self.scope.clear();
        self.scope
            .extend_from_slice(&self.samples[self.samples.len() - keep..]);
        let real_time = !self.speed.unthrottled && (self.speed.factor - 1.0).abs() < 0.01;
        if let Some(audio) = &mut self.audio {
            let rate = m.info().audio_rate;
            if rate > 0 && real_time {
                let r = audio
                    .resampler
                    .get_or_insert_with(|| Resampler::new(rate, audio.device_rate));
                r.control(audio.producer.len() as f64 / audio.producer.capacity().max(1) as f64);
                self.resampled.clear();
                r.process(&self.samples, &mut self.resampled);
                audio.producer.push(&self.resampled);
            }
        }
        let mut bytes = Vec::new();
        m.drain_serial(&mut bytes);
        for b in bytes {
            if b == b'\n' {
                let line = String::from_utf8_lossy(&self.serial_line).into_owned();
                self.serial_line.clear();
                self.say(line);
            } else if b != b'\r' {
                self.serial_line.push(b);
            }
        }
        for line in self.dbg.drain_log() {
            self.say(line);
        }
    }

    /// The machine stopped for the user.
    fn stopped(&mut self, stop: Stop) {
        self.state = RunState::Paused;
        self.last_stop = describe(&stop);
        let line = self.last_stop.clone();
        self.say(line);
        for line in self.dbg.drain_log() {
            self.say(line);
        }
        self.refresh_trace();
    }

    fn pause(&mut self) {
        if let Some(m) = self.machine.as_deref_mut() {
            self.dbg.cancel_motion(m);
            self.dbg.park(m);
        }
        if self.state == RunState::Running {
            self.state = RunState::Paused;
            self.last_stop = "paused".into();
            self.refresh_trace();
        }
    }

    fn refresh_trace(&mut self) {
        let Some(m) = self.machine.as_deref_mut() else {
            return;
        };
        self.trace = match self.dbg.trace_with_changes(m, TRACE_LEN) {
            Ok(rows) => trace_lines(m, rows),
            Err(e) => {
                let line = format!("trace: {e}");
                self.say(line);
                Vec::new()
            }
        };
    }

    fn command(&mut self, cmd: Command) {
        if let Command::Load {
            mut machine,
            program,
            battery,
        } = cmd
        {
            self.flush_battery();
            self.battery = battery.map(BatterySaver::new);
            self.dbg = Debugger::new();
            self.dbg.attach(machine.as_mut());
            self.debug_info = Arc::new(machine.debug_info().clone());
            let info = machine.info();
            self.say(format!("loaded {program} ({})", info.long_name));
            if let Some(audio) = &mut self.audio {
                audio.resampler = None;
            }
            self.machine = Some(machine);
            self.program = program;
            self.state = RunState::Running;
            self.last_stop.clear();
            self.frames_run = 0;
            self.trace.clear();
            return;
        }
        if let Command::Audio(audio) = cmd {
            self.audio = audio.map(|(producer, device_rate)| Audio {
                producer,
                device_rate,
                resampler: None,
            });
            return;
        }
        if let Command::WantViews(on) = cmd {
            self.want_views = on;
            return;
        }
        if let Command::SetSpeed(speed) = cmd {
            self.speed = speed;
            return;
        }
        if let Command::View {
            space,
            memory_start,
            disasm_anchor,
        } = cmd
        {
            self.view = (space, memory_start, disasm_anchor);
            return;
        }
        if let Command::Search { space, pattern } = cmd {
            self.search(space, pattern);
            return;
        }
        let Some(m) = self.machine.as_deref_mut() else {
            return;
        };
        let crashed = matches!(self.state, RunState::Crashed(_));
        if crashed && !matches!(cmd, Command::Reset) {
            return;
        }
        let was_running = self.state == RunState::Running;
        match cmd {
            Command::Run => {
                self.state = RunState::Running;
                self.last_stop.clear();
            }
            Command::Pause => self.pause(),
            Command::StepInto => {
                self.pause();
                let Some(m) = self.machine.as_deref_mut() else {
                    return;
                };
                let stop = self.dbg.step_into(m);
                self.drain_outputs();
                self.stopped(stop);
            }
            Command::StepOver => {
                self.pause();
                let Some(m) = self.machine.as_deref_mut() else {
                    return;
                };
                match self.dbg.begin_step_over(m) {
                    Some(stop) => {
                        self.drain_outputs();
                        self.stopped(stop);
                    }
                    None => self.state = RunState::Running,
                }
            }
            Command::StepOut => {
                self.pause();
                let Some(m) = self.machine.as_deref_mut() else {
                    return;
                };
                match self.dbg.begin_step_out(m) {
                    Ok(()) => self.state = RunState::Running,
                    Err(e) => self.say(e.to_string()),
                }
            }
            Command::RunTo(addr) => {
                self.pause();
                let Some(m) = self.machine.as_deref_mut() else {
                    return;
                };
                self.dbg.begin_run_to(m, addr);
                self.state = RunState::Running;
            }
            Command::FrameAdvance => {
                self.pause();
                self.state = RunState::Paused;
                let Some(m) = self.machine.as_deref_mut() else {
                    return;
                };
                let budget = if m.info().frame_rate > 0.0 {
                    Budget::Frame
                } else {
                    Budget::Instructions(NO_FRAME_BUDGET)
                };
                let stop = self.dbg.run(m, budget);
                self.frames_run += 1;
                self.frame_serial += 1;
                self.drain_outputs();
                if stop.keeps_running() {
                    if let Some(m) = self.machine.as_deref() {
                        self.dbg.park(m);
                    }
                    self.last_stop = "frame advanced".into();
                    self.refresh_trace();
                } else {
                    self.stopped(stop);
                }
            }
            Command::ReverseStep | Command::ReverseContinue => {
                self.pause();
                self.state = RunState::Paused;
                let Some(m) = self.machine.as_deref_mut() else {
                    return;
                };
                let result = if matches!(cmd, Command::ReverseStep) {
                    self.dbg.reverse_step(m)
                } else {
                    self.dbg.reverse_continue(m)
                };
                self.frame_serial += 1;
                match result {
                    Ok(stop) => self.stopped(stop),
                    Err(e) => self.say(format!("reverse: {e}")),
                }
            }
            Command::Rewind(on) => self.rewinding = on,
            Command::Reset => {
                self.dbg.reset(m);
                self.state = if crashed || was_running {
                    RunState::Running
                } else {
                    RunState::Paused
                };
                self.frame_serial += 1;
                self.say("reset".into());
                if self.state == RunState::Paused {
                    self.refresh_trace();
                }
            }
            Command::Input(event) => self.dbg.input(m, event),
            Command::ToggleBreakpoint(addr) => self.dbg.toggle_breakpoint(m, addr),
            Command::RemoveBreakpoint(addr) => self.dbg.remove_breakpoint(m, addr),
            Command::EditBreakpoint(view) => match parse_condition(&view.condition) {
                Ok(condition) => {
                    let hits = self
                        .dbg
                        .breakpoints()
                        .iter()
                        .find(|b| b.addr == view.addr)
                        .map_or(0, |b| b.hits);
                    let spec = BreakpointSpec {
                        addr: view.addr,
                        enabled: view.enabled,
                        condition,
                        action: view.log.map_or(Action::Stop, Action::Log),
                        hits,
                        ignore: view.ignore,
                    };
                    self.dbg.set_breakpoint(m, spec);
                }
                Err(e) => self.say(format!("breakpoint {:#x}: condition {e}", view.addr)),
            },
            Command::AddWatchpoint {
                start,
                len,
                read,
                write,
            } => self
                .dbg
                .add_watchpoint(m, WatchSpec::new(start, len, read, write)),
            Command::RemoveWatchpoint(i) => self.dbg.remove_watchpoint(m, i),
            Command::EditWatchpoint(i, view) => match parse_condition(&view.condition) {
                Ok(condition) => self.dbg.edit_watchpoint(m, i, |w| {
                    w.start = view.start;
                    w.len = view.len.max(1);
                    w.read = view.read;
                    w.write = view.write;
                    w.enabled = view.enabled;
                    w.condition = condition;
                }),
                Err(e) => self.say(format!("watchpoint: condition {e}")),
            },
            Command::SerialIn(bytes) => self.dbg.serial_in(m, &bytes),
            Command::Poke { space, addr, value } => {
                if let Err(e) = self.dbg.poke(m, space, addr, value) {
                    self.say(format!("poke: {e}"));
                }
            }
            Command::SetRegister { name, value } => {
                if let Err(e) = self.dbg.set_register(m, &name, value) {
                    self.say(format!("register {name}: {e}"));
                }
            }
            Command::SaveState(path) => {
                let line = match savestate::save(m, &path) {
                    Ok(()) => format!("saved state to {}", path.display()),
                    Err(e) => format!("save state failed: {e}"),
                };
                self.say(line);
            }
            Command::LoadState(path) => {
                let result = savestate::read(m, &path)
                    .map_err(|e| e.to_string())
                    .and_then(|bytes| {
                        self.dbg
                            .load_state(m, &bytes)
                            .map_err(|e| format!("{}: {e}", path.display()))
                    });
                let line = match result {
                    Ok(()) => {
                        self.frame_serial += 1;
                        format!("loaded state from {}", path.display())
                    }
                    Err(e) => format!("state refused: {e}"),
                };
                self.say(line);
            }
            Command::Load { .. }
            | Command::Audio(_)
            | Command::SetSpeed(_)
            | Command::WantViews(_)
            | Command::View { .. }
            | Command::Search { .. }
            | Command::Quit => {}
        }
    }

    /// Search a whole address space (up to [`SEARCH_LIMIT`] bytes) for `pattern`, starting
    /// after the previous match when the pattern is the same, wrapping around.
    fn search(&mut self, space: usize, pattern: Vec<u8>) {
        let Some(m) = self.machine.as_deref() else {
            return;
        };
        let size = m
            .info()
            .address_spaces
            .get(space)
            .map_or(0, |s| s.size)
            .min(SEARCH_LIMIT);
        let from = match &self.last_search {
            Some((p, s, at)) if *p == pattern && *s == space => at + 1,
            _ => 0,
        };
        let found = find_in(m, space, size, &pattern, from);
        self.search_text = match found {
            Some(at) => {
                self.view = (space, at, self.view.2);
                self.last_search = Some((pattern, space, at));
                format!("found at {at:#x}")
            }
            None => {
                self.last_search = None;
                format!("not found in the first {size:#x} bytes")
            }
        };
    }

    fn publish(&mut self) {
        let mut snap = Snapshot {
            state: self.state.clone(),
            program: self.program.clone(),
            frame_serial: self.frame_serial,
            frames_run: self.frames_run,
            breakpoints: self.dbg.breakpoints().iter().map(breakpoint_view).collect(),
            watchpoints: self.dbg.watchpoints().iter().map(watchpoint_view).collect(),
            trace: if self.state == RunState::Running {
                Vec::new()
            } else {
                self.trace.clone()
            },
            debug_info: self.debug_info.clone(),
            console: self
                .console_shared
                .get_or_insert_with(|| Arc::new(self.console.iter().cloned().collect()))
                .clone(),
            last_stop: self.last_stop.clone(),
            fps: self.fps,
            history_bytes: self.dbg.history().bytes(),
            history_states: self.dbg.history().len(),
            search: self.search_text.clone(),
            scope: self.scope.clone(),
            ..Snapshot::default()
        };
        if let Some(m) = self.machine.as_deref() {
            fill_machine_view(&mut snap, m, self.view);
            if self.want_views {
                // A core bug in its views must not take the thread down.
                snap.views =
                    Arc::new(catch_unwind(AssertUnwindSafe(|| m.views())).unwrap_or_default());
            }
            snap.speed_pct = match &snap.info {
                Some(info) if info.frame_rate > 0.0 && self.state == RunState::Running => {
                    (self.fps as f64 / info.frame_rate * 100.0) as f32
                }
                _ => 0.0,
            };
        }
        self.out.put(snap);
        (self.repaint)();
    }
}

fn parse_condition(text: &str) -> Result<Option<Expr>, String> {
    if text.trim().is_empty() {
        return Ok(None);
    }
    Expr::parse(text)
        .map(Some)
        .map_err(|e| format!("`{text}`: {e}"))
}

/// Copy what the panels show out of the machine (no side effects).
pub fn fill_machine_view(snap: &mut Snapshot, m: &dyn Machine, view: (usize, u64, Option<u64>)) {
    let f = m.frame();
    snap.frame = Arc::new(FrameImage {
        width: f.width,
        height: f.height,
        rgba: f.rgba.to_vec(),
    });
    snap.registers = m.registers();
    snap.pc = m.pc();
    snap.retired = m.instructions_retired();
    snap.disasm = disasm_around(m, view.2.unwrap_or(snap.pc));
    snap.memory = memory_window(m, view.0, view.1);
    snap.call_stack = m.hooks().call_stack().to_vec();
    snap.info = Some(m.info());
}

/// Trace rows from the debugger as the trace panel shows them.
pub fn trace_lines(m: &dyn Machine, rows: Vec<crate::debugger::TraceRow>) -> Vec<TraceLine> {
    rows.into_iter()
        .map(|r| TraceLine {
            index: r.index,
            pc: r.pc,
            text: m
                .disassemble(r.pc, 1)
                .first()
                .map(|l| l.text.clone())
                .unwrap_or_default(),
            changes: r
                .changes
                .iter()
                .map(|(n, a, b)| format!("{n}: {a:#x}→{b:#x}"))
                .collect::<Vec<_>>()
                .join("  "),
        })
        .collect()
}

pub fn breakpoint_view(b: &BreakpointSpec) -> BreakpointView {
    BreakpointView {
        addr: b.addr,
        enabled: b.enabled,
        condition: b
            .condition
            .as_ref()
            .map(|c| c.source().to_string())
            .unwrap_or_default(),
        log: match &b.action {
            Action::Stop => None,
            Action::Log(m) => Some(m.clone()),
        },
        hits: b.hits,
        ignore: b.ignore,
    }
}

pub fn watchpoint_view(w: &WatchSpec) -> WatchpointView {
    WatchpointView {
        start: w.start,
        len: w.len,
        read: w.read,
        write: w.write,
        enabled: w.enabled,
        condition: w
            .condition
            .as_ref()
            .map(|c| c.source().to_string())
            .unwrap_or_default(),
        hits: w.hits,
    }
}

/// Why the machine stopped, for the status bar and the console.
pub fn describe(stop: &Stop) -> String {
    match stop {
        Stop::Budget => "running".into(),
        Stop::Stepped => "stepped".into(),
        Stop::Arrived { pc } => format!("arrived at {pc:#x}"),
        Stop::Machine(StopReason::Breakpoint { addr }) => format!("breakpoint at {addr:#x}"),
        Stop::Machine(StopReason::Watchpoint {
            addr,
            access,
            value,
            pc,
        }) => {
            format!(
                "watchpoint: {access:?} of {value:#x} at {addr:#x} by the instruction at {pc:#x}"
            )
        }
        Stop::Machine(StopReason::DebugTrap { pc }) => format!("debug trap at {pc:#x}"),
        Stop::Machine(StopReason::Halted) => "the guest halted".into(),
        Stop::Machine(StopReason::Exited { code }) => format!("the guest exited with code {code}"),
        Stop::Machine(StopReason::Fault(f)) => format!("guest fault: {f}"),
        Stop::Machine(other) => format!("{other:?}"),
        Stop::ConditionError(e) => format!("stopped: {e}"),
        Stop::HistoryStart => "reached the start of the recorded history".into(),
    }
}

/// Disassembly from a little before `anchor`, found by trying starts until one decodes
/// onto the anchor (variable-length ISAs cannot be decoded backwards).
fn disasm_around(m: &dyn Machine, anchor: u64) -> Vec<DisasmLine> {
    const LINES: usize = 64;
    for back in (2..=16u64).rev().step_by(2) {
        let Some(start) = anchor.checked_sub(back) else {
            continue;
        };
        let lines = m.disassemble(start, LINES);
        if lines.iter().any(|l| l.addr == anchor) {
            return lines;
        }
    }
    m.disassemble(anchor, LINES)
}

/// The first address at or after `from` (wrapping) where `pattern` starts.
fn find_in(m: &dyn Machine, space: usize, size: u64, pattern: &[u8], from: u64) -> Option<u64> {
    let first = *pattern.first()?;
    let len = pattern.len() as u64;
    if len > size {
        return None;
    }
    let starts = size - len + 1;
    (0..starts).map(|k| (from + k) % starts).find(|&a| {
        m.peek(space, a) == Some(first)
            && (1..len).all(|i| m.peek(space, a + i) == Some(pattern[i as usize]))
    })
}

fn memory_window(m: &dyn Machine, space: usize, start: u64) -> MemoryWindow {
    let size = m.info().address_spaces.get(space).map_or(0, |s| s.size);
    let start = (start & !0xF).min(size.saturating_sub(1) & !0xF);
    let end = (start + MEMORY_WINDOW).min(size);
    MemoryWindow {
        space,
        start,
        bytes: (start..end).map(|a| m.peek(space, a)).collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::debugger::testmachine::ToyMachine;

    #[test]
    fn search_finds_patterns_anywhere_and_wraps_to_the_next_match() {
        // 6003 appears at 0x202 and at 0x206; 0xA3 0x00 at 0x200.
        let m = ToyMachine::new(&[0xA300, 0x6003, 0x6102, 0x6003]);
        assert_eq!(find_in(&m, 0, 4096, &[0xA3, 0x00], 0), Some(0x200));
        assert_eq!(find_in(&m, 0, 4096, &[0x60, 0x03], 0), Some(0x202));
        assert_eq!(find_in(&m, 0, 4096, &[0x60, 0x03], 0x203), Some(0x206));
        assert_eq!(
            find_in(&m, 0, 4096, &[0x60, 0x03], 0x207),
            Some(0x202),
            "wraps around"
        );
        assert_eq!(find_in(&m, 0, 4096, &[0x12, 0x34, 0x56], 0), None);
        assert_eq!(find_in(&m, 0, 4096, &[], 0), None);
    }
}
