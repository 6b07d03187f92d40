//! An explicit Runge–Kutta solver with error control: Dormand–Prince 5(4) (Dormand & Prince
//! 1980), the method of scipy's `solve_ivp(method="RK45")` that score_sde uses for the
//! probability-flow ODE.
//!
//! Each step evaluates f seven times (the last is reused as the first of the next step, FSAL),
//! advances with the 5th-order solution and estimates the error with the embedded 4th-order one.
//! A step is accepted when the RMS of err_k / (atol + rtol · max(|y_k|, |y_new,k|)) is ≤ 1; the
//! next step size is h · clamp(0.9 · norm^(−1/5), 0.2, 10), as scipy's RK45.

/// Tolerances and limits of one solve.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Tolerance {
    /// Relative tolerance.
    pub rtol: f64,
    /// Absolute tolerance.
    pub atol: f64,
    /// Give up after this many evaluations of f.
    pub max_evals: usize,
}

/// What a solve did.
#[derive(Clone, Debug, PartialEq)]
pub struct Solution {
    /// The state at the end of the interval.
    pub y: Vec<f64>,
    /// Number of evaluations of f (the NFE).
    pub evals: usize,
    /// Steps accepted.
    pub accepted: usize,
    /// Steps rejected (and retried smaller).
    pub rejected: usize,
}

const C: [f64; 7] = [0.0, 1.0 / 5.0, 3.0 / 10.0, 4.0 / 5.0, 8.0 / 9.0, 1.0, 1.0];
const A: [[f64; 6]; 7] = [
    [0.0; 6],
    [1.0 / 5.0, 0.0, 0.0, 0.0, 0.0, 0.0],
    [3.0 / 40.0, 9.0 / 40.0, 0.0, 0.0, 0.0, 0.0],
    [44.0 / 45.0, -56.0 / 15.0, 32.0 / 9.0, 0.0, 0.0, 0.0],
    [
        19372.0 / 6561.0,
        -25360.0 / 2187.0,
        64448.0 / 6561.0,
        -212.0 / 729.0,
        0.0,
        0.0,
    ],
    [
        9017.0 / 3168.0,
        -355.0 / 33.0,
        46732.0 / 5247.0,
        49.0 / 176.0,
        -5103.0 / 18656.0,
        0.0,
    ],
    [
        35.0 / 384.0,
        0.0,
        500.0 / 1113.0,
        125.0 / 192.0,
        -2187.0 / 6784.0,
        11.0 / 84.0,
    ],
];
/// 5th-order weights (= the last row of A) minus the embedded 4th-order ones: the error weights.
const E: [f64; 7] = [
    71.0 / 57600.0,
    0.0,
    -71.0 / 16695.0,
    71.0 / 1920.0,
    -17253.0 / 339200.0,
    22.0 / 525.0,
    -1.0 / 40.0,
];

