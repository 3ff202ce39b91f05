//! Tests of the editor features, as data: multi-file fixtures with `//- /path` headers and a `$0`
//! cursor, and the expected result written out.

use std::path::PathBuf;
use std::sync::Arc;

use crate::analysis::stdlib_files;
use crate::db::{RootDatabase, SourceFile, Workspace};
use crate::source::{LineIndex, TextRange};

use super::completion::{completion, CompletionKind};
use super::hover::hover;
use super::symbols::{goto_definition, references, rename};
use super::{format::apply_edits, workspace_diagnostics};

/// The project most tests extend: three environments, a user module, a repeated layer.
const SHOP: &str = r#"
//- /base.infra
project shop {
  region = "eu-west-1"
  state  = { bucket = "shop-tfstate" }
}
/// NAT gateways.
type Nat = enum("single", "per_az")
/// Availability zones.
param azs: int(1..6) = 2
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
  output vpc_id: string = net.id
}
layer apps {
  comp web { vpc = foundation.vpc_id, size = 2 }
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
  azs = 4
  apps.web.size = 4
}
"#;

struct Fixture {
    db: RootDatabase,
    workspace: Workspace,
    files: Vec<SourceFile>,
    cursor: Option<(SourceFile, u32)>,
}

/// Builds a workspace from a fixture; a later file with the same path replaces an earlier one,
/// so a test can take `SHOP` and change one file.
fn fixture(text: &str) -> Fixture {
    let mut db = RootDatabase::default();
    let mut sources: Vec<(String, String)> = Vec::new();
    let mut current: Option<(String, String)> = None;
    for line in text.split_inclusive('\n') {
        if let Some(path) = line.strip_prefix("//- ") {
            if let Some(done) = current.take() {
                sources.retain(|(p, _)| *p != done.0);
                sources.push(done);
            }
            current = Some((path.trim().to_string(), String::new()));
        } else if let Some((_, body)) = current.as_mut() {
            body.push_str(line);
        }
    }
    if let Some(done) = current.take() {
        sources.retain(|(p, _)| *p != done.0);
        sources.push(done);
    }
    sources.sort();
    let mut files = Vec::new();
    let mut cursor = None;
    for (path, body) in sources {
        let (body, at) = match body.find("$0") {
            Some(at) => (body.replacen("$0", "", 1), Some(at as u32)),
            None => (body, None),
        };
        let file = SourceFile::new(
            &db,
            PathBuf::from(format!("/p{path}")),
            Arc::from(body),
            false,
        );
        if let Some(at) = at {
            cursor = Some((file, at));
        }
        files.push(file);
    }
    // `/.infrac/schemas/NAMESPACE/TYPE/VERSION.jsonl` is the cached schema of a provider.
    let mut schemas = Vec::new();
    files.retain(|file| {
        let path = file.path(&db).to_string_lossy().into_owned();
        let Some(rest) = path
            .strip_prefix("/p/.infrac/schemas/")
            .and_then(|r| r.strip_suffix(".jsonl"))
        else {
            return true;
        };
        let parts: Vec<&str> = rest.split('/').collect();
        schemas.push(crate::db::ProviderSchema::new(
            &db,
            parts[1].to_string(),
            format!("{}/{}", parts[0], parts[1]),
            parts[2].to_string(),
            *file,
        ));
        false
    });
    // `.tf` files are the Terraform code of the module whose `source` is their directory.
    let mut module_files: std::collections::BTreeMap<String, Vec<SourceFile>> = Default::default();
    files.retain(|file| {
        let path = file.path(&db).to_string_lossy().into_owned();
        match path.strip_suffix(".tf").and_then(|p| p.rsplit_once('/')) {
            Some((dir, _)) => {
                let source = dir.trim_start_matches("/p/").to_string();
                module_files.entry(source).or_default().push(*file);
                false
            }
            None => true,
        }
    });
    let module_dirs = module_files
        .into_iter()
        .map(|(source, tf)| {
            let path = PathBuf::from("/p").join(&source);
            crate::db::ModuleDir::new(&db, source, path, tf, None)
        })
        .collect();
    let mut all = files.clone();
    all.extend(stdlib_files(&mut db));
    let workspace = Workspace::new(&db, all, PathBuf::from("/p"), module_dirs, schemas);
    Fixture {
        db,
        workspace,
        files,
        cursor,
    }
}

/// `SHOP` with one file replaced.
fn shop_with(path: &str, body: &str) -> Fixture {
    fixture(&format!("{SHOP}//- {path}\n{body}"))
}

impl Fixture {
    fn cursor(&self) -> (SourceFile, u32) {
        self.cursor.expect("the fixture has a $0 cursor")
    }

    /// `name:line: text` of a range, 1-based line.
    fn describe(&self, file: SourceFile, range: TextRange) -> String {
        let text = file.text(&self.db);
        let line = LineIndex::new(text).line_col(text, range.start).line + 1;
        let name = file
            .path(&self.db)
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        format!(
            "{name}:{line}: {}",
            &text[range.start as usize..range.end as usize]
        )
    }

    fn file(&self, name: &str) -> SourceFile {
        *self
            .files
            .iter()
            .find(|f| f.path(&self.db).ends_with(name))
            .expect("a file of the fixture")
    }
}

// --- Hover -----------------------------------------------------------------------------------

fn check_hover(fx: &Fixture, expect: &str) {
    let (file, offset) = fx.cursor();
    let result = hover(&fx.db, fx.workspace, file, offset).map(|h| h.markdown);
    assert_eq!(result.as_deref().unwrap_or("(none)").trim(), expect.trim());
}

#[test]
fn hover_on_a_parameter_shows_values_and_provenance_in_every_environment() {
    let fx = shop_with(
        "/pro.infra",
        "env pro extends pre {\n  a$0zs = 4\n  apps.web.size = 4\n}\n",
    );
    check_hover(
        &fx,
        r#"
```infra
param azs: int(1..6) = 2
```

Availability zones.

**Effective values**

- **pro**: `4`  
  set at pro.infra:2 (env `pro`): `4`  
  overrode pre.infra:2 (env `pre`): `3`  
  overrode base.infra:8 (base): `2`
- **dev**: `1`  
  set at dev.infra:2 (env `dev`): `1`  
  overrode base.infra:8 (base): `2`
- **pre**: `3`  
  set at pre.infra:2 (env `pre`): `3`  
  overrode base.infra:8 (base): `2`
"#,
    );
}

