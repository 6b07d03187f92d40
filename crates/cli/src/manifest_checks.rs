//! The checks of a manifest's own values, which need no data: the experiment name and output
//! folder, `[eval]`, the device. [`crate::manifest::load`] makes them as it parses; a failure is
//! one [`UsageError`] naming `file:line` and the key (exit 2).

use crate::source::{KeyPath, Source};
use crate::usage::UsageError;
use genbench_core::DeviceChoice;
use std::path::Path;

/// The experiment name is one plain folder name; the output folder, when given, is not empty
/// and not the working folder itself.
pub fn check_names(src: &Source, name: &str, output: Option<&Path>) -> Result<(), UsageError> {
    let plain = !name.is_empty()
        && !name.starts_with('.')
        && name.len() <= 100
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'));
    if !plain {
        return Err(src.error(
            &KeyPath::root().key("name"),
            format!(
                "`{name}` is not a plain folder name (letters, digits, '-', '_' and '.', not starting with '.'); results go to results/<name>/, set `output` for another folder"
            ),
        ));
    }
    if let Some(out) = output {
        let text = out.as_os_str().to_string_lossy();
        if text.trim().is_empty() || out == Path::new(".") || out == Path::new("./") {
            return Err(src.error(
                &KeyPath::root().key("output"),
                format!("`{text}` would write into the working folder itself; name a folder for the results"),
            ));
        }
    }
    Ok(())
}

/// `[eval]` values every run can be scored with.
pub fn check_eval(src: &Source, eval: &genbench_eval::EvalOptions) -> Result<(), UsageError> {
    let key = |k: &str| KeyPath::root().key("eval").key(k);
    let fail = |k: &str, msg: String| Err(src.error(&key(k), msg));
    if eval.samples < 2 {
        return fail(
            "samples",
            format!(
                "must be at least 2 (a covariance needs 2 samples), got {}",
                eval.samples
            ),
        );
    }
    if eval.kid_subsets < 1 {
        return fail("kid_subsets", "must be at least 1, got 0".into());
    }
    if eval.kid_subset_size < 2 {
        return fail(
            "kid_subset_size",
            format!(
                "must be at least 2 (the unbiased MMD needs pairs), got {}",
                eval.kid_subset_size
            ),
        );
    }
    if (eval.eval_every > 0 || eval.anytime) && eval.eval_examples < 1 {
        return fail(
            "eval_examples",
            "must be at least 1 when eval_every is set".into(),
        );
    }
    Ok(())
}

/// The device exists in this build (CUDA only with `--features cuda`).
pub fn check_device(src: &Source, device: DeviceChoice, from_flag: bool) -> Result<(), UsageError> {
    match device.device() {
        Ok(_) => Ok(()),
        Err(e) if from_flag => Err(UsageError::new(format!("--device {device}: {e}"))),
        Err(e) => Err(src.error(&KeyPath::root().key("device"), e)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_must_be_plain_folders() {
        let text = "name = \"x\"\noutput = \"\"\n";
        let src = Source::new(Path::new("m.toml"), text);
        for bad in ["", "../../etc", "/etc", "a/b", "..", ".hidden"] {
            let e = check_names(&src, bad, None).unwrap_err();
            assert!(e.0.starts_with("m.toml:1: name: "), "{bad}: {}", e.0);
        }
        assert!(check_names(&src, "quick-2.v1", None).is_ok());
        let e = check_names(&src, "ok", Some(Path::new(""))).unwrap_err();
        assert!(e.0.starts_with("m.toml:2: output: "), "{}", e.0);
    }
}
