//! Reading emitted Terraform back (with hcl-rs): the layer order in `layers.json`, the module
//! calls in each root module's `main.tf`, the resources in a module's code, and the compile-time
//! value of a resource argument for one module call, where `var.x` is what the call passes (or
//! the variable's default).
//!
//! Tests that compare environments use these instead of snapshots, so that they say what they
//! check ("every RDS instance of pro has deletion protection") and survive renamed instances.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use hcl::eval::{Context, Evaluate};
use hcl::{Body, Expression, Value};

use super::{files_with_extension, read};

/// A Terraform file, parsed; a file that does not parse fails the test.
pub fn parse(path: &Path) -> Body {
    hcl::parse(&read(path)).unwrap_or_else(|e| panic!("{} is not valid HCL: {e}", path.display()))
}

/// The top-level attributes of a body, by name.
pub fn attributes(body: &Body) -> BTreeMap<String, Expression> {
    body.attributes()
        .map(|a| (a.key().to_string(), a.expr().clone()))
        .collect()
}

/// The value of an expression that needs nothing from Terraform (a literal, or arithmetic and
/// logic on literals); `None` when it refers to anything (`module.x.y`, `local.z`, `var.v`).
pub fn literal(expr: &Expression) -> Option<Value> {
    expr.evaluate(&Context::new()).ok()
}

// ---------------------------------------------------------------------------------------------
// layers.json

/// One entry of `layers.json`.
#[derive(Debug, Clone)]
pub struct Layer {
    pub name: String,
    /// `01-foundation`.
    pub dir: String,
    pub depends_on: Vec<String>,
}

/// `layers.json`: the environment and its layers in apply order.
#[derive(Debug, Clone)]
pub struct Layers {
    pub env: String,
    pub layers: Vec<Layer>,
    /// The whole document, for fields the tests do not model.
    pub json: serde_json::Value,
}

/// Reads `layers.json` of a build; the error says what is wrong with it.
pub fn layers(root: &Path) -> Result<Layers, String> {
    let path = root.join("layers.json");
    let text =
        std::fs::read_to_string(&path).map_err(|e| format!("cannot read layers.json: {e}"))?;
    let json: serde_json::Value =
        serde_json::from_str(&text).map_err(|e| format!("layers.json is not JSON: {e}"))?;
    let string = |value: &serde_json::Value, what: &str| {
        value
            .as_str()
            .map(str::to_string)
            .ok_or_else(|| format!("layers.json: {what} is not a string: {value}"))
    };
    let env = string(&json["env"], "env")?;
    let entries = json["layers"]
        .as_array()
        .ok_or("layers.json: `layers` is not an array")?;
    let mut layers = Vec::new();
    for entry in entries {
        let depends_on = entry["depends_on"]
            .as_array()
            .ok_or_else(|| format!("layers.json: depends_on of {entry} is not an array"))?
            .iter()
            .map(|d| string(d, "a depends_on entry"))
            .collect::<Result<_, _>>()?;
        layers.push(Layer {
            name: string(&entry["name"], "a layer name")?,
            dir: string(&entry["dir"], "a layer dir")?,
            depends_on,
        });
    }
    Ok(Layers { env, layers, json })
}

// ---------------------------------------------------------------------------------------------
// Module calls in the root modules.

/// A `module "NAME" { source = "../modules/KIND" ... }` block in a root module's `main.tf`.
#[derive(Debug, Clone)]
pub struct ModuleCall {
    /// The layer's name (`databases`), or `bootstrap` for `00-bootstrap`.
    pub layer: String,
    /// The root module's directory (`03-databases`).
    pub dir: String,
    /// The block's label: the instance name (`orders`).
    pub name: String,
    /// The module it calls: the last part of `source` (`postgres`).
    pub kind: String,
    /// Every argument but `source`.
    pub inputs: BTreeMap<String, Expression>,
}

