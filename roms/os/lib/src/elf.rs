//! ELF64 loader for user programs: validates the header and the PT_LOAD segments and says what to
//! map where. Mapping is the kernel's job.
use alloc::vec::Vec;
use core::fmt;
use core::ops::Range;

/// Where user programs may live (the second GiB; see the kernel's paging).
pub const USER_RANGE: Range<u64> = 0x4000_0000..0x8000_0000;

/// Why an ELF file cannot run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ElfError {
    Truncated,
    NotElf,
    Unsupported(&'static str),
    BadSegment(u64),
    NoSegments,
}

impl fmt::Display for ElfError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ElfError::Truncated => write!(f, "ELF file truncated"),
            ElfError::NotElf => write!(f, "not an ELF file"),
            ElfError::Unsupported(what) => write!(f, "unsupported ELF: {what}"),
            ElfError::BadSegment(vaddr) => write!(f, "bad ELF segment at {vaddr:#x}"),
            ElfError::NoSegments => write!(f, "ELF file has nothing to load"),
        }
    }
}

/// One PT_LOAD segment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Segment {
    pub vaddr: u64,
    pub memsz: u64,
    /// Bytes of the file copied to `vaddr`; the rest up to `memsz` is zero.
    pub file: Range<usize>,
    pub writable: bool,
    pub executable: bool,
}

/// A program ready to map.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Program {
    pub entry: u64,
    pub segments: Vec<Segment>,
}

fn u16_at(b: &[u8], at: usize) -> Result<u16, ElfError> {
    b.get(at..at + 2).map(|s| u16::from_le_bytes([s[0], s[1]])).ok_or(ElfError::Truncated)
}

fn u32_at(b: &[u8], at: usize) -> Result<u32, ElfError> {
    b.get(at..at + 4).map(|s| u32::from_le_bytes([s[0], s[1], s[2], s[3]])).ok_or(ElfError::Truncated)
}

fn u64_at(b: &[u8], at: usize) -> Result<u64, ElfError> {
    Ok(u64::from(u32_at(b, at)?) | (u64::from(u32_at(b, at + 4)?) << 32))
}

