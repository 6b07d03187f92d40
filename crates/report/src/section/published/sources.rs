//! The published results genbench's numbers are set beside: one [`Entry`] per family (two for
//! diffusion's likelihood, one for its FID), each naming the closest published number, the paper
//! and table it is printed in, how it was checked, and how the paper's protocol differs from
//! genbench's. A number that could not be confirmed in the paper's text (or a source quoting
//! the paper's table) is left out and the entry says so: a wrong citation in a benchmark is
//! worse than a missing one. No number is converted: each is shown in its paper's unit, and
//! genbench's in the same unit.

/// Which summary.csv column genbench's side of an entry reads, and so the unit both sides share.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Measure {
    /// Negative log-likelihood (or a bound on it) in nats per image: `nll_nats`.
    NllNats,
    /// Negative log-likelihood (or a bound on it) in bits per dimension: `nll_bpd`.
    NllBpd,
    /// Fréchet distance between feature statistics of real and generated images: `fd`.
    Fd,
}

/// How far the published number is from genbench's.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Comparability {
    /// The same kind of data and number; the protocol differs (training-set size, evaluation).
    SameTask,
    /// Another dataset: the number gives the family's scale on that data, nothing more.
    OtherDataset,
    /// A different quantity under the same name (Inception FID against our FID-approx).
    NotComparable,
}

/// A paper, as cited in the report.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Citation {
    /// "Germain, Gregor, Murray & Larochelle".
    pub authors: &'static str,
    /// Year of the venue.
    pub year: u16,
    /// The paper's title.
    pub title: &'static str,
    /// "ICML", "NeurIPS", ...
    pub venue: &'static str,
    /// The table the number is printed in.
    pub table: &'static str,
}

/// One published number.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Published {
    /// The model as the paper names it, with the configuration the number belongs to.
    pub model: &'static str,
    /// The paper's dataset and split.
    pub dataset: &'static str,
    /// The number as the paper prints it, in the entry's [`Measure`] unit.
    pub value: &'static str,
    /// What kind of number it is: exact, a bound, an estimate with k samples, Inception FID.
    pub kind: &'static str,
    /// Where it is printed.
    pub citation: Citation,
    /// How the number and its table were confirmed.
    pub checked: &'static str,
}

/// A genbench dataset whose runs an entry reads: its name and its pixel levels (2: binarized).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Ours {
    /// The dataset's name in the manifests.
    pub dataset: &'static str,
    /// Grey levels of its images as the runs recorded them (2 for binarized).
    pub levels: u32,
}

/// One row of the section: a family's closest published result beside genbench's.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Entry {
    /// genbench's family.
    pub family: &'static str,
    /// The manifests' model names this row reads (experiments/benchmark*.toml, quick.toml, ...).
    pub models: &'static [&'static str],
    /// The column genbench's side reads, and the unit of both sides.
    pub measure: Measure,
    /// The genbench datasets closest to the paper's, in order.
    pub ours: &'static [Ours],
    /// The published number, `None` where none was found or none exists.
    pub published: Option<Published>,
    /// How far apart the two numbers are.
    pub comparability: Comparability,
    /// The protocol differences, in words (or, without a number, what was searched).
    pub differences: &'static str,
}

const fn at(dataset: &'static str, levels: u32) -> Ours {
    Ours { dataset, levels }
}
const BINARIZED: &[Ours] = &[at("mnist5k", 2)];
const GREY: &[Ours] = &[
    at("mnist5k", 256),
    at("fashion-mnist", 256),
    at("digits", 17),
];

/// Training images of each genbench dataset at the benchmark's defaults (test_fraction 0.2 where
/// there is no official split, 10 % of the training set held out for validation).
pub const TRAIN_SIZES: &[(&str, &str)] = &[
    (
        "mnist5k",
        "3,600 on MNIST-5k (4,000 train less 400 for validation)",
    ),
    (
        "fashion-mnist",
        "54,000 on Fashion-MNIST (60,000 less 6,000 for validation)",
    ),
    ("digits", "1,293 on digits (1,437 less 144 for validation)"),
];
/// How genbench binarizes, against the papers' binarized MNIST.
pub const BINARIZATION: &str = "binarization: ours draws each pixel once per image, 1 with probability k/255 (fixed per split_seed, not resampled during training)";

/// genbench's unconditional DDPMs (the classifier-free-guided one's NLL is −log p(x | y)).
const DDPM_MODELS: &[&str] = &[
    "ddpm-unet",
    "ddpm",
    "ddpm-mlp",
    "ddpm-simple",
    "ddpm-hybrid",
    "ddpm-unet-hybrid",
];
/// Ho et al.'s Table 1 gives both DDPM numbers.
const DDPM: Citation = Citation {
    authors: "Ho, Jain & Abbeel",
    year: 2020,
    title: "Denoising Diffusion Probabilistic Models",
    venue: "NeurIPS",
    table: "Table 1",
};

