//! The built-in hex digit fonts, stored below 0x200.

/// Address of the 4x5 digits 0-F (5 bytes each).
pub(crate) const SMALL_ADDR: u16 = 0x000;
/// Address of the 8x10 digits 0-F (10 bytes each).
pub(crate) const BIG_ADDR: u16 = 0x050;

/// The classic 4x5 hex digits, one byte per row, glyph in the high nibble.
pub(crate) const SMALL: [u8; 80] = [
    0xF0, 0x90, 0x90, 0x90, 0xF0, // 0
    0x20, 0x60, 0x20, 0x20, 0x70, // 1
    0xF0, 0x10, 0xF0, 0x80, 0xF0, // 2
    0xF0, 0x10, 0xF0, 0x10, 0xF0, // 3
    0x90, 0x90, 0xF0, 0x10, 0x10, // 4
    0xF0, 0x80, 0xF0, 0x10, 0xF0, // 5
    0xF0, 0x80, 0xF0, 0x90, 0xF0, // 6
    0xF0, 0x10, 0x20, 0x40, 0x40, // 7
    0xF0, 0x90, 0xF0, 0x90, 0xF0, // 8
    0xF0, 0x90, 0xF0, 0x10, 0xF0, // 9
    0xF0, 0x90, 0xF0, 0x90, 0x90, // A
    0xE0, 0x90, 0xE0, 0x90, 0xE0, // B
    0xF0, 0x80, 0x80, 0x80, 0xF0, // C
    0xE0, 0x90, 0x90, 0x90, 0xE0, // D
    0xF0, 0x80, 0xF0, 0x80, 0xF0, // E
    0xF0, 0x80, 0xF0, 0x80, 0x80, // F
];

/// The 8x10 digits: the small glyphs with every pixel doubled in both directions.
pub(crate) const BIG: [u8; 160] = {
    let mut out = [0u8; 160];
    let mut i = 0;
    while i < 80 {
        let row = SMALL[i] >> 4;
        let mut wide = 0u8;
        let mut b = 0;
        while b < 4 {
            if row & (1 << b) != 0 {
                wide |= 0b11 << (2 * b);
            }
            b += 1;
        }
        out[2 * i] = wide;
        out[2 * i + 1] = wide;
        i += 1;
    }
    out
};

/// Copy both fonts into the bottom of guest memory.
pub(crate) fn install(mem: &mut [u8]) {
    let small = SMALL_ADDR as usize;
    let big = BIG_ADDR as usize;
    mem[small..small + SMALL.len()].copy_from_slice(&SMALL);
    mem[big..big + BIG.len()].copy_from_slice(&BIG);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn big_font_doubles_the_small_one() {
        // "0": F0 90 ... becomes FF FF C3 C3 ...
        assert_eq!(&BIG[..4], &[0xFF, 0xFF, 0xC3, 0xC3]);
        assert!(BIG_ADDR as usize >= SMALL_ADDR as usize + SMALL.len());
        assert!(
            BIG_ADDR as usize + BIG.len() <= 0x1FF,
            "0x1FF stays free for the test ROMs"
        );
    }
}
