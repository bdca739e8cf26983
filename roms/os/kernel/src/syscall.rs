//! System calls (int 0x80): number in rax, arguments in rdi, rsi, rdx, r10; result in rax
//! (u64::MAX for an error). The table matches roms/os/user/src/lib.rs.
use crate::idt::Frame;
use crate::{console, cpu, fs, pic, process, sched};

const EXIT: u64 = 0;
const WRITE: u64 = 1;
const UPTIME_MS: u64 = 2;
const SLEEP_MS: u64 = 3;
const READ_FILE: u64 = 4;
const GETPID: u64 = 5;
const ERROR: u64 = u64::MAX;

pub fn dispatch(f: &mut Frame) {
    if !f.user_mode() {
        f.rax = ERROR;
        return;
    }
    if f.rax == EXIT {
        process::exit(f.rdi as i32);
    }
    // The rest may take a while: let the timer preempt us.
    cpu::sti();
    f.rax = match f.rax {
        WRITE => match process::user_slice(f.rdi, f.rsi) {
            Some(bytes) => {
                console::write_bytes(bytes);
                f.rsi
            }
            None => ERROR,
        },
        UPTIME_MS => pic::ticks() * (1000 / pic::HZ),
        SLEEP_MS => {
            sched::sleep_ms(f.rdi.min(60_000));
            0
        }
        READ_FILE => read_file(f.rdi, f.rsi, f.rdx, f.r10).unwrap_or(ERROR),
        GETPID => u64::from(process::current_pid()),
        _ => ERROR,
    };
    cpu::cli();
}

fn read_file(path: u64, path_len: u64, buf: u64, buf_len: u64) -> Option<u64> {
    let path = core::str::from_utf8(process::user_slice(path, path_len)?).ok()?;
    let data = fs::vfs().as_mut()?.read(path).ok()?;
    let out = process::user_slice_mut(buf, buf_len)?;
    let n = data.len().min(out.len());
    out[..n].copy_from_slice(&data[..n]);
    Some(n as u64)
}
