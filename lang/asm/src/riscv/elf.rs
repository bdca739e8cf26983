//! Finishing a RISC-V assembly: fix-ups become patched bytes or ELF relocations; the result
//! is written as a relocatable object (with the `object` crate) or linked here into a static
//! executable.

use std::collections::HashMap;

use object::write::{Object, Relocation, SectionId, Symbol, SymbolId, SymbolSection};
use object::{Architecture, BinaryFormat, Endianness, FileFlags, RelocationFlags, SymbolFlags, SymbolKind, SymbolScope};

use super::fixup;
use crate::diag::{Error, Loc};
use crate::engine::{Engine, SectionKind, SymDef};
use crate::expr::{RelocBase, Value};

/// `EF_RISCV_RVC | EF_RISCV_FLOAT_ABI_DOUBLE`, as GNU as marks rv64gc/lp64d objects.
const E_FLAGS: u32 = 0x5;
/// Where the linked executable is loaded (GNU ld's default for RISC-V).
const EXEC_BASE: u64 = 0x10000;
const PAGE: u64 = 0x1000;

/// What a relocation refers to.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Target {
    /// A section of ours (the addend is the offset in it).
    Section(usize),
    Extern(String),
    /// The `auipc` at this section offset (for `%pcrel_lo`).
    AuipcAt(usize, u64),
}

#[derive(Clone, Debug)]
pub struct Reloc {
    pub sec: usize,
    pub offset: u64,
    pub r_type: u32,
    pub target: Target,
    pub addend: i64,
}

/// Applies every fix-up. With `bases` (a linked executable) all must resolve; without,
/// what cannot be resolved inside one section becomes a relocation.
fn resolve(eng: &mut Engine, bases: Option<&[u64]>) -> Vec<Reloc> {
    let fixes = eng.resolved_fixups();
    let mut hi: HashMap<(usize, u64), Value> = HashMap::new();
    for r in &fixes {
        if r.fixup.kind == fixup::PCREL_HI20
            && let Ok(v) = &r.value {
                hi.insert((r.sec, r.at), v.clone());
            }
    }
    let mut relocs = Vec::new();
    let mut errors = Vec::new();
    let abs = |v: &Value, loc: Loc| -> Result<i64, Error> {
        match v {
            Value::Const(c) => Ok(*c),
            Value::Reloc { base: RelocBase::Section(s), addend } => {
                Ok((bases.and_then(|b| b.get(*s)).copied().unwrap_or(0) as i64).wrapping_add(*addend))
            }
            Value::Reloc { base: RelocBase::Extern(name), .. } => {
                Err(Error::new(loc, format!("undefined symbol `{name}`")))
            }
        }
    };
    let target_of = |v: &Value| match v {
        Value::Reloc { base: RelocBase::Section(s), addend } => Some((Target::Section(*s), *addend)),
        Value::Reloc { base: RelocBase::Extern(n), addend } => Some((Target::Extern(n.clone()), *addend)),
        Value::Const(_) => None,
    };
    for r in fixes {
        let loc = r.fixup.loc;
        let kind = r.fixup.kind;
        let value = match r.value {
            Ok(v) => v,
            Err(e) => {
                errors.push(e);
                continue;
            }
        };
        let here_abs = bases.map(|b| b.get(r.sec).copied().unwrap_or(0) + r.at);
        let mut reloc_to = |target: Target, addend: i64| -> Result<Option<i64>, Error> {
            let r_type = fixup::elf_type(kind)
                .ok_or_else(|| Error::new(loc, "value must be known at assembly time here"))?;
            relocs.push(Reloc { sec: r.sec, offset: r.at, r_type, target, addend });
            Ok(None)
        };
        let patch_value: Result<Option<i64>, Error> = match kind {
            fixup::PCREL_LO12_I | fixup::PCREL_LO12_S => match &value {
                Value::Reloc { base: RelocBase::Section(s), addend } => {
                    let auipc = (*s, *addend as u64);
                    match hi.get(&auipc) {
                        None => Err(Error::new(loc, "%pcrel_lo must name the label of an `auipc` with %pcrel_hi")),
                        Some(Value::Reloc { base: RelocBase::Section(hs), addend: ha }) if *hs == *s => {
                            Ok(Some(ha.wrapping_sub(*addend)))
                        }
                        Some(h) => match bases {
                            Some(b) => abs(h, loc).map(|t| Some(t.wrapping_sub((b.get(*s).copied().unwrap_or(0) as i64).wrapping_add(*addend)))),
                            None => reloc_to(Target::AuipcAt(*s, *addend as u64), 0),
                        },
                    }
                }
                _ => Err(Error::new(loc, "%pcrel_lo must name a label")),
            },
            k if fixup::is_pc_relative(k) => match (&value, here_abs) {
                (Value::Reloc { base: RelocBase::Section(s), addend }, _) if *s == r.sec => {
                    Ok(Some(addend.wrapping_sub(r.at as i64)))
                }
                (_, Some(h)) => abs(&value, loc).map(|t| Some(t.wrapping_sub(h as i64))),
                (v, None) => match target_of(v) {
                    Some((t, a)) => reloc_to(t, a),
                    None => Err(Error::new(loc, "branch target must be a label")),
                },
            },
            fixup::IMM_I | fixup::IMM_S | fixup::IMM_U => match value.as_const() {
                Some(c) => Ok(Some(c)),
                None => Err(Error::new(loc, "immediate must be a constant")),
            },
            _ => match (&value, bases) {
                (Value::Const(c), _) => Ok(Some(*c)),
                (_, Some(_)) => abs(&value, loc).map(Some),
                (v, None) => match target_of(v) {
                    Some((t, a)) => reloc_to(t, a),
                    None => Ok(None),
                },
            },
        };
        match patch_value {
            Ok(Some(v)) => {
                let width = fixup::width(kind);
                let mut bytes = eng.read(r.sec, r.at, width);
                match fixup::apply(kind, v, &mut bytes) {
                    Ok(()) => eng.patch(r.sec, r.at, &bytes),
                    Err(m) => errors.push(Error::new(loc, m)),
                }
            }
            Ok(None) => {}
            Err(e) => errors.push(e),
        }
    }
    for e in errors {
        eng.error(e);
    }
    relocs
}

