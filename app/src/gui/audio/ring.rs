//! A lock-free single-producer single-consumer ring of `f32` samples: the emulation
//! thread pushes, the audio callback pops. Samples are stored as bits in atomics, so the
//! ring needs no `unsafe` and never blocks either side.

use std::sync::Arc;
use std::sync::atomic::{AtomicU32, AtomicUsize, Ordering};

struct Shared {
    slots: Box<[AtomicU32]>,
    /// Next slot the consumer reads (only the consumer stores it).
    head: AtomicUsize,
    /// Next slot the producer writes (only the producer stores it).
    tail: AtomicUsize,
}

/// The writing end (emulation thread).
pub struct Producer {
    shared: Arc<Shared>,
}

/// The reading end (audio callback).
pub struct Consumer {
    shared: Arc<Shared>,
}

/// A ring holding up to `capacity` samples.
pub fn ring(capacity: usize) -> (Producer, Consumer) {
    let slots = (0..capacity.max(1) + 1)
        .map(|_| AtomicU32::new(0))
        .collect();
    let shared = Arc::new(Shared {
        slots,
        head: AtomicUsize::new(0),
        tail: AtomicUsize::new(0),
    });
    (
        Producer {
            shared: shared.clone(),
        },
        Consumer { shared },
    )
}

impl Shared {
    fn len(&self) -> usize {
        let head = self.head.load(Ordering::Acquire);
        let tail = self.tail.load(Ordering::Acquire);
        (tail + self.slots.len() - head) % self.slots.len()
    }
    fn capacity(&self) -> usize {
        self.slots.len() - 1
    }
}

impl Producer {
    /// Push as many samples as fit; returns how many were pushed.
    pub fn push(&mut self, samples: &[f32]) -> usize {
        let s = &*self.shared;
        let n = s.slots.len();
        let mut tail = s.tail.load(Ordering::Relaxed);
        let head = s.head.load(Ordering::Acquire);
        let mut pushed = 0;
        for &x in samples {
            let next = (tail + 1) % n;
            if next == head {
                break;
            }
            s.slots[tail].store(x.to_bits(), Ordering::Relaxed);
            tail = next;
            pushed += 1;
        }
        s.tail.store(tail, Ordering::Release);
        pushed
    }
    pub fn len(&self) -> usize {
        self.shared.len()
    }
    pub fn capacity(&self) -> usize {
        self.shared.capacity()
    }
}

impl Consumer {
    /// Pop up to `out.len()` samples; returns how many were written.
    pub fn pop(&mut self, out: &mut [f32]) -> usize {
        let s = &*self.shared;
        let n = s.slots.len();
        let mut head = s.head.load(Ordering::Relaxed);
        let tail = s.tail.load(Ordering::Acquire);
        let mut popped = 0;
        for o in out.iter_mut() {
            if head == tail {
                break;
            }
            *o = f32::from_bits(s.slots[head].load(Ordering::Relaxed));
            head = (head + 1) % n;
            popped += 1;
        }
        s.head.store(head, Ordering::Release);
        popped
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fifo_order_wraparound_and_full() {
        let (mut p, mut c) = ring(4);
        assert_eq!(p.push(&[1.0, 2.0, 3.0, 4.0, 5.0]), 4, "full at capacity");
        let mut out = [0.0; 3];
        assert_eq!(c.pop(&mut out), 3);
        assert_eq!(out, [1.0, 2.0, 3.0]);
        assert_eq!(p.push(&[6.0, 7.0, 8.0]), 3);
        let mut out = [0.0; 8];
        assert_eq!(c.pop(&mut out), 4);
        assert_eq!(&out[..4], &[4.0, 6.0, 7.0, 8.0]);
        assert_eq!(p.len(), 0);
    }

    #[test]
    fn threads_see_every_sample_in_order() {
        let (mut p, mut c) = ring(64);
        let writer = std::thread::spawn(move || {
            let mut next = 0u32;
            while next < 10_000 {
                let batch: Vec<f32> = (next..(next + 16).min(10_000)).map(|x| x as f32).collect();
                next += p.push(&batch) as u32;
            }
        });
        let mut seen = 0u32;
        let mut buf = [0.0f32; 32];
        while seen < 10_000 {
            let n = c.pop(&mut buf);
            for x in &buf[..n] {
                assert_eq!(*x, seen as f32);
                seen += 1;
            }
        }
        writer.join().unwrap();
    }
}
