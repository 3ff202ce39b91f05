//! The type model: types resolved from type expressions, and checks of values against them.

use std::collections::BTreeMap;
use std::fmt;

use rustc_hash::FxHashSet as HashSet;

use crate::db::{Db, SourceFile};
use crate::diagnostics::{did_you_mean, Diagnostic, E0105, E0204, E0407};
use crate::project::ProjectIndex;
use crate::syntax::{
    Constraint, ConstraintAtom, Expr, ItemKind, Number, TypeExpr, TypeExprKind, MAX_NESTING,
};
use crate::value::Value;

/// The names of the built-in types.
pub const BUILTIN_TYPES: &[&str] = &[
    "string", "int", "float", "bool", "enum", "list", "map", "secret", "any",
];

/// A built-in string pattern, `string(cidr)`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Pattern {
    Cidr,
    Ipv4,
    Region,
    Az,
    Dns,
    Arn,
}

impl Pattern {
    const ALL: &'static [(&'static str, Pattern)] = &[
        ("cidr", Pattern::Cidr),
        ("ipv4", Pattern::Ipv4),
        ("region", Pattern::Region),
        ("az", Pattern::Az),
        ("dns", Pattern::Dns),
        ("arn", Pattern::Arn),
    ];

    pub fn name(self) -> &'static str {
        Self::ALL
            .iter()
            .find(|(_, p)| *p == self)
            .map_or("?", |(n, _)| n)
    }

    pub fn matches(self, text: &str) -> bool {
        match self {
            Pattern::Cidr => parse_cidr(text).is_some(),
            Pattern::Ipv4 => parse_ipv4(text).is_some(),
            Pattern::Region => is_region(text),
            Pattern::Az => {
                text.len() > 1
                    && is_region(&text[..text.len() - 1])
                    && text.ends_with(|c: char| c.is_ascii_lowercase())
            }
            Pattern::Dns => {
                !text.is_empty()
                    && text.len() <= 253
                    && text.split('.').all(|label| {
                        !label.is_empty()
                            && label.len() <= 63
                            && !label.starts_with('-')
                            && !label.ends_with('-')
                            && label
                                .chars()
                                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '*')
                    })
            }
            Pattern::Arn => text.starts_with("arn:") && text.split(':').count() >= 6,
        }
    }

    pub fn example(self) -> &'static str {
        match self {
            Pattern::Cidr => "\"10.0.0.0/16\"",
            Pattern::Ipv4 => "\"10.0.0.1\"",
            Pattern::Region => "\"eu-west-1\"",
            Pattern::Az => "\"eu-west-1a\"",
            Pattern::Dns => "\"app.example.com\"",
            Pattern::Arn => "\"arn:aws:iam::123456789012:role/x\"",
        }
    }
}

/// `a.b.c.d` as four octets.
pub fn parse_ipv4(text: &str) -> Option<[u8; 4]> {
    let mut octets = [0u8; 4];
    let mut parts = text.split('.');
    for octet in &mut octets {
        let part = parts.next()?;
        if part.is_empty()
            || part.len() > 3
            || !part.chars().all(|c| c.is_ascii_digit())
            || (part.len() > 1 && part.starts_with('0'))
        {
            return None;
        }
        *octet = part.parse().ok()?;
    }
    parts.next().is_none().then_some(octets)
}

/// `a.b.c.d/n` as a network address and prefix length; host bits must be zero.
pub fn parse_cidr(text: &str) -> Option<(u32, u8)> {
    let (addr, prefix) = text.split_once('/')?;
    let octets = parse_ipv4(addr)?;
    if prefix.is_empty() || !prefix.chars().all(|c| c.is_ascii_digit()) {
        return None;
    }
    let prefix: u8 = prefix.parse().ok()?;
    if prefix > 32 {
        return None;
    }
    let addr = u32::from_be_bytes(octets);
    let mask = if prefix == 0 {
        0
    } else {
        u32::MAX << (32 - prefix)
    };
    (addr & !mask == 0).then_some((addr, prefix))
}

