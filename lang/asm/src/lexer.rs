//! The tokenizer shared by the line-oriented syntaxes (GNU as, RGBDS).
//! Octo is whitespace-separated words and has its own reader in `chip8`.

use crate::diag::{Error, Loc, Result};

/// What differs between the syntaxes at the character level.
#[derive(Clone, Copy, Debug)]
pub struct LexConfig {
    /// Characters that start a comment running to the end of the line.
    pub comment: &'static [char],
    /// `$1F` is hexadecimal (RGBDS); otherwise `$` may be part of a name.
    pub dollar_hex: bool,
    /// `%0101` is binary (RGBDS); otherwise `%name` is a modifier such as `%hi`.
    pub percent_bin: bool,
    /// `1f` / `1b` are references to numeric local labels (GNU as).
    pub numeric_labels: bool,
}

#[derive(Clone, Debug, PartialEq)]
pub enum Tok {
    Ident(String),
    Num(i64),
    Str(Vec<u8>),
    /// Operator or punctuation, one to three characters.
    Punct(&'static str),
    /// `1f` or `1b`: the numeric label and its direction (true = forward).
    LocalRef(u64, bool),
}

#[derive(Clone, Debug, PartialEq)]
pub struct Token {
    pub tok: Tok,
    pub loc: Loc,
}

const PUNCTS: &[&str] = &[
    "<<", ">>", "<=", ">=", "==", "!=", "&&", "||", "(", ")", "[", "]", ",", "+", "-", "*", "/",
    "%", "&", "|", "^", "~", "!", "<", ">", ":", "=", "@", "#", "{", "}", ";",
];

fn is_ident_start(c: char, cfg: &LexConfig) -> bool {
    c.is_ascii_alphabetic() || c == '_' || c == '.' || (c == '$' && !cfg.dollar_hex) || c == '\\'
}
fn is_ident_char(c: char, cfg: &LexConfig) -> bool {
    is_ident_start(c, cfg) || c.is_ascii_digit() || c == '$' && !cfg.dollar_hex
}

/// Splits one source line into tokens. `loc` gives file and line; columns are 1-based.
pub fn lex_line(line: &str, loc: Loc, cfg: &LexConfig) -> Result<Vec<Token>> {
    let chars: Vec<char> = line.chars().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        let at = Loc { col: i as u32 + 1, ..loc };
        if c.is_whitespace() {
            i += 1;
            continue;
        }
        if cfg.comment.contains(&c) {
            break;
        }
        if c == '/' && chars.get(i + 1) == Some(&'/') {
            break;
        }
        if c == '"' {
            let (bytes, next) = lex_string(&chars, i + 1, at)?;
            out.push(Token { tok: Tok::Str(bytes), loc: at });
            i = next;
            continue;
        }
        if c == '\'' {
            // A character constant: 'a' or '\n' (GNU as also accepts a lone 'a).
            let (v, next) = lex_char(&chars, i + 1, at)?;
            out.push(Token { tok: Tok::Num(v), loc: at });
            i = next;
            continue;
        }
        if c.is_ascii_digit()
            || (cfg.dollar_hex && c == '$' && chars.get(i + 1).is_some_and(|d| d.is_ascii_hexdigit()))
            || (cfg.percent_bin && c == '%' && chars.get(i + 1).is_some_and(|d| *d == '0' || *d == '1'))
        {
            let start = i;
            i += 1;
            while i < chars.len() && (chars[i].is_ascii_alphanumeric() || chars[i] == '_') {
                i += 1;
            }
            let word: String = chars[start..i].iter().collect();
            out.push(Token { tok: parse_number(&word, at, cfg)?, loc: at });
            continue;
        }
        if c == '%' && !cfg.percent_bin && chars.get(i + 1).is_some_and(|d| d.is_ascii_alphabetic()) {
            let start = i;
            i += 1;
            while i < chars.len() && (chars[i].is_ascii_alphanumeric() || chars[i] == '_') {
                i += 1;
            }
            out.push(Token { tok: Tok::Ident(chars[start..i].iter().collect()), loc: at });
            continue;
        }
        if is_ident_start(c, cfg) {
            let start = i;
            i += 1;
            while i < chars.len() && is_ident_char(chars[i], cfg) {
                i += 1;
            }
            out.push(Token { tok: Tok::Ident(chars[start..i].iter().collect()), loc: at });
            continue;
        }
        let rest: String = chars[i..chars.len().min(i + 2)].iter().collect();
        let Some(p) = PUNCTS.iter().find(|p| rest.starts_with(**p)) else {
            return Err(Error::new(at, format!("unexpected character `{c}`")));
        };
        out.push(Token { tok: Tok::Punct(p), loc: at });
        i += p.len();
    }
    Ok(out)
}

