//! The value representation shared by both engines (and, later, the JIT).
//!
//! A `Value` is 16 bytes with a fixed layout (`repr(C, u8)`): the tag byte at offset 0 and
//! the payload at offset 8. Integers and floats are unboxed; a type check is one byte compare,
//! which is what generated code will test before a fast path.

/// A reference to a heap object: its index in the [`super::heap::Heap`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct GcRef(pub u32);

impl GcRef {
    #[inline(always)]
    pub fn index(self) -> usize {
        self.0 as usize
    }
}

#[derive(Clone, Copy, Debug)]
#[repr(C, u8)]
pub enum Value {
    Nil = 0,
    Bool(bool) = 1,
    Int(i64) = 2,
    Float(f64) = 3,
    /// A string, list, map, closure or cell.
    Obj(GcRef) = 4,
    /// A built-in function, by index in [`super::builtins::NATIVES`].
    Native(u16) = 5,
}

/// Tag values of [`Value`], for code that switches on the raw layout (JIT, listings).
pub mod tag {
    pub const NIL: u8 = 0;
    pub const BOOL: u8 = 1;
    pub const INT: u8 = 2;
    pub const FLOAT: u8 = 3;
    pub const OBJ: u8 = 4;
    pub const NATIVE: u8 = 5;
}

const _: () = assert!(std::mem::size_of::<Value>() == 16);

impl Value {
    /// Kite truthiness: only `nil` and `false` are false.
    #[inline(always)]
    pub fn truthy(self) -> bool {
        !matches!(self, Value::Nil | Value::Bool(false))
    }
}

/// Copy a value between two slots as a tag byte and an 8-byte payload.
///
/// Values are written field by field (tag, then payload); copying them back the same way
/// lets the CPU forward those stores, where a 16-byte copy would stall on them. The
/// payload may be partly uninitialised (nil, booleans), hence `MaybeUninit`.
///
/// # Safety
/// `src` must point to a valid `Value` and `dst` to writable memory for one `Value`.
#[inline(always)]
pub unsafe fn copy_value(dst: *mut Value, src: *const Value) {
    use std::mem::MaybeUninit;
    // SAFETY: `Value` is `repr(C, u8)`: tag byte at offset 0, payload union at offset 8,
    // 16 bytes in all; the caller vouches for both pointers.
    unsafe {
        let tag = src.cast::<u8>().read();
        let payload = src.cast::<u8>().add(8).cast::<MaybeUninit<u64>>().read();
        dst.cast::<u8>().write(tag);
        dst.cast::<u8>()
            .add(8)
            .cast::<MaybeUninit<u64>>()
            .write(payload);
    }
}
