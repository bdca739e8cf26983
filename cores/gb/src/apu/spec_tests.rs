//! APU behaviour from the Pan Docs "Audio details" pages, checked on register reads (NR52's
//! channel bits, read-back masks) and on the channels' outputs.

use super::*;

/// A powered APU with `writes` applied in order.
fn apu_with(writes: &[(u8, u8)]) -> Apu {
    let mut apu = Apu::new();
    apu.write(0x26, 0x80);
    for &(reg, v) in writes {
        apu.write(reg, v);
    }
    apu
}

/// NR52's "channel on" bits (0-3).
fn channels_on(apu: &Apu) -> u8 {
    apu.read(0x26) & 0x0F
}

/// Run `n` frame-sequencer steps (from step 0 after power-on: length on even steps, sweep on
/// 2 and 6, envelope on 7).
fn steps(apu: &mut Apu, n: usize) {
    for _ in 0..n {
        apu.frame_sequencer();
    }
}

#[test]
fn length_counts_down_at_256_hz_and_stops_the_channel() {
    // NR21 length 62 leaves 64 - 62 = 2 length clocks; NR24 bit 6 enables the counter.
    let mut apu = apu_with(&[(0x16, 62), (0x17, 0xF0), (0x19, 0xC0)]);
    assert_eq!(channels_on(&apu), 0x02);
    steps(&mut apu, 2); // steps 0 (clock) and 1 (none)
    assert_eq!(channels_on(&apu), 0x02, "one clock left");
    steps(&mut apu, 1); // step 2 (clock)
    assert_eq!(channels_on(&apu), 0, "length expired");
    // Without NR24 bit 6 the same length never expires.
    let mut apu = apu_with(&[(0x16, 62), (0x17, 0xF0), (0x19, 0x80)]);
    steps(&mut apu, 64);
    assert_eq!(channels_on(&apu), 0x02);
}

#[test]
fn wave_length_is_256_minus_nr31() {
    let mut apu = apu_with(&[(0x1A, 0x80), (0x1B, 255), (0x1E, 0xC0)]);
    assert_eq!(channels_on(&apu), 0x04);
    steps(&mut apu, 1);
    assert_eq!(channels_on(&apu), 0, "256 - 255 = one clock");
}

#[test]
fn envelope_steps_the_volume_at_64_hz() {
    // Initial volume 15, decreasing, period 1: one step per envelope clock (step 7).
    let mut apu = apu_with(&[(0x17, 0xF1), (0x19, 0x80)]);
    assert_eq!(apu.ch2.env.volume, 15);
    steps(&mut apu, 7);
    assert_eq!(apu.ch2.env.volume, 15, "no envelope clock in steps 0-6");
    steps(&mut apu, 1);
    assert_eq!(apu.ch2.env.volume, 14);
    steps(&mut apu, 8 * 20);
    assert_eq!(apu.ch2.env.volume, 0, "stops at zero");
    assert_eq!(
        channels_on(&apu),
        0x02,
        "a silent envelope leaves the channel on"
    );
    // Increasing from 3 with period 2: one step every second clock, up to 15.
    let mut apu = apu_with(&[(0x17, 0x3A), (0x19, 0x80)]);
    steps(&mut apu, 8 * 2);
    assert_eq!(apu.ch2.env.volume, 4);
    steps(&mut apu, 8 * 40);
    assert_eq!(apu.ch2.env.volume, 15);
}

#[test]
fn sweep_overflow_disables_channel_1() {
    // Frequency 1200, sweep up by freq >> 2 every clock (period 1).
    let writes = [(0x10, 0x12), (0x12, 0xF0), (0x13, 0xB0), (0x14, 0x84)];
    let mut apu = apu_with(&writes);
    assert_eq!(channels_on(&apu), 0x01);
    steps(&mut apu, 3); // the sweep clock at step 2: 1200 -> 1500
    assert_eq!(apu.ch1.freq, 1500);
    assert_eq!(channels_on(&apu), 0x01);
    steps(&mut apu, 4); // step 6: 1500 -> 1875, and the check of 1875 + 468 overflows
    assert_eq!(
        channels_on(&apu),
        0,
        "overflow past 2047 disables channel 1"
    );
    // A trigger whose first calculation already overflows never starts the channel.
    let apu = apu_with(&[(0x10, 0x11), (0x12, 0xF0), (0x13, 0xFF), (0x14, 0x87)]);
    assert_eq!(channels_on(&apu), 0);
}

