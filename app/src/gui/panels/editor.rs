//! The source editor: open and save files (atomically; unsaved changes are never dropped
//! without asking), highlighting for Kite, Octo, SM83 and RISC-V, undo/redo, find, errors
//! underlined with their message on hover. Kite programs run on a background thread with
//! the tree or VM engine (output in the editor's bounded console; Stop cancels an endless
//! program), show their bytecode, or load
//! into the debugger as a steppable VM; assembly sources assemble and load into the
//! matching core with their line map.

use std::path::PathBuf;

use egui::text::{CCursor, CCursorRange};
use wb_kite::{Engine, RunOutcome};

use super::{Panel, PanelCx};
use crate::gui::dialog::{self, Mode, Pending};
use crate::gui::editor::buffer::{Buffer, find_all};
use crate::gui::editor::console::push_bounded;
use crate::gui::editor::highlight::{Lang, Marks, layout_job};
use crate::gui::editor::runner::{self, AssembleError, KiteRun, Marked};
use crate::gui::emu::Command;

/// What the editor's open file dialog is for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum EditorDialog {
    Open,
    SaveAs,
}

const SOURCES: &[(&str, &[&str])] = &[
    ("sources", &["kite", "8o", "asm", "s", "S", "sm83", "gbasm"]),
    ("all files", &["*"]),
];

/// What waits for the user to confirm discarding unsaved changes.
#[derive(Clone, Debug, PartialEq)]
enum Discard {
    New,
    Open(PathBuf),
}

pub struct Editor {
    pub(crate) buf: Buffer,
    pub(crate) lang: Lang,
    /// The path typed in the toolbar (open / save to).
    pub(crate) path_text: String,
    pub(crate) engine: Engine,
    pub(crate) find: String,
    /// Which match of `find` is selected.
    find_index: usize,
    /// Program output and messages, at most [`crate::gui::editor::console::CONSOLE_CAP`]
    /// bytes (the newest kept).
    pub(crate) console: String,
    run: Option<KiteRun>,
    /// Errors in the text (compile errors as typed, the last run's or assembly's errors).
    pub(crate) marks: Vec<Marked>,
    /// The text the marks were computed for; edits clear stale marks.
    marked_text: Option<String>,
    show_bytecode: bool,
    bytecode: String,
    confirm: Option<Discard>,
    /// Select this byte range in the text on the next frame (find).
    select: Option<std::ops::Range<usize>>,
    /// The open file dialog (answered on a background thread).
    dialog: Option<Pending<EditorDialog>>,
}

impl Default for Editor {
    fn default() -> Self {
        Editor {
            buf: Buffer::new(""),
            lang: Lang::Kite,
            path_text: String::new(),
            engine: Engine::Vm,
            find: String::new(),
            find_index: 0,
            console: String::new(),
            run: None,
            marks: Vec::new(),
            marked_text: None,
            show_bytecode: false,
            bytecode: String::new(),
            confirm: None,
            select: None,
            dialog: None,
        }
    }
}

const CODE_ID: &str = "editor-code";

impl Editor {
    fn say(&mut self, line: impl AsRef<str>) {
        let line = line.as_ref();
        if line.ends_with('\n') {
            push_bounded(&mut self.console, line);
        } else {
            push_bounded(&mut self.console, &format!("{line}\n"));
        }
    }

    /// Open `path` now, or ask first when the buffer has unsaved changes.
    pub(crate) fn request_open(&mut self, path: PathBuf) {
        if self.buf.is_modified() {
            self.confirm = Some(Discard::Open(path));
        } else {
            self.open_now(&path);
        }
    }

    fn open_now(&mut self, path: &std::path::Path) {
        match Buffer::open(path) {
            Ok(buf) => {
                self.buf = buf;
                self.lang = Lang::from_path(path);
                self.path_text = path.display().to_string();
                self.marks.clear();
                self.marked_text = None;
                self.say(format!("opened {}", path.display()));
            }
            Err(e) => self.say(e),
        }
    }