/// Whether CIDR `inner` lies inside CIDR `outer`.
pub fn cidr_within(inner: &str, outer: &str) -> bool {
    match (parse_cidr(inner), parse_cidr(outer)) {
        (Some((inner_addr, inner_len)), Some((outer_addr, outer_len))) => {
            let mask = if outer_len == 0 {
                0
            } else {
                u32::MAX << (32 - outer_len)
            };
            inner_len >= outer_len && inner_addr & mask == outer_addr
        }
        _ => false,
    }
}

fn is_region(text: &str) -> bool {
    let parts: Vec<&str> = text.split('-').collect();
    parts.len() >= 3
        && parts[..parts.len() - 1]
            .iter()
            .all(|p| !p.is_empty() && p.chars().all(|c| c.is_ascii_lowercase()))
        && parts[parts.len() - 1].chars().all(|c| c.is_ascii_digit())
        && !parts[parts.len() - 1].is_empty()
}

#[derive(Clone, Debug, PartialEq)]
pub enum NumConstraint {
    None,
    Range(Option<f64>, Option<f64>),
    OneOf(Vec<f64>),
}

impl Eq for NumConstraint {}

impl std::hash::Hash for NumConstraint {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        match self {
            NumConstraint::None => 0u8.hash(state),
            NumConstraint::Range(a, b) => {
                1u8.hash(state);
                a.map(f64::to_bits).hash(state);
                b.map(f64::to_bits).hash(state);
            }
            NumConstraint::OneOf(values) => {
                2u8.hash(state);
                values
                    .iter()
                    .map(|v| v.to_bits())
                    .collect::<Vec<_>>()
                    .hash(state);
            }
        }
    }
}

/// A field of a record type.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Field {
    pub name: String,
    pub ty: Ty,
    /// The default's expression and the file it is written in.
    pub default: Option<(Expr, SourceFile)>,
    pub doc: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Ty {
    Any,
    Bool,
    Str(Option<Pattern>),
    Int(NumConstraint),
    Float(NumConstraint),
    Enum(Vec<String>),
    List(Box<Ty>),
    Map(Box<Ty>),
    Record(Vec<Field>),
    /// A reference to a value stored outside the code (a Secrets Manager secret, an SSM
    /// parameter): only run-time `secret` values satisfy it, never a literal.
    Secret,
    /// A named type, kept for messages and hover.
    Named(String, Box<Ty>),
    /// The type of an expression that already failed; it matches anything, so errors do not cascade.
    Error,
}

impl Ty {
    /// The type behind any names.
    pub fn resolved(&self) -> &Ty {
        match self {
            Ty::Named(_, inner) => inner.resolved(),
            other => other,
        }
    }

    /// Whether a value of this type is or holds a secret, so that Terraform must treat it as
    /// sensitive.
    pub fn contains_secret(&self) -> bool {
        match self.resolved() {
            Ty::Secret => true,
            Ty::List(inner) | Ty::Map(inner) => inner.contains_secret(),
            Ty::Record(fields) => fields.iter().any(|f| f.ty.contains_secret()),
            _ => false,
        }
    }

    /// The type as it is displayed, with the fields of records left out when that is long
    /// (`list<{ ... }>`), for labels.
    pub fn brief(&self) -> String {
        let full = self.to_string();
        if full.len() <= 80 {
            return full;
        }
        match self {
            Ty::List(inner) => format!("list<{}>", inner.brief()),
            Ty::Map(inner) => format!("map<{}>", inner.brief()),
            Ty::Record(_) => "{ ... }".into(),
            Ty::Named(name, _) => name.clone(),
            _ => full,
        }
    }

