//! Versioned save states.
//!
//! Every snapshot is wrapped in one envelope, so that the app can refuse a corrupt,
//! truncated, other-core or other-version file with a clear message before a core ever
//! sees the payload:
//!
//! ```text
//! "WBSS"  magic                      4 bytes
//! u16     envelope version (1)       little endian, like every number below
//! u8 n    core name length, then n bytes of the core's CoreInfo::name
//! u32     core state version         bumped by a core whenever its payload layout changes
//! u64     payload length, then the payload
//! u32     CRC-32 (IEEE) of everything before it
//! ```
//!
//! Cores write their payload with [`Writer`] and read it back with [`Reader`].

const MAGIC: &[u8; 4] = b"WBSS";
const ENVELOPE_VERSION: u16 = 1;

/// Why a snapshot was refused.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum StateError {
    #[error("not a Workbench save state")]
    NotAState,
    #[error("the save state is truncated")]
    Truncated,
    #[error("the save state is corrupt (checksum mismatch)")]
    Corrupt,
    #[error("this save state is for the {found} core, not {expected}")]
    WrongCore { expected: String, found: String },
    #[error("save state version {found} is not supported by this build (expects {expected})")]
    WrongVersion { expected: u32, found: u32 },
    #[error("save state envelope version {0} is not supported")]
    WrongEnvelope(u16),
    #[error("the save state does not match this machine: {0}")]
    Mismatch(String),
}

/// Wrap a core's payload in the envelope.
pub fn wrap(core: &str, version: u32, payload: &[u8]) -> Vec<u8> {
    let name = core.as_bytes();
    let name_len = name.len().min(255);
    let mut out = Vec::with_capacity(payload.len() + 32);
    out.extend_from_slice(MAGIC);
    out.extend_from_slice(&ENVELOPE_VERSION.to_le_bytes());
    out.push(name_len as u8);
    out.extend_from_slice(&name[..name_len]);
    out.extend_from_slice(&version.to_le_bytes());
    out.extend_from_slice(&(payload.len() as u64).to_le_bytes());
    out.extend_from_slice(payload);
    let crc = crc32(&out);
    out.extend_from_slice(&crc.to_le_bytes());
    out
}

/// Check the envelope and return the payload, for the named core at the given version.
pub fn unwrap<'a>(core: &str, version: u32, bytes: &'a [u8]) -> Result<&'a [u8], StateError> {
    let (found_core, found_version, payload) = inspect(bytes)?;
    if found_core != core {
        return Err(StateError::WrongCore { expected: core.to_string(), found: found_core });
    }
    if found_version != version {
        return Err(StateError::WrongVersion { expected: version, found: found_version });
    }
    Ok(payload)
}

/// Read the envelope without knowing the core: (core name, core version, payload).
pub fn inspect(bytes: &[u8]) -> Result<(String, u32, &[u8]), StateError> {
    if bytes.len() < 4 || &bytes[..4] != MAGIC {
        return Err(StateError::NotAState);
    }
    let mut r = Reader::new(&bytes[4..]);
    let envelope = r.u16()?;
    if envelope != ENVELOPE_VERSION {
        return Err(StateError::WrongEnvelope(envelope));
    }
    let name_len = r.u8()? as usize;
    let name = String::from_utf8_lossy(r.bytes(name_len)?).into_owned();
    let version = r.u32()?;
    let len = r.u64()?;
    let len = usize::try_from(len).map_err(|_| StateError::Truncated)?;
    let payload = r.bytes(len)?;
    let body_len = bytes.len() - r.remaining();
    let stored = r.u32()?;
    if r.remaining() != 0 {
        return Err(StateError::Corrupt);
    }
    if crc32(&bytes[..body_len]) != stored {
        return Err(StateError::Corrupt);
    }
    Ok((name, version, payload))
}

/// CRC-32 (IEEE 802.3, reflected, polynomial 0xEDB88320).
pub fn crc32(data: &[u8]) -> u32 {
    const TABLE: [u32; 256] = {
        let mut table = [0u32; 256];
        let mut i = 0;
        while i < 256 {
            let mut c = i as u32;
            let mut k = 0;
            while k < 8 {
                c = if c & 1 != 0 { 0xEDB8_8320 ^ (c >> 1) } else { c >> 1 };
                k += 1;
            }
            table[i] = c;
            i += 1;
        }
        table
    };
    let mut crc = !0u32;
    for &b in data {
        crc = TABLE[((crc ^ b as u32) & 0xFF) as usize] ^ (crc >> 8);
    }
    !crc
}

/// Little-endian payload writer.
#[derive(Default, Debug)]
pub struct Writer {
    buf: Vec<u8>,
}

impl Writer {
    pub fn new() -> Self {
        Self::default()
    }
    pub fn u8(&mut self, v: u8) -> &mut Self {
        self.buf.push(v);
        self
    }
    pub fn bool(&mut self, v: bool) -> &mut Self {
        self.u8(v as u8)
    }
    pub fn u16(&mut self, v: u16) -> &mut Self {
        self.buf.extend_from_slice(&v.to_le_bytes());
        self
    }
    pub fn u32(&mut self, v: u32) -> &mut Self {
        self.buf.extend_from_slice(&v.to_le_bytes());
        self
    }
    pub fn u64(&mut self, v: u64) -> &mut Self {
        self.buf.extend_from_slice(&v.to_le_bytes());
        self
    }
    pub fn u128(&mut self, v: u128) -> &mut Self {
        self.buf.extend_from_slice(&v.to_le_bytes());
        self
    }
    pub fn f64(&mut self, v: f64) -> &mut Self {
        self.u64(v.to_bits())
    }
    /// A length-prefixed byte string.
    pub fn bytes(&mut self, v: &[u8]) -> &mut Self {
        self.u64(v.len() as u64);
        self.buf.extend_from_slice(v);
        self
    }
    pub fn finish(self) -> Vec<u8> {
        self.buf
    }
}

