//! The APU: four channels, the 512 Hz frame sequencer (clocked by the divider's bit 12), the
//! NR50 master volume and NR51 panning, and the power switch NR52. Samples are produced at
//! [`SAMPLE_RATE`] Hz (one every 16 M-cycles), as interleaved stereo f32.

mod channels;
#[cfg(test)]
mod spec_tests;
mod units;

use wb_machine::StateError;
use wb_machine::state::{Reader, Writer};

use channels::{Noise, Pulse, Wave};

/// The native audio rate: 1 048 576 / 16 Hz.
pub const SAMPLE_RATE: u32 = 65_536;
const CYCLES_PER_SAMPLE: u32 = 16;
/// Do not let undrained audio grow without bound (about two seconds).
const MAX_BUFFERED: usize = 2 * 2 * SAMPLE_RATE as usize;

/// Bits that read back as 1 in FF10-FF2F (write-only and unused bits).
const READ_MASK: [u8; 0x20] = [
    0x80, 0x3F, 0x00, 0xFF, 0xBF, 0xFF, 0x3F, 0x00, 0xFF, 0xBF, 0x7F, 0xFF, 0x9F, 0xFF, 0xBF, 0xFF,
    0xFF, 0x00, 0x00, 0xBF, 0x00, 0x00, 0x70, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF,
];

#[derive(Clone, Debug)]
pub struct Apu {
    pub on: bool,
    /// Raw register values FF10-FF2F as last written (for reads).
    regs: [u8; 0x20],
    ch1: Pulse,
    ch2: Pulse,
    ch3: Wave,
    ch4: Noise,
    frame_step: u8,
    sample_clock: u32,
    /// M-cycles the channel timers have not been advanced by yet.
    behind: u32,
    /// The T-cycle the sample clock is valid at.
    synced: u64,
    /// DC-blocking filter state per side.
    hp: [f32; 2],
    pub samples: Vec<f32>,
}

impl Default for Apu {
    fn default() -> Self {
        Self::new()
    }
}

impl Apu {
    pub fn new() -> Self {
        Apu {
            on: false,
            regs: [0; 0x20],
            ch1: Pulse::new(true),
            ch2: Pulse::new(false),
            ch3: Wave::default(),
            ch4: Noise::default(),
            frame_step: 0,
            sample_clock: 0,
            behind: 0,
            synced: 0,
            hp: [0.0; 2],
            samples: Vec::new(),
        }
    }

    /// The register state the DMG boot ROM leaves (it plays the chime on channel 1).
    pub fn post_boot() -> Self {
        let mut apu = Self::new();
        apu.write(0x26, 0x80);
        for (reg, v) in [
            (0x10, 0x80),
            (0x11, 0xBF),
            (0x12, 0xF3),
            (0x14, 0x3F),
            (0x16, 0x3F),
            (0x17, 0x00),
            (0x19, 0x3F),
            (0x1A, 0x7F),
            (0x1B, 0xFF),
            (0x1C, 0x9F),
            (0x1E, 0x3F),
            (0x20, 0xFF),
            (0x21, 0x00),
            (0x22, 0x00),
            (0x23, 0x3F),
            (0x24, 0x77),
            (0x25, 0xF3),
        ] {
            apu.write(reg, v);
        }
        apu.ch1.on = true;
        apu
    }

    /// Produce the samples due up to T-cycle `now`. The machine calls this before it touches
    /// the APU, so between accesses the samples are made in one batch. The channels advance
    /// lazily as well: only when a sample is due, a register is written or the frame sequencer
    /// steps (their output is unobservable in between).
    pub fn sync(&mut self, now: u64) {
        let mut cycles = now.saturating_sub(self.synced) / 4;
        self.synced = now;
        if self.samples.len() >= MAX_BUFFERED {
            // Nobody drains the samples, so none is made, and the channel timers advance in
            // one batch to where sample-by-sample syncing leaves them: the last sample point.
            let total = self.sample_clock as u64 + cycles;
            let tail = (total % CYCLES_PER_SAMPLE as u64) as u32;
            if total >= CYCLES_PER_SAMPLE as u64 {
                self.behind += (cycles - tail as u64).min(1 << 24) as u32;
                self.catch_up();
                self.behind = tail;
            } else {
                self.behind += cycles as u32;
            }
            self.sample_clock = tail;
            return;
        }
        while cycles > 0 {
            let step = cycles.min((CYCLES_PER_SAMPLE - self.sample_clock) as u64) as u32;
            cycles -= step as u64;
            self.behind += step;
            self.sample_clock += step;
            if self.sample_clock >= CYCLES_PER_SAMPLE {
                self.sample_clock = 0;
                self.catch_up();
                self.mix();
            }
        }
    }

