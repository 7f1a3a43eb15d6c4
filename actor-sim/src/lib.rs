//! The robot world of the seed document: World, Robot and Display processes.
#![forbid(unsafe_code)]
