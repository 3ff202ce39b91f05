//! Strings, keys and references as HCL that HashiCorp's parser reads back exactly.
//!
//! Every string of the emitted Terraform is written here, as data: `quoted` gives the raw text of
//! a quoted template whose value is exactly the string, `seal` turns every plain string of a body
//! into one before the body is rendered, and `traversal` builds references such as
//! `module.vpc.id` from their names instead of parsing printed text.
//!
//! hcl-rs's own escaping is not used for strings: it leaves `$${` as it is (which Terraform reads
//! as `${`), so `"${x}"` written literally by a user could not round-trip.

use hcl::expr::{Expression, ObjectKey, TemplateExpr, Traversal, TraversalOperator};
use hcl::structure::{Body, Structure};
use hcl::Identifier;

/// Appends the raw text of a quoted-template literal whose value is exactly `text`: quotes,
/// backslashes and control characters escaped, `${` and `%{` doubled.
pub fn escape_into(text: &str, out: &mut String) {
    // Most strings hold nothing to escape: one byte scan, then one copy. Control characters
    // are U+0000 to U+001F, U+007F and U+0080 to U+009F (which UTF-8 writes as 0xC2, 0x80..).
    let special = |b: u8| b < 0x20 || matches!(b, b'"' | b'\\' | b'$' | b'%' | 0x7f | 0xc2);
    if !text.bytes().any(special) {
        out.push_str(text);
        return;
    }
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '$' | '%' if chars.peek() == Some(&'{') => {
                out.push(c);
                out.push(c);
            }
            c if c.is_control() => {
                use std::fmt::Write as _;
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c => out.push(c),
        }
    }
}

/// A string as a quoted HCL template that reads back as exactly `text`.
pub fn quoted(text: &str) -> Expression {
    let mut raw = String::with_capacity(text.len() + 2);
    escape_into(text, &mut raw);
    Expression::TemplateExpr(Box::new(TemplateExpr::QuotedString(raw)))
}

/// Builds the raw text of a template from literal pieces and interpolated expressions.
#[derive(Default)]
pub struct TemplateText {
    raw: String,
    /// Literal text since the last interpolation, escaped as a whole when it ends: adjacent
    /// pieces (`"$"` then `"{"`) must not form a `${` between them.
    pending: String,
}

impl TemplateText {
    pub fn literal(&mut self, text: &str) {
        self.pending.push_str(text);
    }

    pub fn interpolate(&mut self, expr: &Expression) {
        // `$` characters right before `${` would form the escape `$${`: they are written as an
        // interpolated string, `${"$"}`.
        let kept = self.pending.trim_end_matches('$');
        let dollars = self.pending.len() - kept.len();
        escape_into(kept, &mut self.raw);
        if dollars > 0 {
            self.raw.push_str("${\"");
            self.raw.extend(std::iter::repeat_n('$', dollars));
            self.raw.push_str("\"}");
        }
        self.pending.clear();
        self.raw.push_str("${");
        self.raw
            .push_str(&hcl::format::to_string(expr).unwrap_or_default());
        self.raw.push('}');
    }

    pub fn finish(mut self) -> Expression {
        escape_into(&self.pending, &mut self.raw);
        Expression::TemplateExpr(Box::new(TemplateExpr::QuotedString(self.raw)))
    }
}

/// HCL's keywords, which a bare object key would be read as (`{ for = 1 }` starts a `for`
/// expression, `{ null = 1 }` has a null key).
const KEYWORDS: &[&str] = &["for", "in", "if", "null", "true", "false"];

