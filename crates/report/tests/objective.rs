//! The families table and the training curves say what each model's train.csv `loss` is, as
//! the CLI's family registry reads it from the runs' config.json.
#![allow(missing_docs, clippy::unwrap_used)] // test code: an unwrap is an assertion

mod common;

/// A stand-in registry: the loss of a run is named after its family and its config's `k`.
fn objective(family: &str, config: &serde_json::Value) -> Option<String> {
    Some(format!("{family} loss of {}, nats", config["k"].as_str()?))
}

#[test]
fn each_model_is_labelled_with_its_recorded_loss() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let rows = common::write_fixture(dir, &[0, 1], &|_| true);
    common::write_summary(dir, &rows);
    for row in &rows {
        let (id, family, model) = (&row["run_id"], &row["family"], &row["model"]);
        // made's seed 0 records no config: its label comes from seed 1, the next finished seed.
        let config = serde_json::json!({ "family": family, "config": { "k": model } });
        if !(model == "made" && id.ends_with("s0")) {
            std::fs::write(
                dir.join("runs").join(id).join("config.json"),
                config.to_string(),
            )
            .unwrap();
        }
    }
    let order = common::family_order();
    genbench_report::write_report_planned(dir, &order, None, objective).unwrap();
    let md = std::fs::read_to_string(dir.join("REPORT.md")).unwrap();
    assert!(md.contains("| training loss (train.csv's `loss`) |"));
    for row in &rows {
        let (family, model) = (&row["family"], &row["model"]);
        let label = format!("{family} loss of {model}, nats");
        assert!(
            md.contains(&format!("| {label} |")),
            "families table lacks {label}"
        );
        assert!(
            md.contains(&format!("{model} training loss ({label}) against step")),
            "curve caption lacks {label}"
        );
    }

    // Without a registry (genbench_report::write_report), nothing is claimed.
    genbench_report::write_report(dir, &order).unwrap();
    let md = std::fs::read_to_string(dir.join("REPORT.md")).unwrap();
    assert!(!md.contains("loss of"));
    assert!(md.contains("training loss against step"));
}
