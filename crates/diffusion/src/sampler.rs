//! The reverse process as samplers, on the host (the network is called through `eps`):
//!
//! - ancestral DDPM (Ho et al. 2020), T network evaluations:
//!   x_{t−1} = μ̃_t(x̂_0, x_t) + σ_t z,  x̂_0 = (x_t − √(1−ᾱ_t) ε̂)/√ᾱ_t,  z ~ N(0, I) (none at t = 1);
//! - DDIM (Song et al. 2021) on S ≤ T evenly spaced timesteps τ, η ∈ [0, 1]:
//!   x_{τ'} = √ᾱ_{τ'} x̂_0 + √(1 − ᾱ_{τ'} − σ²) ε̂ + σ z,
//!   σ = η √((1 − ᾱ_{τ'})/(1 − ᾱ_τ)) √(1 − ᾱ_τ/ᾱ_{τ'}), and ᾱ = 1 after the last step.
//!
//! On images x̂_0 is clipped to [−1, 1] (and ε̂ recomputed from it), as improved-diffusion does.
//! States can be captured on the way (`capture`: paper times t ∈ 0..=T) for the trajectory figures.

use crate::schedule::{ReverseVariance, Schedule};
use genbench_core::seed::Rng;

/// Which reverse process to run.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Sampler {
    /// Ancestral sampling: T steps of p(x_{t−1} | x_t).
    Ddpm,
    /// DDIM (Song et al. 2021) on a subsequence of the steps.
    Ddim {
        /// Steps S of the subsequence (clamped to 1..=T).
        steps: usize,
        /// η: 0 deterministic, 1 DDPM-like noise.
        eta: f64,
    },
}

impl Sampler {
    /// Network evaluations per sample (per guidance pass).
    pub fn evals(&self, schedule: &Schedule) -> usize {
        match self {
            Sampler::Ddpm => schedule.steps(),
            Sampler::Ddim { steps, .. } => (*steps).clamp(1, schedule.steps()),
        }
    }
}

/// S evenly spaced indices from T−1 down to 0 (S clamped to 1..=T): τ_j = round(j (T−1)/(S−1)).
pub fn ddim_timesteps(total: usize, steps: usize) -> Vec<usize> {
    let s = steps.clamp(1, total);
    if s == 1 {
        return vec![total - 1];
    }
    let mut ts: Vec<usize> = (0..s)
        .map(|j| ((j * (total - 1)) as f64 / (s - 1) as f64).round() as usize)
        .collect();
    ts.dedup();
    ts.reverse();
    ts
}

/// What a sampling run needs besides the network.
pub struct Run<'a> {
    /// The forward process's constants.
    pub schedule: &'a Schedule,
    /// The reverse process's variance.
    pub variance: ReverseVariance,
    /// Which reverse process.
    pub sampler: Sampler,
    /// Clip x̂_0 to [−1, 1] (images).
    pub clip: bool,
}

/// States captured at paper times: (t, x_t) for each requested t, in the order reached.
pub type Trajectory = Vec<(usize, Vec<f32>)>;

/// The network's output for every row of x (model space) at one index.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Prediction {
    /// ε̂ per row, row-major.
    pub eps: Vec<f32>,
    /// The learned-variance weight v ∈ [0, 1] per coordinate (`None`: fixed variances).
    pub v: Option<Vec<f32>>,
}

/// The prediction for every row of x (model space) at index i.
pub type EpsFn<'a> = dyn FnMut(&[f32], usize) -> anyhow::Result<Prediction> + 'a;

impl Run<'_> {
    fn x0_and_eps(&self, x: f64, i: usize, eps: f64) -> (f64, f64) {
        let x0 = self.schedule.predict_x0(x, i, eps);
        if self.clip {
            let c = x0.clamp(-1.0, 1.0);
            (c, self.schedule.eps_from_x0(x, i, c))
        } else {
            (x0, eps)
        }
    }

    /// Run the reverse process from `x_t` (n·dim values, x_T ~ N(0, I) for sampling) to x_0.
    /// `eps(x, i)` returns ε̂ for every row at index i (paper t = i + 1); `noise` draws z.
    /// Returns x_0 and the states at the `capture` times (the first state at or below each).
    pub fn run(
        &self,
        mut x: Vec<f32>,
        eps: &mut EpsFn,
        noise: &mut Rng,
        capture: &[usize],
    ) -> anyhow::Result<(Vec<f32>, Trajectory)> {
        let s = self.schedule;
        let mut pending: Vec<usize> = capture.to_vec();
        pending.sort_unstable_by(|a, b| b.cmp(a));
        pending.dedup();
        let mut traj = Vec::new();
        let mut record = |t_now: usize, x: &[f32], traj: &mut Trajectory| {
            while let Some(&c) = pending.first() {
                if c >= t_now {
                    traj.push((c, x.to_vec()));
                    pending.remove(0);
                } else {
                    break;
                }
            }
        };
        record(s.steps(), &x, &mut traj);
        match self.sampler {
            Sampler::Ddpm => {
                for i in (0..s.steps()).rev() {
                    let p = eps(&x, i)?;
                    for (k, (xv, ev)) in x.iter_mut().zip(&p.eps).enumerate() {
                        let v = p.v.as_ref().map_or(0.0, |v| v[k] as f64);
                        let sigma = (0.5 * s.model_log_variance(self.variance, i, v)).exp();
                        let (x0, _) = self.x0_and_eps(*xv as f64, i, *ev as f64);
                        let mean =
                            s.posterior_mean_coef1[i] * x0 + s.posterior_mean_coef2[i] * *xv as f64;
                        *xv = if i > 0 {
                            (mean + sigma * noise.normal()) as f32
                        } else {
                            mean as f32
                        };
                    }
                    record(i, &x, &mut traj);
                }
            }
            Sampler::Ddim { steps, eta } => {
                let taus = ddim_timesteps(s.steps(), steps);
                for (j, &i) in taus.iter().enumerate() {
                    let next = taus.get(j + 1).copied();
                    let ab = s.alpha_bar[i];
                    let ab_prev = next.map(|k| s.alpha_bar[k]).unwrap_or(1.0);
                    let sigma = eta
                        * ((1.0 - ab_prev) / (1.0 - ab)).sqrt()
                        * (1.0 - ab / ab_prev).max(0.0).sqrt();
                    let e = eps(&x, i)?.eps;
                    for (xv, ev) in x.iter_mut().zip(&e) {
                        let (x0, eps_c) = self.x0_and_eps(*xv as f64, i, *ev as f64);
                        let mut v = ab_prev.sqrt() * x0
                            + (1.0 - ab_prev - sigma * sigma).max(0.0).sqrt() * eps_c;
                        if sigma > 0.0 {
                            v += sigma * noise.normal();
                        }
                        *xv = v as f32;
                    }
                    record(next.map(|k| k + 1).unwrap_or(0), &x, &mut traj);
                }
            }
        }
        Ok((x, traj))
    }
}

