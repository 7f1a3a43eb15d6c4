//! What the Display does with each `WORLD_STATE`, free of process machinery:
//! trace lines, trails, frames and the final picture.
//!
//! [`Outputs`] names the files; [`Outputs::prepare`] creates them before the
//! run starts, so that an unwritable path fails at once; the resulting
//! [`Recorder`] is fed every `WORLD_STATE` and finished at the end.

use std::fmt;
use std::fs::{self, File};
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::error::SimError;
use crate::live::LiveView;
use crate::picture::{self, DEFAULT_TRAIL, Trails};
use crate::trace::TraceWriter;
use crate::world::WorldState;

/// Where the Display writes.
///
/// # Examples
///
/// ```
/// use actor_sim::display::Outputs;
///
/// let dir = std::env::temp_dir().join(format!("actor-sim-doc-outputs-{}", std::process::id()));
/// let outputs = Outputs { trace: Some(dir.join("t.jsonl")), ..Outputs::default() };
/// std::fs::create_dir_all(&dir).unwrap();
/// let recorder = outputs.prepare()?;
/// assert!(dir.join("t.jsonl").exists());
/// # drop(recorder); std::fs::remove_dir_all(&dir).unwrap();
/// # Ok::<(), actor_sim::SimError>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outputs {
    /// The trace file, one JSON line per tick.
    pub trace: Option<PathBuf>,
    /// The picture of the last tick.
    pub png: Option<PathBuf>,
    /// A directory for a picture every `every` ticks.
    pub frames: Option<PathBuf>,
    /// The frame interval, in ticks (0 is taken as 1).
    pub every: u64,
    /// How many past positions a trail shows.
    pub trail: usize,
}

impl Default for Outputs {
    fn default() -> Self {
        Self {
            trace: None,
            png: None,
            frames: None,
            every: 1,
            trail: DEFAULT_TRAIL,
        }
    }
}

fn create(path: &Path, what: &'static str) -> Result<File, SimError> {
    File::create(path).map_err(|e| SimError::io(what, path, e))
}

impl Outputs {
    /// Whether anything is to be written at all.
    ///
    /// # Examples
    ///
    /// ```
    /// assert!(actor_sim::display::Outputs::default().is_empty());
    /// ```
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.trace.is_none() && self.png.is_none() && self.frames.is_none()
    }

    /// Creates every output file now (truncating existing ones) and the
    /// frames directory, proving they are writable before any tick runs.
    ///
    /// # Errors
    ///
    /// [`SimError::Io`] naming the path that cannot be created or written.
    ///
    /// # Examples
    ///
    /// ```
    /// use actor_sim::{display::Outputs, SimError};
    ///
    /// let bad = Outputs { png: Some("/nonexistent-dir/x.png".into()), ..Outputs::default() };
    /// assert!(matches!(bad.prepare(), Err(SimError::Io { .. })));
    /// ```
    pub fn prepare(&self) -> Result<Recorder, SimError> {
        let trace = match &self.trace {
            Some(path) => Some((
                path.clone(),
                TraceWriter::new(BufWriter::with_capacity(
                    1 << 20,
                    create(path, "create the trace file")?,
                )),
            )),
            None => None,
        };
        let png = match &self.png {
            Some(path) => Some((path.clone(), create(path, "create the picture")?)),
            None => None,
        };
        let frames = match &self.frames {
            Some(dir) => {
                fs::create_dir_all(dir)
                    .map_err(|e| SimError::io("create the frames directory", dir, e))?;
                let probe = dir.join(".robot-world-probe");
                create(&probe, "write in the frames directory")?;
                fs::remove_file(&probe)
                    .map_err(|e| SimError::io("write in the frames directory", &probe, e))?;
                Some(dir.clone())
            }
            None => None,
        };
        let trails = (png.is_some() || frames.is_some()).then(|| Trails::new(self.trail));
        Ok(Recorder {
            trace,
            png,
            frames,
            every: self.every.max(1),
            trails,
            last: None,
            frames_written: 0,
            ticks_seen: 0,
            on_tick: None,
            live: None,
        })
    }
}

/// What a [`Recorder`] wrote.
///
/// # Examples
///
/// ```
/// let recorded = actor_sim::display::Outputs::default().prepare()?.finish()?;
/// assert_eq!(recorded, actor_sim::display::Recorded::default());
/// # Ok::<(), actor_sim::SimError>(())
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Recorded {
    /// `WORLD_STATE`s seen.
    pub ticks_seen: u64,
    /// Trace lines written.
    pub trace_lines: u64,
    /// Frames written in the frames directory.
    pub frames: u64,
    /// The picture of the last tick, when one was asked for and a tick ran.
    pub png: Option<PathBuf>,
}

