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
    /// What each rule with a wildcard matched, for hover.
    pub matched: Vec<RuleMatches>,
}

/// The values a rule with a wildcard (or a repeated layer's name) matched when checked with one
/// environment.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct RuleMatches {
    pub file: SourceFile,
    /// The rule's range.
    pub range: TextRange,
    /// The concrete paths (with their environment in an `across` policy) and their values.
    pub values: Vec<(String, Value)>,
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
    let mut matched = Vec::new();
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
            ctx.check_rule(
                rule,
                &policy.name.name,
                &mut diagnostics,
                &mut matched,
                &mut facts,
            );
        }
    }
    PolicyResults {
        diagnostics,
        facts,
        matched,
    }
}

struct RuleCtx<'a> {
    db: &'a dyn Db,
    workspace: Workspace,
    models: &'a BTreeMap<String, &'a EnvModel>,
    across: bool,
    env: &'a str,
    file: SourceFile,
}

/// A failed evaluation: already a diagnostic, or a binding that does not apply (skip it).
enum Fail {
    Reported,
    Skip,
}

/// One value a policy path stands for.
#[derive(Clone, Debug)]
struct Match {
    /// What the path's slots (each `*`, and a repeated layer's name) stand for, in order.
    slots: Vec<String>,
    /// The concrete path, without the environment.
    path: Vec<String>,
    value: Value,
    /// `(layer, instance, input)` when the path is exactly a module input of an instance.
    input: Option<(String, String, String)>,
}

/// Why a path (or one branch of a wildcard) matched nothing: the first segment that failed.
#[derive(Clone, Debug)]
struct Miss {
    segment: usize,
    reason: MissReason,
}

#[derive(Clone, Debug)]
enum MissReason {
    /// The segment names nothing there; `candidates` are the names that are.
    Unknown { candidates: Vec<String> },
    /// A `*` over an empty map, list or layer.
    Empty,
    /// A `*` or a field over a value that has no keys or items.
    NotCollection { found: String },
    /// The value is only known when Terraform runs.
    Runtime,
    /// The path stops at a layer or an instance, which are not values.
    Incomplete,
}

/// A policy path resolved in its environment.
struct Resolved {
    range: TextRange,
    /// The environment the path reads.
    env: String,
    /// The path as written, without the environment.
    written: Vec<String>,
    /// Whether the path starts with a repeated layer's name, which stands for each of its copies.
    repeated_head: bool,
    /// Whether the path stands for several values (`*`, or a repeated layer's name).
    pattern: bool,
    matches: Vec<Match>,
}

/// Walks a path through one environment's values, collecting every match and the deepest miss.
struct Walk<'a> {
    model: &'a EnvModel,
    path: &'a [String],
    matches: Vec<Match>,
    miss: Option<Miss>,
}

