//! How fast the protocol-testing harness explores seeds: 1,000 seeds of a
//! 10-process protocol in which every process sends 100 messages (and
//! receives 100), with messages held in flight for a seeded delay.
//!
//! The target: under 2 seconds for the 1,000 seeds on a 2-core machine.
//!
//! `cargo bench -p actor-core --bench explore`

use std::time::Duration;

use actor_core::testing::Harness;
use actor_core::{Ctx, Pid, spawn};
use criterion::Criterion;

const PROCESSES: usize = 10;
const MESSAGES: u32 = 100;
const SEEDS: u64 = 1000;

fn bench(c: &mut Criterion) {
    let mut g = c.benchmark_group("explore");
    g.sample_size(10).measurement_time(Duration::from_secs(20));
    g.bench_function("1000 seeds x 10 processes x 100 messages", |b| {
        b.iter(|| {
            let report = Harness::new().seeds(SEEDS).explore(protocol);
            assert!(report.passed(), "{report}");
            assert_eq!(report.seeds_run, SEEDS);
        })
    });
    g.finish();
}

enum Msg {
    /// Who to send to.
    Next(Pid<Msg>),
    /// A numbered message.
    N(u32),
}

/// The protocol: a ring of ten processes; each learns the next one, sends
/// it 100 numbered messages and checks that the 100 from the previous one
/// arrive in order.
async fn protocol() -> Result<(), String> {
    let ring: Vec<Pid<Msg>> = (0..PROCESSES)
        .map(|_| {
            spawn(|mut ctx: Ctx<Msg>| async move {
                let Msg::Next(next) = ctx.recv_match(|m| matches!(m, Msg::Next(_))).await else {
                    unreachable!("matched above")
                };
                let mut want = 0;
                for n in 0..MESSAGES {
                    next.send(Msg::N(n))
                        .await
                        .map_err(|_| "the next one is gone")
                        .unwrap();
                    if n % 10 == 9 {
                        while let Some(Msg::N(got)) = ctx.recv_timeout(Duration::ZERO).await {
                            assert_eq!(got, want, "out of order");
                            want += 1;
                        }
                    }
                }
                while want < MESSAGES {
                    let Msg::N(got) = ctx.recv().await else {
                        unreachable!("one Next only")
                    };
                    assert_eq!(got, want, "out of order");
                    want += 1;
                }
            })
        })
        .collect();
    for (i, p) in ring.iter().enumerate() {
        p.send(Msg::Next(ring[(i + 1) % PROCESSES].clone()))
            .await
            .unwrap();
    }
    for p in &ring {
        let reason = p.wait().await;
        if !reason.is_normal() {
            return Err(format!("process {} ended: {reason}", p.id()));
        }
    }
    Ok(())
}

fn main() {
    let mut c = Criterion::default().configure_from_args();
    bench(&mut c);
    c.final_summary();
}
