//! Gauss–Legendre quadrature.

/// Nodes and weights of the `n`-point Gauss–Legendre rule on `[-1, 1]`: exact for polynomials of
/// degree `2n - 1`. Nodes are the roots of `P_n`, found by Newton's method from the Chebyshev
/// guesses `cos(pi (i + 3/4) / (n + 1/2))`; weights are `2 / ((1 - x^2) P_n'(x)^2)`.
pub fn gauss_legendre(n: usize) -> Vec<(f64, f64)> {
    (0..n)
        .map(|i| {
            let mut x = (std::f64::consts::PI * (i as f64 + 0.75) / (n as f64 + 0.5)).cos();
            let mut dp = 1.0;
            for _ in 0..100 {
                let (p, d) = legendre(n, x);
                dp = d;
                let dx = p / d;
                x -= dx;
                if dx.abs() < 1e-15 {
                    dp = legendre(n, x).1;
                    break;
                }
            }
            (x, 2.0 / ((1.0 - x * x) * dp * dp))
        })
        .collect()
}

/// `(P_n(x), P_n'(x))` by the three-term recurrence.
fn legendre(n: usize, x: f64) -> (f64, f64) {
    let (mut p0, mut p1) = (1.0, x);
    if n == 0 {
        return (1.0, 0.0);
    }
    for k in 2..=n {
        let k = k as f64;
        let p2 = ((2.0 * k - 1.0) * x * p1 - (k - 1.0) * p0) / k;
        p0 = p1;
        p1 = p2;
    }
    (p1, n as f64 * (x * p1 - p0) / (x * x - 1.0))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exact_for_polynomials_up_to_degree_2n_minus_1() {
        let rule = gauss_legendre(8);
        for k in 0..16 {
            let q: f64 = rule.iter().map(|(x, w)| w * x.powi(k)).sum();
            let exact = if k % 2 == 1 {
                0.0
            } else {
                2.0 / (k as f64 + 1.0)
            };
            assert!((q - exact).abs() < 1e-13, "degree {k}: {q} vs {exact}");
        }
        let q: f64 = rule.iter().map(|(x, w)| w * x.powi(16)).sum();
        assert!((q - 2.0 / 17.0).abs() > 1e-8);
    }
}
