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
//! allocations fail: the kernel would kill the process instead. The
//! watcher's budget, a share of that limit, stops such a query first.

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicBool, AtomicPtr, Ordering};

/// The address space held back while a query runs.
pub const RESERVE: usize = 64 << 20;

static RESERVE_BLOCK: AtomicPtr<libc::c_void> = AtomicPtr::new(std::ptr::null_mut());
static TRIPPED: AtomicBool = AtomicBool::new(false);

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
    fn the_reserve_is_held_and_given_back_once() {
        arm();
        assert!(!tripped());
        assert!(!RESERVE_BLOCK.load(Ordering::SeqCst).is_null());
        // Only a refused allocation gives it back otherwise, so it is there.
        assert!(release());
        arm();
    }
}