#[test]
fn hover_on_a_value_shows_what_its_key_shows_for_the_value() {
    // An override's value in an environment, a parameter's default, an instance attribute's value.
    let cases = [
        (
            "/pro.infra",
            "env pro extends pre {\n  azs = $04\n  apps.web.size = 4\n}\n",
            "4",
        ),
        (
            "/pro.infra",
            "env pro extends pre {\n  azs = 4\n  apps.web.size = $04\n}\n",
            "4",
        ),
    ];
    for (path, body, value) in cases {
        let fx = shop_with(path, body);
        let (file, offset) = fx.cursor();
        let on_value = hover(&fx.db, fx.workspace, file, offset).expect("a hover on the value");
        let text = file.text(&fx.db);
        assert_eq!(
            &text[on_value.range.start as usize..on_value.range.end as usize],
            value
        );
        let key = text[..offset as usize].rfind(" = ").expect("a key") as u32 - 1;
        let on_key = hover(&fx.db, fx.workspace, file, key).expect("a hover on the key");
        assert_eq!(on_value.markdown, on_key.markdown, "{body}");
    }
    let fx = shop_with(
        "/base.infra",
        &SHOP_BASE.replace("param azs: int(1..6) = 2", "param azs: int(1..6) = $02"),
    );
    let (file, offset) = fx.cursor();
    let found = hover(&fx.db, fx.workspace, file, offset).expect("a hover on a default");
    assert!(
        found
            .markdown
            .starts_with("```infra\nparam azs: int(1..6) = 2\n```"),
        "{}",
        found.markdown
    );
    let fx = shop_with(
        "/base.infra",
        &SHOP_BASE.replace(
            "comp web { vpc = foundation.vpc_id, size = 2 }",
            "comp web { vpc = foundation.vpc_id, size = $02 }",
        ),
    );
    let (file, offset) = fx.cursor();
    let found = hover(&fx.db, fx.workspace, file, offset).expect("a hover on an attribute's value");
    assert!(
        found.markdown.contains("Input of module `comp`."),
        "{}",
        found.markdown
    );
    assert!(
        found.markdown.contains("- **dev**: `2`"),
        "{}",
        found.markdown
    );
}

#[test]
fn hover_shows_long_values_in_full() {
    let long: String = (0..40)
        .map(|i| format!("\"endpoint-{i}\""))
        .collect::<Vec<_>>()
        .join(", ");
    let base = SHOP_BASE.replace(
        "param nat: Nat = \"single\"",
        &format!("param nat: Nat = \"single\"\nparam endpoints: list<string> = [{long}]"),
    );
    let fx = fixture(&format!("{SHOP}//- /base.infra\n{base}//- /dev.infra\nenv dev {{\n  end$0points = [{long}, \"last\"]\n}}\n"));
    let (file, offset) = fx.cursor();
    let found = hover(&fx.db, fx.workspace, file, offset).expect("a hover");
    assert!(!found.markdown.contains('…'), "{}", found.markdown);
    assert!(
        found.markdown.contains("\"endpoint-39\", \"last\"]`"),
        "{}",
        found.markdown
    );
}

#[test]
fn hover_on_a_policy_wildcard_lists_what_the_rule_matched() {
    let fx = shop_with(
        "/policies.infra",
        "policy sizes for dev, pro {\n  require clients.$0*.size >= 1\n}\n\
         policy growth across pre, pro {\n  require pro.*.*.size >= pre.*.*.size\n}\n",
    );
    check_hover(
        &fx,
        r#"
```infra
*
```

Each match of the rule is checked (policy `sizes`).

**Matches**

- **dev**
  - `clients.acme.size`: `1`
- **pro**
  - `clients.acme.size`: `1`
"#,
    );
    let fx = shop_with(
        "/policies.infra",
        "policy growth across pre, pro {\n  require pro.*.*.size >= pre.*.$0*.size\n}\n",
    );
    check_hover(
        &fx,
        r#"
```infra
*
```

Each match of the rule is checked (policy `growth`).

**Matches**

- `pro.foundation.net.size`: `4`
- `pro.apps.web.size`: `4`
- `pro.client-acme.c.size`: `1`
- `pre.foundation.net.size`: `3`
- `pre.apps.web.size`: `2`
- `pre.client-acme.c.size`: `1`
"#,
    );
}

#[test]
fn hover_on_an_instance_input_shows_the_module_input_and_its_values() {
    let fx = shop_with(
        "/pro.infra",
        "env pro extends pre {\n  azs = 4\n  apps.web.si$0ze = 4\n}\n",
    );
    check_hover(
        &fx,
        r#"
```infra
input size: int(1..10) = 1
```

Input of module `comp`.

Allowed: from 1 to 10.

**Effective values**

- **pro**: `4`  
  set at pro.infra:3 (env `pro`): `4`  
  overrode base.infra:29 (base): `2`
- **dev**: `2`  
  set at base.infra:29 (base): `2`
- **pre**: `2`  
  set at base.infra:29 (base): `2`
"#,
    );
}

#[test]
fn hover_on_a_default_input_of_a_repeated_layer_names_each_copy() {
    let fx = shop_with(
        "/base.infra",
        &SHOP_BASE.replace("comp c { size", "comp c { mo$0de = \"slow\", size"),
    );
    let (file, offset) = fx.cursor();
    let md = hover(&fx.db, fx.workspace, file, offset)
        .expect("hover")
        .markdown;
    assert!(md.contains("- **dev**: `\"slow\"` (client-acme)"), "{md}");
    assert!(
        md.contains("Allowed: one of `\"fast\"`, `\"slow\"`."),
        "{md}"
    );
}

#[test]
fn hover_on_a_module_kind_lists_its_inputs() {
    let fx = shop_with("/base.infra", &SHOP_BASE.replace("comp net", "co$0mp net"));
    check_hover(
        &fx,
        r#"
```infra
module comp
```

A component.

Source: `mods/comp`

**Inputs**

- `name: string = "${project}-${env}-${instance}"`: The name.
- `size: int(1..10) = 1`
- `mode: enum("fast", "slow") = "fast"`
- `vpc: string = ""`

**Outputs**

- `id: string`: The id.
"#,
    );
}

#[test]
fn hover_on_a_cross_layer_reference_shows_the_output() {
    let fx = shop_with(
        "/base.infra",
        &SHOP_BASE.replace("vpc = foundation.vpc_id,", "vpc = foundation.vpc$0_id,"),
    );
    check_hover(
        &fx,
        r#"
```infra
output foundation.vpc_id: string = net.id
```

Output of layer `foundation`; other layers read it from its Terraform state.
"#,
    );
}

#[test]
fn hover_on_an_environment_shows_its_chain() {
    let fx = shop_with("/pro.infra", "env pro extends p$0re {\n  azs = 4\n}\n");
    check_hover(&fx, "```infra\nenv pre\n```\n\nInherits: base → pre");
}

// --- Definition, references, rename ------------------------------------------------------------

