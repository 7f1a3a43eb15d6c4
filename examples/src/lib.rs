//! Runnable programs live in `examples/`; run one with
//! `cargo run -p examples --example NAME`.
//!
//! The logic of the larger ones lives here, so that the cross-crate tests
//! can run it too.
#![forbid(unsafe_code)]

pub mod calc;
pub mod http_hello;
pub mod observer_demo;
pub mod primes;
