//! Sound: the emulation thread resamples the core's samples and pushes them into a
//! lock-free ring; the cpal callback pops them. No device is a notice, never a crash.

pub mod resample;
pub mod ring;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};

use cpal::traits::{DeviceTrait, HostTrait, StreamTrait};

/// Volume, mute and a copy of the last samples played, shared with the callback.
#[derive(Default)]
pub struct AudioControl {
    /// f32 bits of the volume, 0..=1.
    volume: AtomicU32,
    muted: AtomicBool,
    /// Underruns seen by the callback (the ring was empty).
    underruns: AtomicU32,
}

impl AudioControl {
    pub fn new(volume: f32, muted: bool) -> Arc<Self> {
        let c = AudioControl::default();
        c.set_volume(volume);
        c.muted.store(muted, Ordering::Relaxed);
        Arc::new(c)
    }
    pub fn set_volume(&self, v: f32) {
        self.volume
            .store(v.clamp(0.0, 1.0).to_bits(), Ordering::Relaxed);
    }
    pub fn volume(&self) -> f32 {
        f32::from_bits(self.volume.load(Ordering::Relaxed))
    }
    pub fn set_muted(&self, m: bool) {
        self.muted.store(m, Ordering::Relaxed);
    }
    pub fn muted(&self) -> bool {
        self.muted.load(Ordering::Relaxed)
    }
    pub fn underruns(&self) -> u32 {
        self.underruns.load(Ordering::Relaxed)
    }
}

/// An open output stream. Dropping it stops the sound.
pub struct AudioOut {
    _stream: cpal::Stream,
    pub rate: u32,
    pub device: String,
}

/// Open the default output device, playing from `consumer` (interleaved stereo at the
/// device's rate). The error is a one-line reason to show in the window.
pub fn open(mut consumer: ring::Consumer, control: Arc<AudioControl>) -> Result<AudioOut, String> {
    let host = cpal::default_host();
    let device = host
        .default_output_device()
        .ok_or("no audio output device")?;
    let supported = device
        .default_output_config()
        .map_err(|e| format!("audio device unavailable: {e}"))?;
    let rate = supported.sample_rate();
    let channels = supported.channels().max(1) as usize;
    let config: cpal::StreamConfig = supported.config();
    let name = device
        .description()
        .map(|d| d.to_string())
        .unwrap_or_else(|_| "default".into());
    let mut stereo = Vec::<f32>::new();
    let mut fill = move |out: &mut dyn FnMut(usize, f32), frames: usize| {
        stereo.resize(frames * 2, 0.0);
        let got = consumer.pop(&mut stereo);
        if got < stereo.len() {
            // An empty ring is a paused or silent machine; running dry mid-buffer is an
            // underrun the rate control should have prevented.
            if got > 0 {
                control.underruns.fetch_add(1, Ordering::Relaxed);
            }
            stereo[got..].fill(0.0);
        }
        let gain = if control.muted() {
            0.0
        } else {
            control.volume()
        };
        for f in 0..frames {
            for c in 0..channels {
                out(f * channels + c, stereo[f * 2 + c.min(1)] * gain);
            }
        }
    };
    let err = |e| eprintln!("workbench: audio stream error: {e}");
    let stream = match supported.sample_format() {
        cpal::SampleFormat::F32 => device.build_output_stream(
            config,
            move |data: &mut [f32], _: &cpal::OutputCallbackInfo| {
                let frames = data.len() / channels;
                fill(&mut |i, v| data[i] = v, frames)
            },
            err,
            None,
        ),
        cpal::SampleFormat::I16 => device.build_output_stream(
            config,
            move |data: &mut [i16], _: &cpal::OutputCallbackInfo| {
                let frames = data.len() / channels;
                fill(
                    &mut |i, v| data[i] = (v.clamp(-1.0, 1.0) * i16::MAX as f32) as i16,
                    frames,
                )
            },
            err,
            None,
        ),
        cpal::SampleFormat::U16 => device.build_output_stream(
            config,
            move |data: &mut [u16], _: &cpal::OutputCallbackInfo| {
                let frames = data.len() / channels;
                fill(
                    &mut |i, v| data[i] = ((v.clamp(-1.0, 1.0) + 1.0) * 32767.5) as u16,
                    frames,
                )
            },
            err,
            None,
        ),
        other => return Err(format!("unsupported audio sample format {other:?}")),
    }
    .map_err(|e| format!("cannot open the audio stream: {e}"))?;
    stream
        .play()
        .map_err(|e| format!("cannot start the audio stream: {e}"))?;
    Ok(AudioOut {
        _stream: stream,
        rate,
        device: name,
    })
}
