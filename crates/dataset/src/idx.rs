//! IDX files (the MNIST format), raw or gzipped, unsigned-byte arrays only.
//!
//! Layout: magic `00 00 08 n` (type 0x08 = unsigned byte, `n` dimensions), then `n` big-endian
//! u32 sizes, then `prod(sizes)` bytes in row-major order.

use crate::error::DataError;
use flate2::{Compression, read::MultiGzDecoder, write::GzEncoder};
use std::io::{Read, Write};
use std::path::Path;

/// An n-dimensional array of bytes, row-major: `data.len() == dims.iter().product()`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IdxArray {
    /// The size of each dimension.
    pub dims: Vec<usize>,
    /// The bytes, row-major.
    pub data: Vec<u8>,
}

const UBYTE: u8 = 0x08;
const GZIP_MAGIC: [u8; 2] = [0x1f, 0x8b];

/// Read an IDX file, gunzipping it first if it starts with the gzip magic.
///
/// Checks the magic (unsigned-byte type only), the header length and that the number of data
/// bytes equals the product of the dimensions; every error names the file.
pub fn read_idx(path: &Path) -> Result<IdxArray, DataError> {
    let raw = std::fs::read(path).map_err(|e| DataError::io(path, e))?;
    let bytes = if raw.starts_with(&GZIP_MAGIC) {
        gunzip_bounded(path, &raw)?
    } else {
        raw
    };
    parse_idx(path, &bytes)
}

/// Inflate `gz`, reading no more than its IDX header declares: the header first (4 bytes, then
/// 4 per dimension), then at most the product of the dimensions plus one byte, so a file whose
/// header says 300 images but which inflates to gigabytes stops at the first byte too many.
fn gunzip_bounded(path: &Path, gz: &[u8]) -> Result<Vec<u8>, DataError> {
    let mut decoder = MultiGzDecoder::new(gz);
    let mut out = Vec::new();
    let mut take = |out: &mut Vec<u8>, n: u64| {
        (&mut decoder)
            .take(n)
            .read_to_end(out)
            .map_err(|e| DataError::io(path, e))
    };
    take(&mut out, 4)?;
    if out.len() < 4 {
        return Ok(out); // parse_idx names the short header
    }
    let ndims = out[3] as usize;
    take(&mut out, 4 * ndims as u64)?;
    let declared = out[4..]
        .chunks_exact(4)
        .map(|c| u32::from_be_bytes([c[0], c[1], c[2], c[3]]) as u64)
        .try_fold(1u64, u64::checked_mul);
    let Some(declared) = declared.filter(|_| out.len() == 4 + 4 * ndims) else {
        return Ok(out); // parse_idx names the short header or the overflowing dimensions
    };
    let header = out.len();
    take(&mut out, declared.saturating_add(1))?;
    let found = (out.len() - header) as u64;
    if found > declared {
        return Err(DataError::Idx {
            path: path.to_path_buf(),
            what: "decompressed size".into(),
            expected: format!("{declared} data bytes, as the header declares"),
            found: "more (decompression stopped there)".into(),
        });
    }
    Ok(out)
}

fn parse_idx(path: &Path, bytes: &[u8]) -> Result<IdxArray, DataError> {
    let err = |what: &str, expected: String, found: String| DataError::Idx {
        path: path.to_path_buf(),
        what: what.to_string(),
        expected,
        found,
    };
    if bytes.len() < 4 {
        return Err(err(
            "header",
            "at least 4 bytes".into(),
            format!("{} bytes", bytes.len()),
        ));
    }
    if bytes[0] != 0 || bytes[1] != 0 || bytes[2] != UBYTE || bytes[3] == 0 {
        return Err(err(
            "magic number",
            "00 00 08 <ndims> (unsigned bytes, ndims >= 1)".into(),
            format!(
                "{:02x} {:02x} {:02x} {:02x}",
                bytes[0], bytes[1], bytes[2], bytes[3]
            ),
        ));
    }
    let ndims = bytes[3] as usize;
    let header = 4 + 4 * ndims;
    if bytes.len() < header {
        return Err(err(
            "header",
            format!("{header} bytes for {ndims} dimensions"),
            format!("{} bytes", bytes.len()),
        ));
    }
    let dims: Vec<usize> = bytes[4..header]
        .chunks_exact(4)
        .map(|c| u32::from_be_bytes([c[0], c[1], c[2], c[3]]) as usize)
        .collect();
    let count = dims
        .iter()
        .try_fold(1usize, |acc, &d| acc.checked_mul(d))
        .ok_or_else(|| {
            err(
                "dimensions",
                "a product that fits in memory".into(),
                format!("{dims:?}"),
            )
        })?;
    let found = bytes.len() - header;
    if found != count {
        return Err(err(
            &format!("data size for dimensions {dims:?}"),
            format!("{count} bytes ({} with the header)", count + header),
            format!("{found} bytes ({} with the header)", bytes.len()),
        ));
    }
    Ok(IdxArray {
        dims,
        data: bytes[header..].to_vec(),
    })
}

