//! Runs every fixture in `fixtures/check/`: each file's inline annotations are its expectations.

#[test]
fn check_fixtures() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/check");
    let mut entries: Vec<_> = std::fs::read_dir(&dir)
        .expect("fixtures/check exists")
        .flatten()
        .map(|e| e.path())
        .collect();
    entries.sort();
    let mut failures = Vec::new();
    let mut count = 0;
    for path in entries
        .iter()
        .filter(|p| p.extension().is_some_and(|e| e == "infra"))
    {
        count += 1;
        let fixture = std::fs::read_to_string(path).expect("read fixture");
        if let Err(report) = infrac_tests::check_fixture(&fixture) {
            failures.push(format!("{}:\n{report}", path.display()));
        }
    }
    assert!(count > 0, "no fixtures found in {}", dir.display());
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}
