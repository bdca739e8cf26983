//! Lexical highlighting: comments, strings, numbers, keywords, directives, labels and
//! registers per language, plus find matches and error underlines, as an egui layout job.
//! It is a scanner, not a parser: wrong colours are possible, wrong text is not.

use std::ops::Range;
use std::path::Path;

use egui::text::{LayoutJob, TextFormat};
use egui::{Color32, FontId, Stroke};

/// The languages the editor knows.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Lang {
    Kite,
    /// CHIP-8 assembly (Octo syntax).
    Octo,
    /// Game Boy assembly (RGBDS-like).
    Sm83,
    /// RISC-V assembly (GNU as syntax).
    RiscV,
    Plain,
}

impl Lang {
    pub const ALL: [Lang; 5] = [Lang::Kite, Lang::Octo, Lang::Sm83, Lang::RiscV, Lang::Plain];

    pub fn name(self) -> &'static str {
        match self {
            Lang::Kite => "Kite",
            Lang::Octo => "Octo (CHIP-8)",
            Lang::Sm83 => "SM83 (Game Boy)",
            Lang::RiscV => "RISC-V",
            Lang::Plain => "Plain text",
        }
    }

    /// By file extension, as the assembler and the Kite CLI decide.
    pub fn from_path(path: &Path) -> Lang {
        if path.extension().and_then(|e| e.to_str()) == Some(wb_kite::FILE_EXTENSION) {
            return Lang::Kite;
        }
        match wb_asm::Isa::from_extension(path) {
            Some(wb_asm::Isa::Chip8) => Lang::Octo,
            Some(wb_asm::Isa::Sm83) => Lang::Sm83,
            Some(wb_asm::Isa::RiscV) => Lang::RiscV,
            None => Lang::Plain,
        }
    }

    /// The assembler's instruction set for an assembly language.
    pub fn isa(self) -> Option<wb_asm::Isa> {
        match self {
            Lang::Octo => Some(wb_asm::Isa::Chip8),
            Lang::Sm83 => Some(wb_asm::Isa::Sm83),
            Lang::RiscV => Some(wb_asm::Isa::RiscV),
            Lang::Kite | Lang::Plain => None,
        }
    }

    fn line_comment(self) -> &'static [&'static str] {
        match self {
            Lang::Kite => &["//"],
            Lang::Octo => &["#"],
            Lang::Sm83 => &[";"],
            Lang::RiscV => &["#", "//"],
            Lang::Plain => &[],
        }
    }

    fn keywords(self) -> &'static [&'static str] {
        match self {
            Lang::Kite => &[
                "and", "break", "continue", "else", "false", "fn", "for", "if", "in", "let", "nil",
                "not", "or", "return", "true", "while",
            ],
            Lang::Octo => &[
                "clear",
                "return",
                "jump",
                "jump0",
                "if",
                "then",
                "begin",
                "else",
                "end",
                "loop",
                "again",
                "while",
                "sprite",
                "delay",
                "buzzer",
                "key",
                "bcd",
                "save",
                "load",
                "native",
                "random",
                "hires",
                "lores",
                "scroll-down",
                "scroll-left",
                "scroll-right",
                "exit",
                "plane",
                "audio",
                "saveflags",
                "loadflags",
                "i",
            ],
            Lang::Sm83 => &[
                "section",
                "db",
                "dw",
                "dl",
                "ds",
                "incbin",
                "include",
                "equ",
                "set",
                "def",
                "macro",
                "endm",
                "rept",
                "endr",
                "if",
                "else",
                "endc",
                "rom0",
                "romx",
                "wram0",
                "hram",
                "bank",
                "export",
                "global",
                "charmap",
                "newcharmap",
            ],
            Lang::RiscV | Lang::Plain => &[],
        }
    }

    fn registers(self) -> &'static [&'static str] {
        match self {
            Lang::Sm83 => &[
                "a", "b", "c", "d", "e", "h", "l", "af", "bc", "de", "hl", "sp", "nz", "z", "nc",
            ],
            Lang::RiscV => &[
                "zero", "ra", "sp", "gp", "tp", "fp", "t0", "t1", "t2", "t3", "t4", "t5", "t6",
                "s0", "s1", "s2", "s3", "s4", "s5", "s6", "s7", "s8", "s9", "s10", "s11", "a0",
                "a1", "a2", "a3", "a4", "a5", "a6", "a7",
            ],
            Lang::Octo => &["va", "vb", "vc", "vd", "ve", "vf"],
            Lang::Kite | Lang::Plain => &[],
        }
    }
}

