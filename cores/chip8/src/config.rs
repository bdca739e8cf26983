//! Platforms, their quirks and the per-platform speed.

/// A member of the CHIP-8 family. It fixes the instruction set, the memory size and the
/// default [`Quirks`] and speed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Platform {
    /// The original interpreter of the RCA COSMAC VIP (1977): 4 KiB, 64x32.
    Chip8,
    /// SUPER-CHIP 1.1 as modern interpreters (and Octo) run it: 128x64 hires, scrolling,
    /// one scroll step is one pixel of the current resolution.
    SchipModern,
    /// SUPER-CHIP 1.1 as it ran on the HP48: lores is a 2x2-pixel compatibility mode of a
    /// 128x64 screen that waits for vertical blank, and scrolls move half a lores pixel.
    SchipLegacy,
    /// Octo's XO-CHIP: 64 KiB, two bit planes (four colours), audio pattern and pitch.
    XoChip,
}

/// How much of the instruction set a platform has (each level contains the previous one).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Level {
    Chip8,
    Schip,
    XoChip,
}

impl Platform {
    /// Every platform, in menu order.
    pub const ALL: [Platform; 4] = [
        Platform::Chip8,
        Platform::SchipModern,
        Platform::SchipLegacy,
        Platform::XoChip,
    ];

    /// Parse a CLI name: `chip8`, `schip-modern`, `schip-legacy`, `xochip`, and the aliases
    /// `schip`/`superchip` (modern), `schip1.1`/`superchip-legacy` (legacy), `xo-chip`.
    pub fn from_name(name: &str) -> Option<Platform> {
        let lower = name.trim().to_ascii_lowercase();
        Some(match lower.as_str() {
            "chip8" | "chip-8" | "vip" | "cosmac-vip" => Platform::Chip8,
            "schip-modern" | "schip" | "superchip" | "super-chip" | "schipc"
            | "superchip-modern" => Platform::SchipModern,
            "schip-legacy" | "superchip-legacy" | "schip1.1" | "schip-1.1"
            | "super-chip-legacy" => Platform::SchipLegacy,
            "xochip" | "xo-chip" | "octo" => Platform::XoChip,
            _ => return None,
        })
    }

    /// The canonical CLI name (`from_name(p.name()) == Some(p)`).
    pub fn name(self) -> &'static str {
        match self {
            Platform::Chip8 => "chip8",
            Platform::SchipModern => "schip-modern",
            Platform::SchipLegacy => "schip-legacy",
            Platform::XoChip => "xochip",
        }
    }

    /// The core name used in [`wb_machine::CoreInfo::name`] and save states.
    pub fn core_name(self) -> &'static str {
        match self {
            Platform::Chip8 => "chip8",
            Platform::SchipModern | Platform::SchipLegacy => "schip",
            Platform::XoChip => "xochip",
        }
    }

    /// Human name for the window title.
    pub fn long_name(self) -> &'static str {
        match self {
            Platform::Chip8 => "CHIP-8 (COSMAC VIP)",
            Platform::SchipModern => "SUPER-CHIP 1.1 (modern)",
            Platform::SchipLegacy => "SUPER-CHIP 1.1 (legacy HP48)",
            Platform::XoChip => "XO-CHIP",
        }
    }

    /// Bytes of guest memory: 4 KiB, or 64 KiB for XO-CHIP.
    pub fn memory_size(self) -> usize {
        match self {
            Platform::XoChip => 0x10000,
            _ => 0x1000,
        }
    }

    pub(crate) fn level(self) -> Level {
        match self {
            Platform::Chip8 => Level::Chip8,
            Platform::SchipModern | Platform::SchipLegacy => Level::Schip,
            Platform::XoChip => Level::XoChip,
        }
    }

    /// Instructions executed per 60 Hz frame by default.
    pub fn default_instructions_per_frame(self) -> u32 {
        match self {
            // Roughly the VIP interpreter's speed on typical code.
            Platform::Chip8 => 15,
            Platform::SchipModern | Platform::SchipLegacy => 30,
            // Octo's usual setting for XO-CHIP programs.
            Platform::XoChip => 1000,
        }
    }
}

/// Behaviours that differ between interpreters. Each can be set on its own; the presets
/// come from [`Quirks::for_platform`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Quirks {
    /// `8xy1`/`8xy2`/`8xy3` (OR, AND, XOR) set vF to 0.
    pub vf_reset: bool,
    /// `Fx55`/`Fx65` leave I pointing past the last register (I += x + 1).
    pub memory_increment: bool,
    /// A sprite draw waits for vertical blank: it ends the frame's instruction run, so at most
    /// one sprite is drawn per frame (the VIP interpreter).
    pub display_wait: bool,
    /// Sprites are clipped at the screen edges instead of wrapping around (the start position
    /// always wraps).
    pub clipping: bool,
    /// `8xy6`/`8xyE` shift vX in place and ignore vY.
    pub shifting: bool,
    /// `Bnnn` jumps to nnn + vX where X is the top nibble of nnn, instead of nnn + v0.
    pub jumping: bool,
    /// SUPER-CHIP 1.1 "compatibility" lores mode of the HP48: the screen stays 128x64 with
    /// lores pixels drawn as 2x2 blocks, so scrolls move by half a lores pixel; lores draws
    /// wait for vertical blank; `00FE`/`00FF` keep the screen contents.
    pub legacy_lores: bool,
    /// `Dxy0` in lores draws a 16x16 sprite (Octo) instead of 8x16 (SUPER-CHIP 1.1).
    /// Plain CHIP-8 draws nothing for `Dxy0`.
    pub lores_dxy0_wide: bool,
    /// In hires, vF counts the sprite rows that collided or were clipped at the bottom
    /// (SUPER-CHIP 1.1) instead of being 0 or 1.
    pub collision_rows: bool,
}

