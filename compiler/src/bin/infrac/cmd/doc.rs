//! `infrac doc`: Markdown reference pages of every module from its typed interface.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use infrac_core::db::{RootDatabase, Workspace};
use infrac_emit::analysis::{self, load_project};

use crate::EXIT_ERRORS;

pub(crate) fn doc(out: &Path, project: Option<&Path>, check: bool) -> ExitCode {
    let mut db = RootDatabase::default();
    let workspace = match project {
        Some(dir) => load_project(&mut db, dir).0,
        None => {
            let files = analysis::stdlib_files(&mut db);
            Workspace::new(&db, files, PathBuf::from("."), Vec::new(), Vec::new())
        }
    };
    let index = infrac_core::project::project_index(&db, workspace);
    let mut pages = vec![(
        "README".to_string(),
        infrac_emit::doc::index_page(&db, index),
    )];
    pages.extend(infrac_emit::doc::module_pages(&db, index));
    let mut stale = Vec::new();
    for (name, page) in &pages {
        let path = out.join(format!("{name}.md"));
        if std::fs::read_to_string(&path).ok().as_deref() == Some(page.as_str()) {
            continue;
        }
        if check {
            stale.push(path.display().to_string());
        } else if let Err(error) =
            std::fs::create_dir_all(out).and_then(|()| std::fs::write(&path, page))
        {
            eprintln!("error: cannot write {}: {error}", path.display());
            return ExitCode::from(EXIT_ERRORS);
        }
    }
    if !stale.is_empty() {
        eprintln!(
            "error: module documentation is out of date: {}",
            stale.join(", ")
        );
        eprintln!(
            "run `infrac doc --out {}` and commit the result",
            out.display()
        );
        return ExitCode::from(EXIT_ERRORS);
    }
    eprintln!(
        "{} module page(s) in {} are up to date",
        pages.len() - 1,
        out.display()
    );
    ExitCode::SUCCESS
}
