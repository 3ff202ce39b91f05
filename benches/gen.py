#!/usr/bin/env python3
"""Writes the scaling workload of shared/bench-workload.md as an infrac project.

usage: gen.py (small|medium|large|L,M) OUT_DIR [--reference]

L layers x M components; each component is an instance of the user module `component` (a real,
small Terraform body: one terraform_data resource) with 11 typed attributes and a derived `fqdn`
declared once in the module and late-bound. base, dev (10 % overrides), pre (10 %), pro (extends
pre, 5 % more). A fixed seed makes every size deterministic. With --reference, also writes
`reference-pro.json`: the effective attributes of pro computed independently, by applying the
overrides in order, for the correctness test.

The same logical content is written as Pkl under OUT_DIR/pkl/, in the idiom Pkl's documentation
recommends: a template module (`Workload.pkl`) with a typed class `Component` whose `fqdn` is a
late-bound default, `base.pkl` amends the template, and each environment amends its parent
(`dev` and `pre` amend base, `pro` amends pre). A `tags` override amends the mapping (one key set,
the others kept), every other override replaces the value. `pkl eval -f json pkl/pro.pkl` prints
`{"layers": {LAYER: {INSTANCE: {attributes and fqdn}}}}`, which `benches/run.py` compares with the
instances' inputs in `infrac eval`.
"""

import copy
import json
import os
import random
import sys

SIZES = {"small": (4, 10), "medium": (20, 50), "large": (50, 200)}
NAMES = ["foundation", "network", "security", "platform", "databases", "messaging", "storage", "observability", "apps", "edge"]
KINDS = ["service", "worker", "cache", "queue", "gateway"]
REGIONS = ["eu-west-1", "eu-central-1", "us-east-1", "us-west-2"]
SIZES_NAMES = ["small", "medium", "large", "xlarge"]
ATTRS = ["name", "kind", "region", "size", "replicas", "memory_mb", "cpu", "enabled", "public", "ports", "tags"]


def layer_names(count):
    names = []
    for idx in range(count):
        base = NAMES[idx % len(NAMES)]
        names.append(base if idx < len(NAMES) else f"{base}{idx // len(NAMES):02d}")
    return names


