//! The one list of datasets: each entry's name, kind, loader and (2-D) exact density. `load`,
//! `genbench list`, the manifest's check of a name and the report's density panels all read it.

use crate::config::DataConfig;
use crate::dataset::Dataset;
use crate::error::DataError;
use crate::images::{self, Embedded, IdxFolder};
use crate::toy2d::{self, Checkerboard, CurveDensity, Density2d, GaussianMixture, Rings};

/// What a dataset's examples are.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DataKind {
    /// Points of a 2-D density known exactly.
    Density2d,
    /// Single-channel images of discrete grey levels, with labels 0..9.
    Image,
}

/// How a dataset's examples come to be.
#[derive(Clone, Copy, Debug)]
enum Source {
    /// Train and test points drawn from this density.
    Density(fn() -> Box<dyn Density2d>),
    /// Images embedded in the binary.
    Embedded(&'static Embedded),
    /// Images from a folder of IDX files.
    IdxFolder(&'static IdxFolder),
}

/// One dataset: its name, kind and where its examples come from.
#[derive(Clone, Copy, Debug)]
pub struct DatasetEntry {
    /// The manifest's `[[datasets]] name`.
    pub name: &'static str,
    /// 2-D points or images.
    pub kind: DataKind,
    /// One line on where the data come from and under which licence (`genbench list`).
    pub origin: &'static str,
    source: Source,
}

/// Every dataset, in the order `genbench list` shows them.
pub const DATASETS: &[DatasetEntry] = &[
    DatasetEntry {
        name: "digits",
        kind: DataKind::Image,
        origin: "UCI optical digits (embedded), CC BY 4.0",
        source: Source::Embedded(&images::DIGITS),
    },
    DatasetEntry {
        name: "mnist5k",
        kind: DataKind::Image,
        origin: "5,000 MNIST training images (embedded), CC BY-SA 3.0",
        source: Source::Embedded(&images::MNIST5K),
    },
    DatasetEntry {
        name: "fashion-mnist",
        kind: DataKind::Image,
        origin: "Zalando Fashion-MNIST, IDX folder (apt-get install dataset-fashion-mnist), MIT",
        source: Source::IdxFolder(&images::FASHION_MNIST),
    },
    DatasetEntry {
        name: "mnist",
        kind: DataKind::Image,
        origin: "MNIST IDX files from data_dir, CC BY-SA 3.0",
        source: Source::IdxFolder(&images::MNIST),
    },
    density_entry("two-moons", || Box::new(CurveDensity::two_moons())),
    density_entry(
        "8gaussians",
        || Box::new(GaussianMixture::eight_gaussians()),
    ),
    density_entry("25gaussians", || {
        Box::new(GaussianMixture::twenty_five_gaussians())
    }),
    density_entry("checkerboard", || Box::new(Checkerboard::new())),
    density_entry("rings", || Box::new(Rings::new())),
    density_entry("swiss-roll", || Box::new(CurveDensity::swiss_roll())),
];

const fn density_entry(name: &'static str, density: fn() -> Box<dyn Density2d>) -> DatasetEntry {
    DatasetEntry {
        name,
        kind: DataKind::Density2d,
        origin: "synthetic, exact density",
        source: Source::Density(density),
    }
}

impl DatasetEntry {
    /// The examples `config` asks for (its `name` is this entry's).
    pub fn load(&self, config: &DataConfig) -> Result<Dataset, DataError> {
        match self.source {
            Source::Density(density) => toy2d::dataset::load(config, density()),
            Source::Embedded(embedded) => images::load_embedded(config, embedded),
            Source::IdxFolder(folder) => images::load_idx_folder(config, folder),
        }
    }

    /// The exact density of a 2-D dataset; `None` for images.
    pub fn density(&self) -> Option<Box<dyn Density2d>> {
        match self.source {
            Source::Density(density) => Some(density()),
            Source::Embedded(_) | Source::IdxFolder(_) => None,
        }
    }

    /// Grey levels of an image dataset as stored; `None` for the 2-D densities.
    pub(crate) fn native_levels(&self) -> Option<u32> {
        self.image_listing().map(|l| l.levels)
    }

    /// Whether the images are embedded in the binary (no `data_dir`, split by `test_fraction`).
    pub(crate) fn is_embedded(&self) -> bool {
        matches!(self.source, Source::Embedded(_))
    }

    /// Images known before any file is read: side and levels (embedded and IDX folders), and the
    /// default train/test sizes where they do not depend on a folder.
    pub(crate) fn image_listing(&self) -> Option<ImageListing> {
        match self.source {
            Source::Density(_) => None,
            Source::Embedded(e) => Some(ImageListing {
                side: e.side,
                levels: e.levels,
                default_sizes: Some(e.default_sizes),
            }),
            Source::IdxFolder(f) => Some(ImageListing {
                side: f.side,
                levels: f.levels,
                default_sizes: f.default_sizes,
            }),
        }
    }
}

/// What the registry knows of an image dataset before reading a file.
#[derive(Clone, Copy, Debug)]
pub(crate) struct ImageListing {
    /// Images are `[1, side, side]`.
    pub(crate) side: usize,
    /// Grey levels as stored.
    pub(crate) levels: u32,
    /// Train and test images by default, when they do not depend on a folder.
    pub(crate) default_sizes: Option<(usize, usize)>,
}

/// The entry named `name`.
pub fn find(name: &str) -> Option<&'static DatasetEntry> {
    DATASETS.iter().find(|d| d.name == name)
}

/// Every dataset name, in [`DATASETS`] order.
pub fn names() -> Vec<&'static str> {
    DATASETS.iter().map(|d| d.name).collect()
}

/// The exact density of the 2-D dataset `name`; `None` for images and unknown names.
pub fn density(name: &str) -> Option<Box<dyn Density2d>> {
    find(name).and_then(DatasetEntry::density)
}
