//! 8.3 short names and VFAT long names.
use crate::fs::FsError;
use alloc::string::String;

/// Characters allowed in short names besides letters and digits.
const SPECIAL: &[u8] = b"!#$%&'()-@^_`{}~";

/// The 11-byte short name for `name` and its case flags (0x08 lower-case base, 0x10 lower-case
/// extension). Names that need a long-name entry (too long, mixed case, odd characters) are refused.
pub fn short_name(name: &str) -> Result<([u8; 11], u8), FsError> {
    let (base, ext) = match name.rfind('.') {
        Some(i) => (&name[..i], &name[i + 1..]),
        None => (name, ""),
    };
    if base.is_empty() || base.len() > 8 || ext.len() > 3 || (name.ends_with('.')) {
        return Err(FsError::InvalidName);
    }
    let mut out = [b' '; 11];
    let mut flags = 0;
    for (part, dst, flag) in [(base, 0, 0x08), (ext, 8, 0x10)] {
        let lower = part.bytes().any(|b| b.is_ascii_lowercase());
        let upper = part.bytes().any(|b| b.is_ascii_uppercase());
        if lower && upper {
            return Err(FsError::InvalidName);
        }
        if lower {
            flags |= flag;
        }
        for (i, b) in part.bytes().enumerate() {
            if !(b.is_ascii_alphanumeric() || SPECIAL.contains(&b)) {
                return Err(FsError::InvalidName);
            }
            out[dst + i] = b.to_ascii_uppercase();
        }
    }
    Ok((out, flags))
}

/// "NAME.EXT" from a directory entry, honouring the case flags.
pub fn display_short(short: &[u8; 11], case: u8) -> String {
    let part = |bytes: &[u8], lower: bool| -> String {
        let mut s: String = bytes.iter().map(|&b| b as char).collect::<String>().trim_end().into();
        if lower {
            s = s.to_ascii_lowercase();
        }
        s
    };
    let mut first = *short;
    if first[0] == 0x05 {
        first[0] = 0xE5; // 0x05 stands for a name really starting with 0xE5
    }
    let base = part(&first[..8], case & 0x08 != 0);
    let ext = part(&first[8..], case & 0x10 != 0);
    if ext.is_empty() { base } else { alloc::format!("{base}.{ext}") }
}

/// The checksum of a short name that its long-name entries carry.
pub fn lfn_checksum(short: &[u8; 11]) -> u8 {
    short.iter().fold(0u8, |sum, &b| ((sum & 1) << 7).wrapping_add(sum >> 1).wrapping_add(b))
}

/// The 13 UCS-2 characters of one long-name entry.
pub fn lfn_chars(e: &[u8]) -> [u16; 13] {
    let mut out = [0u16; 13];
    let offsets = [1, 3, 5, 7, 9, 14, 16, 18, 20, 22, 24, 28, 30];
    for (o, &at) in out.iter_mut().zip(offsets.iter()) {
        *o = u16::from_le_bytes([e[at], e[at + 1]]);
    }
    out
}

/// One long-name entry as read from a directory.
pub struct LfnPart {
    /// Sequence number (1-based; 0x40 marks the last).
    pub ord: u8,
    pub chars: [u16; 13],
    /// Checksum of the short name it belongs to.
    pub checksum: u8,
    /// (absolute LBA, byte offset) of the entry.
    pub loc: (u64, usize),
}

/// The long name from the entries before a short entry, if they are complete and match `sum`.
pub fn assemble_lfn(parts: &[LfnPart], sum: u8) -> Option<String> {
    if parts.is_empty() || parts.iter().any(|p| p.checksum != sum) {
        return None;
    }
    let mut ordered: alloc::vec::Vec<_> = parts.iter().map(|p| (p.ord & 0x1F, p.chars)).collect();
    ordered.sort_by_key(|p| p.0);
    if ordered.iter().enumerate().any(|(i, p)| usize::from(p.0) != i + 1) {
        return None;
    }
    let mut s = String::new();
    for (_, chars) in ordered {
        for c in chars {
            if c == 0 || c == 0xFFFF {
                return Some(s);
            }
            s.push(char::from_u32(u32::from(c)).unwrap_or('?'));
        }
    }
    Some(s)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_names() {
        assert_eq!(short_name("hello.txt").unwrap(), (*b"HELLO   TXT", 0x18));
        assert_eq!(short_name("README").unwrap(), (*b"README     ", 0));
        assert_eq!(short_name("a.B").unwrap(), (*b"A       B  ", 0x08));
        for bad in ["", ".x", "toolongname.txt", "a.text", "MiXed.txt", "sp ace", "a.", "a*b"] {
            assert_eq!(short_name(bad), Err(FsError::InvalidName), "{bad}");
        }
        assert_eq!(display_short(b"HELLO   TXT", 0x18), "hello.txt");
        assert_eq!(display_short(b"BIN        ", 0), "BIN");
    }

    #[test]
    fn checksum_known_value() {
        // Sum over "HELLO   TXT" computed by hand with the rotate-right rule.
        let mut sum = 0u8;
        for &b in b"HELLO   TXT" {
            sum = sum.rotate_right(1).wrapping_add(b);
        }
        assert_eq!(lfn_checksum(b"HELLO   TXT"), sum);
    }
}
