//! Criterion micro-benchmarks of actor-core's hot paths, each beside the
//! same work done with raw tokio channels (the floor an actor layer adds
//! to), on a current-thread tokio runtime.

use std::time::Duration;

use actor_core::{Ctx, Pid, Reply, spawn};
use criterion::Criterion;
use tokio::sync::{mpsc, oneshot};

fn rt() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
}

const BATCH: u64 = 10_000;

/// Tell: one-way sends of BATCH messages to a process that counts them.
fn tell(c: &mut Criterion) {
    let rt = rt();
    let mut g = c.benchmark_group("tell");
    g.throughput(criterion::Throughput::Elements(BATCH));
    g.bench_function("actor-core", |b| {
        b.to_async(&rt).iter(|| async {
            let (done, finished) = oneshot::channel();
            let sink = spawn(move |mut ctx: Ctx<u64>| async move {
                let mut sum = 0;
                for _ in 0..BATCH {
                    sum += ctx.recv().await;
                }
                done.send(sum).unwrap();
            });
            for n in 0..BATCH {
                sink.try_send(n).unwrap();
            }
            assert_eq!(finished.await.unwrap(), BATCH * (BATCH - 1) / 2);
        })
    });
    g.bench_function("tokio-mpsc", |b| {
        b.to_async(&rt).iter(|| async {
            let (tx, mut rx) = mpsc::unbounded_channel::<u64>();
            let h = tokio::spawn(async move {
                let mut sum = 0;
                for _ in 0..BATCH {
                    sum += rx.recv().await.unwrap();
                }
                sum
            });
            for n in 0..BATCH {
                tx.send(n).unwrap();
            }
            assert_eq!(h.await.unwrap(), BATCH * (BATCH - 1) / 2);
        })
    });
    g.finish();
}

enum Req {
    Get(u64, Reply<u64>),
}

/// Ask: sequential request/reply round trips.
fn ask(c: &mut Criterion) {
    let rt = rt();
    let mut g = c.benchmark_group("ask");
    g.throughput(criterion::Throughput::Elements(1));
    let server: Pid<Req> = rt.block_on(async {
        spawn(|mut ctx: Ctx<Req>| async move {
            loop {
                let Req::Get(n, r) = ctx.recv().await;
                let _ = r.send(n + 1);
            }
        })
    });
    g.bench_function("actor-core", |b| {
        b.to_async(&rt).iter(|| async {
            let v = server
                .call(|r| Req::Get(1, r), Duration::from_secs(5))
                .await
                .unwrap();
            assert_eq!(v, 2);
        })
    });
    let tx = rt.block_on(async {
        let (tx, mut rx) = mpsc::unbounded_channel::<(u64, oneshot::Sender<u64>)>();
        tokio::spawn(async move {
            while let Some((n, r)) = rx.recv().await {
                let _ = r.send(n + 1);
            }
        });
        tx
    });
    g.bench_function("tokio-mpsc", |b| {
        b.to_async(&rt).iter(|| async {
            let (r, answer) = oneshot::channel();
            tx.send((1, r)).unwrap();
            assert_eq!(answer.await.unwrap(), 2);
        })
    });
    g.finish();
}

/// Ping-pong: BATCH round trips between two processes.
fn ping_pong(c: &mut Criterion) {
    let rt = rt();
    let mut g = c.benchmark_group("ping-pong");
    g.throughput(criterion::Throughput::Elements(BATCH));
    g.bench_function("actor-core", |b| {
        b.to_async(&rt).iter(|| async {
            let pong = spawn(|mut ctx: Ctx<(u64, Pid<u64>)>| async move {
                loop {
                    let (n, back) = ctx.recv().await;
                    if back.try_send(n + 1).is_err() {
                        return;
                    }
                }
            });
            let p = pong.clone();
            let ping = spawn(move |mut ctx: Ctx<u64>| async move {
                let me = ctx.pid();
                p.try_send((0, me.clone())).unwrap();
                loop {
                    let n = ctx.recv().await;
                    if n == BATCH {
                        return;
                    }
                    p.try_send((n, me.clone())).unwrap();
                }
            });
            ping.wait().await;
            pong.kill();
        })
    });
    g.bench_function("tokio-mpsc", |b| {
        b.to_async(&rt).iter(|| async {
            let (to_pong, mut pong_rx) = mpsc::unbounded_channel::<u64>();
            let (to_ping, mut ping_rx) = mpsc::unbounded_channel::<u64>();
            tokio::spawn(async move {
                while let Some(n) = pong_rx.recv().await {
                    if to_ping.send(n + 1).is_err() {
                        break;
                    }
                }
            });
            let h = tokio::spawn(async move {
                to_pong.send(0).unwrap();
                loop {
                    let n = ping_rx.recv().await.unwrap();
                    if n == BATCH {
                        break;
                    }
                    to_pong.send(n).unwrap();
                }
            });
            h.await.unwrap();
        })
    });
    g.finish();
}

/// Spawn: SPAWNS processes that each wait for one message, are sent one,
/// and end.
fn spawn_many(c: &mut Criterion) {
    const SPAWNS: u64 = 1_000;
    let rt = rt();
    let mut g = c.benchmark_group("spawn");
    g.throughput(criterion::Throughput::Elements(SPAWNS));
    g.bench_function("actor-core", |b| {
        b.to_async(&rt).iter(|| async {
            let pids: Vec<Pid<u8>> = (0..SPAWNS)
                .map(|_| {
                    spawn(|mut ctx: Ctx<u8>| async move {
                        ctx.recv().await;
                    })
                })
                .collect();
            for p in &pids {
                p.try_send(1).unwrap();
            }
            for p in &pids {
                p.wait().await;
            }
        })
    });
    g.bench_function("tokio-mpsc", |b| {
        b.to_async(&rt).iter(|| async {
            let mut handles = Vec::with_capacity(SPAWNS as usize);
            let mut senders = Vec::with_capacity(SPAWNS as usize);
            for _ in 0..SPAWNS {
                let (tx, mut rx) = mpsc::unbounded_channel::<u8>();
                handles.push(tokio::spawn(async move {
                    rx.recv().await;
                }));
                senders.push(tx);
            }
            for tx in &senders {
                tx.send(1).unwrap();
            }
            for h in handles {
                h.await.unwrap();
            }
        })
    });
    g.finish();
}

// A plain `main` rather than `criterion_group!`, whose generated `pub fn`
// has no docs and fails the `missing_docs` lint.
fn main() {
    let mut c = Criterion::default().configure_from_args();
    tell(&mut c);
    ask(&mut c);
    ping_pong(&mut c);
    spawn_many(&mut c);
    c.final_summary();
}
