//! The PPU's timing: 154 lines of 456 dots, modes 2 (OAM scan, 80 dots), 3 (drawing, 172 dots
//! plus SCX fine scroll, window and sprite penalties), 0 (HBlank) and 1 (VBlank, lines 144-153);
//! LY, LY=LYC, and the STAT interrupt line whose rising edges request interrupts (so one source
//! that stays high blocks the others). Pixels are produced a whole line at a time when mode 3
//! starts (see `render.rs`).
//!
//! Between timing events nothing observable changes, so the dot counter is advanced lazily:
//! the machine calls [`Ppu::catch_up`] at the T-cycle [`Ppu::next_due`] names, or
//! [`Ppu::sync`] before it changes LCDC.

use wb_machine::StateError;
use wb_machine::state::{Reader, Writer};

pub const WIDTH: usize = 160;
pub const HEIGHT: usize = 144;
pub const DOTS_PER_LINE: u32 = 456;
pub const LINES: u8 = 154;
/// Dot at which mode 3 begins: STAT reads mode 2 from dot 4, for 80 dots.
const MODE3_START: u32 = 84;

/// Interrupt request bits the PPU returns from [`Ppu::tick`].
pub const IRQ_VBLANK: u8 = 1;
pub const IRQ_STAT: u8 = 2;

#[derive(Clone, Debug)]
pub struct Ppu {
    pub vram: Vec<u8>,
    pub oam: Vec<u8>,
    pub lcdc: u8,
    /// STAT's writable bits (3-6: interrupt sources).
    pub stat_enable: u8,
    pub scy: u8,
    pub scx: u8,
    pub ly: u8,
    pub lyc: u8,
    pub bgp: u8,
    pub obp0: u8,
    pub obp1: u8,
    pub wy: u8,
    pub wx: u8,
    /// The mode STAT reports.
    pub mode: u8,
    /// The internal line (LY reads differ from it on line 153).
    pub line: u8,
    /// Dot within the line, advanced 4 per M-cycle (as of T-cycle `synced`).
    pub dot: u32,
    /// The T-cycle `dot` is valid at.
    synced: u64,
    /// Dot at which the next timing event happens on this line.
    next_event: u32,
    /// Dot at which mode 3 ends on this line.
    mode3_end: u32,
    lyc_flag: bool,
    /// The OAM-scan STAT source: high from dot 0 of a visible line until mode 3.
    oam_source: bool,
    /// The HBlank STAT source.
    hblank_source: bool,
    /// VRAM reads are locked for the CPU (from just before mode 3 to its end).
    vram_locked: bool,
    /// OAM writes are locked during the OAM scan (dots 4-80).
    oam_write_locked: bool,
    /// LY=LYC comparison is suspended during the first M-cycle of a line.
    compare_enabled: bool,
    stat_line: bool,
    /// The window's own line counter: it advances only on lines where the window was drawn.
    pub window_line: u8,
    /// WY matched LY at some line of this frame.
    wy_triggered: bool,
    /// The first line after the LCD is switched on has no OAM scan.
    first_line: bool,
    /// RGBA8, 160x144.
    pub frame: Vec<u8>,
    /// Colour indices 0-3 of the background/window for the current line (sprite priority).
    pub(crate) line_bg: [u8; WIDTH],
    /// Sprites the OAM scan selected for this line: OAM indices, in OAM order.
    pub(crate) line_sprites: [u8; 10],
    pub(crate) sprite_count: u8,
    /// A frame was completed (VBlank began) since the facade last looked.
    pub frame_done: bool,
    /// Bumped whenever a VRAM byte changes (writes go through [`Ppu::write_vram`]).
    pub(crate) vram_gen: u32,
    /// Bumped whenever an OAM byte changes (writes go through [`Ppu::write_oam`]).
    pub(crate) oam_gen: u32,
    /// `(oam_gen, any)`: whether, at that OAM generation, some sprite's Y could cover a line
    /// 0-153 at all (with all sprites parked off screen the OAM scan finds none).
    scan_cache: Option<(u32, bool)>,
    /// What each line of `frame` was last drawn from (`None`: unknown): a line whose inputs
    /// are unchanged is not drawn again.
    pub(crate) line_cache: [Option<crate::render::LineKey>; HEIGHT],
}

