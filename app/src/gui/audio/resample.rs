//! Band-limited resampling of interleaved stereo from the core's rate to the device's:
//! a windowed-sinc filter read from a phase table, with a ratio that can be nudged a
//! little every call (rate control) without clicks.

/// Sub-sample positions the filter table holds.
const PHASES: usize = 128;

pub struct Resampler {
    /// Input frames per output frame, before rate control.
    nominal: f64,
    ratio: f64,
    taps: usize,
    table: Vec<f32>,
    /// Input frames not yet fully consumed.
    buf: Vec<[f32; 2]>,
    /// Position of the next output frame in `buf`, in input frames.
    pos: f64,
}

impl Resampler {
    pub fn new(from_rate: u32, to_rate: u32) -> Self {
        let nominal = from_rate.max(1) as f64 / to_rate.max(1) as f64;
        // Downsampling lowers the cutoff, so the kernel widens to keep the same quality.
        let cutoff = (1.0 / nominal).min(1.0) * 0.95;
        let taps = ((16.0 / cutoff).ceil() as usize).clamp(16, 256) & !1;
        let mut table = vec![0.0f32; PHASES * taps];
        let half = (taps / 2) as f64;
        for p in 0..PHASES {
            let frac = p as f64 / PHASES as f64;
            let row = &mut table[p * taps..(p + 1) * taps];
            let mut sum = 0.0;
            for (k, slot) in row.iter_mut().enumerate() {
                let x = k as f64 - (half - 1.0) - frac;
                let sinc = if x.abs() < 1e-9 {
                    1.0
                } else {
                    (std::f64::consts::PI * cutoff * x).sin() / (std::f64::consts::PI * cutoff * x)
                };
                // Blackman window over [-half, half].
                let t = (x / half + 1.0) / 2.0;
                let w = 0.42 - 0.5 * (2.0 * std::f64::consts::PI * t).cos()
                    + 0.08 * (4.0 * std::f64::consts::PI * t).cos();
                let v = sinc * w.max(0.0);
                *slot = v as f32;
                sum += v;
            }
            // Unity gain at DC for every phase: no ripple as the phase moves.
            for slot in row.iter_mut() {
                *slot = (*slot as f64 / sum) as f32;
            }
        }
        Resampler {
            nominal,
            ratio: nominal,
            taps,
            table,
            buf: Vec::new(),
            pos: 0.0,
        }
    }

    /// Nudge the ratio from the output buffer's fill level (0..1): above half full, read
    /// input faster; below, slower. At most ±0.5 %, which nobody hears.
    pub fn control(&mut self, fill: f64) {
        let error = (fill - 0.5).clamp(-0.5, 0.5);
        self.ratio = self.nominal * (1.0 + 0.01 * error);
    }

    /// Resample interleaved stereo `input`, appending interleaved stereo to `out`.
    pub fn process(&mut self, input: &[f32], out: &mut Vec<f32>) {
        self.buf.extend(input.chunks_exact(2).map(|c| [c[0], c[1]]));
        let half = self.taps / 2;
        loop {
            let idx = self.pos.floor() as usize;
            if idx + half + 1 > self.buf.len() {
                break;
            }
            let phase = (((self.pos - idx as f64) * PHASES as f64) as usize).min(PHASES - 1);
            let row = &self.table[phase * self.taps..(phase + 1) * self.taps];
            let (mut l, mut r) = (0.0f32, 0.0f32);
            for (k, w) in row.iter().enumerate() {
                // Frames before the start of the stream count as silence.
                let Some(src) = (idx + k + 1)
                    .checked_sub(half)
                    .and_then(|i| self.buf.get(i))
                else {
                    continue;
                };
                l += src[0] * w;
                r += src[1] * w;
            }
            out.push(l);
            out.push(r);
            self.pos += self.ratio;
        }
        // Drop frames no future output can reach.
        let keep_from = (self.pos.floor() as usize).saturating_sub(half);
        if keep_from > 0 {
            self.buf.drain(..keep_from.min(self.buf.len()));
            self.pos -= keep_from as f64;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sine(rate: u32, freq: f64, frames: usize) -> Vec<f32> {
        (0..frames)
            .flat_map(|i| {
                let v = (2.0 * std::f64::consts::PI * freq * i as f64 / rate as f64).sin() as f32;
                [v, v]
            })
            .collect()
    }

    #[test]
    fn keeps_a_tone_and_its_level() {
        let mut r = Resampler::new(44_100, 48_000);
        let input = sine(44_100, 1000.0, 44_100);
        let mut out = Vec::new();
        for chunk in input.chunks(1470) {
            r.process(chunk, &mut out);
        }
        let frames = out.len() / 2;
        assert!((frames as i64 - 48_000).abs() < 100, "{frames} frames");
        // Skip the filter's start-up; then amplitude ≈ 1 and 1000 cycles per second.
        let left: Vec<f32> = out.iter().step_by(2).skip(1000).copied().collect();
        let peak = left.iter().fold(0.0f32, |a, b| a.max(b.abs()));
        assert!((peak - 1.0).abs() < 0.02, "peak {peak}");
        let crossings = left
            .windows(2)
            .filter(|w| w[0] < 0.0 && w[1] >= 0.0)
            .count();
        let expected = 1000.0 * left.len() as f64 / 48_000.0;
        assert!(
            (crossings as f64 - expected).abs() <= 2.0,
            "{crossings} vs {expected}"
        );
    }

    #[test]
    fn removes_what_the_device_cannot_play() {
        // 30 kHz at 96 kHz is above the 24 kHz Nyquist limit of 48 kHz: it must vanish.
        let mut r = Resampler::new(96_000, 48_000);
        let mut out = Vec::new();
        r.process(&sine(96_000, 30_000.0, 9600), &mut out);
        let peak = out.iter().skip(400).fold(0.0f32, |a, b| a.max(b.abs()));
        assert!(peak < 0.05, "alias leaked at {peak}");
    }

    #[test]
    fn rate_control_changes_the_output_amount_slightly() {
        let input = sine(48_000, 440.0, 48_000);
        let count = |fill: f64| {
            let mut r = Resampler::new(48_000, 48_000);
            r.control(fill);
            let mut out = Vec::new();
            r.process(&input, &mut out);
            out.len() / 2
        };
        let (full, empty) = (count(1.0), count(0.0));
        assert!(full < 48_000 && empty > 48_000 - 20, "{full} {empty}");
        assert!(empty - full > 300 && empty - full < 600, "{full} {empty}");
    }
}
