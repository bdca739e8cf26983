//! Preemptive round-robin scheduling of kernel tasks. A task's context is the interrupt frame
//! saved on its own stack: the timer (IRQ 0) and `yield_now` (int 0x81) both end in `schedule`,
//! which stores the current frame pointer and returns the next task's.
use crate::cpu::IrqLock;
use crate::idt::Frame;
use crate::{gdt, pic};
use alloc::boxed::Box;
use alloc::string::String;
use alloc::vec;
use alloc::vec::Vec;

const STACK_SIZE: usize = 32 * 1024;

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum State {
    Ready,
    Running,
    /// Until this tick.
    Sleeping(u64),
    /// In a `WaitQueue` until woken.
    Blocked,
    Dead,
}

struct Task {
    id: u32,
    name: String,
    state: State,
    /// Saved frame (valid while not running).
    rsp: u64,
    /// None for the boot task, which runs on the boot stack.
    _stack: Option<Box<[u8]>>,
    cr3: u64,
    /// Ring-0 stack for interrupts from ring 3 (TSS.RSP0) while this task runs a user program.
    rsp0: u64,
    /// Where `process::run` waits for its program (see process.rs); 0 when none runs.
    user_ctx: u64,
}

struct Sched {
    tasks: Vec<Task>,
    current: usize,
    next_id: u32,
}

static SCHED: IrqLock<Sched> = IrqLock::new(Sched { tasks: Vec::new(), current: 0, next_id: 0 });

/// Make the running boot code task 0, "idle": it runs only when no other task is ready.
pub fn init() {
    let mut s = SCHED.lock();
    let cr3 = crate::cpu::read_cr3();
    s.tasks.push(Task {
        id: 0,
        name: "idle".into(),
        state: State::Running,
        rsp: 0,
        _stack: None,
        cr3,
        rsp0: 0,
        user_ctx: 0,
    });
    s.next_id = 1;
}

extern "C" fn task_entry(f: *mut Box<dyn FnOnce() + Send>) -> ! {
    // SAFETY: `spawn` leaked exactly this box for us.
    let f = unsafe { Box::from_raw(f) };
    f();
    exit()
}

/// Start a kernel task; returns its id.
pub fn spawn(name: &str, f: impl FnOnce() + Send + 'static) -> u32 {
    let stack = vec![0u8; STACK_SIZE].into_boxed_slice();
    let top = (stack.as_ptr() as u64 + STACK_SIZE as u64) & !0xF;
    let frame_at = top - 16 - core::mem::size_of::<Frame>() as u64;
    let boxed: Box<Box<dyn FnOnce() + Send>> = Box::new(Box::new(f));
    let frame = Frame {
        rdi: Box::into_raw(boxed) as u64,
        rip: task_entry as extern "C" fn(*mut Box<dyn FnOnce() + Send>) -> ! as usize as u64,
        cs: u64::from(gdt::KERNEL_CODE),
        rflags: 0x202,
        rsp: top - 8, // as if `task_entry` had been called
        ss: u64::from(gdt::KERNEL_DATA),
        ..Frame::default()
    };
    // SAFETY: frame_at lies inside the new stack, 16-byte aligned.
    unsafe { (frame_at as *mut Frame).write(frame) };
    let mut s = SCHED.lock();
    let id = s.next_id;
    s.next_id += 1;
    let cr3 = crate::memory::kernel_pml4();
    s.tasks.push(Task {
        id,
        name: name.into(),
        state: State::Ready,
        rsp: frame_at,
        _stack: Some(stack),
        cr3,
        rsp0: 0,
        user_ctx: 0,
    });
    id
}

