//! Incrementality, shown with salsa's event log: after an edit to `dev.infra`, checking `pro`
//! (which does not extend dev) does not evaluate pro again; the editor's per-keystroke work stays
//! with the environment being edited.

use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use infrac_core::config::EnvName;
use infrac_core::db::{RootDatabase, SourceFile, Workspace};
use infrac_emit::analysis::{check_env, set_file_text, stdlib_files};

const BASE: &str = r#"project shop {
  region = "eu-west-1"
  state  = { bucket = "shop-tfstate" }
}
param azs: int(1..6) = 2
param nat: string = "single"
layer foundation {
  kms_key main { description = "shop ${env}" }
  s3_bucket logs { bucket = "shop-${env}-logs", kms_key_arn = main.arn }
}
"#;

/// The salsa queries that ran since the log was last cleared, by query name.
fn executed(log: &Mutex<Vec<String>>, query: &str) -> usize {
    log.lock()
        .map(|entries| {
            entries
                .iter()
                .filter(|e| e.starts_with(&format!("{query}(")))
                .count()
        })
        .unwrap_or(0)
}

fn clear(log: &Mutex<Vec<String>>) {
    if let Ok(mut entries) = log.lock() {
        entries.clear();
    }
}

#[test]
fn editing_dev_does_not_evaluate_pro_again() {
    let log = Arc::new(Mutex::new(Vec::new()));
    let mut db = RootDatabase::with_event_log(log.clone());
    let file = |db: &RootDatabase, name: &str, text: &str| {
        SourceFile::new(
            db,
            PathBuf::from(format!("/shop/{name}")),
            Arc::from(text),
            false,
        )
    };
    let base = file(&db, "base.infra", BASE);
    let dev = file(&db, "dev.infra", "env dev {\n  azs = 1\n}\n");
    let pre = file(&db, "pre.infra", "env pre {\n  azs = 3\n}\n");
    let pro = file(
        &db,
        "pro.infra",
        "env pro extends pre {\n  nat = \"per_az\"\n}\n",
    );
    let mut files = vec![base, dev, pre, pro];
    files.extend(stdlib_files(&mut db));
    let workspace = Workspace::new(&db, files, PathBuf::from("/shop"), Vec::new(), Vec::new());
    let check = |db: &RootDatabase, env: &str| {
        let env = EnvName::new(db, env.to_string());
        check_env(db, workspace, env).clone()
    };
    assert_eq!(check(&db, "pro"), Vec::new());
    assert_eq!(check(&db, "dev"), Vec::new());

    // A value edit in dev.
    clear(&log);
    set_file_text(&mut db, dev, "env dev {\n  azs = 2\n}\n".into());
    assert_eq!(check(&db, "pro"), Vec::new());
    assert_eq!(
        executed(&log, "parse_file"),
        1,
        "dev is parsed again: {:?}",
        log.lock().map(|l| l.clone())
    );
    for query in [
        "env_chain",
        "effective_config",
        "env_model",
        "check_policies",
    ] {
        assert_eq!(
            executed(&log, query),
            0,
            "{query} of pro ran again after an edit to dev: {:?}",
            log.lock().map(|l| l.clone())
        );
    }
    // dev itself is evaluated again (the test would pass vacuously otherwise).
    clear(&log);
    assert_eq!(check(&db, "dev"), Vec::new());
    assert_eq!(executed(&log, "env_model"), 1);
    assert_eq!(executed(&log, "effective_config"), 1);

    // An edit in pre does evaluate pro again: pro extends pre.
    clear(&log);
    set_file_text(&mut db, pre, "env pre {\n  azs = 4\n}\n".into());
    assert_eq!(check(&db, "pro"), Vec::new());
    assert_eq!(executed(&log, "env_model"), 1);
}

const LAYERED: &str = r#"project shop {
  region = "eu-west-1"
  state  = { bucket = "shop-tfstate" }
}
param tier: string = "small"
layer foundation {
  kms_key main { description = "shop ${env}" }
  output key_arn: string = main.arn
}
layer data {
  s3_bucket logs { bucket = "shop-${env}-logs", kms_key_arn = foundation.key_arn }
}
layer apps {
  log_group api { name = "/shop/${env}/api", retention_days = 30, kms_key_arn = foundation.key_arn }
}
"#;

