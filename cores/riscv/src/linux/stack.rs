//! The initial user stack as the Linux kernel builds it for a static program.

use crate::elf::Image;

pub const AT_NULL: u64 = 0;
pub const AT_PHDR: u64 = 3;
pub const AT_PHENT: u64 = 4;
pub const AT_PHNUM: u64 = 5;
pub const AT_PAGESZ: u64 = 6;
pub const AT_BASE: u64 = 7;
pub const AT_FLAGS: u64 = 8;
pub const AT_ENTRY: u64 = 9;
pub const AT_UID: u64 = 11;
pub const AT_EUID: u64 = 12;
pub const AT_GID: u64 = 13;
pub const AT_EGID: u64 = 14;
pub const AT_PLATFORM: u64 = 15;
pub const AT_HWCAP: u64 = 16;
pub const AT_CLKTCK: u64 = 17;
pub const AT_SECURE: u64 = 23;
pub const AT_RANDOM: u64 = 25;
pub const AT_EXECFN: u64 = 31;

/// The id numbers the guest sees.
pub const UID: u64 = 1000;

/// Builds the stack image downwards from `top`; returns (bytes placed at `sp`, sp).
/// Layout from `sp` up: argc, argv[], NULL, envp[], NULL, auxv pairs, AT_NULL, then the
/// random bytes and strings.
pub fn build(top: u64, args: &[String], env: &[String], image: &Image, random: [u8; 16], rv32: bool) -> (Vec<u8>, u64) {
    let word = if rv32 { 4 } else { 8 };
    // Strings and the random bytes go at the top.
    let mut strings: Vec<u8> = Vec::new();
    let mut offsets = Vec::new();
    for s in args.iter().chain(env.iter()) {
        offsets.push(strings.len() as u64);
        strings.extend_from_slice(s.as_bytes());
        strings.push(0);
    }
    let platform_off = strings.len() as u64;
    strings.extend_from_slice(if rv32 { b"riscv32\0" } else { b"riscv64\0" });
    let random_off = strings.len() as u64;
    strings.extend_from_slice(&random);
    let strings_base = (top - strings.len() as u64) & !15;
    let addr_of = |off: u64| strings_base + off;

    let hwcap: u64 = [b'i', b'm', b'a', b'f', b'd', b'c'].iter().map(|c| 1u64 << (c - b'a')).sum();
    let execfn = if args.is_empty() { addr_of(platform_off) } else { addr_of(offsets[0]) };
    let auxv = [
        (AT_PHDR, image.phdr),
        (AT_PHENT, image.phent),
        (AT_PHNUM, image.phnum),
        (AT_PAGESZ, 4096),
        (AT_BASE, 0),
        (AT_FLAGS, 0),
        (AT_ENTRY, image.entry),
        (AT_UID, UID),
        (AT_EUID, UID),
        (AT_GID, UID),
        (AT_EGID, UID),
        (AT_HWCAP, hwcap),
        (AT_CLKTCK, 100),
        (AT_SECURE, 0),
        (AT_RANDOM, addr_of(random_off)),
        (AT_PLATFORM, addr_of(platform_off)),
        (AT_EXECFN, execfn),
        (AT_NULL, 0),
    ];
    let mut words: Vec<u64> = Vec::new();
    words.push(args.len() as u64);
    words.extend(offsets[..args.len()].iter().map(|&o| addr_of(o)));
    words.push(0);
    words.extend(offsets[args.len()..].iter().map(|&o| addr_of(o)));
    words.push(0);
    for (k, v) in auxv {
        words.push(k);
        words.push(v);
    }
    let table_len = words.len() as u64 * word;
    let sp = (strings_base - table_len) & !15;
    let mut out = vec![0u8; (top - sp) as usize];
    for (n, w) in words.iter().enumerate() {
        let at = n * word as usize;
        out[at..at + word as usize].copy_from_slice(&w.to_le_bytes()[..word as usize]);
    }
    let s_at = (strings_base - sp) as usize;
    out[s_at..s_at + strings.len()].copy_from_slice(&strings);
    (out, sp)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::decode::Xlen;

    fn image(xlen: Xlen) -> Image {
        Image {
            xlen,
            entry: 0x1_0100,
            segments: Vec::new(),
            phdr: 0x1_0040,
            phent: 32,
            phnum: 5,
            linux: true,
            symbols: Vec::new(),
            tohost: None,
            fromhost: None,
        }
    }

    /// Word `n` above sp, `word` bytes wide.
    fn word(bytes: &[u8], n: usize, word: usize) -> u64 {
        let mut b = [0u8; 8];
        b[..word].copy_from_slice(&bytes[n * word..(n + 1) * word]);
        u64::from_le_bytes(b)
    }

    fn check(rv32: bool) {
        let w = if rv32 { 4 } else { 8 };
        let top = 0xf000_0000;
        let args = vec!["prog".to_string(), "x".to_string()];
        let env = vec!["A=b".to_string()];
        let xlen = if rv32 { Xlen::X32 } else { Xlen::X64 };
        let (bytes, sp) = build(top, &args, &env, &image(xlen), [7; 16], rv32);
        assert_eq!(sp % 16, 0);
        assert_eq!(sp + bytes.len() as u64, top);
        let string_at = |addr: u64| {
            let off = (addr - sp) as usize;
            let end = bytes[off..].iter().position(|&b| b == 0).expect("NUL") + off;
            String::from_utf8_lossy(&bytes[off..end]).into_owned()
        };
        assert_eq!(word(&bytes, 0, w), 2, "argc");
        assert_eq!(string_at(word(&bytes, 1, w)), "prog");
        assert_eq!(string_at(word(&bytes, 2, w)), "x");
        assert_eq!(word(&bytes, 3, w), 0);
        assert_eq!(string_at(word(&bytes, 4, w)), "A=b");
        assert_eq!(word(&bytes, 5, w), 0);
        let mut auxv = std::collections::BTreeMap::new();
        let mut n = 6;
        loop {
            let (k, v) = (word(&bytes, n, w), word(&bytes, n + 1, w));
            n += 2;
            if k == AT_NULL {
                break;
            }
            auxv.insert(k, v);
        }
        assert_eq!(auxv[&AT_PAGESZ], 4096);
        assert_eq!(auxv[&AT_PHDR], 0x1_0040);
        assert_eq!(auxv[&AT_PHENT], 32);
        assert_eq!(auxv[&AT_PHNUM], 5);
        assert_eq!(auxv[&AT_ENTRY], 0x1_0100);
        assert_eq!(string_at(auxv[&AT_PLATFORM]), if rv32 { "riscv32" } else { "riscv64" });
        let random = (auxv[&AT_RANDOM] - sp) as usize;
        assert_eq!(bytes[random..random + 16], [7; 16]);
        assert!(auxv.values().all(|&v| v <= u32::MAX as u64 || !rv32));
    }

    #[test]
    fn rv64_stack_has_8_byte_words() {
        check(false);
    }

    #[test]
    fn rv32_stack_has_4_byte_words() {
        check(true);
    }
}
