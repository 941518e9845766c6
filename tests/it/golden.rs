//! Golden end-to-end cases: every `tests/cases/<area>/<name>.iql` runs on the
//! bundled data and its output (tables, or the rendered error) must equal
//! the snapshot `tests/cases/<area>/<name>.snap` beside it.
//!
//! Cases whose row order would not be defined sort explicitly. To accept
//! changed output after review: `cargo insta review` (or INSTA_UPDATE=always).

use crate::{files_with_extension, root, run_to_text};

#[test]
fn cases() {
    let cases_dir = root().join("tests/cases");
    let cases = files_with_extension(&cases_dir, "iql");
    assert!(
        cases.len() >= 40,
        "expected the case files under tests/cases, found {}",
        cases.len()
    );
    for case in cases {
        let text = std::fs::read_to_string(&case).expect("case file is readable");
        let relative = case
            .strip_prefix(&cases_dir)
            .expect("case is under tests/cases");
        let name = case
            .file_stem()
            .expect("case has a name")
            .to_string_lossy()
            .into_owned();
        let shown_name = relative.to_string_lossy().into_owned();
        let output = run_to_text(&shown_name, &text);
        let snapshot_dir = case.parent().expect("case has a directory").to_path_buf();
        insta::with_settings!({
            snapshot_path => snapshot_dir,
            prepend_module_to_snapshot => false,
            description => text.trim_end(),
            omit_expression => true,
        }, {
            insta::assert_snapshot!(name, output);
        });
    }
}
