//! Errors as data, and their rendering.
//!
//! Every stage reports problems as [`Diagnostic`]s: a message, the byte span
//! it is about, a short label for the span and help lines. Line and column
//! are worked out only here, when a diagnostic is rendered against the text
//! it came from, in the style of rustc: the source line with a caret under
//! the exact place.
//!
//! A rendering is for a person's terminal: the source name, the message,
//! the label, help lines and the echoed source line show control characters
//! visibly (see [`crate::render::visible`]; a tab in the source line reads
//! as one space), and the carets are placed on the line as shown.

use std::fmt;

use crate::render::visible;

/// A byte range in the text of one source.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Span {
    pub start: usize,
    pub end: usize,
}

impl Span {
    pub fn new(start: usize, end: usize) -> Self {
        Span { start, end }
    }

    /// The smallest span covering both.
    pub fn to(self, other: Span) -> Span {
        Span::new(self.start.min(other.start), self.end.max(other.end))
    }
}

/// One problem found in a query.
#[derive(Debug, Clone, PartialEq)]
pub struct Diagnostic {
    pub message: String,
    /// Where it is; `None` for problems with no place in the text (a file
    /// that cannot be written, say).
    pub span: Option<Span>,
    /// A few words shown beside the caret.
    pub label: Option<String>,
    /// `help:` lines: what was expected, what was probably meant.
    pub help: Vec<String>,
}

impl Diagnostic {
    pub fn new(message: impl Into<String>) -> Self {
        Diagnostic {
            message: message.into(),
            span: None,
            label: None,
            help: Vec::new(),
        }
    }

    pub fn at(message: impl Into<String>, span: Span) -> Self {
        Diagnostic {
            span: Some(span),
            ..Diagnostic::new(message)
        }
    }

    pub fn with_label(mut self, label: impl Into<String>) -> Self {
        self.label = Some(label.into());
        self
    }

    pub fn with_help(mut self, help: impl Into<String>) -> Self {
        self.help.push(help.into());
        self
    }

    /// Renders against `text`, the source named `name`, in the style of
    /// rustc: the message, the place as name:line:column, the source line
    /// with carets under the span and the label beside them, then help
    /// lines. `color` adds ANSI colours (for terminals only).
    pub fn render(&self, name: &str, text: &str, color: bool) -> String {
        let paint = Paint { color };
        let mut out = format!(
            "{}{}\n",
            paint.error("error: "),
            paint.bold(&visible::lines(&self.message))
        );
        if let Some(span) = self.span {
            out.push_str(&source_snippet(
                name,
                text,
                span,
                self.label.as_deref(),
                paint,
            ));
        }
        let gutter = self
            .span
            .map_or(0, |s| digits(line_column(text, s.start).0));
        for help in &self.help {
            out.push_str(&format!(
                "{} {} {}\n",
                " ".repeat(gutter),
                paint.note("= help:"),
                visible::lines(help)
            ));
        }
        out
    }
}

fn digits(n: usize) -> usize {
    n.to_string().len()
}

/// How much of a long source line an error shows: characters before the
/// span, of the span, and after it.
const CONTEXT_BEFORE: usize = 60;
const CONTEXT_SPAN: usize = 80;
const CONTEXT_AFTER: usize = 40;

/// The last `keep` characters of `text`, after `…` when some were cut.
fn clip_start(text: &str, keep: usize) -> String {
    let count = text.chars().count();
    if count <= keep {
        return text.to_owned();
    }
    let tail: String = text.chars().skip(count - keep + 1).collect();
    format!("…{tail}")
}

/// The first `keep` characters of `text`, then `…` when some were cut.
fn clip_end(text: &str, keep: usize) -> String {
    if text.chars().count() <= keep {
        return text.to_owned();
    }
    let head: String = text.chars().take(keep - 1).collect();
    format!("{head}…")
}

