//! Criterion benchmarks of the compiler's phases on the scaling workload (benches/gen.py).
//!
//! Phases: parse (the fast path, and pest alone for comparison), merge (`effective_config`), type
//! check (`env_model` and `check_env`), layer graph (`order_layers`) and emission (`emit`), on the
//! small, medium and large sizes of pro. Each salsa phase runs on a fresh database whose earlier
//! phases were computed outside the measurement.
//!
//! `cargo bench -p infrac --bench pipeline`; `INFRAC_BENCH_SIZES=small,medium` limits the sizes.

use std::collections::HashMap;
use std::hint::black_box;
use std::path::{Path, PathBuf};
use std::time::Duration;

use criterion::{criterion_group, criterion_main, BatchSize, Criterion};

use infrac_core::config::{effective_config, layer_config, EnvName, LayerName};
use infrac_core::db::{parse_file, RootDatabase, Workspace};
use infrac_core::model::env_model;
use infrac_core::project::project_index;
use infrac_emit::analysis::{check_env, load_project};

/// Generates a workload size once per run, into Cargo's temporary directory for benchmarks.
fn workload(size: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("workload-{size}"));
    if !dir.join("pro.infra").is_file() {
        let generator = Path::new(env!("CARGO_MANIFEST_DIR")).join("../benches/gen.py");
        let status = std::process::Command::new("python3")
            .arg(generator)
            .arg(size)
            .arg(&dir)
            .status()
            .expect("python3 runs benches/gen.py");
        assert!(status.success(), "gen.py {size} failed");
    }
    dir
}

fn sizes() -> Vec<String> {
    std::env::var("INFRAC_BENCH_SIZES")
        .unwrap_or_else(|_| "small,medium,large".into())
        .split(',')
        .map(str::to_string)
        .collect()
}

/// A database with the project loaded and its files parsed.
fn loaded(dir: &Path) -> (RootDatabase, Workspace) {
    let mut db = RootDatabase::default();
    let (workspace, _) = load_project(&mut db, dir);
    for &file in workspace.files(&db) {
        parse_file(&db, file);
    }
    project_index(&db, workspace);
    (db, workspace)
}

/// The merged configuration of pro: the environment's own and every layer's; the number of
/// instances merged.
fn merge_pro(db: &RootDatabase, workspace: Workspace) -> usize {
    let env = EnvName::new(db, "pro".to_string());
    effective_config(db, workspace, env);
    project_index(db, workspace)
        .layers
        .keys()
        .map(|name| {
            let layer = LayerName::new(db, name.clone());
            layer_config(db, workspace, env, layer).instances.len()
        })
        .sum()
}

fn pipeline(c: &mut Criterion) {
    for size in sizes() {
        let dir = workload(&size);
        let texts: Vec<String> = ["base.infra", "dev.infra", "pre.infra", "pro.infra"]
            .iter()
            .map(|name| std::fs::read_to_string(dir.join(name)).expect("workload file"))
            .collect();
        let mut group = c.benchmark_group(size.as_str());
        group
            .sample_size(10)
            .warm_up_time(Duration::from_millis(500))
            .measurement_time(Duration::from_secs(3));

        group.bench_function("parse", |b| {
            b.iter(|| {
                texts
                    .iter()
                    .map(|text| infrac_syntax::parse(text).items.len())
                    .sum::<usize>()
            })
        });
        group.bench_function("parse_pest", |b| {
            b.iter(|| {
                texts
                    .iter()
                    .map(|text| infrac_syntax::parse_with_pest(text).items.len())
                    .sum::<usize>()
            })
        });
        group.bench_function("merge", |b| {
            b.iter_batched(
                || loaded(&dir),
                // The database is returned, so that freeing it is not measured.
                |(db, workspace)| {
                    black_box(merge_pro(&db, workspace));
                    (db, workspace)
                },
                BatchSize::PerIteration,
            )
        });
        group.bench_function("check", |b| {
            b.iter_batched(
                || {
                    let (db, workspace) = loaded(&dir);
                    merge_pro(&db, workspace);
                    (db, workspace)
                },
                |(db, workspace)| {
                    let env = EnvName::new(&db, "pro".to_string());
                    black_box(check_env(&db, workspace, env).len());
                    (db, workspace)
                },
                BatchSize::PerIteration,
            )
        });

        let (db, workspace) = loaded(&dir);
        let env = EnvName::new(&db, "pro".to_string());
        let model = env_model(&db, workspace, env);
        let declared: HashMap<String, (usize, usize)> = model
            .layers
            .iter()
            .enumerate()
            .map(|(idx, layer)| (layer.name.clone(), (0, idx)))
            .collect();
        group.bench_function("layer_graph", |b| {
            b.iter_batched(
                || model.layers.iter().map(|l| l.model.clone()).collect(),
                |layers| {
                    let mut diagnostics = Vec::new();
                    infrac_core::layers::order_layers(layers, &declared, &mut diagnostics)
                },
                BatchSize::LargeInput,
            )
        });
        group.bench_function("emit", |b| {
            b.iter(|| infrac_emit::emit::emit(model, "pro.infra").files.len())
        });
        group.finish();
    }
}

criterion_group!(benches, pipeline);
criterion_main!(benches);
