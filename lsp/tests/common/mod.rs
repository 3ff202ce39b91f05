//! A client for tests: starts the real `infrac-lsp` binary, frames JSON-RPC with
//! `Content-Length` over its standard input and output, and waits on messages with a timeout.
//! Fixtures are multi-file strings with `//- /name` headers and `$0` (or `$1`, `$2`, ...) markers.

#![allow(dead_code)]

use std::io::{BufRead, BufReader, Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::mpsc::{channel, Receiver};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::{json, Value};

pub const TIMEOUT: Duration = Duration::from_secs(60);

/// A project written to a temporary directory, with the markers taken out.
pub struct Project {
    pub dir: tempfile::TempDir,
    /// (marker, file name, byte offset)
    pub markers: Vec<(String, String, usize)>,
}

impl Project {
    pub fn new(fixture: &str) -> Project {
        let dir = tempfile::tempdir().expect("a temporary directory");
        let mut markers = Vec::new();
        let mut current: Option<(String, String)> = None;
        let mut files: Vec<(String, String)> = Vec::new();
        for line in fixture.split_inclusive('\n') {
            if let Some(name) = line.strip_prefix("//- /") {
                files.extend(current.take());
                current = Some((name.trim().to_string(), String::new()));
            } else if let Some((_, body)) = current.as_mut() {
                body.push_str(line);
            }
        }
        files.extend(current.take());
        for (name, mut body) in files {
            let mut from = 0;
            while let Some(found) = body[from..].find('$') {
                let at = from + found;
                let digits: String = body[at + 1..]
                    .chars()
                    .take_while(char::is_ascii_digit)
                    .collect();
                if digits.is_empty() {
                    // A `$` that is not a marker, as in `${...}`.
                    from = at + 1;
                    continue;
                }
                markers.push((format!("${digits}"), name.clone(), at));
                body.replace_range(at..at + 1 + digits.len(), "");
                from = at;
            }
            let path = dir.path().join(&name);
            std::fs::create_dir_all(path.parent().expect("a parent")).expect("mkdir");
            std::fs::write(path, body).expect("write a fixture file");
        }
        Project { dir, markers }
    }

    pub fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    pub fn uri(&self, name: &str) -> String {
        format!("file://{}", self.path(name).display())
    }

    pub fn text(&self, name: &str) -> String {
        std::fs::read_to_string(self.path(name)).expect("read a fixture file")
    }

    /// The file and LSP position (UTF-16) of a marker.
    pub fn marker(&self, marker: &str) -> (String, Value) {
        let (_, name, at) = self
            .markers
            .iter()
            .find(|(m, _, _)| m == marker)
            .unwrap_or_else(|| panic!("no marker {marker}"));
        let text = self.text(name);
        (name.clone(), position(&text, *at, false))
    }
}

/// The LSP position of a byte offset, in UTF-8 or UTF-16 units.
pub fn position(text: &str, offset: usize, utf8: bool) -> Value {
    let before = &text[..offset];
    let line = before.matches('\n').count();
    let line_start = before.rfind('\n').map_or(0, |n| n + 1);
    let character = if utf8 {
        offset - line_start
    } else {
        text[line_start..offset].encode_utf16().count()
    };
    json!({"line": line, "character": character})
}

/// `name:line:character` of an LSP location in the project.
pub fn place(project: &Project, location: &Value) -> String {
    let uri = location["uri"].as_str().unwrap_or_default();
    let prefix = format!("file://{}/", project.dir.path().display());
    let name = uri.strip_prefix(&prefix).unwrap_or(uri);
    format!(
        "{name}:{}:{}",
        location["range"]["start"]["line"], location["range"]["start"]["character"]
    )
}

pub struct Session {
    child: Child,
    stdin: ChildStdin,
    messages: Receiver<Value>,
    /// Messages received while waiting for another one, in order.
    pending: std::collections::VecDeque<Value>,
    /// Every message seen, for failure reports and transcripts.
    pub log: Arc<Mutex<Vec<Value>>>,
    stderr: Arc<Mutex<String>>,
    next_id: i64,
    pub utf8: bool,
    /// The server's capabilities, from its answer to `initialize`.
    pub capabilities: Value,
}

impl Session {
    /// Starts the server and initializes it with `root` as the workspace folder.
    pub fn start(root: &Path, utf8: bool) -> Session {
        Session::start_with_env(root, utf8, &[])
    }

    /// `start`, with variables added to the server's environment.
    pub fn start_with_env(root: &Path, utf8: bool, env: &[(&str, &str)]) -> Session {
        Session::start_server(env!("CARGO_BIN_EXE_infrac-lsp").as_ref(), root, utf8, env)
    }

    /// `start_with_env` with another build of the server (the latency benchmark's paired runs).
    pub fn start_server(
        server: &std::ffi::OsStr,
        root: &Path,
        utf8: bool,
        env: &[(&str, &str)],
    ) -> Session {
        let mut child = Command::new(server)
            .envs(env.iter().copied())
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start infrac-lsp");
        let stdin = child.stdin.take().expect("stdin");
        let stdout = child.stdout.take().expect("stdout");
        let stderr_pipe = child.stderr.take().expect("stderr");
        let stderr = Arc::new(Mutex::new(String::new()));
        let stderr_sink = stderr.clone();
        std::thread::spawn(move || {
            let mut text = String::new();
            let mut reader = BufReader::new(stderr_pipe);
            while reader.read_line(&mut text).unwrap_or(0) > 0 {
                if let Ok(mut sink) = stderr_sink.lock() {
                    sink.push_str(&text);
                }
                text.clear();
            }
        });
        let (sender, messages) = channel();
        let log = Arc::new(Mutex::new(Vec::new()));
        let log_sink = log.clone();
        std::thread::spawn(move || {
            let mut reader = BufReader::new(stdout);
            loop {
                let mut length = None;
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
                        length = n.parse::<usize>().ok();
                    }
                }
                let Some(length) = length else { return };
                let mut body = vec![0u8; length];
                if reader.read_exact(&mut body).is_err() {
                    return;
                }
                let value: Value = serde_json::from_slice(&body).expect("the server sends JSON");
                if let Ok(mut log) = log_sink.lock() {
                    log.push(json!({"from": "server", "message": value.clone()}));
                }
                if sender.send(value).is_err() {
                    return;
                }
            }
        });
        let mut session = Session {
            child,
            stdin,
            messages,
            pending: std::collections::VecDeque::new(),
            log,
            stderr,
            next_id: 1,
            utf8,
            capabilities: Value::Null,
        };
        let encodings = if utf8 {
            json!(["utf-8", "utf-16"])
        } else {
            json!(["utf-16"])
        };
        let root_uri = format!("file://{}", root.display());
        let result = session.request(
            "initialize",
            json!({
                "processId": null,
                "rootUri": root_uri,
                "workspaceFolders": [{"uri": root_uri, "name": "root"}],
                "capabilities": {"general": {"positionEncodings": encodings}}
            }),
        );
        assert_eq!(
            result["capabilities"]["positionEncoding"],
            if utf8 { "utf-8" } else { "utf-16" }
        );
        session.capabilities = result["capabilities"].clone();
        session.notify("initialized", json!({}));
        session
    }

    /// The server's process id.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    pub fn send_raw(&mut self, bytes: &[u8]) {
        self.stdin.write_all(bytes).expect("write to the server");
        self.stdin.flush().expect("flush");
    }

    pub fn send(&mut self, value: &Value) {
        if let Ok(mut log) = self.log.lock() {
            log.push(json!({"from": "client", "message": value.clone()}));
        }
        let body = value.to_string();
        self.send_raw(format!("Content-Length: {}\r\n\r\n{body}", body.len()).as_bytes());
    }

    pub fn notify(&mut self, method: &str, params: Value) {
        self.send(&json!({"jsonrpc": "2.0", "method": method, "params": params}));
    }

    /// Sends a request and returns the whole response (result or error).
    pub fn request_raw(&mut self, method: &str, params: Value) -> Value {
        let id = self.next_id;
        self.next_id += 1;
        self.send(&json!({"jsonrpc": "2.0", "id": id, "method": method, "params": params}));
        self.wait(&format!("the answer to {method}"), |m| {
            m["id"] == id && m.get("method").is_none()
        })
    }

    pub fn request(&mut self, method: &str, params: Value) -> Value {
        let response = self.request_raw(method, params);
        assert!(
            response.get("error").is_none(),
            "{method} failed: {response}"
        );
        response["result"].clone()
    }

    /// The first message, in the order received, that satisfies `want`; the others stay for
    /// later waits.
    pub fn wait(&mut self, what: &str, want: impl Fn(&Value) -> bool) -> Value {
        if let Some(at) = self.pending.iter().position(&want) {
            return self.pending.remove(at).expect("a pending message");
        }
        let deadline = Instant::now() + TIMEOUT;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.messages.recv_timeout(left) {
                Ok(message) if want(&message) => return message,
                Ok(message) => self.pending.push_back(message),
                Err(_) => {
                    let logged: Vec<String> = self
                        .log
                        .lock()
                        .map(|log| {
                            log.iter()
                                .filter(|m| m["message"]["method"] == "window/logMessage")
                                .map(|m| m["message"]["params"]["message"].to_string())
                                .collect()
                        })
                        .unwrap_or_default();
                    panic!(
                        "timed out waiting for {what}; server log:\n{}\nserver stderr:\n{}",
                        logged.join("\n"),
                        self.stderr.lock().map(|s| s.clone()).unwrap_or_default()
                    )
                }
            }
        }
    }

    /// The next diagnostics published for `uri` (at `version`, if given).
    pub fn diagnostics(&mut self, uri: &str, version: Option<i64>) -> Vec<Value> {
        let message = self.wait(&format!("diagnostics of {uri} at {version:?}"), |m| {
            m["method"] == "textDocument/publishDiagnostics"
                && m["params"]["uri"] == uri
                && version.is_none_or(|v| m["params"]["version"] == v)
        });
        message["params"]["diagnostics"]
            .as_array()
            .cloned()
            .unwrap_or_default()
    }

    pub fn open(&mut self, project: &Project, name: &str) {
        self.notify(
            "textDocument/didOpen",
            json!({"textDocument": {"uri": project.uri(name), "languageId": "infra", "version": 1, "text": project.text(name)}}),
        );
    }

    pub fn change_full(&mut self, uri: &str, version: i64, text: &str) {
        self.notify(
            "textDocument/didChange",
            json!({"textDocument": {"uri": uri, "version": version}, "contentChanges": [{"text": text}]}),
        );
    }

    pub fn change_range(&mut self, uri: &str, version: i64, start: Value, end: Value, text: &str) {
        self.notify(
            "textDocument/didChange",
            json!({"textDocument": {"uri": uri, "version": version}, "contentChanges": [{"range": {"start": start, "end": end}, "text": text}]}),
        );
    }

    /// `shutdown` and `exit`; the process must end.
    pub fn shutdown(mut self) {
        let result = self.request("shutdown", Value::Null);
        assert_eq!(result, Value::Null);
        self.notify("exit", Value::Null);
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            if let Ok(Some(status)) = self.child.try_wait() {
                assert!(status.success(), "exit status {status}");
                return;
            }
            assert!(Instant::now() < deadline, "the server did not exit");
            // Polling the process is the only way to see it end; the messages channel is closed.
            let _ = self.messages.recv_timeout(Duration::from_millis(20));
        }
    }
}

