//! A test-only assembler for the RGBDS-style subset `roms/gb/demo.asm` uses, until the
//! project's own assembler (lang/asm) takes over. Instruction encodings are not typed in here:
//! they are learned by disassembling every opcode with our core's disassembler and turning the
//! immediates into placeholders, so the assembler and the disassembler agree by construction.
//!
//! Supported: `DEF NAME EQU expr`, `SECTION "name", ROM0[$addr]`, `label:`, `db`, `dw`, `ds`,
//! expressions of numbers (`$hex`, `%bin`, decimal, `"c"`), symbols, `+`, `-`, and `LOW()`/`HIGH()`.
#![allow(dead_code)]

use std::collections::HashMap;

use wb_gb::GameBoy;
use wb_machine::Machine;

/// One encoding: opcode bytes, operand pattern (with `{n8}` `{n16}` `{a8}` `{e8}` `{rel}`).
struct Form {
    prefix: Vec<u8>,
    pattern: String,
}

fn forms() -> Vec<Form> {
    let rom = crate::rom_builder::rom("ASM", 0, 0, 0, &[]);
    let mut gb = GameBoy::new(&rom, None).expect("builder ROM");
    let mut out = Vec::new();
    let mut learn = |gb: &mut GameBoy, prefix: Vec<u8>| {
        let mut bytes = prefix.clone();
        bytes.extend_from_slice(&[0xAB, 0xCD]);
        for (i, b) in bytes.iter().enumerate() {
            gb.poke(0, 0xC000 + i as u64, *b).expect("wram");
        }
        let line = &gb.disassemble(0xC000, 1)[0];
        if line.text.starts_with("db ") {
            return;
        }
        let rel = format!("${:04x}", 0xC002u16.wrapping_add(0xABu8 as i8 as u16));
        let pattern = line
            .text
            .replace(&rel, "{rel}")
            .replace("$cdab", "{n16}")
            .replace("$ffab", "{a8}")
            .replace("sp-85", "sp+{e8}")
            .replace("sp, -85", "sp, {e8}")
            .replace("$ab", "{n8}");
        out.push(Form { prefix, pattern });
    };
    for op in 0..=255u8 {
        if op != 0xCB {
            learn(&mut gb, vec![op]);
        }
    }
    // CB-prefixed: the second byte is the opcode, so learn them with that byte fixed.
    for op in 0..=255u8 {
        for (i, b) in [0xCB, op].iter().enumerate() {
            gb.poke(0, 0xC000 + i as u64, *b).expect("wram");
        }
        let text = gb.disassemble(0xC000, 1)[0].text.clone();
        out.push(Form {
            prefix: vec![0xCB, op],
            pattern: text,
        });
    }
    out
}

const RESERVED: [&str; 20] = [
    "a", "b", "c", "d", "e", "h", "l", "af", "bc", "de", "hl", "sp", "nz", "z", "nc", "[hl]",
    "[hl+]", "[hl-]", "[bc]", "[de]",
];

struct Asm {
    forms: Vec<Form>,
    symbols: HashMap<String, i64>,
    out: Vec<u8>,
    pc: usize,
    final_pass: bool,
}

impl Asm {
    fn eval(&self, expr: &str) -> Result<i64, String> {
        let expr = expr.trim();
        // Split on top-level + and - (left to right).
        let mut depth = 0;
        let bytes = expr.as_bytes();
        for i in (1..bytes.len()).rev() {
            match bytes[i] {
                b')' => depth += 1,
                b'(' => depth -= 1,
                b'+' | b'-' if depth == 0 => {
                    let l = self.eval(&expr[..i])?;
                    let r = self.eval(&expr[i + 1..])?;
                    return Ok(if bytes[i] == b'+' { l + r } else { l - r });
                }
                _ => {}
            }
        }
        if let Some(neg) = expr.strip_prefix('-') {
            return Ok(-self.eval(neg)?);
        }
        if let Some(inner) = expr.strip_prefix("LOW(").and_then(|s| s.strip_suffix(')')) {
            return Ok(self.eval(inner)? & 0xFF);
        }
        if let Some(inner) = expr.strip_prefix("HIGH(").and_then(|s| s.strip_suffix(')')) {
            return Ok((self.eval(inner)? >> 8) & 0xFF);
        }
        if let Some(h) = expr.strip_prefix('$') {
            return i64::from_str_radix(h, 16).map_err(|e| format!("{expr}: {e}"));
        }
        if let Some(b) = expr.strip_prefix('%') {
            return i64::from_str_radix(b, 2).map_err(|e| format!("{expr}: {e}"));
        }
        if let Some(c) = expr.strip_prefix('"').and_then(|s| s.strip_suffix('"')) {
            return c
                .bytes()
                .next()
                .map(i64::from)
                .ok_or_else(|| "empty char".to_string());
        }
        if expr.starts_with(|c: char| c.is_ascii_digit()) {
            return expr.parse().map_err(|e| format!("{expr}: {e}"));
        }
        match self.symbols.get(expr) {
            Some(v) => Ok(*v),
            None if !self.final_pass => Ok(0),
            None => Err(format!("unknown symbol {expr}")),
        }
    }

    fn emit(&mut self, b: u8) {
        if self.out.len() <= self.pc {
            self.out.resize(self.pc + 1, 0);
        }
        self.out[self.pc] = b;
        self.pc += 1;
    }

