//! Every string the compiler emits reads back as exactly the source's value.
//!
//! A property test over random strings (quotes, backslashes, `${`, `%{`, `$$`, runs of `$` before
//! an interpolation, every control character, non-ASCII): each is emitted through the positions
//! a value can take (an attribute value, a list item, an object key and value, the literal parts of
//! a template around a run-time reference) by the emitter the build uses, and read back by:
//!
//! - HashiCorp's parser (`hcl2json`) for the literal strings and keys;
//! - Terraform itself, which evaluates every output (templates included) in a root module with no
//!   provider: `terraform apply` then `terraform output -json`;
//! - `terraform fmt -check`, so that the layout of any key or string is Terraform's own.
//!
//! HCL normalizes every string to Unicode NFC (`"e\u0301"` reads as `"é"`, escaped or not), so
//! the value expected back is the NFC form of the string (`docs/language.md`, Strings).
//!
//! `INFRAC_ROUNDTRIP_SEED` replays a seed; `INFRAC_ROUNDTRIP_CASES` sets the number of strings.

mod common;

use std::collections::BTreeMap;

use common::*;
use hcl::structure::{Block, Body};
use infrac_core::value::{Rt, TemplatePart, Value};
use infrac_emit::emit::{expression, render};
use serde_json::Value as Json;

/// A small deterministic generator (xorshift64*), so that a failure can be replayed by its seed.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }

    /// A string biased towards the characters and sequences that HCL gives a meaning.
    fn string(&mut self) -> String {
        const PIECES: &[&str] = &[
            "\"",
            "\\",
            "$",
            "${",
            "%",
            "%{",
            "$${",
            "%%{",
            "}",
            "{",
            "~",
            "\n",
            "\r",
            "\t",
            " ",
            "=",
            "#",
            "//",
            "/*",
            "*/",
            "a",
            "Z",
            "_",
            "-",
            ".",
            "é",
            "名",
            "🦀",
            "\u{7f}",
            "\u{85}",
            "\u{2028}",
            "\u{feff}",
            "${x}",
            "%{ if true }",
            "\\n",
            "\\\"",
            "<<EOT",
            "e\u{301}",
            "\u{200d}",
            // What the layout pass rewrites in code (`{for ` becomes `{ for `), which it must
            // never do inside a string, whatever `$`s came before it.
            "{for ",
            "{for x in y : x}",
            "$$",
        ];
        let len = self.below(12);
        let mut text = String::new();
        for _ in 0..len {
            match self.below(5) {
                0 => text.push(char::from_u32(self.below(0x20) as u32).unwrap()),
                _ => text.push_str(PIECES[self.below(PIECES.len())]),
            }
        }
        text
    }
}

/// What one output should read back as.
struct Case {
    name: String,
    expr: Value,
    expected: Json,
    /// Whether the output is a plain literal, which `hcl2json` reads as its value.
    literal: bool,
}

const RT_VALUE: &str = "<run-time>";

fn cases(rng: &mut Rng, count: usize) -> Vec<Case> {
    use unicode_normalization::UnicodeNormalization as _;
    let mut cases = Vec::new();
    for i in 0..count {
        let (s, t, u) = (rng.string(), rng.string(), rng.string());
        let nfc = |text: &String| -> String { text.nfc().collect() };
        let (s_nfc, t_nfc, u_nfc) = (nfc(&s), nfc(&t), nfc(&u));
        cases.push(Case {
            name: format!("string_{i}"),
            expr: Value::Str(s.clone()),
            expected: Json::String(s_nfc.clone()),
            literal: true,
        });
        cases.push(Case {
            name: format!("object_{i}"),
            expr: Value::Record(
                [
                    (s.clone(), Value::Str(t.clone())),
                    ("list".to_string(), Value::List(vec![Value::Str(u.clone())])),
                ]
                .into_iter()
                .collect(),
            ),
            expected: serde_json::json!({ s_nfc: t_nfc.clone(), "list": [u_nfc.clone()] }),
            literal: true,
        });
        // A template: literal text around a run-time reference (a local of the test module).
        let parts = vec![
            TemplatePart::Text(t.clone()),
            TemplatePart::Rt(Rt::LayerOutput {
                layer: "layer".into(),
                output: "value".into(),
            }),
            TemplatePart::Text(u.clone()),
            // Adjacent literal pieces (`"$"` then `"{"`) must not form a marker between them.
            TemplatePart::Text(s.clone()),
        ];
        cases.push(Case {
            name: format!("template_{i}"),
            expr: Value::Template(parts),
            expected: Json::String(format!("{t_nfc}{RT_VALUE}{}", nfc(&format!("{u}{s}")))),
            literal: false,
        });
    }
    cases
}

fn root_module(cases: &[Case]) -> String {
    let mut body = Body::builder().add_block(
        Block::builder("locals")
            .add_attribute(("layer_value", RT_VALUE))
            .build(),
    );
    for case in cases {
        body = body.add_block(
            Block::builder("output")
                .add_label(case.name.clone())
                .add_attribute(("value", expression(&case.expr)))
                .build(),
        );
    }
    render(body.build())
}

