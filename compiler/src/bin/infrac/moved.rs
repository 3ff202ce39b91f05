//! State safety for a build that replaces a previous build: `moved` blocks for module instances
//! renamed within a layer, and E0507 for layers whose state key changes.
//!
//! The previous build is read from the output directory: `layers.json` gives each layer's name,
//! directory, state key and bucket (the shared layers' too, under `shared/`), each layer's
//! `main.tf` gives its module calls, and its `moved.tf` the
//! moves of earlier builds, which are kept (Terraform follows chains of them) for as long as
//! their target exists. An instance that disappeared is matched with a new one when both call
//! the same module with the same inputs, up to the instance's own name and the names of the
//! instances they refer to; only one-to-one matches count. `--moved LAYER.FROM=TO` says what the
//! heuristic cannot know. Everything is sorted, so the same input and previous output give the
//! same bytes.

use std::cell::OnceCell;
use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use infrac_emit::emit::header;
use infrac_emit::emit::literal::traversal;

use crate::generated::Files;

/// A move the user states on the command line: `LAYER.FROM=TO`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Explicit {
    pub layer: String,
    pub from: String,
    pub to: String,
}

impl std::str::FromStr for Explicit {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, String> {
        let parse = || {
            let (left, to) = text.split_once('=')?;
            let (layer, from) = left.split_once('.')?;
            let ok = |s: &str| {
                !s.is_empty()
                    && s.chars()
                        .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
            };
            (ok(layer) && ok(from) && ok(to)).then(|| Explicit {
                layer: layer.to_string(),
                from: from.to_string(),
                to: to.to_string(),
            })
        };
        parse().ok_or_else(|| format!("`{text}` is not LAYER.FROM=TO (e.g. apps.web=frontend)"))
    }
}

/// A layer whose state would live at a different key.
#[derive(Clone, Debug)]
pub struct KeyChange {
    pub layer: String,
    pub old_layer: String,
    pub old_key: String,
    pub new_key: String,
    /// The state buckets of both keys: they differ when a layer became shared or stopped being.
    pub old_bucket: String,
    pub new_bucket: String,
}

/// What a build into a directory with a previous build must add or know.
#[derive(Default, Debug)]
pub struct Plan {
    /// `NN-layer/moved.tf` (and `shared/NN-layer/moved.tf`) files, complete with the header.
    pub files: Files,
    /// New moves found in this build: `(layer dir, from, to)`.
    pub renames: Vec<(String, String, String)>,
    pub key_changes: Vec<KeyChange>,
    /// Renames the heuristic saw but could not decide.
    pub notes: Vec<String>,
    /// New moves whose module inputs change with the instance's name (defaults such as
    /// `"${project}-${env}-${instance}"`): the state moves, but the resource's physical name
    /// changes, so the provider still replaces it.
    pub renamed_names: Vec<NameChange>,
}

/// A renamed instance whose inputs hold its own name.
#[derive(Clone, Debug)]
pub struct NameChange {
    pub layer: String,
    pub from: String,
    pub to: String,
    /// `(input, value before, value now)`, as written in `main.tf`.
    pub inputs: Vec<(String, String, String)>,
}

/// The single-line `input = value` lines of a module call, by input.
fn single_line_inputs<'b>(body: &[&'b str]) -> BTreeMap<&'b str, &'b str> {
    body.iter()
        .filter_map(|line| {
            let (key, value) = line.split_once('=')?;
            let key = key.trim();
            let value = value.trim();
            (!key.is_empty()
                && key.chars().all(|c| is_word(c) || c == '-')
                && !value.is_empty()
                && !value.ends_with('{')
                && !value.ends_with('['))
            .then_some((key, value))
        })
        .collect()
}

/// The inputs of a renamed instance whose value is the old value with the old name replaced by
/// the new one.
fn name_changes(from: &str, old: &[&str], to: &str, new: &[&str]) -> Vec<(String, String, String)> {
    let before = single_line_inputs(old);
    let now = single_line_inputs(new);
    before
        .iter()
        .filter_map(|(key, old_value)| {
            let new_value = now.get(key)?;
            (old_value != new_value && replace_word(old_value, from, to) == *new_value).then(|| {
                (
                    key.to_string(),
                    old_value.to_string(),
                    new_value.to_string(),
                )
            })
        })
        .collect()
}

struct LayerInfo {
    name: String,
    dir: String,
    state_key: String,
    bucket: String,
    shared: bool,
}

