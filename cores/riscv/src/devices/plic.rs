//! The platform-level interrupt controller of QEMU's virt board (SiFive PLIC layout) for
//! one hart: context 0 is its M mode, context 1 its S mode. Sources are level-sensitive:
//! a source asks while its device's line is high; a claim hides it from every context
//! until the matching complete.

use wb_machine::StateError;
use wb_machine::state::{Reader, Writer};

pub const PLIC_BASE: u64 = 0x0c00_0000;
pub const PLIC_SIZE: u64 = 0x0400_0000;
/// Source ids are 1..SOURCES (0 means "no interrupt").
pub const SOURCES: usize = 64;
/// The two contexts of hart 0.
pub const CONTEXTS: usize = 2;
/// The 16550 UART's source on QEMU's virt board.
pub const UART_IRQ: u32 = 10;

const PRIORITY_MASK: u32 = 7;
const PENDING: u64 = 0x1000;
const ENABLE: u64 = 0x2000;
const ENABLE_STRIDE: u64 = 0x80;
const CONTEXT: u64 = 0x20_0000;
const CONTEXT_STRIDE: u64 = 0x1000;

/// The PLIC's registers. Device lines (`levels`, bit n = source n) are passed in by the
/// caller on each access, so the PLIC holds no copy of device state.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Plic {
    priority: [u32; SOURCES],
    enable: [u64; CONTEXTS],
    threshold: [u32; CONTEXTS],
    /// Claimed and not yet completed.
    claimed: u64,
}

impl Default for Plic {
    fn default() -> Plic {
        Plic { priority: [0; SOURCES], enable: [0; CONTEXTS], threshold: [0; CONTEXTS], claimed: 0 }
    }
}

/// Which register an offset inside the PLIC names.
enum Reg {
    Priority(usize),
    /// Word `0` or `1` of the pending bits.
    Pending(usize),
    Enable(usize, usize),
    Threshold(usize),
    Claim(usize),
    None,
}

fn decode(off: u64) -> Reg {
    let word = |base: u64| ((off - base) / 4) as usize;
    match off {
        0..PENDING if (off as usize / 4) < SOURCES => Reg::Priority(off as usize / 4),
        PENDING..=0x1007 => Reg::Pending(word(PENDING)),
        ENABLE..CONTEXT => {
            let ctx = ((off - ENABLE) / ENABLE_STRIDE) as usize;
            let w = (((off - ENABLE) % ENABLE_STRIDE) / 4) as usize;
            if ctx < CONTEXTS && w < 2 { Reg::Enable(ctx, w) } else { Reg::None }
        }
        CONTEXT.. => {
            let ctx = ((off - CONTEXT) / CONTEXT_STRIDE) as usize;
            match ((off - CONTEXT) % CONTEXT_STRIDE, ctx < CONTEXTS) {
                (0, true) => Reg::Threshold(ctx),
                (4, true) => Reg::Claim(ctx),
                _ => Reg::None,
            }
        }
        _ => Reg::None,
    }
}

fn half(v: u64, w: usize) -> u32 {
    (v >> (32 * w)) as u32
}

fn set_half(v: u64, w: usize, x: u32) -> u64 {
    let shift = 32 * w;
    (v & !(0xffff_ffffu64 << shift)) | (x as u64) << shift
}

impl Plic {
    /// Sources that ask for service: line high, not claimed, priority above zero.
    fn pending(&self, levels: u64) -> u64 {
        levels & !self.claimed & !1
    }

    /// The source context `ctx` should take now: enabled, pending, priority above the
    /// threshold; the highest priority wins, then the lowest id. 0 when none.
    fn best(&self, ctx: usize, levels: u64) -> u32 {
        let mut best = (0, 0);
        let mut cand = self.pending(levels) & self.enable[ctx];
        while cand != 0 {
            let src = cand.trailing_zeros();
            cand &= cand - 1;
            let p = self.priority[src as usize];
            if p > self.threshold[ctx] && p > best.1 {
                best = (src, p);
            }
        }
        best.0
    }

    /// True while context `ctx` has an interrupt to take (drives MEIP for context 0,
    /// SEIP for context 1).
    pub fn irq(&self, ctx: usize, levels: u64) -> bool {
        ctx < CONTEXTS && self.best(ctx, levels) != 0
    }

    /// Read the 32-bit register at `off`; a read of a claim register claims.
    pub fn read(&mut self, off: u64, levels: u64) -> u32 {
        match decode(off & !3) {
            Reg::Priority(s) => self.priority[s],
            Reg::Pending(w) => half(self.pending(levels), w),
            Reg::Enable(ctx, w) => half(self.enable[ctx], w),
            Reg::Threshold(ctx) => self.threshold[ctx],
            Reg::Claim(ctx) => {
                let src = self.best(ctx, levels);
                if src != 0 {
                    self.claimed |= 1 << src;
                }
                src
            }
            Reg::None => 0,
        }
    }

