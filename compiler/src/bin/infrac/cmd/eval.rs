//! `infrac eval`: the effective, fully resolved values of an environment as JSON.

use std::io::Write as _;
use std::path::Path;
use std::process::ExitCode;

use infrac_core::config::EnvName;
use infrac_core::model::{env_model, InstanceModel, PlacedLayer};

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
    let written = serde_json::to_writer_pretty(&mut stdout, &EvalDocument(model))
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

/// `infrac eval`'s document: the environment, its chain, its parameters, and every layer with its
/// directory, dependencies, instances (module and inputs) and outputs.
struct EvalDocument<'a>(&'a infrac_core::model::EnvModel);

impl serde::Serialize for EvalDocument<'_> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let model = self.0;
        let mut map = serializer.serialize_map(Some(4))?;
        map.serialize_entry("env", &model.env)?;
        map.serialize_entry("chain", &model.chain)?;
        map.serialize_entry("params", &model.params)?;
        map.serialize_entry(
            "layers",
            &JsonObject(&model.layers, |layer| (&layer.name, EvalLayer(layer))),
        )?;
        map.end()
    }
}

struct EvalLayer<'a>(&'a PlacedLayer);

impl serde::Serialize for EvalLayer<'_> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let layer = self.0;
        let mut map = serializer.serialize_map(Some(4))?;
        map.serialize_entry("dir", &layer.dir)?;
        map.serialize_entry("depends_on", &layer.depends_on)?;
        map.serialize_entry(
            "instances",
            &JsonObject(&layer.instances, |instance| {
                (&instance.name, EvalInstance(instance))
            }),
        )?;
        map.serialize_entry(
            "outputs",
            &JsonObject(&layer.outputs, |output| (&output.name, &output.value)),
        )?;
        map.end()
    }
}

struct EvalInstance<'a>(&'a InstanceModel);

impl serde::Serialize for EvalInstance<'_> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let instance = self.0;
        let mut map = serializer.serialize_map(Some(2))?;
        map.serialize_entry("module", &instance.kind)?;
        map.serialize_entry(
            "inputs",
            &JsonObject(&instance.inputs, |(name, value)| (name, value)),
        )?;
        map.end()
    }
}

/// A JSON object of `items`, in their order, each as `entry(item) = (key, value)`.
struct JsonObject<'a, T, K, V>(&'a [T], fn(&'a T) -> (K, V));

impl<T, K: serde::Serialize, V: serde::Serialize> serde::Serialize for JsonObject<'_, T, K, V> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let mut map = serializer.serialize_map(Some(self.0.len()))?;
        for item in self.0 {
            let (key, value) = (self.1)(item);
            map.serialize_entry(&key, &value)?;
        }
        map.end()
    }
}
