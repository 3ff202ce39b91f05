//! infrac-python: the Python package (`import infrac`), on the embedding API (`infrac-engine`).
//!
//! `check(path)` returns the diagnostics of a project directory or of the environments of one
//! file as a list of dicts; `eval(env_file)` returns the values `infrac eval` prints as a dict;
//! `build(env_file)` returns every generated file as `{path: text}`, writing nothing. A failure
//! raises `infrac.InfracError`, whose `diagnostics` attribute holds the diagnostics.

use std::path::{Path, PathBuf};

use infrac_engine::{Diagnostic, Failure, Project};
use pyo3::exceptions::PyException;
use pyo3::prelude::*;

pyo3::create_exception!(
    infrac,
    InfracError,
    PyException,
    "An environment that does not check, or a path that names no project or environment; `diagnostics` holds the diagnostics (dicts as `check` returns them)."
);

/// A Python object from serde data, through the `json` module (dicts keep the order).
fn to_python<T: serde::Serialize>(py: Python<'_>, value: &T) -> PyResult<Py<PyAny>> {
    let text = serde_json::to_string(value)
        .map_err(|error| PyException::new_err(format!("cannot convert a value: {error}")))?;
    Ok(py.import("json")?.call_method1("loads", (text,))?.unbind())
}

/// `InfracError(message)` carrying `diagnostics`.
fn error(py: Python<'_>, message: String, diagnostics: &[Diagnostic]) -> PyErr {
    let error = InfracError::new_err(message);
    match to_python(py, &diagnostics) {
        Ok(list) => match error.value(py).setattr("diagnostics", list) {
            Ok(()) => error,
            Err(setattr_error) => setattr_error,
        },
        Err(conversion_error) => conversion_error,
    }
}

fn failed(py: Python<'_>, failure: &Failure) -> PyErr {
    error(py, failure.to_string(), &failure.diagnostics)
}

/// The project of an environment file (its directory) and the one environment the file declares.
fn env_file_project(py: Python<'_>, env_file: &Path) -> PyResult<(Project, String)> {
    if !env_file.is_file() {
        let message = format!("{} does not exist or is not a file", env_file.display());
        return Err(error(py, message, &[]));
    }
    let dir = env_file.parent().unwrap_or(Path::new("."));
    let dir = if dir.as_os_str().is_empty() {
        Path::new(".")
    } else {
        dir
    };
    let project = Project::load_dir(dir);
    let name = env_file.file_name().map(PathBuf::from).unwrap_or_default();
    match project.environments_in(&name).as_slice() {
        [env] => {
            let env = env.clone();
            Ok((project, env))
        }
        envs => {
            let message = format!(
                "{} must declare exactly one environment; it declares {}",
                env_file.display(),
                if envs.is_empty() {
                    "none".to_string()
                } else {
                    envs.join(", ")
                }
            );
            Err(error(py, message, &[]))
        }
    }
}

/// The diagnostics of a project directory (every environment), or of the environments an
/// environment file declares, as `infrac check PATH` reports them; warnings included.
#[pyfunction]
fn check(py: Python<'_>, path: PathBuf) -> PyResult<Py<PyAny>> {
    let diagnostics = if path.is_dir() {
        Project::load_dir(&path).check_all()
    } else if path.is_file() {
        let dir = path.parent().filter(|d| !d.as_os_str().is_empty());
        let project = Project::load_dir(dir.unwrap_or(Path::new(".")));
        let name = path.file_name().map(PathBuf::from).unwrap_or_default();
        let mut all: Vec<Diagnostic> = Vec::new();
        for env in project.environments_in(&name) {
            for diagnostic in project.check(&env) {
                if !all.contains(&diagnostic) {
                    all.push(diagnostic);
                }
            }
        }
        all
    } else {
        let message = format!("{} does not exist", path.display());
        return Err(error(py, message, &[]));
    };
    to_python(py, &diagnostics)
}

/// The effective values of the environment `env_file` declares, as `infrac eval` prints them.
#[pyfunction]
fn eval(py: Python<'_>, env_file: PathBuf) -> PyResult<Py<PyAny>> {
    let (project, env) = env_file_project(py, &env_file)?;
    let evaluation = project.evaluate(&env).map_err(|f| failed(py, &f))?;
    to_python(py, &evaluation.values)
}

/// Every file `infrac build env_file` writes into a fresh directory, as `{path: text}`.
#[pyfunction]
fn build(py: Python<'_>, env_file: PathBuf) -> PyResult<Py<PyAny>> {
    let (project, env) = env_file_project(py, &env_file)?;
    let files = project.build(&env).map_err(|f| failed(py, &f))?;
    let texts: std::collections::BTreeMap<String, String> = files
        .into_iter()
        .map(|(path, bytes)| (path, String::from_utf8_lossy(&bytes).into_owned()))
        .collect();
    to_python(py, &texts)
}

#[pymodule]
fn infrac(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(check, m)?)?;
    m.add_function(wrap_pyfunction!(eval, m)?)?;
    m.add_function(wrap_pyfunction!(build, m)?)?;
    m.add("InfracError", m.py().get_type::<InfracError>())?;
    Ok(())
}
