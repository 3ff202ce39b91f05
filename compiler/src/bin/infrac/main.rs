//! The `infrac` command line: the only code that reads arguments and writes files.

/// Prints to standard output; a closed pipe (`infrac ... | head`) is not an error worth a panic.
macro_rules! out {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        let _ = writeln!(std::io::stdout().lock(), $($arg)*);
    }};
}

/// Like `out!`, without a newline.
macro_rules! out_raw {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        let _ = write!(std::io::stdout().lock(), $($arg)*);
    }};
}

mod ci;
mod cmd;
mod generated;
mod git;
mod moved;
mod ops;
mod output;
mod validate;
mod verify;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand, ValueEnum};

/// mimalloc: the compiler allocates many small nodes; with glibc's allocator a fifth of a check
/// was `malloc`/`free` and another third page faults (see docs/performance.md).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[derive(Parser)]
#[command(
    name = "infrac",
    version,
    about = "A typed configuration language that compiles to layered Terraform"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Type-check an environment and write its layered Terraform.
    Build {
        /// The environment file, e.g. environments/pro.infra.
        env_file: PathBuf,
        /// The output directory [default: build/ENV].
        #[arg(long)]
        out: Option<PathBuf>,
        #[arg(long, value_enum, default_value_t = Format::Human)]
        format: Format,
        /// A module instance renamed within a layer, for a `moved` block that the build cannot
        /// infer (e.g. renamed and given other inputs): LAYER.FROM=TO (repeatable).
        #[arg(long = "moved", value_name = "LAYER.FROM=TO")]
        moved: Vec<moved::Explicit>,
        /// Build even when a layer's state key differs from the previous build's in --out (E0507).
        #[arg(long)]
        allow_state_key_change: bool,
    },
    /// Type-check environments without writing anything.
    Check {
        /// Environment files or project directories [default: environments].
        paths: Vec<PathBuf>,
        #[arg(long, value_enum, default_value_t = Format::Human)]
        format: Format,
    },
    /// The CI step: check every environment and its policies, and optionally compare committed
    /// generated output with a fresh build.
    Verify {
        /// Project directories [default: environments].
        paths: Vec<PathBuf>,
        /// Only these environments (repeatable).
        #[arg(long = "env")]
        envs: Vec<String>,
        /// A directory of committed builds, one subdirectory per environment (`DIR/pro/...`).
        #[arg(long)]
        compare: Option<PathBuf>,
        #[arg(long, value_enum, default_value_t = verify::VerifyFormat::Human)]
        format: verify::VerifyFormat,
        /// Also run `terraform init -backend=false` and `terraform validate` on a fresh build of
        /// every environment, in 00-bootstrap and every layer.
        #[arg(long)]
        validate: bool,
        /// With --validate: the Terraform binary [default: $INFRAC_TERRAFORM, else `terraform`].
        #[arg(long)]
        terraform: Option<PathBuf>,
        /// With --validate: a provider mirror for `terraform init -plugin-dir`
        /// [default: $INFRAC_TF_PLUGIN_DIR, else Terraform's normal provider installation].
        #[arg(long)]
        plugin_dir: Option<PathBuf>,
    },
    /// The semantic difference of two environments: parameters, layers, instances, inputs and
    /// state keys, with where each side was set.
    Diff {
        /// The first environment file.
        left: PathBuf,
        /// The second environment file, of the same project.
        right: PathBuf,
        /// Print the unified diff of the two environments' generated files instead.
        #[arg(long)]
        generated: bool,
    },
    /// Refuse deletes and replaces of protected resources (databases, buckets, KMS keys, ...) in a
    /// Terraform plan (`terraform show -json PLANFILE`).
    Guard {
        /// The plan as JSON.
        plan: PathBuf,
        /// The environment the plan is for (printed in the report).
        #[arg(long)]
        env: String,
        /// Resource addresses that may be deleted or replaced (repeatable).
        #[arg(long = "allow")]
        allow: Vec<String>,
    },
    /// The layers whose emitted root module changed between two builds of an environment, or
    /// between the project as committed at a Git revision and the working tree.
    Affected {
        /// The build before the change; without --head, a Git revision (`main`, `HEAD~1`, a hash).
        #[arg(long)]
        base: String,
        /// The build after the change.
        #[arg(long)]
        head: Option<PathBuf>,
        /// With a Git revision: the environment files to compare.
        env_files: Vec<PathBuf>,
    },
    /// Generate a CI workflow for the project.
    Ci {
        #[command(subcommand)]
        target: CiTarget,
    },
    /// Cache the schemas of the project's providers (`.infrac/schemas/`), so that instances of
    /// any resource type or data source are typed offline.
    Schema {
        /// The project directory.
        #[arg(default_value = ".")]
        dir: PathBuf,
        /// Keep only the resource types and data sources the project uses (a small file to
        /// commit; run it again when an instance names a new type).
        #[arg(long)]
        prune: bool,
        /// The Terraform binary (default: `INFRAC_TERRAFORM`, or `terraform` on the path).
        #[arg(long)]
        terraform: Option<PathBuf>,
        /// A provider mirror for `terraform init -plugin-dir` (default: `INFRAC_TF_PLUGIN_DIR`).
        #[arg(long)]
        plugin_dir: Option<PathBuf>,
    },
    /// Write Markdown documentation of every module (the standard library and the project's own)
    /// from their typed interfaces.
    Doc {
        /// The directory to write `README.md` and one `MODULE.md` per module into.
        #[arg(long, default_value = "docs/modules")]
        out: PathBuf,
        /// A project directory whose own modules are documented too.
        #[arg(long)]
        project: Option<PathBuf>,
        /// Do not write: exit 1 when the directory is not up to date.
        #[arg(long)]
        check: bool,
    },
    /// Explain a diagnostic code (`infrac explain E0401`), or where a value comes from
    /// (`infrac explain environments/pro.infra databases.orders.instance_class`).
    Explain {
        /// A code such as E0401, or an environment file.
        subject: String,
        /// With an environment file: the path of a value.
        path: Option<String>,
    },
    /// Print the effective, fully resolved values of an environment.
    Eval {
        env_file: PathBuf,
        #[arg(long, value_enum, default_value_t = EvalFormat::Json)]
        format: EvalFormat,
    },
    /// Format `.infra` files in place (the formatter of the language server's "Format
    /// Document"), or with --check report the ones that are not formatted.
    Fmt {
        /// Files, or directories whose `.infra` files are formatted [default: environments].
        #[arg(default_values_t = ["environments".to_string()])]
        paths: Vec<String>,
        /// Do not write: list the files that would change and exit 1 if there are any.
        #[arg(long)]
        check: bool,
    },
    /// Build an environment, then `terraform init` and `plan` every layer (independent layers in
    /// parallel) and print one summary. Exit 0: no changes, 2: changes, 1: an error.
    Plan {
        #[command(flatten)]
        run: cmd::deploy::RunArgs,
    },
    /// Build and apply every layer in order (after the bootstrap), skipping the layers that read
    /// a layer that failed; a protected environment refuses deletes and replaces of protected
    /// resources.
    Apply {
        #[command(flatten)]
        run: cmd::deploy::RunArgs,
        /// Apply without asking.
        #[arg(long)]
        auto_approve: bool,
        /// Start at this layer (resume after a failure); the layers before it are not run.
        #[arg(long, value_name = "LAYER")]
        from: Option<String>,
        /// Let deletes and replaces of protected resources through in a protected environment.
        #[arg(long)]
        allow_destroy: bool,
    },
    /// Destroy every layer in reverse order (the bootstrap and its state bucket stay).
    Destroy {
        #[command(flatten)]
        run: cmd::deploy::RunArgs,
        /// Destroy without asking.
        #[arg(long)]
        auto_approve: bool,
        /// In a protected environment, let deletes of protected resources through.
        #[arg(long)]
        allow_destroy: bool,
    },
    /// A refresh-only plan of every layer: what changed outside Terraform. Exit 2 on drift.
    Drift {
        #[command(flatten)]
        run: cmd::deploy::RunArgs,
    },
    /// Print the layer graph of an environment.
    Graph {
        env_file: PathBuf,
        #[arg(long, value_enum, default_value_t = GraphFormat::Json)]
        format: GraphFormat,
    },
}

