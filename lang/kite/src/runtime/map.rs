//! Kite maps: insertion-ordered hash maps (iteration order is the order keys were first
//! inserted, identical in both engines).

use std::hash::{BuildHasherDefault, Hasher};

use hashbrown::HashTable;

use super::value::Value;

/// A map key: values normalised so that `1` and `1.0` are the same key. Strings are interned,
/// so their object identity is their content.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Key(u8, u64);

impl Key {
    /// The key for `v`, or an error message for keys Kite refuses.
    pub fn of(v: Value) -> Result<Key, &'static str> {
        Ok(match v {
            Value::Nil => return Err("map key is nil"),
            Value::Bool(b) => Key(1, b as u64),
            Value::Int(i) => Key(2, i as u64),
            Value::Float(f) => {
                if f.is_nan() {
                    return Err("map key is NaN");
                }
                if f.fract() == 0.0
                    && (-9.223_372_036_854_776e18..9.223_372_036_854_776e18).contains(&f)
                {
                    Key(2, f as i64 as u64)
                } else {
                    Key(3, f.to_bits())
                }
            }
            Value::Obj(r) => Key(4, r.0 as u64),
            Value::Native(n) => Key(5, n as u64),
        })
    }
}

/// A small, fast hasher for [`Key`] (multiply-rotate, as in rustc's FxHash).
#[derive(Default, Clone, Copy)]
pub struct FxHasher(u64);

impl Hasher for FxHasher {
    #[inline]
    fn finish(&self) -> u64 {
        // A multiply leaves the low bits depending on the low input bits only; fold the
        // high half down so that hash tables (which index by the low bits) see all of it.
        self.0 ^ (self.0 >> 32)
    }
    #[inline]
    fn write(&mut self, bytes: &[u8]) {
        let mut chunks = bytes.chunks_exact(8);
        for c in &mut chunks {
            let mut word = [0u8; 8];
            word.copy_from_slice(c);
            self.write_u64(u64::from_le_bytes(word));
        }
        let rest = chunks.remainder();
        if !rest.is_empty() {
            let mut word = [0u8; 8];
            word[..rest.len()].copy_from_slice(rest);
            self.write_u64(u64::from_le_bytes(word) ^ ((rest.len() as u64) << 59));
        }
    }
    #[inline]
    fn write_u8(&mut self, i: u8) {
        self.write_u64(i as u64);
    }
    #[inline]
    fn write_u64(&mut self, i: u64) {
        self.0 = (self.0.rotate_left(5) ^ i).wrapping_mul(0x51_7c_c1_b7_27_22_0a_95);
    }
}

pub type FxBuild = BuildHasherDefault<FxHasher>;

/// The hash a key is filed under in a map's index.
#[inline]
fn key_hash(key: Key) -> u64 {
    let mut h = FxHasher::default();
    h.write_u8(key.0);
    h.write_u64(key.1);
    h.finish()
}

#[derive(Clone, Debug, Default)]
pub struct Map {
    entries: Vec<(Value, Value)>,
    /// Positions in `entries`, filed by [`key_hash`] of their key (4 bytes a slot: the
    /// keys themselves live in `entries`).
    index: HashTable<u32>,
}

impl Map {
    pub fn len(&self) -> usize {
        self.entries.len()
    }
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }
    pub fn entries(&self) -> &[(Value, Value)] {
        &self.entries
    }
    /// The position of `key`, for inline caches: entry `i` stays at `i` until a removal.
    #[inline]
    pub fn position(&self, key: Key) -> Option<usize> {
        let entries = &self.entries;
        self.index
            .find(key_hash(key), |&i| {
                entries
                    .get(i as usize)
                    .is_some_and(|e| Key::of(e.0) == Ok(key))
            })
            .map(|&i| i as usize)
    }
    #[inline]
    pub fn get(&self, key: Key) -> Option<Value> {
        self.position(key).map(|i| self.entries[i].1)
    }
    pub fn entry_at(&self, i: usize) -> Option<(Value, Value)> {
        self.entries.get(i).copied()
    }
    /// Entry `i`'s key and a mutable reference to its value.
    #[inline]
    pub fn entry_mut(&mut self, i: usize) -> Option<(&Value, &mut Value)> {
        self.entries.get_mut(i).map(|(k, v)| (&*k, v))
    }
    pub fn set_at(&mut self, i: usize, value: Value) {
        if let Some(e) = self.entries.get_mut(i) {
            e.1 = value;
        }
    }
    pub fn insert(&mut self, key: Key, k: Value, value: Value) {
        match self.position(key) {
            Some(i) => self.entries[i].1 = value,
            None => {
                let entries = &self.entries;
                self.index
                    .insert_unique(key_hash(key), entries.len() as u32, |&i| {
                        entries
                            .get(i as usize)
                            .and_then(|e| Key::of(e.0).ok())
                            .map_or(0, key_hash)
                    });
                self.entries.push((k, value));
            }
        }
    }
    /// Remove `key`; later entries move down one place (O(n), keeps the order).
    pub fn remove(&mut self, key: Key) -> Option<Value> {
        let i = self.position(key)?;
        if let Ok(entry) = self.index.find_entry(key_hash(key), |&j| j as usize == i) {
            entry.remove();
        }
        let (_, v) = self.entries.remove(i);
        for slot in self.index.iter_mut() {
            if *slot as usize > i {
                *slot -= 1;
            }
        }
        Some(v)
    }
    /// Approximate heap footprint in bytes, for GC accounting. It depends only on the
    /// number of entries, so a restored snapshot accounts exactly as the original.
    pub fn footprint(&self) -> usize {
        self.entries.len() * (32 + 10)
    }
}