impl Walk<'_> {
    fn miss(&mut self, segment: usize, reason: MissReason) {
        match (&mut self.miss, reason) {
            (Some(old), _) if old.segment > segment => {}
            (
                Some(Miss {
                    segment: old_segment,
                    reason: MissReason::Unknown { candidates },
                }),
                MissReason::Unknown { candidates: more },
            ) if *old_segment == segment => {
                for candidate in more {
                    if !candidates.contains(&candidate) {
                        candidates.push(candidate);
                    }
                }
            }
            (Some(old), _) if old.segment == segment => {}
            (_, reason) => self.miss = Some(Miss { segment, reason }),
        }
    }

    /// Walks `self.path[at..]` into `value`, the value at `path`.
    fn value(
        &mut self,
        value: &Value,
        at: usize,
        slots: &mut Vec<String>,
        path: &mut Vec<String>,
        inputs: bool,
    ) {
        let Some(segment) = self.path.get(at) else {
            // Only the input itself is a fact about the instance, not a field inside it.
            let input = match &path[..] {
                [layer, instance, input] if inputs => {
                    Some((layer.clone(), instance.clone(), input.clone()))
                }
                _ => None,
            };
            self.matches.push(Match {
                slots: slots.clone(),
                path: path.clone(),
                value: value.clone(),
                input,
            });
            return;
        };
        let children: Vec<(String, &Value)> = match value {
            Value::Record(entries) => entries.iter().map(|(k, v)| (k.clone(), v)).collect(),
            Value::List(items) if segment == "*" => items
                .iter()
                .enumerate()
                .map(|(idx, v)| (idx.to_string(), v))
                .collect(),
            other if other.is_runtime() => return self.miss(at, MissReason::Runtime),
            other => {
                return self.miss(
                    at,
                    MissReason::NotCollection {
                        found: other.describe(),
                    },
                )
            }
        };
        self.children(children, at, slots, path, inputs);
    }

    /// Walks `self.path[at..]` into the keys or items of the value at `path`.
    fn children(
        &mut self,
        children: Vec<(String, &Value)>,
        at: usize,
        slots: &mut Vec<String>,
        path: &mut Vec<String>,
        inputs: bool,
    ) {
        let segment = &self.path[at];
        if segment == "*" {
            if children.is_empty() {
                self.miss(at, MissReason::Empty);
            }
            for (key, child) in children {
                slots.push(key.clone());
                path.push(key);
                self.value(child, at + 1, slots, path, inputs);
                path.pop();
                slots.pop();
            }
            return;
        }
        match children.iter().find(|(key, _)| key == segment) {
            Some((key, child)) => {
                path.push(key.clone());
                self.value(child, at + 1, slots, path, inputs);
                path.pop();
            }
            None => self.miss(
                at,
                MissReason::Unknown {
                    candidates: children.into_iter().map(|(key, _)| key).collect(),
                },
            ),
        }
    }
}

