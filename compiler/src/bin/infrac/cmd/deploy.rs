//! `infrac plan`, `apply`, `destroy` and `drift`: Terraform run on every root module of a build,
//! in the layer graph's order, independent layers in parallel, each layer's output kept together,
//! then one summary. The bootstrap (`00-bootstrap`, local state) creates the state bucket first.

use std::collections::BTreeMap;
use std::io::{BufRead as _, IsTerminal as _};
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};
use std::sync::{Condvar, Mutex};

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use infrac_core::model::EnvModel;
use infrac_emit::emit::endpoint::BACKEND_FILE;
use infrac_emit::emit::DEFERRED_OVERRIDE_FILE;

use super::build::{build_env, BuildOptions};
use crate::validate::Terraform;
use crate::{Format, EXIT_ERRORS, EXIT_TOOL, EXIT_USAGE};

/// What is run on each root module.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    Plan,
    Apply,
    Destroy,
    Drift,
}

/// How the summary is printed.
#[derive(Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ReportFormat {
    Text,
    Json,
    Markdown,
}

/// The options every one of the commands takes.
#[derive(clap::Args)]
pub struct RunArgs {
    /// The environment file, e.g. environments/dev.infra.
    pub env_file: PathBuf,
    /// The build directory [default: build/ENV].
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Only these layers (by name, e.g. `databases`, or `bootstrap`; repeatable).
    #[arg(long = "layer", value_name = "NAME")]
    pub layers: Vec<String>,
    /// Root modules run at once.
    #[arg(long, default_value_t = 4, value_parser = clap::value_parser!(u16).range(1..=64))]
    pub jobs: u16,
    /// Send every AWS call and the S3 backend to an emulator (LocalStack, moto) at this URL.
    #[arg(long, value_name = "URL")]
    pub endpoint: Option<String>,
    /// The Terraform binary [default: $INFRAC_TERRAFORM, else `terraform`].
    #[arg(long)]
    pub terraform: Option<PathBuf>,
    /// A provider mirror for `terraform init -plugin-dir` [default: $INFRAC_TF_PLUGIN_DIR].
    #[arg(long)]
    pub plugin_dir: Option<PathBuf>,
    #[arg(long, value_enum, default_value_t = ReportFormat::Text)]
    pub format: ReportFormat,
}

/// The options of `apply` and `destroy`.
#[derive(Default)]
pub struct ChangeArgs {
    pub auto_approve: bool,
    pub allow_destroy: bool,
    pub from: Option<String>,
}

/// One root module of the build.
struct Unit {
    name: String,
    dir: String,
    /// Indexes of the units this one reads (the bootstrap for every layer).
    depends_on: Vec<usize>,
    /// The layer's index in the model; `None` for the bootstrap.
    layer: Option<usize>,
}

/// What happened to a unit.
#[derive(Clone, Default)]
struct Outcome {
    status: Status,
    add: usize,
    change: usize,
    destroy: usize,
    /// Existing resources adopted through `import` blocks.
    import: usize,
    /// Deletes and replaces of protected resources, `address (replace)`.
    protected: Vec<String>,
    /// Resources changed outside Terraform, `address: attributes`.
    drift: Vec<String>,
    /// Why the unit was deferred, skipped or failed, or a note.
    note: String,
    /// Terraform's output, printed as one block.
    log: String,
}

#[derive(Clone, Copy, Default, PartialEq, Eq)]
enum Status {
    #[default]
    Pending,
    Planned,
    Deferred,
    Applied,
    Destroyed,
    NoChanges,
    Skipped,
    Refused,
    Failed,
}

impl Status {
    fn word(self) -> &'static str {
        match self {
            Status::Pending => "pending",
            Status::Planned => "planned",
            Status::Deferred => "deferred",
            Status::Applied => "applied",
            Status::Destroyed => "destroyed",
            Status::NoChanges => "no changes",
            Status::Skipped => "skipped",
            Status::Refused => "refused",
            Status::Failed => "failed",
        }
    }

    fn failed(self) -> bool {
        matches!(self, Status::Failed | Status::Refused | Status::Skipped)
    }
}

/// Runs `mode` on the environment of `args`.
pub fn run(mode: Mode, args: &RunArgs, change: &ChangeArgs) -> ExitCode {
    if let Some(url) = &args.endpoint {
        if !infrac_emit::emit::endpoint::is_endpoint_url(url) {
            eprintln!("error: --endpoint {url:?} is not an http:// or https:// URL");
            return ExitCode::from(EXIT_USAGE);
        }
    }
    let terraform = match Terraform::find(args.terraform.clone(), args.plugin_dir.clone()) {
        Ok(terraform) => terraform,
        Err(error) => {
            eprintln!("error: {error}");
            return ExitCode::from(EXIT_TOOL);
        }
    };
    let options = BuildOptions {
        format: Format::Human,
        explicit_moves: &[],
        allow_state_key_change: false,
        endpoint: args.endpoint.as_deref(),
    };
    let built = match build_env(&args.env_file, args.out.clone(), &options) {
        Ok(built) => built,
        Err(code) => return code,
    };
    let units = units(&built.model);
    let selected = match select(&units, &args.layers, change.from.as_deref(), mode) {
        Ok(selected) => selected,
        Err(error) => {
            eprintln!("error: {error}");
            return ExitCode::from(EXIT_USAGE);
        }
    };
    if matches!(mode, Mode::Apply | Mode::Destroy)
        && !change.auto_approve
        && !std::io::stdin().is_terminal()
    {
        eprintln!("error: `infrac {}` asks before it changes anything, and standard input is not a terminal; pass --auto-approve", mode.verb());
        return ExitCode::from(EXIT_USAGE);
    }
    let runner = Runner {
        terraform,
        root: built.out.clone(),
        model: built.model,
        units,
        mode,
        protected: false,
        change,
        endpoint: args.endpoint.is_some(),
        init_lock: Mutex::new(()),
        prompt_lock: Mutex::new(()),
        prepared: BTreeMap::new(),
        applied: Vec::new(),
    };
    let mut runner = Runner {
        protected: runner.model.project.protected,
        ..runner
    };
    if matches!(mode, Mode::Plan | Mode::Drift) {
        runner.prepare(&selected);
    }
    let jobs = if change.auto_approve || !matches!(mode, Mode::Apply | Mode::Destroy) {
        usize::from(args.jobs)
    } else {
        1
    };
    eprintln!(
        "{} env `{}`: {} root module(s) in {}, {jobs} at a time{}",
        mode.verb(),
        runner.model.env,
        selected.iter().filter(|s| **s).count(),
        runner.root.display(),
        if runner.protected { " (protected)" } else { "" }
    );
    let outcomes = runner.run_all(&selected, jobs, args.format);
    report(&runner, &selected, &outcomes, args.format)
}

