; Draws "HI!" with tiles of our own, then stops at the LD B,B debug trap.
INCLUDE "hardware.inc"

DEF TILE_BYTES = 16

MACRO wait_vblank
.wait\@:
    ldh a, [rLY]
    cp 144
    jr c, .wait\@
ENDM

SECTION "Header", ROM0[$100]
EntryPoint:
    nop
    jp Start
    ds $150 - @, 0          ; logo, title and checksums: fixed by the assembler

SECTION "Main", ROM0[$150]
Start:
    di
    ld sp, $FFFE
    wait_vblank
    xor a
    ldh [rLCDC], a          ; LCD off: VRAM is free

    ; Copy the tiles to $8000.
    ld hl, _VRAM
    ld de, Tiles
    ld bc, TilesEnd - Tiles
.copy:
    ld a, [de]
    ld [hl+], a
    inc de
    dec bc
    ld a, b
    or c
    jr nz, .copy

    ; Clear the first map row, then write the message at its start.
    ld hl, _SCRN0
    ld b, 32
    xor a
.clear:
    ld [hl+], a
    dec b
    jr nz, .clear
    ld hl, _SCRN0
    ld de, Message
.print:
    ld a, [de]
    cp $FF
    jr z, .done
    ld [hl+], a
    inc de
    jr .print
.done:
    ld a, %11100100
    ldh [rBGP], a
    xor a
    ldh [rSCY], a
    ldh [rSCX], a
    ld a, LCDCF_ON | LCDCF_BG8000 | LCDCF_BGON
    ldh [rLCDC], a
    ld b, b                 ; debug trap: the program is done
.forever:
    halt
    nop
    jr .forever

; A few instructions of every kind, so the ROM exercises the whole table. Never called:
; it moves the stack pointer and jumps to RST vectors.
Checks:
    push af
    push bc
    push de
    push hl
    ld a, HIGH(Message)
    ld a, LOW(Message)
    add a, b
    adc a, 1
    sub c
    sbc a, d
    and e
    xor h
    or l
    cp [hl]
    inc [hl]
    dec a
    inc bc
    dec de
    add hl, sp
    add sp, -2
    ld hl, sp+2
    ld [$C000], sp
    ld [$C002], a
    ld a, [$C002]
    ld a, [bc]
    ld a, [de]
    ld [bc], a
    ld [de], a
    ld a, [hl-]
    ld [hl-], a
    ldh [c], a
    ldh a, [c]
    ld sp, hl
    ld sp, $FFFE - 8
    rlca
    rrca
    rla
    rra
    daa
    cpl
    scf
    ccf
    rlc b
    rrc c
    rl d
    rr e
    sla h
    sra l
    swap [hl]
    srl a
    bit 7, a
    res 0, b
    set 3, [hl]
    jp nc, .skip
    call z, .skip
.skip:
    jr nz, .back
.back:
    rst $38
    ei
    di
    pop hl
    pop de
    pop bc
    pop af
    ret nz
    reti

SECTION "Data", ROM0
Message:
    db 1, 2, 3, $FF
Tiles:
    ds TILE_BYTES, 0                     ; tile 0: blank
    db $C3,$C3,$C3,$C3,$FF,$FF,$C3,$C3   ; tile 1: H
    db $C3,$C3,$C3,$C3,$C3,$C3,$00,$00
    db $7E,$7E,$18,$18,$18,$18,$18,$18   ; tile 2: I
    db $18,$18,$18,$18,$7E,$7E,$00,$00
    REPT 3                               ; tile 3: !
    db $18,$18
    ENDR
    dw $1818, $1818
    db $00,$00,$18,$18,$00,$00
TilesEnd:

SECTION "Variables", WRAM0
counter: ds 1