#[derive(Subcommand)]
enum CiTarget {
    /// A GitHub Actions workflow: infrac installed once for every job; verify and a plan comment
    /// per environment on pull requests; plan, guard and apply every layer in order on main,
    /// environment after environment, with the protected ones behind an approval; daily drift.
    Github {
        /// The environment files, in the order they are applied.
        #[arg(default_values_t = ["environments/dev.infra".to_string(), "environments/pre.infra".to_string(), "environments/pro.infra".to_string()])]
        env_files: Vec<String>,
        /// Environments whose jobs need an approval (a GitHub environment of the same name).
        #[arg(long = "protect", default_values_t = ["pro".to_string()])]
        protect: Vec<String>,
        /// The infrac version the workflow installs from crates.io, once, for every job
        /// [default: this infrac's version].
        #[arg(long, value_name = "VERSION", conflicts_with = "infrac_path")]
        infrac_version: Option<String>,
        /// Install infrac from this directory of the repository instead (`cargo install --path`).
        #[arg(long, value_name = "PATH")]
        infrac_path: Option<String>,
        /// Where to write the workflow [default: standard output].
        #[arg(long)]
        out: Option<PathBuf>,
    },
}

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Format {
    Human,
    Json,
}

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
enum EvalFormat {
    Json,
}

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
enum GraphFormat {
    Json,
    Dot,
    Mermaid,
}

