//! The diagnostic codes: each stable id with its slug and one-line summary (`ALL_CODES`).
//!
//! They live beside the parser so that syntax errors carry their code without the database.

/// A stable diagnostic code with its slug and one-line summary.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Code {
    pub id: &'static str,
    pub slug: &'static str,
    pub summary: &'static str,
}

macro_rules! codes {
    ($($name:ident = $id:literal, $slug:literal, $summary:literal;)*) => {
        $(pub const $name: Code = Code { id: $id, slug: $slug, summary: $summary };)*
        /// Every code, in order, for `infrac explain` and the docs test.
        pub const ALL_CODES: &[Code] = &[$($name),*];
    };
}

codes! {
    E0100 = "E0100", "syntax-error", "the text does not follow the grammar";
    E0101 = "E0101", "unclosed-delimiter", "a `{`, `[` or `(` is never closed";
    E0102 = "E0102", "invalid-entry", "an entry has a form this block does not allow";
    E0103 = "E0103", "stray-text", "text outside any item";
    E0104 = "E0104", "unreadable-file", "a file is not UTF-8 or cannot be read";
    E0105 = "E0105", "nesting-too-deep", "brackets, operators, type aliases or references nest deeper than the limit";
    E0201 = "E0201", "unknown-name", "a reference names nothing in scope";
    E0202 = "E0202", "duplicate-definition", "two items or members have the same name";
    E0203 = "E0203", "unknown-module", "an instance's kind is not a module";
    E0204 = "E0204", "unknown-type", "a type name is not defined";
    E0205 = "E0205", "project-missing", "a project needs exactly one `project` item";
    E0206 = "E0206", "unknown-module-source", "a module's `source` names no standard-library module and no directory of Terraform files";
    E0207 = "E0207", "module-interface-mismatch", "a module's declared interface disagrees with the `variable` and `output` blocks of its Terraform files";
    E0208 = "E0208", "terraform-syntax", "a module's Terraform file cannot be read as Terraform";
    E0209 = "E0209", "provider-schema-missing", "an instance names a provider's resource type, and that provider's schema is not cached";
    E0301 = "E0301", "unknown-environment", "`extends` names an environment that does not exist";
    E0302 = "E0302", "extends-cycle", "environments extend each other in a cycle";
    E0303 = "E0303", "duplicate-assignment", "an environment sets the same key twice";
    E0304 = "E0304", "environment-file", "the built file must declare exactly one environment";
    E0305 = "E0305", "unknown-override-target", "an environment overrides something that does not exist";
    E0306 = "E0306", "shared-layer-env-value", "a shared layer depends on a value that differs between environments";
    E0401 = "E0401", "type-mismatch", "a value does not have the expected type";
    E0402 = "E0402", "unknown-field", "a record or module has no such field or input";
    E0403 = "E0403", "missing-field", "a required field or input is not set";
    E0404 = "E0404", "constraint-violation", "a value is outside its type's range, set or pattern";
    E0405 = "E0405", "run-time-value", "a Terraform run-time value is used where a compile-time value is needed";
    E0406 = "E0406", "evaluation-error", "an expression cannot be evaluated";
    E0407 = "E0407", "invalid-type", "a type expression is malformed";
    E0408 = "E0408", "secret-literal", "a `secret` is given a literal instead of a reference to a stored secret";
    E0409 = "E0409", "computed-attribute", "an instance sets an attribute the provider computes";
    E0501 = "E0501", "layer-cycle", "layers read each other's outputs in a cycle";
    E0502 = "E0502", "unknown-layer-output", "a cross-layer reference names an output the layer does not declare";
    E0503 = "E0503", "output-refused", "the build refuses to overwrite or delete a file it did not generate";
    E0504 = "E0504", "foreign-instance", "an instance of another layer is referenced directly";
    E0505 = "E0505", "output-error", "the output directory cannot be written";
    E0506 = "E0506", "output-drift", "committed generated output differs from a fresh build";
    E0507 = "E0507", "state-key-change", "a rebuild moves a layer's state to a different backend key";
    E0508 = "E0508", "terraform-invalid", "`terraform validate` rejects the generated Terraform";
    E0601 = "E0601", "policy-violation", "a policy rule does not hold for an environment";
    E0602 = "E0602", "invalid-policy", "a policy rule cannot be evaluated at compile time";
    W0201 = "W0201", "unused-parameter", "a parameter is never used";
    W0202 = "W0202", "shadowed-name", "an instance or a repeated layer's binding hides a parameter or a layer of the same name";
    W0501 = "W0501", "physical-name-change", "a renamed instance keeps its state but its physical name changes, so the resource is replaced";
}

/// Looks up a code by its id, case-insensitively (`e0401` works).
pub fn code_by_id(id: &str) -> Option<Code> {
    ALL_CODES
        .iter()
        .copied()
        .find(|code| code.id.eq_ignore_ascii_case(id))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_unique_and_sorted() {
        for pair in ALL_CODES.windows(2) {
            assert!(
                pair[0].id < pair[1].id,
                "{} then {}",
                pair[0].id,
                pair[1].id
            );
        }
    }
}
