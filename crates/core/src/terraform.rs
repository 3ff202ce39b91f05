//! Terraform modules read from their own files: where a module's code lives (the standard
//! library, a project directory, a vendored copy of a registry or git module), the typed interface
//! that its `variable` and `output` blocks declare, and the check of a hand-written interface
//! against them.

use std::ops::Range;
use std::path::{Path, PathBuf};

use hcl_edit::expr::{Expression, ObjectKey};
use hcl_edit::structure::{Block, BlockLabel, Body};
use hcl_edit::Span as _;

use crate::db::{Db, ModuleDir, SourceFile};
use crate::diagnostics::{did_you_mean, Diagnostic, E0105, E0207, E0208};
use crate::project::{ItemRef, ProjectIndex};
use crate::source::TextRange;
use crate::syntax::{Expr, ExprKind, ItemKind, MAX_NESTING};
use crate::types::{Field, NumConstraint, Ty};

/// Where a module's Terraform code comes from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Origin<'a> {
    /// `stdlib/NAME`: shipped inside infrac and copied into the build.
    Stdlib(&'a str),
    /// A directory relative to the project, copied into the build.
    Local(&'a str),
    /// A registry or git module: called with its own `source` (and `version`), which
    /// `terraform init` fetches; its interface is read from a copy on disk.
    Remote(&'a str),
}

/// The prefixes of the Terraform module sources that are fetched rather than read from a path.
const REMOTE_PREFIXES: &[&str] = &[
    "git::",
    "hg::",
    "s3::",
    "gcs::",
    "http://",
    "https://",
    "github.com/",
    "bitbucket.org/",
    "git@",
];

/// Classifies a module's `source`: `stdlib/NAME`, a remote source (any `version`, or a source
/// that Terraform fetches: `git::`, `https://`, `github.com/`, ...), or else a project directory.
pub fn origin<'a>(source: &'a str, version: Option<&str>) -> Origin<'a> {
    if let Some(name) = source.strip_prefix("stdlib/") {
        return Origin::Stdlib(name);
    }
    if version.is_some() || REMOTE_PREFIXES.iter().any(|p| source.starts_with(p)) {
        return Origin::Remote(source);
    }
    Origin::Local(source)
}

/// The directory, under a project's `vendor` directory, that holds the copy of a remote module:
/// the registry address as it is (`terraform-aws-modules/vpc/aws`), or for other sources the
/// host and path without the scheme, `.git`, the query and the `//` separator
/// (`git::https://example.com/acme/queue.git//modules/sqs?ref=v1` is `example.com/acme/queue/modules/sqs`).
/// `None` for a source that would leave the vendor directory.
pub fn vendor_path(source: &str) -> Option<PathBuf> {
    let mut rest = source;
    for prefix in ["git::", "hg::", "s3::", "gcs::"] {
        rest = rest.strip_prefix(prefix).unwrap_or(rest);
    }
    if let Some((_, after)) = rest.split_once("://") {
        rest = after;
    }
    let rest = rest.split('?').next().unwrap_or_default();
    let (repo, subdir) = rest.split_once("//").unwrap_or((rest, ""));
    let repo = repo
        .strip_prefix("git@")
        .unwrap_or(repo)
        .replacen(':', "/", 1);
    let repo = repo.trim_end_matches('/').trim_end_matches(".git");
    let mut path = PathBuf::new();
    for segment in repo.split('/').chain(subdir.split('/')) {
        match segment {
            "" => {}
            "." | ".." => return None,
            _ => path.push(segment),
        }
    }
    (!path.as_os_str().is_empty()).then_some(path)
}

/// Where one declaration sits in a module's Terraform files.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct TfAt {
    pub file: SourceFile,
    /// The block's label (`"name"` of `variable "name"`).
    pub range: TextRange,
}

impl TfAt {
    /// `variables.tf:12`, for messages.
    pub fn describe(&self, db: &dyn Db) -> String {
        let line = crate::db::line_col(db, self.file, self.range.start).line + 1;
        let name = self
            .file
            .path(db)
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        format!("{name}:{line}")
    }
}

/// A `variable` block.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct TfVariable {
    pub name: String,
    /// The infrac type of its `type` constraint (`any` without one).
    pub ty: Ty,
    /// Its `default` as written, when it has one: the variable is optional.
    pub default: Option<String>,
    pub description: Option<String>,
    /// `nullable = false`: `null` is replaced by the default instead of passed on.
    pub nullable: bool,
    pub sensitive: bool,
    pub at: TfAt,
}

