//! Plain-data views for the debugger's Game Boy panels: tiles, maps, OAM, palettes, I/O.

use crate::GameBoy;

/// One OAM entry as the hardware stores it (Y and X with their +16/+8 offsets).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ObjEntry {
    pub index: u8,
    pub y: u8,
    pub x: u8,
    pub tile: u8,
    /// Bit 7 behind BG, 6 Y flip, 5 X flip, 4 palette OBP1.
    pub attr: u8,
}

/// The three DMG palettes (2 bits per colour index, index 0 in the low bits).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Palettes {
    pub bgp: u8,
    pub obp0: u8,
    pub obp1: u8,
}

/// One memory-mapped I/O register by its Pan Docs name.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct IoRegister {
    pub name: &'static str,
    pub addr: u16,
    pub value: u8,
}

const IO_NAMES: [(&str, u16); 41] = [
    ("P1", 0xFF00),
    ("SB", 0xFF01),
    ("SC", 0xFF02),
    ("DIV", 0xFF04),
    ("TIMA", 0xFF05),
    ("TMA", 0xFF06),
    ("TAC", 0xFF07),
    ("IF", 0xFF0F),
    ("NR10", 0xFF10),
    ("NR11", 0xFF11),
    ("NR12", 0xFF12),
    ("NR13", 0xFF13),
    ("NR14", 0xFF14),
    ("NR21", 0xFF16),
    ("NR22", 0xFF17),
    ("NR23", 0xFF18),
    ("NR24", 0xFF19),
    ("NR30", 0xFF1A),
    ("NR31", 0xFF1B),
    ("NR32", 0xFF1C),
    ("NR33", 0xFF1D),
    ("NR34", 0xFF1E),
    ("NR41", 0xFF20),
    ("NR42", 0xFF21),
    ("NR43", 0xFF22),
    ("NR44", 0xFF23),
    ("NR50", 0xFF24),
    ("NR51", 0xFF25),
    ("NR52", 0xFF26),
    ("LCDC", 0xFF40),
    ("STAT", 0xFF41),
    ("SCY", 0xFF42),
    ("SCX", 0xFF43),
    ("LY", 0xFF44),
    ("LYC", 0xFF45),
    ("DMA", 0xFF46),
    ("BGP", 0xFF47),
    ("OBP0", 0xFF48),
    ("OBP1", 0xFF49),
    ("WY", 0xFF4A),
    ("WX", 0xFF4B),
];

impl GameBoy {
    /// The 384 tiles of VRAM (0x8000-0x97FF), each 64 colour indices (0-3), row-major.
    pub fn tile_data(&self) -> Vec<[u8; 64]> {
        let vram = &self.hw.ppu.vram;
        (0..384)
            .map(|t| {
                let mut px = [0u8; 64];
                for y in 0..8 {
                    let lo = vram[t * 16 + y * 2];
                    let hi = vram[t * 16 + y * 2 + 1];
                    for x in 0..8 {
                        let bit = 7 - x;
                        px[y * 8 + x] = ((lo >> bit) & 1) | (((hi >> bit) & 1) << 1);
                    }
                }
                px
            })
            .collect()
    }

    /// A 32x32 tile map: `high` picks 0x9C00 instead of 0x9800. Entries are tile numbers as
    /// stored; [`GameBoy::tile_map_uses_signed`] says how they index tile data.
    pub fn tile_map(&self, high: bool) -> [u8; 1024] {
        let base = if high { 0x1C00 } else { 0x1800 };
        let mut out = [0u8; 1024];
        out.copy_from_slice(&self.hw.ppu.vram[base..base + 1024]);
        out
    }

    /// True when LCDC bit 4 is clear: BG/window tile numbers are signed, based at 0x9000.
    pub fn tile_map_uses_signed(&self) -> bool {
        self.hw.ppu.lcdc & 0x10 == 0
    }

    /// LCDC: which maps the background and the window use (bits 3 and 6).
    pub fn lcdc(&self) -> u8 {
        self.hw.ppu.lcdc
    }

    /// The 40 OAM entries.
    pub fn oam_entries(&self) -> Vec<ObjEntry> {
        self.hw
            .ppu
            .oam
            .chunks_exact(4)
            .enumerate()
            .map(|(i, o)| ObjEntry {
                index: i as u8,
                y: o[0],
                x: o[1],
                tile: o[2],
                attr: o[3],
            })
            .collect()
    }

