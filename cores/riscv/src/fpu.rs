//! IEEE 754 arithmetic with RISC-V rounding modes, exception flags and canonical NaNs.
//!
//! The host computes every operation in round-to-nearest-even. For the other modes we
//! recover the sign (and, where ties are possible, the size) of the rounding error with an
//! error-free transformation (TwoSum, an FMA residual or an exact integer difference) and
//! step the nearest result by one ulp when the mode asks for it.

/// Exception flag bits of `fflags`.
pub const NV: u8 = 16;
pub const DZ: u8 = 8;
pub const OF: u8 = 4;
pub const UF: u8 = 2;
pub const NX: u8 = 1;

/// Rounding modes as the `rm` field encodes them.
pub const RNE: u8 = 0;
pub const RTZ: u8 = 1;
pub const RDN: u8 = 2;
pub const RUP: u8 = 3;
pub const RMM: u8 = 4;

/// One binary floating-point format (f32 or f64) as the arithmetic below needs it.
pub trait Fp:
    Copy
    + PartialEq
    + PartialOrd
    + std::ops::Add<Output = Self>
    + std::ops::Sub<Output = Self>
    + std::ops::Mul<Output = Self>
    + std::ops::Div<Output = Self>
    + std::ops::Neg<Output = Self>
{
    const ZERO: Self;
    const MAX: Self;
    const MIN_POSITIVE: Self;
    const CANONICAL_NAN_BITS: u64;
    const BITS: u32;
    fn to_raw(self) -> u64;
    fn from_raw(bits: u64) -> Self;
    fn is_nan(self) -> bool;
    fn is_infinite(self) -> bool;
    fn is_finite(self) -> bool;
    fn abs(self) -> Self;
    fn next_up(self) -> Self;
    fn next_down(self) -> Self;
    fn mul_add(self, b: Self, c: Self) -> Self;
    fn sqrt(self) -> Self;
    fn is_sign_negative(self) -> bool;
    fn to_f64(self) -> f64;
    fn from_i128_rne(v: i128) -> Self;
    /// `a*b - r` (the error of a rounded product), exact in sign even when tiny.
    fn mul_residual(a: Self, b: Self, r: Self) -> f64;

    fn is_snan(self) -> bool {
        self.is_nan() && self.to_raw() & (1 << (Self::mantissa_bits() - 1)) == 0
    }
    fn mantissa_bits() -> u32 {
        if Self::BITS == 32 { 23 } else { 52 }
    }
    fn canonical_nan() -> Self {
        Self::from_raw(Self::CANONICAL_NAN_BITS)
    }
}

macro_rules! impl_fp {
    ($t:ty, $u:ty, $nan:expr, $bits:expr, $resid:expr) => {
        impl Fp for $t {
            const ZERO: Self = 0.0;
            const MAX: Self = <$t>::MAX;
            const MIN_POSITIVE: Self = <$t>::MIN_POSITIVE;
            const CANONICAL_NAN_BITS: u64 = $nan;
            const BITS: u32 = $bits;
            fn to_raw(self) -> u64 {
                self.to_bits() as u64
            }
            fn from_raw(bits: u64) -> Self {
                <$t>::from_bits(bits as $u)
            }
            fn is_nan(self) -> bool {
                <$t>::is_nan(self)
            }
            fn is_infinite(self) -> bool {
                <$t>::is_infinite(self)
            }
            fn is_finite(self) -> bool {
                <$t>::is_finite(self)
            }
            fn abs(self) -> Self {
                <$t>::abs(self)
            }
            fn next_up(self) -> Self {
                <$t>::next_up(self)
            }
            fn next_down(self) -> Self {
                <$t>::next_down(self)
            }
            fn mul_add(self, b: Self, c: Self) -> Self {
                <$t>::mul_add(self, b, c)
            }
            fn sqrt(self) -> Self {
                <$t>::sqrt(self)
            }
            fn is_sign_negative(self) -> bool {
                <$t>::is_sign_negative(self)
            }
            fn to_f64(self) -> f64 {
                self as f64
            }
            fn from_i128_rne(v: i128) -> Self {
                v as $t
            }
            fn mul_residual(a: Self, b: Self, r: Self) -> f64 {
                $resid(a, b, r)
            }
        }
    };
}
impl_fp!(f32, u32, 0x7fc0_0000, 32, |a: f32, b: f32, r: f32| (a as f64) * (b as f64) - r as f64);
impl_fp!(f64, u64, 0x7ff8_0000_0000_0000, 64, mul_residual_f64);

