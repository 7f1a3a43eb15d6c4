//! The examples' own logic, run as tests: `subprocess_pipe` (a process
//! driving a calculator in `sh` through its pipes) and `worker_pool`
//! (worker processes of this very test binary, one killed midway, the pool
//! recovering).

use std::time::Duration;

use actor_core::Runtime;
use actor_io::worker::{self, WorkerCommand};
use examples::{calc, primes};

/// Worker mode for the pool test: a worker child runs only this test, and
/// `enter` serves and exits there. In the test run itself, which is no
/// worker, it returns at once without serving.
#[test]
fn worker_entry() {
    let mut served = false;
    worker::enter(primes::KIND, |job| {
        served = true;
        primes::count_primes(job)
    });
    assert!(!served, "enter served outside a worker");
}

#[test]
fn subprocess_pipe_gets_every_answer_right() {
    let questions: Vec<&str> = calc::QUESTIONS.iter().map(|(q, _)| *q).collect();
    let answers = Runtime::tokio()
        .block_on(calc::ask(&questions))
        .expect("the calculator answers");
    let expected: Vec<&str> = calc::QUESTIONS.iter().map(|(_, a)| *a).collect();
    assert_eq!(answers, expected);
}

#[test]
fn subprocess_pipe_reports_a_question_the_calculator_cannot_answer() {
    let err = Runtime::tokio()
        .block_on(calc::ask(&["1+1", "1+"]))
        .expect_err("a malformed question");
    assert!(
        err.to_string().contains("the calculator complained"),
        "{err}"
    );
}

#[test]
fn worker_pool_recovers_from_a_killed_worker() {
    let jobs = primes::jobs(16, 20_000);
    let command = WorkerCommand::new(primes::KIND)
        .args(["worker_entry", "--exact", "--test-threads=1"])
        .discard_stdout();
    let report = Runtime::tokio()
        .block_on(async {
            actor_core::timeout(
                Duration::from_secs(120),
                primes::run(command, 3, jobs.clone(), Some(4)),
            )
            .await
        })
        .expect("the pool finishes in time")
        .expect("the pool finishes");
    for (job, count) in jobs.iter().zip(&report.results) {
        assert_eq!(*count, primes::count_primes(*job), "job {}", job.index);
    }
    assert_eq!(
        report.results.iter().sum::<u64>(),
        27_608,
        "primes below 320,000"
    );
    assert!(report.restarts >= 1, "a worker was killed and replaced");
}