    /// Save to the buffer's file, else to the typed path.
    pub(crate) fn save(&mut self) {
        let path = self.buf.path.clone().or_else(|| {
            (!self.path_text.trim().is_empty()).then(|| PathBuf::from(self.path_text.trim()))
        });
        match path {
            Some(p) => self.save_to(p),
            None => self.say("type a path (or use Save as...) to save"),
        }
    }

    fn save_to(&mut self, path: PathBuf) {
        match self.buf.save_as(&path) {
            Ok(()) => {
                if self.lang == Lang::Plain {
                    self.lang = Lang::from_path(&path);
                }
                self.path_text = path.display().to_string();
                self.say(format!("saved {}", path.display()));
            }
            Err(e) => self.say(e),
        }
    }

    pub(crate) fn run_kite(&mut self) {
        if self.run.is_some() {
            self.say("a program is already running");
            return;
        }
        let name = self.buf.name();
        match KiteRun::start(&name, &self.buf.text, self.engine) {
            Ok(run) => {
                self.say(format!(
                    "running {name} ({} engine)",
                    if self.engine == Engine::Vm {
                        "vm"
                    } else {
                        "tree"
                    }
                ));
                self.run = Some(run);
            }
            Err(e) => self.say(format!("cannot start the program: {e}")),
        }
    }

    /// A program is running (the Stop button is live).
    pub(crate) fn running(&self) -> bool {
        self.run.is_some()
    }

    /// Ask the running program to stop; [`Editor::poll_run`] reports when it has.
    pub(crate) fn stop_run(&mut self) {
        if let Some(run) = &self.run
            && !run.stopping()
        {
            run.stop();
            self.say("-- stopping...");
        }
    }

    /// Collect output of the running program; mark its error when it ends. Never waits
    /// for the program.
    fn poll_run(&mut self, ctx: &egui::Context) {
        let Some(run) = &mut self.run else { return };
        // Whether it ended first: once it has, all its output is in the buffer.
        let done = run.finished();
        let out = run.take_output();
        push_bounded(&mut self.console, &out);
        match done {
            None => ctx.request_repaint_after(std::time::Duration::from_millis(50)),
            Some(result) => {
                self.run = None;
                if !self.console.is_empty() && !self.console.ends_with('\n') {
                    self.console.push('\n');
                }
                match result {
                    Ok(RunOutcome::Finished) => self.say("-- finished"),
                    Ok(RunOutcome::Cancelled) => self.say("-- stopped by user"),
                    Ok(RunOutcome::StepLimit) => self.say("-- stopped: step limit reached"),
                    Err(e) => {
                        let name = self.buf.name();
                        self.say(e.render(&name, &self.buf.text, false));
                        self.marks = runner::kite_marks(&self.buf.text, &e);
                        self.marked_text = Some(self.buf.text.clone());
                    }
                }
            }
        }
    }

    /// Re-check a Kite program's compile errors after an edit.
    fn recheck(&mut self) {
        if self.marked_text.as_deref() == Some(self.buf.text.as_str()) {
            return;
        }
        self.marks = if self.lang == Lang::Kite {
            runner::check_kite(&self.buf.text)
        } else {
            Vec::new()
        };
        self.marked_text = Some(self.buf.text.clone());
        if self.show_bytecode {
            self.bytecode = runner::bytecode(&self.buf.name(), &self.buf.text);
        }
    }

    pub(crate) fn assemble(&mut self, cx: &mut PanelCx<'_>) {
        let Some(isa) = self.lang.isa() else { return };
        let path = self
            .buf
            .path
            .clone()
            .unwrap_or_else(|| PathBuf::from(format!("untitled.{}", extension(self.lang))));
        match runner::assemble_and_load(isa, &path, &self.buf.text) {
            Ok((machine, program)) => {
                self.marks.clear();
                self.say(format!("assembled and loaded {program}"));
                cx.commands.push(Command::Load {
                    machine,
                    program,
                    battery: None,
                });
            }
            Err(AssembleError::Source { marks, lines }) => {
                for l in lines {
                    self.say(l);
                }
                self.marks = marks;
            }
            Err(AssembleError::Load(e)) => self.say(format!("assembled, but cannot load: {e}")),
        }
        self.marked_text = Some(self.buf.text.clone());
    }

