//! Functions: Terraform's names, signatures and semantics.
//!
//! On compile-time values a function is evaluated here (`call_const`); when an argument is only
//! known when Terraform runs, the evaluator emits the same call in the Terraform (`Rt::Call`),
//! with the result type of the signature. `yamlencode` and a `replace` whose pattern is a regular
//! expression (`/.../`) are always left to Terraform, whose output the compiler would only
//! approximate.

use std::collections::BTreeMap;

use crate::db::{Db, Workspace};
use crate::types::{NumConstraint, Ty};
use crate::value::Value;

/// A function's signature, for messages, completion and hover.
pub struct Signature {
    pub name: &'static str,
    /// `cidrsubnet(prefix: string, newbits: number, netnum: number) -> string`.
    pub text: &'static str,
    pub doc: &'static str,
    pub min_args: usize,
    /// `usize::MAX` for variadic functions.
    pub max_args: usize,
    result: Result,
}

#[derive(Clone, Copy)]
enum Result {
    Str,
    Num,
    Bool,
    ListOfStr,
    List,
    Map,
    Any,
}

impl Signature {
    /// The type of the result, for a call emitted for Terraform to evaluate.
    pub fn result_type(&self) -> Ty {
        match self.result {
            Result::Str => Ty::Str(None),
            Result::Num => Ty::Float(NumConstraint::None),
            Result::Bool => Ty::Bool,
            Result::ListOfStr => Ty::List(Box::new(Ty::Str(None))),
            Result::List => Ty::List(Box::new(Ty::Any)),
            Result::Map => Ty::Map(Box::new(Ty::Any)),
            Result::Any => Ty::Any,
        }
    }

    /// Whether the compiler evaluates the function on compile-time arguments.
    pub fn evaluated_by_compiler(&self, args: &[Value]) -> bool {
        match self.name {
            "yamlencode" => false,
            "replace" => !args
                .get(1)
                .and_then(Value::as_str)
                .is_some_and(|p| p.len() >= 2 && p.starts_with('/') && p.ends_with('/')),
            _ => true,
        }
    }
}

const fn sig(
    name: &'static str,
    text: &'static str,
    doc: &'static str,
    min_args: usize,
    max_args: usize,
    result: Result,
) -> Signature {
    Signature {
        name,
        text,
        doc,
        min_args,
        max_args,
        result,
    }
}

const MANY: usize = usize::MAX;

/// Every function, by name.
pub const FUNCTIONS: &[Signature] = &[
    sig("base64encode", "base64encode(string) -> string", "The string's UTF-8 bytes in Base64.", 1, 1, Result::Str),
    sig("cidrhost", "cidrhost(prefix: string, hostnum: number) -> string", "The address of host `hostnum` in the network `prefix` (negative numbers count from the end).", 2, 2, Result::Str),
    sig("cidrnetmask", "cidrnetmask(prefix: string) -> string", "The netmask of an IPv4 network, in dotted-decimal form.", 1, 1, Result::Str),
    sig("cidrsubnet", "cidrsubnet(prefix: string, newbits: number, netnum: number) -> string", "Subnet `netnum` of `prefix`, with `newbits` more bits in its prefix.", 3, 3, Result::Str),
    sig("coalesce", "coalesce(values...) -> any", "The first argument that is neither null nor an empty string.", 1, MANY, Result::Any),
    sig("concat", "concat(lists...) -> list", "The lists joined into one.", 1, MANY, Result::List),
    sig("contains", "contains(list, value) -> bool", "Whether the list holds the value.", 2, 2, Result::Bool),
    sig("distinct", "distinct(list) -> list", "The list without its repeated items, first occurrences kept in order.", 1, 1, Result::List),
    sig("file", "file(path: string) -> string", "The contents of a UTF-8 file of the project (a path relative to the project's directory).", 1, 1, Result::Str),
    sig("flatten", "flatten(list) -> list", "Nested lists replaced by their items, recursively.", 1, 1, Result::List),
    sig("format", "format(spec: string, values...) -> string", "A string from a format specification (`%s`, `%d`, `%f`, `%t`, `%q`, `%v`, `%%`, with widths and precisions).", 1, MANY, Result::Str),
    sig("join", "join(separator: string, list: list(string)) -> string", "The strings of the list, with the separator between them.", 2, 2, Result::Str),
    sig("jsonencode", "jsonencode(value) -> string", "The value as JSON, as Terraform writes it (keys sorted, `<`, `>` and `&` escaped).", 1, 1, Result::Str),
    sig("keys", "keys(map) -> list(string)", "The keys of a map or record, sorted.", 1, 1, Result::ListOfStr),
    sig("length", "length(value) -> number", "The number of items of a list or map, or of characters of a string.", 1, 1, Result::Num),
    sig("lookup", "lookup(map, key: string, default) -> any", "The map's value at the key, or the default.", 3, 3, Result::Any),
    sig("lower", "lower(string) -> string", "The string in lower case.", 1, 1, Result::Str),
    sig("max", "max(numbers...) -> number", "The largest of the numbers.", 1, MANY, Result::Num),
    sig("merge", "merge(maps...) -> map", "The maps merged, later keys winning.", 1, MANY, Result::Map),
    sig("min", "min(numbers...) -> number", "The smallest of the numbers.", 1, MANY, Result::Num),
    sig("range", "range([start: number,] limit: number[, step: number]) -> list(number)", "The numbers from `start` (0) up to `limit` (excluded), by `step` (1).", 1, 3, Result::List),
    sig("replace", "replace(string, substring: string, replacement: string) -> string", "Every occurrence of the substring replaced (a `/regex/` is left to Terraform).", 3, 3, Result::Str),
    sig("sha256", "sha256(string) -> string", "The SHA-256 hash of the string's UTF-8 bytes, in hexadecimal.", 1, 1, Result::Str),
    sig("split", "split(separator: string, string) -> list(string)", "The string cut at each separator.", 2, 2, Result::ListOfStr),
    sig("substr", "substr(string, offset: number, length: number) -> string", "`length` characters from `offset` (negative offsets count from the end; length -1 takes the rest).", 3, 3, Result::Str),
    sig("templatefile", "templatefile(path: string, vars: map) -> string", "A file of the project rendered with `${name}` interpolations of `vars`.", 2, 2, Result::Str),
    sig("tonumber", "tonumber(value) -> number", "A number, or a string that holds one, as a number.", 1, 1, Result::Num),
    sig("tostring", "tostring(value) -> string", "A string, number or bool as a string.", 1, 1, Result::Str),
    sig("trimprefix", "trimprefix(string, prefix: string) -> string", "The string without the prefix, when it starts with it.", 2, 2, Result::Str),
    sig("trimsuffix", "trimsuffix(string, suffix: string) -> string", "The string without the suffix, when it ends with it.", 2, 2, Result::Str),
    sig("upper", "upper(string) -> string", "The string in upper case.", 1, 1, Result::Str),
    sig("values", "values(map) -> list", "The values of a map or record, in the order of their keys.", 1, 1, Result::List),
    sig("yamlencode", "yamlencode(value) -> string", "The value as YAML; always evaluated by Terraform.", 1, 1, Result::Str),
    sig("zipmap", "zipmap(keys: list(string), values: list) -> map", "A map from the keys to the values at the same positions.", 2, 2, Result::Map),
];

