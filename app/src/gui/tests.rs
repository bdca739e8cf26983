//! UI tests with egui_kittest (software wgpu, no display): every registered panel against
//! its snapshot PNG in `app/tests/snapshots/`, and the whole app driven by clicks.
//! Refresh the pictures deliberately with `UPDATE_SNAPSHOTS=1`.

use std::sync::Arc;
use std::time::{Duration, Instant};

use egui_kittest::Harness;
use egui_kittest::kittest::{NodeT, Queryable};
use wb_chip8::{Chip8, Config, Platform};
use wb_machine::{DebugInfo, Machine, Symbol, SymbolTable};

use super::app::{AppDialog, AppOptions, WorkbenchApp};
use super::emu::worker::{breakpoint_view, fill_machine_view, trace_lines, watchpoint_view};
use super::emu::{Command, RunState, Snapshot};
use super::panels::{PanelCx, registry};
use super::settings::Settings;
use crate::debugger::{Action, BreakpointSpec, Debugger, Expr, Stop, WatchSpec};

/// Our own test program: draw a smiley twice through a subroutine, then loop.
const PROGRAM: &[u8] = &[
    0x00, 0xE0, // 200 clear
    0xA2, 0x1A, // 202 i = smiley
    0x60, 0x08, // 204 v0 = 8
    0x61, 0x04, // 206 v1 = 4
    0x22, 0x14, // 208 call draw
    0x70, 0x10, // 20A v0 += 16
    0x22, 0x14, // 20C call draw
    0x63, 0x10, // 20E v3 = 0x10
    0x12, 0x10, // 210 jump 210
    0x00, 0x00, // 212
    0xD0, 0x18, // 214 draw: sprite v0 v1 8
    0x72, 0x01, // 216 v2 += 1
    0x00, 0xEE, // 218 return
    0x3C, 0x42, 0xA5, 0x81, 0xA5, 0x99, 0x42, 0x3C, // 21A smiley
];

fn machine() -> Box<dyn Machine> {
    let mut m =
        Chip8::new(PROGRAM, Config::for_platform(Platform::Chip8)).expect("the test program loads");
    m.set_debug_info(DebugInfo::new(
        SymbolTable::new(vec![
            Symbol {
                name: "main".into(),
                addr: 0x200,
                size: 0,
            },
            Symbol {
                name: "draw".into(),
                addr: 0x214,
                size: 6,
            },
            Symbol {
                name: "smiley".into(),
                addr: 0x21A,
                size: 8,
            },
        ]),
        Vec::new(),
        Vec::new(),
    ));
    Box::new(m)
}

/// The machine stopped inside the second call of `draw`, with points of every kind set.
fn known_state() -> Snapshot {
    let mut m = machine();
    let mut dbg = Debugger::new();
    dbg.attach(m.as_mut());
    let mut bp = BreakpointSpec::new(0x216);
    bp.condition = Some(Expr::parse("v0 == 0x18").expect("condition parses"));
    dbg.set_breakpoint(m.as_mut(), bp);
    let mut log = BreakpointSpec::new(0x20E);
    log.action = Action::Log("v3={v3}".into());
    dbg.set_breakpoint(m.as_mut(), log);
    dbg.add_watchpoint(m.as_mut(), WatchSpec::new(0x300, 4, true, true));
    let stop = dbg.finish(m.as_mut(), 10);
    assert_eq!(
        stop,
        Stop::Machine(wb_machine::StopReason::Breakpoint { addr: 0x216 })
    );
    let rows = dbg.trace_with_changes(m.as_mut(), 16).expect("trace");
    let mut snap = Snapshot {
        state: RunState::Paused,
        program: "smiley.ch8".into(),
        frame_serial: 1,
        frames_run: 1,
        breakpoints: dbg.breakpoints().iter().map(breakpoint_view).collect(),
        watchpoints: dbg.watchpoints().iter().map(watchpoint_view).collect(),
        trace: trace_lines(m.as_ref(), rows),
        debug_info: Arc::new(m.debug_info().clone()),
        console: Arc::new(vec![
            "loaded smiley.ch8 (CHIP-8)".into(),
            "breakpoint at 0x216".into(),
        ]),
        last_stop: "breakpoint at 0x216".into(),
        // A fixed square wave: the core is silent here, and the scope must show something.
        scope: (0..512)
            .flat_map(|i| {
                let v = if (i / 32) % 2 == 0 { 0.5 } else { -0.5 };
                [v, v]
            })
            .collect(),
        ..Snapshot::default()
    };
    fill_machine_view(&mut snap, m.as_ref(), (0, 0x200, None));
    snap
}

