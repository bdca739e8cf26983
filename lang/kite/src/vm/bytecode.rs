//! Kite bytecode: a register machine. Each instruction is one 8-byte `Op`; the VM runs a
//! decoded copy in which each `Op` is paired with its handler (`vm/handlers.rs`). `R[x]` is
//! register `x` of the current frame, `K[x]` a constant of the function. Comparisons are
//! conditional branches themselves (`if (R[a] < R[b]) == k then pc += off`): one dispatch
//! per test.

use crate::front::ast::Capture;
use crate::front::span::Span;
use crate::runtime::ops::FastMod;
use crate::runtime::value::Value;

pub type Reg = u8;

#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Op {
    /// R[a] = R[b]
    Move {
        a: Reg,
        b: Reg,
    },
    LoadNil {
        a: Reg,
    },
    LoadBool {
        a: Reg,
        v: bool,
    },
    /// R[a] = v (small integer)
    LoadInt {
        a: Reg,
        v: i32,
    },
    /// R[a] = K[k]
    LoadK {
        a: Reg,
        k: u32,
    },
    /// R[a] = built-in function `n`
    LoadNative {
        a: Reg,
        n: u16,
    },
    GetGlobal {
        a: Reg,
        g: u32,
    },
    /// globals[g] = R[a]
    SetGlobal {
        a: Reg,
        g: u32,
    },
    /// R[a] = captured cell `u` of the running closure, dereferenced
    GetUpval {
        a: Reg,
        u: u16,
    },
    /// captured cell `u` = R[a]
    SetUpval {
        a: Reg,
        u: u16,
    },
    /// R[a] = content of the cell in R[b]
    GetCell {
        a: Reg,
        b: Reg,
    },
    /// cell in R[a] = R[b]
    SetCell {
        a: Reg,
        b: Reg,
    },
    /// R[a] = a new cell holding R[a]
    NewCell {
        a: Reg,
    },
    /// R[a] = a closure of function `f` capturing cells as its captures say
    Closure {
        a: Reg,
        f: u32,
    },
    /// R[a] = [R[b], ..., R[b+n-1]]
    NewList {
        a: Reg,
        b: Reg,
        n: u8,
    },
    /// Append R[b], ..., R[b+n-1] to the list in R[a] (long list literals)
    Append {
        a: Reg,
        b: Reg,
        n: u8,
    },
    /// R[a] = {}
    NewMap {
        a: Reg,
    },
    Add {
        a: Reg,
        b: Reg,
        c: Reg,
    },
    Sub {
        a: Reg,
        b: Reg,
        c: Reg,
    },
    Mul {
        a: Reg,
        b: Reg,
        c: Reg,
    },
    Div {
        a: Reg,
        b: Reg,
        c: Reg,
    },
    Mod {
        a: Reg,
        b: Reg,
        c: Reg,
    },
    /// R[a] = R[b] + K[c] (and so on): the constant operand of arithmetic. `rev` marks a
    /// constant that was written on the left (`2.0 * x`), for error messages.
    AddK {
        a: Reg,
        b: Reg,
        c: u8,
        rev: bool,
    },
    SubK {
        a: Reg,
        b: Reg,
        c: u8,
    },
    MulK {
        a: Reg,
        b: Reg,
        c: u8,
        rev: bool,
    },
    DivK {
        a: Reg,
        b: Reg,
        c: u8,
    },
    ModK {
        a: Reg,
        b: Reg,
        c: u8,
    },
    /// R[a] = R[b] % d, where `d = divisors[m]` is an integer constant >= 2 (remainder by
    /// multiplication, no division instruction, when R[b] is a non-negative int)
    ModI {
        a: Reg,
        b: Reg,
        m: u16,
    },
    /// R[a] = R[b] + imm (integer immediate; `x - 1` is `AddI x, -1`)
    AddI {
        a: Reg,
        b: Reg,
        imm: i16,
    },
    Neg {
        a: Reg,
        b: Reg,
    },
    Not {
        a: Reg,
        b: Reg,
    },
    /// if (R[a] == R[b]) == k then pc += off
    Eq {
        a: Reg,
        b: Reg,
        k: bool,
        off: i16,
    },
    Lt {
        a: Reg,
        b: Reg,
        k: bool,
        off: i16,
    },
    Le {
        a: Reg,
        b: Reg,
        k: bool,
        off: i16,
    },
    /// if (R[a] == K[c]) == k then pc += off
    EqK {
        a: Reg,
        c: u16,
        k: bool,
        off: i16,
    },
    /// if (R[a] < imm) == k then pc += off (and `<=`, `>`, `>=`)
    LtI {
        a: Reg,
        imm: i16,
        k: bool,
        off: i16,
    },
    LeI {
        a: Reg,
        imm: i16,
        k: bool,
        off: i16,
    },
    GtI {
        a: Reg,
        imm: i16,
        k: bool,
        off: i16,
    },
    GeI {
        a: Reg,
        imm: i16,
        k: bool,
        off: i16,
    },
    /// if (R[a] < K[c]) == k then pc += off (number constants; and `<=`, `>`, `>=`)
    LtK {
        a: Reg,
        c: u16,
        k: bool,
        off: i16,
    },
    LeK {
        a: Reg,
        c: u16,
        k: bool,
        off: i16,
    },
    GtK {
        a: Reg,
        c: u16,
        k: bool,
        off: i16,
    },
    GeK {
        a: Reg,
        c: u16,
        k: bool,
        off: i16,
    },
    /// if truthy(R[a]) == k then pc += off
    Test {
        a: Reg,
        k: bool,
        off: i16,
    },
    /// pc += off
    Jmp {
        off: i32,
    },
    /// R[a] = R[b][R[c]]
    GetIndex {
        a: Reg,
        b: Reg,
        c: Reg,
    },
    /// R[a][R[b]] = R[c]
    SetIndex {
        a: Reg,
        b: Reg,
        c: Reg,
    },
    /// R[a] = R[b][K[k]] with a string constant key (maps; an inline cache remembers the
    /// entry position, so objects built the same way hit without hashing)
    GetField {
        a: Reg,
        b: Reg,
        k: u16,
    },
    /// R[a][K[k]] = R[c]
    SetField {
        a: Reg,
        k: u16,
        c: Reg,
    },
    /// R[a] = R[a](R[a+1], ..., R[a+n])
    Call {
        a: Reg,
        n: u8,
    },
    /// R[a] = globals[g]; then `Call a, n` (a call of a global function whose arguments
    /// cannot change the global, so reading it after them is the same)
    CallG {
        a: Reg,
        n: u8,
        g: u32,
    },
    /// return R[a]
    Return {
        a: Reg,
    },
    ReturnNil,
    /// Range loop over ints R[a]..R[a+1]: if empty jump `off`, else R[a+2] = R[a].
    ForPrep {
        a: Reg,
        off: i32,
    },
    /// R[a] += 1; if R[a] < R[a+1] { R[a+2] = R[a]; pc += off }
    ForLoop {
        a: Reg,
        off: i32,
    },
    /// Collection loop: R[a] collection, R[a+1] cursor. Next element into R[a+2] (and
    /// R[a+3] when `two`), then pc += off; falls through when exhausted.
    IterNext {
        a: Reg,
        two: bool,
        off: i32,
    },
}

const _: () = assert!(std::mem::size_of::<Op>() == 8);

/// One compiled function.
#[derive(Clone, Debug)]
pub struct Proto {
    pub name: String,
    pub arity: u8,
    /// Registers the frame needs (locals and temporaries).
    pub max_regs: u16,
    pub code: Vec<Op>,
    /// Source span of each instruction (errors, line map).
    pub spans: Vec<Span>,
    pub consts: Vec<Value>,
    /// Divisors of `ModI` instructions, with their precomputed reciprocals.
    pub divisors: Vec<FastMod>,
    pub captures: Vec<Capture>,
    /// Parameters that live in cells (boxed at entry).
    pub boxed_params: Vec<Reg>,
    /// Address of the first instruction in the program's flat bytecode address space.
    pub addr: u64,
}
