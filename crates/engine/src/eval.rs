//! Evaluated values as serde data: the document `infrac eval` prints, and where each value was set.

use std::io::{self, Write};

use infrac_core::model::{EnvModel, PlacedLayer};
use infrac_core::value::Value;
use infrac_emit::emit::json::JsonWriter;
use infrac_emit::emit::SHARED_DIR;
use serde::Serialize;

use crate::diagnostic::Location;

/// Where a value was set: the definition that won, the ones it overrode (nearest first), or, for
/// a module input left at its default, the input's declaration.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize)]
pub struct Provenance {
    /// `None` when the value is a module input's default.
    pub set_at: Option<Definition>,
    pub overrode: Vec<Definition>,
    /// For a default: the module and where its input is declared.
    pub default_of: Option<(String, Location)>,
}

/// One definition of a value: where, and in which environment (`None`: the shared base).
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize)]
pub struct Definition {
    pub location: Location,
    pub env: Option<String>,
}

/// Writes `infrac eval`'s document into `out` as pretty JSON (serde_json's pretty layout): the
/// environment, its chain, its parameters, every layer with its directory, dependencies,
/// instances (module and inputs) and outputs, and the shared layers the same way (`null` when the
/// project has none). Written as it is produced, with no JSON tree of the
/// whole environment in memory; returns `out`, flushed, without a final newline.
///
/// The one definition of the document: `infrac eval` prints it and [`crate::Project::evaluate`]
/// reads it back as serde data.
pub fn write_eval_json<W: Write>(model: &EnvModel, out: W) -> io::Result<W> {
    let mut json = JsonWriter::new(out);
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
    write_layers(&mut json, model, "")?;
    // The shared layers, evaluated without an environment: `{"layers": {...}}`, or null.
    json.field("shared");
    match model.shared.as_deref() {
        None => json.value(&Value::Null)?,
        Some(shared) => {
            json.open(b'{');
            json.field("layers");
            write_layers(&mut json, shared, &format!("{SHARED_DIR}/"))?;
            json.close(b'}')?;
        }
    }
    json.close(b'}')?;
    json.finish()
}

/// The layers of a model, keyed by name, their directories under `prefix` (`shared/`).
fn write_layers<W: Write>(
    json: &mut JsonWriter<W>,
    model: &EnvModel,
    prefix: &str,
) -> io::Result<()> {
    json.object(&model.layers, |json, layer| {
        json.key(&layer.name);
        write_layer(json, layer, prefix)
    })
}

fn write_layer<W: Write>(
    json: &mut JsonWriter<W>,
    layer: &PlacedLayer,
    prefix: &str,
) -> io::Result<()> {
    json.open(b'{');
    json.field("dir");
    json.string(&format!("{prefix}{}", layer.dir));
    json.field("depends_on");
    json.strings(&layer.depends_on)?;
    json.field("instances");
    json.object(layer.instances.iter(), |json, instance| {
        json.key(&instance.name);
        json.open(b'{');
        // `module`, or for an instance of a provider's type `resource` or `data` and the type.
        match &instance.resource {
            Some(shape) => {
                json.field(match shape.kind {
                    infrac_core::schema::EntryKind::Resource => "resource",
                    infrac_core::schema::EntryKind::Data => "data",
                });
                json.string(&shape.type_name);
            }
            None => {
                json.field("module");
                json.string(&instance.kind);
            }
        }
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
