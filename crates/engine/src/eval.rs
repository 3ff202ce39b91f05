//! Evaluated values as serde data: the document `infrac eval` prints, and where each value was set.

use infrac_core::model::{EnvModel, InstanceModel, PlacedLayer};
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

/// `infrac eval`'s document: the environment, its chain, its parameters, every layer with its
/// directory, dependencies, instances (module and inputs) and outputs, and the shared layers the
/// same way (`null` when the project has none).
pub struct EvalDocument<'a>(pub &'a EnvModel);

impl serde::Serialize for EvalDocument<'_> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let model = self.0;
        let mut map = serializer.serialize_map(Some(5))?;
        map.serialize_entry("env", &model.env)?;
        map.serialize_entry("chain", &model.chain)?;
        map.serialize_entry("params", &model.params)?;
        map.serialize_entry("layers", &EvalLayers(model, ""))?;
        map.serialize_entry("shared", &model.shared.as_deref().map(SharedLayers))?;
        map.end()
    }
}

/// The layers of a model, keyed by name, their directories under a prefix (`shared/`).
struct EvalLayers<'a>(&'a EnvModel, &'a str);

impl serde::Serialize for EvalLayers<'_> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let mut map = serializer.serialize_map(Some(self.0.layers.len()))?;
        for layer in &self.0.layers {
            map.serialize_entry(&layer.name, &EvalLayer(layer, self.1))?;
        }
        map.end()
    }
}

/// The shared layers, evaluated without an environment: `{"layers": {...}}`.
struct SharedLayers<'a>(&'a EnvModel);

impl serde::Serialize for SharedLayers<'_> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let mut map = serializer.serialize_map(Some(1))?;
        let prefix = format!("{}/", infrac_emit::emit::SHARED_DIR);
        map.serialize_entry("layers", &EvalLayers(self.0, &prefix))?;
        map.end()
    }
}

struct EvalLayer<'a>(&'a PlacedLayer, &'a str);

impl serde::Serialize for EvalLayer<'_> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let layer = self.0;
        let mut map = serializer.serialize_map(Some(4))?;
        map.serialize_entry("dir", &format!("{}{}", self.1, layer.dir))?;
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