/// `SHOP`'s base file, for tests that edit it.
fn shop_base() -> String {
    SHOP.split("//- /base.infra\n")
        .nth(1)
        .and_then(|rest| rest.split("//- ").next())
        .expect("SHOP has a base file")
        .to_string()
}

static SHOP_BASE: std::sync::LazyLock<String> = std::sync::LazyLock::new(shop_base);

fn check_definition(fx: &Fixture, expect: &[&str]) {
    let (file, offset) = fx.cursor();
    let found: Vec<String> = goto_definition(&fx.db, fx.workspace, file, offset)
        .into_iter()
        .map(|t| fx.describe(t.file, t.focus_range))
        .collect();
    assert_eq!(found, expect);
}

#[test]
fn definitions() {
    let cases: &[(&str, &str, &[&str])] = &[
        // A parameter used in a layer.
        (
            "/base.infra",
            "comp net { size = a$0zs }",
            &["base.infra:8: azs"],
        ),
        // A cross-layer reference goes to the layer's output declaration.
        (
            "/base.infra",
            "comp web { vpc = foundation.vp$0c_id, size = 2 }",
            &["base.infra:26: vpc_id"],
        ),
        // The layer itself.
        (
            "/base.infra",
            "comp web { vpc = found$0ation.vpc_id, size = 2 }",
            &["base.infra:24: foundation"],
        ),
        // An instance output goes to the module's output.
        (
            "/base.infra",
            "output vpc_id: string = net.i$0d",
            &["base.infra:21: id"],
        ),
        // An instance's attribute goes to the module input.
        (
            "/base.infra",
            "comp net { si$0ze = azs }",
            &["base.infra:17: size"],
        ),
        // A repeated layer's variable.
        (
            "/base.infra",
            "comp c { size = sp$0ec.size",
            &["base.infra:31: spec"],
        ),
        // A module kind.
        ("/base.infra", "co$0mp net", &["base.infra:13: comp"]),
    ];
    for (path, marked, expect) in cases {
        let unmarked = marked.replace("$0", "");
        let base = SHOP_BASE.replace(&unmarked, marked);
        assert_ne!(base, *SHOP_BASE, "{marked} is not in SHOP");
        let fx = shop_with(path, &base);
        check_definition(&fx, expect);
    }
}

#[test]
fn definition_of_an_override_is_the_value_it_overrides() {
    let cases: &[(&str, &[&str])] = &[
        // pro extends pre: `azs` in pro overrides pre's value.
        (
            "env pro extends pre {\n  a$0zs = 4\n}\n",
            &["pre.infra:2: 3"],
        ),
        // An instance input that pre does not set: the base's attribute.
        (
            "env pro extends pre {\n  apps.web.si$0ze = 4\n}\n",
            &["base.infra:29: 2"],
        ),
        // Not set anywhere before: the module input's default.
        (
            "env pro extends pre {\n  apps.web.mo$0de = \"slow\"\n}\n",
            &["base.infra:18: \"fast\""],
        ),
        // An earlier segment is an ordinary reference.
        (
            "env pro extends pre {\n  apps.w$0eb.size = 4\n}\n",
            &["base.infra:29: web"],
        ),
        ("env pro extends p$0re {\n}\n", &["pre.infra:1: pre"]),
    ];
    for (pro, expect) in cases {
        let fx = shop_with("/pro.infra", pro);
        check_definition(&fx, expect);
    }
    // In an environment without `extends`, the parent is the base.
    let fx = shop_with("/dev.infra", "env dev {\n  a$0zs = 1\n}\n");
    check_definition(&fx, &["base.infra:8: 2"]);
}

fn check_references(fx: &Fixture, include_declaration: bool, expect: &[&str]) {
    let (file, offset) = fx.cursor();
    let found: Vec<String> = references(&fx.db, fx.workspace, file, offset, include_declaration)
        .into_iter()
        .map(|r| fx.describe(r.file, r.range))
        .collect();
    assert_eq!(found, expect);
}

#[test]
fn references_across_files() {
    let fx = shop_with("/dev.infra", "env dev {\n  a$0zs = 1\n}\n");
    check_references(
        &fx,
        true,
        &[
            "base.infra:8: azs",
            "base.infra:25: azs",
            "dev.infra:2: azs",
            "pre.infra:2: azs",
            "pro.infra:2: azs",
        ],
    );
    let fx = shop_with(
        "/base.infra",
        &SHOP_BASE.replace("output vpc_id", "output vpc$0_id"),
    );
    check_references(
        &fx,
        false,
        &["base.infra:29: vpc_id", "base.infra:32: vpc_id"],
    );
    // A module input: the declaration, instance attributes and environment paths.
    let fx = shop_with(
        "/base.infra",
        &SHOP_BASE.replace("input size", "input si$0ze"),
    );
    check_references(
        &fx,
        true,
        &[
            "base.infra:17: size",
            "base.infra:25: size",
            "base.infra:29: size",
            "base.infra:32: size",
            "pro.infra:3: size",
        ],
    );
}

/// Renames at the cursor and returns every changed file as `name:\ntext`.
fn check_rename(fx: &Fixture, new_name: &str, expect: &[(&str, &str)]) {
    let (file, offset) = fx.cursor();
    let change = rename(&fx.db, fx.workspace, file, offset, new_name).expect("rename");
    let mut changed: Vec<(String, String)> = change
        .files()
        .map(|(file, edits)| {
            let name = file
                .path(&fx.db)
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            (name, apply_edits(file.text(&fx.db), edits))
        })
        .collect();
    changed.sort();
    let expect: Vec<(String, String)> = expect
        .iter()
        .map(|(n, t)| (n.to_string(), t.to_string()))
        .collect();
    assert_eq!(changed, expect);
}

#[test]
fn rename_a_layer_output_and_an_instance_across_files() {
    let fx = fixture(
        r#"
//- /base.infra
project p {
  region = "eu-west-1"
  state = { bucket = "b" }
}
module m {
  input a: string = ""
  output id: string
}
layer l1 {
  m one { a = "x" }
  output out$0: string = one.id
}
layer l2 {
  m two { a = l1.out }
}
//- /dev.infra
env dev {
  l2.two.a = "y"
}
"#,
    );
    check_rename(
        &fx,
        "vpc",
        &[(
            "base.infra",
            "project p {\n  region = \"eu-west-1\"\n  state = { bucket = \"b\" }\n}\nmodule m {\n  input a: string = \"\"\n  output id: string\n}\nlayer l1 {\n  m one { a = \"x\" }\n  output vpc: string = one.id\n}\nlayer l2 {\n  m two { a = l1.vpc }\n}\n",
        )],
    );
    let fx = fixture(&format!(
        "{}\n//- /dev.infra\nenv dev {{\n  l2.tw$0o.a = \"y\"\n}}\n",
        "//- /base.infra\nproject p {\n  region = \"eu-west-1\"\n  state = { bucket = \"b\" }\n}\nmodule m {\n  input a: string = \"\"\n  output id: string\n}\nlayer l2 {\n  m two { a = \"x\" }\n  output o: string = two.id\n}\n"
    ));
    check_rename(
        &fx,
        "second",
        &[
            (
                "base.infra",
                "project p {\n  region = \"eu-west-1\"\n  state = { bucket = \"b\" }\n}\nmodule m {\n  input a: string = \"\"\n  output id: string\n}\nlayer l2 {\n  m second { a = \"x\" }\n  output o: string = second.id\n}\n\n",
            ),
            ("dev.infra", "env dev {\n  l2.second.a = \"y\"\n}\n"),
        ],
    );
}

