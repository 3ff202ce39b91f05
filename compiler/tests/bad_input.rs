//! The bad-input table: each broken project gives the expected code at the expected line and
//! column, a non-zero exit, no panic, and no output directory.

use std::path::Path;
use std::process::Command;

const BASE: &str = r#"project shop {
  region = "eu-west-1"
  state  = { bucket = "shop-tfstate" }
}
type Nat = enum("single", "per_az", "none")
param nat: Nat = "single"
param azs: int(1..6) = 2
param log_days: int(1, 3, 5, 7, 14, 30, 60, 90) = 30
module comp {
  source = "mods/comp"
  input cidr: string(cidr) = "10.0.0.0/16"
  input size: int(1..10) = 1
  input multi_az: bool = false
  input vpc: string = ""
  input name: string = "${project}-${env}-${instance}"
  output id: string
}
layer foundation {
  comp net { size = azs }
  output vpc_id: string = net.id
}
layer apps {
  comp web { vpc = foundation.vpc_id }
}
"#;

const NO_PROJECT: &str = "param azs: int = 2\n";

struct Case {
    name: &'static str,
    files: &'static [(&'static str, &'static str)],
    code: &'static str,
    file: &'static str,
    line: u64,
    column: u64,
}

const fn case(
    name: &'static str,
    files: &'static [(&'static str, &'static str)],
    code: &'static str,
    file: &'static str,
    line: u64,
    column: u64,
) -> Case {
    Case {
        name,
        files,
        code,
        file,
        line,
        column,
    }
}

