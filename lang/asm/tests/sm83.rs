//! SM83: our Game Boy program assembles to a ROM whose header a real boot ROM accepts.

// A failing test reports by panicking.
#![allow(clippy::panic)]

use std::path::Path;

use wb_asm::{Isa, OutputKind, assemble_file, assemble_str};

const LOGO: [u8; 48] = [
    0xCE, 0xED, 0x66, 0x66, 0xCC, 0x0D, 0x00, 0x0B, 0x03, 0x73, 0x00, 0x83, 0x00, 0x0C, 0x00, 0x0D, 0x00, 0x08,
    0x11, 0x1F, 0x88, 0x89, 0x00, 0x0E, 0xDC, 0xCC, 0x6E, 0xE6, 0xDD, 0xDD, 0xD9, 0x99, 0xBB, 0xBB, 0x67, 0x63,
    0x6E, 0x0E, 0xEC, 0xCC, 0xDD, 0xDC, 0x99, 0x9F, 0xBB, 0xB9, 0x33, 0x3E,
];

fn gb(src: &str) -> Result<Vec<u8>, Vec<wb_asm::Diagnostic>> {
    assemble_str("t.asm", src, Isa::Sm83, OutputKind::Default, &|_| Err(std::io::ErrorKind::NotFound.into())).map(|a| a.bytes)
}

#[test]
fn hello_rom_has_a_valid_header() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../roms/asm/gb/hello.asm");
    let out = assemble_file(&path, Isa::Sm83, OutputKind::Default)
        .unwrap_or_else(|d| panic!("{}", d.iter().map(|d| d.to_string()).collect::<Vec<_>>().join("\n")));
    let rom = out.bytes;
    assert_eq!(rom.len(), 0x8000);
    assert_eq!(&rom[0x100..0x104], &[0x00, 0xC3, 0x50, 0x01], "nop; jp $0150");
    assert_eq!(&rom[0x104..0x134], &LOGO);
    assert_eq!(rom[0x148], 0, "32 KiB");
    let mut x = 0u8;
    for b in &rom[0x134..=0x14C] {
        x = x.wrapping_sub(*b).wrapping_sub(1);
    }
    assert_eq!(rom[0x14D], x, "header checksum");
    let sum = rom.iter().enumerate().filter(|(i, _)| *i != 0x14E && *i != 0x14F).fold(0u16, |s, (_, b)| s.wrapping_add(*b as u16));
    assert_eq!(u16::from_be_bytes([rom[0x14E], rom[0x14F]]), sum, "global checksum");
    // Start: di; ld sp,$FFFE; then the macro's ldh a,[rLY] (F0 44).
    assert_eq!(&rom[0x150..0x156], &[0xF3, 0x31, 0xFE, 0xFF, 0xF0, 0x44]);
    let start = out.debug.symbols.by_name("Start").map(|s| s.addr);
    assert_eq!(start, Some(0x150));
    assert!(out.debug.symbols.by_name("Start.copy").is_some());
    assert_eq!(out.debug.line_at(0x150).map(|l| l.line), Some(21));
    assert!(out.debug.symbols.by_name("counter").is_some_and(|s| s.addr == 0xC000));
}

#[test]
fn encodings_match_the_opcode_table() {
    let src = "SECTION \"a\", ROM0[$200]
        ld b, c
        ld [hl], a
        ld a, $12
        ld bc, $1234
        ld [hl+], a
        ld a, [hl-]
        ldh [$FF80], a
        ldh a, [$44]
        ld [$ff00+c], a
        inc [hl]
        dec sp
        add hl, de
        add a, [hl]
        cp 7
        push af
        pop bc
        jp hl
        jr @
        jr nz, @+2
        call c, $1234
        ret z
        rst $28
        swap a
        bit 3, [hl]
        res 7, h
        set 0, c
        ld hl, sp-1
        stop
        halt";
    let rom = gb(src).unwrap_or_else(|d| panic!("{d:?}"));
    let want: &[u8] = &[
        0x41, 0x77, 0x3E, 0x12, 0x01, 0x34, 0x12, 0x22, 0x3A, 0xE0, 0x80, 0xF0, 0x44, 0xE2, 0x34, 0x3B, 0x19, 0x86,
        0xFE, 0x07, 0xF5, 0xC1, 0xE9, 0x18, 0xFE, 0x20, 0x00, 0xDC, 0x34, 0x12, 0xC8, 0xEF, 0xCB, 0x37, 0xCB, 0x5E,
        0xCB, 0xBC, 0xCB, 0xC1, 0xF8, 0xFF, 0x10, 0x00, 0x76,
    ];
    assert_eq!(&rom[0x200..0x200 + want.len()], want);
}

#[test]
fn errors_carry_positions() {
    let d = gb("SECTION \"a\", ROM0\n  ld a, [bc\n").err().unwrap_or_default();
    assert!(!d.is_empty());
    assert_eq!(d[0].line, 2);
    let d = gb("SECTION \"a\", ROM0\nx:\n  jr far\n  ds 200\nfar:\n").err().unwrap_or_default();
    assert_eq!((d[0].line, d[0].column), (3, 3), "{d:?}");
    let d = gb("SECTION \"a\", ROM0\n  frob a\n").err().unwrap_or_default();
    assert_eq!((d[0].line, d[0].column), (2, 3));
    assert!(d[0].message.contains("frob"));
}

/// The assembled program runs on our Game Boy core: it reaches its `LD B,B` trap with "HI!"
/// drawn, and the assembler's line map names the trap's source line.
#[test]
fn hello_runs_on_our_game_boy_core_to_its_debug_trap() {
    use wb_machine::{Budget, Machine, StopReason};
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../roms/asm/gb/hello.asm");
    let out = assemble_file(&path, Isa::Sm83, OutputKind::Default)
        .unwrap_or_else(|d| panic!("{}", d.iter().map(|d| d.to_string()).collect::<Vec<_>>().join("\n")));
    let mut gb = wb_gb::GameBoy::new(&out.bytes, None).expect("our header passes the core's checks");
    gb.set_debug_info(out.debug);
    let mut trap = None;
    for _ in 0..120 {
        match gb.run(Budget::Frame).stop {
            StopReason::DebugTrap { pc } => {
                trap = Some(pc);
                break;
            }
            StopReason::Fault(f) => panic!("guest fault: {f}"),
            _ => {}
        }
    }
    let pc = trap.expect("the program reaches LD B,B within two seconds");
    let line = gb.debug_info().line_at(pc).expect("the trap has a source line");
    assert!(line.file.ends_with("hello.asm"), "{}", line.file);
    let source = std::fs::read_to_string(&path).unwrap();
    let text = source.lines().nth(line.line as usize - 1).unwrap_or_default();
    assert!(text.trim_start().starts_with("ld b, b"), "line {}: {text}", line.line);
    // Let the LCD show the tiles, then check the screen is not blank: "HI!" is drawn.
    gb.run(Budget::Frame);
    gb.run(Budget::Frame);
    let frame = gb.frame();
    let first = &frame.rgba[..4];
    assert!(frame.rgba.chunks(4).any(|px| px != first), "the screen is blank");
}
