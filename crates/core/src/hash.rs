//! FNV-1a, the 64-bit hash the project uses for stream names and cache keys.

use std::borrow::Borrow;

const OFFSET_BASIS: u64 = 0xcbf2_9ce4_8422_2325;
const PRIME: u64 = 0x0100_0000_01b3;

/// FNV-1a of `bytes` (a slice or any stream of bytes): h ← (h xor b) · p from
/// h = 14695981039346656037, p = 1099511628211.
pub fn fnv1a<B: Borrow<u8>>(bytes: impl IntoIterator<Item = B>) -> u64 {
    bytes.into_iter().fold(OFFSET_BASIS, |h, b| {
        (h ^ u64::from(*b.borrow())).wrapping_mul(PRIME)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The reference values of the FNV specification (draft-eastlake-fnv, test vectors).
    #[test]
    fn matches_the_published_test_vectors() {
        assert_eq!(fnv1a(b""), 0xcbf2_9ce4_8422_2325);
        assert_eq!(fnv1a(b"a"), 0xaf63_dc4c_8601_ec8c);
        assert_eq!(fnv1a(b"foobar"), 0x8594_4171_f739_67e8);
        assert_eq!(
            fnv1a("foobar".bytes()),
            fnv1a(b"foobar"),
            "a stream hashes as its slice"
        );
    }
}
