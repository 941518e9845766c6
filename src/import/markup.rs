//! Inline text: status markers, `**bold**`, `[text](link)` and labels.
//!
//! The documents start headings and cells with emoji markers (🔴 ⚠️ 🟡 ✅),
//! many of them mangled: the UTF-16 halves of an emoji lost their high bytes,
//! so a red circle became `=4`, a chart `=` plus an invalid byte, a check mark
//! the control character U+0005. After lossy decoding, invalid bytes read as
//! U+FFFD. This module recognises the markers that still say something and
//! strips every marker from text values.

use std::sync::LazyLock;

use regex::Regex;

/// A status marker at the start of a heading or cell.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Marker {
    /// 🔴, or its mangled form `=4`.
    RedCircle,
    /// ⚠️
    Warning,
    /// 🟡
    YellowCircle,
    /// 🟠
    OrangeCircle,
    /// ✅
    CheckMark,
    /// Any other emoji, or one too mangled to read.
    Other,
}

/// Characters that only ever serve as markers: emoji and pictographs, their
/// joiners and variation selectors, and what mangling leaves of them.
fn is_marker_char(c: char) -> bool {
    matches!(c,
        '\u{FFFD}'
        | '\u{200D}'
        | '\u{20E3}'
        | '\u{2300}'..='\u{23FF}'
        | '\u{2600}'..='\u{27BF}'
        | '\u{2B00}'..='\u{2BFF}'
        | '\u{FE00}'..='\u{FE0F}'
        | '\u{1F000}'..='\u{1FAFF}'
        | '\u{E0020}'..='\u{E007F}')
        || (c.is_control() && c != '\t')
}

fn marker_of_char(c: char) -> Option<Marker> {
    match c {
        '\u{1F534}' => Some(Marker::RedCircle),
        '\u{26A0}' => Some(Marker::Warning),
        '\u{1F7E1}' => Some(Marker::YellowCircle),
        '\u{1F7E0}' => Some(Marker::OrangeCircle),
        '\u{2705}' => Some(Marker::CheckMark),
        '\u{FE00}'..='\u{FE0F}' | '\u{200D}' => None,
        _ => Some(Marker::Other),
    }
}

/// Splits the markers off the start of `text`: the marker they amount to (the
/// first one that means something) and the text after them. A mangled marker
/// is `=` and one character, standing alone before a space.
pub fn leading_marker(text: &str) -> (Option<Marker>, &str) {
    let mut marker: Option<Marker> = None;
    let mut note = |found: Marker| {
        if matches!(marker, None | Some(Marker::Other)) {
            marker = Some(found);
        }
    };
    let mut rest = text.trim_start();
    loop {
        let mut chars = rest.chars();
        match (chars.next(), chars.next(), chars.next()) {
            (Some(c), _, _) if is_marker_char(c) => {
                if let Some(found) = marker_of_char(c) {
                    note(found);
                }
                rest = &rest[c.len_utf8()..];
            }
            (Some('='), Some(second), after)
                if after.is_none_or(|c| c.is_whitespace() || is_marker_char(c)) =>
            {
                note(if second == '4' {
                    Marker::RedCircle
                } else {
                    Marker::Other
                });
                rest = &rest[1 + second.len_utf8()..];
            }
            _ => break,
        }
        rest = rest.trim_start();
    }
    (marker, rest)
}

/// A `[text](target)` link.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Link {
    pub text: String,
    pub target: String,
}

static LINK: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"!?\[([^\]]*)\]\(([^)\s]*)[^)]*\)").expect("static pattern"));

/// The first link in `text`.
pub fn first_link(text: &str) -> Option<Link> {
    let found = LINK.captures(text)?;
    Some(Link {
        text: plain(&found[1]),
        target: found[2].to_string(),
    })
}