/// What a stretch of source is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    Plain,
    Comment,
    String,
    Number,
    Keyword,
    /// `.text`, `SECTION`-like words, Octo's `:` forms.
    Directive,
    Label,
    Register,
}

impl Kind {
    fn color(self, dark: bool) -> Color32 {
        let (d, l) = match self {
            Kind::Plain => (Color32::from_gray(220), Color32::from_gray(30)),
            Kind::Comment => (
                Color32::from_rgb(120, 150, 120),
                Color32::from_rgb(60, 120, 60),
            ),
            Kind::String => (
                Color32::from_rgb(220, 170, 110),
                Color32::from_rgb(160, 80, 20),
            ),
            Kind::Number => (
                Color32::from_rgb(170, 200, 240),
                Color32::from_rgb(20, 80, 170),
            ),
            Kind::Keyword => (
                Color32::from_rgb(200, 140, 230),
                Color32::from_rgb(130, 30, 160),
            ),
            Kind::Directive => (
                Color32::from_rgb(110, 200, 200),
                Color32::from_rgb(0, 120, 120),
            ),
            Kind::Label => (
                Color32::from_rgb(240, 220, 120),
                Color32::from_rgb(140, 110, 0),
            ),
            Kind::Register => (
                Color32::from_rgb(240, 140, 140),
                Color32::from_rgb(170, 40, 40),
            ),
        };
        if dark { d } else { l }
    }
}

/// Split `text` into kinds; the ranges cover the text in order, on character boundaries.
pub fn tokens(lang: Lang, text: &str) -> Vec<(Range<usize>, Kind)> {
    let mut out = Vec::new();
    let mut i = 0;
    while i < text.len() {
        let rest = &text[i..];
        let c = rest.chars().next().unwrap_or(' ');
        let start = i;
        let kind;
        if lang.line_comment().iter().any(|p| rest.starts_with(p)) {
            i += rest.find('\n').unwrap_or(rest.len());
            kind = Kind::Comment;
        } else if c == '"' && lang != Lang::Plain {
            let mut j = 1;
            let mut escaped = false;
            for ch in rest[1..].chars() {
                j += ch.len_utf8();
                if ch == '\n' || (ch == '"' && !escaped) {
                    break;
                }
                escaped = ch == '\\' && !escaped;
            }
            i += j;
            kind = Kind::String;
        } else if c.is_ascii_digit()
            || ((c == '$' || c == '%')
                && lang == Lang::Sm83
                && rest[1..].starts_with(|d: char| d.is_ascii_hexdigit()))
        {
            i += 1 + rest[1..]
                .find(|d: char| !(d.is_ascii_alphanumeric() || d == '_' || d == '.'))
                .unwrap_or(rest.len() - 1);
            kind = Kind::Number;
        } else if is_word_start(c)
            || (c == '.' && lang != Lang::Kite && lang != Lang::Plain)
            || (lang == Lang::Octo && c == ':')
        {
            let first = c.len_utf8();
            let len = first
                + rest[first..]
                    .find(|d: char| !is_word_char(d, lang))
                    .unwrap_or(rest.len() - first);
            let word = &rest[..len];
            i += len;
            let after = text[i..].trim_start_matches([' ', '\t']);
            let lower = word.to_ascii_lowercase();
            kind = if lang == Lang::Plain {
                Kind::Plain
            } else if word.starts_with('.') || word.starts_with(':') {
                Kind::Directive
            } else if after.starts_with(':') && lang != Lang::Kite && !after.starts_with("::") {
                Kind::Label
            } else if lang.keywords().contains(&lower.as_str()) {
                if lang == Lang::Sm83 {
                    Kind::Directive
                } else {
                    Kind::Keyword
                }
            } else if lang.registers().contains(&lower.as_str())
                || (lang == Lang::Octo
                    && lower.len() == 2
                    && lower.starts_with('v')
                    && lower.as_bytes()[1].is_ascii_hexdigit())
                || (lang == Lang::RiscV && is_numbered_reg(&lower))
            {
                Kind::Register
            } else {
                Kind::Plain
            }
        } else {
            i += c.len_utf8();
            kind = Kind::Plain;
        }
        push(&mut out, start..i, kind);
    }
    out
}

