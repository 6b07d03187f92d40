use super::*;
use crate::{DataConfig, load};
use std::path::Path;

fn digits_spec() -> DataSpec {
    genbench_core::testing::example_specs().0
}

/// `n` images of 64 levels each, `(i + j) % 17`, labels `i % 10`.
fn levels_batch(n: usize) -> Batch {
    let x = (0..n * 64)
        .map(|k| ((k / 64 + k % 64) % 17) as f32)
        .collect();
    Batch::new(x, genbench_core::labels::cycled(n, 10), 64)
}

fn err(r: Result<Samples, DataError>) -> String {
    let e = r.expect_err("must be refused").to_string();
    assert_eq!(e.lines().count(), 1, "one line: {e}");
    e
}

#[test]
fn npy_samples_round_trip_with_labels_beside() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("s.npy");
    let batch = levels_batch(5);
    let written = write_samples_npy(&path, &batch, &digits_spec()).unwrap();
    assert_eq!(written, vec![path.clone(), dir.path().join("s.labels.npy")]);
    let read = read_samples(&path, &digits_spec(), None).unwrap();
    assert_eq!(read.batch.x, batch.x);
    assert!(!read.batch.has_labels());
    assert_eq!(read_labels(&written[1], 10).unwrap(), batch.labels);
    assert!(
        read.description
            .contains("5 x [1, 8, 8] uint8, integer levels")
    );
}

#[test]
fn every_layout_of_an_example_is_accepted_and_a_wrong_one_named() {
    let dir = tempfile::tempdir().unwrap();
    let values: Vec<f32> = levels_batch(3).x;
    for shape in [
        vec![3, 1, 8, 8],
        vec![3, 8, 8],
        vec![3, 64],
        vec![3, 8, 8, 1],
    ] {
        let p = dir.path().join("a.npy");
        npy::write_npy(&p, &shape, &values).unwrap();
        let read = read_samples(&p, &digits_spec(), Some(Scale::Levels)).unwrap();
        assert_eq!(read.batch.x, values, "{shape:?}");
    }
    let p = dir.path().join("bad.npy");
    npy::write_npy(&p, &[3, 4, 16], &values).unwrap();
    let e = err(read_samples(&p, &digits_spec(), Some(Scale::Levels)));
    assert!(
        e.contains("bad.npy") && e.contains("[3, 4, 16]") && e.contains("[n, 64]"),
        "{e}"
    );
    npy::write_npy(&p, &[192], &values).unwrap();
    err(read_samples(&p, &digits_spec(), Some(Scale::Levels)));
}

#[test]
fn levels_must_be_integers_in_range_and_finite() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("x.npy");
    let case = |value: f32, scale: Option<Scale>| {
        let mut x = levels_batch(2).x;
        x[70] = value;
        npy::write_npy(&p, &[2, 64], &x).unwrap();
        read_samples(&p, &digits_spec(), scale)
    };
    let e = err(case(3.5, Some(Scale::Levels)));
    assert!(
        e.contains("sample 1, value 6: 3.5 is not an integer level"),
        "{e}"
    );
    let e = err(case(17.0, Some(Scale::Levels)));
    assert!(e.contains("17 is outside the levels 0..16"), "{e}");
    let e = err(case(-1.0, Some(Scale::Levels)));
    assert!(e.contains("outside the levels"), "{e}");
    let e = err(case(f32::NAN, Some(Scale::Levels)));
    assert!(e.contains("sample 1, value 6: NaN"), "{e}");
    let e = err(case(f32::INFINITY, Some(Scale::Unit)));
    assert!(e.contains("inf"), "{e}");
    let e = err(case(3.0, None));
    assert!(e.contains("float32 values: state their scale"), "{e}");
}

