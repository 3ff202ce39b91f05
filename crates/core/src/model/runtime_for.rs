//! `for` expressions over run-time collections (a module output, a cross-layer reference): the
//! compiler cannot iterate them, so the expression is written into the emitted Terraform as
//! Terraform's own `for` expression, its loop variables standing for each item (`Rt::Local`).

use super::*;
use crate::types::NumConstraint;

/// Names a loop variable over run-time values may not take: Terraform reads them as its own
/// top-level objects, so the emitted expression would mean something else.
const TERRAFORM_ROOTS: &[&str] = &[
    "count",
    "data",
    "each",
    "local",
    "module",
    "path",
    "resource",
    "self",
    "terraform",
    "var",
];

impl Eval<'_> {
    /// `[for k, v in coll: value if cond]` or `{for ...: key => value}` where `coll` is a run-time
    /// list or map: the body is evaluated once, with the loop variables as run-time values of the
    /// collection's key and element types, and the whole becomes a run-time value.
    pub(super) fn runtime_comprehension(
        &mut self,
        f: &crate::syntax::ForExpr,
        file: SourceFile,
        scope: Scope<'_>,
        collection: Value,
    ) -> Option<Value> {
        let (key_ty, element_ty) = self.runtime_collection_types(&collection, f, file)?;
        for var in f.key_var.iter().chain([&f.value_var]) {
            if TERRAFORM_ROOTS.contains(&var.name.as_str()) {
                // Diagnostic: E0405 run-time-value
                self.error(
                    E0405,
                    file,
                    var.range,
                    format!(
                        "`{}` cannot name the variable of a `for` over run-time values",
                        var.name
                    ),
                )
                .with_label_mut("Terraform's own name")
                .with_help_mut(format!(
                    "the expression is written into the Terraform, where `{}` means Terraform's \
                     own object; choose another name",
                    var.name
                ));
                return None;
            }
        }
        let depth = self.locals.len();
        if let Some(key_var) = &f.key_var {
            self.locals
                .push((key_var.name.clone(), loop_variable(&key_var.name, key_ty)));
        }
        self.locals.push((
            f.value_var.name.clone(),
            loop_variable(&f.value_var.name, element_ty),
        ));
        let parts = self.runtime_for_parts(f, file, scope);
        self.locals.truncate(depth);
        let (key, value, condition) = parts?;
        let value_ty = runtime_ty(&value);
        let ty = if key.is_some() {
            Ty::Map(Box::new(value_ty))
        } else {
            Ty::List(Box::new(value_ty))
        };
        Some(Value::Rt(
            Box::new(Rt::For {
                key_var: f.key_var.as_ref().map(|v| v.name.clone()),
                value_var: f.value_var.name.clone(),
                collection,
                key,
                value,
                condition,
            }),
            Box::new(ty),
        ))
    }

    /// The types of a run-time collection's keys and elements, or an E0401 for what cannot be
    /// iterated.
    fn runtime_collection_types(
        &mut self,
        collection: &Value,
        f: &crate::syntax::ForExpr,
        file: SourceFile,
    ) -> Option<(Ty, Ty)> {
        let ty = match collection {
            Value::Rt(_, ty) => ty.resolved().clone(),
            _ => Ty::Str(None),
        };
        match ty {
            Ty::List(element) => Some((Ty::Int(NumConstraint::None), *element)),
            Ty::Map(element) => Some((Ty::Str(None), *element)),
            Ty::Any | Ty::Error => Some((Ty::Any, Ty::Any)),
            other => {
                // Diagnostic: E0401 type-mismatch
                self.error(
                    E0401,
                    file,
                    f.collection.range,
                    format!(
                        "a `for` expression goes over a list or a map, found a run-time {other}"
                    ),
                )
                .with_label_mut("not a list or map");
                None
            }
        }
    }

    /// The key, value and condition of a run-time `for`, evaluated with its loop variables bound.
    #[allow(clippy::type_complexity)]
    fn runtime_for_parts(
        &mut self,
        f: &crate::syntax::ForExpr,
        file: SourceFile,
        scope: Scope<'_>,
    ) -> Option<(Option<Value>, Value, Option<Value>)> {
        let condition = match &f.condition {
            None => None,
            Some(expr) => {
                let value = self.eval_expr(expr, file, scope)?;
                let is_bool = match &value {
                    Value::Bool(_) => true,
                    Value::Rt(_, ty) => matches!(ty.resolved(), Ty::Bool | Ty::Any | Ty::Error),
                    _ => false,
                };
                if !is_bool {
                    // Diagnostic: E0401 type-mismatch
                    self.error(
                        E0401,
                        file,
                        expr.range,
                        format!("a condition must be a bool, found {}", value.describe()),
                    )
                    .with_label_mut("expected bool");
                    return None;
                }
                Some(value)
            }
        };
        let value = self.eval_expr(&f.value, file, scope)?;
        let key = match &f.key {
            None => None,
            Some(expr) => {
                let key = self.eval_expr(expr, file, scope)?;
                let is_key = match &key {
                    Value::Str(_) | Value::Int(_) | Value::Template(_) => true,
                    Value::Rt(_, ty) => matches!(
                        ty.resolved(),
                        Ty::Str(_) | Ty::Enum(_) | Ty::Int(_) | Ty::Any | Ty::Error
                    ),
                    _ => false,
                };
                if !is_key {
                    // Diagnostic: E0401 type-mismatch
                    self.error(
                        E0401,
                        file,
                        expr.range,
                        format!("a map key is a string, found {}", key.describe()),
                    )
                    .with_label_mut("not a string");
                    return None;
                }
                Some(key)
            }
        };
        Some((key, value, condition))
    }
}

/// A loop variable of a run-time `for`: Terraform's variable of that name, of type `ty`.
fn loop_variable(name: &str, ty: Ty) -> Value {
    Value::Rt(Box::new(Rt::Local(name.to_string())), Box::new(ty))
}

/// The type of an item a run-time `for` produces: a run-time value's declared type, a
/// compile-time scalar's type, `any` for the rest (Terraform checks it where it is used).
fn runtime_ty(value: &Value) -> Ty {
    match value {
        Value::Rt(_, ty) => (**ty).clone(),
        Value::Str(_) | Value::Template(_) => Ty::Str(None),
        Value::Bool(_) => Ty::Bool,
        Value::Int(_) => Ty::Int(NumConstraint::None),
        Value::Float(_) => Ty::Float(NumConstraint::None),
        _ => Ty::Any,
    }
}