    fn find_next(&mut self) {
        let found = find_all(&self.buf.text, &self.find);
        if found.is_empty() {
            self.say(format!("`{}` not found", self.find));
            return;
        }
        self.find_index = (self.find_index + 1) % found.len();
        self.select = Some(found[self.find_index].clone());
    }

    fn toolbar(&mut self, ui: &mut egui::Ui, cx: &mut PanelCx<'_>) {
        ui.horizontal_wrapped(|ui| {
            if ui.button("New").clicked() {
                if self.buf.is_modified() {
                    self.confirm = Some(Discard::New);
                } else {
                    self.buf = Buffer::new("");
                }
            }
            let idle = self.dialog.is_none();
            if ui.add_enabled(idle, egui::Button::new("Open...")).clicked() {
                self.dialog = Some(Pending::show(
                    ui.ctx(),
                    EditorDialog::Open,
                    Mode::Open,
                    SOURCES,
                ));
            }
            let save_label = if self.buf.is_modified() {
                "Save*"
            } else {
                "Save"
            };
            if ui.button(save_label).on_hover_text("Ctrl+S").clicked() {
                self.save();
            }
            if ui
                .add_enabled(idle, egui::Button::new("Save as..."))
                .clicked()
            {
                self.dialog = Some(Pending::show(
                    ui.ctx(),
                    EditorDialog::SaveAs,
                    Mode::Save,
                    SOURCES,
                ));
            }
            ui.add(
                egui::TextEdit::singleline(&mut self.path_text)
                    .hint_text("path")
                    .desired_width(160.0),
            );
            if ui.button("Open path").clicked() && !self.path_text.trim().is_empty() {
                self.request_open(PathBuf::from(self.path_text.trim()));
            }
            if ui.button("Save to path").clicked() && !self.path_text.trim().is_empty() {
                self.save_to(PathBuf::from(self.path_text.trim()));
            }
            ui.separator();
            if ui
                .add_enabled(self.buf.can_undo(), egui::Button::new("Undo"))
                .clicked()
            {
                self.buf.undo();
            }
            if ui
                .add_enabled(self.buf.can_redo(), egui::Button::new("Redo"))
                .clicked()
            {
                self.buf.redo();
            }
            egui::ComboBox::new("editor-lang", "Language")
                .selected_text(self.lang.name())
                .show_ui(ui, |ui| {
                    for l in Lang::ALL {
                        ui.selectable_value(&mut self.lang, l, l.name());
                    }
                });
        });
        ui.horizontal_wrapped(|ui| {
            let resp = ui.add(
                egui::TextEdit::singleline(&mut self.find)
                    .hint_text("find")
                    .id_salt("editor-find")
                    .desired_width(120.0),
            );
            if ui.input(|i| i.modifiers.command && i.key_pressed(egui::Key::F)) {
                resp.request_focus();
            }
            let enter = resp.lost_focus() && ui.input(|i| i.key_pressed(egui::Key::Enter));
            if ui.button("Find next").clicked() || enter {
                self.find_next();
            }
            if !self.find.is_empty() {
                ui.label(format!(
                    "{} found",
                    find_all(&self.buf.text, &self.find).len()
                ));
            }
            ui.separator();
            match self.lang {
                Lang::Kite => {
                    ui.selectable_value(&mut self.engine, Engine::Tree, "tree");
                    ui.selectable_value(&mut self.engine, Engine::Vm, "vm");
                    if ui
                        .add_enabled(!self.running(), egui::Button::new("Run program"))
                        .clicked()
                    {
                        self.run_kite();
                    }
                    let stoppable = self.run.as_ref().is_some_and(|r| !r.stopping());
                    if ui
                        .add_enabled(stoppable, egui::Button::new("Stop program"))
                        .on_hover_text("cancel the running program")
                        .clicked()
                    {
                        self.stop_run();
                    }
                    if ui
                        .toggle_value(&mut self.show_bytecode, "Bytecode")
                        .changed()
                        && self.show_bytecode
                    {
                        self.bytecode = runner::bytecode(&self.buf.name(), &self.buf.text);
                    }
                    if ui
                        .button("Debug in VM")
                        .on_hover_text(
                            "load the program as a machine: step it in the debugger panels",
                        )
                        .clicked()
                    {
                        match runner::kite_machine(&self.buf.name(), &self.buf.text) {
                            Ok(machine) => cx.commands.push(Command::Load {
                                machine,
                                program: self.buf.name(),
                                battery: None,
                            }),
                            Err(e) => {
                                let name = self.buf.name();
                                self.say(e.render(&name, &self.buf.text, false));
                                self.marks = runner::kite_marks(&self.buf.text, &e);
                            }
                        }
                    }
                }
                Lang::Octo | Lang::Sm83 | Lang::RiscV => {
                    if ui.button("Assemble & load").clicked() {
                        self.assemble(cx);
                    }
                }
                Lang::Plain => {}
            }
        });
    }

