//! Evaluated values: compile-time data, and Terraform run-time references that flow into the output.

use std::collections::BTreeMap;
use std::fmt;

use crate::syntax::Float;
use crate::types::Ty;

/// A Terraform run-time value: known only when Terraform applies.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Rt {
    /// `instance.output` of a module instance in the same layer; `instance["key"].output` of
    /// one instance of a repeated one.
    ModuleOutput {
        instance: String,
        key: Option<String>,
        output: String,
        /// For an instance of a provider's resource type, how Terraform addresses it
        /// (`aws_sns_topic`, `data.aws_region`) instead of `module`.
        resource: Option<String>,
    },
    /// `layer.output` of another layer, read through remote state.
    LayerOutput { layer: String, output: String },
    /// A function whose arguments are only known when Terraform runs (or that Terraform
    /// evaluates): the same call in the emitted Terraform.
    Call { function: String, args: Vec<Value> },
    /// `value[key]` of a run-time map or list with a compile-time key.
    Index { base: Value, key: Value },
    /// The variable of a `for` expression over a run-time collection, inside its body.
    Local(String),
    /// A `for` expression over a run-time collection: Terraform's own `for` expression.
    For {
        key_var: Option<String>,
        value_var: String,
        collection: Value,
        /// The key of a map comprehension, `None` for a list.
        key: Option<Value>,
        value: Value,
        condition: Option<Value>,
    },
}

/// One piece of a string with run-time parts.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum TemplatePart {
    Text(String),
    Rt(Rt),
}

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Value {
    Null,
    Bool(bool),
    Int(i64),
    Float(Float),
    Str(String),
    List(Vec<Value>),
    Record(BTreeMap<String, Value>),
    /// A run-time reference with its declared type (boxed: they are rare, and a `Value` stays
    /// 32 bytes).
    Rt(Box<Rt>, Box<Ty>),
    /// A string with run-time parts.
    Template(Vec<TemplatePart>),
}

impl Value {
    /// A short description of the value's kind, for messages.
    pub fn describe(&self) -> String {
        match self {
            Value::Null => "null".into(),
            Value::Bool(b) => format!("bool `{b}`"),
            Value::Int(n) => format!("int `{n}`"),
            Value::Float(f) => format!("float `{}`", f.0),
            Value::Str(s) => format!("string \"{s}\""),
            Value::List(_) => "a list".into(),
            Value::Record(_) => "a record".into(),
            Value::Rt(_, ty) => format!("a run-time {ty}"),
            Value::Template(_) => "a run-time string".into(),
        }
    }

    /// Whether any part of the value is only known when Terraform runs.
    pub fn is_runtime(&self) -> bool {
        match self {
            Value::Rt(..) | Value::Template(_) => true,
            Value::List(items) => items.iter().any(Value::is_runtime),
            Value::Record(entries) => entries.values().any(Value::is_runtime),
            _ => false,
        }
    }

    pub fn as_str(&self) -> Option<&str> {
        match self {
            Value::Str(s) => Some(s),
            _ => None,
        }
    }

    pub fn as_f64(&self) -> Option<f64> {
        match self {
            Value::Int(n) => Some(*n as f64),
            Value::Float(f) => Some(f.0),
            _ => None,
        }
    }

    /// Whether any run-time reference inside the value is a secret.
    pub fn holds_secret(&self) -> bool {
        match self {
            Value::Rt(_, ty) => ty.contains_secret(),
            Value::List(items) => items.iter().any(Value::holds_secret),
            Value::Record(entries) => entries.values().any(Value::holds_secret),
            _ => false,
        }
    }

    /// Every run-time reference inside the value.
    pub fn runtime_refs<'a>(&'a self, out: &mut Vec<&'a Rt>) {
        match self {
            Value::Rt(rt, _) => rt.refs(out),
            Value::Template(parts) => {
                for part in parts {
                    if let TemplatePart::Rt(rt) = part {
                        rt.refs(out);
                    }
                }
            }
            Value::List(items) => items.iter().for_each(|v| v.runtime_refs(out)),
            Value::Record(entries) => entries.values().for_each(|v| v.runtime_refs(out)),
            _ => {}
        }
    }
}

