//! The documentation cannot drift from the code: every query in README.md
//! and every example in grammar/ parses and resolves against the bundled
//! tables, every operator and function of the implementation is in the
//! grammar, and every README query followed by an output block still gives
//! that output.

use std::collections::HashMap;

use infraql::engine::polars::Engine;
use infraql::plan::functions::FUNCTIONS;
use infraql::plan::resolve;
use infraql::syntax::{self, parser::OPERATORS};

use crate::{root, run_to_text};

/// Fenced blocks of `markdown` as (info string, body).
fn fenced_blocks(markdown: &str) -> Vec<(String, String)> {
    let mut blocks = Vec::new();
    let mut lines = markdown.lines();
    while let Some(line) = lines.next() {
        let Some(info) = line.trim_start().strip_prefix("```") else {
            continue;
        };
        let mut body = String::new();
        for inner in lines.by_ref() {
            if inner.trim_start().starts_with("```") {
                break;
            }
            body.push_str(inner);
            body.push('\n');
        }
        blocks.push((info.trim().to_owned(), body));
    }
    blocks
}

/// The `(* example: … *)` queries of the grammar.
fn grammar_examples(grammar: &str) -> Vec<String> {
    grammar
        .split("(* example:")
        .skip(1)
        .filter_map(|rest| {
            rest.split_once("*)")
                .map(|(example, _)| example.trim().to_owned())
        })
        .collect()
}

fn check_resolves(origin: &str, text: &str) {
    let engine = Engine::with_bundled_datasets().expect("bundled datasets load");
    let script = syntax::parse(text).unwrap_or_else(|d| {
        panic!(
            "{origin}: does not parse:\n{}",
            d.render(origin, text, false)
        )
    });
    let mut bindings = HashMap::new();
    if let Err(errors) = resolve::resolve(
        &script,
        text,
        &engine,
        &mut bindings,
        chrono::NaiveDateTime::default(),
    ) {
        let rendered: Vec<String> = errors
            .iter()
            .map(|d| d.render(origin, text, false))
            .collect();
        panic!("{origin}: does not resolve:\n{}", rendered.join("\n"));
    }
}

#[test]
fn grammar_examples_parse_and_resolve() {
    let grammar =
        std::fs::read_to_string(root().join("grammar/infraql.ebnf")).expect("grammar exists");
    let examples = grammar_examples(&grammar);
    assert!(
        examples.len() >= 20,
        "found only {} examples",
        examples.len()
    );
    for example in examples {
        check_resolves("grammar/infraql.ebnf", &example);
    }
}

#[test]
fn grammar_names_every_operator_and_function() {
    let grammar =
        std::fs::read_to_string(root().join("grammar/infraql.ebnf")).expect("grammar exists");
    for operator in OPERATORS {
        assert!(
            grammar.contains(&format!("\"{operator}\"")),
            "operator `{operator}` is missing from the grammar"
        );
    }
    for function in FUNCTIONS {
        assert!(
            grammar.contains(function.name),
            "function `{}` is missing from the grammar",
            function.name
        );
    }
}

#[test]
fn readme_names_every_table_and_column() {
    let readme = std::fs::read_to_string(root().join("README.md")).expect("README exists");
    for table in infraql::datasets::tables::ALL {
        assert!(
            readme.contains(&format!("**{}**", table.name)),
            "README does not describe table `{}`",
            table.name
        );
        for column in table.columns {
            assert!(
                readme.contains(column.name),
                "README does not name column `{}.{}`",
                table.name,
                column.name
            );
        }
    }
}

#[test]
fn readme_queries_parse_resolve_and_show_their_output() {
    let readme = std::fs::read_to_string(root().join("README.md")).expect("README exists");
    let blocks = fenced_blocks(&readme);
    let mut queries = 0;
    for (index, (info, body)) in blocks.iter().enumerate() {
        // `iql` blocks must be good queries; `iql error` blocks show a
        // mistake and the error it gets.
        let shows_error = match info.as_str() {
            "iql" => false,
            "iql error" => true,
            _ => continue,
        };
        queries += 1;
        if shows_error {
            assert!(
                run_to_text("<-e>", body).starts_with("error:"),
                "README error example runs:\n{body}"
            );
        } else {
            check_resolves("README.md", body);
        }
        if let Some((next_info, expected)) = blocks.get(index + 1)
            && next_info == "text"
        {
            let actual = run_to_text("<-e>", body);
            assert_eq!(&actual, expected, "README output differs for:\n{body}");
        }
    }
    assert!(queries >= 10, "README has only {queries} iql blocks");
}