impl Mode {
    fn verb(self) -> &'static str {
        match self {
            Mode::Plan => "plan",
            Mode::Apply => "apply",
            Mode::Destroy => "destroy",
            Mode::Drift => "drift",
        }
    }
}

/// The bootstrap and the layers, in the compiler's order.
fn units(model: &EnvModel) -> Vec<Unit> {
    let mut units = Vec::new();
    if model.bootstrap.is_some() {
        units.push(Unit {
            name: "bootstrap".into(),
            dir: "00-bootstrap".into(),
            depends_on: Vec::new(),
            layer: None,
        });
    }
    let offset = units.len();
    for (index, layer) in model.layers.iter().enumerate() {
        let mut depends_on: Vec<usize> = (0..offset).collect();
        depends_on.extend(
            layer
                .depends_on
                .iter()
                .filter_map(|d| model.layers.iter().position(|l| &l.name == d))
                .map(|i| i + offset),
        );
        units.push(Unit {
            name: layer.name.clone(),
            dir: layer.dir.clone(),
            depends_on,
            layer: Some(index),
        });
    }
    units
}

/// Which units run: those named by `--layer` (all without it), from `--from` on. A destroy
/// leaves the bootstrap alone: its bucket holds the state of every layer.
fn select(
    units: &[Unit],
    names: &[String],
    from: Option<&str>,
    mode: Mode,
) -> Result<Vec<bool>, String> {
    let known = || {
        units
            .iter()
            .map(|u| u.name.as_str())
            .collect::<Vec<_>>()
            .join(", ")
    };
    let find = |name: &str| {
        units
            .iter()
            .position(|u| u.name == name || u.dir == name)
            .ok_or_else(|| {
                format!(
                    "no layer `{name}` in this environment; its layers are {}",
                    known()
                )
            })
    };
    let mut selected: Vec<bool> = vec![names.is_empty(); units.len()];
    for name in names {
        selected[find(name)?] = true;
    }
    if let Some(from) = from {
        let start = find(from)?;
        for flag in selected.iter_mut().take(start) {
            *flag = false;
        }
    }
    if mode == Mode::Destroy
        && names
            .iter()
            .all(|n| n != "bootstrap" && n != "00-bootstrap")
    {
        for (flag, unit) in selected.iter_mut().zip(units) {
            if unit.layer.is_none() {
                *flag = false;
            }
        }
    }
    Ok(selected)
}

struct Runner<'a> {
    terraform: Terraform,
    root: PathBuf,
    model: EnvModel,
    units: Vec<Unit>,
    mode: Mode,
    protected: bool,
    change: &'a ChangeArgs,
    endpoint: bool,
    /// `terraform init` writes the shared plugin cache, which is not safe for concurrent
    /// writers: one init at a time, the plans and applies in parallel.
    init_lock: Mutex<()>,
    prompt_lock: Mutex<()>,
    /// For a plan or a drift check: each unit's `terraform init`, done before the parallel
    /// plans, and the layers whose state has outputs (applied at least once).
    prepared: BTreeMap<usize, Result<(), (String, String)>>,
    applied: Vec<String>,
}

/// The scheduler's shared state.
struct Board {
    outcomes: Vec<Outcome>,
    running: Vec<bool>,
    /// The next unit (in order) whose block has not been printed.
    printed: usize,
}

