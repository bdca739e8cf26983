//! Blocking primitives for tasks: a mutex whose waiters sleep, and a channel.
use crate::sched::WaitQueue;
use alloc::collections::VecDeque;
use core::cell::UnsafeCell;
use core::ops::{Deref, DerefMut};
use core::sync::atomic::{AtomicBool, Ordering};

/// A mutex for tasks: a contended `lock` blocks the task instead of spinning with interrupts
/// off, so it may be held across long operations (disk I/O).
pub struct Mutex<T> {
    locked: AtomicBool,
    waiters: WaitQueue,
    value: UnsafeCell<T>,
}

// SAFETY: one guard at a time.
unsafe impl<T: Send> Sync for Mutex<T> {}
// SAFETY: moving the mutex moves the T.
unsafe impl<T: Send> Send for Mutex<T> {}

impl<T> Mutex<T> {
    pub const fn new(value: T) -> Self {
        Mutex { locked: AtomicBool::new(false), waiters: WaitQueue::new(), value: UnsafeCell::new(value) }
    }

    fn try_lock(&self) -> Option<MutexGuard<'_, T>> {
        self.locked
            .compare_exchange(false, true, Ordering::Acquire, Ordering::Relaxed)
            .is_ok()
            // `then`, not `then_some`: a guard built for a failed attempt would unlock on drop.
            .then(|| MutexGuard { m: self })
    }

    pub fn lock(&self) -> MutexGuard<'_, T> {
        if let Some(g) = self.try_lock() {
            return g;
        }
        self.waiters.wait_until(|| self.try_lock())
    }
}

pub struct MutexGuard<'a, T> {
    m: &'a Mutex<T>,
}

impl<T> Deref for MutexGuard<'_, T> {
    type Target = T;
    fn deref(&self) -> &T {
        // SAFETY: we hold the mutex.
        unsafe { &*self.m.value.get() }
    }
}

impl<T> DerefMut for MutexGuard<'_, T> {
    fn deref_mut(&mut self) -> &mut T {
        // SAFETY: we hold the mutex.
        unsafe { &mut *self.m.value.get() }
    }
}

impl<T> Drop for MutexGuard<'_, T> {
    fn drop(&mut self) {
        self.m.locked.store(false, Ordering::Release);
        self.m.waiters.wake_all();
    }
}

/// An unbounded multi-producer channel between tasks; `recv` blocks until a value arrives.
pub struct Channel<T> {
    queue: Mutex<VecDeque<T>>,
    readers: WaitQueue,
}

impl<T> Default for Channel<T> {
    fn default() -> Self {
        Self::new()
    }
}

impl<T> Channel<T> {
    pub const fn new() -> Self {
        Channel { queue: Mutex::new(VecDeque::new()), readers: WaitQueue::new() }
    }

    pub fn send(&self, v: T) {
        self.queue.lock().push_back(v);
        self.readers.wake_all();
    }

    /// Wait for the next value.
    pub fn recv(&self) -> T {
        self.readers.wait_until(|| self.queue.lock().pop_front())
    }
}
