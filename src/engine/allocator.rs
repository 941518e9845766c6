//! The binary's allocator: when the system refuses memory, the query stops,
//! not the process.
//!
//! Under an address-space limit (`ulimit -v`, `prlimit --as`) or with
//! overcommit off, an allocation can fail outright, and Rust's answer to a
//! failed allocation is to abort the process — in the shell, the whole
//! session. [`Guarded`] wraps the system allocator with a reserve: while a
//! query runs, a block of address space ([`RESERVE`]) is held back. The
//! first allocation the system refuses gives the reserve back, retries,
//! and marks the query [`tripped`]; the memory watcher
//! ([`memory::Watch`](super::memory::Watch)) sees the mark and stops the
//! query, which fails with a message saying memory ran out. A refusal with
//! no reserve left calls the binary's last resort (`Guarded::new`'s
//! argument), which says so and exits with status 1: never an abort, and
//! never with a result half printed (results are printed only after their
//! query has finished).
//!
//! A limit on resident memory (a control group's) does not make
//! allocations fail: the kernel kills the process instead. The watcher's
//! budget, a share of that limit, stops a query that grows step by step;
//! a single large allocation can leap past both before the watcher looks.
//! So an allocation of [`LARGE`] bytes or more is checked against the
//! process's memory now and the [`ceiling`](set_ceiling) the system would
//! kill it at: one that would pass it goes to the last resort at once
//! (a message and exit status 1) rather than to the kernel's killer.

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicBool, AtomicPtr, AtomicU64, Ordering};

/// The address space held back while a query runs.
pub const RESERVE: usize = 64 << 20;

static RESERVE_BLOCK: AtomicPtr<libc::c_void> = AtomicPtr::new(std::ptr::null_mut());
static TRIPPED: AtomicBool = AtomicBool::new(false);

/// Allocations from this size up are checked against the ceiling.
pub const LARGE: usize = 32 << 20;

/// The process's own memory (anonymous pages, in bytes) past which the
/// system kills it; `u64::MAX` when unknown.
static CEILING: AtomicU64 = AtomicU64::new(u64::MAX);

/// Sets the ceiling (see the module's documentation); `None` when there
/// is none to guard.
pub fn set_ceiling(bytes: Option<u64>) {
    CEILING.store(bytes.unwrap_or(u64::MAX), Ordering::Relaxed);
}

/// Whether `size` bytes more would take the process past the ceiling.
/// Reads `/proc/self/statm` with a buffer on the stack: allocates nothing.
fn passes_ceiling(size: usize) -> bool {
    let ceiling = CEILING.load(Ordering::Relaxed);
    if ceiling == u64::MAX {
        return false;
    }
    resident_now().is_some_and(|now| now.saturating_add(size as u64) > ceiling)
}

/// The process's anonymous resident memory, read without allocating.
fn resident_now() -> Option<u64> {
    let mut buffer = [0u8; 256];
    // SAFETY: a NUL-terminated path; the descriptor is closed below.
    let fd = unsafe {
        libc::open(
            c"/proc/self/statm".as_ptr(),
            libc::O_RDONLY | libc::O_CLOEXEC,
        )
    };
    if fd < 0 {
        return None;
    }
    // SAFETY: reads at most the buffer's length into it.
    let read = unsafe { libc::read(fd, buffer.as_mut_ptr().cast(), buffer.len()) };
    // SAFETY: `fd` was opened above and is not used after this.
    unsafe { libc::close(fd) };
    let text = buffer.get(..usize::try_from(read).ok()?)?;
    let mut fields = text
        .split(|b| b.is_ascii_whitespace())
        .filter(|f| !f.is_empty());
    let _size = fields.next()?;
    let resident = digits(fields.next()?)?;
    let file_backed = digits(fields.next()?)?;
    // SAFETY: sysconf reads a constant of the system.
    let page = u64::try_from(unsafe { libc::sysconf(libc::_SC_PAGESIZE) }).ok()?;
    resident.saturating_sub(file_backed).checked_mul(page)
}

fn digits(field: &[u8]) -> Option<u64> {
    field.iter().try_fold(0u64, |n, b| {
        b.is_ascii_digit()
            .then(|| n.checked_mul(10)?.checked_add(u64::from(b - b'0')))
            .flatten()
    })
}

/// The system allocator, with the reserve described above.
pub struct Guarded {
    exhausted: fn(usize) -> !,
}

impl Guarded {
    /// `exhausted` runs when the system refuses an allocation of the given
    /// size and no reserve is left; it must not allocate, and must not
    /// return.
    pub const fn new(exhausted: fn(usize) -> !) -> Guarded {
        Guarded { exhausted }
    }
}