    /// The Terraform type constraint for a `variable` block.
    pub fn terraform(&self) -> String {
        match self.resolved() {
            Ty::Any | Ty::Error | Ty::Named(..) => "any".into(),
            Ty::Bool => "bool".into(),
            Ty::Str(_) | Ty::Enum(_) | Ty::Secret => "string".into(),
            Ty::Int(_) | Ty::Float(_) => "number".into(),
            Ty::List(inner) => format!("list({})", inner.terraform()),
            Ty::Map(inner) => format!("map({})", inner.terraform()),
            Ty::Record(fields) => {
                let fields: Vec<String> = fields
                    .iter()
                    .map(|f| {
                        let name = crate::literal::object_key(&f.name);
                        let name = hcl::format::to_string(&name).unwrap_or_default();
                        format!("{name} = {}", f.ty.terraform())
                    })
                    .collect();
                format!("object({{ {} }})", fields.join(", "))
            }
        }
    }

    /// Whether a value of type `self` (a run-time value) may be passed where `expected` is wanted.
    pub fn assignable_to(&self, expected: &Ty) -> bool {
        match (self.resolved(), expected.resolved()) {
            (_, Ty::Any) | (Ty::Any, _) | (Ty::Error, _) | (_, Ty::Error) => true,
            (Ty::Bool, Ty::Bool) | (Ty::Secret, Ty::Secret) => true,
            (Ty::Str(_) | Ty::Enum(_), Ty::Str(_) | Ty::Enum(_)) => true,
            (Ty::Int(_), Ty::Int(_) | Ty::Float(_)) | (Ty::Float(_), Ty::Float(_)) => true,
            (Ty::List(a), Ty::List(b)) | (Ty::Map(a), Ty::Map(b)) => a.assignable_to(b),
            (Ty::Record(a), Ty::Record(b)) => b.iter().all(|field| {
                a.iter()
                    .find(|f| f.name == field.name)
                    .map_or(field.default.is_some(), |f| f.ty.assignable_to(&field.ty))
            }),
            _ => false,
        }
    }

    pub fn describe_constraint(&self) -> Option<String> {
        match self.resolved() {
            Ty::Int(NumConstraint::Range(min, max)) | Ty::Float(NumConstraint::Range(min, max)) => {
                Some(format!(
                    "from {} to {}",
                    min.map_or("-∞".into(), fmt_num),
                    max.map_or("∞".into(), fmt_num)
                ))
            }
            Ty::Int(NumConstraint::OneOf(values)) | Ty::Float(NumConstraint::OneOf(values)) => {
                Some(format!(
                    "one of {}",
                    values
                        .iter()
                        .map(|v| fmt_num(*v))
                        .collect::<Vec<_>>()
                        .join(", ")
                ))
            }
            Ty::Enum(values) => Some(format!(
                "one of {}",
                values
                    .iter()
                    .map(|v| format!("\"{v}\""))
                    .collect::<Vec<_>>()
                    .join(", ")
            )),
            Ty::Str(Some(pattern)) => Some(format!(
                "a {} such as {}",
                pattern.name(),
                pattern.example()
            )),
            _ => None,
        }
    }
}

fn fmt_num(n: f64) -> String {
    if n.fract() == 0.0 && n.abs() < 1e15 {
        format!("{}", n as i64)
    } else {
        format!("{n}")
    }
}

impl fmt::Display for Ty {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Ty::Any => write!(f, "any"),
            Ty::Error => write!(f, "{{unknown}}"),
            Ty::Bool => write!(f, "bool"),
            Ty::Secret => write!(f, "secret"),
            Ty::Str(None) => write!(f, "string"),
            Ty::Str(Some(pattern)) => write!(f, "string({})", pattern.name()),
            Ty::Int(c) => write!(f, "int{}", fmt_constraint(c)),
            Ty::Float(c) => write!(f, "float{}", fmt_constraint(c)),
            Ty::Enum(values) => write!(
                f,
                "enum({})",
                values
                    .iter()
                    .map(|v| format!("\"{v}\""))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
            Ty::List(inner) => write!(f, "list<{inner}>"),
            Ty::Map(inner) => write!(f, "map<{inner}>"),
            Ty::Record(fields) => {
                let fields: Vec<String> = fields
                    .iter()
                    .map(|field| {
                        format!(
                            "{}: {}{}",
                            field.name,
                            field.ty,
                            if field.default.is_some() {
                                " = ..."
                            } else {
                                ""
                            }
                        )
                    })
                    .collect();
                write!(f, "{{ {} }}", fields.join(", "))
            }
            Ty::Named(name, _) => write!(f, "{name}"),
        }
    }
}

