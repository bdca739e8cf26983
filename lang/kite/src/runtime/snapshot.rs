//! Saving and restoring the GC heap and values in the `wb_machine::state` payload format.
//!
//! The heap is written object by object in index order (free slots included, with their
//! free-list links), so a restored heap has every object at its old index and allocates
//! exactly as the original would: a run continued from a snapshot is indistinguishable from
//! the original, and saving it again gives the same bytes. Derived structures (the intern
//! table, map indexes) are rebuilt, not stored. Loading checks everything the engines rely
//! on (references in range and to live objects, a sound free list, unique interned strings
//! and map keys), so a damaged payload is an error, never a crash.

use wb_machine::state::{Reader, StateError, Writer};

use super::heap::{FREE_END, GcStats, Heap, MARK_NONE, MARK_PINNED, Obj};
use super::map::{Key, Map};
use super::string::{Str, str_hash};
use super::value::{GcRef, Value, tag};

fn bad(what: impl Into<String>) -> StateError {
    StateError::Mismatch(what.into())
}

pub fn write_value(w: &mut Writer, v: Value) {
    match v {
        Value::Nil => w.u8(tag::NIL),
        Value::Bool(b) => w.u8(tag::BOOL).bool(b),
        Value::Int(i) => w.u8(tag::INT).u64(i as u64),
        Value::Float(f) => w.u8(tag::FLOAT).f64(f),
        Value::Obj(r) => w.u8(tag::OBJ).u32(r.0),
        Value::Native(n) => w.u8(tag::NATIVE).u16(n),
    };
}

/// A value; object references are checked later, against the whole heap.
pub fn read_value(r: &mut Reader) -> Result<Value, StateError> {
    Ok(match r.u8()? {
        tag::NIL => Value::Nil,
        tag::BOOL => Value::Bool(r.bool()?),
        tag::INT => Value::Int(r.u64()? as i64),
        tag::FLOAT => Value::Float(r.f64()?),
        tag::OBJ => Value::Obj(GcRef(r.u32()?)),
        tag::NATIVE => {
            let n = r.u16()?;
            if n as usize >= super::builtins::NATIVES.len() {
                return Err(bad(format!("unknown built-in {n}")));
            }
            Value::Native(n)
        }
        other => return Err(bad(format!("bad value tag {other}"))),
    })
}

/// A length written as `u32`, refused when it cannot fit in what is left of the payload
/// (each element takes at least `min_bytes`), so a corrupt length cannot make us allocate.
pub fn read_len(r: &mut Reader, min_bytes: usize) -> Result<usize, StateError> {
    let n = r.u32()? as usize;
    if n.saturating_mul(min_bytes.max(1)) > r.remaining() {
        return Err(StateError::Truncated);
    }
    Ok(n)
}

const OBJ_STR: u8 = 0;
const OBJ_LIST: u8 = 1;
const OBJ_MAP: u8 = 2;
const OBJ_CLOSURE: u8 = 3;
const OBJ_CELL: u8 = 4;
const OBJ_FREE: u8 = 5;

impl Heap {
    /// Write every object, the free list, the collector's policy state and statistics (pause times excepted).
    pub fn save(&self, w: &mut Writer) {
        w.u32(self.objs.len() as u32);
        for (obj, &mark) in self.objs.iter().zip(&self.marks) {
            w.bool(mark == MARK_PINNED);
            match obj {
                Obj::Str(s) => {
                    w.u8(OBJ_STR).bytes(s.as_bytes());
                }
                Obj::List(items) => {
                    w.u8(OBJ_LIST).u32(items.len() as u32);
                    items.iter().for_each(|&v| write_value(w, v));
                }
                Obj::Map(m) => {
                    w.u8(OBJ_MAP).u32(m.len() as u32);
                    for &(k, v) in m.entries() {
                        write_value(w, k);
                        write_value(w, v);
                    }
                }
                Obj::Closure { func, upvals } => {
                    w.u8(OBJ_CLOSURE).u32(*func).u32(upvals.len() as u32);
                    upvals.iter().for_each(|u| {
                        w.u32(u.0);
                    });
                }
                Obj::Cell(v) => {
                    w.u8(OBJ_CELL);
                    write_value(w, *v);
                }
                Obj::Free(next) => {
                    w.u8(OBJ_FREE).u32(*next);
                }
            }
        }
        w.u32(self.free_head)
            .u64(self.next_gc as u64)
            .bool(self.stress)
            .bool(self.allocated_since_gc);
        let s = &self.stats;
        w.u64(s.heap_bytes as u64)
            .u64(s.peak_bytes as u64)
            .u64(s.objects as u64)
            .u64(s.collections)
            .u64(s.objects_allocated)
            .u64(s.objects_freed);
    }

