//! Any text through the parser, and any error it reports rendered against
//! that text, as the shell and the command line show it; and the shell's
//! test of whether an entry goes on (it runs at every Enter). None of them
//! may panic.

#![no_main]

use libfuzzer_sys::{Corpus, fuzz_target};

fuzz_target!(|data: &[u8]| -> Corpus {
    let Ok(text) = std::str::from_utf8(data) else {
        return Corpus::Reject;
    };
    infraql::syntax::is_unfinished(text);
    if let Err(diagnostic) = infraql::syntax::parse(text) {
        diagnostic.render("fuzz.iql", text, false);
        diagnostic.render("fuzz.iql", text, true);
    }
    Corpus::Keep
});
