//! Shared helpers for the tests that run the real `infrac` binary and the real third-party tools:
//! finding the tools `scripts/install-tools` installs, building an environment into a temporary
//! directory, walking and comparing the emitted files, running commands, and the projects of the
//! repository (`environments/` and each `examples/<name>/`).
//!
//! The tools come from environment variables that `scripts/install-tools` writes to
//! `.tools/env.sh` and `scripts/test` exports. A missing tool fails the test with a loud message;
//! these tests are never skipped.

// Each test binary uses a different part of these helpers.
#![allow(dead_code)]

pub mod emitted;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;
use std::time::Instant;

/// The environments every project has, in promotion order.
pub const ENVS: [&str; 3] = ["dev", "pre", "pro"];

/// The repository root.
pub fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("the compiler package lives inside the repository")
        .to_path_buf()
}

// ---------------------------------------------------------------------------------------------
// The real tools.

/// Terraform (>= 1.10).
pub const TERRAFORM: &str = "INFRAC_TERRAFORM";
/// The filesystem mirror that holds the hashicorp/aws provider.
pub const TF_PLUGIN_DIR: &str = "INFRAC_TF_PLUGIN_DIR";
/// `hcl2json FILE...`: HashiCorp's HCL parser (npm @cdktf/hcl2json) as a command.
pub const HCL2JSON: &str = "INFRAC_HCL2JSON";
/// checkov, in its venv.
pub const CHECKOV: &str = "INFRAC_CHECKOV";
/// `moto_server`, in its venv.
pub const MOTO_SERVER: &str = "INFRAC_MOTO_SERVER";

fn missing_tool(message: &str) -> ! {
    let bar = "!".repeat(100);
    panic!(
        "\n\n{bar}\n!!! {message}\n!!!\n\
         !!! The real-tool tests are never skipped. Install the tools and export their paths with\n\
         !!!     scripts/test                                   (installs, then runs everything), or\n\
         !!!     scripts/install-tools && . .tools/env.sh       (then cargo test / cargo nextest run)\n\
         !!! scripts/install-tools also says what to do when Terraform or the provider mirror is missing.\n\
         {bar}\n"
    )
}

/// The path of a tool from its environment variable (one of the constants above). An unset
/// variable or a path that does not exist fails the test loudly.
pub fn tool(var: &str) -> PathBuf {
    let value = std::env::var_os(var)
        .filter(|v| !v.is_empty())
        .unwrap_or_else(|| missing_tool(&format!("{var} is not set.")));
    let path = PathBuf::from(value);
    if !path.exists() {
        missing_tool(&format!("{var}={} does not exist.", path.display()));
    }
    path
}

/// The provider mirror, checked to hold hashicorp/aws.
pub fn plugin_dir() -> PathBuf {
    let dir = tool(TF_PLUGIN_DIR);
    let aws = dir.join("registry.terraform.io/hashicorp/aws");
    let has_aws = std::fs::read_dir(&aws).is_ok_and(|mut entries| entries.next().is_some());
    if !has_aws {
        missing_tool(&format!(
            "{TF_PLUGIN_DIR}={} has no hashicorp/aws provider (looked in {}).",
            dir.display(),
            aws.display()
        ));
    }
    dir
}

/// A Terraform command run in `dir`, isolated from the machine's CLI configuration and from
/// `TF_*` settings that would change what it does.
pub fn terraform(dir: &Path) -> Command {
    let mut command = Command::new(tool(TERRAFORM));
    command
        .current_dir(dir)
        .env("TF_IN_AUTOMATION", "1")
        .env("CHECKPOINT_DISABLE", "1")
        .env("TF_CLI_CONFIG_FILE", "/dev/null")
        .env("TF_INPUT", "0");
    for var in [
        "TF_CLI_ARGS",
        "TF_CLI_ARGS_init",
        "TF_CLI_ARGS_validate",
        "TF_CLI_ARGS_fmt",
        "TF_CLI_ARGS_test",
        "TF_DATA_DIR",
        "TF_WORKSPACE",
        "TF_PLUGIN_CACHE_DIR",
        "TF_LOG",
    ] {
        command.env_remove(var);
    }
    command
}

/// `terraform init -backend=false` in `dir`, with the real provider from the plugin mirror: whether
/// it succeeded, and its output.
pub fn terraform_init(dir: &Path) -> (bool, String) {
    let plugin_arg = format!("-plugin-dir={}", plugin_dir().display());
    run(terraform(dir).args([
        "init",
        "-backend=false",
        "-input=false",
        "-no-color",
        &plugin_arg,
    ]))
}