#[test]
fn rename_a_parameter_everywhere_and_refuse_bad_names() {
    let fx = shop_with("/pre.infra", "env pre {\n  a$0zs = 3\n}\n");
    let (file, offset) = fx.cursor();
    let change = rename(&fx.db, fx.workspace, file, offset, "zones").expect("rename");
    let edited: usize = change.files().map(|(_, edits)| edits.len()).sum();
    assert_eq!(edited, 5);
    for (bad, why) in [
        ("1x", "not a valid name"),
        ("layer", "reserved"),
        ("nat", "already defined"),
        ("apps", "already defined"),
    ] {
        let error = rename(&fx.db, fx.workspace, file, offset, bad).expect_err(bad);
        assert!(error.contains(why), "{bad}: {error}");
    }
    // Builtins and standard library names stay.
    let fx = shop_with(
        "/base.infra",
        &SHOP_BASE.replace("${env}-${instance}", "${e$0nv}-${instance}"),
    );
    let (file, offset) = fx.cursor();
    assert!(rename(&fx.db, fx.workspace, file, offset, "x").is_err());
}

// --- Resource types from a provider's schema -----------------------------------------------------

const SCHEMA: &str = concat!(
    "//- /.infrac/schemas/hashicorp/aws/5.100.0.jsonl\n",
    r#"{"infrac_schema":1,"provider":"registry.terraform.io/hashicorp/aws","version":"5.100.0"}"#,
    "\n",
    r#"{"kind":"resource","name":"aws_sns_topic","block":{"attributes":{"arn":{"type":"string","computed":true},"fifo_topic":{"type":"bool","optional":true},"name":{"type":"string","required":true,"description":"The topic's name."}}}}"#,
    "\n",
    r#"{"kind":"data","name":"aws_region","block":{"attributes":{"name":{"type":"string","computed":true}}}}"#,
    "\n",
);

fn with_resources(body: &str) -> Fixture {
    fixture(&format!("{SCHEMA}//- /a.infra\n{body}"))
}

#[test]
fn resource_types_complete_hover_and_colour_like_modules_and_do_not_rename() {
    let source = "layer l {\n  aws_sns_topic t {\n    $0\n  }\n  output o: string = t.arn\n}\n";
    let fx = with_resources(source);
    let (file, offset) = fx.cursor();
    let items = completion(&fx.db, fx.workspace, file, offset);
    let detail = |label: &str| {
        items
            .iter()
            .find(|c| c.label == label)
            .and_then(|c| c.detail.clone())
    };
    assert_eq!(detail("name").as_deref(), Some("string (required)"));
    assert_eq!(detail("fifo_topic").as_deref(), Some("bool"));
    let offered = labels(&fx);
    assert!(
        !offered.iter().any(|l| l == "arn" || l == "import"),
        "{offered:?}"
    );

    let fx = with_resources("layer l {\n  aws_sns_topic t {}\n  output o: string = t.$0\n}\n");
    assert!(labels(&fx).iter().any(|l| l == "arn"));

    let fx = with_resources("layer l {\n  $0\n}\n");
    assert!(labels(&fx).iter().any(|l| l == "aws_sns_topic"));

    let fx = with_resources("layer l {\n  aws_sn$0s_topic t { name = \"x\" }\n}\n");
    let (file, offset) = fx.cursor();
    let md = hover(&fx.db, fx.workspace, file, offset)
        .expect("a hover")
        .markdown;
    assert!(
        md.starts_with("```infra\nresource aws_sns_topic\n```"),
        "{md}"
    );
    assert!(
        md.contains("name: string (required)") && md.contains("**Computed**: `arn`"),
        "{md}"
    );
    let error = rename(&fx.db, fx.workspace, file, offset, "x").unwrap_err();
    assert!(error.contains("provider's schema"), "{error}");

    let fx = with_resources("layer l {\n  aws_sns_topic t { na$0me = \"x\" }\n}\n");
    let (file, offset) = fx.cursor();
    let md = hover(&fx.db, fx.workspace, file, offset)
        .expect("a hover")
        .markdown;
    assert!(
        md.contains("name: string")
            && md.contains("(required)")
            && md.contains("The topic's name."),
        "{md}"
    );

    let fx = with_resources(
        "layer l {\n  data aws_region here {}\n  output o: string = here.na$0me\n}\n",
    );
    let (file, offset) = fx.cursor();
    let md = hover(&fx.db, fx.workspace, file, offset)
        .expect("a hover")
        .markdown;
    assert!(md.contains("computed by the provider"), "{md}");
    let file = fx.file("a.infra");
    let text = file.text(&fx.db);
    let tokens: Vec<String> = super::tokens::semantic_tokens(&fx.db, fx.workspace, file)
        .iter()
        .map(|t| {
            format!(
                "{}:{:?}",
                &text[t.range.start as usize..t.range.end as usize],
                t.kind
            )
        })
        .collect();
    assert!(
        tokens.contains(&"aws_region:Type".to_string()),
        "{tokens:?}"
    );
    assert!(tokens.contains(&"name:Property".to_string()), "{tokens:?}");
}

// --- Completion --------------------------------------------------------------------------------

fn labels(fx: &Fixture) -> Vec<String> {
    let (file, offset) = fx.cursor();
    completion(&fx.db, fx.workspace, file, offset)
        .into_iter()
        .map(|c| c.label)
        .collect()
}