    /// Write the 32-bit register at `off`; a write of a claim register completes.
    pub fn write(&mut self, off: u64, value: u32) {
        match decode(off & !3) {
            Reg::Priority(s) if s != 0 => self.priority[s] = value & PRIORITY_MASK,
            Reg::Enable(ctx, w) => self.enable[ctx] = set_half(self.enable[ctx], w, value) & !1,
            Reg::Threshold(ctx) => self.threshold[ctx] = value & PRIORITY_MASK,
            // Completing a source the context does not enable is ignored (as QEMU does).
            Reg::Claim(ctx) if (value as usize) < SOURCES && self.enable[ctx] >> value & 1 == 1 => {
                self.claimed &= !(1 << value);
            }
            _ => {}
        }
    }

    pub fn save(&self, w: &mut Writer) {
        for p in &self.priority {
            w.u32(*p);
        }
        for ctx in 0..CONTEXTS {
            w.u64(self.enable[ctx]).u32(self.threshold[ctx]);
        }
        w.u64(self.claimed);
    }

    pub fn load(r: &mut Reader) -> Result<Plic, StateError> {
        let mut p = Plic::default();
        for v in p.priority.iter_mut() {
            *v = r.u32()? & PRIORITY_MASK;
        }
        for ctx in 0..CONTEXTS {
            p.enable[ctx] = r.u64()? & !1;
            p.threshold[ctx] = r.u32()? & PRIORITY_MASK;
        }
        p.claimed = r.u64()?;
        Ok(p)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const UART: u64 = 1 << UART_IRQ;
    const M_CLAIM: u64 = CONTEXT + 4;
    const S_CLAIM: u64 = CONTEXT + CONTEXT_STRIDE + 4;

    fn uart_enabled(ctx: usize) -> Plic {
        let mut p = Plic::default();
        p.write(4 * UART_IRQ as u64, 1);
        p.write(ENABLE + ENABLE_STRIDE * ctx as u64, 1 << UART_IRQ);
        p
    }

    #[test]
    fn claim_hides_the_source_until_complete() {
        let mut p = uart_enabled(0);
        assert!(!p.irq(0, 0));
        assert!(p.irq(0, UART));
        assert!(!p.irq(1, UART), "context 1 does not enable it");
        assert_eq!(p.read(PENDING, UART), UART as u32);
        assert_eq!(p.read(M_CLAIM, UART), UART_IRQ);
        assert!(!p.irq(0, UART), "claimed: the line is ignored");
        assert_eq!(p.read(M_CLAIM, UART), 0);
        p.write(M_CLAIM, UART_IRQ);
        assert!(p.irq(0, UART), "still high after complete: asks again");
        assert!(!p.irq(0, 0));
    }

    #[test]
    fn threshold_priority_and_zero_priority() {
        let mut p = uart_enabled(1);
        p.write(CONTEXT + CONTEXT_STRIDE, 1);
        assert!(!p.irq(1, UART), "priority must exceed the threshold");
        p.write(4 * UART_IRQ as u64, 2);
        assert!(p.irq(1, UART));
        assert_eq!(p.read(4 * UART_IRQ as u64, 0), 2);
        p.write(4 * UART_IRQ as u64, 0);
        assert!(!p.irq(1, UART), "priority 0 never interrupts");
        // Two sources: the higher priority wins, then the lower id.
        p.write(CONTEXT + CONTEXT_STRIDE, 0);
        p.write(ENABLE + ENABLE_STRIDE, 1 << 3 | 1 << 5);
        p.write(ENABLE + ENABLE_STRIDE + 4, 1 << 8); // source 40
        assert_eq!(p.read(ENABLE + ENABLE_STRIDE + 4, 0), 1 << 8);
        for (src, prio) in [(3, 1), (5, 1), (40, 4)] {
            p.write(4 * src, prio);
        }
        let lines = 1 << 3 | 1 << 5 | 1 << 40;
        assert_eq!(p.read(S_CLAIM, lines), 40);
        assert_eq!(p.read(S_CLAIM, lines), 3);
        assert_eq!(p.read(S_CLAIM, lines), 5);
        assert_eq!(p.read(S_CLAIM, lines), 0);
    }

    #[test]
    fn save_and_load() {
        let mut p = uart_enabled(0);
        p.write(CONTEXT, 3);
        p.read(M_CLAIM, UART);
        let mut w = Writer::new();
        p.save(&mut w);
        let bytes = w.finish();
        let mut r = Reader::new(&bytes);
        assert_eq!(Plic::load(&mut r).expect("load"), p);
    }
}
