//! `robot-world`: runs the robot world of the seed document headless.
//!
//! ```text
//! robot-world [--ticks N] [--robots N] [--seed S] [--trace FILE] [--png FILE]
//!             [--frames DIR --every K] [--chaos K] [--runtime tokio|deterministic]
//!             [--nodes N [--nats URL] [--cluster NAME] [--grace SECONDS] [--kill-node-at T]]
//!             [--observe ADDR] [--tick-ms MS]
//! ```
//!
//! Bad flags print a usage message and exit with 2; an output that cannot be
//! written (checked before the run starts) or a failed run exits with 1.
#![forbid(unsafe_code)]

mod cli;
mod nodes;

use std::process::ExitCode;

/// mimalloc rather than the system allocator: a run allocates and frees a
/// message per robot per tick from both worker threads, which glibc's
/// malloc serves markedly slower (see BENCHMARKS.md).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    let args = cli::Args::from_env();
    if let (Some(index), Some(nats)) = (args.robot_node, &args.nats) {
        return match nodes::robot_node(index, nats, &args.cluster, args.grace) {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => {
                eprintln!("robot-world: robot node {index}: error: {e}");
                ExitCode::FAILURE
            }
        };
    }
    match run(&args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("robot-world: error: {e}");
            ExitCode::FAILURE
        }
    }
}

fn run(args: &cli::Args) -> Result<(), actor_sim::SimError> {
    let plan = args.plan()?;
    // Creates every output now: an unwritable path fails before any tick.
    let recorder = plan.outputs.prepare()?;
    let (recorder, bar) = cli::progress(recorder, plan.config.ticks);
    if let Some(nodes) = &plan.nodes {
        let result = nodes::run(&plan.scenario, plan.config.ticks, nodes, recorder);
        bar.finish_and_clear();
        let report = result?;
        print!("{}", cli::summary(&report.report, plan.config.runtime));
        print!("{}", cli::nodes_summary(&report));
        return Ok(());
    }
    let result = match args.observe {
        Some(addr) => {
            actor_sim::run_observed(&plan.scenario, &plan.config, recorder, addr, |serving| {
                println!("observer: {}", serving.url());
                println!("world: {}world", serving.url());
                println!("token: {}", serving.token());
            })
        }
        None => actor_sim::run(&plan.scenario, &plan.config, recorder),
    };
    bar.finish_and_clear();
    let report = result?;
    print!("{}", cli::summary(&report, plan.config.runtime));
    Ok(())
}
