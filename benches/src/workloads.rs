//! The workloads, their counts and the metrics they yield.
//!
//! Every implementation reads its counts from [`Counts`], so all of them do
//! exactly the same work; the Erlang module receives the same numbers on its
//! command line.

use std::time::Duration;

use clap::ValueEnum;
use serde::{Deserialize, Serialize};

/// One benchmark workload.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, ValueEnum)]
pub(crate) enum Workload {
    /// Two processes bounce a counter back and forth.
    PingPong,
    /// Producers tell many messages to one process that sums them.
    FanIn,
    /// Sequential request/replies from the driver to one process.
    Ask,
    /// Spawn processes that each wait for one message, send each one, wait
    /// until all have ended; also bytes per idle process.
    Spawn,
    /// Processes in a ring pass a token.
    Ring,
    /// The skynet tree: every node spawns ten children, leaves report their
    /// number, inner nodes sum.
    Skynet,
    /// actor-sim's robot world as processes, against the plain loop computing
    /// the same rules (actor-core only: the peers have no robot world).
    RobotWorld,
    /// The same with a million robots: the rate, and what the world costs
    /// to set up and to hold.
    #[value(name = "robot-world-1m")]
    RobotWorld1m,
    /// Sequential round trips between two processes in two OS processes
    /// (two nodes), through a local nats-server or Erlang distribution.
    RemotePingPong,
    /// One process tells many messages to a process in another OS process,
    /// then waits for one barrier.
    RemoteTell,
    /// Sequential request/replies to a process in another OS process.
    RemoteCall,
}

impl Workload {
    /// All workloads, in table order.
    pub(crate) const ALL: [Workload; 11] = [
        Workload::PingPong,
        Workload::FanIn,
        Workload::Ask,
        Workload::Spawn,
        Workload::Ring,
        Workload::Skynet,
        Workload::RobotWorld,
        Workload::RobotWorld1m,
        Workload::RemotePingPong,
        Workload::RemoteTell,
        Workload::RemoteCall,
    ];

    /// The name used on the command line, in the JSON and by the Erlang module.
    pub(crate) fn name(self) -> &'static str {
        match self {
            Workload::PingPong => "ping-pong",
            Workload::FanIn => "fan-in",
            Workload::Ask => "ask",
            Workload::Spawn => "spawn",
            Workload::Ring => "ring",
            Workload::Skynet => "skynet",
            Workload::RobotWorld => "robot-world",
            Workload::RobotWorld1m => "robot-world-1m",
            Workload::RemotePingPong => "remote-ping-pong",
            Workload::RemoteTell => "remote-tell",
            Workload::RemoteCall => "remote-call",
        }
    }

    /// Whether it runs between two OS processes (two nodes).
    pub(crate) fn is_remote(self) -> bool {
        matches!(
            self,
            Workload::RemotePingPong | Workload::RemoteTell | Workload::RemoteCall
        )
    }

    /// The metrics this workload yields, in table order.
    pub(crate) fn metrics(self) -> &'static [Metric] {
        match self {
            Workload::PingPong => &[Metric::PingPong],
            Workload::FanIn => &[Metric::FanIn],
            Workload::Ask => &[Metric::AskMean, Metric::AskP99],
            Workload::Spawn => &[Metric::Spawn, Metric::SpawnMemory],
            Workload::Ring => &[Metric::Ring],
            Workload::Skynet => &[Metric::Skynet, Metric::SkynetRss],
            Workload::RobotWorld => &[
                Metric::RobotWorld,
                Metric::RobotWorldVsLoop,
                Metric::RobotWorldSetup,
                Metric::RobotWorldRss,
            ],
            Workload::RobotWorld1m => &[
                Metric::RobotWorld1m,
                Metric::RobotWorld1mVsLoop,
                Metric::RobotWorld1mSetup,
                Metric::RobotWorld1mRss,
            ],
            Workload::RemotePingPong => &[Metric::RemotePingPong],
            Workload::RemoteTell => &[Metric::RemoteTell],
            Workload::RemoteCall => &[Metric::RemoteCallMean, Metric::RemoteCallP99],
        }
    }

    /// The numbers this workload takes, in the order the Erlang module
    /// expects them on its command line.
    pub(crate) fn args(self, counts: &Counts) -> Vec<u64> {
        match self {
            Workload::PingPong => vec![counts.ping_pong_round_trips],
            Workload::FanIn => vec![counts.fan_in_producers, counts.fan_in_per_producer],
            Workload::Ask => vec![counts.ask_requests],
            Workload::Spawn => vec![counts.spawn_processes],
            Workload::Ring => vec![counts.ring_processes, counts.ring_hops],
            Workload::Skynet => vec![counts.skynet_leaves],
            Workload::RobotWorld => vec![counts.robot_world_robots, counts.robot_world_ticks],
            Workload::RobotWorld1m => {
                vec![counts.robot_world_1m_robots, counts.robot_world_1m_ticks]
            }
            Workload::RemotePingPong => vec![counts.remote_round_trips],
            Workload::RemoteTell => vec![counts.remote_tells],
            Workload::RemoteCall => vec![counts.remote_calls],
        }
    }

    /// Whether this is one of the robot worlds (actor-core only).
    pub(crate) fn is_robot_world(self) -> bool {
        matches!(self, Workload::RobotWorld | Workload::RobotWorld1m)
    }

    /// Robots and ticks of a robot world.
    pub(crate) fn robot_world(self, counts: &Counts) -> Option<(u64, u64)> {
        match self {
            Workload::RobotWorld => Some((counts.robot_world_robots, counts.robot_world_ticks)),
            Workload::RobotWorld1m => {
                Some((counts.robot_world_1m_robots, counts.robot_world_1m_ticks))
            }
            _ => None,
        }
    }
}