/// The `--> name:line:col` line and the source line with its carets. The
/// line and column name the place in the text; the carets go under it on
/// the line as shown (escapes are wider than the characters they stand for).
fn source_snippet(name: &str, text: &str, span: Span, label: Option<&str>, paint: Paint) -> String {
    let start = floor_boundary(text, span.start.min(text.len()));
    let (line, column) = line_column(text, start);
    let line_start = text[..start].rfind('\n').map_or(0, |i| i + 1);
    let line_end = text[start..].find('\n').map_or(text.len(), |i| start + i);
    // The `\r` of a CRLF line ending is not part of the line.
    let content_end = if text[line_start..line_end].ends_with('\r') {
        (line_end - 1).max(start)
    } else {
        line_end
    };
    let end = floor_boundary(text, span.end.clamp(start, content_end));
    // A long line (a generated query) is shown around the span only.
    let before = clip_start(&shown(&text[line_start..start]), CONTEXT_BEFORE);
    let spanned = clip_end(&shown(&text[start..end]), CONTEXT_SPAN);
    let after = clip_end(&shown(&text[end..content_end]), CONTEXT_AFTER);
    // Carets cover the span on this line; at least one, so a missing token
    // at the end of a line still gets one.
    let offset = before.chars().count();
    let width = spanned.chars().count().max(1);
    let width_gutter = digits(line);
    let pad = " ".repeat(width_gutter);
    let bar = paint.note("|");
    let mut out = format!(
        "{pad}{} {}:{line}:{column}\n",
        paint.note("-->"),
        visible::text(name)
    );
    out.push_str(&format!("{pad} {bar}\n"));
    out.push_str(&format!(
        "{} {bar} {before}{spanned}{after}\n",
        paint.note(&line.to_string())
    ));
    let carets = paint.error(&"^".repeat(width));
    let label = label
        .map(|l| format!(" {}", paint.error(&visible::text(l))))
        .unwrap_or_default();
    out.push_str(&format!(
        "{pad} {bar} {}{carets}{label}\n",
        " ".repeat(offset)
    ));
    out
}

/// Part of a source line as echoed: a tab as one space, other control
/// characters escaped.
fn shown(part: &str) -> String {
    let spaced = part.replace('\t', " ");
    visible::text(&spaced).into_owned()
}

fn floor_boundary(text: &str, mut at: usize) -> usize {
    at = at.min(text.len());
    while !text.is_char_boundary(at) {
        at -= 1;
    }
    at
}

/// ANSI colours, or nothing.
#[derive(Clone, Copy)]
struct Paint {
    color: bool,
}

impl Paint {
    fn wrap(self, code: &str, text: &str) -> String {
        if self.color {
            format!("\x1b[{code}m{text}\x1b[0m")
        } else {
            text.to_owned()
        }
    }

    fn error(self, text: &str) -> String {
        self.wrap("1;31", text)
    }

    fn bold(self, text: &str) -> String {
        self.wrap("1", text)
    }

    fn note(self, text: &str) -> String {
        self.wrap("1;34", text)
    }
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

/// 1-based line and column (in characters) of a byte offset.
pub fn line_column(text: &str, offset: usize) -> (usize, usize) {
    let before = &text[..offset.min(text.len())];
    let line = before.matches('\n').count() + 1;
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    let column = before[line_start..].chars().count() + 1;
    (line, column)
}

/// The closest of `candidates` to `name`, if any is close enough to be a
/// likely misspelling.
pub fn did_you_mean<'a>(
    name: &str,
    candidates: impl IntoIterator<Item = &'a str>,
) -> Option<&'a str> {
    let lower = name.to_lowercase();
    candidates
        .into_iter()
        .map(|c| (strsim::damerau_levenshtein(&lower, &c.to_lowercase()), c))
        .filter(|(distance, c)| {
            let allowed = (name.chars().count().max(c.chars().count()) / 3).max(1);
            *distance <= allowed
        })
        .min_by_key(|(distance, _)| *distance)
        .map(|(_, c)| c)
}

