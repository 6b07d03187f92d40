//! A synthetic experiment folder laid out the way `genbench run` writes one: summary.csv,
//! runs/<id>/{result fields, train.csv, samples.*, variants.csv, artifacts/}. The numbers are
//! made up but deterministic; the layout and column names are the runner's.
#![allow(dead_code)]

use genbench_core::results;
use genbench_core::results::schema::col;
use genbench_core::seed::Rng;
use plotters::prelude::*;
use std::collections::BTreeMap;
use std::path::Path;

pub type Row = BTreeMap<String, String>;

/// Writes each row as its run's result.json, then summary.csv with the runner's own
/// [`results::write_summary`] (which reads them back as typed results, sorted by run id).
pub fn write_summary(dir: &Path, rows: &[Row]) {
    for r in rows {
        let row = results::Row(r.clone().into_iter().collect());
        let path = dir
            .join("runs")
            .join(&r[col::RUN_ID])
            .join(results::RESULT_FILE);
        row.save(&path).unwrap();
    }
    results::write_summary(dir).unwrap();
}

/// Writes `rows` as summary.csv in the given order (a concatenation of shards' summaries), with
/// the runner's own writer.
pub fn write_summary_in_order(dir: &Path, rows: &[Row]) {
    let rows: Vec<results::Row> = rows
        .iter()
        .map(|r| results::Row(r.clone().into_iter().collect()))
        .collect();
    results::write_summary_rows(&dir.join("summary.csv"), &rows).unwrap();
}

pub fn write_csv(path: &Path, header: &[String], rows: &[Vec<String>]) {
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    let mut w = csv::Writer::from_path(path).unwrap();
    w.write_record(header).unwrap();
    for r in rows {
        w.write_record(r).unwrap();
    }
    w.flush().unwrap();
}

fn h(v: &[&str]) -> Vec<String> {
    v.iter().map(ToString::to_string).collect()
}

/// A small grey-noise PNG standing in for a sample grid or a family figure.
pub fn fake_png(path: &Path, seed: u64) {
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    let mut rng = Rng::new(seed);
    let root = BitMapBackend::new(path, (40, 40)).into_drawing_area();
    for y in 0..40 {
        for x in 0..40 {
            let g = (rng.uniform() * 255.0) as u8;
            root.draw_pixel((x, y), &RGBColor(g, g, g)).unwrap();
        }
    }
    root.present().unwrap();
}

struct Spec {
    model: &'static str,
    family: &'static str,
    paper: &'static str,
    year: &'static str,
    kind: &'static str,
    /// NLL (nats for 2-D, bits/dim for digits) and FD of seed 0.
    nll: f64,
    fd: f64,
    evals: f64,
}

const SPECS: &[Spec] = &[
    Spec {
        model: "gmm",
        family: "gmm",
        paper: "Dempster et al. 1977",
        year: "1977",
        kind: "exact",
        nll: 2.9,
        fd: 0.08,
        evals: 1.0,
    },
    Spec {
        model: "made",
        family: "autoregressive",
        paper: "Germain et al. 2015",
        year: "2015",
        kind: "exact",
        nll: 2.95,
        fd: 0.1,
        evals: 2.0,
    },
    Spec {
        model: "vae",
        family: "vae",
        paper: "Kingma & Welling 2014",
        year: "2014",
        kind: "elbo",
        nll: 3.3,
        fd: 0.3,
        evals: 1.0,
    },
    Spec {
        model: "gan",
        family: "gan",
        paper: "Goodfellow et al. 2014",
        year: "2014",
        kind: "unavailable",
        nll: f64::NAN,
        fd: 0.2,
        evals: 1.0,
    },
    Spec {
        model: "realnvp",
        family: "flow",
        paper: "Dinh et al. 2017",
        year: "2017",
        kind: "exact",
        nll: 3.0,
        fd: 0.15,
        evals: 1.0,
    },
    Spec {
        model: "ddpm",
        family: "diffusion",
        paper: "Ho et al. 2020",
        year: "2020",
        kind: "vlb-100",
        nll: 3.1,
        fd: 0.05,
        evals: 100.0,
    },
];

