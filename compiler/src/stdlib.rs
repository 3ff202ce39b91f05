//! The standard library and the diagnostic pages, embedded in the binary at build time.

include!(concat!(env!("OUT_DIR"), "/embedded.rs"));

/// The stdlib's `.infra` files, as (virtual path, text).
pub fn infra_files() -> impl Iterator<Item = (String, &'static str)> {
    STDLIB_FILES
        .iter()
        .filter(|(path, _)| path.ends_with(".infra") && !path.contains('/'))
        .map(|(path, text)| (format!("<stdlib>/{path}"), *text))
}

/// The Terraform files of stdlib module `name`, as (file name, text).
pub fn module_files(name: &str) -> Vec<(&'static str, &'static str)> {
    let prefix = format!("modules/{name}/");
    STDLIB_FILES
        .iter()
        .filter_map(|(path, text)| {
            path.strip_prefix(prefix.as_str())
                .filter(|rest| !rest.contains('/') && rest.ends_with(".tf"))
                .map(|rest| (rest, *text))
        })
        .collect()
}

/// The long explanation of a diagnostic code, from `docs/diagnostics/CODE.md`.
pub fn diagnostic_page(code: &str) -> Option<&'static str> {
    let file = format!("{code}.md");
    DIAGNOSTIC_PAGES
        .iter()
        .find(|(path, _)| *path == file)
        .map(|(_, text)| *text)
}

#[cfg(test)]
mod tests {
    #[test]
    fn every_stdlib_file_parses() {
        for (path, text) in super::infra_files() {
            let parse = crate::syntax::parse(text);
            assert!(parse.errors.is_empty(), "{path}: {:?}", parse.errors);
        }
    }
}