fn object_kind(k: SectionKind) -> object::SectionKind {
    match k {
        SectionKind::Text => object::SectionKind::Text,
        SectionKind::Data => object::SectionKind::Data,
        SectionKind::ReadOnly => object::SectionKind::ReadOnlyData,
        SectionKind::Bss => object::SectionKind::UninitializedData,
    }
}

/// Writes an ELF relocatable object.
pub fn write_object(eng: &mut Engine) -> Vec<u8> {
    let relocs = resolve(eng, None);
    let mut obj = Object::new(BinaryFormat::Elf, Architecture::Riscv64, Endianness::Little);
    obj.flags = FileFlags::Elf { os_abi: object::elf::OsAbi(0), abi_version: 0, e_flags: object::elf::FileFlags(E_FLAGS) };
    let mut ids: Vec<SectionId> = Vec::new();
    for sec in &eng.sections {
        let id = obj.add_section(Vec::new(), sec.name.clone().into_bytes(), object_kind(sec.kind));
        if sec.kind == SectionKind::Bss {
            obj.append_section_bss(id, sec.size(), sec.align);
        } else {
            obj.set_section_data(id, sec.image.clone(), sec.align);
        }
        ids.push(id);
    }
    // The same attributes GNU as 2.40 records for rv64gc; GNU ld turns them into a
    // PT_RISCV_ATTRIBUTES header, so our objects link to the same layout as its.
    let attrs = obj.add_section(Vec::new(), b".riscv.attributes".to_vec(), object::SectionKind::Other);
    obj.section_mut(attrs).flags = object::SectionFlags::Elf {
        sh_type: object::elf::SectionType(0x7000_0003),
        sh_flags: object::elf::SectionFlags(0),
    };
    let mut blob = vec![b'A', 0, 0, 0, 0];
    let mut sub = b"riscv\0".to_vec();
    let mut file_attrs = vec![5u8];
    file_attrs.extend_from_slice(b"rv64i2p0_m2p0_a2p0_f2p0_d2p0_c2p0_zmmul1p0\0");
    file_attrs.extend_from_slice(&[8, 1, 10, 11]);
    sub.push(1);
    sub.extend_from_slice(&(file_attrs.len() as u32 + 5).to_le_bytes());
    sub.extend_from_slice(&file_attrs);
    blob[1..5].copy_from_slice(&(sub.len() as u32 + 4).to_le_bytes());
    blob.extend_from_slice(&sub);
    obj.set_section_data(attrs, blob, 1);
    let mut by_name: HashMap<String, SymbolId> = HashMap::new();
    for name in &eng.sym_order {
        let Some(sym) = eng.symbols.get(name) else { continue };
        let local_only = name.starts_with(".L") || name.contains('\u{2}');
        let scope = if sym.global { SymbolScope::Linkage } else { SymbolScope::Compilation };
        let weak = eng.weak.contains(name);
        let (value, section, kind) = match &sym.def {
            Some(SymDef::Label { sec, item }) if !local_only || sym.global => {
                let k = if eng.sections[*sec].kind == SectionKind::Text { SymbolKind::Text } else { SymbolKind::Data };
                (eng.sections[*sec].offset_of(*item), SymbolSection::Section(ids[*sec]), k)
            }
            Some(SymDef::Value(Value::Const(c))) if sym.global => (*c as u64, SymbolSection::Absolute, SymbolKind::Unknown),
            None if sym.global => (0, SymbolSection::Undefined, SymbolKind::Unknown),
            _ => continue,
        };
        let id = obj.add_symbol(Symbol {
            name: name.clone().into_bytes(),
            value,
            size: 0,
            kind,
            scope,
            weak,
            section,
            flags: SymbolFlags::None,
        });
        by_name.insert(name.clone(), id);
    }
    let mut auipc_syms: HashMap<(usize, u64), SymbolId> = HashMap::new();
    for r in relocs {
        let (symbol, addend) = match &r.target {
            Target::Section(s) => (obj.section_symbol(ids[*s]), r.addend),
            Target::Extern(name) => {
                let id = *by_name.entry(name.clone()).or_insert_with(|| {
                    obj.add_symbol(Symbol {
                        name: name.clone().into_bytes(),
                        value: 0,
                        size: 0,
                        kind: SymbolKind::Unknown,
                        scope: SymbolScope::Linkage,
                        weak: false,
                        section: SymbolSection::Undefined,
                        flags: SymbolFlags::None,
                    })
                });
                (id, r.addend)
            }
            Target::AuipcAt(s, off) => {
                let n = auipc_syms.len();
                let id = *auipc_syms.entry((*s, *off)).or_insert_with(|| {
                    obj.add_symbol(Symbol {
                        name: format!(".Lpcrel_at{n}").into_bytes(),
                        value: *off,
                        size: 0,
                        kind: SymbolKind::Label,
                        scope: SymbolScope::Compilation,
                        weak: false,
                        section: SymbolSection::Section(ids[*s]),
                        flags: SymbolFlags::None,
                    })
                });
                (id, 0)
            }
        };
        let rel = Relocation {
            offset: r.offset,
            symbol,
            addend,
            flags: RelocationFlags::Elf { r_type: object::elf::RelocationType(r.r_type) },
        };
        if let Err(e) = obj.add_relocation(ids[r.sec], rel) {
            eng.error(Error::new(Loc::default(), format!("cannot add relocation: {e}")));
        }
    }
    match obj.write() {
        Ok(bytes) => bytes,
        Err(e) => {
            eng.error(Error::new(Loc::default(), format!("cannot write ELF object: {e}")));
            Vec::new()
        }
    }
}