/// The residual of a double product. A tiny product is scaled up by 2^600 first so the
/// residual keeps its sign instead of underflowing to zero.
fn mul_residual_f64(a: f64, b: f64, r: f64) -> f64 {
    if r.abs() < 1e-290 && a != 0.0 && b != 0.0 {
        let k = 2f64.powi(600);
        let (x, y) = if a.abs() <= b.abs() { (b * k, a) } else { (a * k, b) };
        if x.is_finite() {
            let scaled = x.mul_add(y, -(r * k));
            let e = scaled / k;
            return if e == 0.0 && scaled != 0.0 { f64::from_bits(1).copysign(scaled) } else { e };
        }
    }
    a.mul_add(b, -r)
}

/// Error-free sum: `a + b == s + err` exactly (when `s` is finite).
fn two_sum<F: Fp>(a: F, b: F) -> (F, F) {
    let s = a + b;
    let bb = s - a;
    let err = (a - (s - bb)) + (b - bb);
    (s, err)
}

/// Round the nearest-even result `r` by mode `rm`, given `err` with the sign of
/// `exact - r` (its size matters only where `can_tie`).
fn adjust<F: Fp>(r: F, err: f64, can_tie: bool, rm: u8, fl: &mut u8) -> F {
    if err == 0.0 || err.is_nan() || r.is_nan() {
        return r;
    }
    *fl |= NX;
    let exact_positive = err > 0.0 && r == F::ZERO || (r != F::ZERO && !r.is_sign_negative());
    // True when the exact value lies farther from zero than r.
    let away = (err > 0.0) == exact_positive;
    let toward_zero = |x: F| if exact_positive { x.next_down() } else { x.next_up() };
    let away_from_zero = |x: F| if exact_positive { x.next_up() } else { x.next_down() };
    let out = match rm {
        RTZ if !away && r != F::ZERO => toward_zero(r),
        RDN if err < 0.0 => r.next_down(),
        RUP if err > 0.0 => r.next_up(),
        RMM if can_tie && away => {
            let m = r.abs();
            let gap = m.next_up().to_f64() - m.to_f64();
            if err.abs() * 2.0 == gap { away_from_zero(r) } else { r }
        }
        _ => r,
    };
    if out.is_infinite() && !r.is_infinite() {
        *fl |= OF;
    }
    out
}

/// The result of an overflow to infinity under mode `rm`, with the sign of `r`.
fn overflow<F: Fp>(r: F, rm: u8, fl: &mut u8) -> F {
    *fl |= OF | NX;
    let neg = r.is_sign_negative();
    let max = if neg { -F::MAX } else { F::MAX };
    match rm {
        RTZ => max,
        RDN if !neg => max,
        RUP if neg => max,
        _ => r,
    }
}

/// Common tail: NaN canonicalisation, invalid detection, overflow and underflow flags.
fn finish<F: Fp>(r: F, inputs: &[F], err: impl FnOnce(F) -> (f64, bool), rm: u8, fl: &mut u8) -> F {
    if inputs.iter().any(|x| x.is_snan()) {
        *fl |= NV;
    }
    if r.is_nan() {
        if !inputs.iter().any(|x| x.is_nan()) {
            *fl |= NV;
        }
        return F::canonical_nan();
    }
    if r.is_infinite() {
        if inputs.iter().all(|x| x.is_finite()) {
            return overflow(r, rm, fl);
        }
        return r;
    }
    // Round to nearest with the inexact flag already raised (it is sticky): the host's
    // result is the answer, and no flag can change unless the result is tiny. This skips
    // the error computation in the common case.
    if rm == RNE && *fl & NX != 0 && r.abs() >= F::MIN_POSITIVE {
        return r;
    }
    let (e, can_tie) = err(r);
    let mut local = 0;
    let out = adjust(r, e, can_tie, rm, &mut local);
    if local & NX != 0 && out.abs() < F::MIN_POSITIVE {
        local |= UF;
    }
    *fl |= local;
    out
}

/// An exact zero sum of two terms is +0 in every mode but round-down, where it is -0
/// unless both terms are +0.
fn zero_sign<F: Fp>(r: F, t1: F, t2: F, rm: u8) -> F {
    let both_plus_zero = t1 == F::ZERO && t2 == F::ZERO && !t1.is_sign_negative() && !t2.is_sign_negative();
    if r == F::ZERO && rm == RDN && !both_plus_zero { -F::ZERO } else { r }
}

pub fn add<F: Fp>(a: F, b: F, rm: u8, fl: &mut u8) -> F {
    let r = finish(a + b, &[a, b], |_| (two_sum(a, b).1.to_f64(), true), rm, fl);
    zero_sign(r, a, b, rm)
}

