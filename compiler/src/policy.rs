//! Policies: `require` rules evaluated at compile time on the effective values of environments.

use std::collections::BTreeMap;

use crate::config::{effective_config, Def, EnvName};
use crate::db::{Db, SourceFile, Workspace};
use crate::diagnostics::{did_you_mean, Diagnostic, E0201, E0601, E0602};
use crate::model::{binary, env_model, EnvModel};
use crate::project::project_index;
use crate::source::TextRange;
use crate::syntax::{Expr, ExprKind, ItemKind, StrPart, UnaryOp};
use crate::value::Value;

/// Where a value came from: the definition that set it and the ones it overrode.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Provenance {
    /// The winning definition, or `None` when the value is a module input's default.
    pub def: Option<Def>,
    pub overrode: Vec<Def>,
    /// For defaults: the module input's declaration.
    pub default_of: Option<(SourceFile, TextRange, String)>,
}

/// The provenance of `param` or `layer.instance.input[.field...]` in an environment.
pub fn provenance(
    db: &dyn Db,
    workspace: Workspace,
    env: EnvName<'_>,
    path: &[String],
) -> Option<Provenance> {
    let index = project_index(db, workspace);
    let config = effective_config(db, workspace, env);
    let (head, rest) = path.split_first()?;
    // `client-acme` is an expansion of the repeated layer `client`.
    let template = if index.layers.contains_key(head) {
        head.as_str()
    } else {
        head.split('-').next().unwrap_or(head)
    };
    let node = if index.params.contains_key(head) {
        config.params.get(head).and_then(|n| n.get(rest))
    } else if index.layers.contains_key(template) && rest.len() >= 2 {
        let layer = crate::config::LayerName::new(db, template.to_string());
        crate::config::layer_config(db, workspace, env, layer)
            .instances
            .get(&rest[0])
            .and_then(|n| n.get(&rest[1..]))
    } else if head == "project" {
        config.project.as_ref().and_then(|n| n.get(rest))
    } else {
        None
    };
    if let Some(node) = node {
        return Some(Provenance {
            def: Some(node.def().clone()),
            overrode: node.overrode().cloned().collect(),
            default_of: None,
        });
    }
    // A module input default.
    let layer_ref = index.layers.get(template)?;
    let ItemKind::Layer(layer) = &layer_ref.item(db).kind else {
        return None;
    };
    let instance = layer
        .instances
        .iter()
        .find(|i| Some(&i.name.name) == rest.first())?;
    let module_ref = index.modules.get(&instance.kind.name)?;
    let ItemKind::Module(module) = &module_ref.item(db).kind else {
        return None;
    };
    let input = module
        .inputs
        .iter()
        .find(|i| Some(&i.name.name) == rest.get(1))?;
    Some(Provenance {
        def: None,
        overrode: Vec::new(),
        default_of: Some((
            module_ref.file,
            input.default.as_ref().map_or(input.name.range, |d| d.range),
            module.name.name.clone(),
        )),
    })
}

/// A module input that a policy rule read and found to hold, so that generated Terraform tests
/// can check that the module's resources really take the value.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct PolicyFact {
    pub layer: String,
    pub instance: String,
    pub input: String,
    pub value: Value,
    pub policy: String,
    /// The rule's message, or its text when it has none.
    pub rule: String,
}

/// Everything the policies of one environment found.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Default)]
pub struct PolicyResults {
    pub diagnostics: Vec<Diagnostic>,
    /// The instance inputs that rules held on (rules that compare environments are left out).
    pub facts: Vec<PolicyFact>,
}

/// Evaluates every policy that names this environment: its violations.
pub fn check_policies<'db>(
    db: &'db dyn Db,
    workspace: Workspace,
    env: EnvName<'db>,
) -> &'db Vec<Diagnostic> {
    &policy_results(db, workspace, env).diagnostics
}

