//! Symbols and the source line map, shared by every core and by our assembler and language.

/// A named address (a label, a function, an ELF symbol).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Symbol {
    pub name: String,
    pub addr: u64,
    /// Size in bytes when known (ELF functions), else 0.
    pub size: u64,
}

/// Symbols sorted by address, searchable both ways.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SymbolTable {
    sorted: Vec<Symbol>,
}

impl SymbolTable {
    pub fn new(mut symbols: Vec<Symbol>) -> Self {
        symbols.sort_by(|a, b| a.addr.cmp(&b.addr).then_with(|| a.name.cmp(&b.name)));
        SymbolTable { sorted: symbols }
    }
    pub fn iter(&self) -> impl Iterator<Item = &Symbol> {
        self.sorted.iter()
    }
    pub fn len(&self) -> usize {
        self.sorted.len()
    }
    pub fn is_empty(&self) -> bool {
        self.sorted.is_empty()
    }
    /// The symbol exactly at `addr`.
    pub fn at(&self, addr: u64) -> Option<&Symbol> {
        let i = self.sorted.partition_point(|s| s.addr < addr);
        self.sorted.get(i).filter(|s| s.addr == addr)
    }
    /// The closest symbol at or below `addr`, with the offset from it (`main+0x12`).
    pub fn containing(&self, addr: u64) -> Option<(&Symbol, u64)> {
        let i = self.sorted.partition_point(|s| s.addr <= addr);
        let sym = self.sorted.get(i.checked_sub(1)?)?;
        if sym.size != 0 && addr - sym.addr >= sym.size {
            return None;
        }
        Some((sym, addr - sym.addr))
    }
    pub fn by_name(&self, name: &str) -> Option<&Symbol> {
        self.sorted.iter().find(|s| s.name == name)
    }
    /// `name` or `name+0xOFF` for an address, when a symbol covers it.
    pub fn describe(&self, addr: u64) -> Option<String> {
        self.containing(addr).map(|(s, off)| {
            if off == 0 { s.name.clone() } else { format!("{}+{:#x}", s.name, off) }
        })
    }
}

/// One row of the line map: code from `addr` on belongs to `line` of `files[file]`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LineEntry {
    pub addr: u64,
    pub file: u32,
    /// 1-based line number.
    pub line: u32,
}

/// A resolved source position.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SourceLine<'a> {
    pub file: &'a str,
    pub line: u32,
}

/// Symbols plus the address → source line map of the loaded program.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct DebugInfo {
    pub symbols: SymbolTable,
    pub files: Vec<String>,
    lines: Vec<LineEntry>,
}

impl DebugInfo {
    pub fn new(symbols: SymbolTable, files: Vec<String>, mut lines: Vec<LineEntry>) -> Self {
        lines.sort_by_key(|l| l.addr);
        DebugInfo { symbols, files, lines }
    }
    pub fn lines(&self) -> &[LineEntry] {
        &self.lines
    }
    /// The source line whose code contains `addr` (the last row at or below it).
    pub fn line_at(&self, addr: u64) -> Option<SourceLine<'_>> {
        let i = self.lines.partition_point(|l| l.addr <= addr);
        let entry = self.lines.get(i.checked_sub(1)?)?;
        Some(SourceLine { file: self.files.get(entry.file as usize)?, line: entry.line })
    }
    /// Every address where code of `file:line` starts (for line breakpoints).
    pub fn addrs_of_line(&self, file: &str, line: u32) -> Vec<u64> {
        let Some(file_idx) = self.files.iter().position(|f| f == file) else {
            return Vec::new();
        };
        self.lines
            .iter()
            .filter(|l| l.file as usize == file_idx && l.line == line)
            .map(|l| l.addr)
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn symbols_resolve_both_ways() {
        let table = SymbolTable::new(vec![
            Symbol { name: "main".into(), addr: 0x200, size: 0 },
            Symbol { name: "draw".into(), addr: 0x240, size: 0x10 },
        ]);
        assert_eq!(table.describe(0x200).as_deref(), Some("main"));
        assert_eq!(table.describe(0x212).as_deref(), Some("main+0x12"));
        assert_eq!(table.describe(0x248).as_deref(), Some("draw+0x8"));
        assert_eq!(table.describe(0x250), None);
        assert_eq!(table.describe(0x100), None);
        assert_eq!(table.by_name("draw").map(|s| s.addr), Some(0x240));
    }

    #[test]
    fn lines_resolve_both_ways() {
        let info = DebugInfo::new(
            SymbolTable::default(),
            vec!["a.8o".into()],
            vec![
                LineEntry { addr: 0x204, file: 0, line: 3 },
                LineEntry { addr: 0x200, file: 0, line: 1 },
            ],
        );
        assert_eq!(info.line_at(0x202), Some(SourceLine { file: "a.8o", line: 1 }));
        assert_eq!(info.line_at(0x206).map(|l| l.line), Some(3));
        assert_eq!(info.line_at(0x100), None);
        assert_eq!(info.addrs_of_line("a.8o", 3), vec![0x204]);
    }
}