impl Runner<'_> {
    /// Runs every selected unit, `jobs` at a time. An apply starts a layer when the layers it
    /// reads are applied; a destroy when the layers that read it are destroyed; a plan or a
    /// drift check needs no order (a plan changes nothing). Blocks are printed in order.
    fn run_all(&self, selected: &[bool], jobs: usize, format: ReportFormat) -> Vec<Outcome> {
        let board = Mutex::new(Board {
            outcomes: vec![Outcome::default(); self.units.len()],
            running: vec![false; self.units.len()],
            printed: 0,
        });
        let wake = Condvar::new();
        let total = selected.iter().filter(|s| **s).count();
        let progress = self.progress(total);
        std::thread::scope(|scope| {
            for _ in 0..jobs.min(total).max(1) {
                scope.spawn(|| self.worker(selected, &board, &wake, format, progress.as_ref()));
            }
        });
        if let Some(bar) = progress {
            bar.finish_and_clear();
        }
        board.into_inner().map(|b| b.outcomes).unwrap_or_default()
    }

    /// A live progress line on a terminal (`[3/7] running 02-platform, 03-databases`), redrawn
    /// as root modules start and end; `None` (a line per start) when standard error is not a
    /// terminal, or when an apply or a destroy asks for approval on the terminal.
    fn progress(&self, total: usize) -> Option<ProgressBar> {
        let asks = matches!(self.mode, Mode::Apply | Mode::Destroy) && !self.change.auto_approve;
        if asks || !std::io::stderr().is_terminal() {
            return None;
        }
        let style =
            ProgressStyle::with_template("{spinner} [{pos}/{len}] {wide_msg} {elapsed}").ok()?;
        let bar = ProgressBar::with_draw_target(Some(total as u64), ProgressDrawTarget::stderr())
            .with_style(style);
        bar.enable_steady_tick(std::time::Duration::from_millis(120));
        Some(bar)
    }

    /// What the progress line says: the root modules running now.
    fn progress_message(&self, state: &Board) -> String {
        let running: Vec<&str> = (0..self.units.len())
            .filter(|&i| state.running[i])
            .map(|i| self.units[i].dir.as_str())
            .collect();
        format!("{} {}", self.mode.verb(), running.join(", "))
    }

    fn worker(
        &self,
        selected: &[bool],
        board: &Mutex<Board>,
        wake: &Condvar,
        format: ReportFormat,
        progress: Option<&ProgressBar>,
    ) {
        loop {
            let Ok(mut state) = board.lock() else { return };
            let next = loop {
                match self.next_ready(selected, &state) {
                    Pick::Run(index) => break Some(index),
                    Pick::Skip(index, why) => {
                        state.outcomes[index] = Outcome {
                            status: Status::Skipped,
                            note: why,
                            ..Outcome::default()
                        };
                        self.print_ready(selected, &mut state, format, progress);
                        if let Some(bar) = progress {
                            bar.inc(1);
                        }
                        wake.notify_all();
                    }
                    Pick::Wait => match wake.wait(state) {
                        Ok(guard) => state = guard,
                        Err(_) => return,
                    },
                    Pick::Done => break None,
                }
            };
            let Some(index) = next else {
                wake.notify_all();
                return;
            };
            state.running[index] = true;
            let done = state
                .outcomes
                .iter()
                .filter(|o| o.status != Status::Pending)
                .count()
                + state.running.iter().filter(|r| **r).count()
                - 1;
            match progress {
                Some(bar) => bar.set_message(self.progress_message(&state)),
                None => eprintln!(
                    "[{}/{}] {}: {}",
                    done + 1,
                    selected.iter().filter(|s| **s).count(),
                    self.units[index].dir,
                    self.mode.verb()
                ),
            }
            drop(state);
            let outcome = self.run_unit(index);
            let Ok(mut state) = board.lock() else { return };
            state.running[index] = false;
            state.outcomes[index] = outcome;
            self.print_ready(selected, &mut state, format, progress);
            if let Some(bar) = progress {
                bar.inc(1);
                bar.set_message(self.progress_message(&state));
            }
            wake.notify_all();
        }
    }

    /// The units a unit waits for: what it reads for an apply, what reads it for a destroy.
    fn waits_for(&self, index: usize) -> Vec<usize> {
        match self.mode {
            Mode::Apply => self.units[index].depends_on.clone(),
            Mode::Destroy => (0..self.units.len())
                .filter(|other| self.units[*other].depends_on.contains(&index))
                .collect(),
            // A layer's plan reads its producers' state, so it waits for the bootstrap only
            // (which may create the bucket); the layers plan in parallel.
            Mode::Plan | Mode::Drift => self.units[index]
                .depends_on
                .iter()
                .copied()
                .filter(|d| self.units[*d].layer.is_none())
                .collect(),
        }
    }

    fn next_ready(&self, selected: &[bool], state: &Board) -> Pick {
        let order: Vec<usize> = match self.mode {
            Mode::Destroy => (0..self.units.len()).rev().collect(),
            _ => (0..self.units.len()).collect(),
        };
        let mut waiting = false;
        for index in order {
            if !selected[index]
                || state.running[index]
                || state.outcomes[index].status != Status::Pending
            {
                continue;
            }
            let waits: Vec<usize> = self
                .waits_for(index)
                .into_iter()
                .filter(|w| selected[*w])
                .collect();
            if let Some(failed) = waits.iter().find(|w| state.outcomes[**w].status.failed()) {
                // A plan of a layer whose bootstrap failed still runs: the bucket may exist.
                if matches!(self.mode, Mode::Apply | Mode::Destroy) {
                    return Pick::Skip(
                        index,
                        format!("{} did not {}", self.units[*failed].dir, self.mode.verb()),
                    );
                }
            }
            if waits.iter().all(|w| {
                let status = state.outcomes[*w].status;
                status != Status::Pending && !state.running[*w]
            }) {
                return Pick::Run(index);
            }
            waiting = true;
        }
        if waiting || state.running.iter().any(|r| *r) {
            Pick::Wait
        } else {
            Pick::Done
        }
    }

    /// Prints the blocks of finished units in order, never two at once, never interleaved.
    fn print_ready(
        &self,
        selected: &[bool],
        state: &mut Board,
        format: ReportFormat,
        progress: Option<&ProgressBar>,
    ) {
        let order: Vec<usize> = match self.mode {
            Mode::Destroy => (0..self.units.len()).rev().collect(),
            _ => (0..self.units.len()).collect(),
        };
        while let Some(&index) = order.get(state.printed) {
            if selected[index] {
                let outcome = &state.outcomes[index];
                if outcome.status == Status::Pending {
                    return;
                }
                let block = block(&self.units[index], outcome);
                // With a JSON or Markdown report on standard output, the blocks go to standard
                // error; the report stays one document. The progress line steps aside.
                let print = || {
                    if format == ReportFormat::Text {
                        out_raw!("{block}");
                    } else {
                        eprint!("{block}");
                    }
                };
                match progress {
                    Some(bar) => bar.suspend(print),
                    None => print(),
                }
            }
            state.printed += 1;
        }
    }

    /// Initializes every selected unit and the producers they read, one at a time (the plugin
    /// cache), and finds which layers were applied.
    fn prepare(&mut self, selected: &[bool]) {
        let mut wanted: Vec<usize> = (0..self.units.len()).filter(|i| selected[*i]).collect();
        if self.mode == Mode::Plan {
            for index in wanted.clone() {
                wanted.extend(self.units[index].depends_on.iter().copied());
            }
        }
        wanted.sort_unstable();
        wanted.dedup();
        for index in wanted {
            let unit = &self.units[index];
            let dir = self.root.join(&unit.dir);
            let mut log = String::new();
            let result = self.init(unit, &dir, &mut log).map_err(|why| (why, log));
            if result.is_ok() && unit.layer.is_some() && self.has_outputs(&dir) {
                self.applied.push(unit.name.clone());
            }
            self.prepared.insert(index, result);
        }
    }

    fn run_unit(&self, index: usize) -> Outcome {
        let unit = &self.units[index];
        let dir = self.root.join(&unit.dir);
        let mut outcome = Outcome::default();
        if self.mode == Mode::Apply && unit.layer.is_none() && self.bucket_exists_elsewhere(&dir) {
            outcome.status = Status::NoChanges;
            outcome.note = format!(
                "the state bucket {} exists; the bootstrap's own state is not in this build, so it is left alone",
                self.model.project.state_bucket
            );
            return outcome;
        }
        let initialized = match self.prepared.get(&index) {
            Some(result) => result.clone(),
            None => {
                let mut log = String::new();
                self.init(unit, &dir, &mut log).map_err(|why| (why, log))
            }
        };
        if let Err((why, log)) = initialized {
            // A layer of an environment whose state bucket does not exist yet was never
            // applied: a plan shows it as deferred; anything else is a failure.
            outcome.status = if self.mode == Mode::Plan && why.starts_with(MISSING_BUCKET) {
                Status::Deferred
            } else {
                Status::Failed
            };
            if outcome.status == Status::Failed {
                outcome.log = log;
            }
            outcome.note = why;
            return outcome;
        }
        let placeholders = match self.mode {
            Mode::Plan => self.placeholders(index),
            _ => None,
        };
        if let Some(producers) = &placeholders {
            outcome.note = format!(
                "deferred: {} never applied; planned with placeholders of their declared types",
                producers.join(", ")
            );
            if let Err(why) = self.write_placeholders(index, &dir, producers) {
                outcome.status = Status::Failed;
                outcome.note = format!("cannot write the placeholders: {why}");
                return outcome;
            }
        }
        let plan = self.plan(&dir, &mut outcome.log);
        if placeholders.is_some() {
            // The plan file holds what it needs; the build keeps no trace of the placeholders.
            let _ = std::fs::remove_file(dir.join(DEFERRED_OVERRIDE_FILE));
        }
        let plan = match plan {
            Ok(plan) => plan,
            Err(why) => {
                outcome.status = Status::Failed;
                outcome.note = why;
                return outcome;
            }
        };
        count_changes(&plan, &mut outcome);
        if self.mode == Mode::Drift {
            outcome.drift = drift(&plan);
        }
        let changes = outcome.add + outcome.change + outcome.destroy;
        outcome.status = match self.mode {
            Mode::Plan if placeholders.is_some() => Status::Deferred,
            Mode::Plan | Mode::Drift => Status::Planned,
            _ if changes == 0 => Status::NoChanges,
            _ => Status::Pending,
        };
        if outcome.status != Status::Pending {
            return outcome;
        }
        if self.protected && !self.change.allow_destroy && !outcome.protected.is_empty() {
            outcome.status = Status::Refused;
            outcome.note = format!(
                "env `{}` is protected: {} would be deleted or replaced (--allow-destroy lets it through)",
                self.model.env,
                outcome.protected.join(", ")
            );
            return outcome;
        }
        if !self.change.auto_approve && !self.approve(unit, &outcome) {
            outcome.status = Status::Skipped;
            outcome.note = "not approved".into();
            return outcome;
        }
        match self.terraform_run(&dir, &["apply", "-input=false", "-no-color", PLAN_FILE]) {
            Ok(text) => {
                outcome.log.push_str(&text);
                outcome.status = if self.mode == Mode::Destroy {
                    Status::Destroyed
                } else {
                    Status::Applied
                };
            }
            Err(why) => {
                outcome.status = Status::Failed;
                outcome.log.push_str(&why);
                outcome.note = format!("terraform apply failed: {}", errors_of(&why));
            }
        }
        outcome
    }

    fn init(&self, unit: &Unit, dir: &Path, log: &mut String) -> Result<(), String> {
        let mut args = vec![
            "init".to_string(),
            "-input=false".into(),
            "-no-color".into(),
        ];
        if let Some(plugin_dir) = &self.terraform.plugin_dir {
            args.push(format!("-plugin-dir={}", plugin_dir.display()));
        }
        if unit.layer.is_some() {
            args.push(format!("-backend-config={}.s3.tfbackend", self.model.env));
            if self.endpoint {
                args.push(format!("-backend-config={BACKEND_FILE}"));
            }
            // The backend configuration may have changed since the last init (an endpoint
            // added or dropped); the state stays where it is.
            args.push("-reconfigure".into());
        }
        let _guard = self.init_lock.lock();
        let refs: Vec<&str> = args.iter().map(String::as_str).collect();
        match self.terraform_run(dir, &refs) {
            Ok(_) => Ok(()),
            Err(why) => {
                let missing_bucket = why.contains("NoSuchBucket") || why.contains("does not exist");
                log.push_str(&why);
                Err(if missing_bucket && unit.layer.is_some() {
                    format!(
                        "{MISSING_BUCKET}: the state bucket {} does not exist yet (`infrac apply` creates it in 00-bootstrap first)",
                        self.model.project.state_bucket
                    )
                } else {
                    format!("terraform init failed: {}", errors_of(&why))
                })
            }
        }
    }

    /// For a plan: the producers of unit `index` that were never applied (no outputs in their
    /// state); `None` when all were.
    fn placeholders(&self, index: usize) -> Option<Vec<String>> {
        let layer = &self.model.layers[self.units[index].layer?];
        let mut producers: Vec<String> = layer.reads.iter().map(|r| r.layer.clone()).collect();
        producers.sort();
        producers.dedup();
        producers.retain(|producer| !self.applied.contains(producer));
        (!producers.is_empty()).then_some(producers)
    }

    /// Writes, for a deferred layer, a state file of placeholders per missing producer (in the
    /// layer's `.terraform/`) and the override that reads them instead of the real states.
    fn write_placeholders(
        &self,
        index: usize,
        dir: &Path,
        producers: &[String],
    ) -> std::io::Result<()> {
        let Some(layer) = self.units[index].layer.map(|l| &self.model.layers[l]) else {
            return Ok(());
        };
        let state_path =
            |producer: &str| format!(".terraform/infrac-placeholders-{producer}.tfstate");
        for producer in producers {
            let state = infrac_emit::emit::placeholder_state(&self.model, layer, producer);
            std::fs::write(dir.join(state_path(producer)), state)?;
        }
        let source = format!("the placeholders of `infrac plan` ({})", self.model.env);
        let text = infrac_emit::emit::deferred_override(producers, state_path, &source);
        std::fs::write(dir.join(DEFERRED_OVERRIDE_FILE), text)
    }

    /// Whether the bootstrap in `dir` has no local state while the state bucket exists (another
    /// checkout or a CI runner bootstrapped it): a layer's backend initializes.
    fn bucket_exists_elsewhere(&self, dir: &Path) -> bool {
        if dir.join("terraform.tfstate").exists() {
            return false;
        }
        let Some(first) = self.units.iter().find(|u| u.layer.is_some()) else {
            return false;
        };
        self.init(first, &self.root.join(&first.dir), &mut String::new())
            .is_ok()
    }

    /// Whether the initialized root module in `dir` has outputs in its state.
    fn has_outputs(&self, dir: &Path) -> bool {
        self.terraform_run(dir, &["output", "-json", "-no-color"])
            .ok()
            .and_then(|text| serde_json::from_str::<serde_json::Value>(&text).ok())
            .and_then(|outputs| outputs.as_object().map(|o| !o.is_empty()))
            .unwrap_or(false)
    }

    /// `terraform plan -out` for the mode, then the plan as JSON.
    fn plan(&self, dir: &Path, log: &mut String) -> Result<serde_json::Value, String> {
        let mut args = vec!["plan", "-input=false", "-no-color", "-lock-timeout=60s"];
        let out = format!("-out={PLAN_FILE}");
        args.push(&out);
        match self.mode {
            Mode::Destroy => args.push("-destroy"),
            Mode::Drift => args.push("-refresh-only"),
            Mode::Plan | Mode::Apply => {}
        }
        let text = self.terraform_run(dir, &args).map_err(|why| {
            log.push_str(&why);
            format!("terraform plan failed: {}", errors_of(&why))
        })?;
        log.push_str(&text);
        let json = self
            .terraform_run(dir, &["show", "-json", "-no-color", PLAN_FILE])
            .map_err(|why| format!("terraform show failed: {}", last_lines(&why, 6)))?;
        serde_json::from_str(&json)
            .map_err(|e| format!("terraform show -json printed no plan: {e}"))
    }

    fn approve(&self, unit: &Unit, outcome: &Outcome) -> bool {
        let _guard = self.prompt_lock.lock();
        eprint!(
            "{} {}: {} to add, {} to change, {} to destroy. Type `yes` to {}: ",
            self.mode.verb(),
            unit.dir,
            outcome.add,
            outcome.change,
            outcome.destroy,
            self.mode.verb()
        );
        let mut answer = String::new();
        std::io::stdin().lock().read_line(&mut answer).is_ok() && answer.trim() == "yes"
    }

    /// Runs Terraform in `dir`; `Ok(stdout)` on success, `Err(stdout and stderr)` otherwise.
    fn terraform_run(&self, dir: &Path, args: &[&str]) -> Result<String, String> {
        let mut command: Command = self.terraform.command(dir);
        command.args(args);
        if std::env::var_os("TF_PLUGIN_CACHE_DIR").is_none() && !has_cli_config() {
            command.env("TF_PLUGIN_CACHE_DIR", plugin_cache(&self.root));
        }
        match command.output() {
            Ok(output) if output.status.success() => {
                Ok(String::from_utf8_lossy(&output.stdout).into_owned())
            }
            Ok(output) => Err(format!(
                "{}{}",
                String::from_utf8_lossy(&output.stdout),
                String::from_utf8_lossy(&output.stderr)
            )),
            Err(error) => Err(format!(
                "cannot run {}: {error}",
                self.terraform.binary.display()
            )),
        }
    }
}

