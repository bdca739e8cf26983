//! The SingleStepTests 80286 real-mode vectors (MOO format): every file present must pass at
//! least 99.9 % of its cases. Each case runs the instruction and the HLT that follows it.

#![allow(clippy::panic, reason = "test code reports failures by panicking")]

mod common;
mod singlestep;

use wb_x86::bare::BareCpu;

/// Register order of MOO `REGS` chunks (bit n of the mask), with our numbering:
/// general registers 0..7 as (gpr, n), segments as (seg, n), then ip and flags.
#[derive(Clone, Copy)]
enum Reg {
    Gpr(usize),
    Seg(usize),
    Ip,
    Flags,
}
const ORDER: [Reg; 14] = [
    Reg::Gpr(0),
    Reg::Gpr(3),
    Reg::Gpr(1),
    Reg::Gpr(2),
    Reg::Seg(1),
    Reg::Seg(2),
    Reg::Seg(3),
    Reg::Seg(0),
    Reg::Gpr(4),
    Reg::Gpr(5),
    Reg::Gpr(6),
    Reg::Gpr(7),
    Reg::Ip,
    Reg::Flags,
];

#[derive(Default)]
struct State {
    regs: [Option<u16>; 14],
    ram: Vec<(u32, u8)>,
}

#[derive(Default)]
struct Case {
    name: String,
    init: State,
    fina: State,
    /// Address of the FLAGS word an exception pushed.
    flag_address: Option<u32>,
}

/// Iterate over the `(tag, body)` chunks of a MOO buffer.
fn chunks(mut buf: &[u8]) -> impl Iterator<Item = ([u8; 4], &[u8])> {
    std::iter::from_fn(move || {
        if buf.len() < 8 {
            return None;
        }
        let tag = [buf[0], buf[1], buf[2], buf[3]];
        let len = u32::from_le_bytes([buf[4], buf[5], buf[6], buf[7]]) as usize;
        let body = buf.get(8..8 + len)?;
        buf = &buf[8 + len..];
        Some((tag, body))
    })
}

fn u16_at(b: &[u8], at: usize) -> u16 {
    u16::from_le_bytes([b[at], b[at + 1]])
}

fn u32_at(b: &[u8], at: usize) -> u32 {
    u32::from_le_bytes([b[at], b[at + 1], b[at + 2], b[at + 3]])
}

fn parse_state(body: &[u8]) -> State {
    let mut s = State::default();
    for (tag, b) in chunks(body) {
        match &tag {
            b"REGS" => {
                let mask = u16_at(b, 0);
                let mut at = 2;
                for (bit, slot) in s.regs.iter_mut().enumerate() {
                    if mask & (1 << bit) != 0 {
                        *slot = Some(u16_at(b, at));
                        at += 2;
                    }
                }
            }
            b"RAM " => {
                let n = u32_at(b, 0) as usize;
                s.ram = (0..n)
                    .map(|i| (u32_at(b, 4 + 5 * i), b[8 + 5 * i]))
                    .collect();
            }
            _ => {}
        }
    }
    s
}

fn parse(file: &[u8]) -> Vec<Case> {
    let mut cases = Vec::new();
    for (tag, body) in chunks(file) {
        if &tag != b"TEST" {
            continue;
        }
        let mut case = Case::default();
        for (tag, b) in chunks(&body[4..]) {
            match &tag {
                b"NAME" => case.name = String::from_utf8_lossy(&b[4..]).into_owned(),
                b"INIT" => case.init = parse_state(b),
                b"FINA" => case.fina = parse_state(b),
                b"EXCP" => case.flag_address = Some(u32_at(b, 1)),
                _ => {}
            }
        }
        cases.push(case);
    }
    cases
}

fn run_case(cpu: &mut BareCpu, case: &Case, mask: u16) -> Result<(), String> {
    for (reg, v) in ORDER.iter().zip(case.init.regs) {
        let v = v.ok_or("initial state lacks a register")?;
        match *reg {
            Reg::Gpr(n) => cpu.set_gpr(n, v as u64),
            Reg::Seg(n) => cpu.set_seg(n, v),
            Reg::Ip => cpu.set_ip(v as u64),
            // Real mode cannot set IOPL/NT (or bit 15): mask the top four bits.
            Reg::Flags => cpu.set_flags((v & 0x0FFF) as u64),
        }
    }
    for &(a, v) in &case.init.ram {
        cpu.mem_mut()[a as usize & 0xFF_FFFF] = v;
    }
    for _ in 0..4 {
        cpu.step();
        if cpu.halted() {
            break;
        }
    }
    for (k, reg) in ORDER.iter().enumerate() {
        let want = case.fina.regs[k].or(case.init.regs[k]).unwrap_or(0);
        let (got, m) = match *reg {
            Reg::Gpr(n) => (cpu.gpr(n) as u16, 0xFFFF),
            Reg::Seg(n) => (cpu.seg(n), 0xFFFF),
            Reg::Ip => (cpu.ip() as u16, 0xFFFF),
            Reg::Flags => (cpu.flags() as u16, mask),
        };
        if got & m != want & m {
            return Err(format!("register {k}: got {got:#06x} want {want:#06x}"));
        }
    }
    for &(a, v) in &case.fina.ram {
        let got = cpu.mem()[a as usize & 0xFF_FFFF];
        // The FLAGS an exception pushed hold undefined bits too: mask them as the register.
        let m = match case.flag_address {
            Some(f) if a == f => mask as u8,
            Some(f) if a == f + 1 => (mask >> 8) as u8,
            _ => 0xFF,
        };
        if got & m != v & m {
            return Err(format!("ram[{a:#x}]: got {got:#04x} want {v:#04x}"));
        }
    }
    Ok(())
}

#[test]
fn singlestep_80286_real_mode_vectors() {
    let dir = common::testroms().join("x86-singlestep/80286/v1_real_mode");
    singlestep::run_suite(&dir, ".MOO.gz", |_, data, mask| {
        let mut cpu = BareCpu::new_80286();
        let mut tally = singlestep::Tally::default();
        for case in &parse(data) {
            cpu.wake();
            let result = run_case(&mut cpu, case, mask as u16);
            // Leave memory as it was for the next case.
            for &(a, _) in case.init.ram.iter().chain(&case.fina.ram) {
                cpu.mem_mut()[a as usize & 0xFF_FFFF] = 0;
            }
            tally.record(|| case.name.clone(), result);
        }
        tally
    });
}