/// The signature of a function.
pub fn signature(name: &str) -> Option<&'static Signature> {
    FUNCTIONS.iter().find(|f| f.name == name)
}

/// Why a call failed: a message, and a help line (usually the signature).
#[derive(Debug)]
pub struct Failure {
    pub message: String,
    pub help: Option<String>,
}

fn fail<T>(sig: &Signature, message: impl Into<String>) -> std::result::Result<T, Failure> {
    Err(Failure {
        message: message.into(),
        help: Some(format!("the signature is `{}`", sig.text)),
    })
}

/// Evaluates a call on compile-time arguments.
pub fn call_const(
    name: &str,
    args: &[Value],
    db: &dyn Db,
    workspace: Workspace,
) -> std::result::Result<Value, Failure> {
    let Some(sig) = signature(name) else {
        return Err(Failure {
            message: format!("unknown function `{name}`"),
            help: crate::diagnostics::did_you_mean(name, FUNCTIONS.iter().map(|f| f.name)),
        });
    };
    check_arity(sig, args.len())?;
    let project = || workspace.root(db).clone();
    evaluate(sig, args, &project)
}

/// Checks the number of arguments against the signature.
pub fn check_arity(sig: &Signature, count: usize) -> std::result::Result<(), Failure> {
    if count < sig.min_args || count > sig.max_args {
        let wanted = match (sig.min_args, sig.max_args) {
            (a, b) if a == b => format!("{a}"),
            (a, MANY) => format!("at least {a}"),
            (a, b) => format!("{a} to {b}"),
        };
        return fail(
            sig,
            format!("`{}` takes {wanted} argument(s), found {count}", sig.name),
        );
    }
    Ok(())
}

fn string<'v>(
    sig: &Signature,
    value: &'v Value,
    what: &str,
) -> std::result::Result<&'v str, Failure> {
    match value {
        Value::Str(s) => Ok(s),
        other => fail(
            sig,
            format!("{what} must be a string, found {}", other.describe()),
        ),
    }
}

fn number(sig: &Signature, value: &Value, what: &str) -> std::result::Result<f64, Failure> {
    match value {
        Value::Int(n) => Ok(*n as f64),
        Value::Float(f) => Ok(f.0),
        other => fail(
            sig,
            format!("{what} must be a number, found {}", other.describe()),
        ),
    }
}

fn integer(sig: &Signature, value: &Value, what: &str) -> std::result::Result<i64, Failure> {
    match value {
        Value::Int(n) => Ok(*n),
        Value::Float(f) if f.0.fract() == 0.0 && f.0.abs() < 9.0e15 => Ok(f.0 as i64),
        other => fail(
            sig,
            format!("{what} must be a whole number, found {}", other.describe()),
        ),
    }
}

fn list<'v>(
    sig: &Signature,
    value: &'v Value,
    what: &str,
) -> std::result::Result<&'v [Value], Failure> {
    match value {
        Value::List(items) => Ok(items),
        other => fail(
            sig,
            format!("{what} must be a list, found {}", other.describe()),
        ),
    }
}

fn map<'v>(
    sig: &Signature,
    value: &'v Value,
    what: &str,
) -> std::result::Result<&'v BTreeMap<String, Value>, Failure> {
    match value {
        Value::Record(entries) => Ok(entries),
        other => fail(
            sig,
            format!("{what} must be a map, found {}", other.describe()),
        ),
    }
}

/// A number as the compiler keeps it: an int when it is whole and fits.
fn num_value(n: f64) -> Value {
    if n.fract() == 0.0 && n.abs() < 9.0e15 {
        Value::Int(n as i64)
    } else {
        Value::Float(n.into())
    }
}

