//! Any text parsed and resolved against the bundled tables, each resolved
//! query (and each `let` it defines) lowered to a Polars lazy frame, and
//! any error rendered against the text. Nothing is collected: this checks
//! that resolution and lowering never panic, not what queries compute.
//!
//! Paths in queries are answered only when they are relative, without `..`
//! and without `**` (relative to the directory the fuzzer runs in, the
//! repository's root under `fuzz/run.sh`, whose fixtures the seeds name),
//! so the fuzzer neither reads the machine's files nor walks large trees.

#![no_main]

use std::collections::HashMap;
use std::path::{Component, Path};
use std::sync::OnceLock;

use chrono::{NaiveDate, NaiveDateTime};
use infraql::engine::polars::Engine;
use infraql::plan::resolve::{self, Catalog, Step};
use infraql::plan::schema::Schema;
use libfuzzer_sys::{Corpus, fuzz_target};

/// The bundled tables, loaded once for the whole run.
fn engine() -> &'static Engine {
    static ENGINE: OnceLock<Engine> = OnceLock::new();
    ENGINE.get_or_init(|| Engine::with_bundled_datasets().expect("the bundled tables load"))
}

/// The engine's tables, and its files where the path stays inside the
/// working directory.
struct Confined<'a>(&'a Engine);

impl Catalog for Confined<'_> {
    fn table(&self, name: &str) -> Option<Schema> {
        self.0.table(name)
    }

    fn table_names(&self) -> Vec<String> {
        self.0.table_names()
    }

    fn file(&self, path: &str) -> Result<Schema, String> {
        let confined = !path.contains("**")
            && Path::new(path)
                .components()
                .all(|c| matches!(c, Component::Normal(_) | Component::CurDir));
        if confined {
            self.0.file(path)
        } else {
            Err(format!("`{path}` is outside the fuzzing directory"))
        }
    }
}

/// A fixed `now()`, so a crash reproduces.
fn now() -> NaiveDateTime {
    NaiveDate::from_ymd_opt(2025, 11, 24)
        .and_then(|day| day.and_hms_opt(12, 0, 0))
        .expect("a valid instant")
}

fuzz_target!(|data: &[u8]| -> Corpus {
    let Ok(text) = std::str::from_utf8(data) else {
        return Corpus::Reject;
    };
    let script = match infraql::syntax::parse(text) {
        Ok(script) => script,
        Err(diagnostic) => {
            diagnostic.render("fuzz.iql", text, false);
            return Corpus::Keep;
        }
    };
    let engine = engine();
    let mut bindings = HashMap::new();
    match resolve::resolve(&script, text, &Confined(engine), &mut bindings, now()) {
        Ok(steps) => {
            for step in &steps {
                if let Step::Run { query, .. } = step {
                    // An error here is a message for the user; only a
                    // panic is a finding.
                    let _ = engine.lazy(&query.plan);
                }
            }
            for binding in bindings.values() {
                let _ = engine.lazy(&binding.plan);
            }
        }
        Err(diagnostics) => {
            for diagnostic in &diagnostics {
                diagnostic.render("fuzz.iql", text, false);
            }
        }
    }
    Corpus::Keep
});