#[test]
fn nr52_power_off_clears_the_registers_but_not_wave_ram() {
    let mut apu = apu_with(&[
        (0x10, 0x7F),
        (0x12, 0xF3),
        (0x17, 0xA5),
        (0x24, 0x77),
        (0x25, 0xFF),
    ]);
    for i in 0..16u8 {
        apu.write(0x30 + i, i * 0x11);
    }
    apu.write(0x14, 0x80);
    assert_eq!(channels_on(&apu), 0x01);
    apu.write(0x26, 0x00);
    assert_eq!(apu.read(0x26), 0x70, "off, no channel on");
    for reg in 0x10..=0x25u8 {
        let slot = (reg - 0x10) as usize;
        assert_eq!(
            apu.read(reg),
            READ_MASK[slot],
            "NR {reg:#04x} reads as cleared"
        );
    }
    for i in 0..16u8 {
        assert_eq!(apu.read(0x30 + i), i * 0x11, "wave RAM survives");
    }
    // Writes are ignored while off, and power-on does not bring the old values back.
    apu.write(0x24, 0x77);
    assert_eq!(apu.read(0x24), 0x00);
    apu.write(0x26, 0x80);
    assert_eq!(apu.read(0x26), 0xF0);
    assert_eq!(apu.read(0x12), 0x00);
}

#[test]
fn wave_ram_plays_high_nibble_first_from_index_1() {
    // Full volume (NR32 = 0x20), frequency 2047: one sample every 2 T-cycles.
    let mut apu = apu_with(&[(0x1A, 0x80), (0x1C, 0x20), (0x1D, 0xFF)]);
    let bytes = [0x01, 0x23, 0x45, 0x67, 0x89, 0xAB, 0xCD, 0xEF];
    for (i, &b) in bytes.iter().cycle().take(16).enumerate() {
        apu.write(0x30 + i as u8, b);
    }
    assert_eq!(apu.read(0x30), 0x01, "wave RAM reads back");
    apu.write(0x1E, 0x87);
    // The trigger delays the first step by 6 T-cycles; then each period plays one nibble,
    // starting with index 1 (the low nibble of the first byte).
    apu.ch3.tick(6 + 2);
    let mut played = vec![apu.ch3.output()];
    for _ in 0..6 {
        apu.ch3.tick(2);
        played.push(apu.ch3.output());
    }
    assert_eq!(played, [1, 2, 3, 4, 5, 6, 7]);
    // NR32 = 0x40 (50 %) shifts the sample right by one.
    apu.write(0x1C, 0x40);
    apu.ch3.tick(2);
    assert_eq!(apu.ch3.output(), 8 >> 1);
}

/// The noise channel's output bits for `n` LFSR steps (divisor code 0, shift 0: one step
/// every 8 T-cycles).
fn noise_bits(nr43: u8, n: usize) -> Vec<bool> {
    let mut apu = apu_with(&[(0x21, 0xF0), (0x22, nr43), (0x23, 0x80)]);
    (0..n)
        .map(|_| {
            apu.ch4.tick(8);
            apu.ch4.output() != 0
        })
        .collect()
}

/// The smallest period of `bits` among `candidates` (checked over the whole sequence).
fn period(bits: &[bool], candidates: &[usize]) -> Option<usize> {
    candidates
        .iter()
        .copied()
        .find(|&p| bits.iter().zip(&bits[p..]).all(|(a, b)| a == b))
}

#[test]
fn noise_lfsr_is_15_bits_or_7_with_nr43_bit_3() {
    let short = noise_bits(0x08, 1000);
    assert_eq!(period(&short, &[7, 15, 31, 63, 127]), Some(127));
    let long = noise_bits(0x00, 70_000);
    assert_eq!(period(&long, &[127, 255, 4095, 32767]), Some(32767));
    assert!(long.iter().any(|&b| b) && long.iter().any(|&b| !b));
}
