//! wb-asm: one assembler engine with a table per ISA (CHIP-8 in Octo syntax, SM83 in an
//! RGBDS-like syntax, RISC-V RV64GC in GNU as syntax), producing the output file, a listing,
//! and the symbol + line map the debugger steps with.
//!
//! ```
//! let out = wb_asm::assemble_str("t.8o", ": main v0 := 1 ;", wb_asm::Isa::Chip8,
//!     wb_asm::OutputKind::Default, &|_| Err(std::io::ErrorKind::NotFound.into()));
//! assert_eq!(out.map(|a| a.bytes).ok(), Some(vec![0x60, 0x01, 0x00, 0xEE]));
//! ```

mod chip8;
mod diag;
mod engine;
mod expr;
mod lexer;
mod preproc;
mod riscv;
mod sm83;
mod source;

use std::path::Path;

pub use diag::Diagnostic;
use engine::Engine;
use source::Sources;

/// The instruction sets we assemble for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Isa {
    Chip8,
    Sm83,
    RiscV,
}

impl Isa {
    /// `chip8`, `sm83` (also `gb`), `riscv` (also `rv64`).
    pub fn from_name(s: &str) -> Option<Isa> {
        match s.to_ascii_lowercase().as_str() {
            "chip8" | "chip-8" | "octo" | "schip" | "xochip" => Some(Isa::Chip8),
            "sm83" | "gb" | "gbz80" => Some(Isa::Sm83),
            "riscv" | "rv64" | "riscv64" | "rv64gc" => Some(Isa::RiscV),
            _ => None,
        }
    }

    /// `.8o`/`.ch8asm` → CHIP-8; `.asm`/`.sm83`/`.z80`/`.gbasm` → SM83; `.s`/`.S` → RISC-V.
    pub fn from_extension(path: &Path) -> Option<Isa> {
        let ext = path.extension()?.to_str()?;
        match ext {
            "8o" | "ch8asm" => Some(Isa::Chip8),
            "asm" | "sm83" | "z80" | "gbasm" => Some(Isa::Sm83),
            "s" | "S" => Some(Isa::RiscV),
            _ => None,
        }
    }
}

/// What to produce. Only RISC-V distinguishes: an ELF object by default, or a linked
/// static executable. CHIP-8 always gives a raw ROM and SM83 a Game Boy ROM.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum OutputKind {
    #[default]
    Default,
    Object,
    Executable,
}

/// A successful assembly.
#[derive(Clone, Debug)]
pub struct Assembled {
    /// The output file's bytes.
    pub bytes: Vec<u8>,
    /// Address, bytes and source of each line.
    pub listing: String,
    /// Symbols and the address → line map.
    pub debug: wb_machine::DebugInfo,
}

/// Assembles a file, reading includes relative to its directory (nested includes too are
/// relative to the main file's directory).
pub fn assemble_file(path: &Path, isa: Isa, kind: OutputKind) -> Result<Assembled, Vec<Diagnostic>> {
    let name = path.display().to_string();
    let source = std::fs::read(path).map_err(|e| {
        vec![Diagnostic { file: name.clone(), line: 0, column: 0, message: format!("cannot read: {e}") }]
    })?;
    let source = String::from_utf8_lossy(&source).to_string();
    let dir = path.parent().map(Path::to_path_buf).unwrap_or_default();
    let include = move |inc: &str| -> std::io::Result<String> {
        let bytes = std::fs::read(dir.join(inc))?;
        Ok(String::from_utf8_lossy(&bytes).to_string())
    };
    assemble_str(&name, &source, isa, kind, &include)
}

/// Assembles `source` (named `name` in diagnostics); `include` reads included files.
pub fn assemble_str(
    name: &str,
    source: &str,
    isa: Isa,
    kind: OutputKind,
    include: &dyn Fn(&str) -> std::io::Result<String>,
) -> Result<Assembled, Vec<Diagnostic>> {
    let eng = Engine::new(Sources::new(name, source, include));
    match isa {
        Isa::Chip8 => chip8::assemble(eng),
        Isa::Sm83 => sm83::assemble(eng),
        Isa::RiscV => riscv::assemble(eng, kind),
    }
}

/// Turns the engine's errors into diagnostics, or packages the output.
fn finish(eng: Engine, bytes: Vec<u8>, base_of: &dyn Fn(usize) -> u64) -> Result<Assembled, Vec<Diagnostic>> {
    if !eng.errors.is_empty() {
        let mut diags: Vec<Diagnostic> = eng
            .errors
            .iter()
            .map(|e| Diagnostic {
                file: eng.sources.names.get(e.loc.file as usize).cloned().unwrap_or_default(),
                line: e.loc.line,
                column: e.loc.col,
                message: e.message.clone(),
            })
            .collect();
        diags.dedup();
        return Err(diags);
    }
    Ok(Assembled { listing: eng.listing(base_of), debug: eng.debug_info(base_of), bytes })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn isa_from_name_and_extension() {
        assert_eq!(Isa::from_name("chip8"), Some(Isa::Chip8));
        assert_eq!(Isa::from_name("SM83"), Some(Isa::Sm83));
        assert_eq!(Isa::from_name("riscv"), Some(Isa::RiscV));
        assert_eq!(Isa::from_name("6502"), None);
        assert_eq!(Isa::from_extension(Path::new("a/demo.8o")), Some(Isa::Chip8));
        assert_eq!(Isa::from_extension(Path::new("x.ch8asm")), Some(Isa::Chip8));
        assert_eq!(Isa::from_extension(Path::new("hello.asm")), Some(Isa::Sm83));
        assert_eq!(Isa::from_extension(Path::new("hello.z80")), Some(Isa::Sm83));
        assert_eq!(Isa::from_extension(Path::new("start.S")), Some(Isa::RiscV));
        assert_eq!(Isa::from_extension(Path::new("start.s")), Some(Isa::RiscV));
        assert_eq!(Isa::from_extension(Path::new("README")), None);
    }

    #[test]
    fn diagnostic_displays_like_a_compiler() {
        let d = Diagnostic { file: "a.s".into(), line: 3, column: 7, message: "bad".into() };
        assert_eq!(d.to_string(), "a.s:3:7: error: bad");
    }

    #[test]
    fn missing_file_is_a_diagnostic() {
        let r = assemble_file(Path::new("/nonexistent/x.s"), Isa::RiscV, OutputKind::Object);
        assert!(r.is_err_and(|d| d[0].message.contains("cannot read")));
    }
}