/// Pick the next task. Called with interrupts off from the timer and yield vectors.
pub fn schedule(frame: *mut Frame) -> *mut Frame {
    let mut s = SCHED.lock();
    if s.tasks.is_empty() {
        return frame;
    }
    let cur_id = s.tasks[s.current].id;
    // Free the stacks of finished tasks (never the one we are still standing on).
    s.tasks.retain(|t| t.state != State::Dead || t.id == cur_id);
    let cur = s.tasks.iter().position(|t| t.id == cur_id).unwrap_or(0);
    let now = pic::ticks();
    {
        let t = &mut s.tasks[cur];
        t.rsp = frame as u64;
        if t.state == State::Running {
            t.state = State::Ready;
        }
    }
    for t in s.tasks.iter_mut() {
        if let State::Sleeping(until) = t.state
            && now >= until
        {
            t.state = State::Ready;
        }
    }
    let n = s.tasks.len();
    let next = (1..=n).map(|k| (cur + k) % n).find(|&i| i != 0 && s.tasks[i].state == State::Ready).unwrap_or(0);
    s.current = next;
    let t = &mut s.tasks[next];
    t.state = State::Running;
    if t.rsp0 != 0 {
        gdt::set_kernel_stack(t.rsp0);
    }
    if crate::cpu::read_cr3() != t.cr3 {
        // SAFETY: every task's tables map the kernel identically.
        unsafe { crate::cpu::write_cr3(t.cr3) };
    }
    t.rsp as *mut Frame
}

/// Give the CPU to the next ready task.
pub fn yield_now() {
    // SAFETY: vector 0x81 is our yield gate.
    unsafe { core::arch::asm!("int 0x81") };
}

fn set_current_state(state: State) {
    let mut s = SCHED.lock();
    let cur = s.current;
    if cur != 0 {
        s.tasks[cur].state = state;
    }
}

/// Make a blocked task ready again.
fn wake(id: u32) {
    let mut s = SCHED.lock();
    if let Some(t) = s.tasks.iter_mut().find(|t| t.id == id && t.state == State::Blocked) {
        t.state = State::Ready;
    }
}

/// Tasks waiting for something (input, a channel value, a mutex).
pub struct WaitQueue {
    waiters: IrqLock<Vec<u32>>,
}

impl WaitQueue {
    pub const fn new() -> Self {
        WaitQueue { waiters: IrqLock::new(Vec::new()) }
    }

    /// Block until `ready` returns a value. `ready` runs with interrupts off, so a wake-up
    /// cannot slip in between the test and going to sleep.
    pub fn wait_until<T>(&self, mut ready: impl FnMut() -> Option<T>) -> T {
        let restore = crate::cpu::interrupts_enabled();
        crate::cpu::cli();
        let value = loop {
            if let Some(v) = ready() {
                break v;
            }
            let id = {
                let mut s = SCHED.lock();
                let cur = s.current;
                if cur != 0 {
                    s.tasks[cur].state = State::Blocked;
                }
                s.tasks[cur].id
            };
            self.waiters.lock().push(id);
            yield_now();
        };
        if restore {
            crate::cpu::sti();
        }
        value
    }

    /// Make every waiter ready (each tests its condition again).
    pub fn wake_all(&self) {
        let ids = core::mem::take(&mut *self.waiters.lock());
        for id in ids {
            wake(id);
        }
    }
}

/// Sleep for at least `ms` milliseconds.
pub fn sleep_ms(ms: u64) {
    set_current_state(State::Sleeping(pic::ticks() + pic::ms_to_ticks(ms).max(1)));
    yield_now();
}

/// End the current task.
pub fn exit() -> ! {
    set_current_state(State::Dead);
    loop {
        yield_now();
    }
}

/// Point the current task at a user address space and its ring-0 stack (or back at the kernel
/// with `cr3 = kernel_pml4(), rsp0 = 0, ctx = 0`), and switch now.
pub fn set_user_context(cr3: u64, rsp0: u64, ctx: u64) {
    let mut s = SCHED.lock();
    let cur = s.current;
    let t = &mut s.tasks[cur];
    t.cr3 = cr3;
    t.rsp0 = rsp0;
    t.user_ctx = ctx;
    if rsp0 != 0 {
        gdt::set_kernel_stack(rsp0);
    }
    // SAFETY: both address spaces map the kernel identically.
    unsafe { crate::cpu::write_cr3(cr3) };
}

/// The context `process::run` waits in, for the current task.
pub fn current_user_ctx() -> u64 {
    let s = SCHED.lock();
    s.tasks[s.current].user_ctx
}

/// (id, name, state) of every task.
pub fn tasks() -> Vec<(u32, String, State)> {
    SCHED.lock().tasks.iter().map(|t| (t.id, t.name.clone(), t.state)).collect()
}
