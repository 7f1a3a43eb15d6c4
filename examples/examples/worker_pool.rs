//! A pool of worker processes over pipes (the seed's `multiprocessing`
//! case): child processes of this same program count primes in ranges;
//! one is killed midway and the pool replaces it and hands its job out
//! again. Exits 0 when every result is right.
//!
//! `cargo run --release -p examples --example worker_pool`

use actor_core::Runtime;
use actor_io::worker::{self, WorkerCommand};
use clap::Parser;
use examples::primes::{self, count_primes};

const WORKERS: usize = 4;
const JOBS: usize = 40;
const SIZE: u64 = 100_000;
/// The number of primes below 4,000,000.
const PI_4M: u64 = 283_146;

/// A pool of worker processes counting primes; one is killed midway and
/// replaced.
#[derive(Parser)]
#[command(name = "worker_pool")]
pub(crate) struct Args {}

fn main() {
    // In a worker child, this serves jobs and exits; in the parent, it
    // returns at once.
    worker::enter(primes::KIND, count_primes);
    Args::parse();

    let jobs = primes::jobs(JOBS, SIZE);
    let report = Runtime::tokio()
        .block_on(primes::run(
            WorkerCommand::new(primes::KIND),
            WORKERS,
            jobs.clone(),
            Some(JOBS / 4),
        ))
        .unwrap_or_else(|reason| {
            eprintln!("worker_pool: the pool failed: {reason}");
            std::process::exit(1);
        });
    let mut wrong = 0;
    for (job, &count) in jobs.iter().zip(&report.results) {
        if count != count_primes(*job) {
            eprintln!(
                "worker_pool: wrong count for {}..{}: {count}",
                job.start, job.end
            );
            wrong += 1;
        }
    }
    let total: u64 = report.results.iter().sum();
    println!(
        "worker_pool: {JOBS} jobs on {WORKERS} workers: {total} primes below {}; \
         {} worker(s) killed and replaced, {} job(s) retried",
        JOBS as u64 * SIZE,
        report.restarts,
        report.retried
    );
    if wrong > 0 || total != PI_4M || report.restarts == 0 {
        eprintln!("worker_pool: FAILED");
        std::process::exit(1);
    }
    println!("worker_pool: every result is right");
}