/// The counts of every workload: the same for every implementation.
#[derive(Clone, Copy, Debug, Serialize)]
pub(crate) struct Counts {
    /// `ping-pong`: round trips between the two processes.
    pub(crate) ping_pong_round_trips: u64,
    /// `fan-in`: number of producer processes.
    pub(crate) fan_in_producers: u64,
    /// `fan-in`: messages told by each producer (the values `1..=n`).
    pub(crate) fan_in_per_producer: u64,
    /// `ask`: sequential request/replies.
    pub(crate) ask_requests: u64,
    /// `spawn`: processes spawned (also the N of bytes per idle process).
    pub(crate) spawn_processes: u64,
    /// `ring`: processes in the ring.
    pub(crate) ring_processes: u64,
    /// `ring`: hops of the token.
    pub(crate) ring_hops: u64,
    /// `skynet`: leaves of the tree, a power of ten.
    pub(crate) skynet_leaves: u64,
    /// `robot-world`: robots in the world.
    pub(crate) robot_world_robots: u64,
    /// `robot-world`: ticks of the world.
    pub(crate) robot_world_ticks: u64,
    /// `robot-world-1m`: robots in the world.
    pub(crate) robot_world_1m_robots: u64,
    /// `robot-world-1m`: ticks of the world.
    pub(crate) robot_world_1m_ticks: u64,
    /// `remote-ping-pong`: round trips between the two OS processes.
    pub(crate) remote_round_trips: u64,
    /// `remote-tell`: messages told to the other OS process.
    pub(crate) remote_tells: u64,
    /// `remote-call`: sequential calls to the other OS process.
    pub(crate) remote_calls: u64,
}

impl Counts {
    /// The counts of the issue: the numbers the table reports by default.
    pub(crate) const FULL: Counts = Counts {
        ping_pong_round_trips: 1_000_000,
        fan_in_producers: 2,
        fan_in_per_producer: 2_000_000,
        ask_requests: 200_000,
        spawn_processes: 100_000,
        ring_processes: 1_000,
        ring_hops: 1_000_000,
        skynet_leaves: 1_000_000,
        robot_world_robots: 100_000,
        robot_world_ticks: 50,
        robot_world_1m_robots: 1_000_000,
        robot_world_1m_ticks: 20,
        remote_round_trips: 20_000,
        remote_tells: 1_000_000,
        remote_calls: 20_000,
    };

    /// Smaller counts for `--quick`, so the whole run stays under two minutes.
    pub(crate) const QUICK: Counts = Counts {
        ping_pong_round_trips: 300_000,
        fan_in_producers: 2,
        fan_in_per_producer: 500_000,
        ask_requests: 50_000,
        spawn_processes: 50_000,
        ring_processes: 1_000,
        ring_hops: 300_000,
        skynet_leaves: 100_000,
        robot_world_robots: 50_000,
        robot_world_ticks: 20,
        robot_world_1m_robots: 200_000,
        robot_world_1m_ticks: 5,
        remote_round_trips: 5_000,
        remote_tells: 200_000,
        remote_calls: 5_000,
    };

