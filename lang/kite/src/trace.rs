//! Trace mode: run a program one VM instruction at a time, printing each instruction (with
//! the same formatter as the listing) and the frame's registers before it executes.

use std::io::Write;

use wb_machine::{Machine, StopReason};

use crate::{KiteError, VmMachine};

/// Run `source` on the VM, writing one trace line per instruction and the program's own
/// output to `out`; stops after `max_steps` instructions (a runaway program stays bounded).
pub fn trace_source(
    file_name: &str,
    source: &str,
    args: Vec<String>,
    max_steps: u64,
    out: &mut dyn Write,
) -> Result<(), KiteError> {
    let mut machine = VmMachine::new(file_name, source, args)?;
    let mut serial = Vec::new();
    for _ in 0..max_steps {
        let pc = machine.pc();
        let text = machine
            .disassemble(pc, 1)
            .first()
            .map(|l| l.text.clone())
            .unwrap_or_default();
        let line = machine.debug_info().line_at(pc).map_or(0, |l| l.line);
        let regs: Vec<String> = machine
            .registers()
            .iter()
            .skip(1)
            .map(|r| format!("{}={}", r.name, r.value as u64 as i64))
            .collect();
        let _ = writeln!(out, "{pc:04x} {line:4}  {text:<32} | {}", regs.join(" "));
        let result = machine.step();
        machine.drain_serial(&mut serial);
        let _ = out.write_all(&serial);
        serial.clear();
        match result.stop {
            StopReason::BudgetSpent => {}
            StopReason::Fault(_) => {
                return Err(machine
                    .runtime_error()
                    .cloned()
                    .map_or_else(|| KiteError::Compile(Vec::new()), KiteError::Runtime));
            }
            _ => return Ok(()),
        }
    }
    let _ = writeln!(out, "(trace stopped after {max_steps} instructions)");
    Ok(())
}
