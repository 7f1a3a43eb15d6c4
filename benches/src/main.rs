//! The side-by-side benchmark driver.
//!
//! `cargo run --release -p benches -- [--quick] [--json FILE] [--only WORKLOAD]`
//! runs every workload for every implementation, each (implementation,
//! workload, repetition) in a fresh OS process (this binary re-executed with a
//! hidden `--child IMPL WORKLOAD`), implementations interleaved, and prints a
//! markdown table of medians with rows saying how many times better
//! actor-core is than the best Rust actor peer, than Erlang, and than raw
//! tokio channels on the same runtime flavour.
//!
//! The counts every implementation uses are in `workloads.rs`; each
//! implementation is one module under `impls/`. Every implementation runs
//! in this one binary, so all of them use the same allocator, mimalloc.
#![forbid(unsafe_code)]

/// One allocator for every implementation, so that memory per process
/// compares like with like (and does not measure glibc's handling of
/// tokio's 128-byte-aligned task cells).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, ValueEnum};

mod driver;
mod impls;
mod measure;
mod workloads;

use impls::Implementation;
use workloads::{Counts, Workload};

/// Side-by-side benchmarks of actor-core against raw tokio, ractor, kameo,
/// actix and Erlang/OTP.
#[derive(Debug, Parser)]
#[command(name = "benches")]
struct Args {
    /// Smaller counts and 3 repetitions: the whole run takes under two minutes.
    #[arg(long)]
    quick: bool,

    /// Also write the results to FILE as a JSON list of records
    /// {implementation, workload, median, min, max, unit, higher_is_better}.
    #[arg(long, value_name = "FILE")]
    json: Option<PathBuf>,

    /// Run only this workload.
    #[arg(long, value_name = "WORKLOAD")]
    only: Option<Workload>,

    /// Run only these implementations (repeat the flag for several).
    #[arg(long = "impl", value_name = "IMPL")]
    implementations: Vec<Implementation>,

    /// Repetitions of every (implementation, workload) [default: 3 with
    /// --quick, else 5].
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u16).range(3..))]
    reps: Option<u16>,

    /// Internal: run one workload of one implementation in this process and
    /// print its result.
    #[arg(long, num_args = 2, value_names = ["IMPL", "WORKLOAD"], hide = true)]
    child: Option<Vec<String>>,

    /// Internal: where the compiled Erlang module is, for an Erlang child.
    #[arg(long, value_name = "DIR", hide = true)]
    beam_dir: Option<PathBuf>,

    /// The nats-server for the remote workloads (nats://HOST:PORT); without
    /// it the run starts its own on a free loopback port.
    #[arg(long, value_name = "URL")]
    nats: Option<String>,

    /// Internal: run the peer side of a remote workload in this process.
    #[arg(long, num_args = 2, value_names = ["IMPL", "WORKLOAD"], hide = true)]
    peer: Option<Vec<String>>,

    /// Internal: the subject prefix of a remote workload's two processes.
    #[arg(long, value_name = "TAG", hide = true)]
    tag: Option<String>,
}

fn main() -> ExitCode {
    let args = Args::parse();
    if let Some(child) = &args.child {
        return run_child(&args, child);
    }
    if let Some(peer) = &args.peer {
        return run_peer(&args, peer);
    }
    let plan = driver::Plan {
        quick: args.quick,
        reps: usize::from(args.reps.unwrap_or(if args.quick { 3 } else { 5 })),
        workloads: match args.only {
            Some(w) => vec![w],
            None => Workload::ALL.to_vec(),
        },
        implementations: if args.implementations.is_empty() {
            Implementation::ALL.to_vec()
        } else {
            Implementation::ALL
                .into_iter()
                .filter(|i| args.implementations.contains(i))
                .collect()
        },
        json: args.json.clone(),
        nats: args.nats.clone(),
    };
    driver::run(&plan)
}

/// The hidden `--child IMPL WORKLOAD`: one measurement, printed as a
/// `RESULT {json}` line.
fn run_child(args: &Args, child: &[String]) -> ExitCode {
    let (Ok(imp), Ok(workload)) = (
        Implementation::from_str(&child[0], false),
        Workload::from_str(&child[1], false),
    ) else {
        eprintln!("--child: unknown implementation or workload: {child:?}");
        return ExitCode::FAILURE;
    };
    let env = impls::Env {
        beam_dir: args.beam_dir.clone(),
        nats: args.nats.clone(),
        quick: args.quick,
    };
    let outcome = imp.run(workload, &Counts::new(args.quick), &env);
    let mut out = std::io::stdout().lock();
    writeln!(
        out,
        "RESULT {}",
        serde_json::to_string(&outcome).expect("serialize outcome")
    )
    .expect("write result");
    out.flush().expect("flush result");
    // Skip tearing down whatever the workload left behind: it is not measured.
    std::process::exit(0)
}

/// The hidden `--peer IMPL WORKLOAD`: the second OS process of a remote
/// workload, until the driver kills it.
fn run_peer(args: &Args, peer: &[String]) -> ExitCode {
    let (Ok(imp), Ok(workload), Some(nats), Some(tag)) = (
        Implementation::from_str(&peer[0], false),
        Workload::from_str(&peer[1], false),
        args.nats.clone(),
        args.tag.clone(),
    ) else {
        eprintln!("--peer: unknown implementation or workload, or no --nats/--tag: {peer:?}");
        return ExitCode::FAILURE;
    };
    imp.run_peer(workload, &Counts::new(args.quick), nats, tag);
    ExitCode::SUCCESS
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_match_the_command_line() {
        for w in Workload::ALL {
            assert_eq!(w.to_possible_value().unwrap().get_name(), w.name());
        }
        for i in Implementation::ALL {
            assert_eq!(i.to_possible_value().unwrap().get_name(), i.name());
        }
    }

    #[test]
    fn every_implementation_does_the_same_counts() {
        let c = Counts::FULL;
        assert_eq!(c.ping_pong_round_trips, 1_000_000);
        assert_eq!(c.fan_in_producers * c.fan_in_per_producer, 4_000_000);
        assert_eq!(c.ask_requests, 200_000);
        assert_eq!(c.spawn_processes, 100_000);
        assert_eq!((c.ring_processes, c.ring_hops), (1_000, 1_000_000));
        assert_eq!(c.skynet_leaves, 1_000_000);
        assert_eq!(c.skynet_sum(), 499_999_500_000);
        assert_eq!((c.robot_world_robots, c.robot_world_ticks), (100_000, 50));
        assert_eq!(
            (c.robot_world_1m_robots, c.robot_world_1m_ticks),
            (1_000_000, 20)
        );
        assert_eq!(c.remote_tells, 1_000_000);
    }
}
