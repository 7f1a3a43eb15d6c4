//! The side-by-side benchmark driver.
fn main() {}
