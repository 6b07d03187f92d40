//! How training draws the timestep t: uniformly, or by importance sampling from the loss
//! history (Nichol & Dhariwal 2021, §3.3; improved-diffusion's `LossSecondMomentResampler`):
//!
//!   p_t ∝ √E[L_t²] over the last 10 losses seen at t, mixed as (1 − 0.001) p_t + 0.001 / T,
//!
//! uniform until every t has 10 losses. A loss drawn at t is weighted by 1 / (T p_t), so the
//! expected weighted loss is the uniform-t objective; only its variance drops. The history is
//! part of the checkpoint ([`TimestepWeights::history`], [`TimestepWeights::restore`]), so a
//! resumed run draws the same t as an uninterrupted one.

use crate::config::{LossKind, TimestepSampler};
use genbench_core::seed::Rng;

const HISTORY: usize = 10;
const UNIFORM_PROB: f64 = 0.001;

/// The timestep distribution and its loss history.
#[derive(Clone, Debug)]
pub struct TimestepWeights {
    importance: bool,
    /// Last `HISTORY` losses per t (ring order does not matter for the second moment).
    history: Vec<Vec<f64>>,
    steps: usize,
}

impl TimestepWeights {
    /// The weights of `sampler` for `loss` over `steps` timesteps (uniform until importance
    /// sampling has its history).
    pub fn new(sampler: TimestepSampler, loss: LossKind, steps: usize) -> Self {
        let importance = match sampler {
            TimestepSampler::Auto => loss == LossKind::Vlb,
            TimestepSampler::Uniform => false,
            TimestepSampler::LossSecondMoment => true,
        };
        Self {
            importance,
            history: vec![Vec::new(); steps],
            steps,
        }
    }

    fn warmed_up(&self) -> bool {
        self.history.iter().all(|h| h.len() == HISTORY)
    }

    /// The current p_t for every t (sums to 1).
    pub fn probabilities(&self) -> Vec<f64> {
        let uniform = vec![1.0 / self.steps as f64; self.steps];
        if !self.importance || !self.warmed_up() {
            return uniform;
        }
        let w: Vec<f64> = self
            .history
            .iter()
            .map(|h| (h.iter().map(|l| l * l).sum::<f64>() / h.len() as f64).sqrt())
            .collect();
        let total: f64 = w.iter().sum();
        if total <= 0.0 || !total.is_finite() {
            return uniform;
        }
        w.iter()
            .map(|v| v / total * (1.0 - UNIFORM_PROB) + UNIFORM_PROB / self.steps as f64)
            .collect()
    }

    /// `n` timestep indices and their weights 1/(T p_t).
    pub fn draw(&self, n: usize, rng: &mut Rng) -> (Vec<usize>, Vec<f64>) {
        if !self.importance || !self.warmed_up() {
            return (
                (0..n).map(|_| rng.below(self.steps)).collect(),
                vec![1.0; n],
            );
        }
        let p = self.probabilities();
        let mut cdf = Vec::with_capacity(p.len());
        let mut acc = 0.0;
        for v in &p {
            acc += v;
            cdf.push(acc);
        }
        let mut t = Vec::with_capacity(n);
        let mut w = Vec::with_capacity(n);
        for _ in 0..n {
            let u = rng.uniform() * acc;
            let i = cdf.partition_point(|&c| c < u).min(self.steps - 1);
            t.push(i);
            w.push(1.0 / (self.steps as f64 * p[i]));
        }
        (t, w)
    }

    /// The loss history per t (oldest first), for the checkpoint.
    pub fn history(&self) -> &[Vec<f64>] {
        &self.history
    }

    /// Put back a history saved by [`Self::history`]; an empty one (a checkpoint of uniform
    /// sampling) leaves the history empty.
    pub fn restore(&mut self, history: Vec<Vec<f64>>) -> anyhow::Result<()> {
        if history.is_empty() {
            self.history = vec![Vec::new(); self.steps];
            return Ok(());
        }
        anyhow::ensure!(
            history.len() == self.steps && history.iter().all(|h| h.len() <= HISTORY),
            "the checkpoint's timestep history has {} timesteps, the model {}",
            history.len(),
            self.steps
        );
        self.history = history;
        Ok(())
    }

    /// Record the per-example losses at their timesteps.
    pub fn update(&mut self, t: &[usize], losses: &[f64]) {
        if !self.importance {
            return;
        }
        for (&i, &l) in t.iter().zip(losses) {
            let h = &mut self.history[i];
            if h.len() == HISTORY {
                h.remove(0);
            }
            h.push(l);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Two timesteps with constant losses 1 and 3: p ∝ (1, 3) mixed with 0.1% uniform, i.e.
    /// p_0 = 0.25 · 0.999 + 0.0005 = 0.25025, and the weights 1/(T p) make E_p[w L] = mean L.
    #[test]
    fn second_moment_weights_and_unbiasedness() {
        let mut s = TimestepWeights::new(TimestepSampler::Auto, LossKind::Vlb, 2);
        assert_eq!(s.probabilities(), vec![0.5, 0.5]);
        for _ in 0..HISTORY {
            s.update(&[0, 1], &[1.0, 3.0]);
        }
        let p = s.probabilities();
        assert!((p[0] - 0.25025).abs() < 1e-12 && (p[1] - 0.74975).abs() < 1e-12);
        let loss = [1.0, 3.0];
        let expected: f64 = (0..2).map(|i| p[i] * loss[i] / (2.0 * p[i])).sum();
        assert!((expected - 2.0).abs() < 1e-12);
        let mut rng = Rng::new(1);
        let (t, w) = s.draw(20_000, &mut rng);
        let share = t.iter().filter(|&&i| i == 1).count() as f64 / 20_000.0;
        assert!((share - 0.74975).abs() < 0.01, "{share}");
        assert!((w[0] - 1.0 / (2.0 * p[t[0]])).abs() < 1e-12);
        // The history comes back from a checkpoint: the same p_t, the same draws.
        let mut back = TimestepWeights::new(TimestepSampler::Auto, LossKind::Vlb, 2);
        back.restore(s.history().to_vec()).unwrap();
        assert_eq!(back.probabilities(), p);
        assert!(back.restore(vec![Vec::new(); 3]).is_err());
        // Uniform sampling keeps no history and weights 1.
        let u = TimestepWeights::new(TimestepSampler::Auto, LossKind::Hybrid, 2);
        assert_eq!(u.draw(3, &mut rng).1, vec![1.0; 3]);
    }
}