fn parse_number(word: &str, at: Loc, cfg: &LexConfig) -> Result<Tok> {
    let bad = || Error::new(at, format!("bad number `{word}`"));
    let lower = word.to_ascii_lowercase();
    if cfg.numeric_labels
        && lower.len() > 1
        && (lower.ends_with('f') || lower.ends_with('b'))
        && lower[..lower.len() - 1].bytes().all(|b| b.is_ascii_digit())
    {
        let n = lower[..lower.len() - 1].parse::<u64>().map_err(|_| bad())?;
        return Ok(Tok::LocalRef(n, lower.ends_with('f')));
    }
    let clean: String = lower.chars().filter(|c| *c != '_').collect();
    let (digits, radix) = if let Some(h) = clean.strip_prefix("0x") {
        (h, 16)
    } else if let Some(b) = clean.strip_prefix("0b") {
        (b, 2)
    } else if let Some(h) = clean.strip_prefix('$') {
        (h, 16)
    } else if let Some(b) = clean.strip_prefix('%') {
        (b, 2)
    } else if clean.len() > 1 && clean.starts_with('0') && cfg.numeric_labels {
        (&clean[1..], 8)
    } else {
        (clean.as_str(), 10)
    };
    if digits.is_empty() {
        return Err(bad());
    }
    u64::from_str_radix(digits, radix).map(|v| Tok::Num(v as i64)).map_err(|_| bad())
}

fn escape(c: char) -> Option<u8> {
    Some(match c {
        'n' => b'\n',
        't' => b'\t',
        'r' => b'\r',
        '0' => 0,
        '\\' => b'\\',
        '"' => b'"',
        '\'' => b'\'',
        'a' => 7,
        'b' => 8,
        'f' => 12,
        'v' => 11,
        'e' => 27,
        _ => return None,
    })
}

fn lex_string(chars: &[char], mut i: usize, at: Loc) -> Result<(Vec<u8>, usize)> {
    let mut bytes = Vec::new();
    while i < chars.len() {
        let c = chars[i];
        i += 1;
        match c {
            '"' => return Ok((bytes, i)),
            '\\' => {
                let Some(&e) = chars.get(i) else { break };
                i += 1;
                if e == 'x' {
                    let start = i;
                    while i < chars.len() && i < start + 2 && chars[i].is_ascii_hexdigit() {
                        i += 1;
                    }
                    let s: String = chars[start..i].iter().collect();
                    let v = u8::from_str_radix(&s, 16)
                        .map_err(|_| Error::new(at, "bad \\x escape in string"))?;
                    bytes.push(v);
                } else if e.is_digit(8) {
                    let start = i - 1;
                    while i < chars.len() && i < start + 3 && chars[i].is_digit(8) {
                        i += 1;
                    }
                    let s: String = chars[start..i].iter().collect();
                    let v = u32::from_str_radix(&s, 8).unwrap_or(0);
                    bytes.push(v as u8);
                } else {
                    bytes.push(escape(e).ok_or_else(|| Error::new(at, format!("unknown escape `\\{e}`")))?);
                }
            }
            _ => {
                let mut buf = [0u8; 4];
                bytes.extend_from_slice(c.encode_utf8(&mut buf).as_bytes());
            }
        }
    }
    Err(Error::new(at, "unterminated string"))
}

fn lex_char(chars: &[char], i: usize, at: Loc) -> Result<(i64, usize)> {
    let Some(&c) = chars.get(i) else { return Err(Error::new(at, "unterminated character")) };
    let (v, mut next) = if c == '\\' {
        let e = *chars.get(i + 1).ok_or_else(|| Error::new(at, "unterminated character"))?;
        (escape(e).ok_or_else(|| Error::new(at, format!("unknown escape `\\{e}`")))? as i64, i + 2)
    } else {
        (c as i64, i + 1)
    };
    if chars.get(next) == Some(&'\'') {
        next += 1;
    }
    Ok((v, next))
}

#[cfg(test)]
mod tests {
    use super::*;
    const GNU: LexConfig =
        LexConfig { comment: &['#'], dollar_hex: false, percent_bin: false, numeric_labels: true };

    #[test]
    fn lexes_gnu_line() {
        let toks = lex_line("addi a0, a0, %lo(x+0x10) # c", Loc::default(), &GNU).unwrap_or_default();
        let kinds: Vec<Tok> = toks.into_iter().map(|t| t.tok).collect();
        assert_eq!(kinds[0], Tok::Ident("addi".into()));
        assert_eq!(kinds[5], Tok::Ident("%lo".into()));
        assert_eq!(kinds[9], Tok::Num(16));
        assert_eq!(kinds.len(), 11);
    }

    #[test]
    fn lexes_local_refs_and_strings() {
        let toks = lex_line("j 1f; .string \"a\\n\"", Loc::default(), &GNU).unwrap_or_default();
        assert_eq!(toks[1].tok, Tok::LocalRef(1, true));
        assert_eq!(toks[1].loc.col, 3);
    }
}