    fn confirm_bar(&mut self, ui: &mut egui::Ui) {
        let Some(what) = self.confirm.clone() else {
            return;
        };
        ui.horizontal(|ui| {
            ui.colored_label(
                egui::Color32::from_rgb(255, 190, 80),
                format!("{} has unsaved changes.", self.buf.name()),
            );
            if ui.button("Discard changes").clicked() {
                self.confirm = None;
                match what {
                    Discard::New => self.buf = Buffer::new(""),
                    Discard::Open(p) => self.open_now(&p),
                }
            }
            if ui.button("Cancel").clicked() {
                self.confirm = None;
            }
        });
    }

    fn code(&mut self, ui: &mut egui::Ui) {
        let id = egui::Id::unique(CODE_ID);
        // Undo and redo are the buffer's (one history with the buttons), so the keys are
        // taken before the text widget's own undo sees them.
        if ui.memory(|m| m.has_focus(id)) {
            let redo = ui.input_mut(|i| {
                i.consume_key(
                    egui::Modifiers::COMMAND | egui::Modifiers::SHIFT,
                    egui::Key::Z,
                ) || i.consume_key(egui::Modifiers::COMMAND, egui::Key::Y)
            });
            let undo = ui.input_mut(|i| i.consume_key(egui::Modifiers::COMMAND, egui::Key::Z));
            if redo {
                self.buf.redo();
            } else if undo {
                self.buf.undo();
            }
        }
        if ui.input_mut(|i| i.consume_key(egui::Modifiers::COMMAND, egui::Key::S)) {
            self.save();
        }
        let found = find_all(&self.buf.text, &self.find);
        let marks = Marks {
            current: self.select.clone().or_else(|| {
                found
                    .get(self.find_index)
                    .cloned()
                    .filter(|_| !self.find.is_empty())
            }),
            found,
            errors: self.marks.iter().map(|m| m.range.clone()).collect(),
        };
        let lang = self.lang;
        let dark = ui.visuals().dark_mode;
        let font = egui::TextStyle::Monospace.resolve(ui.style());
        let mut layouter = |ui: &egui::Ui, text: &dyn egui::TextBuffer, wrap: f32| {
            let job = layout_job(lang, text.as_str(), &marks, font.clone(), dark, wrap);
            ui.ctx().fonts_mut(|f| f.layout_job(job))
        };
        if let Some(r) = self.select.take() {
            let to_char = |b: usize| self.buf.text.get(..b).map_or(0, |s| s.chars().count());
            let mut state = egui::text_edit::TextEditState::load(ui.ctx(), id).unwrap_or_default();
            state.cursor.set_char_range(Some(CCursorRange::two(
                CCursor::new(to_char(r.start)),
                CCursor::new(to_char(r.end)),
            )));
            state.store(ui.ctx(), id);
            ui.memory_mut(|m| m.request_focus(id));
        }
        let before = self.buf.text.clone();
        let title = ui.small(format!(
            "{}{}",
            self.buf.name(),
            if self.buf.is_modified() {
                " (modified)"
            } else {
                ""
            }
        ));
        let output = egui::ScrollArea::both()
            .id_salt("editor-scroll")
            .auto_shrink([false, false])
            .show(ui, |ui| {
                egui::TextEdit::multiline(&mut self.buf.text)
                    .id(id)
                    .code_editor()
                    .desired_width(f32::INFINITY)
                    .desired_rows(20)
                    .lock_focus(true)
                    .layouter(&mut layouter)
                    .show(ui)
            })
            .inner;
        self.buf.edited(before);
        // The error under the pointer, as a tooltip.
        let response = output.response.response.labelled_by(title.id);
        if let Some(pos) = response.hover_pos() {
            let cursor = output.galley.cursor_from_pos(pos - output.galley_pos);
            let at = self
                .buf
                .text
                .char_indices()
                .nth(cursor.index.0)
                .map_or(self.buf.text.len(), |(i, _)| i);
            if let Some(m) = self.marks.iter().find(|m| m.range.contains(&at)) {
                response.on_hover_text_at_pointer(m.message.clone());
            }
        }
    }
}

