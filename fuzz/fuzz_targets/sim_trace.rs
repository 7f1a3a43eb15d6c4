//! The robot world's trace reader, fed arbitrary text.
//!
//! Checks: reading never panics, a bad line is an error; a trace it
//! reads writes back to lines that read back to the same states.
#![no_main]

use actor_sim::trace;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(states) = trace::read(data) else {
        return;
    };
    for state in &states {
        let line = trace::to_line(state).expect("a state read writes");
        let back = trace::parse_line(&line).expect("a written line reads");
        assert_eq!(&back, state, "the line was {line}");
    }
});