impl Default for Ppu {
    fn default() -> Self {
        Self::new()
    }
}

impl Ppu {
    pub fn new() -> Self {
        Ppu {
            vram: vec![0; 0x2000],
            oam: vec![0; 0xA0],
            lcdc: 0,
            stat_enable: 0,
            scy: 0,
            scx: 0,
            ly: 0,
            lyc: 0,
            bgp: 0xFC,
            obp0: 0xFF,
            obp1: 0xFF,
            wy: 0,
            wx: 0,
            mode: 0,
            line: 0,
            dot: 0,
            synced: 0,
            next_event: u32::MAX,
            mode3_end: 252,
            lyc_flag: false,
            oam_source: false,
            hblank_source: false,
            vram_locked: false,
            oam_write_locked: false,
            compare_enabled: true,
            stat_line: false,
            window_line: 0,
            wy_triggered: false,
            first_line: false,
            frame: vec![0xFF; WIDTH * HEIGHT * 4],
            line_bg: [0; WIDTH],
            line_sprites: [0; 10],
            sprite_count: 0,
            frame_done: false,
            vram_gen: 0,
            oam_gen: 0,
            scan_cache: None,
            line_cache: [None; HEIGHT],
        }
    }

    /// The post-boot state: LCD on, near the end of the last VBlank line.
    pub fn post_boot() -> Self {
        let mut p = Self::new();
        p.lcdc = 0x91;
        p.bgp = 0xFC;
        p.mode = 1;
        // The boot ROM hands over shortly before line 0 begins, in the last VBlank line
        // (where LY already reads 0).
        p.line = 153;
        p.ly = 0;
        p.dot = 400;
        p.next_event = DOTS_PER_LINE;
        p
    }

    #[inline(always)]
    pub fn enabled(&self) -> bool {
        self.lcdc & 0x80 != 0
    }

    /// The dot counter at T-cycle `now` (it stands still while the LCD is off).
    fn dot_at(&self, now: u64) -> u32 {
        if self.enabled() {
            self.dot + (now - self.synced) as u32
        } else {
            self.dot
        }
    }

    /// Bring the dot counter up to T-cycle `now`; no event may lie before `now`.
    pub fn sync(&mut self, now: u64) {
        self.dot = self.dot_at(now);
        self.synced = now;
    }

    /// Take `now` as the time `dot` is valid at (after a state load).
    pub fn set_clock(&mut self, now: u64) {
        self.synced = now;
    }

    /// The T-cycle ending the M-cycle in which the next event must run on time (`u64::MAX`:
    /// none). With no STAT interrupt source enabled, only the start of VBlank (its interrupt,
    /// the end of a frame) is seen without the CPU or the DMA touching the PPU, and those
    /// first catch it up ([`Ppu::catch_up`]): the events before VBlank then run late, in one
    /// batch, with the same outcome. The VBlank and LY=LYC sources keep that: the STAT line
    /// they drive can only rise at the start of VBlank or in the LYC line, so events run on
    /// time only from the line before LYC's to its end. The HBlank and OAM sources rise on
    /// every line and need every event on time.
    pub fn next_due(&self) -> u64 {
        if !self.enabled() || self.next_event == u32::MAX {
            return u64::MAX;
        }
        let target = match self.stat_enable {
            0 | 0x10 => self.vblank_dot(),
            0x40 | 0x50 => match self.lines_before_lyc_window() {
                Some(lines) => self.vblank_dot().min(lines * DOTS_PER_LINE),
                None => self.next_event,
            },
            _ => self.next_event,
        };
        // Dots move 4 per M-cycle; an event falls due in the first M-cycle that reaches it.
        let ahead = target.saturating_sub(self.dot).max(1);
        self.synced + ahead.next_multiple_of(4) as u64
    }

    /// Lines from the start of the current one to the first line whose events must run on
    /// time for the LY=LYC source: the line before the one LY matches LYC in, through that
    /// line (LYC 0 also matches late in line 153, where LY already reads 0). `None` inside
    /// that window; with an LYC that never matches, the next VBlank is as far as any.
    fn lines_before_lyc_window(&self) -> Option<u32> {
        let lines = LINES as u32;
        let (first, last) = match self.lyc as u32 {
            0 => (lines - 2, 0),
            lyc if lyc < lines => (lyc - 1, lyc),
            _ => return Some(lines),
        };
        let line = self.line as u32;
        let inside = if first <= last {
            (first..=last).contains(&line)
        } else {
            line >= first || line <= last
        };
        if inside {
            None
        } else {
            Some((first + lines - line) % lines)
        }
    }

