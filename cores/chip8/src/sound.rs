//! The buzzer: a 1-bit pattern played while the sound timer runs.
//!
//! CHIP-8 and SUPER-CHIP only had a fixed tone; XO-CHIP lets the program load the 128-bit
//! pattern (`F002`) and set its playback rate with the pitch register (`FX3A`):
//! 4000 * 2^((pitch - 64) / 48) bits per second. The fixed tone is the same machinery with the
//! default pattern, so every platform shares one generator.

use std::collections::VecDeque;

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
/// Undrained audio is capped (four seconds) so a host that never drains cannot grow it
/// forever; past the cap the oldest frame is dropped.
const MAX_BUFFERED_FRAMES: usize = 4 * 60;
/// Interleaved stereo samples in one video frame.
const FRAME_LEN: usize = SAMPLES_PER_FRAME * 2;

/// Consecutive undrained frames that are all silent or all tone.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Run {
    tone: bool,
    frames: usize,
}

#[derive(Clone, Debug)]
pub(crate) struct Sound {
    pub(crate) pattern: [u8; 16],
    pub(crate) pitch: u8,
    /// Position in the pattern, in bits (0..128).
    pub(crate) phase: f64,
    /// Undrained frames, oldest first. Silence is kept as a count and only written out when
    /// drained: most frames are silent, and a host that never drains (a benchmark, a headless
    /// run) must not pay for filling and trimming a buffer of zeros every frame.
    runs: VecDeque<Run>,
    /// The samples of the tone frames in `runs`, in order.
    tone: VecDeque<f32>,
    /// Frames in `runs`.
    buffered: usize,
}

impl Sound {
    pub(crate) fn new() -> Sound {
        Sound {
            pattern: DEFAULT_PATTERN,
            pitch: DEFAULT_PITCH,
            phase: 0.0,
            runs: VecDeque::new(),
            tone: VecDeque::new(),
            buffered: 0,
        }
    }

    /// Bits per second the pattern plays at.
    pub(crate) fn bit_rate(&self) -> f64 {
        4000.0 * 2f64.powf((f64::from(self.pitch) - 64.0) / 48.0)
    }

    /// Produce one video frame of samples: the pattern when `on`, silence otherwise.
    pub(crate) fn frame(&mut self, on: bool) {
        if self.buffered >= MAX_BUFFERED_FRAMES {
            self.drop_oldest_frame();
        }
        if on {
            let step = self.bit_rate() / f64::from(AUDIO_RATE);
            for _ in 0..SAMPLES_PER_FRAME {
                let bit = (self.phase as usize) & 127;
                let set = self.pattern[bit >> 3] & (0x80 >> (bit & 7)) != 0;
                let s = if set { AMPLITUDE } else { -AMPLITUDE };
                self.tone.push_back(s);
                self.tone.push_back(s);
                self.phase = (self.phase + step) % 128.0;
            }
        }
        match self.runs.back_mut() {
            Some(run) if run.tone == on => run.frames += 1,
            _ => self.runs.push_back(Run {
                tone: on,
                frames: 1,
            }),
        }
        self.buffered += 1;
    }

    fn drop_oldest_frame(&mut self) {
        let Some(run) = self.runs.front_mut() else {
            return;
        };
        if run.tone {
            self.tone.drain(..FRAME_LEN);
        }
        run.frames -= 1;
        if run.frames == 0 {
            self.runs.pop_front();
        }
        self.buffered -= 1;
    }

    /// Append every undrained sample to `out`.
    pub(crate) fn drain(&mut self, out: &mut Vec<f32>) {
        out.reserve(self.buffered * FRAME_LEN);
        for run in self.runs.drain(..) {
            let len = run.frames * FRAME_LEN;
            if run.tone {
                out.extend(self.tone.drain(..len));
            } else {
                out.resize(out.len() + len, 0.0);
            }
        }
        self.buffered = 0;
    }

    pub(crate) fn discard_output(&mut self) {
        self.runs.clear();
        self.tone.clear();
        self.buffered = 0;
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

    #[test]
    fn undrained_audio_keeps_the_newest_four_seconds() {
        // Sound on in an irregular pattern, so runs of both kinds start and end everywhere.
        let on = |f: usize| (f * 7 / 3) % 5 < 2 || f.is_multiple_of(11);
        let total = MAX_BUFFERED_FRAMES + 77;
        let mut step = Sound::new();
        step.pattern[3] = 0x5A;
        let mut per_frame = Vec::new();
        for f in 0..total {
            step.frame(on(f));
            let mut chunk = Vec::new();
            step.drain(&mut chunk);
            assert_eq!(chunk.len(), FRAME_LEN);
            per_frame.push(chunk);
        }
        let mut batch = Sound::new();
        batch.pattern[3] = 0x5A;
        for f in 0..total {
            batch.frame(on(f));
        }
        let mut out = vec![1.0];
        batch.drain(&mut out);
        let want: Vec<f32> = std::iter::once(1.0)
            .chain(
                per_frame[total - MAX_BUFFERED_FRAMES..]
                    .iter()
                    .flatten()
                    .copied(),
            )
            .collect();
        assert_eq!(out, want);
        assert_eq!(batch.phase, step.phase);
        batch.drain(&mut out);
        assert_eq!(out.len(), want.len());
    }
}
