//! The lexer: source text to tokens, with diagnostics for bad characters and literals.

use super::diagnostic::Diagnostic;
use super::span::Span;
use super::token::{Tok, Token};

/// Longest identifier or literal we accept; longer ones are an error, not a memory hazard.
const MAX_TOKEN_LEN: usize = 1 << 20;

/// Split `source` into tokens. Always ends with an [`Tok::Eof`] token.
pub fn lex(source: &str) -> (Vec<Token>, Vec<Diagnostic>) {
    let mut lexer = Lexer {
        src: source.as_bytes(),
        pos: 0,
        tokens: Vec::new(),
        diags: Vec::new(),
    };
    lexer.run();
    (lexer.tokens, lexer.diags)
}

struct Lexer<'a> {
    src: &'a [u8],
    pos: usize,
    tokens: Vec<Token>,
    diags: Vec<Diagnostic>,
}

impl Lexer<'_> {
    fn peek(&self, ahead: usize) -> u8 {
        self.src.get(self.pos + ahead).copied().unwrap_or(0)
    }

    fn push(&mut self, tok: Tok, start: usize) {
        self.tokens.push(Token {
            tok,
            span: Span::new(start, self.pos),
        });
    }

    fn error(&mut self, message: impl Into<String>, start: usize, end: usize) {
        self.diags
            .push(Diagnostic::new(message, Span::new(start, end)));
    }

    fn run(&mut self) {
        while self.pos < self.src.len() {
            let start = self.pos;
            let c = self.src[self.pos];
            match c {
                b' ' | b'\t' | b'\r' | b'\n' => self.pos += 1,
                b'/' if self.peek(1) == b'/' => {
                    while self.pos < self.src.len() && self.src[self.pos] != b'\n' {
                        self.pos += 1;
                    }
                }
                b'0'..=b'9' => self.number(start),
                b'"' => self.string(start),
                c if c.is_ascii_alphabetic() || c == b'_' => {
                    while self.peek(0).is_ascii_alphanumeric() || self.peek(0) == b'_' {
                        self.pos += 1;
                    }
                    if self.pos - start > MAX_TOKEN_LEN {
                        self.error("name is too long", start, self.pos);
                    }
                    let word = std::str::from_utf8(&self.src[start..self.pos]).unwrap_or("");
                    self.push(Tok::keyword(word).unwrap_or(Tok::Ident), start);
                }
                _ => self.punct(start, c),
            }
        }
        let end = self.src.len();
        self.tokens.push(Token {
            tok: Tok::Eof,
            span: Span::new(end, end),
        });
    }

    fn punct(&mut self, start: usize, c: u8) {
        let next = self.peek(1);
        let (tok, len) = match (c, next) {
            (b'.', b'.') => (Tok::DotDot, 2),
            (b'=', b'=') => (Tok::EqEq, 2),
            (b'!', b'=') => (Tok::BangEq, 2),
            (b'<', b'=') => (Tok::LtEq, 2),
            (b'>', b'=') => (Tok::GtEq, 2),
            (b'+', b'=') => (Tok::PlusEq, 2),
            (b'-', b'=') => (Tok::MinusEq, 2),
            (b'*', b'=') => (Tok::StarEq, 2),
            (b'/', b'=') => (Tok::SlashEq, 2),
            (b'(', _) => (Tok::LParen, 1),
            (b')', _) => (Tok::RParen, 1),
            (b'{', _) => (Tok::LBrace, 1),
            (b'}', _) => (Tok::RBrace, 1),
            (b'[', _) => (Tok::LBracket, 1),
            (b']', _) => (Tok::RBracket, 1),
            (b',', _) => (Tok::Comma, 1),
            (b'.', _) => (Tok::Dot, 1),
            (b':', _) => (Tok::Colon, 1),
            (b';', _) => (Tok::Semi, 1),
            (b'+', _) => (Tok::Plus, 1),
            (b'-', _) => (Tok::Minus, 1),
            (b'*', _) => (Tok::Star, 1),
            (b'/', _) => (Tok::Slash, 1),
            (b'%', _) => (Tok::Percent, 1),
            (b'!', _) => (Tok::Bang, 1),
            (b'=', _) => (Tok::Eq, 1),
            (b'<', _) => (Tok::Lt, 1),
            (b'>', _) => (Tok::Gt, 1),
            _ => {
                // Skip the whole (possibly multi-byte) character.
                let mut end = start + 1;
                while end < self.src.len() && (self.src[end] & 0xC0) == 0x80 {
                    end += 1;
                }
                self.pos = end;
                let shown = String::from_utf8_lossy(&self.src[start..end]).into_owned();
                self.error(format!("unexpected character '{shown}'"), start, end);
                return;
            }
        };
        self.pos += len;
        self.push(tok, start);
    }

    fn number(&mut self, start: usize) {
        while self.peek(0).is_ascii_digit() || self.peek(0) == b'_' {
            self.pos += 1;
        }
        let mut float = false;
        if self.peek(0) == b'.' && self.peek(1).is_ascii_digit() {
            float = true;
            self.pos += 1;
            while self.peek(0).is_ascii_digit() || self.peek(0) == b'_' {
                self.pos += 1;
            }
        }
        if matches!(self.peek(0), b'e' | b'E') {
            let sign = usize::from(matches!(self.peek(1), b'+' | b'-'));
            if self.peek(1 + sign).is_ascii_digit() {
                float = true;
                self.pos += 1 + sign;
                while self.peek(0).is_ascii_digit() {
                    self.pos += 1;
                }
            }
        }
        let text = String::from_utf8_lossy(&self.src[start..self.pos]).replace('_', "");
        let ok = if float {
            text.len() <= MAX_TOKEN_LEN && text.parse::<f64>().is_ok_and(f64::is_finite)
        } else {
            // 2^63 is accepted here so that `-9223372036854775808` can be written; the
            // parser rejects it anywhere else.
            text.parse::<u64>().is_ok_and(|v| v <= 1 << 63)
        };
        if !ok {
            let what = if float {
                "float literal is out of range"
            } else {
                "integer literal is too large"
            };
            self.error(what, start, self.pos);
        }
        self.push(if float { Tok::Float } else { Tok::Int }, start);
    }

    fn string(&mut self, start: usize) {
        self.pos += 1;
        loop {
            match self.peek(0) {
                0 if self.pos >= self.src.len() => {
                    self.error("unterminated string", start, self.pos);
                    self.push(Tok::Str, start);
                    return;
                }
                b'"' => break,
                b'\\' => {
                    let esc = self.peek(1);
                    if !matches!(esc, b'n' | b't' | b'r' | b'\\' | b'"' | b'0') {
                        let end = (self.pos + 2).min(self.src.len());
                        self.error("unknown escape sequence", self.pos, end);
                    }
                    self.pos = (self.pos + 2).min(self.src.len());
                }
                _ => self.pos += 1,
            }
        }
        self.pos += 1;
        if self.pos - start > MAX_TOKEN_LEN {
            self.error("string literal is too long", start, self.pos);
        }
        self.push(Tok::Str, start);
    }
}

/// The value of a string literal token (quotes stripped, escapes decoded).
pub fn string_value(text: &str) -> String {
    let inner = text.strip_prefix('"').unwrap_or(text);
    let inner = inner.strip_suffix('"').unwrap_or(inner);
    let mut out = String::with_capacity(inner.len());
    let mut chars = inner.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('n') => out.push('\n'),
            Some('t') => out.push('\t'),
            Some('r') => out.push('\r'),
            Some('0') => out.push('\0'),
            Some(other) => out.push(other),
            None => {}
        }
    }
    out
}