    /// Take `now` as the time the sample clock is valid at (after a state load).
    pub fn set_clock(&mut self, now: u64) {
        self.synced = now;
    }

    /// Run the channels' frequency timers for the M-cycles not yet applied.
    fn catch_up(&mut self) {
        let t = (self.behind * 4) as i32;
        self.behind = 0;
        if t == 0 || !self.on {
            return;
        }
        // A silent channel's timer does not matter until its next trigger reloads it.
        if self.ch1.on {
            self.ch1.tick(t);
        }
        if self.ch2.on {
            self.ch2.tick(t);
        }
        if self.ch3.on {
            self.ch3.tick(t);
        }
        if self.ch4.on {
            self.ch4.tick(t);
        }
    }

    /// A falling edge of DIV bit 4 (counter bit 12): one frame-sequencer step.
    pub fn frame_sequencer(&mut self) {
        if !self.on {
            return;
        }
        self.catch_up();
        let step = self.frame_step;
        self.frame_step = (step + 1) & 7;
        if step & 1 == 0 {
            if self.ch1.length.clock() {
                self.ch1.on = false;
            }
            if self.ch2.length.clock() {
                self.ch2.on = false;
            }
            if self.ch3.length.clock() {
                self.ch3.on = false;
            }
            if self.ch4.length.clock() {
                self.ch4.on = false;
            }
        }
        if step == 2 || step == 6 {
            self.ch1.clock_sweep();
        }
        if step == 7 {
            self.ch1.env.clock();
            self.ch2.env.clock();
            self.ch4.env.clock();
        }
    }

    fn mix(&mut self) {
        if self.samples.len() >= MAX_BUFFERED {
            return;
        }
        if !self.on {
            self.push_filtered([0.0, 0.0]);
            return;
        }
        // Each DAC maps 0..15 to +1..-1; a DAC that is off contributes nothing.
        let dac = |on: bool, d: u8| {
            if on {
                d as f32 * (1.0 / 7.5) - 1.0
            } else {
                0.0
            }
        };
        let outs = [
            dac(self.ch1.env.dac_on(), self.ch1.output()),
            dac(self.ch2.env.dac_on(), self.ch2.output()),
            dac(self.ch3.dac, self.ch3.output()),
            dac(self.ch4.env.dac_on(), self.ch4.output()),
        ];
        let nr50 = self.regs[0x14];
        let nr51 = self.regs[0x15];
        let mut left = 0.0;
        let mut right = 0.0;
        for (i, &o) in outs.iter().enumerate() {
            // NR51: high nibble left, low nibble right.
            if nr51 & (0x10 << i) != 0 {
                left += o;
            }
            if nr51 & (1 << i) != 0 {
                right += o;
            }
        }
        let lv = (((nr50 >> 4) & 7) as f32 + 1.0) / 32.0;
        let rv = ((nr50 & 7) as f32 + 1.0) / 32.0;
        self.push_filtered([left * lv, right * rv]);
    }

    /// The output capacitor: a high-pass that removes the DAC offset.
    #[inline]
    fn push_filtered(&mut self, lr: [f32; 2]) {
        for (side, &v) in lr.iter().enumerate() {
            let filtered = v - self.hp[side];
            self.hp[side] = v - filtered * 0.9990;
            self.samples.push(filtered);
        }
    }

    pub fn read(&self, reg: u8) -> u8 {
        match reg {
            0x30..=0x3F => self.ch3.ram[(reg - 0x30) as usize],
            0x26 => {
                0x70 | ((self.on as u8) << 7)
                    | (self.ch1.on as u8)
                    | ((self.ch2.on as u8) << 1)
                    | ((self.ch3.on as u8) << 2)
                    | ((self.ch4.on as u8) << 3)
            }
            0x10..=0x2F => self.regs[(reg - 0x10) as usize] | READ_MASK[(reg - 0x10) as usize],
            _ => 0xFF,
        }
    }

