//! The memory budget of queries.
//!
//! A query that would need more memory than the machine has must stop
//! with a clear message, not be killed by the kernel or abort the process
//! (in the shell, that would end the whole session). While a query runs, a
//! watcher thread reads the process's resident memory every few
//! milliseconds; past the budget it asks the engine to stop the query at
//! its next batch, and the query fails with [`exceeded_message`].
//!
//! The budget is a share ([`DEFAULT_SHARE_PERCENT`]) of the memory the
//! process may use (the machine's, or its control group's limit when that
//! is lower), unless set with `--memory-limit` or `.memory`. Sizes are
//! written `4GB`, `512MB`, `1.5GiB`, or as a share: `50%`.
//!
//! The budget also counts an address-space limit (`ulimit -v`, `prlimit
//! --as`); under one, an allocation the system refuses stops the query too
//! (see [`allocator`](super::allocator)), and the query fails with
//! [`refused_message`].
//!
//! Memory is measured where the operating system reports it (Linux'
//! `/proc`); elsewhere no default budget is set and a set one is not
//! enforced.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::thread::JoinHandle;
use std::time::Duration;

/// The default budget, as a share of the memory the process may use.
pub const DEFAULT_SHARE_PERCENT: u64 = 80;

/// How often a running query's memory is looked at.
const POLL: Duration = Duration::from_millis(5);

/// The budget in bytes; `u64::MAX` for none, 0 for "the default, not yet
/// worked out".
static LIMIT: AtomicU64 = AtomicU64::new(0);

/// A budget as written: a size, a share of memory, or none.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Limit {
    Bytes(u64),
    Percent(f64),
    Unlimited,
}

/// Reads `4GB`, `512 MB`, `1.5GiB`, `2000000` (bytes), `50%`, `none`.
pub fn parse_limit(text: &str) -> Result<Limit, String> {
    let text = text.trim();
    let lower = text.to_ascii_lowercase();
    if matches!(lower.as_str(), "none" | "off" | "unlimited") {
        return Ok(Limit::Unlimited);
    }
    let usage = || format!("`{text}` is not a memory size: write e.g. 4GB, 512MB, 50% or none");
    if let Some(share) = lower.strip_suffix('%') {
        let share: f64 = share.trim().parse().map_err(|_| usage())?;
        if !(share > 0.0 && share <= 100.0) {
            return Err(format!("`{text}`: a share of memory is from 1% to 100%"));
        }
        return Ok(Limit::Percent(share));
    }
    let digits = lower
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(lower.len());
    let (number, unit) = lower.split_at(digits);
    let number: f64 = number.parse().map_err(|_| usage())?;
    let scale: f64 = match unit.trim() {
        "" | "b" => 1.0,
        "k" | "kb" => 1e3,
        "m" | "mb" => 1e6,
        "g" | "gb" => 1e9,
        "t" | "tb" => 1e12,
        "kib" => 1024.0,
        "mib" => 1024.0 * 1024.0,
        "gib" => 1024.0 * 1024.0 * 1024.0,
        "tib" => 1024.0 * 1024.0 * 1024.0 * 1024.0,
        _ => return Err(usage()),
    };
    let bytes = number * scale;
    if !(1e6..1.8e19).contains(&bytes) {
        return Err(format!("`{text}`: a memory budget is at least 1MB"));
    }
    Ok(Limit::Bytes(bytes as u64))
}

/// Sets the budget of every later query.
pub fn set_limit(limit: Limit) {
    LIMIT.store(bytes_of(limit).unwrap_or(u64::MAX).max(1), Ordering::SeqCst);
}

/// A limit in bytes (`None`: unlimited); a percentage is of
/// [`available`].
pub fn bytes_of(limit: Limit) -> Option<u64> {
    match limit {
        Limit::Bytes(b) => Some(b),
        Limit::Percent(p) => available().map(|a| (a as f64 * p / 100.0) as u64),
        Limit::Unlimited => None,
    }
}

/// The budget in force, in bytes (`None`: unlimited).
pub fn limit() -> Option<u64> {
    let mut bytes = LIMIT.load(Ordering::SeqCst);
    if bytes == 0 {
        bytes = available().map_or(u64::MAX, |a| a / 100 * DEFAULT_SHARE_PERCENT);
        // Another thread may have set a budget meanwhile: keep that one.
        let _ = LIMIT.compare_exchange(0, bytes.max(1), Ordering::SeqCst, Ordering::SeqCst);
        bytes = LIMIT.load(Ordering::SeqCst);
    }
    (bytes != u64::MAX).then_some(bytes)
}

