//! Save and restore the CPU's architectural state (RAM is saved by the PC, sparsely).

use wb_machine::StateError;
use wb_machine::state::{Reader, Writer};

use super::{Cpu, Segment, TableReg};

fn put_seg(w: &mut Writer, s: &Segment) {
    w.u16(s.selector).u64(s.base).u32(s.limit).u16(s.attr);
}

fn get_seg(r: &mut Reader) -> Result<Segment, StateError> {
    Ok(Segment {
        selector: r.u16()?,
        base: r.u64()?,
        limit: r.u32()?,
        attr: r.u16()?,
    })
}

impl Cpu {
    pub fn save(&self, w: &mut Writer) {
        for v in self.regs {
            w.u64(v);
        }
        w.u64(self.rip).u64(self.rflags());
        for s in &self.segs {
            put_seg(w, s);
        }
        put_seg(w, &self.ldtr);
        put_seg(w, &self.tr);
        w.u64(self.gdtr.base)
            .u16(self.gdtr.limit)
            .u64(self.idtr.base)
            .u16(self.idtr.limit);
        for v in [
            self.cr0,
            self.cr2,
            self.cr3,
            self.cr4,
            self.cr8,
            self.efer,
            self.a20_mask,
            self.tsc,
        ] {
            w.u64(v);
        }
        for v in self.dr {
            w.u64(v);
        }
        let m = &self.msr;
        for v in [
            m.star,
            m.lstar,
            m.cstar,
            m.fmask,
            m.kernel_gs_base,
            m.apic_base,
            m.pat,
            m.sysenter_cs,
            m.sysenter_esp,
            m.sysenter_eip,
            m.tsc_aux,
            m.misc_enable,
        ] {
            w.u64(v);
        }
        w.bool(self.halted).bool(self.int_shadow);
    }

    pub fn load(&mut self, r: &mut Reader) -> Result<(), StateError> {
        for v in &mut self.regs {
            *v = r.u64()?;
        }
        self.rip = r.u64()?;
        let f = r.u64()?;
        self.set_rflags(f);
        for s in &mut self.segs {
            *s = get_seg(r)?;
        }
        self.ldtr = get_seg(r)?;
        self.tr = get_seg(r)?;
        self.gdtr = TableReg {
            base: r.u64()?,
            limit: r.u16()?,
        };
        self.idtr = TableReg {
            base: r.u64()?,
            limit: r.u16()?,
        };
        self.cr0 = r.u64()?;
        self.cr2 = r.u64()?;
        self.cr3 = r.u64()?;
        self.cr4 = r.u64()?;
        self.cr8 = r.u64()?;
        self.efer = r.u64()?;
        self.a20_mask = r.u64()?;
        self.tsc = r.u64()?;
        for v in &mut self.dr {
            *v = r.u64()?;
        }
        let m = &mut self.msr;
        for v in [
            &mut m.star,
            &mut m.lstar,
            &mut m.cstar,
            &mut m.fmask,
            &mut m.kernel_gs_base,
            &mut m.apic_base,
            &mut m.pat,
            &mut m.sysenter_cs,
            &mut m.sysenter_esp,
            &mut m.sysenter_eip,
            &mut m.tsc_aux,
            &mut m.misc_enable,
        ] {
            *v = r.u64()?;
        }
        self.halted = r.bool()?;
        self.int_shadow = r.bool()?;
        self.tlb.flush();
        Ok(())
    }
}
