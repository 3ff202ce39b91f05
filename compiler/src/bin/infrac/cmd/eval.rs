//! `infrac eval`: the effective, fully resolved values of an environment as JSON.

use std::io::Write;
use std::path::Path;
use std::process::ExitCode;

use infrac_core::config::EnvName;
use infrac_core::model::env_model;

use super::checked;
use crate::EXIT_ERRORS;

pub(crate) fn eval(env_file: &Path) -> ExitCode {
    let (loaded, env) = match checked(env_file) {
        Ok(ok) => ok,
        Err(code) => return code,
    };
    let model = env_model(&loaded.db, loaded.workspace, EnvName::new(&loaded.db, env));
    // Written as it is produced: no JSON tree of the whole environment in memory.
    let written = infrac_engine::write_eval_json(model, std::io::stdout().lock())
        .and_then(|mut out| writeln!(out).and_then(|()| out.flush()));
    // Not freed piece by piece: see `build`.
    std::mem::forget(loaded);
    match written {
        Ok(()) => ExitCode::SUCCESS,
        // A closed pipe (`infrac eval ... | head`) is not an error of the environment.
        Err(error) if error.kind() == std::io::ErrorKind::BrokenPipe => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("error: cannot write the values: {error}");
            ExitCode::from(EXIT_ERRORS)
        }
    }
}
