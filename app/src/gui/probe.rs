//! Test hooks: where named widgets were drawn, so a UI script (`app/script.rs`) can click
//! them with real pointer events in the real window. Off, and one flag read per noted
//! widget, unless a script enabled it.

use egui::{Context, Id, Rect, Response};

fn active_id() -> Id {
    Id::unique("workbench-probe-active")
}

fn slot(name: &str) -> Id {
    Id::unique(("workbench-probe", name))
}

/// Start recording widget positions.
pub fn enable(ctx: &Context) {
    ctx.data_mut(|d| d.insert_temp(active_id(), true));
}

/// Remember where the widget `name` is (when enabled and clickable).
pub fn note(response: &Response, name: &str) {
    let ctx = &response.ctx;
    if !ctx.data(|d| d.get_temp::<bool>(active_id()).unwrap_or(false)) || !response.enabled() {
        return;
    }
    let pass = ctx.cumulative_pass_nr();
    ctx.data_mut(|d| d.insert_temp(slot(name), (response.rect, pass)));
}

/// Where `name` was drawn in the last two passes (older positions are stale: the widget
/// is gone or disabled).
pub fn rect(ctx: &Context, name: &str) -> Option<Rect> {
    let (rect, pass) = ctx.data(|d| d.get_temp::<(Rect, u64)>(slot(name)))?;
    (pass + 2 >= ctx.cumulative_pass_nr()).then_some(rect)
}
