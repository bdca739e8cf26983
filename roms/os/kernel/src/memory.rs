//! Physical frames (bitmap from the E820 map), 4-level page tables, the kernel heap.
//!
//! Address space layout (every PML4 shares the kernel parts):
//! - PML4[0] -> PDPT; PDPT[0] -> identity map of the first GiB with 2 MiB pages (kernel only)
//! - PDPT[1]: user programs (0x4000_0000..0x8000_0000), 4 KiB pages, per process
//! - PML4[256]: the kernel heap at HEAP_START, 4 KiB pages
use crate::boot_info::MemoryRange;
use crate::cpu::IrqLock;
use core::alloc::{GlobalAlloc, Layout};
use core::ptr::addr_of_mut;
use wbos_lib::frames::{FRAME, FrameBitmap};
use wbos_lib::heap::{Heap, HeapStats};

const PRESENT: u64 = 1;
const WRITABLE: u64 = 2;
const USER: u64 = 4;
const HUGE: u64 = 0x80;
const ADDR: u64 = 0x000F_FFFF_FFFF_F000;

pub const HEAP_START: u64 = 0xFFFF_8000_0000_0000;
pub const HEAP_SIZE: u64 = 8 << 20;
/// Physical memory the kernel can reach (the identity map).
const IDENTITY_LIMIT: u64 = 1 << 30;

static mut BITMAP: [u64; (IDENTITY_LIMIT / FRAME / 64) as usize] = [0; (IDENTITY_LIMIT / FRAME / 64) as usize];
static FRAMES: IrqLock<Option<FrameBitmap<'static>>> = IrqLock::new(None);
static KERNEL_PML4: IrqLock<u64> = IrqLock::new(0);

/// Build the frame bitmap: usable E820 ranges above 1 MiB (the kernel, BIOS data and boot page
/// tables live below).
pub fn init_frames(map: &[MemoryRange]) -> usize {
    // SAFETY: BITMAP is handed to the allocator once, here.
    let bits = unsafe { &mut *addr_of_mut!(BITMAP) };
    let mut fb = FrameBitmap::new(bits);
    for r in map.iter().filter(|r| r.kind == 1) {
        fb.add_free(r.base, r.base.saturating_add(r.len));
    }
    fb.reserve(0, 0x10_0000);
    let free = fb.free_count();
    *FRAMES.lock() = Some(fb);
    free
}

/// A zeroed frame.
pub fn alloc_frame() -> Option<u64> {
    let f = FRAMES.lock().as_mut()?.alloc()?;
    // SAFETY: the frame is ours and identity-mapped.
    unsafe { core::ptr::write_bytes(f as *mut u8, 0, FRAME as usize) };
    Some(f)
}

pub fn free_frame(f: u64) {
    if let Some(fb) = FRAMES.lock().as_mut() {
        fb.free(f);
    }
}

pub fn free_frames() -> usize {
    FRAMES.lock().as_ref().map_or(0, |f| f.free_count())
}

fn table(phys: u64) -> *mut [u64; 512] {
    phys as *mut [u64; 512]
}

/// The next-level table under `entry`, created if missing.
fn next_table(entry: &mut u64, user: bool) -> Option<u64> {
    if *entry & PRESENT == 0 {
        *entry = alloc_frame()? | PRESENT | WRITABLE;
    }
    if user {
        *entry |= USER;
    }
    Some(*entry & ADDR)
}

/// The index of `virt` in its page table of `level` (0 = PT .. 3 = PML4).
fn index(virt: u64, level: u32) -> usize {
    ((virt >> (12 + 9 * level)) & 511) as usize
}

/// Map the 4 KiB page at `virt` to `phys` in the tables rooted at `pml4`, with `flags`
/// (WRITABLE, USER) besides PRESENT. Intermediate tables are writable, and user if `flags` is.
pub fn map_page(pml4: u64, virt: u64, phys: u64, flags: u64) -> Option<()> {
    let user = flags & USER != 0;
    // SAFETY: page tables are frames we own, identity-mapped.
    unsafe {
        let pdpt = next_table(&mut (*table(pml4))[index(virt, 3)], user)?;
        let pd = next_table(&mut (*table(pdpt))[index(virt, 2)], user)?;
        let pt = next_table(&mut (*table(pd))[index(virt, 1)], user)?;
        (*table(pt))[index(virt, 0)] = phys | PRESENT | flags;
    }
    Some(())
}

/// The page-table entry of the 4 KiB page at `virt`, if its tables exist.
fn leaf(pml4: u64, virt: u64) -> Option<*mut u64> {
    let mut t = pml4;
    for level in (1..4).rev() {
        // SAFETY: walking our own tables.
        let e = unsafe { (*table(t))[index(virt, level)] };
        if e & PRESENT == 0 || e & HUGE != 0 {
            return None;
        }
        t = e & ADDR;
    }
    // SAFETY: t is a page table of ours.
    Some(unsafe { &raw mut (*table(t))[index(virt, 0)] })
}

/// May ring 3 read (or, with `write`, write) `virt` in `pml4`?
pub fn user_mapped(pml4: u64, virt: u64, write: bool) -> bool {
    let need = PRESENT | USER | if write { WRITABLE } else { 0 };
    let mut t = pml4;
    for level in (0..4).rev() {
        // SAFETY: walking our own tables.
        let e = unsafe { (*table(t))[index(virt, level)] };
        if e & need != need || (level > 0 && e & HUGE != 0) {
            return false;
        }
        t = e & ADDR;
    }
    true
}

