use super::*;
use genbench_core::{Batch, DataSpec};
use std::path::Path;

/// The table of `name` without a validation split: the sets as the loaders make them
/// (`validation_tests` tests the split carved from them).
pub(crate) fn config(name: &str) -> DataConfig {
    DataConfig {
        validation_fraction: 0.0,
        ..DataConfig::new(name)
    }
}

fn values(b: &Batch) -> std::collections::BTreeSet<u32> {
    b.x.iter().map(|&v| v as u32).collect()
}

#[test]
fn digits_loads_1797_images_of_17_levels() {
    let d = load(&config("digits")).unwrap();
    assert_eq!(
        d.spec,
        DataSpec {
            name: "digits".into(),
            shape: vec![1, 8, 8],
            levels: Some(17),
            num_classes: 10
        }
    );
    assert_eq!((d.train.len(), d.test.len()), (1437, 360));
    assert_eq!(d.train.dim, 64);
    let all: Vec<f32> = d.train.x.iter().chain(&d.test.x).copied().collect();
    assert!(
        all.iter()
            .all(|&v| v.fract() == 0.0 && (0.0..=16.0).contains(&v))
    );
    assert_eq!(values(&d.train).last(), Some(&16));
    let labels: std::collections::BTreeSet<usize> = d
        .train
        .labels
        .iter()
        .chain(&d.test.labels)
        .copied()
        .collect();
    assert_eq!(
        labels.into_iter().collect::<Vec<_>>(),
        (0..10).collect::<Vec<_>>()
    );
    assert_eq!(
        d.preprocessing,
        "17 levels (0..16), no binarization, stratified split 1437/360 (test fraction 0.2), seed 0"
    );
    assert!(d.density.is_none());
}

#[test]
fn mnist5k_loads_5000_images_of_256_levels_and_mixes_the_sorted_classes() {
    let d = load(&config("mnist5k")).unwrap();
    assert_eq!(
        (d.spec.shape.clone(), d.spec.levels),
        (vec![1, 28, 28], Some(256))
    );
    assert_eq!((d.train.len(), d.test.len()), (4000, 1000));
    assert_eq!(
        (values(&d.train).first(), values(&d.train).last()),
        (Some(&0), Some(&255))
    );
    let per_class = |b: &Batch, c| b.labels.iter().filter(|&&l| l == c).count();
    assert!((0..10).all(|c| per_class(&d.train, c) == 400 && per_class(&d.test, c) == 100));
    let head: std::collections::BTreeSet<usize> = d.train.labels[..100].iter().copied().collect();
    assert_eq!(head.len(), 10, "the training order must mix the classes");
}

#[test]
fn the_split_is_a_function_of_split_seed_only() {
    let a = load(&config("digits")).unwrap();
    let b = load(&config("digits")).unwrap();
    assert_eq!((&a.train, &a.test), (&b.train, &b.test));
    let c = load(&DataConfig {
        split_seed: 1,
        ..config("digits")
    })
    .unwrap();
    assert_ne!(a.test, c.test);
    let rows = |d: &Dataset| {
        let mut r: Vec<Vec<u32>> = [&d.train, &d.test]
            .iter()
            .flat_map(|b| {
                (0..b.len()).map(|i| b.row(i).iter().map(|&v| v as u32).collect::<Vec<_>>())
            })
            .collect();
        r.sort();
        r
    };
    assert_eq!(rows(&a), rows(&c), "both splits partition the same images");
    let small = load(&DataConfig {
        test_fraction: 0.5,
        train_size: Some(100),
        test_size: Some(50),
        ..config("digits")
    })
    .unwrap();
    assert_eq!((small.train.len(), small.test.len()), (100, 50));
    assert!(
        small.preprocessing.contains("stratified split 898/899")
            && small.preprocessing.contains("capped at 100/50")
    );
}

#[test]
fn binarization_is_fixed_by_split_seed_and_tracks_intensity() {
    let cfg = DataConfig {
        binarize: true,
        ..config("digits")
    };
    let a = load(&cfg).unwrap();
    assert_eq!(a.spec.levels, Some(2));
    assert_eq!(values(&a.train), [0, 1].into());
    assert_eq!(load(&cfg).unwrap().train, a.train);
    let grey = load(&config("digits")).unwrap();
    let mean = |b: &Batch| b.x.iter().sum::<f32>() / b.x.len() as f32;
    let expected = mean(&grey.train) / 16.0;
    assert!(
        (mean(&a.train) - expected).abs() < 0.01,
        "{} vs {expected}",
        mean(&a.train)
    );
    for (g, b) in grey.train.x.iter().zip(&a.train.x) {
        assert!((*g == 0.0 && *b == 0.0) || (*g == 16.0 && *b == 1.0) || (0.0 < *g && *g < 16.0));
    }
    let other = load(&DataConfig {
        split_seed: 7,
        ..cfg
    })
    .unwrap();
    assert_ne!(other.train, a.train);
}

