//! Text made safe to show a person: control characters that a terminal
//! would obey (colours, a cleared screen, a window title, the clipboard)
//! are written as visible escapes instead.
//!
//! The rule, for everything printed for people (the table, line and
//! Markdown views, chart labels, error messages, names in dot-commands,
//! and the machine formats when they go to a terminal):
//!
//! - tab, line feed and carriage return read `\t`, `\n`, `\r`;
//! - every other C0 control and DEL reads `\xNN` (ESC is `\x1b`);
//! - C1 controls (U+0080–U+009F, e.g. U+009B, a one-character CSI) and the
//!   bidirectional overrides and isolates (U+202A–U+202E, U+2066–U+2069)
//!   read `\u{NN}` (`\u{9b}`, `\u{202e}`).
//!
//! Everything else, backslashes included, is shown as it is, so the visible
//! form is for reading rather than for parsing back. Escapes are plain
//! ASCII, one column per character, so widths measured on the escaped text
//! are the widths on screen. Machine formats written to files or pipes
//! never pass through here: they keep their bytes exactly.

use std::borrow::Cow;
use std::io::{self, Write};

/// Whether a terminal could take `c` as (part of) a command, or reorder
/// the text around it: C0 and C1 controls, DEL, bidi overrides and
/// isolates.
pub fn is_unsafe(c: char) -> bool {
    c.is_control() || matches!(c, '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
}

/// `text` on one line: every unsafe character escaped, line breaks too
/// (for table cells, names, file names).
pub fn text(text: &str) -> Cow<'_, str> {
    escape(text, |_| false, push_visible)
}

/// `text` with its line breaks kept and every other unsafe character
/// escaped (for messages and multi-line blocks).
pub fn lines(text: &str) -> Cow<'_, str> {
    escape(text, |c| c == '\n', push_visible)
}

/// Escapes the unsafe characters of `text` that `keep` does not keep,
/// with `push` writing each one's visible form.
fn escape(text: &str, keep: impl Fn(char) -> bool, push: fn(&mut String, char)) -> Cow<'_, str> {
    if !text.chars().any(|c| is_unsafe(c) && !keep(c)) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        if is_unsafe(c) && !keep(c) {
            push(&mut out, c);
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

/// The visible form of one unsafe character (see the module's rule).
fn push_visible(out: &mut String, c: char) {
    match c {
        '\t' => out.push_str("\\t"),
        '\n' => out.push_str("\\n"),
        '\r' => out.push_str("\\r"),
        c if c.is_ascii() => out.push_str(&format!("\\x{:02x}", u32::from(c))),
        c => out.push_str(&format!("\\u{{{:x}}}", u32::from(c))),
    }
}

/// The JSON escape of one unsafe character: the same value, still valid
/// JSON inside a string (the only place such characters occur in JSON).
fn push_json(out: &mut String, c: char) {
    out.push_str(&format!("\\u{:04x}", u32::from(c)));
}

/// What a machine format's bytes look like, so that escaping leaves its
/// structure alone.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Layout {
    /// Comma-separated: line feeds end records.
    Csv,
    /// Tab-separated: line feeds end records, tabs separate fields.
    Tsv,
    /// JSON or NDJSON: line feeds end records; other characters become
    /// JSON `\uXXXX` escapes, so the text stays valid JSON.
    Json,
    /// Bytes with no structure (Parquet): nothing is kept.
    Binary,
}

/// A writer that shows a machine format on a terminal: unsafe characters
/// escaped (see [`Layout`] for what is kept), bytes that are not UTF-8 as
/// `\xNN`. Call [`Escaping::finish`] at the end: a character cut between
/// two writes is held back until its last byte comes.
pub struct Escaping<W: Write> {
    inner: W,
    layout: Layout,
    /// The start of a UTF-8 sequence whose end has not come yet.
    carry: Vec<u8>,
}

impl<W: Write> Escaping<W> {
    pub fn new(inner: W, layout: Layout) -> Self {
        Escaping {
            inner,
            layout,
            carry: Vec::new(),
        }
    }

    fn escape_str(&self, text: &str) -> String {
        let escaped = match self.layout {
            Layout::Csv => escape(text, |c| c == '\n', push_visible),
            Layout::Tsv => escape(text, |c| c == '\n' || c == '\t', push_visible),
            Layout::Json => escape(text, |c| c == '\n', push_json),
            Layout::Binary => escape(text, |_| false, push_visible),
        };
        escaped.into_owned()
    }

    /// Writes what is held back (an unfinished character, as `\xNN`) and
    /// flushes.
    pub fn finish(&mut self) -> io::Result<()> {
        let rest = std::mem::take(&mut self.carry);
        let shown: String = rest.iter().map(|b| format!("\\x{b:02x}")).collect();
        self.inner.write_all(shown.as_bytes())?;
        self.inner.flush()
    }
}