impl RuleCtx<'_> {
    /// Checks one rule: its paths resolved, their wildcards lined up, then the rule evaluated
    /// for every binding of the wildcards.
    fn check_rule(
        &self,
        rule: &crate::syntax::Rule,
        policy: &str,
        diagnostics: &mut Vec<Diagnostic>,
        matched: &mut Vec<RuleMatches>,
        facts: &mut Vec<PolicyFact>,
    ) {
        let Some(resolved) = self.resolve_paths(rule, diagnostics) else {
            return;
        };
        let patterns: Vec<&Resolved> = resolved.iter().filter(|r| r.pattern).collect();
        if !self.line_up_wildcards(rule, &patterns, diagnostics, matched) {
            return;
        }
        let mut checked = 0;
        for binding in bindings(&patterns) {
            if self.across && self.report_unpaired(policy, &patterns, binding, diagnostics) {
                checked += 1;
                continue;
            }
            let mut used = Vec::new();
            let result = self.eval(&rule.expr, &resolved, binding, &mut used, diagnostics);
            if !matches!(result, Err(Fail::Skip)) {
                checked += 1;
            }
            match result {
                Ok(Value::Bool(true)) if !self.across => {
                    record_facts(rule, policy, used, facts);
                }
                Ok(Value::Bool(true)) | Err(Fail::Skip) | Err(Fail::Reported) => {}
                Ok(Value::Bool(false)) => self.report_violation(rule, policy, &used, diagnostics),
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
        if checked == 0 {
            self.report_matches_nothing(rule, &patterns, diagnostics);
        }
    }

    /// Every path of a rule, each resolved once; `None` when one matches nothing (an error,
    /// never a pass).
    fn resolve_paths(
        &self,
        rule: &crate::syntax::Rule,
        diagnostics: &mut Vec<Diagnostic>,
    ) -> Option<Vec<Resolved>> {
        let mut refs = Vec::new();
        collect_refs(&rule.expr, &mut refs);
        let mut resolved = Vec::new();
        let mut broken = false;
        for (segments, range) in refs {
            match self.resolve(segments, range, diagnostics) {
                Some(res) => resolved.push(res),
                None => broken = true,
            }
        }
        (!broken).then_some(resolved)
    }

    /// Checks that the wildcard paths of a rule have as many slots each, and records what they
    /// matched (for hover); `false` when they do not line up (reported).
    fn line_up_wildcards(
        &self,
        rule: &crate::syntax::Rule,
        patterns: &[&Resolved],
        diagnostics: &mut Vec<Diagnostic>,
        matched: &mut Vec<RuleMatches>,
    ) -> bool {
        let Some(first) = patterns.first() else {
            return true;
        };
        let width = first.matches[0].slots.len();
        if let Some(other) = patterns.iter().find(|r| r.matches[0].slots.len() != width) {
            // Diagnostic: E0602 invalid-policy
            diagnostics.push(
                Diagnostic::error(
                    E0602,
                    self.file,
                    rule.expr.range,
                    format!(
                        "the wildcards of this rule do not line up: `{}` has {} and `{}` has {}",
                        first.written.join("."),
                        width,
                        other.written.join("."),
                        other.matches[0].slots.len()
                    ),
                )
                .with_label("paths with different wildcards")
                .with_help("the paths of one rule range over the same keys: give them the same `*`s, in the same order"),
            );
            return false;
        }
        matched.push(RuleMatches {
            file: self.file,
            range: rule.range,
            values: patterns
                .iter()
                .flat_map(|r| {
                    r.matches
                        .iter()
                        .map(|m| (self.show(&r.env, &m.path), m.value.clone()))
                })
                .collect(),
        });
        true
    }

    /// E0601 for a rule that does not hold, with the values it read and where they were set.
    fn report_violation(
        &self,
        rule: &crate::syntax::Rule,
        policy: &str,
        used: &[Used],
        diagnostics: &mut Vec<Diagnostic>,
    ) {
        let shown: Vec<String> = used
            .iter()
            .map(|used| format!("`{}` is {}", used.shown, used.value))
            .collect();
        let mut message = self.fails(policy);
        if !shown.is_empty() {
            message.push_str(&format!(": {}", shown.join(", ")));
        }
        let mut diagnostic = Diagnostic::error(E0601, self.file, rule.expr.range, message)
            // Diagnostic: E0601 policy-violation
            .with_label(
                rule.message
                    .clone()
                    .unwrap_or_else(|| "this rule does not hold".into()),
            );
        for used in used {
            if let Some(label) = self.origin_label(&used.env, &used.path, &used.shown) {
                diagnostic = diagnostic.with_secondary(label.0, label.1, label.2);
            }
        }
        diagnostics.push(diagnostic.with_help(
            "change the value, or the policy if the rule is wrong for this environment",
        ));
    }

    /// E0602 for a rule that checked no binding at all.
    fn report_matches_nothing(
        &self,
        rule: &crate::syntax::Rule,
        patterns: &[&Resolved],
        diagnostics: &mut Vec<Diagnostic>,
    ) {
        let written: Vec<String> = patterns
            .iter()
            .map(|r| format!("`{}`", self.show(&r.env, &r.written)))
            .collect();
        let reason = if written.is_empty() {
            "an index names no item, or a condition is not a bool".to_string()
        } else {
            format!(
                "no key matched by {} has a value on every path of the rule",
                written.join(" and ")
            )
        };
        // Diagnostic: E0602 invalid-policy
        diagnostics.push(
            Diagnostic::error(
                E0602,
                self.file,
                rule.expr.range,
                format!("this rule matches nothing in {}: {reason}", self.envs_shown()),
            )
            .with_label("matches nothing")
            .with_help("a rule that matches nothing checks nothing: fix it so that it reads values of this environment"),
        );
    }

    /// "policy `p` fails for env `e`", or, for an `across` policy (checked with each of its
    /// environments), the same message whichever environment is checked.
    fn fails(&self, policy: &str) -> String {
        if self.across {
            format!("policy `{policy}` fails")
        } else {
            format!("policy `{policy}` fails for env `{}`", self.env)
        }
    }

    /// "env `pro`", or for an `across` policy (the same message whichever environment is
    /// checked) "envs `pre`, `pro`".
    fn envs_shown(&self) -> String {
        if self.across {
            let names: Vec<String> = self.models.keys().map(|e| format!("`{e}`")).collect();
            format!("envs {}", names.join(", "))
        } else {
            format!("env `{}`", self.env)
        }
    }

    /// A path for messages: with its environment in an `across` policy.
    fn show(&self, env: &str, path: &[String]) -> String {
        if self.across {
            format!("{env}.{}", path.join("."))
        } else {
            path.join(".")
        }
    }

    /// In an `across` policy, a key that a wildcard path matched in one environment and that the
    /// same path lacks in another is a violation: the rule cannot compare it. Returns whether the
    /// binding was reported.
    fn report_unpaired(
        &self,
        policy: &str,
        patterns: &[&Resolved],
        binding: &[String],
        diagnostics: &mut Vec<Diagnostic>,
    ) -> bool {
        fn has<'r>(res: &'r Resolved, binding: &[String]) -> Option<&'r Match> {
            res.matches.iter().find(|m| m.slots == binding)
        }
        let Some((present, found)) = patterns
            .iter()
            .find_map(|r| has(r, binding).map(|m| (*r, m)))
        else {
            return false;
        };
        let mut reported = false;
        let mut missing_envs: Vec<&str> = Vec::new();
        for res in patterns {
            if res.env == present.env
                || has(res, binding).is_some()
                || missing_envs.contains(&res.env.as_str())
            {
                continue;
            }
            missing_envs.push(&res.env);
            let key = binding.join(".");
            let expected = self.show(&res.env, &fill(res, binding));
            // Diagnostic: E0601 policy-violation
            let mut diagnostic = Diagnostic::error(
                E0601,
                self.file,
                res.range,
                format!(
                    "{}: `{key}` is in env `{}` but not in env `{}` (`{}` is {}, `{expected}` names nothing)",
                    self.fails(policy),
                    present.env,
                    res.env,
                    self.show(&present.env, &found.path),
                    found.value,
                ),
            )
            .with_label(format!("no `{key}` in env `{}`", res.env));
            if let Some(label) = self.origin_label(
                &present.env,
                &found.path,
                &self.show(&present.env, &found.path),
            ) {
                diagnostic = diagnostic.with_secondary(label.0, label.1, label.2);
            }
            diagnostics.push(diagnostic.with_help(format!(
                "an `across` rule compares the same key in each environment: give env `{}` a `{key}` too, or remove it from env `{}`",
                res.env, present.env
            )));
            reported = true;
        }
        reported
    }

    /// Resolves one path of a rule in its environment; `None` when it is reported (it names no
    /// environment of the policy, or it matches nothing).
    fn resolve(
        &self,
        segments: &[crate::syntax::Ident],
        range: TextRange,
        diagnostics: &mut Vec<Diagnostic>,
    ) -> Option<Resolved> {
        let names: Vec<String> = segments.iter().map(|s| s.name.clone()).collect();
        let (env, model) = if self.across {
            match self.models.get(&names[0]) {
                Some(model) => (names[0].clone(), *model),
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
                    return None;
                }
            }
        } else {
            (self.env.to_string(), *self.models.get(self.env)?)
        };
        let offset = usize::from(self.across);
        let path = &names[offset..];
        let idents = &segments[offset..];
        let mut walk = Walk {
            model,
            path,
            matches: Vec::new(),
            miss: None,
        };
        let (pattern, repeated_head) = self.walk(&mut walk);
        let written = path.to_vec();
        if !walk.matches.is_empty() {
            return Some(Resolved {
                range,
                env,
                written,
                repeated_head,
                pattern,
                matches: walk.matches,
            });
        }
        let miss = walk.miss.unwrap_or(Miss {
            segment: 0,
            reason: MissReason::Unknown {
                candidates: Vec::new(),
            },
        });
        let segment = miss.segment.min(path.len().saturating_sub(1));
        let name = &path[segment];
        let shown = self.show(&env, &written);
        let within = path[..segment].join(".");
        let nothing = format!("`{shown}` matches nothing in env `{env}`");
        let diagnostic = match miss.reason {
            MissReason::Unknown { candidates } => {
                let reason = if segment == 0 {
                    format!("no parameter or layer is named `{name}`")
                } else {
                    format!("`{within}` has no `{name}`")
                };
                let help = did_you_mean(name, candidates.iter().map(String::as_str));
                // Diagnostic: E0201 unknown-name
                let mut diagnostic =
                    Diagnostic::error(E0201, self.file, range, format!("{nothing}: {reason}"))
                        .with_label("matches nothing")
                        .with_help(help.unwrap_or_else(|| PATH_FORMS.into()));
                if let Some(ident) = idents.get(segment).filter(|i| i.range != range) {
                    diagnostic = diagnostic.with_secondary(
                        self.file,
                        ident.range,
                        format!("no `{name}` here"),
                    );
                }
                diagnostic
            }
            MissReason::Incomplete => {
                // Diagnostic: E0201 unknown-name
                Diagnostic::error(
                    E0201,
                    self.file,
                    range,
                    format!("{nothing}: `{shown}` is not a value"),
                )
                .with_label("a layer or an instance")
                .with_help(PATH_FORMS)
            }
            MissReason::Empty => {
                let reason = match (segment, repeated_head) {
                    (0, true) => format!("repeated layer `{name}` has no copies"),
                    (0, false) => "there are no layers".to_string(),
                    _ => format!("`{within}` is empty"),
                };
                // Diagnostic: E0602 invalid-policy
                Diagnostic::error(E0602, self.file, range, format!("{nothing}: {reason}"))
                    .with_label("matches nothing")
                    .with_help(format!(
                        "a rule that matches nothing checks nothing: remove it, or limit the policy to environments where {} has entries",
                        if segment == 0 { format!("`{name}`") } else { format!("`{within}`") }
                    ))
            }
            // Diagnostic: E0602 invalid-policy
            MissReason::NotCollection { found } => Diagnostic::error(
                E0602,
                self.file,
                range,
                format!("{nothing}: `{within}` is {found}, which has no keys or items"),
            )
            .with_label("matches nothing")
            .with_help("`*` and fields apply to maps, records and lists"),
            // Diagnostic: E0602 invalid-policy
            MissReason::Runtime => Diagnostic::error(
                E0602,
                self.file,
                range,
                format!("`{shown}` is only known when Terraform runs"),
            )
            .with_label("run-time value")
            .with_help("policies check compile-time values only"),
        };
        diagnostics.push(diagnostic);
        None
    }

    /// Collects the matches of `walk.path` in its model; returns whether the path is a pattern
    /// and whether its head is a repeated layer's name (a slot before the `*`s).
    fn walk(&self, walk: &mut Walk<'_>) -> (bool, bool) {
        let path = walk.path;
        let model = walk.model;
        let Some(head) = path.first() else {
            return (false, false);
        };
        let mut pattern = path.iter().any(|s| s == "*");
        if head != "*" {
            if let Some(value) = model.params.get(head) {
                walk.value(value, 1, &mut Vec::new(), &mut vec![head.clone()], false);
                return (pattern, false);
            }
            if head == "env" && path.len() == 1 {
                walk.matches.push(Match {
                    slots: Vec::new(),
                    path: path.to_vec(),
                    value: Value::Str(model.env.clone()),
                    input: None,
                });
                return (pattern, false);
            }
        }
        let index = project_index(self.db, self.workspace);
        let repeated = index.layers.get(head).is_some_and(
            |item| matches!(&item.item(self.db).kind, ItemKind::Layer(l) if l.repeat.is_some()),
        );
        pattern |= repeated;
        let layers: Vec<_> = model
            .layers
            .iter()
            .filter(|l| {
                if head == "*" {
                    true
                } else if repeated {
                    layer_matches(&l.name, head)
                } else {
                    l.name == *head
                }
            })
            .collect();
        if layers.is_empty() {
            if head == "*" || repeated {
                walk.miss(0, MissReason::Empty);
            } else {
                let mut candidates: Vec<String> = model.params.keys().cloned().collect();
                candidates.extend(index.layers.keys().cloned());
                candidates.push("env".into());
                walk.miss(0, MissReason::Unknown { candidates });
            }
            return (pattern, repeated);
        }
        let mut slots = Vec::new();
        for layer in layers {
            let layer_slot = head == "*" || repeated;
            if layer_slot {
                slots.push(layer.name.clone());
            }
            match path.get(1) {
                None => walk.miss(1, MissReason::Incomplete),
                Some(instance_pattern) => {
                    let instances: Vec<_> = layer
                        .instances
                        .iter()
                        .filter(|i| instance_pattern == "*" || i.name == *instance_pattern)
                        .collect();
                    if instances.is_empty() {
                        if instance_pattern == "*" {
                            walk.miss(1, MissReason::Empty);
                        } else {
                            let candidates =
                                layer.instances.iter().map(|i| i.name.clone()).collect();
                            walk.miss(1, MissReason::Unknown { candidates });
                        }
                    }
                    for instance in instances {
                        if instance_pattern == "*" {
                            slots.push(instance.name.clone());
                        }
                        let mut at = vec![layer.name.clone(), instance.name.clone()];
                        if path.len() == 2 {
                            walk.miss(2, MissReason::Incomplete);
                        } else {
                            let inputs = instance.inputs.iter().map(|(k, v)| (k.clone(), v));
                            walk.children(inputs.collect(), 2, &mut slots, &mut at, true);
                        }
                        if instance_pattern == "*" {
                            slots.pop();
                        }
                    }
                }
            }
            if layer_slot {
                slots.pop();
            }
        }
        (pattern, repeated)
    }

    /// A label at the definition of the value at `path` in `env`, for the violation's provenance.
    fn origin_label(
        &self,
        env: &str,
        path: &[String],
        shown: &str,
    ) -> Option<(SourceFile, TextRange, String)> {
        let env_name = EnvName::new(self.db, env.to_string());
        let origin = provenance(self.db, self.workspace, env_name, path)?;
        match (origin.def, origin.default_of) {
            (Some(def), _) => Some((
                def.file,
                def.range,
                format!(
                    "`{shown}` set here{}",
                    def.env.map(|e| format!(" (env {e})")).unwrap_or_default()
                ),
            )),
            (None, Some((file, range, module))) => Some((
                file,
                range,
                format!("`{shown}` is the default of module `{module}`"),
            )),
            _ => None,
        }
    }

    /// A rule's expression for one binding of its wildcards; one function per kind of
    /// expression where it takes more than a line.
    fn eval(
        &self,
        expr: &Expr,
        resolved: &[Resolved],
        binding: &[String],
        used: &mut Vec<Used>,
        diagnostics: &mut Vec<Diagnostic>,
    ) -> Result<Value, Fail> {
        let eval = |e: &Expr, used: &mut Vec<Used>, diagnostics: &mut Vec<Diagnostic>| {
            self.eval(e, resolved, binding, used, diagnostics)
        };
        match &expr.kind {
            ExprKind::Missing => Err(Fail::Reported),
            ExprKind::Null => Ok(Value::Null),
            ExprKind::Bool(b) => Ok(Value::Bool(*b)),
            ExprKind::Int(n) => Ok(Value::Int(*n)),
            ExprKind::Float(f) => Ok(Value::Float(*f)),
            ExprKind::Str(parts) => self.eval_text(parts, resolved, binding, used, diagnostics),
            ExprKind::List(items) => items
                .iter()
                .map(|i| eval(i, used, diagnostics))
                .collect::<Result<_, _>>()
                .map(Value::List),
            ExprKind::Record(entries) => entries
                .iter()
                .map(|e| Ok((e.key.name.clone(), eval(&e.value, used, diagnostics)?)))
                .collect::<Result<BTreeMap<_, _>, _>>()
                .map(Value::Record),
            ExprKind::Ref(_) => self.eval_ref(expr, resolved, binding, used, diagnostics),
            ExprKind::Index(base, key) => {
                let base = eval(base, used, diagnostics)?;
                let key = eval(key, used, diagnostics)?;
                index(base, key)
            }
            ExprKind::Unary(op, operand) => {
                let value = eval(operand, used, diagnostics)?;
                self.unary(expr, *op, value, diagnostics)
            }
            ExprKind::Binary(op, lhs, rhs) => {
                let left = eval(lhs, used, diagnostics)?;
                let right = eval(rhs, used, diagnostics)?;
                binary(*op, &left, &right).map_err(|message| {
                    // Diagnostic: E0602 invalid-policy
                    diagnostics.push(
                        Diagnostic::error(E0602, self.file, expr.range, message)
                            .with_label("cannot be evaluated"),
                    );
                    Fail::Reported
                })
            }
            ExprKind::Cond(cond, then, otherwise) => match eval(cond, used, diagnostics)? {
                Value::Bool(true) => eval(then, used, diagnostics),
                Value::Bool(false) => eval(otherwise, used, diagnostics),
                _ => Err(Fail::Skip),
            },
            ExprKind::Attr(base, name) => match eval(base, used, diagnostics)? {
                Value::Record(mut entries) => entries.remove(&name.name).ok_or(Fail::Skip),
                _ => Err(Fail::Skip),
            },
            ExprKind::Call(call) => {
                let mut values = Vec::with_capacity(call.args.len());
                for arg in &call.args {
                    values.push(eval(arg, used, diagnostics)?);
                }
                self.call(expr, &call.name.name, &values, diagnostics)
            }
            ExprKind::For(_) => Err(self.report_for(expr, diagnostics)),
        }
    }

    /// E0602 for a `for` expression, which a rule cannot hold.
    fn report_for(&self, expr: &Expr, diagnostics: &mut Vec<Diagnostic>) -> Fail {
        // Diagnostic: E0602 invalid-policy
        diagnostics.push(
            Diagnostic::error(
                E0602,
                self.file,
                expr.range,
                "a `for` expression cannot be a policy's operand",
            )
            .with_label("not supported in policies")
            .with_help(
                "write the rule with a wildcard path (`layer.*.input`), which checks each match",
            ),
        );
        Fail::Reported
    }

    /// A string with its interpolations written as text.
    fn eval_text(
        &self,
        parts: &[StrPart],
        resolved: &[Resolved],
        binding: &[String],
        used: &mut Vec<Used>,
        diagnostics: &mut Vec<Diagnostic>,
    ) -> Result<Value, Fail> {
        let mut text = String::new();
        for part in parts {
            match part {
                StrPart::Text(t) => text.push_str(t),
                StrPart::Interp(inner) => {
                    match self.eval(inner, resolved, binding, used, diagnostics)? {
                        Value::Str(s) => text.push_str(&s),
                        other => text.push_str(&other.to_string()),
                    }
                }
            }
        }
        Ok(Value::Str(text))
    }

    /// A path of the rule: its match for this binding, recorded in `used`.
    fn eval_ref(
        &self,
        expr: &Expr,
        resolved: &[Resolved],
        binding: &[String],
        used: &mut Vec<Used>,
        diagnostics: &mut Vec<Diagnostic>,
    ) -> Result<Value, Fail> {
        let res = resolved
            .iter()
            .find(|r| r.range == expr.range)
            .ok_or(Fail::Reported)?;
        let found = if res.pattern {
            res.matches.iter().find(|m| m.slots == binding)
        } else {
            res.matches.first()
        };
        // A wildcard path without this key (an instance without the input): skipped.
        let found = found.ok_or(Fail::Skip)?;
        let shown = self.show(&res.env, &found.path);
        if found.value.is_runtime() {
            // Diagnostic: E0602 invalid-policy
            diagnostics.push(
                Diagnostic::error(
                    E0602,
                    self.file,
                    expr.range,
                    format!("`{shown}` is only known when Terraform runs"),
                )
                .with_label("run-time value")
                .with_help("policies check compile-time values only"),
            );
            return Err(Fail::Reported);
        }
        used.push(Used {
            env: res.env.clone(),
            path: found.path.clone(),
            shown,
            value: found.value.clone(),
            input: found.input.clone(),
        });
        Ok(found.value.clone())
    }

    /// `!value` and `-value`.
    fn unary(
        &self,
        expr: &Expr,
        op: UnaryOp,
        value: Value,
        diagnostics: &mut Vec<Diagnostic>,
    ) -> Result<Value, Fail> {
        match (op, value) {
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

    /// A function on the evaluated arguments.
    fn call(
        &self,
        expr: &Expr,
        name: &str,
        values: &[Value],
        diagnostics: &mut Vec<Diagnostic>,
    ) -> Result<Value, Fail> {
        crate::functions::call_const(name, values, self.db, self.workspace).map_err(|failure| {
            // Diagnostic: E0602 invalid-policy
            diagnostics.push(
                Diagnostic::error(E0602, self.file, expr.range, failure.message)
                    .with_label("cannot be evaluated")
                    .with_help_opt(failure.help),
            );
            Fail::Reported
        })
    }
}

/// `base[key]` in a rule; a key that names no item skips the binding.
fn index(base: Value, key: Value) -> Result<Value, Fail> {
    match (base, key) {
        (Value::List(items), Value::Int(n)) => usize::try_from(n)
            .ok()
            .and_then(|n| items.get(n).cloned())
            .ok_or(Fail::Skip),
        (Value::Record(entries), Value::Str(k)) => entries.get(&k).cloned().ok_or(Fail::Skip),
        _ => Err(Fail::Skip),
    }
}

/// The forms of a policy path, for help texts.
const PATH_FORMS: &str = "paths are `PARAM`, `PARAM.FIELD` or `LAYER.INSTANCE.INPUT`; `*` stands for every layer, instance, map key or list item";

/// A value a rule read, for its message, its provenance and the generated tests.
struct Used {
    env: String,
    path: Vec<String>,
    shown: String,
    value: Value,
    input: Option<(String, String, String)>,
}

/// The bindings of a rule's wildcards: every key any wildcard path matched, in order of first
/// appearance; one empty binding for a rule without wildcards.
fn bindings<'r>(patterns: &[&'r Resolved]) -> Vec<&'r [String]> {
    let mut bindings: Vec<&[String]> = Vec::new();
    for res in patterns {
        for m in &res.matches {
            if !bindings.contains(&m.slots.as_slice()) {
                bindings.push(&m.slots);
            }
        }
    }
    if patterns.is_empty() {
        bindings.push(&[]);
    }
    bindings
}