    /// The dot (counted from the start of the current line) at which the next VBlank begins.
    fn vblank_dot(&self) -> u32 {
        let line = self.line as u32;
        let height = HEIGHT as u32;
        let lines = if line < height {
            height - line
        } else {
            LINES as u32 - line + height
        };
        lines * DOTS_PER_LINE
    }

    /// Advance to T-cycle `now` and run the events due. Returns interrupt request bits.
    pub fn catch_up(&mut self, now: u64) -> u8 {
        self.sync(now);
        if !self.enabled() || self.dot < self.next_event {
            return 0;
        }
        self.advance()
    }

    fn advance(&mut self) -> u8 {
        let mut irq = 0;
        while self.dot >= self.next_event {
            irq |= self.event();
        }
        irq | self.update_stat_line()
    }

    /// Handle the event due at `next_event` and schedule the next one.
    fn event(&mut self) -> u8 {
        let at = self.next_event;
        let mut irq = 0;
        if at >= DOTS_PER_LINE {
            self.dot -= DOTS_PER_LINE;
            self.line = if self.line + 1 >= LINES {
                0
            } else {
                self.line + 1
            };
            self.first_line = false;
            irq |= self.start_line();
            return irq;
        }
        if self.line < HEIGHT as u8 {
            if at == 4 {
                // First M-cycle of a visible line: LY=LYC resumes and STAT starts to read mode 2
                // (its interrupt source rose at dot 0).
                self.compare_enabled = true;
                self.update_lyc();
                if !self.first_line {
                    self.mode = 2;
                    self.oam_write_locked = true;
                }
                self.next_event = MODE3_START - 4;
            } else if at == MODE3_START - 4 {
                // Between the OAM scan and mode 3 the CPU may write OAM and VRAM for one
                // M-cycle, but reads of VRAM are already locked.
                self.vram_locked = true;
                self.oam_write_locked = false;
                self.next_event = MODE3_START;
            } else if at == MODE3_START {
                self.oam_scan();
                self.mode = 3;
                self.oam_source = false;
                self.mode3_end = MODE3_START + self.mode3_length();
                self.render_line();
                self.next_event = self.mode3_end - 4;
            } else if at == self.mode3_end - 4 {
                // The HBlank STAT source rises one M-cycle before STAT reads mode 0.
                self.hblank_source = true;
                self.next_event = self.mode3_end;
            } else {
                self.mode = 0;
                self.vram_locked = false;
                self.next_event = DOTS_PER_LINE;
            }
        } else if self.line == 153 && at == 4 {
            // Line 153: LY reads 0 after its first M-cycle.
            self.ly = 0;
            self.compare_enabled = true;
            self.update_lyc();
            self.next_event = DOTS_PER_LINE;
        } else {
            self.compare_enabled = true;
            self.update_lyc();
            self.next_event = DOTS_PER_LINE;
        }
        irq
    }

    /// Dot 0 of a line: LY moves, the comparison pauses, modes for VBlank.
    fn start_line(&mut self) -> u8 {
        let mut irq = 0;
        self.ly = self.line;
        self.compare_enabled = false;
        self.lyc_flag = false;
        self.next_event = 4;
        if self.line < HEIGHT as u8 {
            if self.line == 0 {
                self.window_line = 0;
                self.wy_triggered = false;
            }
            if self.lcdc & 0x20 != 0 && self.wy == self.ly {
                self.wy_triggered = true;
            }
            self.mode = 0;
            self.hblank_source = false;
            self.oam_source = !self.first_line;
        } else if self.line == HEIGHT as u8 {
            self.mode = 1;
            self.hblank_source = false;
            self.frame_done = true;
            irq |= IRQ_VBLANK;
            // The DMG also raises the OAM source as VBlank starts.
            if self.stat_enable & 0x20 != 0 && !self.stat_line {
                irq |= IRQ_STAT;
                self.stat_line = true;
            }
        }
        irq
    }