/// Evaluates a call on compile-time arguments, one function per family of functions.
fn evaluate(
    sig: &Signature,
    args: &[Value],
    project: &dyn Fn() -> std::path::PathBuf,
) -> std::result::Result<Value, Failure> {
    match sig.name {
        "base64encode" | "sha256" | "lower" | "upper" | "trimprefix" | "trimsuffix" | "replace"
        | "split" | "join" => string_function(sig, args),
        "substr" => substr(sig, args),
        "length" | "concat" | "flatten" | "distinct" | "contains" | "coalesce" => {
            list_function(sig, args)
        }
        "keys" | "values" | "merge" | "lookup" | "zipmap" => map_function(sig, args),
        "min" | "max" => min_max(sig, args),
        "range" => range(sig, args),
        "tostring" | "tonumber" | "jsonencode" | "format" => conversion_function(sig, args),
        "cidrsubnet" | "cidrhost" | "cidrnetmask" => network_function(sig, args),
        "file" | "templatefile" => file_function(sig, args, project),
        other => unreachable!("function `{other}` has a signature but no body"),
    }
}

/// The functions on strings: encodings, hashes, case, trimming, replacing, splitting, joining.
fn string_function(sig: &Signature, args: &[Value]) -> std::result::Result<Value, Failure> {
    use unicode_segmentation::UnicodeSegmentation as _;
    let s = |i: usize, what: &str| string(sig, &args[i], what);
    Ok(match sig.name {
        "base64encode" => Value::Str(base64(s(0, "the argument")?.as_bytes())),
        "sha256" => {
            use sha2::Digest as _;
            let digest = sha2::Sha256::digest(s(0, "the argument")?.as_bytes());
            Value::Str(digest.iter().map(|b| format!("{b:02x}")).collect())
        }
        "lower" => Value::Str(s(0, "the argument")?.to_lowercase()),
        "upper" => Value::Str(s(0, "the argument")?.to_uppercase()),
        "trimprefix" => {
            let text = s(0, "the string")?;
            Value::Str(
                text.strip_prefix(s(1, "the prefix")?)
                    .unwrap_or(text)
                    .to_string(),
            )
        }
        "trimsuffix" => {
            let text = s(0, "the string")?;
            Value::Str(
                text.strip_suffix(s(1, "the suffix")?)
                    .unwrap_or(text)
                    .to_string(),
            )
        }
        "replace" => {
            let (text, from, to) = (
                s(0, "the string")?,
                s(1, "the substring")?,
                s(2, "the replacement")?,
            );
            if from.is_empty() {
                return fail(sig, "the substring to replace is empty");
            }
            Value::Str(text.replace(from, to))
        }
        "split" => {
            let (separator, text) = (s(0, "the separator")?, s(1, "the string")?);
            if separator.is_empty() {
                Value::List(text.graphemes(true).map(|g| Value::Str(g.into())).collect())
            } else {
                Value::List(
                    text.split(separator)
                        .map(|p| Value::Str(p.into()))
                        .collect(),
                )
            }
        }
        "join" => {
            let separator = s(0, "the separator")?;
            let mut parts = Vec::new();
            for item in list(sig, &args[1], "the second argument")? {
                parts.push(scalar_text(sig, item)?);
            }
            Value::Str(parts.join(separator))
        }
        other => unreachable!("function `{other}` is not a string function"),
    })
}

/// `substr(string, offset, length)`, counted in grapheme clusters.
fn substr(sig: &Signature, args: &[Value]) -> std::result::Result<Value, Failure> {
    use unicode_segmentation::UnicodeSegmentation as _;
    let text = string(sig, &args[0], "the string")?;
    let chars: Vec<&str> = text.graphemes(true).collect();
    let len = chars.len() as i64;
    let mut offset = integer(sig, &args[1], "the offset")?;
    let length = integer(sig, &args[2], "the length")?;
    if offset < 0 {
        offset += len;
    }
    if offset < 0 || offset > len {
        return fail(
            sig,
            format!("offset {offset} is outside a string of {len} character(s)"),
        );
    }
    let end = if length < 0 {
        len
    } else {
        (offset + length).min(len)
    };
    Ok(Value::Str(chars[offset as usize..end as usize].concat()))
}

/// The functions on lists (and `length`, on strings and maps too).
fn list_function(sig: &Signature, args: &[Value]) -> std::result::Result<Value, Failure> {
    use unicode_segmentation::UnicodeSegmentation as _;
    Ok(match sig.name {
        "length" => match &args[0] {
            Value::Str(text) => Value::Int(text.graphemes(true).count() as i64),
            Value::List(items) => Value::Int(items.len() as i64),
            Value::Record(entries) => Value::Int(entries.len() as i64),
            other => {
                return fail(
                    sig,
                    format!("cannot take the length of {}", other.describe()),
                )
            }
        },
        "concat" => {
            let mut out = Vec::new();
            for (i, arg) in args.iter().enumerate() {
                out.extend(
                    list(sig, arg, &format!("argument {}", i + 1))?
                        .iter()
                        .cloned(),
                );
            }
            Value::List(out)
        }
        "flatten" => {
            let mut out = Vec::new();
            let mut stack: Vec<std::slice::Iter<'_, Value>> =
                vec![list(sig, &args[0], "the argument")?.iter()];
            while let Some(top) = stack.last_mut() {
                match top.next() {
                    Some(Value::List(inner)) => stack.push(inner.iter()),
                    Some(item) => out.push(item.clone()),
                    None => {
                        stack.pop();
                    }
                }
            }
            Value::List(out)
        }
        "distinct" => {
            let mut out: Vec<Value> = Vec::new();
            for item in list(sig, &args[0], "the argument")? {
                if !out.contains(item) {
                    out.push(item.clone());
                }
            }
            Value::List(out)
        }
        "contains" => Value::Bool(list(sig, &args[0], "the first argument")?.contains(&args[1])),
        "coalesce" => args
            .iter()
            .find(|v| !matches!(v, Value::Null) && v.as_str() != Some(""))
            .cloned()
            .map_or_else(
                || fail(sig, "every argument is null or an empty string"),
                Ok,
            )?,
        other => unreachable!("function `{other}` is not a list function"),
    })
}