fn fmt_constraint(c: &NumConstraint) -> String {
    match c {
        NumConstraint::None => String::new(),
        NumConstraint::Range(min, max) => format!(
            "({}..{})",
            min.map(fmt_num).unwrap_or_default(),
            max.map(fmt_num).unwrap_or_default()
        ),
        NumConstraint::OneOf(values) => format!(
            "({})",
            values
                .iter()
                .map(|v| fmt_num(*v))
                .collect::<Vec<_>>()
                .join(", ")
        ),
    }
}

/// Resolves type expressions against the project's `type` items.
pub struct TypeResolver<'a> {
    pub db: &'a dyn Db,
    pub index: &'a ProjectIndex,
    /// The type names being resolved, to report a definition in terms of itself.
    stack: HashSet<String>,
    /// How many type expressions are being resolved inside each other, through aliases too:
    /// the depth of the type being built, held under `MAX_NESTING`.
    depth: usize,
}

impl<'a> TypeResolver<'a> {
    pub fn new(db: &'a dyn Db, index: &'a ProjectIndex) -> Self {
        Self {
            db,
            index,
            stack: HashSet::default(),
            depth: 0,
        }
    }

    /// Resolves the definition of `type NAME = expr`, so that a definition that refers to
    /// itself is reported.
    pub fn resolve_definition(
        &mut self,
        name: &str,
        file: SourceFile,
        expr: &TypeExpr,
        diagnostics: &mut Vec<Diagnostic>,
    ) -> Ty {
        let added = self.stack.insert(name.to_string());
        let ty = self.resolve(file, expr, diagnostics);
        if added {
            self.stack.remove(name);
        }
        ty
    }

    pub fn resolve(
        &mut self,
        file: SourceFile,
        expr: &TypeExpr,
        diagnostics: &mut Vec<Diagnostic>,
    ) -> Ty {
        if self.depth >= MAX_NESTING {
            diagnostics.push(
                // Diagnostic: E0105 nesting-too-deep
                Diagnostic::error(
                    E0105,
                    file,
                    expr.range,
                    format!(
                        "nesting too deep: this type is more than {MAX_NESTING} levels of types and type aliases deep"
                    ),
                )
                .with_label("too deep here")
                .with_help("define the type with fewer levels of aliases and nested types"),
            );
            return Ty::Error;
        }
        self.depth += 1;
        let ty = self.resolve_nested(file, expr, diagnostics);
        self.depth -= 1;
        ty
    }

    /// One type expression; every recursion goes back through `resolve`, which holds the depth.
    fn resolve_nested(
        &mut self,
        file: SourceFile,
        expr: &TypeExpr,
        diagnostics: &mut Vec<Diagnostic>,
    ) -> Ty {
        match &expr.kind {
            TypeExprKind::Record(fields) => Ty::Record(
                fields
                    .iter()
                    .map(|field| Field {
                        name: field.name.name.clone(),
                        ty: self.resolve(file, &field.ty, diagnostics),
                        default: field.default.clone().map(|d| (d, file)),
                        doc: field.doc.clone(),
                    })
                    .collect(),
            ),
            TypeExprKind::Named {
                name,
                args,
                constraint,
            } => self.resolve_named(file, expr, name, args, constraint.as_ref(), diagnostics),
        }
    }

