//! Inline text: status markers, `**bold**`, `[text](link)` and labels.
//!
//! The documents start headings and cells with emoji markers (🔴 ⚠️ 🟡 ✅),
//! many of them mangled: the UTF-16 halves of an emoji lost their high bytes,
//! so a red circle became `=4`, a chart `=` plus an invalid byte, a check mark
//! the control character U+0005. After lossy decoding, invalid bytes read as
//! U+FFFD. This module recognises the markers that still say something and
//! strips every marker from text values.
//!
//! Later reports write the marker as a word instead: `**CRITICAL**`,
//! `HIGH - …`, `[WARNING]`, `Low: …` ([`leading_word`]). Words count only
//! where a status or severity marker may stand (headings, status cells,
//! incident items: [`leading_marker_or_word`]), never inside other values.

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
    /// A severity word used as a marker (see [`leading_word`]).
    Word(Level),
}

/// The level a severity word gives. The words, ignoring case:
///
/// | level      | words                                       |
/// |------------|---------------------------------------------|
/// | `Critical` | CRITICAL, SEVERE, EMERGENCY, URGENT         |
/// | `High`     | HIGH                                        |
/// | `Warning`  | WARNING, WARN, MEDIUM, MODERATE             |
/// | `Low`      | LOW, MINOR                                  |
/// | `Ok`       | OK                                          |
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Level {
    Critical,
    High,
    Warning,
    Low,
    Ok,
}

