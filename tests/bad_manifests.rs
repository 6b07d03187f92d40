//! A generated corpus of bad manifests: every committed manifest in experiments/, mutated at every
//! level (unknown keys, values of the wrong type, values out of range, missing keys, hostile
//! names), each run through `genbench run`. Every one must exit 2 with exactly one `error:` line
//! that names the file and its line, write nothing, and never panic.
//!
//! The checks run before any dataset-heavy or training work, so the corpus takes seconds.
#![allow(clippy::unwrap_used)] // test setup: a failed write is a failed test

mod common;

use common::{fake_idx_folder, genbench, tree};
use std::path::Path;
use toml::{Table, Value};

/// One bad manifest: what was changed, and the TOML (`@DIR@` stands for the case's folder).
struct Case {
    label: String,
    text: String,
}

/// The committed run manifests, with Fashion-MNIST pointed at a small fake IDX folder.
fn bases(fake_data: &Path) -> Vec<(String, Table)> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("experiments");
    let mut out = Vec::new();
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "toml"))
        .collect();
    files.sort();
    for path in files {
        let mut table: Table = toml::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
        if !table.contains_key("models") {
            continue; // not a run manifest (bench.toml lists `genbench bench` workloads)
        }
        if let Some(Value::Array(datasets)) = table.get_mut("datasets") {
            for d in datasets {
                let d = d.as_table_mut().unwrap();
                if d["name"].as_str() == Some("fashion-mnist") {
                    let dir = fake_data.display().to_string();
                    d.insert("data_dir".into(), Value::String(dir));
                }
            }
        }
        let stem = path.file_stem().unwrap().to_string_lossy().into_owned();
        out.push((stem, table));
    }
    out
}

/// A value of another type than `v` (a string for everything but strings, which get an integer):
/// wrong for every key of every table, since no key takes two types.
fn wrong_type(v: &Value) -> Value {
    match v {
        Value::String(_) => Value::Integer(7),
        Value::Array(_) => Value::Boolean(true),
        _ => Value::String("wrong-type".into()),
    }
}

fn set(
    table: &Table,
    path: &[&str],
    index: Option<usize>,
    key: &str,
    value: Option<Value>,
) -> Table {
    let mut t = table.clone();
    let mut at: &mut Table = &mut t;
    for (i, p) in path.iter().enumerate() {
        let next = at
            .entry(p.to_string())
            .or_insert_with(|| Value::Table(Table::new()));
        at = match next {
            Value::Array(a) => a[index.unwrap()].as_table_mut().unwrap(),
            Value::Table(inner) => inner,
            _ => panic!("{path:?} at {i}"),
        };
    }
    match value {
        Some(v) => at.insert(key.to_string(), v),
        None => at.remove(key),
    };
    t
}