/// Exit codes, documented in docs/cli.md.
const EXIT_ERRORS: u8 = 1;
const EXIT_USAGE: u8 = 2;
/// A tool the command needs (`terraform`, `git`) cannot be run.
const EXIT_TOOL: u8 = 3;

fn main() -> ExitCode {
    infrac_emit::analysis::init_thread_pool();
    miette::set_hook(Box::new(|_| {
        Box::new(miette::MietteHandlerOpts::new().width(100).build())
    }))
    .ok();
    let cli = Cli::parse();
    match cli.command {
        Command::Build {
            env_file,
            out,
            format,
            moved,
            allow_state_key_change,
        } => cmd::build::build(&env_file, out, format, &moved, allow_state_key_change),
        Command::Check { paths, format } => cmd::check::check(paths, format),
        Command::Verify {
            paths,
            envs,
            compare,
            format,
            validate,
            terraform,
            plugin_dir,
        } => {
            let validate = if validate {
                match validate::Terraform::find(terraform, plugin_dir) {
                    Ok(terraform) => Some(terraform),
                    Err(error) => {
                        eprintln!("error: {error}");
                        return ExitCode::from(EXIT_TOOL);
                    }
                }
            } else {
                None
            };
            ExitCode::from(verify::verify(verify::VerifyArgs {
                paths,
                envs,
                compare,
                format,
                validate,
            }))
        }
        Command::Ci {
            target:
                CiTarget::Github {
                    env_files,
                    protect,
                    infrac_version,
                    infrac_path,
                    out,
                },
        } => {
            let source = match infrac_path {
                Some(path) => ci::InfracSource::Path(path),
                None => ci::InfracSource::Version(
                    infrac_version.unwrap_or_else(|| env!("CARGO_PKG_VERSION").to_string()),
                ),
            };
            cmd::ci::ci_github(&env_files, &protect, &source, out.as_deref())
        }
        Command::Diff {
            left,
            right,
            generated,
        } => {
            if generated {
                cmd::diff::diff_generated(&left, &right)
            } else {
                cmd::diff::diff(&left, &right)
            }
        }
        Command::Guard { plan, env, allow } => cmd::guard::guard(&plan, &env, &allow),
        Command::Affected {
            base,
            head,
            env_files,
        } => cmd::affected::affected(&base, head.as_deref(), &env_files),
        Command::Schema {
            dir,
            prune,
            terraform,
            plugin_dir,
        } => cmd::schema::schema(&dir, prune, terraform, plugin_dir),
        Command::Doc {
            out,
            project,
            check,
        } => cmd::doc::doc(&out, project.as_deref(), check),
        Command::Explain { subject, path } => cmd::explain::explain(&subject, path.as_deref()),
        Command::Eval {
            env_file,
            format: EvalFormat::Json,
        } => cmd::eval::eval(&env_file),
        Command::Graph { env_file, format } => cmd::graph::graph(&env_file, format),
        Command::Plan { run } => cmd::deploy::run(
            cmd::deploy::Mode::Plan,
            &run,
            &cmd::deploy::ChangeArgs::default(),
        ),
        Command::Drift { run } => cmd::deploy::run(
            cmd::deploy::Mode::Drift,
            &run,
            &cmd::deploy::ChangeArgs::default(),
        ),
        Command::Apply {
            run,
            auto_approve,
            from,
            allow_destroy,
        } => cmd::deploy::run(
            cmd::deploy::Mode::Apply,
            &run,
            &cmd::deploy::ChangeArgs {
                auto_approve,
                allow_destroy,
                from,
            },
        ),
        Command::Destroy {
            run,
            auto_approve,
            allow_destroy,
        } => cmd::deploy::run(
            cmd::deploy::Mode::Destroy,
            &run,
            &cmd::deploy::ChangeArgs {
                auto_approve,
                allow_destroy,
                from: None,
            },
        ),
        Command::Fmt { paths, check } => cmd::fmt::fmt(&paths, check),
    }
}