    /// The counts for a run, quick or not.
    pub(crate) fn new(quick: bool) -> Counts {
        if quick { Counts::QUICK } else { Counts::FULL }
    }

    /// The sum the fan-in process must reach: every producer tells `1..=n`.
    pub(crate) fn fan_in_sum(&self) -> u64 {
        let n = self.fan_in_per_producer;
        self.fan_in_producers * n * (n + 1) / 2
    }

    /// The sum the skynet root must reach: the leaves are numbered `0..leaves`.
    pub(crate) fn skynet_sum(&self) -> u64 {
        let n = self.skynet_leaves;
        n * (n - 1) / 2
    }
}

/// What one child process measured, before it is turned into metrics.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub(crate) struct Outcome {
    /// Wall time of the workload, from the first spawn to the final barrier.
    pub(crate) elapsed_ns: u64,
    /// `ask`: the 99th percentile of one request/reply.
    pub(crate) p99_ns: Option<u64>,
    /// `spawn`: growth of peak RSS divided by the number of processes.
    pub(crate) bytes_per_process: Option<f64>,
    /// `skynet`: peak RSS of the whole OS process at the end; the robot
    /// worlds: peak RSS once the world has run (before the plain loop).
    pub(crate) peak_rss_bytes: Option<u64>,
    /// The robot worlds: wall time of the plain loop doing the same ticks.
    pub(crate) baseline_ns: Option<u64>,
    /// The robot worlds: wall time of the setup (spawning and joining every
    /// robot), which the rate leaves out.
    pub(crate) setup_ns: Option<u64>,
}

impl Outcome {
    /// An outcome that only has a wall time.
    pub(crate) fn timed(elapsed: Duration) -> Outcome {
        Outcome {
            elapsed_ns: nanos(elapsed),
            ..Outcome::default()
        }
    }
}

/// A duration in whole nanoseconds.
pub(crate) fn nanos(d: Duration) -> u64 {
    u64::try_from(d.as_nanos()).unwrap_or(u64::MAX)
}

/// One column of the table and one kind of JSON record.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub(crate) enum Metric {
    /// Round trips per second.
    PingPong,
    /// Messages per second into one process.
    FanIn,
    /// Mean microseconds per ask.
    AskMean,
    /// 99th percentile microseconds per ask.
    AskP99,
    /// Processes spawned, messaged and ended per second.
    Spawn,
    /// Bytes of peak RSS per idle process.
    SpawnMemory,
    /// Token hops per second.
    Ring,
    /// Skynet wall time in seconds.
    Skynet,
    /// Skynet peak RSS in MB.
    SkynetRss,
    /// Robot-ticks per second of the robot world as processes.
    RobotWorld,
    /// The robot world's rate as a fraction of the plain loop's.
    RobotWorldVsLoop,
    /// Seconds to spawn and join the robot world's processes.
    RobotWorldSetup,
    /// Peak RSS of the robot world, in MB.
    RobotWorldRss,
    /// `RobotWorld` with a million robots.
    RobotWorld1m,
    /// `RobotWorldVsLoop` with a million robots.
    RobotWorld1mVsLoop,
    /// `RobotWorldSetup` with a million robots.
    RobotWorld1mSetup,
    /// `RobotWorldRss` with a million robots.
    RobotWorld1mRss,
    /// Round trips per second between two OS processes.
    RemotePingPong,
    /// Messages per second into a process of another OS process.
    RemoteTell,
    /// Mean microseconds per call to another OS process.
    RemoteCallMean,
    /// 99th percentile microseconds per call to another OS process.
    RemoteCallP99,
}

