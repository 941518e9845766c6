//! Properties of the shell's editing help: completion and highlighting take
//! any text and any cursor position without panicking, and colouring never
//! changes the text.

use proptest::prelude::*;

use infraql::complete::complete;
use infraql::engine::polars::Engine;
use infraql::highlight::{classify, to_ansi};
use infraql::session::Session;
use infraql::syntax::tokens::{Kind, tokens};

thread_local! {
    static SESSION: Session =
        Session::new(Engine::with_bundled_datasets().expect("bundled datasets load"));
}

/// Pieces of queries, so random text reaches the interesting contexts.
const PIECES: &[&str] = &[
    "services",
    "endpoints",
    "|",
    "where",
    "select",
    "group",
    "agg",
    "join",
    "union",
    "sort",
    "from",
    "\"",
    "tests/",
    "(",
    ")",
    "[",
    "]",
    ",",
    "=",
    "==",
    "let",
    "x",
    ";",
    "\n",
    "#",
    "count(",
    "requests_30d",
    "1.5K",
    "2025-11-2",
    "`",
    ".schema",
    ".mode",
    "é",
    "日本",
];

/// `text` with the colour codes taken out.
fn plain(coloured: &str) -> String {
    let mut out = String::new();
    let mut rest = coloured;
    while let Some(start) = rest.find('\x1b') {
        out.push_str(&rest[..start]);
        let after = &rest[start..];
        let end = after.find('m').map_or(after.len(), |m| m + 1);
        rest = &after[end..];
    }
    out.push_str(rest);
    out
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(500))]

    #[test]
    fn completion_never_panics(text in "\\PC{0,60}", cut in 0usize..80) {
        SESSION.with(|session| {
            let (start, suggestions) = complete(session, &text, cut);
            prop_assert!(start <= cut.min(text.len()));
            prop_assert!(text.is_char_boundary(start));
            for s in suggestions {
                prop_assert!(!s.replacement.is_empty());
            }
            Ok(())
        })?;
    }

    #[test]
    fn completion_never_panics_on_query_like_text(
        pieces in prop::collection::vec(prop::sample::select(PIECES), 0..12),
        cut in 0usize..120,
    ) {
        let text = pieces.join(" ");
        SESSION.with(|session| {
            let (start, _) = complete(session, &text, cut);
            // The replaced word ends at the cursor.
            prop_assert!(start <= cut.min(text.len()));
            Ok(())
        })?;
    }

    #[test]
    fn highlighting_keeps_the_text(text in "\\PC{0,80}") {
        for (range, _) in classify(&text) {
            prop_assert!(text.is_char_boundary(range.start) && text.is_char_boundary(range.end));
        }
        prop_assert_eq!(plain(&to_ansi(&text)), text);
    }

    /// One set of token rules: text the parser accepts has no string or
    /// backquoted name left open in the tokens the shell reads it with, and
    /// an open one is a syntax error.
    #[test]
    fn the_parser_and_the_token_rules_agree_on_quotes(
        pieces in prop::collection::vec(
            prop::sample::select(&["services", "|", "where", "service", "==", "\"", "'", "`",
                "\\", "a", " ", "\n", "select", "#"][..]),
            0..16,
        ),
    ) {
        let text = pieces.concat();
        let open = tokens(&text).any(|t| {
            matches!(t.kind, Kind::String { closed: false } | Kind::Name { closed: false })
        });
        if open {
            prop_assert!(infraql::syntax::parse(&text).is_err(), "{text:?} parsed");
        }
    }

    #[test]
    fn highlighting_keeps_query_like_text(
        pieces in prop::collection::vec(prop::sample::select(PIECES), 0..20),
    ) {
        let text = pieces.join(" ");
        prop_assert_eq!(plain(&to_ansi(&text)), text);
    }
}