enum Pick {
    Run(usize),
    Skip(usize, String),
    Wait,
    Done,
}

const PLAN_FILE: &str = "infrac.tfplan";
/// The start of the note of a layer whose state bucket does not exist.
const MISSING_BUCKET: &str = "deferred, never applied";

/// Whether a Terraform CLI configuration may set the plugin cache or a mirror: it is left alone.
fn has_cli_config() -> bool {
    std::env::var_os("TF_CLI_CONFIG_FILE").is_some_and(|f| !f.is_empty() && f != "/dev/null")
        || std::env::var_os("HOME")
            .is_some_and(|home| Path::new(&home).join(".terraformrc").is_file())
}

/// The provider plugin cache shared by every layer and environment: beside the builds.
fn plugin_cache(root: &Path) -> PathBuf {
    let dir = root
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."))
        .join(".terraform-plugin-cache");
    let _ = std::fs::create_dir_all(&dir);
    std::fs::canonicalize(&dir).unwrap_or(dir)
}

/// Adds, changes, destroys and protected deletes of a plan.
fn count_changes(plan: &serde_json::Value, outcome: &mut Outcome) {
    for change in plan["resource_changes"].as_array().into_iter().flatten() {
        if change["mode"].as_str() == Some("data") {
            continue;
        }
        let actions: Vec<&str> = change["change"]["actions"]
            .as_array()
            .map(|a| a.iter().filter_map(|x| x.as_str()).collect())
            .unwrap_or_default();
        if actions.contains(&"create") {
            outcome.add += 1;
        }
        if actions.contains(&"update") {
            outcome.change += 1;
        }
        if actions.contains(&"delete") {
            outcome.destroy += 1;
        }
        if change["change"]["importing"].is_object() {
            outcome.import += 1;
        }
    }
    if let Ok(text) = serde_json::to_string(plan) {
        if let Ok((refusals, _)) = crate::ops::guard(&text, &[]) {
            outcome.protected = refusals
                .into_iter()
                .map(|r| format!("{} ({})", r.address, r.actions))
                .collect();
        }
    }
}

