//! The VS Code extension (`editors/vscode/`): its manifests parse, every grammar pattern is a
//! valid regular expression, and `build-vsix.sh` packages it with `@vscode/vsce` into a `.vsix`
//! that holds the client, the grammar and its runtime dependency.
//!
//! Needs node and npm (as `scripts/install-tools` does) and the npm registry or its cache; the
//! test fails loudly without them.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::mpsc::channel;
use std::time::Duration;

use serde_json::Value;

fn extension_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../editors/vscode")
}

fn json(name: &str) -> Value {
    let text = std::fs::read_to_string(extension_dir().join(name)).expect(name);
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{name}: {e}"))
}

/// Runs a command with a timeout (a thread waits for it) and returns its standard output.
fn run(mut command: Command, what: &str) -> String {
    let child = command
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| {
            panic!("\n\n!!! {what} cannot start ({e}). node and npm are needed (scripts/install-tools).\n")
        });
    let (sender, receiver) = channel();
    std::thread::spawn(move || {
        let _ = sender.send(child.wait_with_output());
    });
    let output = receiver
        .recv_timeout(Duration::from_secs(600))
        .unwrap_or_else(|_| panic!("{what} did not finish in 10 minutes"))
        .expect(what);
    assert!(
        output.status.success(),
        "{what} failed ({}):\n{}\n{}",
        output.status,
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout).into_owned()
}

#[test]
fn manifests_and_grammar_are_valid() {
    let package = json("package.json");
    assert_eq!(package["contributes"]["languages"][0]["id"], "infra");
    assert_eq!(
        package["contributes"]["grammars"][0]["scopeName"],
        "source.infra"
    );
    assert!(package["dependencies"]["vscode-languageclient"].is_string());
    // Snippets come from the server, where their item may start; VS Code's static snippets
    // would pop up everywhere.
    assert!(package["contributes"].get("snippets").is_none());
    json("language-configuration.json");
    json("syntaxes/infra.tmLanguage.json");
    // Every `match`, `begin` and `end` must compile (JavaScript's engine is close enough to
    // Oniguruma for the constructs the grammar uses).
    let check = r#"
const grammar = require(process.argv[1]);
let count = 0;
const visit = (node) => {
  if (Array.isArray(node)) return node.forEach(visit);
  if (node && typeof node === 'object') {
    for (const key of ['match', 'begin', 'end']) {
      if (typeof node[key] === 'string') { new RegExp(node[key]); count++; }
    }
    Object.values(node).forEach(visit);
  }
};
visit(grammar);
console.log(count);
"#;
    let mut node = Command::new("node");
    node.arg("-e")
        .arg(check)
        .arg(extension_dir().join("syntaxes/infra.tmLanguage.json"));
    let count: usize = run(node, "node").trim().parse().expect("a count");
    assert!(count > 20, "only {count} patterns");
}

#[test]
fn build_vsix_packages_the_extension() {
    let out = Path::new(env!("CARGO_TARGET_TMPDIR")).join("infrac.vsix");
    let _ = std::fs::remove_file(&out);
    let mut build = Command::new(extension_dir().join("build-vsix.sh"));
    build.arg(&out);
    let printed = run(build, "editors/vscode/build-vsix.sh");
    assert_eq!(printed.trim(), out.display().to_string());
    let bytes = std::fs::read(&out).expect("the .vsix exists");
    assert!(bytes.starts_with(b"PK"), "a .vsix is a zip file");
    let names = String::from_utf8_lossy(&bytes);
    for entry in [
        "extension/package.json",
        "extension/extension.js",
        "extension/syntaxes/infra.tmLanguage.json",
        "extension/language-configuration.json",
        "extension/node_modules/vscode-languageclient/package.json",
        "extension.vsixmanifest",
    ] {
        assert!(names.contains(entry), "{entry} is not in the .vsix");
    }
    assert!(
        !names.contains("build-vsix.sh"),
        "the build script is packaged"
    );
    println!("{}: {} bytes", out.display(), bytes.len());
}

/// Loads `extension.js` in node with stand-ins for `vscode` and the client library, runs
/// `activate` with `PATH` set to `path_dir` and the setting `server.path` set to `setting`, and
/// returns what happened as JSON: the messages shown and whether a client was started.
fn activate_with(path_dir: &Path, setting: &str) -> Value {
    let script = r#"
const Module = require('module');
const shown = [];
let started = 0;
const vscode = {
  workspace: {
    getConfiguration: () => ({ get: () => process.argv[2] }),
    createFileSystemWatcher: () => ({}),
  },
  window: { showErrorMessage: (text, ...actions) => { shown.push({ text, actions }); return Promise.resolve(undefined); } },
  commands: { registerCommand: () => ({}), executeCommand: () => Promise.resolve() },
};
class LanguageClient { constructor() { started++; } start() { return Promise.resolve(); } stop() { return Promise.resolve(); } }
const load = Module._load;
Module._load = function (request, ...rest) {
  if (request === 'vscode') return vscode;
  if (request === 'vscode-languageclient/node') return { LanguageClient, TransportKind: { stdio: 0 } };
  return load.call(this, request, ...rest);
};
const extension = require(process.argv[1]);
extension.activate({ subscriptions: [] }).then(() => console.log(JSON.stringify({ shown, started })));
"#;
    // `node` is found on the test's own PATH; the extension sees `path_dir` alone.
    let node_path = std::env::split_paths(&std::env::var_os("PATH").unwrap_or_default())
        .map(|dir| dir.join("node"))
        .find(|candidate| candidate.is_file())
        .expect("node on PATH (scripts/install-tools needs it too)");
    let mut node = Command::new(node_path);
    node.arg("-e")
        .arg(script)
        .arg(extension_dir().join("extension.js"))
        .arg(setting)
        .env("PATH", path_dir);
    serde_json::from_str(run(node, "node").trim()).expect("JSON from the script")
}

#[test]
fn a_missing_server_is_one_clear_message_and_a_present_one_starts() {
    let empty = tempfile::tempdir().expect("a directory");
    let missing = activate_with(empty.path(), "");
    let shown = missing["shown"].as_array().expect("messages");
    assert_eq!(shown.len(), 1, "{missing}");
    assert_eq!(
        shown[0]["text"],
        "infrac: the language server `infrac-lsp` was not found on PATH. Install it with `cargo install --path lsp` (from an infrac checkout), or set `infrac.server.path`."
    );
    assert_eq!(shown[0]["actions"], serde_json::json!(["Open Settings"]));
    assert_eq!(missing["started"], 0);
    // A configured path that does not exist names the path.
    let wrong = activate_with(empty.path(), "/nowhere/infrac-lsp");
    assert!(
        wrong["shown"][0]["text"]
            .as_str()
            .is_some_and(|t| t
                .starts_with("infrac: the language server `/nowhere/infrac-lsp` was not found.")),
        "{wrong}"
    );
    // The server on PATH: no message, one client.
    let server_dir = Path::new(env!("CARGO_BIN_EXE_infrac-lsp"))
        .parent()
        .expect("the server's directory");
    let present = activate_with(server_dir, "");
    assert_eq!(present["shown"], serde_json::json!([]), "{present}");
    assert_eq!(present["started"], 1);
}