/// The memory the process may use: the machine's, or its control group's
/// limit or its address-space limit when lower.
pub fn available() -> Option<u64> {
    let machine = std::fs::read_to_string("/proc/meminfo")
        .ok()
        .and_then(|text| {
            let line = text.lines().find(|l| l.starts_with("MemTotal:"))?;
            let kb: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
            kb.checked_mul(1024)
        })?;
    let group = group_limit(&std::fs::read_to_string("/proc/self/cgroup").unwrap_or_default());
    let limits = [group, address_space_limit()];
    Some(limits.into_iter().flatten().fold(machine, u64::min))
}

/// Where the system would kill the process for its memory: a little
/// below its control group's limit (which also counts the kernel's and the
/// file cache's pages), or the machine's memory when it has none.
pub fn kill_line() -> Option<u64> {
    let group = group_limit(&std::fs::read_to_string("/proc/self/cgroup").unwrap_or_default());
    let machine = std::fs::read_to_string("/proc/meminfo")
        .ok()
        .and_then(|text| {
            let line = text.lines().find(|l| l.starts_with("MemTotal:"))?;
            let kb: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
            kb.checked_mul(1024)
        });
    let memory = match (group, machine) {
        (Some(g), Some(m)) => g.min(m),
        (g, m) => g.or(m)?,
    };
    Some(memory / 100 * 95)
}

/// The lowest memory limit among the control groups `cgroups` (the text
/// of `/proc/self/cgroup`) names for this process, v2 (`memory.max`) or
/// v1 (`memory.limit_in_bytes`), and the root of each hierarchy (what a
/// container shows of its own group).
fn group_limit(cgroups: &str) -> Option<u64> {
    let mut files = vec![
        "/sys/fs/cgroup/memory.max".to_owned(),
        "/sys/fs/cgroup/memory/memory.limit_in_bytes".to_owned(),
    ];
    for line in cgroups.lines() {
        let mut fields = line.splitn(3, ':');
        let (Some(_), Some(controllers), Some(path)) =
            (fields.next(), fields.next(), fields.next())
        else {
            continue;
        };
        let path = path.trim_end_matches('/');
        if path.is_empty() || path.contains("..") {
            continue;
        }
        if controllers.is_empty() {
            files.push(format!("/sys/fs/cgroup{path}/memory.max"));
        } else if controllers.split(',').any(|c| c == "memory") {
            files.push(format!("/sys/fs/cgroup/memory{path}/memory.limit_in_bytes"));
        }
    }
    files
        .iter()
        .filter_map(|path| std::fs::read_to_string(path).ok())
        .filter_map(|text| text.trim().parse::<u64>().ok())
        .min()
}

/// The process's address-space limit (`RLIMIT_AS`), when it has one.
#[cfg(unix)]
pub fn address_space_limit() -> Option<u64> {
    let mut limit = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: getrlimit writes the struct passed; nothing else is shared.
    let ok = unsafe { libc::getrlimit(libc::RLIMIT_AS, &mut limit) } == 0;
    (ok && limit.rlim_cur != libc::RLIM_INFINITY).then_some(limit.rlim_cur)
}

#[cfg(not(unix))]
pub fn address_space_limit() -> Option<u64> {
    None
}

/// The process's own resident memory now, in bytes: its anonymous pages,
/// not the pages of files it has mapped (Polars maps the files it scans;
/// those pages are the system's file cache, which it takes back under
/// pressure, and a control group's limit does not kill for them).
pub fn resident() -> Option<u64> {
    let statm = std::fs::read_to_string("/proc/self/statm").ok()?;
    let mut fields = statm.split_whitespace().skip(1);
    let resident: u64 = fields.next()?.parse().ok()?;
    let file_backed: u64 = fields.next()?.parse().ok()?;
    resident
        .saturating_sub(file_backed)
        .checked_mul(page_size()?)
}

#[cfg(unix)]
fn page_size() -> Option<u64> {
    // SAFETY: sysconf reads a constant of the system; no memory is shared.
    let size = unsafe { libc::sysconf(libc::_SC_PAGESIZE) };
    u64::try_from(size).ok().filter(|s| *s > 0)
}

