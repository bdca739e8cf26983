//! The garbage-collected heap: every object is allocated through [`Heap::alloc`], and a
//! precise mark-and-sweep collector frees what the roots cannot reach.
//!
//! **Invariant:** collection happens only at safepoints chosen by the engines
//! ([`Heap::wants_gc`] then [`Heap::collect`]), where every live value sits in a root the
//! engine passes in (VM registers, tree-walker value stack, globals). Allocation itself
//! never collects, so native functions can hold fresh objects in Rust locals safely.
//! Stress mode makes every safepoint after an allocation collect.

use std::time::{Duration, Instant};

use hashbrown::HashTable;

use super::map::Map;
use super::string::{Str, str_hash};
use super::value::{GcRef, Value};

/// A heap object.
#[derive(Debug)]
pub enum Obj {
    Str(Str),
    List(Vec<Value>),
    /// Boxed: keeps `Obj` at 32 bytes (lists, the most common object, are 24).
    Map(Box<Map>),
    /// A function value: the engine's function index and its captured cells.
    Closure {
        func: u32,
        upvals: Box<[GcRef]>,
    },
    /// A captured variable.
    Cell(Value),
    /// A free slot; the number is the next free slot (or `u32::MAX`).
    Free(u32),
}

impl Obj {
    fn footprint(&self) -> usize {
        std::mem::size_of::<Obj>()
            + match self {
                // A boxed string's heap block (short strings live inside the object).
                Obj::Str(Str::Boxed(s)) => s.len() + 16,
                Obj::Str(Str::Inline { .. }) => 0,
                // Lengths, not capacities: the estimate depends only on the contents, so a
                // restored snapshot collects at exactly the same points.
                Obj::List(v) => v.len() * 16,
                Obj::Map(m) => m.footprint(),
                Obj::Closure { upvals, .. } => upvals.len() * 4,
                Obj::Cell(_) | Obj::Free(_) => 0,
            }
    }
}

/// Collector statistics, for the GC panel and `--gc-stats`.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct GcStats {
    /// Estimated bytes of live objects after the last collection plus allocations since.
    pub heap_bytes: usize,
    /// Highest `heap_bytes` seen.
    pub peak_bytes: usize,
    /// Live objects now.
    pub objects: usize,
    pub collections: u64,
    pub objects_allocated: u64,
    pub objects_freed: u64,
    pub total_pause: Duration,
    pub max_pause: Duration,
    pub last_pause: Duration,
}

pub(super) const MARK_NONE: u8 = 0;
const MARK_LIVE: u8 = 1;
/// Never freed: constants of compiled code.
pub(super) const MARK_PINNED: u8 = 2;

const _: () = assert!(std::mem::size_of::<Obj>() == 32);

const FIRST_GC: usize = 4 << 20;
pub(super) const FREE_END: u32 = u32::MAX;
/// Most objects alive at once; past this, allocation reports an out-of-memory error.
pub const MAX_OBJECTS: usize = 1 << 31;

pub struct Heap {
    pub(super) objs: Vec<Obj>,
    pub(super) marks: Vec<u8>,
    pub(super) free_head: u32,
    /// Every string object, filed by [`str_hash`] of its bytes (weak: sweeping removes).
    pub(super) intern: HashTable<GcRef>,
    pub(super) next_gc: usize,
    pub(super) stress: bool,
    pub(super) allocated_since_gc: bool,
    gray: Vec<GcRef>,
    pub(super) stats: GcStats,
}

impl Heap {
    pub fn new(stress: bool) -> Heap {
        Heap {
            objs: Vec::new(),
            marks: Vec::new(),
            free_head: FREE_END,
            intern: HashTable::new(),
            next_gc: FIRST_GC,
            stress,
            allocated_since_gc: false,
            gray: Vec::new(),
            stats: GcStats::default(),
        }
    }

    pub fn stats(&self) -> &GcStats {
        &self.stats
    }

    pub fn set_stress(&mut self, stress: bool) {
        self.stress = stress;
    }

    /// The one allocation path.
    pub fn alloc(&mut self, obj: Obj) -> GcRef {
        self.allocated_since_gc = true;
        let size = obj.footprint();
        self.stats.heap_bytes += size;
        self.stats.peak_bytes = self.stats.peak_bytes.max(self.stats.heap_bytes);
        self.stats.objects += 1;
        self.stats.objects_allocated += 1;
        if self.free_head != FREE_END {
            let i = self.free_head as usize;
            if let Obj::Free(next) = self.objs[i] {
                self.free_head = next;
            }
            self.objs[i] = obj;
            self.marks[i] = MARK_NONE;
            return GcRef(i as u32);
        }
        self.objs.push(obj);
        self.marks.push(MARK_NONE);
        GcRef((self.objs.len() - 1) as u32)
    }

    /// Allocate an object that is never collected (constants of compiled code).
    pub fn alloc_pinned(&mut self, obj: Obj) -> GcRef {
        let r = self.alloc(obj);
        self.marks[r.index()] = MARK_PINNED;
        r
    }

    /// The interned string with this content (allocated when new).
    pub fn intern(&mut self, s: &str) -> GcRef {
        let hash = str_hash(s.as_bytes());
        if let Some(r) = self.find_interned(hash, s.as_bytes()) {
            return r;
        }
        let r = self.alloc(Obj::Str(Str::new(s)));
        self.file_interned(hash, r);
        r
    }

