//! Reading a password at the terminal without showing it: echo is turned
//! off for the one line and restored however the read ends.

use std::io::{self, BufRead, Write};

/// Prints `prompt` on stderr and reads one line from the terminal with
/// echo off.
pub fn read(prompt: &str) -> io::Result<String> {
    let mut err = io::stderr();
    err.write_all(prompt.as_bytes())?;
    err.flush()?;
    let _echo_off = EchoOff::new()?;
    let mut line = String::new();
    io::stdin().lock().read_line(&mut line)?;
    // The Enter that ended the line was not echoed either.
    let _ = writeln!(err);
    Ok(line.trim_end_matches(['\n', '\r']).to_owned())
}

/// Echo off on standard input while this lives.
struct EchoOff {
    saved: libc::termios,
}

impl EchoOff {
    fn new() -> io::Result<EchoOff> {
        // SAFETY: termios is plain data; tcgetattr fills it or fails.
        let mut saved: libc::termios = unsafe { std::mem::zeroed() };
        if unsafe { libc::tcgetattr(libc::STDIN_FILENO, &mut saved) } != 0 {
            return Err(io::Error::last_os_error());
        }
        let mut quiet = saved;
        quiet.c_lflag &= !libc::ECHO;
        quiet.c_lflag |= libc::ICANON;
        // SAFETY: a termios read from this terminal, with one flag changed.
        if unsafe { libc::tcsetattr(libc::STDIN_FILENO, libc::TCSANOW, &quiet) } != 0 {
            return Err(io::Error::last_os_error());
        }
        Ok(EchoOff { saved })
    }
}

impl Drop for EchoOff {
    fn drop(&mut self) {
        // SAFETY: restores the settings read in `new`.
        unsafe { libc::tcsetattr(libc::STDIN_FILENO, libc::TCSANOW, &self.saved) };
    }
}
