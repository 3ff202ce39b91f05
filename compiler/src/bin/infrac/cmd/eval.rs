//! `infrac eval`: the effective, fully resolved values of an environment as JSON.

use std::io::Write as _;
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
    // Serialized as it is written: no JSON tree of the whole environment in memory.
    let mut stdout = std::io::BufWriter::new(std::io::stdout().lock());
    let written = serde_json::to_writer_pretty(&mut stdout, &infrac_engine::EvalDocument(model))
        .map_err(std::io::Error::from)
        .and_then(|()| writeln!(stdout))
        .and_then(|()| stdout.flush());
    drop(stdout);
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