impl Drop for Session {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Applies LSP text edits (positions in UTF-16 or UTF-8) to a text.
pub fn apply_edits(text: &str, edits: &[Value], utf8: bool) -> String {
    let offset = |pos: &Value| -> usize {
        let line = pos["line"].as_u64().unwrap_or(0) as usize;
        let character = pos["character"].as_u64().unwrap_or(0) as usize;
        let line_start: usize = text.split_inclusive('\n').take(line).map(str::len).sum();
        let line_text = text[line_start..].split('\n').next().unwrap_or("");
        if utf8 {
            return line_start + character.min(line_text.len());
        }
        let mut units = 0;
        for (idx, ch) in line_text.char_indices() {
            if units >= character {
                return line_start + idx;
            }
            units += ch.len_utf16();
        }
        line_start + line_text.len()
    };
    let mut edits: Vec<(usize, usize, String)> = edits
        .iter()
        .map(|e| {
            (
                offset(&e["range"]["start"]),
                offset(&e["range"]["end"]),
                e["newText"].as_str().unwrap_or_default().to_string(),
            )
        })
        .collect();
    edits.sort_by_key(|e| std::cmp::Reverse(e.0));
    let mut out = text.to_string();
    for (start, end, new_text) in edits {
        out.replace_range(start..end, &new_text);
    }
    out
}