/// The environment of a `layers.json` and its layers: the shared layers (`shared/NN-layer`)
/// first, then the environment's.
fn layers(json: &str) -> Option<(String, Vec<LayerInfo>)> {
    let json: serde_json::Value = serde_json::from_str(json).ok()?;
    let env = json["env"].as_str()?.to_string();
    json["layers"].as_array()?;
    let mut layers = Vec::new();
    for (part, shared) in [(&json["shared"], true), (&json, false)] {
        let bucket = part["state_bucket"].as_str().unwrap_or("BUCKET");
        layers.extend(
            part["layers"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(|l| {
                    Some(LayerInfo {
                        name: l["name"].as_str()?.to_string(),
                        dir: l["dir"].as_str()?.to_string(),
                        state_key: l["state_key"].as_str()?.to_string(),
                        bucket: bucket.to_string(),
                        shared,
                    })
                }),
        );
    }
    Some((env, layers))
}

/// The header of a generated file: its first line and the blank line after it.
fn header_of(text: &str) -> Option<&str> {
    text.starts_with("# ")
        .then(|| text.find("\n\n"))
        .flatten()
        .map(|end| &text[..end + 2])
}

/// The module calls of a generated `main.tf`, in order: `(instance name, body lines)`.
fn module_calls(main_tf: &str) -> Vec<(&str, Vec<&str>)> {
    let mut out = Vec::new();
    let mut current: Option<(&str, Vec<&str>)> = None;
    for line in main_tf.lines() {
        if let Some(rest) = line.strip_prefix("module \"") {
            if let Some((name, _)) = rest.split_once('"') {
                current = Some((name, Vec::new()));
            }
        } else if line == "}" {
            out.extend(current.take());
        } else if let Some((_, body)) = current.as_mut() {
            body.push(line);
        }
    }
    out
}

/// The module calls of one `main.tf`, split into lines only when something asks for them: a
/// rebuild whose layer text did not change needs none of them.
struct Calls<'a> {
    text: &'a str,
    calls: OnceCell<Vec<(&'a str, Vec<&'a str>)>>,
    names: OnceCell<BTreeSet<&'a str>>,
}

impl<'a> Calls<'a> {
    fn new(text: &'a str) -> Self {
        Calls {
            text,
            calls: OnceCell::new(),
            names: OnceCell::new(),
        }
    }

    fn get(&self) -> &[(&'a str, Vec<&'a str>)] {
        self.calls.get_or_init(|| module_calls(self.text))
    }

    /// The instance names, in a set.
    fn names(&self) -> &BTreeSet<&'a str> {
        self.names
            .get_or_init(|| self.get().iter().map(|(n, _)| *n).collect())
    }
}

/// What identifies an instance apart from its name: its body with whitespace runs collapsed,
/// references to other instances (`module.x.`) made anonymous, and its own name as a whole word
/// replaced by a placeholder (module defaults such as `"${project}-${env}-${instance}"`).
fn signature(name: &str, body: &[&str]) -> String {
    let mut out = Vec::new();
    for line in body {
        let collapsed = line.split_whitespace().collect::<Vec<_>>().join(" ");
        out.push(replace_word(
            &anonymize_modules(&collapsed),
            name,
            "\u{0}self",
        ));
    }
    out.join("\n")
}

fn is_word(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_'
}

fn anonymize_modules(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find("module.") {
        let before_ok = rest[..at].chars().next_back().is_none_or(|c| !is_word(c));
        out.push_str(&rest[..at + "module.".len()]);
        rest = &rest[at + "module.".len()..];
        if before_ok {
            let end = rest
                .find(|c: char| !(is_word(c) || c == '-'))
                .unwrap_or(rest.len());
            out.push('_');
            rest = &rest[end..];
        }
    }
    out.push_str(rest);
    out
}

fn replace_word(text: &str, word: &str, with: &str) -> String {
    if word.is_empty() {
        return text.to_string();
    }
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find(word) {
        let before_ok = rest[..at].chars().next_back().is_none_or(|c| !is_word(c));
        let after_ok = rest[at + word.len()..]
            .chars()
            .next()
            .is_none_or(|c| !is_word(c));
        out.push_str(&rest[..at]);
        out.push_str(if before_ok && after_ok { with } else { word });
        rest = &rest[at + word.len()..];
    }
    out.push_str(rest);
    out
}

/// `from = module.x` / `to = module.y` pairs of a generated `moved.tf`.
fn moves_of(moved_tf: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let mut from = None;
    for line in moved_tf.lines() {
        let line = line.trim();
        let value = |key: &str| {
            line.strip_prefix(key)
                .map(str::trim_start)
                .and_then(|r| r.strip_prefix('='))
                .and_then(|r| r.trim().strip_prefix("module."))
                .map(str::to_string)
        };
        if let Some(name) = value("from") {
            from = Some(name);
        } else if let Some(name) = value("to") {
            out.extend(from.take().map(|f| (f, name)));
        }
    }
    out
}