/// Attributes that change on their own (a restore window moving forward): never drift.
const MOVING_ATTRIBUTES: &[&str] = &["latest_restorable_time"];

/// Attributes of a resource type that companion resources own (the AWS provider's deprecated
/// in-line forms of `aws_s3_bucket_versioning`, `..._server_side_encryption_configuration`, ...):
/// the bucket reads whatever they set, so a difference there is the companion's doing, and a
/// change outside Terraform shows on the companion resource itself.
const COMPANION_ATTRIBUTES: &[(&str, &[&str])] = &[(
    "aws_s3_bucket",
    &[
        "acceleration_status",
        "acl",
        "cors_rule",
        "grant",
        "lifecycle_rule",
        "logging",
        "object_lock_configuration",
        "policy",
        "replication_configuration",
        "request_payer",
        "server_side_encryption_configuration",
        "versioning",
        "website",
    ],
)];

/// The resources a refresh found changed outside Terraform, with the attributes that differ.
/// An attribute that was empty in the state and has a value after the refresh is one that the
/// provider fills in on reading (the rules of a security group written by separate rule
/// resources, a bucket's configuration written by its companion resources), not a change made
/// outside Terraform; `null` and an empty value are the same.
fn drift(plan: &serde_json::Value) -> Vec<String> {
    let mut out = Vec::new();
    for item in plan["resource_drift"].as_array().into_iter().flatten() {
        let address = item["address"].as_str().unwrap_or_default();
        let kind = item["type"].as_str().unwrap_or_default();
        let owned_elsewhere = COMPANION_ATTRIBUTES
            .iter()
            .find(|(of, _)| *of == kind)
            .map_or(&[][..], |(_, attributes)| *attributes);
        let before = &item["change"]["before"];
        let after = &item["change"]["after"];
        let keys: Vec<String> = match (before.as_object(), after.as_object()) {
            (Some(before), Some(after)) => {
                let mut keys: Vec<String> = before
                    .keys()
                    .chain(after.keys())
                    .filter(|key| !MOVING_ATTRIBUTES.contains(&key.as_str()))
                    .filter(|key| !owned_elsewhere.contains(&key.as_str()))
                    .filter(|key| {
                        let (old, new) = (before.get(*key), after.get(*key));
                        !is_empty(old) && !same(old, new)
                    })
                    .cloned()
                    .collect();
                keys.sort();
                keys.dedup();
                keys
            }
            (Some(_), None) => vec!["deleted outside Terraform".into()],
            _ => Vec::new(),
        };
        if !keys.is_empty() {
            out.push(format!("{address}: {}", keys.join(", ")));
        }
    }
    out
}

