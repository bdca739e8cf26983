//! What the boot loader left at 0x5000 (see boot.s).

const BOOT_INFO: usize = 0x5000;
const MAGIC: u32 = u32::from_le_bytes(*b"WBOS");
const MAX_E820: usize = 64;

/// One E820 range.
#[derive(Clone, Copy, Debug)]
pub struct MemoryRange {
    pub base: u64,
    pub len: u64,
    /// 1 usable, 2 reserved, 3 ACPI reclaimable, 4 ACPI NVS, 5 bad.
    pub kind: u32,
}

impl MemoryRange {
    pub fn kind_name(&self) -> &'static str {
        match self.kind {
            1 => "usable",
            2 => "reserved",
            3 => "acpi reclaimable",
            4 => "acpi nvs",
            5 => "bad",
            _ => "unknown",
        }
    }
}

/// The loader's hand-over.
pub struct BootInfo {
    pub drive: u8,
    pub sectors: u16,
    pub e820: &'static [MemoryRange],
}

static mut RANGES: [MemoryRange; MAX_E820] = [MemoryRange { base: 0, len: 0, kind: 0 }; MAX_E820];

/// Read the hand-over; None if the magic is missing.
pub fn read() -> Option<BootInfo> {
    let p = BOOT_INFO as *const u8;
    // SAFETY: the boot loader wrote this block; low memory is identity-mapped. RANGES is written
    // once here, before any task exists.
    unsafe {
        if core::ptr::read_unaligned(p as *const u32) != MAGIC {
            return None;
        }
        let drive = *p.add(4);
        let sectors = core::ptr::read_unaligned(p.add(6) as *const u16);
        let count = (core::ptr::read_unaligned(p.add(8) as *const u32) as usize).min(MAX_E820);
        let ranges = &mut *core::ptr::addr_of_mut!(RANGES);
        for (i, r) in ranges.iter_mut().enumerate().take(count) {
            let e = p.add(0x10 + 24 * i);
            *r = MemoryRange {
                base: core::ptr::read_unaligned(e as *const u64),
                len: core::ptr::read_unaligned(e.add(8) as *const u64),
                kind: core::ptr::read_unaligned(e.add(16) as *const u32),
            };
        }
        Some(BootInfo { drive, sectors, e820: &ranges[..count] })
    }
}
