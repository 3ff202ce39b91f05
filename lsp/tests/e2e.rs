//! The real `infrac-lsp` binary over stdio: open, change, cross-file diagnostics, hover,
//! definition, completion, symbols, UTF-16 positions, malformed input, unknown files, a burst of
//! edits, and a clean exit. Waits on messages with a timeout, never on a sleep.

use std::io::{BufRead, BufReader, Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::mpsc::{channel, Receiver};
use std::time::{Duration, Instant};

use serde_json::{json, Value};

const TIMEOUT: Duration = Duration::from_secs(30);

struct Session {
    child: Child,
    stdin: ChildStdin,
    messages: Receiver<Value>,
    next_id: i64,
    dir: tempfile::TempDir,
}

impl Session {
    fn start(utf8: bool) -> Session {
        let dir = tempfile::tempdir().expect("temp dir");
        let source = Path::new(env!("CARGO_MANIFEST_DIR")).join("../environments");
        for entry in std::fs::read_dir(source)
            .expect("read environments")
            .flatten()
        {
            std::fs::copy(entry.path(), dir.path().join(entry.file_name())).expect("copy");
        }
        let mut child = Command::new(env!("CARGO_BIN_EXE_infrac-lsp"))
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("start infrac-lsp");
        let stdin = child.stdin.take().expect("stdin");
        let stdout = child.stdout.take().expect("stdout");
        let (sender, messages) = channel();
        std::thread::spawn(move || {
            let mut reader = BufReader::new(stdout);
            loop {
                let mut length = 0usize;
                loop {
                    let mut line = String::new();
                    if reader.read_line(&mut line).unwrap_or(0) == 0 {
                        return;
                    }
                    let line = line.trim();
                    if line.is_empty() {
                        break;
                    }
                    if let Some(n) = line.strip_prefix("Content-Length: ") {
                        length = n.parse().unwrap_or(0);
                    }
                }
                let mut body = vec![0u8; length];
                if reader.read_exact(&mut body).is_err() {
                    return;
                }
                if let Ok(value) = serde_json::from_slice::<Value>(&body) {
                    if sender.send(value).is_err() {
                        return;
                    }
                }
            }
        });
        let mut session = Session {
            child,
            stdin,
            messages,
            next_id: 1,
            dir,
        };
        let encodings = if utf8 {
            json!(["utf-8", "utf-16"])
        } else {
            json!(["utf-16"])
        };
        let root = session.uri("");
        let result = session.request("initialize", json!({"processId": null, "rootUri": root, "capabilities": {"general": {"positionEncodings": encodings}}}));
        assert_eq!(
            result["capabilities"]["positionEncoding"],
            if utf8 { "utf-8" } else { "utf-16" }
        );
        session.notify("initialized", json!({}));
        session
    }

    fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    fn uri(&self, name: &str) -> String {
        format!("file://{}", self.path(name).display())
    }

    fn send(&mut self, value: &Value) {
        let body = value.to_string();
        write!(self.stdin, "Content-Length: {}\r\n\r\n{body}", body.len())
            .expect("write to server");
        self.stdin.flush().expect("flush");
    }

    fn notify(&mut self, method: &str, params: Value) {
        self.send(&json!({"jsonrpc": "2.0", "method": method, "params": params}));
    }

    fn request(&mut self, method: &str, params: Value) -> Value {
        let id = self.next_id;
        self.next_id += 1;
        self.send(&json!({"jsonrpc": "2.0", "id": id, "method": method, "params": params}));
        let message = self.wait(|m| m["id"] == id);
        assert!(message.get("error").is_none(), "{method} failed: {message}");
        message["result"].clone()
    }

    /// The next message that satisfies `want`; other messages are dropped.
    fn wait(&mut self, want: impl Fn(&Value) -> bool) -> Value {
        let deadline = Instant::now() + TIMEOUT;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            let message = self
                .messages
                .recv_timeout(left)
                .expect("the server answered within the timeout");
            if want(&message) {
                return message;
            }
        }
    }

    /// The next diagnostics published for `name` at `version` (None: any version).
    fn diagnostics(&mut self, name: &str, version: Option<i64>) -> Vec<Value> {
        let uri = self.uri(name);
        let message = self.wait(|m| {
            m["method"] == "textDocument/publishDiagnostics"
                && m["params"]["uri"] == uri.as_str()
                && version.is_none_or(|v| m["params"]["version"] == v)
        });
        message["params"]["diagnostics"]
            .as_array()
            .expect("diagnostics array")
            .clone()
    }

    fn open(&mut self, name: &str) -> String {
        let text = std::fs::read_to_string(self.path(name)).expect("read");
        let uri = self.uri(name);
        self.notify("textDocument/didOpen", json!({"textDocument": {"uri": uri, "languageId": "infra", "version": 1, "text": text}}));
        text
    }

    fn change(&mut self, name: &str, version: i64, text: &str) {
        let uri = self.uri(name);
        self.notify("textDocument/didChange", json!({"textDocument": {"uri": uri, "version": version}, "contentChanges": [{"text": text}]}));
    }

    fn at(&mut self, method: &str, name: &str, line: u32, character: u32) -> Value {
        let uri = self.uri(name);
        self.request(method, json!({"textDocument": {"uri": uri}, "position": {"line": line, "character": character}}))
    }

    fn finish(mut self) {
        self.request("shutdown", Value::Null);
        self.notify("exit", Value::Null);
        let deadline = Instant::now() + TIMEOUT;
        loop {
            if let Some(status) = self.child.try_wait().expect("wait") {
                assert!(status.success(), "infrac-lsp exited with {status}");
                return;
            }
            assert!(Instant::now() < deadline, "infrac-lsp did not exit");
            std::thread::yield_now();
        }
    }
}

