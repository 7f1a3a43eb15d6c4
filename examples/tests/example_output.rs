//! The examples print exactly what the seed document says they print.
//!
//! Each example keeps its logic in a `run` function that hands its lines
//! to a sink; its `main` passes `println!`. These tests include the
//! example files themselves and pass a buffer, so they check the very code
//! `cargo run --example` runs, in-process and without building or spawning
//! the example binaries.

use std::sync::{Arc, Mutex};

#[allow(dead_code)]
#[path = "../examples/stackless_schedule.rs"]
mod stackless_schedule;

#[allow(dead_code)]
#[path = "../examples/stackless_channel.rs"]
mod stackless_channel;

#[allow(dead_code)]
#[path = "../examples/ping_channel.rs"]
mod ping_channel;

#[allow(dead_code)]
#[path = "../examples/protocol_race.rs"]
mod protocol_race;

#[allow(dead_code)]
#[path = "../examples/distributed_race.rs"]
mod distributed_race;

type Out = Arc<dyn Fn(&str) + Send + Sync>;

/// A sink that records lines, and a way to read them.
fn recorder() -> (Out, impl Fn() -> Vec<String>) {
    let lines = Arc::new(Mutex::new(Vec::new()));
    let sink = lines.clone();
    let out: Out = Arc::new(move |l: &str| sink.lock().unwrap().push(l.to_string()));
    (out, move || lines.lock().unwrap().clone())
}

#[test]
fn stackless_schedule_alternates_the_two_tasklets() {
    let (out, lines) = recorder();
    stackless_schedule::run(out);
    assert_eq!(lines(), ["1 one", "1 two", "2 one", "2 two"]);
}

#[test]
fn stackless_channel_runs_the_receiver_next_and_the_sender_last() {
    let (out, lines) = recorder();
    stackless_channel::run(out);
    assert_eq!(
        lines(),
        [
            "Receiving tasklet started",
            "Sending tasklet started",
            "send from sending_tasklet",
            "Receiving tasklet finished",
            "Just another tasklet in the scheduler",
            "sending tasklet finished",
        ]
    );
}

#[test]
fn ping_channel_runs_in_constant_stack() {
    let (out, lines) = recorder();
    ping_channel::run(10_000, out);
    assert_eq!(
        lines(),
        [
            "PING 1",
            "PING 2",
            "PING 3",
            "...",
            "PING 10000",
            "10000 round trips over one channel; stack depth at the last ping is the same as at the first",
        ]
    );
}

#[test]
fn protocol_race_finds_the_lost_update_and_passes_the_fix_the_same_way_twice() {
    let (out, lines) = recorder();
    assert!(protocol_race::run(out));
    let first = lines();
    assert!(
        first.iter().any(|l| l.contains("lost update")),
        "{first:#?}"
    );
    assert!(
        first.iter().any(|l| l.contains("replay:  ACTOR_SEED=")),
        "{first:#?}"
    );
    assert!(
        first.iter().any(|l| l.contains("all 1000 seeds passed")),
        "{first:#?}"
    );

    let (out, lines) = recorder();
    assert!(protocol_race::run(out));
    assert_eq!(lines(), first);
}

#[test]
fn distributed_race_finds_the_double_deposit_under_a_partition_and_passes_the_fix() {
    let (out, lines) = recorder();
    assert!(distributed_race::run(out));
    let all = lines();
    assert!(
        all.iter()
            .any(|l| l.contains("the tills deposited 40, the ledger holds 4")),
        "{all:#?}"
    );
    assert!(
        all.iter().any(|l| l.contains(" partition ")),
        "the report shows the partition: {all:#?}"
    );
    assert!(
        all.iter().any(|l| l.contains("replay:  ACTOR_SEED=")
            && l.ends_with("cargo run -p examples --example distributed_race")),
        "{all:#?}"
    );
    assert!(
        all.iter().any(|l| l.contains("all 1000 seeds passed")),
        "{all:#?}"
    );

    // The same seeds, the same report, trace hash included.
    let (out, again) = recorder();
    assert!(distributed_race::find_bug(&out));
    let again = again();
    assert_eq!(again, all[..again.len()]);
}