fn is_numbered_reg(w: &str) -> bool {
    (w.starts_with('x') || w.starts_with('f'))
        && w.len() > 1
        && w[1..].parse::<u8>().is_ok_and(|n| n < 32)
}

fn is_word_start(c: char) -> bool {
    c.is_alphabetic() || c == '_'
}

fn is_word_char(c: char, lang: Lang) -> bool {
    c.is_alphanumeric()
        || c == '_'
        || (lang == Lang::Octo && c == '-')
        || (lang != Lang::Kite && c == '.')
}

fn push(out: &mut Vec<(Range<usize>, Kind)>, r: Range<usize>, kind: Kind) {
    if let Some((last, k)) = out.last_mut()
        && *k == kind
        && last.end == r.start
    {
        last.end = r.end;
        return;
    }
    out.push((r, kind));
}

/// Extra marks drawn over the tokens.
#[derive(Clone, Debug, Default)]
pub struct Marks {
    /// Find matches (background).
    pub found: Vec<Range<usize>>,
    /// The current find match (stronger background).
    pub current: Option<Range<usize>>,
    /// Error spans (red wavy-looking underline).
    pub errors: Vec<Range<usize>>,
}

/// The layout job egui's text editor draws.
pub fn layout_job(
    lang: Lang,
    text: &str,
    marks: &Marks,
    font: FontId,
    dark: bool,
    wrap_width: f32,
) -> LayoutJob {
    let mut job = LayoutJob::default();
    job.wrap.max_width = wrap_width;
    // Boundaries where the format may change: token edges and mark edges.
    let mut cuts: Vec<usize> = vec![0, text.len()];
    let toks = tokens(lang, text);
    cuts.extend(toks.iter().map(|(r, _)| r.start));
    for r in marks
        .found
        .iter()
        .chain(&marks.errors)
        .chain(marks.current.iter())
    {
        cuts.push(r.start.min(text.len()));
        cuts.push(r.end.min(text.len()));
    }
    cuts.retain(|&c| text.is_char_boundary(c));
    cuts.sort_unstable();
    cuts.dedup();
    let inside =
        |ranges: &[Range<usize>], at: usize| ranges.iter().any(|r| r.start <= at && at < r.end);
    let mut tok = 0;
    for w in cuts.windows(2) {
        let (a, b) = (w[0], w[1]);
        if a == b {
            continue;
        }
        while tok + 1 < toks.len() && toks[tok].0.end <= a {
            tok += 1;
        }
        let kind = toks
            .get(tok)
            .filter(|(r, _)| r.contains(&a))
            .map_or(Kind::Plain, |t| t.1);
        let mut format = TextFormat::simple(font.clone(), kind.color(dark));
        if marks
            .current
            .as_ref()
            .is_some_and(|r| r.start <= a && a < r.end)
        {
            format.background = Color32::from_rgba_unmultiplied(255, 160, 0, 140);
        } else if inside(&marks.found, a) {
            format.background = Color32::from_rgba_unmultiplied(255, 220, 0, 60);
        }
        if inside(&marks.errors, a) {
            format.underline = Stroke::new(2.0, Color32::from_rgb(255, 60, 60));
        }
        job.append(&text[a..b], 0.0, format);
    }
    job
}
