//! SM83 disassembler in RGBDS syntax (`ld a, [hl+]`, `ldh [$ff00+c], a` style as rgbds prints:
//! `ld [hl], a`, `jr nz, $0150`, `ldh a, [$44]`).

const R8: [&str; 8] = ["b", "c", "d", "e", "h", "l", "[hl]", "a"];
const RR: [&str; 4] = ["bc", "de", "hl", "sp"];
const RR_STACK: [&str; 4] = ["bc", "de", "hl", "af"];
const CC: [&str; 4] = ["nz", "z", "nc", "c"];
const ALU: [&str; 8] = [
    "add a,", "adc a,", "sub a,", "sbc a,", "and a,", "xor a,", "or a,", "cp a,",
];
const CB_ROT: [&str; 8] = ["rlc", "rrc", "rl", "rr", "sla", "sra", "swap", "srl"];

/// Bytes taken by the instruction starting with `op` (CB-prefixed ones are 2).
pub fn length(op: u8) -> u16 {
    match op {
        0x01 | 0x11 | 0x21 | 0x31 | 0x08 | 0xC2 | 0xC3 | 0xC4 | 0xCA | 0xCC | 0xCD | 0xD2
        | 0xD4 | 0xDA | 0xDC | 0xEA | 0xFA => 3,
        0x06 | 0x0E | 0x16 | 0x1E | 0x26 | 0x2E | 0x36 | 0x3E | 0x10 | 0x18 | 0x20 | 0x28
        | 0x30 | 0x38 | 0xC6 | 0xCE | 0xD6 | 0xDE | 0xE6 | 0xEE | 0xF6 | 0xFE | 0xE0 | 0xF0
        | 0xE8 | 0xF8 | 0xCB => 2,
        _ => 1,
    }
}