fn is_empty(value: Option<&serde_json::Value>) -> bool {
    match value {
        None | Some(serde_json::Value::Null) => true,
        Some(serde_json::Value::String(s)) => s.is_empty(),
        Some(serde_json::Value::Array(a)) => a.is_empty(),
        Some(serde_json::Value::Object(o)) => o.is_empty(),
        Some(_) => false,
    }
}

fn same(a: Option<&serde_json::Value>, b: Option<&serde_json::Value>) -> bool {
    (is_empty(a) && is_empty(b)) || a == b
}

/// The `Error:` lines of Terraform's output, or its last line.
fn errors_of(text: &str) -> String {
    let errors: Vec<&str> = text
        .lines()
        .filter_map(|l| l.trim().strip_prefix("Error: "))
        .collect();
    if errors.is_empty() {
        last_lines(text, 1)
    } else {
        errors.join("; ")
    }
}

fn last_lines(text: &str, n: usize) -> String {
    let lines: Vec<&str> = text.lines().filter(|l| !l.trim().is_empty()).collect();
    lines[lines.len().saturating_sub(n)..].join("\n")
}

/// One unit's block: a heading, Terraform's output, and the note.
fn block(unit: &Unit, outcome: &Outcome) -> String {
    let mut text = format!("=== {} ({}): {}\n", unit.dir, unit.name, headline(outcome));
    for line in outcome.log.lines() {
        text.push_str("    ");
        text.push_str(line);
        text.push('\n');
    }
    for item in &outcome.drift {
        text.push_str(&format!("  drift: {item}\n"));
    }
    if !outcome.note.is_empty() {
        text.push_str(&format!("  {}\n", outcome.note));
    }
    text
}

