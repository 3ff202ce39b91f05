//! infrac: a typed configuration language for layered Terraform, and its compiler.
//!
//! The engine is a set of salsa queries (see `db`); the CLI, the language server and the CI step
//! all call the same ones.

pub mod analysis;
pub mod config;
pub mod db;
pub mod diagnostics;
pub mod doc;
pub mod emit;
pub mod functions;
pub mod ide;
pub mod layers;
pub mod model;
pub mod policy;
pub mod project;
pub mod render;
pub mod shadow;
pub mod shared;
pub mod source;
pub mod stdlib;
pub mod syntax;
pub mod trace;
pub mod types;
pub mod value;
