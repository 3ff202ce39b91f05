//! `infrac guard`: refuse deletes and replaces of protected resources in a Terraform plan.

use std::path::Path;
use std::process::ExitCode;

use crate::ops;
use crate::{EXIT_ERRORS, EXIT_USAGE};

pub(crate) fn guard(plan: &Path, env: &str, allow: &[String]) -> ExitCode {
    let text = match std::fs::read_to_string(plan) {
        Ok(text) => text,
        Err(error) => {
            eprintln!("error: cannot read {}: {error}", plan.display());
            return ExitCode::from(EXIT_USAGE);
        }
    };
    match ops::guard(&text, allow) {
        Ok((refusals, total)) => {
            for refusal in &refusals {
                out!(
                    "REFUSED {} {}: {} (allow it with --allow {})",
                    refusal.actions,
                    refusal.address,
                    refusal.reason,
                    refusal.address
                );
            }
            if refusals.is_empty() {
                eprintln!(
                    "guard {env}: {total} change(s), no delete or replace of a protected resource"
                );
                ExitCode::SUCCESS
            } else {
                eprintln!(
                    "guard {env}: {} protected resource(s) would be deleted or replaced; refusing",
                    refusals.len()
                );
                ExitCode::from(EXIT_ERRORS)
            }
        }
        Err(error) => {
            eprintln!("error: {error}");
            ExitCode::from(EXIT_USAGE)
        }
    }
}
