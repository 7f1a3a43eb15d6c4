//! Erlang/OTP: the same workloads in `benches/erlang/bench.erl`, compiled at
//! run time into a temporary directory and run with `erl -noshell +S 2`.
//!
//! The remote workloads run between two `erl -sname` nodes: see
//! `erlang_dist.rs`.
//!
//! `+P` raises the process limit (262,144 by default) so that the skynet
//! tree's 1,111,111 processes fit; Erlang mailboxes are unbounded.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::workloads::{Counts, Outcome, Workload};

/// The module source, carried inside the binary so it runs from any directory.
const SOURCE: &str = include_str!("../../erlang/bench.erl");

/// The process limit passed as `+P`: above skynet's 1,111,111 processes.
const PROCESS_LIMIT: &str = "2097152";

/// A compiled `bench.erl` in a temporary directory, removed on drop.
#[derive(Debug)]
pub(crate) struct Erlang {
    dir: PathBuf,
    release: String,
}

impl Erlang {
    /// Finds `erl`, reads its OTP release and compiles `bench.erl`.
    ///
    /// # Errors
    ///
    /// A short reason for the table when `erl` is missing or the module does
    /// not compile.
    pub(crate) fn prepare() -> Result<Erlang, String> {
        let release = eval(
            "io:format(\"~s/~s\", [erlang:system_info(otp_release), erlang:system_info(version)])",
        )
        .map_err(|_| "erl not found".to_string())?;
        let dir = std::env::temp_dir().join(format!("benches-erlang-{}", std::process::id()));
        std::fs::create_dir_all(&dir).map_err(|e| format!("temp dir: {e}"))?;
        let erlang = Erlang { dir, release };
        let src = erlang.dir.join("bench.erl");
        std::fs::write(&src, SOURCE).map_err(|e| format!("write bench.erl: {e}"))?;
        let src = src.to_str().ok_or("temp dir is not UTF-8")?;
        let out = erlang.dir.to_str().ok_or("temp dir is not UTF-8")?;
        eval(&format!(
            "case compile:file(\"{src}\", [{{outdir, \"{out}\"}}, report]) of {{ok, _}} -> ok; _ -> halt(1) end"
        ))
        .map_err(|e| format!("bench.erl does not compile: {e}"))?;
        Ok(erlang)
    }

    /// Where `bench.beam` is, for the children's `-pa`.
    pub(crate) fn beam_dir(&self) -> &Path {
        &self.dir
    }

    /// OTP release and ERTS version, e.g. `25/13.1.5`.
    pub(crate) fn release(&self) -> &str {
        &self.release
    }

    /// Runs one local workload in a fresh `erl` and parses its `RESULT`
    /// line (the remote ones are in `erlang_dist.rs`).
    ///
    /// # Panics
    ///
    /// Panics if `erl` fails or prints no result.
    pub(crate) fn run(beam_dir: &Path, workload: Workload, counts: &Counts) -> Outcome {
        let output = Command::new("erl")
            .args(["-noshell", "+S", "2", "+P", PROCESS_LIMIT, "-pa"])
            .arg(beam_dir)
            .args(["-run", "bench", "main", workload.name()])
            .args(workload.args(counts).iter().map(u64::to_string))
            .output()
            .expect("run erl");
        parse(&output, counts)
    }
}

/// The outcome an `erl` run printed on its `RESULT` line.
///
/// # Panics
///
/// Panics if `erl` failed or printed no result.
pub(crate) fn parse(output: &std::process::Output, counts: &Counts) -> Outcome {
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "erl failed ({}): {}{}",
        output.status,
        stdout,
        String::from_utf8_lossy(&output.stderr)
    );
    let line = stdout
        .lines()
        .find_map(|l| l.strip_prefix("RESULT"))
        .unwrap_or_else(|| panic!("erl printed no RESULT line: {stdout}"));
    let mut outcome = Outcome::default();
    for field in line.split_whitespace() {
        let (key, value) = field.split_once('=').expect("key=value");
        let value: u64 = value.parse().expect("integer value");
        match key {
            "elapsed_ns" => outcome.elapsed_ns = value,
            "p99_ns" => outcome.p99_ns = Some(value),
            "grown_bytes" => {
                outcome.bytes_per_process = Some(value as f64 / counts.spawn_processes as f64);
            }
            "peak_rss_bytes" => outcome.peak_rss_bytes = Some(value),
            other => panic!("unknown erl result field {other}"),
        }
    }
    outcome
}

impl Drop for Erlang {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// Evaluates `expr` in a fresh `erl -noshell` and returns what it printed.
fn eval(expr: &str) -> Result<String, String> {
    let output = Command::new("erl")
        .args(["-noshell", "-eval"])
        .arg(format!("{expr}, halt()."))
        .output()
        .map_err(|e| e.to_string())?;
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    if output.status.success() {
        Ok(stdout)
    } else {
        Err(format!(
            "{stdout}{}",
            String::from_utf8_lossy(&output.stderr)
        ))
    }
}
