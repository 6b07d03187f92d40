//! The report's diffusion figures, written from fixed test examples (names are read by the report):
//!
//! - `diffusion_vlb_terms.csv`: t, term_nats, term_bpd — the bound's terms averaged over the
//!   given examples (t = 0: L_0, 1..T−1: L_t, T: L_T);
//! - images: `diffusion_forward.png` (rows = examples, columns = x_t at t ∈ {0, T/10, T/4, T/2,
//!   3T/4, T} with one fixed ε per example: the ink spreading), `diffusion_reverse.png` (the
//!   default sampler's trajectory x_T → x_0 at the same t, one sample per row),
//!   `diffusion_denoise.png` (per example, pairs x_t | x̂_0 for t ∈ {T/10, T/4, T/2, 3T/4, T}),
//!   `diffusion_interpolation.png` (deterministic DDIM, η = 0, of slerp(z_a, z_b, λ) for 8 λ);
//! - vectors: `diffusion_forward.csv` and `diffusion_reverse.csv` (t, x0, x1) for a cloud of up
//!   to 1,000 points at each of those t.

use crate::config::CONDITIONAL;
use crate::model::DiffusionModel;
use crate::sampler::{Sampler, Trajectory, slerp};
use genbench_core::seed::{self, Rng};
use genbench_core::{Batch, fsutil, grid};
use std::path::Path;

/// t, term_nats, term_bpd: the bound's terms averaged over the given examples (t = 0: L_0,
/// 1..T−1: L_t, T: L_T).
pub const VLB_TERMS_CSV: &str = "diffusion_vlb_terms.csv";
/// Images: rows = examples, columns = x_t at the capture times with one fixed ε per example
/// (the ink spreading).
pub const FORWARD_PNG: &str = "diffusion_forward.png";
/// Vectors: the forward process of the point cloud.
pub const FORWARD_CSV: &str = "diffusion_forward.csv";
/// Images: the default sampler's trajectory x_T → x_0 at the capture times, one sample per row.
pub const REVERSE_PNG: &str = "diffusion_reverse.png";
/// Vectors: the sampler's trajectory of a cloud of samples.
pub const REVERSE_CSV: &str = "diffusion_reverse.csv";
/// Images: per example, pairs x_t | x̂_0 for t ∈ {T/10, T/4, T/2, 3T/4, T}.
pub const DENOISE_PNG: &str = "diffusion_denoise.png";
/// Images: deterministic DDIM (η = 0) of slerp(z_a, z_b, λ) for 8 λ.
pub const INTERPOLATION_PNG: &str = "diffusion_interpolation.png";

/// {0, T/10, T/4, T/2, 3T/4, T}, ascending, without repeats.
pub fn capture_times(steps: usize) -> Vec<usize> {
    let mut t = vec![0, steps / 10, steps / 4, steps / 2, 3 * steps / 4, steps];
    t.dedup();
    t
}

/// Write the diffusion figures and tables for `test` into `dir`: the bound's terms, the forward and
/// reverse trajectories, denoising and interpolation (draws from `seed`).
pub fn write_all(m: &DiffusionModel, test: &Batch, dir: &Path, seed: u64) -> anyhow::Result<()> {
    std::fs::create_dir_all(dir)?;
    anyhow::ensure!(!test.is_empty(), "no test examples for the artifacts");
    let bound = m.bound(test, seed)?;
    let dim = m.spec.dim();
    let rows: Vec<Vec<String>> = bound
        .per_term
        .iter()
        .enumerate()
        .map(|(t, v)| {
            vec![
                t.to_string(),
                format!("{v:.6e}"),
                format!("{:.6e}", crate::vlb::nats_to_bpd(*v, dim)),
            ]
        })
        .collect();
    fsutil::write_csv(
        &dir.join(VLB_TERMS_CSV),
        &["t".into(), "term_nats".into(), "term_bpd".into()],
        &rows,
    )?;
    let times = capture_times(m.schedule.steps());
    if m.spec.is_image() {
        images(m, test, dir, seed, &times)
    } else {
        points(m, test, dir, seed, &times)
    }
}

/// x_t = √ᾱ_t x_0 + √(1−ᾱ_t) ε for one row (model space), t = 0 giving x_0.
fn forward_state(m: &DiffusionModel, x0: &[f32], noise: &[f32], t: usize) -> Vec<f32> {
    if t == 0 {
        return x0.to_vec();
    }
    x0.iter()
        .zip(noise)
        .map(|(&x, &e)| m.schedule.q_sample(x as f64, t - 1, e as f64) as f32)
        .collect()
}

/// Save cells (model space, one example each, row-major) as a grid with `cols` columns.
fn save_grid(
    m: &DiffusionModel,
    cells: &[Vec<f32>],
    cols: usize,
    path: &Path,
) -> anyhow::Result<()> {
    let x: Vec<f32> = cells.iter().flat_map(|c| m.to_data_space(c)).collect();
    let batch = Batch::new(x, Vec::new(), m.spec.dim());
    let scale = if m.spec.image_shape()[1] <= 16 { 4 } else { 2 };
    grid::save_image_grid(&batch, &m.spec, cols, scale, path)
}