    #[inline]
    fn update_lyc(&mut self) {
        self.lyc_flag = self.compare_enabled && self.ly == self.lyc;
    }

    /// Recompute the STAT interrupt line; a rising edge requests the interrupt.
    fn update_stat_line(&mut self) -> u8 {
        let s = self.stat_enable;
        let line = self.enabled()
            && ((self.lyc_flag && s & 0x40 != 0)
                || (self.hblank_source && s & 0x08 != 0)
                || (self.mode == 1 && s & 0x10 != 0)
                || (self.oam_source && s & 0x20 != 0));
        let rise = line && !self.stat_line;
        self.stat_line = line;
        if rise { IRQ_STAT } else { 0 }
    }

    /// Length of mode 3 in dots for this line.
    fn mode3_length(&self) -> u32 {
        let mut len = 172 + (self.scx & 7) as u32;
        if self.window_visible() {
            len += 6;
        }
        if self.lcdc & 2 != 0 {
            // Mode 3 really ends 3 dots before the M-cycle boundary we time it on (at 253 + SCX
            // fine scroll); sprite fetches extend that true end.
            len += self.sprite_penalty().saturating_sub(3);
        }
        len
    }

    /// Dots the sprite fetches add: 6 per sprite, plus `5 - (x + SCX) mod 8` (at least 0)
    /// for the first sprite on each background tile, which waits for that tile's fetch.
    fn sprite_penalty(&self) -> u32 {
        let n = self.sprite_count as usize;
        let mut xs = [0u8; 10];
        for (x, &idx) in xs.iter_mut().zip(&self.line_sprites[..n]) {
            *x = self.oam[idx as usize * 4 + 1];
        }
        // The fetcher meets them from left to right.
        xs[..n].sort_unstable();
        let mut seen_tiles: u32 = 0;
        let mut penalty = 0u32;
        for &x in &xs[..n] {
            let x = x as u32;
            if x >= 168 {
                continue;
            }
            let pos = x + (self.scx & 7) as u32;
            let tile = pos / 8;
            penalty += 6;
            if seen_tiles & (1 << tile) == 0 {
                seen_tiles |= 1 << tile;
                penalty += 5u32.saturating_sub(pos % 8);
            }
        }
        penalty
    }

    pub(crate) fn window_visible(&self) -> bool {
        self.lcdc & 0x20 != 0 && self.wy_triggered && self.wx <= 166
    }

    /// Whether some sprite has a Y (1-169) that covers one of lines 0-153 at either height;
    /// recomputed only when OAM changed.
    fn any_sprite_on_screen(&mut self) -> bool {
        if let Some((gen_, any)) = self.scan_cache
            && gen_ == self.oam_gen
        {
            return any;
        }
        let any = self.oam.chunks_exact(4).any(|o| (1..170).contains(&o[0]));
        self.scan_cache = Some((self.oam_gen, any));
        any
    }

    /// Mode 2: pick the first ten sprites (in OAM order) that cover this line.
    fn oam_scan(&mut self) {
        let height: u8 = if self.lcdc & 4 != 0 { 16 } else { 8 };
        // Sprite Y is the screen line plus 16: it covers lines y-16 .. y-16+height.
        let ly16 = self.line.wrapping_add(16);
        if self.line <= 153 && !self.any_sprite_on_screen() {
            self.sprite_count = 0;
            return;
        }
        let mut n = 0;
        for i in 0..40u8 {
            // Unsigned: LY + 16 is at least 16 and a sprite is at most 16 high, so one that
            // starts below the line wraps to 17 or more and one compare checks both ends.
            let covers = ly16.wrapping_sub(self.oam[i as usize * 4]) < height;
            self.line_sprites[n] = i;
            n += covers as usize;
            if n == 10 {
                break;
            }
        }
        self.sprite_count = n as u8;
    }

    // ---- CPU side ----

    /// Store a VRAM byte (offset 0-0x1FFF), noting the change for the line cache.
    #[inline(always)]
    pub fn write_vram(&mut self, offset: usize, v: u8) {
        if self.vram[offset] != v {
            self.vram[offset] = v;
            self.vram_gen = self.vram_gen.wrapping_add(1);
        }
    }