/// Little-endian payload reader; every read fails with [`StateError::Truncated`] past the end.
#[derive(Debug)]
pub struct Reader<'a> {
    data: &'a [u8],
}

impl<'a> Reader<'a> {
    pub fn new(data: &'a [u8]) -> Self {
        Reader { data }
    }
    pub fn remaining(&self) -> usize {
        self.data.len()
    }
    fn take<const N: usize>(&mut self) -> Result<[u8; N], StateError> {
        if self.data.len() < N {
            return Err(StateError::Truncated);
        }
        let (head, rest) = self.data.split_at(N);
        self.data = rest;
        let mut out = [0u8; N];
        out.copy_from_slice(head);
        Ok(out)
    }
    pub fn u8(&mut self) -> Result<u8, StateError> {
        Ok(self.take::<1>()?[0])
    }
    pub fn bool(&mut self) -> Result<bool, StateError> {
        match self.u8()? {
            0 => Ok(false),
            1 => Ok(true),
            other => Err(StateError::Mismatch(format!("bad boolean {other}"))),
        }
    }
    pub fn u16(&mut self) -> Result<u16, StateError> {
        Ok(u16::from_le_bytes(self.take()?))
    }
    pub fn u32(&mut self) -> Result<u32, StateError> {
        Ok(u32::from_le_bytes(self.take()?))
    }
    pub fn u64(&mut self) -> Result<u64, StateError> {
        Ok(u64::from_le_bytes(self.take()?))
    }
    pub fn u128(&mut self) -> Result<u128, StateError> {
        Ok(u128::from_le_bytes(self.take()?))
    }
    pub fn f64(&mut self) -> Result<f64, StateError> {
        Ok(f64::from_bits(self.u64()?))
    }
    /// `n` raw bytes (no length prefix).
    pub fn bytes(&mut self, n: usize) -> Result<&'a [u8], StateError> {
        if self.data.len() < n {
            return Err(StateError::Truncated);
        }
        let (head, rest) = self.data.split_at(n);
        self.data = rest;
        Ok(head)
    }
    /// A length-prefixed byte string written by [`Writer::bytes`].
    pub fn blob(&mut self) -> Result<&'a [u8], StateError> {
        let n = usize::try_from(self.u64()?).map_err(|_| StateError::Truncated)?;
        self.bytes(n)
    }
    /// A length-prefixed byte string that must be exactly `into.len()` bytes long.
    pub fn blob_into(&mut self, into: &mut [u8]) -> Result<(), StateError> {
        let blob = self.blob()?;
        if blob.len() != into.len() {
            return Err(StateError::Mismatch(format!(
                "expected {} bytes, found {}",
                into.len(),
                blob.len()
            )));
        }
        into.copy_from_slice(blob);
        Ok(())
    }
    /// Fail unless every byte was consumed.
    pub fn finish(&self) -> Result<(), StateError> {
        if self.data.is_empty() {
            Ok(())
        } else {
            Err(StateError::Mismatch(format!("{} trailing bytes", self.data.len())))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn crc32_matches_the_standard_check_value() {
        assert_eq!(crc32(b"123456789"), 0xCBF4_3926);
    }

    #[test]
    fn round_trip() {
        let mut w = Writer::new();
        w.u8(1).u16(2).u32(3).u64(4).bytes(b"abc").bool(true);
        let state = wrap("chip8", 7, &w.finish());
        let payload = unwrap("chip8", 7, &state).unwrap();
        let mut r = Reader::new(payload);
        assert_eq!(r.u8().unwrap(), 1);
        assert_eq!(r.u16().unwrap(), 2);
        assert_eq!(r.u32().unwrap(), 3);
        assert_eq!(r.u64().unwrap(), 4);
        assert_eq!(r.blob().unwrap(), b"abc");
        assert!(r.bool().unwrap());
        r.finish().unwrap();
    }

    #[test]
    fn refuses_bad_states() {
        let state = wrap("gb", 1, b"payload");
        assert_eq!(unwrap("gb", 1, b"nope"), Err(StateError::NotAState));
        assert_eq!(unwrap("gb", 1, &state[..state.len() - 1]), Err(StateError::Truncated));
        let mut flipped = state.clone();
        flipped[23] ^= 1; // a payload byte
        assert_eq!(unwrap("gb", 1, &flipped), Err(StateError::Corrupt));
        assert!(matches!(unwrap("chip8", 1, &state), Err(StateError::WrongCore { .. })));
        assert!(matches!(unwrap("gb", 2, &state), Err(StateError::WrongVersion { .. })));
        for cut in 0..state.len() {
            assert!(unwrap("gb", 1, &state[..cut]).is_err());
        }
    }
}