/// The 0-based line and UTF-16 column of the first occurrence of `needle` (plus `delta` chars).
fn position_of(text: &str, needle: &str, delta: usize) -> (u32, u32) {
    let at = text.find(needle).expect("needle in text") + delta;
    let line = text[..at].matches('\n').count() as u32;
    let line_start = text[..at].rfind('\n').map_or(0, |n| n + 1);
    (line, text[line_start..at].encode_utf16().count() as u32)
}

#[test]
fn diagnostics_follow_edits_and_cross_file_changes() {
    let mut session = Session::start(false);
    let pro = session.open("pro.infra");
    assert!(session.diagnostics("pro.infra", Some(1)).is_empty());
    session.change(
        "pro.infra",
        2,
        &pro.replace("azs           = 3", "azs           = \"three\""),
    );
    let diagnostics = session.diagnostics("pro.infra", Some(2));
    assert_eq!(diagnostics.len(), 1, "{diagnostics:?}");
    let d = &diagnostics[0];
    assert_eq!(d["code"], "E0401");
    assert_eq!(d["source"], "infrac");
    assert_eq!(d["range"]["start"], json!({"line": 3, "character": 18}));
    assert!(d["codeDescription"]["href"]
        .as_str()
        .is_some_and(|h| h.ends_with("E0401.md")));
    session.change("pro.infra", 3, &pro);
    assert!(session.diagnostics("pro.infra", Some(3)).is_empty());
    // Editing pre changes what pro's policies see: the cross-environment rule now fails.
    let pre = session.open("pre.infra");
    session.change(
        "pre.infra",
        2,
        &pre.replace(
            "api_tasks = { min = 2, max = 4 }",
            "api_tasks = { min = 2, max = 40 }",
        ),
    );
    let uri = session.uri("policies.infra");
    let published = session.wait(|m| {
        m["method"] == "textDocument/publishDiagnostics"
            && m["params"]["uri"] == uri.as_str()
            && m["params"]["diagnostics"]
                .as_array()
                .is_some_and(|d| !d.is_empty())
    });
    let policy = published["params"]["diagnostics"]
        .as_array()
        .expect("diagnostics")
        .clone();
    assert!(
        policy.iter().any(|d| d["code"] == "E0601"
            && d["message"]
                .as_str()
                .is_some_and(|m| m.contains("pre.api_tasks.max"))),
        "{policy:?}"
    );
    session.finish();
}

