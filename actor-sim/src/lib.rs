//! The robot world of the seed document: World, Robot and Display processes.
//!
//! The seed ends with a small world written with Stackless tasklets: a
//! `World` actor keeps a registry of joined actors and ticks; `Robot`s join
//! with a position, an angle and a velocity, are moved by the World, turn
//! when they hit a wall and answer each `WORLD_STATE` with their new vector;
//! a `Display` joins without a position and draws. This crate ports it onto
//! actor-core, headless, with a JSON trace and pictures, and keeps it
//! faithful and deterministic at 100,000 robots.
//!
//! * [`rules`]: the arithmetic of a tick, as pure functions.
//! * [`scenario`]: the seed's twelve robots, or N random ones from a seed.
//! * [`world`]: the World's bookkeeping without processes ([`world::WorldCore`]).
//! * [`sim`]: World, Robot and Display as processes; [`run`] runs them.
//! * [`display`], [`picture`], [`trace`]: what the Display writes.
//! * [`live`]: the world drawn live in a browser, beside the observer
//!   ([`run_observed`]).
//! * [`plain`]: the same rules as a plain loop, the baseline for benchmarks.
//!
//! # Examples
//!
//! Twenty ticks of the seed's world on the deterministic runtime give the
//! same states as the plain loop:
//!
//! ```
//! use std::sync::{Arc, Mutex};
//! use actor_sim::{display::Outputs, plain, RuntimeKind, Scenario, SimConfig};
//!
//! let dir = std::env::temp_dir().join(format!("actor-sim-doc-lib-{}", std::process::id()));
//! std::fs::create_dir_all(&dir).unwrap();
//! let trace_path = dir.join("trace.jsonl");
//! let outputs = Outputs { trace: Some(trace_path.clone()), ..Outputs::default() };
//! let config = SimConfig { ticks: 20, runtime: RuntimeKind::Deterministic { seed: 3 }, ..SimConfig::default() };
//! let report = actor_sim::run(&Scenario::seed(), &config, outputs.prepare()?)?;
//! assert_eq!(report.stats.ticks, 20);
//!
//! let text = std::fs::read_to_string(&trace_path).unwrap();
//! let traced = actor_sim::trace::read(text.as_bytes())?;
//! let mut expected = Vec::new();
//! plain::run_observed(&Scenario::seed(), 20, |s| expected.push(s.clone()));
//! assert_eq!(traced, expected);
//! # std::fs::remove_dir_all(&dir).unwrap();
//! # Ok::<(), actor_sim::SimError>(())
//! ```
#![forbid(unsafe_code)]

pub mod display;
mod error;
pub mod live;
pub mod picture;
pub mod plain;
pub mod rules;
pub mod scenario;
pub mod sim;
pub mod trace;
pub mod world;

pub use error::SimError;
pub use scenario::Scenario;
pub use sim::{Report, RuntimeKind, SimConfig, run, run_observed};
pub use tiny_skia;
