//! Cross-crate integration tests live in `tests/tests/`; this library
//! holds what several of them share: the headless browser.
#![forbid(unsafe_code)]

pub mod browser;
