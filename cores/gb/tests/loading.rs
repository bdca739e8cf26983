//! Loading: bad ROMs are refused with one-line errors (never a panic), battery RAM round-trips.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod rom_builder;

use wb_gb::{GameBoy, LoadError, looks_like_gb_rom};
use wb_machine::{Budget, Machine};

/// A program that writes $42 to cartridge RAM at $A000 and spins.
const WRITE_RAM: [u8; 10] = [
    0x3E, 0x0A, // ld a, $0a
    0xEA, 0x00, 0x00, // ld [$0000], a   ; enable RAM
    0x3E, 0x42, // ld a, $42
    0xEA, 0x00, // ld [$a000], a (address continues below)
    0xA0,
];

#[test]
fn good_rom_loads() {
    let rom = rom_builder::rom("GOOD", 0x00, 0, 0, &[0x18, 0xFE]);
    let gb = GameBoy::new(&rom, None).expect("valid ROM");
    assert_eq!(gb.header().title, "GOOD");
    assert!(gb.header().global_checksum_ok);
    assert_eq!(gb.pc(), 0x100);
}

#[test]
fn bad_roms_are_errors() {
    let good = rom_builder::rom("BAD", 0x01, 1, 0, &[]);
    // Truncated: shorter than the header, and shorter than the declared size.
    for cut in [0, 0x100, 0x14F] {
        assert!(matches!(
            GameBoy::new(&good[..cut], None),
            Err(LoadError::Truncated { .. })
        ));
    }
    assert!(matches!(
        GameBoy::new(&good[..0x8000], None),
        Err(LoadError::Truncated { .. })
    ));
    // Bad header checksum.
    let mut bad = good.clone();
    bad[0x14D] ^= 0xFF;
    assert!(matches!(
        GameBoy::new(&bad, None),
        Err(LoadError::HeaderChecksum { .. })
    ));
    // Unknown mapper (MBC6 = 0x20, HuC1 = 0xFF...).
    let unknown = rom_builder::rom("BAD", 0x20, 0, 0, &[]);
    let err = GameBoy::new(&unknown, None).unwrap_err();
    assert_eq!(err, LoadError::UnknownMapper(0x20));
    assert_eq!(err.to_string(), "unknown Game Boy mapper 0x20");
    // Oversize: longer than the header says, and beyond any mapper.
    let mut big = good.clone();
    big.extend_from_slice(&[0; 0x4000]);
    assert!(matches!(
        GameBoy::new(&big, None),
        Err(LoadError::Oversize(_))
    ));
    assert!(matches!(
        GameBoy::new(&vec![0u8; 9 << 20], None),
        Err(LoadError::Oversize(_))
    ));
    // A bad boot ROM.
    assert!(matches!(
        GameBoy::new(&good, Some(&[0; 10])),
        Err(LoadError::BadBootRom(10))
    ));
    // Every message is one line.
    for e in [
        err,
        LoadError::Truncated {
            len: 3,
            expected: 0x8000,
        },
        LoadError::Oversize(1),
    ] {
        assert!(!e.to_string().contains('\n'));
    }
}

#[test]
fn random_bytes_never_panic() {
    let mut seed = 0x1234_5678u32;
    for len in [0usize, 1, 0x150, 0x8000, 0x10000] {
        let bytes: Vec<u8> = (0..len)
            .map(|_| {
                seed ^= seed << 13;
                seed ^= seed >> 17;
                seed ^= seed << 5;
                seed as u8
            })
            .collect();
        assert!(!looks_like_gb_rom(&bytes));
        let _ = GameBoy::new(&bytes, None);
    }
}

#[test]
fn battery_ram_round_trips_and_reports_dirty() {
    let mut code = WRITE_RAM.to_vec();
    code.extend_from_slice(&[0x18, 0xFE]); // jr -2
    let rom = rom_builder::rom("SAVE", 0x03, 0, 2, &code); // MBC1+RAM+BATTERY, 8 KiB
    let mut gb = GameBoy::new(&rom, None).expect("valid ROM");
    assert!(!gb.battery_dirty());
    gb.run(Budget::Cycles(10_000));
    assert!(gb.battery_dirty());
    assert!(!gb.battery_dirty(), "dirty is reported once");
    let ram = gb.battery_ram().expect("battery cart");
    assert_eq!(ram.len(), 0x2000);
    assert_eq!(ram[0], 0x42);
    let mut other = GameBoy::new(&rom, None).expect("valid ROM");
    other.load_battery_ram(&ram).expect("same size");
    assert_eq!(other.battery_ram(), Some(ram));
    assert!(other.load_battery_ram(&[0; 5]).is_err());
    // No battery, no save.
    let plain = rom_builder::rom("PLAIN", 0x01, 0, 0, &[0x18, 0xFE]);
    assert_eq!(
        GameBoy::new(&plain, None).expect("valid").battery_ram(),
        None
    );
}

#[test]
fn illegal_opcode_is_a_fault_not_a_panic() {
    let rom = rom_builder::rom("ILLEGAL", 0x00, 0, 0, &[0x00, 0xD3]);
    let mut gb = GameBoy::new(&rom, None).expect("valid ROM");
    let r = gb.run(Budget::Cycles(1000));
    match r.stop {
        wb_machine::StopReason::Fault(f) => assert_eq!(f.pc, 0x151),
        other => panic!("expected a fault, got {other:?}"),
    }
    assert_eq!(gb.pc(), 0x151);
}

#[test]
fn optional_boot_rom_runs_then_unmaps() {
    // A stand-in boot ROM: ld sp,$fffe; nops; ld a,1; ldh [$50],a at $fc, falling into $0100.
    let mut boot = vec![0u8; 256];
    boot[0..3].copy_from_slice(&[0x31, 0xFE, 0xFF]);
    boot[0xFC..0x100].copy_from_slice(&[0x3E, 0x01, 0xE0, 0x50]);
    let rom = rom_builder::rom("BOOT", 0x00, 0, 0, &[0x40, 0x18, 0xFE]); // ld b,b at $150
    let mut gb = GameBoy::new(&rom, Some(&boot)).expect("valid");
    assert_eq!(gb.pc(), 0);
    assert_eq!(gb.peek(0, 0x0000), Some(0x31), "boot ROM mapped at 0");
    let r = gb.run(Budget::Cycles(100_000));
    assert_eq!(r.stop, wb_machine::StopReason::DebugTrap { pc: 0x150 });
    assert_eq!(
        gb.peek(0, 0x0000),
        Some(rom[0]),
        "cartridge visible after FF50"
    );
    assert_eq!(gb.peek(0, 0xFF40), Some(0x00), "the LCD starts off");
}
