//! FAT tests on images made by the host's mkfs.fat and mtools, checked back with mtools and
//! fsck.fat. Without those tools the tests say so and pass (CI installs them).
use super::*;
use crate::fs::FileSystem;
use std::path::PathBuf;
use std::process::Command;

struct MemDisk(Vec<u8>);

impl BlockDevice for MemDisk {
    fn read_sector(&mut self, lba: u64, buf: &mut [u8; 512]) -> Result<(), FsError> {
        let at = lba as usize * 512;
        buf.copy_from_slice(self.0.get(at..at + 512).ok_or(FsError::Io)?);
        Ok(())
    }
    fn write_sector(&mut self, lba: u64, buf: &[u8; 512]) -> Result<(), FsError> {
        let at = lba as usize * 512;
        self.0.get_mut(at..at + 512).ok_or(FsError::Io)?.copy_from_slice(buf);
        Ok(())
    }
}

fn tool(name: &str) -> bool {
    Command::new(name).arg("--version").output().is_ok()
}

fn scratch(name: &str) -> PathBuf {
    std::env::temp_dir().join(format!("wbos-fat-{}-{name}", std::process::id()))
}

/// A fresh image of `fat` bits and `kib` KiB with a few files, or None without the host tools.
fn image(name: &str, fat: &str, kib: u32) -> Option<(PathBuf, Vec<u8>)> {
    if !tool("mkfs.fat") || !tool("mcopy") {
        eprintln!("skipped: mkfs.fat/mcopy not found (apt-get install dosfstools mtools)");
        return None;
    }
    let path = scratch(name);
    let _ = std::fs::remove_file(&path);
    let ok = Command::new("mkfs.fat")
        .args(["-F", fat, "-n", "TESTVOL", "--invariant", "-C"])
        .arg(&path)
        .arg(kib.to_string())
        .output()
        .unwrap();
    assert!(ok.status.success(), "{}", String::from_utf8_lossy(&ok.stderr));
    let big: Vec<u8> = (0..5000u32).map(|i| (i * 31 % 253) as u8).collect();
    let files =
        [("hello.txt", b"hello, fat\n".to_vec()), ("big.bin", big), ("Long File Name.text", b"long\n".to_vec())];
    for (n, data) in &files {
        let src = scratch(&format!("{name}-{}", n.replace(' ', "_")));
        std::fs::write(&src, data).unwrap();
        mtools(&path, "mcopy", &[src.to_str().unwrap(), &format!("::/{n}")]);
        std::fs::remove_file(&src).unwrap();
    }
    mtools(&path, "mmd", &["::/sub"]);
    let data = std::fs::read(&path).unwrap();
    Some((path, data))
}