/// Disassemble the instruction at `pc` whose bytes `read` provides. Returns (length, text,
/// static branch target).
pub fn disassemble(pc: u16, read: impl Fn(u16) -> u8) -> (u16, String, Option<u16>) {
    let op = read(pc);
    let n = read(pc.wrapping_add(1));
    let nn = u16::from_le_bytes([n, read(pc.wrapping_add(2))]);
    let len = length(op);
    let rel = pc.wrapping_add(2).wrapping_add(n as i8 as u16);
    let y = ((op >> 3) & 7) as usize;
    let z = (op & 7) as usize;
    let p = y >> 1;
    let mut target = None;
    let text = match op {
        0x00 => "nop".to_string(),
        0x10 => "stop".to_string(),
        0x76 => "halt".to_string(),
        0x40..=0x7F => format!("ld {}, {}", R8[y], R8[z]),
        0x80..=0xBF => format!("{} {}", ALU[y], R8[z]),
        0x08 => format!("ld [${nn:04x}], sp"),
        0x18 => {
            target = Some(rel);
            format!("jr ${rel:04x}")
        }
        0x20 | 0x28 | 0x30 | 0x38 => {
            target = Some(rel);
            format!("jr {}, ${rel:04x}", CC[y - 4])
        }
        0x01 | 0x11 | 0x21 | 0x31 => format!("ld {}, ${nn:04x}", RR[p]),
        0x09 | 0x19 | 0x29 | 0x39 => format!("add hl, {}", RR[p]),
        0x02 => "ld [bc], a".to_string(),
        0x12 => "ld [de], a".to_string(),
        0x22 => "ld [hl+], a".to_string(),
        0x32 => "ld [hl-], a".to_string(),
        0x0A => "ld a, [bc]".to_string(),
        0x1A => "ld a, [de]".to_string(),
        0x2A => "ld a, [hl+]".to_string(),
        0x3A => "ld a, [hl-]".to_string(),
        0x03 | 0x13 | 0x23 | 0x33 => format!("inc {}", RR[p]),
        0x0B | 0x1B | 0x2B | 0x3B => format!("dec {}", RR[p]),
        0x04 | 0x0C | 0x14 | 0x1C | 0x24 | 0x2C | 0x34 | 0x3C => format!("inc {}", R8[y]),
        0x05 | 0x0D | 0x15 | 0x1D | 0x25 | 0x2D | 0x35 | 0x3D => format!("dec {}", R8[y]),
        0x06 | 0x0E | 0x16 | 0x1E | 0x26 | 0x2E | 0x36 | 0x3E => format!("ld {}, ${n:02x}", R8[y]),
        0x07 => "rlca".to_string(),
        0x0F => "rrca".to_string(),
        0x17 => "rla".to_string(),
        0x1F => "rra".to_string(),
        0x27 => "daa".to_string(),
        0x2F => "cpl".to_string(),
        0x37 => "scf".to_string(),
        0x3F => "ccf".to_string(),
        0xC0 | 0xC8 | 0xD0 | 0xD8 => format!("ret {}", CC[y]),
        0xC9 => "ret".to_string(),
        0xD9 => "reti".to_string(),
        0xC1 | 0xD1 | 0xE1 | 0xF1 => format!("pop {}", RR_STACK[p]),
        0xC5 | 0xD5 | 0xE5 | 0xF5 => format!("push {}", RR_STACK[p]),
        0xC2 | 0xCA | 0xD2 | 0xDA => {
            target = Some(nn);
            format!("jp {}, ${nn:04x}", CC[y])
        }
        0xC3 => {
            target = Some(nn);
            format!("jp ${nn:04x}")
        }
        0xE9 => "jp hl".to_string(),
        0xC4 | 0xCC | 0xD4 | 0xDC => {
            target = Some(nn);
            format!("call {}, ${nn:04x}", CC[y])
        }
        0xCD => {
            target = Some(nn);
            format!("call ${nn:04x}")
        }
        0xC7 | 0xCF | 0xD7 | 0xDF | 0xE7 | 0xEF | 0xF7 | 0xFF => {
            target = Some(y as u16 * 8);
            format!("rst ${:02x}", y * 8)
        }
        0xC6 | 0xCE | 0xD6 | 0xDE | 0xE6 | 0xEE | 0xF6 | 0xFE => format!("{} ${n:02x}", ALU[y]),
        0xE0 => format!("ldh [${:04x}], a", 0xFF00 | n as u16),
        0xF0 => format!("ldh a, [${:04x}]", 0xFF00 | n as u16),
        0xE2 => "ldh [c], a".to_string(),
        0xF2 => "ldh a, [c]".to_string(),
        0xEA => format!("ld [${nn:04x}], a"),
        0xFA => format!("ld a, [${nn:04x}]"),
        0xE8 => format!("add sp, {}", n as i8),
        0xF8 => format!("ld hl, sp{:+}", n as i8),
        0xF9 => "ld sp, hl".to_string(),
        0xF3 => "di".to_string(),
        0xFB => "ei".to_string(),
        0xCB => {
            let y = ((n >> 3) & 7) as usize;
            let z = (n & 7) as usize;
            match n >> 6 {
                0 => format!("{} {}", CB_ROT[y], R8[z]),
                1 => format!("bit {y}, {}", R8[z]),
                2 => format!("res {y}, {}", R8[z]),
                _ => format!("set {y}, {}", R8[z]),
            }
        }
        _ => format!("db ${op:02x}"),
    };
    (len, text, target)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dis(bytes: &[u8]) -> String {
        disassemble(0x150, |a| {
            bytes.get((a - 0x150) as usize).copied().unwrap_or(0)
        })
        .1
    }

    #[test]
    fn rgbds_syntax() {
        assert_eq!(dis(&[0x3E, 0x12]), "ld a, $12");
        assert_eq!(dis(&[0x77]), "ld [hl], a");
        assert_eq!(dis(&[0x2A]), "ld a, [hl+]");
        assert_eq!(dis(&[0xE0, 0x44]), "ldh [$ff44], a");
        assert_eq!(dis(&[0x20, 0xFE]), "jr nz, $0150");
        assert_eq!(dis(&[0xCD, 0x34, 0x12]), "call $1234");
        assert_eq!(dis(&[0xCB, 0x7C]), "bit 7, h");
        assert_eq!(dis(&[0xF8, 0xFE]), "ld hl, sp-2");
        assert_eq!(dis(&[0xD3]), "db $d3");
    }
}