/// An `output` block.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct TfOutput {
    pub name: String,
    pub description: Option<String>,
    pub sensitive: bool,
    pub at: TfAt,
}

impl TfOutput {
    /// Terraform outputs carry no type: a sensitive one is a `secret`, any other `any`.
    pub fn ty(&self) -> Ty {
        if self.sensitive {
            Ty::Secret
        } else {
            Ty::Any
        }
    }
}

/// The interface that a module's Terraform files declare, and what in them could not be read.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct TfInterface {
    pub variables: Vec<TfVariable>,
    pub outputs: Vec<TfOutput>,
    pub diagnostics: Vec<Diagnostic>,
}

impl TfInterface {
    pub fn variable(&self, name: &str) -> Option<&TfVariable> {
        self.variables.iter().find(|v| v.name == name)
    }

    pub fn output(&self, name: &str) -> Option<&TfOutput> {
        self.outputs.iter().find(|o| o.name == name)
    }
}

/// The interface of a module directory: the `variable` and `output` blocks of all its `.tf`
/// files, in file-name order. Keyed by the directory, and reading each file through
/// `tf_file_interface`, so that an edit to one file re-reads that file only.
#[salsa::tracked(returns(ref))]
pub fn tf_interface(db: &dyn Db, dir: ModuleDir) -> TfInterface {
    let mut interface = TfInterface::default();
    for &file in dir.files(db) {
        let one = tf_file_interface(db, file);
        interface.variables.extend(one.variables.iter().cloned());
        interface.outputs.extend(one.outputs.iter().cloned());
        interface
            .diagnostics
            .extend(one.diagnostics.iter().cloned());
    }
    interface
}

/// The `variable` and `output` blocks of one `.tf` file.
#[salsa::tracked(returns(ref))]
pub fn tf_file_interface(db: &dyn Db, file: SourceFile) -> TfInterface {
    let text = file.text(db);
    let mut interface = TfInterface::default();
    if file.deleted(db) {
        return interface;
    }
    if let Some(at) = nesting_beyond_limit(text) {
        // Diagnostic: E0105 nesting-too-deep
        interface.diagnostics.push(
            Diagnostic::error(
                E0105,
                file,
                TextRange::empty(at),
                format!(
                    "brackets nest deeper than {MAX_NESTING} levels in a module's Terraform file"
                ),
            )
            .with_label("too deep here")
            .with_help("infrac reads module interfaces up to this depth; flatten the expression"),
        );
        return interface;
    }
    let body = match hcl_edit::parser::parse_body(text) {
        Ok(body) => body,
        Err(error) => {
            let at = error.location().offset().min(text.len());
            // Diagnostic: E0208 terraform-syntax
            interface.diagnostics.push(
                Diagnostic::error(
                    E0208,
                    file,
                    TextRange::empty(at),
                    format!(
                        "this module file is not valid Terraform: {}",
                        error.message()
                    ),
                )
                .with_label("here")
                .with_help("infrac reads a module's interface from its `variable` and `output` blocks; fix the file (`terraform validate` in the module directory points at the same place)"),
            );
            return interface;
        }
    };
    read_body(&body, file, text, &mut interface);
    interface
}