struct PanelState {
    panel: Box<dyn super::panels::Panel>,
    snap: Snapshot,
    settings: Settings,
    texture: Option<egui::TextureHandle>,
}

/// The guest screen of `snap` as a texture, uploaded as the window uploads it.
pub(super) fn screen_texture(ctx: &egui::Context, snap: &Snapshot) -> egui::TextureHandle {
    let f = &snap.frame;
    let image = egui::ColorImage::from_rgba_unmultiplied([f.width, f.height], &f.rgba);
    ctx.load_texture("screen", image, egui::TextureOptions::NEAREST)
}

#[test]
fn every_registered_panel_matches_its_snapshot() {
    let snap = known_state();
    let mut failures = Vec::new();
    for panel in registry() {
        let id = panel.id();
        let state = PanelState {
            panel,
            snap: snap.clone(),
            settings: Settings::default(),
            texture: None,
        };
        let mut harness = Harness::builder()
            .with_size(egui::vec2(640.0, 420.0))
            .wgpu()
            .build_ui_state(
                |ui, s: &mut PanelState| {
                    let tex = s.texture.get_or_insert_with(|| screen_texture(ui.ctx(), &s.snap));
                    let mut commands = Vec::new();
                    let mut cx = PanelCx {
                        snap: &s.snap,
                        commands: &mut commands,
                        screen: Some(&*tex),
                        settings: &mut s.settings,
                        gpu_filter: false,
                    };
                    egui::CentralPanel::default().show(ui, |ui| s.panel.ui(ui, &mut cx));
                },
                state,
            );
        harness.run();
        if let Err(e) = harness.try_snapshot(format!("panel_{id}")) {
            failures.push(format!("{id}: {e}"));
        }
    }
    assert!(
        failures.is_empty(),
        "panels differ from their snapshots:\n{}",
        failures.join("\n")
    );
}

#[test]
fn the_registry_lists_unique_panels_and_the_default_layout_shows_them_all() {
    let panels = registry();
    let mut ids: Vec<&str> = panels.iter().map(|p| p.id()).collect();
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), panels.len(), "panel ids are unique");
    let tree = super::layout::default_tree();
    for p in &panels {
        assert!(
            super::layout::is_shown(&tree, p.id()),
            "{} is in the default layout",
            p.id()
        );
    }
    // The benchmark's layout draws every panel at once: each is its tab group's active one.
    let all = super::layout::every_panel_tree();
    let active: Vec<&String> = all
        .active_tiles()
        .into_iter()
        .filter_map(|t| match all.tiles.get(t) {
            Some(egui_tiles::Tile::Pane(p)) => Some(p),
            _ => None,
        })
        .collect();
    for p in &panels {
        assert!(
            active.iter().any(|a| *a == p.id()),
            "{} is visible in the benchmark layout",
            p.id()
        );
    }
}

/// The whole window of `app` at 1280x800, as the user sees it.
fn window(app: WorkbenchApp) -> Harness<'static, WorkbenchApp> {
    Harness::builder()
        .with_size(egui::vec2(1280.0, 800.0))
        .build_ui_state(|ui, app: &mut WorkbenchApp| app.ui(ui), app)
}

/// Step the harness until `done` holds for the app's latest snapshot.
fn wait_for(harness: &mut Harness<'_, WorkbenchApp>, what: &str, done: impl Fn(&Snapshot) -> bool) {
    let deadline = Instant::now() + Duration::from_secs(20);
    while !done(harness.state().snapshot()) {
        assert!(
            Instant::now() < deadline,
            "timed out waiting for {what}: {:?}",
            harness.state().snapshot().last_stop
        );
        std::thread::sleep(Duration::from_millis(10));
        harness.step();
    }
}

