//! The syntax tree of one `.infra` file: items, entries, types and expressions with their spans.

use std::sync::Arc;

use crate::source::TextRange;

/// A name with its span.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Ident {
    pub name: String,
    pub range: TextRange,
}

/// A float literal compared by its bits, so that trees are `Eq`.
#[derive(Clone, Copy, Debug)]
pub struct Float(pub f64);

impl PartialEq for Float {
    fn eq(&self, other: &Self) -> bool {
        self.0.to_bits() == other.0.to_bits()
    }
}

impl Eq for Float {}

impl std::hash::Hash for Float {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.0.to_bits().hash(state);
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Item {
    pub kind: ItemKind,
    /// The whole item, doc comments included.
    pub range: TextRange,
    pub doc: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum ItemKind {
    Project(Project),
    Type(TypeDef),
    Param(Param),
    Module(ModuleDef),
    Layer(Layer),
    Env(Env),
    Policy(Policy),
    /// An item that did not parse; a diagnostic was already reported for it.
    Error(ErrorItem),
}

impl Item {
    /// The item's keyword, for symbols and messages.
    pub fn keyword(&self) -> &'static str {
        match &self.kind {
            ItemKind::Project(_) => "project",
            ItemKind::Type(_) => "type",
            ItemKind::Param(_) => "param",
            ItemKind::Module(_) => "module",
            ItemKind::Layer(_) => "layer",
            ItemKind::Env(_) => "env",
            ItemKind::Policy(_) => "policy",
            ItemKind::Error(error) => error.keyword.unwrap_or("item"),
        }
    }

    pub fn name(&self) -> Option<&Ident> {
        match &self.kind {
            ItemKind::Project(it) => Some(&it.name),
            ItemKind::Type(it) => Some(&it.name),
            ItemKind::Param(it) => Some(&it.name),
            ItemKind::Module(it) => Some(&it.name),
            ItemKind::Layer(it) => Some(&it.name),
            ItemKind::Env(it) => Some(&it.name),
            ItemKind::Policy(it) => Some(&it.name),
            ItemKind::Error(it) => it.name.as_ref(),
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct ErrorItem {
    pub keyword: Option<&'static str>,
    pub name: Option<Ident>,
}

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Project {
    pub name: Ident,
    pub body: Block,
}

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct TypeDef {
    pub name: Ident,
    pub ty: TypeExpr,
}

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Param {
    pub name: Ident,
    pub ty: TypeExpr,
    pub default: Option<Expr>,
    /// `let NAME = EXPR`: a named value, typed by its value (`any`), that environments may
    /// override like a parameter.
    pub is_let: bool,
}

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct ModuleDef {
    pub name: Ident,
    pub source: Option<(String, TextRange)>,
    /// `version = "..."`: the version constraint of a registry module.
    pub version: Option<(String, TextRange)>,
    pub inputs: Vec<InputDecl>,
    pub outputs: Vec<OutputDecl>,
}

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct InputDecl {
    pub name: Ident,
    pub is_const: bool,
    pub ty: TypeExpr,
    pub default: Option<Expr>,
    pub doc: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct OutputDecl {
    pub name: Ident,
    pub ty: TypeExpr,
    pub doc: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Layer {
    /// `shared layer NAME`: the keyword's range. One root module and one state for every
    /// environment, evaluated without an environment.
    pub shared: Option<TextRange>,
    pub name: Ident,
    pub repeat: Option<LayerRepeat>,
    /// `layer monitoring if env == "pro" { ... }`: the layer exists where the condition holds.
    pub condition: Option<Expr>,
    pub instances: Vec<Instance>,
    pub outputs: Vec<LayerOutput>,
    /// `let NAME = EXPR` inside the layer.
    pub lets: Vec<LayerLet>,
}

/// `let NAME = EXPR` inside a layer: a named value of the layer's scope.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct LayerLet {
    pub name: Ident,
    pub value: Expr,
    pub doc: Option<String>,
}

/// `s3_bucket data(name) for buckets`, `postgres db(key, spec) for clients`.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct InstanceRepeat {
    pub key: Ident,
    pub value: Option<Ident>,
    pub over: Expr,
}

/// `layer client(name, spec) for clients`.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct LayerRepeat {
    pub key: Ident,
    pub value: Option<Ident>,
    pub over: Ident,
}

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Instance {
    /// `data KIND NAME { ... }`: the keyword's range; the instance reads a provider's data source.
    pub data: Option<TextRange>,
    pub kind: Ident,
    pub name: Ident,
    /// `(key[, value]) for COLLECTION`: one instance per key or item.
    pub repeat: Option<InstanceRepeat>,
    /// `if COND`: the instance exists where the condition holds.
    pub condition: Option<Expr>,
    pub body: Block,
    pub doc: Option<String>,
    pub range: TextRange,
}

impl Instance {
    /// The kind as the compiler keys it: `data.KIND` for a data source, else `KIND`.
    pub fn kind_name(&self) -> std::borrow::Cow<'_, str> {
        match self.data {
            Some(_) => format!("data.{}", self.kind.name).into(),
            None => self.kind.name.as_str().into(),
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct LayerOutput {
    pub name: Ident,
    pub ty: TypeExpr,
    pub value: Expr,
    pub doc: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Env {
    pub name: Ident,
    pub extends: Option<Ident>,
    pub body: Block,
}

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Policy {
    pub name: Ident,
    pub across: bool,
    pub envs: Vec<Ident>,
    pub rules: Vec<Rule>,
}

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Rule {
    pub expr: Expr,
    pub message: Option<String>,
    pub range: TextRange,
}

/// `{ path = value, ... }`.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Block {
    pub entries: Vec<Entry>,
    pub range: TextRange,
}

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Entry {
    pub path: Vec<Ident>,
    pub append: bool,
    /// Shared, so that the merged configuration refers to it instead of copying it.
    pub value: Arc<Expr>,
    pub range: TextRange,
    pub doc: Option<String>,
}

impl Entry {
    pub fn path_range(&self) -> TextRange {
        let first = self.path.first().map_or(self.range, |seg| seg.range);
        let last = self.path.last().map_or(self.range, |seg| seg.range);
        first.cover(last)
    }

    pub fn dotted(&self) -> String {
        self.path
            .iter()
            .map(|seg| seg.name.as_str())
            .collect::<Vec<_>>()
            .join(".")
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct TypeExpr {
    pub kind: TypeExprKind,
    pub range: TextRange,
}

impl TypeExpr {
    /// `any` at `range`: the type of a `let`.
    pub fn any(range: TextRange) -> TypeExpr {
        TypeExpr {
            kind: TypeExprKind::Named {
                name: Ident {
                    name: "any".into(),
                    range,
                },
                args: Vec::new(),
                constraint: None,
            },
            range,
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum TypeExprKind {
    /// `name<args>(constraint)`.
    Named {
        name: Ident,
        args: Vec<TypeExpr>,
        constraint: Option<Constraint>,
    },
    Record(Vec<FieldType>),
}

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Constraint {
    Range {
        min: Option<Number>,
        max: Option<Number>,
        range: TextRange,
    },
    List(Vec<ConstraintAtom>, TextRange),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Number {
    Int(i64),
    Float(Float),
}

impl Number {
    pub fn as_f64(self) -> f64 {
        match self {
            Number::Int(n) => n as f64,
            Number::Float(f) => f.0,
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum ConstraintAtom {
    Number(Number, TextRange),
    Str(String, TextRange),
    Ident(Ident),
}

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct FieldType {
    pub name: Ident,
    pub ty: TypeExpr,
    pub default: Option<Expr>,
    pub doc: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Expr {
    pub kind: ExprKind,
    pub range: TextRange,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum BinOp {
    Or,
    And,
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
    Add,
    Sub,
    Mul,
    Div,
}

impl BinOp {
    pub fn symbol(self) -> &'static str {
        match self {
            BinOp::Or => "||",
            BinOp::And => "&&",
            BinOp::Eq => "==",
            BinOp::Ne => "!=",
            BinOp::Lt => "<",
            BinOp::Le => "<=",
            BinOp::Gt => ">",
            BinOp::Ge => ">=",
            BinOp::Add => "+",
            BinOp::Sub => "-",
            BinOp::Mul => "*",
            BinOp::Div => "/",
        }
    }

    fn precedence(self) -> u8 {
        match self {
            BinOp::Or => 1,
            BinOp::And => 2,
            BinOp::Eq | BinOp::Ne => 3,
            BinOp::Lt | BinOp::Le | BinOp::Gt | BinOp::Ge => 4,
            BinOp::Add | BinOp::Sub => 5,
            BinOp::Mul | BinOp::Div => 6,
        }
    }

    pub(crate) fn binds_tighter_or_equal(self, other: BinOp) -> bool {
        self.precedence() >= other.precedence()
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum UnaryOp {
    Neg,
    Not,
}

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum StrPart {
    Text(String),
    Interp(Expr),
}

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct RecordEntry {
    pub key: Ident,
    /// Shared, so that the merged configuration refers to it instead of copying it.
    pub value: Arc<Expr>,
}

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum ExprKind {
    Str(Vec<StrPart>),
    Int(i64),
    Float(Float),
    Bool(bool),
    Null,
    List(Vec<Expr>),
    Record(Vec<RecordEntry>),
    /// `a.b.c`; a segment may be `*` in policy paths.
    Ref(Vec<Ident>),
    Index(Box<Expr>, Box<Expr>),
    Unary(UnaryOp, Box<Expr>),
    Binary(BinOp, Box<Expr>, Box<Expr>),
    Cond(Box<Expr>, Box<Expr>, Box<Expr>),
    /// `expr.name` after an index: `data["logs"].arn` (boxed, as every larger variant is, so
    /// that an `Expr` stays 40 bytes).
    Attr(Box<Expr>, Box<Ident>),
    /// `name(args)`: a function.
    Call(Box<Call>),
    /// `[for k, v in coll: value if cond]` and `{for k, v in coll: key => value if cond}`.
    For(Box<ForExpr>),
    /// A value that is missing after `=`; a diagnostic was already reported.
    Missing,
}

/// `name(args)`.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Call {
    pub name: Ident,
    pub args: Vec<Expr>,
}

/// A comprehension: `[for ...]` when `key` is `None`, `{for ... : key => value}` otherwise.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct ForExpr {
    /// The key (or index) variable of `for k, v in`, `None` for `for v in`.
    pub key_var: Option<Ident>,
    pub value_var: Ident,
    pub collection: Expr,
    /// The key expression of a record comprehension.
    pub key: Option<Expr>,
    pub value: Expr,
    pub condition: Option<Expr>,
}

impl Expr {
    /// The literal text of a string without interpolation.
    pub fn as_plain_str(&self) -> Option<String> {
        match &self.kind {
            ExprKind::Str(parts) => {
                let mut text = String::new();
                for part in parts {
                    match part {
                        StrPart::Text(t) => text.push_str(t),
                        StrPart::Interp(_) => return None,
                    }
                }
                Some(text)
            }
            _ => None,
        }
    }
}

impl From<f64> for Float {
    fn from(value: f64) -> Self {
        Float(value)
    }
}

/// Moving every span of a tree by the same amount: the layer evaluation works on copies of its
/// syntax placed at a fixed offset, so that an edit that only moves an item does not change them
/// (see `model::layer_eval`).
pub trait MoveBy {
    /// Adds `delta` (modulo 2^32) to every offset.
    fn move_by(&mut self, delta: u32);
}

impl MoveBy for TextRange {
    fn move_by(&mut self, delta: u32) {
        self.start = self.start.wrapping_add(delta);
        self.end = self.end.wrapping_add(delta);
    }
}

impl<T: MoveBy> MoveBy for Vec<T> {
    fn move_by(&mut self, delta: u32) {
        for item in self {
            item.move_by(delta);
        }
    }
}

impl<T: MoveBy> MoveBy for Option<T> {
    fn move_by(&mut self, delta: u32) {
        if let Some(item) = self {
            item.move_by(delta);
        }
    }
}

impl<T: MoveBy> MoveBy for Box<T> {
    fn move_by(&mut self, delta: u32) {
        (**self).move_by(delta);
    }
}

impl<T: MoveBy + Clone> MoveBy for Arc<T> {
    fn move_by(&mut self, delta: u32) {
        Arc::make_mut(self).move_by(delta);
    }
}

impl MoveBy for Ident {
    fn move_by(&mut self, delta: u32) {
        self.range.move_by(delta);
    }
}

impl MoveBy for Item {
    fn move_by(&mut self, delta: u32) {
        self.range.move_by(delta);
        match &mut self.kind {
            ItemKind::Project(p) => {
                p.name.move_by(delta);
                p.body.move_by(delta);
            }
            ItemKind::Type(t) => {
                t.name.move_by(delta);
                t.ty.move_by(delta);
            }
            ItemKind::Param(p) => {
                p.name.move_by(delta);
                p.ty.move_by(delta);
                p.default.move_by(delta);
            }
            ItemKind::Module(m) => {
                m.name.move_by(delta);
                if let Some((_, range)) = &mut m.source {
                    range.move_by(delta);
                }
                for input in &mut m.inputs {
                    input.name.move_by(delta);
                    input.ty.move_by(delta);
                    input.default.move_by(delta);
                }
                for output in &mut m.outputs {
                    output.name.move_by(delta);
                    output.ty.move_by(delta);
                }
            }
            ItemKind::Layer(l) => {
                l.name.move_by(delta);
                if let Some(repeat) = &mut l.repeat {
                    repeat.key.move_by(delta);
                    repeat.value.move_by(delta);
                    repeat.over.move_by(delta);
                }
                l.condition.move_by(delta);
                for instance in &mut l.instances {
                    instance.kind.move_by(delta);
                    instance.name.move_by(delta);
                    if let Some(repeat) = &mut instance.repeat {
                        repeat.key.move_by(delta);
                        repeat.value.move_by(delta);
                        repeat.over.move_by(delta);
                    }
                    instance.condition.move_by(delta);
                    instance.body.move_by(delta);
                    instance.range.move_by(delta);
                }
                for named in &mut l.lets {
                    named.name.move_by(delta);
                    named.value.move_by(delta);
                }
                for output in &mut l.outputs {
                    output.name.move_by(delta);
                    output.ty.move_by(delta);
                    output.value.move_by(delta);
                }
            }
            ItemKind::Env(e) => {
                e.name.move_by(delta);
                e.extends.move_by(delta);
                e.body.move_by(delta);
            }
            ItemKind::Policy(p) => {
                p.name.move_by(delta);
                p.envs.move_by(delta);
                for rule in &mut p.rules {
                    rule.expr.move_by(delta);
                    rule.range.move_by(delta);
                }
            }
            ItemKind::Error(e) => e.name.move_by(delta),
        }
    }
}

impl MoveBy for Block {
    fn move_by(&mut self, delta: u32) {
        self.entries.move_by(delta);
        self.range.move_by(delta);
    }
}

impl MoveBy for Entry {
    fn move_by(&mut self, delta: u32) {
        self.path.move_by(delta);
        self.value.move_by(delta);
        self.range.move_by(delta);
    }
}

impl MoveBy for TypeExpr {
    fn move_by(&mut self, delta: u32) {
        self.range.move_by(delta);
        match &mut self.kind {
            TypeExprKind::Named {
                name,
                args,
                constraint,
            } => {
                name.move_by(delta);
                args.move_by(delta);
                match constraint {
                    Some(Constraint::Range { range, .. }) => range.move_by(delta),
                    Some(Constraint::List(atoms, range)) => {
                        range.move_by(delta);
                        for atom in atoms {
                            match atom {
                                ConstraintAtom::Number(_, range)
                                | ConstraintAtom::Str(_, range) => range.move_by(delta),
                                ConstraintAtom::Ident(ident) => ident.move_by(delta),
                            }
                        }
                    }
                    None => {}
                }
            }
            TypeExprKind::Record(fields) => {
                for field in fields {
                    field.name.move_by(delta);
                    field.ty.move_by(delta);
                    field.default.move_by(delta);
                }
            }
        }
    }
}

impl MoveBy for Expr {
    fn move_by(&mut self, delta: u32) {
        self.range.move_by(delta);
        match &mut self.kind {
            ExprKind::Str(parts) => {
                for part in parts {
                    if let StrPart::Interp(expr) = part {
                        expr.move_by(delta);
                    }
                }
            }
            ExprKind::List(items) => items.move_by(delta),
            ExprKind::Record(entries) => {
                for entry in entries {
                    entry.key.move_by(delta);
                    entry.value.move_by(delta);
                }
            }
            ExprKind::Ref(path) => path.move_by(delta),
            ExprKind::Index(a, b) | ExprKind::Binary(_, a, b) => {
                a.move_by(delta);
                b.move_by(delta);
            }
            ExprKind::Unary(_, a) => a.move_by(delta),
            ExprKind::Cond(a, b, c) => {
                a.move_by(delta);
                b.move_by(delta);
                c.move_by(delta);
            }
            ExprKind::Attr(a, name) => {
                a.move_by(delta);
                name.move_by(delta);
            }
            ExprKind::Call(call) => {
                call.name.move_by(delta);
                call.args.move_by(delta);
            }
            ExprKind::For(f) => {
                f.key_var.move_by(delta);
                f.value_var.move_by(delta);
                f.collection.move_by(delta);
                f.key.move_by(delta);
                f.value.move_by(delta);
                f.condition.move_by(delta);
            }
            ExprKind::Int(_) | ExprKind::Float(_) | ExprKind::Bool(_) | ExprKind::Null => {}
            ExprKind::Missing => {}
        }
    }
}

#[cfg(test)]
mod tests {
    /// Every expression node of a large project is one of these: a new variant that carries
    /// more than 24 bytes grows every node (box its payload instead).
    #[test]
    fn an_expression_node_stays_small() {
        assert!(
            std::mem::size_of::<super::Expr>() <= 40,
            "Expr is {} bytes",
            std::mem::size_of::<super::Expr>()
        );
    }
}
