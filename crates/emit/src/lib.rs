//! infrac-emit: Terraform emission and the entry points that check and build an environment.
//!
//! `emit` renders an environment's model as Terraform root modules in memory (and the generated
//! `terraform test` files); `analysis` holds the queries shared by the CLI, the language server
//! and the embedding API (`load_project`, `check_env`, `emit_env`); `doc` renders module reference
//! pages. Nothing here writes a file.

// The lower crates under the module names they had inside one crate, so that paths read the same
// in every layer (`crate::model::env_model`).
use infrac_core::{
    config, db, diagnostics, model, policy, project, schema, shadow, shared, stdlib, terraform,
    types, value,
};
use infrac_syntax as syntax;

pub mod analysis;
pub mod doc;
pub mod emit;