/// The Display's work: feed it every `WORLD_STATE`, then [`finish`](Self::finish).
///
/// # Examples
///
/// ```
/// use std::sync::Arc;
/// use actor_sim::{display::Outputs, plain, Scenario};
///
/// let mut rec = Outputs::default().prepare()?;
/// let mut err = None;
/// plain::run_observed(&Scenario::seed(), 5, |s| {
///     if let Err(e) = rec.observe(Arc::new(s.clone())) { err = Some(e) }
/// });
/// assert!(err.is_none());
/// assert_eq!(rec.finish()?.ticks_seen, 5);
/// # Ok::<(), actor_sim::SimError>(())
/// ```
pub struct Recorder {
    trace: Option<(PathBuf, TraceWriter<BufWriter<File>>)>,
    png: Option<(PathBuf, File)>,
    frames: Option<PathBuf>,
    every: u64,
    trails: Option<Trails>,
    last: Option<Arc<WorldState>>,
    frames_written: u64,
    ticks_seen: u64,
    on_tick: Option<Box<dyn FnMut(u64) + Send>>,
    live: Option<LiveView>,
}

impl fmt::Debug for Recorder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Recorder")
            .field("trace", &self.trace.as_ref().map(|t| &t.0))
            .field("png", &self.png.as_ref().map(|p| &p.0))
            .field("frames", &self.frames)
            .field("every", &self.every)
            .field("ticks_seen", &self.ticks_seen)
            .finish_non_exhaustive()
    }
}

impl Recorder {
    /// Calls `hook` with the tick number after each `WORLD_STATE` is
    /// handled (for a progress bar).
    ///
    /// # Examples
    ///
    /// ```
    /// let rec = actor_sim::display::Outputs::default().prepare()?.on_tick(|_tick| {});
    /// # Ok::<(), actor_sim::SimError>(())
    /// ```
    #[must_use]
    pub fn on_tick(mut self, hook: impl FnMut(u64) + Send + 'static) -> Self {
        self.on_tick = Some(Box::new(hook));
        self
    }

    /// Also publishes every `WORLD_STATE` to `view`, for the live page.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::sync::Arc;
    /// use actor_sim::{display::Outputs, live::LiveView, world::WorldState};
    ///
    /// let view = LiveView::new();
    /// let mut rec = Outputs::default().prepare()?.live(&view);
    /// rec.observe(Arc::new(WorldState { tick: 0, robots: vec![] }))?;
    /// assert_eq!(view.latest().unwrap().tick, 0);
    /// # Ok::<(), actor_sim::SimError>(())
    /// ```
    #[must_use]
    pub fn live(mut self, view: &LiveView) -> Self {
        self.live = Some(view.clone());
        self
    }

    /// Handles one `WORLD_STATE`: trace line, trail, frame.
    ///
    /// # Errors
    ///
    /// [`SimError::Trace`], [`SimError::Io`] or [`SimError::Png`] when an
    /// output cannot be written.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::sync::Arc;
    /// let mut rec = actor_sim::display::Outputs::default().prepare()?;
    /// rec.observe(Arc::new(actor_sim::world::WorldState { tick: 0, robots: vec![] }))?;
    /// # Ok::<(), actor_sim::SimError>(())
    /// ```
    pub fn observe(&mut self, state: Arc<WorldState>) -> Result<(), SimError> {
        self.ticks_seen += 1;
        if let Some((_, w)) = &mut self.trace {
            w.write(&state)?;
        }
        if let Some(trails) = &mut self.trails {
            trails.push(&state);
        }
        if let Some(dir) = &self.frames {
            if state.tick % self.every == 0 {
                let path = dir.join(format!("frame_{:06}.png", state.tick));
                picture::save(&state, self.trails.as_ref(), &path)?;
                self.frames_written += 1;
            }
        }
        if let Some(hook) = &mut self.on_tick {
            hook(state.tick);
        }
        if let Some(view) = &self.live {
            view.publish(state.clone());
        }
        if self.png.is_some() {
            self.last = Some(state);
        }
        Ok(())
    }

    /// Flushes the trace and writes the picture of the last tick.
    ///
    /// # Errors
    ///
    /// [`SimError::Trace`], [`SimError::Io`] or [`SimError::Png`] when an
    /// output cannot be written.
    ///
    /// # Examples
    ///
    /// ```
    /// let rec = actor_sim::display::Outputs::default().prepare()?;
    /// assert_eq!(rec.finish()?.trace_lines, 0);
    /// # Ok::<(), actor_sim::SimError>(())
    /// ```
    pub fn finish(self) -> Result<Recorded, SimError> {
        let mut recorded = Recorded {
            ticks_seen: self.ticks_seen,
            frames: self.frames_written,
            ..Recorded::default()
        };
        if let Some((_, w)) = self.trace {
            recorded.trace_lines = w.lines();
            w.finish()?;
        }
        if let (Some((path, mut file)), Some(last)) = (self.png, self.last) {
            let pixmap = picture::render(&last, self.trails.as_ref())?;
            let bytes = picture::encode_png(&pixmap, &path)?;
            file.write_all(&bytes)
                .and_then(|()| file.flush())
                .map_err(|e| SimError::io("write the picture", &path, e))?;
            recorded.png = Some(path);
        }
        Ok(recorded)
    }
}