/// The likely meanings of `name` among `candidates`, best first, at most
/// three: the same name in another case, then names that begin with it or
/// that it begins (`uptime` → `uptime_pct`), then names holding it
/// (`page_uptime_pct`), then close misspellings. Prefixes and substrings
/// count only for names of three characters or more.
pub fn suggestions<'a>(name: &str, candidates: impl IntoIterator<Item = &'a str>) -> Vec<&'a str> {
    let lower = name.to_lowercase();
    let long_enough = lower.chars().count() >= 3;
    let mut ranked: Vec<(u8, usize, &str)> = candidates
        .into_iter()
        .filter_map(|c| {
            let candidate = c.to_lowercase();
            let distance = strsim::damerau_levenshtein(&lower, &candidate);
            let class = if candidate == lower {
                0
            } else if long_enough
                && (candidate.starts_with(&lower)
                    || lower.starts_with(&candidate) && candidate.chars().count() >= 3)
            {
                1
            } else if long_enough && candidate.contains(&lower) {
                2
            } else {
                let allowed = (name.chars().count().max(c.chars().count()) / 3).max(1);
                if distance > allowed {
                    return None;
                }
                3
            };
            Some((class, distance, c))
        })
        .collect();
    ranked.sort_by(|a, b| (a.0, a.1).cmp(&(b.0, b.1)).then_with(|| a.2.cmp(b.2)));
    ranked.dedup_by(|a, b| a.2 == b.2);
    ranked.into_iter().take(3).map(|(_, _, c)| c).collect()
}