/// The functions on maps.
fn map_function(sig: &Signature, args: &[Value]) -> std::result::Result<Value, Failure> {
    Ok(match sig.name {
        "keys" => Value::List(
            map(sig, &args[0], "the argument")?
                .keys()
                .map(|k| Value::Str(k.clone()))
                .collect(),
        ),
        "values" => Value::List(
            map(sig, &args[0], "the argument")?
                .values()
                .cloned()
                .collect(),
        ),
        "merge" => {
            let mut out = BTreeMap::new();
            for (i, arg) in args.iter().enumerate() {
                match arg {
                    Value::Null => {}
                    other => out.extend(map(sig, other, &format!("argument {}", i + 1))?.clone()),
                }
            }
            Value::Record(out)
        }
        "lookup" => {
            let entries = map(sig, &args[0], "the first argument")?;
            entries
                .get(string(sig, &args[1], "the key")?)
                .cloned()
                .unwrap_or_else(|| args[2].clone())
        }
        "zipmap" => {
            let keys = list(sig, &args[0], "the keys")?;
            let values = list(sig, &args[1], "the values")?;
            if keys.len() != values.len() {
                return fail(
                    sig,
                    format!("{} key(s) but {} value(s)", keys.len(), values.len()),
                );
            }
            let mut out = BTreeMap::new();
            for (key, value) in keys.iter().zip(values) {
                out.insert(scalar_text(sig, key)?, value.clone());
            }
            Value::Record(out)
        }
        other => unreachable!("function `{other}` is not a map function"),
    })
}

/// `min(...)` and `max(...)`: the first of the smallest or largest arguments.
fn min_max(sig: &Signature, args: &[Value]) -> std::result::Result<Value, Failure> {
    let mut best: Option<(f64, &Value)> = None;
    for (i, arg) in args.iter().enumerate() {
        let n = number(sig, arg, &format!("argument {}", i + 1))?;
        let better = match best {
            None => true,
            Some((b, _)) => (sig.name == "min" && n < b) || (sig.name == "max" && n > b),
        };
        if better {
            best = Some((n, arg));
        }
    }
    Ok(best.map(|(_, v)| v.clone()).unwrap_or(Value::Null))
}

/// `range(limit)`, `range(start, limit)` and `range(start, limit, step)`, at most 1024 items.
fn range(sig: &Signature, args: &[Value]) -> std::result::Result<Value, Failure> {
    let nums: Vec<f64> = args
        .iter()
        .enumerate()
        .map(|(i, a)| number(sig, a, &format!("argument {}", i + 1)))
        .collect::<std::result::Result<_, _>>()?;
    let (start, limit, step) = match nums.as_slice() {
        [limit] => (0.0, *limit, 1.0),
        [start, limit] => (*start, *limit, if limit >= start { 1.0 } else { -1.0 }),
        [start, limit, step] => (*start, *limit, *step),
        _ => unreachable!("arity was checked"),
    };
    if step == 0.0 || (step > 0.0 && limit < start) || (step < 0.0 && limit > start) {
        return fail(sig, "the step must move from the start towards the limit");
    }
    let count = ((limit - start) / step).ceil();
    if count > 1024.0 {
        return fail(
            sig,
            format!("range would have {count} items; Terraform allows at most 1024"),
        );
    }
    Ok(Value::List(
        (0..count as i64)
            .map(|i| num_value(start + step * i as f64))
            .collect(),
    ))
}

/// The conversions: `tostring`, `tonumber`, `jsonencode` and `format`.
fn conversion_function(sig: &Signature, args: &[Value]) -> std::result::Result<Value, Failure> {
    Ok(match sig.name {
        "tostring" => match &args[0] {
            Value::Null => Value::Null,
            other => Value::Str(scalar_text(sig, other)?),
        },
        "tonumber" => match &args[0] {
            Value::Null => Value::Null,
            Value::Int(_) | Value::Float(_) => args[0].clone(),
            Value::Str(text) => match text.trim().parse::<f64>() {
                Ok(n) if n.is_finite() && !text.trim().is_empty() => num_value(n),
                _ => return fail(sig, format!("\"{text}\" is not a number")),
            },
            other => {
                return fail(
                    sig,
                    format!("cannot convert {} to a number", other.describe()),
                )
            }
        },
        "jsonencode" => Value::Str(json(sig, &args[0])?),
        "format" => Value::Str(format(
            sig,
            string(sig, &args[0], "the specification")?,
            &args[1..],
        )?),
        other => unreachable!("function `{other}` is not a conversion"),
    })
}

