//! Snippets of items and members, offered by completion only where such a thing may start: an
//! item at the start of a line at the top level, an `output` in a layer's body, an `input` in a
//! module's body. Bodies use LSP's snippet syntax (`${1:name}`, `$0`; `\\$` is a literal `$`).

/// Where a snippet may be inserted.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Place {
    /// The start of an item: column 0, outside every item.
    Top,
    /// A statement of a layer's body.
    LayerBody,
    /// A statement of a module's body.
    ModuleBody,
}

pub struct Snippet {
    /// What the user types to find it.
    pub prefix: &'static str,
    pub place: Place,
    pub description: &'static str,
    pub body: &'static str,
}

pub const SNIPPETS: &[Snippet] = &[
    Snippet {
        prefix: "project",
        place: Place::Top,
        description: "The project: region, state bucket, tags",
        body: r#"project ${1:name} {
  region = "${2:eu-west-1}"
  state  = { bucket = "${3:$1}-tfstate-\${env}" }
  tags   = { project = "$1" }
}
$0"#,
    },
    Snippet {
        prefix: "param",
        place: Place::Top,
        description: "A typed parameter with a default",
        body: r#"/// ${3:What it is for.}
param ${1:name}: ${2:string} = ${4:""}
$0"#,
    },
    Snippet {
        prefix: "type",
        place: Place::Top,
        description: "A named type",
        body: r#"type ${1:Name} = ${2:enum("a", "b")}
$0"#,
    },
    Snippet {
        prefix: "module",
        place: Place::Top,
        description: "A module: a typed interface in front of Terraform code",
        body: r#"/// ${2:What it creates.}
module ${1:name} {
  source = "${3:modules/$1}"
  /// ${5:What it is.}
  input ${4:name}: ${6:string}
  output ${7:id}: ${8:string}
}
$0"#,
    },
    Snippet {
        prefix: "layer",
        place: Place::Top,
        description: "A layer: one Terraform root module with its own state",
        body: r#"/// ${2:What it holds.}
layer ${1:name} {
  ${3:module} ${4:instance} {
    $0
  }
}"#,
    },
    Snippet {
        prefix: "shared",
        place: Place::Top,
        description: "A layer shared by every environment: one root module and one state, applied first, once",
        body: r#"/// ${2:What every environment shares.}
shared layer ${1:name} {
  ${3:module} ${4:instance} {
    $0
  }
}"#,
    },
    Snippet {
        prefix: "layerfor",
        place: Place::Top,
        description: "A layer repeated over a map parameter",
        body: r#"layer ${1:name}(${2:key}, ${3:value}) for ${4:param} {
  $0
}"#,
    },
    Snippet {
        prefix: "output",
        place: Place::LayerBody,
        description: "A layer output, read by other layers as layer.output",
        body: r#"output ${1:name}: ${2:string} = ${3:instance.output}"#,
    },
    Snippet {
        prefix: "input",
        place: Place::ModuleBody,
        description: "A module input",
        body: r#"/// ${3:What it is.}
input ${1:name}: ${2:string}"#,
    },
    Snippet {
        prefix: "env",
        place: Place::Top,
        description: "An environment",
        body: r#"/// ${2:What it is for.}
env ${1:name} {
  $0
}"#,
    },
    Snippet {
        prefix: "envext",
        place: Place::Top,
        description: "An environment that extends another",
        body: r#"env ${1:name} extends ${2:parent} {
  $0
}"#,
    },
    Snippet {
        prefix: "policy",
        place: Place::Top,
        description: "Rules checked at compile time for environments",
        body: r#"policy ${1:name} for ${2:pro} {
  require ${3:rule} "${4:why}"
}"#,
    },
];