/// Spherical interpolation between two noise vectors (Shoemake 1985), as used for DDIM latents:
/// slerp(a, b, λ) = sin((1−λ)θ)/sin θ · a + sin(λθ)/sin θ · b, θ = angle(a, b).
pub fn slerp(a: &[f32], b: &[f32], lambda: f64) -> Vec<f32> {
    let dot: f64 = a.iter().zip(b).map(|(x, y)| *x as f64 * *y as f64).sum();
    let na: f64 = a.iter().map(|x| (*x as f64).powi(2)).sum::<f64>().sqrt();
    let nb: f64 = b.iter().map(|x| (*x as f64).powi(2)).sum::<f64>().sqrt();
    let theta = (dot / (na * nb)).clamp(-1.0, 1.0).acos();
    if theta.abs() < 1e-6 {
        return a
            .iter()
            .zip(b)
            .map(|(x, y)| ((1.0 - lambda) * *x as f64 + lambda * *y as f64) as f32)
            .collect();
    }
    let (wa, wb) = (
        ((1.0 - lambda) * theta).sin() / theta.sin(),
        (lambda * theta).sin() / theta.sin(),
    );
    a.iter()
        .zip(b)
        .map(|(x, y)| (wa * *x as f64 + wb * *y as f64) as f32)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schedule::ScheduleKind;

    #[test]
    fn ddim_timesteps_span_the_chain() {
        assert_eq!(ddim_timesteps(1000, 1000).len(), 1000);
        let t = ddim_timesteps(1000, 10);
        assert_eq!(t.len(), 10);
        assert_eq!((t[0], t[9]), (999, 0));
        assert_eq!(ddim_timesteps(100, 5000).len(), 100);
        assert_eq!(ddim_timesteps(10, 1), vec![9]);
    }

    /// With the true ε of a single data point x_0 (ε = (x_t − √ᾱ x_0)/√(1−ᾱ)), deterministic DDIM
    /// recovers x_0 exactly from any x_T, and ancestral DDPM lands on x_0 up to σ_1-sized noise.
    #[test]
    fn samplers_recover_a_point_mass() {
        let s = Schedule::new(ScheduleKind::Linear, 100).unwrap();
        let target = [0.25f32, -0.5];
        let mut oracle = |x: &[f32], i: usize| -> anyhow::Result<Prediction> {
            Ok(Prediction {
                eps: x
                    .iter()
                    .enumerate()
                    .map(|(k, v)| s.eps_from_x0(*v as f64, i, target[k % 2] as f64) as f32)
                    .collect(),
                v: None,
            })
        };
        for sampler in [
            Sampler::Ddim {
                steps: 10,
                eta: 0.0,
            },
            Sampler::Ddim {
                steps: 20,
                eta: 1.0,
            },
            Sampler::Ddpm,
        ] {
            let run = Run {
                schedule: &s,
                variance: ReverseVariance::Beta,
                sampler,
                clip: true,
            };
            let mut rng = Rng::new(3);
            let x_t: Vec<f32> = (0..8).map(|_| rng.normal() as f32).collect();
            let (x0, traj) = run.run(x_t, &mut oracle, &mut rng, &[100, 50, 0]).unwrap();
            assert_eq!(
                traj.iter().map(|(t, _)| *t).collect::<Vec<_>>(),
                vec![100, 50, 0]
            );
            for (k, v) in x0.iter().enumerate() {
                assert!((v - target[k % 2]).abs() < 1e-4, "{sampler:?}: {v}");
            }
        }
    }

    #[test]
    fn slerp_keeps_the_ends_and_the_norm_of_orthogonal_unit_vectors() {
        let (a, b) = ([1.0f32, 0.0], [0.0f32, 1.0]);
        assert_eq!(slerp(&a, &b, 0.0), vec![1.0, 0.0]);
        let m = slerp(&a, &b, 0.5);
        assert!((m[0] * m[0] + m[1] * m[1] - 1.0).abs() < 1e-6);
    }
}
