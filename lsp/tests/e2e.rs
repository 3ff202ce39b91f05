//! The real `infrac-lsp` binary over stdio: diagnostics after open and edits (also in the files
//! that inherit from the edited one), the requests of an editor as data (fixture + markers +
//! expected results), UTF-8 and UTF-16 positions with non-ASCII text, malformed messages,
//! unknown files, a burst of edits, and a clean exit.

mod common;

use common::{apply_edits, place, position, Project, Session};
use serde_json::{json, Value};

/// Three environments (pro extends pre), a user module, a repeated layer, a policy on pro.
const SHOP: &str = r#"
//- /base.infra
project shop {
  region = "eu-west-1"
  state  = { bucket = "shop-tfstate" }
}
/// NAT gateways.
type Nat = enum("single", "per_az")
/// Availability zones.
param a$1zs: int(1..6) = 2
param nat: Nat = "single"
param clients: map<{ size: int = 1 }> = { acme = {} }

/// A component.
module comp {
  source = "mods/comp"
  /// The name.
  input name: string = "${project}-${env}-${instance}"
  input size: int(1..10) = 1
  input mode: enum("fast", "slow") = "fast"
  input vpc: string = ""
  /// The id.
  output id: string
}

layer foundation {
  comp net { size = azs }
  output vpc_$5id: string = net.id
}
layer apps {
  comp web { vpc = foundation.vpc$2_id, size = 2 }
}
layer client(name, spec) for clients {
  comp c { size = spec.size, vpc = "${foundation.vpc_id}-${name}" }
}
//- /dev.infra
env dev {
  azs = 1
}
//- /pre.infra
env pre {
  azs = 3
}
//- /pro.infra
env pro extends pre {
  a$3zs = 4
  apps.web.$4
}
policy big for pro {
  require azs >= 4 "pro spans four zones"
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

fn codes(diagnostics: &[Value]) -> Vec<String> {
    diagnostics
        .iter()
        .map(|d| {
            format!(
                "{}@{}:{} {}",
                d["code"].as_str().unwrap_or_default(),
                d["range"]["start"]["line"],
                d["range"]["start"]["character"],
                d["message"]
                    .as_str()
                    .unwrap_or_default()
                    .replace('\n', " | ")
            )
        })
        .collect()
}

/// SHOP with a clean pro (no half-typed line).
fn clean_shop() -> String {
    SHOP.replace("  apps.web.$4\n", "  apps.web.size = 4\n")
}

#[test]
fn diagnostics_follow_edits_and_files_that_inherit() {
    let project = Project::new(&clean_shop());
    let mut session = Session::start(project.dir.path(), false);
    let (pro, pre, dev) = (
        project.uri("pro.infra"),
        project.uri("pre.infra"),
        project.uri("dev.infra"),
    );
    session.open(&project, "pro.infra");
    assert_eq!(
        codes(&session.diagnostics(&pro, Some(1))),
        Vec::<String>::new()
    );
    session.open(&project, "pre.infra");
    assert_eq!(
        codes(&session.diagnostics(&pre, Some(1))),
        Vec::<String>::new()
    );

    // Renaming pre breaks pro's `extends`: pro's diagnostics are published again, at pro's
    // own version.
    session.change_full(&pre, 2, "env prex {\n  azs = 3\n}\n");
    let pro_diagnostics = session.diagnostics(&pro, Some(1));
    assert_eq!(
        codes(&pro_diagnostics),
        vec!["E0301@0:16 unknown environment `pre` | help: did you mean `prex`?"]
    );
    let first = &pro_diagnostics[0];
    assert_eq!(first["source"], "infrac");
    assert_eq!(first["severity"], 1);
    assert!(first["codeDescription"]["href"]
        .as_str()
        .is_some_and(|h| h.ends_with("docs/diagnostics/E0301.md")));

    // pre keeps too few zones for pro's policy: the violation is reported in pro.infra.
    session.change_full(&pre, 3, "env pre {\n  azs = 3\n}\n");
    assert_eq!(
        codes(&session.diagnostics(&pro, Some(1))),
        Vec::<String>::new()
    );
    session.change_full(&pro, 2, "env pro extends pre {\n}\npolicy big for pro {\n  require azs >= 4 \"pro spans four zones\"\n}\n");
    let violation = codes(&session.diagnostics(&pro, Some(2)));
    assert_eq!(violation.len(), 1, "{violation:?}");
    assert!(violation[0].starts_with("E0601@3:"), "{violation:?}");
    session.change_range(
        &pre,
        4,
        json!({"line": 1, "character": 8}),
        json!({"line": 1, "character": 9}),
        "5",
    );
    assert_eq!(
        codes(&session.diagnostics(&pro, Some(2))),
        Vec::<String>::new()
    );

    // An incremental edit in dev: a value out of its type's range, with the related
    // information pointing at the declaration when the compiler gives one.
    session.open(&project, "dev.infra");
    assert_eq!(
        codes(&session.diagnostics(&dev, Some(1))),
        Vec::<String>::new()
    );
    session.change_range(
        &dev,
        2,
        json!({"line": 1, "character": 8}),
        json!({"line": 1, "character": 9}),
        "9",
    );
    let dev_diagnostics = codes(&session.diagnostics(&dev, Some(2)));
    assert_eq!(dev_diagnostics.len(), 1, "{dev_diagnostics:?}");
    assert!(
        dev_diagnostics[0].starts_with("E0404@1:8 "),
        "{dev_diagnostics:?}"
    );
    // Closing the document falls back to the file on disk, which is clean.
    session.notify(
        "textDocument/didClose",
        json!({"textDocument": {"uri": dev}}),
    );
    assert_eq!(
        codes(&session.diagnostics(&dev, None)),
        Vec::<String>::new()
    );

    // A file created on disk, then deleted, as the client's file watcher reports them.
    let extra = project.uri("extra.infra");
    std::fs::write(project.path("extra.infra"), "param extra: int = \"x\"\n").expect("write");
    session.notify(
        "workspace/didChangeWatchedFiles",
        json!({"changes": [{"uri": extra, "type": 1}]}),
    );
    let created = codes(&session.diagnostics(&extra, None));
    assert_eq!(created.len(), 1, "{created:?}");
    assert!(created[0].starts_with("E0401@0:19 "), "{created:?}");
    std::fs::remove_file(project.path("extra.infra")).expect("remove");
    session.notify(
        "workspace/didChangeWatchedFiles",
        json!({"changes": [{"uri": extra, "type": 3}]}),
    );
    assert_eq!(
        codes(&session.diagnostics(&extra, None)),
        Vec::<String>::new()
    );
    session.shutdown();
}

/// One editor request and what it must return.
enum Case {
    /// Hover at a marker: the Markdown contains each string.
    Hover(&'static str, &'static [&'static str]),
    /// Definition at a marker: `file:line:character` of each target.
    Definition(&'static str, &'static [&'static str]),
    /// References (with the declaration) at a marker.
    References(&'static str, &'static [&'static str]),
    /// Completion at a marker: these labels are offered.
    Completion(&'static str, &'static [&'static str]),
    /// Rename at a marker: `file` becomes the given text.
    Rename(&'static str, &'static str, &'static str, &'static str),
}

#[test]
fn editor_requests_as_data() {
    let project = Project::new(SHOP);
    let mut session = Session::start(project.dir.path(), false);
    for name in ["base.infra", "pro.infra"] {
        session.open(&project, name);
    }
    let cases = [
        Case::Hover(
            "$1",
            &[
                "param azs: int(1..6) = 2",
                "Availability zones.",
                "- **pro**: `4`",
                "set at pro.infra:2 (env `pro`): `4`",
                "overrode pre.infra:2 (env `pre`): `3`",
            ],
        ),
        Case::Hover("$2", &["output foundation.vpc_id: string = net.id"]),
        Case::Hover("$3", &["param azs", "- **pro**: `4`"]),
        Case::Definition("$2", &["base.infra:25:9"]),
        // The override's definition is the value it overrides, in pre.
        Case::Definition("$3", &["pre.infra:1:8"]),
        Case::References(
            "$1",
            &[
                "base.infra:7:6",
                "base.infra:24:20",
                "dev.infra:1:2",
                "pre.infra:1:2",
                "pro.infra:1:2",
                "pro.infra:5:10",
            ],
        ),
        Case::Completion("$4", &["mode", "name", "size", "vpc"]),
        Case::Rename(
            "$5",
            "network_id",
            "base.infra",
            "  comp web { vpc = foundation.network_id, size = 2 }",
        ),
    ];
    for case in cases {
        match case {
            Case::Hover(marker, want) => {
                let (name, pos) = project.marker(marker);
                let result = session.request(
                    "textDocument/hover",
                    json!({"textDocument": {"uri": project.uri(&name)}, "position": pos}),
                );
                let markdown = result["contents"]["value"].as_str().unwrap_or_default();
                for part in want {
                    assert!(
                        markdown.contains(part),
                        "hover at {marker}: no {part:?} in\n{markdown}"
                    );
                }
            }
            Case::Definition(marker, want) => {
                let (name, pos) = project.marker(marker);
                let result = session.request(
                    "textDocument/definition",
                    json!({"textDocument": {"uri": project.uri(&name)}, "position": pos}),
                );
                let found: Vec<String> = result
                    .as_array()
                    .into_iter()
                    .flatten()
                    .map(|l| place(&project, l))
                    .collect();
                assert_eq!(found, want, "definition at {marker}");
            }
            Case::References(marker, want) => {
                let (name, pos) = project.marker(marker);
                let result = session.request("textDocument/references", json!({"textDocument": {"uri": project.uri(&name)}, "position": pos, "context": {"includeDeclaration": true}}));
                let found: Vec<String> = result
                    .as_array()
                    .into_iter()
                    .flatten()
                    .map(|l| place(&project, l))
                    .collect();
                assert_eq!(found, want, "references at {marker}");
            }
            Case::Completion(marker, want) => {
                let (name, pos) = project.marker(marker);
                let result = session.request(
                    "textDocument/completion",
                    json!({"textDocument": {"uri": project.uri(&name)}, "position": pos}),
                );
                let labels: Vec<&str> = result
                    .as_array()
                    .into_iter()
                    .flatten()
                    .filter_map(|i| i["label"].as_str())
                    .collect();
                for label in want {
                    assert!(
                        labels.contains(label),
                        "completion at {marker}: no {label} in {labels:?}"
                    );
                }
            }
            Case::Rename(marker, new_name, file, want_line) => {
                let (name, pos) = project.marker(marker);
                let prepared = session.request(
                    "textDocument/prepareRename",
                    json!({"textDocument": {"uri": project.uri(&name)}, "position": pos}),
                );
                assert_eq!(prepared["start"]["line"], pos["line"]);
                let result = session.request("textDocument/rename", json!({"textDocument": {"uri": project.uri(&name)}, "position": pos, "newName": new_name}));
                let edits = result["changes"][project.uri(file)]
                    .as_array()
                    .cloned()
                    .unwrap_or_default();
                let renamed = apply_edits(&project.text(file), &edits, false);
                assert!(
                    renamed.lines().any(|l| l == want_line),
                    "rename at {marker}:\n{renamed}"
                );
                // A builtin cannot be renamed: the server says why.
                let error = session.request_raw("textDocument/rename", json!({"textDocument": {"uri": project.uri("base.infra")}, "position": {"line": 15, "character": 28}, "newName": "x"}));
                assert!(
                    error["error"]["message"]
                        .as_str()
                        .is_some_and(|m| m.contains("built in")),
                    "{error}"
                );
            }
        }
    }
    session.shutdown();
}

#[test]
fn formatting_symbols_tokens_hints_and_quick_fixes() {
    let project = Project::new(&format!(
        "{}\n//- /extra.infra\nparam  extra:int=1\npolicy p for dev {{\n\trequire  extra>=1\n  }}\n",
        clean_shop().replace("env dev {\n  azs = 1\n}", "env dev {\n  azz = 1\n}")
    ));
    let mut session = Session::start(project.dir.path(), false);
    let (extra, dev, base) = (
        project.uri("extra.infra"),
        project.uri("dev.infra"),
        project.uri("base.infra"),
    );
    session.open(&project, "extra.infra");
    session.open(&project, "dev.infra");

    let edits = session.request(
        "textDocument/formatting",
        json!({"textDocument": {"uri": extra}, "options": {"tabSize": 2, "insertSpaces": true}}),
    );
    let formatted = apply_edits(
        &project.text("extra.infra"),
        edits.as_array().expect("edits"),
        false,
    );
    assert_eq!(
        formatted,
        "param  extra:int = 1\npolicy p for dev {\n  require  extra>=1\n}\n"
    );

    let symbols = session.request(
        "textDocument/documentSymbol",
        json!({"textDocument": {"uri": base}}),
    );
    let names: Vec<&str> = symbols
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|s| s["name"].as_str())
        .collect();
    assert_eq!(
        names,
        [
            "shop",
            "Nat",
            "azs",
            "nat",
            "clients",
            "comp",
            "foundation",
            "apps",
            "client"
        ]
    );
    let found = session.request("workspace/symbol", json!({"query": "vpcid"}));
    let found: Vec<String> = found
        .as_array()
        .into_iter()
        .flatten()
        .map(|s| {
            format!(
                "{} in {}",
                s["name"].as_str().unwrap_or_default(),
                s["containerName"].as_str().unwrap_or_default()
            )
        })
        .collect();
    // The project first, then the standard library (`vpc_cidr` has v, p, c, i, d in order).
    assert_eq!(
        found,
        [
            "vpc_id in foundation",
            "vpc_id in network",
            "vpc_cidr in network"
        ]
    );

    let tokens = session.request(
        "textDocument/semanticTokens/full",
        json!({"textDocument": {"uri": extra}}),
    );
    let data = tokens["data"].as_array().expect("token data");
    // `param` is a keyword (type 0) at 0:0 of length 5; `extra` a parameter declaration.
    assert_eq!(
        &data[..10],
        &[
            json!(0),
            json!(0),
            json!(5),
            json!(0),
            json!(0),
            json!(0),
            json!(7),
            json!(5),
            json!(6),
            json!(9)
        ]
    );

    let hints = session.request("textDocument/inlayHint", json!({"textDocument": {"uri": project.uri("pro.infra")}, "range": {"start": {"line": 0, "character": 0}, "end": {"line": 9, "character": 0}}}));
    let labels: Vec<&str> = hints
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|h| h["label"].as_str())
        .collect();
    assert_eq!(labels, ["was 3 (pre)", "was 2 (base)"]);

    // Signature help opens on `{` alone (or on request), not on `=`, `,` or a space.
    assert_eq!(
        session.capabilities["signatureHelpProvider"],
        json!({"triggerCharacters": ["{"]})
    );
    // Signature help inside an instance: the input at the cursor alone.
    let help = session.request(
        "textDocument/signatureHelp",
        json!({"textDocument": {"uri": base}, "position": {"line": 24, "character": 14}}),
    );
    let signature = &help["signatures"][0];
    assert_eq!(signature["label"], "comp.size: int(1..10) = 1", "{help}");
    assert_eq!(help["activeParameter"], 0, "{help}");

    // The did-you-mean fix for `azz` in dev.
    let diagnostics = session.diagnostics(&dev, Some(1));
    assert_eq!(
        codes(&diagnostics),
        ["E0305@1:2 `azz` is not a parameter, a layer or `project` | help: did you mean `azs`?"]
    );
    let actions = session.request("textDocument/codeAction", json!({"textDocument": {"uri": dev}, "range": diagnostics[0]["range"], "context": {"diagnostics": diagnostics}}));
    let action = &actions[0];
    assert_eq!(action["title"], "Replace with `azs`");
    assert_eq!(action["kind"], "quickfix");
    let fixed = apply_edits(
        &project.text("dev.infra"),
        action["edit"]["changes"][&dev].as_array().expect("edits"),
        false,
    );
    assert_eq!(fixed, "env dev {\n  azs = 1\n}\n");
    session.shutdown();
}

#[test]
fn positions_in_utf16_and_utf8_with_non_ascii_text() {
    let fixture = format!(
        "{}//- /dev.infra\nenv dev {{\n  /* é😀 */ a$9zs = 9\n}}\n",
        clean_shop()
            .split("//- /dev.infra")
            .next()
            .unwrap_or_default()
    );
    for utf8 in [false, true] {
        let project = Project::new(&fixture);
        let dev = project.uri("dev.infra");
        let text = project.text("dev.infra");
        let mut session = Session::start(project.dir.path(), utf8);
        session.open(&project, "dev.infra");
        let diagnostics = session.diagnostics(&dev, Some(1));
        let nine = text.find("= 9").expect("the value") + 2;
        let expected = position(&text, nine, utf8);
        assert_eq!(diagnostics.len(), 1, "{diagnostics:?}");
        assert_eq!(diagnostics[0]["range"]["start"], expected, "utf8 = {utf8}");
        assert_eq!(expected["character"], if utf8 { 21 } else { 18 });
        // Hover on `azs`, positioned after the non-ASCII comment.
        let (_, _, at) = project
            .markers
            .iter()
            .find(|(m, _, _)| m == "$9")
            .cloned()
            .expect("marker");
        let hover = session.request(
            "textDocument/hover",
            json!({"textDocument": {"uri": dev}, "position": position(&text, at, utf8)}),
        );
        assert!(
            hover["contents"]["value"]
                .as_str()
                .is_some_and(|m| m.contains("param azs")),
            "{hover}"
        );
        assert_eq!(hover["range"]["start"], position(&text, at - 1, utf8));
        // An edit in the negotiated encoding: replace the 9 by 3.
        let end = position(&text, nine + 1, utf8);
        session.change_range(&dev, 2, expected.clone(), end, "3");
        assert_eq!(session.diagnostics(&dev, Some(2)), Vec::<Value>::new());
        session.shutdown();
    }
}

#[test]
fn survives_malformed_messages_unknown_files_and_a_burst_of_edits() {
    let project = Project::new(&clean_shop());
    let mut session = Session::start(project.dir.path(), false);
    // A body that is not JSON, a header without a length, JSON that is not an object, a
    // message that is not JSON-RPC, and an unknown method.
    session.send_raw(b"Content-Length: 9\r\n\r\n{not json");
    session.send_raw(b"garbage without a header\r\n\r\n");
    session.send_raw(b"Content-Length: 2\r\n\r\n[]");
    let malformed = session.request_raw("textDocument/hover", json!(5));
    assert!(malformed.get("error").is_some(), "{malformed}");
    session.send(&json!({"jsonrpc": "2.0", "id": 999, "method": 5}));
    session.wait("an error for the malformed request 999", |m| {
        m["id"] == 999 && m.get("error").is_some()
    });
    session.send(&json!({"jsonrpc": "2.0", "method": {"not": "a method"}}));
    let unknown = session.request_raw("infrac/unknown", json!({}));
    assert_eq!(unknown["error"]["code"], -32601, "{unknown}");
    // Requests and edits for files the server does not know.
    let nowhere = "file:///nowhere/missing.infra";
    let hover = session.request(
        "textDocument/hover",
        json!({"textDocument": {"uri": nowhere}, "position": {"line": 0, "character": 0}}),
    );
    assert_eq!(hover, Value::Null);
    let definition = session.request(
        "textDocument/definition",
        json!({"textDocument": {"uri": nowhere}, "position": {"line": 3, "character": 1}}),
    );
    assert_eq!(definition, Value::Null);
    session.change_full(nowhere, 2, "env x {}");
    let far = session.request("textDocument/hover", json!({"textDocument": {"uri": project.uri("base.infra")}, "position": {"line": 999, "character": 999}}));
    assert_eq!(far, Value::Null);

    // A burst of 50 incremental edits: type a comment one character at a time, then break the
    // value. The last version's diagnostics are published, with its version.
    let dev = project.uri("dev.infra");
    session.open(&project, "dev.infra");
    session.change_range(
        &dev,
        2,
        json!({"line": 2, "character": 1}),
        json!({"line": 2, "character": 1}),
        "\n// ",
    );
    for version in 3..51 {
        let column = 3 + (version - 3);
        // The last character typed is a space, which formatting trims.
        let typed = if version == 50 { " " } else { "é" };
        session.change_range(
            &dev,
            version,
            json!({"line": 3, "character": column}),
            json!({"line": 3, "character": column}),
            typed,
        );
    }
    session.change_range(
        &dev,
        51,
        json!({"line": 1, "character": 8}),
        json!({"line": 1, "character": 9}),
        "7",
    );
    let last = session.diagnostics(&dev, Some(51));
    assert_eq!(last.len(), 1, "{last:?}");
    assert_eq!(last[0]["code"], "E0404");
    assert_eq!(
        last[0]["range"]["start"],
        json!({"line": 1, "character": 8})
    );
    // The server's text is the client's: formatting trims the space typed last.
    let client_text = format!("env dev {{\n  azs = 7\n}}\n// {} \n", "é".repeat(47));
    let edits = session.request(
        "textDocument/formatting",
        json!({"textDocument": {"uri": dev}, "options": {"tabSize": 2, "insertSpaces": true}}),
    );
    let formatted = apply_edits(&client_text, edits.as_array().expect("edits"), false);
    assert_eq!(
        formatted,
        format!("env dev {{\n  azs = 7\n}}\n// {}\n", "é".repeat(47))
    );
    session.shutdown();
}

/// The server's environment, as the kernel shows it (the process's own after `exec`).
#[cfg(target_os = "linux")]
fn server_environment(session: &Session) -> Vec<String> {
    let environ = std::fs::read(format!("/proc/{}/environ", session.pid())).expect("environ");
    environ
        .split(|&b| b == 0)
        .map(|v| String::from_utf8_lossy(v).into_owned())
        .collect()
}

#[cfg(target_os = "linux")]
#[test]
fn the_server_runs_with_mimallocs_purge_delay_and_keeps_the_users() {
    let project = Project::new(&clean_shop());
    let mut session = Session::start_with_env(project.dir.path(), false, &[]);
    // Started again in place (same process, same pipes), it still serves.
    session.open(&project, "base.infra");
    assert_eq!(
        session.diagnostics(&project.uri("base.infra"), Some(1)),
        Vec::<Value>::new()
    );
    let expected = match std::env::var("MIMALLOC_PURGE_DELAY") {
        Ok(users) => format!("MIMALLOC_PURGE_DELAY={users}"),
        Err(_) => "MIMALLOC_PURGE_DELAY=0".to_string(),
    };
    assert!(server_environment(&session).contains(&expected));
    session.shutdown();
    let mut session =
        Session::start_with_env(project.dir.path(), false, &[("MIMALLOC_PURGE_DELAY", "7")]);
    let environment = server_environment(&session);
    assert!(environment.contains(&"MIMALLOC_PURGE_DELAY=7".to_string()));
    assert!(!environment.contains(&"MIMALLOC_PURGE_DELAY=0".to_string()));
    session.open(&project, "dev.infra");
    assert_eq!(
        session.diagnostics(&project.uri("dev.infra"), Some(1)),
        Vec::<Value>::new()
    );
    session.shutdown();
}

/// Direct answers (`lsp/src/direct.rs`) and tower-lsp-server's frames share standard output:
/// each frame arrives whole, also when a frame of the server is larger than the pipes between
/// the transport's tasks and the answers are sent while it is written.
#[test]
fn direct_answers_and_large_server_frames_go_out_whole() {
    // Three thousand unknown names: a diagnostics frame of several hundred KB.
    let mut text = String::from("project p {\n  region = \"eu-west-1\"\n}\nenv dev {\n");
    for n in 0..3000 {
        text.push_str(&format!("  unknown_name_{n} = {n}\n"));
    }
    text.push_str("}\n");
    let project = Project::new(&format!("//- /dev.infra\n{text}"));
    let mut session = Session::start(project.dir.path(), false);
    let uri = project.uri("dev.infra");
    session.open(&project, "dev.infra");
    let document = json!({"textDocument": {"uri": uri}});
    let ids: Vec<i64> = (1000..1010).collect();
    for &id in &ids {
        let method = if id % 2 == 0 {
            "textDocument/documentSymbol"
        } else {
            "textDocument/semanticTokens/full"
        };
        session.send(&json!({"jsonrpc": "2.0", "id": id, "method": method, "params": document}));
    }
    for &id in &ids {
        let answer = session.wait(&format!("the answer {id}"), |m| m["id"] == id);
        assert!(answer.get("error").is_none(), "{answer}");
    }
    let diagnostics = session.diagnostics(&uri, Some(1));
    assert!(diagnostics.len() >= 3000, "{}", diagnostics.len());
    session.shutdown();
}

/// The peak resident memory of a process, in KiB (Linux).
#[cfg(target_os = "linux")]
fn peak_rss_kib(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).expect("process status");
    status
        .lines()
        .find_map(|line| line.strip_prefix("VmHWM:"))
        .and_then(|rest| rest.trim().trim_end_matches("kB").trim().parse().ok())
        .expect("VmHWM in the process status")
}

#[test]
fn frame_filter_survives_bad_header_lines_and_answers_dollar_requests() {
    let project = Project::new(&clean_shop());
    let mut session = Session::start(project.dir.path(), false);
    let frame = |headers: &[u8], body: &Value| {
        let body = body.to_string();
        let mut bytes = headers.to_vec();
        bytes.extend_from_slice(format!("Content-Length: {}\r\n\r\n{body}", body.len()).as_bytes());
        bytes
    };
    // A header line that is not UTF-8 is ignored; the frame's request is still answered.
    let request = json!({"jsonrpc": "2.0", "id": 7001, "method": "infrac/unknown", "params": {}});
    session.send_raw(&frame(b"X-Junk: \xff\xfe\xfd\r\n", &request));
    let answer = session.wait("the answer to 7001", |m| m["id"] == 7001);
    assert_eq!(answer["error"]["code"], -32601, "{answer}");
    // A header line of 96 MiB is discarded as it streams in: the server's memory does not grow
    // by the line, and the frame's request is answered.
    #[cfg(target_os = "linux")]
    let peak_before = peak_rss_kib(session.pid());
    let mut long_line = b"X-Long: ".to_vec();
    long_line.resize(96 << 20, b'a');
    long_line.extend_from_slice(b"\r\n");
    let request = json!({"jsonrpc": "2.0", "id": 7002, "method": "infrac/unknown", "params": {}});
    session.send_raw(&frame(&long_line, &request));
    let answer = session.wait("the answer to 7002", |m| m["id"] == 7002);
    assert_eq!(answer["error"]["code"], -32601, "{answer}");
    #[cfg(target_os = "linux")]
    {
        let grown_kib = peak_rss_kib(session.pid()).saturating_sub(peak_before);
        assert!(
            grown_kib < 32 << 10,
            "the peak memory grew by {grown_kib} KiB"
        );
    }
    // A request whose method starts with `$/` gets MethodNotFound for its id; a `$/`
    // notification is ignored, and the session goes on.
    let dollar = session.request_raw("$/infracUnknown", json!({}));
    assert_eq!(dollar["error"]["code"], -32601, "{dollar}");
    session.notify("$/infracUnknown", json!({}));
    let hover = session.request(
        "textDocument/hover",
        json!({"textDocument": {"uri": project.uri("base.infra")}, "position": {"line": 999, "character": 0}}),
    );
    assert_eq!(hover, Value::Null);
    session.shutdown();
}

#[test]
fn survives_invalid_utf8_on_disk_files_deleted_under_it_and_a_huge_file() {
    let project = Project::new(&clean_shop());
    // A file that is not UTF-8 is on disk before the server starts.
    std::fs::write(
        project.path("notes.infra"),
        b"/// caf\xe9 in Latin-1\nparam note: int = 1\n",
    )
    .expect("write a Latin-1 file");
    let mut session = Session::start(project.dir.path(), false);
    session.open(&project, "pro.infra");
    let pro = project.uri("pro.infra");
    let notes = project.uri("notes.infra");
    assert_eq!(session.diagnostics(&pro, Some(1)), Vec::<Value>::new());
    let unreadable = session.diagnostics(&notes, None);
    assert_eq!(
        codes(&unreadable),
        vec!["E0104@0:0 the file is not valid UTF-8 (first bad byte at offset 7)"],
    );

    // pre.infra, which pro extends, is deleted under the server: pro now extends nothing.
    std::fs::remove_file(project.path("pre.infra")).expect("delete pre.infra");
    let pre = project.uri("pre.infra");
    session.notify(
        "workspace/didChangeWatchedFiles",
        json!({"changes": [{"uri": pre, "type": 3}]}),
    );
    let broken = session.diagnostics(&pro, Some(1));
    assert!(
        codes(&broken).iter().any(|c| c.starts_with("E0301@0:")),
        "{broken:?}"
    );
    // It comes back; the Latin-1 file is fixed on disk; dev.infra turns into bytes that are
    // not UTF-8. Each is reported, or its report cleared, from what is on disk now.
    std::fs::write(
        project.path("pre.infra"),
        project
            .text("pro.infra")
            .replace("env pro extends pre", "env pre")
            .replace("  azs = 4\n", "  azs = 3\n"),
    )
    .expect("restore pre.infra");
    std::fs::write(
        project.path("notes.infra"),
        "/// café\nparam note: int = 1\n",
    )
    .expect("fix notes.infra");
    std::fs::write(project.path("dev.infra"), b"env dev {\n  azs = \xff\n}\n")
        .expect("break dev.infra");
    let dev = project.uri("dev.infra");
    session.notify(
        "workspace/didChangeWatchedFiles",
        json!({"changes": [
            {"uri": pre, "type": 1},
            {"uri": notes, "type": 2},
            {"uri": dev, "type": 2},
        ]}),
    );
    // Earlier publications of these files may still be queued: wait for the ones that say so.
    session.wait("dev.infra reported unreadable", |m| {
        m["method"] == "textDocument/publishDiagnostics"
            && m["params"]["uri"] == dev
            && m["params"]["diagnostics"].as_array().is_some_and(|d| {
                codes(d)
                    .iter()
                    .any(|c| c.starts_with("E0104@0:0 the file is not valid UTF-8"))
            })
    });
    session.wait("notes.infra cleared", |m| {
        m["method"] == "textDocument/publishDiagnostics"
            && m["params"]["uri"] == notes
            && m["params"]["diagnostics"] == json!([])
    });

    // A 1.5 MB document: 60,000 parameters. The server checks it, answers about it, and a
    // one-line edit of it is checked again.
    let mut huge = String::from("env dev {\n  azs = 2\n}\n");
    for i in 0..60_000 {
        huge.push_str(&format!("param p{i}: int(0..10) = {}\n", i % 10));
    }
    assert!(huge.len() > 1_500_000);
    session.notify(
        "textDocument/didOpen",
        json!({"textDocument": {"uri": dev, "languageId": "infra", "version": 1, "text": huge}}),
    );
    let diagnostics = session.diagnostics(&dev, Some(1));
    assert!(
        codes(&diagnostics).iter().all(|c| c.starts_with("W0201")),
        "only unused-parameter warnings: {:?}",
        &codes(&diagnostics)[..3.min(diagnostics.len())]
    );
    let hover = session.request(
        "textDocument/hover",
        json!({"textDocument": {"uri": dev}, "position": {"line": 60_002, "character": 7}}),
    );
    assert!(
        hover["contents"]["value"]
            .as_str()
            .is_some_and(|h| h.contains("p59999")),
        "{hover}"
    );
    session.change_range(
        &dev,
        2,
        json!({"line": 1, "character": 8}),
        json!({"line": 1, "character": 9}),
        "9",
    );
    let after = session.diagnostics(&dev, Some(2));
    assert!(
        codes(&after).iter().any(|c| c.starts_with("E0404@1:8")),
        "{:?}",
        &codes(&after)[..3.min(after.len())]
    );
    session.shutdown();
}

/// Documents nested a million levels deep (brackets, a long sum, negations, templates) and a
/// chain of 10,000 type aliases: the server answers each with E0105, keeps serving the editor's
/// requests on them, and goes on once the text is fixed. A document just under the limit is
/// clean.
#[test]
fn deep_nesting_is_a_diagnostic_and_the_server_keeps_serving() {
    const N: usize = 1_000_000;
    let limit = infrac_syntax::MAX_NESTING as u64;
    let project = Project::new(&clean_shop());
    let mut session = Session::start(project.dir.path(), false);
    let dev = project.uri("dev.infra");
    session.open(&project, "dev.infra");
    session.diagnostics(&dev, Some(1));
    let deep = [
        (
            format!(
                "env dev {{\n  azs = {}{}\n}}\n",
                "[".repeat(N),
                "]".repeat(N)
            ),
            // The env's `{` is the first level; after 8 bytes, the 256th `[`.
            (1, 8 + limit - 1),
        ),
        (
            format!("env dev {{\n  azs = 1{}\n}}\n", "+1".repeat(N)),
            (1, 9 + 2 * (limit - 1)),
        ),
        (
            format!("env dev {{\n  azs = {}1\n}}\n", "!".repeat(N)),
            (1, 8 + limit - 1),
        ),
        (
            format!(
                "env dev {{\n  azs = {}1{}\n}}\n",
                "\"${".repeat(N),
                "}\"".repeat(N)
            ),
            (1, 8 + 3 * (limit - 1) + 1),
        ),
    ];
    let mut version = 1;
    for (text, (line, character)) in &deep {
        version += 1;
        session.change_full(&dev, version, text);
        let diagnostics = session.diagnostics(&dev, Some(version));
        assert_eq!(
            codes(&diagnostics)
                .iter()
                .map(|c| c.split(' ').next().unwrap_or_default().to_string())
                .collect::<Vec<_>>(),
            vec![format!("E0105@{line}:{character}")],
            "{:?}",
            codes(&diagnostics)
        );
        // The editor's requests on the deep document are answered. Semantic tokens are asked
        // for on the document under the limit below: for a million tokens the answer alone is
        // tens of megabytes, slow for the test to read.
        let position = json!({"line": 1, "character": 10});
        session.request(
            "textDocument/hover",
            json!({"textDocument": {"uri": dev}, "position": position}),
        );
        session.request(
            "textDocument/completion",
            json!({"textDocument": {"uri": dev}, "position": position}),
        );
        session.request(
            "textDocument/documentSymbol",
            json!({"textDocument": {"uri": dev}}),
        );
        session.request(
            "textDocument/formatting",
            json!({"textDocument": {"uri": dev}, "options": {"tabSize": 2, "insertSpaces": true}}),
        );
    }
    // Just under the limit: no diagnostic, and every request is answered.
    version += 1;
    let depth = limit as usize - 2;
    let under = format!(
        "env dev {{\n  azs = {}1{}\n  nat = {}\"single\"{}\n}}\n",
        "(".repeat(depth),
        ")".repeat(depth),
        "\"${".repeat(depth),
        "}\"".repeat(depth)
    );
    session.change_full(&dev, version, &under);
    assert_eq!(
        codes(&session.diagnostics(&dev, Some(version))),
        Vec::<String>::new()
    );
    session.request(
        "textDocument/hover",
        json!({"textDocument": {"uri": dev}, "position": {"line": 1, "character": 200}}),
    );
    session.request(
        "textDocument/semanticTokens/full",
        json!({"textDocument": {"uri": dev}}),
    );
    // A chain of 10,000 type aliases.
    let aliases: String = (0..10_000)
        .map(|i| format!("type A{i} = A{}\n", i + 1))
        .chain(["type A10000 = int\nparam deep: A0 = 1\n".to_string()])
        .collect();
    std::fs::write(project.path("aliases.infra"), &aliases).expect("write aliases");
    let aliases_uri = project.uri("aliases.infra");
    session.notify(
        "textDocument/didOpen",
        json!({"textDocument": {"uri": aliases_uri, "languageId": "infra", "version": 1, "text": aliases}}),
    );
    let diagnostics = session.diagnostics(&aliases_uri, Some(1));
    assert!(
        codes(&diagnostics).iter().any(|c| c.starts_with("E0105@")),
        "{:?}",
        codes(&diagnostics).first()
    );
    // The fixed text is checked as usual.
    version += 1;
    session.change_full(&dev, version, "env dev {\n  azs = 7\n}\n");
    let last = session.diagnostics(&dev, Some(version));
    assert_eq!(codes(&last).len(), 1, "{:?}", codes(&last));
    assert!(
        codes(&last)[0].starts_with("E0404@1:8"),
        "{:?}",
        codes(&last)
    );
    session.shutdown();
}

/// The integers of a semantic tokens answer.
fn token_ints(value: &Value) -> Vec<u64> {
    value
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(Value::as_u64)
        .collect()
}

#[test]
fn semantic_tokens_full_then_delta_after_an_edit_and_a_range() {
    let project = Project::new(
        "//- /a.infra\nparam azs: int = 2\nparam nat: string = \"single\"\n/// Doc.\nparam days: int = 30\n",
    );
    let mut session = Session::start(project.dir.path(), false);
    assert_eq!(
        session.capabilities["semanticTokensProvider"]["full"],
        json!({"delta": true})
    );
    assert_eq!(
        session.capabilities["semanticTokensProvider"]["range"],
        true
    );
    let uri = project.uri("a.infra");
    session.open(&project, "a.infra");
    let full = session.request(
        "textDocument/semanticTokens/full",
        json!({"textDocument": {"uri": uri}}),
    );
    let first_id = full["resultId"].as_str().expect("a result id").to_string();
    let mut data = token_ints(&full["data"]);

    // `nat` becomes `nat_mode`: that token changes length and the next one on its line starts
    // later (starts are relative); the lines after it do not change.
    session.change_range(
        &uri,
        2,
        json!({"line": 1, "character": 6}),
        json!({"line": 1, "character": 9}),
        "nat_mode",
    );
    let delta = session.request(
        "textDocument/semanticTokens/full/delta",
        json!({"textDocument": {"uri": uri}, "previousResultId": first_id}),
    );
    let edits = delta["edits"]
        .as_array()
        .expect("a delta, not the whole file");
    assert_eq!(edits.len(), 1, "{delta}");
    let inserted = token_ints(&edits[0]["data"]);
    assert_eq!(inserted.len(), 2 * 5, "only two tokens travel: {delta}");
    let start = edits[0]["start"].as_u64().expect("start") as usize;
    let deleted = edits[0]["deleteCount"].as_u64().expect("deleteCount") as usize;
    data.splice(start..start + deleted, inserted);
    let fresh = session.request(
        "textDocument/semanticTokens/full",
        json!({"textDocument": {"uri": uri}}),
    );
    assert_eq!(
        data,
        token_ints(&fresh["data"]),
        "the delta applied gives the new tokens"
    );
    assert_ne!(delta["resultId"], json!(first_id));

    // A delta from a result the server no longer has is the whole file.
    let stale = session.request(
        "textDocument/semanticTokens/full/delta",
        json!({"textDocument": {"uri": uri}, "previousResultId": first_id}),
    );
    assert_eq!(token_ints(&stale["data"]), data, "{stale}");

    // A range: the tokens of line 3 alone (`param`, `days`, `:`, `int`, `=`, `30`), counted from
    // the start of the file.
    let range = session.request(
        "textDocument/semanticTokens/range",
        json!({"textDocument": {"uri": uri}, "range": {"start": {"line": 3, "character": 0}, "end": {"line": 4, "character": 0}}}),
    );
    let ranged = token_ints(&range["data"]);
    assert_eq!(ranged.len(), 6 * 5, "{range}");
    assert_eq!(&ranged[..3], &[3, 0, 5], "`param` at 3:0");
    session.shutdown();
}

/// A module whose interface is read from its Terraform files follows them: a changed
/// `variables.tf` (as the client's file watcher reports it) and a `source` edited to another
/// directory are read again, without restarting the server.
#[test]
fn module_interfaces_follow_their_terraform_files() {
    let project = Project::new(
        r#"//- /base.infra
project shop {
  region = "eu-west-1"
  state  = { bucket = "shop-tfstate" }
}
module queue {
  source = "modules/queue"
}
layer apps {
  queue orders {
    name = "orders"
  }
}
env dev {}
//- /modules/queue/variables.tf
variable "name" {
  type = string
}
//- /modules/queue/main.tf
resource "terraform_data" "q" {
  input = var.name
}
//- /modules/renamed/variables.tf
variable "title" {
  type = string
}
"#,
    );
    let mut session = Session::start(project.dir.path(), false);
    let base = project.uri("base.infra");
    session.open(&project, "base.infra");
    assert_eq!(
        codes(&session.diagnostics(&base, Some(1))),
        Vec::<String>::new()
    );

    // variables.tf renames the input: `name` is unknown, `title` is missing.
    std::fs::write(
        project.path("modules/queue/variables.tf"),
        "variable \"title\" {\n  type = string\n}\n",
    )
    .expect("write variables.tf");
    session.notify(
        "workspace/didChangeWatchedFiles",
        json!({"changes": [{"uri": project.uri("modules/queue/variables.tf"), "type": 2}]}),
    );
    let after_tf = codes(&session.diagnostics(&base, None));
    assert!(
        after_tf.iter().any(|c| c.starts_with("E0402@"))
            && after_tf.iter().any(|c| c.starts_with("E0403@")),
        "{after_tf:?}"
    );

    // The source edited to a directory whose module takes `title`, and the instance with it.
    let text = project
        .text("base.infra")
        .replace("modules/queue", "modules/renamed")
        .replace("name = \"orders\"", "title = \"orders\"");
    session.change_full(&base, 2, &text);
    assert_eq!(
        codes(&session.diagnostics(&base, Some(2))),
        Vec::<String>::new()
    );
    session.shutdown();
}

/// An instance of a provider's resource type, typed from the schema cached in the project: no
/// diagnostic, hover from the schema, attributes completed; after an edit, a computed attribute set
/// is E0409, and an instance of a provider that is neither the project's nor cached is E0203.
#[test]
fn resource_types_are_typed_from_the_cached_provider_schema() {
    let project = Project::new(concat!(
        "//- /base.infra\n",
        "project shop {\n  region = \"eu-west-1\"\n  state  = { bucket = \"shop-tfstate\" }\n}\n",
        "layer alerts {\n  aws_sn$1s_topic oncall {\n    name = \"shop-oncall\"\n    $2\n  }\n",
        "  output arn: string = oncall.arn\n}\nenv dev {}\n",
        "//- /.infrac/schemas/hashicorp/aws/5.100.0.jsonl\n",
        r#"{"infrac_schema":1,"provider":"registry.terraform.io/hashicorp/aws","version":"5.100.0"}"#,
        "\n",
        r#"{"kind":"resource","name":"aws_sns_topic","block":{"attributes":{"arn":{"type":"string","computed":true},"fifo_topic":{"type":"bool","optional":true},"name":{"type":"string","optional":true}}}}"#,
        "\n",
    ));
    let mut session = Session::start(project.dir.path(), false);
    let base = project.uri("base.infra");
    session.open(&project, "base.infra");
    assert_eq!(
        codes(&session.diagnostics(&base, Some(1))),
        Vec::<String>::new()
    );
    let (_, at) = project.marker("$1");
    let hover = session.request(
        "textDocument/hover",
        json!({"textDocument": {"uri": base}, "position": at}),
    );
    let markdown = hover["contents"]["value"].as_str().unwrap_or_default();
    assert!(
        markdown.contains("resource aws_sns_topic") && markdown.contains("hashicorp/aws"),
        "{markdown}"
    );
    let (_, at) = project.marker("$2");
    let completion = session.request(
        "textDocument/completion",
        json!({"textDocument": {"uri": base}, "position": at}),
    );
    let items = completion
        .get("items")
        .unwrap_or(&completion)
        .as_array()
        .cloned()
        .unwrap_or_default();
    let labels: Vec<&str> = items.iter().filter_map(|i| i["label"].as_str()).collect();
    assert!(labels.contains(&"fifo_topic"), "{labels:?}");
    assert!(!labels.contains(&"arn"), "{labels:?}");

    let text = project
        .text("base.infra")
        .replace(
            "name = \"shop-oncall\"",
            "name = \"shop-oncall\"\n    arn  = \"x\"",
        )
        .replace(
            "  output arn: string = oncall.arn\n",
            "  output arn: string = oncall.arn\n  google_storage_bucket b {}\n",
        );
    session.change_full(&base, 2, &text);
    let after = codes(&session.diagnostics(&base, Some(2)));
    assert!(
        after.iter().any(|c| c.starts_with("E0409@")),
        "a computed attribute set: {after:?}"
    );
    assert!(
        after.iter().any(|c| c.starts_with("E0203@")),
        "google has no cache and is not a project provider: {after:?}"
    );

    // `infrac schema` writes the cache again with a queue type: the server reads it.
    let text = text.replace(
        "  google_storage_bucket b {}\n",
        "  aws_sqs_queue jobs {}\n",
    );
    session.change_full(&base, 3, &text);
    let before = codes(&session.diagnostics(&base, Some(3)));
    assert!(before.iter().any(|c| c.starts_with("E0203@")), "{before:?}");
    let cache = project.path(".infrac/schemas/hashicorp/aws/5.100.0.jsonl");
    let mut lines = project.text(".infrac/schemas/hashicorp/aws/5.100.0.jsonl");
    lines.push_str(r#"{"kind":"resource","name":"aws_sqs_queue","block":{"attributes":{"arn":{"type":"string","computed":true}}}}"#);
    lines.push('\n');
    std::fs::write(&cache, lines).expect("write the cache");
    session.notify(
        "workspace/didChangeWatchedFiles",
        json!({"changes": [{"uri": project.uri(".infrac/schemas/hashicorp/aws/5.100.0.jsonl"), "type": 2}]}),
    );
    let reloaded = codes(&session.diagnostics(&base, None));
    assert!(
        !reloaded.iter().any(|c| c.starts_with("E0203@")),
        "the queue is typed from the new cache: {reloaded:?}"
    );
    session.shutdown();
}