    pub fn palettes(&self) -> Palettes {
        let p = &self.hw.ppu;
        Palettes {
            bgp: p.bgp,
            obp0: p.obp0,
            obp1: p.obp1,
        }
    }

    /// The I/O registers by name, read without side effects, plus IE.
    pub fn io_registers(&self) -> Vec<IoRegister> {
        IO_NAMES
            .iter()
            .chain(std::iter::once(&("IE", 0xFFFF)))
            .map(|&(name, addr)| IoRegister {
                name,
                addr,
                value: self.hw.peek(addr),
            })
            .collect()
    }
}

/// The 2-bit colour index `i` through a DMG palette register, as RGBA.
fn shade(palette: u8, i: u8) -> [u8; 4] {
    crate::render::SHADES[((palette >> (i * 2)) & 3) as usize]
}

impl GameBoy {
    /// Every debugger view of this core as plain data for the app: tile data, both tile
    /// maps, OAM, palettes and the I/O registers by name.
    pub fn debug_views(&self) -> Vec<wb_machine::View> {
        use wb_machine::View;
        let bgp = self.palettes().bgp;
        let tiles = self.tile_data();
        // Tile data: 384 tiles in a 16 x 24 grid of 8 x 8 pixels, through BGP.
        let (tw, th) = (16 * 8, 24 * 8);
        let mut rgba = vec![0u8; tw * th * 4];
        for (t, px) in tiles.iter().enumerate() {
            let (tx, ty) = (t % 16 * 8, t / 16 * 8);
            for (i, &c) in px.iter().enumerate() {
                let at = ((ty + i / 8) * tw + tx + i % 8) * 4;
                rgba[at..at + 4].copy_from_slice(&shade(bgp, c));
            }
        }
        let mut views = vec![View::Image { title: "Tile data (0x8000-0x97FF)".into(), width: tw, height: th, rgba }];
        // The two 32 x 32 maps, drawn with the tile addressing LCDC selects.
        for (high, name) in [(false, "Tile map 0x9800"), (true, "Tile map 0x9C00")] {
            let map = self.tile_map(high);
            let mut rgba = vec![0u8; 256 * 256 * 4];
            for (cell, &n) in map.iter().enumerate() {
                let index = if self.tile_map_uses_signed() { (256 + (n as i8) as i32) as usize } else { n as usize };
                let (cx, cy) = (cell % 32 * 8, cell / 32 * 8);
                for (i, &c) in tiles[index.min(383)].iter().enumerate() {
                    let at = ((cy + i / 8) * 256 + cx + i % 8) * 4;
                    rgba[at..at + 4].copy_from_slice(&shade(bgp, c));
                }
            }
            views.push(View::Image { title: name.into(), width: 256, height: 256, rgba });
        }
        let hex = |v: u8| format!("{v:02X}");
        views.push(View::Table {
            title: "OAM".into(),
            columns: ["#", "Y", "X", "tile", "attr", "flags"].map(String::from).to_vec(),
            rows: self
                .oam_entries()
                .iter()
                .map(|o| {
                    let mut flags = Vec::new();
                    for (bit, name) in [(7, "behind"), (6, "yflip"), (5, "xflip"), (4, "OBP1")] {
                        if o.attr >> bit & 1 == 1 {
                            flags.push(name);
                        }
                    }
                    vec![o.index.to_string(), hex(o.y), hex(o.x), hex(o.tile), hex(o.attr), flags.join(" ")]
                })
                .collect(),
        });
        let p = self.palettes();
        views.push(View::Table {
            title: "Palettes".into(),
            columns: ["register", "value", "colour 0", "colour 1", "colour 2", "colour 3"].map(String::from).to_vec(),
            rows: [("BGP", p.bgp), ("OBP0", p.obp0), ("OBP1", p.obp1)]
                .iter()
                .map(|&(name, v)| {
                    let mut row = vec![name.to_string(), hex(v)];
                    row.extend((0..4).map(|i| format!("shade {}", (v >> (i * 2)) & 3)));
                    row
                })
                .collect(),
        });
        views.push(View::Table {
            title: "I/O registers".into(),
            columns: ["name", "address", "value"].map(String::from).to_vec(),
            rows: self
                .io_registers()
                .iter()
                .map(|r| vec![r.name.to_string(), format!("{:04X}", r.addr), hex(r.value)])
                .collect(),
        });
        views
    }
}
