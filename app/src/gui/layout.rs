//! The dockable layout (egui_tiles): the default arrangement, showing and hiding panels,
//! and loading a saved layout that only names registered panels.

use std::path::Path;

use egui_tiles::{Tile, Tree, UiResponse};

use super::panels::{Panel, PanelCx, registry};
use super::settings;

const TREE_ID: &str = "workbench-layout";

/// Screen and console on the left, code in the middle, registers and points on the right.
pub fn default_tree() -> Tree<String> {
    let mut tiles = egui_tiles::Tiles::default();
    let mut pane = |id: &str| tiles.insert_pane(id.to_string());
    let (screen, views, console, trace, scope) = (
        pane("screen"),
        pane("views"),
        pane("console"),
        pane("trace"),
        pane("audio_scope"),
    );
    let (disasm, memory, editor) = (pane("disassembly"), pane("memory"), pane("editor"));
    let (regs, calls, bps) = (pane("registers"), pane("callstack"), pane("breakpoints"));
    // Views stays behind the screen: its data is computed only while it is visible.
    let screen_tabs = tiles.insert_tab_tile(vec![screen, views]);
    let bottom = tiles.insert_tab_tile(vec![console, trace, scope]);
    let left = tiles.insert_vertical_tile(vec![screen_tabs, bottom]);
    let middle = tiles.insert_tab_tile(vec![disasm, memory, editor]);
    let top_right = tiles.insert_tab_tile(vec![regs, calls]);
    let bottom_right = tiles.insert_tab_tile(vec![bps]);
    let right = tiles.insert_vertical_tile(vec![top_right, bottom_right]);
    let root = tiles.insert_horizontal_tile(vec![left, middle, right]);
    Tree::new(egui::Id::unique(TREE_ID), root, tiles)
}

/// Every registered panel visible at once, in a grid (the UI benchmark draws them all).
pub fn every_panel_tree() -> Tree<String> {
    grid_of(|_| true)
}

/// The panels whose id `keep` accepts, each visible, in a grid.
pub fn grid_of(keep: impl Fn(&str) -> bool) -> Tree<String> {
    let mut tiles = egui_tiles::Tiles::default();
    let cells = registry()
        .iter()
        .filter(|p| keep(p.id()))
        .map(|p| {
            let pane = tiles.insert_pane(p.id().to_string());
            tiles.insert_tab_tile(vec![pane])
        })
        .collect();
    let root = tiles.insert_grid_tile(cells);
    Tree::new(egui::Id::unique(TREE_ID), root, tiles)
}

/// A saved layout, or the default when missing, invalid or naming unknown panels.
pub fn load(path: &Path) -> (Tree<String>, Option<String>) {
    let (tree, warning): (Option<Tree<String>>, _) = settings::load_or_none(path);
    let known: Vec<&str> = registry().iter().map(|p| p.id()).collect();
    match tree {
        Some(t)
            if t.root().is_some()
                && t.tiles.tiles().all(|tile| {
                    matches!(tile, Tile::Pane(p) if known.contains(&p.as_str()))
                        || matches!(tile, Tile::Container(_))
                }) =>
        {
            (t, warning)
        }
        Some(_) => (
            default_tree(),
            Some(format!(
                "{}: unknown panels in the saved layout; using the default",
                path.display()
            )),
        ),
        None => (default_tree(), warning),
    }
}

pub fn is_shown(tree: &Tree<String>, id: &str) -> bool {
    tree.tiles.find_pane(&id.to_string()).is_some()
}

/// Show a panel (as a new tab next to the root's children) or close it.
pub fn set_shown(tree: &mut Tree<String>, id: &str, shown: bool) {
    match (tree.tiles.find_pane(&id.to_string()), shown) {
        (Some(tile), false) => {
            tree.remove_recursively(tile);
        }
        (None, true) => {
            let tile = tree.tiles.insert_pane(id.to_string());
            let tabs = tree.tiles.insert_tab_tile(vec![tile]);
            match tree.root() {
                Some(root) => {
                    if let Some(Tile::Container(c)) = tree.tiles.get_mut(root) {
                        c.add_child(tabs);
                    }
                }
                None => tree.root = Some(tabs),
            }
        }
        _ => {}
    }
}

/// Show a panel and make it the active tab of its group.
pub fn bring_forward(tree: &mut Tree<String>, id: &str) {
    set_shown(tree, id, true);
    tree.make_active(|_, tile| matches!(tile, Tile::Pane(p) if p == id));
}

/// Draws panes through the panel registry.
pub struct Behavior<'a> {
    pub panels: &'a mut [Box<dyn Panel>],
    pub cx: PanelCx<'a>,
}

impl egui_tiles::Behavior<String> for Behavior<'_> {
    fn tab_title_for_pane(&mut self, pane: &String) -> egui::WidgetText {
        self.panels
            .iter()
            .find(|p| p.id() == pane)
            .map_or(pane.as_str(), |p| p.title())
            .into()
    }

    fn pane_ui(
        &mut self,
        ui: &mut egui::Ui,
        _tile: egui_tiles::TileId,
        pane: &mut String,
    ) -> UiResponse {
        if let Some(panel) = self.panels.iter_mut().find(|p| p.id() == pane) {
            egui::Frame::new()
                .inner_margin(4.0)
                .show(ui, |ui| panel.ui(ui, &mut self.cx));
        }
        UiResponse::None
    }

    fn is_tab_closable(
        &self,
        _tiles: &egui_tiles::Tiles<String>,
        _tile: egui_tiles::TileId,
    ) -> bool {
        true
    }

    fn simplification_options(&self) -> egui_tiles::SimplificationOptions {
        egui_tiles::SimplificationOptions {
            all_panes_must_have_tabs: true,
            ..Default::default()
        }
    }
}