/// Whether `name` can be written bare, as an attribute name or object key.
pub fn is_plain_identifier(name: &str) -> bool {
    let mut chars = name.chars();
    matches!(chars.next(), Some(c) if c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
        && !KEYWORDS.contains(&name)
}

/// An object key: bare when it is a plain identifier, else a quoted string.
pub fn object_key(key: &str) -> ObjectKey {
    if is_plain_identifier(key) {
        ObjectKey::Identifier(Identifier::unchecked(key))
    } else {
        ObjectKey::Expression(quoted(key))
    }
}

/// `root.a.b...` as a traversal.
pub fn traversal(root: &str, attributes: &[&str]) -> Expression {
    let operators = attributes
        .iter()
        .map(|a| TraversalOperator::GetAttr(Identifier::sanitized(a)))
        .collect::<Vec<_>>();
    let root = Expression::Variable(hcl::expr::Variable::sanitized(root));
    if operators.is_empty() {
        root
    } else {
        Expression::Traversal(Box::new(Traversal::new(root, operators)))
    }
}

/// Rewrites every plain string of a body (attribute values, object keys and values, array items,
/// operands, function arguments) as a quoted template written by `quoted`, so that hcl-rs's
/// formatter never escapes a string itself. Iterative: the depth of a value costs no stack.
pub fn seal(body: &mut Body) {
    let mut bodies: Vec<&mut Body> = vec![body];
    let mut exprs: Vec<&mut Expression> = Vec::new();
    while let Some(body) = bodies.pop() {
        for structure in body.0.iter_mut() {
            match structure {
                Structure::Attribute(attribute) => exprs.push(&mut attribute.expr),
                Structure::Block(block) => bodies.push(&mut block.body),
            }
        }
    }
    while let Some(expr) = exprs.pop() {
        match expr {
            Expression::String(text) => {
                let sealed = quoted(text);
                *expr = sealed;
            }
            Expression::Array(items) => exprs.extend(items.iter_mut()),
            Expression::Object(object) => {
                if object.keys().any(|key| !sealed_key(key)) {
                    *object = std::mem::take(object)
                        .into_iter()
                        .map(|(key, value)| (seal_key(key), value))
                        .collect();
                }
                exprs.extend(object.values_mut());
            }
            Expression::Parenthesis(inner) => exprs.push(inner),
            Expression::Operation(operation) => match operation.as_mut() {
                hcl::expr::Operation::Unary(unary) => exprs.push(&mut unary.expr),
                hcl::expr::Operation::Binary(binary) => {
                    exprs.push(&mut binary.lhs_expr);
                    exprs.push(&mut binary.rhs_expr);
                }
            },
            Expression::Conditional(conditional) => {
                exprs.push(&mut conditional.cond_expr);
                exprs.push(&mut conditional.true_expr);
                exprs.push(&mut conditional.false_expr);
            }
            Expression::FuncCall(call) => exprs.extend(call.args.iter_mut()),
            Expression::ForExpr(for_expr) => {
                exprs.push(&mut for_expr.collection_expr);
                if let Some(key) = for_expr.key_expr.as_mut() {
                    exprs.push(key);
                }
                exprs.push(&mut for_expr.value_expr);
                if let Some(cond) = for_expr.cond_expr.as_mut() {
                    exprs.push(cond);
                }
            }
            _ => {}
        }
    }
}

fn sealed_key(key: &ObjectKey) -> bool {
    match key {
        ObjectKey::Identifier(id) => is_plain_identifier(id.as_str()),
        ObjectKey::Expression(Expression::String(_)) => false,
        _ => true,
    }
}

fn seal_key(key: ObjectKey) -> ObjectKey {
    match key {
        ObjectKey::Identifier(id) => object_key(id.as_str()),
        ObjectKey::Expression(Expression::String(text)) => object_key(&text),
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn raw(expr: &Expression) -> String {
        hcl::format::to_string(expr).unwrap()
    }

    #[test]
    fn literals_escape_quotes_backslashes_controls_and_markers() {
        assert_eq!(raw(&quoted("a\"b\\c")), r#""a\"b\\c""#);
        assert_eq!(raw(&quoted("x\ny\tz\r")), r#""x\ny\tz\r""#);
        assert_eq!(raw(&quoted("\u{1}\u{7f}")), r#""\u0001\u007f""#);
        assert_eq!(
            raw(&quoted("${a} %{b} $${c} $ %")),
            r#""$${a} %%{b} $$${c} $ %""#
        );
        assert_eq!(raw(&quoted("${$${")), r#""$${$$${""#);
        assert_eq!(raw(&quoted("é 名")), "\"é 名\"");
        // The C1 controls are two bytes in UTF-8, the first of them 0xC2 like `é`'s neighbours.
        assert_eq!(
            raw(&quoted("a\u{85}b\u{9f}\u{a0}")),
            "\"a\\u0085b\\u009f\u{a0}\""
        );
        assert_eq!(
            raw(&quoted("plain text, no escapes")),
            "\"plain text, no escapes\""
        );
    }

    #[test]
    fn dollars_before_an_interpolation_are_not_an_escape() {
        let mut text = TemplateText::default();
        text.literal("a$$");
        text.interpolate(&traversal("module", &["x", "y"]));
        text.literal("$");
        text.literal("{");
        assert_eq!(raw(&text.finish()), r#""a${"$$"}${module.x.y}$${""#);
    }

    #[test]
    fn keys_are_bare_only_when_plain() {
        assert!(matches!(object_key("a_b-1"), ObjectKey::Identifier(_)));
        for key in ["for", "null", "a b", "é", "1a", "", "a.b"] {
            assert!(matches!(object_key(key), ObjectKey::Expression(_)), "{key}");
        }
    }
}
