//! Maps between discrete levels and the continuous spaces the families model, with the
//! log-determinants that keep every family's likelihood a bound on the same discrete NLL.
//!
//! Data values are integer levels k in {0, ..., L-1}. Bins of width 1/L tile [0, 1]:
//! level k owns [k/L, (k+1)/L). A density p on [0,1]^D bounds the discrete probability by
//! uniform dequantization (Theis et al. 2016):
//!   log P(k) >= E_{u ~ U[0,1)^D} [ log p((k + u) / L) ] - D log L.

/// Level k plus dequantization noise u in [0,1), scaled to [0, 1]: (k + u) / L.
pub fn dequantize(k: f32, u: f32, levels: u32) -> f32 {
    (k + u) / levels as f32
}

/// The term -D log L that turns a density on [0,1]^D into a bound on the discrete log P(k).
pub fn dequantization_log_jacobian(dim: usize, levels: u32) -> f64 {
    -(dim as f64) * (levels as f64).ln()
}

/// Level k to the centre of its bin on [-1, 1]: 2k/(L-1) - 1 (so 0 -> -1 and L-1 -> 1).
/// This is the scaling of DDPM's discretized decoder, whose bins have width 2/(L-1).
pub fn level_to_signed(k: f32, levels: u32) -> f32 {
    2.0 * k / (levels - 1) as f32 - 1.0
}

/// Inverse of [`level_to_signed`], rounded and clamped to a valid level.
pub fn signed_to_level(x: f32, levels: u32) -> f32 {
    let l = (levels - 1) as f32;
    ((x + 1.0) * 0.5 * l).round().clamp(0.0, l)
}

/// Level k to [0, 1]: k/(L-1).
pub fn level_to_unit(k: f32, levels: u32) -> f32 {
    k / (levels - 1) as f32
}

/// A value in [0, 1] back to the nearest level.
pub fn unit_to_level(x: f32, levels: u32) -> f32 {
    let l = (levels - 1) as f32;
    (x * l).round().clamp(0.0, l)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn level_maps_round_trip() {
        for levels in [2u32, 17, 256] {
            for k in 0..levels {
                let k = k as f32;
                assert_eq!(signed_to_level(level_to_signed(k, levels), levels), k);
                assert_eq!(unit_to_level(level_to_unit(k, levels), levels), k);
            }
        }
        assert_eq!(level_to_signed(0.0, 17), -1.0);
        assert_eq!(level_to_signed(16.0, 17), 1.0);
    }

    #[test]
    fn dequantized_bins_tile_the_unit_interval() {
        assert_eq!(dequantize(0.0, 0.0, 4), 0.0);
        assert!(dequantize(3.0, 0.999, 4) < 1.0);
        assert!((dequantization_log_jacobian(2, 256) + 2.0 * 256f64.ln()).abs() < 1e-12);
    }
}