fn mtools(img: &PathBuf, tool: &str, args: &[&str]) -> String {
    let out = Command::new(tool).env("MTOOLS_SKIP_CHECK", "1").arg("-i").arg(img).args(args).output().unwrap();
    assert!(out.status.success(), "{tool} {args:?}: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn fsck_clean(img: &PathBuf) {
    let out = Command::new("fsck.fat").arg("-n").arg(img).output().unwrap();
    assert!(
        out.status.success(),
        "fsck.fat: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

fn exercise(name: &str, fat: &str, kib: u32, kind: FatKind) {
    let Some((path, data)) = image(name, fat, kib) else { return };
    let mut fs = Fat::mount(MemDisk(data), 0).unwrap();
    assert_eq!(fs.fat_kind(), kind);
    assert_eq!(fs.label(), "TESTVOL");
    let mut names: Vec<_> = fs.list(&[]).unwrap().into_iter().map(|e| e.name).collect();
    names.sort();
    assert_eq!(names, ["Long File Name.text", "big.bin", "hello.txt", "sub"]);
    assert_eq!(fs.read(&["HELLO.TXT"]).unwrap(), b"hello, fat\n");
    assert_eq!(fs.read(&["long file name.text"]).unwrap(), b"long\n");
    let big: Vec<u8> = (0..5000u32).map(|i| (i * 31 % 253) as u8).collect();
    assert_eq!(fs.read(&["big.bin"]).unwrap(), big);
    assert_eq!(fs.read(&["nope"]), Err(FsError::NotFound));
    assert_eq!(fs.read(&["sub"]), Err(FsError::IsADirectory));

    // Writes: new file, replace, append across a cluster boundary, subdirectories, removal.
    let free0 = fs.free_clusters();
    fs.write(&["new.txt"], b"first", false).unwrap();
    fs.write(&["new.txt"], b"second", false).unwrap();
    let tail: Vec<u8> = (0..3000u32).map(|i| b'a' + (i % 26) as u8).collect();
    fs.write(&["new.txt"], &tail, true).unwrap();
    fs.mkdir(&["sub", "deeper"]).unwrap();
    assert_eq!(fs.mkdir(&["sub", "deeper"]), Err(FsError::AlreadyExists));
    for i in 0..40 {
        // Enough entries to grow the subdirectory past one cluster.
        fs.write(&["sub", "deeper", &format!("f{i}.txt")], format!("file {i}").as_bytes(), false).unwrap();
    }
    assert_eq!(fs.read(&["sub", "deeper", "f39.txt"]).unwrap(), b"file 39");
    assert_eq!(fs.remove(&["sub", "deeper"]), Err(FsError::NotEmpty));
    fs.remove(&["Long File Name.text"]).unwrap();
    fs.remove(&["sub", "deeper", "f0.txt"]).unwrap();
    assert_eq!(fs.write(&["Bad Name.txt"], b"x", false), Err(FsError::InvalidName));
    assert!(fs.free_clusters() < free0);

    let disk = fs.into_device().0;
    std::fs::write(&path, &disk).unwrap();
    let mut expect = b"second".to_vec();
    expect.extend_from_slice(&tail);
    assert_eq!(mtools(&path, "mtype", &["::/new.txt"]).as_bytes(), expect.as_slice());
    assert_eq!(mtools(&path, "mtype", &["::/sub/deeper/f7.txt"]), "file 7");
    let dir = mtools(&path, "mdir", &["-b", "::/"]);
    assert!(!dir.to_lowercase().contains("long file name"), "{dir}");
    fsck_clean(&path);

    // Our writes read back through a fresh mount.
    let mut fs = Fat::mount(MemDisk(disk), 0).unwrap();
    assert_eq!(fs.read(&["new.txt"]).unwrap(), expect);
    assert_eq!(fs.list(&["sub", "deeper"]).unwrap().len(), 39);
    std::fs::remove_file(&path).unwrap();
}

#[test]
fn fat16_volume_made_by_mkfs() {
    exercise("f16", "16", 16 * 1024, FatKind::Fat16);
}

#[test]
fn fat12_floppy_made_by_mkfs() {
    exercise("f12", "12", 1440, FatKind::Fat12);
}

#[test]
fn garbage_is_an_error_not_a_panic() {
    assert!(Fat::mount(MemDisk(vec![0u8; 4096]), 0).is_err());
    let mut bs = vec![0u8; 4096];
    bs[510] = 0x55;
    bs[511] = 0xAA;
    bs[11] = 0;
    bs[12] = 2;
    bs[13] = 1;
    assert!(Fat::mount(MemDisk(bs.clone()), 0).is_err());
    // A loop in the FAT is reported, not followed forever.
    let Some((path, data)) = image("loop", "12", 1440) else { return };
    let mut fs = Fat::mount(MemDisk(data), 0).unwrap();
    let big = fs.read_dir(Dir::Root).unwrap().into_iter().find(|r| r.name == "big.bin").unwrap();
    fs.set_entry(big.cluster + 1, big.cluster);
    assert!(matches!(fs.read(&["big.bin"]), Err(FsError::Corrupt(_))));
    std::fs::remove_file(&path).unwrap();
}

#[test]
fn partition_table() {
    let mut mbr = [0u8; 512];
    mbr[510] = 0x55;
    mbr[511] = 0xAA;
    assert_eq!(find_partition(&mbr), None);
    mbr[446 + 16 + 4] = 0x04;
    mbr[446 + 16 + 8..446 + 16 + 12].copy_from_slice(&2048u32.to_le_bytes());
    mbr[446 + 16 + 12..446 + 16 + 16].copy_from_slice(&32768u32.to_le_bytes());
    assert_eq!(find_partition(&mbr), Some((2048, 32768)));
}

#[test]
fn a_full_volume_says_no_space_and_keeps_old_data() {
    let Some((path, data)) = image("full", "12", 1440) else { return };
    let mut fs = Fat::mount(MemDisk(data), 0).unwrap();
    let huge = vec![7u8; 2 << 20];
    assert_eq!(fs.write(&["huge.bin"], &huge, false), Err(FsError::NoSpace));
    assert_eq!(fs.write(&["hello.txt"], &huge, false), Err(FsError::NoSpace));
    assert_eq!(fs.read(&["hello.txt"]).unwrap(), b"hello, fat\n");
    assert_eq!(fs.read(&["huge.bin"]), Err(FsError::NotFound));
    // Fill it up exactly, then one byte more.
    let free = fs.free_clusters() as usize * fs.cluster_bytes() as usize;
    fs.write(&["fill.bin"], &vec![1u8; free], false).unwrap();
    assert_eq!(fs.free_clusters(), 0);
    assert_eq!(fs.write(&["fill.bin"], b"x", true), Err(FsError::NoSpace));
    assert_eq!(fs.read(&["fill.bin"]).unwrap().len(), free);
    std::fs::write(&path, fs.into_device().0).unwrap();
    fsck_clean(&path);
    std::fs::remove_file(&path).unwrap();
}

#[test]
fn a_full_root_directory_gives_its_clusters_back() {
    let Some((path, data)) = image("root", "12", 1440) else { return };
    let mut fs = Fat::mount(MemDisk(data), 0).unwrap();
    let mut made = 0;
    let err = loop {
        match fs.write(&[&format!("f{made}.txt")], b"some data", false) {
            Ok(()) => made += 1,
            Err(e) => break e,
        }
    };
    assert_eq!(err, FsError::NoSpace);
    assert!(made > 200, "a floppy root holds 224 entries, made {made}");
    let free = fs.free_clusters();
    assert_eq!(fs.write(&["one.txt"], b"more", false), Err(FsError::NoSpace));
    assert_eq!(fs.mkdir(&["dir"]), Err(FsError::NoSpace));
    assert_eq!(fs.free_clusters(), free, "failed creations leak no cluster");
    std::fs::write(&path, fs.into_device().0).unwrap();
    fsck_clean(&path);
    std::fs::remove_file(&path).unwrap();
}