/// The module inputs a rule held on, for the generated tests.
fn record_facts(
    rule: &crate::syntax::Rule,
    policy: &str,
    used: Vec<Used>,
    facts: &mut Vec<PolicyFact>,
) {
    for used in used {
        if let Some((layer, instance, input)) = used.input {
            facts.push(PolicyFact {
                layer,
                instance,
                input,
                value: used.value,
                policy: policy.to_string(),
                rule: rule
                    .message
                    .clone()
                    .unwrap_or_else(|| format!("a rule of policy `{policy}`")),
            });
        }
    }
}

/// The path as written with its slots (a repeated layer's name, each `*`) filled from `binding`.
fn fill(res: &Resolved, binding: &[String]) -> Vec<String> {
    let mut values = binding.iter();
    res.written
        .iter()
        .enumerate()
        .map(|(idx, segment)| {
            if segment == "*" || (idx == 0 && res.repeated_head) {
                values.next().cloned().unwrap_or_else(|| segment.clone())
            } else {
                segment.clone()
            }
        })
        .collect()
}

/// `client` matches the expanded layers `client-a`, `client-b`.
fn layer_matches(layer: &str, pattern: &str) -> bool {
    layer == pattern
        || layer
            .strip_prefix(pattern)
            .is_some_and(|rest| rest.starts_with('-'))
}

