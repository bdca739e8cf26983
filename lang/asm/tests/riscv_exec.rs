//! Linked executables run: our own static ELF under qemu-riscv64, and the listing, line map
//! and diagnostics of RISC-V sources.

// A failing test reports by panicking.
#![allow(clippy::panic)]

use std::path::Path;
use std::process::Command;

use wb_asm::{Isa, OutputKind, assemble_file, assemble_str};

fn no_include(_: &str) -> std::io::Result<String> {
    Err(std::io::ErrorKind::NotFound.into())
}

#[test]
fn executable_runs_under_qemu() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../roms/asm/riscv/hello.s");
    let exe = assemble_file(&path, Isa::RiscV, OutputKind::Executable)
        .unwrap_or_else(|d| panic!("{}", d.iter().map(|d| d.to_string()).collect::<Vec<_>>().join("\n")));
    assert_eq!(&exe.bytes[..4], b"\x7fELF");
    assert_eq!(u16::from_le_bytes([exe.bytes[16], exe.bytes[17]]), 2, "ET_EXEC");
    let start = exe.debug.symbols.by_name("_start").map(|s| s.addr).unwrap_or(0);
    assert_eq!(u64::from_le_bytes(exe.bytes[24..32].try_into().unwrap_or([0; 8])), start, "entry is _start");
    assert_eq!(exe.debug.line_at(start).map(|l| l.line), Some(14));
    if Command::new("qemu-riscv64").arg("--version").output().is_err() {
        println!("skipped: qemu-riscv64 not found (install qemu-user)");
        return;
    }
    let file = std::env::temp_dir().join(format!("wb-asm-hello-{}", std::process::id()));
    std::fs::write(&file, &exe.bytes).unwrap_or_default();
    {
        use std::os::unix::fs::PermissionsExt;
        let _ = std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o755));
    }
    let out = Command::new("qemu-riscv64").arg(&file).output();
    let _ = std::fs::remove_file(&file);
    let out = out.unwrap_or_else(|e| panic!("qemu-riscv64: {e}"));
    assert_eq!(String::from_utf8_lossy(&out.stdout), "hello from wb-asm\n");
    assert_eq!(out.status.code(), Some(42));
}

#[test]
fn listing_and_line_map() {
    let src = "  .text\n_start:\n  li a0, 0x12345678\n  ret\n";
    let a = assemble_str("l.s", src, Isa::RiscV, OutputKind::Object, &no_include).unwrap_or_else(|d| panic!("{d:?}"));
    // li expands to lui (4 bytes) + addiw (4 bytes, not compressible), then c.jr ra.
    assert!(a.listing.contains("00000000  37 55 34 12 1B 05 85 67"), "{}", a.listing);
    assert!(a.listing.contains("l.s:4"), "{}", a.listing);
    assert_eq!(a.debug.line_at(0).map(|l| l.line), Some(3));
    assert_eq!(a.debug.line_at(8).map(|l| l.line), Some(4));
}

#[test]
fn errors_carry_file_line_column() {
    let cases: &[(&str, u32, u32, &str)] = &[
        ("  addi a0, a0, 5000\n", 1, 3, "12 bits"),
        ("\n  frob a0\n", 2, 3, "unknown instruction"),
        ("  add a0, a1\n", 1, 3, "operands"),
        ("  beqz a0, 1f\n", 1, 12, "undefined"),
        ("  .word 1, (2\n", 1, 14, "`)`"),
        ("x:\nx:\n", 2, 1, "already defined"),
        ("  .macro m\n  nop\n", 2, 1, ".endm"),
        ("  li a0, 1 +\n", 1, 13, "expression"),
        ("  lw a0, 4(a1\n", 1, 11, "unexpected"),
        ("  .option pop\n", 1, 3, "push"),
    ];
    for (src, line, col, needle) in cases {
        let d = match assemble_str("e.s", src, Isa::RiscV, OutputKind::Object, &no_include) {
            Ok(_) => panic!("no error for {src:?}"),
            Err(d) => d,
        };
        let first = &d[0];
        assert_eq!((first.line, first.column), (*line, *col), "{src:?}: {first}");
        assert_eq!(first.file, "e.s");
        assert!(first.message.contains(needle), "{src:?}: {first}");
        assert!(first.to_string().starts_with(&format!("e.s:{line}:{col}: error: ")));
    }
}

#[test]
fn includes_are_read_through_the_callback() {
    let inc = |name: &str| -> std::io::Result<String> {
        if name == "defs.inc" { Ok(".equ ANSWER, 42\n".into()) } else { Err(std::io::ErrorKind::NotFound.into()) }
    };
    let a = assemble_str("m.s", ".include \"defs.inc\"\n_start: li a0, ANSWER\n", Isa::RiscV, OutputKind::Executable, &inc);
    assert!(a.is_ok(), "{a:?}");
    let d = assemble_str("m.s", "\n.include \"missing.inc\"\n", Isa::RiscV, OutputKind::Object, &inc).err().unwrap_or_default();
    assert_eq!((d[0].line, d[0].column), (2, 1));
    assert!(d[0].message.contains("missing.inc"));
    let d = assemble_str("m.s", "_start: call nowhere\n", Isa::RiscV, OutputKind::Executable, &inc).err().unwrap_or_default();
    assert!(d[0].message.contains("nowhere"), "{d:?}");
    assert_eq!((d[0].line, d[0].column), (1, 9));
}
