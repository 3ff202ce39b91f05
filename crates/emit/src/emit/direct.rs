//! Module calls written straight as text, byte for byte as `render` lays them out (hcl-rs's
//! formatter, then `fmt::align_equals`), without building, sealing, formatting and re-reading an
//! HCL tree. Only calls whose inputs are plain data (strings, numbers, bools, lists of those and
//! records of any of them) take this path; a call with a reference, a template, a provider alias
//! or `for_each` returns `None` and is rendered through hcl-rs. A test compares both paths on
//! generated values.

use std::borrow::Cow;
use std::fmt::Write as _;

use crate::model::{InstanceModel, ModuleSource};
use crate::terraform::Origin;
use crate::value::Value;

use super::fmt::{columns, pad};
use super::literal::{escape_into, is_plain_identifier};

/// Records nested deeper than this go the general way (whose walks are iterative).
const MAX_DEPTH: usize = 32;

/// The text of `module "NAME" { ... }`, newline included; `None` when the call is not plain data.
pub(super) fn module_call(
    instance: &InstanceModel,
    module: &str,
    source: Option<&ModuleSource>,
) -> Option<String> {
    if instance.provider.is_some()
        || instance.for_each.is_some()
        || !super::bare_name(&instance.name)
    {
        return None;
    }
    let mut sources: Vec<(&str, Value)> = Vec::with_capacity(2);
    match source.map(|s| (s.origin(), s)) {
        Some((Origin::Remote(remote), source)) => {
            sources.push(("source", Value::Str(remote.to_string())));
            if let Some(version) = &source.version {
                sources.push(("version", Value::Str(version.clone())));
            }
        }
        _ => sources.push(("source", Value::Str(format!("../modules/{module}")))),
    }
    let inputs = instance
        .inputs
        .iter()
        .map(|(name, value)| (name.as_str(), value));
    let mut entries = Vec::with_capacity(sources.len() + instance.inputs.len());
    for (name, value) in sources.iter().map(|(k, v)| (*k, v)).chain(inputs) {
        if !super::bare_name(name) {
            return None;
        }
        entries.push((Cow::Borrowed(name), value));
    }
    let mut out = String::with_capacity(64 + instance.inputs.len() * 32);
    out.push_str("module \"");
    out.push_str(&instance.name);
    out.push_str("\" {\n");
    body(&mut out, entries, 2)?;
    out.push_str("}\n");
    Some(out)
}

/// An object key as hcl-rs writes it once sealed: bare when a plain identifier, else quoted.
fn object_key(key: &str) -> Cow<'_, str> {
    if is_plain_identifier(key) {
        return key.into();
    }
    let mut quoted = String::with_capacity(key.len() + 2);
    quoted.push('"');
    escape_into(key, &mut quoted);
    quoted.push('"');
    quoted.into()
}

/// A value on one line: everything but a record with entries.
fn one_line(value: &Value) -> bool {
    !matches!(value, Value::Record(entries) if !entries.is_empty())
}