/// Installs the registry and git modules that a root module calls the way `terraform get` would,
/// from the project's vendored copies (`vendor/modules`, laid out as `infrac_core::terraform::vendor_path`
/// says), so that `terraform init` finds them installed and fetches nothing: a copy in
/// `.terraform/modules/KEY` and its entry in `.terraform/modules/modules.json`. Nothing to do for a
/// root module that calls only copied modules (`../modules/NAME`).
pub fn install_vendored_modules(root_module: &Path, project_dir: &Path) -> Result<(), String> {
    let main = std::fs::read_to_string(root_module.join("main.tf")).unwrap_or_default();
    // A main.tf that does not parse calls nothing we could install: `terraform init` reports it.
    let Ok(body) = hcl::from_str::<hcl::Body>(&main) else {
        return Ok(());
    };
    let mut entries = vec![serde_json::json!({ "Key": "", "Source": "", "Dir": "." })];
    for block in body.blocks().filter(|b| b.identifier() == "module") {
        let Some(key) = block.labels().first().map(|l| l.as_str().to_string()) else {
            continue;
        };
        let attribute = |name: &str| {
            block
                .body()
                .attributes()
                .find(|a| a.key() == name)
                .and_then(|a| match &a.expr {
                    hcl::Expression::String(s) => Some(s.clone()),
                    _ => None,
                })
        };
        let Some(source) = attribute("source").filter(|s| !s.starts_with("../")) else {
            continue;
        };
        let relative = infrac_core::terraform::vendor_path(&source)
            .ok_or_else(|| format!("module {key}: no vendor path for {source}"))?;
        let copy = project_dir.join("vendor/modules").join(relative);
        let installed = root_module.join(".terraform/modules").join(&key);
        std::fs::create_dir_all(&installed).map_err(|e| e.to_string())?;
        for path in infrac_core::terraform::tf_paths(&copy)
            .map_err(|e| format!("{}: {e}", copy.display()))?
        {
            let name = path.file_name().expect("a file name");
            std::fs::copy(&path, installed.join(name)).map_err(|e| e.to_string())?;
        }
        // The registry's host is spelled out in the manifest, as `terraform get` writes it.
        let recorded = match attribute("version") {
            Some(_) if !source.contains("::") => format!("registry.terraform.io/{source}"),
            _ => source.clone(),
        };
        let mut entry = serde_json::json!({
            "Key": key,
            "Source": recorded,
            "Dir": format!(".terraform/modules/{key}"),
        });
        if let Some(version) = attribute("version") {
            // The newest version the constraint admits is what `terraform get` would install;
            // the vendored copy stands for it.
            entry["Version"] = serde_json::Value::String(installed_version(&version));
        }
        entries.push(entry);
    }
    if entries.len() == 1 {
        return Ok(());
    }
    let manifest = serde_json::json!({ "Modules": entries });
    std::fs::write(
        root_module.join(".terraform/modules/modules.json"),
        manifest.to_string(),
    )
    .map_err(|e| e.to_string())
}

/// A version that satisfies a simple constraint (`1.2.0`, `~> 1.2`, `>= 1.2`): its version number.
fn installed_version(constraint: &str) -> String {
    let number = constraint
        .trim_start_matches(|c: char| !c.is_ascii_digit())
        .trim();
    match number.matches('.').count() {
        0 => format!("{number}.0.0"),
        1 => format!("{number}.0"),
        _ => number.to_string(),
    }
}

/// The Terraform of the small user module `comp` (inputs `size` and `vpc`, output `id`) that
/// hand-written test projects call.
pub const COMP_MODULE_TF: &str = "variable \"size\" {\n  type = number\n}\n\nvariable \"vpc\" {\n  type = string\n}\n\nresource \"terraform_data\" \"this\" {\n  input = var.size\n}\n\noutput \"id\" {\n  value = terraform_data.this.id\n}\n\n# The inputs the test projects declare besides `size` and `vpc`.\nvariable \"cidr\" {\n  type    = string\n  default = \"10.0.0.0/16\"\n}\n\nvariable \"multi_az\" {\n  type    = bool\n  default = false\n}\n\nvariable \"name\" {\n  type    = string\n  default = \"\"\n}\n\nvariable \"label\" {\n  type    = string\n  default = \"\"\n}\n";

/// A small project with the user module `comp` (`mods/comp`, `COMP_MODULE_TF`): two layers, the
/// second reading an output of the first.
pub const COMP_BASE: &str = r#"project shop {
  region = "eu-west-1"
  tags   = { project = "shop" }
  state  = { bucket = "shop-tfstate" }
}
module comp {
  source = "mods/comp"
  input size: int(1..10) = 1
  input vpc: string = ""
  output id: string
}
layer foundation {
  comp net { size = 2 }
  output vpc_id: string = net.id
}
layer apps {
  comp web { vpc = foundation.vpc_id }
}
"#;