#[cfg(not(unix))]
fn page_size() -> Option<u64> {
    None
}

/// "1.5 GB"-style sizes for messages.
pub fn describe(bytes: u64) -> String {
    let b = bytes as f64;
    if b >= 1e9 {
        format!("{:.1} GB", b / 1e9)
    } else {
        format!("{:.0} MB", b / 1e6)
    }
}

/// What a query stopped by the budget reports.
pub fn exceeded_message(limit: u64) -> String {
    format!(
        "the query was stopped: it needed more than {} of memory, the budget (change it with --memory-limit or .memory)",
        describe(limit)
    )
}

/// What a query stopped by a refused allocation reports.
pub fn refused_message() -> String {
    let limit = address_space_limit()
        .map(|l| {
            format!(
                " (the process may use at most {} of address space)",
                describe(l)
            )
        })
        .unwrap_or_default();
    format!("the query was stopped: the system refused it more memory{limit}")
}

/// Watches the process's memory while one query runs; stops watching
/// when dropped. `stop_query` is called once if the budget is exceeded.
pub struct Watch {
    exceeded: Arc<AtomicBool>,
    done: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
    limit: Option<u64>,
}

impl Watch {
    pub fn start(stop_query: fn()) -> Watch {
        let exceeded = Arc::new(AtomicBool::new(false));
        let done = Arc::new(AtomicBool::new(false));
        let limit = limit().filter(|_| resident().is_some());
        super::allocator::set_ceiling(kill_line());
        super::allocator::arm();
        let thread = {
            let (exceeded, done) = (Arc::clone(&exceeded), Arc::clone(&done));
            std::thread::Builder::new()
                .name("infraql-memory".to_owned())
                .spawn(move || {
                    while !done.load(Ordering::SeqCst) {
                        let over = limit.is_some_and(|l| resident().is_some_and(|r| r > l));
                        if over {
                            exceeded.store(true, Ordering::SeqCst);
                        }
                        if over || super::allocator::tripped() {
                            stop_query();
                            return;
                        }
                        std::thread::park_timeout(POLL);
                    }
                })
                .ok()
        };
        Watch {
            exceeded,
            done,
            thread,
            limit,
        }
    }

    /// The budget, if the query went over it.
    pub fn exceeded(&self) -> Option<u64> {
        self.limit.filter(|_| self.exceeded.load(Ordering::SeqCst))
    }

    /// Whether the system refused the query an allocation.
    pub fn refused(&self) -> bool {
        super::allocator::tripped()
    }
}

impl Drop for Watch {
    fn drop(&mut self) {
        self.done.store(true, Ordering::SeqCst);
        if let Some(thread) = self.thread.take() {
            thread.thread().unpark();
            let _ = thread.join();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn group_files_that_do_not_exist_are_passed_over() {
        // Paths no machine has: only the roots are read, and on a machine
        // without control groups nothing is found.
        let text = "4:memory:/no/such/group/for/infraql\n0::/no/such/group/for/infraql\n";
        let roots = group_limit("");
        assert_eq!(group_limit(text), roots);
        assert_eq!(group_limit("garbage without colons\n9:cpu:/x\n"), roots);
    }

    #[test]
    fn sizes_parse_in_decimal_and_binary_units() {
        assert_eq!(parse_limit("4GB"), Ok(Limit::Bytes(4_000_000_000)));
        assert_eq!(parse_limit("512 mb"), Ok(Limit::Bytes(512_000_000)));
        assert_eq!(parse_limit("1GiB"), Ok(Limit::Bytes(1 << 30)));
        assert_eq!(parse_limit("50%"), Ok(Limit::Percent(50.0)));
        assert_eq!(parse_limit("none"), Ok(Limit::Unlimited));
        assert_eq!(parse_limit("2000000"), Ok(Limit::Bytes(2_000_000)));
    }

    #[test]
    fn nonsense_sizes_are_refused() {
        for text in ["", "lots", "4XB", "0%", "150%", "10", "-1GB", "1e30"] {
            assert!(parse_limit(text).is_err(), "{text}");
        }
    }

    #[test]
    fn sizes_read_back_in_messages() {
        assert_eq!(describe(4_000_000_000), "4.0 GB");
        assert_eq!(describe(512_000_000), "512 MB");
        assert!(exceeded_message(2_000_000_000).contains("2.0 GB"));
    }
}