    /// `name<args>(constraint)`: a builtin type, or a `type` item of the project.
    fn resolve_named(
        &mut self,
        file: SourceFile,
        expr: &TypeExpr,
        name: &crate::syntax::Ident,
        args: &[TypeExpr],
        constraint: Option<&Constraint>,
        diagnostics: &mut Vec<Diagnostic>,
    ) -> Ty {
        match name.name.as_str() {
            "any" => {
                no_constraint(file, name, constraint, diagnostics);
                Ty::Any
            }
            "bool" => {
                no_constraint(file, name, constraint, diagnostics);
                Ty::Bool
            }
            "secret" => {
                no_constraint(file, name, constraint, diagnostics);
                Ty::Secret
            }
            "string" => string_type(file, constraint, diagnostics),
            "int" => Ty::Int(num_constraint(file, constraint, diagnostics)),
            "float" => Ty::Float(num_constraint(file, constraint, diagnostics)),
            "enum" => match constraint {
                Some(Constraint::List(atoms, range)) => enum_type(file, atoms, *range, diagnostics),
                _ => invalid_constraint(
                    file,
                    expr.range,
                    "a list of strings: enum(\"a\", \"b\")",
                    diagnostics,
                ),
            },
            "list" | "map" => {
                no_constraint(file, name, constraint, diagnostics);
                if args.len() != 1 {
                    diagnostics.push(
                        // Diagnostic: E0407 invalid-type
                        Diagnostic::error(
                            E0407,
                            file,
                            expr.range,
                            format!(
                                "`{}` takes 1 type argument(s), found {}",
                                name.name,
                                args.len()
                            ),
                        )
                        .with_label("wrong number of type arguments"),
                    );
                    return Ty::Error;
                }
                let inner = Box::new(self.resolve(file, &args[0], diagnostics));
                if name.name == "list" {
                    Ty::List(inner)
                } else {
                    Ty::Map(inner)
                }
            }
            other => self.named(file, name, other, diagnostics),
        }
    }

    fn named(
        &mut self,
        file: SourceFile,
        name: &crate::syntax::Ident,
        other: &str,
        diagnostics: &mut Vec<Diagnostic>,
    ) -> Ty {
        let Some(item_ref) = self.index.types.get(other) else {
            let candidates: Vec<&str> = self
                .index
                .types
                .keys()
                .map(String::as_str)
                .chain(BUILTIN_TYPES.iter().copied())
                .collect();
            diagnostics.push(
                // Diagnostic: E0204 unknown-type
                Diagnostic::error(E0204, file, name.range, format!("unknown type `{other}`"))
                    .with_label("not a type")
                    .with_help_opt(did_you_mean(other, candidates)),
            );
            return Ty::Error;
        };
        if self.stack.contains(other) {
            diagnostics.push(
                // Diagnostic: E0407 invalid-type
                Diagnostic::error(
                    E0407,
                    file,
                    name.range,
                    format!("type `{other}` is defined in terms of itself"),
                )
                .with_label("recursive type"),
            );
            return Ty::Error;
        }
        let item = item_ref.item(self.db);
        let ItemKind::Type(def) = &item.kind else {
            return Ty::Error;
        };
        self.stack.insert(other.to_string());
        // Errors inside the definition are reported where the type is defined, once.
        // Errors inside the definition surface wherever it is used; callers sort and deduplicate.
        let inner = self.resolve(item_ref.file, &def.ty, diagnostics);
        self.stack.remove(other);
        Ty::Named(other.to_string(), Box::new(inner))
    }
}

fn constraint_range(c: &Constraint) -> crate::source::TextRange {
    match c {
        Constraint::Range { range, .. } | Constraint::List(_, range) => *range,
    }
}

fn invalid_constraint(
    file: SourceFile,
    range: crate::source::TextRange,
    wanted: &str,
    diagnostics: &mut Vec<Diagnostic>,
) -> Ty {
    diagnostics.push(
        // Diagnostic: E0407 invalid-type
        Diagnostic::error(
            E0407,
            file,
            range,
            format!("invalid constraint: expected {wanted}"),
        )
        .with_label("invalid constraint"),
    );
    Ty::Error
}

/// Reports the constraint of a type that takes none.
fn no_constraint(
    file: SourceFile,
    name: &crate::syntax::Ident,
    constraint: Option<&Constraint>,
    diagnostics: &mut Vec<Diagnostic>,
) {
    if let Some(c) = constraint {
        diagnostics.push(
            // Diagnostic: E0407 invalid-type
            Diagnostic::error(
                E0407,
                file,
                constraint_range(c),
                format!("`{}` takes no constraint", name.name),
            )
            .with_label("not allowed here"),
        );
    }
}

