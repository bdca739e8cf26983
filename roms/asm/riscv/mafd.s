# M, A, F and D extensions, with every rounding mode and ordering suffix.
    .text
    .globl _start
_start:
    mul     a0, a1, a2
    mulh    a3, a4, a5
    mulhsu  a6, a7, s2
    mulhu   s3, s4, s5
    div     s6, s7, s8
    divu    s9, s10, s11
    rem     t3, t4, t5
    remu    t6, t0, t1
    mulw    a0, a1, a2
    divw    a3, a4, a5
    divuw   a6, a7, t0
    remw    t1, t2, s0
    remuw   s1, a0, a1

    lr.w        a0, (a1)
    lr.d.aq     a2, (a3)
    sc.w        a4, a5, (a6)
    sc.d.rl     a7, t0, (t1)
    amoswap.w   a0, a1, (a2)
    amoswap.d.aqrl a0, a1, (a2)
    amoadd.w.aq a3, a4, (a5)
    amoadd.d    a3, a4, (a5)
    amoxor.w    t0, t1, (t2)
    amoxor.d.rl t0, t1, (t2)
    amoand.w    s2, s3, (s4)
    amoand.d    s2, s3, (s4)
    amoor.w     s5, s6, (s7)
    amoor.d.aq  s5, s6, (s7)
    amomin.w    a0, a1, (sp)
    amomin.d    a0, a1, (sp)
    amomax.w    a0, a1, 0(sp)
    amomax.d    a0, a1, (sp)
    amominu.w   a0, a1, (sp)
    amominu.d.aqrl a0, a1, (sp)
    amomaxu.w   a0, a1, (sp)
    amomaxu.d   a0, a1, (sp)

    flw     fa0, 0(a0)
    flw     ft0, -4(sp)
    fsw     fa1, 8(a1)
    fsw     fs0, 2044(t0)
    fmadd.s fa0, fa1, fa2, fa3
    fmsub.s fa0, fa1, fa2, fa3, rne
    fnmsub.s ft0, ft1, ft2, ft3, rtz
    fnmadd.s fs0, fs1, fs2, fs3, rdn
    fadd.s  fa0, fa1, fa2, rup
    fsub.s  fa0, fa1, fa2, rmm
    fmul.s  fa0, fa1, fa2, dyn
    fdiv.s  fa0, fa1, fa2
    fsqrt.s fa0, fa1
    fsqrt.s fa0, fa1, rtz
    fsgnj.s fa0, fa1, fa2
    fsgnjn.s fa0, fa1, fa2
    fsgnjx.s fa0, fa1, fa2
    fmin.s  fa0, fa1, fa2
    fmax.s  fa0, fa1, fa2
    fcvt.w.s  a0, fa0
    fcvt.w.s  a0, fa0, rtz
    fcvt.wu.s a1, fa1
    fcvt.l.s  a2, fa2
    fcvt.lu.s a3, fa3, rne
    fmv.x.w   a4, fa4
    fclass.s  a5, fa5
    feq.s     a0, fa0, fa1
    flt.s     a1, fa2, fa3
    fle.s     a2, fa4, fa5
    fcvt.s.w  fa0, a0
    fcvt.s.wu fa1, a1, rtz
    fcvt.s.l  fa2, a2
    fcvt.s.lu fa3, a3
    fmv.w.x   fa4, a4

    fld     fa0, 0(a0)
    fld     fs1, 16(sp)
    fsd     fa1, 8(a1)
    fsd     fs2, -16(s0)
    fmadd.d fa0, fa1, fa2, fa3
    fmsub.d fa0, fa1, fa2, fa3, rtz
    fnmsub.d ft0, ft1, ft2, ft3
    fnmadd.d fs0, fs1, fs2, fs3
    fadd.d  fa0, fa1, fa2
    fsub.d  fa0, fa1, fa2, rdn
    fmul.d  fa0, fa1, fa2
    fdiv.d  fa0, fa1, fa2
    fsqrt.d fa0, fa1
    fsgnj.d fa0, fa1, fa2
    fsgnjn.d fa0, fa1, fa2
    fsgnjx.d fa0, fa1, fa2
    fmin.d  fa0, fa1, fa2
    fmax.d  fa0, fa1, fa2
    fcvt.s.d fa0, fa1
    fcvt.d.s fa0, fa1
    feq.d   a0, fa0, fa1
    flt.d   a1, fa0, fa1
    fle.d   a2, fa0, fa1
    fclass.d a3, fa0
    fcvt.w.d  a0, fa0
    fcvt.wu.d a0, fa0, rtz
    fcvt.l.d  a0, fa0
    fcvt.lu.d a0, fa0
    fcvt.d.w  fa0, a0
    fcvt.d.wu fa0, a0
    fcvt.d.l  fa0, a0
    fcvt.d.lu fa0, a0, rup
    fmv.x.d   a0, fa0
    fmv.d.x   fa0, a0
    ret