const CASES: &[Case] = &[
    // Syntax.
    case("unclosed brace", &[("pro.infra", "env pro extends pre {\n  azs = 3\n")], "E0101", "pro.infra", 1, 21),
    case("missing value", &[("pro.infra", "env pro extends pre {\n  azs =\n}\n")], "E0100", "pro.infra", 2, 8),
    case("entry without =", &[("pro.infra", "env pro extends pre {\n  azs 3\n}\n")], "E0102", "pro.infra", 2, 3),
    case("stray text", &[("pro.infra", "hello world\nenv pro extends pre {\n}\n")], "E0103", "pro.infra", 1, 1),
    case("unterminated string", &[("pro.infra", "env pro extends pre {\n  nat = \"per_az\n}\n")], "E0102", "pro.infra", 2, 3),
    case("extends without a name", &[("pro.infra", "env pro extends {\n}\n")], "E0100", "pro.infra", 1, 17),
    case("empty file", &[("pro.infra", "")], "E0304", "pro.infra", 1, 1),
    case("integer too large", &[("pro.infra", "env pro extends pre {\n  azs = 99999999999999999999\n}\n")], "E0100", "pro.infra", 2, 9),
    case("bad escape", &[("pro.infra", "env pro extends pre {\n  nat = \"a\\qb\"\n}\n")], "E0100", "pro.infra", 2, 11),
    // Names.
    case("unknown name", &[("extra.infra", "layer extra {\n  comp x { size = azz }\n}\n")], "E0201", "extra.infra", 2, 19),
    case("unknown module", &[("extra.infra", "layer extra {\n  compp x {}\n}\n")], "E0203", "extra.infra", 2, 3),
    case("stdlib source that does not exist", &[("extra.infra", "module q {\n  source = \"stdlib/s3_buckt\"\n  output id: string\n}\n")], "E0206", "extra.infra", 2, 12),
    case("module directory that does not exist", &[("extra.infra", "module q {\n  source = \"mods/nope\"\n  output id: string\n}\n")], "E0206", "extra.infra", 2, 12),
    case("project module without source", &[("extra.infra", "module q {\n  output id: string\n}\n")], "E0206", "extra.infra", 1, 8),
    case("duplicate parameter", &[("extra.infra", "param azs: int = 1\n")], "E0202", "extra.infra", 1, 7),
    case("unknown type", &[("extra.infra", "param p: strin = \"x\"\n")], "E0204", "extra.infra", 1, 10),
    case("duplicate instance", &[("extra.infra", "layer extra {\n  comp x {}\n  comp x {}\n}\n")], "E0202", "extra.infra", 3, 8),
    case("no project", &[("base.infra", NO_PROJECT)], "E0205", "dev.infra", 1, 5),
    case("two projects", &[("extra.infra", "project other {\n  region = \"eu-west-1\"\n  state = { bucket = \"b\" }\n}\n")], "E0205", "extra.infra", 1, 9),
    case("instance of another layer", &[("extra.infra", "layer extra {\n  comp x { vpc = net.id }\n}\n")], "E0504", "extra.infra", 2, 18),
    case("unknown module output", &[("extra.infra", "layer extra {\n  comp x {}\n  output o: string = x.idd\n}\n")], "E0201", "extra.infra", 3, 24),
    // Environments.
    case("extends an unknown env", &[("pro.infra", "env pro extends pree {\n}\n")], "E0301", "pro.infra", 1, 17),
    case("extends cycle", &[("pro.infra", "env pro extends pre {\n}\n"), ("pre.infra", "env pre extends pro {\n}\n")], "E0302", "pro.infra", 1, 17),
    case("duplicate assignment", &[("pro.infra", "env pro extends pre {\n  azs = 3\n  azs = 4\n}\n")], "E0303", "pro.infra", 3, 9),
    case("duplicate through a record", &[("pro.infra", "env pro extends pre {\n  apps.web = { size = 2 }\n  apps.web.size = 3\n}\n")], "E0303", "pro.infra", 3, 19),
    case("unknown override target", &[("pro.infra", "env pro extends pre {\n  azz = 3\n}\n")], "E0305", "pro.infra", 2, 3),
    case("unknown instance override", &[("pro.infra", "env pro extends pre {\n  apps.webb.size = 3\n}\n")], "E0305", "pro.infra", 2, 8),
    case("two envs in the built file", &[("pro.infra", "env pro extends pre {\n}\nenv pro2 {\n}\n")], "E0304", "pro.infra", 1, 1),
    case("key inside a scalar", &[("pro.infra", "env pro extends pre {\n  azs.x = 3\n}\n")], "E0305", "pro.infra", 2, 7),
    // Types.
    case("wrong type", &[("pro.infra", "env pro extends pre {\n  azs = \"three\"\n}\n")], "E0401", "pro.infra", 2, 9),
    case("out of range", &[("pro.infra", "env pro extends pre {\n  azs = 9\n}\n")], "E0404", "pro.infra", 2, 9),
    case("enum typo", &[("pro.infra", "env pro extends pre {\n  nat = \"per-az\"\n}\n")], "E0404", "pro.infra", 2, 9),
    case("retention not in the set", &[("pro.infra", "env pro extends pre {\n  log_days = 45\n}\n")], "E0404", "pro.infra", 2, 14),
    case("invalid cidr", &[("pro.infra", "env pro extends pre {\n  apps.web.cidr = \"10.0.0.300/16\"\n}\n")], "E0404", "pro.infra", 2, 19),
    case("unknown module input", &[("pro.infra", "env pro extends pre {\n  apps.web = { multiaz = true }\n}\n")], "E0402", "pro.infra", 2, 16),
    case(
        "missing required input",
        &[("extra.infra", "module req {\n  source = \"mods/comp\"\n  input needed: string\n  output id: string\n}\nlayer extra {\n  req x {}\n}\n")],
        "E0403",
        "extra.infra",
        7,
        7,
    ),
    case("bool expected", &[("pro.infra", "env pro extends pre {\n  apps.web.multi_az = \"yes\"\n}\n")], "E0401", "pro.infra", 2, 23),
    case(
        "run-time value for a const input",
        &[("extra.infra", "module c2 {\n  source = \"mods/comp\"\n  input n: const string\n  output id: string\n}\nlayer extra {\n  c2 x { n = foundation.vpc_id }\n}\n")],
        "E0405",
        "extra.infra",
        7,
        14,
    ),
    case("arithmetic on a run-time value", &[("extra.infra", "layer extra {\n  comp x { vpc = foundation.vpc_id + \"x\" }\n}\n")], "E0405", "extra.infra", 2, 18),
    case("parameter without a value", &[("extra.infra", "param region_code: string\n")], "E0403", "extra.infra", 1, 7),
    case("unknown string pattern", &[("extra.infra", "param p: string(cidrr) = \"x\"\n")], "E0407", "extra.infra", 1, 17),
    case("unknown record field", &[("extra.infra", "param spec: { a: int } = { b = 1 }\n")], "E0402", "extra.infra", 1, 28),
    case("division by zero", &[("pro.infra", "env pro extends pre {\n  azs = 6 / 0\n}\n")], "E0406", "pro.infra", 2, 9),
    case("integer overflow", &[("extra.infra", "param b: int = (-9223372036854775807 - 1) / -1\n")], "E0406", "extra.infra", 1, 17),
    case("negating the smallest integer", &[("extra.infra", "param m: int = -9223372036854775807 - 1\nparam n: int = -m\n")], "E0406", "extra.infra", 2, 16),
    case("float overflow", &[("extra.infra", "param f: float = 1.7e308 * 10.0\n")], "E0406", "extra.infra", 1, 18),
    case("float literal too large", &[("extra.infra", "param f: float = 1.0e999\n")], "E0100", "extra.infra", 1, 18),
    case("missing record field", &[("extra.infra", "param spec: { a: int, b: int } = { a = 1 }\n")], "E0403", "extra.infra", 1, 34),
    // Layers.
    case("unknown layer output", &[("extra.infra", "layer extra {\n  comp x { vpc = foundation.vpc }\n}\n")], "E0502", "extra.infra", 2, 29),
    case(
        "layer cycle",
        &[("extra.infra", "layer a {\n  comp x { vpc = b.o }\n  output o: string = x.id\n}\nlayer b {\n  comp y { vpc = a.o }\n  output o: string = y.id\n}\n")],
        "E0501",
        "extra.infra",
        1,
        7,
    ),
    case("output type mismatch", &[("extra.infra", "layer extra {\n  comp x {}\n  output o: int = x.id\n}\n")], "E0401", "extra.infra", 3, 19),
    // Policies.
    case("policy violation", &[("extra.infra", "policy p for pro {\n  require azs >= 4 \"pro needs 4 AZs\"\n}\n")], "E0601", "extra.infra", 2, 11),
    case("wildcard policy violation", &[("extra.infra", "policy p for pro {\n  require *.*.multi_az\n}\n")], "E0601", "extra.infra", 2, 11),
    case("policy on a run-time value", &[("extra.infra", "policy p for pro {\n  require apps.web.vpc == \"\"\n}\n")], "E0602", "extra.infra", 2, 11),
    case("policy for an unknown env", &[("extra.infra", "policy p for prod {\n  require azs > 0\n}\n")], "E0301", "extra.infra", 1, 14),
    case("cross-environment policy", &[("extra.infra", "policy p across pre, pro {\n  require pro.azs < pre.azs\n}\n")], "E0601", "extra.infra", 2, 11),
];

