//! The implementations under comparison, one module each, and the runtimes
//! they run on.
//!
//! Every benchmark driver runs as a task spawned on the runtime's own workers
//! (never from `block_on` outside them), takes its counts from
//! [`Counts`], and ends on a barrier that proves the
//! work was done. The one exception is actor-core's robot-world, which
//! `actor_sim::run` drives on a runtime of its own.

use std::future::Future;

use clap::ValueEnum;

use crate::workloads::{Counts, Outcome, Workload};

mod actix;
mod actor_core;
mod actor_net;
mod erlang;
mod erlang_dist;
mod kameo;
mod nats_raw;
mod peer;
mod ractor;
mod tokio_mpsc;

pub(crate) use erlang::Erlang;

/// One implementation: a library and the runtime flavour it runs on.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, ValueEnum)]
pub(crate) enum Implementation {
    /// actor-core on tokio multi-thread (2 workers).
    ActorCore,
    /// actor-core on tokio's current-thread runtime.
    ActorCoreCurrentThread,
    /// Raw tokio tasks and unbounded mpsc channels, multi-thread (2 workers).
    TokioMpsc,
    /// Raw tokio tasks and unbounded mpsc channels, current-thread runtime.
    TokioMpscCurrentThread,
    /// ractor on tokio multi-thread (2 workers).
    Ractor,
    /// kameo on tokio multi-thread (2 workers).
    Kameo,
    /// actix on its own `System` (one thread).
    Actix,
    /// Erlang/OTP, `erl -noshell +S 2`; the remote workloads between two
    /// `erl -sname` nodes (Erlang distribution).
    Erlang,
    /// Bare async-nats publish/subscribe between two OS processes through
    /// one local nats-server (remote workloads only).
    NatsRaw,
    /// actor-core processes on two actor-net nodes (two OS processes, one
    /// local nats-server), tokio multi-thread (2 workers) each (remote
    /// workloads only).
    ActorNet,
}

/// What a child needs besides its counts.
#[derive(Clone, Debug, Default)]
pub(crate) struct Env {
    /// Where the compiled Erlang module is, for an Erlang child.
    pub(crate) beam_dir: Option<std::path::PathBuf>,
    /// The nats-server for the remote workloads.
    pub(crate) nats: Option<String>,
    /// Whether the counts are the quick ones (the peer process needs to know).
    pub(crate) quick: bool,
}

impl Implementation {
    /// All implementations, in table order.
    pub(crate) const ALL: [Implementation; 10] = [
        Implementation::ActorCore,
        Implementation::ActorCoreCurrentThread,
        Implementation::TokioMpsc,
        Implementation::TokioMpscCurrentThread,
        Implementation::Ractor,
        Implementation::Kameo,
        Implementation::Actix,
        Implementation::Erlang,
        Implementation::NatsRaw,
        Implementation::ActorNet,
    ];

