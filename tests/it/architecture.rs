//! ARCHITECTURE.md's invariants, checked against the source tree: the
//! layers import only what they may, only the binary prints or exits, and
//! the code map names every module.

use std::path::Path;

use crate::{files_with_extension, root};

/// The Rust files under `src/<dir>`, with their text.
fn sources(dir: &str) -> Vec<(String, String)> {
    files_with_extension(&root().join("src").join(dir), "rs")
        .into_iter()
        .map(|path| {
            let text = std::fs::read_to_string(&path).expect("source is readable");
            let shown = path
                .strip_prefix(root())
                .unwrap_or(&path)
                .display()
                .to_string();
            (shown, text)
        })
        .collect()
}

/// The code of `text` without comments and doc comments, so that prose
/// naming another layer does not count as a use of it.
fn code(text: &str) -> String {
    text.lines()
        .map(|line| match line.find("//") {
            Some(at) => &line[..at],
            None => line,
        })
        .collect::<Vec<_>>()
        .join("\n")
}

#[test]
fn syntax_knows_no_tables_types_or_engines() {
    for (path, text) in sources("syntax") {
        let code = code(&text);
        for forbidden in ["crate::plan", "crate::engine", "polars", "crate::session"] {
            assert!(!code.contains(forbidden), "{path} uses {forbidden}");
        }
    }
}

#[test]
fn the_plan_imports_no_engine() {
    for (path, text) in sources("plan") {
        let code = code(&text);
        for forbidden in ["polars", "crate::engine", "crate::render", "crate::session"] {
            assert!(!code.contains(forbidden), "{path} uses {forbidden}");
        }
    }
}

#[test]
fn only_the_binary_prints_or_exits() {
    let binary = ["src/main.rs", "src/cli.rs", "src/batch.rs", "src/repl/"];
    for (path, text) in sources("") {
        if binary.iter().any(|b| path.starts_with(b)) {
            continue;
        }
        let code = code(&text);
        for forbidden in [
            "println!",
            "eprintln!",
            "print!(",
            "eprint!(",
            "process::exit",
        ] {
            assert!(!code.contains(forbidden), "{path} uses {forbidden}");
        }
    }
}

#[test]
fn the_code_map_names_every_module() {
    let map = std::fs::read_to_string(root().join("ARCHITECTURE.md")).expect("ARCHITECTURE.md");
    for (path, _) in sources("") {
        let file = Path::new(&path);
        let stem = file.file_stem().unwrap().to_string_lossy();
        if ["mod", "lib", "main"].contains(&stem.as_ref()) {
            continue;
        }
        assert!(
            map.contains(&format!("`{stem}`")) || map.contains(&format!("{stem}.rs")),
            "ARCHITECTURE.md does not mention {path}"
        );
    }
}