impl ModuleCall {
    /// `layer.name`: what pairs the same instance across environments.
    pub fn id(&self) -> String {
        format!("{}.{}", self.layer, self.name)
    }

    /// The compile-time value of input `key`; `None` when it is not set or only Terraform knows
    /// it (a cross-layer or module output).
    pub fn value(&self, key: &str) -> Option<Value> {
        self.inputs.get(key).and_then(literal)
    }

    /// The compile-time value of input `key`; fails the test when there is none.
    pub fn expect_value(&self, key: &str) -> Value {
        self.value(key).unwrap_or_else(|| {
            panic!(
                "module call {} ({}/main.tf, module {}) has no literal input `{key}`; inputs: {:?}",
                self.id(),
                self.dir,
                self.kind,
                self.inputs.keys().collect::<Vec<_>>()
            )
        })
    }
}

/// Every call of a module in the build (`../modules/KIND`): `00-bootstrap` first, then the layers in
/// `layers.json` order. Calls of registry and git modules, whose code is not in the build, are left
/// out.
pub fn module_calls(root: &Path) -> Vec<ModuleCall> {
    let layers = layers(root).unwrap_or_else(|e| panic!("{}: {e}", root.display()));
    let mut dirs = vec![("bootstrap".to_string(), "00-bootstrap".to_string())];
    dirs.extend(layers.layers.into_iter().map(|l| (l.name, l.dir)));
    let mut calls = Vec::new();
    for (layer, dir) in dirs {
        let main = root.join(&dir).join("main.tf");
        for block in parse(&main).blocks().filter(|b| b.identifier() == "module") {
            let name = block
                .labels()
                .first()
                .unwrap_or_else(|| panic!("{}: a module block without a label", main.display()))
                .as_str()
                .to_string();
            let mut inputs = attributes(block.body());
            let source = inputs
                .remove("source")
                .and_then(|s| literal(&s))
                .and_then(|s| s.as_str().map(str::to_string))
                .unwrap_or_else(|| {
                    panic!("{}: module {name} has no literal source", main.display())
                });
            // A registry or git module is fetched by `terraform init`: its code is not in the
            // build, and it must carry the source as the `.infra` file wrote it.
            let Some(kind) = source.strip_prefix("../modules/").map(str::to_string) else {
                assert!(
                    !source.starts_with('.') && !source.starts_with('/'),
                    "{}: module {name} has source {source:?}, neither ../modules/KIND nor a registry or git source",
                    main.display()
                );
                continue;
            };
            calls.push(ModuleCall {
                layer: layer.clone(),
                dir: dir.clone(),
                name,
                kind,
                inputs,
            });
        }
    }
    calls
}

// ---------------------------------------------------------------------------------------------
// Resources in the modules' code.

/// A `resource "TYPE" "NAME"` block in `modules/<kind>/*.tf`.
#[derive(Debug, Clone)]
pub struct Resource {
    /// `aws_db_instance`.
    pub resource_type: String,
    pub name: String,
    pub file: PathBuf,
    pub arguments: BTreeMap<String, Expression>,
}

/// The resources of type `resource_type` in module `kind` of a build.
pub fn module_resources(root: &Path, kind: &str, resource_type: &str) -> Vec<Resource> {
    let dir = root.join("modules").join(kind);
    let mut resources = Vec::new();
    for file in files_with_extension(&dir, &["tf"]) {
        for block in parse(&file).blocks().filter(|b| {
            b.identifier() == "resource"
                && b.labels()
                    .first()
                    .is_some_and(|l| l.as_str() == resource_type)
        }) {
            resources.push(Resource {
                resource_type: resource_type.to_string(),
                name: block
                    .labels()
                    .get(1)
                    .map(|l| l.as_str().to_string())
                    .unwrap_or_default(),
                file: file.clone(),
                arguments: attributes(block.body()),
            });
        }
    }
    resources
}

