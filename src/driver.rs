//! One way through a script, for every place that runs one: `-f`, `-e`,
//! standard input, an entry typed in the shell, and `.read` inside any of
//! them.
//!
//! The driver owns the rules: a script is split into query text and
//! dot-command lines (see [`crate::script`]), they run in order, a failure
//! is reported and the script goes on with its next piece (with `--bail`
//! it ends the script and every script that `.read` it), `.quit` ends them
//! all, and `.read` nests at most [`MAX_READ_DEPTH`] deep. A script with a
//! failure anywhere ends as [`Step::Stop`]. What happens to
//! results and messages is the [`Host`]'s business: the batch runner
//! prints them as they come, the shell runs queries on its cancellable
//! worker.

use crate::commands::{MAX_READ_DEPTH, Reply, Settings};
use crate::script::{self, Piece};

/// How a script, or one step of it, ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    /// Go on with the next step.
    Go,
    /// `.quit`: stop every script and the program.
    Quit,
    /// A failure, already reported by the host: with `bail`, stop this
    /// script and those that read it; otherwise go on, and end the script
    /// as failed.
    Stop,
}

/// What a script runs against.
pub trait Host {
    /// Runs query text (`name` names it in messages) and shows its results
    /// under `settings`; reports a failure itself and returns
    /// [`Step::Stop`].
    fn queries(&mut self, settings: &Settings, name: &str, text: &str) -> Step;

    /// Runs one dot-command line against the session.
    fn command(&mut self, settings: &mut Settings, line: &str) -> Reply;

    /// Shows what a dot-command answered; `setting` says it only confirms a
    /// changed setting (scripts keep quiet about those, the shell does not).
    fn answer(&mut self, settings: &Settings, text: &str, setting: bool) -> Step;

    /// Reports a dot-command that failed; `message` names the script line
    /// when there is one (`name:line: …`).
    fn refuse(&mut self, message: &str) -> Step;
}

/// Runs `text`, a script named `name` in messages, `depth` `.read`s deep.
pub fn run_script(
    host: &mut impl Host,
    settings: &mut Settings,
    (name, text): (&str, &str),
    depth: usize,
) -> Step {
    let mut failed = false;
    for piece in script::pieces(text) {
        let step = match piece {
            Piece::Queries(queries) => run_queries(host, settings, name, &queries),
            Piece::Command { line, text } => {
                run_command(host, settings, &text, Some((name, line)), depth)
            }
        };
        match step {
            Step::Go => {}
            Step::Stop if !settings.bail => failed = true,
            other => return other,
        }
    }
    if failed { Step::Stop } else { Step::Go }
}

/// Runs query text; a `.once` file set before it gets its results and no
/// later ones.
pub fn run_queries(host: &mut impl Host, settings: &mut Settings, name: &str, text: &str) -> Step {
    let step = host.queries(settings, name, text);
    settings.once = None;
    step
}

