; Workbench Game Boy demo (DMG): a diagonally scrolling checkerboard, a window status bar
; at the bottom, four sprites that bounce between the screen edges, and a beep on channel 2
; at every bounce.
;
; RGBDS syntax. Build with rgbasm/rgblink/rgbfix -v, or with our assembler; the core's tests
; assemble this file and compare screenshots with roms/gb/golden/.

DEF rP1   EQU $ff00
DEF rIF   EQU $ff0f
DEF rNR21 EQU $ff16
DEF rNR22 EQU $ff17
DEF rNR23 EQU $ff18
DEF rNR24 EQU $ff19
DEF rNR50 EQU $ff24
DEF rNR51 EQU $ff25
DEF rNR52 EQU $ff26
DEF rLCDC EQU $ff40
DEF rSCY  EQU $ff42
DEF rSCX  EQU $ff43
DEF rLY   EQU $ff44
DEF rBGP  EQU $ff47
DEF rOBP0 EQU $ff48
DEF rWY   EQU $ff4a
DEF rWX   EQU $ff4b
DEF rIE   EQU $ffff

DEF OAM       EQU $fe00
DEF NUM_OBJS  EQU 4

; Variables in WRAM
DEF wFrame    EQU $c000
DEF wX        EQU $c001   ; x of the first sprite (OAM coordinates)
DEF wDX       EQU $c002   ; +1 or -1

SECTION "vblank", ROM0[$40]
    jp VBlank

SECTION "entry", ROM0[$100]
    nop
    jp Start

SECTION "main", ROM0[$150]
Start:
    di
    ld sp, $fffe
WaitVBlank:
    ldh a, [rLY]
    cp a, 144
    jr c, WaitVBlank
    xor a, a
    ldh [rLCDC], a          ; LCD off: VRAM and OAM are free

    ; Tiles 0-4 to $8000
    ld hl, $8000
    ld de, Tiles
    ld bc, TilesEnd - Tiles
CopyTiles:
    ld a, [de]
    ld [hl+], a
    inc de
    dec bc
    ld a, b
    or a, c
    jr nz, CopyTiles

    ; Background map $9800: a checkerboard of tiles 1 and 2
    ld hl, $9800
    ld d, 32                ; rows left
FillRow:
    ld e, 32                ; columns left
FillCell:
    ld a, d
    xor a, e
    and a, 1
    inc a
    ld [hl+], a
    dec e
    jr nz, FillCell
    dec d
    jr nz, FillRow

    ; Window map $9c00: a bar of tile 3 with a marker tile 4 every fourth cell
    ld hl, $9c00
    ld b, 32
FillWindow:
    ld a, b
    and a, 3
    jr z, Marker
    ld a, 3
    jr PutWindow
Marker:
    ld a, 4
PutWindow:
    ld [hl+], a
    dec b
    jr nz, FillWindow

    ; Clear OAM, then place the sprites
    ld hl, OAM
    ld b, 160
    xor a, a
ClearOam:
    ld [hl+], a
    dec b
    jr nz, ClearOam
    ld a, 8
    ld [wX], a
    ld a, 1
    ld [wDX], a
    xor a, a
    ld [wFrame], a
    call PlaceSprites

    ; Palettes, window position, sound on
    ld a, %11100100
    ldh [rBGP], a
    ld a, %11010000
    ldh [rOBP0], a
    ld a, 128
    ldh [rWY], a
    ld a, 7
    ldh [rWX], a
    ld a, $80
    ldh [rNR52], a
    ld a, $77
    ldh [rNR50], a
    ld a, $ff
    ldh [rNR51], a

    ; LCD on: BG map $9800, window map $9c00, window on, sprites on, BG on, tiles at $8000
    ld a, %11110011
    ldh [rLCDC], a
    ld a, 1
    ldh [rIE], a
    xor a, a
    ldh [rIF], a
    ei
MainLoop:
    halt
    jr MainLoop

; Once per frame: scroll, move the sprites, beep when they bounce.
VBlank:
    push af
    push bc
    push hl
    ld a, [wFrame]
    inc a
    ld [wFrame], a
    ldh a, [rSCX]
    inc a
    ldh [rSCX], a
    ld a, [wFrame]
    and a, 1
    jr nz, NoScrollY
    ldh a, [rSCY]
    inc a
    ldh [rSCY], a
NoScrollY:
    ld a, [wDX]
    ld b, a
    ld a, [wX]
    add a, b
    ld [wX], a
    cp a, 8
    jr z, Bounce
    cp a, 144
    jr nz, Moved
Bounce:
    ld a, [wDX]
    cpl
    inc a
    ld [wDX], a
    call Beep
Moved:
    call PlaceSprites
    pop hl
    pop bc
    pop af
    reti

; OAM entries: four sprites in a diagonal, x = wX + 8 * i, y = 40 + 16 * i, tile 4.
PlaceSprites:
    ld hl, OAM
    ld a, [wX]
    ld c, a
    ld b, 40
    ld d, NUM_OBJS
PlaceOne:
    ld a, b
    ld [hl+], a             ; y
    ld a, c
    ld [hl+], a             ; x
    ld a, 4
    ld [hl+], a             ; tile
    xor a, a
    ld [hl+], a             ; attributes
    ld a, c
    add a, 8
    ld c, a
    ld a, b
    add a, 16
    ld b, a
    dec d
    jr nz, PlaceOne
    ret

; A short square-wave beep on channel 2.
Beep:
    ld a, $80               ; 50 % duty
    ldh [rNR21], a
    ld a, $f2               ; full volume, fading
    ldh [rNR22], a
    ld a, $83
    ldh [rNR23], a
    ld a, $87               ; trigger, frequency high bits
    ldh [rNR24], a
    ret

Tiles:
    ; 0: blank
    db $00, $00, $00, $00, $00, $00, $00, $00, $00, $00, $00, $00, $00, $00, $00, $00
    ; 1: light square with a dark border
    db $ff, $00, $81, $00, $81, $00, $81, $00, $81, $00, $81, $00, $81, $00, $ff, $00
    ; 2: dark grey checker
    db $aa, $ff, $55, $ff, $aa, $ff, $55, $ff, $aa, $ff, $55, $ff, $aa, $ff, $55, $ff
    ; 3: solid black (the window bar)
    db $ff, $ff, $ff, $ff, $ff, $ff, $ff, $ff, $ff, $ff, $ff, $ff, $ff, $ff, $ff, $ff
    ; 4: a ball
    db $3c, $3c, $7e, $42, $ff, $81, $ff, $81, $ff, $81, $ff, $81, $7e, $42, $3c, $3c
TilesEnd:
