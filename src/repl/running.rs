//! Running one entry of the REPL so that Ctrl-C can stop waiting for it.
//!
//! The entry runs on a worker thread against a copy of the session. Results
//! come back over a channel as each statement finishes and are shown at
//! once. When the entry ends (done or failed), the copy, with its new
//! `let`s, becomes the session. On Ctrl-C the engine stops the running
//! statement at its next batch (see `Engine::collect`), the worker is told
//! not to start another, and the REPL returns to the prompt with the
//! session as it was before the entry.
//!
//! A query that runs longer than half a second shows a spinner with the
//! elapsed time on stderr, when stderr is a terminal.

use std::cell::RefCell;
use std::io::{self, IsTerminal, Write};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{self, RecvTimeoutError};
use std::time::{Duration, Instant};

use infraql::cancel::Cancel;
use infraql::session::{Cause, Failure, Outcome, Refusal, Session};

/// How often the waiting side looks at Ctrl-C and the spinner.
const TICK: Duration = Duration::from_millis(100);
/// How long a query runs before the spinner shows.
const SPINNER_AFTER: Duration = Duration::from_millis(500);
/// How long Ctrl-C waits for the worker to stop before leaving it behind.
const WIND_DOWN: Duration = Duration::from_millis(400);
const SPINNER_FRAMES: [char; 10] = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏'];

/// How an entry ended.
pub enum Finished {
    /// It ran to its end or to an error.
    Done {
        elapsed: Duration,
        failure: Option<Failure>,
    },
    /// Ctrl-C: the session is as it was before.
    Cancelled,
    /// The worker went away without an answer (a bug).
    Lost,
}

enum Message {
    Result(Outcome),
    Done(Box<Session>, Result<(), Failure>),
}

/// Runs `text` (named `name` in messages), handing each result to `show`.
pub fn run(
    session: &RefCell<Session>,
    name: &str,
    text: &str,
    interrupted: &Arc<AtomicBool>,
    mut show: impl FnMut(Outcome),
) -> Finished {
    let started = Instant::now();
    interrupted.store(false, Ordering::SeqCst);
    let mut copy = session.borrow().clone();
    let (sender, receiver) = mpsc::channel();
    // The worker sees Ctrl-C at once (an export stops at its next write);
    // `stop` makes it stick after `interrupted` is cleared.
    let stop = Cancel::watching(Arc::clone(interrupted));
    let worker_stop = stop.clone();
    copy.set_cancel(stop.clone());
    let (name, text) = (name.to_owned(), text.to_owned());
    let spawned = std::thread::Builder::new()
        .name("infraql-query".to_owned())
        .stack_size(crate::QUERY_STACK)
        .spawn(move || {
            let result = copy.run(&name, &text, |outcome| {
                if worker_stop.is_cancelled() {
                    return Err(Refusal::Cancelled);
                }
                // The shell stopped listening: it was told to cancel.
                sender
                    .send(Message::Result(outcome))
                    .map_err(|_| Refusal::Cancelled)
            });
            let _ = sender.send(Message::Done(Box::new(copy), result));
        });
    if spawned.is_err() {
        return Finished::Lost;
    }
    let mut spinner = Spinner::new();
    loop {
        match receiver.recv_timeout(TICK) {
            Ok(Message::Result(outcome)) => {
                spinner.clear();
                show(outcome);
            }
            Ok(Message::Done(finished, result)) => {
                spinner.clear();
                // Ctrl-C may stop the engine before this loop sees it.
                let cancelled = result
                    .as_ref()
                    .is_err_and(|failure| failure.cause == Cause::Cancelled);
                if interrupted.swap(false, Ordering::SeqCst) || cancelled {
                    return Finished::Cancelled;
                }
                // What ran before a failure stays, as in a script.
                *session.borrow_mut() = *finished;
                return Finished::Done {
                    elapsed: started.elapsed(),
                    failure: result.err(),
                };
            }
            Err(RecvTimeoutError::Timeout) => {
                if interrupted.swap(false, Ordering::SeqCst) {
                    stop.cancel();
                    spinner.clear();
                    wind_down(&receiver);
                    return Finished::Cancelled;
                }
                spinner.tick(started.elapsed());
            }
            Err(RecvTimeoutError::Disconnected) => {
                spinner.clear();
                return Finished::Lost;
            }
        }
    }
}

/// Waits a little for the interrupted worker to finish, so its work does not
/// compete with the next entry; results it still sends are dropped.
fn wind_down(receiver: &mpsc::Receiver<Message>) {
    let deadline = Instant::now() + WIND_DOWN;
    while let Some(left) = deadline.checked_duration_since(Instant::now()) {
        match receiver.recv_timeout(left) {
            Ok(Message::Result(_)) => continue,
            Ok(Message::Done(..)) | Err(_) => return,
        }
    }
}

/// "⠋ running… 1.2 s" on stderr, redrawn in place.
struct Spinner {
    enabled: bool,
    shown: bool,
    frame: usize,
}

impl Spinner {
    fn new() -> Spinner {
        Spinner {
            enabled: io::stderr().is_terminal(),
            shown: false,
            frame: 0,
        }
    }

    fn tick(&mut self, elapsed: Duration) {
        if !self.enabled || elapsed < SPINNER_AFTER {
            return;
        }
        let frame = SPINNER_FRAMES[self.frame % SPINNER_FRAMES.len()];
        self.frame += 1;
        // What the ClickHouse server has read so far, when a query runs
        // there.
        let server = infraql::engine::clickhouse::progress().map_or(String::new(), |p| {
            format!(
                ", {} rows and {} read on the server",
                infraql::render::text::display(
                    &infraql::render::cells::Cell::Int(i128::from(p.rows)),
                    true
                ),
                infraql::engine::memory::describe(p.bytes)
            )
        });
        let mut err = io::stderr().lock();
        let _ = write!(
            err,
            "\r\x1b[2K{frame} running… {:.1} s{server} (Ctrl-C to cancel)",
            elapsed.as_secs_f64()
        );
        let _ = err.flush();
        self.shown = true;
    }

    fn clear(&mut self) {
        if self.shown {
            let mut err = io::stderr().lock();
            let _ = write!(err, "\r\x1b[2K");
            let _ = err.flush();
            self.shown = false;
        }
    }
}
