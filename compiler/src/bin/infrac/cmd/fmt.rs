//! `infrac fmt`: format `.infra` files in place, or report the ones that are not formatted.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use infrac_emit::analysis::{self};

use crate::{EXIT_ERRORS, EXIT_USAGE};

/// `infrac fmt`: every named file, and the `.infra` files directly inside every named directory.
pub(crate) fn fmt(paths: &[String], check: bool) -> ExitCode {
    let mut files = Vec::new();
    for path in paths.iter().map(PathBuf::from) {
        if path.is_dir() {
            files.extend(analysis::infra_files_in(&path));
        } else if path.is_file() {
            files.push(path);
        } else {
            eprintln!("error: {} is not a file or directory", path.display());
            return ExitCode::from(EXIT_USAGE);
        }
    }
    let (mut changed, mut failed) = (0, 0);
    for file in &files {
        let (text, problem) = analysis::read_source(file);
        if let Some(problem) = problem {
            eprintln!("error[E0104]: {}: {problem}", file.display());
            failed += 1;
            continue;
        }
        let Some(formatted) = infrac_ide::format::format(&text) else {
            eprintln!(
                "error: {} has syntax errors and is left as it is; `infrac check` shows them",
                file.display()
            );
            failed += 1;
            continue;
        };
        if formatted == text {
            continue;
        }
        changed += 1;
        if check {
            out!("{}", file.display());
            continue;
        }
        if let Err(error) = write_formatted(file, &formatted) {
            eprintln!("error: cannot write {}: {error}", file.display());
            failed += 1;
        }
    }
    let verb = if check {
        "would reformat"
    } else {
        "reformatted"
    };
    eprintln!(
        "{verb} {changed} of {} file(s){}",
        files.len(),
        if failed > 0 {
            format!(", {failed} could not be formatted")
        } else {
            String::new()
        }
    );
    if failed > 0 || (check && changed > 0) {
        ExitCode::from(EXIT_ERRORS)
    } else {
        ExitCode::SUCCESS
    }
}

/// Replaces the text of `file` with `text`. A symbolic link is written through: the file it
/// names is formatted, and the link stays. The file keeps its mode, owner and hard links.
///
/// The text is written to a new file beside the real one first. When the real file has no
/// other hard link and the new file can take its owner, the new file (with the same mode) is
/// renamed over it, so it is never half written. Otherwise the text is written into the existing
/// file, which keeps its links; the new file, holding the whole formatted text, is removed only
/// after that, so a crash in between leaves it beside the original.
pub(crate) fn write_formatted(file: &Path, text: &str) -> std::io::Result<()> {
    use std::io::Write as _;
    let target = std::fs::canonicalize(file)?;
    let meta = std::fs::metadata(&target)?;
    let dir = target.parent().unwrap_or_else(|| Path::new("."));
    let name = target
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let tmp = dir.join(format!(".{name}.infrac-fmt-{}", std::process::id()));
    let mut new_file = std::fs::File::options()
        .write(true)
        .create_new(true)
        .open(&tmp)?;
    let result = (|| {
        new_file.write_all(text.as_bytes())?;
        new_file.sync_all()?;
        new_file.set_permissions(meta.permissions())?;
        if replaceable(&new_file, &meta) {
            return std::fs::rename(&tmp, &target);
        }
        let mut existing = std::fs::File::options().write(true).open(&target)?;
        existing.write_all(text.as_bytes())?;
        existing.set_len(text.len() as u64)?;
        existing.sync_all()?;
        std::fs::remove_file(&tmp)
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result
}

/// Whether the new file may be renamed over the file with metadata `meta`: it has no other hard
/// link, and the new file now has its owner and group.
#[cfg(unix)]
pub(crate) fn replaceable(new_file: &std::fs::File, meta: &std::fs::Metadata) -> bool {
    use std::os::unix::fs::MetadataExt as _;
    meta.nlink() == 1
        && std::os::unix::fs::fchown(new_file, Some(meta.uid()), Some(meta.gid())).is_ok()
}

#[cfg(not(unix))]
pub(crate) fn replaceable(_: &std::fs::File, _: &std::fs::Metadata) -> bool {
    true
}