    pub fn write(&mut self, reg: u8, v: u8) {
        self.catch_up();
        if let 0x30..=0x3F = reg {
            self.ch3.ram[(reg - 0x30) as usize] = v;
            return;
        }
        if reg == 0x26 {
            let on = v & 0x80 != 0;
            if self.on && !on {
                for r in 0x10..0x26 {
                    self.write(r, 0);
                }
                self.ch1.on = false;
                self.ch2.on = false;
                self.ch3.on = false;
                self.ch4.on = false;
            } else if !self.on && on {
                self.frame_step = 0;
            }
            self.on = on;
            return;
        }
        // Powered off, only NR52 (and on the DMG the length counters) can be written.
        if !self.on && !matches!(reg, 0x11 | 0x16 | 0x1B | 0x20) {
            return;
        }
        let Some(slot) = reg.checked_sub(0x10).filter(|&s| s < 0x20) else {
            return;
        };
        let v = if !self.on && reg != 0x1B { v & 0x3F } else { v };
        self.regs[slot as usize] = v;
        match reg {
            0x10 => self.ch1.sweep.reg = v,
            0x11 => {
                self.ch1.duty = v >> 6;
                self.ch1.length.counter = 64 - (v & 0x3F) as u16;
            }
            0x12 => {
                self.ch1.env.reg = v;
                if !self.ch1.env.dac_on() {
                    self.ch1.on = false;
                }
            }
            0x13 => self.ch1.freq = (self.ch1.freq & 0x700) | v as u16,
            0x14 => {
                self.ch1.freq = (self.ch1.freq & 0xFF) | ((v as u16 & 7) << 8);
                self.ch1.length.enabled = v & 0x40 != 0;
                if v & 0x80 != 0 {
                    self.ch1.trigger();
                }
            }
            0x16 => {
                self.ch2.duty = v >> 6;
                self.ch2.length.counter = 64 - (v & 0x3F) as u16;
            }
            0x17 => {
                self.ch2.env.reg = v;
                if !self.ch2.env.dac_on() {
                    self.ch2.on = false;
                }
            }
            0x18 => self.ch2.freq = (self.ch2.freq & 0x700) | v as u16,
            0x19 => {
                self.ch2.freq = (self.ch2.freq & 0xFF) | ((v as u16 & 7) << 8);
                self.ch2.length.enabled = v & 0x40 != 0;
                if v & 0x80 != 0 {
                    self.ch2.trigger();
                }
            }
            0x1A => {
                self.ch3.dac = v & 0x80 != 0;
                if !self.ch3.dac {
                    self.ch3.on = false;
                }
            }
            0x1B => self.ch3.length.counter = 256 - v as u16,
            0x1C => self.ch3.level = (v >> 5) & 3,
            0x1D => self.ch3.freq = (self.ch3.freq & 0x700) | v as u16,
            0x1E => {
                self.ch3.freq = (self.ch3.freq & 0xFF) | ((v as u16 & 7) << 8);
                self.ch3.length.enabled = v & 0x40 != 0;
                if v & 0x80 != 0 {
                    self.ch3.trigger();
                }
            }
            0x20 => self.ch4.length.counter = 64 - (v & 0x3F) as u16,
            0x21 => {
                self.ch4.env.reg = v;
                if !self.ch4.env.dac_on() {
                    self.ch4.on = false;
                }
            }
            0x22 => self.ch4.poly = v,
            0x23 => {
                self.ch4.length.enabled = v & 0x40 != 0;
                if v & 0x80 != 0 {
                    self.ch4.trigger();
                }
            }
            _ => {}
        }
    }