#[test]
fn unit_scale_maps_to_the_nearest_level_and_refuses_values_outside() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("u.npy");
    let x: Vec<f32> = (0..64).map(|k| (k % 17) as f32 / 16.0).collect();
    npy::write_npy(&p, &[1, 64], &x).unwrap();
    let read = read_samples(&p, &digits_spec(), Some(Scale::Unit)).unwrap();
    let expected: Vec<f32> = (0..64).map(|k| (k % 17) as f32).collect();
    assert_eq!(read.batch.x, expected);
    npy::write_npy(&p, &[1, 64], &[1.5f32; 64]).unwrap();
    let e = err(read_samples(&p, &digits_spec(), Some(Scale::Unit)));
    assert!(e.contains("1.5 is outside [0, 1]"), "{e}");
}

#[test]
fn png_folder_reads_back_the_levels_it_was_written_with() {
    for levels in [2u32, 17, 256] {
        let spec = DataSpec {
            levels: Some(levels),
            ..digits_spec()
        };
        let x: Vec<f32> = (0..4 * 64)
            .map(|k| ((k * 7) % levels as usize) as f32)
            .collect();
        let batch = Batch::new(x, Vec::new(), 64);
        let dir = tempfile::tempdir().unwrap();
        let files = write_png_folder(&batch, &spec, dir.path()).unwrap();
        assert_eq!(files.len(), 4);
        assert!(files[0].ends_with("000000.png"));
        let read = read_samples(dir.path(), &spec, None).unwrap();
        assert_eq!(read.batch.x, batch.x, "{levels} levels");
    }
}

#[test]
fn png_folder_of_the_wrong_size_is_named() {
    let dir = tempfile::tempdir().unwrap();
    genbench_core::grid::write_grey_png(&dir.path().join("a.png"), 8, 8, &[0; 64]).unwrap();
    genbench_core::grid::write_grey_png(&dir.path().join("b.png"), 7, 8, &[0; 56]).unwrap();
    let e = err(read_samples(dir.path(), &digits_spec(), None));
    assert!(e.contains("b.png: 7x8 pixels"), "{e}");
    let empty = tempfile::tempdir().unwrap();
    let e = err(read_samples(empty.path(), &digits_spec(), None));
    assert!(e.contains("no .png files"), "{e}");
}

#[test]
fn csv_with_a_label_column_and_text_without_header() {
    let dir = tempfile::tempdir().unwrap();
    let spec = DataSpec {
        name: "8gaussians".into(),
        shape: vec![2],
        levels: None,
        num_classes: 8,
    };
    let p = dir.path().join("s.csv");
    std::fs::write(&p, "x0,x1,label\n0.5,-1.25,3\n2,0.1,7\n").unwrap();
    let read = read_samples(&p, &spec, None).unwrap();
    assert_eq!(read.batch.x, vec![0.5, -1.25, 2.0, 0.1]);
    assert_eq!(read.batch.labels, vec![3, 7]);
    let p = dir.path().join("s.txt");
    std::fs::write(&p, "0.5 -1.25\n2 0.1\n").unwrap();
    assert!(!read_samples(&p, &spec, None).unwrap().batch.has_labels());
    std::fs::write(&p, "0.5 -1.25\n2 nan\n").unwrap();
    assert!(err(read_samples(&p, &spec, None)).contains("sample 1, value 1: NaN"));
    let p = dir.path().join("bad.csv");
    std::fs::write(&p, "x0,x1,label\n0.5,-1.25,8\n").unwrap();
    assert!(err(read_samples(&p, &spec, None)).contains("label 0: 8 is not a class 0..7"));
    std::fs::write(&p, "0.5,-1.25\n0.5\n").unwrap();
    assert!(err(read_samples(&p, &spec, None)).contains("bad.csv, line 2: 1 columns, expected 2"));
    std::fs::write(&p, "0.5,-1.25\n").unwrap();
    assert!(err(read_samples(&p, &spec, Some(Scale::Unit))).contains("applies to images"));
}

/// Files numpy itself wrote (tests/data/npy/make_fixtures.py, committed beside them).
fn fixture(name: &str) -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data/npy")
        .join(name)
}

