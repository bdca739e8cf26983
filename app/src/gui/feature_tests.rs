//! UI tests of the views panel, battery saves and the editor (egui_kittest, no display).

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use egui::accesskit::Role;
use egui_kittest::Harness;
use egui_kittest::kittest::{NodeT, Queryable};
use wb_machine::Machine;

use super::emu::{Command, EmuHandle, Snapshot, battery};
use super::panels::editor::Editor;
use super::panels::views::Views;
use super::panels::{Panel, PanelCx};
use super::settings::Settings;
use crate::debugger::testmachine::{BATTERY, ToyMachine};

/// One panel with the state it draws from.
struct Solo<P> {
    panel: P,
    snap: Snapshot,
    settings: Settings,
    commands: Vec<Command>,
}

fn solo<P: Panel + 'static>(panel: P, snap: Snapshot) -> Harness<'static, Solo<P>> {
    Harness::builder()
        .with_size(egui::vec2(720.0, 480.0))
        .wgpu()
        .build_ui_state(
            |ui, s: &mut Solo<P>| {
                let mut cx = PanelCx {
                    snap: &s.snap,
                    commands: &mut s.commands,
                    screen: None,
                    settings: &mut s.settings,
                    gpu_filter: false,
                };
                egui::CentralPanel::default().show(ui, |ui| s.panel.ui(ui, &mut cx));
            },
            Solo {
                panel,
                snap,
                settings: Settings::default(),
                commands: Vec::new(),
            },
        )
}

fn temp_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("wb-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("temp dir");
    dir
}

/// Poll the thread's snapshots until `done` holds.
fn wait_snapshot(emu: &EmuHandle, what: &str, done: impl Fn(&Snapshot) -> bool) -> Snapshot {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        if let Some(s) = emu.snapshots.take()
            && done(&s)
        {
            return s;
        }
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(10));
    }
}

// ---- views ----

#[test]
fn views_panel_shows_an_image_a_table_and_text() {
    let mut m = ToyMachine::new(&[0x6042, 0x1202]);
    // Three instructions light three pixels.
    for _ in 0..3 {
        m.step();
    }
    let mut snap = Snapshot::default();
    super::emu::worker::fill_machine_view(&mut snap, &m, (0, 0, None));
    snap.views = Arc::new(m.views());
    let mut harness = solo(Views::default(), snap);
    harness.run();
    for label in [
        "Screen",
        "Registers",
        "name",
        "value",
        "v0",
        "42",
        "pc = 202",
    ] {
        let _ = harness.get_by_label(label);
    }
    assert_eq!(
        harness.query_all_by_role(Role::Image).count(),
        1,
        "the image view is drawn as one image"
    );
    assert_eq!(harness.state().panel.texture_count(), 1);
    harness.snapshot("views_toy");
}

#[test]
fn views_are_computed_only_while_wanted() {
    let emu = EmuHandle::spawn(|| {}).expect("thread");
    emu.send(Command::Load {
        machine: Box::new(ToyMachine::new(&[0x6042, 0x1202])),
        program: "toy".into(),
        battery: None,
    });
    emu.send(Command::Pause);
    let s = wait_snapshot(&emu, "the machine", |s| s.info.is_some());
    assert!(s.views.is_empty(), "no views while the panel is hidden");
    emu.send(Command::WantViews(true));
    let s = wait_snapshot(&emu, "views", |s| !s.views.is_empty());
    assert_eq!(s.views.len(), 3);
    emu.send(Command::WantViews(false));
    emu.send(Command::StepInto);
    wait_snapshot(&emu, "no views", |s| s.views.is_empty() && s.info.is_some());
}

// ---- battery saves ----

/// v0 = 0x42; i = 0xE00; store v0 at i (battery RAM); loop.
const SAVES: &[u16] = &[0x6042, 0xAE00, 0xF055, 0x1206];
/// Loops without touching battery RAM.
const IDLE: &[u16] = &[0x1200];