def literal(value):
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(value)
    if isinstance(value, str):
        return json.dumps(value)
    if isinstance(value, list):
        return "[" + ", ".join(literal(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{ " + ", ".join(f"{k} = {literal(v)}" for k, v in value.items()) + " }"
    raise TypeError(value)


def component(rng, layer, idx):
    name = f"{layer}-c{idx:04d}"
    return {
        "name": name,
        "kind": rng.choice(KINDS),
        "region": rng.choice(REGIONS),
        "size": rng.choice(SIZES_NAMES),
        "replicas": rng.randint(1, 9),
        "memory_mb": rng.choice([256, 512, 1024, 2048]),
        "cpu": rng.choice([0.25, 0.5, 1.0, 2.0]),
        "enabled": rng.random() < 0.9,
        "public": rng.random() < 0.2,
        "ports": sorted(rng.sample([80, 443, 8080, 8443, 9090], 2)),
        "tags": {"team": rng.choice(["a", "b", "c"]), "tier": rng.choice(["web", "data"]), "owner": "platform", "cost": f"cc-{rng.randint(1, 99)}"},
    }


def new_value(rng, attr, current):
    if attr == "tags":
        return {"tier": rng.choice(["gold", "silver", "bronze"])}
    fresh = component(rng, "x", 0)
    if attr == "name":
        return current + "-v2"
    return fresh[attr]


def overrides(rng, components, share):
    pairs = [(key, attr) for key in components for attr in ATTRS]
    chosen = rng.sample(pairs, int(len(pairs) * share))
    out = {}
    for key, attr in sorted(chosen):
        out.setdefault(key, {})[attr] = new_value(rng, attr, components[key][attr])
    return out


def apply(components, changes):
    result = copy.deepcopy(components)
    for key, attrs in changes.items():
        for attr, value in attrs.items():
            if attr == "tags":
                result[key]["tags"].update(value)
            else:
                result[key][attr] = value
    return result


def env_file(name, extends, changes):
    lines = [f"env {name}{' extends ' + extends if extends else ''} {{"]
    for (layer, inst), attrs in changes.items():
        for attr, value in attrs.items():
            lines.append(f"  {layer}.{inst}.{attr} = {literal(value)}")
    lines.append("}")
    return "\n".join(lines) + "\n"


PKL_TEMPLATE = """/// The schema of the scaling workload: layers of components.
module Workload

typealias Kind = "service"|"worker"|"cache"|"queue"|"gateway"

typealias Size = "small"|"medium"|"large"|"xlarge"

/// An AWS region name such as `eu-west-1`, the pattern infrac's `string(region)` checks.
typealias Region = String(matches(Regex(#"[a-z]+(-[a-z]+)+-[0-9]+"#)))

/// One component of the workload.
class Component {
  name: String
  kind: Kind
  region: Region
  size: Size
  replicas: Int(isBetween(1, 100))
  memory_mb: Int(isBetween(128, 65536))
  cpu: Float(isBetween(0.25, 16.0))
  enabled: Boolean
  public: Boolean
  ports: Listing<Int(isBetween(1, 65535))>
  tags: Mapping<String, String>
  /// Late-bound: an environment that overrides `region` moves the name too.
  fqdn: String = "\\(name).\\(region).internal"
}

/// Components by layer, then by name.
layers: Mapping<String, Mapping<String, Component>>
"""


def pkl_string(text):
    out = []
    for char in text:
        if char in '\\"':
            out.append("\\" + char)
        elif char == "\n":
            out.append("\\n")
        elif ord(char) < 0x20 or ord(char) == 0x7F:
            out.append(f"\\u{{{ord(char):x}}}")
        else:
            out.append(char)
    return '"' + "".join(out) + '"'


def pkl_literal(value):
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(value)
    if isinstance(value, str):
        return pkl_string(value)
    if isinstance(value, list):
        return "new { " + "; ".join(pkl_literal(v) for v in value) + " }"
    raise TypeError(value)


def pkl_attr(attr, value, indent):
    """One attribute of a component: a `tags` mapping is amended (merged), the rest is assigned."""
    if attr == "tags":
        entries = "; ".join(f"[{pkl_string(k)}] = {pkl_literal(v)}" for k, v in value.items())
        return f"{indent}tags {{ {entries} }}"
    return f"{indent}{attr} = {pkl_literal(value)}"


def pkl_module(parent, by_layer):
    """A module that amends PARENT with BY_LAYER: {layer: {instance: {attr: value}}}."""
    lines = [f'amends "{parent}"', "", "layers {"]
    for layer, instances in by_layer.items():
        lines.append(f"  [{pkl_string(layer)}] {{")
        for inst, attrs in instances.items():
            lines.append(f"    [{pkl_string(inst)}] {{")
            lines.extend(pkl_attr(attr, value, "      ") for attr, value in attrs.items())
            lines.append("    }")
        lines.append("  }")
    lines.append("}")
    return "\n".join(lines) + "\n"


def by_layer(changes):
    out = {}
    for (layer, inst), attrs in changes.items():
        out.setdefault(layer, {})[inst] = attrs
    return out


def write_pkl(out, components, envs):
    directory = os.path.join(out, "pkl")
    os.makedirs(directory, exist_ok=True)
    modules = {"Workload.pkl": PKL_TEMPLATE, "base.pkl": pkl_module("Workload.pkl", by_layer(components))}
    for name, extends, changes in envs:
        modules[f"{name}.pkl"] = pkl_module(f"{extends or 'base'}.pkl", by_layer(changes))
    for name, text in modules.items():
        with open(os.path.join(directory, name), "w") as handle:
            handle.write(text)


def main():
    size, out = sys.argv[1], sys.argv[2]
    layers_count, per_layer = SIZES[size] if size in SIZES else map(int, size.split(","))
    rng = random.Random(20261124)
    os.makedirs(os.path.join(out, "component"), exist_ok=True)
    components = {}
    base = [
        "project bench {",
        '  region = "eu-west-1"',
        '  state  = { bucket = "bench-tfstate-${env}" }',
        "}",
        "",
        "/// One component of the workload.",
        "module component {",
        '  source = "component"',
        "  input name: string",
        '  input kind: enum("service", "worker", "cache", "queue", "gateway")',
        "  input region: string(region)",
        '  input size: enum("small", "medium", "large", "xlarge")',
        "  input replicas: int(1..100)",
        "  input memory_mb: int(128..65536)",
        "  input cpu: float(0.25..16.0)",
        "  input enabled: bool",
        "  input public: bool",
        "  input ports: list<int(1..65535)>",
        "  input tags: map<string>",
        '  input fqdn: string = "${name}.${region}.internal"',
        "  output id: string",
        "}",
        "",
    ]
    for layer in layer_names(layers_count):
        base.append(f"layer {layer} {{")
        for idx in range(per_layer):
            inst = f"c{idx:04d}"
            attrs = component(rng, layer, idx)
            components[(layer, inst)] = attrs
            base.append(f"  component {inst} {{")
            base.extend(f"    {k} = {literal(v)}" for k, v in attrs.items())
            base.append("  }")
        base.append("}")
        base.append("")
    with open(os.path.join(out, "base.infra"), "w") as handle:
        handle.write("\n".join(base))
    dev = overrides(rng, components, 0.10)
    pre = overrides(rng, components, 0.10)
    pro = overrides(rng, components, 0.05)
    for name, extends, changes in [("dev", None, dev), ("pre", None, pre), ("pro", "pre", pro)]:
        with open(os.path.join(out, f"{name}.infra"), "w") as handle:
            handle.write(env_file(name, extends, changes))
    write_pkl(out, components, [("dev", None, dev), ("pre", None, pre), ("pro", "pre", pro)])
    with open(os.path.join(out, "component", "main.tf"), "w") as handle:
        handle.write(COMPONENT_TF)
    if "--reference" in sys.argv:
        effective = apply(apply(components, pre), pro)
        reference = {}
        for (layer, inst), attrs in sorted(effective.items()):
            attrs = dict(attrs)
            attrs["fqdn"] = f"{attrs['name']}.{attrs['region']}.internal"
            reference.setdefault(layer, {})[inst] = attrs
        with open(os.path.join(out, "reference-pro.json"), "w") as handle:
            json.dump(reference, handle, indent=1, sort_keys=True)


COMPONENT_TF = """variable "name" {
  type = string
}

variable "kind" {
  type = string
}

variable "region" {
  type = string
}

variable "size" {
  type = string
}

variable "replicas" {
  type = number
}

variable "memory_mb" {
  type = number
}

variable "cpu" {
  type = number
}

variable "enabled" {
  type = bool
}

variable "public" {
  type = bool
}

variable "ports" {
  type = list(number)
}

variable "tags" {
  type = map(string)
}

variable "fqdn" {
  type = string
}

resource "terraform_data" "this" {
  input = {
    name      = var.name
    kind      = var.kind
    region    = var.region
    size      = var.size
    replicas  = var.replicas
    memory_mb = var.memory_mb
    cpu       = var.cpu
    enabled   = var.enabled
    public    = var.public
    ports     = var.ports
    tags      = var.tags
    fqdn      = var.fqdn
  }
}

output "id" {
  value = terraform_data.this.id
}
"""

if __name__ == "__main__":
    main()