/// Runs one dot-command; `place` is the script and line it came from, if
/// any. `.read` runs the file it names one level deeper.
pub fn run_command(
    host: &mut impl Host,
    settings: &mut Settings,
    text: &str,
    place: Option<(&str, usize)>,
    depth: usize,
) -> Step {
    let at = |message: &str| match place {
        Some((name, line)) => format!("{name}:{line}: {message}"),
        None => message.to_owned(),
    };
    match host.command(settings, text) {
        Reply::Text(answer) => host.answer(settings, &answer, false),
        Reply::Set(answer) => host.answer(settings, &answer, true),
        Reply::Error(message) => host.refuse(&at(&message)),
        Reply::Quit => Step::Quit,
        Reply::Run { .. } if depth >= MAX_READ_DEPTH => host.refuse(&at(&format!(
            "`.read` nested more than {MAX_READ_DEPTH} deep"
        ))),
        Reply::Run { name, text } => run_script(host, settings, (&name, &text), depth + 1),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A host that answers commands from a table and records what it did.
    #[derive(Default)]
    struct Recorder {
        scripts: Vec<(&'static str, &'static str)>,
        log: Vec<String>,
        fail_queries: bool,
    }

    impl Host for Recorder {
        fn queries(&mut self, _: &Settings, name: &str, text: &str) -> Step {
            self.log.push(format!("queries {name}: {}", text.trim()));
            if self.fail_queries {
                Step::Stop
            } else {
                Step::Go
            }
        }

        fn command(&mut self, settings: &mut Settings, line: &str) -> Reply {
            match line.split_once(' ') {
                Some((".read", file)) => match self.scripts.iter().find(|(n, _)| *n == file) {
                    Some((name, text)) => Reply::Run {
                        name: (*name).to_owned(),
                        text: (*text).to_owned(),
                    },
                    None => Reply::Error(format!("no file {file}")),
                },
                Some((".maxrows", n)) => {
                    settings.max_rows = n.parse().unwrap_or(0);
                    Reply::Set(format!("maxrows {n}"))
                }
                _ if line == ".quit" => Reply::Quit,
                _ => Reply::Text(line.to_owned()),
            }
        }

        fn answer(&mut self, settings: &Settings, text: &str, setting: bool) -> Step {
            self.log.push(format!(
                "answer {text} (setting: {setting}, maxrows {})",
                settings.max_rows
            ));
            Step::Go
        }

        fn refuse(&mut self, message: &str) -> Step {
            self.log.push(format!("refuse {message}"));
            Step::Stop
        }
    }

    fn run(host: &mut Recorder, text: &str) -> Step {
        let mut settings = Settings::new(40, false);
        run_script(host, &mut settings, ("main", text), 0)
    }

    fn run_bailing(host: &mut Recorder, text: &str) -> Step {
        let mut settings = Settings::new(40, false);
        settings.bail = true;
        run_script(host, &mut settings, ("main", text), 0)
    }

    #[test]
    fn queries_and_commands_run_in_order_with_settings_carried_along() {
        let mut host = Recorder::default();
        let step = run(&mut host, "a | count\n.maxrows 5\n.tables\nb | count\n");
        assert_eq!(step, Step::Go);
        assert_eq!(
            host.log,
            [
                "queries main: a | count",
                "answer maxrows 5 (setting: true, maxrows 5)",
                "answer .tables (setting: false, maxrows 5)",
                "queries main: b | count",
            ]
        );
    }

    #[test]
    fn with_bail_a_failure_ends_the_script_and_the_scripts_that_read_it() {
        let mut host = Recorder {
            scripts: vec![("inner", ".nothing\n.read missing\n.tables\n")],
            ..Recorder::default()
        };
        let step = run_bailing(&mut host, ".read inner\n.tables\n");
        assert_eq!(step, Step::Stop);
        assert_eq!(
            host.log,
            [
                "answer .nothing (setting: false, maxrows 40)",
                "refuse inner:2: no file missing",
            ]
        );
    }

    #[test]
    fn without_bail_a_failure_is_reported_and_the_script_goes_on_ending_failed() {
        let mut host = Recorder {
            scripts: vec![("inner", ".nothing\n.read missing\n.tables\n")],
            ..Recorder::default()
        };
        let step = run(&mut host, ".read inner\n.tables\n");
        assert_eq!(step, Step::Stop);
        assert_eq!(
            host.log,
            [
                "answer .nothing (setting: false, maxrows 40)",
                "refuse inner:2: no file missing",
                "answer .tables (setting: false, maxrows 40)",
                "answer .tables (setting: false, maxrows 40)",
            ]
        );
    }

    #[test]
    fn a_failed_query_stops_a_bailing_script_only() {
        let mut host = Recorder {
            fail_queries: true,
            ..Recorder::default()
        };
        assert_eq!(run_bailing(&mut host, "a\n.tables\n"), Step::Stop);
        assert_eq!(host.log, ["queries main: a"]);
        let mut host = Recorder {
            fail_queries: true,
            ..Recorder::default()
        };
        assert_eq!(run(&mut host, "a\n.tables\nb\n"), Step::Stop);
        assert_eq!(
            host.log,
            [
                "queries main: a",
                "answer .tables (setting: false, maxrows 40)",
                "queries main: b",
            ]
        );
    }

    #[test]
    fn quit_inside_a_read_ends_everything() {
        let mut host = Recorder {
            scripts: vec![("inner", ".quit\n.tables\n")],
            ..Recorder::default()
        };
        assert_eq!(run(&mut host, ".read inner\n.tables\n"), Step::Quit);
        assert!(host.log.is_empty(), "{:?}", host.log);
    }

    #[test]
    fn a_script_that_reads_itself_stops_at_the_depth_limit() {
        let mut host = Recorder {
            scripts: vec![("self", ".read self\n")],
            ..Recorder::default()
        };
        assert_eq!(run(&mut host, ".read self\n"), Step::Stop);
        assert_eq!(
            host.log,
            [format!(
                "refuse self:1: `.read` nested more than {MAX_READ_DEPTH} deep"
            )]
        );
    }

    #[test]
    fn a_command_typed_alone_has_no_place() {
        let mut host = Recorder::default();
        let mut settings = Settings::new(40, false);
        let step = run_command(&mut host, &mut settings, ".read nowhere", None, 0);
        assert_eq!(step, Step::Stop);
        assert_eq!(host.log, ["refuse no file nowhere"]);
    }
}
