//! The core-specific debugger views the app draws without knowing the core.

use wb_machine::{Machine, View};

#[test]
fn the_page_walk_view_lists_the_current_instruction() {
    // A boot sector that spins in real mode: paging is off, so the walk is the identity.
    let mut disk = vec![0u8; 512];
    disk[0] = 0xEB; // jmp $
    disk[1] = 0xFE;
    disk[510] = 0x55;
    disk[511] = 0xAA;
    let mut pc = wb_x86::Pc::new(disk).unwrap();
    pc.run(wb_machine::Budget::Instructions(10));
    let views = pc.views();
    assert_eq!(views.len(), 2);
    let View::Table { title, rows, .. } = &views[0] else { panic!("not a table: {:?}", views[0]) };
    assert_eq!(title, "Page walk of pc = 0x7c00");
    let last = rows.last().unwrap();
    assert_eq!(last[0], "physical");
    assert!(last[2].starts_with("0x7c00"), "{last:?}");
}
