//! `.cache`: the table cache's budget and contents (see
//! [`crate::engine::polars::cache`]).
//!
//! `.cache` lists what is kept, `.cache SIZE` sets the budget (`4GB`,
//! `25%`), `.cache off` turns the cache off, `.cache clear` empties it and
//! `.cache load NAME` reads a table into it now.

use super::Reply;
use crate::engine::memory;
use crate::render::visible;
use crate::session::Session;

/// The share of the memory available that the shell's cache starts with,
/// and that `.cache load` turns an off cache on with.
pub const DEFAULT_SHARE_PERCENT: f64 = 25.0;

/// The default budget in bytes: a share of the memory available, and at
/// most half the query budget (kept tables count against it).
pub fn default_budget() -> Option<u64> {
    let share = memory::bytes_of(memory::Limit::Percent(DEFAULT_SHARE_PERCENT));
    match (share, memory::limit()) {
        (Some(share), Some(limit)) => Some(share.min(limit / 2)),
        (share, limit) => share.or(limit.map(|l| l / 2)),
    }
}

pub fn run(session: &Session, rest: &str) -> Reply {
    let cache = session.engine().cache();
    let words: Vec<&str> = rest.split_whitespace().collect();
    match words.as_slice() {
        [] => Reply::Text(listing(session)),
        ["clear"] => {
            cache.clear();
            Reply::Set("table cache emptied\n".to_owned())
        }
        ["off" | "none"] => {
            cache.set_budget(None);
            Reply::Set("table cache off: tables are read from their files each time\n".to_owned())
        }
        ["load", name] => load(session, name),
        [size] => match memory::parse_limit(size) {
            Ok(limit) => {
                cache.set_budget(Some(memory::bytes_of(limit).unwrap_or(u64::MAX)));
                Reply::Set(format!("{}\n", budget_line(session)))
            }
            Err(message) => Reply::Error(format!("{message}; {USAGE}")),
        },
        _ => Reply::Error(USAGE.to_owned()),
    }
}

const USAGE: &str = "usage: .cache [SIZE|off|clear|load TABLE]";

fn load(session: &Session, name: &str) -> Reply {
    let cache = session.engine().cache();
    let mut turned_on = String::new();
    if cache.budget().is_none() {
        cache.set_budget(default_budget());
        turned_on = format!("{}\n", budget_line(session));
    }
    match session.engine().load_into_cache(name) {
        Ok(Ok(kept)) => Reply::Text(format!(
            "{turned_on}kept {} in memory: {} rows, {}, read in {}\n",
            visible::text(&kept.name),
            rows(kept.rows),
            memory::describe(kept.bytes),
            super::wall_time(kept.loaded_in)
        )),
        Ok(Err(reason)) => Reply::Error(format!(
            "{turned_on}{} is not kept: {}",
            visible::text(name),
            visible::text(&reason)
        )),
        Err(error) => Reply::Error(error.to_string()),
    }
}

/// `1,234,567`: a row count as the table view writes integers.
fn rows(n: usize) -> String {
    crate::render::text::cell_text(&crate::render::cells::Cell::Int(n as i128))
}

fn budget_line(session: &Session) -> String {
    let cache = session.engine().cache();
    match (cache.budget(), cache.room()) {
        (Some(budget), Some(room)) => format!(
            "table cache: {} of {} in use",
            memory::describe(budget - room),
            memory::describe(budget)
        ),
        _ => "table cache: off".to_owned(),
    }
}

fn listing(session: &Session) -> String {
    let cache = session.engine().cache();
    let mut out = budget_line(session);
    if cache.budget().is_none() {
        out.push_str(" (keep tables read from files in memory with .cache SIZE)\n");
        return out;
    }
    out.push_str(" (tables read from files are kept after their first use)\n");
    for kept in cache.kept() {
        out.push_str(&format!(
            "  {}: {} rows, {}, read in {}\n",
            visible::text(&kept.name),
            rows(kept.rows),
            memory::describe(kept.bytes),
            super::wall_time(kept.loaded_in)
        ));
    }
    for skipped in cache.skipped() {
        out.push_str(&format!(
            "  {}: not kept, {}\n",
            visible::text(&skipped.name),
            visible::text(&skipped.reason)
        ));
    }
    out
}