#[test]
fn requantization_maps_levels_by_floor() {
    let d = load(&DataConfig {
        levels: Some(16),
        ..config("mnist5k")
    })
    .unwrap();
    let full = load(&config("mnist5k")).unwrap();
    assert_eq!(d.spec.levels, Some(16));
    for (q, k) in d.train.x.iter().zip(&full.train.x) {
        assert_eq!(*q as u32, (*k as u32 * 16) / 256);
    }
    assert!(d.preprocessing.starts_with("requantized 256 -> 16 levels"));
    for bad in [Some(1), Some(300)] {
        assert!(matches!(
            load(&DataConfig {
                levels: bad,
                ..config("digits")
            }),
            Err(DataError::Invalid(_))
        ));
    }
    let both = DataConfig {
        levels: Some(2),
        binarize: true,
        ..config("digits")
    };
    assert!(matches!(load(&both), Err(DataError::Invalid(_))));
}

#[test]
fn two_d_datasets_draw_from_the_density_with_labels() {
    for name in DATASETS
        .iter()
        .filter(|d| d.kind == DataKind::Density2d)
        .map(|d| d.name)
    {
        let d = load(&DataConfig {
            train_size: Some(300),
            test_size: Some(100),
            ..config(name)
        })
        .unwrap();
        assert_eq!((d.train.len(), d.test.len(), d.train.dim), (300, 100, 2));
        assert_eq!((d.spec.shape.clone(), d.spec.levels), (vec![2], None));
        let density = d.density.as_ref().unwrap();
        assert_eq!(d.spec.num_classes, density.num_classes());
        assert_eq!(d.train.has_labels(), density.num_classes() > 0);
        assert_ne!(d.train.head(100), d.test);
        assert!(
            d.train
                .x
                .chunks(2)
                .all(|p| density.log_prob([p[0] as f64, p[1] as f64]) > -30.0)
        );
    }
    let d = load(&config("8gaussians")).unwrap();
    assert_eq!(
        (d.train.len(), d.test.len()),
        (DEFAULT_TRAIN_POINTS, DEFAULT_TEST_POINTS)
    );
    let again = load(&config("8gaussians")).unwrap();
    assert_eq!(d.train, again.train);
    assert_ne!(
        load(&DataConfig {
            split_seed: 1,
            ..config("8gaussians")
        })
        .unwrap()
        .train,
        d.train
    );
    assert!(matches!(
        load(&DataConfig {
            binarize: true,
            ..config("rings")
        }),
        Err(DataError::Invalid(_))
    ));
}

fn write_fake_idx(dir: &Path, prefix: &str, n: usize, gzip: bool) {
    let pixels: Vec<u8> = (0..n * 16).map(|i| (i * 37 % 256) as u8).collect();
    let labels: Vec<u8> = (0..n).map(|i| (i % 10) as u8).collect();
    let ext = if gzip { ".gz" } else { "" };
    write_idx(
        &dir.join(format!("{prefix}-images-idx3-ubyte{ext}")),
        &IdxArray {
            dims: vec![n, 4, 4],
            data: pixels,
        },
        gzip,
    )
    .unwrap();
    write_idx(
        &dir.join(format!("{prefix}-labels-idx1-ubyte{ext}")),
        &IdxArray {
            dims: vec![n],
            data: labels,
        },
        gzip,
    )
    .unwrap();
}

#[test]
fn idx_folder_loads_the_official_split_with_caps() {
    let dir = tempfile::tempdir().unwrap();
    write_fake_idx(dir.path(), "train", 50, true);
    write_fake_idx(dir.path(), "t10k", 20, false);
    let cfg = DataConfig {
        data_dir: Some(dir.path().into()),
        ..config("mnist")
    };
    let d = load(&cfg).unwrap();
    assert_eq!(
        (d.train.len(), d.test.len(), d.spec.shape.clone()),
        (50, 20, vec![1, 4, 4])
    );
    assert_eq!((d.spec.levels, d.spec.num_classes), (Some(256), 10));
    let capped = load(&DataConfig {
        train_size: Some(10),
        test_size: Some(5),
        ..cfg.clone()
    })
    .unwrap();
    assert_eq!((capped.train.len(), capped.test.len()), (10, 5));
    assert_eq!(
        capped.train,
        d.train.head(10),
        "caps take the head of the same seeded shuffle"
    );
    let reseeded = load(&DataConfig {
        split_seed: 3,
        train_size: Some(10),
        ..cfg.clone()
    })
    .unwrap();
    assert_ne!(reseeded.train, capped.train);

    let bytes = std::fs::read(dir.path().join("t10k-labels-idx1-ubyte")).unwrap();
    std::fs::write(
        dir.path().join("t10k-labels-idx1-ubyte"),
        &bytes[..bytes.len() - 1],
    )
    .unwrap();
    let e = load(&cfg).unwrap_err();
    assert!(
        matches!(e, DataError::Idx { .. }) && e.to_string().contains("t10k-labels-idx1-ubyte"),
        "{e}"
    );
    std::fs::remove_file(dir.path().join("t10k-labels-idx1-ubyte")).unwrap();
    let e = load(&cfg).unwrap_err();
    assert!(
        matches!(e, DataError::Io { .. }) && e.to_string().contains("t10k-labels"),
        "{e}"
    );
}

