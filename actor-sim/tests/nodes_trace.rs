//! `robot-world --nodes N` runs the World on one node and the robots on
//! N-1 others, each an OS process, over a nats-server the command starts,
//! and writes the very trace of the single-process run: byte for byte.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// 30 random robots for 200 ticks: walls are hit, robots turn.
const SCENARIO: [&str; 6] = ["--robots", "30", "--seed", "5", "--ticks", "200"];

fn robot_world(args: &[&str], cwd: &Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_robot-world"))
        .args(SCENARIO)
        .args(args)
        .current_dir(cwd)
        .output()
        .expect("the binary runs")
}

fn scratch(name: &str) -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(format!("nodes-{name}"));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Runs the scenario on one node and on `nodes`; returns both traces and
/// the run across nodes' summary.
fn traces(nodes: &str) -> (Vec<u8>, Vec<u8>, String) {
    let dir = scratch(nodes);
    let single = robot_world(&["--trace", "single.jsonl"], &dir);
    assert!(
        single.status.success(),
        "{}",
        String::from_utf8_lossy(&single.stderr)
    );
    // No node is lost here: a grace period longer than any stall of a
    // loaded machine keeps a slow robot node from being declared down.
    let across = robot_world(
        &["--nodes", nodes, "--grace", "30", "--trace", "nodes.jsonl"],
        &dir,
    );
    assert!(
        across.status.success(),
        "{}",
        String::from_utf8_lossy(&across.stderr)
    );
    (
        std::fs::read(dir.join("single.jsonl")).unwrap(),
        std::fs::read(dir.join("nodes.jsonl")).unwrap(),
        String::from_utf8(across.stdout).unwrap(),
    )
}

fn check(nodes: &str, robot_nodes: usize) {
    let (single, across, summary) = traces(nodes);
    assert_eq!(single.iter().filter(|b| **b == b'\n').count(), 200);
    assert_eq!(single.len(), across.len(), "{summary}");
    assert!(single == across, "the traces differ\n{summary}");
    assert!(summary.contains("ticks: 200"), "{summary}");
    let line = format!("nodes: {nodes} (the World on one, robots on {robot_nodes})");
    assert!(summary.contains(&line), "{summary}");
    assert!(summary.contains("(started for the run)"), "{summary}");
    assert!(!summary.contains("robot nodes lost"), "{summary}");
}

#[test]
fn two_nodes_write_the_single_process_trace() {
    check("2", 1);
}

#[test]
fn three_nodes_write_the_single_process_trace() {
    check("3", 2);
}