    /// Store an OAM byte (offset 0-0x9F), noting the change for the line cache.
    #[inline(always)]
    pub fn write_oam(&mut self, offset: usize, v: u8) {
        if self.oam[offset] != v {
            self.oam[offset] = v;
            self.oam_gen = self.oam_gen.wrapping_add(1);
        }
    }

    pub fn vram_readable(&self) -> bool {
        !(self.enabled() && (self.mode == 3 || self.vram_locked))
    }

    pub fn vram_writable(&self) -> bool {
        !(self.enabled() && self.mode == 3)
    }

    /// OAM reads lock as the OAM scan starts (dot 0), before STAT reports mode 2.
    pub fn oam_readable(&self) -> bool {
        !(self.enabled() && (self.mode == 3 || self.oam_source))
    }

    pub fn oam_writable(&self) -> bool {
        !(self.enabled() && (self.mode == 3 || self.oam_write_locked))
    }

    pub fn read_stat(&self) -> u8 {
        let mode = if self.enabled() { self.mode } else { 0 };
        0x80 | self.stat_enable | ((self.lyc_flag as u8) << 2) | mode
    }

    /// Write an LCD register (FF40-FF4B, not DMA). Returns interrupt request bits.
    pub fn write_reg(&mut self, reg: u8, v: u8) -> u8 {
        match reg {
            0x40 => {
                let was = self.enabled();
                self.lcdc = v;
                if was && !self.enabled() {
                    self.switch_off();
                } else if !was && self.enabled() {
                    self.switch_on();
                }
            }
            0x41 => self.stat_enable = v & 0x78,
            0x42 => self.scy = v,
            0x43 => self.scx = v,
            0x44 => {}
            0x45 => {
                self.lyc = v;
                if self.enabled() {
                    self.update_lyc();
                }
            }
            0x47 => self.bgp = v,
            0x48 => self.obp0 = v,
            0x49 => self.obp1 = v,
            0x4A => self.wy = v,
            0x4B => self.wx = v,
            _ => {}
        }
        if self.enabled() {
            self.update_stat_line()
        } else {
            0
        }
    }

    pub fn read_reg(&self, reg: u8) -> u8 {
        match reg {
            0x40 => self.lcdc,
            0x41 => self.read_stat(),
            0x42 => self.scy,
            0x43 => self.scx,
            0x44 => self.ly,
            0x45 => self.lyc,
            0x47 => self.bgp,
            0x48 => self.obp0,
            0x49 => self.obp1,
            0x4A => self.wy,
            0x4B => self.wx,
            _ => 0xFF,
        }
    }

    fn switch_off(&mut self) {
        self.ly = 0;
        self.line = 0;
        self.dot = 0;
        self.mode = 0;
        // The LY=LYC bit and the STAT line keep their last values while the LCD is off.
        self.oam_source = false;
        self.hblank_source = false;
        self.vram_locked = false;
        self.oam_write_locked = false;
        self.next_event = u32::MAX;
        for px in self.frame.chunks_exact_mut(4) {
            px.copy_from_slice(&crate::render::SHADES[0]);
        }
        self.line_cache = [None; HEIGHT];
    }

    fn switch_on(&mut self) {
        self.line = 0;
        self.ly = 0;
        self.dot = 0;
        self.mode = 0;
        self.first_line = true;
        self.window_line = 0;
        self.wy_triggered = self.lcdc & 0x20 != 0 && self.wy == 0;
        self.compare_enabled = true;
        self.update_lyc();
        self.next_event = MODE3_START;
        self.dot = 4;
    }

    /// Save the state as of T-cycle `now`.
    pub fn save(&self, w: &mut Writer, now: u64) {
        w.bytes(&self.vram).bytes(&self.oam);
        for v in [
            self.lcdc,
            self.stat_enable,
            self.scy,
            self.scx,
            self.ly,
            self.lyc,
            self.bgp,
            self.obp0,
            self.obp1,
            self.wy,
            self.wx,
            self.mode,
            self.line,
            self.window_line,
            self.sprite_count,
        ] {
            w.u8(v);
        }
        w.u32(self.dot_at(now)).u32(self.next_event).u32(self.mode3_end);
        for v in [
            self.lyc_flag,
            self.compare_enabled,
            self.stat_line,
            self.wy_triggered,
            self.first_line,
            self.frame_done,
            self.oam_source,
            self.hblank_source,
            self.vram_locked,
            self.oam_write_locked,
        ] {
            w.bool(v);
        }
        w.bytes(&self.line_sprites);
        w.bytes(&self.frame);
    }

