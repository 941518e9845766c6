//! Properties of the parser: it never panics, and printing a parsed script
//! gives text that parses to the same tree.

use proptest::prelude::*;

use infraql::syntax::{self, print};

use crate::{files_with_extension, root};

/// print(parse(text)) is a fixed point of print ∘ parse.
fn assert_round_trip(text: &str) {
    let Ok(script) = syntax::parse(text) else {
        return;
    };
    let printed = print::script(&script);
    let reparsed = syntax::parse(&printed)
        .unwrap_or_else(|e| panic!("printed form does not parse: {printed}\n{e:?}"));
    assert_eq!(
        print::script(&reparsed),
        printed,
        "round trip changed the tree of {text:?}"
    );
}

#[test]
fn every_case_round_trips_through_the_printer() {
    for case in files_with_extension(&root().join("tests/cases"), "iql") {
        let text = std::fs::read_to_string(&case).expect("readable");
        assert_round_trip(&text);
    }
}

#[test]
fn deep_nesting_is_an_error_not_a_crash() {
    for text in [
        format!(
            "services | where {}1{}",
            "(".repeat(10_000),
            ")".repeat(10_000)
        ),
        format!("services | where {}true", "not ".repeat(10_000)),
        format!("services | select x = {}1", "-".repeat(10_000)),
        format!("{}services{}", "(".repeat(10_000), ")".repeat(10_000)),
    ] {
        let error = syntax::parse(&text).expect_err("too deep");
        assert!(
            error.message.contains("nested too deeply"),
            "{}",
            error.message
        );
    }
}

/// Fragments that queries are made of, for building plausible inputs.
const PIECES: &[&str] = &[
    "services",
    "endpoints",
    "|",
    "where",
    "select",
    "derive",
    "group",
    "agg",
    "sort",
    "take",
    "top",
    "by",
    "join",
    "on",
    "union",
    "diff",
    "latest",
    "at",
    "distinct",
    "count",
    "export",
    "chart",
    "let",
    "x",
    "=",
    "==",
    "!=",
    "<",
    ">=",
    "and",
    "or",
    "not",
    "in",
    "is",
    "null",
    "[",
    "]",
    "(",
    ")",
    ",",
    ";",
    "\n",
    "1",
    "2.5",
    "10M",
    "\"s\"",
    "'t'",
    "+",
    "-",
    "*",
    "/",
    "%",
    "sum(",
    "count()",
    "if(",
    "desc",
    "asc",
    "like",
    "contains",
    "`odd name`",
    "#c\n",
    "\"",
];

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn parser_never_panics_on_any_text(text in "\\PC{0,80}") {
        let _ = syntax::parse(&text);
    }

    #[test]
    fn parser_never_panics_on_query_like_text(pieces in prop::collection::vec(prop::sample::select(PIECES), 0..30)) {
        let text = pieces.join(" ");
        let _ = syntax::parse(&text);
        assert_round_trip(&text);
    }
}