#[test]
fn completions() {
    // (file, text with $0, labels that must be offered, labels that must not)
    let cases: &[(&str, &str, &[&str], &[&str])] = &[
        // Top-level keywords at the start of a line.
        (
            "/dev.infra",
            "env dev {\n  azs = 1\n}\nla$0",
            &["layer"],
            &["env"],
        ),
        (
            "/dev.infra",
            "$0",
            &["env", "layer", "param", "policy"],
            &[],
        ),
        // Environments after `extends`, not itself.
        (
            "/pro.infra",
            "env pro extends $0 {\n}\n",
            &["dev", "pre"],
            &["pro"],
        ),
        // An environment's keys: parameters, layers, `project`.
        (
            "/dev.infra",
            "env dev {\n  $0\n}\n",
            &["azs", "nat", "apps", "foundation", "project"],
            &["comp"],
        ),
        // Instances after `layer.` and inputs after `layer.instance.` in an environment.
        (
            "/dev.infra",
            "env dev {\n  apps.$0\n}\n",
            &["web"],
            &["azs"],
        ),
        (
            "/dev.infra",
            "env dev {\n  apps.web.$0\n}\n",
            &["mode", "name", "size", "vpc"],
            &["web"],
        ),
        // Enum values inside a string, for a parameter and for an instance input.
        (
            "/dev.infra",
            "env dev {\n  nat = \"$0\"\n}\n",
            &["per_az", "single"],
            &[],
        ),
        (
            "/dev.infra",
            "env dev {\n  apps.web.mode = \"s$0\"\n}\n",
            &["slow"],
            &["fast"],
        ),
        // Layer outputs after `foundation.`.
        (
            "/base.infra",
            "@vpc = foundation.vpc_id,=>vpc = foundation.$0,",
            &["vpc_id"],
            &["net"],
        ),
        // An instance's outputs after `instance.`, in the same layer.
        ("/base.infra", "@net.id=>net.$0", &["id"], &["vpc_id"]),
        // Names in scope in an instance's value.
        (
            "/base.infra",
            "@size = azs }=>size = $0 }",
            &["azs", "net", "apps", "env"],
            &["web"],
        ),
        // Types after `:`.
        (
            "/base.infra",
            "@param azs: int=>param azs: $0",
            &["int", "Nat", "NatMode"],
            &["azs"],
        ),
    ];
    for (path, text, want, unwanted) in cases {
        let fx = match text.strip_prefix('@').and_then(|t| t.split_once("=>")) {
            Some((original, marked)) => {
                assert!(SHOP_BASE.contains(original), "{original} is not in SHOP");
                shop_with(path, &SHOP_BASE.replacen(original, marked, 1))
            }
            None => shop_with(path, text),
        };
        let found = labels(&fx);
        for label in *want {
            assert!(
                found.iter().any(|l| l == label),
                "{text}: no `{label}` in {found:?}"
            );
        }
        for label in *unwanted {
            assert!(
                !found.iter().any(|l| l == label),
                "{text}: unexpected `{label}` in {found:?}"
            );
        }
    }
}

/// The snippets offered at the cursor of a fixture, by prefix.
fn snippet_labels(fx: &Fixture) -> Vec<String> {
    let (file, offset) = fx.cursor();
    completion(&fx.db, fx.workspace, file, offset)
        .into_iter()
        .filter(|c| c.kind == super::completion::CompletionKind::Snippet)
        .map(|c| c.label)
        .collect()
}

#[test]
fn snippets_only_where_their_item_may_start() {
    let top = fixture("//- /a.infra\nparam p: int = 1\n$0");
    assert_eq!(
        snippet_labels(&top),
        [
            "env", "envext", "layer", "layerfor", "module", "param", "policy", "project", "shared",
            "type"
        ]
    );
    let module = "module m {\n  source = \"m\"\n  $0\n}\n";
    assert_eq!(
        snippet_labels(&fixture(&format!("//- /a.infra\n{module}"))),
        ["input"]
    );
    let layer = "layer l {\n  $0\n}\n";
    assert_eq!(
        snippet_labels(&fixture(&format!("//- /a.infra\n{layer}"))),
        ["output"]
    );
    // Inside an instance, an environment, a value, or after a word on the line: none.
    for body in [
        "layer l {\n  s3_bucket b {\n    $0\n  }\n}\n",
        "env dev {\n  $0\n}\n",
        "param p: int = $0\n",
        "param p: int = 1\n  $0",
    ] {
        let fx = fixture(&format!("//- /a.infra\n{body}"));
        assert_eq!(snippet_labels(&fx), Vec::<String>::new(), "{body}");
    }
    // The body is LSP snippet syntax, `${env}` escaped as text.
    let (file, offset) = top.cursor();
    let project = completion(&top.db, top.workspace, file, offset)
        .into_iter()
        .find(|c| c.label == "project" && c.kind == super::completion::CompletionKind::Snippet)
        .and_then(|c| c.insert_text)
        .unwrap_or_default();
    assert!(project.contains("-tfstate-\\${env}"), "{project}");
}

#[test]
fn completion_inside_an_instance_offers_unset_inputs_with_types_and_docs() {
    let base = SHOP_BASE.replace(
        "comp net { size = azs }",
        "comp net {\n    size = azs\n    $0\n  }",
    );
    let fx = shop_with("/base.infra", &base);
    let (file, offset) = fx.cursor();
    let items = completion(&fx.db, fx.workspace, file, offset);
    let shown: Vec<String> = items
        .iter()
        .map(|c| {
            format!(
                "{} | {} | {}",
                c.label,
                c.detail.clone().unwrap_or_default(),
                c.documentation
                    .clone()
                    .unwrap_or_default()
                    .replace('\n', " ")
            )
        })
        .collect();
    assert_eq!(
        shown,
        vec![
            "import | map<string> (resource address => cloud id) | Adopts existing resources into this instance: `{ \"aws_s3_bucket.this\" = \"ID\" }`, emitted as Terraform `import` blocks.",
            "mode | enum(\"fast\", \"slow\") = \"fast\" | One of: `\"fast\"`, `\"slow\"`",
            "name | string = \"${project}-${env}-${instance}\" | The name.",
            "vpc | string = \"\" | ",
        ]
    );
    assert_eq!(items[1].insert_text.as_deref(), Some("mode = "));
    // Module names where an instance starts.
    let base = SHOP_BASE.replace("layer apps {\n", "layer apps {\n  $0\n");
    let fx = shop_with("/base.infra", &base);
    let found = labels(&fx);
    assert!(
        found.contains(&"comp".to_string())
            && found.contains(&"s3_bucket".to_string())
            && found.contains(&"removed".to_string()),
        "{found:?}"
    );
    assert!(!found.contains(&"azs".to_string()), "{found:?}");
}

