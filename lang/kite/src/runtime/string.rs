//! The string payload of heap objects: short strings inline, long ones in one exact-size box.
//!
//! Most strings a program makes are short (keys, numbers, words). Keeping them inside the
//! 32-byte heap object means no allocation of their own, no pointer to chase when the intern
//! table compares them, and nothing to free when they die.

use std::ops::Deref;

/// Longest string stored inline.
pub const INLINE_MAX: usize = 22;

/// An immutable UTF-8 string (dereferences to `str`).
#[derive(Clone)]
pub enum Str {
    Inline { len: u8, bytes: [u8; INLINE_MAX] },
    Boxed(Box<str>),
}

const _: () = assert!(std::mem::size_of::<Str>() == 24);

impl Str {
    pub fn new(s: &str) -> Str {
        if s.len() <= INLINE_MAX {
            let mut bytes = [0; INLINE_MAX];
            bytes[..s.len()].copy_from_slice(s.as_bytes());
            Str::Inline {
                len: s.len() as u8,
                bytes,
            }
        } else {
            Str::Boxed(s.into())
        }
    }

    /// Like [`Str::new`], reusing `s`'s buffer for a long string.
    pub fn from_string(s: String) -> Str {
        if s.len() <= INLINE_MAX {
            Str::new(&s)
        } else {
            Str::Boxed(s.into_boxed_str())
        }
    }
}

impl Str {
    /// The string's bytes (no UTF-8 check: the intern table compares these).
    #[inline]
    pub fn as_bytes(&self) -> &[u8] {
        match self {
            Str::Inline { len, bytes } => &bytes[..(*len as usize).min(INLINE_MAX)],
            Str::Boxed(s) => s.as_bytes(),
        }
    }
}

impl Deref for Str {
    type Target = str;
    #[inline]
    fn deref(&self) -> &str {
        match self {
            // `Str::new` copied a whole `str` (valid UTF-8) into the first `len` bytes.
            Str::Inline { len, bytes } => {
                std::str::from_utf8(&bytes[..(*len as usize).min(INLINE_MAX)]).unwrap_or_default()
            }
            Str::Boxed(s) => s,
        }
    }
}

impl std::fmt::Debug for Str {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        std::fmt::Debug::fmt(&**self, f)
    }
}

/// The hash the intern table files a string under (FxHash over its bytes).
#[inline]
pub fn str_hash(s: &[u8]) -> u64 {
    use std::hash::Hasher;
    let mut h = super::map::FxHasher::default();
    h.write(s);
    h.finish()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_and_long_strings_round_trip() {
        for s in [
            "",
            "a",
            "k123456",
            "héllo wörld",
            &"x".repeat(22),
            &"y".repeat(23),
        ] {
            assert_eq!(&*Str::new(s), s);
            assert_eq!(&*Str::from_string(s.to_string()), s);
        }
        assert!(matches!(Str::new(&"x".repeat(22)), Str::Inline { .. }));
        assert!(matches!(Str::new(&"x".repeat(23)), Str::Boxed(_)));
    }
}
