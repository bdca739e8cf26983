//! The bus of the run loop without hooks. It holds the clock and the time of the next device
//! event itself, so that once the run loop is inlined they live in host registers for a whole
//! batch of instructions instead of in [`Hardware`]. Plain memory (ROM, work RAM, high RAM) is
//! read and written straight from its arrays; every other access first hands the clock back to
//! the hardware, so devices see exactly the time they would when stepped.
//!
//! It also keeps one flag, `alert`, for the run loop: raised whenever the machine may have
//! left the quiet state a batch of plain instructions needs (see [`Hardware::attention`]) or
//! the CPU said so ([`Bus::break_batch`]). Only device events, device accesses and those CPU
//! hints can change that state, so they are the only places that look at it; the instructions
//! in between test a flag in a register instead of the hardware.
//!
//! In a batch (`DEFER`), device events are not looked for every M-cycle but once per
//! instruction ([`Batched::settle`]) and before anything that could see them: a device access,
//! the interrupt lines. Each late event then runs at the M-cycle it was due in, in order, so
//! nothing can tell: between those points the CPU only touches plain memory, which no device
//! event changes while the machine is quiet (no OAM DMA; the alert is up as soon as one starts).

use super::Hardware;
use crate::cpu::Bus;

/// [`Hardware`] with its clock checked out. `hw.cycles` is stale while this lives; dropping it
/// writes the clock back. With `DEFER`, device events due may also wait, up to the next
/// [`Batched::settle`] or device access.
pub struct Batched<'a, const DEFER: bool> {
    hw: &'a mut Hardware,
    /// T-cycles since reset (the authoritative clock while this lives).
    cycles: u64,
    /// `hw.next_event` as of the last device access.
    next_event: u64,
    /// IME when the batch began: within a batch only DI changes it, which makes no step less
    /// plain (EI and RETI break the batch).
    ime: bool,
    /// The run loop must look before the next instruction; memory accesses meanwhile take the
    /// general path (a DMA may be running, the boot ROM mapped).
    alert: bool,
}

impl<'a> Batched<'a, true> {
    /// For a batch of plain instructions, begun with interrupts enabled or not (`ime`).
    #[inline(always)]
    pub fn batch(hw: &'a mut Hardware, ime: bool) -> Self {
        Self::new(hw, ime)
    }
}

impl<'a> Batched<'a, false> {
    /// For one step of any kind: device events on time, and always on alert, so every access
    /// takes the general path.
    #[inline(always)]
    pub fn stepping(hw: &'a mut Hardware) -> Self {
        let mut bus = Self::new(hw, true);
        bus.alert = true;
        bus
    }
}

impl<'a, const DEFER: bool> Batched<'a, DEFER> {
    #[inline(always)]
    fn new(hw: &'a mut Hardware, ime: bool) -> Self {
        let cycles = hw.cycles;
        let next_event = hw.next_event;
        let alert = hw.attention(ime);
        Batched {
            hw,
            cycles,
            next_event,
            ime,
            alert,
        }
    }

    /// Whether the run loop must look at the machine before the next instruction.
    #[inline(always)]
    pub fn alert(&self) -> bool {
        self.alert
    }

    /// The clock.
    #[inline(always)]
    pub fn cycles(&self) -> u64 {
        self.cycles
    }

    /// One M-cycle of plain time: the devices only when their next event is due (deferred:
    /// not even that).
    #[inline(always)]
    fn cycle(&mut self) {
        self.cycles += 4;
        if !DEFER {
            self.settle();
        }
    }

    /// Run the device events due up to the present, each at the M-cycle it fell due in. The
    /// batch calls this after every instruction.
    #[inline(always)]
    pub fn settle(&mut self) {
        if self.cycles >= self.next_event {
            self.service();
        }
    }

    /// Run the due events (out of line, and without taking `self`'s address, so the batch's
    /// clock can stay in registers).
    #[inline(always)]
    fn service(&mut self) {
        let (next_event, alert) = service_until(self.hw, self.cycles, self.next_event, self.ime);
        self.next_event = next_event;
        self.alert |= alert;
    }

    /// Run `f` on the hardware with the clock handed back, then take the clock and the next
    /// event time again (device accesses may reschedule).
    #[inline(always)]
    fn device<R>(&mut self, f: impl FnOnce(&mut Hardware) -> R) -> R {
        // The access's own M-cycle runs its events on time; the ones before it first.
        self.settle();
        self.hw.cycles = self.cycles;
        let r = f(self.hw);
        self.cycles = self.hw.cycles;
        self.next_event = self.hw.next_event;
        self.alert |= self.hw.attention(self.ime);
        r
    }
}