/// The defaults of module `kind`'s variables that have literal ones.
pub fn variable_defaults(root: &Path, kind: &str) -> BTreeMap<String, Value> {
    let dir = root.join("modules").join(kind);
    let mut defaults = BTreeMap::new();
    for file in files_with_extension(&dir, &["tf"]) {
        for block in parse(&file)
            .blocks()
            .filter(|b| b.identifier() == "variable")
        {
            let Some(name) = block.labels().first() else {
                continue;
            };
            if let Some(default) = block
                .body()
                .attributes()
                .find(|a| a.key() == "default")
                .and_then(|a| literal(a.expr()))
            {
                defaults.insert(name.as_str().to_string(), default);
            }
        }
    }
    defaults
}

/// The `locals` of module `kind`, by name.
pub fn module_locals(root: &Path, kind: &str) -> BTreeMap<String, Expression> {
    let dir = root.join("modules").join(kind);
    let mut locals = BTreeMap::new();
    for file in files_with_extension(&dir, &["tf"]) {
        for block in parse(&file).blocks().filter(|b| b.identifier() == "locals") {
            locals.extend(attributes(block.body()));
        }
    }
    locals
}

/// The compile-time value of `expr`, an expression in the code of the module that `call` calls:
/// `var.x` is the call's input `x` when that is a literal, else the variable's literal default;
/// `local.y` is the module's local `y` when that has a compile-time value in turn.
/// The error names the expression when it depends on anything else.
pub fn evaluate_in_call(
    root: &Path,
    call: &ModuleCall,
    expr: &Expression,
) -> Result<Value, String> {
    let mut vars: hcl::Map<String, Value> =
        variable_defaults(root, &call.kind).into_iter().collect();
    for key in call.inputs.keys() {
        match call.value(key) {
            Some(value) => {
                vars.insert(key.clone(), value);
            }
            // Only Terraform knows this input: using it makes the evaluation fail.
            None => {
                vars.shift_remove(key);
            }
        }
    }
    // Locals may use each other: evaluate them until no more can be.
    let mut pending = module_locals(root, &call.kind);
    let mut locals = hcl::Map::new();
    loop {
        let mut context = Context::new();
        context.declare_var("var", Value::Object(vars.clone()));
        context.declare_var("local", Value::Object(locals.clone()));
        let known: Vec<(String, Value)> = pending
            .iter()
            .filter_map(|(name, e)| Some((name.clone(), e.evaluate(&context).ok()?)))
            .collect();
        if known.is_empty() {
            break;
        }
        for (name, value) in known {
            pending.remove(&name);
            locals.insert(name, value);
        }
    }
    let mut context = Context::new();
    context.declare_var("var", Value::Object(vars));
    context.declare_var("local", Value::Object(locals));
    expr.evaluate(&context).map_err(|e| {
        format!(
            "cannot evaluate `{expr}` in module {} for call {}: {e} \
             (it depends on something only Terraform knows; adapt the test's check)",
            call.kind,
            call.id()
        )
    })
}

/// For every call of a module that has resources of `resource_type`: the compile-time value of
/// the resource's `argument` (`None` when the resource does not set it). Fails the test when an
/// argument depends on something only Terraform knows.
pub fn resource_argument(
    root: &Path,
    calls: &[ModuleCall],
    resource_type: &str,
    argument: &str,
) -> Vec<(String, Option<Value>)> {
    let mut values = Vec::new();
    for call in calls {
        for resource in module_resources(root, &call.kind, resource_type) {
            let what = format!(
                "{} (module.{}.{}.{})",
                call.id(),
                call.name,
                resource.resource_type,
                resource.name
            );
            let value = resource.arguments.get(argument).map(|expr| {
                evaluate_in_call(root, call, expr)
                    .unwrap_or_else(|e| panic!("{what}.{argument}: {e}"))
            });
            values.push((what, value));
        }
    }
    values
}
