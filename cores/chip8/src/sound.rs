//! The buzzer: a 1-bit pattern played while the sound timer runs.
//!
//! CHIP-8 and SUPER-CHIP only had a fixed tone; XO-CHIP lets the program load the 128-bit
//! pattern (`F002`) and set its playback rate with the pitch register (`FX3A`):
//! 4000 * 2^((pitch - 64) / 48) bits per second. The fixed tone is the same machinery with the
//! default pattern, so every platform shares one generator.

/// Native output rate of [`crate::Chip8`]'s audio.
pub const AUDIO_RATE: u32 = 48_000;
/// Stereo sample frames per 60 Hz video frame.
pub(crate) const SAMPLES_PER_FRAME: usize = AUDIO_RATE as usize / 60;
/// A square wave: eight bits on, eight off, so 250 Hz at the default pitch.
pub(crate) const DEFAULT_PATTERN: [u8; 16] = [
    0xFF, 0x00, 0xFF, 0x00, 0xFF, 0x00, 0xFF, 0x00, 0xFF, 0x00, 0xFF, 0x00, 0xFF, 0x00, 0xFF, 0x00,
];
pub(crate) const DEFAULT_PITCH: u8 = 64;
const AMPLITUDE: f32 = 0.25;
/// Undrained audio is capped (four seconds) so a host that never drains cannot grow it forever.
const MAX_BUFFERED: usize = 4 * AUDIO_RATE as usize * 2;

#[derive(Clone, Debug)]
pub(crate) struct Sound {
    pub(crate) pattern: [u8; 16],
    pub(crate) pitch: u8,
    /// Position in the pattern, in bits (0..128).
    pub(crate) phase: f64,
    out: Vec<f32>,
}

impl Sound {
    pub(crate) fn new() -> Sound {
        Sound {
            pattern: DEFAULT_PATTERN,
            pitch: DEFAULT_PITCH,
            phase: 0.0,
            out: Vec::new(),
        }
    }

    /// Bits per second the pattern plays at.
    pub(crate) fn bit_rate(&self) -> f64 {
        4000.0 * 2f64.powf((f64::from(self.pitch) - 64.0) / 48.0)
    }

    /// Produce one video frame of samples: the pattern when `on`, silence otherwise.
    pub(crate) fn frame(&mut self, on: bool) {
        if self.out.len() + SAMPLES_PER_FRAME * 2 > MAX_BUFFERED {
            self.out.drain(..SAMPLES_PER_FRAME * 2);
        }
        if !on {
            self.out.resize(self.out.len() + SAMPLES_PER_FRAME * 2, 0.0);
            return;
        }
        let step = self.bit_rate() / f64::from(AUDIO_RATE);
        for _ in 0..SAMPLES_PER_FRAME {
            let bit = (self.phase as usize) & 127;
            let set = self.pattern[bit >> 3] & (0x80 >> (bit & 7)) != 0;
            let s = if set { AMPLITUDE } else { -AMPLITUDE };
            self.out.push(s);
            self.out.push(s);
            self.phase = (self.phase + step) % 128.0;
        }
    }

    pub(crate) fn drain(&mut self, out: &mut Vec<f32>) {
        out.append(&mut self.out);
    }

    pub(crate) fn discard_output(&mut self) {
        self.out.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tone_and_silence() {
        let mut s = Sound::new();
        assert_eq!(s.bit_rate(), 4000.0);
        s.pitch = 112;
        assert!((s.bit_rate() - 8000.0).abs() < 1e-9);
        s.pitch = DEFAULT_PITCH;
        s.frame(true);
        s.frame(false);
        let mut out = Vec::new();
        s.drain(&mut out);
        assert_eq!(out.len(), SAMPLES_PER_FRAME * 4);
        let (tone, silence) = out.split_at(SAMPLES_PER_FRAME * 2);
        assert!(silence.iter().all(|&x| x == 0.0));
        // 250 Hz square wave at 48 kHz: 96 samples high, 96 low (give or take rounding).
        assert!(tone[..95 * 2].iter().all(|&x| x == AMPLITUDE));
        assert!(tone[97 * 2..191 * 2].iter().all(|&x| x == -AMPLITUDE));
        s.drain(&mut out);
        assert_eq!(out.len(), SAMPLES_PER_FRAME * 4);
    }
}