/// Writes a test project into `dir` (created): `base.infra`, an empty `env pro`, and `module_tf`
/// as the Terraform of the user module `mods/comp`.
pub fn write_comp_project(dir: &Path, base: &str, module_tf: &str) {
    std::fs::create_dir_all(dir.join("mods/comp")).expect("mkdir");
    std::fs::write(dir.join("base.infra"), base).expect("write base");
    std::fs::write(dir.join("pro.infra"), "env pro {}\n").expect("write pro");
    std::fs::write(dir.join("mods/comp/main.tf"), module_tf).expect("write module");
}

/// Copies the default system's `.infra` files into `to` (created), for tests that edit them.
pub fn copy_environments(to: &Path) {
    std::fs::create_dir_all(to).expect("mkdir");
    for entry in std::fs::read_dir(repo_root().join("environments"))
        .expect("read environments")
        .flatten()
    {
        std::fs::copy(entry.path(), to.join(entry.file_name())).expect("copy");
    }
}

// ---------------------------------------------------------------------------------------------
// Running commands.

/// Runs a command to completion; failing to start it at all fails the test.
pub fn output_of(command: &mut Command) -> Output {
    command
        .output()
        .unwrap_or_else(|e| panic!("cannot run {command:?}: {e}"))
}

/// Runs a command and returns whether it succeeded and its stdout followed by its stderr.
pub fn run(command: &mut Command) -> (bool, String) {
    let output = output_of(command);
    (
        output.status.success(),
        format!(
            "{}{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        ),
    )
}

/// How many tool processes one test runs at a time: `INFRAC_TEST_JOBS`, default 2.
pub fn jobs() -> usize {
    std::env::var("INFRAC_TEST_JOBS")
        .ok()
        .and_then(|v| v.parse().ok())
        .filter(|&n| n > 0)
        .unwrap_or(2)
}

/// `f` on every item with `jobs` threads; the results come back in the items' order.
pub fn parallel_map<T: Sync, R: Send>(
    items: &[T],
    jobs: usize,
    f: impl Fn(&T) -> R + Sync,
) -> Vec<R> {
    let next = AtomicUsize::new(0);
    let results: Mutex<Vec<Option<R>>> = Mutex::new(items.iter().map(|_| None).collect());
    std::thread::scope(|scope| {
        for _ in 0..jobs.clamp(1, items.len().max(1)) {
            scope.spawn(|| loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                let Some(item) = items.get(i) else { break };
                let result = f(item);
                results.lock().expect("a worker panicked")[i] = Some(result);
            });
        }
    });
    results
        .into_inner()
        .expect("a worker panicked")
        .into_iter()
        .map(|r| r.expect("every item was processed"))
        .collect()
}

/// Times a step of a test and prints it (shown by `cargo nextest run --no-capture`, and with
/// the output of a failing test).
pub fn timed<R>(what: &str, f: impl FnOnce() -> R) -> R {
    let start = Instant::now();
    let result = f();
    eprintln!("[timing] {what}: {:.1} s", start.elapsed().as_secs_f64());
    result
}

// ---------------------------------------------------------------------------------------------
// Projects and builds.

/// A directory of `.infra` files with `dev`, `pre` and `pro` environments.
#[derive(Debug, Clone)]
pub struct Project {
    /// `environments` or `examples/<name>`.
    pub name: String,
    pub dir: PathBuf,
}

impl Project {
    /// The environment file of `env`.
    pub fn env_file(&self, env: &str) -> PathBuf {
        self.dir.join(format!("{env}.infra"))
    }
}

/// The default system, `environments/`.
pub fn default_system() -> Project {
    Project {
        name: "environments".into(),
        dir: repo_root().join("environments"),
    }
}

/// Every example: each directory under `examples/` with `.infra` files, sorted. (An example that
/// lacks one of dev/pre/pro fails when that environment is built.)
pub fn examples() -> Vec<Project> {
    let root = repo_root().join("examples");
    let mut examples: Vec<Project> = std::fs::read_dir(&root)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", root.display()))
        .map(|entry| entry.expect("read an entry of examples/").path())
        .filter(|dir| {
            dir.is_dir()
                && std::fs::read_dir(dir).is_ok_and(|mut entries| {
                    entries.any(|e| {
                        e.is_ok_and(|e| e.path().extension().is_some_and(|x| x == "infra"))
                    })
                })
        })
        .map(|dir| Project {
            name: format!(
                "examples/{}",
                dir.file_name().expect("a directory name").to_string_lossy()
            ),
            dir,
        })
        .collect();
    examples.sort_by(|a, b| a.name.cmp(&b.name));
    examples
}

