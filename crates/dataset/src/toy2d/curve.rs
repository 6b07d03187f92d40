//! Noisy curves: two moons and the swiss roll.
//!
//! A curve `gamma_c(t)`, `t in [t0_c, t1_c]`, is picked with weight `w_c`, `t` is uniform on its
//! interval and isotropic Gaussian noise of std `s` is added:
//!
//! `p(x) = sum_c w_c / (t1_c - t0_c) * int_{t0_c}^{t1_c} N(x; gamma_c(t), s^2 I) dt`.
//!
//! The integral has no closed form on an arc; it is computed by composite 8-point
//! Gauss–Legendre quadrature on panels short enough that each spans at most `s / 2` of arc
//! length, i.e. the integrand varies on each panel like a Gaussian over at most half its std,
//! where the 8-point rule is exact to about 1e-12 relative. The sum over nodes is a log-sum-exp,
//! so `log p` stays accurate far from the curve too. Panels whose every term is provably more
//! than 30 nats below the largest term are skipped (each would change `log p` by < 1e-13).

use super::density::{Density2d, Entropy, LogSumExp, log_normal_2d, monte_carlo_entropy};
use super::quadrature::gauss_legendre;
use genbench_core::seed::Rng;
use std::f64::consts::PI;
use std::sync::OnceLock;

/// One piece of a [`CurveDensity`].
#[derive(Clone, Copy)]
pub struct Curve {
    /// The curve γ(t).
    pub gamma: fn(f64) -> [f64; 2],
    /// Start of the parameter range.
    pub t0: f64,
    /// End of the parameter range.
    pub t1: f64,
    /// Share of the mass on this curve.
    pub weight: f64,
    /// An upper bound of `|gamma'(t)|` on `[t0, t1]`, which sizes the quadrature panels.
    pub max_speed: f64,
}

/// A mixture of noisy curves (see the module documentation).
pub struct CurveDensity {
    name: &'static str,
    curves: Vec<Curve>,
    std: f64,
    labelled: bool,
    bounds: ([f64; 2], [f64; 2]),
    /// `(gamma(t_j), log(w_c / (t1 - t0) * quadrature weight))` for every node of every curve.
    nodes: Vec<([f64; 2], f64)>,
    /// One per 8 consecutive nodes.
    panels: Vec<Panel>,
    entropy: OnceLock<Entropy>,
}

/// Bounds on the terms of one panel: every node lies within `radius` of `mid` (half the
/// panel's arc length at most), and its log-weight in `[log_w_min, log_w_max]`.
struct Panel {
    mid: [f64; 2],
    radius: f64,
    log_w_min: f64,
    log_w_max: f64,
}

const NODES_PER_PANEL: usize = 8;

/// Two-moons scale: the unit-scale moons (sklearn's `make_moons`) are centred and scaled by 2.
const MOON_SCALE: f64 = 2.0;

fn upper_moon(t: f64) -> [f64; 2] {
    [MOON_SCALE * (t.cos() - 0.5), MOON_SCALE * (t.sin() - 0.25)]
}

fn lower_moon(t: f64) -> [f64; 2] {
    [MOON_SCALE * (0.5 - t.cos()), MOON_SCALE * (0.25 - t.sin())]
}

fn spiral(t: f64) -> [f64; 2] {
    [t * t.cos() / 5.0, t * t.sin() / 5.0]
}

impl CurveDensity {
    /// Quadrature panels per curve are `refine * ceil(2 (t1 - t0) max_speed / s)`.
    pub fn new(
        name: &'static str,
        curves: Vec<Curve>,
        std: f64,
        labelled: bool,
        refine: usize,
    ) -> Self {
        let rule = gauss_legendre(NODES_PER_PANEL);
        let total: f64 = curves.iter().map(|c| c.weight).sum();
        let (mut nodes, mut panel_bounds) = (Vec::new(), Vec::new());
        let (mut lo, mut hi) = ([f64::INFINITY; 2], [f64::NEG_INFINITY; 2]);
        for c in &curves {
            let len = c.t1 - c.t0;
            let panels = refine.max(1) * (2.0 * len * c.max_speed / std).ceil().max(1.0) as usize;
            let h = len / panels as f64;
            let log_w = (c.weight / total / len).ln();
            for k in 0..panels {
                let mid = c.t0 + (k as f64 + 0.5) * h;
                let log_ws = rule.iter().map(|(_, w)| log_w + (0.5 * h * w).ln());
                panel_bounds.push(Panel {
                    mid: (c.gamma)(mid),
                    radius: 0.5 * h * c.max_speed,
                    log_w_min: log_ws.clone().fold(f64::INFINITY, f64::min),
                    log_w_max: log_ws.fold(f64::NEG_INFINITY, f64::max),
                });
                for &(u, w) in &rule {
                    let g = (c.gamma)(mid + 0.5 * h * u);
                    nodes.push((g, log_w + (0.5 * h * w).ln()));
                    for d in 0..2 {
                        lo[d] = lo[d].min(g[d] - 6.0 * std);
                        hi[d] = hi[d].max(g[d] + 6.0 * std);
                    }
                }
            }
        }
        Self {
            name,
            curves,
            std,
            labelled,
            bounds: (lo, hi),
            nodes,
            panels: panel_bounds,
            entropy: OnceLock::new(),
        }
    }