/// A module declared without members: hover on an instance's input shows the type, the
/// Terraform default and the description read from `variables.tf`, and completion lists the
/// inputs read from there.
#[test]
fn inputs_read_from_terraform_have_hover_and_completion() {
    let project = r#"//- /base.infra
project shop {
  region = "eu-west-1"
  state  = { bucket = "shop-tfstate" }
}
module queue {
  source = "modules/queue"
}
layer app {
  queue orders {
    na$0me = "orders"
  }
}
//- /modules/queue/variables.tf
variable "name" {
  description = "The queue's name."
  type        = string
}

variable "retention" {
  description = "Seconds a message is kept."
  type        = number
  default     = 345600
}

variable "redrive" {
  type = object({
    max_receive_count = number
    dlq               = optional(bool, true)
  })
  default = null
}
"#;
    let fx = fixture(project);
    check_hover(
        &fx,
        r#"
```infra
input name: string
```

Input of module `queue`, read from `variables.tf:1`.

The queue's name.
"#,
    );
    let fx = fixture(
        &project
            .replace("  queue orders", "  qu$0eue orders")
            .replace("na$0me", "name"),
    );
    check_hover(
        &fx,
        r#"
```infra
module queue
```

Source: `modules/queue`

Read from its Terraform files.

**Inputs**

- `name: string (required)`: The queue's name.
- `retention: float = 345600`: Seconds a message is kept.
- `redrive: { max_receive_count: float, dlq: bool = ... } = null`
"#,
    );
    let fx = fixture(&project.replace(
        "    na$0me = \"orders\"\n",
        "    name = \"orders\"\n    $0\n",
    ));
    let (file, offset) = fx.cursor();
    let shown: Vec<String> = completion(&fx.db, fx.workspace, file, offset)
        .iter()
        .map(|c| {
            let doc = c.documentation.clone().unwrap_or_default();
            format!(
                "{} | {} | {doc}",
                c.label,
                c.detail.clone().unwrap_or_default()
            )
        })
        .collect();
    assert_eq!(
        shown,
        vec![
            "import | map<string> (resource address => cloud id) | Adopts existing resources into this instance: `{ \"aws_s3_bucket.this\" = \"ID\" }`, emitted as Terraform `import` blocks.",
            "redrive | { max_receive_count: float, dlq: bool = ... } = null | ",
            "retention | float = 345600 | Seconds a message is kept.",
        ]
    );
}

// --- Diagnostics, symbols, tokens, hints, actions ----------------------------------------------

#[test]
fn the_shop_fixture_is_clean() {
    let fx = fixture(SHOP);
    let diagnostics = workspace_diagnostics(&fx.db, fx.workspace);
    assert!(diagnostics.is_empty(), "{diagnostics:#?}");
}

#[test]
fn document_symbols_outline_items_and_members() {
    let fx = fixture(SHOP);
    let file = fx.file("base.infra");
    let outline: Vec<String> = super::outline::document_symbols(&fx.db, file)
        .iter()
        .map(|s| {
            let children: Vec<&str> = s.children.iter().map(|c| c.name.as_str()).collect();
            format!("{:?} {} [{}]", s.kind, s.name, children.join(", "))
        })
        .collect();
    assert_eq!(
        outline,
        vec![
            "Project shop [region, state]",
            "Type Nat []",
            "Param azs []",
            "Param nat []",
            "Param clients []",
            "Module comp [name, size, mode, vpc, id]",
            "Layer foundation [net, vpc_id]",
            "Layer apps [web]",
            "Layer client [c]",
        ]
    );
}

#[test]
fn document_symbol_ranges_are_the_item_alone_and_the_selection_its_name() {
    let fx = fixture("//- /a.infra\n/// Doc of p.\nparam p: int = 1 // after p\n\n// Between.\n\n/// Doc of l.\nlayer l {\n  /// Doc of b.\n  s3_bucket b {\n    bucket = \"x\"\n  }\n  output o: string = b.id\n}\n// Trailing.\n\n");
    let file = fx.file("a.infra");
    let text = file.text(&fx.db);
    let slice = |r: TextRange| &text[r.start as usize..r.end as usize];
    let outline = super::outline::document_symbols(&fx.db, file);
    let ranges: Vec<(&str, &str)> = outline
        .iter()
        .map(|s| (slice(s.range), slice(s.selection_range)))
        .collect();
    assert_eq!(
        ranges,
        [
            ("param p: int = 1", "p"),
            ("layer l {\n  /// Doc of b.\n  s3_bucket b {\n    bucket = \"x\"\n  }\n  output o: string = b.id\n}", "l"),
        ]
    );
    let members: Vec<(&str, &str, usize)> = outline[1]
        .children
        .iter()
        .map(|c| (slice(c.range), slice(c.selection_range), c.children.len()))
        .collect();
    // An instance's attributes are values, not symbols.
    assert_eq!(
        members,
        [
            ("s3_bucket b {\n    bucket = \"x\"\n  }", "b", 0),
            ("o: string = b.id", "o", 0),
        ]
    );
}

#[test]
fn semantic_tokens_classify_names_by_what_they_denote() {
    let fx = fixture("//- /a.infra\n/// Doc.\nparam azs: int = 2 // c\nlayer l {\n  s3_bucket b { bucket = \"x-${azs}\" }\n}\n");
    let file = fx.file("a.infra");
    let text = file.text(&fx.db);
    let tokens: Vec<String> = super::tokens::semantic_tokens(&fx.db, fx.workspace, file)
        .iter()
        .map(|t| {
            format!(
                "{}:{:?}:{}",
                &text[t.range.start as usize..t.range.end as usize],
                t.kind,
                t.modifiers
            )
        })
        .collect();
    assert_eq!(
        tokens,
        vec![
            "/// Doc.:Comment:2",
            "param:Keyword:0",
            "azs:Parameter:9",
            "::Operator:0",
            "int:Type:4",
            "=:Operator:0",
            "2:Number:0",
            "// c:Comment:0",
            "layer:Keyword:0",
            "l:Namespace:1",
            "s3_bucket:Type:0",
            "b:Variable:1",
            "bucket:Property:0",
            "=:Operator:0",
            "\"x-:String:0",
            "${:Operator:0",
            "azs:Parameter:8",
            "}:Operator:0",
            "\":String:0",
        ]
    );
}

#[test]
fn inlay_hints_show_what_an_override_replaced_and_who_overrides_a_default() {
    let fx = fixture(SHOP);
    let pro = fx.file("pro.infra");
    let hints: Vec<String> =
        super::hints::inlay_hints(&fx.db, fx.workspace, pro, TextRange::new(0, 1000))
            .into_iter()
            .map(|h| h.label)
            .collect();
    assert_eq!(hints, vec!["was 3 (pre)", "was 2 (base)"]);
    let base = fx.file("base.infra");
    let hints: Vec<String> =
        super::hints::inlay_hints(&fx.db, fx.workspace, base, TextRange::new(0, 10_000))
            .into_iter()
            .map(|h| h.label)
            .collect();
    assert_eq!(hints, vec!["dev: 1, pre: 3, pro: 4", "pro: 4"]);
}

