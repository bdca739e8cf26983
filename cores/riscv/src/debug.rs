//! Symbols and the DWARF line table of an ELF file, for the debugger.

use std::borrow::Cow;

use object::{Object, ObjectSection};
use wb_machine::{DebugInfo, LineEntry, Symbol, SymbolTable};

/// Build the debugger's view of a program from its ELF symbols and `.debug_line`.
/// Missing or malformed DWARF just means no line map.
pub fn debug_info(bytes: &[u8], symbols: Vec<Symbol>, bias: u64) -> DebugInfo {
    let (files, lines) = line_table(bytes, bias).unwrap_or_default();
    DebugInfo::new(SymbolTable::new(symbols), files, lines)
}

fn line_table(bytes: &[u8], bias: u64) -> Option<(Vec<String>, Vec<LineEntry>)> {
    let file = object::File::parse(bytes).ok()?;
    let load = |id: gimli::SectionId| -> Result<Cow<'_, [u8]>, gimli::Error> {
        Ok(file
            .section_by_name(id.name())
            .and_then(|s| s.uncompressed_data().ok())
            .unwrap_or(Cow::Borrowed(&[])))
    };
    let sections = gimli::DwarfSections::load(load).ok()?;
    let dwarf = sections.borrow(|s| gimli::EndianSlice::new(s, gimli::RunTimeEndian::Little));
    let mut files: Vec<String> = Vec::new();
    let mut lines = Vec::new();
    let mut units = dwarf.units();
    while let Ok(Some(header)) = units.next() {
        let Ok(unit) = dwarf.unit(header) else { continue };
        let Some(program) = unit.line_program.clone() else { continue };
        let comp_dir = unit.comp_dir.map(|d| d.to_string_lossy().into_owned()).unwrap_or_default();
        let mut rows = program.rows();
        while let Ok(Some((header, row))) = rows.next_row() {
            if row.end_sequence() {
                continue;
            }
            let Some(line) = row.line() else { continue };
            let Some(entry) = row.file(header) else { continue };
            let name = dwarf.attr_string(&unit, entry.path_name()).map(|s| s.to_string_lossy().into_owned()).unwrap_or_default();
            let dir = entry
                .directory(header)
                .and_then(|d| dwarf.attr_string(&unit, d).ok())
                .map(|s| s.to_string_lossy().into_owned())
                .unwrap_or_default();
            let path = join(&comp_dir, &join(&dir, &name));
            let idx = match files.iter().position(|f| *f == path) {
                Some(i) => i,
                None => {
                    files.push(path);
                    files.len() - 1
                }
            };
            lines.push(LineEntry { addr: row.address() + bias, file: idx as u32, line: line.get() as u32 });
        }
    }
    Some((files, lines))
}

fn join(dir: &str, name: &str) -> String {
    if name.starts_with('/') || dir.is_empty() {
        name.to_string()
    } else {
        format!("{}/{}", dir.trim_end_matches('/'), name)
    }
}
