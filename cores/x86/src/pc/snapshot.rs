//! The PC's save state: CPU, RAM (non-zero 4 KiB pages only), devices, clock, BIOS state.

use wb_machine::StateError;
use wb_machine::state::{self, Reader, Writer};

use super::{Pc, RAM_BYTES};

pub const VERSION: u32 = 2;
const PAGE: usize = 4096;

impl Pc {
    pub(super) fn snapshot(&self) -> Vec<u8> {
        let mut w = Writer::new();
        self.cpu.save(&mut w);
        let pages: Vec<usize> = (0..RAM_BYTES / PAGE)
            .filter(|&p| {
                self.cpu.mem[p * PAGE..(p + 1) * PAGE]
                    .iter()
                    .any(|&b| b != 0)
            })
            .collect();
        w.u64(pages.len() as u64);
        for p in pages {
            w.u32(p as u32)
                .bytes(&self.cpu.mem[p * PAGE..(p + 1) * PAGE]);
        }
        let d = &self.dev;
        d.pic.save(&mut w);
        d.pit.save(&mut w);
        d.uart.save(&mut w);
        d.ps2.save(&mut w);
        w.u8(d.cmos.index).bytes(&d.cmos.ram);
        d.ata.save(&mut w);
        w.u8(d.vga.crtc_index).bytes(&d.vga.crtc);
        w.u8(d.port61).bool(d.a20);
        w.u64(self.clock).u64(self.retired).u64(self.frame_end);
        let keys: Vec<u8> = self.keys.iter().flat_map(|k| k.to_le_bytes()).collect();
        w.bytes(&keys).bool(self.shift);
        state::wrap("x86", VERSION, &w.finish())
    }

    pub(super) fn restore(&mut self, bytes: &[u8]) -> Result<(), StateError> {
        let payload = state::unwrap("x86", VERSION, bytes)?;
        // Build the new state aside, so a bad snapshot leaves the machine as it was.
        let mut next = Pc::with_image(std::sync::Arc::clone(&self.image));
        let mut r = Reader::new(payload);
        next.cpu.load(&mut r)?;
        next.cpu.mem.fill(0);
        for _ in 0..r.u64()? {
            let p = r.u32()? as usize;
            let n = r.u64()? as usize;
            if n != PAGE || p >= RAM_BYTES / PAGE {
                return Err(StateError::Mismatch("bad RAM page".into()));
            }
            next.cpu.mem[p * PAGE..(p + 1) * PAGE].copy_from_slice(r.bytes(n)?);
        }
        let d = &mut next.dev;
        d.pic.load(&mut r)?;
        d.pit.load(&mut r)?;
        d.uart.load(&mut r)?;
        d.ps2.load(&mut r)?;
        d.cmos.index = r.u8()?;
        let n = r.u64()? as usize;
        if n != 128 {
            return Err(StateError::Mismatch("bad CMOS".into()));
        }
        d.cmos.ram.copy_from_slice(r.bytes(n)?);
        d.ata.load(&mut r)?;
        d.vga.crtc_index = r.u8()?;
        let n = r.u64()? as usize;
        if n != 32 {
            return Err(StateError::Mismatch("bad VGA".into()));
        }
        d.vga.crtc.copy_from_slice(r.bytes(n)?);
        d.port61 = r.u8()?;
        d.a20 = r.bool()?;
        next.clock = r.u64()?;
        next.retired = r.u64()?;
        next.frame_end = r.u64()?;
        let n = r.u64()? as usize;
        next.keys = r
            .bytes(n)?
            .chunks(2)
            .map(|c| u16::from_le_bytes([c[0], c.get(1).copied().unwrap_or(0)]))
            .collect();
        next.shift = r.bool()?;
        if r.remaining() != 0 {
            return Err(StateError::Mismatch("trailing bytes".into()));
        }
        next.sync_devices();
        next.render();
        next.hooks = std::mem::take(&mut self.hooks);
        next.hooks.clear_call_stack();
        next.debug = std::mem::take(&mut self.debug);
        *self = next;
        Ok(())
    }
}
