//! The scaling workload (benches/gen.py): the effective values of pro that `infrac eval` prints
//! equal those of an independent reference that applies the overrides in order.

mod common;

use std::process::Command;

use common::*;

fn check_size(size: &str) {
    let dir = tempfile::tempdir().expect("temp dir");
    let (ok, output) = run(Command::new("python3")
        .arg(repo_root().join("benches/gen.py"))
        .arg(size)
        .arg(dir.path())
        .arg("--reference"));
    assert!(ok, "gen.py failed: {output}");
    let eval = Command::new(env!("CARGO_BIN_EXE_infrac"))
        .arg("eval")
        .arg(dir.path().join("pro.infra"))
        .output()
        .expect("run infrac eval");
    assert!(
        eval.status.success(),
        "{}",
        String::from_utf8_lossy(&eval.stderr)
    );
    let effective: serde_json::Value =
        serde_json::from_slice(&eval.stdout).expect("eval prints JSON");
    let reference: serde_json::Value =
        serde_json::from_str(&read(&dir.path().join("reference-pro.json")))
            .expect("reference JSON");
    let mut compared = 0;
    for (layer, instances) in reference.as_object().expect("layers") {
        for (instance, attrs) in instances.as_object().expect("instances") {
            let inputs = &effective["layers"][layer]["instances"][instance]["inputs"];
            for (attr, want) in attrs.as_object().expect("attributes") {
                let got = &inputs[attr];
                let same = match (got.as_f64(), want.as_f64()) {
                    (Some(a), Some(b)) => a == b,
                    _ => got == want,
                };
                assert!(
                    same,
                    "{layer}.{instance}.{attr}: infrac {got}, reference {want}"
                );
                compared += 1;
            }
        }
    }
    assert!(compared > 400, "compared only {compared} values");
}

#[test]
fn small_workload_matches_the_reference() {
    check_size("small");
}

#[test]
fn medium_workload_matches_the_reference() {
    check_size("medium");
}