    /// sklearn's moons, centred and scaled by 2: upper `2 (cos t - 1/2, sin t - 1/4)`, lower
    /// `2 (1/2 - cos t, 1/4 - sin t)`, `t in [0, pi]`, weight 1/2 each, noise std 0.2 (0.1 on
    /// the unit scale). Label = moon index.
    pub fn two_moons() -> Self {
        Self::two_moons_refined(1)
    }

    pub(crate) fn two_moons_refined(refine: usize) -> Self {
        let moon = |gamma| Curve {
            gamma,
            t0: 0.0,
            t1: PI,
            weight: 0.5,
            max_speed: MOON_SCALE,
        };
        Self::new(
            "two-moons",
            vec![moon(upper_moon), moon(lower_moon)],
            0.1 * MOON_SCALE,
            true,
            refine,
        )
    }

    /// The 2-D swiss roll of the FFJORD benchmarks (sklearn's `make_swiss_roll(noise = 1)`, axes
    /// 0 and 2, divided by 5): `t ~ U[3 pi / 2, 9 pi / 2]`, `x = t (cos t, sin t) / 5 + 0.2 z`.
    pub fn swiss_roll() -> Self {
        Self::swiss_roll_refined(1)
    }

    pub(crate) fn swiss_roll_refined(refine: usize) -> Self {
        let (t0, t1) = (1.5 * PI, 4.5 * PI);
        let max_speed = (1.0 + t1 * t1).sqrt() / 5.0;
        Self::new(
            "swiss-roll",
            vec![Curve {
                gamma: spiral,
                t0,
                t1,
                weight: 1.0,
                max_speed,
            }],
            0.2,
            false,
            refine,
        )
    }
}

impl Density2d for CurveDensity {
    fn name(&self) -> &str {
        self.name
    }

    fn log_prob(&self, x: [f64; 2]) -> f64 {
        let c = -1.0 / (2.0 * self.std * self.std);
        let dist = |p: &Panel| ((x[0] - p.mid[0]).powi(2) + (x[1] - p.mid[1]).powi(2)).sqrt();
        let floor = self
            .panels
            .iter()
            .map(|p| p.log_w_min + c * (dist(p) + p.radius).powi(2))
            .fold(f64::NEG_INFINITY, f64::max);
        let mut acc = LogSumExp::new();
        for (k, p) in self.panels.iter().enumerate() {
            if p.log_w_max + c * (dist(p) - p.radius).max(0.0).powi(2) < floor - 30.0 {
                continue;
            }
            for (g, log_w) in &self.nodes[k * NODES_PER_PANEL..(k + 1) * NODES_PER_PANEL] {
                acc.add(log_w + c * ((x[0] - g[0]).powi(2) + (x[1] - g[1]).powi(2)));
            }
        }
        acc.value() + log_normal_2d(0.0, self.std)
    }

    fn sample(&self, n: usize, rng: &mut Rng) -> Vec<[f64; 2]> {
        self.sample_labeled(n, rng).0
    }

    fn sample_labeled(&self, n: usize, rng: &mut Rng) -> (Vec<[f64; 2]>, Vec<usize>) {
        let weights: Vec<f64> = self.curves.iter().map(|c| c.weight).collect();
        let mut labels = Vec::with_capacity(n);
        let points = (0..n)
            .map(|_| {
                let k = rng.categorical(&weights);
                labels.push(if self.labelled { k } else { 0 });
                let c = &self.curves[k];
                let g = (c.gamma)(c.t0 + (c.t1 - c.t0) * rng.uniform());
                [
                    g[0] + self.std * rng.normal(),
                    g[1] + self.std * rng.normal(),
                ]
            })
            .collect();
        (points, labels)
    }

    fn entropy(&self) -> Entropy {
        *self.entropy.get_or_init(|| monte_carlo_entropy(self))
    }

    fn modes(&self) -> Option<(Vec<[f64; 2]>, f64)> {
        None
    }

    fn bounds(&self) -> ([f64; 2], [f64; 2]) {
        self.bounds
    }

    fn num_classes(&self) -> usize {
        if self.labelled { self.curves.len() } else { 0 }
    }
}
