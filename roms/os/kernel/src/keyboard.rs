//! PS/2 keyboard on the i8042 (data 0x60, status/command 0x64), IRQ 1, scan code set 1
//! (the controller translates), US layout.
use crate::input;
use crate::port::{inb, outb};
use core::sync::atomic::{AtomicBool, Ordering};

const NORMAL: &[u8; 58] = b"\0\x1b1234567890-=\x08\tqwertyuiop[]\n\0asdfghjkl;'`\0\\zxcvbnm,./\0*\0 ";
const SHIFTED: &[u8; 58] = b"\0\x1b!@#$%^&*()_+\x08\tQWERTYUIOP{}\n\0ASDFGHJKL:\"~\0|ZXCVBNM<>?\0*\0 ";

static SHIFT: AtomicBool = AtomicBool::new(false);
static EXTENDED: AtomicBool = AtomicBool::new(false);

fn wait_output() -> bool {
    // SAFETY: status reads have no side effect.
    (0..100_000).any(|_| unsafe { inb(0x64) } & 1 != 0)
}

fn wait_input_empty() -> bool {
    // SAFETY: as above.
    (0..100_000).any(|_| unsafe { inb(0x64) } & 2 == 0)
}

/// Flush the controller, then make sure IRQ 1 and translation are on and the clock is enabled.
pub fn init() {
    // SAFETY: i8042 ports are ours.
    unsafe {
        while inb(0x64) & 1 != 0 {
            inb(0x60);
        }
        if !wait_input_empty() {
            return;
        }
        outb(0x64, 0x20);
        if !wait_output() {
            return;
        }
        let config = inb(0x60);
        if !wait_input_empty() {
            return;
        }
        outb(0x64, 0x60);
        if !wait_input_empty() {
            return;
        }
        outb(0x60, (config | 0x01 | 0x40) & !0x10);
    }
}

/// IRQ 1: one scan code.
pub fn irq() {
    // SAFETY: reading the data port pops the scan code that raised the interrupt.
    let code = unsafe { inb(0x60) };
    if code == 0xE0 {
        EXTENDED.store(true, Ordering::Relaxed);
        return;
    }
    if EXTENDED.swap(false, Ordering::Relaxed) {
        return; // arrows, keypad enter, right ctrl...: not used by the shell
    }
    match code {
        0x2A | 0x36 => SHIFT.store(true, Ordering::Relaxed),
        0xAA | 0xB6 => SHIFT.store(false, Ordering::Relaxed),
        c if c & 0x80 != 0 => {}
        c => {
            let table = if SHIFT.load(Ordering::Relaxed) { SHIFTED } else { NORMAL };
            if let Some(&ch) = table.get(usize::from(c))
                && ch != 0
            {
                input::push(ch);
            }
        }
    }
}