#[test]
fn hover_definition_completion_and_symbols() {
    let mut session = Session::start(false);
    let pro = session.open("pro.infra");
    let layers = session.open("layers.infra");
    // Hover on a parameter override: its type, doc and the value in every environment.
    let (line, col) = position_of(&pro, "azs ", 1);
    let hover = session.at("textDocument/hover", "pro.infra", line, col);
    let text = hover["contents"]["value"].as_str().expect("markdown");
    assert!(text.contains("param azs: int(2..6)"), "{text}");
    assert!(text.contains("| pro | `3` | pro.infra:"), "{text}");
    assert!(text.contains("| dev | `2` | base.infra:"), "{text}");
    // Definition of `extends pre` is the env in pre.infra.
    let (line, col) = position_of(&pro, "extends pre", 9);
    let definition = session.at("textDocument/definition", "pro.infra", line, col);
    assert!(
        definition["uri"]
            .as_str()
            .is_some_and(|u| u.ends_with("/pre.infra")),
        "{definition}"
    );
    // Definition of a cross-layer output is its declaration in the producing layer.
    let (line, col) = position_of(&layers, "foundation.kms_key_arn", 12);
    let definition = session.at("textDocument/definition", "layers.infra", line, col);
    let (want_line, _) = position_of(&layers, "output kms_key_arn", 7);
    assert_eq!(
        definition["range"]["start"]["line"], want_line,
        "{definition}"
    );
    // Completion after `foundation.` offers the layer's outputs.
    let edited = layers.replacen(
        "    kms_key_arn        = foundation.kms_key_arn\n",
        "    kms_key_arn        = foundation.\n",
        1,
    );
    session.change("layers.infra", 2, &edited);
    let (line, col) = position_of(&edited, "foundation.\n", 11);
    let completion = session.at("textDocument/completion", "layers.infra", line, col);
    let labels: Vec<&str> = completion
        .as_array()
        .expect("items")
        .iter()
        .filter_map(|i| i["label"].as_str())
        .collect();
    assert!(
        labels.contains(&"vpc_id") && labels.contains(&"private_subnet_ids"),
        "{labels:?}"
    );
    // Symbols: the layers with their instances.
    let uri = session.uri("layers.infra");
    let symbols = session.request(
        "textDocument/documentSymbol",
        json!({"textDocument": {"uri": uri}}),
    );
    let names: Vec<&str> = symbols
        .as_array()
        .expect("symbols")
        .iter()
        .filter_map(|s| s["name"].as_str())
        .collect();
    assert_eq!(
        names,
        [
            "foundation",
            "platform",
            "databases",
            "applications",
            "client"
        ]
    );
    session.finish();
}

#[test]
fn utf16_positions_survive_non_ascii_text() {
    let mut session = Session::start(false);
    let text = "/// Production: é😀 protected.\nenv pro extends pre {\n  nat = \"per_az\" // ünïcode 😀\n  azs = 3 ; azs\n}\n".replace(" ; azs", "");
    let text = text.replace("  azs = 3", "  /* 😀é */ azs = 3");
    std::fs::write(session.path("pro.infra"), &text).expect("write");
    session.open("pro.infra");
    let diagnostics = session.diagnostics("pro.infra", Some(1));
    assert!(
        diagnostics.iter().all(|d| d["code"] == "E0601"),
        "{diagnostics:?}"
    );
    let (line, col) = position_of(&text, "azs = 3", 1);
    assert_eq!(
        col, 13,
        "the emoji counts as two UTF-16 units (it is 15 bytes in UTF-8)"
    );
    let hover = session.at("textDocument/hover", "pro.infra", line, col);
    assert!(
        hover["contents"]["value"]
            .as_str()
            .is_some_and(|v| v.contains("param azs")),
        "{hover}"
    );
    assert_eq!(
        hover["range"]["start"],
        json!({"line": line, "character": 12})
    );
    session.finish();
}

#[test]
fn survives_malformed_input_unknown_files_and_a_burst_of_edits() {
    let mut session = Session::start(true);
    // Malformed JSON-RPC bodies are answered or ignored, never fatal.
    session
        .stdin
        .write_all(b"Content-Length: 12\r\n\r\n{not json!!}")
        .expect("write");
    session.send(
        &json!({"jsonrpc": "2.0", "id": 999, "method": "textDocument/unknownThing", "params": {}}),
    );
    // A file the server has never seen: no hover, no error.
    let unknown = session.at("textDocument/hover", "nowhere.infra", 0, 0);
    assert!(unknown.is_null(), "{unknown}");
    let pro = session.open("pro.infra");
    assert!(session.diagnostics("pro.infra", Some(1)).is_empty());
    for version in 2..52 {
        let azs = if version == 51 {
            "\"last\"".to_string()
        } else {
            (2 + version % 3).to_string()
        };
        session.change(
            "pro.infra",
            version,
            &pro.replace("azs           = 3", &format!("azs           = {azs}")),
        );
    }
    let last = session.diagnostics("pro.infra", Some(51));
    assert!(last.iter().any(|d| d["code"] == "E0401"), "{last:?}");
    session.finish();
}
