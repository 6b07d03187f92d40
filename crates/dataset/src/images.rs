//! Image datasets: the embedded UCI digits and MNIST-5k, and IDX folders (Fashion-MNIST, MNIST).
//!
//! An image is `[1, H, W]` of integer levels `0..L` stored as f32, row-major. Preprocessing is
//! optional requantization `k' = floor(k L' / L)` or binarization (pixel = 1 with probability
//! `k / (L - 1)`), then the split; all of it is a function of `split_seed`.

use crate::config::DataConfig;
use crate::dataset::Dataset;
use crate::error::DataError;
use crate::idx::read_idx;
use crate::split::{shuffled_head, stratified};
use flate2::read::GzDecoder;
use genbench_core::seed::{Rng, derive};
use genbench_core::{Batch, DataSpec};
use std::io::Read;
use std::path::{Path, PathBuf};

/// Images embedded in the binary: a gzipped CSV without header, `side * side` pixels in
/// `0..levels` then the label on each line.
#[derive(Debug)]
pub(crate) struct Embedded {
    gz: &'static [u8],
    file: &'static str,
    pub(crate) side: usize,
    pub(crate) levels: u32,
    /// Train and test images at the default `test_fraction`.
    pub(crate) default_sizes: (usize, usize),
}

/// UCI optical digits, 8x8, 17 levels.
pub(crate) static DIGITS: Embedded = Embedded {
    gz: include_bytes!("../data/digits.csv.gz"),
    file: "digits.csv.gz",
    side: 8,
    levels: 17,
    default_sizes: (1437, 360),
};

/// 5,000 MNIST training images, 28x28, 256 levels.
pub(crate) static MNIST5K: Embedded = Embedded {
    gz: include_bytes!("../data/mnist_5k.csv.gz"),
    file: "mnist_5k.csv.gz",
    side: 28,
    levels: 256,
    default_sizes: (4000, 1000),
};

/// A folder of MNIST-format IDX files with the official train/test split.
#[derive(Debug)]
pub(crate) struct IdxFolder {
    /// Where the files are when `data_dir` is not set (`None`: `data_dir` is required).
    default_dir: Option<&'static str>,
    /// What to do when the folder is missing.
    hint: &'static str,
    pub(crate) side: usize,
    pub(crate) levels: u32,
    /// The official split's sizes, when the files are known.
    pub(crate) default_sizes: Option<(usize, usize)>,
}

/// Fashion-MNIST where `apt-get install dataset-fashion-mnist` puts it.
pub(crate) static FASHION_MNIST: IdxFolder = IdxFolder {
    default_dir: Some(FASHION_MNIST_DIR),
    hint: FASHION_HINT,
    side: 28,
    levels: 256,
    default_sizes: Some((60_000, 10_000)),
};

/// Any MNIST-format folder named by `data_dir`.
pub(crate) static MNIST: IdxFolder = IdxFolder {
    default_dir: None,
    hint: MNIST_HINT,
    side: 28,
    levels: 256,
    default_sizes: None,
};

/// Where `apt-get install dataset-fashion-mnist` puts Fashion-MNIST.
pub const FASHION_MNIST_DIR: &str = "/usr/share/datasets/fashion-mnist";

const FASHION_HINT: &str = "install it with `apt-get install dataset-fashion-mnist` (Debian/Ubuntu, it goes to \
     /usr/share/datasets/fashion-mnist), or set data_dir to a folder holding train-images-idx3-ubyte.gz, \
     train-labels-idx1-ubyte.gz, t10k-images-idx3-ubyte.gz and t10k-labels-idx1-ubyte.gz";
const MNIST_HINT: &str = "set data_dir to a folder holding the MNIST IDX files train-images-idx3-ubyte, \
     train-labels-idx1-ubyte, t10k-images-idx3-ubyte and t10k-labels-idx1-ubyte (raw or .gz)";

/// Seed streams derived from `split_seed`.
const SPLIT_STREAM: u64 = 0;
const BINARIZE_STREAM: u64 = 2;

/// Images as loaded, before preprocessing: `pixels` is `[n, h * w]`.
struct Images {
    pixels: Vec<u8>,
    labels: Vec<usize>,
    height: usize,
    width: usize,
    levels: u32,
}

impl Images {
    fn len(&self) -> usize {
        self.labels.len()
    }

    fn dim(&self) -> usize {
        self.height * self.width
    }

    fn batch(&self, indices: &[usize]) -> Batch {
        let d = self.dim();
        let mut x = Vec::with_capacity(indices.len() * d);
        for &i in indices {
            x.extend(self.pixels[i * d..(i + 1) * d].iter().map(|&p| p as f32));
        }
        Batch::new(x, indices.iter().map(|&i| self.labels[i]).collect(), d)
    }
}