impl Level {
    /// The level `word` names, ignoring case.
    pub fn of_word(word: &str) -> Option<Level> {
        match word.to_ascii_uppercase().as_str() {
            "CRITICAL" | "SEVERE" | "EMERGENCY" | "URGENT" => Some(Level::Critical),
            "HIGH" => Some(Level::High),
            "WARNING" | "WARN" | "MEDIUM" | "MODERATE" => Some(Level::Warning),
            "LOW" | "MINOR" => Some(Level::Low),
            "OK" => Some(Level::Ok),
            _ => None,
        }
    }
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

/// A severity word at the start of `text` (after white space), and the text
/// after it and its separator. The word is one of [`Level`]'s, matched as a
/// whole word ignoring case, and it counts as a marker when it is
///
/// - in brackets: `[CRITICAL] …`, `[Warning] …` (not a link `[OK](…)`);
/// - emphasised on its own: `**CRITICAL** …`, `**High**: …`, `**WARNING:** …`;
/// - followed by a colon: `Critical: …`, `LOW: …`;
/// - alone: `OK`, `Critical`, `**MEDIUM**`;
/// - written in capitals and followed by a dash (`HIGH - …`, `HIGH – …`), a
///   comma or full stop (`OK, stable`), or a space and text that is not
///   itself in capitals (`CRITICAL Database unreachable`).
///
/// So a title that merely starts with the word stays a title: `Critical
/// Issues`, `High-Traffic Endpoints`, `HIGH-VOLUME API`, `**Low Traffic
/// Endpoints**`, and titles in capitals throughout (`**HIGH PRIORITY**`,
/// `URGENT DATABASE RECOVERY - Plan`).
pub fn leading_word(text: &str) -> Option<(Level, &str)> {
    let text = text.trim_start();
    if let Some(inner) = text.strip_prefix('[') {
        let end = inner.find(']')?;
        let level = Level::of_word(inner[..end].trim().trim_matches('*').trim())?;
        let rest = &inner[end + 1..];
        if rest.starts_with('(') {
            return None;
        }
        return Some((level, after_separator(rest.trim_start_matches('*'))));
    }
    let body = text.trim_start_matches('*');
    let end = body
        .find(|c: char| !c.is_alphanumeric())
        .unwrap_or(body.len());
    let word = &body[..end];
    let level = Level::of_word(word)?;
    let after = &body[end..];
    let colon = after.strip_prefix(':');
    let after_colon = colon.unwrap_or(after);
    let closing = after_colon.trim_start_matches('*');
    if closing.len() < after_colon.len() {
        // The emphasis ends with the word: `**CRITICAL**`, `**High:**`.
        return Some((level, after_separator(closing)));
    }
    if colon.is_some() {
        return Some((level, after_colon.trim_start()));
    }
    if after.trim().is_empty() {
        return Some((level, ""));
    }
    let in_capitals = word.chars().all(|c| !c.is_lowercase());
    if !in_capitals {
        return None;
    }
    if let Some(rest) = dash_separated(after) {
        return Some((level, rest));
    }
    if let Some(rest) = after.strip_prefix([',', '.', ';']) {
        let separates = rest.is_empty() || rest.starts_with(char::is_whitespace);
        return separates.then(|| (level, rest.trim_start()));
    }
    if !after.starts_with(char::is_whitespace) {
        return None;
    }
    let rest = after.trim_start();
    (!shouted(rest)).then_some((level, rest))
}

/// `text` without a leading separator: `: `, ` - `, ` – `, ` — `, `, `.
fn after_separator(text: &str) -> &str {
    let text = text.trim_start();
    if let Some(rest) = text.strip_prefix([':', ',', ';']) {
        return rest.trim_start();
    }
    dash_separated(text).unwrap_or(text)
}

/// The text after a dash that separates (`HIGH - slow`), not one that joins
/// (`HIGH-VOLUME`).
fn dash_separated(text: &str) -> Option<&str> {
    let rest = text.trim_start().strip_prefix(['-', '–', '—'])?;
    (rest.is_empty() || rest.starts_with(char::is_whitespace)).then(|| rest.trim_start())
}

/// Whether the words up to the first separator (a dash, colon or
/// parenthesis) are all in capitals: `PRIORITY - Uptime` is, `DB down` not.
fn shouted(text: &str) -> bool {
    static SEPARATOR: LazyLock<Regex> =
        LazyLock::new(|| Regex::new(r"\s[-–—]\s|:|\(").expect("static pattern"));
    let head = SEPARATOR
        .find(text)
        .map_or(text, |found| &text[..found.start()]);
    head.chars().any(char::is_alphabetic) && !head.chars().any(char::is_lowercase)
}

/// Splits the markers off the start of `text`, emoji ([`leading_marker`]) and
/// then a severity word ([`leading_word`]), also when emphasis wraps them
/// (`**🔴 Down**`). A meaningful emoji wins over the word; the word wins over
/// an unreadable emoji. Both are removed from the text.
pub fn leading_marker_or_word(text: &str) -> (Option<Marker>, &str) {
    let (mut marker, mut rest) = leading_marker(text);
    if marker.is_none() {
        let unstarred = rest.trim_start_matches('*');
        if let (Some(found), after) = leading_marker(unstarred) {
            (marker, rest) = (Some(found), after);
        }
    }
    if let Some((level, after)) = leading_word(rest) {
        if matches!(marker, None | Some(Marker::Other)) {
            marker = Some(Marker::Word(level));
        }
        rest = after;
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

/// A heading's title: plain text without its markers (severity words
/// included) or a trailing parenthetical, so that `Most Used Endpoints (by
/// request volume)` reads `Most Used Endpoints` and `CRITICAL: Database
/// down` reads `Database down`.
pub fn heading_title(text: &str) -> String {
    static TRAILING_PARENTHETICAL: LazyLock<Regex> =
        LazyLock::new(|| Regex::new(r"\s*\([^()]*\)$").expect("static pattern"));
    let (_, text) = leading_marker_or_word(text);
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

    fn word(text: &str) -> Option<(Level, &str)> {
        leading_word(text)
    }

    #[test]
    fn severity_words_as_markers() {
        use Level::*;
        assert_eq!(
            word("**CRITICAL** Database down"),
            Some((Critical, "Database down"))
        );
        assert_eq!(
            word("CRITICAL: Database down"),
            Some((Critical, "Database down"))
        );
        assert_eq!(
            word("Critical: Database down"),
            Some((Critical, "Database down"))
        );
        assert_eq!(
            word("critical: database down"),
            Some((Critical, "database down"))
        );
        assert_eq!(
            word("**HIGH** - slow queries"),
            Some((High, "slow queries"))
        );
        assert_eq!(word("HIGH - slow queries"), Some((High, "slow queries")));
        assert_eq!(word("HIGH – slow queries"), Some((High, "slow queries")));
        assert_eq!(word("HIGH — slow queries"), Some((High, "slow queries")));
        assert_eq!(
            word("[CRITICAL] Database down"),
            Some((Critical, "Database down"))
        );
        assert_eq!(
            word("[Warning]: disk filling"),
            Some((Warning, "disk filling"))
        );
        assert_eq!(
            word("SEVERE: pool drained"),
            Some((Critical, "pool drained"))
        );
        assert_eq!(word("EMERGENCY - restore"), Some((Critical, "restore")));
        assert_eq!(word("URGENT: restore"), Some((Critical, "restore")));
        assert_eq!(
            word("WARNING Data missing"),
            Some((Warning, "Data missing"))
        );
        assert_eq!(
            word("**WARNING:** Data missing"),
            Some((Warning, "Data missing"))
        );
        assert_eq!(
            word("**Warning**: Data missing"),
            Some((Warning, "Data missing"))
        );
        assert_eq!(word("*Moderate*: slow"), Some((Warning, "slow")));
        assert_eq!(word("MEDIUM - slowdowns"), Some((Warning, "slowdowns")));
        assert_eq!(word("LOW: rarely used"), Some((Low, "rarely used")));
        assert_eq!(word("MINOR slowdowns"), Some((Low, "slowdowns")));
        assert_eq!(
            word("OK - stable, 99.9% uptime"),
            Some((Ok, "stable, 99.9% uptime"))
        );
        assert_eq!(word("OK, stable"), Some((Ok, "stable")));
        assert_eq!(word("OK 99.39% uptime"), Some((Ok, "99.39% uptime")));
        assert_eq!(word("OK"), Some((Ok, "")));
        assert_eq!(word("Critical"), Some((Critical, "")));
        assert_eq!(word("**MEDIUM**"), Some((Warning, "")));
        assert_eq!(word("CRITICAL (3 open)"), Some((Critical, "(3 open)")));
        assert_eq!(
            word("**CRITICAL - Fix Redis Connection**"),
            Some((Critical, "Fix Redis Connection**"))
        );
    }

    #[test]
    fn titles_that_start_with_a_severity_word_stay_titles() {
        for text in [
            "Critical Issues",
            "Critical Issue: No Data",
            "High-Traffic Endpoints",
            "HIGH-VOLUME API SERVICE",
            "Low Traffic Endpoints",
            "Medium-Traffic Endpoints",
            "**Low Traffic with Uptime Issues**",
            "**HIGH PRIORITY**",
            "**MEDIUM PRIORITY - Uptime Improvement**",
            "URGENT DATABASE RECOVERY",
            "Okay then",
            "Warnings: 3",
            "Highest volume, 31.00% uptime",
            "[OK](https://ok.example.org) link",
            "OK/KO",
            "Moderate traffic, stable",
            "Minor slowdowns",
        ] {
            assert_eq!(word(text), None, "{text:?}");
        }
    }

    #[test]
    fn emoji_before_a_word() {
        assert_eq!(
            leading_marker_or_word("🔴 **CRITICAL**: Down"),
            (Some(Marker::RedCircle), "Down")
        );
        assert_eq!(
            leading_marker_or_word("=\u{FFFD} **HIGH** - Slow"),
            (Some(Marker::Word(Level::High)), "Slow")
        );
        assert_eq!(
            leading_marker_or_word("=\u{FFFD} **HIGH PRIORITY**"),
            (Some(Marker::Other), "**HIGH PRIORITY**")
        );
        assert_eq!(
            leading_marker_or_word("**🔴 Down**"),
            (Some(Marker::RedCircle), "Down**")
        );
        assert_eq!(
            leading_marker_or_word("[LOW] Rare"),
            (Some(Marker::Word(Level::Low)), "Rare")
        );
        assert_eq!(leading_marker_or_word("Plain"), (None, "Plain"));
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
        assert_eq!(
            heading_title("CRITICAL: Database down (3)"),
            "Database down"
        );
        assert_eq!(heading_title("**HIGH** - Slow queries"), "Slow queries");
        assert_eq!(heading_title("[WARNING] Disk space"), "Disk space");
        assert_eq!(heading_title("Critical Issues"), "Critical Issues");
        assert_eq!(
            heading_title("High-Traffic Endpoints"),
            "High-Traffic Endpoints"
        );
        assert_eq!(heading_title("**HIGH PRIORITY**"), "HIGH PRIORITY");
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
