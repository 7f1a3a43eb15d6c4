//! The trace: one JSON line per tick.
//!
//! Each line is exactly
//! `{"tick": T, "robots": [[id, x, y, angle, velocity], ...]}`, ids
//! ascending, with the positions and angles of that tick's `WORLD_STATE`.
//! Numbers are written so that reading them back gives the very same `f64`.
//!
//! A [`WorldState`] serializes to and deserializes from one such line.

use std::io::{self, BufRead, Write};

use serde::de::{self, SeqAccess, Visitor};
use serde::ser::SerializeTuple;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::error::SimError;
use crate::rules::RobotState;
use crate::world::{RobotRecord, WorldState};

impl Serialize for RobotRecord {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut t = serializer.serialize_tuple(5)?;
        t.serialize_element(&self.id)?;
        t.serialize_element(&self.state.x)?;
        t.serialize_element(&self.state.y)?;
        t.serialize_element(&self.state.angle)?;
        t.serialize_element(&self.state.velocity)?;
        t.end()
    }
}

impl<'de> Deserialize<'de> for RobotRecord {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct RecordVisitor;
        impl<'de> Visitor<'de> for RecordVisitor {
            type Value = RobotRecord;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("[id, x, y, angle, velocity]")
            }
            fn visit_seq<V: SeqAccess<'de>>(self, mut seq: V) -> Result<RobotRecord, V::Error> {
                let id = seq
                    .next_element()?
                    .ok_or_else(|| de::Error::invalid_length(0, &self))?;
                let mut values = [0.0; 4];
                for (i, v) in values.iter_mut().enumerate() {
                    *v = seq
                        .next_element()?
                        .ok_or_else(|| de::Error::invalid_length(i + 1, &self))?;
                }
                if seq.next_element::<de::IgnoredAny>()?.is_some() {
                    return Err(de::Error::invalid_length(6, &self));
                }
                let [x, y, angle, velocity] = values;
                Ok(RobotRecord {
                    id,
                    state: RobotState::new(x, y, angle, velocity),
                })
            }
        }
        deserializer.deserialize_tuple(5, RecordVisitor)
    }
}

#[derive(Serialize)]
struct LineRef<'a> {
    tick: u64,
    robots: &'a [RobotRecord],
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct LineOwned {
    tick: u64,
    robots: Vec<RobotRecord>,
}

impl Serialize for WorldState {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        LineRef {
            tick: self.tick,
            robots: &self.robots,
        }
        .serialize(serializer)
    }
}

impl<'de> Deserialize<'de> for WorldState {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let line = LineOwned::deserialize(deserializer)?;
        Ok(Self {
            tick: line.tick,
            robots: line.robots,
        })
    }
}

/// JSON with a space after `:` and `,`, as in `{"tick": 0, "robots": [[1, ...]]}`.
#[derive(Debug, Clone, Copy, Default)]
struct Spaced;

impl serde_json::ser::Formatter for Spaced {
    fn begin_array_value<W: ?Sized + Write>(
        &mut self,
        writer: &mut W,
        first: bool,
    ) -> io::Result<()> {
        if first {
            Ok(())
        } else {
            writer.write_all(b", ")
        }
    }

    fn begin_object_key<W: ?Sized + Write>(
        &mut self,
        writer: &mut W,
        first: bool,
    ) -> io::Result<()> {
        if first {
            Ok(())
        } else {
            writer.write_all(b", ")
        }
    }

    fn begin_object_value<W: ?Sized + Write>(&mut self, writer: &mut W) -> io::Result<()> {
        writer.write_all(b": ")
    }
}

/// Formats one trace line, without the newline.
///
/// # Errors
///
/// [`SimError::Trace`] if serialization fails (it does not for finite numbers).
///
/// # Examples
///
/// ```
/// use actor_sim::{rules::RobotState, trace, world::{RobotRecord, WorldState}};
///
/// let state = WorldState {
///     tick: 3,
///     robots: vec![RobotRecord { id: 1, state: RobotState::new(0.5, 2.0, 135.0, 5.0) }],
/// };
/// assert_eq!(
///     trace::to_line(&state)?,
///     r#"{"tick": 3, "robots": [[1, 0.5, 2.0, 135.0, 5.0]]}"#
/// );
/// # Ok::<(), actor_sim::SimError>(())
/// ```
pub fn to_line(state: &WorldState) -> Result<String, SimError> {
    let mut out = Vec::with_capacity(32 + state.robots.len() * 80);
    write_json(&mut out, state)?;
    // serde_json writes UTF-8 only.
    String::from_utf8(out).map_err(|e| SimError::Invalid(e.to_string()))
}

fn write_json<W: Write>(writer: W, state: &WorldState) -> Result<(), SimError> {
    let mut ser = serde_json::Serializer::with_formatter(writer, Spaced);
    state.serialize(&mut ser)?;
    Ok(())
}