/// Where each section of a linked executable goes, in the order ld would place them.
pub fn exec_layout(eng: &Engine) -> Vec<u64> {
    let header = 64 + 2 * 56;
    let mut bases = vec![0u64; eng.sections.len()];
    let mut off = header;
    for pass in [SectionKind::Text, SectionKind::ReadOnly] {
        for (i, s) in eng.sections.iter().enumerate() {
            if s.kind == pass {
                off = align_up(off, s.align);
                bases[i] = EXEC_BASE + off;
                off += s.size();
            }
        }
    }
    off = align_up(off, PAGE) + PAGE;
    for pass in [SectionKind::Data, SectionKind::Bss] {
        for (i, s) in eng.sections.iter().enumerate() {
            if s.kind == pass {
                off = align_up(off, s.align);
                bases[i] = EXEC_BASE + off;
                off += s.size();
            }
        }
    }
    bases
}

fn align_up(v: u64, a: u64) -> u64 {
    let a = a.max(1);
    v.div_ceil(a) * a
}

/// Links the assembly into a static ELF executable (entry `_start`, else the start of `.text`).
pub fn link_executable(eng: &mut Engine) -> (Vec<u8>, Vec<u64>) {
    let bases = exec_layout(eng);
    resolve(eng, Some(&bases));
    let mut file = vec![0u8; 64 + 2 * 56];
    let (mut text_lo, mut text_hi, mut data_lo, mut data_file_hi, mut data_mem_hi) = (u64::MAX, 0, u64::MAX, 0, 0);
    let mut shdrs: Vec<[u8; 64]> = vec![[0; 64]];
    let mut shstr = vec![0u8];
    let name_off = |shstr: &mut Vec<u8>, n: &str| {
        let o = shstr.len() as u32;
        shstr.extend_from_slice(n.as_bytes());
        shstr.push(0);
        o
    };
    let mut sec_index = vec![0u16; eng.sections.len()];
    for (i, s) in eng.sections.iter().enumerate() {
        let addr = bases[i];
        let file_off = addr - EXEC_BASE;
        let size = s.size();
        let (flags, sh_type) = match s.kind {
            SectionKind::Text => (0x6, 1),
            SectionKind::ReadOnly => (0x2, 1),
            SectionKind::Data => (0x3, 1),
            SectionKind::Bss => (0x3, 8),
        };
        if s.kind != SectionKind::Bss {
            if file.len() < (file_off + size) as usize {
                file.resize((file_off + size) as usize, 0);
            }
            file[file_off as usize..(file_off + size) as usize].copy_from_slice(&s.image[..size as usize]);
        }
        match s.kind {
            SectionKind::Text | SectionKind::ReadOnly => {
                text_lo = text_lo.min(addr);
                text_hi = text_hi.max(addr + size);
            }
            SectionKind::Data => {
                data_lo = data_lo.min(addr);
                data_file_hi = data_file_hi.max(addr + size);
                data_mem_hi = data_mem_hi.max(addr + size);
            }
            SectionKind::Bss => {
                data_lo = data_lo.min(addr);
                data_mem_hi = data_mem_hi.max(addr + size);
            }
        }
        let mut sh = [0u8; 64];
        let n = name_off(&mut shstr, &s.name);
        put32(&mut sh, 0, n);
        put32(&mut sh, 4, sh_type);
        put64(&mut sh, 8, flags);
        put64(&mut sh, 16, addr);
        put64(&mut sh, 24, file_off);
        put64(&mut sh, 32, size);
        put64(&mut sh, 48, s.align);
        sec_index[i] = shdrs.len() as u16;
        shdrs.push(sh);
    }
    // Symbol table: null, then our labels.
    let mut strtab = vec![0u8];
    let mut symtab = vec![0u8; 24];
    let mut entry = None;
    let mut globals = Vec::new();
    for name in &eng.sym_order {
        let Some(sym) = eng.symbols.get(name) else { continue };
        let Some(SymDef::Label { sec, item }) = sym.def else { continue };
        if name.contains('\u{2}') || name.starts_with(".L") {
            continue;
        }
        let addr = bases[sec] + eng.sections[sec].offset_of(item);
        if name == "_start" {
            entry = Some(addr);
        }
        let mut e = [0u8; 24];
        put32(&mut e, 0, strtab.len() as u32);
        strtab.extend_from_slice(name.as_bytes());
        strtab.push(0);
        e[4] = if sym.global { 0x10 } else { 0 };
        e[6..8].copy_from_slice(&sec_index[sec].to_le_bytes());
        put64(&mut e, 8, addr);
        if sym.global { globals.push(e) } else { symtab.extend_from_slice(&e) }
    }
    let first_global = symtab.len() / 24;
    for g in globals {
        symtab.extend_from_slice(&g);
    }
    let entry = entry
        .or_else(|| eng.sections.iter().position(|s| s.name == ".text").map(|i| bases[i]))
        .unwrap_or(EXEC_BASE);
    let add_blob = |file: &mut Vec<u8>, shdrs: &mut Vec<[u8; 64]>, name: u32, ty: u32, data: &[u8], link: u32, info: u32, ent: u64, align: u64| {
        let off = align_up(file.len() as u64, align);
        file.resize(off as usize, 0);
        file.extend_from_slice(data);
        let mut sh = [0u8; 64];
        put32(&mut sh, 0, name);
        put32(&mut sh, 4, ty);
        put64(&mut sh, 24, off);
        put64(&mut sh, 32, data.len() as u64);
        put32(&mut sh, 40, link);
        put32(&mut sh, 44, info);
        put64(&mut sh, 48, align);
        put64(&mut sh, 56, ent);
        shdrs.push(sh);
    };
    let symtab_name = name_off(&mut shstr, ".symtab");
    let strtab_name = name_off(&mut shstr, ".strtab");
    let shstrtab_name = name_off(&mut shstr, ".shstrtab");
    let strtab_index = shdrs.len() as u32 + 1;
    add_blob(&mut file, &mut shdrs, symtab_name, 2, &symtab, strtab_index, first_global as u32, 24, 8);
    add_blob(&mut file, &mut shdrs, strtab_name, 3, &strtab, 0, 0, 0, 1);
    let shstrndx = shdrs.len() as u16;
    add_blob(&mut file, &mut shdrs, shstrtab_name, 3, &shstr, 0, 0, 0, 1);
    let shoff = align_up(file.len() as u64, 8);
    file.resize(shoff as usize, 0);
    for sh in &shdrs {
        file.extend_from_slice(sh);
    }
    // ELF header.
    file[0..4].copy_from_slice(b"\x7fELF");
    file[4] = 2; // 64-bit
    file[5] = 1; // little endian
    file[6] = 1; // version
    file[16..18].copy_from_slice(&2u16.to_le_bytes()); // ET_EXEC
    file[18..20].copy_from_slice(&243u16.to_le_bytes()); // EM_RISCV
    put32(&mut file, 20, 1);
    put64(&mut file, 24, entry);
    put64(&mut file, 32, 64);
    put64(&mut file, 40, shoff);
    put32(&mut file, 48, E_FLAGS);
    file[52..54].copy_from_slice(&64u16.to_le_bytes());
    file[54..56].copy_from_slice(&56u16.to_le_bytes());
    file[56..58].copy_from_slice(&2u16.to_le_bytes());
    file[58..60].copy_from_slice(&64u16.to_le_bytes());
    file[60..62].copy_from_slice(&(shdrs.len() as u16).to_le_bytes());
    file[62..64].copy_from_slice(&shstrndx.to_le_bytes());
    // Program headers: text (R+X, includes the headers) and data (R+W).
    let text_end = if text_lo == u64::MAX { EXEC_BASE + 176 } else { text_hi };
    write_phdr(&mut file, 64, 5, 0, EXEC_BASE, text_end - EXEC_BASE, text_end - EXEC_BASE);
    if data_lo == u64::MAX {
        // No writable data: an unused (PT_NULL) header.
        file[120..176].fill(0);
    } else {
        let filesz = data_file_hi.saturating_sub(data_lo);
        write_phdr(&mut file, 120, 6, data_lo - EXEC_BASE, data_lo, filesz, data_mem_hi - data_lo);
    }
    (file, bases)
}

fn write_phdr(file: &mut [u8], at: usize, flags: u32, off: u64, vaddr: u64, filesz: u64, memsz: u64) {
    put32(file, at, 1); // PT_LOAD
    put32(file, at + 4, flags);
    put64(file, at + 8, off);
    put64(file, at + 16, vaddr);
    put64(file, at + 24, vaddr);
    put64(file, at + 32, filesz);
    put64(file, at + 40, memsz);
    put64(file, at + 48, PAGE);
}

fn put32(b: &mut [u8], at: usize, v: u32) {
    b[at..at + 4].copy_from_slice(&v.to_le_bytes());
}
fn put64(b: &mut [u8], at: usize, v: u64) {
    b[at..at + 8].copy_from_slice(&v.to_le_bytes());
}