    /// Save the state as of T-cycle `now`.
    pub fn save(&self, w: &mut Writer, now: u64) {
        if self.synced != now {
            // The samples not made yet change the filter and the channels: save a caught-up copy.
            let mut apu = self.clone();
            apu.sync(now);
            return apu.save(w, now);
        }
        w.bool(self.on)
            .bytes(&self.regs)
            .u8(self.frame_step)
            .u32(self.sample_clock)
            .u32(self.behind);
        w.u32(self.hp[0].to_bits()).u32(self.hp[1].to_bits());
        self.ch1.save(w);
        self.ch2.save(w);
        self.ch3.save(w);
        self.ch4.save(w);
    }

    pub fn load(&mut self, r: &mut Reader) -> Result<(), StateError> {
        self.on = r.bool()?;
        r.blob_into(&mut self.regs)?;
        self.frame_step = r.u8()? & 7;
        self.sample_clock = r.u32()? % CYCLES_PER_SAMPLE;
        self.behind = r.u32()?.min(CYCLES_PER_SAMPLE);
        self.hp = [f32::from_bits(r.u32()?), f32::from_bits(r.u32()?)];
        self.ch1.load(r)?;
        self.ch2.load(r)?;
        self.ch3.load(r)?;
        self.ch4.load(r)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn peak(apu: &mut Apu, cycles: usize) -> f32 {
        apu.samples.clear();
        let now = apu.synced + cycles as u64 * 4;
        apu.sync(now);
        apu.samples.iter().fold(0.0f32, |m, s| m.max(s.abs()))
    }

    #[test]
    fn a_triggered_pulse_is_audible_and_power_off_clears_registers() {
        let mut apu = Apu::new();
        apu.write(0x26, 0x80);
        apu.write(0x24, 0x77);
        apu.write(0x25, 0x22); // channel 2 both sides
        apu.write(0x16, 0x80);
        apu.write(0x17, 0xF0);
        apu.write(0x18, 0x00);
        apu.write(0x19, 0x87);
        assert_eq!(apu.read(0x26) & 0x02, 0x02, "channel 2 on");
        assert!(peak(&mut apu, 20_000) > 0.1);
        apu.write(0x26, 0x00);
        assert_eq!(apu.read(0x26), 0x70);
        assert_eq!(apu.read(0x17), 0x00);
        assert_eq!(apu.read(0x25), 0x00);
    }

    fn saved(apu: &Apu, now: u64) -> Vec<u8> {
        let mut w = Writer::new();
        apu.save(&mut w, now);
        w.finish()
    }

    /// With the sample buffer full, syncing in long batches leaves the channels exactly where
    /// syncing every M-cycle does.
    #[test]
    fn batched_sync_with_a_full_buffer_matches_stepping() {
        let mut batched = Apu::new();
        for (reg, v) in [
            (0x26, 0x80),
            (0x12, 0xF0),
            (0x13, 0x37),
            (0x14, 0x86),
            (0x1A, 0x80),
            (0x1D, 0x10),
            (0x1E, 0x87),
            (0x21, 0xF0),
            (0x22, 0x21),
            (0x23, 0x80),
        ] {
            batched.write(reg, v);
        }
        batched.samples = vec![0.0; MAX_BUFFERED];
        let mut stepped = batched.clone();
        let mut now = 0u64;
        for chunk in [1u64, 15, 16, 17, 333, 2048, 5, 4000] {
            for _ in 0..chunk {
                now += 4;
                stepped.sync(now);
            }
            batched.sync(now);
            assert_eq!(saved(&batched, now), saved(&stepped, now), "after {now}");
            batched.frame_sequencer();
            stepped.frame_sequencer();
        }
    }

    #[test]
    fn length_counter_silences_the_channel() {
        let mut apu = Apu::new();
        apu.write(0x26, 0x80);
        apu.write(0x16, 0x3F); // length 1
        apu.write(0x17, 0xF0);
        apu.write(0x19, 0xC0); // trigger with length enabled
        apu.frame_sequencer();
        assert_eq!(apu.read(0x26) & 0x02, 0, "one length clock ends it");
    }

    #[test]
    fn dac_off_disables_the_channel() {
        let mut apu = Apu::new();
        apu.write(0x26, 0x80);
        apu.write(0x21, 0xF0);
        apu.write(0x23, 0x80);
        assert_eq!(apu.read(0x26) & 0x08, 0x08);
        apu.write(0x21, 0x00);
        assert_eq!(apu.read(0x26) & 0x08, 0);
    }
}