impl Quirks {
    /// The behaviour of the platform's reference interpreter, as the Timendus quirks test
    /// expects it.
    pub fn for_platform(p: Platform) -> Quirks {
        let none = Quirks {
            vf_reset: false,
            memory_increment: false,
            display_wait: false,
            clipping: false,
            shifting: false,
            jumping: false,
            legacy_lores: false,
            lores_dxy0_wide: false,
            collision_rows: false,
        };
        match p {
            Platform::Chip8 => Quirks {
                vf_reset: true,
                memory_increment: true,
                display_wait: true,
                clipping: true,
                ..none
            },
            Platform::SchipModern => Quirks {
                clipping: true,
                shifting: true,
                jumping: true,
                lores_dxy0_wide: true,
                ..none
            },
            Platform::SchipLegacy => Quirks {
                clipping: true,
                shifting: true,
                jumping: true,
                legacy_lores: true,
                collision_rows: true,
                ..none
            },
            Platform::XoChip => Quirks {
                memory_increment: true,
                lores_dxy0_wide: true,
                ..none
            },
        }
    }

    /// Names of the quirks [`Quirks::set`] accepts, in declaration order.
    pub const NAMES: [&'static str; 9] = [
        "vf_reset",
        "memory_increment",
        "display_wait",
        "clipping",
        "shifting",
        "jumping",
        "legacy_lores",
        "lores_dxy0_wide",
        "collision_rows",
    ];

    /// Set one quirk by name (as in [`Quirks::NAMES`]; `-` may stand for `_`). Returns false
    /// for an unknown name.
    pub fn set(&mut self, name: &str, on: bool) -> bool {
        let name = name.trim().to_ascii_lowercase().replace('-', "_");
        let slot = match name.as_str() {
            "vf_reset" => &mut self.vf_reset,
            "memory_increment" | "memory" => &mut self.memory_increment,
            "display_wait" => &mut self.display_wait,
            "clipping" => &mut self.clipping,
            "shifting" => &mut self.shifting,
            "jumping" => &mut self.jumping,
            "legacy_lores" => &mut self.legacy_lores,
            "lores_dxy0_wide" => &mut self.lores_dxy0_wide,
            "collision_rows" => &mut self.collision_rows,
            _ => return false,
        };
        *slot = on;
        true
    }

    /// The quirks as a bit mask, in [`Quirks::NAMES`] order (for save states).
    pub(crate) fn bits(&self) -> u16 {
        [
            self.vf_reset,
            self.memory_increment,
            self.display_wait,
            self.clipping,
            self.shifting,
            self.jumping,
            self.legacy_lores,
            self.lores_dxy0_wide,
            self.collision_rows,
        ]
        .iter()
        .enumerate()
        .fold(0, |acc, (i, &on)| acc | (u16::from(on) << i))
    }

    pub(crate) fn from_bits(bits: u16) -> Quirks {
        let on = |i: u32| bits & (1 << i) != 0;
        Quirks {
            vf_reset: on(0),
            memory_increment: on(1),
            display_wait: on(2),
            clipping: on(3),
            shifting: on(4),
            jumping: on(5),
            legacy_lores: on(6),
            lores_dxy0_wide: on(7),
            collision_rows: on(8),
        }
    }
}

/// Everything that selects how a program runs.
#[derive(Clone, Debug, PartialEq)]
pub struct Config {
    pub platform: Platform,
    pub quirks: Quirks,
    /// Instructions per 60 Hz frame (0 is treated as 1).
    pub instructions_per_frame: u32,
}

impl Config {
    /// The platform with its preset quirks and default speed.
    pub fn for_platform(p: Platform) -> Config {
        Config {
            platform: p,
            quirks: Quirks::for_platform(p),
            instructions_per_frame: p.default_instructions_per_frame(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for p in Platform::ALL {
            assert_eq!(Platform::from_name(p.name()), Some(p));
        }
        assert_eq!(Platform::from_name("schip"), Some(Platform::SchipModern));
        assert_eq!(
            Platform::from_name("SuperChip"),
            Some(Platform::SchipModern)
        );
        assert_eq!(Platform::from_name("gb"), None);
    }

    #[test]
    fn quirk_bits_round_trip_and_set_by_name() {
        for p in Platform::ALL {
            let q = Quirks::for_platform(p);
            assert_eq!(Quirks::from_bits(q.bits()), q);
        }
        let mut q = Quirks::for_platform(Platform::Chip8);
        for (i, name) in Quirks::NAMES.iter().enumerate() {
            let before = q.bits();
            assert!(q.set(name, before & (1 << i) == 0));
            assert_eq!(q.bits(), before ^ (1 << i), "{name}");
        }
        assert!(!q.set("turbo", true));
    }
}