/// Every entry, in the order of genbench's families.
pub const ENTRIES: &[Entry] = &[
    Entry {
        family: "gmm",
        models: &["gmm-diag", "gmm"],
        measure: Measure::NllNats,
        ours: BINARIZED,
        published: None,
        comparability: Comparability::SameTask,
        differences: "No published NLL of a Gaussian mixture on MNIST pixels was found in the sources searched (paper pages, reference implementations' READMEs). Mixture baselines on binarized MNIST in the literature are mixtures of Bernoullis, a different model; their numbers were not confirmed, so none is given.",
    },
    Entry {
        family: "autoregressive",
        models: &["made"],
        measure: Measure::NllNats,
        ours: BINARIZED,
        published: Some(Published {
            model: "MADE trained with 32 masks, its best binarized-MNIST result",
            dataset: "binarized MNIST, test set",
            value: "86.64",
            kind: "exact NLL",
            citation: Citation {
                authors: "Germain, Gregor, Murray & Larochelle",
                year: 2015,
                title: "MADE: Masked Autoencoder for Distribution Estimation",
                venue: "ICML",
                table: "Table 6",
            },
            checked: "86.64 listed as MADE's binarized-MNIST NLL by a results index of the paper (wizwand.com); its 32-mask configuration and the table number as known to this table's author, not re-seen; the single-mask number, remembered as 88.40, reads 88.04 in a secondary source (the README of EugenHotaj/pytorch-generative), so it is not used",
        }),
        comparability: Comparability::SameTask,
        differences: "The paper's dataset is the standard fixed binarized MNIST (one stochastic draw per image, 50,000 train + 10,000 validation); 86.64 comes from training with 32 masks (orderings and connectivities), ours trains one ordering and one mask with low-rank per-pixel logits; the paper's single-mask number is higher (worse) but could not be confirmed",
    },
    Entry {
        family: "autoregressive",
        models: &["pixelcnn"],
        measure: Measure::NllNats,
        ours: BINARIZED,
        published: Some(Published {
            model: "PixelCNN",
            dataset: "binarized MNIST, test set",
            value: "81.30",
            kind: "exact NLL",
            citation: Citation {
                authors: "van den Oord, Kalchbrenner & Kavukcuoglu",
                year: 2016,
                title: "Pixel Recurrent Neural Networks",
                venue: "ICML",
                table: "Table 4",
            },
            checked: "81.30 (PixelRNN 79.20) listed for the paper on binarized MNIST by two results indexes (paperswithcode.com, sotaverified.org); the table number not re-seen",
        }),
        comparability: Comparability::SameTask,
        differences: "The paper's PixelCNN is the original masked-convolution model, ours a gated PixelCNN (its size in the dataset section's arch); both exact, so the gap is model and data, not the bound",
    },
    Entry {
        family: "vae",
        models: &["vae-conv", "vae"],
        measure: Measure::NllNats,
        ours: BINARIZED,
        published: Some(Published {
            model: "VAE, 1 stochastic layer, trained with k = 1",
            dataset: "MNIST, dynamically binarized, test set",
            value: "86.76",
            kind: "IWAE bound, k = 5000",
            citation: Citation {
                authors: "Burda, Grosse & Salakhutdinov",
                year: 2016,
                title: "Importance Weighted Autoencoders",
                venue: "ICLR",
                table: "Table 1",
            },
            checked: "86.76 for the 1-stochastic-layer VAE (VAE and IWAE coincide at k = 1) quoted from the paper, with its k = 5000 evaluation, in the README of nbip/IWAE, a reproduction; dynamic binarization per that README and a review of the paper by Larochelle; the table number not re-seen",
        }),
        comparability: Comparability::SameTask,
        differences: "Evaluation: the paper estimates the NLL with k = 5000 importance samples, ours with the k in the kind (a smaller k gives a looser, higher bound); binarization: the paper resamples each pixel every time an image is used (dynamic, a form of augmentation), ours is fixed; the paper's networks are MLPs, ours convolutional",
    },
    Entry {
        family: "gan",
        models: &["dcgan-ns", "dcgan-wgan-gp"],
        measure: Measure::Fd,
        ours: GREY,
        published: None,
        comparability: Comparability::NotComparable,
        differences: "A GAN has no likelihood: its NLL is `unavailable`, never a number. Published GAN results are FIDs in Inception features (e.g. Lucic et al. 2018, \"Are GANs Created Equal?\", NeurIPS, report them on MNIST and Fashion-MNIST); our FID-approx is the Fréchet distance in genbench's own classifier's features, a different quantity, and the published values were not confirmed in the sources searched, so none is given",
    },
    Entry {
        family: "flow",
        models: &["realnvp"],
        measure: Measure::NllBpd,
        ours: GREY,
        published: Some(Published {
            model: "Real NVP, multi-scale",
            dataset: "CIFAR-10, test set",
            value: "3.49",
            kind: "dequantized NLL, a bound on the discrete NLL",
            citation: Citation {
                authors: "Dinh, Sohl-Dickstein & Bengio",
                year: 2017,
                title: "Density estimation using Real NVP",
                venue: "ICLR",
                table: "Table 1",
            },
            checked: "seen in the paper's text (Table 1, \"Bits/dim results for CIFAR-10, Imagenet, LSUN datasets and CelebA. Test results for CIFAR-10\"; section 4.1 for jittering, the logit with alpha = 0.05 and horizontal flips); the same 3.49 in Glow's Table 2",
        }),
        comparability: Comparability::OtherDataset,
        differences: "Another dataset: 32x32 colour natural images (50,000 train, with horizontal flips) against our grey digits or clothes, so bits/dim differ by data, not only by model; both dequantize with uniform noise and model logit-transformed pixels. The paper has no MNIST result; the MAF paper (Papamakarios et al. 2017) reports Real NVP on MNIST in logit space, which is not our pixel-space unit without each image's Jacobian, so it is not used",
    },
    Entry {
        family: "diffusion",
        models: DDPM_MODELS,
        measure: Measure::NllBpd,
        ours: GREY,
        published: Some(Published {
            model: "DDPM, L_simple, T = 1000 (the FID 3.17 model)",
            dataset: "CIFAR-10, test set",
            value: "3.75",
            kind: "variational bound, vlb-1000",
            citation: DDPM,
            checked: "seen in the paper's text (Table 1, \"CIFAR10 results. NLL measured in bits/dim\"): ≤ 3.75 (train 3.72) for L_simple, ≤ 3.70 (train 3.69) for the true bound L",
        }),
        comparability: Comparability::OtherDataset,
        differences: "Another dataset (CIFAR-10, 50,000 colour training images); the paper's bound is over the full test set, ours over the test images in the NLL n; the model trained on the true bound L reaches ≤ 3.70",
    },
    Entry {
        family: "diffusion",
        models: DDPM_MODELS,
        measure: Measure::Fd,
        ours: GREY,
        published: Some(Published {
            model: "DDPM, L_simple, T = 1000",
            dataset: "CIFAR-10",
            value: "3.17",
            kind: "FID, Inception features",
            citation: DDPM,
            checked: "seen in the paper's text (abstract and Table 1: FID 3.17, IS 9.46)",
        }),
        comparability: Comparability::NotComparable,
        differences: "Feature network: the published FID uses Inception features of colour images, our FID-approx genbench's own classifier trained on the dataset, with the sample count in its n; shown as context only",
    },
    Entry {
        family: "diffusion",
        models: &["vdm-unet", "vdm", "vdm-mlp"],
        measure: Measure::NllBpd,
        ours: GREY,
        published: Some(Published {
            model: "VDM, learned noise schedule, Fourier features",
            dataset: "CIFAR-10 without data augmentation, test set",
            value: "2.65",
            kind: "continuous-time variational bound, vdm-cont",
            citation: Citation {
                authors: "Kingma, Salimans, Poole & Ho",
                year: 2021,
                title: "Variational Diffusion Models",
                venue: "NeurIPS",
                table: "Table 1",
            },
            checked: "2.65 bits/dim on CIFAR-10 listed for the paper by paperswithcode.com; Table 1 (\"Summary of our findings for density modeling tasks\") named as its results table in notes on the paper, its cells not re-seen",
        }),
        comparability: Comparability::OtherDataset,
        differences: "Another dataset (CIFAR-10, 50,000 colour images); the paper's bound uses its full test set, ours the test images in the NLL n, and its model is far larger than ours",
    },
    Entry {
        family: "template",
        models: &["template", "template-jitter", "template-deformed"],
        measure: Measure::NllNats,
        ours: BINARIZED,
        published: None,
        comparability: Comparability::SameTask,
        differences: "Template synthesis (training images replayed, likelihood by a kernel density estimate over the training set) is a baseline with no published number of its own on MNIST; none was found in the sources searched",
    },
    Entry {
        family: "texture",
        models: &["texture"],
        measure: Measure::Fd,
        ours: GREY,
        published: None,
        comparability: Comparability::NotComparable,
        differences: "Efros & Leung (1999) report no quantitative score: texture synthesis has no likelihood, and no published FID of it on MNIST-like data was found in the sources searched",
    },
];