fn headline(outcome: &Outcome) -> String {
    let imports = if outcome.import > 0 {
        format!(", {} to import", outcome.import)
    } else {
        String::new()
    };
    format!(
        "{}, {} to add, {} to change, {} to destroy{imports}",
        outcome.status.word(),
        outcome.add,
        outcome.change,
        outcome.destroy
    )
}

/// The summary table and the exit code: 1 when a unit failed, else 2 when a plan has changes
/// (or drift), else 0, as `terraform plan -detailed-exitcode`.
fn report(
    runner: &Runner<'_>,
    selected: &[bool],
    outcomes: &[Outcome],
    format: ReportFormat,
) -> ExitCode {
    let rows: Vec<(&Unit, &Outcome)> = runner
        .units
        .iter()
        .zip(outcomes)
        .zip(selected)
        .filter(|(_, s)| **s)
        .map(|(pair, _)| pair)
        .collect();
    let failed = rows
        .iter()
        .any(|(_, o)| o.status.failed() || o.status == Status::Pending);
    let changes = rows.iter().any(|(_, o)| match runner.mode {
        Mode::Drift => !o.drift.is_empty(),
        _ => o.add + o.change + o.destroy > 0,
    });
    match format {
        ReportFormat::Text => out_raw!("{}", text_table(runner, &rows)),
        ReportFormat::Markdown => out_raw!("{}", markdown(runner, &rows)),
        ReportFormat::Json => out!("{}", json(runner, &rows)),
    }
    if failed {
        ExitCode::from(EXIT_ERRORS)
    } else if changes && matches!(runner.mode, Mode::Plan | Mode::Drift) {
        ExitCode::from(2)
    } else {
        ExitCode::SUCCESS
    }
}

fn columns(outcome: &Outcome) -> [String; 7] {
    [
        outcome.status.word().to_string(),
        outcome.add.to_string(),
        outcome.change.to_string(),
        outcome.destroy.to_string(),
        outcome.import.to_string(),
        if outcome.protected.is_empty() {
            "-".into()
        } else {
            outcome.protected.join(", ")
        },
        if outcome.drift.is_empty() {
            "-".into()
        } else {
            outcome.drift.len().to_string()
        },
    ]
}

const HEADINGS: [&str; 8] = [
    "layer",
    "status",
    "add",
    "change",
    "destroy",
    "import",
    "protected",
    "drift",
];

fn text_table(runner: &Runner<'_>, rows: &[(&Unit, &Outcome)]) -> String {
    let mut table: Vec<Vec<String>> = vec![HEADINGS.iter().map(|h| h.to_string()).collect()];
    for (unit, outcome) in rows {
        let mut row = vec![unit.dir.clone()];
        row.extend(columns(outcome));
        table.push(row);
    }
    let widths: Vec<usize> = (0..HEADINGS.len())
        .map(|c| {
            table
                .iter()
                .map(|r| r[c].chars().count())
                .max()
                .unwrap_or(0)
        })
        .collect();
    let mut text = format!("\n{} env `{}`:\n", runner.mode.verb(), runner.model.env);
    for row in &table {
        let cells: Vec<String> = row
            .iter()
            .zip(&widths)
            .map(|(cell, width)| format!("{cell:<width$}"))
            .collect();
        text.push_str(&format!("  {}\n", cells.join("  ").trim_end()));
    }
    for (unit, outcome) in rows {
        if !outcome.note.is_empty() {
            text.push_str(&format!("  {}: {}\n", unit.dir, outcome.note));
        }
    }
    text
}