/// `text` as a plain value: markers, emphasis, code ticks and link targets
/// removed, runs of white space collapsed.
pub fn plain(text: &str) -> String {
    let (_, text) = leading_marker(text);
    let text = LINK.replace_all(text, "$1");
    let kept: String = text
        .chars()
        .filter(|&c| c != '*' && c != '`' && !is_marker_char(c))
        .collect();
    kept.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// `text` as plain text, or `None` when nothing is left.
pub fn plain_value(text: &str) -> Option<String> {
    Some(plain(text)).filter(|value| !value.is_empty())
}

/// A heading's title: plain text without a trailing parenthetical, so that
/// `Most Used Endpoints (by request volume)` reads `Most Used Endpoints`.
pub fn heading_title(text: &str) -> String {
    static TRAILING_PARENTHETICAL: LazyLock<Regex> =
        LazyLock::new(|| Regex::new(r"\s*\([^()]*\)$").expect("static pattern"));
    let mut title = plain(text);
    while let Some(found) = TRAILING_PARENTHETICAL.find(&title) {
        if found.start() == 0 {
            break;
        }
        title.truncate(found.start());
    }
    title
}

/// The bold span a list item starts with, and what follows it:
/// `**Incident #13**: text` → (`Incident #13`, `: text`).
pub fn bold_lead(content: &str) -> Option<(&str, &str)> {
    let inner = content.strip_prefix("**")?;
    let end = inner.find("**")?;
    Some((inner[..end].trim(), &inner[end + 2..]))
}

/// A `Label: value` line, in plain text: `**Server**: 10.0.0.1` and
/// `*Generated: May 2, 2025*` both qualify. The colon must end the label, so
/// `https://…` and `Api::V1::X` do not split.
pub fn label_value(text: &str) -> Option<(String, String)> {
    let text = plain(text);
    let (label, value) = match text.split_once(": ") {
        Some(split) => split,
        None => (text.strip_suffix(':')?, ""),
    };
    let label = label.trim();
    if label.is_empty() {
        return None;
    }
    Some((label.to_string(), value.trim().to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markers_in_clear() {
        assert_eq!(
            leading_marker("🔴 Busy, 42.10% uptime"),
            (Some(Marker::RedCircle), "Busy, 42.10% uptime")
        );
        assert_eq!(
            leading_marker("⚠️ Data missing"),
            (Some(Marker::Warning), "Data missing")
        );
        assert_eq!(
            leading_marker("🟡 Slow"),
            (Some(Marker::YellowCircle), "Slow")
        );
        assert_eq!(
            leading_marker("🟠 Slow"),
            (Some(Marker::OrangeCircle), "Slow")
        );
        assert_eq!(leading_marker("✅ Fine"), (Some(Marker::CheckMark), "Fine"));
        assert_eq!(
            leading_marker("📊 **Numbers**"),
            (Some(Marker::Other), "**Numbers**")
        );
        assert_eq!(leading_marker("Plain text"), (None, "Plain text"));
    }

    #[test]
    fn mangled_markers() {
        assert_eq!(
            leading_marker("=4 **DOWN**"),
            (Some(Marker::RedCircle), "**DOWN**")
        );
        assert_eq!(
            leading_marker("=\u{FFFD} **CHART**"),
            (Some(Marker::Other), "**CHART**")
        );
        assert_eq!(
            leading_marker("=\r **SEARCH**"),
            (Some(Marker::Other), "**SEARCH**")
        );
        assert_eq!(
            leading_marker("=\u{FFFD}\u{F} **TOOLS**"),
            (Some(Marker::Other), "**TOOLS**")
        );
        assert_eq!(
            leading_marker("\u{5} **FINE**"),
            (Some(Marker::Other), "**FINE**")
        );
        assert_eq!(
            leading_marker("\u{FFFD} **HMM**"),
            (Some(Marker::Other), "**HMM**")
        );
        assert_eq!(leading_marker("=4"), (Some(Marker::RedCircle), ""));
        assert_eq!(leading_marker("=42 is a sum"), (None, "=42 is a sum"));
    }

    #[test]
    fn first_meaningful_marker_wins() {
        assert_eq!(
            leading_marker("\u{FE0F}🔴📊 Down").0,
            Some(Marker::RedCircle)
        );
        assert_eq!(leading_marker("📊🔴 Down").0, Some(Marker::RedCircle));
    }

    #[test]
    fn plain_strips_markup() {
        assert_eq!(plain("=4 **SLOW DISKS**"), "SLOW DISKS");
        assert_eq!(
            plain("**[alpha](./services/alpha.md)** - Thing  🔴 **HOT**"),
            "alpha - Thing HOT"
        );
        assert_eq!(plain("add `/health` endpoint"), "add /health endpoint");
        assert_eq!(plain("*Generated: May 2, 2025*"), "Generated: May 2, 2025");
        assert_eq!(plain("sync_all_things stays"), "sync_all_things stays");
        assert_eq!(plain_value(" ✅ "), None);
    }

    #[test]
    fn links() {
        assert_eq!(
            first_link("[alpha](https://alpha.example.org)"),
            Some(Link {
                text: "alpha".into(),
                target: "https://alpha.example.org".into()
            })
        );
        assert_eq!(first_link("no link"), None);
    }

    #[test]
    fn heading_titles() {
        assert_eq!(
            heading_title("Most Used Endpoints (by request volume)"),
            "Most Used Endpoints"
        );
        assert_eq!(heading_title("=4 **OUTAGE** (2 open incidents)"), "OUTAGE");
        assert_eq!(
            heading_title("**Queue Stalls** (3 incidents) (old)"),
            "Queue Stalls"
        );
        assert_eq!(
            heading_title("(Only a parenthetical)"),
            "(Only a parenthetical)"
        );
        assert_eq!(heading_title("🏗️ Platform Layout"), "Platform Layout");
    }

    #[test]
    fn bold_leads() {
        assert_eq!(
            bold_lead("**Incident #13**: text"),
            Some(("Incident #13", ": text"))
        );
        assert_eq!(bold_lead("**Open"), None);
        assert_eq!(bold_lead("plain **bold**"), None);
    }

    #[test]
    fn labels() {
        assert_eq!(
            label_value("**Server**: 10.0.0.1 (Small, dedicated)"),
            Some(("Server".into(), "10.0.0.1 (Small, dedicated)".into()))
        );
        assert_eq!(
            label_value("*Generated: May 2, 2025*"),
            Some(("Generated".into(), "May 2, 2025".into()))
        );
        assert_eq!(
            label_value("**URL**: https://alpha.example.org"),
            Some(("URL".into(), "https://alpha.example.org".into()))
        );
        assert_eq!(
            label_value("**Primary Queue**:"),
            Some(("Primary Queue".into(), String::new()))
        );
        assert_eq!(label_value("Api::V1::ThingsController#show failing"), None);
        assert_eq!(label_value("42 recent occurrences"), None);
    }
}