    /// Read a heap written by [`Heap::save`]; `functions` is how many functions closures
    /// may name.
    pub fn load(r: &mut Reader, functions: usize) -> Result<Heap, StateError> {
        let count = read_len(r, 2)?;
        let mut heap = Heap::new(false);
        heap.objs.reserve_exact(count);
        heap.marks.reserve_exact(count);
        for _ in 0..count {
            let pinned = r.bool()?;
            let obj = match r.u8()? {
                OBJ_STR => {
                    let text =
                        std::str::from_utf8(r.blob()?).map_err(|_| bad("a string is not UTF-8"))?;
                    Obj::Str(Str::new(text))
                }
                OBJ_LIST => {
                    let n = read_len(r, 1)?;
                    let items = (0..n)
                        .map(|_| read_value(r))
                        .collect::<Result<Vec<_>, _>>()?;
                    Obj::List(items)
                }
                OBJ_MAP => {
                    let n = read_len(r, 2)?;
                    let mut map = Map::default();
                    for _ in 0..n {
                        let (k, v) = (read_value(r)?, read_value(r)?);
                        let key = Key::of(k).map_err(bad)?;
                        if map.position(key).is_some() {
                            return Err(bad("a map has a duplicate key"));
                        }
                        map.insert(key, k, v);
                    }
                    Obj::Map(Box::new(map))
                }
                OBJ_CLOSURE => {
                    let func = r.u32()?;
                    if func as usize >= functions {
                        return Err(bad(format!("closure of unknown function {func}")));
                    }
                    let n = read_len(r, 4)?;
                    let upvals = (0..n)
                        .map(|_| r.u32().map(GcRef))
                        .collect::<Result<Box<[GcRef]>, _>>()?;
                    Obj::Closure { func, upvals }
                }
                OBJ_CELL => Obj::Cell(read_value(r)?),
                OBJ_FREE => Obj::Free(r.u32()?),
                other => return Err(bad(format!("bad object kind {other}"))),
            };
            if pinned && !matches!(obj, Obj::Str(_)) {
                return Err(bad("only strings are pinned"));
            }
            heap.objs.push(obj);
            heap.marks
                .push(if pinned { MARK_PINNED } else { MARK_NONE });
        }
        heap.free_head = r.u32()?;
        heap.next_gc = usize::try_from(r.u64()?).map_err(|_| bad("collector threshold"))?;
        heap.stress = r.bool()?;
        heap.allocated_since_gc = r.bool()?;
        let read_usize = |r: &mut Reader| usize::try_from(r.u64()?).map_err(|_| bad("statistics"));
        heap.stats = GcStats {
            heap_bytes: read_usize(r)?,
            peak_bytes: read_usize(r)?,
            objects: read_usize(r)?,
            collections: r.u64()?,
            objects_allocated: r.u64()?,
            objects_freed: r.u64()?,
            // Pause times are wall-clock measurements, not state: a restored heap starts
            // timing afresh (and saving it again gives the same bytes).
            ..GcStats::default()
        };
        heap.check_and_index()?;
        Ok(heap)
    }

    /// Check a loaded heap's invariants and rebuild the intern table.
    fn check_and_index(&mut self) -> Result<(), StateError> {
        // The free list: every free slot exactly once, nothing else, no cycle.
        let free_slots = self
            .objs
            .iter()
            .filter(|o| matches!(o, Obj::Free(_)))
            .count();
        let mut seen = vec![false; self.objs.len()];
        let (mut at, mut walked) = (self.free_head, 0);
        while at != FREE_END {
            match self.objs.get(at as usize) {
                Some(Obj::Free(next)) if !seen[at as usize] => {
                    seen[at as usize] = true;
                    walked += 1;
                    at = *next;
                }
                _ => return Err(bad("the free list is broken")),
            }
        }
        if walked != free_slots {
            return Err(bad("the free list misses free slots"));
        }
        for obj in &self.objs {
            let mut ok = true;
            match obj {
                Obj::Str(_) | Obj::Free(_) => {}
                Obj::List(items) => items.iter().for_each(|&v| ok &= self.is_live_value(v)),
                Obj::Map(m) => m
                    .entries()
                    .iter()
                    .for_each(|&(k, v)| ok &= self.is_live_value(k) && self.is_live_value(v)),
                Obj::Closure { upvals, .. } => upvals
                    .iter()
                    .for_each(|&u| ok &= matches!(self.objs.get(u.index()), Some(Obj::Cell(_)))),
                Obj::Cell(v) => ok = self.is_live_value(*v),
            }
            if !ok {
                return Err(bad("an object refers to a missing object"));
            }
        }
        for i in 0..self.objs.len() {
            if let Obj::Str(s) = &self.objs[i] {
                let hash = str_hash(s.as_bytes());
                let bytes = s.as_bytes();
                let objs = &self.objs;
                let duplicate = self
                    .intern
                    .find(
                        hash,
                        |r| matches!(&objs[r.index()], Obj::Str(t) if t.as_bytes() == bytes),
                    )
                    .is_some();
                if duplicate {
                    return Err(bad("a string is stored twice"));
                }
                self.file_interned(hash, GcRef(i as u32));
            }
        }
        Ok(())
    }

    /// True unless `v` refers to an object that does not exist (out of range or freed).
    pub fn is_live_value(&self, v: Value) -> bool {
        match v {
            Value::Obj(r) => !matches!(self.objs.get(r.index()), None | Some(Obj::Free(_))),
            _ => true,
        }
    }
}
