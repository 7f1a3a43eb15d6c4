//! A robot node whose OS process is killed mid-run (`SIGKILL`, no goodbye)
//! is survived: once the World node declares it down (the grace period),
//! the supervisor starts its robots again on the remaining robot node,
//! from the state the World holds, and the World sends the tick they had
//! not answered again. The run completes, and its trace is the trace of
//! the undisturbed single-process run, byte for byte.

use std::path::PathBuf;
use std::process::Command;
use std::time::Instant;

#[test]
fn a_killed_robot_node_is_survived_and_the_trace_is_unchanged() {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("nodes-kill");
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let run = |args: &[&str]| {
        let out = Command::new(env!("CARGO_BIN_EXE_robot-world"))
            .args(["--robots", "30", "--seed", "9", "--ticks", "150"])
            .args(args)
            .current_dir(&dir)
            .output()
            .expect("the binary runs");
        let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
        assert!(out.status.success(), "{args:?}: {stderr}");
        String::from_utf8(out.stdout).unwrap()
    };
    run(&["--trace", "single.jsonl"]);
    // A grace period of 3 s: the killed node is declared down after it,
    // and a survivor starved of CPU for less is not.
    let started = Instant::now();
    let summary = run(&[
        "--nodes",
        "3",
        "--grace",
        "3",
        "--kill-node-at",
        "60",
        "--trace",
        "killed.jsonl",
    ]);
    eprintln!("the run across nodes took {:?}", started.elapsed());

    // Robots are placed in turn: robot node 1, the one killed, had the 15
    // odd-numbered robots of 30.
    assert!(summary.contains("ticks: 150"), "{summary}");
    assert!(
        summary.contains("robot nodes lost: 1; robots restarted on other nodes: 15"),
        "{summary}"
    );
    let single = std::fs::read(dir.join("single.jsonl")).unwrap();
    let killed = std::fs::read(dir.join("killed.jsonl")).unwrap();
    assert_eq!(killed.iter().filter(|b| **b == b'\n').count(), 150);
    assert_eq!(single.len(), killed.len(), "{summary}");
    assert!(single == killed, "the traces differ\n{summary}");
}

#[test]
fn killing_the_only_robot_node_is_refused() {
    let out = Command::new(env!("CARGO_BIN_EXE_robot-world"))
        .args(["--nodes", "2", "--kill-node-at", "5"])
        .output()
        .expect("the binary runs");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("--nodes 3 or more"), "{stderr}");
}