pub fn sub<F: Fp>(a: F, b: F, rm: u8, fl: &mut u8) -> F {
    let r = finish(a - b, &[a, b], |_| (two_sum(a, -b).1.to_f64(), true), rm, fl);
    zero_sign(r, a, -b, rm)
}

pub fn mul<F: Fp>(a: F, b: F, rm: u8, fl: &mut u8) -> F {
    finish(a * b, &[a, b], |r| (F::mul_residual(a, b, r), true), rm, fl)
}

pub fn div<F: Fp>(a: F, b: F, rm: u8, fl: &mut u8) -> F {
    if b == F::ZERO && a.is_finite() && a != F::ZERO {
        // An exact infinity, not an overflow.
        *fl |= DZ;
        return a / b;
    }
    finish(
        a / b,
        &[a, b],
        |r| {
            let residual = (-r.to_f64()).mul_add(b.to_f64(), a.to_f64());
            // sign(a/b - r) = sign(a - r*b) * sign(b); a quotient is never a midpoint.
            (if b.is_sign_negative() { -residual } else { residual }, false)
        },
        rm,
        fl,
    )
}

pub fn sqrt<F: Fp>(a: F, rm: u8, fl: &mut u8) -> F {
    finish(a.sqrt(), &[a], |r| ((-r.to_f64()).mul_add(r.to_f64(), a.to_f64()), false), rm, fl)
}

/// `a * b + c` with one rounding.
pub fn fma<F: Fp>(a: F, b: F, c: F, rm: u8, fl: &mut u8) -> F {
    if (a.is_infinite() && b == F::ZERO) || (b.is_infinite() && a == F::ZERO) {
        *fl |= NV;
        return F::canonical_nan();
    }
    // Exactness decides the sign of a zero result under round-down, so only round-to-
    // nearest may take the shortcut of an inexact flag that is already set.
    let mut local = if rm == RNE { *fl & NX } else { 0 };
    let r = finish(
        a.mul_add(b, c),
        &[a, b, c],
        |r| {
            // exact = p + pe + c; sum the four terms p, pe, c, -r with TwoSum cascades.
            let p = a * b;
            if !p.is_finite() {
                return (0.0, false);
            }
            let pe = a.mul_add(b, -p);
            let (s1, e1) = two_sum(p, -r);
            let (s2, e2) = two_sum(s1, c);
            let (s3, e3) = two_sum(s2, pe);
            ((s3 + (e1 + e2 + e3)).to_f64(), true)
        },
        rm,
        &mut local,
    );
    *fl |= local;
    // The product's sign with a zero magnitude stands in for it when it is zero.
    let product = if a == F::ZERO || b == F::ZERO { a * b } else { F::MIN_POSITIVE };
    if r == F::ZERO && local & NX == 0 { zero_sign(r, product, c, rm) } else { r }
}

/// Minimum or maximum with the RISC-V NaN rules (a lone NaN loses; -0 < +0).
pub fn min_max<F: Fp>(a: F, b: F, max: bool, fl: &mut u8) -> F {
    if a.is_snan() || b.is_snan() {
        *fl |= NV;
    }
    match (a.is_nan(), b.is_nan()) {
        (true, true) => F::canonical_nan(),
        (true, false) => b,
        (false, true) => a,
        _ => {
            let a_wins = if a == b {
                // Equal values differ only for signed zeros.
                a.is_sign_negative() != max
            } else {
                (a < b) != max
            };
            if a_wins { a } else { b }
        }
    }
}

