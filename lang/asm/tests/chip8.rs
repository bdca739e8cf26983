//! Octo programs with the bytes the Octo language definition gives for them (derived by
//! hand from the Octo manual's opcode table and its control-structure expansions).

// A failing test reports by panicking.
#![allow(clippy::panic)]

use std::path::Path;

use wb_asm::{Isa, OutputKind, assemble_file, assemble_str};

fn octo(src: &str) -> Vec<u8> {
    match assemble_str("test.8o", src, Isa::Chip8, OutputKind::Default, &|_| Err(std::io::ErrorKind::NotFound.into())) {
        Ok(a) => a.bytes,
        Err(d) => panic!("assembly failed: {}", d.iter().map(|d| d.to_string()).collect::<Vec<_>>().join("\n")),
    }
}

fn octo_err(src: &str) -> Vec<wb_asm::Diagnostic> {
    match assemble_str("bad.8o", src, Isa::Chip8, OutputKind::Default, &|_| Err(std::io::ErrorKind::NotFound.into())) {
        Ok(_) => panic!("expected an error for {src:?}"),
        Err(d) => d,
    }
}

#[test]
fn main_first_needs_no_jump() {
    assert_eq!(octo(": main v0 := 1 ;"), [0x60, 0x01, 0x00, 0xEE]);
}

#[test]
fn main_later_gets_the_reserved_jump() {
    // 0x200 jump main; foo at 0x202; main at 0x204 calls foo.
    assert_eq!(octo(": foo ; : main foo"), [0x12, 0x04, 0x00, 0xEE, 0x22, 0x02]);
}

#[test]
fn structured_control_flow() {
    let src = "
: main
  v0 := 0
  loop
    v0 += 1
    if v0 != 5 then
  again
  if v0 == 5 begin
    v1 := 2
  else
    v1 := 3
  end
  loop
    v2 += 1
    while v2 != 3
    v3 := v2
  again
  ;";
    let want = [
        0x60, 0x00, 0x70, 0x01, 0x30, 0x05, 0x12, 0x02, // loop .. again
        0x30, 0x05, 0x12, 0x10, 0x61, 0x02, 0x12, 0x12, 0x61, 0x03, // if begin else end
        0x72, 0x01, 0x42, 0x03, 0x12, 0x1C, 0x83, 0x20, 0x12, 0x12, // loop while again
        0x00, 0xEE,
    ];
    assert_eq!(octo(src), want);
}

#[test]
fn comparison_pseudo_ops_use_compare_temp() {
    let src = ": main
      if v1 > v2 then v3 := 5
      if v1 <= 0xA then v3 := 7
      :alias compare-temp vC
      if v1 < v2 then ;";
    let want = [
        0x8E, 0x20, 0x8E, 0x15, 0x3F, 0x01, 0x63, 0x05, //
        0x6E, 0x0A, 0x8E, 0x15, 0x4F, 0x01, 0x63, 0x07, //
        0x8C, 0x20, 0x8C, 0x17, 0x3F, 0x01, 0x00, 0xEE,
    ];
    assert_eq!(octo(src), want);
}

#[test]
fn every_statement_form() {
    let src = ": main
      v4 := random 0x3F  v5 := key  v6 := delay  delay := v7  buzzer := v8
      i := hex v9  i := bighex vA  i += vB  bcd vC  save vD  load vE
      v1 |= v2  v1 &= v2  v1 ^= v2  v1 -= v2  v1 >>= v2  v1 =- v2  v1 <<= v2  v1 += v2
      if v1 key then clear  if v1 -key then clear
      sprite v1 v2 5  sprite v3 v4 0
      scroll-down 3  scroll-up 2  scroll-left  scroll-right  exit  lores  hires
      saveflags v3  loadflags v3  plane 3  audio  save v1 - v3  load v2 - v4  pitch := v2
      jump0 0x300  native 0x123  jump 0x456  v1 := v2  v7 += 0xFF  v7 -= 1  0x12 -1";
    let want = [
        0xC4, 0x3F, 0xF5, 0x0A, 0xF6, 0x07, 0xF7, 0x15, 0xF8, 0x18, //
        0xF9, 0x29, 0xFA, 0x30, 0xFB, 0x1E, 0xFC, 0x33, 0xFD, 0x55, 0xFE, 0x65, //
        0x81, 0x21, 0x81, 0x22, 0x81, 0x23, 0x81, 0x25, 0x81, 0x26, 0x81, 0x27, 0x81, 0x2E, 0x81, 0x24, //
        0xE1, 0xA1, 0x00, 0xE0, 0xE1, 0x9E, 0x00, 0xE0, //
        0xD1, 0x25, 0xD3, 0x40, //
        0x00, 0xC3, 0x00, 0xD2, 0x00, 0xFC, 0x00, 0xFB, 0x00, 0xFD, 0x00, 0xFE, 0x00, 0xFF, //
        0xF3, 0x75, 0xF3, 0x85, 0xF3, 0x01, 0xF0, 0x02, 0x51, 0x32, 0x52, 0x43, 0xF2, 0x3A, //
        0xB3, 0x00, 0x01, 0x23, 0x14, 0x56, 0x81, 0x20, 0x77, 0xFF, 0x77, 0xFF, 0x12, 0xFF,
    ];
    assert_eq!(octo(src), want);
}