/// The UI scenario: load a program, set a breakpoint by clicking in the
/// disassembly, run, and see the machine stop there.
#[test]
fn breakpoint_set_through_the_ui_stops_the_machine() {
    let ctx = egui::Context::default();
    let app = WorkbenchApp::new(&ctx, None, AppOptions::default()).expect("the app starts");
    let mut harness = window(app);
    harness.state().send(Command::Load {
        machine: machine(),
        program: "smiley.ch8".into(),
        battery: None,
    });
    wait_for(&mut harness, "the program to run", |s| {
        s.state == RunState::Running && s.pc == 0x210
    });

    harness.get_by_label("Pause").click();
    wait_for(&mut harness, "the pause", |s| s.state == RunState::Paused);
    harness.get_by_label("Reset").click();
    wait_for(&mut harness, "the reset", |s| {
        s.retired == 0 && s.disasm.iter().any(|l| l.addr == 0x216)
    });

    // The gutter marks of the disassembly, in line order; pick the line of 0x216.
    let line = harness
        .state()
        .snapshot()
        .disasm
        .iter()
        .position(|l| l.addr == 0x216)
        .expect("0x216 is shown");
    harness
        .get_all_by_label("·")
        .nth(line)
        .expect("a gutter per line")
        .click();
    wait_for(&mut harness, "the breakpoint", |s| {
        s.breakpoints.iter().any(|b| b.addr == 0x216 && b.enabled)
    });

    harness.get_by_label("Run").click();
    wait_for(&mut harness, "the stop", |s| {
        s.state == RunState::Paused && s.pc == 0x216
    });
    let snap = harness.state().snapshot();
    assert_eq!(snap.last_stop, "breakpoint at 0x216");
    assert_eq!(snap.breakpoints[0].hits, 1);
    assert_eq!(snap.call_stack.len(), 1, "stopped inside draw");
}

#[test]
fn typing_in_a_text_field_never_reaches_the_guest() {
    let ctx = egui::Context::default();
    let app = WorkbenchApp::new(&ctx, None, AppOptions::default()).expect("the app starts");
    let mut harness = window(app);
    harness.state().send(Command::Load {
        machine: machine(),
        program: "smiley.ch8".into(),
        battery: None,
    });
    wait_for(&mut harness, "the program", |s| s.info.is_some());
    harness.run_steps(2);
    let text_input = egui::accesskit::Role::TextInput;
    harness
        .get_all_by_role(text_input)
        .next()
        .expect("a text field")
        .focus();
    harness.run_steps(2);
    harness
        .get_all_by_role(text_input)
        .next()
        .expect("a text field")
        .type_text("1234qwer");
    harness.key_press(egui::Key::Q);
    harness.run_steps(3);
    assert_eq!(
        harness.state().guest_key_events(),
        0,
        "keys typed in a field reached the guest"
    );
    // Leave the field: the same key now presses a keypad button.
    harness.key_press(egui::Key::Escape);
    harness.run_steps(2);
    harness.key_press(egui::Key::Q);
    harness.run_steps(2);
    assert_eq!(
        harness.state().guest_key_events(),
        2,
        "press and release of Q"
    );
}

/// The newest snapshot once `done` holds for it.
fn wait_snapshot(
    emu: &super::emu::EmuHandle,
    what: &str,
    done: impl Fn(&Snapshot) -> bool,
) -> Snapshot {
    let deadline = Instant::now() + Duration::from_secs(20);
    let mut last = Snapshot::default();
    loop {
        if let Some(s) = emu.snapshots.take() {
            last = s;
        }
        if done(&last) {
            return last;
        }
        assert!(
            Instant::now() < deadline,
            "timed out waiting for {what}: {:?}",
            last.state
        );
        std::thread::sleep(Duration::from_millis(5));
    }
}

#[test]
fn a_panic_inside_a_core_is_shown_and_the_app_survives() {
    use crate::debugger::testmachine::ToyMachine;
    let emu = super::emu::EmuHandle::spawn(|| {}).expect("the emulation thread starts");
    emu.send(Command::Load {
        machine: Box::new(ToyMachine::new(&[0x6001, 0x0BAD])),
        program: "bad".into(),
        battery: None,
    });
    let crashed = wait_snapshot(&emu, "the crash", |s| {
        matches!(s.state, RunState::Crashed(_))
    });
    assert!(
        crashed.last_stop.contains("deliberate core bug at 0x202"),
        "{}",
        crashed.last_stop
    );
    assert!(
        crashed
            .console
            .iter()
            .any(|l| l.contains("the core crashed"))
    );
    // Commands other than reset or load are ignored; the thread still answers.
    emu.send(Command::StepInto);
    emu.send(Command::Reset);
    let again = wait_snapshot(&emu, "the reset", |s| {
        s.console.iter().any(|l| l == "reset")
    });
    assert!(matches!(
        again.state,
        RunState::Running | RunState::Crashed(_)
    ));
    emu.send(Command::Load {
        machine: machine(),
        program: "smiley.ch8".into(),
        battery: None,
    });
    wait_snapshot(&emu, "a good program", |s| {
        s.state == RunState::Running && s.program == "smiley.ch8" && s.frames_run > 3
    });
}