/// Parse a static x86-64 executable whose segments all lie in USER_RANGE.
pub fn parse(b: &[u8]) -> Result<Program, ElfError> {
    if b.len() < 64 {
        return Err(if b.starts_with(b"\x7fELF") || b.len() < 4 { ElfError::Truncated } else { ElfError::NotElf });
    }
    if &b[..4] != b"\x7fELF" {
        return Err(ElfError::NotElf);
    }
    if b[4] != 2 || b[5] != 1 {
        return Err(ElfError::Unsupported("not 64-bit little-endian"));
    }
    if u16_at(b, 16)? != 2 {
        return Err(ElfError::Unsupported("not an executable (ET_EXEC)"));
    }
    if u16_at(b, 18)? != 62 {
        return Err(ElfError::Unsupported("not x86-64"));
    }
    let entry = u64_at(b, 24)?;
    let phoff = usize::try_from(u64_at(b, 32)?).map_err(|_| ElfError::Truncated)?;
    let phentsize = usize::from(u16_at(b, 54)?);
    let phnum = usize::from(u16_at(b, 56)?);
    if phnum > 0 && phentsize < 56 {
        return Err(ElfError::Unsupported("program header entries too small"));
    }
    let mut segments = Vec::new();
    for i in 0..phnum {
        let ph = phoff.checked_add(i * phentsize).ok_or(ElfError::Truncated)?;
        if u32_at(b, ph)? != 1 {
            continue;
        }
        let flags = u32_at(b, ph + 4)?;
        let offset = u64_at(b, ph + 8)?;
        let vaddr = u64_at(b, ph + 16)?;
        let filesz = u64_at(b, ph + 32)?;
        let memsz = u64_at(b, ph + 40)?;
        let end = vaddr.checked_add(memsz).ok_or(ElfError::BadSegment(vaddr))?;
        if filesz > memsz || vaddr < USER_RANGE.start || end > USER_RANGE.end {
            return Err(ElfError::BadSegment(vaddr));
        }
        let fend = offset.checked_add(filesz).ok_or(ElfError::Truncated)?;
        if fend > b.len() as u64 {
            return Err(ElfError::Truncated);
        }
        if memsz == 0 {
            continue;
        }
        segments.push(Segment {
            vaddr,
            memsz,
            file: offset as usize..fend as usize,
            writable: flags & 2 != 0,
            executable: flags & 1 != 0,
        });
    }
    if segments.is_empty() {
        return Err(ElfError::NoSegments);
    }
    if !segments.iter().any(|s| s.executable && (s.vaddr..s.vaddr + s.memsz).contains(&entry)) {
        return Err(ElfError::Unsupported("entry point outside executable segments"));
    }
    Ok(Program { entry, segments })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A minimal ELF: header, `n` program headers, then `code`.
    fn elf(segs: &[(u32, u64, u64, u64)], entry: u64, code: &[u8]) -> Vec<u8> {
        let mut b = vec![0u8; 64];
        b[..4].copy_from_slice(b"\x7fELF");
        b[4] = 2;
        b[5] = 1;
        b[6] = 1;
        b[16..18].copy_from_slice(&2u16.to_le_bytes());
        b[18..20].copy_from_slice(&62u16.to_le_bytes());
        b[24..32].copy_from_slice(&entry.to_le_bytes());
        b[32..40].copy_from_slice(&64u64.to_le_bytes());
        b[54..56].copy_from_slice(&56u16.to_le_bytes());
        b[56..58].copy_from_slice(&(segs.len() as u16).to_le_bytes());
        let data_off = 64 + 56 * segs.len() as u64;
        for &(flags, vaddr, filesz, memsz) in segs {
            let mut ph = vec![0u8; 56];
            ph[..4].copy_from_slice(&1u32.to_le_bytes());
            ph[4..8].copy_from_slice(&flags.to_le_bytes());
            ph[8..16].copy_from_slice(&data_off.to_le_bytes());
            ph[16..24].copy_from_slice(&vaddr.to_le_bytes());
            ph[32..40].copy_from_slice(&filesz.to_le_bytes());
            ph[40..48].copy_from_slice(&memsz.to_le_bytes());
            b.extend_from_slice(&ph);
        }
        b.extend_from_slice(code);
        b
    }

    #[test]
    fn loads_a_valid_program() {
        let code = [0x90u8; 32];
        let b = elf(&[(5, 0x4000_0000, 32, 32), (6, 0x4000_1000, 0, 0x100)], 0x4000_0004, &code);
        let p = parse(&b).unwrap();
        assert_eq!(p.entry, 0x4000_0004);
        assert_eq!(p.segments.len(), 2);
        assert_eq!(p.segments[0].file, 176..208);
        assert!(p.segments[0].executable && !p.segments[0].writable);
        assert!(p.segments[1].writable && p.segments[1].file.is_empty());
    }

    #[test]
    fn rejects_bad_files() {
        assert_eq!(parse(b"\x7fEL"), Err(ElfError::Truncated));
        assert_eq!(parse(&[0u8; 100]), Err(ElfError::NotElf));
        let code = [0u8; 16];
        // Kernel addresses are refused.
        assert_eq!(parse(&elf(&[(5, 0x1000, 16, 16)], 0x1000, &code)), Err(ElfError::BadSegment(0x1000)));
        // filesz > memsz.
        assert_eq!(parse(&elf(&[(5, 0x4000_0000, 16, 8)], 0x4000_0000, &code)), Err(ElfError::BadSegment(0x4000_0000)));
        // File bytes past the end.
        assert_eq!(parse(&elf(&[(5, 0x4000_0000, 64, 64)], 0x4000_0000, &code)), Err(ElfError::Truncated));
        // Entry outside.
        assert!(matches!(parse(&elf(&[(5, 0x4000_0000, 16, 16)], 0x5000_0000, &code)), Err(ElfError::Unsupported(_))));
        // Wrong machine.
        let mut b = elf(&[(5, 0x4000_0000, 16, 16)], 0x4000_0000, &code);
        b[18] = 3;
        assert!(matches!(parse(&b), Err(ElfError::Unsupported(_))));
        // Truncated program headers.
        let b = elf(&[(5, 0x4000_0000, 16, 16)], 0x4000_0000, &code);
        assert_eq!(parse(&b[..80]), Err(ElfError::Truncated));
    }

    #[test]
    fn every_prefix_is_an_error_not_a_panic() {
        let code = [0x90u8; 32];
        let b = elf(&[(5, 0x4000_0000, 32, 32)], 0x4000_0000, &code);
        for n in 0..b.len() {
            assert!(parse(&b[..n]).is_err(), "prefix {n}");
        }
    }
}
