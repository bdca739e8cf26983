//! Save states: the whole machine in a versioned [`wb_machine::state`] envelope.

use wb_machine::StateError;
use wb_machine::state::{self, Reader, Writer};

use crate::chip8::{Chip8, KeyWait, STACK_DEPTH};
use crate::config::{Platform, Quirks};

/// Bumped whenever the payload layout changes.
const VERSION: u32 = 1;
const PIXELS: usize = 128 * 64;

fn platform_index(p: Platform) -> u8 {
    Platform::ALL.iter().position(|&q| q == p).unwrap_or(0) as u8
}

fn opt_key(k: Option<u8>) -> u8 {
    k.unwrap_or(0xFF)
}

fn key_opt(b: u8) -> Result<Option<u8>, StateError> {
    match b {
        0xFF => Ok(None),
        0..=15 => Ok(Some(b)),
        _ => Err(StateError::Mismatch(format!("bad key {b}"))),
    }
}

pub(crate) fn save(m: &Chip8) -> Vec<u8> {
    let mut w = Writer::new();
    w.u8(platform_index(m.config.platform))
        .u16(m.config.quirks.bits())
        .u32(m.config.instructions_per_frame)
        .bytes(&m.mem)
        .bytes(&m.v)
        .u16(m.i)
        .u16(m.pc);
    for &s in &m.stack {
        w.u16(s);
    }
    let keys = m
        .keys
        .iter()
        .enumerate()
        .fold(0u16, |acc, (k, &down)| acc | (u16::from(down) << k));
    w.u8(m.sp)
        .u8(m.dt)
        .u8(m.st)
        .u16(keys)
        .bool(m.key_wait.waiting)
        .u8(opt_key(m.key_wait.pressed))
        .u8(opt_key(m.key_wait.released))
        .bool(m.display.hires())
        .bytes(m.display.pixels())
        .u8(m.planes)
        .bytes(&m.sound.pattern)
        .u8(m.sound.pitch)
        .f64(m.sound.phase)
        .bytes(&m.flags)
        .u32(m.rng)
        .u32(m.slot)
        .bool(m.vblank_wait)
        .bool(m.halted)
        .u64(m.retired)
        .u64(m.cycles)
        .u64(m.frames);
    state::wrap(m.config.platform.core_name(), VERSION, &w.finish())
}

/// Parse everything first and change the machine only when the whole snapshot is valid.
pub(crate) fn load(m: &mut Chip8, bytes: &[u8]) -> Result<(), StateError> {
    let payload = state::unwrap(m.config.platform.core_name(), VERSION, bytes)?;
    let mut r = Reader::new(payload);
    let platform = r.u8()?;
    if platform != platform_index(m.config.platform) {
        return Err(StateError::Mismatch(
            "the state is for another CHIP-8 platform".into(),
        ));
    }
    let quirks = Quirks::from_bits(r.u16()?);
    if quirks.legacy_lores != m.config.quirks.legacy_lores {
        return Err(StateError::Mismatch(
            "the state uses another lores display model".into(),
        ));
    }
    let ipf = r.u32()?;
    let mut mem = vec![0u8; m.mem.len()];
    r.blob_into(&mut mem)?;
    let mut v = [0u8; 16];
    r.blob_into(&mut v)?;
    let i = r.u16()?;
    let pc = r.u16()?;
    let mut stack = [0u16; STACK_DEPTH];
    for s in &mut stack {
        *s = r.u16()?;
    }
    let sp = r.u8()?;
    if sp as usize > STACK_DEPTH {
        return Err(StateError::Mismatch(format!(
            "stack pointer {sp} out of range"
        )));
    }
    let (dt, st) = (r.u8()?, r.u8()?);
    let keys_bits = r.u16()?;
    let key_wait = KeyWait {
        waiting: r.bool()?,
        pressed: key_opt(r.u8()?)?,
        released: key_opt(r.u8()?)?,
    };
    let hires = r.bool()?;
    let mut pixels = vec![0u8; PIXELS];
    r.blob_into(&mut pixels)?;
    if pixels.iter().any(|&p| p > 3) {
        return Err(StateError::Mismatch("bad pixel value".into()));
    }
    let planes = r.u8()?;
    if planes > 3 {
        return Err(StateError::Mismatch(format!("bad plane mask {planes}")));
    }
    let mut pattern = [0u8; 16];
    r.blob_into(&mut pattern)?;
    let pitch = r.u8()?;
    let phase = r.f64()?;
    if !(0.0..128.0).contains(&phase) {
        return Err(StateError::Mismatch("bad audio phase".into()));
    }
    let mut flags = [0u8; 16];
    r.blob_into(&mut flags)?;
    let rng = r.u32()?;
    let slot = r.u32()?;
    let vblank_wait = r.bool()?;
    let halted = r.bool()?;
    let (retired, cycles, frames) = (r.u64()?, r.u64()?, r.u64()?);
    r.finish()?;

    m.config.quirks = quirks;
    m.config.instructions_per_frame = ipf;
    m.mem = mem;
    m.v = v;
    m.i = i;
    m.pc = pc;
    m.stack = stack;
    m.sp = sp;
    m.dt = dt;
    m.st = st;
    for (k, key) in m.keys.iter_mut().enumerate() {
        *key = keys_bits & (1 << k) != 0;
    }
    m.key_wait = key_wait;
    m.display.restore(hires, &pixels);
    m.planes = planes;
    m.sound.pattern = pattern;
    m.sound.pitch = pitch;
    m.sound.phase = phase;
    m.sound.discard_output();
    m.flags = flags;
    m.rng = rng;
    m.slot = slot.min(m.ipf().saturating_sub(1));
    m.vblank_wait = vblank_wait;
    m.halted = halted;
    m.retired = retired;
    m.cycles = cycles;
    m.frames = frames;
    m.frame_ended = false;
    m.cur_pc = pc;
    m.hooks.clear_call_stack();
    Ok(())
}