/// Build the kernel's own tables (identity map of the first GiB, heap), switch to them and start
/// the heap. Returns the PML4's physical address.
pub fn init_paging() -> Option<u64> {
    let pml4 = alloc_frame()?;
    let pdpt = alloc_frame()?;
    let pd = alloc_frame()?;
    // SAFETY: fresh frames, identity-mapped.
    unsafe {
        for (i, e) in (*table(pd)).iter_mut().enumerate() {
            *e = (i as u64) << 21 | PRESENT | WRITABLE | HUGE;
        }
        (*table(pdpt))[0] = pd | PRESENT | WRITABLE;
        (*table(pml4))[0] = pdpt | PRESENT | WRITABLE;
    }
    for off in (0..HEAP_SIZE).step_by(FRAME as usize) {
        let f = alloc_frame()?;
        map_page(pml4, HEAP_START + off, f, WRITABLE)?;
    }
    // SAFETY: the new tables map the kernel exactly as the boot tables did.
    unsafe { crate::cpu::write_cr3(pml4) };
    *KERNEL_PML4.lock() = pml4;
    // SAFETY: the heap range was just mapped and nothing else uses it.
    unsafe { HEAP.0.lock().init(HEAP_START as usize, HEAP_SIZE as usize) };
    Some(pml4)
}

pub fn kernel_pml4() -> u64 {
    *KERNEL_PML4.lock()
}

/// A user address space: the kernel's mappings plus its own PDPT[1] subtree.
pub struct AddressSpace {
    pub pml4: u64,
}

impl AddressSpace {
    pub fn new() -> Option<AddressSpace> {
        let kernel = kernel_pml4();
        let pml4 = alloc_frame()?;
        let Some(pdpt) = alloc_frame() else {
            free_frame(pml4);
            return None;
        };
        // SAFETY: fresh frames; the kernel tables are only read.
        unsafe {
            let kpdpt = (*table(kernel))[0] & ADDR;
            (*table(pdpt))[0] = (*table(kpdpt))[0];
            (*table(pml4))[0] = pdpt | PRESENT | WRITABLE | USER;
            (*table(pml4))[256] = (*table(kernel))[256];
        }
        Some(AddressSpace { pml4 })
    }

    /// Map fresh zeroed user pages over `[start, end)`. Pages already mapped are kept (and made
    /// writable if `writable`: two segments may share a page).
    pub fn map_user(&mut self, start: u64, end: u64, writable: bool) -> Option<()> {
        let flags = USER | if writable { WRITABLE } else { 0 };
        let mut page = start & !(FRAME - 1);
        while page < end {
            match leaf(self.pml4, page) {
                // SAFETY: an entry of our own tables.
                Some(e) if unsafe { *e } & PRESENT != 0 => unsafe { *e |= flags },
                _ => {
                    let f = alloc_frame()?;
                    map_page(self.pml4, page, f, flags)?;
                }
            }
            page += FRAME;
        }
        Some(())
    }

    /// Physical address behind a mapped user address.
    pub fn translate(&self, virt: u64) -> Option<u64> {
        // SAFETY: an entry of our own tables.
        let e = unsafe { *leaf(self.pml4, virt)? };
        (e & PRESENT != 0).then(|| (e & ADDR) + (virt & (FRAME - 1)))
    }

    /// Copy bytes into user memory (already mapped).
    pub fn write(&mut self, mut virt: u64, mut bytes: &[u8]) -> Option<()> {
        while !bytes.is_empty() {
            let n = ((FRAME - (virt & (FRAME - 1))) as usize).min(bytes.len());
            let phys = self.translate(virt)?;
            // SAFETY: phys is a user frame of ours, identity-mapped; n stays inside the page.
            unsafe { core::ptr::copy_nonoverlapping(bytes.as_ptr(), phys as *mut u8, n) };
            virt += n as u64;
            bytes = &bytes[n..];
        }
        Some(())
    }
}

impl Drop for AddressSpace {
    /// Free every user page and table (PDPT[1..]); the shared kernel parts stay.
    fn drop(&mut self) {
        // SAFETY: our tables; nothing runs on this address space any more.
        unsafe {
            let pdpt = (*table(self.pml4))[0] & ADDR;
            for i in 1..512 {
                let pd_e = (*table(pdpt))[i];
                if pd_e & PRESENT == 0 {
                    continue;
                }
                let pd = pd_e & ADDR;
                for &pt_e in (*table(pd)).iter().filter(|e| *e & PRESENT != 0) {
                    let pt = pt_e & ADDR;
                    for &page in (*table(pt)).iter().filter(|e| *e & PRESENT != 0) {
                        free_frame(page & ADDR);
                    }
                    free_frame(pt);
                }
                free_frame(pd);
            }
            free_frame(pdpt);
            free_frame(self.pml4);
        }
    }
}

/// The global allocator: our heap behind our interrupt-safe spinlock.
pub struct KernelHeap(IrqLock<Heap>);

// SAFETY: every call goes through the lock; the heap returns disjoint blocks.
unsafe impl GlobalAlloc for KernelHeap {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        self.0.lock().alloc(layout)
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: the caller's contract is the heap's.
        unsafe { self.0.lock().dealloc(ptr, layout) }
    }
}

#[global_allocator]
static HEAP: KernelHeap = KernelHeap(IrqLock::new(Heap::empty()));

pub fn heap_stats() -> HeapStats {
    HEAP.0.lock().stats()
}
