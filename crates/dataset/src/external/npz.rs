//! NumPy's `.npz`: a zip archive of `.npy` members, stored (`np.savez`, method 0) or deflated
//! (`np.savez_compressed`, method 8). Read through the central directory at the end of the file
//! (its zip64 form too: numpy writes every member with zip64 sizes); each member's CRC-32 is
//! checked.

use super::array::Array;
use super::npy;
use crate::DataError;
use std::io::Read;
use std::path::Path;

const EOCD: u32 = 0x0605_4b50;
const ZIP64_EOCD: u32 = 0x0606_4b50;
const ZIP64_LOCATOR: u32 = 0x0706_4b50;
const CENTRAL: u32 = 0x0201_4b50;
const LOCAL: u32 = 0x0403_4b50;

/// Every array of the archive, by name (without `.npy`), in archive order.
pub(crate) fn read_npz(path: &Path) -> Result<Vec<(String, Array)>, DataError> {
    let bytes = std::fs::read(path).map_err(|e| DataError::io(path, e))?;
    members(&bytes).map_err(|msg| DataError::bad_file(path, msg))
}

fn members(zip: &[u8]) -> Result<Vec<(String, Array)>, String> {
    let (count, mut at) = central_directory(zip)?;
    let mut out = Vec::with_capacity(count);
    for _ in 0..count {
        if u32_at(zip, at)? != CENTRAL {
            return Err("a broken .npz (zip) central directory".into());
        }
        let method = u16_at(zip, at + 10)?;
        let crc = u32_at(zip, at + 16)?;
        let mut compressed = u64::from(u32_at(zip, at + 20)?);
        let mut size = u64::from(u32_at(zip, at + 24)?);
        let name_len = usize::from(u16_at(zip, at + 28)?);
        let extra_len = usize::from(u16_at(zip, at + 30)?);
        let comment_len = usize::from(u16_at(zip, at + 32)?);
        let mut local = u64::from(u32_at(zip, at + 42)?);
        let name = slice(zip, at + 46, name_len)?;
        let name = String::from_utf8_lossy(name).into_owned();
        let extra = slice(zip, at + 46 + name_len, extra_len)?;
        zip64_sizes(extra, &mut size, &mut compressed, &mut local)?;
        at += 46 + name_len + extra_len + comment_len;

        let local = usize::try_from(local).map_err(|_| "member offset too large")?;
        if u32_at(zip, local)? != LOCAL {
            return Err(format!("member `{name}`: a broken local header"));
        }
        let start = local
            + 30
            + usize::from(u16_at(zip, local + 26)?)
            + usize::from(u16_at(zip, local + 28)?);
        let data = slice(zip, start, compressed as usize)?;
        let member = match method {
            0 => data.to_vec(),
            8 => {
                let mut out = Vec::with_capacity(size as usize);
                flate2::read::DeflateDecoder::new(data)
                    .read_to_end(&mut out)
                    .map_err(|e| format!("member `{name}`: {e}"))?;
                out
            }
            m => {
                return Err(format!(
                    "member `{name}` is compressed with method {m}; write it with np.savez or np.savez_compressed"
                ));
            }
        };
        let mut check = flate2::Crc::new();
        check.update(&member);
        if member.len() as u64 != size || check.sum() != crc {
            return Err(format!(
                "member `{name}` is corrupt (size or CRC-32 differs)"
            ));
        }
        let array = npy::parse(&member).map_err(|e| format!("member `{name}`: {e}"))?;
        out.push((name.trim_end_matches(".npy").to_string(), array));
    }
    Ok(out)
}

/// `(entries, offset)` of the central directory, from the end-of-central-directory record (or
/// its zip64 form when the plain one is saturated).
fn central_directory(zip: &[u8]) -> Result<(usize, usize), String> {
    let not_zip = || "not an .npz file (no zip directory at its end)".to_string();
    let lowest = zip.len().saturating_sub(22 + 65_535);
    let eocd = (lowest..=zip.len().saturating_sub(22))
        .rev()
        .find(|&i| u32_at(zip, i).ok() == Some(EOCD))
        .ok_or_else(not_zip)?;
    let count = u16_at(zip, eocd + 10)?;
    let offset = u32_at(zip, eocd + 16)?;
    if count != u16::MAX && offset != u32::MAX {
        return Ok((usize::from(count), offset as usize));
    }
    let locator = eocd.checked_sub(20).ok_or_else(not_zip)?;
    if u32_at(zip, locator)? != ZIP64_LOCATOR {
        return Err(not_zip());
    }
    let record = u64_at(zip, locator + 8)? as usize;
    if u32_at(zip, record)? != ZIP64_EOCD {
        return Err(not_zip());
    }
    Ok((
        u64_at(zip, record + 32)? as usize,
        u64_at(zip, record + 48)? as usize,
    ))
}

/// Sizes and offset saturated at 0xFFFFFFFF in the central header come from the zip64 extra
/// field (id 1), in the order uncompressed size, compressed size, local header offset.
fn zip64_sizes(
    mut extra: &[u8],
    size: &mut u64,
    compressed: &mut u64,
    local: &mut u64,
) -> Result<(), String> {
    while extra.len() >= 4 {
        let id = u16_at(extra, 0)?;
        let len = usize::from(u16_at(extra, 2)?);
        let body = slice(extra, 4, len)?;
        if id == 1 {
            let mut at = 0;
            for field in [size, compressed, local] {
                if *field == u64::from(u32::MAX) {
                    *field = u64_at(body, at)?;
                    at += 8;
                }
            }
            return Ok(());
        }
        extra = &extra[4 + len..];
    }
    Ok(())
}

fn slice(b: &[u8], at: usize, len: usize) -> Result<&[u8], String> {
    b.get(at..at.saturating_add(len))
        .ok_or_else(|| "the .npz (zip) file is cut short".to_string())
}

fn u16_at(b: &[u8], at: usize) -> Result<u16, String> {
    Ok(u16::from_le_bytes(
        slice(b, at, 2)?.try_into().expect("2 bytes"),
    ))
}

fn u32_at(b: &[u8], at: usize) -> Result<u32, String> {
    Ok(u32::from_le_bytes(
        slice(b, at, 4)?.try_into().expect("4 bytes"),
    ))
}

fn u64_at(b: &[u8], at: usize) -> Result<u64, String> {
    Ok(u64::from_le_bytes(
        slice(b, at, 8)?.try_into().expect("8 bytes"),
    ))
}
