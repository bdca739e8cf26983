//! The debugger views the app draws through `Machine::views`, and battery RAM through the trait.

use wb_machine::{Budget, Machine, View};

mod common;

#[test]
fn views_cover_tiles_maps_oam_palettes_and_io() {
    let Some(dir) = common::testroms("blargg-gb") else { return };
    let rom = std::fs::read(dir.join("cpu_instrs/individual/01-special.gb")).unwrap();
    let mut gb = wb_gb::GameBoy::new(&rom, None).unwrap();
    for _ in 0..30 {
        gb.run(Budget::Frame);
    }
    let views = gb.views();
    let titles: Vec<&str> = views.iter().map(View::title).collect();
    assert_eq!(titles, ["Tile data (0x8000-0x97FF)", "Tile map 0x9800", "Tile map 0x9C00", "OAM", "Palettes", "I/O registers"]);
    let View::Image { width, height, rgba, .. } = &views[0] else { panic!("tile data is not an image") };
    assert_eq!((*width, *height, rgba.len()), (128, 192, 128 * 192 * 4));
    // blargg's font is loaded into tile data by now: more than one shade appears.
    let distinct: std::collections::HashSet<&[u8]> = rgba.chunks(4).collect();
    assert!(distinct.len() >= 2, "tile data is blank");
    let View::Table { rows, .. } = &views[3] else { panic!("OAM is not a table") };
    assert_eq!(rows.len(), 40);
    let View::Table { rows, .. } = &views[5] else { panic!("IO is not a table") };
    let lcdc = rows.iter().find(|r| r[0] == "LCDC").expect("LCDC listed");
    assert_eq!(lcdc[1], "FF40");
    assert_eq!(u8::from_str_radix(&lcdc[2], 16).unwrap(), gb.lcdc());
}

#[test]
fn a_rom_without_battery_has_no_battery_ram_through_the_trait() {
    let Some(dir) = common::testroms("blargg-gb") else { return };
    let rom = std::fs::read(dir.join("cpu_instrs/individual/01-special.gb")).unwrap();
    let mut gb = wb_gb::GameBoy::new(&rom, None).unwrap();
    let machine: &mut dyn Machine = &mut gb;
    assert_eq!(machine.battery_ram(), None);
    assert!(!machine.battery_dirty());
    assert!(machine.load_battery_ram(&[0; 8192]).is_err());
}