/// Evaluates every policy that names this environment.
#[salsa::tracked(returns(ref))]
pub fn policy_results<'db>(
    db: &'db dyn Db,
    workspace: Workspace,
    env: EnvName<'db>,
) -> PolicyResults {
    let index = project_index(db, workspace);
    let env_name = env.name(db).clone();
    let mut diagnostics = Vec::new();
    let mut facts = Vec::new();
    for policy_ref in &index.policies {
        let ItemKind::Policy(policy) = &policy_ref.item(db).kind else {
            continue;
        };
        if !policy.envs.iter().any(|e| e.name == env_name) {
            continue;
        }
        let mut models: BTreeMap<String, &EnvModel> = BTreeMap::new();
        let mut names: Vec<String> = policy.envs.iter().map(|e| e.name.clone()).collect();
        if !policy.across {
            names = vec![env_name.clone()];
        }
        let mut broken = false;
        for name in &names {
            if !index.envs.contains_key(name) {
                continue;
            }
            let model = env_model(db, workspace, EnvName::new(db, name.clone()));
            broken |= model.has_errors();
            models.insert(name.clone(), model);
        }
        // Policies check valid models only; the model's own errors are reported already.
        if broken {
            continue;
        }
        for rule in &policy.rules {
            let ctx = RuleCtx {
                db,
                workspace,
                models: &models,
                across: policy.across,
                env: &env_name,
                file: policy_ref.file,
            };
            ctx.check_rule(rule, &policy.name.name, &mut diagnostics, &mut facts);
        }
    }
    PolicyResults { diagnostics, facts }
}

struct RuleCtx<'a> {
    db: &'a dyn Db,
    workspace: Workspace,
    models: &'a BTreeMap<String, &'a EnvModel>,
    across: bool,
    env: &'a str,
    file: SourceFile,
}

/// A failed evaluation: already a diagnostic, or a path that does not apply (skip the match).
enum Fail {
    Reported,
    Skip,
}