/// Names for a message: `` `a` ``, `` `a` or `b` ``, `` `a`, `b` or `c` ``.
pub fn either(names: &[&str]) -> String {
    let quoted: Vec<String> = names.iter().map(|n| format!("`{n}`")).collect();
    match quoted.split_last() {
        None => String::new(),
        Some((last, [])) => last.clone(),
        Some((last, rest)) => format!("{} or {last}", rest.join(", ")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suggestions_rank_prefixes_and_substrings_before_misspellings() {
        let names = [
            "service",
            "uptime_pct",
            "page_uptime_pct",
            "uptime_errors",
            "status",
        ];
        assert_eq!(
            suggestions("uptime", names),
            ["uptime_pct", "uptime_errors", "page_uptime_pct"]
        );
        assert_eq!(suggestions("Status", names), ["status"]);
        assert_eq!(suggestions("servce", names), ["service"]);
        assert!(suggestions("zz", names).is_empty());
        // Short names match only by spelling, not as part of longer names.
        assert!(suggestions("up", names).is_empty());
        assert_eq!(either(&["a"]), "`a`");
        assert_eq!(either(&["a", "b", "c"]), "`a`, `b` or `c`");
    }

    #[test]
    fn line_and_column_count_characters() {
        let text = "a\nbé c";
        assert_eq!(line_column(text, 0), (1, 1));
        assert_eq!(line_column(text, 2), (2, 1));
        assert_eq!(line_column(text, 5), (2, 3));
    }

    #[test]
    fn suggests_close_names_only() {
        let names = ["requests_30d", "jobs_30d", "service"];
        assert_eq!(did_you_mean("requestz_30d", names), Some("requests_30d"));
        assert_eq!(did_you_mean("Service", names), Some("service"));
        assert_eq!(did_you_mean("uptime", names), None);
    }

    #[test]
    fn a_long_line_is_shown_around_the_span() {
        let text = format!("services{} | nosuch", " | take 1".repeat(1_000));
        let start = text.len() - "nosuch".len();
        let out = Diagnostic::at("expected an operator", Span::new(start, text.len()))
            .with_label("here")
            .render("q", &text, false);
        let lines: Vec<&str> = out.lines().collect();
        assert!(lines[3].starts_with("1 | …"), "{out}");
        assert!(lines[3].ends_with("take 1 | nosuch"), "{out}");
        assert!(lines[3].chars().count() < 100, "{out}");
        let caret = lines[4].find('^').expect("a caret");
        let under: String = lines[3].chars().skip(caret).collect();
        assert_eq!(under, "nosuch", "{out}");
    }

    #[test]
    fn renders_caret_under_span() {
        let text = "services | where requestz_30d > 1M";
        let diagnostic = Diagnostic::at("unknown column `requestz_30d`", Span::new(17, 29))
            .with_label("not a column of `services`")
            .with_help("did you mean `requests_30d`?");
        let out = diagnostic.render("<repl>", text, false);
        let expected = "\
error: unknown column `requestz_30d`
 --> <repl>:1:18
  |
1 | services | where requestz_30d > 1M
  |                  ^^^^^^^^^^^^ not a column of `services`
  = help: did you mean `requests_30d`?
";
        assert_eq!(out, expected);
    }

    #[test]
    fn points_into_later_lines_and_multibyte_text() {
        let text = "let a = services\nservices | where é > 1";
        let out = Diagnostic::at("bad", Span::new(34, 36))
            .with_label("here")
            .render("f.iql", text, false);
        assert!(out.contains("--> f.iql:2:18"), "{out}");
        assert!(
            out.contains("2 | services | where é > 1\n  |                  ^ here"),
            "{out}"
        );
    }

    #[test]
    fn empty_span_at_end_of_input_renders() {
        let text = "services |";
        let out =
            Diagnostic::at("expected an operator", Span::new(10, 10)).render("q", text, false);
        assert!(out.contains("q:1:11"), "{out}");
        assert!(out.ends_with("  |           ^\n"), "{out}");
    }

    #[test]
    fn control_characters_in_the_echoed_line_are_escaped_and_carets_follow() {
        // The span is `nope`, after a string holding ESC [2J and a C1 CSI.
        let text = "logs | where ua == \"\x1b[2J\u{9b}\" | where nope > 1";
        let start = text.find("nope").unwrap_or_default();
        let out = Diagnostic::at("unknown column `nope`", Span::new(start, start + 4))
            .with_label("not a column")
            .render("q", text, false);
        assert!(out.contains("--> q:1:36\n"), "{out}");
        let shown = "logs | where ua == \"\\x1b[2J\\u{9b}\" | where nope > 1";
        let under = " ".repeat(shown.find("nope").unwrap_or_default());
        assert!(
            out.contains(&format!("1 | {shown}\n  | {under}^^^^ not a column\n")),
            "{out}"
        );
        assert!(!out.contains('\x1b') && !out.contains('\u{9b}'), "{out:?}");
    }

    #[test]
    fn carets_under_an_escaped_span_cover_its_visible_form() {
        let text = "x \x07 y";
        let out = Diagnostic::at("bad", Span::new(2, 3)).render("q", text, false);
        assert!(out.contains("1 | x \\x07 y\n  |   ^^^^\n"), "{out}");
    }

    #[test]
    fn messages_names_labels_and_help_show_control_characters() {
        let out = Diagnostic::at("no such file: `bad\x1b[2Jname.csv`", Span::new(0, 1))
            .with_label("\x1b]0;title\x07")
            .with_help("try `\u{202e}x`")
            .render("script\x1b[31m.iql", "f", false);
        assert!(out.contains("no such file: `bad\\x1b[2Jname.csv`"), "{out}");
        assert!(out.contains("--> script\\x1b[31m.iql:1:1"), "{out}");
        assert!(out.contains("^ \\x1b]0;title\\x07"), "{out}");
        assert!(out.contains("= help: try `\\u{202e}x`"), "{out}");
        assert!(
            !out.chars().any(|c| visible::is_unsafe(c) && c != '\n'),
            "{out:?}"
        );
    }

    #[test]
    fn a_crlf_line_ending_is_not_echoed() {
        let text = "services |\r\nservices";
        let out =
            Diagnostic::at("expected an operator", Span::new(10, 10)).render("q", text, false);
        assert!(out.contains("1 | services |\n  |           ^\n"), "{out:?}");
    }
}
