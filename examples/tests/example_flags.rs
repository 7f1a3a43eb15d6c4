//! Every example answers `--help` with its usage on stdout and exit code
//! 0, and refuses an unknown flag or a malformed value with a usage
//! message on stderr and exit code 2.
//!
//! Each example's `main` parses its command line with clap's
//! `Parser::parse`, which prints the error that `try_parse_from` returns
//! and exits with its code: on stdout with 0 for `--help`, on stderr with
//! 2 for a bad command line. These tests include the example files and run
//! those very parsers, in-process, on the command lines a user would type.

use clap::Parser;
use clap::error::ErrorKind;

macro_rules! examples {
    ($($name:ident = $path:literal),* $(,)?) => {
        $(
            #[allow(dead_code)]
            #[path = $path]
            mod $name;
        )*

        #[test]
        fn every_example_answers_help_on_stdout_with_0() {
            $( help::<$name::Args>(stringify!($name)); )*
        }

        #[test]
        fn every_example_refuses_an_unknown_flag_on_stderr_with_2() {
            $( refuses::<$name::Args>(&[stringify!($name), "--frobnicate"], ErrorKind::UnknownArgument); )*
        }

        #[test]
        fn every_example_runs_without_arguments() {
            $( assert!($name::Args::try_parse_from([stringify!($name)]).is_ok()); )*
        }
    };
}

examples!(
    distributed_race = "../examples/distributed_race.rs",
    gevent_actor = "../examples/gevent_actor.rs",
    http_hello = "../examples/http_hello.rs",
    hyper_hello = "../examples/hyper_hello.rs",
    observer_demo = "../examples/observer_demo.rs",
    ping_channel = "../examples/ping_channel.rs",
    ping_pong = "../examples/ping_pong.rs",
    protocol_race = "../examples/protocol_race.rs",
    selective_receive = "../examples/selective_receive.rs",
    stackless_channel = "../examples/stackless_channel.rs",
    stackless_schedule = "../examples/stackless_schedule.rs",
    subprocess_pipe = "../examples/subprocess_pipe.rs",
    supervisor_tree = "../examples/supervisor_tree.rs",
    worker_pool = "../examples/worker_pool.rs",
);

fn help<A: Parser>(name: &str) {
    for flag in ["--help", "-h"] {
        let e = match A::try_parse_from([name, flag]) {
            Ok(_) => panic!("{name} {flag} would run the example"),
            Err(e) => e,
        };
        assert_eq!(e.kind(), ErrorKind::DisplayHelp, "{name} {flag}");
        assert_eq!(e.exit_code(), 0, "{name} {flag}");
        assert!(!e.use_stderr(), "{name} {flag}: help goes to stdout");
        let text = e.render().to_string();
        assert!(
            text.contains(&format!("Usage: {name}")),
            "{name} {flag}:\n{text}"
        );
    }
}

fn refuses<A: Parser>(args: &[&str], kind: ErrorKind) {
    let e = match A::try_parse_from(args) {
        Ok(_) => panic!("{args:?} would run the example"),
        Err(e) => e,
    };
    assert_eq!(e.kind(), kind, "{args:?}");
    assert_eq!(e.exit_code(), 2, "{args:?}");
    assert!(e.use_stderr(), "{args:?}: the complaint goes to stderr");
    // An unknown flag gets the usage line; a bad value, what was wrong
    // with it and where to look.
    let text = e.render().to_string();
    let expected = match kind {
        ErrorKind::UnknownArgument => format!("Usage: {}", args[0]),
        _ => "--help".to_string(),
    };
    assert!(text.contains(&expected), "{args:?}:\n{text}");
}

#[test]
fn the_flags_examples_take_are_read() {
    let port = |args: &[&str]| http_hello::Args::try_parse_from(args).map(|a| a.port);
    assert_eq!(port(&["http_hello"]).unwrap(), 8000);
    assert_eq!(port(&["http_hello", "--port", "0"]).unwrap(), 0);
    assert_eq!(port(&["http_hello", "--port=8080"]).unwrap(), 8080);
    let hyper = hyper_hello::Args::try_parse_from(["hyper_hello", "--port", "9"]);
    assert_eq!(hyper.unwrap().port, 9);
    let demo = |args: &[&str]| observer_demo::Args::try_parse_from(args).map(|a| a.port);
    assert_eq!(demo(&["observer_demo"]).unwrap(), 7070);
    assert_eq!(demo(&["observer_demo", "--port", "0"]).unwrap(), 0);
    let count = |args: &[&str]| ping_channel::Args::try_parse_from(args).map(|a| a.count);
    assert_eq!(count(&["ping_channel"]).unwrap(), 1_000_000);
    assert_eq!(count(&["ping_channel", "--count", "1_000"]).unwrap(), 1_000);
    assert_eq!(count(&["ping_channel", "--count=7"]).unwrap(), 7);
    let rounds = |args: &[&str]| ping_pong::Args::try_parse_from(args).map(|a| a.round_trips);
    assert_eq!(rounds(&["ping_pong"]).unwrap(), 1_000_000);
    assert_eq!(rounds(&["ping_pong", "42"]).unwrap(), 42);
}

#[test]
fn malformed_values_are_refused_on_stderr_with_2() {
    refuses::<http_hello::Args>(&["http_hello", "--port"], ErrorKind::InvalidValue);
    refuses::<http_hello::Args>(
        &["http_hello", "--port", "70000"],
        ErrorKind::ValueValidation,
    );
    refuses::<ping_channel::Args>(
        &["ping_channel", "--count", "many"],
        ErrorKind::ValueValidation,
    );
    refuses::<ping_pong::Args>(&["ping_pong", "-5"], ErrorKind::UnknownArgument);
    refuses::<ping_pong::Args>(&["ping_pong", "1", "2"], ErrorKind::UnknownArgument);
    refuses::<stackless_schedule::Args>(
        &["stackless_schedule", "extra"],
        ErrorKind::UnknownArgument,
    );
}