    /// Like [`Heap::intern`], taking ownership of a freshly built string.
    pub fn intern_string(&mut self, s: String) -> GcRef {
        let hash = str_hash(s.as_bytes());
        if let Some(r) = self.find_interned(hash, s.as_bytes()) {
            return r;
        }
        let r = self.alloc(Obj::Str(Str::from_string(s)));
        self.file_interned(hash, r);
        r
    }

    fn find_interned(&self, hash: u64, bytes: &[u8]) -> Option<GcRef> {
        let objs = &self.objs;
        self.intern
            .find(
                hash,
                |r| matches!(&objs[r.index()], Obj::Str(s) if s.as_bytes() == bytes),
            )
            .copied()
    }

    pub(super) fn file_interned(&mut self, hash: u64, r: GcRef) {
        let objs = &self.objs;
        self.intern
            .insert_unique(hash, r, |r| match &objs[r.index()] {
                Obj::Str(s) => str_hash(s.as_bytes()),
                _ => 0,
            });
    }

    /// Like [`Heap::intern`] but the string is never collected.
    pub fn intern_pinned(&mut self, s: &str) -> GcRef {
        let r = self.intern(s);
        self.marks[r.index()] = MARK_PINNED;
        r
    }

    pub fn str_value(&mut self, s: &str) -> Value {
        Value::Obj(self.intern(s))
    }

    #[inline(always)]
    pub fn get(&self, r: GcRef) -> &Obj {
        &self.objs[r.index()]
    }

    /// The object at `r`, if `r` is in range.
    pub fn get_checked(&self, r: GcRef) -> Option<&Obj> {
        self.objs.get(r.index())
    }

    /// The object at `r`, if `r` is in range, for writing.
    pub fn get_checked_mut(&mut self, r: GcRef) -> Option<&mut Obj> {
        self.objs.get_mut(r.index())
    }

    /// True for objects that are never collected (constants).
    pub fn is_pinned(&self, r: GcRef) -> bool {
        self.marks.get(r.index()) == Some(&MARK_PINNED)
    }

    #[inline(always)]
    pub fn get_mut(&mut self, r: GcRef) -> &mut Obj {
        &mut self.objs[r.index()]
    }

    /// The string content of `v`, if it is a string.
    #[inline]
    pub fn as_str(&self, v: Value) -> Option<&str> {
        match v {
            Value::Obj(r) => match self.get(r) {
                Obj::Str(s) => Some(&**s),
                _ => None,
            },
            _ => None,
        }
    }

    /// True when an engine should collect at its next safepoint.
    #[inline(always)]
    pub fn wants_gc(&self) -> bool {
        self.allocated_since_gc && (self.stress || self.stats.heap_bytes >= self.next_gc)
    }

    /// Mark everything reachable from `roots`, then free the rest.
    pub fn collect(&mut self, roots: impl IntoIterator<Item = Value>) {
        let start = Instant::now();
        for v in roots {
            self.mark_value(v);
        }
        while let Some(r) = self.gray.pop() {
            self.trace(r);
        }
        self.sweep();
        let pause = start.elapsed();
        self.allocated_since_gc = false;
        self.stats.collections += 1;
        self.stats.total_pause += pause;
        self.stats.max_pause = self.stats.max_pause.max(pause);
        self.stats.last_pause = pause;
        self.next_gc = (self.stats.heap_bytes * 2).max(FIRST_GC);
    }

    /// Mark one root (engines call this through [`Heap::collect`]'s iterator).
    #[inline]
    fn mark_value(&mut self, v: Value) {
        mark(&mut self.marks, &mut self.gray, v);
    }

    fn trace(&mut self, r: GcRef) {
        let (marks, gray) = (&mut self.marks, &mut self.gray);
        match &self.objs[r.index()] {
            Obj::Str(_) | Obj::Free(_) => {}
            Obj::Cell(v) => mark(marks, gray, *v),
            Obj::List(items) => items.iter().for_each(|&v| mark(marks, gray, v)),
            Obj::Map(m) => {
                for &(k, v) in m.entries() {
                    mark(marks, gray, k);
                    mark(marks, gray, v);
                }
            }
            Obj::Closure { upvals, .. } => upvals
                .iter()
                .for_each(|&u| mark(marks, gray, Value::Obj(u))),
        }
    }

    fn sweep(&mut self) {
        let mut live_bytes = 0;
        let mut live = 0;
        for i in 0..self.objs.len() {
            if matches!(self.objs[i], Obj::Free(_)) {
                self.marks[i] = MARK_NONE;
                continue;
            }
            match self.marks[i] {
                MARK_LIVE => {
                    self.marks[i] = MARK_NONE;
                    live_bytes += self.objs[i].footprint();
                    live += 1;
                }
                MARK_PINNED => {
                    live_bytes += self.objs[i].footprint();
                    live += 1;
                }
                _ => {
                    let old = std::mem::replace(&mut self.objs[i], Obj::Free(self.free_head));
                    self.free_head = i as u32;
                    if let Obj::Str(s) = old {
                        let dead = GcRef(i as u32);
                        if let Ok(entry) = self
                            .intern
                            .find_entry(str_hash(s.as_bytes()), |&r| r == dead)
                        {
                            entry.remove();
                        }
                    }
                    self.stats.objects_freed += 1;
                }
            }
        }
        self.stats.heap_bytes = live_bytes;
        self.stats.objects = live;
    }
}

#[inline]
fn mark(marks: &mut [u8], gray: &mut Vec<GcRef>, v: Value) {
    if let Value::Obj(r) = v {
        let m = &mut marks[r.index()];
        if *m == MARK_NONE {
            *m = MARK_LIVE;
            gray.push(r);
        }
    }
}
