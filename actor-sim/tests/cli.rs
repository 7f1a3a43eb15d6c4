//! The `robot-world` binary: flags, errors, summary and default output.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::atomic::{AtomicUsize, Ordering};

fn robot_world(args: &[&str], cwd: &Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_robot-world"))
        .args(args)
        .current_dir(cwd)
        .output()
        .expect("the binary runs")
}

fn scratch(name: &str) -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(format!("cli-{name}"));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// A usage error: exit code 2, a message naming the problem, no panic.
fn assert_usage_error(args: &[&str], needle: &str) {
    // A directory of its own: tests run in parallel, and `scratch` empties it.
    static CALLS: AtomicUsize = AtomicUsize::new(0);
    let dir = scratch(&format!("usage-{}", CALLS.fetch_add(1, Ordering::Relaxed)));
    let out = robot_world(args, &dir);
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(2), "{args:?}: {err}");
    assert!(err.contains(needle), "{args:?}: {err}");
    assert!(!err.contains("panicked"), "{args:?}: {err}");
    assert!(out.stdout.is_empty(), "{args:?}");
}

#[test]
fn zero_robots_is_refused() {
    assert_usage_error(&["--robots", "0"], "at least one robot");
}

#[test]
fn bad_flags_are_refused() {
    assert_usage_error(&["--ticks", "many"], "--ticks");
    assert_usage_error(&["--ticks", "0"], "at least 1");
    assert_usage_error(&["--no-such-flag"], "--no-such-flag");
    assert_usage_error(&["--runtime", "erlang"], "erlang");
    assert_usage_error(&["--every", "5"], "--frames");
    assert_usage_error(&["--frames", "f", "--every", "0"], "at least 1");
    assert_usage_error(&["--chaos", "13"], "--chaos 13");
    assert_usage_error(&["--nodes", "1"], "at least 2");
    assert_usage_error(&["--nodes", "2", "--grace", "0.5"], "heartbeat");
    assert_usage_error(&["--grace", "5"], "--nodes");
    assert_usage_error(&["--nats", "nats://127.0.0.1:4222"], "--nodes");
    assert_usage_error(&["--nodes", "2", "--runtime", "deterministic"], "tokio");
    assert_usage_error(&["--nodes", "2", "--chaos", "1"], "--kill-node-at");
    assert_usage_error(&["--nodes", "2", "--observe", "127.0.0.1:0"], "one node");
    assert_usage_error(
        &["--ticks", "10", "--nodes", "3", "--kill-node-at", "10"],
        "past the last tick",
    );
    assert_usage_error(&["--observe", "nowhere"], "--observe");
    assert_usage_error(
        &["--observe", "127.0.0.1:0", "--runtime", "deterministic"],
        "--observe needs a tokio runtime",
    );
}

#[test]
fn observe_announces_the_observer_and_runs_the_world() {
    let dir = scratch("observe");
    let out = robot_world(&["--observe", "127.0.0.1:0", "--ticks", "50"], &dir);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{}", stderr(&out));
    let lines: Vec<&str> = text.lines().collect();
    assert!(
        lines[0].starts_with("observer: http://127.0.0.1:"),
        "{text}"
    );
    assert!(
        lines[1].starts_with("world: http://127.0.0.1:") && lines[1].ends_with("/world"),
        "{text}"
    );
    assert!(
        lines[2].starts_with("token: ") && lines[2].len() == "token: ".len() + 32,
        "{text}"
    );
    assert!(text.contains("ticks: 50"), "{text}");
}

#[test]
fn unwritable_outputs_fail_before_the_run() {
    let dir = scratch("unwritable");
    // So many ticks that a check after the run would never be reached.
    for (flag, path) in [
        ("--png", "missing/dir/world.png"),
        ("--trace", "missing/dir/trace.jsonl"),
    ] {
        let out = robot_world(&["--ticks", "100000000", flag, path], &dir);
        let err = stderr(&out);
        assert_eq!(out.status.code(), Some(1), "{flag}: {err}");
        assert!(err.contains("missing/dir"), "{flag}: {err}");
        assert!(!err.contains("panicked"), "{err}");
    }
    // A frames "directory" that is a file.
    std::fs::write(dir.join("plain-file"), b"x").unwrap();
    let out = robot_world(&["--ticks", "100000000", "--frames", "plain-file"], &dir);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("frames directory"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn summary_reports_the_run() {
    let dir = scratch("summary");
    let out = robot_world(&["--ticks", "120", "--robots", "50", "--seed", "3"], &dir);
    assert!(out.status.success(), "{}", stderr(&out));
    let text = String::from_utf8(out.stdout).unwrap();
    for key in [
        "robots: 50",
        "ticks: 120",
        "collisions: ",
        "messages: ",
        "wall time: ",
    ] {
        assert!(text.contains(key), "{key} missing in {text}");
    }
    let rate = text
        .lines()
        .find_map(|l| l.strip_prefix("rate: "))
        .expect("a rate line");
    let (number, unit) = rate.split_once(' ').unwrap();
    assert_eq!(unit, "robot-ticks/s");
    assert!(number.parse::<f64>().unwrap() > 0.0);
    // Flags given: no picture unless asked for.
    assert!(!dir.join("world.png").exists());
}

#[test]
fn no_flags_draws_world_png() {
    let dir = scratch("bare");
    let out = robot_world(&[], &dir);
    assert!(out.status.success(), "{}", stderr(&out));
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(
        text.contains("robots: 12") && text.contains("ticks: 1000"),
        "{text}"
    );
    let png = std::fs::read(dir.join("world.png")).unwrap();
    let pixmap = actor_sim::tiny_skia::Pixmap::decode_png(&png).unwrap();
    assert_eq!((pixmap.width(), pixmap.height()), (660, 648));
}

#[test]
fn frames_are_written_every_k_ticks() {
    let dir = scratch("frames");
    let out = robot_world(
        &["--ticks", "35", "--frames", "out/frames", "--every", "10"],
        &dir,
    );
    assert!(out.status.success(), "{}", stderr(&out));
    let mut names: Vec<String> = std::fs::read_dir(dir.join("out/frames"))
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    names.sort();
    assert_eq!(
        names,
        [
            "frame_000000.png",
            "frame_000010.png",
            "frame_000020.png",
            "frame_000030.png"
        ]
    );
}

#[test]
fn deterministic_runtime_flag_gives_the_tokio_trace() {
    let dir = scratch("det-flag");
    for rt in ["tokio", "deterministic"] {
        let out = robot_world(
            &[
                "--ticks",
                "200",
                "--runtime",
                rt,
                "--trace",
                &format!("{rt}.jsonl"),
            ],
            &dir,
        );
        assert!(out.status.success(), "{}", stderr(&out));
    }
    let a = std::fs::read(dir.join("tokio.jsonl")).unwrap();
    let b = std::fs::read(dir.join("deterministic.jsonl")).unwrap();
    assert_eq!(a.len(), b.len());
    assert!(a == b, "the two runtimes' traces differ");
}