/// The offset where brackets open deeper than `MAX_NESTING`, if they do: the parser recurses
/// once per level, so such a file never reaches it.
fn nesting_beyond_limit(text: &str) -> Option<usize> {
    let mut depth = 0usize;
    for (at, byte) in text.bytes().enumerate() {
        match byte {
            b'{' | b'[' | b'(' => {
                depth += 1;
                if depth > MAX_NESTING {
                    return Some(at);
                }
            }
            b'}' | b']' | b')' => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    None
}

fn read_body(body: &Body, file: SourceFile, text: &str, interface: &mut TfInterface) {
    for block in body.blocks() {
        let kind = block.ident.value().as_str();
        if kind != "variable" && kind != "output" {
            continue;
        }
        let Some(label) = block.labels.first() else {
            continue;
        };
        let (name, span) = match label {
            BlockLabel::String(s) => (s.value().to_string(), s.span()),
            BlockLabel::Ident(i) => (i.value().to_string(), i.span()),
        };
        let at = TfAt {
            file,
            range: range_of(span.or_else(|| block.span())),
        };
        let description = string_attr(block, "description");
        let sensitive = bool_attr(block, "sensitive").unwrap_or(false);
        if kind == "output" {
            interface.outputs.push(TfOutput {
                name,
                description,
                sensitive,
                at,
            });
            continue;
        }
        let ty = match block.body.get_attribute("type") {
            None => Ty::Any,
            Some(attr) => match type_constraint(&attr.value, file, 0) {
                Ok(ty) => ty,
                Err(problem) => {
                    let range = range_of(attr.value.span());
                    // Diagnostic: E0208 terraform-syntax
                    interface.diagnostics.push(
                        Diagnostic::error(
                            E0208,
                            file,
                            range,
                            format!("variable `{name}`: {problem}"),
                        )
                        .with_label("not a Terraform type constraint")
                        .with_help("use `string`, `number`, `bool`, `any`, `list(T)`, `set(T)`, `map(T)`, `object({ ... })` or `tuple([ ... ])`"),
                    );
                    Ty::Error
                }
            },
        };
        let default = block.body.get_attribute("default").map(|attr| {
            let span = attr.value.span().unwrap_or(0..0);
            let written = text.get(span).unwrap_or("...");
            written.split_whitespace().collect::<Vec<_>>().join(" ")
        });
        interface.variables.push(TfVariable {
            name,
            ty,
            default,
            description,
            nullable: bool_attr(block, "nullable").unwrap_or(true),
            sensitive,
            at,
        });
    }
}

fn range_of(span: Option<Range<usize>>) -> TextRange {
    span.map_or(TextRange::default(), |s| TextRange::new(s.start, s.end))
}

fn string_attr(block: &Block, key: &str) -> Option<String> {
    match &block.body.get_attribute(key)?.value {
        Expression::String(s) => Some(s.value().to_string()),
        Expression::HeredocTemplate(heredoc) => {
            // A heredoc without interpolations is plain text.
            let text = heredoc.template.to_string();
            Some(text.trim().to_string())
        }
        _ => None,
    }
}

fn bool_attr(block: &Block, key: &str) -> Option<bool> {
    match &block.body.get_attribute(key)?.value {
        Expression::Bool(b) => Some(*b.value()),
        _ => None,
    }
}

/// The infrac type of a Terraform type constraint. `set(T)` is a list (Terraform converts a list
/// to a set); a `tuple` is a list of its one element type, or of `any`; `optional(T, default)`
/// attributes of an `object` are fields with a default of `null`, which Terraform replaces by the
/// attribute's own default.
pub fn type_constraint<'e>(
    expr: &'e Expression,
    file: SourceFile,
    depth: usize,
) -> Result<Ty, String> {
    if depth > MAX_NESTING {
        return Err(format!("the type nests deeper than {MAX_NESTING} levels"));
    }
    match expr {
        Expression::Variable(name) => match name.value().as_str() {
            "string" => Ok(Ty::Str(None)),
            "number" => Ok(Ty::Float(NumConstraint::None)),
            "bool" => Ok(Ty::Bool),
            "any" => Ok(Ty::Any),
            // Terraform 0.11's element-less collections, still accepted: of `any`.
            "list" | "set" => Ok(Ty::List(Box::new(Ty::Any))),
            "map" => Ok(Ty::Map(Box::new(Ty::Any))),
            other => Err(format!("`{other}` is not a Terraform type")),
        },
        Expression::Parenthesis(inner) => type_constraint(inner.inner(), file, depth + 1),
        Expression::FuncCall(call) => {
            let function = call.name.name.value().as_str();
            let args: Vec<&Expression> = call.args.iter().collect();
            let one = |args: &[&'e Expression]| single_argument(function, args);
            match function {
                "list" | "set" => Ok(Ty::List(Box::new(type_constraint(
                    one(&args)?,
                    file,
                    depth + 1,
                )?))),
                "map" => Ok(Ty::Map(Box::new(type_constraint(
                    one(&args)?,
                    file,
                    depth + 1,
                )?))),
                "tuple" => {
                    let Expression::Array(items) = one(&args)? else {
                        return Err("`tuple(...)` takes a list of types".into());
                    };
                    let mut types = Vec::new();
                    for item in items.iter() {
                        types.push(type_constraint(item, file, depth + 1)?);
                    }
                    let first = types.first().cloned().unwrap_or(Ty::Any);
                    let element = if types.iter().all(|t| *t == first) {
                        first
                    } else {
                        Ty::Any
                    };
                    Ok(Ty::List(Box::new(element)))
                }
                "object" => {
                    let Expression::Object(attributes) = one(&args)? else {
                        return Err("`object(...)` takes `{ name = type, ... }`".into());
                    };
                    let mut fields = Vec::new();
                    for (key, value) in attributes.iter() {
                        let name = match key {
                            ObjectKey::Ident(ident) => ident.value().to_string(),
                            ObjectKey::Expression(Expression::String(s)) => s.value().to_string(),
                            ObjectKey::Expression(_) => {
                                return Err("an object attribute's name must be a name".into())
                            }
                        };
                        fields.push(object_field(name, value.expr(), file, depth + 1)?);
                    }
                    Ok(Ty::Record(fields))
                }
                "optional" => Err(
                    "`optional(...)` is allowed only for an attribute of `object({ ... })`".into(),
                ),
                other => Err(format!("`{other}(...)` is not a Terraform type")),
            }
        }
        Expression::String(_) => {
            Err("a quoted type is Terraform 0.11 syntax; write the type without quotes".into())
        }
        _ => Err("expected a type".into()),
    }
}

fn single_argument<'e>(function: &str, args: &[&'e Expression]) -> Result<&'e Expression, String> {
    match args {
        [only] => Ok(only),
        _ => Err(format!("`{function}(...)` takes one argument")),
    }
}