    /// The name in the table and the JSON.
    pub(crate) fn name(self) -> &'static str {
        match self {
            Implementation::ActorCore => "actor-core",
            Implementation::ActorCoreCurrentThread => "actor-core-current-thread",
            Implementation::TokioMpsc => "tokio-mpsc",
            Implementation::TokioMpscCurrentThread => "tokio-mpsc-current-thread",
            Implementation::Ractor => "ractor",
            Implementation::Kameo => "kameo",
            Implementation::Actix => "actix",
            Implementation::Erlang => "erlang",
            Implementation::NatsRaw => "nats-raw",
            Implementation::ActorNet => "actor-net",
        }
    }

    /// Whether this is one of actor-core's own rows (the numerator of a
    /// ratio row) rather than a peer.
    pub(crate) fn is_actor_core(self) -> bool {
        matches!(
            self,
            Implementation::ActorCore
                | Implementation::ActorCoreCurrentThread
                | Implementation::ActorNet
        )
    }

    /// Whether this implementation has `workload` at all: only actor-core
    /// has a robot world (actor-sim's); only Erlang and NATS span two OS
    /// processes.
    pub(crate) fn supports(self, workload: Workload) -> bool {
        match self {
            Implementation::NatsRaw | Implementation::ActorNet => workload.is_remote(),
            Implementation::Erlang => !workload.is_robot_world(),
            _ => !workload.is_remote() && (!workload.is_robot_world() || self.is_actor_core()),
        }
    }

    /// Whether it needs a nats-server for `workload`.
    pub(crate) fn needs_nats(self, workload: Workload) -> bool {
        matches!(self, Implementation::NatsRaw | Implementation::ActorNet) && workload.is_remote()
    }

    /// Runs one workload once, in this OS process, and returns what it
    /// measured.
    ///
    /// # Panics
    ///
    /// Panics if the work was not done correctly (a wrong sum, a lost
    /// message) or, for Erlang, if `erl` fails.
    pub(crate) fn run(self, workload: Workload, counts: &Counts, env: &Env) -> Outcome {
        let c = *counts;
        match (self, workload.robot_world(counts)) {
            (Implementation::ActorCore, Some((robots, ticks))) => {
                return actor_core::robot_world(robots, ticks, Flavour::MultiThread);
            }
            (Implementation::ActorCoreCurrentThread, Some((robots, ticks))) => {
                return actor_core::robot_world(robots, ticks, Flavour::CurrentThread);
            }
            _ => {}
        }
        match self {
            Implementation::ActorCore => {
                on_tokio(Flavour::MultiThread, actor_core::run(workload, c))
            }
            Implementation::ActorCoreCurrentThread => {
                on_tokio(Flavour::CurrentThread, actor_core::run(workload, c))
            }
            Implementation::TokioMpsc => {
                on_tokio(Flavour::MultiThread, tokio_mpsc::run(workload, c))
            }
            Implementation::TokioMpscCurrentThread => {
                on_tokio(Flavour::CurrentThread, tokio_mpsc::run(workload, c))
            }
            Implementation::Ractor => on_tokio(Flavour::MultiThread, ractor::run(workload, c)),
            Implementation::Kameo => on_tokio(Flavour::MultiThread, kameo::run(workload, c)),
            Implementation::Actix => on_actix(move || actix::run(workload, c)),
            Implementation::Erlang => {
                let dir = env
                    .beam_dir
                    .as_deref()
                    .expect("the erlang child needs --beam-dir");
                if workload.is_remote() {
                    erlang_dist::run(dir, workload, counts)
                } else {
                    Erlang::run(dir, workload, counts)
                }
            }
            Implementation::NatsRaw | Implementation::ActorNet => {
                let url = env.nats.clone().expect("a remote workload needs --nats");
                let tag = format!("bench.{}", std::process::id());
                let _peer = peer::Peer::start(self, workload, &url, &tag, env.quick);
                if self == Implementation::NatsRaw {
                    on_tokio(Flavour::MultiThread, nats_raw::run(workload, c, url, tag))
                } else {
                    on_tokio(Flavour::MultiThread, actor_net::run(workload, c, url, tag))
                }
            }
        }
    }

    /// Runs the peer side of a remote workload in this OS process, until it
    /// is killed.
    ///
    /// # Panics
    ///
    /// Panics if this implementation has no peer side.
    pub(crate) fn run_peer(self, workload: Workload, counts: &Counts, nats: String, tag: String) {
        match self {
            Implementation::NatsRaw => {
                on_tokio(
                    Flavour::MultiThread,
                    nats_raw::peer(workload, *counts, nats, tag),
                );
            }
            Implementation::ActorNet => on_tokio(Flavour::MultiThread, actor_net::peer(nats, tag)),
            other => panic!("{} has no peer process", other.name()),
        }
    }
}

/// The remote arms of the local-only implementations' workload matches.
///
/// # Panics
///
/// Always: the driver runs the remote workloads for Erlang, nats-raw and
/// actor-net only.
pub(crate) fn no_remote() -> ! {
    panic!("the remote workloads need two OS processes: Erlang, nats-raw and actor-net only")
}

/// The robot-world arm of the peers' workload matches.
///
/// # Panics
///
/// Always: the driver runs robot-world for actor-core only.
pub(crate) fn no_robot_world() -> ! {
    panic!("robot-world is actor-core's only: the peers have no robot world")
}

/// Which tokio runtime a tokio-based implementation runs on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Flavour {
    /// Multi-thread with 2 workers (the machine has 2 cores).
    MultiThread,
    /// Current-thread: everything on the one thread.
    CurrentThread,
}

/// Runs `driver` as a task spawned on a fresh tokio runtime of `flavour` and
/// returns its result.
///
/// # Panics
///
/// Panics if the runtime cannot be built or the driver panics.
pub(crate) fn on_tokio<F>(flavour: Flavour, driver: F) -> F::Output
where
    F: Future + Send + 'static,
    F::Output: Send + 'static,
{
    let rt = match flavour {
        Flavour::MultiThread => tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build(),
        Flavour::CurrentThread => tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build(),
    }
    .expect("build tokio runtime");
    rt.block_on(async move {
        tokio::spawn(driver)
            .await
            .expect("benchmark driver panicked")
    })
}

/// Runs the driver made by `make` as a task spawned on a fresh actix
/// `System` (one thread) and returns its result.
///
/// # Panics
///
/// Panics if the driver panics.
pub(crate) fn on_actix<F, M>(make: M) -> F::Output
where
    M: FnOnce() -> F,
    F: Future + 'static,
    F::Output: 'static,
{
    let system = ::actix::System::new();
    system.block_on(async move {
        actix_rt::spawn(make())
            .await
            .expect("benchmark driver panicked")
    })
}