/// `string`, `string(PATTERN)`, or `string("a", "b")` (an enum).
fn string_type(
    file: SourceFile,
    constraint: Option<&Constraint>,
    diagnostics: &mut Vec<Diagnostic>,
) -> Ty {
    match constraint {
        None => Ty::Str(None),
        Some(Constraint::List(atoms, range)) if atoms.len() == 1 => match &atoms[0] {
            ConstraintAtom::Ident(ident) => string_pattern(file, ident, diagnostics),
            ConstraintAtom::Str(text, _) => Ty::Enum(vec![text.clone()]),
            ConstraintAtom::Number(_, _) => {
                invalid_constraint(file, *range, "a string pattern", diagnostics)
            }
        },
        Some(Constraint::List(atoms, range)) => enum_type(file, atoms, *range, diagnostics),
        Some(c) => invalid_constraint(
            file,
            constraint_range(c),
            "a string pattern such as `cidr`",
            diagnostics,
        ),
    }
}

/// `string(PATTERN)`: a string checked against a named pattern.
fn string_pattern(
    file: SourceFile,
    ident: &crate::syntax::Ident,
    diagnostics: &mut Vec<Diagnostic>,
) -> Ty {
    match Pattern::ALL.iter().find(|(n, _)| *n == ident.name) {
        Some((_, pattern)) => Ty::Str(Some(*pattern)),
        None => {
            let names = Pattern::ALL.iter().map(|(n, _)| *n);
            diagnostics.push(
                // Diagnostic: E0407 invalid-type
                Diagnostic::error(
                    E0407,
                    file,
                    ident.range,
                    format!("unknown string pattern `{}`", ident.name),
                )
                .with_label("not a pattern")
                .with_help(did_you_mean(&ident.name, names).unwrap_or_else(|| {
                    "the patterns are cidr, ipv4, region, az, dns and arn".into()
                })),
            );
            Ty::Error
        }
    }
}

/// One of the listed strings; any atom that is not a string is an invalid constraint.
fn enum_type(
    file: SourceFile,
    atoms: &[ConstraintAtom],
    range: crate::source::TextRange,
    diagnostics: &mut Vec<Diagnostic>,
) -> Ty {
    let values: Option<Vec<String>> = atoms
        .iter()
        .map(|a| match a {
            ConstraintAtom::Str(s, _) => Some(s.clone()),
            _ => None,
        })
        .collect();
    values.map_or_else(
        || invalid_constraint(file, range, "strings", diagnostics),
        Ty::Enum,
    )
}

/// The constraint of `int` or `float`: a range `a..b` or a list of numbers.
fn num_constraint(
    file: SourceFile,
    constraint: Option<&Constraint>,
    diagnostics: &mut Vec<Diagnostic>,
) -> NumConstraint {
    match constraint {
        None => NumConstraint::None,
        Some(Constraint::Range { min, max, range }) => {
            if let (Some(a), Some(b)) = (min, max) {
                if a.as_f64() > b.as_f64() {
                    invalid_constraint(
                        file,
                        *range,
                        "a range whose start is not above its end",
                        diagnostics,
                    );
                }
            }
            NumConstraint::Range(min.map(Number::as_f64), max.map(Number::as_f64))
        }
        Some(Constraint::List(atoms, range)) => {
            let values: Option<Vec<f64>> = atoms
                .iter()
                .map(|a| match a {
                    ConstraintAtom::Number(n, _) => Some(n.as_f64()),
                    _ => None,
                })
                .collect();
            match values {
                Some(values) => NumConstraint::OneOf(values),
                None => {
                    invalid_constraint(file, *range, "numbers", diagnostics);
                    NumConstraint::None
                }
            }
        }
    }
}

/// Why a value does not fit a type: a message, a path inside the value, and a hint.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TypeError {
    pub code: crate::diagnostics::Code,
    pub path: Vec<String>,
    pub message: String,
    pub help: Option<String>,
}