/// The text of `moved.tf` for these moves (sorted by `from`), as `terraform fmt` writes it.
fn moved_tf(head: &str, moves: &BTreeMap<String, String>) -> String {
    let mut text = head.to_string();
    text.push_str("# Renamed module instances: Terraform moves their state instead of destroying and recreating them.\n");
    // Names are module labels read back from Terraform files; only identifiers can be moved.
    let plain = |name: &str| infrac_emit::emit::literal::is_plain_identifier(name);
    for (from, to) in moves.iter().filter(|(from, to)| plain(from) && plain(to)) {
        let block = hcl::structure::Block::builder("moved")
            .add_attribute(("from", traversal("module", &[from])))
            .add_attribute(("to", traversal("module", &[to])))
            .build();
        text.push('\n');
        text.push_str(&infrac_emit::emit::render(
            hcl::Body::builder().add_block(block).build(),
        ));
    }
    text
}

fn read(path: &Path) -> Option<String> {
    crate::output::read_generated(path)
}

/// Compares the previous build in `previous` (if any) with the new build's `files`.
/// `source` is the environment file's name, for the header.
pub fn plan(
    previous: &Path,
    files: &Files,
    explicit: &[Explicit],
    source: &str,
) -> Result<Plan, String> {
    let mut plan = Plan::default();
    let (env, new_layers) = files
        .get("layers.json")
        .and_then(|text| layers(text))
        .ok_or("the build has no layers.json")?;
    let previous_layers = read(&previous.join("layers.json"))
        .and_then(|text| layers(&text))
        .filter(|(previous_env, _)| *previous_env == env)
        .map(|(_, layers)| layers)
        .unwrap_or_default();
    let new_calls: BTreeMap<&str, Calls> = new_layers
        .iter()
        .map(|l| {
            let main_tf = files.get(&format!("{}/main.tf", l.dir));
            (
                l.name.as_str(),
                Calls::new(main_tf.map_or("", String::as_str)),
            )
        })
        .collect();
    let old_texts: BTreeMap<&str, String> = previous_layers
        .iter()
        .map(|l| {
            let main_tf = read(&previous.join(&l.dir).join("main.tf"));
            (l.name.as_str(), main_tf.unwrap_or_default())
        })
        .collect();
    let old_calls: BTreeMap<&str, Calls> = old_texts
        .iter()
        .map(|(name, text)| (*name, Calls::new(text)))
        .collect();
    let shape = |calls: &Calls| {
        let mut shape: Vec<String> = calls.get().iter().map(|(n, b)| signature(n, b)).collect();
        shape.sort();
        shape
    };

    // Each new layer's previous self: by name, or a renamed layer with the same module calls.
    let mut previous_of: BTreeMap<&str, &LayerInfo> = BTreeMap::new();
    for layer in &new_layers {
        if let Some(old) = previous_layers.iter().find(|p| p.name == layer.name) {
            previous_of.insert(&layer.name, old);
        }
    }
    let gone: Vec<&LayerInfo> = previous_layers
        .iter()
        .filter(|p| !new_layers.iter().any(|l| l.name == p.name))
        .collect();
    let unmatched: Vec<&LayerInfo> = new_layers
        .iter()
        .filter(|l| !previous_of.contains_key(l.name.as_str()))
        .collect();
    for layer in unmatched.into_iter().filter(|_| !gone.is_empty()) {
        let new_shape = shape(&new_calls[layer.name.as_str()]);
        if new_shape.is_empty() {
            continue;
        }
        let same: Vec<&&LayerInfo> = gone
            .iter()
            .filter(|old| shape(&old_calls[old.name.as_str()]) == new_shape)
            .collect();
        if let [old] = same.as_slice() {
            previous_of.insert(&layer.name, old);
        }
    }

    for layer in &new_layers {
        let mut moves: BTreeMap<String, String> = BTreeMap::new();
        let calls = &new_calls[layer.name.as_str()];
        let mut fresh = Vec::new();
        if let Some(old) = previous_of.get(layer.name.as_str()) {
            if (&old.state_key, &old.bucket) != (&layer.state_key, &layer.bucket) {
                plan.key_changes.push(KeyChange {
                    layer: layer.name.clone(),
                    old_layer: old.name.clone(),
                    old_key: old.state_key.clone(),
                    new_key: layer.state_key.clone(),
                    old_bucket: old.bucket.clone(),
                    new_bucket: layer.bucket.clone(),
                });
            }
            // Moves of earlier builds stay while nothing new takes their `from`.
            if let Some(text) = read(&previous.join(&old.dir).join("moved.tf")) {
                for (from, to) in moves_of(&text) {
                    if !calls.names().contains(&from.as_str()) {
                        moves.insert(from, to);
                    }
                }
            }
            let before = &old_calls[old.name.as_str()];
            // The same text has the same calls: nothing was added or removed.
            let (removed, added) = match before.text == calls.text {
                true => (Vec::new(), Vec::new()),
                false => {
                    let before_names = before.names();
                    let removed: Vec<(&str, String)> = before
                        .get()
                        .iter()
                        .filter(|(n, _)| !calls.names().contains(n))
                        .map(|(n, b)| (*n, signature(n, b)))
                        .collect();
                    let added: Vec<(&str, String)> = calls
                        .get()
                        .iter()
                        .filter(|(n, _)| !before_names.contains(n))
                        .map(|(n, b)| (*n, signature(n, b)))
                        .collect();
                    (removed, added)
                }
            };
            for (to, sig) in &added {
                if explicit
                    .iter()
                    .any(|e| e.layer == layer.name && e.to == *to)
                {
                    continue;
                }
                let from: Vec<&&str> = removed
                    .iter()
                    .filter(|(_, s)| s == sig)
                    .map(|(n, _)| n)
                    .collect();
                let rivals = added.iter().filter(|(_, s)| s == sig).count();
                match (from.as_slice(), rivals) {
                    ([from], 1) => fresh.push((from.to_string(), to.to_string())),
                    ([], _) => {}
                    _ => plan.notes.push(format!(
                        "{}: module.{to} looks like a renamed {}; say which with --moved {}.OLD={to}",
                        layer.dir,
                        from.iter().map(|f| format!("module.{f}")).collect::<Vec<_>>().join(" or "),
                        layer.name
                    )),
                }
            }
        }
        for e in explicit.iter().filter(|e| e.layer == layer.name) {
            fresh.push((e.from.clone(), e.to.clone()));
        }
        for (from, to) in fresh {
            if moves.get(&from) != Some(&to) {
                plan.renames
                    .push((layer.dir.clone(), from.clone(), to.clone()));
                let old_body = previous_of.get(layer.name.as_str()).and_then(|old| {
                    old_calls[old.name.as_str()]
                        .get()
                        .iter()
                        .find(|(n, _)| *n == from)
                });
                let new_body = calls.get().iter().find(|(n, _)| *n == to);
                if let (Some((_, old_body)), Some((_, new_body))) = (old_body, new_body) {
                    let inputs = name_changes(&from, old_body, &to, new_body);
                    if !inputs.is_empty() {
                        plan.renamed_names.push(NameChange {
                            layer: layer.name.clone(),
                            from: from.clone(),
                            to: to.clone(),
                            inputs,
                        });
                    }
                }
            }
            moves.insert(from, to);
        }
        // Keep only chains that end at an instance of this build.
        let ends_here = |start: &String| {
            let mut at = start;
            for _ in 0..=moves.len() {
                match moves.get(at) {
                    Some(next) => at = next,
                    None => return calls.names().contains(&at.as_str()),
                }
            }
            false
        };
        let kept: BTreeMap<String, String> = moves
            .iter()
            .filter(|(from, _)| ends_here(from))
            .map(|(f, t)| (f.clone(), t.clone()))
            .collect();
        if !kept.is_empty() {
            // A shared layer's files name the shared layers, not this environment's file, so
            // that they are the same in every build: its `moved.tf` takes its `main.tf`'s header.
            let head = match layer.shared {
                true => files
                    .get(&format!("{}/main.tf", layer.dir))
                    .and_then(|text| header_of(text))
                    .map_or_else(|| header(source), str::to_string),
                false => header(source),
            };
            plan.files
                .insert(format!("{}/moved.tf", layer.dir), moved_tf(&head, &kept));
        }
    }
    for e in explicit {
        let Some(layer) = new_layers.iter().find(|l| l.name == e.layer) else {
            return Err(format!(
                "--moved {}.{}={}: env `{env}` has no layer `{}`",
                e.layer, e.from, e.to, e.layer
            ));
        };
        let now = new_calls[layer.name.as_str()].names();
        if !now.contains(e.to.as_str()) {
            return Err(format!(
                "--moved {}.{}={}: layer `{}` has no instance `{}`",
                e.layer, e.from, e.to, e.layer, e.to
            ));
        }
        if now.contains(e.from.as_str()) {
            return Err(format!(
                "--moved {}.{}={}: layer `{}` still has an instance `{}`",
                e.layer, e.from, e.to, e.layer, e.from
            ));
        }
    }
    Ok(plan)
}

/// The `moved.tf` files a build into `previous` would write (for `verify --compare`).
pub fn carried(previous: &Path, files: &Files) -> Files {
    let source = files
        .get("layers.json")
        .and_then(|t| serde_json::from_str::<serde_json::Value>(t).ok())
        .and_then(|j| {
            j["generated_by"]
                .as_str()
                .and_then(|g| g.rsplit(" from ").next())
                .map(str::to_string)
        })
        .unwrap_or_default();
    plan(previous, files, &[], &source)
        .map(|p| p.files)
        .unwrap_or_default()
}