impl RuleCtx<'_> {
    fn check_rule(
        &self,
        rule: &crate::syntax::Rule,
        policy: &str,
        diagnostics: &mut Vec<Diagnostic>,
        facts: &mut Vec<PolicyFact>,
    ) {
        // A path with `*`, or one that names a repeated layer, is checked for every match.
        let pattern = first_pattern(&rule.expr, &|segments: &[String]| self.is_pattern(segments));
        let bindings: Vec<Vec<String>> = match &pattern {
            Some(segments) => self.expand(segments),
            None => vec![Vec::new()],
        };
        for binding in bindings {
            let mut used = Vec::new();
            match self.eval(&rule.expr, &binding, &mut used, diagnostics) {
                Ok(Value::Bool(true)) if !self.across => {
                    for (path, value) in used {
                        let segments: Vec<&str> = path.split('.').collect();
                        if let [layer, instance, input] = segments[..] {
                            facts.push(PolicyFact {
                                layer: layer.to_string(),
                                instance: instance.to_string(),
                                input: input.to_string(),
                                value,
                                policy: policy.to_string(),
                                rule: rule
                                    .message
                                    .clone()
                                    .unwrap_or_else(|| format!("a rule of policy `{policy}`")),
                            });
                        }
                    }
                }
                Ok(Value::Bool(true)) | Err(Fail::Skip) | Err(Fail::Reported) => {}
                Ok(Value::Bool(false)) => {
                    let shown: Vec<String> = used
                        .iter()
                        .map(|(path, value)| format!("`{path}` is {value}"))
                        .collect();
                    let mut message = format!("policy `{policy}` fails for env `{}`", self.env);
                    if !shown.is_empty() {
                        message.push_str(&format!(": {}", shown.join(", ")));
                    }
                    let mut diagnostic =
                        Diagnostic::error(E0601, self.file, rule.expr.range, message)
                            // Diagnostic: E0601 policy-violation
                            .with_label(
                                rule.message
                                    .clone()
                                    .unwrap_or_else(|| "this rule does not hold".into()),
                            );
                    for (path, _) in &used {
                        if let Some(label) = self.origin_label(path) {
                            diagnostic = diagnostic.with_secondary(label.0, label.1, label.2);
                        }
                    }
                    diagnostics.push(diagnostic.with_help(
                        "change the value, or the policy if the rule is wrong for this environment",
                    ));
                }
                Ok(other) => diagnostics.push(
                    // Diagnostic: E0602 invalid-policy
                    Diagnostic::error(
                        E0602,
                        self.file,
                        rule.expr.range,
                        format!("a rule must be a bool, found {}", other.describe()),
                    )
                    .with_label("not a condition"),
                ),
            }
        }
    }

    /// A label at the definition of the value at `path`, for the violation's provenance.
    fn origin_label(&self, path: &str) -> Option<(SourceFile, TextRange, String)> {
        let mut segments: Vec<String> = path.split('.').map(str::to_string).collect();
        let env = if self.across {
            segments.remove(0)
        } else {
            self.env.to_string()
        };
        let env_name = EnvName::new(self.db, env.clone());
        let origin = provenance(self.db, self.workspace, env_name, &segments)?;
        match (origin.def, origin.default_of) {
            (Some(def), _) => Some((
                def.file,
                def.range,
                format!(
                    "`{path}` set here{}",
                    def.env.map(|e| format!(" (env {e})")).unwrap_or_default()
                ),
            )),
            (None, Some((file, range, module))) => Some((
                file,
                range,
                format!("`{path}` is the default of module `{module}`"),
            )),
            _ => None,
        }
    }

    /// Whether a path matches more than one value: it has `*` for a layer or instance, or it names
    /// a repeated layer (`client.db.x` for every `client-KEY`).
    fn is_pattern(&self, segments: &[String]) -> bool {
        let offset = usize::from(self.across);
        let rest = segments.get(offset..).unwrap_or_default();
        if rest.iter().take(2).any(|s| s == "*") {
            return true;
        }
        let model = if self.across {
            segments.first().and_then(|e| self.models.get(e))
        } else {
            self.models.get(self.env)
        };
        match (model, rest.first()) {
            (Some(model), Some(layer)) => model
                .layers
                .iter()
                .any(|l| l.name != *layer && layer_matches(&l.name, layer)),
            _ => false,
        }
    }

    /// The concrete paths for a wildcard reference: one binding per matching layer and instance.
    fn expand(&self, segments: &[String]) -> Vec<Vec<String>> {
        let (env_prefix, rest) = if self.across {
            (segments.first().cloned(), &segments[1..])
        } else {
            (None, segments)
        };
        let model = match &env_prefix {
            Some(e) => self.models.get(e).copied(),
            None => self.models.get(self.env).copied(),
        };
        let Some(model) = model else {
            return Vec::new();
        };
        let (Some(layer_pat), Some(instance_pat)) = (rest.first(), rest.get(1)) else {
            return Vec::new();
        };
        let mut out = Vec::new();
        for layer in &model.layers {
            if layer_pat != "*" && !layer_matches(&layer.name, layer_pat) {
                continue;
            }
            for instance in layer.instances.iter() {
                if instance_pat != "*" && &instance.name != instance_pat {
                    continue;
                }
                out.push(vec![layer.name.clone(), instance.name.clone()]);
            }
        }
        out
    }

    fn eval(
        &self,
        expr: &Expr,
        binding: &[String],
        used: &mut Vec<(String, Value)>,
        diagnostics: &mut Vec<Diagnostic>,
    ) -> Result<Value, Fail> {
        match &expr.kind {
            ExprKind::Missing => Err(Fail::Reported),
            ExprKind::Null => Ok(Value::Null),
            ExprKind::Bool(b) => Ok(Value::Bool(*b)),
            ExprKind::Int(n) => Ok(Value::Int(*n)),
            ExprKind::Float(f) => Ok(Value::Float(*f)),
            ExprKind::Str(parts) => {
                let mut text = String::new();
                for part in parts {
                    match part {
                        StrPart::Text(t) => text.push_str(t),
                        StrPart::Interp(inner) => {
                            match self.eval(inner, binding, used, diagnostics)? {
                                Value::Str(s) => text.push_str(&s),
                                other => text.push_str(&other.to_string()),
                            }
                        }
                    }
                }
                Ok(Value::Str(text))
            }
            ExprKind::List(items) => items
                .iter()
                .map(|i| self.eval(i, binding, used, diagnostics))
                .collect::<Result<_, _>>()
                .map(Value::List),
            ExprKind::Record(entries) => entries
                .iter()
                .map(|e| {
                    Ok((
                        e.key.name.clone(),
                        self.eval(&e.value, binding, used, diagnostics)?,
                    ))
                })
                .collect::<Result<BTreeMap<_, _>, _>>()
                .map(Value::Record),
            ExprKind::Ref(segments) => {
                self.lookup(segments, binding, expr.range, used, diagnostics)
            }
            ExprKind::Index(base, key) => {
                let base = self.eval(base, binding, used, diagnostics)?;
                let key = self.eval(key, binding, used, diagnostics)?;
                match (base, key) {
                    (Value::List(items), Value::Int(n)) => usize::try_from(n)
                        .ok()
                        .and_then(|n| items.get(n).cloned())
                        .ok_or(Fail::Skip),
                    (Value::Record(entries), Value::Str(k)) => {
                        entries.get(&k).cloned().ok_or(Fail::Skip)
                    }
                    _ => Err(Fail::Skip),
                }
            }
            ExprKind::Unary(op, operand) => {
                match (op, self.eval(operand, binding, used, diagnostics)?) {
                    (UnaryOp::Not, Value::Bool(b)) => Ok(Value::Bool(!b)),
                    (UnaryOp::Neg, Value::Int(n)) => Ok(Value::Int(-n)),
                    (UnaryOp::Neg, Value::Float(f)) => Ok(Value::Float((-f.0).into())),
                    (_, other) => {
                        // Diagnostic: E0602 invalid-policy
                        diagnostics.push(
                            Diagnostic::error(
                                E0602,
                                self.file,
                                expr.range,
                                format!("cannot apply this operator to {}", other.describe()),
                            )
                            .with_label("invalid operand"),
                        );
                        Err(Fail::Reported)
                    }
                }
            }
            ExprKind::Binary(op, lhs, rhs) => {
                let left = self.eval(lhs, binding, used, diagnostics)?;
                let right = self.eval(rhs, binding, used, diagnostics)?;
                binary(*op, &left, &right).map_err(|message| {
                    // Diagnostic: E0602 invalid-policy
                    diagnostics.push(
                        Diagnostic::error(E0602, self.file, expr.range, message)
                            .with_label("cannot be evaluated"),
                    );
                    Fail::Reported
                })
            }
            ExprKind::Cond(cond, then, otherwise) => {
                match self.eval(cond, binding, used, diagnostics)? {
                    Value::Bool(true) => self.eval(then, binding, used, diagnostics),
                    Value::Bool(false) => self.eval(otherwise, binding, used, diagnostics),
                    _ => Err(Fail::Skip),
                }
            }
            ExprKind::Attr(base, name) => match self.eval(base, binding, used, diagnostics)? {
                Value::Record(mut entries) => entries.remove(&name.name).ok_or(Fail::Skip),
                _ => Err(Fail::Skip),
            },
            ExprKind::Call(name, args) => {
                let mut values = Vec::with_capacity(args.len());
                for arg in args {
                    values.push(self.eval(arg, binding, used, diagnostics)?);
                }
                crate::functions::call_const(&name.name, &values, self.db, self.workspace).map_err(
                    |failure| {
                        // Diagnostic: E0602 invalid-policy
                        diagnostics.push(
                            Diagnostic::error(E0602, self.file, expr.range, failure.message)
                                .with_label("cannot be evaluated")
                                .with_help_opt(failure.help),
                        );
                        Fail::Reported
                    },
                )
            }
            ExprKind::For(_) => {
                // Diagnostic: E0602 invalid-policy
                diagnostics.push(
                    Diagnostic::error(
                        E0602,
                        self.file,
                        expr.range,
                        "a `for` expression cannot be a policy's operand",
                    )
                    .with_label("not supported in policies")
                    .with_help("write the rule with a wildcard path (`layer.*.input`), which checks each match"),
                );
                Err(Fail::Reported)
            }
        }
    }

    fn lookup(
        &self,
        segments: &[crate::syntax::Ident],
        binding: &[String],
        range: TextRange,
        used: &mut Vec<(String, Value)>,
        diagnostics: &mut Vec<Diagnostic>,
    ) -> Result<Value, Fail> {
        let mut names: Vec<String> = segments.iter().map(|s| s.name.clone()).collect();
        let offset = usize::from(self.across);
        // Fill the layer and instance positions from the binding: `*`, or a repeated layer's name.
        if let [layer, instance] = binding {
            if let Some(name) = names.get_mut(offset) {
                if name == "*" || layer_matches(layer, name) {
                    name.clone_from(layer);
                }
            }
            if let Some(name) = names.get_mut(offset + 1) {
                if name == "*" {
                    name.clone_from(instance);
                }
            }
        }
        if names.iter().skip(offset).take(2).any(|n| n == "*") {
            return Err(Fail::Skip);
        }
        let model = if self.across {
            match self.models.get(&names[0]) {
                Some(m) => *m,
                None => {
                    let help = did_you_mean(&names[0], self.models.keys().map(String::as_str));
                    // Diagnostic: E0201 unknown-name
                    diagnostics.push(
                        Diagnostic::error(
                            E0201,
                            self.file,
                            segments[0].range,
                            format!("`{}` is not an environment of this policy", names[0]),
                        )
                        .with_label("paths of an `across` policy start with an environment")
                        .with_help_opt(help),
                    );
                    return Err(Fail::Reported);
                }
            }
        } else {
            self.models.get(self.env).copied().ok_or(Fail::Skip)?
        };
        let path = &names[offset..];
        let Some(head) = path.first() else {
            return Err(Fail::Skip);
        };
        let value = if let Some(value) = model.params.get(head) {
            field_path(value.clone(), &path[1..])
        } else if head == "env" {
            Some(Value::Str(model.env.clone()))
        } else if let Some(layer) = model.layers.iter().find(|l| layer_matches(&l.name, head)) {
            let instance = path
                .get(1)
                .and_then(|i| layer.instances.iter().find(|x| &x.name == i));
            match (instance, path.get(2)) {
                (Some(instance), Some(input)) => {
                    match instance.inputs.iter().find(|(n, _)| n == input) {
                        Some((_, v)) => field_path(v.clone(), &path[3..]),
                        None if segments.iter().any(|s| s.name == "*") => return Err(Fail::Skip),
                        None => None,
                    }
                }
                _ => None,
            }
        } else {
            None
        };
        let shown = names.join(".");
        match value {
            Some(v) if v.is_runtime() => {
                // Diagnostic: E0602 invalid-policy
                diagnostics.push(
                    Diagnostic::error(
                        E0602,
                        self.file,
                        range,
                        format!("`{shown}` is only known when Terraform runs"),
                    )
                    .with_label("run-time value")
                    .with_help("policies check compile-time values only"),
                );
                Err(Fail::Reported)
            }
            Some(v) => {
                used.push((shown, v.clone()));
                Ok(v)
            }
            None if segments.iter().any(|s| s.name == "*") => Err(Fail::Skip),
            None => {
                // Diagnostic: E0201 unknown-name
                diagnostics.push(
                    Diagnostic::error(E0201, self.file, range, format!("`{shown}` names no value in env `{}`", model.env))
                        .with_label("unknown path")
                        .with_help("paths are `PARAM`, or `LAYER.INSTANCE.INPUT`, with `*` for any layer or instance"),
                );
                Err(Fail::Reported)
            }
        }
    }
}