/// A `Command` for the real `infrac` binary, run from the repository root.
pub fn infrac() -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_infrac"));
    command.current_dir(repo_root());
    command
}

/// `infrac build ENV_FILE --out OUT`; the error is infrac's exit status and output.
pub fn try_build(env_file: &Path, out: &Path) -> Result<(), String> {
    let (ok, output) = run(infrac().arg("build").arg(env_file).arg("--out").arg(out));
    if ok {
        Ok(())
    } else {
        Err(format!(
            "`infrac build {} --out {}` failed:\n{output}",
            env_file.display(),
            out.display()
        ))
    }
}

/// `infrac build ENV_FILE --out OUT`; a failed build fails the test with infrac's output.
pub fn build(env_file: &Path, out: &Path) {
    if let Err(message) = try_build(env_file, out) {
        panic!("{message}");
    }
}

/// The output of one `infrac build` in a temporary directory, removed when this is dropped.
pub struct Build {
    /// `dev`, `pre` or `pro`.
    pub env: String,
    /// `<project>/<env>`, for messages.
    pub label: String,
    /// The output directory: `00-bootstrap/`, the layers, `modules/`, `layers.json`.
    pub root: PathBuf,
    _temp: tempfile::TempDir,
}

/// Builds `env` of `project` into a fresh temporary directory.
pub fn build_in_tempdir(project: &Project, env: &str) -> Result<Build, String> {
    let temp = tempfile::Builder::new()
        .prefix("infrac-test-")
        .tempdir()
        .expect("create a temporary directory for a build");
    let root = temp.path().join(env);
    try_build(&project.env_file(env), &root)?;
    Ok(Build {
        env: env.to_string(),
        label: format!("{}/{env}", project.name),
        root,
        _temp: temp,
    })
}

// ---------------------------------------------------------------------------------------------
// Files.

/// Every file under `dir`, sorted, skipping Terraform's working directories (`.terraform/`).
pub fn files(dir: &Path) -> Vec<PathBuf> {
    fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
        let entries =
            std::fs::read_dir(dir).unwrap_or_else(|e| panic!("cannot read {}: {e}", dir.display()));
        for entry in entries {
            let entry = entry.unwrap_or_else(|e| panic!("cannot read {}: {e}", dir.display()));
            let path = entry.path();
            if path.is_dir() {
                if entry.file_name() != ".terraform" {
                    walk(&path, out);
                }
            } else {
                out.push(path);
            }
        }
    }
    let mut out = Vec::new();
    walk(dir, &mut out);
    out.sort();
    out
}

/// The files under `dir` whose names end in one of `extensions` (without the dot).
pub fn files_with_extension(dir: &Path, extensions: &[&str]) -> Vec<PathBuf> {
    files(dir)
        .into_iter()
        .filter(|p| {
            p.extension()
                .is_some_and(|e| extensions.iter().any(|x| e == *x))
        })
        .collect()
}

/// Every file under `dir` by its path relative to `dir`, with its bytes; FIFOs, sockets and
/// devices are listed without contents (they are never opened, so a FIFO cannot block the test).
pub fn tree(dir: &Path) -> BTreeMap<PathBuf, Vec<u8>> {
    files(dir)
        .into_iter()
        .map(|path| {
            let regular = std::fs::metadata(&path).is_ok_and(|m| m.is_file());
            let bytes = if regular {
                std::fs::read(&path)
                    .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()))
            } else {
                Vec::new()
            };
            (relative(&path, dir), bytes)
        })
        .collect()
}

/// `path` relative to `base` (or `path` itself when it is not under `base`).
pub fn relative(path: &Path, base: &Path) -> PathBuf {
    path.strip_prefix(base).unwrap_or(path).to_path_buf()
}

/// The root modules of a build: `00-bootstrap` and every numbered layer directory, sorted.
pub fn root_modules(dir: &Path) -> Vec<PathBuf> {
    let numbered = |dir: &Path| -> Vec<PathBuf> {
        std::fs::read_dir(dir)
            .unwrap_or_else(|e| panic!("cannot read {}: {e}", dir.display()))
            .map(|entry| entry.expect("read a build directory entry").path())
            .filter(|p| {
                p.is_dir()
                    && p.file_name()
                        .and_then(|n| n.to_str())
                        .is_some_and(|n| n.starts_with(|c: char| c.is_ascii_digit()))
            })
            .collect()
    };
    let mut roots = numbered(dir);
    // The shared layers' root modules, in every build that has them.
    let shared = dir.join("shared");
    if shared.is_dir() {
        roots.extend(numbered(&shared));
    }
    roots.sort();
    roots
}

/// The text of a file; a missing or unreadable file fails the test.
pub fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()))
}
