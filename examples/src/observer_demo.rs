//! A small system with some load, to watch in the observer: the logic of
//! `cargo run --release -p examples --example observer_demo`.
//!
//! ```text
//! app (one_for_one)
//! ├── cache       registered as "cache"; answers calls
//! ├── logger      drains its mailbox once a second: its mailbox fills and empties
//! ├── workers (one_for_one, 10 restarts in 10 s)
//! │   ├── worker-1   take jobs, call the cache, log; one job in 601 crashes its worker
//! │   ├── worker-2
//! │   └── worker-3
//! └── feeder      sends a job to a worker every 5 ms
//! ```

use std::time::Duration;

use actor_core::{
    AnyPid, ChildSpec, Ctx, Pid, Reply, Spawn, StartError, Strategy, Supervisor, SupervisorMsg,
    register, whereis,
};

/// How many workers the demo runs.
pub const WORKERS: usize = 3;

/// The cache's messages.
#[non_exhaustive]
pub enum CacheMsg {
    /// Looks a key up (and counts the hit).
    Get(u64, Reply<u64>),
}

/// A job for a worker.
pub struct Job(pub u64);

/// Starts the demo's supervision tree under a supervisor linked to no
/// one, on the runtime this is called on.
///
/// # Errors
///
/// The [`StartError`] of a child that failed to start.
///
/// # Examples
///
/// ```
/// actor_core::Runtime::tokio().block_on(async {
///     let app = examples::observer_demo::start().await.unwrap();
///     let children = app.which_children().await.unwrap();
///     let ids: Vec<_> = children.iter().map(|(id, _)| id.as_str()).collect();
///     assert_eq!(ids, ["cache", "logger", "workers", "feeder"]);
///     app.kill();
/// });
/// ```
pub async fn start() -> Result<Pid<SupervisorMsg>, StartError> {
    let mut workers = Supervisor::new(Strategy::OneForOne).intensity(10, Duration::from_secs(10));
    for n in 1..=WORKERS {
        workers = workers.child(ChildSpec::new(format!("worker-{n}"), move || async move {
            let pid = Spawn::new()
                .link()
                .spawn(move |ctx: Ctx<Job>| worker(ctx, n as u64));
            named(&format!("worker-{n}"), &pid)?;
            Ok(AnyPid::from(pid))
        }));
    }
    Supervisor::new(Strategy::OneForOne)
        .child(ChildSpec::new("cache", || async {
            let pid = Spawn::new().link().spawn(cache);
            named("cache", &pid)?;
            Ok(AnyPid::from(pid))
        }))
        .child(ChildSpec::new("logger", || async {
            let pid = Spawn::new().link().spawn(logger);
            named("logger", &pid)?;
            Ok(AnyPid::from(pid))
        }))
        .child(workers.child_spec("workers"))
        .child(ChildSpec::new("feeder", || async {
            Ok(AnyPid::from(Spawn::new().link().spawn(feeder)))
        }))
        .start_unlinked()
        .await
}

/// Registers a child under `name`; a failure is the child's start error.
fn named<M: Send + 'static>(name: &str, pid: &Pid<M>) -> Result<(), StartError> {
    register(name, pid).map_err(|e| StartError::Failed(actor_core::ExitReason::error(e)))
}

async fn cache(mut ctx: Ctx<CacheMsg>) {
    let mut hits = 0u64;
    loop {
        let CacheMsg::Get(key, reply) = ctx.recv().await;
        hits += 1;
        let _ = reply.send(key.wrapping_mul(31) ^ hits);
    }
}

async fn logger(mut ctx: Ctx<String>) {
    loop {
        actor_core::sleep(Duration::from_secs(1)).await;
        while ctx.try_recv().is_some() {}
    }
}

async fn worker(mut ctx: Ctx<Job>, n: u64) {
    loop {
        let Job(job) = ctx.recv().await;
        if let Some(cache) = whereis::<CacheMsg>("cache") {
            let _ = cache
                .call(|r| CacheMsg::Get(job, r), Duration::from_secs(1))
                .await;
        }
        if let Some(logger) = whereis::<String>("logger") {
            let _ = logger.try_send(format!("worker-{n} did job {job}"));
        }
        if job % 601 == 600 {
            panic!("worker-{n} crashed on job {job}");
        }
    }
}

async fn feeder(_: Ctx<()>) {
    let mut job = 0u64;
    loop {
        actor_core::sleep(Duration::from_millis(5)).await;
        let n = 1 + (job % WORKERS as u64);
        if let Some(w) = whereis::<Job>(&format!("worker-{n}")) {
            let _ = w.try_send(Job(job));
        }
        job += 1;
    }
}
