//! ELF loading through the `object` crate: checks, segments, entry, symbols, platform.

use object::elf;
use object::read::elf::{FileHeader, ProgramHeader};
use object::{Endianness, Object, ObjectSymbol, SymbolKind};
use wb_machine::Symbol;

use crate::decode::Xlen;

/// Why an ELF file cannot be loaded. Each message is one line.
#[derive(Debug, thiserror::Error, Clone, PartialEq, Eq)]
pub enum LoadError {
    #[error("not an ELF file")]
    NotElf,
    #[error("truncated or malformed ELF file: {0}")]
    Truncated(String),
    #[error("ELF file is for machine {0}, not RISC-V")]
    WrongMachine(u16),
    #[error("unsupported ELF file: {0}")]
    Unsupported(String),
    #[error("ELF segments overlap at {0:#x}")]
    Overlap(u64),
    #[error("ELF segment {addr:#x}..{end:#x} lies outside guest memory")]
    OutOfRange { addr: u64, end: u64 },
}

/// A PT_LOAD segment with its file bytes.
pub struct Segment {
    pub vaddr: u64,
    pub memsz: u64,
    pub data: Vec<u8>,
    /// PF_R/PF_W/PF_X as our page flags (R=1, W=2, X=4).
    pub perms: u8,
}

/// What the loader needs from an ELF file.
pub struct Image {
    pub xlen: Xlen,
    pub entry: u64,
    pub segments: Vec<Segment>,
    /// Address of the program headers in guest memory, their entry size and count.
    pub phdr: u64,
    pub phent: u64,
    pub phnum: u64,
    pub linux: bool,
    pub symbols: Vec<Symbol>,
    pub tohost: Option<u64>,
    pub fromhost: Option<u64>,
}

/// True when `bytes` start like a RISC-V ELF file.
pub fn is_riscv_elf(bytes: &[u8]) -> bool {
    bytes.len() >= 20 && bytes[..4] == *b"\x7fELF" && u16::from_le_bytes([bytes[18], bytes[19]]) == elf::EM_RISCV.0
}

fn trunc(e: impl std::fmt::Display) -> LoadError {
    LoadError::Truncated(e.to_string())
}

/// Parse and check an ELF file. `dyn_base` is where a position-independent program goes.
pub fn parse(bytes: &[u8], dyn_base: u64) -> Result<Image, LoadError> {
    if bytes.len() < 4 || bytes[..4] != *b"\x7fELF" {
        return Err(LoadError::NotElf);
    }
    if bytes.len() < 20 {
        return Err(trunc("header cut short"));
    }
    if bytes[5] != 1 {
        return Err(LoadError::Unsupported("big-endian".into()));
    }
    let machine = u16::from_le_bytes([bytes[18], bytes[19]]);
    if machine != elf::EM_RISCV.0 {
        return Err(LoadError::WrongMachine(machine));
    }
    match bytes[4] {
        1 => parse_class::<elf::FileHeader32<Endianness>>(bytes, Xlen::X32, dyn_base),
        2 => parse_class::<elf::FileHeader64<Endianness>>(bytes, Xlen::X64, dyn_base),
        c => Err(LoadError::Unsupported(format!("ELF class {c}"))),
    }
}

fn parse_class<H: FileHeader<Endian = Endianness>>(bytes: &[u8], xlen: Xlen, dyn_base: u64) -> Result<Image, LoadError> {
    let header = H::parse(bytes).map_err(trunc)?;
    let endian = header.endian().map_err(trunc)?;
    let e_type = header.e_type(endian);
    if e_type != elf::ET_EXEC && e_type != elf::ET_DYN {
        return Err(LoadError::Unsupported(format!("ELF type {} is not an executable", e_type.0)));
    }
    let phdrs = header.program_headers(endian, bytes).map_err(trunc)?;
    let min_vaddr = phdrs
        .iter()
        .filter(|p| p.p_type(endian) == elf::PT_LOAD)
        .map(|p| p.p_vaddr(endian).into())
        .min()
        .unwrap_or(0);
    let bias = if e_type == elf::ET_DYN && min_vaddr == 0 { dyn_base } else { 0 };
    let mut segments = Vec::new();
    let phoff: u64 = header.e_phoff(endian).into();
    let mut phdr = 0;
    for p in phdrs {
        match p.p_type(endian) {
            elf::PT_INTERP => {
                return Err(LoadError::Unsupported("dynamically linked (build with -static)".into()));
            }
            elf::PT_PHDR => phdr = p.p_vaddr(endian).into() + bias,
            elf::PT_LOAD => {
                let vaddr: u64 = p.p_vaddr(endian).into();
                let memsz: u64 = p.p_memsz(endian).into();
                let filesz: u64 = p.p_filesz(endian).into();
                let offset: u64 = p.p_offset(endian).into();
                if filesz > memsz {
                    return Err(trunc("segment file size exceeds its memory size"));
                }
                let data = p.data(endian, bytes).map_err(|_| trunc("segment extends past the end of the file"))?;
                if phdr == 0 && phoff >= offset && phoff < offset + filesz {
                    phdr = vaddr + (phoff - offset) + bias;
                }
                let flags = p.p_flags(endian).0;
                let perms = (flags & elf::PF_R.0 != 0) as u8 | ((flags & elf::PF_W.0 != 0) as u8) << 1 | ((flags & elf::PF_X.0 != 0) as u8) << 2;
                if memsz > 0 {
                    let end = vaddr.checked_add(memsz).and_then(|e| e.checked_add(bias));
                    if end.is_none() {
                        return Err(LoadError::OutOfRange { addr: vaddr, end: u64::MAX });
                    }
                    segments.push(Segment { vaddr: vaddr + bias, memsz, data: data.to_vec(), perms });
                }
            }
            _ => {}
        }
    }
    if segments.is_empty() {
        return Err(LoadError::Unsupported("no loadable segment".into()));
    }
    segments.sort_by_key(|s| s.vaddr);
    for pair in segments.windows(2) {
        if pair[0].vaddr + pair[0].memsz > pair[1].vaddr {
            return Err(LoadError::Overlap(pair[1].vaddr));
        }
    }
    let entry = header.e_entry(endian).into() + bias;
    let file = object::File::parse(bytes).map_err(trunc)?;
    let mut symbols = Vec::new();
    let (mut tohost, mut fromhost) = (None, None);
    for sym in file.symbols() {
        let Ok(name) = sym.name() else { continue };
        if name.is_empty() || sym.kind() == SymbolKind::File || sym.kind() == SymbolKind::Section {
            continue;
        }
        let addr = sym.address() + bias;
        match name {
            "tohost" => tohost = Some(addr),
            "fromhost" => fromhost = Some(addr),
            _ => {}
        }
        // Local labels of the assembler ($x, .L...) only clutter the disassembly.
        if name.starts_with(".L") || name.starts_with('$') {
            continue;
        }
        symbols.push(Symbol { name: name.to_string(), addr, size: sym.size() });
    }
    let os_abi = bytes[7];
    let linux = os_abi == elf::ELFOSABI_LINUX.0 || (tohost.is_none() && entry < 0x8000_0000);
    Ok(Image {
        xlen,
        entry,
        segments,
        phdr,
        phent: header.e_phentsize(endian) as u64,
        phnum: header.e_phnum(endian) as u64,
        linux,
        symbols,
        tohost,
        fromhost,
    })
}