fn images(
    m: &DiffusionModel,
    test: &Batch,
    dir: &Path,
    seed: u64,
    times: &[usize],
) -> anyhow::Result<()> {
    let d = m.spec.dim();
    let steps = m.schedule.steps();
    let n = test.len().min(8);
    let mut rng = Rng::new(seed::derive(seed, 1));
    let x0 = m.to_model_space(&test.head(n).x);
    let noise: Vec<f32> = (0..n * d).map(|_| rng.normal() as f32).collect();

    // Forward: rows = examples, columns = t.
    let mut cells = Vec::new();
    for r in 0..n {
        for &t in times {
            cells.push(forward_state(
                m,
                &x0[r * d..(r + 1) * d],
                &noise[r * d..(r + 1) * d],
                t,
            ));
        }
    }
    save_grid(m, &cells, times.len(), &dir.join(FORWARD_PNG))?;

    // Reverse: the default sampler from x_T, columns T -> 0.
    let traj = reverse_trajectory(m, n, &mut rng, times)?;
    let mut cells = Vec::new();
    for r in 0..n {
        for (_, xs) in &traj {
            cells.push(xs[r * d..(r + 1) * d].to_vec());
        }
    }
    save_grid(m, &cells, traj.len(), &dir.join(REVERSE_PNG))?;

    // Denoise: x_t and the one-shot x̂_0 = (x_t − √(1−ᾱ_t) ε̂)/√ᾱ_t, clipped.
    let denoise_times: Vec<usize> = times.iter().copied().filter(|&t| t > 0).collect();
    let test_labels = (m.classes > 0 && test.has_labels()).then(|| test.labels[..n].to_vec());
    let mut pairs: Vec<Vec<Vec<f32>>> = vec![Vec::new(); n];
    for &t in &denoise_times {
        let xt: Vec<f32> = (0..n)
            .flat_map(|r| forward_state(m, &x0[r * d..(r + 1) * d], &noise[r * d..(r + 1) * d], t))
            .collect();
        let eps = m.eps(&xt, t - 1, test_labels.as_deref(), CONDITIONAL)?;
        for (r, pair) in pairs.iter_mut().enumerate() {
            let row = r * d..(r + 1) * d;
            let x0_hat: Vec<f32> = xt[row.clone()]
                .iter()
                .zip(&eps[row.clone()])
                .map(|(&x, &e)| {
                    m.schedule
                        .predict_x0(x as f64, t - 1, e as f64)
                        .clamp(-1.0, 1.0) as f32
                })
                .collect();
            pair.push(xt[row].to_vec());
            pair.push(x0_hat);
        }
    }
    let cells: Vec<Vec<f32>> = pairs.into_iter().flatten().collect();
    save_grid(m, &cells, 2 * denoise_times.len(), &dir.join(DENOISE_PNG))?;

    // Interpolation: DDIM (η = 0) decodes of slerp between two x_T, 4 rows x 8 steps.
    let (pairs_n, lambdas) = (4, 8);
    let mut latents = Vec::with_capacity(pairs_n * lambdas * d);
    for _ in 0..pairs_n {
        let a: Vec<f32> = (0..d).map(|_| rng.normal() as f32).collect();
        let b: Vec<f32> = (0..d).map(|_| rng.normal() as f32).collect();
        for j in 0..lambdas {
            latents.extend(slerp(&a, &b, j as f64 / (lambdas - 1) as f64));
        }
    }
    let labels: Option<Vec<usize>> = (m.classes > 0).then(|| {
        (0..pairs_n * lambdas)
            .map(|i| (i / lambdas) % m.classes)
            .collect()
    });
    let ddim_steps = match m.default_sampler() {
        Sampler::Ddim { steps, .. } => steps,
        Sampler::Ddpm => steps.min(50),
    };
    let (decoded, _) = m.reverse(
        latents,
        labels.as_deref(),
        Sampler::Ddim {
            steps: ddim_steps,
            eta: 0.0,
        },
        m.config.guidance_scale,
        &mut rng,
        &[],
    )?;
    let cells: Vec<Vec<f32>> = decoded.chunks(d).map(<[f32]>::to_vec).collect();
    save_grid(m, &cells, lambdas, &dir.join(INTERPOLATION_PNG))
}

/// The default sampler (and guidance) from `n` fresh x_T ~ N(0, I), its states kept at `times`.
fn reverse_trajectory(
    m: &DiffusionModel,
    n: usize,
    rng: &mut Rng,
    times: &[usize],
) -> anyhow::Result<Trajectory> {
    let labels = m.sample_labels(n, None)?;
    let x_t: Vec<f32> = (0..n * m.spec.dim()).map(|_| rng.normal() as f32).collect();
    let sampler = m.default_sampler();
    let (_, traj) = m.reverse(
        x_t,
        labels.as_deref(),
        sampler,
        m.config.guidance_scale,
        rng,
        times,
    )?;
    Ok(traj)
}

fn points(
    m: &DiffusionModel,
    test: &Batch,
    dir: &Path,
    seed: u64,
    times: &[usize],
) -> anyhow::Result<()> {
    let d = m.spec.dim();
    anyhow::ensure!(d == 2, "point-cloud artifacts are for 2-D data (dim {d})");
    let cloud = m.cloud.clone().unwrap_or_else(|| test.clone());
    let n = cloud.len();
    let mut rng = Rng::new(seed::derive(seed, 2));
    let x0 = m.to_model_space(&cloud.x);
    let noise: Vec<f32> = (0..n * d).map(|_| rng.normal() as f32).collect();
    let header = ["t".to_string(), "x0".into(), "x1".into()];
    let mut rows = Vec::new();
    for &t in times {
        let xt = forward_state(m, &x0, &noise, t);
        rows.extend(
            xt.chunks(2)
                .map(|p| vec![t.to_string(), p[0].to_string(), p[1].to_string()]),
        );
    }
    fsutil::write_csv(&dir.join(FORWARD_CSV), &header, &rows)?;

    let traj = reverse_trajectory(m, n, &mut rng, times)?;
    let mut rows = Vec::new();
    for (t, xs) in &traj {
        rows.extend(
            xs.chunks(2)
                .map(|p| vec![t.to_string(), p[0].to_string(), p[1].to_string()]),
        );
    }
    fsutil::write_csv(&dir.join(REVERSE_CSV), &header, &rows)
}