/// Reads one trace line back.
///
/// # Errors
///
/// [`SimError::Trace`] when the line is not a trace line.
///
/// # Examples
///
/// ```
/// let state = actor_sim::trace::parse_line(r#"{"tick": 0, "robots": [[1, 3.5, 3.5, 135.0, 5.0]]}"#)?;
/// assert_eq!(state.robots[0].state.angle, 135.0);
/// assert!(actor_sim::trace::parse_line("{}").is_err());
/// # Ok::<(), actor_sim::SimError>(())
/// ```
pub fn parse_line(line: &str) -> Result<WorldState, SimError> {
    Ok(serde_json::from_str(line)?)
}

/// Reads a whole trace, one [`WorldState`] per non-empty line.
///
/// # Errors
///
/// [`SimError::Io`] when reading fails, [`SimError::Trace`] for a bad line.
///
/// # Examples
///
/// ```
/// let text = "{\"tick\": 0, \"robots\": []}\n{\"tick\": 1, \"robots\": []}\n";
/// let states = actor_sim::trace::read(text.as_bytes())?;
/// assert_eq!(states.len(), 2);
/// # Ok::<(), actor_sim::SimError>(())
/// ```
pub fn read<R: BufRead>(reader: R) -> Result<Vec<WorldState>, SimError> {
    let mut states = Vec::new();
    for line in reader.lines() {
        let line = line.map_err(|e| SimError::io("read", "trace", e))?;
        if !line.trim().is_empty() {
            states.push(parse_line(&line)?);
        }
    }
    Ok(states)
}

/// Writes trace lines to any writer (buffer it: lines are written piecewise).
///
/// # Examples
///
/// ```
/// use actor_sim::{trace::TraceWriter, world::WorldState};
///
/// let mut w = TraceWriter::new(Vec::new());
/// w.write(&WorldState { tick: 0, robots: vec![] })?;
/// let bytes = w.finish()?;
/// assert_eq!(bytes, b"{\"tick\": 0, \"robots\": []}\n");
/// # Ok::<(), actor_sim::SimError>(())
/// ```
#[derive(Debug)]
pub struct TraceWriter<W: Write> {
    out: W,
    lines: u64,
}

impl<W: Write> TraceWriter<W> {
    /// A writer of trace lines to `out`.
    ///
    /// # Examples
    ///
    /// ```
    /// let w = actor_sim::trace::TraceWriter::new(std::io::sink());
    /// assert_eq!(w.lines(), 0);
    /// ```
    pub fn new(out: W) -> Self {
        Self { out, lines: 0 }
    }

    /// Appends the line of one tick.
    ///
    /// # Errors
    ///
    /// [`SimError::Trace`] when writing fails.
    ///
    /// # Examples
    ///
    /// ```
    /// let mut w = actor_sim::trace::TraceWriter::new(Vec::new());
    /// w.write(&actor_sim::world::WorldState { tick: 0, robots: vec![] })?;
    /// assert_eq!(w.lines(), 1);
    /// # Ok::<(), actor_sim::SimError>(())
    /// ```
    pub fn write(&mut self, state: &WorldState) -> Result<(), SimError> {
        write_json(&mut self.out, state)?;
        self.out
            .write_all(b"\n")
            .map_err(|e| SimError::Trace(serde_json::Error::io(e)))?;
        self.lines += 1;
        Ok(())
    }

    /// Lines written so far.
    ///
    /// # Examples
    ///
    /// ```
    /// assert_eq!(actor_sim::trace::TraceWriter::new(Vec::new()).lines(), 0);
    /// ```
    pub fn lines(&self) -> u64 {
        self.lines
    }

    /// Flushes and gives the writer back.
    ///
    /// # Errors
    ///
    /// [`SimError::Trace`] when flushing fails.
    ///
    /// # Examples
    ///
    /// ```
    /// let w = actor_sim::trace::TraceWriter::new(Vec::<u8>::new());
    /// assert!(w.finish()?.is_empty());
    /// # Ok::<(), actor_sim::SimError>(())
    /// ```
    pub fn finish(mut self) -> Result<W, SimError> {
        self.out
            .flush()
            .map_err(|e| SimError::Trace(serde_json::Error::io(e)))?;
        Ok(self.out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_is_exact() {
        let state = WorldState {
            tick: 1,
            robots: vec![
                RobotRecord {
                    id: 1,
                    state: RobotState::new(7.040080227431993, 7.101786151703644, 135.5, 5.0),
                },
                RobotRecord {
                    id: 4,
                    state: RobotState::new(473.58819734868194, 1.1598465529607722, 73.5, 10.0),
                },
            ],
        };
        let line = to_line(&state).unwrap();
        assert!(line.starts_with(r#"{"tick": 1, "robots": [[1, 7.040080227431993, "#));
        assert_eq!(parse_line(&line).unwrap(), state);
    }

    #[test]
    fn rejects_short_records() {
        assert!(parse_line(r#"{"tick": 0, "robots": [[1, 2.0]]}"#).is_err());
        assert!(parse_line(r#"{"tick": 0, "robots": [[1, 2.0, 3, 4, 5, 6]]}"#).is_err());
    }
}
