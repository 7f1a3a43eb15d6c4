//! Protocol testing over many seeds of the deterministic runtime.
