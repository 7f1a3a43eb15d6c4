//! Cross-crate integration tests live in `tests/tests/`; the soak run
//! (`src/bin/soak.rs`) and the leak checks (`src/bin/leaks.rs`) are
//! binaries of this package, built in release by CI. This library holds
//! what they share: memory figures from `/proc`, a small seeded random
//! number generator, and the headless browser of the observer's tests.
#![forbid(unsafe_code)]

pub mod browser;

/// The process's resident memory, from `/proc/self/status`.
///
/// # Examples
///
/// ```
/// let m = tests::Memory::now();
/// assert!(m.rss > 0 && m.peak >= m.rss);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Memory {
    /// Resident set size now (`VmRSS`), in bytes.
    pub rss: u64,
    /// The highest resident set size so far (`VmHWM`), in bytes.
    pub peak: u64,
}

impl Memory {
    /// Reads the figures now.
    ///
    /// # Panics
    ///
    /// If `/proc/self/status` cannot be read or lacks the two fields (a
    /// system without Linux's procfs).
    pub fn now() -> Memory {
        let status = std::fs::read_to_string("/proc/self/status")
            .expect("/proc/self/status is readable (Linux)");
        let field = |name: &str| -> u64 {
            status
                .lines()
                .find_map(|l| l.strip_prefix(name))
                .and_then(|rest| {
                    rest.trim()
                        .trim_end_matches("kB")
                        .trim()
                        .parse::<u64>()
                        .ok()
                })
                .map(|kb| kb * 1024)
                .unwrap_or_else(|| panic!("/proc/self/status has no {name}"))
        };
        Memory {
            rss: field("VmRSS:"),
            peak: field("VmHWM:"),
        }
    }
}

/// Bytes as mebibytes with one decimal, for reports.
///
/// # Examples
///
/// ```
/// assert_eq!(tests::mib(3 * 1024 * 1024 / 2), "1.5 MiB");
/// ```
pub fn mib(bytes: u64) -> String {
    format!("{:.1} MiB", bytes as f64 / (1024.0 * 1024.0))
}

/// A small, fast, seeded random number generator (SplitMix64): the soak
/// and leak runs need reproducible choices, not cryptography.
///
/// # Examples
///
/// ```
/// let (mut a, mut b) = (tests::Rng::new(7), tests::Rng::new(7));
/// assert_eq!(a.next_u64(), b.next_u64());
/// assert!(a.below(10) < 10);
/// ```
#[derive(Clone, Debug)]
pub struct Rng(u64);

impl Rng {
    /// A generator with this seed.
    pub fn new(seed: u64) -> Rng {
        Rng(seed)
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// A number in `0..n` (`n > 0`).
    pub fn below(&mut self, n: u64) -> u64 {
        ((self.next_u64() as u128 * n as u128) >> 64) as u64
    }
}