impl Metric {
    /// The record's `workload` field in the JSON.
    pub(crate) fn key(self) -> &'static str {
        match self {
            Metric::PingPong => "ping-pong",
            Metric::FanIn => "fan-in",
            Metric::AskMean => "ask",
            Metric::AskP99 => "ask-p99",
            Metric::Spawn => "spawn",
            Metric::SpawnMemory => "spawn-memory",
            Metric::Ring => "ring",
            Metric::Skynet => "skynet",
            Metric::SkynetRss => "skynet-rss",
            Metric::RobotWorld => "robot-world",
            Metric::RobotWorldVsLoop => "robot-world-vs-loop",
            Metric::RobotWorldSetup => "robot-world-setup",
            Metric::RobotWorldRss => "robot-world-rss",
            Metric::RobotWorld1m => "robot-world-1m",
            Metric::RobotWorld1mVsLoop => "robot-world-1m-vs-loop",
            Metric::RobotWorld1mSetup => "robot-world-1m-setup",
            Metric::RobotWorld1mRss => "robot-world-1m-rss",
            Metric::RemotePingPong => "remote-ping-pong",
            Metric::RemoteTell => "remote-tell",
            Metric::RemoteCallMean => "remote-call",
            Metric::RemoteCallP99 => "remote-call-p99",
        }
    }

    /// The unit of the value.
    pub(crate) fn unit(self) -> &'static str {
        match self {
            Metric::PingPong | Metric::RemotePingPong => "round trips/s",
            Metric::FanIn | Metric::RemoteTell => "messages/s",
            Metric::AskMean | Metric::AskP99 | Metric::RemoteCallMean | Metric::RemoteCallP99 => {
                "µs"
            }
            Metric::Spawn => "processes/s",
            Metric::SpawnMemory => "bytes/process",
            Metric::Ring => "hops/s",
            Metric::Skynet => "s",
            Metric::SkynetRss => "MB",
            Metric::RobotWorld | Metric::RobotWorld1m => "robot-ticks/s",
            Metric::RobotWorldVsLoop | Metric::RobotWorld1mVsLoop => "fraction of plain loop",
            Metric::RobotWorldSetup | Metric::RobotWorld1mSetup => "s",
            Metric::RobotWorldRss | Metric::RobotWorld1mRss => "MB",
        }
    }

    /// Whether a larger value is better.
    pub(crate) fn higher_is_better(self) -> bool {
        matches!(
            self,
            Metric::PingPong
                | Metric::FanIn
                | Metric::Spawn
                | Metric::Ring
                | Metric::RobotWorld
                | Metric::RobotWorldVsLoop
                | Metric::RobotWorld1m
                | Metric::RobotWorld1mVsLoop
                | Metric::RemotePingPong
                | Metric::RemoteTell
        )
    }

    /// The value of this metric in an outcome of its workload.
    pub(crate) fn value(self, counts: &Counts, o: &Outcome) -> Option<f64> {
        let secs = o.elapsed_ns as f64 / 1e9;
        let per_sec = |n: u64| n as f64 / secs;
        Some(match self {
            Metric::PingPong => per_sec(counts.ping_pong_round_trips),
            Metric::FanIn => per_sec(counts.fan_in_producers * counts.fan_in_per_producer),
            Metric::AskMean => o.elapsed_ns as f64 / 1e3 / counts.ask_requests as f64,
            Metric::AskP99 => o.p99_ns? as f64 / 1e3,
            Metric::Spawn => per_sec(counts.spawn_processes),
            Metric::SpawnMemory => o.bytes_per_process?,
            Metric::Ring => per_sec(counts.ring_hops),
            Metric::Skynet => secs,
            Metric::SkynetRss => o.peak_rss_bytes? as f64 / 1e6,
            Metric::RobotWorld => per_sec(counts.robot_world_robots * counts.robot_world_ticks),
            Metric::RobotWorld1m => {
                per_sec(counts.robot_world_1m_robots * counts.robot_world_1m_ticks)
            }
            Metric::RobotWorldVsLoop | Metric::RobotWorld1mVsLoop => {
                o.baseline_ns? as f64 / o.elapsed_ns as f64
            }
            Metric::RobotWorldSetup | Metric::RobotWorld1mSetup => o.setup_ns? as f64 / 1e9,
            Metric::RobotWorldRss | Metric::RobotWorld1mRss => o.peak_rss_bytes? as f64 / 1e6,
            Metric::RemotePingPong => per_sec(counts.remote_round_trips),
            Metric::RemoteTell => per_sec(counts.remote_tells),
            Metric::RemoteCallMean => o.elapsed_ns as f64 / 1e3 / counts.remote_calls as f64,
            Metric::RemoteCallP99 => o.p99_ns? as f64 / 1e3,
        })
    }
}
