//! `.since`: the session's time window (see [`crate::plan::window`]).
//!
//! `.since 24h` (or `7d`, `90m`, a timestamp) makes every query read only
//! the rows of tables with a time column from that point on, until
//! `.since off`; `.since` alone says what is in force and which tables it
//! applies to.

use super::Reply;
use crate::plan::window::Since;
use crate::render::visible;
use crate::session::Session;

pub fn run(session: &mut Session, rest: &str) -> Reply {
    match rest.trim() {
        "" => Reply::Text(describe(session)),
        "off" | "none" | "all" => {
            session.set_window(None);
            Reply::Set("no time window: queries read every row\n".to_owned())
        }
        text => match parse(text) {
            Ok(since) => {
                session.set_window(Some(since));
                Reply::Set(describe(session))
            }
            Err(message) => {
                Reply::Error(format!("{message}; usage: .since DURATION|TIMESTAMP|off"))
            }
        },
    }
}

/// `.since`'s argument: a duration (`24h`, `7d`, `90m`) or a timestamp
/// (`2025-11-22`, `2025-11-22T06:00:00`).
fn parse(text: &str) -> Result<Since, String> {
    if let Some(ago) = Since::ago(text) {
        return ago;
    }
    crate::session::parse_timestamp(text)
        .map(Since::At)
        .map_err(|_| {
            format!("`{text}` is neither a duration nor a timestamp: write 24h, 7d, 30m or 2025-11-22T06:00:00")
        })
}

/// What the window is and which tables it bounds.
fn describe(session: &Session) -> String {
    let Some(since) = session.window() else {
        return "no time window: queries read every row (.since 24h sets one)\n".to_owned();
    };
    let window = match since {
        Since::Ago(_) => format!("the last {} before now()", since.label()),
        Since::At(_) => since.label(),
    };
    let tables = session.windowed_tables();
    let applies = if tables.is_empty() {
        "no table has a time column yet; it applies to tables loaded later".to_owned()
    } else {
        let names: Vec<String> = tables
            .iter()
            .map(|(table, column)| format!("{} ({})", visible::text(table), visible::text(column)))
            .collect();
        format!("applies to {}", names.join(", "))
    };
    format!("time window: {window}; {applies}\n")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::polars::Engine;

    fn text(reply: Reply) -> String {
        match reply {
            Reply::Text(t) | Reply::Set(t) | Reply::Error(t) => t,
            other => panic!("unexpected reply {other:?}"),
        }
    }

    #[test]
    fn sets_shows_and_clears_the_window() {
        let mut session =
            Session::new(Engine::with_bundled_datasets().expect("bundled data loads"));
        assert!(text(run(&mut session, "")).starts_with("no time window"));
        let set = text(run(&mut session, "24h"));
        assert!(set.contains("the last 24h before now()"), "{set}");
        assert!(set.contains("no table has a time column"), "{set}");
        assert!(session.window().is_some());
        assert!(matches!(run(&mut session, "soon"), Reply::Error(_)));
        assert!(
            session.window().is_some(),
            "a bad argument keeps the window"
        );
        run(&mut session, "off");
        assert!(session.window().is_none());
    }
}