#[test]
fn frames_are_paced_to_real_time_and_fast_forward_is_faster() {
    let emu = super::emu::EmuHandle::spawn(|| {}).expect("the emulation thread starts");
    emu.send(Command::Load {
        machine: machine(),
        program: "smiley.ch8".into(),
        battery: None,
    });
    let start = Instant::now();
    let first = wait_snapshot(&emu, "frames", |s| s.frames_run >= 1);
    let later = wait_snapshot(&emu, "30 frames", |s| s.frames_run >= first.frames_run + 30);
    let real = start.elapsed().as_secs_f64();
    // 30 frames at 60 Hz take half a second; never much less (it is paced).
    assert!(real > 0.4, "30 frames in {real:.3} s: not paced");
    emu.send(Command::SetSpeed(super::emu::Speed {
        factor: 1.0,
        unthrottled: true,
    }));
    let t = Instant::now();
    wait_snapshot(&emu, "fast-forward", |s| {
        s.frames_run >= later.frames_run + 300
    });
    assert!(
        t.elapsed().as_secs_f64() < 300.0 / 60.0,
        "fast-forward runs faster than real time"
    );
}

/// `assets/default-settings.ron` and `assets/default-layout.ron` show users what the app
/// starts with; they must stay equal to the code's defaults (`UPDATE_ASSETS=1` rewrites).
#[test]
fn default_settings_and_layout_assets_match_the_code() {
    let assets = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../assets");
    let settings_path = assets.join("default-settings.ron");
    let layout_path = assets.join("default-layout.ron");
    if std::env::var_os("UPDATE_ASSETS").is_some() {
        super::settings::save(&settings_path, &Settings::default()).expect("write settings");
        super::settings::save(&layout_path, &super::layout::default_tree()).expect("write layout");
    }
    let text = std::fs::read_to_string(&settings_path).expect("assets/default-settings.ron exists");
    let settings: Settings = ron::from_str(&text).expect("it parses");
    assert_eq!(settings, Settings::default());
    let (layout, warning) = super::layout::load(&layout_path);
    assert_eq!(warning, None);
    assert!(
        layout == super::layout::default_tree(),
        "assets/default-layout.ron is the default layout"
    );
}