impl Rt {
    /// The references this value reads: itself, or for a call, those of its arguments.
    fn refs<'a>(&'a self, out: &mut Vec<&'a Rt>) {
        match self {
            Rt::Call { args, .. } => args.iter().for_each(|a| a.runtime_refs(out)),
            Rt::Index { base, .. } => base.runtime_refs(out),
            Rt::Local(_) => {}
            Rt::For {
                collection,
                key,
                value,
                condition,
                ..
            } => {
                collection.runtime_refs(out);
                for part in [key.as_ref(), Some(value), condition.as_ref()]
                    .into_iter()
                    .flatten()
                {
                    part.runtime_refs(out);
                }
            }
            reference => out.push(reference),
        }
    }
}

impl fmt::Display for Rt {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Rt::ModuleOutput {
                instance,
                key: None,
                output,
                ..
            } => write!(f, "{instance}.{output}"),
            Rt::ModuleOutput {
                instance,
                key: Some(key),
                output,
                ..
            } => write!(f, "{instance}[{key:?}].{output}"),
            Rt::LayerOutput { layer, output } => write!(f, "{layer}.{output}"),
            Rt::Index { base, key } => write!(f, "{base}[{key}]"),
            Rt::Local(name) => write!(f, "{name}"),
            Rt::For {
                key_var,
                value_var,
                collection,
                key,
                value,
                condition,
            } => {
                let (open, close) = if key.is_some() {
                    ('{', '}')
                } else {
                    ('[', ']')
                };
                write!(f, "{open}for ")?;
                if let Some(key_var) = key_var {
                    write!(f, "{key_var}, ")?;
                }
                write!(f, "{value_var} in {collection}: ")?;
                if let Some(key) = key {
                    write!(f, "{key} => ")?;
                }
                write!(f, "{value}")?;
                if let Some(condition) = condition {
                    write!(f, " if {condition}")?;
                }
                write!(f, "{close}")
            }
            Rt::Call { function, args } => {
                write!(f, "{function}(")?;
                for (i, arg) in args.iter().enumerate() {
                    if i > 0 {
                        write!(f, ", ")?;
                    }
                    write!(f, "{arg}")?;
                }
                write!(f, ")")
            }
        }
    }
}

/// infrac syntax for a value, for messages, hover and `explain`.
impl fmt::Display for Value {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Value::Null => write!(f, "null"),
            Value::Bool(b) => write!(f, "{b}"),
            Value::Int(n) => write!(f, "{n}"),
            Value::Float(x) => write!(f, "{}", x.0),
            Value::Str(s) => write!(f, "{s:?}"),
            Value::List(items) => {
                write!(f, "[")?;
                for (idx, item) in items.iter().enumerate() {
                    if idx > 0 {
                        write!(f, ", ")?;
                    }
                    write!(f, "{item}")?;
                }
                write!(f, "]")
            }
            Value::Record(entries) => {
                write!(f, "{{ ")?;
                for (idx, (key, item)) in entries.iter().enumerate() {
                    if idx > 0 {
                        write!(f, ", ")?;
                    }
                    write!(f, "{key} = {item}")?;
                }
                write!(f, " }}")
            }
            Value::Rt(rt, _) => write!(f, "{rt}"),
            Value::Template(parts) => {
                write!(f, "\"")?;
                for part in parts {
                    match part {
                        TemplatePart::Text(t) => write!(f, "{}", t.escape_debug())?,
                        TemplatePart::Rt(rt) => write!(f, "${{{rt}}}")?,
                    }
                }
                write!(f, "\"")
            }
        }
    }
}

/// A value as JSON (what `infrac eval` prints): run-time references and strings with run-time
/// parts as their Terraform text, floats that JSON cannot hold as `null`.
impl serde::Serialize for Value {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::{SerializeMap, SerializeSeq};
        match self {
            Value::Null => serializer.serialize_unit(),
            Value::Bool(b) => serializer.serialize_bool(*b),
            Value::Int(n) => serializer.serialize_i64(*n),
            Value::Float(x) if x.0.is_finite() => serializer.serialize_f64(x.0),
            Value::Float(_) => serializer.serialize_unit(),
            Value::Str(s) => serializer.serialize_str(s),
            Value::List(items) => {
                let mut seq = serializer.serialize_seq(Some(items.len()))?;
                for item in items {
                    seq.serialize_element(item)?;
                }
                seq.end()
            }
            Value::Record(entries) => {
                let mut map = serializer.serialize_map(Some(entries.len()))?;
                for (key, value) in entries {
                    map.serialize_entry(key, value)?;
                }
                map.end()
            }
            Value::Rt(rt, _) => serializer.serialize_str(&format!("${{{rt}}}")),
            Value::Template(_) => serializer.serialize_str(self.to_string().trim_matches('"')),
        }
    }
}