fn run_with_battery(program: &[u16], rom: &Path) -> (Option<PathBuf>, Option<String>) {
    let mut m = ToyMachine::new(program);
    let (path, notice) = battery::attach(&mut m, rom);
    let emu = EmuHandle::spawn(|| {}).expect("thread");
    emu.send(Command::Load {
        machine: Box::new(m),
        program: "game.toy".into(),
        battery: path.clone(),
    });
    wait_snapshot(&emu, "a few frames", |s| s.frames_run > 3);
    // Dropping the handle quits the thread, which writes a changed save.
    drop(emu);
    (path, notice)
}

#[test]
fn battery_ram_round_trips_through_the_sav_file() {
    let dir = temp_dir("sav-round-trip");
    let rom = dir.join("game.toy");
    let sav = dir.join("game.sav");
    assert_eq!(battery::sav_path(&rom), sav);
    let (path, notice) = run_with_battery(SAVES, &rom);
    assert_eq!((path.as_deref(), notice), (Some(sav.as_path()), None));
    let mut want = vec![0; BATTERY.len()];
    want[0] = 0x42;
    assert_eq!(std::fs::read(&sav).expect("the save was written"), want);
    // A program that never writes its battery RAM leaves the save as it was.
    run_with_battery(IDLE, &rom);
    assert_eq!(std::fs::read(&sav).expect("still there"), want);
    // And the next load gets it back.
    let mut m = ToyMachine::new(IDLE);
    let (path, notice) = battery::attach(&mut m, &rom);
    assert!(path.is_some() && notice.is_none());
    assert_eq!(m.peek(0, BATTERY.start as u64), Some(0x42));
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn battery_writes_happen_while_running_not_only_at_exit() {
    let dir = temp_dir("sav-periodic");
    let rom = dir.join("game.toy");
    let mut m = ToyMachine::new(SAVES);
    let (path, _) = battery::attach(&mut m, &rom);
    let emu = EmuHandle::spawn(|| {}).expect("thread");
    emu.send(Command::Load {
        machine: Box::new(m),
        program: "game.toy".into(),
        battery: path,
    });
    let deadline = Instant::now() + Duration::from_secs(10);
    while !battery::sav_path(&rom).exists() {
        assert!(
            Instant::now() < deadline,
            "no save written within the poll period"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    drop(emu);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_bad_sav_is_refused_with_a_notice_and_never_overwritten() {
    let dir = temp_dir("sav-bad");
    let rom = dir.join("game.toy");
    let sav = battery::sav_path(&rom);
    std::fs::write(&sav, [1, 2, 3]).expect("writes");
    let (path, notice) = run_with_battery(SAVES, &rom);
    assert_eq!(path, None, "nothing is written this session");
    let notice = notice.expect("the user is told");
    assert!(
        notice.contains("refused") && notice.contains("game.sav"),
        "{notice}"
    );
    assert_eq!(std::fs::read(&sav).expect("kept"), [1, 2, 3]);
    let _ = std::fs::remove_dir_all(&dir);
}

// ---- editor ----

fn editor() -> Harness<'static, Solo<Editor>> {
    let mut h = solo(Editor::default(), Snapshot::default());
    h.run();
    h
}

fn code_area<'a>(h: &'a Harness<'static, Solo<Editor>>) -> egui_kittest::Node<'a> {
    h.get_by_role(Role::MultilineTextInput)
}

fn type_code(h: &mut Harness<'static, Solo<Editor>>, text: &str) {
    code_area(h).focus();
    h.run();
    code_area(h).type_text(text);
    h.run();
}

/// Step until the editor's console contains `what`.
fn wait_console(h: &mut Harness<'static, Solo<Editor>>, what: &str) {
    let deadline = Instant::now() + Duration::from_secs(20);
    while !h.state().panel.console.contains(what) {
        assert!(
            Instant::now() < deadline,
            "timed out waiting for {what:?} in {:?}",
            h.state().panel.console
        );
        std::thread::sleep(Duration::from_millis(10));
        h.step();
    }
}

#[test]
fn editor_types_undoes_and_redoes() {
    let mut h = editor();
    type_code(&mut h, "print(1);");
    assert_eq!(h.state().panel.buf.text, "print(1);");
    h.key_press_modifiers(egui::Modifiers::COMMAND, egui::Key::Z);
    h.run();
    assert_eq!(h.state().panel.buf.text, "", "Ctrl+Z undoes the typing");
    h.key_press_modifiers(
        egui::Modifiers::COMMAND | egui::Modifiers::SHIFT,
        egui::Key::Z,
    );
    h.run();
    assert_eq!(
        h.state().panel.buf.text,
        "print(1);",
        "Ctrl+Shift+Z redoes it"
    );
    h.get_by_label("Undo").click();
    h.run();
    assert_eq!(h.state().panel.buf.text, "");
    h.get_by_label("Redo").click();
    h.run();
    assert_eq!(h.state().panel.buf.text, "print(1);");
}

#[test]
fn editor_saves_atomically_and_asks_before_discarding_changes() {
    let dir = temp_dir("editor-save");
    let path = dir.join("prog.kite");
    let mut h = editor();
    type_code(&mut h, "print(2);");
    h.state_mut().panel.path_text = path.display().to_string();
    h.get_by_label("Save to path").click();
    h.run();
    assert_eq!(std::fs::read_to_string(&path).expect("saved"), "print(2);");
    let leftovers: Vec<_> = std::fs::read_dir(&dir)
        .expect("dir")
        .filter_map(|e| e.ok())
        .filter(|e| e.path() != path)
        .collect();
    assert!(
        leftovers.is_empty(),
        "no temporary files left: {leftovers:?}"
    );
    assert!(!h.state().panel.buf.is_modified());

    type_code(&mut h, "\nprint(3);");
    h.get_by_label("Open path").click();
    h.run();
    let _ = h.get_by_label_contains("unsaved changes");
    h.get_by_label("Cancel").click();
    h.run();
    assert!(
        h.state().panel.buf.text.ends_with("print(3);"),
        "the edit is kept"
    );
    h.get_by_label("Open path").click();
    h.run();
    h.get_by_label("Discard changes").click();
    h.run();
    assert_eq!(h.state().panel.buf.text, "print(2);", "reopened from disk");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn editor_runs_a_kite_program_on_both_engines() {
    let mut h = editor();
    type_code(&mut h, "let x = 6;\nprint(x * 7);\n");
    h.get_by_label("Run program").click();
    wait_console(&mut h, "-- finished");
    assert!(
        h.state().panel.console.contains("42\n"),
        "{}",
        h.state().panel.console
    );
    h.state_mut().panel.console.clear();
    h.get_by_label("tree").click();
    h.run();
    h.get_by_label("Run program").click();
    wait_console(&mut h, "-- finished");
    assert!(h.state().panel.console.contains("tree engine"));
    assert!(h.state().panel.console.contains("42\n"));
    h.get_by_label("Bytecode").click();
    h.run();
    assert!(!h.state().panel.marks.iter().any(|_| true), "no errors");
}

/// Step the harness (sleeping a little between frames) until `done` holds, at most
/// `frames` times: a count of frames, not a clock.
fn step_until(
    h: &mut Harness<'static, Solo<Editor>>,
    frames: u32,
    what: &str,
    done: impl Fn(&Editor) -> bool,
) {
    for _ in 0..frames {
        if done(&h.state().panel) {
            return;
        }
        std::thread::sleep(Duration::from_millis(5));
        h.step();
    }
    panic!(
        "{what} did not happen within {frames} frames; console ends {:?}",
        tail(&h.state().panel.console)
    );
}

fn tail(s: &str) -> &str {
    let mut at = s.len().saturating_sub(300);
    while !s.is_char_boundary(at) {
        at += 1;
    }
    &s[at..]
}

fn stop_enabled(h: &Harness<'static, Solo<Editor>>) -> bool {
    !h.get_by_label("Stop program")
        .accesskit_node()
        .is_disabled()
}

/// An endless program that prints forever: the console stays bounded while it runs, the
/// Stop button (live only while it runs) cancels it, and the window keeps drawing.
#[test]
fn editor_stop_button_cancels_an_endless_program_on_both_engines() {
    use super::editor::console::{CONSOLE_CAP, TRIMMED};
    for engine in ["vm", "tree"] {
        let mut h = editor();
        type_code(&mut h, "let n = 0;\nwhile true { n += 1; print(n); }\n");
        h.get_by_label(engine).click();
        h.run();
        assert!(!stop_enabled(&h), "nothing to stop yet");
        h.get_by_label("Run program").click();
        h.step();
        assert!(h.state().panel.running());
        assert!(
            stop_enabled(&h),
            "{engine}: Stop is live while the program runs"
        );
        // Endless output: the console trims its oldest lines instead of growing.
        step_until(&mut h, 4000, "trimming the console", |e| {
            e.console.starts_with(TRIMMED)
        });
        assert!(h.state().panel.console.len() <= CONSOLE_CAP);
        assert!(h.state().panel.running(), "{engine}: still running");

        h.get_by_label("Stop program").click();
        h.step();
        step_until(&mut h, 4000, "the stop", |e| !e.running());
        let console = &h.state().panel.console;
        assert!(
            console.ends_with("-- stopped by user\n"),
            "{engine}: {:?}",
            tail(console)
        );
        assert!(console.len() <= CONSOLE_CAP);
        assert!(h.state().panel.marks.is_empty(), "a stop is not an error");
        h.step();
        assert!(!stop_enabled(&h), "{engine}: Stop is off again");
        assert!(
            !h.get_by_label("Run program").accesskit_node().is_disabled(),
            "{engine}: the program can run again"
        );
    }
}

#[test]
fn editor_marks_compile_and_runtime_errors_in_the_text() {
    let mut h = editor();
    type_code(&mut h, "let = 1;\n");
    let marks = h.state().panel.marks.clone();
    assert_eq!(marks.len(), 1, "{marks:?}");
    assert!(
        marks[0].range.start < 8,
        "the error is on the broken statement"
    );
    // The message is listed under the text too.
    let _ = h.get_by_label_contains(&marks[0].message);

    h.state_mut()
        .panel
        .buf
        .replace("let f = nil;\nf();\n".into());
    h.run();
    assert!(h.state().panel.marks.is_empty(), "it compiles");
    h.get_by_label("Run program").click();
    let deadline = Instant::now() + Duration::from_secs(20);
    while h.state().panel.marks.is_empty() {
        assert!(
            Instant::now() < deadline,
            "no runtime error marked: {}",
            h.state().panel.console
        );
        std::thread::sleep(Duration::from_millis(10));
        h.step();
    }
    let m = &h.state().panel.marks[0];
    assert!(m.message.starts_with("runtime error"), "{m:?}");
    assert!(
        m.range.start >= "let f = nil;\n".len(),
        "marked on line 2: {m:?}"
    );
    h.snapshot("editor_error");
}

#[test]
fn editor_assembles_octo_and_loads_it_with_source_lines() {
    let mut h = editor();
    h.state_mut().panel.lang = super::editor::highlight::Lang::Octo;
    type_code(&mut h, ": main\n  v0 := 1\n  loop again\n");
    h.get_by_label("Assemble & load").click();
    h.run();
    let cmds = std::mem::take(&mut h.state_mut().commands);
    let loaded = cmds.into_iter().find_map(|c| match c {
        Command::Load {
            machine, program, ..
        } => Some((machine, program)),
        _ => None,
    });
    let (m, program) =
        loaded.unwrap_or_else(|| panic!("nothing loaded: {}", h.state().panel.console));
    assert_eq!(program, "untitled.ch8");
    assert_eq!(m.info().name, "chip8");
    assert_eq!(m.peek(0, 0x200), Some(0x60));
    assert!(
        m.debug_info().line_at(0x200).is_some_and(|l| l.line == 2),
        "the line map came along"
    );

    // An assembly error is marked on its line.
    h.state_mut()
        .panel
        .buf
        .replace(": main\n  v0 := bogus\n".into());
    h.run();
    h.get_by_label("Assemble & load").click();
    h.run();
    let marks = &h.state().panel.marks;
    assert_eq!(marks.len(), 1, "{}", h.state().panel.console);
    assert!(marks[0].range.start >= ": main\n".len());
}

#[test]
fn editor_loads_a_kite_program_as_a_steppable_machine() {
    let mut h = editor();
    type_code(&mut h, "print(1);\n");
    h.get_by_label("Debug in VM").click();
    h.run();
    let cmds = std::mem::take(&mut h.state_mut().commands);
    let mut m = cmds
        .into_iter()
        .find_map(|c| match c {
            Command::Load { machine, .. } => Some(machine),
            _ => None,
        })
        .expect("a machine was loaded");
    let before = m.instructions_retired();
    m.step();
    assert_eq!(m.instructions_retired(), before + 1);
    assert!(!m.disassemble(m.pc(), 1).is_empty());
}

// ---- screen filter ----

/// Brightness (max of R, G, B) down the middle column of `image`, over its middle half.
fn middle_column(image: &image::RgbaImage) -> Vec<u8> {
    let x = image.width() / 2;
    let (h, q) = (image.height(), image.height() / 4);
    (q..h - q)
        .map(|y| {
            let p = image.get_pixel(x, y).0;
            p[0].max(p[1]).max(p[2])
        })
        .collect()
}

/// The filter of `shaders/screen.wgsl` compiles and draws on the GPU (wgpu's software
/// adapter here, as in the real window): a white guest picture gets dark rows with
/// scanlines and dark gaps with the LCD grid, and stays white without a filter.
#[test]
fn the_gpu_screen_filter_draws_its_look() {
    use super::filter::ScreenFilter;
    use egui_kittest::wgpu::{WgpuTestRenderer, create_render_state, default_wgpu_setup};
    let snap = Snapshot {
        frame: Arc::new(super::emu::FrameImage {
            width: 8,
            height: 4,
            rgba: vec![255; 8 * 4 * 4],
        }),
        frame_serial: 1,
        ..Snapshot::default()
    };
    let mut columns = Vec::new();
    for filter in [
        ScreenFilter::None,
        ScreenFilter::Scanlines,
        ScreenFilter::LcdGrid,
    ] {
        let render_state = create_render_state(
            default_wgpu_setup(),
            egui_wgpu::RendererOptions::PREDICTABLE,
        );
        super::filter::install(&render_state);
        let screen = super::panels::registry()
            .into_iter()
            .find(|p| p.id() == "screen")
            .expect("the screen panel is registered");
        let settings = Settings {
            filter,
            ..Settings::default()
        };
        let mut texture: Option<egui::TextureHandle> = None;
        let mut h = Harness::builder()
            .with_size(egui::vec2(640.0, 420.0))
            .renderer(WgpuTestRenderer::from_render_state(render_state))
            .build_ui_state(
                move |ui, (panel, snap, settings): &mut (Box<dyn Panel>, Snapshot, Settings)| {
                    let tex = texture
                        .get_or_insert_with(|| super::tests::screen_texture(ui.ctx(), snap));
                    let mut commands = Vec::new();
                    let mut cx = PanelCx {
                        snap,
                        commands: &mut commands,
                        screen: Some(&*tex),
                        settings,
                        gpu_filter: true,
                    };
                    egui::CentralPanel::default().show(ui, |ui| panel.ui(ui, &mut cx));
                },
                (screen, snap.clone(), settings),
            );
        h.run();
        let image = h.render().expect("renders");
        columns.push((filter, middle_column(&image)));
    }
    for (filter, column) in &columns {
        let (min, max) = (
            column.iter().copied().min().unwrap_or(0),
            column.iter().copied().max().unwrap_or(0),
        );
        assert!(max > 245, "{filter:?}: the picture is drawn ({max})");
        if *filter == ScreenFilter::None {
            assert!(min > 245, "{filter:?}: plain white ({min})");
        } else {
            assert!(min < 230, "{filter:?}: darkened rows or gaps ({min})");
            // Bands, not a uniform shade: the column goes dark and bright again.
            let turns = column
                .windows(2)
                .filter(|w| (w[0] > 240) != (w[1] > 240))
                .count();
            assert!(turns >= 2, "{filter:?}: {turns} light/dark changes");
        }
    }
}