fn extension(lang: Lang) -> &'static str {
    match lang {
        Lang::Kite => "kite",
        Lang::Octo => "8o",
        Lang::Sm83 => "asm",
        Lang::RiscV => "s",
        Lang::Plain => "txt",
    }
}

impl Panel for Editor {
    fn id(&self) -> &'static str {
        "editor"
    }
    fn title(&self) -> &'static str {
        "Editor"
    }
    fn ui(&mut self, ui: &mut egui::Ui, cx: &mut PanelCx<'_>) {
        self.poll_run(ui.ctx());
        match dialog::take_answer(&mut self.dialog, ui.ctx()) {
            Some((EditorDialog::Open, Some(path))) => self.request_open(path),
            Some((EditorDialog::SaveAs, Some(path))) => self.save_to(path),
            Some((_, None)) | None => {}
        }
        self.recheck();
        self.toolbar(ui, cx);
        self.confirm_bar(ui);
        egui::Panel::bottom("editor-console")
            .resizable(true)
            .default_size(110.0)
            .show(ui, |ui| {
                ui.horizontal(|ui| {
                    ui.strong("Output");
                    if ui.small_button("Clear").clicked() {
                        self.console.clear();
                    }
                });
                for m in &self.marks {
                    let (line, col) = line_col(&self.buf.text, m.range.start);
                    ui.colored_label(
                        egui::Color32::from_rgb(255, 90, 90),
                        format!("{line}:{col}: {}", m.message),
                    );
                }
                egui::ScrollArea::vertical()
                    .id_salt("editor-console-scroll")
                    .auto_shrink([false, false])
                    .stick_to_bottom(true)
                    .show(ui, |ui| {
                        ui.monospace(self.console.as_str());
                    });
            });
        if self.show_bytecode && self.lang == Lang::Kite {
            egui::Panel::right("editor-bytecode")
                .resizable(true)
                .default_size(260.0)
                .show(ui, |ui| {
                    egui::ScrollArea::both()
                        .id_salt("editor-bytecode-scroll")
                        .auto_shrink([false, false])
                        .show(ui, |ui| ui.monospace(self.bytecode.as_str()));
                });
        }
        self.code(ui);
    }
    fn open_source(&mut self, path: &std::path::Path) -> bool {
        self.request_open(path.to_path_buf());
        true
    }
    fn unsaved_changes(&self) -> Option<String> {
        self.buf
            .is_modified()
            .then(|| format!("{} in the editor has unsaved changes", self.buf.name()))
    }
}

/// 1-based line and column (in characters) of a byte offset.
fn line_col(text: &str, at: usize) -> (usize, usize) {
    let before = text.get(..at).unwrap_or(text);
    let line = before.matches('\n').count() + 1;
    let col = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    (line, col)
}