/// The functions on IP networks: `cidrsubnet`, `cidrhost` and `cidrnetmask`.
fn network_function(sig: &Signature, args: &[Value]) -> std::result::Result<Value, Failure> {
    let net = Cidr::parse(sig, string(sig, &args[0], "the prefix")?)?;
    Ok(match sig.name {
        "cidrsubnet" => {
            let newbits = integer(sig, &args[1], "newbits")?;
            let netnum = integer(sig, &args[2], "netnum")?;
            Value::Str(net.subnet(sig, newbits, netnum)?)
        }
        "cidrhost" => Value::Str(net.host(sig, integer(sig, &args[1], "hostnum")?)?),
        "cidrnetmask" => {
            if net.bits != 32 {
                return fail(sig, "only IPv4 networks have a netmask");
            }
            let mask = if net.len == 0 {
                0
            } else {
                u32::MAX << (32 - net.len)
            };
            Value::Str(std::net::Ipv4Addr::from(mask).to_string())
        }
        other => unreachable!("function `{other}` is not a network function"),
    })
}

/// The functions that read a file of the project: `file` and `templatefile`.
fn file_function(
    sig: &Signature,
    args: &[Value],
    project: &dyn Fn() -> std::path::PathBuf,
) -> std::result::Result<Value, Failure> {
    let text = read_project_file(sig, &project(), string(sig, &args[0], "the path")?)?;
    Ok(match sig.name {
        "file" => Value::Str(text),
        "templatefile" => {
            let vars = map(sig, &args[1], "vars")?;
            Value::Str(render_template(sig, &text, vars)?)
        }
        other => unreachable!("function `{other}` does not read a file"),
    })
}

/// A string, number or bool as text (Terraform's conversion to string).
fn scalar_text(sig: &Signature, value: &Value) -> std::result::Result<String, Failure> {
    match value {
        Value::Str(s) => Ok(s.clone()),
        Value::Int(n) => Ok(n.to_string()),
        Value::Float(f) => Ok(f.0.to_string()),
        Value::Bool(b) => Ok(b.to_string()),
        other => fail(
            sig,
            format!("{} cannot be converted to a string", other.describe()),
        ),
    }
}