/// Layers are merged and evaluated one by one: a value edited inside one layer's instance (in
/// the base or in an environment) merges and evaluates that layer again and no other, and the
/// environment's parameters are not evaluated again.
#[test]
fn editing_one_layer_evaluates_that_layer_alone() {
    let log = Arc::new(Mutex::new(Vec::new()));
    let mut db = RootDatabase::with_event_log(log.clone());
    let base = SourceFile::new(
        &db,
        PathBuf::from("/shop/base.infra"),
        Arc::from(LAYERED),
        false,
    );
    let dev_text =
        "env dev {\n  data.logs.bucket = \"shop-dev-logs-1\"\n  apps.api.retention_days = 7\n}\n";
    let dev = SourceFile::new(
        &db,
        PathBuf::from("/shop/dev.infra"),
        Arc::from(dev_text),
        false,
    );
    let mut files = vec![base, dev];
    files.extend(stdlib_files(&mut db));
    let workspace = Workspace::new(&db, files, PathBuf::from("/shop"), Vec::new(), Vec::new());
    let check = |db: &RootDatabase| {
        let env = EnvName::new(db, "dev".to_string());
        check_env(db, workspace, env).clone()
    };
    assert_eq!(check(&db), Vec::new());
    let layers_evaluated = |log: &Mutex<Vec<String>>| -> Vec<String> {
        let entries = log.lock().map(|l| l.clone()).unwrap_or_default();
        entries
            .iter()
            .filter(|e| e.starts_with("placed_layer_eval("))
            .cloned()
            .collect()
    };

    // The apps layer's log group name in the base (same length, nothing moves).
    clear(&log);
    set_file_text(&mut db, base, LAYERED.replace("/api\"", "/web\""));
    assert_eq!(check(&db), Vec::new());
    let evaluated = layers_evaluated(&log);
    assert_eq!(evaluated.len(), 1, "{evaluated:?}");
    // A check merges inside the layer's evaluation and keeps no merged tree.
    assert_eq!(executed(&log, "layer_config"), 0);
    assert_eq!(executed(&log, "env_globals"), 0);
    assert_eq!(executed(&log, "env_model"), 1);

    // The base's retention, which dev overrides: the layer is merged again, its evaluation
    // equals the previous one, and nothing after it runs.
    clear(&log);
    let edited = LAYERED
        .replace("/api\"", "/web\"")
        .replace("= 30,", "= 90,");
    set_file_text(&mut db, base, edited.clone());
    assert_eq!(check(&db), Vec::new());
    assert_eq!(layers_evaluated(&log).len(), 1);
    assert_eq!(executed(&log, "env_model"), 0);

    // An override of the data layer in dev: only data is merged and evaluated again.
    clear(&log);
    set_file_text(&mut db, dev, dev_text.replace("logs-1", "logs-2"));
    assert_eq!(check(&db), Vec::new());
    let evaluated = layers_evaluated(&log);
    assert_eq!(evaluated.len(), 1, "{evaluated:?}");
    assert_eq!(executed(&log, "layer_config"), 0);
    assert_eq!(executed(&log, "env_globals"), 0);

    // Edits that change lengths, and so move every line after them: a longer log bucket name in
    // the first override of dev, and a longer key description in the first layer of the base.
    // Only the edited layer is evaluated again; the others are mapped to their new offsets.
    clear(&log);
    set_file_text(&mut db, dev, dev_text.replace("logs-1", "logs-1234"));
    assert_eq!(check(&db), Vec::new());
    let evaluated = layers_evaluated(&log);
    assert_eq!(evaluated.len(), 1, "{evaluated:?}");
    clear(&log);
    let longer = edited.replace("\"shop ${env}\"", "\"the shop of ${env}\"");
    set_file_text(&mut db, base, longer.clone());
    assert_eq!(check(&db), Vec::new());
    let evaluated = layers_evaluated(&log);
    assert_eq!(evaluated.len(), 1, "{evaluated:?}");

    // A parameter edit evaluates every layer again (each reads the parameters).
    clear(&log);
    set_file_text(&mut db, base, longer.replace("\"small\"", "\"large\""));
    assert_eq!(check(&db), Vec::new());
    assert_eq!(executed(&log, "env_globals"), 1);
    assert_eq!(layers_evaluated(&log).len(), 3);
}
