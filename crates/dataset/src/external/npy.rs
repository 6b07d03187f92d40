//! NumPy's `.npy` format (versions 1.0, 2.0 and 3.0): the magic `\x93NUMPY`, two version bytes,
//! the header length (u16 little-endian for 1.0, u32 for 2.0 and 3.0), a Python dict literal
//! `{'descr': '<f4', 'fortran_order': False, 'shape': (n, 1, 8, 8), }` padded with spaces and a
//! newline so the data starts on a 64-byte boundary, then the raw values.
//!
//! Read: bool, signed and unsigned integers of 1, 2, 4 and 8 bytes, float32 and float64, either
//! byte order, C or Fortran order. Written: version 1.0, little-endian, C order.

use super::array::Array;
use std::path::Path;

const MAGIC: &[u8] = b"\x93NUMPY";

/// The array in `bytes` as f64 values in C order; an error says what is wrong with the file.
pub(crate) fn parse(bytes: &[u8]) -> Result<Array, String> {
    if bytes.len() < 10 || &bytes[..6] != MAGIC {
        return Err("not an .npy file (no \\x93NUMPY magic)".into());
    }
    let (header_len, start) = match bytes[6] {
        1 => (u16::from_le_bytes([bytes[8], bytes[9]]) as usize, 10),
        2 | 3 if bytes.len() >= 12 => (
            u32::from_le_bytes([bytes[8], bytes[9], bytes[10], bytes[11]]) as usize,
            12,
        ),
        v => return Err(format!(".npy version {v}.{} is not supported", bytes[7])),
    };
    let header = bytes
        .get(start..start + header_len)
        .ok_or("the .npy header is cut short")?;
    let header = std::str::from_utf8(header).map_err(|_| "the .npy header is not text")?;
    let descr = quoted_value(header, "descr")?;
    let fortran = match word_value(header, "fortran_order")? {
        "True" => true,
        "False" => false,
        other => return Err(format!("fortran_order `{other}` is not True or False")),
    };
    let shape = shape_value(header)?;
    let dtype = Dtype::parse(&descr)?;
    let count: usize = shape.iter().product();
    let data = &bytes[start + header_len..];
    if data.len() != count * dtype.size {
        return Err(format!(
            "shape {shape:?} of {} needs {} data bytes, the file has {}",
            dtype.name,
            count * dtype.size,
            data.len()
        ));
    }
    let mut values: Vec<f64> = data
        .chunks_exact(dtype.size)
        .map(|b| dtype.value(b))
        .collect();
    if fortran && shape.len() > 1 {
        values = fortran_to_c(&values, &shape);
    }
    Ok(Array {
        shape,
        values,
        integer: dtype.integer,
        dtype: dtype.name,
    })
}

pub(crate) fn read_npy(path: &Path) -> Result<Array, crate::DataError> {
    let bytes = std::fs::read(path).map_err(|e| crate::DataError::io(path, e))?;
    parse(&bytes).map_err(|msg| crate::DataError::bad_file(path, msg))
}

/// An element type this crate reads or writes.
struct Dtype {
    name: &'static str,
    size: usize,
    integer: bool,
    big_endian: bool,
    kind: u8,
}

impl Dtype {
    fn parse(descr: &str) -> Result<Self, String> {
        let unsupported = || {
            format!("dtype '{descr}' is not supported: use bool, an integer, float32 or float64")
        };
        let (order, rest) = match descr.as_bytes().first() {
            Some(b'<' | b'>' | b'|' | b'=') => (descr.as_bytes()[0], &descr[1..]),
            _ => (b'=', descr),
        };
        let kind = *rest.as_bytes().first().ok_or_else(unsupported)?;
        let size: usize = rest[1..].parse().map_err(|_| unsupported())?;
        let name = match (kind, size) {
            (b'b', 1) => "bool",
            (b'u', 1) => "uint8",
            (b'u', 2) => "uint16",
            (b'u', 4) => "uint32",
            (b'u', 8) => "uint64",
            (b'i', 1) => "int8",
            (b'i', 2) => "int16",
            (b'i', 4) => "int32",
            (b'i', 8) => "int64",
            (b'f', 4) => "float32",
            (b'f', 8) => "float64",
            _ => return Err(unsupported()),
        };
        Ok(Dtype {
            name,
            size,
            integer: kind != b'f',
            big_endian: order == b'>',
            kind,
        })
    }