/// One attribute of an `object({ ... })` type; `optional(T)` and `optional(T, default)` make it
/// a field that may be left out.
fn object_field(
    name: String,
    expr: &Expression,
    file: SourceFile,
    depth: usize,
) -> Result<Field, String> {
    if let Expression::FuncCall(call) = expr {
        if call.name.name.value().as_str() == "optional" {
            let args: Vec<&Expression> = call.args.iter().collect();
            let (Some(inner), true) = (args.first(), args.len() <= 2) else {
                return Err("`optional(...)` takes a type and an optional default".into());
            };
            let range = range_of(call.span());
            return Ok(Field {
                name,
                ty: type_constraint(inner, file, depth + 1)?,
                // `null` lets Terraform apply the attribute's own default.
                default: Some((
                    Expr {
                        kind: ExprKind::Null,
                        range,
                    },
                    file,
                )),
                doc: None,
            });
        }
    }
    Ok(Field {
        name,
        ty: type_constraint(expr, file, depth)?,
        default: None,
        doc: None,
    })
}

/// Whether a declared infrac type and a Terraform type constraint describe the same values, as
/// far as Terraform can tell: `any` on either side agrees with everything; a named or
/// constrained infrac type agrees with its base (an `int(1..6)` is a `number`); a record agrees
/// with an `object` that has the same attributes, where only the object's optional ones may be
/// left out.
pub fn types_agree(declared: &Ty, terraform: &Ty) -> bool {
    match (declared.resolved(), terraform.resolved()) {
        (Ty::Any | Ty::Error, _) | (_, Ty::Any | Ty::Error) => true,
        (Ty::Str(_) | Ty::Enum(_) | Ty::Secret, Ty::Str(_) | Ty::Enum(_) | Ty::Secret) => true,
        (Ty::Int(_) | Ty::Float(_), Ty::Int(_) | Ty::Float(_)) => true,
        (Ty::Bool, Ty::Bool) => true,
        (Ty::List(a), Ty::List(b)) | (Ty::Map(a), Ty::Map(b)) => types_agree(a, b),
        (Ty::Record(ours), Ty::Record(theirs)) => {
            ours.iter().all(|field| {
                theirs
                    .iter()
                    .find(|f| f.name == field.name)
                    .is_some_and(|f| types_agree(&field.ty, &f.ty))
            }) && theirs
                .iter()
                .all(|f| f.default.is_some() || ours.iter().any(|o| o.name == f.name))
        }
        _ => false,
    }
}

