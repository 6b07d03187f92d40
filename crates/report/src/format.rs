//! Deterministic number formatting for REPORT.md and plot labels.

use genbench_eval::stats::SeedSummary;

/// `n` and the noun, plural unless `n` is 1: `noun(1, "dataset")` is "1 dataset".
pub fn noun(n: usize, singular: &str) -> String {
    if n == 1 {
        format!("1 {singular}")
    } else {
        format!("{n} {singular}s")
    }
}

/// Decimals that give `v` four significant digits (0 for |v| >= 1000, at most 6).
pub fn decimals(v: f64) -> usize {
    if !v.is_finite() || v == 0.0 {
        return 4;
    }
    let mag = v.abs().log10().floor() as i64;
    (3 - mag).clamp(0, 6) as usize
}

/// Magnitudes from here up are written in scientific notation ([`sci`]): a diverged model's
/// 6e34 must not print as 35 digits.
pub const SCIENTIFIC_FROM: f64 = 1e9;

/// `v` in scientific notation with four significant digits, trailing zeros of the mantissa
/// dropped: `6.123e34`, `1e12`, `-2.5e9`.
pub fn sci(v: f64) -> String {
    let s = format!("{v:.3e}");
    match s.split_once('e') {
        Some((mantissa, exp)) if mantissa.contains('.') => {
            let m = mantissa.trim_end_matches('0').trim_end_matches('.');
            format!("{m}e{exp}")
        }
        _ => s,
    }
}

/// `v` with four significant digits (scientific from [`SCIENTIFIC_FROM`] up).
pub fn num(v: f64) -> String {
    if !v.is_finite() {
        return "–".into();
    }
    if v.abs() >= SCIENTIFIC_FROM {
        return sci(v);
    }
    if v.fract() == 0.0 {
        return format!("{}", v as i64);
    }
    let s = format!("{:.*}", decimals(v), v);
    if s.starts_with("-") && s.trim_start_matches(['-', '0', '.']).is_empty() {
        s[1..].to_string()
    } else {
        s
    }
}

/// `mean ± half-width` of the 95% interval (both with the mean's decimals), `mean (n=1)` for a
/// single seed, `–` when nothing was measured; `(n=k)` appended when `k` differs from `seeds`.
pub fn interval(s: &SeedSummary, seeds: usize) -> String {
    if s.n == 0 {
        return "–".into();
    }
    let d = decimals(s.mean);
    let integer = s.mean.fract() == 0.0 && s.mean.abs() < SCIENTIFIC_FROM;
    let mut out = if s.mean.abs() >= SCIENTIFIC_FROM {
        if s.n == 1 {
            sci(s.mean)
        } else {
            format!("{} ± {}", sci(s.mean), sci(s.ci95_high - s.mean))
        }
    } else if integer && (s.n == 1 || s.std == 0.0) {
        // Counts that every seed agrees on (evals per sample, modes covered): no interval.
        format!("{}", s.mean as i64)
    } else if s.n == 1 {
        format!("{:.*}", d, s.mean)
    } else {
        format!("{:.*} ± {:.*}", d, s.mean, d, s.ci95_high - s.mean)
    };
    if s.n != seeds || s.n == 1 {
        out.push_str(&format!(" (n={})", s.n));
    }
    out
}

/// An integer count such as a parameter number: `12345`, or the mean when seeds disagree.
pub fn count(s: &SeedSummary) -> String {
    if s.n == 0 {
        "–".into()
    } else if s.mean.fract() == 0.0 && s.mean.abs() < SCIENTIFIC_FROM && (s.n == 1 || s.std == 0.0)
    {
        format!("{}", s.mean as i64)
    } else {
        num(s.mean)
    }
}

/// Markdown-safe cell text.
pub fn cell(s: &str) -> String {
    s.replace('|', "\\|").replace('\n', " ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use genbench_eval::stats::summarize;

    #[test]
    fn four_significant_digits() {
        assert_eq!(num(2.0), "2");
        assert_eq!(num(2.5), "2.500");
        assert_eq!(num(0.012345), "0.01235");
        assert_eq!(num(12345.6), "12346");
        assert_eq!(num(-0.00001), "-0.000010");
        assert_eq!(num(f64::NAN), "–");
        assert_eq!(num(999_999_999.0), "999999999");
    }

    /// A diverged model's numbers: short, in scientific notation, never 35 digits.
    #[test]
    fn huge_numbers_are_scientific() {
        assert_eq!(sci(6.0e34), "6e34");
        assert_eq!(sci(6.1234e34), "6.123e34");
        assert_eq!(sci(-2.5e9), "-2.5e9");
        assert_eq!(num(6.0e34), "6e34");
        assert_eq!(num(1.0e9), "1e9");
        assert_eq!(num(-123_456_789_012.0), "-1.235e11");
        assert_eq!(
            interval(&summarize(&[2.0e34, 4.0e34, 6.0e34]), 3),
            // half-width 4.302652729911275 * 2e34 / sqrt(3) = 4.968e34
            "4e34 ± 4.968e34"
        );
        assert_eq!(interval(&summarize(&[6.0e34]), 3), "6e34 (n=1)");
        assert_eq!(count(&summarize(&[3.0e12])), "3e12");
    }

    #[test]
    fn interval_cells() {
        // {1, 2, 3}: half-width 4.302652729911275 / sqrt(3) = 2.4841.
        assert_eq!(interval(&summarize(&[1.0, 2.0, 3.0]), 3), "2.000 ± 2.484");
        assert_eq!(
            interval(&summarize(&[1.0, 2.0, 3.0]), 4),
            "2.000 ± 2.484 (n=3)"
        );
        assert_eq!(interval(&summarize(&[0.25]), 3), "0.2500 (n=1)");
        assert_eq!(interval(&summarize(&[8.0, 8.0, 8.0]), 3), "8");
        assert_eq!(interval(&summarize(&[]), 3), "–");
        assert_eq!(count(&summarize(&[21449.0, 21449.0])), "21449");
    }
}