/// Embedded images (digits, mnist5k): stratified split by `test_fraction`.
/// The table passed [`DataConfig::check`] (no data_dir, test_fraction in (0, 1)).
pub(crate) fn load_embedded(
    config: &DataConfig,
    embedded: &Embedded,
) -> Result<Dataset, DataError> {
    let f = config.test_fraction;
    let mut images = parse_csv(embedded.gz, embedded.file, embedded.side, embedded.levels)?;
    let levels_note = preprocess(&mut images, config, 0)?;
    let (mut train, mut test) =
        stratified(&images.labels, f, derive(config.split_seed, SPLIT_STREAM));
    let available = (train.len(), test.len());
    train.truncate(config.train_size.unwrap_or(usize::MAX));
    test.truncate(config.test_size.unwrap_or(usize::MAX));
    let split = format!(
        "stratified split {}/{} (test fraction {f}){}, seed {}",
        available.0,
        available.1,
        caps_note(available, (train.len(), test.len())),
        config.split_seed
    );
    Ok(finish(
        config,
        &images,
        &train,
        &test,
        &images,
        levels_note,
        split,
    ))
}

/// An IDX folder (fashion-mnist, mnist): the official split, shuffled, then capped.
pub(crate) fn load_idx_folder(
    config: &DataConfig,
    folder: &IdxFolder,
) -> Result<Dataset, DataError> {
    let hint = folder.hint;
    let dir = match (&config.data_dir, folder.default_dir) {
        (Some(dir), _) => dir.clone(),
        (None, Some(default)) => PathBuf::from(default),
        (None, None) => {
            return Err(DataError::MissingDir {
                path: None,
                hint: hint.to_string(),
            });
        }
    };
    if !dir.is_dir() {
        return Err(DataError::MissingDir {
            path: Some(dir),
            hint: hint.to_string(),
        });
    }
    let mut train = read_pair(&dir, "train")?;
    let mut test = read_pair(&dir, "t10k")?;
    if (train.height, train.width) != (test.height, test.width) {
        return Err(DataError::Invalid(format!(
            "{}: train images are {}x{} but test images {}x{}",
            dir.display(),
            train.height,
            train.width,
            test.height,
            test.width
        )));
    }
    let levels_note = preprocess(&mut train, config, 0)?;
    preprocess(&mut test, config, train.len() as u64)?;
    let split_seed = derive(config.split_seed, SPLIT_STREAM);
    let train_idx = shuffled_head(train.len(), config.train_size, split_seed);
    let test_idx = shuffled_head(test.len(), config.test_size, derive(split_seed, 1));
    let available = (train.len(), test.len());
    let split = format!(
        "official split {}/{} from {}, shuffled{}, seed {}",
        available.0,
        available.1,
        dir.display(),
        caps_note(available, (train_idx.len(), test_idx.len())),
        config.split_seed
    );
    Ok(finish(
        config,
        &train,
        &train_idx,
        &test_idx,
        &test,
        levels_note,
        split,
    ))
}

fn finish(
    config: &DataConfig,
    train_images: &Images,
    train: &[usize],
    test: &[usize],
    test_images: &Images,
    levels_note: String,
    split: String,
) -> Dataset {
    let num_classes = train_images
        .labels
        .iter()
        .chain(&test_images.labels)
        .max()
        .map_or(0, |&m| m + 1);
    Dataset {
        spec: DataSpec {
            name: config.name.clone(),
            shape: vec![1, train_images.height, train_images.width],
            levels: Some(train_images.levels),
            num_classes,
        },
        train: train_images.batch(train),
        validation: train_images.batch(&[]),
        test: test_images.batch(test),
        preprocessing: format!("{levels_note}, {split}"),
        density: None,
    }
}

fn caps_note(available: (usize, usize), used: (usize, usize)) -> String {
    match (available.0 != used.0, available.1 != used.1) {
        (false, false) => String::new(),
        (true, false) => format!(", train capped at {}", used.0),
        (false, true) => format!(", test capped at {}", used.1),
        (true, true) => format!(", capped at {}/{}", used.0, used.1),
    }
}