/// The fixture's families in the order the report is asked to list them (its specs' order,
/// which is the family registry's).
pub fn family_order() -> Vec<&'static str> {
    let mut order: Vec<&'static str> = Vec::new();
    for spec in SPECS {
        if !order.contains(&spec.family) {
            order.push(spec.family);
        }
    }
    order
}

/// Every run of the fixture: 8gaussians and digits, the six families, `seeds`; `keep(run_id)`
/// chooses which run folders to write (for shards). Returns the summary rows of the written runs.
pub fn write_fixture(dir: &Path, seeds: &[u64], keep: &dyn Fn(&str) -> bool) -> Vec<Row> {
    let mut rows = Vec::new();
    for dataset in ["8gaussians", "digits"] {
        let images = dataset == "digits";
        for (si, spec) in SPECS.iter().enumerate() {
            for &seed in seeds {
                let run_id = format!("{}-{}-s{}", spec.model, dataset, seed);
                if !keep(&run_id) {
                    continue;
                }
                let mut rng = Rng::new(1000 * si as u64 + 17 * seed + if images { 5 } else { 0 });
                let jitter = |rng: &mut Rng, scale: f64| 1.0 + scale * (rng.uniform() - 0.5);
                let diverged = images && spec.family == "gan" && seed == 2;
                let run_dir = dir.join("runs").join(&run_id);
                std::fs::create_dir_all(&run_dir).unwrap();
                let mut r = Row::new();
                let mut set = |k: &str, v: String| {
                    r.insert(k.to_string(), v);
                };
                set(col::RUN_ID, run_id.clone());
                set(col::EXPERIMENT, "fixture".into());
                set(col::FAMILY, spec.family.into());
                set(col::MODEL, spec.model.into());
                set(col::ARCH, format!("{} arch", spec.model));
                set(col::PAPER, spec.paper.into());
                set(col::YEAR, spec.year.into());
                set(col::DATASET, dataset.into());
                set(col::SEED, seed.to_string());
                set(col::CONDITIONAL, (spec.family == "diffusion").to_string());
                set(col::STATUS, if diverged { "diverged" } else { "ok" }.into());
                set(
                    col::DIVERGED_AT,
                    if diverged {
                        "120".into()
                    } else {
                        String::new()
                    },
                );
                set(col::STEPS, "400".into());
                set(
                    col::TRAIN_SECONDS,
                    (2.0 * jitter(&mut rng, 0.2) * (si + 1) as f64).to_string(),
                );
                set(col::BACKEND, "flex".into());
                set(col::THREADS, "2".into());
                set(col::COMMIT, "abc123def456".into());
                set(
                    col::PARAMS,
                    (1000 * (si + 1) * if images { 30 } else { 1 }).to_string(),
                );
                set(
                    col::PREPROCESSING,
                    if images {
                        "17 levels, 1437 train / 360 test"
                    } else {
                        "exact samples, 10000 train / 2000 test"
                    }
                    .into(),
                );
                set(col::FINAL_TRAIN_LOSS, (1.0 + rng.uniform()).to_string());
                if diverged {
                    set(col::NLL_KIND, "diverged".into());
                } else {
                    set(col::NLL_KIND, spec.kind.into());
                    if spec.nll.is_finite() {
                        let nll =
                            spec.nll * jitter(&mut rng, 0.05) * if images { 0.7 } else { 1.0 };
                        if images {
                            set(col::NLL_BPD, nll.to_string());
                            set(
                                col::NLL_NATS,
                                (nll * 64.0 * std::f64::consts::LN_2).to_string(),
                            );
                        } else {
                            set(col::NLL_NATS, nll.to_string());
                            set(col::ENTROPY_NATS, "2.8379".into());
                            set(col::NLL_MINUS_ENTROPY_NATS, (nll - 2.8379).to_string());
                        }
                        set(col::NLL_N, "360".into());
                    }
                    let fd = spec.fd * jitter(&mut rng, 0.3) * if images { 40.0 } else { 1.0 };
                    set(col::FD, fd.to_string());
                    set(col::FD_N, "2000/2000".into());
                    set(col::KID, (fd / 100.0).to_string());
                    set(col::KID_STD, (fd / 1000.0).to_string());
                    set(col::KID_N, "100x1000".into());
                    set(
                        col::PRECISION,
                        (0.9 - fd.min(1.0) * 0.3 * jitter(&mut rng, 0.1)).to_string(),
                    );
                    set(
                        col::RECALL,
                        (0.8 - fd.min(1.0) * 0.2 * jitter(&mut rng, 0.1)).to_string(),
                    );
                    set(col::PR_N, "2000/2000".into());
                    set(col::DENSITY, (1.0 - fd.min(1.0) * 0.2).to_string());
                    set(col::COVERAGE, (0.95 - fd.min(1.0) * 0.1).to_string());
                    set(col::DC_N, "2000/2000".into());
                    set(
                        col::SAMPLES_PER_SECOND,
                        (50000.0 / spec.evals * jitter(&mut rng, 0.1)).to_string(),
                    );
                    set(
                        col::EVALS_PER_SAMPLE,
                        (spec.evals
                            * if images && spec.family == "autoregressive" {
                                32.0
                            } else {
                                1.0
                            })
                        .to_string(),
                    );
                    if images {
                        set(col::CLASSIFIER_ACCURACY, "0.97".into());
                    } else {
                        set(col::MODES_COVERED, "8".into());
                        set(col::MODES_TOTAL, "8".into());
                        set(
                            col::HIGH_QUALITY,
                            (0.9 * jitter(&mut rng, 0.05)).to_string(),
                        );
                        set(
                            col::TRUE_LOGP_OF_SAMPLES,
                            (-2.9 * jitter(&mut rng, 0.05)).to_string(),
                        );
                    }
                    if spec.family == "diffusion" {
                        set(
                            col::COND_ACCURACY,
                            (0.8 * jitter(&mut rng, 0.1)).to_string(),
                        );
                    }
                    if spec.family == "vae" {
                        set("ll_elbo_nats", "1".into());
                        set("ll_rate_nats", "0.3".into());
                    }
                }
                write_run_files(&run_dir, spec, images, seed, diverged, &mut rng);
                rows.push(r);
            }
        }
    }
    rows
}