#[test]
fn directives_labels_and_data() {
    let src = "
:const SPEED 3
:alias x v5
:calc DOUBLE { SPEED * 2 + 1 }
:macro addto R N { R += N }
: main
  x := SPEED
  addto x DOUBLE
  i := sprite-data
  :unpack 0xA sprite-data
  i := long sprite-data
  :next target va := 2
  i := target
  :byte { 0xFF & ~ 5 }
  :byte 7
  1 2
: sprite-data 0xF0 0x90
  ;
:org 0x300
: far 0x55";
    let mut want = vec![
        0x65, 0x03, 0x75, 0x09, 0xA2, 0x16, 0x60, 0xA2, 0x61, 0x16, 0xF0, 0x00, 0x02, 0x16, 0x6A, 0x02, 0xA2, 0x0F,
        0xFA, 0x07, 0x01, 0x02, 0xF0, 0x90, 0x00, 0xEE,
    ];
    want.resize(0x100, 0);
    want.push(0x55);
    assert_eq!(octo(src), want);
}

#[test]
fn listing_and_line_map_follow_the_source() {
    let src = ": main\n  v0 := 1\n  loop\n    v0 += 1\n  again\n";
    let a = assemble_str("t.8o", src, Isa::Chip8, OutputKind::Default, &|_| Err(std::io::ErrorKind::NotFound.into()));
    let a = a.unwrap_or_else(|d| panic!("{d:?}"));
    assert_eq!(a.debug.line_at(0x200).map(|l| l.line), Some(2));
    assert_eq!(a.debug.line_at(0x202).map(|l| l.line), Some(4));
    assert_eq!(a.debug.line_at(0x204).map(|l| l.line), Some(5));
    assert_eq!(a.debug.addrs_of_line("t.8o", 4), vec![0x202]);
    assert_eq!(a.debug.symbols.by_name("main").map(|s| s.addr), Some(0x200));
    assert!(a.listing.contains("00000202  70 01"), "listing:\n{}", a.listing);
}

#[test]
fn errors_carry_positions() {
    let d = octo_err(": main\n  v0 := 300\n");
    assert_eq!((d[0].line, d[0].column), (2, 9), "{:?}", d);
    assert!(d[0].to_string().starts_with("bad.8o:2:9: error:"), "{}", d[0]);
    let d = octo_err(": main\n  jump nowhere\n");
    assert_eq!((d[0].line, d[0].column), (2, 8));
    assert!(d[0].message.contains("nowhere"));
    let d = octo_err(": main\n  loop\n  v0 := 1\n");
    assert_eq!((d[0].line, d[0].column), (2, 3));
    let d = octo_err("v0 := 1");
    assert!(d.iter().any(|d| d.message.contains("main")));
    let d = octo_err(": main : main");
    assert_eq!((d[0].line, d[0].column), (1, 10));
}

/// The CHIP-8 demo ships both as Octo source and hand-assembled: they must agree.
#[test]
fn demo_source_reproduces_demo_rom() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../roms/chip8");
    let (src, rom) = (dir.join("demo.8o"), dir.join("demo.ch8"));
    if !src.exists() || !rom.exists() {
        println!("skipped: {} or {} not found yet", src.display(), rom.display());
        return;
    }
    let ours = assemble_file(&src, Isa::Chip8, OutputKind::Default)
        .unwrap_or_else(|d| panic!("{}", d.iter().map(|d| d.to_string()).collect::<Vec<_>>().join("\n")));
    let want = std::fs::read(&rom).unwrap_or_default();
    assert_eq!(ours.bytes, want, "demo.8o does not assemble to demo.ch8");
}

/// Our own program, run on our CHIP-8 core, draws exactly what the sprite rules say.
#[test]
fn shapes_program_draws_the_golden_screen() {
    use wb_chip8::{Chip8, Config, Platform};
    use wb_machine::{Budget, Machine};

    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../roms/asm/chip8/shapes.8o");
    let rom = assemble_file(&path, Isa::Chip8, OutputKind::Default)
        .unwrap_or_else(|d| panic!("{}", d.iter().map(|d| d.to_string()).collect::<Vec<_>>().join("\n")))
        .bytes;
    let mut m = Chip8::new(&rom, Config::for_platform(Platform::Chip8)).unwrap_or_else(|e| panic!("{e}"));
    for _ in 0..30 {
        m.run(Budget::Frame);
    }
    // The golden screen, from the sprites' bits: a box at (10,5), font digit 7
    // (F0 10 20 40 40) at (30,10), dots at (40,20) (42,20) (44,20), and one at (0,0).
    let mut want = [[false; 64]; 32];
    for (row, bits) in [0xFFu8, 0x81, 0x81, 0xFF].iter().enumerate() {
        for x in 0..8 {
            want[5 + row][10 + x] = bits & (0x80 >> x) != 0;
        }
    }
    for (row, bits) in [0xF0u8, 0x10, 0x20, 0x40, 0x40].iter().enumerate() {
        for x in 0..8 {
            want[10 + row][30 + x] = bits & (0x80 >> x) != 0;
        }
    }
    for x in [40, 42, 44, 0] {
        want[if x == 0 { 0 } else { 20 }][x] = true;
    }
    let frame = m.frame();
    assert!(frame.width >= 64 && frame.height >= 32, "frame {}x{}", frame.width, frame.height);
    let (sx, sy) = (frame.width / 64, frame.height / 32);
    let pixel = |x: usize, y: usize| {
        let i = ((y * sy) * frame.width + x * sx) * 4;
        frame.rgba.get(i..i + 3).map(<[u8]>::to_vec).unwrap_or_default()
    };
    let off = pixel(63, 31);
    let mut bad = Vec::new();
    for (y, row) in want.iter().enumerate() {
        for (x, &on) in row.iter().enumerate() {
            if (pixel(x, y) != off) != on {
                bad.push((x, y));
            }
        }
    }
    assert!(bad.is_empty(), "{} pixels differ from the golden screen, first {:?}", bad.len(), &bad[..bad.len().min(8)]);
}
