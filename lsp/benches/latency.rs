//! Edit-to-diagnostics latency of the real `infrac-lsp` on the scaling workload
//! (`benches/gen.py`, see `../shared/bench-workload.md`). A benchmark, not a timed test.
//!
//! Usage: cargo bench -p infrac-lsp --bench latency [-- SIZE...]   SIZE: small, medium, large
//! (default: medium large). For each size: generates the project, opens base.infra and dev.infra,
//! then times one-line edits from `didChange` to the `publishDiagnostics` of that version: a
//! component attribute in base.infra, which every environment reads, once with a value of the same
//! length and once with one of another length near the top of the file (which moves every item
//! after it); and an override in dev.infra, which only dev reads (`true` <-> `false`, which moves
//! the overrides after it). Prints p50, p95 and max, and the server's peak RSS.

#[path = "../tests/common/mod.rs"]
mod common;

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use common::{Project, Session};
use serde_json::json;

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let idx = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[idx.min(sorted.len() - 1)]
}

fn ms(d: Duration) -> String {
    format!("{:.1} ms", d.as_secs_f64() * 1000.0)
}

/// Peak and current resident set of a process, from /proc (Linux).
fn rss(pid: u32) -> String {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    let field = |name: &str| {
        status
            .lines()
            .find(|l| l.starts_with(name))
            .and_then(|l| l.split_whitespace().nth(1))
            .and_then(|kb| kb.parse::<u64>().ok())
            .map_or("?".to_string(), |kb| {
                format!("{:.0} MB", kb as f64 / 1024.0)
            })
    };
    format!("{} peak, {} now", field("VmHWM:"), field("VmRSS:"))
}

/// Times `rounds` edits of line `line` of `name`, alternating two values.
fn edits(
    session: &mut Session,
    project: &Project,
    name: &str,
    line: usize,
    values: [&str; 2],
    rounds: usize,
    version: &mut i64,
) -> Vec<Duration> {
    let uri = project.uri(name);
    let text = project.text(name);
    let line_text = text.lines().nth(line).expect("the edited line").to_string();
    let mut times = Vec::new();
    let mut current = line_text.clone();
    for round in 0..rounds {
        let next = line_text.replace(values[0], values[round % 2]);
        let next = if next == current {
            line_text.replace(values[0], values[1])
        } else {
            next
        };
        *version += 1;
        let started = Instant::now();
        session.change_range(
            &uri,
            *version,
            json!({"line": line, "character": 0}),
            json!({"line": line, "character": current.encode_utf16().count()}),
            &next,
        );
        session.diagnostics(&uri, Some(*version));
        times.push(started.elapsed());
        current = next;
    }
    times
}

fn main() {
    let mut sizes: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with('-'))
        .collect();
    if sizes.is_empty() {
        sizes = vec!["medium".into(), "large".into()];
    }
    let gen = Path::new(env!("CARGO_MANIFEST_DIR")).join("../benches/gen.py");
    println!("| workload | edit | runs | p50 | p95 | max | server RSS |");
    println!("|---|---|---|---|---|---|---|");
    for size in sizes {
        let project = Project::new("");
        let status = Command::new("python3")
            .arg(&gen)
            .arg(&size)
            .arg(project.dir.path())
            .status()
            .expect("python3 runs benches/gen.py");
        assert!(status.success(), "benches/gen.py {size} failed");
        let rounds = if size == "large" { 30 } else { 60 };
        let started = Instant::now();
        let mut session = Session::start(project.dir.path(), false);
        session.open(&project, "base.infra");
        session.diagnostics(&project.uri("base.infra"), Some(1));
        let first = started.elapsed();
        session.open(&project, "dev.infra");
        session.diagnostics(&project.uri("dev.infra"), Some(1));
        let mut version = 1;
        // The first component's `replicas = N` in base.infra.
        let base_text = project.text("base.infra");
        let base_line = base_text
            .lines()
            .position(|l| l.trim_start().starts_with("replicas = "))
            .expect("a replicas line");
        let replicas = base_text
            .lines()
            .nth(base_line)
            .unwrap_or_default()
            .trim()
            .to_string();
        let value = replicas.trim_start_matches("replicas = ").to_string();
        let other = if value == "5" { "6" } else { "5" };
        let base_values = [value.as_str(), other];
        // Warm up, then measure.
        edits(
            &mut session,
            &project,
            "base.infra",
            base_line,
            base_values,
            5,
            &mut version,
        );
        let mut base = edits(
            &mut session,
            &project,
            "base.infra",
            base_line,
            base_values,
            rounds,
            &mut version,
        );
        // The second component's `replicas = N` with a value of another length: every line after
        // it moves, so the items after it (nearly the whole file) parse again and their layers
        // are evaluated again in every environment. The worst case of a one-line edit today.
        let moving_line = base_text
            .lines()
            .enumerate()
            .filter(|(_, l)| l.trim_start().starts_with("replicas = "))
            .nth(1)
            .map(|(i, _)| i)
            .expect("a second replicas line");
        let moving_value = base_text
            .lines()
            .nth(moving_line)
            .unwrap_or_default()
            .trim()
            .trim_start_matches("replicas = ")
            .to_string();
        let longer_or_shorter = if moving_value.len() == 1 {
            format!("{moving_value}0")
        } else {
            moving_value[..1].to_string()
        };
        let moving_values = [moving_value.as_str(), longer_or_shorter.as_str()];
        edits(
            &mut session,
            &project,
            "base.infra",
            moving_line,
            moving_values,
            5,
            &mut version,
        );
        let mut moving = edits(
            &mut session,
            &project,
            "base.infra",
            moving_line,
            moving_values,
            rounds,
            &mut version,
        );
        let mut dev_version = 1;
        // An override of a bool in dev.infra.
        let dev_text = project.text("dev.infra");
        let dev_line = dev_text
            .lines()
            .position(|l| l.ends_with(" = true") || l.ends_with(" = false"))
            .expect("a bool override in dev.infra");
        let dev_values: [&str; 2] = if dev_text
            .lines()
            .nth(dev_line)
            .is_some_and(|l| l.ends_with("true"))
        {
            ["true", "false"]
        } else {
            ["false", "true"]
        };
        edits(
            &mut session,
            &project,
            "dev.infra",
            dev_line,
            dev_values,
            5,
            &mut dev_version,
        );
        let mut dev = edits(
            &mut session,
            &project,
            "dev.infra",
            dev_line,
            dev_values,
            rounds,
            &mut dev_version,
        );
        let memory = rss(session.pid());
        for (label, times) in [
            ("base.infra (all envs)", &mut base),
            ("base.infra, length changes (all envs)", &mut moving),
            ("dev.infra (dev only)", &mut dev),
        ] {
            times.sort();
            println!(
                "| {size} | {label} | {} | {} | {} | {} | {memory} |",
                times.len(),
                ms(percentile(times, 0.5)),
                ms(percentile(times, 0.95)),
                ms(*times.last().expect("runs")),
            );
        }
        println!(
            "| {size} | open base.infra (first diagnostics) | 1 | {} | | | |",
            ms(first)
        );
        session.shutdown();
    }
}
