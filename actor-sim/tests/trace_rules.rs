//! The trace of the seed's world follows the rules, checked against a
//! computation of the rules written here, independently of the library.

use actor_sim::display::Outputs;
use actor_sim::{RuntimeKind, Scenario, SimConfig};

/// The seed's robots: ((x, y), angle, velocity).
const SEED: [((f64, f64), f64, f64); 12] = [
    ((0.0, 0.0), 135.0, 5.0),
    ((464.0, 0.0), 225.0, 10.0),
    ((464.0, 0.0), 0.0, 100.0),
    ((464.0, 4.0), 0.0, 10.0),
    ((464.0, 6.0), 0.0, 20.0),
    ((464.0, 6.0), 0.0, 30.0),
    ((464.0, 6.0), 0.0, 40.0),
    ((464.0, 6.0), 0.0, 50.0),
    ((464.0, 6.0), 0.0, 60.0),
    ((464.0, 6.0), 0.0, 70.0),
    ((464.0, 6.0), 0.0, 80.0),
    ((464.0, 6.0), 0.0, 90.0),
];

/// `[id, x, y, angle, velocity]` per robot, per tick, as the issue states
/// the rules.
#[expect(
    clippy::manual_range_contains,
    reason = "the rule as the issue words it"
)]
fn expected(ticks: u64) -> Vec<Vec<[f64; 5]>> {
    let mut robots: Vec<[f64; 4]> = SEED.iter().map(|&((x, y), a, v)| [x, y, a, v]).collect();
    let mut out = Vec::new();
    for _ in 0..ticks {
        let mut collided = vec![false; robots.len()];
        for (r, hit) in robots.iter_mut().zip(&mut collided) {
            let [x, y, a, v] = *r;
            let nx = x + a.to_radians().sin() * v;
            let ny = y - a.to_radians().cos() * v;
            if nx < 0.0 || nx > 496.0 || ny < 0.0 || ny > 496.0 {
                *hit = true;
            } else {
                r[0] = nx;
                r[1] = ny;
            }
        }
        out.push(
            robots
                .iter()
                .enumerate()
                .map(|(i, r)| [(i + 1) as f64, r[0], r[1], r[2], r[3]])
                .collect(),
        );
        for (r, hit) in robots.iter_mut().zip(collided) {
            if hit {
                r[2] += 73.0;
                if r[2] >= 360.0 {
                    r[2] -= 360.0;
                }
            }
            r[2] += 0.5;
            if r[2] >= 360.0 {
                r[2] -= 360.0;
            }
        }
    }
    out
}

fn traced(runtime: RuntimeKind, ticks: u64, name: &str) -> Vec<serde_json::Value> {
    let path =
        std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("trace-rules-{name}.jsonl"));
    let outputs = Outputs {
        trace: Some(path.clone()),
        ..Outputs::default()
    };
    let config = SimConfig {
        ticks,
        runtime,
        ..SimConfig::default()
    };
    let report = actor_sim::run(&Scenario::seed(), &config, outputs.prepare().unwrap()).unwrap();
    assert_eq!(report.stats.ticks, ticks);
    let text = std::fs::read_to_string(&path).unwrap();
    text.lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

fn check(runtime: RuntimeKind, name: &str) {
    const TICKS: u64 = 300;
    let lines = traced(runtime, TICKS, name);
    let want = expected(TICKS);
    assert_eq!(lines.len(), want.len());
    for (t, (line, want)) in lines.iter().zip(&want).enumerate() {
        assert_eq!(line["tick"].as_u64(), Some(t as u64), "tick number");
        let robots = line["robots"].as_array().unwrap();
        assert_eq!(robots.len(), 12);
        for (got, want) in robots.iter().zip(want) {
            let got: Vec<f64> = got
                .as_array()
                .unwrap()
                .iter()
                .map(|v| v.as_f64().unwrap())
                .collect();
            assert_eq!(got, want.to_vec(), "tick {t}");
        }
    }
    // The run covers collisions: robots that stayed where they were.
    let stays: usize = want
        .windows(2)
        .map(|w| {
            w[0].iter()
                .zip(&w[1])
                .filter(|(a, b)| a[1] == b[1] && a[2] == b[2])
                .count()
        })
        .sum();
    assert!(stays > 100, "only {stays} stays");
}

#[test]
fn worked_example_of_the_issue() {
    let lines = traced(RuntimeKind::Tokio, 2, "worked");
    let r = |t: usize, i: usize| -> Vec<f64> {
        lines[t]["robots"][i]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_f64().unwrap())
            .collect()
    };
    assert_eq!(
        r(0, 0),
        [1.0, 3.5355339059327378, 3.5355339059327373, 135.0, 5.0]
    );
    assert_eq!(r(0, 3), [4.0, 464.0, 4.0, 0.0, 10.0]);
    assert_eq!(
        r(1, 0),
        [1.0, 7.040080227431993, 7.101786151703644, 135.5, 5.0]
    );
    assert_eq!(
        r(1, 3),
        [4.0, 473.58819734868194, 1.1598465529607722, 73.5, 10.0]
    );
}

#[test]
fn seed_trace_follows_the_rules_on_tokio() {
    check(RuntimeKind::Tokio, "tokio");
}

#[test]
fn seed_trace_follows_the_rules_on_the_deterministic_runtime() {
    check(RuntimeKind::Deterministic { seed: 11 }, "det");
}

#[test]
fn trace_lines_have_the_exact_format() {
    let path = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("trace-format.jsonl");
    let outputs = Outputs {
        trace: Some(path.clone()),
        ..Outputs::default()
    };
    let config = SimConfig {
        ticks: 3,
        ..SimConfig::default()
    };
    actor_sim::run(&Scenario::seed(), &config, outputs.prepare().unwrap()).unwrap();
    let text = std::fs::read_to_string(&path).unwrap();
    let first = text.lines().next().unwrap();
    assert!(
        first.starts_with(r#"{"tick": 0, "robots": [[1, 3.5355339059327378, 3.5355339059327373, 135.0, 5.0], [2, "#),
        "{first}"
    );
    assert!(first.ends_with("]]}"));
    assert_eq!(text.lines().count(), 3);
}