/// The `key = value` lines of a block or object at `indent`: runs of one-line entries with
/// their `=` aligned, as `terraform fmt` does. `None` when a value is not plain data.
fn body(out: &mut String, entries: Vec<(Cow<'_, str>, &Value)>, indent: usize) -> Option<()> {
    if indent / 2 > MAX_DEPTH {
        return None;
    }
    let mut at = 0;
    while at < entries.len() {
        let end = entries[at..]
            .iter()
            .position(|(_, value)| !one_line(value))
            .map_or(entries.len(), |n| at + n);
        let run = &entries[at..end];
        let width = match run.len() {
            0 | 1 => 0,
            _ => run.iter().map(|(key, _)| columns(key)).max().unwrap_or(0),
        };
        for (key, value) in run {
            pad(out, indent);
            out.push_str(key);
            pad(out, width.saturating_sub(columns(key)) + 1);
            out.push_str("= ");
            one_line_value(out, value)?;
            out.push('\n');
        }
        if let Some((key, Value::Record(fields))) = entries.get(end) {
            pad(out, indent);
            out.push_str(key);
            out.push_str(" = {\n");
            let fields = fields.iter().map(|(k, v)| (object_key(k), v)).collect();
            body(out, fields, indent + 2)?;
            pad(out, indent);
            out.push_str("}\n");
        }
        at = end + 1;
    }
    Some(())
}

/// Writes a value that fits on one line; `None` for what only the general path writes: a
/// reference, a template, a list of lists or records.
fn one_line_value(out: &mut String, value: &Value) -> Option<()> {
    match value {
        Value::Null => out.push_str("null"),
        Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Value::Int(n) => {
            let _ = write!(out, "{n}");
        }
        // hcl's own number, as the general path writes it (`expression` gives null for what
        // is not finite).
        Value::Float(f) => match hcl::Number::from_f64(f.0) {
            Some(n) => {
                let _ = write!(out, "{n}");
            }
            None => out.push_str("null"),
        },
        Value::Str(text) => {
            out.push('"');
            escape_into(text, out);
            out.push('"');
        }
        Value::List(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if matches!(item, Value::List(_) | Value::Record(_)) {
                    return None;
                }
                if i > 0 {
                    out.push_str(", ");
                }
                one_line_value(out, item)?;
            }
            out.push(']');
        }
        // `one_line` lets only an empty record here.
        Value::Record(_) => out.push_str("{}"),
        Value::Rt(..) | Value::Template(_) => return None,
    }
    Some(())
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;
    use std::sync::Arc;

    use hcl::structure::Body;

    use crate::db::{RootDatabase, SourceFile};
    use crate::model::{InstanceModel, ModuleSource};
    use crate::syntax::ast::Float;
    use crate::value::Value;

    /// xorshift64: the same cases on every run.
    struct Rng(u64);

    impl Rng {
        fn next(&mut self) -> u64 {
            self.0 ^= self.0 << 13;
            self.0 ^= self.0 >> 7;
            self.0 ^= self.0 << 17;
            self.0
        }

        fn below(&mut self, n: usize) -> usize {
            (self.next() % n as u64) as usize
        }

        fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
            items[self.below(items.len())]
        }
    }

    const PIECES: &[&str] = &[
        "a", "web", "\"", "\\", "$", "${", "%{", "$${", "{", "}", "[", "]", "=", " = ", "\n", "\t",
        "\r", "é", "名", "🦀", "\u{200d}", "e\u{301}", " ", "  ", "#", "//", "\u{1}", "for ",
        "{for ", ",", "(", ")", "~",
    ];

    fn text(rng: &mut Rng) -> String {
        (0..rng.below(5)).map(|_| rng.pick(PIECES)).collect()
    }

    fn key(rng: &mut Rng) -> String {
        match rng.below(4) {
            0 => rng
                .pick(&[
                    "for", "null", "true", "in", "if", "false", "x-y", "_k", "9lives",
                ])
                .into(),
            1 => text(rng),
            _ => format!(
                "k{}",
                rng.pick(&["", "_a", "-b", "ey", "long_name_of_a_key"])
            ),
        }
    }

    fn scalar(rng: &mut Rng) -> Value {
        match rng.below(6) {
            0 => Value::Null,
            1 => Value::Bool(rng.below(2) == 0),
            2 => Value::Int(match rng.below(4) {
                0 => i64::MIN,
                1 => i64::MAX,
                _ => rng.next() as i64 % 100_000,
            }),
            3 => Value::Float(Float(
                [
                    0.5,
                    2.0,
                    -0.0,
                    1e20,
                    1.5e-7,
                    16.0,
                    0.25,
                    -3.75,
                    1e300,
                    f64::NAN,
                ][rng.below(10)],
            )),
            _ => Value::Str(text(rng)),
        }
    }

    fn value(rng: &mut Rng, depth: usize) -> Value {
        match rng.below(if depth > 3 { 5 } else { 8 }) {
            5 => Value::List((0..rng.below(4)).map(|_| scalar(rng)).collect()),
            6 | 7 => Value::Record(
                (0..rng.below(4))
                    .map(|_| (key(rng), value(rng, depth + 1)))
                    .collect::<BTreeMap<_, _>>(),
            ),
            _ => scalar(rng),
        }
    }

    #[test]
    fn a_plain_module_call_is_written_as_hcl_rs_and_the_formatter_write_it() {
        let db = RootDatabase::default();
        let file = SourceFile::new(&db, "t.infra".into(), Arc::from(""), false);
        let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
        let sources = [
            None,
            Some(ModuleSource {
                source: "./modules/x".into(),
                version: None,
            }),
            Some(ModuleSource {
                source: "terraform-aws-modules/vpc/aws".into(),
                version: Some("~> 5.0".into()),
            }),
        ];
        let mut written = 0;
        for case in 0..3000 {
            let names = [
                "name",
                "a",
                "tags",
                "long_input_name",
                "x-y",
                "_z",
                "replicas",
            ];
            let inputs = (0..rng.below(8))
                .map(|i| (format!("{}{i}", rng.pick(&names)), value(&mut rng, 0)))
                .collect();
            let instance = InstanceModel {
                kind: "component".into(),
                name: format!("c{case}"),
                provider: None,
                inputs,
                for_each: None,
                imports: Vec::new(),
                doc: None,
                file,
                resource: None,
            };
            let source = sources[case % sources.len()].as_ref();
            let general = super::super::render(
                Body::builder()
                    .add_block(super::super::module_block(&instance, "component", source))
                    .build(),
            );
            if let Some(direct) = super::module_call(&instance, "component", source) {
                assert_eq!(direct, general, "case {case}: {:?}", instance.inputs);
                written += 1;
            }
        }
        assert_eq!(written, 3000, "every generated call is plain data");
    }

    #[test]
    fn a_call_with_a_reference_or_an_alias_goes_the_general_way() {
        let db = RootDatabase::default();
        let file = SourceFile::new(&db, "t.infra".into(), Arc::from(""), false);
        let mut instance = InstanceModel {
            kind: "component".into(),
            name: "c".into(),
            provider: Some("west".into()),
            inputs: vec![("name".into(), Value::Str("x".into()))],
            for_each: None,
            imports: Vec::new(),
            doc: None,
            file,
            resource: None,
        };
        assert!(super::module_call(&instance, "component", None).is_none());
        instance.provider = None;
        assert!(super::module_call(&instance, "component", None).is_some());
        instance.inputs.push((
            "parts".into(),
            Value::Template(vec![crate::value::TemplatePart::Text("x".into())]),
        ));
        assert!(super::module_call(&instance, "component", None).is_none());
        // A list of lists, and records nested past `MAX_DEPTH`, go the general way too.
        instance.inputs.pop();
        instance.inputs.push((
            "matrix".into(),
            Value::List(vec![Value::List(vec![Value::Int(1)])]),
        ));
        assert!(super::module_call(&instance, "component", None).is_none());
        instance.inputs.pop();
        let deep = (0..super::MAX_DEPTH + 1).fold(Value::Int(1), |inner, _| {
            Value::Record([("k".to_string(), inner)].into_iter().collect())
        });
        instance.inputs.push(("deep".into(), deep));
        assert!(super::module_call(&instance, "component", None).is_none());
        instance.inputs.pop();
        let shallow = (0..super::MAX_DEPTH - 1).fold(Value::Int(1), |inner, _| {
            Value::Record([("k".to_string(), inner)].into_iter().collect())
        });
        instance.inputs.push(("shallow".into(), shallow));
        assert!(super::module_call(&instance, "component", None).is_some());
    }
}
