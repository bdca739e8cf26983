//! ATA PIO on the primary channel (ports 0x1F0..0x1F7, control 0x3F6), master drive, LBA28,
//! polled (nIEN set: no IRQ 14).
use crate::port::{inb, inw, outb, outw};
use wbos_lib::fat::BlockDevice;
use wbos_lib::fs::FsError;

const DATA: u16 = 0x1F0;
const COUNT: u16 = 0x1F2;
const LBA0: u16 = 0x1F3;
const LBA1: u16 = 0x1F4;
const LBA2: u16 = 0x1F5;
const DRIVE: u16 = 0x1F6;
const STATUS: u16 = 0x1F7;
const COMMAND: u16 = 0x1F7;
const CONTROL: u16 = 0x3F6;

const BSY: u8 = 0x80;
const DF: u8 = 0x20;
const DRQ: u8 = 0x08;
const ERR: u8 = 0x01;

const READ_SECTORS: u8 = 0x20;
const WRITE_SECTORS: u8 = 0x30;
const FLUSH_CACHE: u8 = 0xE7;

/// The primary master disk.
pub struct Ata;

impl Ata {
    /// The disk, if the channel answers.
    pub fn probe() -> Option<Ata> {
        // SAFETY: the primary ATA ports are ours.
        unsafe {
            outb(CONTROL, 0x02); // nIEN: we poll
            outb(DRIVE, 0xE0);
            if inb(STATUS) == 0xFF {
                return None; // floating bus: no controller
            }
        }
        Some(Ata)
    }

    fn wait(&self, want_drq: bool) -> Result<(), FsError> {
        for _ in 0..10_000_000 {
            // SAFETY: reading STATUS has no side effect we mind (clears a pending IRQ).
            let s = unsafe { inb(STATUS) };
            if s & BSY != 0 {
                continue;
            }
            if s & (ERR | DF) != 0 {
                return Err(FsError::Io);
            }
            if !want_drq || s & DRQ != 0 {
                return Ok(());
            }
        }
        Err(FsError::Io)
    }

    fn command(&self, lba: u64, cmd: u8) -> Result<(), FsError> {
        if lba >= 1 << 28 {
            return Err(FsError::Io);
        }
        self.wait(false)?;
        // SAFETY: programming the task file of our drive.
        unsafe {
            outb(DRIVE, 0xE0 | ((lba >> 24) & 0x0F) as u8);
            outb(COUNT, 1);
            outb(LBA0, lba as u8);
            outb(LBA1, (lba >> 8) as u8);
            outb(LBA2, (lba >> 16) as u8);
            outb(COMMAND, cmd);
        }
        self.wait(true)
    }
}

impl BlockDevice for Ata {
    fn read_sector(&mut self, lba: u64, buf: &mut [u8; 512]) -> Result<(), FsError> {
        self.command(lba, READ_SECTORS)?;
        for pair in buf.chunks_exact_mut(2) {
            // SAFETY: DRQ is set: the drive has 256 words for us.
            let w = unsafe { inw(DATA) };
            pair.copy_from_slice(&w.to_le_bytes());
        }
        Ok(())
    }

    fn write_sector(&mut self, lba: u64, buf: &[u8; 512]) -> Result<(), FsError> {
        self.command(lba, WRITE_SECTORS)?;
        for pair in buf.chunks_exact(2) {
            // SAFETY: DRQ is set: the drive takes 256 words.
            unsafe { outw(DATA, u16::from_le_bytes([pair[0], pair[1]])) };
        }
        self.wait(false)?;
        // SAFETY: FLUSH CACHE has no data phase.
        unsafe { outb(COMMAND, FLUSH_CACHE) };
        self.wait(false)
    }
}
