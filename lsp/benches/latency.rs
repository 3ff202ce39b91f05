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
//!
//! After each edit's diagnostics, it also makes the requests an editor makes on every change of
//! the file in front of it, and times each: document symbols (outline, breadcrumbs, sticky
//! scroll), semantic tokens (`full/delta` from the previous result, as VS Code asks) and inlay
//! hints of the visible lines (the first 80). Before the edits, right after opening, the same
//! requests in full (`semanticTokens/full`), then the server's resident memory: the footprint
//! of an editor that shows the file, not of diagnostics alone.
//!
//! Edits come at a typing pace: 100 ms pass before each (`INFRAC_BENCH_PAUSE_MS` sets another pause; 0
//! sends them back to back).
//!
//! `INFRAC_LSP_SERVER=PATH` times another build of the server instead of this one: run two builds
//! in turn to compare them on a machine whose speed drifts.

#[path = "../tests/common/mod.rs"]
mod common;

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use common::{Project, Session};
use serde_json::{json, Value};

/// The visible lines an editor asks inlay hints for.
const VISIBLE_LINES: u32 = 80;

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let idx = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[idx.min(sorted.len() - 1)]
}

fn kb(bytes: usize) -> String {
    format!("{:.1} KB", bytes as f64 / 1000.0)
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

/// The times of one kind of step, and the total size of its answers.
#[derive(Default)]
struct Times {
    runs: Vec<Duration>,
    bytes: usize,
}

/// What the editor asks after a change, each timed.
#[derive(Default)]
struct EditorTimes {
    diagnostics: Times,
    symbols: Times,
    tokens: Times,
    hints: Times,
}

/// Sends a request, returns its result and records its time and size.
fn timed(session: &mut Session, times: &mut Times, method: &str, params: Value) -> Value {
    let started = Instant::now();
    let result = session.request(method, params);
    times.runs.push(started.elapsed());
    times.bytes += result.to_string().len();
    result
}

/// The requests an editor makes for the document in front of it: document symbols, semantic
/// tokens (a delta from `previous` when there is one) and the visible lines' inlay hints.
/// Returns the id of the tokens' result.
fn editor_requests(
    session: &mut Session,
    uri: &str,
    previous: Option<&str>,
    times: &mut EditorTimes,
) -> Option<String> {
    // `INFRAC_BENCH_DIAGNOSTICS_ONLY=1`: diagnostics alone, to tell the requests' cost apart.
    if std::env::var_os("INFRAC_BENCH_DIAGNOSTICS_ONLY").is_some() {
        return None;
    }
    let document = json!({"uri": uri});
    timed(
        session,
        &mut times.symbols,
        "textDocument/documentSymbol",
        json!({ "textDocument": document }),
    );
    let tokens = match previous {
        Some(previous) => timed(
            session,
            &mut times.tokens,
            "textDocument/semanticTokens/full/delta",
            json!({"textDocument": document, "previousResultId": previous}),
        ),
        None => timed(
            session,
            &mut times.tokens,
            "textDocument/semanticTokens/full",
            json!({ "textDocument": document }),
        ),
    };
    let range = json!({"start": {"line": 0, "character": 0}, "end": {"line": VISIBLE_LINES, "character": 0}});
    timed(
        session,
        &mut times.hints,
        "textDocument/inlayHint",
        json!({"textDocument": document, "range": range}),
    );
    tokens["resultId"].as_str().map(str::to_string)
}

/// The pause before each edit: a fast typist's ten keystrokes a second, in which the server
/// frees what the previous edit replaced (`State::collect_garbage`). `INFRAC_BENCH_PAUSE_MS`
/// sets another; 0 sends each edit as soon as the previous one's requests are answered.
fn typing_pause() -> Duration {
    let ms = std::env::var("INFRAC_BENCH_PAUSE_MS")
        .ok()
        .and_then(|ms| ms.parse().ok())
        .unwrap_or(100);
    Duration::from_millis(ms)
}

/// One line of a file, edited back and forth between two values.
struct Edit<'a> {
    name: &'a str,
    line: usize,
    values: [&'a str; 2],
}

/// Times `rounds` edits, with the editor's requests after each; `version` is the document's,
/// `tokens_id` its last semantic tokens result.
fn edits(
    session: &mut Session,
    project: &Project,
    edit: &Edit<'_>,
    rounds: usize,
    version: &mut i64,
    tokens_id: &mut Option<String>,
) -> EditorTimes {
    let Edit { name, line, values } = *edit;
    let uri = project.uri(name);
    let text = project.text(name);
    let line_text = text.lines().nth(line).expect("the edited line").to_string();
    let mut times = EditorTimes::default();
    let mut current = line_text.clone();
    let pause = typing_pause();
    for round in 0..rounds {
        std::thread::sleep(pause);
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
        times.diagnostics.runs.push(started.elapsed());
        *tokens_id = editor_requests(session, &uri, tokens_id.as_deref(), &mut times);
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
    println!("| workload | step | runs | p50 | p95 | max | answer size | server RSS |");
    println!("|---|---|---|---|---|---|---|---|");
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
        let server = std::env::var_os("INFRAC_LSP_SERVER")
            .unwrap_or_else(|| env!("CARGO_BIN_EXE_infrac-lsp").into());
        let mut session = Session::start_server(&server, project.dir.path(), false, &[]);
        session.open(&project, "base.infra");
        session.diagnostics(&project.uri("base.infra"), Some(1));
        let first = started.elapsed();
        let after_diagnostics = rss(session.pid());
        // What the editor asks once the file is shown, in full.
        let mut opening = EditorTimes::default();
        let mut base_tokens =
            editor_requests(&mut session, &project.uri("base.infra"), None, &mut opening);
        let after_editor = rss(session.pid());
        session.open(&project, "dev.infra");
        session.diagnostics(&project.uri("dev.infra"), Some(1));
        let mut dev_tokens =
            editor_requests(&mut session, &project.uri("dev.infra"), None, &mut opening);
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
            &Edit {
                name: "base.infra",
                line: base_line,
                values: base_values,
            },
            5,
            &mut version,
            &mut base_tokens,
        );
        let base = edits(
            &mut session,
            &project,
            &Edit {
                name: "base.infra",
                line: base_line,
                values: base_values,
            },
            rounds,
            &mut version,
            &mut base_tokens,
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
            &Edit {
                name: "base.infra",
                line: moving_line,
                values: moving_values,
            },
            5,
            &mut version,
            &mut base_tokens,
        );
        let moving = edits(
            &mut session,
            &project,
            &Edit {
                name: "base.infra",
                line: moving_line,
                values: moving_values,
            },
            rounds,
            &mut version,
            &mut base_tokens,
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
            &Edit {
                name: "dev.infra",
                line: dev_line,
                values: dev_values,
            },
            5,
            &mut dev_version,
            &mut dev_tokens,
        );
        let dev = edits(
            &mut session,
            &project,
            &Edit {
                name: "dev.infra",
                line: dev_line,
                values: dev_values,
            },
            rounds,
            &mut dev_version,
            &mut dev_tokens,
        );
        let memory = rss(session.pid());
        let row = |label: &str, times: &Times, memory: &str| {
            let mut runs = times.runs.clone();
            if runs.is_empty() {
                // Requests left out (`INFRAC_BENCH_DIAGNOSTICS_ONLY`).
                return;
            }
            runs.sort();
            println!(
                "| {size} | {label} | {} | {} | {} | {} | {} | {memory} |",
                runs.len(),
                ms(percentile(&runs, 0.5)),
                ms(percentile(&runs, 0.95)),
                ms(*runs.last().expect("runs")),
                kb(times.bytes / runs.len()),
            );
        };
        println!(
            "| {size} | open base.infra (first diagnostics) | 1 | {} | | | | {after_diagnostics} |",
            ms(first)
        );
        row("open: document symbols (base, dev)", &opening.symbols, "");
        row(
            "open: semantic tokens, full (base, dev)",
            &opening.tokens,
            "",
        );
        row(
            "open: inlay hints, 80 lines (base, dev)",
            &opening.hints,
            &after_editor,
        );
        for (label, times) in [
            ("base.infra (all envs)", &base),
            ("base.infra, length changes (all envs)", &moving),
            ("dev.infra (dev only)", &dev),
        ] {
            row(
                &format!("{label}: edit to diagnostics"),
                &times.diagnostics,
                &memory,
            );
            row(&format!("{label}: document symbols"), &times.symbols, "");
            row(
                &format!("{label}: semantic tokens, delta"),
                &times.tokens,
                "",
            );
            row(&format!("{label}: inlay hints"), &times.hints, "");
        }
        session.shutdown();
    }
}