    fn instruction(&mut self, mnemonic: &str, operands: &[String]) -> Result<(), String> {
        // Try each form; literal operands must match exactly, placeholders take expressions.
        let mut best: Option<(usize, Vec<(String, String)>)> = None;
        'forms: for (fi, form) in self.forms.iter().enumerate() {
            let (m, rest) = form.pattern.split_once(' ').unwrap_or((&form.pattern, ""));
            if m != mnemonic {
                continue;
            }
            let pats: Vec<&str> = if rest.is_empty() {
                vec![]
            } else {
                rest.split(", ").collect()
            };
            if pats.len() != operands.len() {
                continue;
            }
            let mut binds = Vec::new();
            for (p, o) in pats.iter().zip(operands) {
                if let Some(i) = p.find('{') {
                    let j = p.find('}').unwrap_or(p.len() - 1);
                    let (pre, post) = (&p[..i], &p[j + 1..]);
                    let Some(inner) = o.strip_prefix(pre).and_then(|s| s.strip_suffix(post)) else {
                        continue 'forms;
                    };
                    let inner_t = inner.trim();
                    if RESERVED.contains(&inner_t) || inner_t.is_empty() || inner_t.starts_with('[')
                    {
                        continue 'forms;
                    }
                    binds.push((p[i..=j].to_string(), inner.to_string()));
                } else if *p != o.as_str() {
                    continue 'forms;
                }
            }
            if best.as_ref().is_none_or(|(_, b)| binds.len() < b.len()) {
                best = Some((fi, binds));
            }
        }
        let (fi, binds) =
            best.ok_or_else(|| format!("no encoding for `{mnemonic} {}`", operands.join(", ")))?;
        let prefix = self.forms[fi].prefix.clone();
        let start = self.pc;
        for b in prefix {
            self.emit(b);
        }
        for (kind, expr) in binds {
            let v = self.eval(&expr)?;
            match kind.as_str() {
                "{n8}" => self.emit(v as u8),
                "{e8}" => self.emit(v as i8 as u8),
                "{a8}" => {
                    if self.final_pass && !(0xFF00..=0xFFFF).contains(&v) {
                        return Err(format!("ldh address {v:#x} outside $ff00-$ffff"));
                    }
                    self.emit(v as u8)
                }
                "{n16}" => {
                    self.emit(v as u8);
                    self.emit((v >> 8) as u8);
                }
                _ => {
                    let off = v - (start as i64 + 2);
                    if self.final_pass && !(-128..=127).contains(&off) {
                        return Err(format!("jr target out of range ({off})"));
                    }
                    self.emit(off as i8 as u8)
                }
            }
        }
        Ok(())
    }

    fn line(&mut self, raw: &str) -> Result<(), String> {
        let mut line = raw.split(';').next().unwrap_or("").trim().to_string();
        if line.is_empty() {
            return Ok(());
        }
        if let Some(rest) = line.strip_prefix("DEF ") {
            let (name, value) = rest
                .split_once(" EQU ")
                .ok_or("expected DEF NAME EQU value")?;
            let v = self.eval(value)?;
            self.symbols.insert(name.trim().to_string(), v);
            return Ok(());
        }
        if let Some(rest) = line.strip_prefix("SECTION ") {
            let open = rest.find('[').ok_or("SECTION needs [address]")?;
            let close = rest.find(']').ok_or("SECTION needs [address]")?;
            self.pc = self.eval(&rest[open + 1..close])? as usize;
            return Ok(());
        }
        if let Some((label, rest)) = line.split_once(':')
            && !label.contains(' ')
            && !label.contains('"')
        {
            let pc = self.pc as i64;
            if !self.final_pass && self.symbols.insert(label.to_string(), pc).is_some() {
                return Err(format!("label {label} defined twice"));
            }
            line = rest.trim().to_string();
            if line.is_empty() {
                return Ok(());
            }
        }
        let (mnemonic, rest) = line.split_once(char::is_whitespace).unwrap_or((&line, ""));
        let operands: Vec<String> = if rest.trim().is_empty() {
            vec![]
        } else {
            rest.split(',').map(|s| s.trim().to_string()).collect()
        };
        match mnemonic {
            "db" => {
                for o in &operands {
                    if let Some(s) = o.strip_prefix('"').and_then(|s| s.strip_suffix('"')) {
                        for b in s.bytes() {
                            self.emit(b);
                        }
                    } else {
                        let v = self.eval(o)?;
                        self.emit(v as u8);
                    }
                }
            }
            "dw" => {
                for o in &operands {
                    let v = self.eval(o)?;
                    self.emit(v as u8);
                    self.emit((v >> 8) as u8);
                }
            }
            "ds" => {
                let n = self.eval(operands.first().ok_or("ds needs a size")?)?;
                for _ in 0..n {
                    self.emit(0);
                }
            }
            _ => self.instruction(mnemonic, &operands)?,
        }
        Ok(())
    }
}

/// Assemble `source` into a 32 KiB image (no header fix-up). Errors name the line.
pub fn assemble(source: &str) -> Result<(Vec<u8>, HashMap<String, i64>), String> {
    let mut asm = Asm {
        forms: forms(),
        symbols: HashMap::new(),
        out: vec![0; 0x8000],
        pc: 0,
        final_pass: false,
    };
    for pass in 0..2 {
        asm.final_pass = pass == 1;
        asm.pc = 0;
        for (n, line) in source.lines().enumerate() {
            asm.line(line)
                .map_err(|e| format!("line {}: {e}\n  {}", n + 1, line.trim()))?;
        }
    }
    Ok((asm.out, asm.symbols))
}