    /// One element from its `size` bytes.
    fn value(&self, b: &[u8]) -> f64 {
        let mut le = [0u8; 8];
        le[..self.size].copy_from_slice(b);
        if self.big_endian {
            le[..self.size].reverse();
        }
        let bits = u64::from_le_bytes(le);
        match (self.kind, self.size) {
            (b'f', 4) => f32::from_bits(bits as u32) as f64,
            (b'f', _) => f64::from_bits(bits),
            (b'i', s) => {
                let shift = 64 - 8 * s as u32;
                ((bits << shift) as i64 >> shift) as f64
            }
            _ => bits as f64,
        }
    }
}

/// The text of `'key': '<value>'` in a header dict.
fn quoted_value(header: &str, key: &str) -> Result<String, String> {
    let rest = after_key(header, key)?;
    let quote = rest.chars().next().filter(|c| *c == '\'' || *c == '"');
    let quote = quote.ok_or_else(|| format!("'{key}' in the .npy header is not a string"))?;
    let end = rest[1..]
        .find(quote)
        .ok_or_else(|| format!("'{key}' in the .npy header is not closed"))?;
    Ok(rest[1..1 + end].to_string())
}

/// The bare word after `'key':` (True, False).
fn word_value<'a>(header: &'a str, key: &str) -> Result<&'a str, String> {
    let rest = after_key(header, key)?;
    Ok(rest
        .split(|c: char| c == ',' || c == '}' || c.is_whitespace())
        .next()
        .unwrap_or(""))
}

/// The tuple after `'shape':`, e.g. `(2000, 1, 8, 8)`, `(360,)` or `()`.
fn shape_value(header: &str) -> Result<Vec<usize>, String> {
    let rest = after_key(header, "shape")?;
    let inner = rest
        .strip_prefix('(')
        .and_then(|r| r.split(')').next())
        .ok_or("'shape' in the .npy header is not a tuple")?;
    inner
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(|s| {
            s.trim_end_matches('L')
                .parse()
                .map_err(|_| format!("'shape' entry `{s}` is not a size"))
        })
        .collect()
}

fn after_key<'a>(header: &'a str, key: &str) -> Result<&'a str, String> {
    for q in ['\'', '"'] {
        if let Some(i) = header.find(&format!("{q}{key}{q}")) {
            let rest = header[i + key.len() + 2..].trim_start();
            let rest = rest
                .strip_prefix(':')
                .ok_or_else(|| format!("no ':' after '{key}' in the .npy header"))?;
            return Ok(rest.trim_start());
        }
    }
    Err(format!("the .npy header has no '{key}'"))
}

/// Values stored with the first index fastest, rearranged so the last index is fastest.
fn fortran_to_c(values: &[f64], shape: &[usize]) -> Vec<f64> {
    let mut out = vec![0.0; values.len()];
    let mut index = vec![0usize; shape.len()];
    for slot in &mut out {
        // `index` runs over C order; its Fortran offset has stride 1 on the first axis.
        let (mut offset, mut stride) = (0, 1);
        for (i, n) in index.iter().zip(shape) {
            offset += i * stride;
            stride *= n;
        }
        *slot = values[offset];
        for axis in (0..shape.len()).rev() {
            index[axis] += 1;
            if index[axis] < shape[axis] {
                break;
            }
            index[axis] = 0;
        }
    }
    out
}

/// An element type genbench writes.
pub(crate) trait Element: Copy {
    const DESCR: &'static str;
    fn put(self, out: &mut Vec<u8>);
}

impl Element for u8 {
    const DESCR: &'static str = "|u1";
    fn put(self, out: &mut Vec<u8>) {
        out.push(self);
    }
}

impl Element for f32 {
    const DESCR: &'static str = "<f4";
    fn put(self, out: &mut Vec<u8>) {
        out.extend(self.to_le_bytes());
    }
}

impl Element for i64 {
    const DESCR: &'static str = "<i8";
    fn put(self, out: &mut Vec<u8>) {
        out.extend(self.to_le_bytes());
    }
}

