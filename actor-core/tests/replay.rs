//! `ACTOR_SEED` replays one seed: a fresh process of this test binary, run
//! with the seed of a failure the harness found, fails again at that seed
//! with the same trace hash and prints the replay command.
//!
//! This target has its own `main` (`harness = false` in Cargo.toml) so that
//! it can re-run itself as that fresh process: with `ACTOR_SEED` set it is
//! the replay, without it it is the test that checks the replay.

use std::process::{Command, ExitCode};
use std::time::Duration;

use actor_core::testing::{Harness, SEED_VAR};
use actor_core::{Ctx, Pid, Reply, spawn};

enum Msg {
    Get(Reply<u64>),
    Set(u64, Reply<()>),
}

/// Two clients increment a counter by reading then writing: a lost update
/// under some interleavings.
async fn lost_update() -> Result<(), String> {
    let counter: Pid<Msg> = spawn(|mut ctx: Ctx<Msg>| async move {
        let mut value = 0;
        loop {
            match ctx.recv().await {
                Msg::Get(r) => {
                    let _ = r.send(value);
                }
                Msg::Set(v, r) => {
                    value = v;
                    let _ = r.send(());
                }
            }
        }
    });
    let t = Duration::from_secs(1);
    let clients: Vec<_> = (0..2)
        .map(|_| {
            let c = counter.clone();
            spawn(move |_: Ctx<()>| async move {
                let v = c.call(Msg::Get, t).await.unwrap();
                c.call(|r| Msg::Set(v + 1, r), t).await.unwrap();
            })
        })
        .collect();
    for c in &clients {
        c.wait().await;
    }
    match counter.call(Msg::Get, t).await {
        Ok(2) => Ok(()),
        other => Err(format!("lost update: {other:?}")),
    }
}

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