fn mutations(name: &str, base: &Table) -> Vec<Case> {
    let mut cases = Vec::new();
    let mut push = |label: String, t: Table| {
        cases.push(Case {
            label: format!("{name}: {label}"),
            text: toml::to_string(&t).unwrap(),
        });
    };
    let s = |v: &str| Some(Value::String(v.into()));
    let i = |v: i64| Some(Value::Integer(v));
    let f = |v: f64| Some(Value::Float(v));

    // The top level: unknown key, missing and hostile values.
    push(
        "unknown top-level key".into(),
        set(base, &[], None, "nmae", s("x")),
    );
    for key in ["name", "datasets", "models"] {
        push(format!("no `{key}`"), set(base, &[], None, key, None));
    }
    for (label, v) in [
        ("empty name", s("")),
        ("name escapes results/", s("../../etc")),
        ("name with a slash", s("a/b")),
        ("absolute name", s("@DIR@/abs")),
        ("name is a number", i(3)),
        ("name is dot-dot", s("..")),
    ] {
        push(label.into(), set(base, &[], None, "name", v));
    }
    push("empty output".into(), set(base, &[], None, "output", s("")));
    push(
        "output is a number".into(),
        set(base, &[], None, "output", i(5)),
    );
    push(
        "no seeds".into(),
        set(base, &[], None, "seeds", Some(Value::Array(vec![]))),
    );
    push(
        "seeds is a string".into(),
        set(base, &[], None, "seeds", s("0")),
    );
    push(
        "negative seed".into(),
        set(
            base,
            &[],
            None,
            "seeds",
            Some(Value::Array(vec![Value::Integer(-1)])),
        ),
    );
    push(
        "unknown device".into(),
        set(base, &[], None, "device", s("tpu")),
    );
    push(
        "cuda in a build without it".into(),
        set(base, &[], None, "device", s("cuda")),
    );
    push(
        "no datasets tables".into(),
        set(base, &[], None, "datasets", Some(Value::Array(vec![]))),
    );
    push(
        "no models tables".into(),
        set(base, &[], None, "models", Some(Value::Array(vec![]))),
    );

    // [eval].
    push(
        "unknown [eval] key".into(),
        set(base, &["eval"], None, "sampels", i(10)),
    );
    for (key, v) in [
        ("samples", i(0)),
        ("samples", i(1)),
        ("samples", i(-5)),
        ("samples", s("many")),
        ("samples", i(100_000_000_000)),
        ("kid_subsets", i(0)),
        ("kid_subset_size", i(1)),
        ("likelihood_examples", f(1.5)),
        ("keep_checkpoint", s("yes")),
    ] {
        push(
            format!("eval.{key} = {v:?}"),
            set(base, &["eval"], None, key, v),
        );
    }
    push("eval_every without examples".into(), {
        let t = set(base, &["eval"], None, "eval_every", i(10));
        set(&t, &["eval"], None, "eval_examples", i(0))
    });

    // Every [[datasets]] table.
    let datasets = base["datasets"].as_array().unwrap();
    for (d, table) in datasets.iter().enumerate() {
        let dname = table["name"].as_str().unwrap();
        let at = |key: &str, v: Option<Value>| set(base, &["datasets"], Some(d), key, v);
        push(format!("datasets[{d}] unknown key"), at("nmae", s("x")));
        push(
            format!("datasets[{d}] unknown dataset"),
            at("name", s("nope")),
        );
        push(format!("datasets[{d}] name is a number"), at("name", i(5)));
        push(
            format!("datasets[{d}] train_size = 0"),
            at("train_size", i(0)),
        );
        push(
            format!("datasets[{d}] test_size = -3"),
            at("test_size", i(-3)),
        );
        push(
            format!("datasets[{d}] binarize is a string"),
            at("binarize", s("yes")),
        );
        let image = matches!(dname, "digits" | "mnist5k" | "fashion-mnist" | "mnist");
        if image {
            push(format!("datasets[{d}] levels = 300"), at("levels", i(300)));
            push(format!("datasets[{d}] levels = 1"), at("levels", i(1)));
            push(
                format!("datasets[{d}] test_size = 1"),
                at("test_size", i(1)),
            );
        } else {
            push(format!("datasets[{d}] levels on 2-D"), at("levels", i(4)));
            push(
                format!("datasets[{d}] huge train_size"),
                at("train_size", i(1_000_000_000_000)),
            );
            push(
                format!("datasets[{d}] data_dir on 2-D"),
                at("data_dir", s("somewhere")),
            );
        }
        if dname == "digits" {
            push(format!("datasets[{d}] levels = 18"), at("levels", i(18)));
            push(
                format!("datasets[{d}] test_fraction = 1.5"),
                at("test_fraction", f(1.5)),
            );
        }
    }

    // Every [[models]] table and its [models.config].
    let models = base["models"].as_array().unwrap();
    for (m, table) in models.iter().enumerate() {
        let table = table.as_table().unwrap();
        let at = |key: &str, v: Option<Value>| set(base, &["models"], Some(m), key, v);
        push(format!("models[{m}] unknown key"), at("stepz", i(3)));
        push(
            format!("models[{m}] unknown family"),
            at("family", s("nope")),
        );
        push(format!("models[{m}] hostile name"), at("name", s("../x")));
        push(
            format!("models[{m}] batch_size = \"half\""),
            at("batch_size", s("half")),
        );
        push(
            format!("models[{m}] learning_rate = nan"),
            at("learning_rate", f(f64::NAN)),
        );
        push(
            format!("models[{m}] datasets = []"),
            at("datasets", Some(Value::Array(vec![]))),
        );
        push(
            format!("models[{m}] conditional is a string"),
            at("conditional", s("yes")),
        );
        let budget = if table.contains_key("steps") {
            "steps"
        } else {
            "seconds"
        };
        push(format!("models[{m}] {budget} = 0"), at(budget, i(0)));
        push(format!("models[{m}] no budget"), at(budget, None));
        push(
            format!("models[{m}] config unknown key"),
            set(base, &["models", "config"], Some(m), "nope", i(1)),
        );
        if let Some(Value::Table(config)) = table.get("config") {
            for (key, v) in config {
                push(
                    format!("models[{m}].config.{key} of the wrong type"),
                    set(
                        base,
                        &["models", "config"],
                        Some(m),
                        key,
                        Some(wrong_type(v)),
                    ),
                );
            }
        }
    }
    cases
}