    pub fn load(&mut self, r: &mut Reader) -> Result<(), StateError> {
        r.blob_into(&mut self.vram)?;
        r.blob_into(&mut self.oam)?;
        for v in [
            &mut self.lcdc,
            &mut self.stat_enable,
            &mut self.scy,
            &mut self.scx,
            &mut self.ly,
            &mut self.lyc,
            &mut self.bgp,
            &mut self.obp0,
            &mut self.obp1,
            &mut self.wy,
            &mut self.wx,
            &mut self.mode,
            &mut self.line,
            &mut self.window_line,
            &mut self.sprite_count,
        ] {
            *v = r.u8()?;
        }
        self.dot = r.u32()?;
        self.next_event = r.u32()?;
        self.mode3_end = r.u32()?;
        for v in [
            &mut self.lyc_flag,
            &mut self.compare_enabled,
            &mut self.stat_line,
            &mut self.wy_triggered,
            &mut self.first_line,
            &mut self.frame_done,
            &mut self.oam_source,
            &mut self.hblank_source,
            &mut self.vram_locked,
            &mut self.oam_write_locked,
        ] {
            *v = r.bool()?;
        }
        r.blob_into(&mut self.line_sprites)?;
        r.blob_into(&mut self.frame)?;
        self.line_cache = [None; HEIGHT];
        self.vram_gen = self.vram_gen.wrapping_add(1);
        self.oam_gen = self.oam_gen.wrapping_add(1);
        let sane = self.sprite_count <= 10
            && self.line < LINES
            && self.dot <= DOTS_PER_LINE + 8
            && (MODE3_START..=DOTS_PER_LINE + 256).contains(&self.mode3_end)
            && (self.next_event <= DOTS_PER_LINE + 256 || self.next_event == u32::MAX)
            && self.line_sprites.iter().all(|&i| i < 40);
        if !sane {
            return Err(StateError::Mismatch("PPU state out of range".into()));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A PPU caught up only at the cycles [`Ppu::next_due`] names (and before the CPU reads or
    /// writes it) raises the same interrupts in the same M-cycles, reads the same LY and STAT
    /// and draws the same frames as one whose events all run on time, for every STAT source
    /// set and LYC the laziness depends on.
    #[test]
    fn running_events_at_next_due_matches_running_them_on_time() {
        let frames = 3;
        for stat in [0x00, 0x08, 0x10, 0x20, 0x40, 0x50, 0x48, 0x60] {
            for lyc in [0, 1, 2, 77, 143, 144, 145, 152, 153, 200] {
                let mut on_time = Ppu::post_boot();
                on_time.write_reg(0x41, stat);
                on_time.write_reg(0x45, lyc);
                let mut lazy = on_time.clone();
                let mut due = lazy.next_due();
                for m in 1..(frames * 70224 / 4) {
                    let now = m * 4;
                    let irq = on_time.catch_up(now);
                    let mut lazy_irq = 0;
                    if now >= due {
                        lazy_irq = lazy.catch_up(now);
                        due = lazy.next_due();
                    }
                    let at = (stat, lyc, on_time.line, on_time.dot);
                    assert_eq!(irq, lazy_irq, "STAT {stat:#x} LYC {lyc}, line/dot {at:?}");
                    if m % 1009 == 0 {
                        // The CPU looks: the bus catches the PPU up first, which can never
                        // raise an interrupt that was due earlier.
                        assert_eq!(lazy.catch_up(now), 0, "late interrupt at {at:?}");
                        for reg in [0x41, 0x44] {
                            assert_eq!(on_time.read_reg(reg), lazy.read_reg(reg), "{at:?}");
                        }
                        if m % 3 == 0 {
                            // ... and moves LYC, which moves the lines that must run on time.
                            let v = (m / 1009 * 37 % 160) as u8;
                            assert_eq!(on_time.write_reg(0x45, v), lazy.write_reg(0x45, v));
                        }
                        due = lazy.next_due();
                    }
                }
                lazy.catch_up(frames * 70224);
                assert!(on_time.frame == lazy.frame, "STAT {stat:#x} LYC {lyc}: frame");
            }
        }
    }
}
