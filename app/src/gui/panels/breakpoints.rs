//! Breakpoints and watchpoints: list, enable/disable, hit counts, conditions, log-only.

use super::{Panel, PanelCx, hex_addr, parse_addr};
use crate::gui::emu::{BreakpointView, Command, WatchpointView};

#[derive(Default)]
pub struct Breakpoints {
    new_bp: String,
    new_watch: String,
    new_watch_len: String,
    watch_read: bool,
    /// Edits in progress: (address, condition text, log text).
    drafts: Vec<(u64, String, String)>,
    watch_drafts: Vec<(usize, String)>,
}

impl Panel for Breakpoints {
    fn id(&self) -> &'static str {
        "breakpoints"
    }
    fn title(&self) -> &'static str {
        "Breakpoints"
    }
    fn ui(&mut self, ui: &mut egui::Ui, cx: &mut PanelCx<'_>) {
        let Self {
            new_bp,
            new_watch,
            new_watch_len,
            watch_read,
            drafts,
            watch_drafts,
        } = self;
        let snap = cx.snap;
        ui.horizontal(|ui| {
            ui.add(
                egui::TextEdit::singleline(new_bp)
                    .hint_text("address or symbol")
                    .desired_width(130.0),
            );
            if ui.button("Add breakpoint").clicked()
                && let Some(addr) = parse_addr(snap, new_bp)
            {
                if !snap.breakpoints.iter().any(|b| b.addr == addr) {
                    cx.commands.push(Command::ToggleBreakpoint(addr));
                }
                new_bp.clear();
            }
        });
        egui::Grid::new("bps")
            .num_columns(6)
            .striped(true)
            .show(ui, |ui| {
                ui.strong("");
                ui.strong("address");
                ui.strong("hits");
                ui.strong("condition");
                ui.strong("log message (log-only)");
                ui.end_row();
                for b in &snap.breakpoints {
                    let mut enabled = b.enabled;
                    if ui.checkbox(&mut enabled, "on").changed() {
                        cx.commands.push(Command::EditBreakpoint(BreakpointView {
                            enabled,
                            ..b.clone()
                        }));
                    }
                    let sym = snap
                        .debug_info
                        .symbols
                        .describe(b.addr)
                        .map(|s| format!(" {s}"))
                        .unwrap_or_default();
                    ui.monospace(format!("{}{sym}", hex_addr(snap, b.addr)));
                    ui.monospace(b.hits.to_string());
                    let i = match drafts.iter().position(|d| d.0 == b.addr) {
                        Some(i) => i,
                        None => {
                            drafts.push((
                                b.addr,
                                b.condition.clone(),
                                b.log.clone().unwrap_or_default(),
                            ));
                            drafts.len() - 1
                        }
                    };
                    let cond = ui.add_sized(
                        [200.0, 20.0],
                        egui::TextEdit::singleline(&mut drafts[i].1)
                            .hint_text("e.g. v3 == 0x10 && [i+1] > 2"),
                    );
                    let log = ui.add_sized(
                        [140.0, 20.0],
                        egui::TextEdit::singleline(&mut drafts[i].2).hint_text("e.g. v0={v0}"),
                    );
                    if (cond.lost_focus() || log.lost_focus())
                        && ui.input(|i| i.key_pressed(egui::Key::Enter))
                    {
                        let (_, c, l) = &drafts[i];
                        cx.commands.push(Command::EditBreakpoint(BreakpointView {
                            condition: c.clone(),
                            log: (!l.trim().is_empty()).then(|| l.clone()),
                            ..b.clone()
                        }));
                    }
                    if ui.button("x").on_hover_text("remove").clicked() {
                        cx.commands.push(Command::RemoveBreakpoint(b.addr));
                    }
                    ui.end_row();
                }
            });
        drafts.retain(|d| snap.breakpoints.iter().any(|b| b.addr == d.0));

        ui.separator();
        ui.horizontal(|ui| {
            ui.add(
                egui::TextEdit::singleline(new_watch)
                    .hint_text("watch address")
                    .desired_width(110.0),
            );
            ui.add(
                egui::TextEdit::singleline(new_watch_len)
                    .hint_text("bytes")
                    .desired_width(40.0),
            );
            ui.checkbox(watch_read, "reads too");
            if ui.button("Add watchpoint").clicked()
                && let Some(start) = parse_addr(snap, new_watch)
            {
                let len = new_watch_len.trim().parse().unwrap_or(1);
                cx.commands.push(Command::AddWatchpoint {
                    start,
                    len,
                    read: *watch_read,
                    write: true,
                });
                new_watch.clear();
            }
        });
        egui::Grid::new("watches")
            .num_columns(6)
            .striped(true)
            .show(ui, |ui| {
                for (i, w) in snap.watchpoints.iter().enumerate() {
                    let mut enabled = w.enabled;
                    if ui.checkbox(&mut enabled, "on").changed() {
                        cx.commands.push(Command::EditWatchpoint(
                            i,
                            WatchpointView {
                                enabled,
                                ..w.clone()
                            },
                        ));
                    }
                    ui.monospace(format!("{}+{}", hex_addr(snap, w.start), w.len));
                    ui.monospace(match (w.read, w.write) {
                        (true, true) => "rw",
                        (true, false) => "r",
                        _ => "w",
                    });
                    ui.monospace(w.hits.to_string());
                    let d = match watch_drafts.iter().position(|d| d.0 == i) {
                        Some(d) => d,
                        None => {
                            watch_drafts.push((i, w.condition.clone()));
                            watch_drafts.len() - 1
                        }
                    };
                    let cond = ui.add_sized(
                        [200.0, 20.0],
                        egui::TextEdit::singleline(&mut watch_drafts[d].1).hint_text("condition"),
                    );
                    if cond.lost_focus() && ui.input(|i| i.key_pressed(egui::Key::Enter)) {
                        cx.commands.push(Command::EditWatchpoint(
                            i,
                            WatchpointView {
                                condition: watch_drafts[d].1.clone(),
                                ..w.clone()
                            },
                        ));
                    }
                    if ui.button("x").clicked() {
                        cx.commands.push(Command::RemoveWatchpoint(i));
                        watch_drafts.clear();
                    }
                    ui.end_row();
                }
            });
        watch_drafts.retain(|d| d.0 < snap.watchpoints.len());
    }
}