/// Every path of a rule, in evaluation order.
fn collect_refs<'e>(expr: &'e Expr, out: &mut Vec<(&'e [crate::syntax::Ident], TextRange)>) {
    match &expr.kind {
        ExprKind::Ref(segments) => out.push((segments, expr.range)),
        ExprKind::Unary(_, e) => collect_refs(e, out),
        ExprKind::Binary(_, a, b) | ExprKind::Index(a, b) => {
            collect_refs(a, out);
            collect_refs(b, out);
        }
        ExprKind::Cond(a, b, c) => {
            collect_refs(a, out);
            collect_refs(b, out);
            collect_refs(c, out);
        }
        ExprKind::List(items) => items.iter().for_each(|i| collect_refs(i, out)),
        ExprKind::Record(entries) => entries.iter().for_each(|e| collect_refs(&e.value, out)),
        ExprKind::Str(parts) => parts.iter().for_each(|p| {
            if let StrPart::Interp(e) = p {
                collect_refs(e, out);
            }
        }),
        ExprKind::Attr(base, _) => collect_refs(base, out),
        ExprKind::Call(call) => call.args.iter().for_each(|a| collect_refs(a, out)),
        // Reported when the rule is evaluated.
        ExprKind::For(_) => {}
        ExprKind::Missing
        | ExprKind::Null
        | ExprKind::Bool(_)
        | ExprKind::Int(_)
        | ExprKind::Float(_) => {}
    }
}