fn write_project(dir: &Path, files: &[(&str, &str)]) {
    let defaults: [(&str, &str); 4] = [
        ("base.infra", BASE),
        ("dev.infra", "env dev {\n  azs = 1\n}\n"),
        ("pre.infra", "env pre {\n}\n"),
        ("pro.infra", "env pro extends pre {\n  azs = 3\n}\n"),
    ];
    for (name, text) in defaults {
        std::fs::write(dir.join(name), text).expect("write default file");
    }
    for (name, text) in files {
        std::fs::write(dir.join(name), text).expect("write case file");
    }
}

fn run_case(dir: &Path) -> (Option<i32>, String, String) {
    let output = Command::new(env!("CARGO_BIN_EXE_infrac"))
        .args(["build", "pro.infra", "--out", "out", "--format", "json"])
        .current_dir(dir)
        .output()
        .expect("run infrac");
    (
        output.status.code(),
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

fn check_case(case: &Case, dir: &Path) -> Result<(), String> {
    let (code, stdout, stderr) = run_case(dir);
    if stderr.contains("panicked") {
        return Err(format!("panicked: {stderr}"));
    }
    if code != Some(1) {
        return Err(format!(
            "exit code {code:?}, expected 1\nstdout: {stdout}\nstderr: {stderr}"
        ));
    }
    if dir.join("out").exists() {
        return Err("an output directory was written".into());
    }
    let diagnostics: Vec<serde_json::Value> =
        serde_json::from_str(&stdout).map_err(|e| format!("stdout is not JSON ({e}): {stdout}"))?;
    let found = diagnostics.iter().any(|d| {
        let primary = d["labels"]
            .as_array()
            .and_then(|labels| labels.iter().find(|l| l["primary"] == true));
        d["code"] == case.code
            && primary.is_some_and(|l| {
                l["file"].as_str().is_some_and(|f| f.ends_with(case.file))
                    && l["line"] == case.line
                    && l["column"] == case.column
            })
    });
    if found {
        Ok(())
    } else {
        let summary: Vec<String> = diagnostics
            .iter()
            .map(|d| d["text"].as_str().unwrap_or_default().to_string())
            .collect();
        Err(format!(
            "expected {} at {}:{}:{}, got:\n  {}",
            case.code,
            case.file,
            case.line,
            case.column,
            summary.join("\n  ")
        ))
    }
}

#[test]
fn bad_inputs_give_their_code_at_their_position() {
    assert!(CASES.len() >= 40, "the table holds at least 40 cases");
    let mut failures = Vec::new();
    for case in CASES {
        let dir = tempfile::tempdir().expect("temp dir");
        write_project(dir.path(), case.files);
        std::fs::create_dir_all(dir.path().join("mods/comp")).expect("module dir");
        std::fs::write(dir.path().join("mods/comp/main.tf"), "# comp\n").expect("module code");
        if let Err(message) = check_case(case, dir.path()) {
            failures.push(format!("{}: {message}", case.name));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} cases failed:\n{}",
        failures.len(),
        CASES.len(),
        failures.join("\n\n")
    );
}

#[test]
fn check_reports_module_sources_without_terraform_code() {
    let dir = tempfile::tempdir().expect("temp dir");
    let modules = "module q {\n  source = \"stdlib/s3_buckt\"\n  output id: string\n}\n\
                   module r {\n  source = \"mods/empty\"\n  output id: string\n}\n";
    write_project(dir.path(), &[("extra.infra", modules)]);
    std::fs::create_dir_all(dir.path().join("mods/comp")).expect("module dir");
    std::fs::write(dir.path().join("mods/comp/main.tf"), "# comp\n").expect("module code");
    // A directory without any `.tf` file is no module either.
    std::fs::create_dir_all(dir.path().join("mods/empty")).expect("empty module dir");
    std::fs::write(dir.path().join("mods/empty/README.md"), "no code\n").expect("readme");
    let output = Command::new(env!("CARGO_BIN_EXE_infrac"))
        .args(["check", "."])
        .current_dir(dir.path())
        .output()
        .expect("run infrac");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("module `q`: the standard library has no module `s3_buckt`"),
        "{stderr}"
    );
    assert!(
        stderr.contains("did you mean `stdlib/s3_bucket`?"),
        "{stderr}"
    );
    assert!(
        stderr.contains("module `r`: `mods/empty` holds no `.tf` file"),
        "{stderr}"
    );
    // With the code in place, the project checks.
    std::fs::write(dir.path().join("mods/empty/main.tf"), "# r\n").expect("module code");
    std::fs::write(
        dir.path().join("extra.infra"),
        modules.replace("s3_buckt", "s3_bucket"),
    )
    .expect("fix the source");
    let output = Command::new(env!("CARGO_BIN_EXE_infrac"))
        .args(["check", "."])
        .current_dir(dir.path())
        .output()
        .expect("run infrac");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!stderr.contains("E0206"), "{stderr}");
}