/// Write `array` as an unsigned-byte IDX file, gzipped if `gzip`.
pub fn write_idx(path: &Path, array: &IdxArray, gzip: bool) -> Result<(), DataError> {
    if array.dims.is_empty() || array.dims.len() > 255 {
        return Err(DataError::Invalid(format!(
            "IDX needs 1..=255 dimensions, got {}",
            array.dims.len()
        )));
    }
    if array.dims.iter().product::<usize>() != array.data.len() {
        return Err(DataError::Invalid(format!(
            "IDX array of dimensions {:?} holds {} bytes",
            array.dims,
            array.data.len()
        )));
    }
    let mut bytes = Vec::with_capacity(4 + 4 * array.dims.len() + array.data.len());
    bytes.extend_from_slice(&[0, 0, UBYTE, array.dims.len() as u8]);
    for &d in &array.dims {
        let d = u32::try_from(d)
            .map_err(|_| DataError::Invalid(format!("IDX dimension {d} exceeds u32")))?;
        bytes.extend_from_slice(&d.to_be_bytes());
    }
    bytes.extend_from_slice(&array.data);
    let file = std::fs::File::create(path).map_err(|e| DataError::io(path, e))?;
    let mut out = std::io::BufWriter::new(file);
    let written = if gzip {
        let mut enc = GzEncoder::new(&mut out, Compression::default());
        enc.write_all(&bytes).and_then(|_| enc.finish().map(|_| ()))
    } else {
        out.write_all(&bytes)
    };
    written
        .and_then(|_| out.flush())
        .map_err(|e| DataError::io(path, e))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> IdxArray {
        IdxArray {
            dims: vec![3, 4, 5],
            data: (0..60).map(|i| (i * 7 % 256) as u8).collect(),
        }
    }

    #[test]
    fn round_trip_raw_and_gzip() {
        let dir = tempfile::tempdir().unwrap();
        for gzip in [false, true] {
            let path = dir.path().join(format!("a-{gzip}"));
            write_idx(&path, &sample(), gzip).unwrap();
            let head = std::fs::read(&path).unwrap();
            assert_eq!(head.starts_with(&GZIP_MAGIC), gzip);
            assert_eq!(read_idx(&path).unwrap(), sample());
        }
    }

    #[test]
    fn truncated_file_names_expected_and_found_sizes() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("t10k-images-idx3-ubyte");
        write_idx(&path, &sample(), false).unwrap();
        let bytes = std::fs::read(&path).unwrap();
        std::fs::write(&path, &bytes[..bytes.len() - 10]).unwrap();
        let e = read_idx(&path).unwrap_err();
        assert!(
            matches!(&e, DataError::Idx { expected, found, .. } if expected.starts_with("60 bytes") && found.starts_with("50 bytes")),
            "{e:?}"
        );
        let msg = e.to_string();
        assert!(
            msg.contains("t10k-images-idx3-ubyte") && msg.contains("60") && msg.contains("50"),
            "{msg}"
        );
    }

    #[test]
    fn wrong_magic_and_short_header_are_errors() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("x");
        let mut bytes = vec![0, 0, 0x0D, 1, 0, 0, 0, 1];
        bytes.extend_from_slice(&[0; 4]);
        std::fs::write(&path, &bytes).unwrap();
        let e = read_idx(&path).unwrap_err();
        assert!(
            matches!(&e, DataError::Idx { what, .. } if what == "magic number"),
            "{e:?}"
        );
        std::fs::write(&path, [0u8, 0, 8, 3, 0, 0]).unwrap();
        assert!(matches!(read_idx(&path), Err(DataError::Idx { .. })));
        assert!(matches!(
            read_idx(&dir.path().join("absent")),
            Err(DataError::Io { .. })
        ));
    }

    #[test]
    fn gzip_that_inflates_past_its_header_stops_early() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("bomb.gz");
        // A header for 3 images of 2x2 (12 bytes), then 16 MiB of zeros: a 16 KiB file.
        let mut bytes = vec![0, 0, 8, 3, 0, 0, 0, 3, 0, 0, 0, 2, 0, 0, 0, 2];
        bytes.resize(16 + (16 << 20), 0);
        let mut enc = GzEncoder::new(Vec::new(), Compression::best());
        enc.write_all(&bytes).unwrap();
        std::fs::write(&path, enc.finish().unwrap()).unwrap();
        let e = read_idx(&path).unwrap_err();
        assert!(
            matches!(&e, DataError::Idx { what, expected, .. } if what == "decompressed size" && expected.starts_with("12 data bytes")),
            "{e:?}"
        );
        // Exactly the declared size still reads.
        let good = dir.path().join("good.gz");
        write_idx(&good, &sample(), true).unwrap();
        assert_eq!(read_idx(&good).unwrap(), sample());
    }

    #[test]
    fn write_rejects_inconsistent_arrays() {
        let dir = tempfile::tempdir().unwrap();
        let bad = IdxArray {
            dims: vec![2, 2],
            data: vec![0; 3],
        };
        assert!(matches!(
            write_idx(&dir.path().join("b"), &bad, false),
            Err(DataError::Invalid(_))
        ));
    }
}
