//! The checkerboard: uniform on the black squares of a 4x4 board.

use super::density::{Density2d, Entropy};
use genbench_core::seed::Rng;

/// The board `[-4, 4)^2` cut into 4x4 squares of side 2; square `(i, j)` (column `i`, row `j`,
/// from the lower left) is black when `i + j` is even. `p = 1 / (8 * 4) = 1/32` on the 8 black
/// squares and 0 elsewhere (`log_prob = -inf`), so `H = log 32` exactly.
#[derive(Clone, Copy, Debug, Default)]
pub struct Checkerboard;

const SIDE: f64 = 2.0;
const LO: f64 = -4.0;
const N: usize = 4;

impl Checkerboard {
    /// The checkerboard density.
    pub fn new() -> Self {
        Self
    }

    /// Lower-left corners of the 8 black squares.
    pub fn black_squares() -> Vec<[f64; 2]> {
        (0..N * N)
            .map(|k| (k % N, k / N))
            .filter(|(i, j)| (i + j).is_multiple_of(2))
            .map(|(i, j)| [LO + SIDE * i as f64, LO + SIDE * j as f64])
            .collect()
    }

    fn black_area() -> f64 {
        (N * N / 2) as f64 * SIDE * SIDE
    }
}

impl Density2d for Checkerboard {
    fn name(&self) -> &str {
        "checkerboard"
    }

    fn log_prob(&self, x: [f64; 2]) -> f64 {
        let cell = |v: f64| ((v - LO) / SIDE).floor();
        let (i, j) = (cell(x[0]), cell(x[1]));
        let inside = (0.0..N as f64).contains(&i) && (0.0..N as f64).contains(&j);
        if inside && (i as usize + j as usize).is_multiple_of(2) {
            -Self::black_area().ln()
        } else {
            f64::NEG_INFINITY
        }
    }

    fn sample(&self, n: usize, rng: &mut Rng) -> Vec<[f64; 2]> {
        let squares = Self::black_squares();
        (0..n)
            .map(|_| {
                let c = squares[rng.below(squares.len())];
                [c[0] + SIDE * rng.uniform(), c[1] + SIDE * rng.uniform()]
            })
            .collect()
    }

    fn entropy(&self) -> Entropy {
        Entropy {
            nats: Self::black_area().ln(),
            std_error: 0.0,
            method: "closed form",
        }
    }

    fn modes(&self) -> Option<(Vec<[f64; 2]>, f64)> {
        None
    }

    fn bounds(&self) -> ([f64; 2], [f64; 2]) {
        ([LO, LO], [LO + N as f64 * SIDE; 2])
    }

    fn num_classes(&self) -> usize {
        0
    }
}