#[test]
fn code_actions_apply_a_suggestion_and_add_a_missing_input() {
    let fx = shop_with("/dev.infra", "env dev {\n  azz = 1\n}\n");
    let dev = fx.file("dev.infra");
    let diagnostics = workspace_diagnostics(&fx.db, fx.workspace);
    let actions = super::actions::code_actions(
        &fx.db,
        fx.workspace,
        dev,
        TextRange::new(12, 14),
        &diagnostics,
    );
    let fixed: Vec<(String, String)> = actions
        .iter()
        .map(|a| {
            let (file, edits) = a.edit.files().next().expect("an edit");
            (a.title.clone(), apply_edits(file.text(&fx.db), edits))
        })
        .collect();
    assert_eq!(
        fixed,
        vec![(
            "Replace with `azs`".to_string(),
            "env dev {\n  azs = 1\n}\n".to_string()
        )]
    );

    let fx = fixture(
        "//- /a.infra\nproject p {\n  region = \"eu-west-1\"\n  state = { bucket = \"b\" }\n}\nmodule m {\n  input a: int\n  input b: bool\n  output id: string\n}\nlayer l {\n  m one {\n    a = 1\n  }\n  m two {}\n}\nenv dev {\n}\n",
    );
    let file = fx.file("a.infra");
    let diagnostics = workspace_diagnostics(&fx.db, fx.workspace);
    let mut text = file.text(&fx.db).to_string();
    for action in super::actions::code_actions(
        &fx.db,
        fx.workspace,
        file,
        TextRange::new(0, 400),
        &diagnostics,
    ) {
        if action.title.starts_with("Add input") {
            let (_, edits) = action.edit.files().next().expect("an edit");
            // Each fix is computed on the original text; apply them from the end.
            let _ = &mut text;
            let fixed = apply_edits(file.text(&fx.db), edits);
            assert!(
                fixed.contains("    b = false\n  }")
                    || fixed.contains("m two { a = 0 }")
                    || fixed.contains("m two { b = false }"),
                "{}\n{fixed}",
                action.title
            );
        }
    }
}

#[test]
fn code_action_declares_a_missing_layer_output() {
    let fx = shop_with(
        "/base.infra",
        &SHOP_BASE.replace("vpc = foundation.vpc_id,", "vpc = foundation.id,"),
    );
    let base = fx.file("base.infra");
    let diagnostics = workspace_diagnostics(&fx.db, fx.workspace);
    let at = base
        .text(&fx.db)
        .find("foundation.id")
        .expect("the reference");
    let actions = super::actions::code_actions(
        &fx.db,
        fx.workspace,
        base,
        TextRange::new(at + 11, at + 13),
        &diagnostics,
    );
    let declare = actions
        .iter()
        .find(|a| a.title == "Declare output `id` in layer `foundation`")
        .expect("the action");
    let (_, edits) = declare.edit.files().next().expect("an edit");
    let fixed = apply_edits(base.text(&fx.db), edits);
    assert!(
        fixed.contains(
            "  output vpc_id: string = net.id\n  output id: string = net.id\n}\nlayer apps"
        ),
        "{fixed}"
    );
}

#[test]
fn signature_help_shows_the_input_at_the_cursor_or_the_required_inputs_left() {
    let base = SHOP_BASE.replace(
        "comp net { size = azs }",
        "comp net {\n    size = azs\n    mode = $0\n  }",
    );
    let fx = shop_with("/base.infra", &base);
    let (file, offset) = fx.cursor();
    let help = super::signature::signature_help(&fx.db, fx.workspace, file, offset).expect("help");
    assert_eq!(help.label, "comp.mode: enum(\"fast\", \"slow\") = \"fast\"");
    assert_eq!(help.active_parameter, Some(0));
    let (start, end) = help.parameters[0].0;
    assert_eq!(
        &help.label[start as usize..end as usize],
        "mode: enum(\"fast\", \"slow\") = \"fast\""
    );
    // In an environment, inside a record assigned to an instance.
    let fx = shop_with(
        "/pro.infra",
        "env pro extends pre {\n  apps.web = { size = 3, vpc = $0 }\n}\n",
    );
    let (file, offset) = fx.cursor();
    let help = super::signature::signature_help(&fx.db, fx.workspace, file, offset).expect("help");
    assert_eq!(help.label, "comp.vpc: string = \"\"");
    // Right after `{` of a module with a required input: that input; once it is set, nothing.
    let module = "module need {\n  source = \"m\"\n  /// The range.\n  input cidr: string(cidr)\n  input azs: int = 2\n}\nlayer l {\n  need n {$0}\n}\n";
    let fx = fixture(&format!("//- /a.infra\n{module}"));
    let (file, offset) = fx.cursor();
    let help = super::signature::signature_help(&fx.db, fx.workspace, file, offset).expect("help");
    assert_eq!(help.label, "need { cidr: string(cidr) }");
    assert_eq!(help.active_parameter, None);
    assert_eq!(help.parameters[0].1.as_deref(), Some("The range."));
    let fx = fixture(&format!(
        "//- /a.infra\n{}",
        module.replace("{$0}", "{\n    cidr = \"10.0.0.0/16\"\n    $0\n  }")
    ));
    let (file, offset) = fx.cursor();
    assert_eq!(
        super::signature::signature_help(&fx.db, fx.workspace, file, offset),
        None
    );
}

// --- Robustness --------------------------------------------------------------------------------

/// Every feature at every cursor position of a file: nothing panics, and ranges stay in the text.
fn every_feature_everywhere(fx: &Fixture, file: SourceFile) {
    let text = file.text(&fx.db).to_string();
    let (db, ws) = (&fx.db, fx.workspace);
    let whole = TextRange::new(0, text.len());
    let _ = super::tokens::semantic_tokens(db, ws, file);
    let _ = super::hints::inlay_hints(db, ws, file, whole);
    let _ = super::outline::document_symbols(db, file);
    let _ = super::format::format(&text);
    let diagnostics = workspace_diagnostics(db, ws);
    let _ = super::actions::code_actions(db, ws, file, whole, &diagnostics);
    for offset in (0..=text.len()).filter(|o| text.is_char_boundary(*o)) {
        let offset = offset as u32;
        if let Some(h) = hover(db, ws, file, offset) {
            assert!(h.range.end as usize <= text.len());
        }
        for item in completion(db, ws, file, offset) {
            assert!(
                item.replace.start <= offset && item.replace.end == offset,
                "{item:?}"
            );
        }
        let _ = goto_definition(db, ws, file, offset);
        let _ = references(db, ws, file, offset, true);
        let _ = super::symbols::prepare_rename(db, ws, file, offset);
        let _ = super::signature::signature_help(db, ws, file, offset);
    }
}

