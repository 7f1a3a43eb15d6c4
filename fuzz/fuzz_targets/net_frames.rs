//! actor-net's wire format, fed arbitrary bytes as a node's inbox and its
//! beacon subscription receive them.
//!
//! Checks: reading never panics; a bad batch or frame is an error; every
//! frame and beacon that decodes encodes back to itself.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    actor_net::fuzzing::check_batch(data);
    actor_net::fuzzing::check_beacon(data);
});