#[test]
fn random_strings_read_back_exactly_through_hashicorps_parser_and_terraform() {
    let seed = std::env::var("INFRAC_ROUNDTRIP_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(0x1f2e_3d4c_5b6a_7988_u64);
    let count = std::env::var("INFRAC_ROUNDTRIP_CASES")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(300);
    eprintln!("seed {seed} ({count} strings); replay with INFRAC_ROUNDTRIP_SEED={seed}");
    let mut rng = Rng(seed | 1);
    let cases = cases(&mut rng, count);
    let dir = tempfile::tempdir().unwrap();
    let main_tf = dir.path().join("main.tf");
    std::fs::write(&main_tf, root_module(&cases)).unwrap();

    let mut problems = Vec::new();

    // HashiCorp's parser: literal outputs read back as their values.
    let (ok, parsed) = run(std::process::Command::new(tool(HCL2JSON)).arg(&main_tf));
    assert!(ok, "hcl2json rejected the emitted file:\n{parsed}");
    let parsed: Json = serde_json::from_str(&parsed).expect("hcl2json prints JSON");
    // hcl2json keys its answer by the file's path.
    let parsed = parsed
        .as_object()
        .and_then(|files| files.values().next())
        .expect("hcl2json answers for the file");
    for case in cases.iter().filter(|c| c.literal) {
        let got = json_syntax_value(&parsed["output"][&case.name][0]["value"]);
        if got != case.expected {
            problems.push(format!(
                "hcl2json: output {} read {got} for {}",
                case.name, case.expected
            ));
        }
    }

    let (ok, out) = run(terraform(dir.path()).args(["fmt", "-check", "-diff", "-no-color"]));
    if !ok {
        problems.push(format!("terraform fmt -check:\n{out}"));
    }

    // Terraform evaluates every output, templates included.
    let (ok, out) = run(terraform(dir.path()).args(["init", "-input=false", "-no-color"]));
    assert!(ok, "terraform init:\n{out}");
    let (ok, out) =
        run(terraform(dir.path()).args(["apply", "-auto-approve", "-input=false", "-no-color"]));
    assert!(ok, "terraform apply:\n{out}");
    let output = output_of(terraform(dir.path()).args(["output", "-json", "-no-color"]));
    assert!(output.status.success(), "terraform output failed");
    let values: BTreeMap<String, Json> =
        serde_json::from_slice(&output.stdout).expect("terraform output -json prints JSON");
    for case in &cases {
        let got = values.get(&case.name).map(|o| &o["value"]);
        if got != Some(&case.expected) {
            problems.push(format!(
                "terraform: output {} is {got:?}, expected {}",
                case.name, case.expected
            ));
        }
    }
    assert!(
        problems.is_empty(),
        "{} problem(s) (seed {seed}):\n{}",
        problems.len(),
        problems.join("\n")
    );
}

/// hcl2json answers in Terraform's JSON syntax, where every string is a template: `$${` and
/// `%%{` stand for literal `${` and `%{`. The value a string of that syntax denotes.
fn json_syntax_value(value: &Json) -> Json {
    fn literal(text: &str) -> String {
        let mut out = String::with_capacity(text.len());
        let mut rest = text;
        while let Some(c) = rest.chars().next() {
            if let Some(after) = rest
                .strip_prefix("$${")
                .or_else(|| rest.strip_prefix("%%{"))
            {
                out.push(c);
                out.push('{');
                rest = after;
            } else {
                out.push(c);
                rest = &rest[c.len_utf8()..];
            }
        }
        out
    }
    match value {
        Json::String(s) => Json::String(literal(s)),
        Json::Array(items) => Json::Array(items.iter().map(json_syntax_value).collect()),
        Json::Object(entries) => Json::Object(
            entries
                .iter()
                .map(|(k, v)| (literal(k), json_syntax_value(v)))
                .collect(),
        ),
        other => other.clone(),
    }
}

/// The attack of issue 14: a parameter interpolated next to a run-time value tried to close the
/// string and add a resource. The build must write the parameter's value, and nothing else.
#[test]
fn a_parameter_in_a_run_time_template_cannot_inject_terraform() {
    let project = tempfile::tempdir().unwrap();
    copy_environments(project.path());
    let attacks = [
        r#"1.4.2\"\n  kms_key_arn = local.foundation_kms_key_arn\n}\n\nresource \"aws_iam_user\" \"backdoor\" {\n  name = \"backdoor\"\n}\n\nlocals {\n  swallowed = \"x"#,
        r#"a\\b"#,
        r#"$${x} %{y} $$ \t \\$${"#,
    ];
    for (i, attack) in attacks.iter().enumerate() {
        let env_file = project.path().join(format!("x{i}.infra"));
        std::fs::write(
            &env_file,
            format!("env x{i} extends pro {{\n  api_version = \"{attack}\"\n}}\n"),
        )
        .unwrap();
        let out = project.path().join(format!("out{i}"));
        build(&env_file, &out);
        let main_tf = out.join("04-applications/main.tf");
        let (ok, parsed) = run(std::process::Command::new(tool(HCL2JSON)).arg(&main_tf));
        assert!(ok, "hcl2json rejected {}:\n{parsed}", main_tf.display());
        let parsed: Json = serde_json::from_str(&parsed).unwrap();
        let body = parsed.as_object().and_then(|f| f.values().next()).unwrap();
        assert!(
            body.get("resource").is_none(),
            "a resource appeared in {}:\n{body:#}",
            main_tf.display()
        );
        // The value the source meant, in Terraform's JSON syntax (`${` doubled as `$${`).
        let source_value = attack
            .replace("\\n", "\n")
            .replace("\\t", "\t")
            .replace("\\\"", "\"")
            .replace("$${", "${")
            .replace("\\\\", "\\");
        let image = json_syntax_value(&body["module"]["api"][0]["image"]);
        assert_eq!(
            image,
            Json::String(format!("${{local.platform_ecr_url}}:{source_value}")),
            "attack {i}"
        );
        let (ok, out) = run(terraform(&out.join("04-applications")).args(["fmt", "-check"]));
        assert!(ok, "terraform fmt -check:\n{out}");
    }
}
