//! File dialogs that never block the UI thread: rfd's [`rfd::AsyncFileDialog`] future is
//! driven to completion on a background thread and the chosen path comes back through a
//! channel the UI polls each frame. While a dialog is open the window keeps repainting
//! (the emulation, the panels and the status bar stay live).

use std::future::Future;
use std::path::PathBuf;
use std::time::Duration;

use crossbeam_channel::{Receiver, TryRecvError};

/// What the user does in the dialog.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    /// Choose an existing file.
    Open,
    /// Choose where to write a file.
    Save,
}

/// How often the UI wakes up while a dialog is open, even with nothing else to draw.
const POLL: Duration = Duration::from_millis(100);

/// One open dialog whose answer is still to come; `T` says what the path is for.
pub struct Pending<T> {
    purpose: T,
    rx: Receiver<Option<PathBuf>>,
}

impl<T: Copy> Pending<T> {
    /// Open a native dialog with `filters` (name, extensions).
    pub fn show(ctx: &egui::Context, purpose: T, mode: Mode, filters: &[(&str, &[&str])]) -> Self {
        let mut dialog = rfd::AsyncFileDialog::new();
        for (name, extensions) in filters {
            dialog = dialog.add_filter(*name, extensions);
        }
        // The future is made here (some platforms need their dialogs started on the UI
        // thread) and awaited elsewhere.
        match mode {
            Mode::Open => {
                let fut = dialog.pick_file();
                Self::spawn(ctx, purpose, async move {
                    fut.await.map(|h| h.path().to_path_buf())
                })
            }
            Mode::Save => {
                let fut = dialog.save_file();
                Self::spawn(ctx, purpose, async move {
                    fut.await.map(|h| h.path().to_path_buf())
                })
            }
        }
    }

    /// Drive `answer` on a background thread; the UI is woken when it completes.
    pub fn spawn(
        ctx: &egui::Context,
        purpose: T,
        answer: impl Future<Output = Option<PathBuf>> + Send + 'static,
    ) -> Self {
        let (tx, rx) = crossbeam_channel::bounded(1);
        let ctx = ctx.clone();
        let spawned = std::thread::Builder::new()
            .name("file dialog".into())
            .spawn(move || {
                let path = pollster::block_on(answer);
                // The receiver is gone only when the window closed meanwhile.
                let _ = tx.send(path);
                ctx.request_repaint();
            });
        if spawned.is_err() {
            // No thread, no dialog: `poll` reports a cancelled dialog.
            let (_, dead) = crossbeam_channel::bounded(0);
            return Pending { purpose, rx: dead };
        }
        Pending { purpose, rx }
    }

    pub fn purpose(&self) -> T {
        self.purpose
    }

    /// Call once a frame: `None` while the dialog is open (and a repaint is scheduled),
    /// then the answer: the path, or `None` when the user cancelled or no dialog could
    /// be shown.
    pub fn poll(&self, ctx: &egui::Context) -> Option<Option<PathBuf>> {
        match self.rx.try_recv() {
            Ok(path) => Some(path),
            Err(TryRecvError::Disconnected) => Some(None),
            Err(TryRecvError::Empty) => {
                ctx.request_repaint_after(POLL);
                None
            }
        }
    }
}

/// Poll `slot`'s dialog: its purpose and answer once it is answered (the slot is then
/// free for the next dialog).
pub fn take_answer<T: Copy>(
    slot: &mut Option<Pending<T>>,
    ctx: &egui::Context,
) -> Option<(T, Option<PathBuf>)> {
    let answer = slot.as_ref()?.poll(ctx)?;
    let purpose = slot.take()?.purpose();
    Some((purpose, answer))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The UI keeps running frames while the answer is pending, and gets it afterwards.
    #[test]
    fn the_answer_arrives_through_the_channel_without_blocking() {
        let ctx = egui::Context::default();
        let (release, wait) = crossbeam_channel::bounded::<()>(0);
        let mut slot = Some(Pending::spawn(&ctx, 7u8, async move {
            // The user takes their time.
            wait.recv().ok()?;
            Some(PathBuf::from("/tmp/picked.ch8"))
        }));
        for _ in 0..3 {
            assert_eq!(take_answer(&mut slot, &ctx), None, "still open");
        }
        release.send(()).unwrap();
        let deadline = std::time::Instant::now() + Duration::from_secs(10);
        let answer = loop {
            if let Some(a) = take_answer(&mut slot, &ctx) {
                break a;
            }
            assert!(std::time::Instant::now() < deadline, "no answer");
            std::thread::sleep(Duration::from_millis(5));
        };
        assert_eq!(answer, (7, Some(PathBuf::from("/tmp/picked.ch8"))));
        assert!(slot.is_none(), "the slot is free again");
    }

    #[test]
    fn a_cancelled_dialog_answers_none() {
        let ctx = egui::Context::default();
        let mut slot = Some(Pending::spawn(&ctx, (), async { None }));
        let deadline = std::time::Instant::now() + Duration::from_secs(10);
        loop {
            if let Some(a) = take_answer(&mut slot, &ctx) {
                assert_eq!(a, ((), None));
                break;
            }
            assert!(std::time::Instant::now() < deadline, "no answer");
            std::thread::sleep(Duration::from_millis(5));
        }
    }
}