/// `feq` (quiet) or `flt`/`fle` (signalling).
pub fn compare<F: Fp>(a: F, b: F, kind: Compare, fl: &mut u8) -> bool {
    let any_nan = a.is_nan() || b.is_nan();
    match kind {
        Compare::Eq => {
            if a.is_snan() || b.is_snan() {
                *fl |= NV;
            }
            a == b
        }
        Compare::Lt | Compare::Le => {
            if any_nan {
                *fl |= NV;
                return false;
            }
            if kind == Compare::Lt { a < b } else { a <= b }
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Compare {
    Eq,
    Lt,
    Le,
}

/// The `fclass` bit mask.
pub fn classify<F: Fp>(a: F) -> u64 {
    let neg = a.is_sign_negative();
    let bit = if a.is_nan() {
        if a.is_snan() { 8 } else { 9 }
    } else if a.is_infinite() {
        if neg { 0 } else { 7 }
    } else if a == F::ZERO {
        if neg { 3 } else { 4 }
    } else if a.abs() < F::MIN_POSITIVE {
        if neg { 2 } else { 5 }
    } else if neg {
        1
    } else {
        6
    };
    1 << bit
}

/// Round a float to an integer value (still as f64) by mode `rm`.
fn round_to_integral(x: f64, rm: u8) -> f64 {
    match rm {
        RTZ => x.trunc(),
        RDN => x.floor(),
        RUP => x.ceil(),
        RMM => x.round(),
        _ => x.round_ties_even(),
    }
}

/// Convert to a signed or unsigned integer of `bits` width (32 or 64), saturating with NV.
/// The result is returned as the i128 value to be truncated/sign-extended by the caller.
pub fn to_int<F: Fp>(a: F, signed: bool, bits: u32, rm: u8, fl: &mut u8) -> i128 {
    let (min, max): (i128, i128) = if signed {
        (-(1i128 << (bits - 1)), (1i128 << (bits - 1)) - 1)
    } else {
        (0, (1i128 << bits) - 1)
    };
    if a.is_nan() {
        *fl |= NV;
        return max;
    }
    let x = a.to_f64();
    let r = round_to_integral(x, rm);
    if r.is_infinite() || r < min as f64 || r > max as f64 {
        *fl |= NV;
        return if x < 0.0 { min } else { max };
    }
    // Within range: r is an integer of at most 64 bits, exact as i128.
    let v = r as i128;
    if v < min || v > max {
        *fl |= NV;
        return if x < 0.0 { min } else { max };
    }
    if r != x {
        *fl |= NX;
    }
    v
}

/// Convert an integer to a float with rounding mode `rm`.
pub fn from_int<F: Fp>(v: i128, rm: u8, fl: &mut u8) -> F {
    let r = F::from_i128_rne(v);
    // r is an integer-valued float; its exact integer value fits i128 for 64-bit inputs.
    let back = r.to_f64() as i128;
    let diff = v - back;
    if diff == 0 {
        return r;
    }
    // |diff| < 2^40 here, exact as f64.
    adjust(r, diff as f64, true, rm, fl)
}

/// f64 → f32 with rounding mode `rm`.
pub fn narrow(a: f64, rm: u8, fl: &mut u8) -> f32 {
    if a.is_nan() {
        if a.is_snan() {
            *fl |= NV;
        }
        return f32::canonical_nan();
    }
    let r = a as f32;
    if r.is_infinite() && a.is_finite() {
        return overflow(r, rm, fl);
    }
    if a.is_infinite() {
        return r;
    }
    // Exact: r is the nearest single to a.
    let err = a - r as f64;
    let mut local = 0;
    let out = adjust(r, err, true, rm, &mut local);
    if local & NX != 0 && out.abs() < f32::MIN_POSITIVE {
        local |= UF;
    }
    *fl |= local;
    out
}

/// f32 → f64 (exact; only NaNs need care).
pub fn widen(a: f32, fl: &mut u8) -> f64 {
    if a.is_nan() {
        if a.is_snan() {
            *fl |= NV;
        }
        return f64::canonical_nan();
    }
    a as f64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn directed_rounding_of_one_third() {
        let mut fl = 0;
        let down = div(1.0f64, 3.0, RDN, &mut fl);
        let up = div(1.0f64, 3.0, RUP, &mut fl);
        assert_eq!(up, down.next_up());
        assert_eq!(fl, NX);
        let tz = div(-1.0f64, 3.0, RTZ, &mut fl);
        assert_eq!(tz, -down);
    }

    #[test]
    fn flags_and_nans() {
        let mut fl = 0;
        assert_eq!(div(1.0f32, 0.0, RNE, &mut fl), f32::INFINITY);
        assert_eq!(fl, DZ);
        fl = 0;
        assert_eq!(sqrt(-1.0f64, RNE, &mut fl).to_bits(), 0x7ff8_0000_0000_0000);
        assert_eq!(fl, NV);
        fl = 0;
        assert_eq!(mul(f64::MAX, 2.0, RTZ, &mut fl), f64::MAX);
        assert_eq!(fl, OF | NX);
        fl = 0;
        assert_eq!(to_int(2.5f64, true, 32, RNE, &mut fl), 2);
        assert_eq!(to_int(2.5f64, true, 32, RMM, &mut fl), 3);
        assert_eq!(fl, NX);
        fl = 0;
        assert_eq!(to_int(f64::NAN, true, 32, RNE, &mut fl), i32::MAX as i128);
        assert_eq!(fl, NV);
    }

    #[test]
    fn ties_away_in_addition() {
        let mut fl = 0;
        // 1 + 2^-53 is a tie between 1 and 1+2^-52.
        let tiny = f64::from_bits(0x3ca0_0000_0000_0000);
        assert_eq!(add(1.0, tiny, RNE, &mut fl), 1.0);
        assert_eq!(add(1.0, tiny, RMM, &mut fl), 1.0f64.next_up());
    }
}