/// Checks a compile-time value against a type and returns it with record defaults filled in
/// and ints widened to floats. Run-time values are checked by their declared type.
pub fn coerce(
    value: Value,
    ty: &Ty,
    defaults: &mut dyn FnMut(&Field) -> Option<Value>,
) -> Result<Value, TypeError> {
    if let Value::Rt(_, rt_ty) = &value {
        return coerce_runtime(rt_ty, ty).map(|()| value);
    }
    match (ty.resolved(), value) {
        (Ty::Any | Ty::Error, value) => Ok(value),
        (_, Value::Null) => Ok(Value::Null),
        (Ty::List(inner), Value::List(items)) => coerce_list(items, inner, defaults),
        (Ty::Map(inner), Value::Record(entries)) => coerce_map(entries, inner, defaults),
        (Ty::Record(fields), Value::Record(entries)) => coerce_record(entries, fields, defaults),
        (_, value) => coerce_scalar(value, ty),
    }
}

/// `expected TY, found FOUND`.
fn mismatch(ty: &Ty, found: String) -> TypeError {
    TypeError {
        code: crate::diagnostics::E0401,
        path: Vec::new(),
        message: format!("expected {ty}, found {found}"),
        help: None,
    }
}

/// A number outside the constraint of `ty`.
fn out_of(ty: &Ty, shown: String) -> TypeError {
    TypeError {
        code: crate::diagnostics::E0404,
        path: Vec::new(),
        message: format!(
            "{shown} is not {}",
            ty.describe_constraint()
                .unwrap_or_else(|| format!("a {ty}"))
        ),
        help: None,
    }
}

/// A run-time value fits by its declared type `rt_ty`; a secret says where it may go.
fn coerce_runtime(rt_ty: &Ty, ty: &Ty) -> Result<(), TypeError> {
    if rt_ty.assignable_to(ty) {
        Ok(())
    } else if matches!(rt_ty.resolved(), Ty::Secret) {
        Err(TypeError {
            help: Some(format!(
                "a secret only flows into inputs and outputs declared `secret`, so that it stays \
                 marked sensitive; declare this one `secret` instead of {ty}"
            )),
            ..mismatch(ty, format!("a run-time {rt_ty}"))
        })
    } else {
        Err(mismatch(ty, format!("a run-time {rt_ty}")))
    }
}

/// A compile-time value that is not a collection against `ty` (or a collection against a
/// type that is not its own, a mismatch).
fn coerce_scalar(value: Value, ty: &Ty) -> Result<Value, TypeError> {
    use crate::diagnostics::{E0404, E0408};
    match (ty.resolved(), &value) {
        (Ty::Secret, Value::Str(_) | Value::Template(_)) => Err(TypeError {
            code: E0408,
            path: Vec::new(),
            message: "a secret cannot be written in the code".into(),
            help: Some(
                "reference a stored secret instead: the `value_from` output of a `secret` or \
                 `ssm_parameter` instance, or a database's `master_user_secret_arn`"
                    .into(),
            ),
        }),
        (Ty::Bool, Value::Bool(_)) => Ok(value),
        (Ty::Str(pattern), Value::Str(text)) => match pattern {
            Some(p) if !p.matches(text) => Err(TypeError {
                code: E0404,
                path: Vec::new(),
                message: format!("\"{text}\" is not a valid {}", p.name()),
                help: Some(format!("expected a {} such as {}", p.name(), p.example())),
            }),
            _ => Ok(value),
        },
        (Ty::Str(_), Value::Template(_)) => Ok(value),
        (Ty::Enum(values), Value::Str(text)) => {
            if values.contains(text) {
                Ok(value)
            } else {
                Err(TypeError {
                    code: E0404,
                    path: Vec::new(),
                    message: format!(
                        "\"{text}\" is not {}",
                        ty.describe_constraint().unwrap_or_default()
                    ),
                    help: did_you_mean(text, values.iter().map(String::as_str))
                        .map(|h| h.replace('`', "\"")),
                })
            }
        }
        (Ty::Int(c), &Value::Int(n)) => {
            if check_num(c, n as f64) {
                Ok(value)
            } else {
                Err(out_of(ty, n.to_string()))
            }
        }
        (Ty::Float(c), Value::Int(n)) => check_num(c, *n as f64)
            .then(|| Value::Float((*n as f64).into()))
            .ok_or_else(|| out_of(ty, n.to_string())),
        (Ty::Float(c), Value::Float(f)) => {
            let f = f.0;
            if check_num(c, f) {
                Ok(value)
            } else {
                Err(out_of(ty, f.to_string()))
            }
        }
        (_, found) => Err(mismatch(ty, found.describe())),
    }
}

