//! `robot-world`: runs the robot world of the seed document headless.
//!
//! ```text
//! robot-world [--ticks N] [--robots N] [--seed S] [--trace FILE] [--png FILE]
//!             [--frames DIR --every K] [--chaos K] [--runtime tokio|deterministic]
//!             [--observe ADDR] [--tick-ms MS]
//! ```
//!
//! Bad flags print a usage message and exit with 2; an output that cannot be
//! written (checked before the run starts) or a failed run exits with 1.
#![forbid(unsafe_code)]

mod cli;

use std::process::ExitCode;

/// mimalloc rather than the system allocator: a run allocates and frees a
/// message per robot per tick from both worker threads, which glibc's
/// malloc serves markedly slower (see BENCHMARKS.md).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    let args = cli::Args::from_env();
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
