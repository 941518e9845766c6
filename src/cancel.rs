//! A request to stop, shared between whoever asks (the shell on Ctrl-C)
//! and the work that checks it (an export between writes).

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

/// A flag that, once set, stays set; clones share it. It may also watch a
/// signal handler's flag, so a Ctrl-C is seen the moment it arrives, before
/// whoever handles the signal gets round to [`Cancel::cancel`].
#[derive(Debug, Clone, Default)]
pub struct Cancel {
    own: Arc<AtomicBool>,
    signal: Option<Arc<AtomicBool>>,
}

impl Cancel {
    /// A flag not yet set.
    pub fn new() -> Cancel {
        Cancel::default()
    }

    /// A flag that also counts as set while `signal` is set. The owner of
    /// `signal` may clear it; call [`Cancel::cancel`] to make the request
    /// stick.
    pub fn watching(signal: Arc<AtomicBool>) -> Cancel {
        Cancel {
            own: Arc::default(),
            signal: Some(signal),
        }
    }

    /// Asks the work sharing this flag to stop.
    pub fn cancel(&self) {
        self.own.store(true, Ordering::SeqCst);
    }

    pub fn is_cancelled(&self) -> bool {
        self.own.load(Ordering::SeqCst)
            || self
                .signal
                .as_ref()
                .is_some_and(|s| s.load(Ordering::SeqCst))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clones_share_the_flag() {
        let cancel = Cancel::new();
        let seen = cancel.clone();
        assert!(!seen.is_cancelled());
        cancel.cancel();
        assert!(seen.is_cancelled());
    }

    #[test]
    fn a_watched_signal_counts_at_once_and_cancel_makes_it_stick() {
        let signal = Arc::new(AtomicBool::new(false));
        let cancel = Cancel::watching(Arc::clone(&signal));
        assert!(!cancel.is_cancelled());
        signal.store(true, Ordering::SeqCst);
        assert!(cancel.is_cancelled());
        cancel.cancel();
        signal.store(false, Ordering::SeqCst);
        assert!(cancel.is_cancelled());
    }
}