/// What is wrong with a module's Terraform code and, for a module that declares its interface,
/// where the declaration disagrees with the code (E0207): an input that is no `variable`, a
/// required `variable` that is no input, a type that disagrees, an output that is no `output`,
/// a `secret` output that is not `sensitive` or the reverse. Each points at the `.infra` line,
/// with a second label on the `.tf` line.
pub fn module_code_diagnostics(
    db: &dyn Db,
    index: &ProjectIndex,
    item: ItemRef,
) -> Vec<Diagnostic> {
    let ItemKind::Module(module) = &item.item(db).kind else {
        return Vec::new();
    };
    // A directory that could not be read is E0206 (`analysis::module_dir_diagnostics`).
    let Some(dir) = index
        .module_dirs
        .get(&module.name.name)
        .filter(|dir| dir.problem(db).is_none())
    else {
        return Vec::new();
    };
    let interface = tf_interface(db, *dir);
    let mut diagnostics = interface.diagnostics.clone();
    if module.inputs.is_empty() && module.outputs.is_empty() {
        return diagnostics;
    }
    let mut ignored = Vec::new();
    let Some(sig) = crate::model::module_sig(db, index, item, &mut ignored) else {
        return diagnostics;
    };
    let mut check = InterfaceCheck {
        db,
        file: item.file,
        module: &module.name.name,
        interface,
        diagnostics: &mut diagnostics,
    };
    for (input, decl) in sig.inputs.iter().zip(&module.inputs) {
        check.input(&input.name, &input.ty, decl.name.range, decl.ty.range);
    }
    for (output, decl) in sig.outputs.iter().zip(&module.outputs) {
        check.output(&output.name, &output.ty, decl.name.range);
    }
    for variable in interface.variables.iter().filter(|v| v.default.is_none()) {
        if !module.inputs.iter().any(|i| i.name.name == variable.name) {
            check.missing_input(variable, module.name.range);
        }
    }
    diagnostics
}

struct InterfaceCheck<'a> {
    db: &'a dyn Db,
    file: SourceFile,
    module: &'a str,
    interface: &'a TfInterface,
    diagnostics: &'a mut Vec<Diagnostic>,
}

impl InterfaceCheck<'_> {
    fn input(&mut self, name: &str, ty: &Ty, name_range: TextRange, ty_range: TextRange) {
        let Some(variable) = self.interface.variable(name) else {
            let names = self.interface.variables.iter().map(|v| v.name.as_str());
            // Diagnostic: E0207 module-interface-mismatch
            self.diagnostics.push(
                Diagnostic::error(
                    E0207,
                    self.file,
                    name_range,
                    format!(
                        "module `{}`: input `{name}` is not a `variable` of its Terraform code",
                        self.module
                    ),
                )
                .with_label("no such variable")
                .with_help(did_you_mean(name, names).unwrap_or_else(|| {
                    "remove the input, or add the `variable` to the module's `.tf` files".into()
                })),
            );
            return;
        };
        if !types_agree(ty, &variable.ty) {
            let at = variable.at.describe(self.db);
            // Diagnostic: E0207 module-interface-mismatch
            self.diagnostics.push(
                Diagnostic::error(
                    E0207,
                    self.file,
                    ty_range,
                    format!(
                        "module `{}`: input `{name}` is {} here but {} in {at}",
                        self.module,
                        ty.terraform(),
                        variable.ty.terraform()
                    ),
                )
                .with_label(format!("{ty}"))
                .with_secondary(
                    variable.at.file,
                    variable.at.range,
                    format!("`{}` in Terraform", variable.ty.terraform()),
                )
                .with_help("make the two types agree, or leave the interface out (`module NAME { source = ... }`) to read it from the Terraform files"),
            );
        }
    }

    fn output(&mut self, name: &str, ty: &Ty, name_range: TextRange) {
        let Some(output) = self.interface.output(name) else {
            let names = self.interface.outputs.iter().map(|o| o.name.as_str());
            // Diagnostic: E0207 module-interface-mismatch
            self.diagnostics.push(
                Diagnostic::error(
                    E0207,
                    self.file,
                    name_range,
                    format!(
                        "module `{}`: output `{name}` is not an `output` of its Terraform code",
                        self.module
                    ),
                )
                .with_label("no such output")
                .with_help(did_you_mean(name, names).unwrap_or_else(|| {
                    "remove the output, or add the `output` to the module's `.tf` files".into()
                })),
            );
            return;
        };
        let secret = matches!(ty.resolved(), Ty::Secret);
        if secret != output.sensitive {
            let at = output.at.describe(self.db);
            let (here, there) = if secret {
                ("a `secret`", "not `sensitive`")
            } else {
                ("not a `secret`", "`sensitive`")
            };
            // Diagnostic: E0207 module-interface-mismatch
            self.diagnostics.push(
                Diagnostic::error(
                    E0207,
                    self.file,
                    name_range,
                    format!(
                        "module `{}`: output `{name}` is {here} here but {there} in {at}",
                        self.module
                    ),
                )
                .with_label(format!("{ty}"))
                .with_secondary(output.at.file, output.at.range, format!("{there} here"))
                .with_help("a sensitive Terraform output is typed `secret`, so that the layers that carry it keep it sensitive"),
            );
        }
    }

    fn missing_input(&mut self, variable: &TfVariable, module_range: TextRange) {
        let at = variable.at.describe(self.db);
        // Diagnostic: E0207 module-interface-mismatch
        self.diagnostics.push(
            Diagnostic::error(
                E0207,
                self.file,
                module_range,
                format!(
                    "module `{}` has no input `{}`, which its Terraform code requires ({at})",
                    self.module, variable.name
                ),
            )
            .with_label(format!("missing input `{}`", variable.name))
            .with_secondary(
                variable.at.file,
                variable.at.range,
                "required here: no `default`",
            )
            .with_help(format!(
                "add `input {}: {}` to the module",
                variable.name, variable.ty
            )),
        );
    }
}

