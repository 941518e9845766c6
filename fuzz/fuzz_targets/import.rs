//! Any bytes as a small documentation tree, imported into CSV files: the
//! importer must neither panic nor stop, since `services.md` is always
//! there and the temporary directory is writable.
//!
//! The input is split at NUL bytes: the first part is `services.md`, the
//! second `README.md`, the third `servers.md`, and each further part (up to
//! `MAX_PAGES`) a page under `services/` whose first line is the service's
//! name (letters, digits, `-` and `_`; otherwise `page<N>`) and the rest its
//! text. A part that is not there is a file that is not there.
//! `fuzz/seed.sh` writes the fixture tree in this shape.

#![no_main]

use std::fs;
use std::path::Path;

use libfuzzer_sys::fuzz_target;

const MAX_PAGES: usize = 8;

/// The page's file name: its first line when that is a plain name.
fn page_name(index: usize, line: &[u8]) -> String {
    let plain = !line.is_empty()
        && line.len() <= 40
        && line
            .iter()
            .all(|b| b.is_ascii_alphanumeric() || *b == b'-' || *b == b'_');
    if plain {
        String::from_utf8_lossy(line).into_owned()
    } else {
        format!("page{index}")
    }
}

fn write(path: &Path, bytes: &[u8]) {
    fs::write(path, bytes).unwrap_or_else(|e| panic!("cannot write {}: {e}", path.display()));
}

fuzz_target!(|data: &[u8]| {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let docs = dir.path().join("docs");
    let out = dir.path().join("out");
    let services = docs.join("services");
    fs::create_dir_all(&services).expect("the documentation directories");

    let mut parts = data.split(|b| *b == 0);
    let top = ["services.md", "README.md", "servers.md"];
    for (name, part) in top.iter().zip(parts.by_ref()) {
        write(&docs.join(name), part);
    }
    for (index, part) in parts.take(MAX_PAGES).enumerate() {
        let (first, text) = match part.iter().position(|b| *b == b'\n') {
            Some(end) => (&part[..end], &part[end + 1..]),
            None => (part, &[][..]),
        };
        let file = services.join(format!("{}.md", page_name(index, first)));
        write(&file, text);
    }

    match infraql::import::import_dir(&docs, &out) {
        Ok(warnings) => {
            for warning in &warnings {
                let _ = warning.to_string();
            }
        }
        Err(error) => panic!("the import stopped: {error}"),
    }
});