#[test]
fn a_file_that_cannot_be_loaded_is_a_notice_in_the_window() {
    let dir = std::env::temp_dir().join(format!("wb-gui-notice-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let empty = dir.join("empty.ch8");
    std::fs::write(&empty, b"").expect("write");
    let ctx = egui::Context::default();
    let mut app = WorkbenchApp::new(&ctx, None, AppOptions::default()).expect("the app starts");
    app.open(&empty);
    app.open(&dir.join("missing.ch8"));
    let mut harness = window(app);
    harness.run_steps(2);
    // One line each, naming the file; the app keeps running with nothing loaded.
    let _ = harness.get_by_label_contains("empty.ch8");
    let _ = harness.get_by_label_contains("missing.ch8");
    assert_eq!(harness.state().snapshot().state, RunState::Empty);
    std::fs::remove_dir_all(&dir).expect("clean up");
}

#[test]
fn holding_rewind_goes_back_in_time_then_play_resumes() {
    let emu = super::emu::EmuHandle::spawn(|| {}).expect("the emulation thread starts");
    emu.send(Command::Load {
        machine: machine(),
        program: "smiley.ch8".into(),
        battery: None,
    });
    let ahead = wait_snapshot(&emu, "frames", |s| {
        s.frames_run >= 40 && s.history_states > 20
    });
    emu.send(Command::Rewind(true));
    let back = wait_snapshot(&emu, "rewinding", |s| s.retired + 10 < ahead.retired);
    emu.send(Command::Rewind(false));
    wait_snapshot(&emu, "playing again", |s| {
        s.state == RunState::Running && s.retired > back.retired + 10
    });
}

#[test]
fn a_guest_fault_pauses_with_the_reason_and_edits_reach_the_machine() {
    use crate::debugger::testmachine::ToyMachine;
    let emu = super::emu::EmuHandle::spawn(|| {}).expect("the emulation thread starts");
    // v0 = 1, then an illegal opcode.
    emu.send(Command::Load {
        machine: Box::new(ToyMachine::new(&[0x6001, 0x5123])),
        program: "fault".into(),
        battery: None,
    });
    let stopped = wait_snapshot(&emu, "the fault", |s| s.state == RunState::Paused);
    assert!(
        stopped
            .last_stop
            .starts_with("guest fault: illegal opcode 5123"),
        "{}",
        stopped.last_stop
    );
    assert_eq!(
        stopped.pc, 0x202,
        "the state is the one before the faulting instruction"
    );
    // Registers and memory can be edited while paused, then the program goes on.
    emu.send(Command::SetRegister {
        name: "v0".into(),
        value: 0x42,
    });
    emu.send(Command::Poke {
        space: 0,
        addr: 0x202,
        value: 0x12,
    }); // 5123 -> 1223: jump 0x223
    emu.send(Command::SetRegister {
        name: "nosuch".into(),
        value: 1,
    });
    let edited = wait_snapshot(&emu, "the edits", |s| {
        s.console.iter().any(|l| l.contains("nosuch"))
    });
    let v0 = edited
        .registers
        .iter()
        .find(|r| r.name == "v0")
        .map(|r| r.value);
    assert_eq!(v0, Some(0x42));
    assert_eq!(
        edited
            .disasm
            .iter()
            .find(|l| l.addr == 0x202)
            .map(|l| l.bytes.clone()),
        Some(vec![0x12, 0x23])
    );
    emu.send(Command::StepInto);
    wait_snapshot(&emu, "the jump", |s| s.pc == 0x223);
}

/// A file dropped on the window, as the integration hands it to egui.
#[derive(Debug)]
struct Dropped {
    path: std::path::PathBuf,
    bytes: Vec<u8>,
}

impl egui::DroppedFile for Dropped {
    fn path(&self) -> &std::path::Path {
        &self.path
    }
    fn bytes(&self) -> Result<Vec<u8>, String> {
        Ok(self.bytes.clone())
    }
}

#[test]
fn dropping_a_file_on_the_window_loads_it() {
    let dir = std::env::temp_dir().join(format!("wb-gui-drop-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let on_disk = dir.join("smiley.ch8");
    std::fs::write(&on_disk, PROGRAM).expect("write");
    let ctx = egui::Context::default();
    let app = WorkbenchApp::new(&ctx, None, AppOptions::default()).expect("the app starts");
    let mut harness = window(app);
    harness.input_mut().dropped_files.push(Arc::new(Dropped {
        path: on_disk.clone(),
        bytes: Vec::new(),
    }));
    wait_for(&mut harness, "the dropped file", |s| {
        s.program == "smiley.ch8" && s.pc == 0x210
    });
    // A drop without a readable path (a browser, a sandbox) comes as bytes.
    let virtual_path = dir.join("not-on-disk").join("bytes.ch8");
    harness.input_mut().dropped_files.push(Arc::new(Dropped {
        path: virtual_path,
        bytes: PROGRAM.to_vec(),
    }));
    wait_for(&mut harness, "the dropped bytes", |s| {
        s.program == "bytes.ch8" && s.pc == 0x210
    });
    std::fs::remove_dir_all(&dir).expect("clean up");
}

/// File dialogs answer on a background thread; their answer is acted on in a later frame
/// (there is no desktop here, so the answer is given directly).
#[test]
fn a_file_dialog_answer_opens_the_program_and_a_cancel_changes_nothing() {
    let dir = std::env::temp_dir().join(format!("wb-gui-dialog-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let on_disk = dir.join("picked.ch8");
    std::fs::write(&on_disk, PROGRAM).expect("write");
    let ctx = egui::Context::default();
    let app = WorkbenchApp::new(&ctx, None, AppOptions::default()).expect("the app starts");
    let mut harness = window(app);
    harness.run_steps(2);
    assert!(!harness.state().dialog_open());
    let ctx = harness.ctx.clone();
    harness
        .state_mut()
        .answer_dialog(&ctx, AppDialog::OpenProgram, Some(on_disk.clone()));
    wait_for(&mut harness, "the picked file", |s| {
        s.program == "picked.ch8" && s.pc == 0x210
    });
    let frames = harness.state().snapshot().frames_run;
    harness
        .state_mut()
        .answer_dialog(&ctx, AppDialog::LoadStateFrom, None);
    wait_for(&mut harness, "frames after a cancel", |s| {
        s.program == "picked.ch8" && s.frames_run > frames
    });
    std::fs::remove_dir_all(&dir).expect("clean up");
}

/// No pad here: with gamepads on, gilrs finds none (or cannot start) and the app runs
/// as usual, saying so in the status bar.
#[test]
fn the_app_runs_with_gamepads_on_and_no_device() {
    let ctx = egui::Context::default();
    let options = AppOptions {
        gamepads: true,
        ..AppOptions::default()
    };
    let app = WorkbenchApp::new(&ctx, None, options).expect("the app starts");
    let mut harness = window(app);
    harness.state().send(Command::Load {
        machine: machine(),
        program: "smiley.ch8".into(),
        battery: None,
    });
    wait_for(&mut harness, "the program to run", |s| s.pc == 0x210);
    let said = harness.query_by_label_contains("no gamepad").is_some()
        || harness
            .query_by_label_contains("gamepads unavailable")
            .is_some();
    assert!(said, "the status bar tells about pads");
}

/// File > Open, drag-and-drop and the command line all go through `open`: a source file
/// opens in the editor (brought forward), not in a core that cannot read it.
#[test]
fn opening_a_source_file_shows_it_in_the_editor() {
    let dir = std::env::temp_dir().join(format!("wb-gui-source-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let source = dir.join("hello.kite");
    std::fs::write(&source, "print(\"from a file\");\n").expect("write");
    let ctx = egui::Context::default();
    let mut app = WorkbenchApp::new(&ctx, None, AppOptions::default()).expect("the app starts");
    app.open(&source);
    let mut harness = window(app);
    harness.run_steps(2);
    let _ = harness.get_by_label_contains("opened");
    let code = harness.get_by_role(egui::accesskit::Role::MultilineTextInput);
    assert_eq!(
        code.accesskit_node().value().as_deref(),
        Some("print(\"from a file\");\n"),
        "the editor shows the file"
    );
    assert!(
        harness.query_by_label_contains("unknown format").is_none(),
        "no core was asked to open a source"
    );
    assert_eq!(harness.state().snapshot().state, RunState::Empty);
    std::fs::remove_dir_all(&dir).expect("clean up");
}

/// The layout is saved as RON in the config folder and comes back in the next run;
/// View > Reset layout brings the default back.
#[test]
fn the_layout_survives_a_restart_and_reset_layout_restores_it() {
    let dir = std::env::temp_dir().join(format!("wb-gui-layout-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("temp dir");
    let options = || AppOptions {
        config_dir: Some(dir.clone()),
        ..AppOptions::default()
    };
    let ctx = egui::Context::default();
    let mut h = window(WorkbenchApp::new(&ctx, None, options()).expect("the app starts"));
    h.run_steps(2);
    assert!(h.query_by_label("Trace").is_some(), "a Trace tab at first");
    h.get_by_label("View").click();
    h.run_steps(2);
    h.get_by_role_and_label(egui::accesskit::Role::CheckBox, "Trace")
        .click();
    h.run_steps(2);
    h.key_press(egui::Key::Escape);
    h.run_steps(2);
    assert!(
        h.query_by_label("Trace").is_none(),
        "the Trace tab is closed"
    );
    h.state_mut().save();
    drop(h);
    assert!(dir.join("layout.ron").is_file(), "saved as RON");

    let ctx = egui::Context::default();
    let mut h = window(WorkbenchApp::new(&ctx, None, options()).expect("the app restarts"));
    h.run_steps(2);
    assert!(
        h.query_by_label("Trace").is_none(),
        "the next run has the saved layout"
    );
    h.get_by_label("View").click();
    h.run_steps(2);
    h.get_by_label("Reset layout").click();
    h.run_steps(2);
    assert!(h.query_by_label("Trace").is_some(), "the default is back");
    std::fs::remove_dir_all(&dir).expect("clean up");
}