/// Requantize or binarize in place; describe the result. Image `i` is binarized with the
/// generator `derive(derive(split_seed, 2), offset + i)`, so its bits do not depend on the split.
fn preprocess(images: &mut Images, config: &DataConfig, offset: u64) -> Result<String, DataError> {
    let l = images.levels;
    match (config.binarize, config.levels) {
        (true, Some(_)) => Err(DataError::Invalid(
            "set either binarize or levels, not both".into(),
        )),
        (false, None) => Ok(format!("{l} levels (0..{}), no binarization", l - 1)),
        (false, Some(target)) => {
            if !(2..=l).contains(&target) {
                return Err(DataError::Invalid(format!(
                    "levels must lie in 2..={l} for {}, got {target}",
                    config.name
                )));
            }
            for p in &mut images.pixels {
                *p = (*p as u32 * target / l) as u8;
            }
            images.levels = target;
            Ok(format!(
                "requantized {l} -> {target} levels (k' = floor(k * {target} / {l})), no binarization"
            ))
        }
        (true, None) => {
            let d = images.dim();
            let base = derive(config.split_seed, BINARIZE_STREAM);
            let top = (l - 1) as f64;
            for (i, image) in images.pixels.chunks_exact_mut(d).enumerate() {
                let mut rng = Rng::new(derive(base, offset + i as u64));
                for p in image {
                    *p = (rng.uniform() * top < *p as f64) as u8;
                }
            }
            images.levels = 2;
            Ok(format!(
                "binarized from {l} levels (pixel = 1 with probability k/{}, drawn once per image, seed {})",
                l - 1,
                config.split_seed
            ))
        }
    }
}

/// Parse a gzipped CSV without header: `side * side` pixels in `0..levels`, then a label `0..9`.
fn parse_csv(gz: &[u8], file: &str, side: usize, levels: u32) -> Result<Images, DataError> {
    let path = PathBuf::from(format!("<embedded>/{file}"));
    let mut text = String::new();
    GzDecoder::new(gz)
        .read_to_string(&mut text)
        .map_err(|e| DataError::io(&path, e))?;
    let dim = side * side;
    let (mut pixels, mut labels) = (Vec::new(), Vec::new());
    for (line_no, line) in text
        .lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty())
    {
        let parse_err = |msg: String| DataError::Parse {
            path: path.clone(),
            line: line_no + 1,
            msg,
        };
        let fields: Vec<&str> = line.split(',').map(str::trim).collect();
        if fields.len() != dim + 1 {
            return Err(parse_err(format!(
                "expected {} columns, found {}",
                dim + 1,
                fields.len()
            )));
        }
        for f in &fields[..dim] {
            match f.parse::<u32>() {
                Ok(v) if v < levels => pixels.push(v as u8),
                _ => {
                    return Err(parse_err(format!(
                        "pixel `{f}` is not an integer in 0..{levels}"
                    )));
                }
            }
        }
        match fields[dim].parse::<usize>() {
            Ok(v) if v < 10 => labels.push(v),
            _ => {
                return Err(parse_err(format!(
                    "label `{}` is not an integer in 0..10",
                    fields[dim]
                )));
            }
        }
    }
    Ok(Images {
        pixels,
        labels,
        height: side,
        width: side,
        levels,
    })
}

/// `{prefix}-images-idx3-ubyte` and `{prefix}-labels-idx1-ubyte` (also with `.` for the first
/// `-`, raw or `.gz`): images `[n, h, w]`, labels `[n]`, 256 levels.
fn read_pair(dir: &Path, prefix: &str) -> Result<Images, DataError> {
    let images_path = find(dir, prefix, "images-idx3-ubyte")?;
    let labels_path = find(dir, prefix, "labels-idx1-ubyte")?;
    let images = read_idx(&images_path)?;
    let labels = read_idx(&labels_path)?;
    let shape_err = |path: &Path, expected: &str, found: &[usize]| DataError::Idx {
        path: path.to_path_buf(),
        what: "dimensions".into(),
        expected: expected.into(),
        found: format!("{found:?}"),
    };
    let [n, h, w] = images.dims[..] else {
        return Err(shape_err(&images_path, "[n, height, width]", &images.dims));
    };
    if labels.dims != [n] {
        return Err(shape_err(
            &labels_path,
            &format!("[{n}] (one label per image)"),
            &labels.dims,
        ));
    }
    if h == 0 || w == 0 {
        return Err(shape_err(&images_path, "non-empty images", &images.dims));
    }
    Ok(Images {
        pixels: images.data,
        labels: labels.data.into_iter().map(usize::from).collect(),
        height: h,
        width: w,
        levels: 256,
    })
}

fn find(dir: &Path, prefix: &str, kind: &str) -> Result<PathBuf, DataError> {
    for sep in ["-", "."] {
        for ext in ["", ".gz"] {
            let path = dir.join(format!("{prefix}{sep}{kind}{ext}"));
            match std::fs::metadata(&path) {
                Ok(meta) if meta.is_file() => return Ok(path),
                // An unreadable folder is not a missing file: say so.
                Err(e) if e.kind() == std::io::ErrorKind::PermissionDenied => {
                    return Err(DataError::io(dir, e));
                }
                _ => {}
            }
        }
    }
    Err(DataError::io(
        dir.join(format!("{prefix}-{kind}.gz")),
        std::io::Error::new(
            std::io::ErrorKind::NotFound,
            format!(
                "no {prefix}-{kind}[.gz] (or {prefix}.{kind}[.gz]) in {}",
                dir.display()
            ),
        ),
    ))
}