/// `values` (C order) as an `.npy` 1.0 file of `shape`.
pub(crate) fn encode<T: Element>(shape: &[usize], values: &[T]) -> Vec<u8> {
    assert_eq!(
        shape.iter().product::<usize>(),
        values.len(),
        "shape {shape:?}"
    );
    let dims: Vec<String> = shape.iter().map(ToString::to_string).collect();
    let tuple = match dims.len() {
        1 => format!("({},)", dims[0]),
        _ => format!("({})", dims.join(", ")),
    };
    let mut header = format!(
        "{{'descr': '{}', 'fortran_order': False, 'shape': {tuple}, }}",
        T::DESCR
    );
    // Magic (6) + version (2) + length (2) + header + '\n' is a multiple of 64.
    while (10 + header.len() + 1) % 64 != 0 {
        header.push(' ');
    }
    header.push('\n');
    let mut out = Vec::with_capacity(10 + header.len() + values.len() * 8);
    out.extend(MAGIC);
    out.extend([1, 0]);
    out.extend((header.len() as u16).to_le_bytes());
    out.extend(header.as_bytes());
    for &v in values {
        v.put(&mut out);
    }
    out
}

/// `values` as an `.npy` array of `shape`, written atomically.
pub(crate) fn write_npy<T: Element>(
    path: &Path,
    shape: &[usize],
    values: &[T],
) -> anyhow::Result<()> {
    genbench_core::fsutil::write_atomic(path, &encode(shape, values))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn written_arrays_read_back_with_their_dtype_and_shape() {
        let a = parse(&encode(&[2, 1, 3], &[0u8, 1, 2, 3, 4, 255])).unwrap();
        assert_eq!(
            (a.shape, a.dtype, a.integer),
            (vec![2, 1, 3], "uint8", true)
        );
        assert_eq!(a.values, vec![0.0, 1.0, 2.0, 3.0, 4.0, 255.0]);
        let b = parse(&encode(&[3], &[-0.5f32, 1.25, f32::NAN])).unwrap();
        assert_eq!((b.shape, b.dtype, b.integer), (vec![3], "float32", false));
        assert_eq!(&b.values[..2], &[-0.5, 1.25]);
        assert!(b.values[2].is_nan());
        let c = parse(&encode(&[2], &[-3i64, i64::from(i32::MAX) + 1])).unwrap();
        assert_eq!(c.values, vec![-3.0, 2147483648.0]);
        assert_eq!(
            encode(&[5], &[0u8; 5]).len(),
            128 + 5,
            "data starts on a 64-byte boundary"
        );
    }

    #[test]
    fn fortran_order_and_big_endian_are_read_in_c_order() {
        // [[1, 2, 3], [4, 5, 6]] stored column by column as big-endian int16.
        let mut bytes = encode(&[6], &[0u8; 6]);
        bytes.truncate(10);
        let header = "{'descr': '>i2', 'fortran_order': True, 'shape': (2, 3), }\n";
        bytes[8..10].copy_from_slice(&(header.len() as u16).to_le_bytes());
        bytes.extend(header.as_bytes());
        for v in [1i16, 4, 2, 5, 3, 6] {
            bytes.extend(v.to_be_bytes());
        }
        let a = parse(&bytes).unwrap();
        assert_eq!((a.shape, a.dtype), (vec![2, 3], "int16"));
        assert_eq!(a.values, vec![1.0, 2.0, 3.0, 4.0, 5.0, 6.0]);
    }

    #[test]
    fn bad_files_say_what_is_wrong() {
        assert!(parse(b"hello").unwrap_err().contains("magic"));
        let mut short = encode(&[4], &[1.0f32; 4]);
        short.pop();
        assert!(
            parse(&short)
                .unwrap_err()
                .contains("needs 16 data bytes, the file has 15")
        );
        let mut complex = encode(&[1], &[0i64]);
        let at = complex.windows(3).position(|w| w == b"<i8").unwrap();
        complex[at..at + 3].copy_from_slice(b"<c8");
        assert!(
            parse(&complex)
                .unwrap_err()
                .contains("'<c8' is not supported")
        );
    }
}