/// Whether `addr` is in cartridge ROM (0000-7FFF) or work RAM (C000-DFFF): one bit per 4 KiB
/// page.
#[inline(always)]
fn plain_page(addr: u16) -> bool {
    const PAGES: u16 = 0b0011_0000_1111_1111;
    PAGES >> (addr >> 12) & 1 != 0
}

/// A ROM or work RAM read while on alert: the general path, which sees a running DMA and the
/// boot ROM (these reads do not depend on the clock). Out of line, to keep the common path
/// of the run loop short.
#[cold]
#[inline(never)]
fn read_on_alert(hw: &mut Hardware, addr: u16) -> u8 {
    hw.read(addr)
}

/// A work RAM write while on alert (see [`read_on_alert`]).
#[cold]
#[inline(never)]
fn write_on_alert(hw: &mut Hardware, addr: u16, value: u8) {
    hw.write(addr, value);
}

/// Run the device events due up to T-cycle `now`, the first at `next_event`, each at the end
/// of the M-cycle it fell due in, as stepping would have run them; returns the time of the
/// next one and whether the run loop must now look ([`Hardware::attention`]).
#[inline(never)]
fn service_until(hw: &mut Hardware, now: u64, mut next_event: u64, ime: bool) -> (u64, bool) {
    let mut alert = false;
    loop {
        // The clock moves in M-cycles of 4: an event falls in the first one that reaches it.
        let at = next_event.max(hw.cycles + 4).next_multiple_of(4);
        if at > now {
            break;
        }
        hw.cycles = at;
        hw.service();
        next_event = hw.next_event;
        alert |= hw.attention(ime);
    }
    hw.cycles = now;
    (next_event, alert)
}

impl<const DEFER: bool> Drop for Batched<'_, DEFER> {
    #[inline(always)]
    fn drop(&mut self) {
        self.hw.cycles = self.cycles;
    }
}

impl<const DEFER: bool> Bus for Batched<'_, DEFER> {
    /// Cartridge ROM and work RAM with no DMA or boot ROM in the way (no alert), and high RAM:
    /// nearly all code and stack traffic. The M-cycle's device catch-up runs first, as in any
    /// read, and may raise the alert.
    #[inline(always)]
    fn read_cycle(&mut self, addr: u16) -> u8 {
        if plain_page(addr) {
            self.cycle();
            if self.alert {
                return read_on_alert(self.hw, addr);
            }
            let hw = &*self.hw;
            return if addr >= 0xC000 {
                hw.wram[addr as usize & 0x1FFF]
            } else {
                hw.cart.read_rom(addr)
            };
        }
        if (0xFF80..=0xFFFE).contains(&addr) {
            // DMA never blocks high RAM.
            self.cycle();
            return self.hw.hram[addr as usize & 0x7F];
        }
        self.device(|hw| hw.read_cycle_plain(addr))
    }

    #[inline(always)]
    fn write_cycle(&mut self, addr: u16, value: u8) {
        if (0xC000..0xE000).contains(&addr) {
            self.cycle();
            if !self.alert {
                self.hw.wram[addr as usize & 0x1FFF] = value;
            } else {
                write_on_alert(self.hw, addr, value);
            }
            return;
        }
        if (0xFF80..=0xFFFE).contains(&addr) {
            self.cycle();
            self.hw.hram[addr as usize & 0x7F] = value;
            return;
        }
        self.device(|hw| hw.write_cycle_plain(addr, value));
    }

    #[inline(always)]
    fn tick_cycle(&mut self) {
        self.cycle();
    }

    #[inline(always)]
    fn pending_interrupts(&mut self) -> u8 {
        if DEFER {
            self.settle();
        }
        self.hw.pending()
    }

    fn acknowledge_interrupt(&mut self, bit: u8) {
        self.hw.if_ &= !(1 << bit);
    }

    fn stop_wakeup(&self) -> bool {
        self.hw.joypad.any_line_low()
    }

    fn enter_stop(&mut self) {
        self.device(|hw| hw.enter_stop());
    }

    #[inline(always)]
    fn break_batch(&mut self) {
        self.alert = true;
    }
}
