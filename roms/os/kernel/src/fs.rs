//! The kernel's VFS: the FAT volume of the boot disk on /, an in-memory file system on /tmp.
use crate::ata::Ata;
use crate::println;
use crate::sync::{Mutex, MutexGuard};
use alloc::boxed::Box;
use wbos_lib::fat::{BlockDevice, Fat, find_partition};
use wbos_lib::memfs::MemFs;
use wbos_lib::vfs::Vfs;

static VFS: Mutex<Option<Vfs>> = Mutex::new(None);

/// Mount everything, logging what was found.
pub fn init() {
    let mut vfs = Vfs::new();
    match mount_disk() {
        Ok(fat) => {
            println!(
                "{}: volume {}, {} clusters of {} bytes, {} free",
                fat_kind_name(&fat),
                fat.label(),
                fat.clusters(),
                fat.cluster_bytes(),
                fat.free_clusters()
            );
            vfs.mount("/", Box::new(fat));
        }
        Err(e) => {
            println!("disk: {e}; / is an empty memfs");
            vfs.mount("/", Box::new(MemFs::new()));
        }
    }
    vfs.mount("/tmp", Box::new(MemFs::new()));
    for (at, kind) in vfs.mounts() {
        println!("vfs: {at}: {kind}");
    }
    *VFS.lock() = Some(vfs);
}

fn fat_kind_name(fat: &Fat<Ata>) -> &'static str {
    match fat.fat_kind() {
        wbos_lib::fat::FatKind::Fat12 => "fat12",
        wbos_lib::fat::FatKind::Fat16 => "fat16",
    }
}

fn mount_disk() -> Result<Fat<Ata>, &'static str> {
    let mut ata = Ata::probe().ok_or("no ATA disk on the primary channel")?;
    let mut mbr = [0u8; 512];
    ata.read_sector(0, &mut mbr).map_err(|_| "cannot read the MBR")?;
    let (start, sectors) = find_partition(&mbr).ok_or("no FAT partition in the MBR")?;
    println!("ata: primary master; partition 1 at lba {start}, {sectors} sectors");
    Fat::mount(ata, start).map_err(|_| "the partition is not a FAT12/16 volume")
}

/// The VFS, locked for the caller.
pub fn vfs() -> MutexGuard<'static, Option<Vfs>> {
    VFS.lock()
}