/// Run one case in its own folder: exit 2, one `error: m.toml:LINE:` line, nothing written.
fn check(case: &Case) -> Result<(), String> {
    let dir = tempfile::tempdir().unwrap();
    let text = case
        .text
        .replace("@DIR@", &dir.path().display().to_string());
    std::fs::write(dir.path().join("m.toml"), &text).unwrap();
    let out = genbench(&["run", "m.toml"], dir.path());
    let err = String::from_utf8_lossy(&out.stderr).into_owned();
    let line_named = err
        .strip_prefix("error: m.toml:")
        .and_then(|rest| rest.split(':').next())
        .is_some_and(|n| !n.is_empty() && n.chars().all(|c| c.is_ascii_digit()));
    let problems = [
        (out.status.code() != Some(2), "exit code is not 2"),
        (
            !line_named,
            "the error does not start with `error: m.toml:LINE:`",
        ),
        (err.trim_end().lines().count() != 1, "not exactly one line"),
        (err.contains("panicked"), "panic"),
        (tree(dir.path()) != ["m.toml"], "something was written"),
    ];
    let failed: Vec<&str> = problems.iter().filter(|p| p.0).map(|p| p.1).collect();
    if failed.is_empty() {
        Ok(())
    } else {
        Err(format!(
            "{}: {} (exit {:?}; wrote {:?})\n  stderr: {}",
            case.label,
            failed.join(", "),
            out.status.code(),
            tree(dir.path()),
            err.trim_end()
        ))
    }
}

#[test]
fn every_bad_manifest_is_refused_before_anything_is_written() {
    let data = tempfile::tempdir().unwrap();
    fake_idx_folder(data.path(), 40, 20, 10);
    let bases = bases(data.path());
    // Each unmutated manifest passes every check (so what the corpus changes is what is bad).
    for (name, table) in &bases {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("m.toml"), toml::to_string(table).unwrap()).unwrap();
        let out = genbench(&["plan", "m.toml"], dir.path());
        assert_eq!(
            out.status.code(),
            Some(0),
            "{name}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let cases: Vec<Case> = bases.iter().flat_map(|(n, t)| mutations(n, t)).collect();
    assert!(cases.len() >= 100, "only {} cases", cases.len());
    let failures: Vec<String> = std::thread::scope(|s| {
        let half = cases.len() / 2;
        let (a, b) = cases.split_at(half);
        let run = |part: &[Case]| {
            part.iter()
                .filter_map(|c| check(c).err())
                .collect::<Vec<_>>()
        };
        let first = s.spawn(move || run(a));
        let mut out = run(b);
        out.extend(first.join().unwrap());
        out
    });
    eprintln!(
        "bad manifests: {} tried, {} clean (exit 2, one line naming file:line, nothing written)",
        cases.len(),
        cases.len() - failures.len()
    );
    assert!(
        failures.is_empty(),
        "{} of {} failed:\n{}",
        failures.len(),
        cases.len(),
        failures.join("\n")
    );
}
