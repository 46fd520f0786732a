//! The `f64` operations the core needs that `core` lacks: std has them, but the shipped wasm module
//! links no std. Exact for every value, like std's.

/// 2^52: every `f64` of this magnitude or more is an integer (or infinite).
const INTEGRAL: f64 = 4_503_599_627_370_496.0;

/// `x` with its fraction removed (NaN and infinities stay themselves).
pub(crate) fn trunc(x: f64) -> f64 {
    if -INTEGRAL < x && x < INTEGRAL {
        // Exact: |x| < 2^52 fits an i64, and every integer that small is an f64.
        x as i64 as f64
    } else {
        x
    }
}

/// The largest integer <= `x`.
pub(crate) fn floor(x: f64) -> f64 {
    let t = trunc(x);
    if t > x {
        t - 1.0
    } else {
        t
    }
}

/// The smallest integer >= `x`.
pub(crate) fn ceil(x: f64) -> f64 {
    let t = trunc(x);
    if t < x {
        t + 1.0
    } else {
        t
    }
}

/// `base^n` by repeated squaring, the algorithm `f64::powi` compiles to (compiler-rt's
/// `__powidf2`), so results are the same to the bit.
pub(crate) fn powi(mut base: f64, mut n: u32) -> f64 {
    let mut result = 1.0;
    while n > 0 {
        if n & 1 == 1 {
            result *= base;
        }
        base *= base;
        n >>= 1;
    }
    result
}

// Natively: std is what these are checked against.
#[cfg(all(test, not(target_arch = "wasm32")))]
mod tests {
    extern crate std;

    const SAMPLES: [f64; 18] = [
        0.0,
        0.25,
        0.5,
        1.0,
        1.5,
        2.5,
        1e-300,
        1234.000001,
        4_503_599_627_370_495.5,
        4_503_599_627_370_496.0,
        9_007_199_254_740_993.0,
        1.8e19,
        1e300,
        f64::MAX,
        f64::MIN_POSITIVE,
        f64::INFINITY,
        f64::EPSILON,
        65535.5,
    ];

    #[test]
    fn rounding_matches_std_for_both_signs() {
        for x in SAMPLES.iter().flat_map(|&x| [x, -x]) {
            assert_eq!(super::trunc(x), x.trunc(), "trunc {x}");
            assert_eq!(super::floor(x), x.floor(), "floor {x}");
            assert_eq!(super::ceil(x), x.ceil(), "ceil {x}");
        }
        assert!(super::trunc(f64::NAN).is_nan());
        assert!(super::floor(f64::NAN).is_nan());
        assert!(super::ceil(f64::NAN).is_nan());
    }

    #[test]
    fn powi_matches_std_to_the_bit() {
        for base in [1.0_f64, 1.000001, 1.6, 2.0, 3.3, 10.0, 1e10] {
            for n in (0..70).chain([1000, 65_535, i32::MAX as u32]) {
                let expected = base.powi(n as i32);
                assert_eq!(
                    super::powi(base, n).to_bits(),
                    expected.to_bits(),
                    "{base}^{n}"
                );
            }
        }
    }
}