#[test]
fn no_feature_panics_on_half_typed_or_broken_files() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let table = std::fs::read_to_string(root.join("tests/fixtures/recovery/table.txt"))
        .expect("the recovery table");
    let mut cases: Vec<(String, String)> = Vec::new();
    for block in table.split("\n=== ").skip(1) {
        let (name, body) = block.split_once('\n').unwrap_or((block, ""));
        let text: String = body
            .lines()
            .filter(|l| !l.starts_with("# "))
            .map(|l| format!("{l}\n"))
            .collect();
        cases.push((name.trim().to_string(), text));
    }
    assert!(cases.len() > 10, "{} cases", cases.len());
    for entry in std::fs::read_dir(root.join("tests/fixtures/check"))
        .expect("fixtures")
        .flatten()
    {
        let text = std::fs::read_to_string(entry.path()).expect("a fixture");
        cases.push((entry.file_name().to_string_lossy().into_owned(), text));
    }
    for entry in std::fs::read_dir(root.join("environments"))
        .expect("environments")
        .flatten()
    {
        let text = std::fs::read_to_string(entry.path()).expect("an environment");
        cases.push((entry.file_name().to_string_lossy().into_owned(), text));
    }
    for (name, text) in cases {
        let fx = shop_with("/case.infra", &text);
        let file = fx.file("case.infra");
        let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            every_feature_everywhere(&fx, file)
        }));
        assert!(
            result.is_ok(),
            "a feature panicked on case `{name}`:\n{text}"
        );
    }
}

// --- Functions, lets, repeated instances ------------------------------------------------------

#[test]
fn completion_offers_functions_with_signatures_lets_and_repeated_instance_keys() {
    let base = SHOP_BASE.replace(
        "comp net { size = azs }",
        "let width = 4\n  comp net { size = azs }\n  comp each(k) for [\"a\"] { size = le$0 }",
    );
    let fx = shop_with("/base.infra", &base);
    let (file, offset) = fx.cursor();
    let items = completion(&fx.db, fx.workspace, file, offset);
    let length = items
        .iter()
        .find(|c| c.label == "length")
        .expect("functions are offered");
    assert_eq!(length.kind, CompletionKind::Function);
    assert_eq!(length.detail.as_deref(), Some("length(value) -> number"));
    assert_eq!(length.insert_text.as_deref(), Some("length("));
    assert!(items.iter().all(|c| c.label.starts_with("le")), "{items:?}");
    let fx = shop_with("/base.infra", &base.replace("le$0", "$0"));
    let labels = labels(&fx);
    for expected in ["width", "k", "cidrsubnet", "azs"] {
        assert!(
            labels.iter().any(|l| l.starts_with(expected)),
            "{expected} in {labels:?}"
        );
    }
}

#[test]
fn hover_on_a_function_shows_its_signature() {
    let base = SHOP_BASE.replace(
        "comp net { size = azs }",
        "comp net { size = len$0gth([1, 2]) }",
    );
    let fx = shop_with("/base.infra", &base);
    check_hover(
        &fx,
        "```infra\nlength(value) -> number\n```\n\nThe number of items of a list or map, or of characters of a string.\n\nEvaluated by the compiler on compile-time values; on run-time values, the same Terraform call.",
    );
}

#[test]
fn hover_on_a_let_shows_its_definition_and_values() {
    let base = SHOP_BASE.replace("comp net { size = azs }", "comp net { size = wid$0th }")
        + "let width = max(azs, 3)\n";
    let fx = shop_with("/base.infra", &base);
    let (file, offset) = fx.cursor();
    let markdown = hover(&fx.db, fx.workspace, file, offset)
        .map(|h| h.markdown)
        .unwrap_or_default();
    assert!(
        markdown.starts_with("```infra\nlet width = max(azs, 3)\n```"),
        "{markdown}"
    );
}

// --- Shared layers -----------------------------------------------------------------------------

const SHARED_FIXTURE: &str = "//- /base.infra\nproject p {\n  region = \"eu-west-1\"\n  state = { bucket = \"b\" }\n}\nmodule m {\n  input a: string = \"\"\n  output id: string\n}\n/// The images.\nshared layer registry {\n  m repo { a = \"x\" }\n  output url: string = repo.id\n}\nlayer apps {\n  m web { a = registry.url }\n}\n//- /dev.infra\nenv dev {\n}\n";

#[test]
fn shared_layers_in_the_editor() {
    // Hover on a reference to a shared layer's output, and on the layer itself.
    let fx = fixture(&SHARED_FIXTURE.replace("a = registry.url", "a = regi$0stry.url"));
    let (file, offset) = fx.cursor();
    let markdown = hover(&fx.db, fx.workspace, file, offset)
        .map(|h| h.markdown)
        .unwrap_or_default();
    assert!(
        markdown.contains("shared layer registry")
            && markdown.contains("`shared/registry/terraform.tfstate`"),
        "{markdown}"
    );
    // Definition of the reference: the shared layer's name.
    let targets = goto_definition(&fx.db, fx.workspace, file, offset);
    let described: Vec<String> = targets
        .iter()
        .map(|t| fx.describe(t.file, t.focus_range))
        .collect();
    assert_eq!(described, vec!["base.infra:10: registry"]);
    // Completion: `shared` starts an item, `layer` follows it, and inside a shared layer the
    // module kinds are offered as in any layer.
    for (text, wanted) in [
        ("//- /a.infra\nsha$0", "shared"),
        ("//- /a.infra\nshared $0", "layer"),
        (
            &*SHARED_FIXTURE.replace("  m repo { a = \"x\" }\n", "  m repo { a = \"x\" }\n  $0\n"),
            "m",
        ),
    ] {
        let fx = fixture(text);
        let offered = labels(&fx);
        assert!(offered.iter().any(|l| l == wanted), "{text}: {offered:?}");
    }
    // Semantic tokens: `shared` is a keyword.
    let fx = fixture(SHARED_FIXTURE);
    let file = fx.file("base.infra");
    let text = file.text(&fx.db);
    let shared = super::tokens::semantic_tokens(&fx.db, fx.workspace, file)
        .into_iter()
        .find(|t| &text[t.range.start as usize..t.range.end as usize] == "shared")
        .map(|t| format!("{:?}", t.kind));
    assert_eq!(shared.as_deref(), Some("Keyword"));
    // Rename of the shared layer reaches its readers.
    let fx = fixture(&SHARED_FIXTURE.replace("shared layer registry", "shared layer regis$0try"));
    let (file, offset) = fx.cursor();
    let change = rename(&fx.db, fx.workspace, file, offset, "images").expect("rename");
    let edited: usize = change.files().map(|(_, edits)| edits.len()).sum();
    assert_eq!(edited, 2);
}