fn markdown(runner: &Runner<'_>, rows: &[(&Unit, &Outcome)]) -> String {
    let cell = |text: &str| text.replace('|', "\\|").replace('\n', " ");
    let mut text = format!(
        "### infrac {} `{}`\n\n| {} |\n|{}\n",
        runner.mode.verb(),
        cell(&runner.model.env),
        HEADINGS.join(" | "),
        " --- |".repeat(HEADINGS.len())
    );
    for (unit, outcome) in rows {
        let cells: Vec<String> = columns(outcome).iter().map(|c| cell(c)).collect();
        text.push_str(&format!("| `{}` | {} |\n", unit.dir, cells.join(" | ")));
    }
    for (unit, outcome) in rows {
        if outcome.log.is_empty() && outcome.note.is_empty() {
            continue;
        }
        // Terraform's output in a fence longer than any run of backticks it holds.
        let fence = "`".repeat(longest_backtick_run(&outcome.log).max(2) + 1);
        text.push_str(&format!(
            "\n<details><summary>{} — {}</summary>\n\n{}\n\n{fence}\n{}\n{fence}\n\n</details>\n",
            cell(&unit.dir),
            cell(&headline(outcome)),
            cell(&outcome.note),
            outcome.log.trim_end()
        ));
    }
    text
}

fn longest_backtick_run(text: &str) -> usize {
    text.split(|c| c != '`').map(str::len).max().unwrap_or(0)
}

fn json(runner: &Runner<'_>, rows: &[(&Unit, &Outcome)]) -> String {
    let layers: Vec<serde_json::Value> = rows
        .iter()
        .map(|(unit, outcome)| {
            serde_json::json!({
                "layer": unit.name,
                "dir": unit.dir,
                "status": outcome.status.word(),
                "add": outcome.add,
                "change": outcome.change,
                "destroy": outcome.destroy,
                "import": outcome.import,
                "protected": outcome.protected,
                "drift": outcome.drift,
                "note": outcome.note,
            })
        })
        .collect();
    let document: BTreeMap<&str, serde_json::Value> = [
        ("command", serde_json::json!(runner.mode.verb())),
        ("env", serde_json::json!(runner.model.env)),
        ("protected", serde_json::json!(runner.protected)),
        ("layers", serde_json::Value::Array(layers)),
    ]
    .into_iter()
    .collect();
    serde_json::to_string_pretty(&document).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn drift_of(before: serde_json::Value, after: serde_json::Value) -> Vec<String> {
        drift(&serde_json::json!({"resource_drift": [{
            "address": "module.a.aws_s3_bucket.this",
            "type": "aws_s3_bucket",
            "change": {"before": before, "after": after}
        }]}))
    }

    #[test]
    fn drift_reports_changed_and_deleted_values_but_not_values_filled_in_on_reading_or_owned_by_companions(
    ) {
        let tags = |owner: &str| serde_json::json!({"owner": owner});
        assert_eq!(
            drift_of(
                serde_json::json!({"tags_all": tags("platform"), "policy": "", "tags": null}),
                serde_json::json!({"tags_all": tags("someone"), "policy": "{}", "tags": {}})
            ),
            vec!["module.a.aws_s3_bucket.this: tags_all"]
        );
        assert!(drift_of(
            serde_json::json!({"latest_restorable_time": "a", "rules": []}),
            serde_json::json!({"latest_restorable_time": "b", "rules": [1]})
        )
        .is_empty());
        // The bucket's encryption, as its companion resource set it after the bucket was read.
        let sse = |algorithm: &str| serde_json::json!([{"rule": [{"apply_server_side_encryption_by_default": [{"sse_algorithm": algorithm}]}]}]);
        assert!(drift_of(
            serde_json::json!({"server_side_encryption_configuration": sse("AES256")}),
            serde_json::json!({"server_side_encryption_configuration": sse("aws:kms")})
        )
        .is_empty());
        assert_eq!(
            drift_of(serde_json::json!({"id": "x"}), serde_json::Value::Null),
            vec!["module.a.aws_s3_bucket.this: deleted outside Terraform"]
        );
    }

    fn unit(name: &str, layer: Option<usize>, depends_on: Vec<usize>) -> Unit {
        Unit {
            name: name.into(),
            dir: format!("0{}-{name}", layer.map_or(0, |l| l + 1)),
            depends_on,
            layer,
        }
    }

    #[test]
    fn selection_follows_layer_from_and_keeps_the_bootstrap_out_of_a_destroy() {
        let units = vec![
            unit("bootstrap", None, vec![]),
            unit("a", Some(0), vec![0]),
            unit("b", Some(1), vec![0, 1]),
        ];
        let all = select(&units, &[], None, Mode::Apply).expect("all");
        assert_eq!(all, vec![true, true, true]);
        let from = select(&units, &[], Some("b"), Mode::Apply).expect("from");
        assert_eq!(from, vec![false, false, true]);
        let destroy = select(&units, &[], None, Mode::Destroy).expect("destroy");
        assert_eq!(destroy, vec![false, true, true]);
        let named = select(&units, &["01-a".into()], None, Mode::Plan).expect("by dir");
        assert_eq!(named, vec![false, true, false]);
        let unknown = select(&units, &["c".into()], None, Mode::Plan);
        assert!(unknown.is_err_and(|e| e.contains("bootstrap, a, b")));
    }

    #[test]
    fn markdown_fences_hold_any_backticks_of_terraform_output() {
        assert_eq!(longest_backtick_run("a ``` b ` c"), 3);
        assert_eq!(longest_backtick_run("none"), 0);
    }
}
