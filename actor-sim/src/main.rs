//! `robot-world`: runs the robot world headless.
fn main() {}
