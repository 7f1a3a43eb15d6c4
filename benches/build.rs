//! Reads the peer crates' versions from the workspace's `Cargo.lock`, so that
//! the table names the versions it measured.

use std::path::PathBuf;

/// The crates whose versions the table reports.
const CRATES: [&str; 6] = [
    "tokio",
    "ractor",
    "kameo",
    "actix",
    "actix-rt",
    "async-nats",
];

fn main() {
    let manifest = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").expect("CARGO_MANIFEST_DIR"));
    let lock = manifest.join("..").join("Cargo.lock");
    println!("cargo::rerun-if-changed={}", lock.display());
    let text = std::fs::read_to_string(&lock).unwrap_or_default();
    for krate in CRATES {
        let version = find_version(&text, krate).unwrap_or("?");
        let var = krate.to_uppercase().replace('-', "_");
        println!("cargo::rustc-env=BENCHES_VERSION_{var}={version}");
    }
}

/// The version of the first `[[package]]` named `krate` in a lock file.
fn find_version<'a>(lock: &'a str, krate: &str) -> Option<&'a str> {
    let name = format!("name = \"{krate}\"");
    lock.split("[[package]]").find_map(|block| {
        let mut lines = block.lines().map(str::trim);
        lines.find(|l| *l == name)?;
        lines.find_map(|l| l.strip_prefix("version = \"")?.strip_suffix('"'))
    })
}