fn base64(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let b = [
            chunk[0],
            *chunk.get(1).unwrap_or(&0),
            *chunk.get(2).unwrap_or(&0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(ALPHABET[((n >> (18 - 6 * i)) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

/// JSON as Terraform's `jsonencode` writes it: compact, keys sorted, and `<`, `>`, `&`, U+2028
/// and U+2029 escaped as Go's encoder does.
fn json(sig: &Signature, value: &Value) -> std::result::Result<String, Failure> {
    fn string(out: &mut String, text: &str) {
        out.push('"');
        for c in text.chars() {
            match c {
                '"' => out.push_str("\\\""),
                '\\' => out.push_str("\\\\"),
                '\n' => out.push_str("\\n"),
                '\r' => out.push_str("\\r"),
                '\t' => out.push_str("\\t"),
                '<' | '>' | '&' | '\u{2028}' | '\u{2029}' => {
                    out.push_str(&format!("\\u{:04x}", c as u32));
                }
                c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
                c => out.push(c),
            }
        }
        out.push('"');
    }
    let mut out = String::new();
    // (value, whether a separator comes first); iterative, so depth costs no stack.
    enum Step<'v> {
        Value(&'v Value),
        Text(&'static str),
        Key(&'v str),
    }
    let mut steps = vec![Step::Value(value)];
    while let Some(step) = steps.pop() {
        match step {
            Step::Text(t) => out.push_str(t),
            Step::Key(k) => {
                string(&mut out, k);
                out.push(':');
            }
            Step::Value(v) => match v {
                Value::Null => out.push_str("null"),
                Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
                Value::Int(n) => out.push_str(&n.to_string()),
                Value::Float(f) => out.push_str(&f.0.to_string()),
                Value::Str(s) => string(&mut out, s),
                Value::List(items) => {
                    out.push('[');
                    steps.push(Step::Text("]"));
                    for (i, item) in items.iter().enumerate().rev() {
                        steps.push(Step::Value(item));
                        if i > 0 {
                            steps.push(Step::Text(","));
                        }
                    }
                }
                Value::Record(entries) => {
                    out.push('{');
                    steps.push(Step::Text("}"));
                    for (i, (key, item)) in entries.iter().enumerate().rev() {
                        steps.push(Step::Value(item));
                        steps.push(Step::Key(key));
                        if i > 0 {
                            steps.push(Step::Text(","));
                        }
                    }
                }
                other => return fail(sig, format!("cannot encode {}", other.describe())),
            },
        }
    }
    Ok(out)
}

/// Terraform's `format`: `%%`, and `%[flags][width][.precision]verb` with the verbs `s`, `q`,
/// `d`, `f`, `t`, `v`; flags `-` (left-align), `0` (zero padding) and `+` (sign).
fn format(sig: &Signature, spec: &str, args: &[Value]) -> std::result::Result<String, Failure> {
    let mut out = String::new();
    let mut chars = spec.chars().peekable();
    let mut next = 0;
    while let Some(c) = chars.next() {
        if c != '%' {
            out.push(c);
            continue;
        }
        if chars.peek() == Some(&'%') {
            chars.next();
            out.push('%');
            continue;
        }
        let (mut left, mut zero, mut plus) = (false, false, false);
        while let Some(&f) = chars.peek() {
            match f {
                '-' => left = true,
                '0' => zero = true,
                '+' => plus = true,
                _ => break,
            }
            chars.next();
        }
        let mut width = String::new();
        while let Some(&d) = chars.peek().filter(|d| d.is_ascii_digit()) {
            width.push(d);
            chars.next();
        }
        let mut precision = None;
        if chars.peek() == Some(&'.') {
            chars.next();
            let mut p = String::new();
            while let Some(&d) = chars.peek().filter(|d| d.is_ascii_digit()) {
                p.push(d);
                chars.next();
            }
            precision = Some(p.parse::<usize>().unwrap_or(0));
        }
        let Some(verb) = chars.next() else {
            return fail(sig, "the specification ends inside a verb");
        };
        let Some(arg) = args.get(next) else {
            return fail(
                sig,
                format!("not enough arguments for the verbs of \"{spec}\""),
            );
        };
        next += 1;
        let text = match verb {
            's' | 'v' => match arg {
                Value::Str(s) => match precision {
                    Some(p) => s.chars().take(p).collect(),
                    None => s.clone(),
                },
                other if verb == 'v' => json(sig, other)?,
                other => scalar_text(sig, other)?,
            },
            'q' => json(sig, &Value::Str(scalar_text(sig, arg)?))?,
            't' => match arg {
                Value::Bool(b) => b.to_string(),
                other => return fail(sig, format!("%t needs a bool, found {}", other.describe())),
            },
            'd' => {
                let n = integer(sig, arg, "a %d argument")?;
                if plus && n >= 0 {
                    format!("+{n}")
                } else {
                    n.to_string()
                }
            }
            'f' => {
                let n = number(sig, arg, "a %f argument")?;
                let text = format!("{n:.*}", precision.unwrap_or(6));
                if plus && n >= 0.0 {
                    format!("+{text}")
                } else {
                    text
                }
            }
            other => return fail(sig, format!("unsupported verb `%{other}`")),
        };
        let width: usize = width.parse().unwrap_or(0);
        let len = text.chars().count();
        if len >= width {
            out.push_str(&text);
        } else if left {
            out.push_str(&text);
            out.extend(std::iter::repeat_n(' ', width - len));
        } else if zero && matches!(verb, 'd' | 'f') {
            let (sign, digits) = match text.strip_prefix(['-', '+']) {
                Some(rest) => (&text[..1], rest),
                None => ("", text.as_str()),
            };
            out.push_str(sign);
            out.extend(std::iter::repeat_n('0', width - len));
            out.push_str(digits);
        } else {
            out.extend(std::iter::repeat_n(' ', width - len));
            out.push_str(&text);
        }
    }
    if next < args.len() {
        return fail(
            sig,
            format!(
                "{} argument(s) more than the verbs of \"{spec}\"",
                args.len() - next
            ),
        );
    }
    Ok(out)
}

/// An IPv4 or IPv6 network.
struct Cidr {
    addr: u128,
    len: u32,
    /// 32 or 128.
    bits: u32,
}

impl Cidr {
    fn parse(sig: &Signature, text: &str) -> std::result::Result<Cidr, Failure> {
        let bad = || fail(sig, format!("\"{text}\" is not a network in CIDR notation"));
        let Some((addr, len)) = text.split_once('/') else {
            return bad();
        };
        let Ok(len) = len.parse::<u32>() else {
            return bad();
        };
        let (addr, bits) = match addr.parse::<std::net::IpAddr>() {
            Ok(std::net::IpAddr::V4(v4)) => (u128::from(u32::from(v4)), 32),
            Ok(std::net::IpAddr::V6(v6)) => (u128::from(v6), 128),
            Err(_) => return bad(),
        };
        if len > bits {
            return bad();
        }
        let mask = if len == 0 {
            0
        } else {
            (u128::MAX >> (128 - bits)) << (bits - len) & (u128::MAX >> (128 - bits))
        };
        Ok(Cidr {
            addr: addr & mask,
            len,
            bits,
        })
    }

    fn show(&self, addr: u128) -> String {
        if self.bits == 32 {
            std::net::Ipv4Addr::from(addr as u32).to_string()
        } else {
            std::net::Ipv6Addr::from(addr).to_string()
        }
    }

    fn subnet(
        &self,
        sig: &Signature,
        newbits: i64,
        netnum: i64,
    ) -> std::result::Result<String, Failure> {
        let new_len = i64::from(self.len) + newbits;
        if newbits < 0 || new_len > i64::from(self.bits) {
            return fail(
                sig,
                format!("cannot extend the /{} prefix by {newbits} bits", self.len),
            );
        }
        if newbits >= 64 || netnum < 0 || (netnum as u128) >= (1u128 << newbits) {
            return fail(
                sig,
                format!("netnum {netnum} does not fit in {newbits} bits"),
            );
        }
        let new_len = new_len as u32;
        let addr = self.addr | ((netnum as u128) << (self.bits - new_len));
        Ok(format!("{}/{new_len}", self.show(addr)))
    }

    fn host(&self, sig: &Signature, hostnum: i64) -> std::result::Result<String, Failure> {
        let host_bits = self.bits - self.len;
        let size: u128 = if host_bits >= 128 {
            u128::MAX
        } else {
            1u128 << host_bits
        };
        let index = if hostnum < 0 {
            size.checked_sub(u128::from(hostnum.unsigned_abs()))
        } else {
            Some(hostnum as u128).filter(|n| *n < size)
        };
        match index {
            Some(n) => Ok(self.show(self.addr | n)),
            None => fail(
                sig,
                format!("host {hostnum} is outside the /{} network", self.len),
            ),
        }
    }
}

/// A file of the project: a relative path that stays inside the project's directory.
fn read_project_file(
    sig: &Signature,
    root: &std::path::Path,
    path: &str,
) -> std::result::Result<String, Failure> {
    let relative = std::path::Path::new(path);
    if relative.is_absolute()
        || relative.components().any(|c| {
            !matches!(
                c,
                std::path::Component::Normal(_) | std::path::Component::CurDir
            )
        })
    {
        return fail(
            sig,
            format!("\"{path}\" must be a path inside the project, relative to its directory"),
        );
    }
    let full = root.join(relative);
    match std::fs::metadata(&full) {
        Ok(meta) if meta.is_file() && meta.len() <= 4 * 1024 * 1024 => {}
        Ok(meta) if meta.is_file() => return fail(sig, format!("\"{path}\" is larger than 4 MiB")),
        Ok(_) => return fail(sig, format!("\"{path}\" is not a file")),
        Err(e) => return fail(sig, format!("cannot read \"{path}\": {e}")),
    }
    let canonical_root = root.canonicalize().unwrap_or_else(|_| root.to_path_buf());
    if !full
        .canonicalize()
        .is_ok_and(|c| c.starts_with(&canonical_root))
    {
        return fail(sig, format!("\"{path}\" leads outside the project"));
    }
    std::fs::read_to_string(&full).or_else(|e| fail(sig, format!("cannot read \"{path}\": {e}")))
}

/// Terraform's template syntax limited to what the compiler evaluates: `${name}` of a variable
/// (string, number or bool), and the escapes `$${` and `%%{`; a `%{` directive is an error.
fn render_template(
    sig: &Signature,
    text: &str,
    vars: &BTreeMap<String, Value>,
) -> std::result::Result<String, Failure> {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find(['$', '%']) {
        out.push_str(&rest[..at]);
        rest = &rest[at..];
        if let Some(after) = rest
            .strip_prefix("$${")
            .or_else(|| rest.strip_prefix("%%{"))
        {
            out.push_str(&rest[..1]);
            out.push('{');
            rest = after;
        } else if let Some(after) = rest.strip_prefix("${") {
            let Some(end) = after.find('}') else {
                return fail(sig, "an interpolation `${` is not closed in the template");
            };
            let name = after[..end].trim();
            let Some(value) = vars.get(name) else {
                let help = crate::diagnostics::did_you_mean(name, vars.keys().map(String::as_str));
                return Err(Failure {
                    message: format!("the template reads `{name}`, which `vars` does not have"),
                    help: help.or_else(|| Some(format!("the signature is `{}`", sig.text))),
                });
            };
            out.push_str(&scalar_text(sig, value)?);
            rest = &after[end + 1..];
        } else if rest.starts_with("%{") {
            return fail(sig, "template directives (`%{ if }`, `%{ for }`) are not evaluated by the compiler; build the text with a `for` expression instead");
        } else {
            out.push_str(&rest[..1]);
            rest = &rest[1..];
        }
    }
    out.push_str(rest);
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn call(name: &str, args: Vec<Value>) -> std::result::Result<Value, String> {
        let sig = signature(name).unwrap();
        check_arity(sig, args.len()).map_err(|f| f.message)?;
        evaluate(sig, &args, &|| std::path::PathBuf::from(".")).map_err(|f| f.message)
    }

    fn s(text: &str) -> Value {
        Value::Str(text.into())
    }

    #[test]
    fn cidr_functions_match_terraform() {
        // Values from Terraform's documentation of each function.
        assert_eq!(
            call(
                "cidrsubnet",
                vec![s("172.16.0.0/12"), Value::Int(4), Value::Int(2)]
            ),
            Ok(s("172.18.0.0/16"))
        );
        assert_eq!(
            call(
                "cidrsubnet",
                vec![s("10.1.2.0/24"), Value::Int(4), Value::Int(15)]
            ),
            Ok(s("10.1.2.240/28"))
        );
        assert_eq!(
            call(
                "cidrsubnet",
                vec![
                    s("fd00:fd12:3456:7890::/56"),
                    Value::Int(16),
                    Value::Int(162)
                ]
            ),
            Ok(s("fd00:fd12:3456:7800:a200::/72"))
        );
        assert_eq!(
            call("cidrhost", vec![s("10.12.112.0/20"), Value::Int(16)]),
            Ok(s("10.12.112.16"))
        );
        assert_eq!(
            call("cidrhost", vec![s("10.12.112.0/20"), Value::Int(268)]),
            Ok(s("10.12.113.12"))
        );
        assert_eq!(
            call("cidrhost", vec![s("10.12.112.0/20"), Value::Int(-1)]),
            Ok(s("10.12.127.255"))
        );
        assert_eq!(
            call("cidrnetmask", vec![s("172.16.0.0/12")]),
            Ok(s("255.240.0.0"))
        );
        assert!(call(
            "cidrsubnet",
            vec![s("10.0.0.0/30"), Value::Int(4), Value::Int(1)]
        )
        .is_err());
        assert!(call(
            "cidrsubnet",
            vec![s("10.0.0.0/16"), Value::Int(2), Value::Int(4)]
        )
        .is_err());
        assert!(call("cidrhost", vec![s("nope"), Value::Int(1)]).is_err());
    }

    #[test]
    fn strings_and_collections_match_terraform() {
        assert_eq!(
            call("format", vec![s("Hello, %s!"), s("Ander")]),
            Ok(s("Hello, Ander!"))
        );
        assert_eq!(
            call("format", vec![s("There are %d lights"), Value::Int(4)]),
            Ok(s("There are 4 lights"))
        );
        assert_eq!(
            call(
                "format",
                vec![
                    s("%03d|%-4s|%.2f|%%|%t"),
                    Value::Int(7),
                    s("ab"),
                    Value::Float(1.23456.into()),
                    Value::Bool(true)
                ]
            ),
            Ok(s("007|ab  |1.23|%|true"))
        );
        assert_eq!(
            call("format", vec![s("%q"), s("a\"b")]),
            Ok(s("\"a\\\"b\""))
        );
        assert!(call("format", vec![s("%s %s"), s("a")]).is_err());
        assert_eq!(
            call("join", vec![s(", "), Value::List(vec![s("foo"), s("bar")])]),
            Ok(s("foo, bar"))
        );
        assert_eq!(
            call("split", vec![s(","), s("foo,bar,baz")]),
            Ok(Value::List(vec![s("foo"), s("bar"), s("baz")]))
        );
        assert_eq!(
            call(
                "substr",
                vec![s("hello world"), Value::Int(1), Value::Int(4)]
            ),
            Ok(s("ello"))
        );
        assert_eq!(
            call("substr", vec![s("🤔🤷"), Value::Int(0), Value::Int(1)]),
            Ok(s("🤔"))
        );
        assert_eq!(
            call(
                "substr",
                vec![s("hello world"), Value::Int(-5), Value::Int(-1)]
            ),
            Ok(s("world"))
        );
        assert_eq!(call("length", vec![s("🤔🤷")]), Ok(Value::Int(2)));
        assert_eq!(
            call("trimprefix", vec![s("helloworld"), s("hello")]),
            Ok(s("world"))
        );
        assert_eq!(
            call("replace", vec![s("1 + 2 + 3"), s("+"), s("-")]),
            Ok(s("1 - 2 - 3"))
        );
        assert_eq!(
            call(
                "flatten",
                vec![Value::List(vec![
                    Value::List(vec![s("a"), Value::List(vec![s("b")])]),
                    s("c")
                ])]
            ),
            Ok(Value::List(vec![s("a"), s("b"), s("c")]))
        );
        assert_eq!(
            call("distinct", vec![Value::List(vec![s("a"), s("b"), s("a")])]),
            Ok(Value::List(vec![s("a"), s("b")]))
        );
        assert_eq!(
            call("range", vec![Value::Int(1), Value::Int(4)]),
            Ok(Value::List(vec![
                Value::Int(1),
                Value::Int(2),
                Value::Int(3)
            ]))
        );
        assert_eq!(
            call("range", vec![Value::Int(0), Value::Int(-3), Value::Int(-1)]),
            Ok(Value::List(vec![
                Value::Int(0),
                Value::Int(-1),
                Value::Int(-2)
            ]))
        );
        assert_eq!(
            call("coalesce", vec![Value::Null, s(""), s("b")]),
            Ok(s("b"))
        );
        assert_eq!(
            call("max", vec![Value::Int(12), Value::Int(54), Value::Int(3)]),
            Ok(Value::Int(54))
        );
        assert_eq!(call("tonumber", vec![s("42")]), Ok(Value::Int(42)));
        assert!(call("tonumber", vec![s("no")]).is_err());
        assert_eq!(
            call("base64encode", vec![s("Hello World")]),
            Ok(s("SGVsbG8gV29ybGQ="))
        );
        assert_eq!(
            call("sha256", vec![s("hello world")]),
            Ok(s(
                "b94d27b9934d3e08a52e52d7da7dabfac484efe37a5380ee9088f7ace2efcde9"
            ))
        );
        let record = Value::Record(
            [
                ("b".to_string(), s("<&>")),
                (
                    "a".to_string(),
                    Value::List(vec![Value::Int(1), Value::Bool(true), Value::Null]),
                ),
            ]
            .into_iter()
            .collect(),
        );
        assert_eq!(
            call("jsonencode", vec![record]),
            Ok(s(r#"{"a":[1,true,null],"b":"\u003c\u0026\u003e"}"#))
        );
        assert_eq!(
            call(
                "zipmap",
                vec![
                    Value::List(vec![s("a"), s("b")]),
                    Value::List(vec![Value::Int(1), Value::Int(2)])
                ]
            ),
            Ok(Value::Record(
                [
                    ("a".to_string(), Value::Int(1)),
                    ("b".to_string(), Value::Int(2))
                ]
                .into_iter()
                .collect()
            ))
        );
        assert!(call("lower", vec![]).is_err(), "arity");
    }

    #[test]
    fn templates_interpolate_variables_only() {
        let sig = signature("templatefile").unwrap();
        let vars: BTreeMap<String, Value> = [
            ("name".to_string(), s("web")),
            ("port".to_string(), Value::Int(80)),
        ]
        .into_iter()
        .collect();
        assert_eq!(
            render_template(sig, "${name}:${ port } $${x} 5%", &vars).unwrap(),
            "web:80 ${x} 5%"
        );
        assert!(render_template(sig, "${nope}", &vars).is_err());
        assert!(render_template(sig, "%{ if true }x%{ endif }", &vars).is_err());
    }
}