/// The `.tf` files directly inside `dir`, sorted by name (an error when the directory cannot be
/// listed).
pub fn tf_paths(dir: &Path) -> std::io::Result<Vec<PathBuf>> {
    let mut paths = Vec::new();
    for entry in std::fs::read_dir(dir)? {
        let path = entry?.path();
        if path.is_file() && path.extension().is_some_and(|e| e == "tf") {
            paths.push(path);
        }
    }
    paths.sort();
    Ok(paths)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn vendor_paths_drop_schemes_queries_and_git_suffixes() {
        let cases = [
            (
                "terraform-aws-modules/vpc/aws",
                Some("terraform-aws-modules/vpc/aws"),
            ),
            (
                "git::https://example.com/acme/queue.git//modules/sqs?ref=v1.2.0",
                Some("example.com/acme/queue/modules/sqs"),
            ),
            (
                "git::git@example.com:acme/queue.git?ref=v1",
                Some("example.com/acme/queue"),
            ),
            ("github.com/acme/topic", Some("github.com/acme/topic")),
            ("git::https://example.com/../../etc", None),
            ("", None),
        ];
        for (source, expected) in cases {
            assert_eq!(vendor_path(source), expected.map(PathBuf::from), "{source}");
        }
    }

    /// An edit to one `.tf` file reads that file again and no other: the interface is a query
    /// per directory over a query per file.
    #[test]
    fn an_edit_to_one_module_file_reads_only_that_file_again() {
        use crate::db::{RootDatabase, Workspace};
        use std::sync::{Arc, Mutex};
        let log = Arc::new(Mutex::new(Vec::new()));
        let mut db = RootDatabase::with_event_log(log.clone());
        let file = |db: &RootDatabase, name: &str, text: &str| {
            SourceFile::new(
                db,
                PathBuf::from(format!("/m/{name}")),
                Arc::from(text),
                false,
            )
        };
        let variables = file(
            &db,
            "variables.tf",
            "variable \"a\" {\n  type = string\n}\n",
        );
        let outputs = file(&db, "outputs.tf", "output \"x\" {\n  value = 1\n}\n");
        let dir = ModuleDir::new(
            &db,
            "m".into(),
            PathBuf::from("/m"),
            vec![outputs, variables],
            None,
        );
        let _workspace = Workspace::new(&db, Vec::new(), PathBuf::from("/"), vec![dir], Vec::new());
        assert_eq!(tf_interface(&db, dir).variables.len(), 1);
        log.lock().expect("log").clear();
        use salsa::Setter as _;
        variables.set_text(&mut db).to(Arc::from(
            "variable \"a\" {\n  type = string\n}\n\nvariable \"b\" {\n  type = number\n}\n",
        ));
        let names: Vec<&str> = tf_interface(&db, dir)
            .variables
            .iter()
            .map(|v| v.name.as_str())
            .collect();
        assert_eq!(names, ["a", "b"]);
        let ran = log.lock().expect("log").clone();
        let file_reads = ran
            .iter()
            .filter(|e| e.contains("tf_file_interface"))
            .count();
        assert_eq!(file_reads, 1, "{ran:?}");
        assert!(ran.iter().any(|e| e.contains("tf_interface(")), "{ran:?}");
    }

    #[test]
    fn origins() {
        assert_eq!(origin("stdlib/vpc", None), Origin::Stdlib("vpc"));
        assert_eq!(
            origin("modules/queue", None),
            Origin::Local("modules/queue")
        );
        assert_eq!(
            origin("terraform-aws-modules/vpc/aws", Some("5.1.0")),
            Origin::Remote("terraform-aws-modules/vpc/aws")
        );
        assert_eq!(
            origin("git::https://example.com/q.git", None),
            Origin::Remote("git::https://example.com/q.git")
        );
    }
}
