//! infrac-core: the semantics of the language, as salsa queries on one database.
//!
//! The database and its inputs (`db`), diagnostics as plain data, the project index, the merge of
//! environments with provenance (`config`), types, the evaluator and type checker (`model`), the
//! layer graph, policies, functions, values and the standard library, and the interfaces that
//! modules' own Terraform files declare (`terraform`). It writes no Terraform and knows nothing of
//! editors or terminals: emission (`infrac-emit`), editor features
//! (`infrac-ide`) and the CLI sit above it.

// The syntax crate under the module names it had inside one crate, so that paths read the same in
// every layer (`crate::syntax::parse`, `crate::source::TextRange`).
pub use infrac_syntax as syntax;
pub use infrac_syntax::source;

pub mod config;
pub mod db;
pub mod diagnostics;
pub mod functions;
pub mod layers;
pub mod literal;
pub mod model;
pub mod policy;
pub mod project;
pub mod schema;
pub mod shadow;
pub mod shared;
pub mod stdlib;
pub mod terraform;
pub mod trace;
pub mod types;
pub mod value;
