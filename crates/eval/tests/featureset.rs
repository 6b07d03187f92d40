//! Reading feature sets from CSV.
#![allow(missing_docs, clippy::unwrap_used)] // test code: an unwrap is an assertion

use genbench_eval::FeatureSet;
use std::io::Write;

fn write(text: &str) -> tempfile::NamedTempFile {
    let mut f = tempfile::NamedTempFile::new().unwrap();
    f.write_all(text.as_bytes()).unwrap();
    f
}

#[test]
fn header_is_detected_and_blank_lines_skipped() {
    let with = FeatureSet::read_csv(write("x,y\n1,2\n\n3.5, -4e1\n").path()).unwrap();
    let without = FeatureSet::read_csv(write("1,2\n3.5,-4e1\n").path()).unwrap();
    assert_eq!(with, without);
    assert_eq!(
        (with.rows, with.dim, with.values),
        (2, 2, vec![1.0, 2.0, 3.5, -40.0])
    );
}

#[test]
fn ragged_and_non_numeric_rows_name_file_and_line() {
    let ragged = write("a,b\n1,2\n3\n");
    let err = FeatureSet::read_csv(ragged.path()).unwrap_err().to_string();
    assert!(
        err.contains(&format!("{}:3:", ragged.path().display())),
        "{err}"
    );
    assert!(err.contains("1 columns, expected 2"), "{err}");
    let bad = write("1,2\n3,x\n");
    let err = FeatureSet::read_csv(bad.path()).unwrap_err().to_string();
    assert!(
        err.contains(&format!("{}:2:", bad.path().display())),
        "{err}"
    );
    assert!(FeatureSet::read_csv(write("a,b\n").path()).is_err());
}

#[test]
fn rows_and_conversions() {
    let f = FeatureSet::from_f32(&[1.0, 2.0, 3.0, 4.0, 5.0, 6.0], 3);
    assert_eq!((f.rows, f.row(1)), (2, &[4.0, 5.0, 6.0][..]));
    assert_eq!(f.select(&[1, 0]).values, vec![4.0, 5.0, 6.0, 1.0, 2.0, 3.0]);
    assert_eq!(
        FeatureSet::from_points2(&[[1.0, 2.0]]).values,
        vec![1.0, 2.0]
    );
}
