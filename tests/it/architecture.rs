//! ARCHITECTURE.md's invariants, checked against the source tree: the
//! layers import only what they may, only the binary prints or exits, query
//! text is read through one set of token rules, scripts have one driver and
//! results one writer, and the code map names every module.

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

/// Asserts that no source file `chosen` by its path uses any of `forbidden`
/// in its code (comments do not count).
fn assert_unused(chosen: impl Fn(&str) -> bool, forbidden: &[&str]) {
    let mut checked = 0;
    for (path, text) in sources("") {
        if !chosen(&path) {
            continue;
        }
        checked += 1;
        let code = code(&text);
        for word in forbidden {
            assert!(!code.contains(word), "{path} uses {word}");
        }
    }
    assert!(checked > 0, "no file was checked for {forbidden:?}");
}

#[test]
fn syntax_knows_no_tables_types_or_engines() {
    assert_unused(
        |path| path.starts_with("src/syntax/"),
        &["crate::plan", "crate::engine", "polars", "crate::session"],
    );
}

#[test]
fn the_plan_imports_no_engine() {
    assert_unused(
        |path| path.starts_with("src/plan/"),
        &["polars", "crate::engine", "crate::render", "crate::session"],
    );
}

#[test]
fn only_the_binary_prints_or_exits() {
    let binary = ["src/main.rs", "src/cli.rs", "src/batch.rs", "src/repl/"];
    assert_unused(
        |path| !binary.iter().any(|b| path.starts_with(b)),
        &[
            "println!",
            "eprintln!",
            "print!(",
            "eprint!(",
            "process::exit",
        ],
    );
}

/// Rendering reads frames, whichever engine made them.
#[test]
fn render_imports_no_engine() {
    assert_unused(
        |path| path.starts_with("src/render/") || path.starts_with("src/frame/"),
        &["crate::engine", "crate::session"],
    );
}

/// Quotes and comments are found by `syntax::tokens` alone: the editing
/// help and the layout hold no scanner of their own.
#[test]
fn query_text_is_read_through_the_token_rules_only() {
    let readers = [
        "src/syntax/layout.rs",
        "src/highlight.rs",
        "src/complete.rs",
    ];
    assert_unused(
        |path| readers.contains(&path),
        &["b'\"'", "b'`'", "b'#'", "b'\\\\'", "'`'"],
    );
}

/// One script driver and one results writer: the hosts neither walk
/// scripts nor draw or place results themselves.
#[test]
fn scripts_and_results_have_one_driver_and_one_writer() {
    let hosts = ["src/batch.rs", "src/repl/mod.rs"];
    assert_unused(
        |path| hosts.contains(&path),
        &[
            "script::pieces",
            "Piece::",
            "render::write(",
            "OpenOptions",
            "MAX_READ_DEPTH",
        ],
    );
    let golden = std::fs::read_to_string(root().join("tests/it/main.rs")).expect("main.rs");
    assert!(
        !code(&golden).contains("render::write("),
        "tests/it/main.rs draws results itself"
    );
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