/// `client` matches the expanded layers `client-a`, `client-b`.
fn layer_matches(layer: &str, pattern: &str) -> bool {
    layer == pattern
        || layer
            .strip_prefix(pattern)
            .is_some_and(|rest| rest.starts_with('-'))
}

fn field_path(mut value: Value, path: &[String]) -> Option<Value> {
    for key in path {
        value = match value {
            Value::Record(mut entries) => entries.remove(key)?,
            _ => return None,
        };
    }
    Some(value)
}

/// The first reference in a rule for which `is_pattern` holds.
fn first_pattern(expr: &Expr, is_pattern: &dyn Fn(&[String]) -> bool) -> Option<Vec<String>> {
    let recurse = |e: &Expr| first_pattern(e, is_pattern);
    match &expr.kind {
        ExprKind::Ref(segments) => {
            let names: Vec<String> = segments.iter().map(|s| s.name.clone()).collect();
            is_pattern(&names).then_some(names)
        }
        ExprKind::Unary(_, e) => recurse(e),
        ExprKind::Binary(_, a, b) => recurse(a).or_else(|| recurse(b)),
        ExprKind::Cond(a, b, c) => recurse(a).or_else(|| recurse(b)).or_else(|| recurse(c)),
        ExprKind::Index(a, b) => recurse(a).or_else(|| recurse(b)),
        ExprKind::List(items) => items.iter().find_map(recurse),
        ExprKind::Str(parts) => parts.iter().find_map(|p| match p {
            StrPart::Interp(e) => recurse(e),
            StrPart::Text(_) => None,
        }),
        _ => None,
    }
}