#[test]
fn missing_folders_and_unknown_names_are_explained() {
    let e = load(&DataConfig {
        data_dir: Some("/nonexistent/fmnist".into()),
        ..config("fashion-mnist")
    })
    .unwrap_err();
    assert!(matches!(e, DataError::MissingDir { .. }));
    let msg = e.to_string();
    assert!(
        msg.contains("/nonexistent/fmnist")
            && msg.contains("apt-get install dataset-fashion-mnist"),
        "{msg}"
    );

    let e = load(&config("mnist")).unwrap_err();
    assert!(
        matches!(e, DataError::MissingDir { path: None, .. }) && e.to_string().contains("data_dir"),
        "{e}"
    );

    let e = load(&config("cifar10")).unwrap_err();
    assert!(matches!(e, DataError::UnknownDataset { .. }));
    let msg = e.to_string();
    assert!(
        msg.contains("cifar10") && names().iter().all(|n| msg.contains(n)),
        "{msg}"
    );

    let e = load(&DataConfig {
        data_dir: Some("/tmp".into()),
        ..config("digits")
    })
    .unwrap_err();
    assert!(matches!(e, DataError::Invalid(_)), "{e}");
    for f in [0.0, 1.0, f64::NAN] {
        assert!(matches!(
            load(&DataConfig {
                test_fraction: f,
                ..config("digits")
            }),
            Err(DataError::Invalid(_))
        ));
    }
    assert!(matches!(
        load(&DataConfig {
            train_size: Some(0),
            ..config("two-moons")
        }),
        Err(DataError::Invalid(_))
    ));
}

#[test]
fn fashion_mnist_from_the_debian_package() {
    if !Path::new(FASHION_MNIST_DIR).is_dir() {
        println!("skipped: {FASHION_MNIST_DIR} is absent (apt-get install dataset-fashion-mnist)");
        return;
    }
    let d = load(&config("fashion-mnist")).unwrap();
    assert_eq!((d.train.len(), d.test.len()), (60_000, 10_000));
    assert_eq!(
        (d.spec.shape.clone(), d.spec.levels, d.spec.num_classes),
        (vec![1, 28, 28], Some(256), 10)
    );
    let mean = d.train.x.iter().map(|&v| v as f64).sum::<f64>() / d.train.x.len() as f64;
    assert!(
        (mean - 72.94).abs() < 0.01,
        "train-image mean {mean}, expected 72.94 of 255"
    );
    let per_class = (0..10).map(|c| d.test.labels.iter().filter(|&&l| l == c).count());
    assert!(per_class.into_iter().all(|k| k == 1000));
}

#[test]
fn config_table_defaults_and_rejects_unknown_fields() {
    let c: DataConfig = toml::from_str("name = \"digits\"").unwrap();
    assert_eq!(c, DataConfig::new("digits"));
    let c: DataConfig = toml::from_str(
        "name = \"mnist\"\ndata_dir = \"/data/mnist\"\ntrain_size = 100\nsplit_seed = 4",
    )
    .unwrap();
    assert_eq!(
        (c.train_size, c.split_seed, c.test_fraction),
        (Some(100), 4, 0.2)
    );
    assert!(toml::from_str::<DataConfig>("name = \"digits\"\nbinarise = true").is_err());
    assert!(toml::from_str::<DataConfig>("binarize = true").is_err());
}

#[test]
fn catalogue_lists_every_dataset() {
    let c = catalogue();
    assert_eq!(c.iter().map(|i| i.name).collect::<Vec<_>>(), names());
    let board = c.iter().find(|i| i.name == "checkerboard").unwrap();
    assert_eq!(board.entropy.unwrap().nats, 32f64.ln());
    assert!(
        c.iter()
            .all(|i| (i.kind == "2-D density") == i.entropy.is_some())
    );
    let digits = c.iter().find(|i| i.name == "digits").unwrap();
    assert_eq!(
        (digits.levels, digits.train_size, digits.test_size),
        (Some(17), Some(1437), Some(360))
    );
}
