//! Whole-VM snapshots: heap, globals, live registers, call frames and the instruction
//! count, in the `wb_machine::state` payload format (the machine wraps them in the
//! envelope and adds its output and error).
//!
//! Compiled code is not stored: a snapshot belongs to one program, identified by a CRC of
//! its source and checked on load (its constants must be the heap's pinned strings). The
//! registers stored are those below [`Vm::extent`], which the collector treats as roots;
//! the stack above is dead (a new call nils its window) and comes back shorter. Inline
//! caches are not stored either: they only speed lookups up.

use wb_machine::state::{Reader, StateError, Writer, crc32};

use super::interp::{CallFrame, Vm};
use crate::runtime::heap::{Heap, Obj};
use crate::runtime::snapshot::{read_len, read_value, write_value};
use crate::runtime::value::{GcRef, Value};

fn bad(what: impl Into<String>) -> StateError {
    StateError::Mismatch(what.into())
}

/// Write `vm`, which runs the program compiled from `source`.
pub fn save(vm: &Vm, source: &str, w: &mut Writer) {
    w.u32(crc32(source.as_bytes()))
        .u32(vm.protos.len() as u32)
        .u64(vm.retired);
    vm.rt.heap.save(w);
    w.u32(vm.rt.globals.len() as u32);
    vm.rt.globals.iter().for_each(|&v| write_value(w, v));
    let top = vm.extent();
    w.u32(top as u32);
    vm.stack[..top].iter().for_each(|&v| write_value(w, v));
    w.u32(vm.frames.len() as u32);
    for f in &vm.frames {
        w.u32(f.proto).u32(f.pc as u32).u32(f.base as u32);
        match f.closure {
            Some(c) => w.bool(true).u32(c.0),
            None => w.bool(false),
        };
    }
    w.bytes(&vm.rt.out);
}

/// Restore a snapshot written by [`save`] into `vm`, a VM freshly loaded with the program
/// compiled from `source`. On error `vm` is unchanged.
pub fn load(vm: &mut Vm, source: &str, r: &mut Reader) -> Result<(), StateError> {
    if r.u32()? != crc32(source.as_bytes()) {
        return Err(bad("the save state is of another program"));
    }
    if r.u32()? as usize != vm.protos.len() {
        return Err(bad("the save state's program has other functions"));
    }
    let retired = r.u64()?;
    let heap = Heap::load(r, vm.protos.len())?;
    check_constants(vm, &heap)?;
    let live = |v: Value| -> Result<Value, StateError> {
        if heap.is_live_value(v) {
            Ok(v)
        } else {
            Err(bad("a value refers to a missing object"))
        }
    };

    let n = read_len(r, 1)?;
    if n != vm.rt.globals.len() {
        return Err(bad("the save state's program has other globals"));
    }
    let globals = (0..n)
        .map(|_| read_value(r).and_then(live))
        .collect::<Result<Vec<_>, _>>()?;
    let top = read_len(r, 1)?;
    let mut stack = (0..top)
        .map(|_| read_value(r).and_then(live))
        .collect::<Result<Vec<_>, _>>()?;

    let n = read_len(r, 13)?;
    let mut frames = Vec::with_capacity(n);
    for _ in 0..n {
        let (proto, pc, base) = (r.u32()?, r.u32()? as usize, r.u32()? as usize);
        let closure = if r.bool()? {
            Some(GcRef(r.u32()?))
        } else {
            None
        };
        let Some(p) = vm.protos.get(proto as usize) else {
            return Err(bad(format!("a frame runs unknown function {proto}")));
        };
        // The dispatch loop reads code and registers unchecked: every frame must have its
        // instruction and its whole register window in range.
        if pc >= p.code.len() || base == 0 {
            return Err(bad("a frame is out of range"));
        }
        if let Some(c) = closure
            && !matches!(heap.get_checked(c), Some(Obj::Closure { .. }))
        {
            return Err(bad("a frame's closure is not a function"));
        }
        let end = base + p.max_regs as usize;
        if stack.len() < end {
            stack.resize(end, Value::Nil);
        }
        frames.push(CallFrame {
            proto,
            pc,
            base,
            closure,
        });
    }
    if stack.len() != top {
        return Err(bad("the stored registers do not match the frames"));
    }
    let out = r.blob()?.to_vec();

    vm.rt.heap = heap;
    vm.rt.globals = globals;
    vm.rt.out = out;
    vm.stack = stack;
    vm.frames = frames;
    vm.retired = retired;
    Ok(())
}

/// The program's constants must be the snapshot's pinned strings, at the same indices.
fn check_constants(vm: &Vm, heap: &Heap) -> Result<(), StateError> {
    for p in &vm.protos {
        for &c in &p.consts {
            if let Value::Obj(r) = c {
                let same = match (vm.rt.heap.get_checked(r), heap.get_checked(r)) {
                    (Some(Obj::Str(a)), Some(Obj::Str(b))) => a.as_bytes() == b.as_bytes(),
                    _ => false,
                };
                if !same || !heap.is_pinned(r) {
                    return Err(bad("the save state's constants differ from the program's"));
                }
            }
        }
    }
    Ok(())
}
