//! What every reader of an external file produces: an array of values and its shape.

/// An n-dimensional array read from a file: its shape, its values in C order, and whether its
/// dtype was an integer (or bool) one.
#[derive(Debug)]
pub(crate) struct Array {
    pub shape: Vec<usize>,
    pub values: Vec<f64>,
    pub integer: bool,
    pub dtype: &'static str,
}
