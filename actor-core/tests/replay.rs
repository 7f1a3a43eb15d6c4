//! `ACTOR_SEED` replays one seed: a fresh process of this test binary, run
//! with the seed of a failure the harness found, fails again at that seed
//! with the same trace hash and prints the replay command.
//!
//! This target has its own `main` (`harness = false` in Cargo.toml) so that
//! it can re-run itself as that fresh process: with `ACTOR_SEED` set it is
//! the replay, without it it is the test that checks the replay.

use std::process::{Command, ExitCode};

use actor_core::testing::{Harness, SEED_VAR};

mod common;
use common::lost_update;

const REPLAY: &str = "cargo test -p actor-core --test replay";

fn main() -> ExitCode {
    let harness = Harness::new().replay_command(REPLAY);
    if std::env::var_os(SEED_VAR).is_some() {
        // The replay: runs the one seed, and panics with the report.
        harness.run(lost_update);
        return ExitCode::SUCCESS;
    }
    let failure = harness
        .explore(lost_update)
        .failure
        .expect("the lost update is found");
    let child = Command::new(std::env::current_exe().unwrap())
        .env(SEED_VAR, failure.seed.to_string())
        .output()
        .unwrap();
    let output = String::from_utf8_lossy(&child.stdout).to_string()
        + &String::from_utf8_lossy(&child.stderr);
    assert!(!child.status.success(), "the replay passed:\n{output}");
    for needle in [
        format!("failed at seed {}", failure.seed),
        format!("hash {:016x}", failure.trace.hash()),
        format!("replay:  ACTOR_SEED={} {REPLAY}", failure.seed),
    ] {
        assert!(output.contains(&needle), "{needle:?} not in:\n{output}");
    }
    println!("test the_actor_seed_variable_replays_one_seed ... ok");
    ExitCode::SUCCESS
}