#[test]
fn files_numpy_wrote_read_as_numpy_reads_them() {
    let read = |name: &str| npy::read_npy(&fixture(name)).unwrap();
    let levels: Vec<u8> = (0..12).map(|v| v % 17).collect();
    assert_eq!(
        npy::encode(&[3, 1, 2, 2], &levels),
        std::fs::read(fixture("levels_u8.npy")).unwrap(),
        "genbench writes the bytes numpy writes"
    );
    let a = read("levels_u8.npy");
    assert_eq!((a.shape.clone(), a.dtype), (vec![3, 1, 2, 2], "uint8"));
    assert_eq!(
        a.values,
        (0..12).map(|v| (v % 17) as f64).collect::<Vec<_>>()
    );
    let f = read("fortran_f8.npy");
    assert_eq!((f.shape.clone(), f.dtype), (vec![2, 3], "float64"));
    assert_eq!(f.values, vec![0.0, 0.5, 1.0, 1.5, 2.0, 2.5]);
    let b = read("big_endian_i4.npy");
    assert_eq!(
        (b.dtype, b.values.clone()),
        ("int32", vec![-2.0, 70000.0, 3.0])
    );
    let n = read("nan_f4.npy");
    assert!(n.values[1].is_nan() && n.values[0] == 0.25);
    assert_eq!(read("flags_bool.npy").values, vec![1.0, 0.0, 1.0]);
    assert!(
        npy::read_npy(&fixture("complex_c8.npy"))
            .unwrap_err()
            .to_string()
            .contains("'<c8' is not supported")
    );
    for npz in ["samples.npz", "samples_compressed.npz"] {
        let s = read_samples(&fixture(npz), &digits_spec(), None).unwrap();
        assert_eq!(s.batch.len(), 4, "{npz}");
        assert_eq!(
            s.batch.x,
            (0..256).map(|v| (v % 17) as f32).collect::<Vec<_>>()
        );
        assert_eq!(s.batch.labels, vec![0, 1, 2, 3], "{npz}");
    }
}

#[test]
fn a_corrupt_npz_is_named() {
    let dir = tempfile::tempdir().unwrap();
    let mut bytes = std::fs::read(fixture("samples.npz")).unwrap();
    let at = bytes.windows(6).position(|w| w == b"\x93NUMPY").unwrap() + 80;
    bytes[at] ^= 0xff;
    let p = dir.path().join("bad.npz");
    std::fs::write(&p, &bytes).unwrap();
    let e = err(read_samples(&p, &digits_spec(), None));
    assert!(e.contains("bad.npz") && e.contains("corrupt"), "{e}");
    std::fs::write(&p, b"PK not really").unwrap();
    assert!(err(read_samples(&p, &digits_spec(), None)).contains("not an .npz file"));
}

#[test]
fn numbers_are_one_per_example() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("ll.txt");
    std::fs::write(&p, "-1.5\n-2.25e1\n-181.32580120534737\n").unwrap();
    assert_eq!(
        read_numbers(&p).unwrap(),
        vec![-1.5, -22.5, -181.32580120534737],
        "likelihoods keep f64 precision"
    );
    let p = dir.path().join("ll.npy");
    npy::write_npy(&p, &[2, 2], &[0.0f32; 4]).unwrap();
    assert!(
        read_numbers(&p)
            .unwrap_err()
            .to_string()
            .contains("one number per example")
    );
}

#[test]
fn exported_split_reads_back_as_the_data_with_its_fingerprint() {
    let config = DataConfig::new("digits");
    let data = load(&config).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let files = export_split(&data, &config, dir.path()).unwrap();
    assert!(files.iter().all(|f| f.exists()));
    for (name, batch) in data.splits() {
        let read = read_samples(&dir.path().join(format!("{name}.npy")), &data.spec, None).unwrap();
        assert_eq!(read.batch.x, batch.x, "{name}");
        let labels = read_labels(&dir.path().join(format!("{name}_labels.npy")), 10).unwrap();
        assert_eq!(labels, batch.labels, "{name}");
    }
    let info: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.path().join(SPLIT_FILE)).unwrap())
            .unwrap();
    assert_eq!(info["split_fingerprint"], data.split_fingerprint());
    assert_eq!(info["splits"]["test"]["examples"], 360);
}
