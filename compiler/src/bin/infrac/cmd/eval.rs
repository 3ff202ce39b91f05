//! `infrac eval`: the effective, fully resolved values of an environment as JSON.

use std::io::Write;
use std::path::Path;
use std::process::ExitCode;

use infrac_core::config::EnvName;
use infrac_core::model::{env_model, EnvModel, PlacedLayer};
use infrac_emit::emit::json::JsonWriter;

use super::checked;
use crate::EXIT_ERRORS;

pub(crate) fn eval(env_file: &Path) -> ExitCode {
    let (loaded, env) = match checked(env_file) {
        Ok(ok) => ok,
        Err(code) => return code,
    };
    let model = env_model(&loaded.db, loaded.workspace, EnvName::new(&loaded.db, env));
    // Written as it is produced: no JSON tree of the whole environment in memory.
    let written = eval_document(JsonWriter::new(std::io::stdout().lock()), model);
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

/// `infrac eval`'s document: the environment, its chain, its parameters, and every layer with its
/// directory, dependencies, instances (module and inputs) and outputs.
fn eval_document<W: Write>(mut json: JsonWriter<W>, model: &EnvModel) -> std::io::Result<()> {
    json.open(b'{');
    json.field("env");
    json.string(&model.env);
    json.field("chain");
    json.strings(&model.chain)?;
    json.field("params");
    json.object(&model.params, |json, (name, value)| {
        json.key(name);
        json.value(value)
    })?;
    json.field("layers");
    json.object(&model.layers, |json, layer| {
        json.key(&layer.name);
        eval_layer(json, layer)
    })?;
    json.close(b'}')?;
    let mut out = json.finish()?;
    writeln!(out)?;
    out.flush()
}

fn eval_layer<W: Write>(json: &mut JsonWriter<W>, layer: &PlacedLayer) -> std::io::Result<()> {
    json.open(b'{');
    json.field("dir");
    json.string(&layer.dir);
    json.field("depends_on");
    json.strings(&layer.depends_on)?;
    json.field("instances");
    json.object(layer.instances.iter(), |json, instance| {
        json.key(&instance.name);
        json.open(b'{');
        json.field("module");
        json.string(&instance.kind);
        json.field("inputs");
        json.object(&instance.inputs, |json, (name, value)| {
            json.key(name);
            json.value(value)
        })?;
        json.close(b'}')
    })?;
    json.field("outputs");
    json.object(&layer.outputs, |json, output| {
        json.key(&output.name);
        json.value(&output.value)
    })?;
    json.close(b'}')
}
