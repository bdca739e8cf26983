//! A bare CPU on flat memory with no devices: the harness for conformance vectors and
//! differential tests. The PC platform is [`crate::Pc`].

use crate::cpu::{Cpu, Io, Model, Segment};

struct NullIo;

impl Io for NullIo {
    fn port_in(&mut self, _port: u16, _size: u8) -> u32 {
        0xFFFF_FFFF
    }
    fn port_out(&mut self, _port: u16, _size: u8, _value: u32) {}
}

/// A CPU with flat physical memory and no devices.
pub struct BareCpu {
    cpu: Cpu,
}

impl BareCpu {
    /// An 8086 with 1 MiB of memory (addresses wrap at 1 MiB), in real mode.
    pub fn new_8086() -> Self {
        BareCpu {
            cpu: Cpu::new(Model::I8086, 1 << 20),
        }
    }

    /// An 80286 with 16 MiB of memory, in real mode.
    pub fn new_80286() -> Self {
        let mut cpu = Cpu::new(Model::I80286, 16 << 20);
        cpu.a20_mask = 0xFF_FFFF;
        cpu.set_rflags(2);
        BareCpu { cpu }
    }

    /// True once the CPU executed HLT.
    pub fn halted(&self) -> bool {
        self.cpu.halted
    }

    /// Leave the halted state (to reuse the CPU for the next test case).
    pub fn wake(&mut self) {
        self.cpu.halted = false;
    }

    /// An x86-64 CPU in 64-bit mode with `mem_bytes` of identity-mapped memory (paging
    /// off: a harness-only state no real CPU can enter, so no page tables are needed).
    pub fn new_long(mem_bytes: usize) -> Self {
        let mut cpu = Cpu::new(Model::X86_64, mem_bytes);
        cpu.cr0 |= 1;
        cpu.efer |= 0x500;
        cpu.segs[1] = Segment {
            selector: 8,
            base: 0,
            limit: 0xFFFF_FFFF,
            attr: 0xA09B,
        };
        BareCpu { cpu }
    }

    /// General register `n` (0 = rax/ax ... 15 = r15).
    pub fn gpr(&self, n: usize) -> u64 {
        self.cpu.regs[n & 15]
    }
    pub fn set_gpr(&mut self, n: usize, v: u64) {
        self.cpu.regs[n & 15] = v;
    }
    /// Segment selector `n` (0 = es, 1 = cs, 2 = ss, 3 = ds).
    pub fn seg(&self, n: usize) -> u16 {
        self.cpu.segs[n % 6].selector
    }
    /// Load a real-mode segment register.
    pub fn set_seg(&mut self, n: usize, sel: u16) {
        self.cpu.segs[n % 6] = Segment::real(sel);
    }
    pub fn ip(&self) -> u64 {
        self.cpu.rip
    }
    pub fn set_ip(&mut self, v: u64) {
        self.cpu.rip = v;
    }
    pub fn flags(&self) -> u64 {
        self.cpu.rflags()
    }
    pub fn set_flags(&mut self, v: u64) {
        self.cpu.set_rflags(v);
    }
    pub fn mem(&self) -> &[u8] {
        &self.cpu.mem
    }
    pub fn mem_mut(&mut self) -> &mut [u8] {
        self.cpu.icache.flush();
        &mut self.cpu.mem
    }
    /// Execute one instruction (delivering any exception it raises through the IVT/IDT).
    pub fn step(&mut self) {
        self.cpu.step(&mut NullIo);
    }
}