// SAFETY: every method passes its arguments on to `System` unchanged; the
// only addition is what happens when `System` returns null.
unsafe impl GlobalAlloc for Guarded {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        if layout.size() >= LARGE && passes_ceiling(layout.size()) {
            (self.exhausted)(layout.size())
        }
        // SAFETY: the caller's contract for `layout` is `System`'s.
        let p = unsafe { System.alloc(layout) };
        if p.is_null() {
            refused(self.exhausted, layout.size(), || unsafe {
                System.alloc(layout)
            })
        } else {
            p
        }
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        if layout.size() >= LARGE && passes_ceiling(layout.size()) {
            (self.exhausted)(layout.size())
        }
        // SAFETY: as for `alloc`.
        let p = unsafe { System.alloc_zeroed(layout) };
        if p.is_null() {
            refused(self.exhausted, layout.size(), || unsafe {
                System.alloc_zeroed(layout)
            })
        } else {
            p
        }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: `ptr` came from `System` through this allocator.
        unsafe { System.dealloc(ptr, layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        let growth = new_size.saturating_sub(layout.size());
        if growth >= LARGE && passes_ceiling(growth) {
            (self.exhausted)(growth)
        }
        // SAFETY: `ptr` came from `System`; a failed realloc leaves it valid.
        let p = unsafe { System.realloc(ptr, layout, new_size) };
        if p.is_null() {
            refused(self.exhausted, new_size, || unsafe {
                System.realloc(ptr, layout, new_size)
            })
        } else {
            p
        }
    }
}

/// Holds the reserve back (again), for the query about to run, and clears
/// the mark of the last one.
pub fn arm() {
    TRIPPED.store(false, Ordering::SeqCst);
    if !RESERVE_BLOCK.load(Ordering::SeqCst).is_null() {
        return;
    }
    // SAFETY: a fresh private anonymous mapping, owned by RESERVE_BLOCK;
    // it is never read or written, only given back by `release`.
    let block = unsafe {
        libc::mmap(
            std::ptr::null_mut(),
            RESERVE,
            libc::PROT_NONE,
            libc::MAP_PRIVATE | libc::MAP_ANONYMOUS,
            -1,
            0,
        )
    };
    if block == libc::MAP_FAILED {
        return;
    }
    if RESERVE_BLOCK
        .compare_exchange(
            std::ptr::null_mut(),
            block,
            Ordering::SeqCst,
            Ordering::SeqCst,
        )
        .is_err()
    {
        // SAFETY: `block` is the mapping made above, used by no one.
        unsafe { libc::munmap(block, RESERVE) };
    }
}

/// Whether an allocation was refused since the last [`arm`].
pub fn tripped() -> bool {
    TRIPPED.load(Ordering::SeqCst)
}

/// Gives the reserve back; whether there was one.
fn release() -> bool {
    let block = RESERVE_BLOCK.swap(std::ptr::null_mut(), Ordering::SeqCst);
    if block.is_null() {
        return false;
    }
    // SAFETY: the mapping made by `arm`, taken out of RESERVE_BLOCK above,
    // so no one else unmaps it.
    unsafe { libc::munmap(block, RESERVE) };
    true
}

/// The system refused `size` bytes: use the reserve, or give up through
/// `exhausted`. Allocates nothing itself.
#[cold]
fn refused(exhausted: fn(usize) -> !, size: usize, retry: impl FnOnce() -> *mut u8) -> *mut u8 {
    if release() {
        TRIPPED.store(true, Ordering::SeqCst);
        let p = retry();
        if !p.is_null() {
            return p;
        }
    }
    exhausted(size)
}

/// `n` in decimal, written into `buffer`: for a last resort that must not
/// allocate.
pub fn decimal(mut n: usize, buffer: &mut [u8; 20]) -> &[u8] {
    let mut start = buffer.len();
    loop {
        start -= 1;
        buffer[start] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            return &buffer[start..];
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_print_in_decimal() {
        let mut buffer = [0u8; 20];
        assert_eq!(decimal(0, &mut buffer), b"0");
        assert_eq!(decimal(1_073_741_824, &mut buffer), b"1073741824");
        assert_eq!(
            decimal(usize::MAX, &mut buffer),
            usize::MAX.to_string().as_bytes()
        );
    }

    #[test]
    fn statm_fields_read_as_numbers() {
        assert_eq!(digits(b"12345"), Some(12345));
        assert_eq!(digits(b"12a"), None);
        assert_eq!(digits(b"99999999999999999999999"), None);
        let now = resident_now().expect("a Linux process can read its statm");
        assert!(now > 0);
    }

    #[test]
    fn only_a_ceiling_below_the_process_stops_an_allocation() {
        assert!(!passes_ceiling(LARGE));
        // The tests share the ceiling; a test run has no other user of it.
        set_ceiling(Some(1));
        let passes = passes_ceiling(LARGE);
        set_ceiling(None);
        assert!(passes);
        assert!(!passes_ceiling(usize::MAX / 2));
    }

    #[test]
    fn the_reserve_is_held_and_given_back_once() {
        arm();
        assert!(!tripped());
        assert!(!RESERVE_BLOCK.load(Ordering::SeqCst).is_null());
        // Only a refused allocation gives it back otherwise, so it is there.
        assert!(release());
        arm();
    }
}