impl<W: Write> Write for Escaping<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let mut bytes = std::mem::take(&mut self.carry);
        bytes.extend_from_slice(buf);
        let mut out = String::new();
        let mut rest: &[u8] = &bytes;
        while !rest.is_empty() {
            match std::str::from_utf8(rest) {
                Ok(valid) => {
                    out.push_str(&self.escape_str(valid));
                    rest = &[];
                }
                Err(error) => {
                    let (valid, after) = rest.split_at(error.valid_up_to());
                    out.push_str(&self.escape_str(&String::from_utf8_lossy(valid)));
                    match error.error_len() {
                        // Cut off at the end: wait for the rest.
                        None => {
                            self.carry = after.to_vec();
                            rest = &[];
                        }
                        Some(length) => {
                            let (bad, after) = after.split_at(length);
                            for byte in bad {
                                out.push_str(&format!("\\x{byte:02x}"));
                            }
                            rest = after;
                        }
                    }
                }
            }
        }
        self.inner.write_all(out.as_bytes())?;
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn control_characters_read_as_escapes() {
        assert_eq!(
            text("a\x1b]52;c;aGk=\x07b\x1b[2J"),
            "a\\x1b]52;c;aGk=\\x07b\\x1b[2J"
        );
        assert_eq!(text("tab\there\nnext\rline"), "tab\\there\\nnext\\rline");
        assert_eq!(text("\x00\x7f"), "\\x00\\x7f");
    }

    #[test]
    fn c1_controls_and_bidi_overrides_read_as_code_points() {
        assert_eq!(text("\u{9b}31m"), "\\u{9b}31m");
        assert_eq!(text("\u{85}"), "\\u{85}");
        assert_eq!(text("abc\u{202e}fed"), "abc\\u{202e}fed");
        assert_eq!(text("\u{2066}x\u{2069}"), "\\u{2066}x\\u{2069}");
    }

    #[test]
    fn ordinary_text_is_left_alone_and_borrowed() {
        for plain in [
            "",
            "héllo wörld",
            "C:\\path\\x1b",
            "日本語 ✓",
            "\u{a0}\u{2028}",
        ] {
            assert!(matches!(text(plain), Cow::Borrowed(_)), "{plain:?}");
        }
    }

    #[test]
    fn lines_keeps_line_breaks_only() {
        assert_eq!(
            lines("one\ntwo\r\n\tthree\x1b"),
            "one\ntwo\\r\n\\tthree\\x1b"
        );
    }

    #[test]
    fn escaping_twice_changes_nothing() {
        let once = text("\x1b[2J\u{9b}\u{202e}\n").into_owned();
        assert_eq!(text(&once), once);
    }

    fn through(layout: Layout, chunks: &[&[u8]]) -> String {
        let mut out = Vec::new();
        let mut writer = Escaping::new(&mut out, layout);
        for chunk in chunks {
            writer.write_all(chunk).expect("writes to memory");
        }
        writer.finish().expect("finishes in memory");
        String::from_utf8(out).expect("escaped output is UTF-8")
    }

    #[test]
    fn machine_text_keeps_its_separators() {
        let csv = "a,b\n\"x\x1by\",\"p\tq\"\n";
        assert_eq!(
            through(Layout::Csv, &[csv.as_bytes()]),
            "a,b\n\"x\\x1by\",\"p\\tq\"\n"
        );
        let tsv = "a\tb\n\x1b[2J\t\u{9b}\n";
        assert_eq!(
            through(Layout::Tsv, &[tsv.as_bytes()]),
            "a\tb\n\\x1b[2J\t\\u{9b}\n"
        );
    }

    #[test]
    fn json_escapes_stay_json() {
        let json = "{\"ua\":\"\u{9b}2J\u{202e}\x7f\"}\n";
        assert_eq!(
            through(Layout::Json, &[json.as_bytes()]),
            "{\"ua\":\"\\u009b2J\\u202e\\u007f\"}\n"
        );
    }

    #[test]
    fn characters_cut_between_writes_are_joined() {
        let csi = "\u{9b}".as_bytes();
        let rlo = "\u{202e}".as_bytes();
        let shown = through(
            Layout::Csv,
            &[
                b"a",
                &csi[..1],
                &csi[1..],
                &rlo[..2],
                &rlo[2..],
                "é".as_bytes(),
            ],
        );
        assert_eq!(shown, "a\\u{9b}\\u{202e}é");
    }

    #[test]
    fn bytes_that_are_not_utf8_read_as_hex() {
        assert_eq!(through(Layout::Csv, &[b"a\xffb"]), "a\\xffb");
        // An unfinished character at the very end.
        assert_eq!(through(Layout::Csv, &[b"a\xe2\x80"]), "a\\xe2\\x80");
    }
}