fn write_run_files(
    run_dir: &Path,
    spec: &Spec,
    images: bool,
    seed: u64,
    diverged: bool,
    rng: &mut Rng,
) {
    let extras: &[&str] = match spec.family {
        "gan" => &["d_loss", "g_loss"],
        "vae" => &["distortion", "rate"],
        _ => &[],
    };
    let mut header = h(&["step", "seconds", "loss"]);
    header.extend(extras.iter().map(ToString::to_string));
    let steps = if diverged { 120 } else { 400 };
    let train: Vec<Vec<String>> = (0..steps / 10)
        .map(|i| {
            let step = i * 10 + 10;
            let loss = 1.0 + 3.0 * (-(step as f64) / 80.0).exp() + 0.05 * rng.normal();
            let mut row = vec![
                step.to_string(),
                (step as f64 * 0.005 * (1.0 + 0.1 * seed as f64)).to_string(),
                loss.to_string(),
            ];
            row.extend(
                extras
                    .iter()
                    .map(|_| (loss * 0.5 + 0.02 * rng.normal()).to_string()),
            );
            row
        })
        .collect();
    write_csv(&run_dir.join("train.csv"), &header, &train);
    if diverged {
        return;
    }
    let art = run_dir.join("artifacts");
    if images {
        fake_png(&run_dir.join("samples.png"), seed);
    } else {
        let d = genbench_dataset::density("8gaussians").unwrap();
        let spread = 1.0 + spec.fd * 3.0;
        let (pts, labels) = d.sample_labeled(600, rng);
        let conditional = spec.family == "diffusion";
        let rows: Vec<Vec<String>> = pts
            .iter()
            .zip(&labels)
            .map(|(p, l)| {
                let mut row = vec![(p[0] * spread).to_string(), (p[1] * spread).to_string()];
                if conditional {
                    row.push(l.to_string());
                }
                row
            })
            .collect();
        let header: &[&str] = if conditional {
            &["x0", "x1", "label"]
        } else {
            &["x0", "x1"]
        };
        write_csv(&run_dir.join("samples.csv"), &h(header), &rows);
        if spec.kind == "exact" {
            let (lo, hi) = d.bounds();
            let side = 32;
            let rows: Vec<Vec<String>> = (0..side * side)
                .map(|k| {
                    let x = lo[0] + (hi[0] - lo[0]) * ((k % side) as f64 + 0.5) / side as f64;
                    let y = lo[1] + (hi[1] - lo[1]) * ((k / side) as f64 + 0.5) / side as f64;
                    let lp = d.log_prob([x / spread, y / spread]) - 2.0 * spread.ln();
                    vec![x.to_string(), y.to_string(), lp.to_string()]
                })
                .collect();
            write_csv(
                &art.join("model_density.csv"),
                &h(&["x0", "x1", "logp"]),
                &rows,
            );
        }
    }
    match spec.family {
        "vae" => {
            let k = if images {
                64.0 * std::f64::consts::LN_2
            } else {
                2.0 * std::f64::consts::LN_2
            };
            let (rate, dist) = (20.0 + rng.uniform(), 100.0 + rng.uniform());
            let rows: Vec<Vec<String>> = [
                ("rate", rate),
                ("distortion", dist),
                ("neg_elbo", rate + dist),
                ("neg_iwae", rate + dist - 3.0),
            ]
            .iter()
            .map(|(n, v)| {
                vec![
                    n.to_string(),
                    v.to_string(),
                    if images {
                        (v / k).to_string()
                    } else {
                        String::new()
                    },
                ]
            })
            .collect();
            write_csv(
                &art.join("vae_bound.csv"),
                &h(&["term", "nats", "bits_per_dim"]),
                &rows,
            );
            let kl: Vec<Vec<String>> = (0..8)
                .map(|i| vec![i.to_string(), (4.0 / (1.0 + i as f64)).to_string()])
                .collect();
            write_csv(
                &art.join("vae_kl_per_dim.csv"),
                &h(&["dim", "kl_nats"]),
                &kl,
            );
            if images {
                fake_png(&art.join("vae_reconstructions.png"), seed + 10);
                fake_png(&art.join("vae_interpolation.png"), seed + 11);
                fake_png(&art.join("vae_prior_samples.png"), seed + 12);
            } else {
                let rec: Vec<Vec<String>> = (0..16)
                    .map(|i| {
                        let a = i as f64 * std::f64::consts::FRAC_PI_4;
                        let (x, y) = (
                            2.83 * a.cos() + 0.1 * rng.normal(),
                            2.83 * a.sin() + 0.1 * rng.normal(),
                        );
                        vec![
                            x.to_string(),
                            y.to_string(),
                            (0.8 * x).to_string(),
                            (0.8 * y).to_string(),
                        ]
                    })
                    .collect();
                write_csv(
                    &art.join("vae_reconstructions.csv"),
                    &h(&["x0", "x1", "rx0", "rx1"]),
                    &rec,
                );
                let prior: Vec<Vec<String>> = (0..400)
                    .map(|_| {
                        vec![
                            (2.0 * rng.normal()).to_string(),
                            (2.0 * rng.normal()).to_string(),
                        ]
                    })
                    .collect();
                write_csv(
                    &art.join("vae_prior_samples.csv"),
                    &h(&["x0", "x1"]),
                    &prior,
                );
                let path: Vec<Vec<String>> = (0..10)
                    .map(|i| {
                        let l = i as f64 / 9.0;
                        vec![
                            (-2.0 + 4.0 * l).to_string(),
                            (2.0 * (std::f64::consts::PI * l).sin()).to_string(),
                        ]
                    })
                    .collect();
                write_csv(&art.join("vae_interpolation.csv"), &h(&["x0", "x1"]), &path);
            }
        }
        "diffusion" => {
            let t_max = 100;
            let k = if images {
                64.0 * std::f64::consts::LN_2
            } else {
                2.0 * std::f64::consts::LN_2
            };
            let rows: Vec<Vec<String>> = (0..=t_max)
                .map(|t| {
                    let v = if t == 0 {
                        60.0
                    } else if t == t_max {
                        0.001
                    } else {
                        3.0 * (-(t as f64) / 20.0).exp() + 0.01
                    };
                    vec![
                        t.to_string(),
                        v.to_string(),
                        if images {
                            (v / k).to_string()
                        } else {
                            String::new()
                        },
                    ]
                })
                .collect();
            write_csv(
                &art.join("diffusion_vlb_terms.csv"),
                &h(&["t", "term_nats", "term_bpd"]),
                &rows,
            );
            let mut var = vec![h(&[
                "variant",
                "knob",
                "value",
                "samples_per_second",
                "evals_per_sample",
                "fd",
                "fd_n",
                "cond_accuracy",
            ])];
            for steps in [5.0, 10.0, 25.0, 50.0] {
                let fd = spec.fd
                    * (1.0 + 10.0 / steps)
                    * (if images { 40.0 } else { 1.0 })
                    * (1.0 + 0.1 * rng.uniform());
                var.push(vec![
                    format!("ddim-{steps}"),
                    "ddim_steps".into(),
                    steps.to_string(),
                    (50000.0 / steps).to_string(),
                    steps.to_string(),
                    fd.to_string(),
                    "2000/2000".into(),
                    String::new(),
                ]);
            }
            for w in [0.0, 1.0, 3.0] {
                let fd = spec.fd
                    * (1.0 + 0.3 * w)
                    * (if images { 40.0 } else { 1.0 })
                    * (1.0 + 0.1 * rng.uniform());
                let acc = 0.6 + 0.1 * w + 0.02 * rng.uniform();
                var.push(vec![
                    format!("guidance-{w}"),
                    "guidance_scale".into(),
                    w.to_string(),
                    "500".into(),
                    "200".into(),
                    fd.to_string(),
                    "2000/2000".into(),
                    acc.to_string(),
                ]);
            }
            write_csv(&run_dir.join("variants.csv"), &var[0], &var[1..]);
            if images {
                for f in [
                    "diffusion_forward.png",
                    "diffusion_reverse.png",
                    "diffusion_denoise.png",
                    "diffusion_interpolation.png",
                ] {
                    fake_png(&art.join(f), seed + 20);
                }
            } else {
                let d = genbench_dataset::density("8gaussians").unwrap();
                let x0 = d.sample(300, rng);
                let mut fwd = Vec::new();
                let mut rev = Vec::new();
                for t in [0, 10, 25, 50, 75, 100] {
                    let a = (-(t as f64) / 25.0).exp();
                    for p in &x0 {
                        let (n0, n1) = (rng.normal(), rng.normal());
                        let q = [
                            a.sqrt() * p[0] + (1.0 - a).sqrt() * n0,
                            a.sqrt() * p[1] + (1.0 - a).sqrt() * n1,
                        ];
                        fwd.push(vec![t.to_string(), q[0].to_string(), q[1].to_string()]);
                        rev.push(vec![
                            (100 - t).to_string(),
                            q[0].to_string(),
                            q[1].to_string(),
                        ]);
                    }
                }
                write_csv(
                    &art.join("diffusion_forward.csv"),
                    &h(&["t", "x0", "x1"]),
                    &fwd,
                );
                write_csv(
                    &art.join("diffusion_reverse.csv"),
                    &h(&["t", "x0", "x1"]),
                    &rev,
                );
            }
        }
        "autoregressive" if images => fake_png(&art.join("ar_completions.png"), seed + 30),
        _ => {}
    }
}

/// One validation (or test) evaluation of a hand-made metrics.csv: step, training seconds,
/// split, NLL in nats (`None`: no likelihood) and FD.
pub struct Eval {
    pub step: u32,
    pub seconds: f64,
    pub split: &'static str,
    pub nll_nats: Option<f64>,
    pub fd: f64,
}

/// Writes `evals` as `run_dir/metrics.csv` with the runner's column names, in the given order.
pub fn write_metrics(run_dir: &Path, kind: &str, evals: &[Eval]) {
    let rows: Vec<Vec<String>> = evals
        .iter()
        .map(|e| {
            vec![
                e.step.to_string(),
                e.seconds.to_string(),
                e.split.into(),
                kind.into(),
                e.nll_nats.map(|v| v.to_string()).unwrap_or_default(),
                e.fd.to_string(),
                "500/500".into(),
            ]
        })
        .collect();
    let header = [
        col::STEP,
        col::TRAIN_SECONDS,
        col::SPLIT,
        col::NLL_KIND,
        col::NLL_NATS,
        col::FD,
        col::FD_N,
    ];
    write_csv(&run_dir.join(results::METRICS_FILE), &h(&header), &rows);
}
