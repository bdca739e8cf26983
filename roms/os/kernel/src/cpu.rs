//! Small CPU helpers and the interrupt-safe lock.
use core::arch::asm;
use core::ops::{Deref, DerefMut};
use wbos_lib::spin::{SpinGuard, SpinLock};

/// Is RFLAGS.IF set?
pub fn interrupts_enabled() -> bool {
    let flags: u64;
    // SAFETY: reads RFLAGS only.
    unsafe { asm!("pushfq", "pop {}", out(reg) flags, options(nomem, preserves_flags)) };
    flags & 0x200 != 0
}

pub fn cli() {
    // SAFETY: masking interrupts is always allowed in ring 0.
    unsafe { asm!("cli", options(nomem, nostack)) }
}

pub fn sti() {
    // SAFETY: the IDT is loaded before anyone enables interrupts.
    unsafe { asm!("sti", options(nomem, nostack)) }
}

/// Wait for the next interrupt (with interrupts enabled).
pub fn halt() {
    // SAFETY: sti; hlt wakes on the next interrupt.
    unsafe { asm!("sti", "hlt", options(nomem, nostack)) }
}

pub fn read_cr2() -> u64 {
    let v: u64;
    // SAFETY: reads CR2 only.
    unsafe { asm!("mov {}, cr2", out(reg) v, options(nomem, nostack, preserves_flags)) };
    v
}

pub fn read_cr3() -> u64 {
    let v: u64;
    // SAFETY: reads CR3 only.
    unsafe { asm!("mov {}, cr3", out(reg) v, options(nomem, nostack, preserves_flags)) };
    v
}

/// Switch address space.
///
/// # Safety
/// `pml4` must map the kernel exactly as the current tables do.
pub unsafe fn write_cr3(pml4: u64) {
    unsafe { asm!("mov cr3, {}", in(reg) pml4, options(nostack, preserves_flags)) }
}

/// A spinlock that also masks interrupts while held, so an interrupt handler (or a task switch)
/// can never find it locked by the code it interrupted.
pub struct IrqLock<T> {
    inner: SpinLock<T>,
}

impl<T> IrqLock<T> {
    pub const fn new(value: T) -> Self {
        IrqLock { inner: SpinLock::new(value) }
    }

    pub fn lock(&self) -> IrqGuard<'_, T> {
        let was = interrupts_enabled();
        cli();
        IrqGuard { guard: Some(self.inner.lock()), restore: was }
    }

    /// Release the lock from a context that can never give it back (a panic report).
    ///
    /// # Safety
    /// See [`SpinLock::force_unlock`].
    pub unsafe fn force_unlock(&self) {
        unsafe { self.inner.force_unlock() }
    }
}

/// The locked value; unlocks, then restores the interrupt flag, on drop.
pub struct IrqGuard<'a, T> {
    guard: Option<SpinGuard<'a, T>>,
    restore: bool,
}

impl<T> Deref for IrqGuard<'_, T> {
    type Target = T;
    fn deref(&self) -> &T {
        self.guard.as_deref().unwrap_or_else(|| unreachable!())
    }
}

impl<T> DerefMut for IrqGuard<'_, T> {
    fn deref_mut(&mut self) -> &mut T {
        self.guard.as_deref_mut().unwrap_or_else(|| unreachable!())
    }
}

impl<T> Drop for IrqGuard<'_, T> {
    fn drop(&mut self) {
        self.guard = None;
        if self.restore {
            sti();
        }
    }
}