/// Integrate dy/dt = f(t, y) from `t0` to `t1` (either direction) starting at `y0`.
#[allow(clippy::type_complexity)] // f's signature is the ODE's right-hand side, spelled out
pub fn solve(
    f: &mut dyn FnMut(f64, &[f64]) -> anyhow::Result<Vec<f64>>,
    t0: f64,
    t1: f64,
    y0: Vec<f64>,
    tol: Tolerance,
) -> anyhow::Result<Solution> {
    let dir = (t1 - t0).signum();
    let span = (t1 - t0).abs();
    let n = y0.len();
    let mut y = y0;
    let mut t = t0;
    let mut evals = 0usize;
    let mut eval = |t: f64, y: &[f64], evals: &mut usize| {
        *evals += 1;
        f(t, y)
    };
    let mut k0 = eval(t, &y, &mut evals)?;
    anyhow::ensure!(k0.len() == n, "f returned {} values for {n}", k0.len());
    let scale = |a: &[f64], b: &[f64], k: usize| tol.atol + tol.rtol * a[k].abs().max(b[k].abs());
    // Initial step (Hairer, Nørsett & Wanner's heuristic, as scipy's select_initial_step).
    let d0 = rms((0..n).map(|k| y[k] / scale(&y, &y, k)));
    let d1 = rms((0..n).map(|k| k0[k] / scale(&y, &y, k)));
    let mut h = if d0 < 1e-5 || d1 < 1e-5 {
        1e-6
    } else {
        0.01 * d0 / d1
    }
    .min(span);
    let (mut accepted, mut rejected) = (0, 0);
    let mut ks: Vec<Vec<f64>> = vec![Vec::new(); 7];
    while (t1 - t) * dir > 1e-12 * span.max(1.0) {
        anyhow::ensure!(
            evals < tol.max_evals,
            "the ODE solver used {evals} evaluations without reaching t = {t1} (at t = {t}); raise ode_max_evals or the tolerances"
        );
        h = h.min((t1 - t).abs());
        anyhow::ensure!(h > 1e-14 * span, "the ODE step size underflowed at t = {t}");
        ks[0] = k0.clone();
        for s in 1..7 {
            let ys: Vec<f64> = (0..n)
                .map(|k| y[k] + dir * h * (0..s).map(|j| A[s][j] * ks[j][k]).sum::<f64>())
                .collect();
            ks[s] = eval(t + dir * h * C[s], &ys, &mut evals)?;
        }
        // The 5th-order solution is the stage-7 input (FSAL): recompute it from the weights.
        let y_new: Vec<f64> = (0..n)
            .map(|k| y[k] + dir * h * (0..6).map(|j| A[6][j] * ks[j][k]).sum::<f64>())
            .collect();
        let err = rms((0..n).map(|k| {
            let e: f64 = dir * h * (0..7).map(|j| E[j] * ks[j][k]).sum::<f64>();
            e / scale(&y, &y_new, k)
        }));
        let factor = if err == 0.0 {
            10.0
        } else {
            (0.9 * err.powf(-0.2)).clamp(0.2, 10.0)
        };
        if err <= 1.0 && err.is_finite() {
            t += dir * h;
            y = y_new;
            k0 = ks[6].clone();
            accepted += 1;
            h *= factor;
        } else {
            rejected += 1;
            #[allow(clippy::manual_clamp)] // a NaN factor gives 1, where clamp would give NaN
            {
                h *= factor.min(1.0).max(0.2);
            }
        }
    }
    Ok(Solution {
        y,
        evals,
        accepted,
        rejected,
    })
}

fn rms(v: impl Iterator<Item = f64>) -> f64 {
    let (mut s, mut n) = (0.0, 0usize);
    for x in v {
        s += x * x;
        n += 1;
    }
    (s / n.max(1) as f64).sqrt()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tol(rtol: f64) -> Tolerance {
        Tolerance {
            rtol,
            atol: rtol,
            max_evals: 100_000,
        }
    }

    /// y' = −2 t y, y(0) = 1: y(t) = exp(−t²); and the harmonic oscillator over one period
    /// returns to its start. Tighter tolerances cost more evaluations and err less.
    #[test]
    fn dormand_prince_meets_its_tolerance() {
        let mut f = |t: f64, y: &[f64]| Ok(vec![-2.0 * t * y[0]]);
        let loose = solve(&mut f, 0.0, 2.0, vec![1.0], tol(1e-4)).unwrap();
        let tight = solve(&mut f, 0.0, 2.0, vec![1.0], tol(1e-9)).unwrap();
        let exact = (-4.0f64).exp();
        assert!((tight.y[0] - exact).abs() < 1e-9, "{}", tight.y[0]);
        assert!((loose.y[0] - exact).abs() < 1e-4);
        assert!(tight.evals > loose.evals);
        // Backwards in time from the end recovers the start.
        let back = solve(&mut f, 2.0, 0.0, vec![exact], tol(1e-10)).unwrap();
        assert!((back.y[0] - 1.0).abs() < 1e-8, "{}", back.y[0]);
        let mut osc = |_t: f64, y: &[f64]| Ok(vec![y[1], -y[0]]);
        let tau = 2.0 * std::f64::consts::PI;
        let s = solve(&mut osc, 0.0, tau, vec![1.0, 0.0], tol(1e-8)).unwrap();
        assert!(
            (s.y[0] - 1.0).abs() < 1e-7 && s.y[1].abs() < 1e-7,
            "{:?}",
            s.y
        );
        assert_eq!(s.evals, 1 + 6 * (s.accepted + s.rejected));
    }

    #[test]
    fn an_evaluation_cap_is_an_error() {
        let mut f = |_t: f64, y: &[f64]| Ok(vec![-50.0 * y[0]]);
        let capped = Tolerance {
            max_evals: 20,
            ..tol(1e-10)
        };
        assert!(solve(&mut f, 0.0, 10.0, vec![1.0], capped).is_err());
    }
}