/// A `.infra` symbolic link to a credentials file outside the project names the link and prints
/// none of the file's lines; a link to an `.infra` file elsewhere (a shared base) is read.
#[cfg(unix)]
#[test]
fn a_link_to_a_file_that_is_not_infra_source_is_not_read() {
    let outside = tempfile::tempdir().expect("temp dir");
    let credentials = outside.path().join("credentials");
    std::fs::write(
        &credentials,
        "[default]\naws_access_key_id = AKIAEXAMPLEKEY123456\naws_secret_access_key = s3cr3tV4lue\n",
    )
    .expect("write credentials");
    let dir = tempfile::tempdir().expect("temp dir");
    write_project(dir.path(), &[]);
    std::fs::create_dir_all(dir.path().join("mods/comp")).expect("module dir");
    std::fs::write(dir.path().join("mods/comp/main.tf"), "# comp\n").expect("module code");
    std::os::unix::fs::symlink(&credentials, dir.path().join("creds.infra")).expect("symlink");
    for args in [
        &["check", "."][..],
        &["build", "pro.infra", "--out", "out"][..],
    ] {
        let output = Command::new(env!("CARGO_BIN_EXE_infrac"))
            .args(args)
            .current_dir(dir.path())
            .output()
            .expect("run infrac");
        let all = format!(
            "{}{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        );
        assert_eq!(output.status.code(), Some(1), "{args:?}: {all}");
        assert!(all.contains("E0104"), "{args:?}: {all}");
        assert!(all.contains("creds.infra"), "{args:?}: {all}");
        assert!(all.contains("is a symbolic link to"), "{args:?}: {all}");
        for secret in [
            "AKIAEXAMPLEKEY123456",
            "s3cr3tV4lue",
            "aws_secret_access_key",
            "[default]",
        ] {
            assert!(!all.contains(secret), "{args:?} printed {secret}: {all}");
        }
        assert!(!dir.path().join("out").exists());
    }
    // A link to an `.infra` file outside the project is source like any other.
    std::fs::remove_file(dir.path().join("creds.infra")).expect("remove link");
    let shared = outside.path().join("shared.infra");
    std::fs::write(&shared, "param shared_days: int = 7\n").expect("write shared");
    std::os::unix::fs::symlink(&shared, dir.path().join("shared.infra")).expect("symlink");
    let output = Command::new(env!("CARGO_BIN_EXE_infrac"))
        .args(["eval", "pro.infra"])
        .current_dir(dir.path())
        .output()
        .expect("run infrac");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert_eq!(
        output.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(stdout.contains("shared_days"), "{stdout}");
}

#[test]
fn binary_garbage_and_a_5mb_file_fail_cleanly() {
    let dir = tempfile::tempdir().expect("temp dir");
    write_project(dir.path(), &[]);
    std::fs::write(
        dir.path().join("pro.infra"),
        b"\xff\xfe\x00\x01garbage{{{\n",
    )
    .expect("write garbage");
    let (code, stdout, stderr) = run_case(dir.path());
    assert_eq!(code, Some(1), "{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert!(stdout.contains("E0104"), "{stdout}");
    assert!(!dir.path().join("out").exists());

    let mut big = String::from("env pro extends pre {\n");
    let padding = "  // padding line that makes this environment file large, on purpose\n";
    let lines = 5 * 1024 * 1024 / padding.len() + 1;
    for _ in 0..lines {
        big.push_str(padding);
    }
    big.push_str("  azs = true\n}\n");
    assert!(big.len() > 5 * 1024 * 1024);
    std::fs::write(dir.path().join("pro.infra"), &big).expect("write big file");
    let (code, stdout, stderr) = run_case(dir.path());
    assert_eq!(code, Some(1), "{stderr}");
    let want = format!("\"line\": {}", lines + 2);
    assert!(
        stdout.contains("E0401") && stdout.contains(&want),
        "expected E0401 at line {}: {stdout}",
        lines + 2
    );
    assert!(!dir.path().join("out").exists());
}

/// One file of a project, with what `build --format json` must report: the code at a line and
/// column of `extra.infra` (`None`: anywhere in that file).
struct Deep {
    name: &'static str,
    text: String,
    code: &'static str,
    at: Option<(u64, u64)>,
}

fn diagnostics_of(dir: &Path) -> Result<Vec<serde_json::Value>, String> {
    let (code, stdout, stderr) = run_case(dir);
    if stderr.contains("panicked") || stderr.contains("overflow") {
        return Err(format!("crashed: {stderr}"));
    }
    if code != Some(1) {
        return Err(format!("exit code {code:?}, expected 1: {stderr}"));
    }
    if dir.join("out").exists() {
        return Err("an output directory was written".into());
    }
    serde_json::from_str(&stdout).map_err(|e| format!("stdout is not JSON ({e})"))
}

/// A million levels of brackets, operators, negations, templates and conditionals, and ten
/// thousand aliases or parameters read through each other: each is a diagnostic, never a stack
/// overflow.
#[test]
fn deep_nesting_is_a_diagnostic_not_a_stack_overflow() {
    const N: usize = 1_000_000;
    let limit = infrac_syntax::MAX_NESTING as u64;
    let cases = [
        Deep {
            name: "nested lists",
            text: format!("param d: any = {}{}\n", "[".repeat(N), "]".repeat(N)),
            code: "E0105",
            // After 15 bytes, the 257th `[`.
            at: Some((1, 15 + limit + 1)),
        },
        Deep {
            name: "nested parentheses",
            text: format!("param d: int = {}1{}\n", "(".repeat(N), ")".repeat(N)),
            code: "E0105",
            at: Some((1, 15 + limit + 1)),
        },
        Deep {
            name: "a long sum",
            text: format!("param s: int = 1{}\n", "+1".repeat(N)),
            code: "E0105",
            // After `1`, the 257th `+`.
            at: Some((1, 16 + 2 * limit + 1)),
        },
        Deep {
            name: "a run of negations",
            text: format!("param b: bool = {}true\n", "!".repeat(N)),
            code: "E0105",
            at: Some((1, 16 + limit + 1)),
        },
        Deep {
            name: "a run of minus signs",
            text: format!("param i: int = {}1\n", "-".repeat(N)),
            code: "E0105",
            at: Some((1, 15 + limit + 1)),
        },
        Deep {
            name: "nested templates",
            text: format!(
                "param t: string = {}1{}\n",
                "\"${".repeat(N),
                "}\"".repeat(N)
            ),
            code: "E0105",
            // The `$` of the 257th `"${`.
            at: Some((1, 18 + 3 * limit + 1 + 1)),
        },
        Deep {
            name: "a chain of conditionals",
            text: format!("param c: int = {}1\n", "true ? 1 : ".repeat(N)),
            code: "E0105",
            // The 257th `?`.
            at: Some((1, 15 + 11 * limit + 5 + 1)),
        },
        Deep {
            name: "a long path",
            text: format!("env pro extends pre {{\n  x{} = 1\n}}\n", ".x".repeat(N)),
            code: "E0105",
            // The env's `{` is the first level: the 256th `.`.
            at: Some((2, 3 + 2 * (limit - 1) + 1)),
        },
        Deep {
            name: "a chain of type aliases",
            text: (0..10_000)
                .map(|i| format!("type A{i} = A{}\n", i + 1))
                .chain(["type A10000 = int\nparam p: A0 = 1\n".to_string()])
                .collect(),
            code: "E0105",
            at: None,
        },
        Deep {
            name: "a chain of parameters",
            text: (0..10_000)
                .map(|i| format!("param p{i}: any = [p{}]\n", i + 1))
                .chain(["param p10000: any = 1\n".to_string()])
                .collect(),
            code: "E0105",
            at: None,
        },
        Deep {
            name: "parameters nesting lists through each other",
            text: (0..300)
                .map(|i| {
                    format!(
                        "param p{i}: any = {}p{}{}\n",
                        "[".repeat(200),
                        i + 1,
                        "]".repeat(200)
                    )
                })
                .chain(["param p300: any = 1\n".to_string()])
                .collect(),
            code: "E0105",
            at: None,
        },
        Deep {
            name: "parameters nesting records through each other",
            text: (0..300)
                .map(|i| {
                    format!(
                        "param p{i}: any = {}p{}{}\n",
                        "{ a = ".repeat(200),
                        i + 1,
                        " }".repeat(200)
                    )
                })
                .chain(["param p300: any = 1\n".to_string()])
                .collect(),
            code: "E0105",
            at: None,
        },
    ];
    let mut failures = Vec::new();
    for case in &cases {
        let dir = tempfile::tempdir().expect("temp dir");
        let file = if case.text.starts_with("env pro") {
            "pro.infra"
        } else {
            "extra.infra"
        };
        write_project(dir.path(), &[(file, &case.text)]);
        let diagnostics = match diagnostics_of(dir.path()) {
            Ok(diagnostics) => diagnostics,
            Err(message) => {
                failures.push(format!("{}: {message}", case.name));
                continue;
            }
        };
        let found = diagnostics.iter().any(|d| {
            let primary = d["labels"]
                .as_array()
                .and_then(|labels| labels.iter().find(|l| l["primary"] == true));
            d["code"] == case.code
                && d["help"].is_string()
                && primary.is_some_and(|l| {
                    l["file"].as_str().is_some_and(|f| f.ends_with(file))
                        && case
                            .at
                            .is_none_or(|(line, column)| l["line"] == line && l["column"] == column)
                })
        });
        if !found {
            let texts: Vec<&str> = diagnostics
                .iter()
                .take(5)
                .map(|d| d["text"].as_str().unwrap_or_default())
                .collect();
            failures.push(format!(
                "{}: expected {} at {:?}, got:\n  {}",
                case.name,
                case.code,
                case.at,
                texts.join("\n  ")
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

/// An error at column 100,000 and at column 10,000,000 (a 10 MB line) is rendered for a
/// terminal, with its line and column, without showing the line and without a panic.
#[test]
fn errors_on_very_long_lines_are_rendered() {
    for column in [100_000usize, 10_000_000] {
        let dir = tempfile::tempdir().expect("temp dir");
        let padding = " ".repeat(column - 9);
        let text = format!("env pro extends pre {{\n  azs = {padding}\"three\"\n}}\n");
        write_project(dir.path(), &[("pro.infra", &text)]);
        let output = Command::new(env!("CARGO_BIN_EXE_infrac"))
            .args(["build", "pro.infra", "--out", "out"])
            .current_dir(dir.path())
            .output()
            .expect("run infrac");
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(1), "{stderr}");
        assert!(!stderr.contains("panicked"), "{stderr}");
        let at = format!("at pro.infra:2:{column}: expected int");
        assert!(
            stderr.contains("E0401") && stderr.contains(&at),
            "expected E0401 {at}: {stderr}"
        );
        assert!(
            stderr.len() < 2_000,
            "the long line is not printed: {stderr}"
        );
    }
}