/// Each item of a list against the element type; an error's path starts with `[INDEX]`.
fn coerce_list(
    items: Vec<Value>,
    inner: &Ty,
    defaults: &mut dyn FnMut(&Field) -> Option<Value>,
) -> Result<Value, TypeError> {
    let mut out = Vec::with_capacity(items.len());
    for (idx, item) in items.into_iter().enumerate() {
        out.push(coerce(item, inner, defaults).map_err(|mut e| {
            e.path.insert(0, format!("[{idx}]"));
            e
        })?);
    }
    Ok(Value::List(out))
}

/// Each value of a map against the element type; an error's path starts with the key.
fn coerce_map(
    mut entries: BTreeMap<String, Value>,
    inner: &Ty,
    defaults: &mut dyn FnMut(&Field) -> Option<Value>,
) -> Result<Value, TypeError> {
    // In place: the keys stay, each value is replaced by its checked self.
    for (key, item) in entries.iter_mut() {
        let value = std::mem::replace(item, Value::Null);
        *item = coerce(value, inner, defaults).map_err(|mut e| {
            e.path.insert(0, key.clone());
            e
        })?;
    }
    Ok(Value::Record(entries))
}

/// A record against its fields: no unknown key, every field set or defaulted, each checked.
fn coerce_record(
    mut entries: BTreeMap<String, Value>,
    fields: &[Field],
    defaults: &mut dyn FnMut(&Field) -> Option<Value>,
) -> Result<Value, TypeError> {
    use crate::diagnostics::{E0402, E0403};
    for key in entries.keys() {
        if !fields.iter().any(|f| &f.name == key) {
            return Err(TypeError {
                code: E0402,
                path: vec![key.clone()],
                message: format!("unknown field `{key}`"),
                help: did_you_mean(key, fields.iter().map(|f| f.name.as_str())),
            });
        }
    }
    let mut out = BTreeMap::new();
    for field in fields {
        let item = match entries.remove(&field.name) {
            Some(item) => item,
            None => match defaults(field) {
                Some(default) => default,
                None => {
                    return Err(TypeError {
                        code: E0403,
                        path: Vec::new(),
                        message: format!("missing field `{}` of type {}", field.name, field.ty),
                        help: Some(format!("add `{} = ...`", field.name)),
                    })
                }
            },
        };
        out.insert(
            field.name.clone(),
            coerce(item, &field.ty, defaults).map_err(|mut e| {
                e.path.insert(0, field.name.clone());
                e
            })?,
        );
    }
    Ok(Value::Record(out))
}

fn check_num(c: &NumConstraint, n: f64) -> bool {
    match c {
        NumConstraint::None => true,
        NumConstraint::Range(min, max) => min.is_none_or(|m| n >= m) && max.is_none_or(|m| n <= m),
        NumConstraint::OneOf(values) => values.contains(&n),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cidr_checks() {
        assert!(Pattern::Cidr.matches("10.20.0.0/16"));
        assert!(!Pattern::Cidr.matches("10.20.0.1/16"));
        assert!(!Pattern::Cidr.matches("10.300.0.0/16"));
        assert!(cidr_within("10.20.4.0/24", "10.20.0.0/16"));
        assert!(!cidr_within("10.21.0.0/24", "10.20.0.0/16"));
        assert!(Pattern::Region.matches("eu-west-1"));
        assert!(Pattern::Region.matches("us-gov-west-1"));
        assert!(!Pattern::Region.matches("europe"));
    }
}
