//! actor-io's line splitting for ports in line mode, fed arbitrary output
//! cut into arbitrary reads.
//!
//! The input is the output itself, except that a byte 0xFF followed by a
//! count `k` repeats the byte before it `k * 1024` times (up to 160 KiB of
//! output in all), so that lines longer than `MAX_LINE` come up. The
//! first byte sets the size of the reads (257 bytes to 64 KiB: a port
//! reads up to 64 KiB at a time). Checks against a plain reference: lines end at `\n` (a `\r`
//! before it dropped); a line longer than `MAX_LINE` comes in pieces of
//! `MAX_LINE`; what is left at the end of file is a last message; and the
//! way the output is cut into reads changes nothing.
#![no_main]

use actor_io::MAX_LINE;
use actor_io::fuzzing::split_lines;
use libfuzzer_sys::fuzz_target;

const MAX_OUTPUT: usize = 160 * 1024;

fn expand(data: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    let mut i = 0;
    while i < data.len() {
        if data[i] == 0xFF && i + 1 < data.len() {
            let last = out.last().copied().unwrap_or(b'a');
            let n = (usize::from(data[i + 1]) * 1024).min(MAX_OUTPUT.saturating_sub(out.len()));
            out.extend(std::iter::repeat_n(last, n));
            i += 2;
        } else {
            out.push(data[i]);
            i += 1;
        }
    }
    out
}

fn reference(mut rest: &[u8]) -> Vec<Vec<u8>> {
    let mut out = Vec::new();
    while !rest.is_empty() {
        match rest.iter().position(|&b| b == b'\n') {
            Some(i) if i <= MAX_LINE => {
                let mut line = &rest[..i];
                if line.last() == Some(&b'\r') {
                    line = &line[..line.len() - 1];
                }
                out.push(line.to_vec());
                rest = &rest[i + 1..];
            }
            _ => {
                let n = rest.len().min(MAX_LINE);
                out.push(rest[..n].to_vec());
                rest = &rest[n..];
            }
        }
    }
    out
}

fuzz_target!(|data: &[u8]| {
    let Some((&first, rest)) = data.split_first() else {
        return;
    };
    let output = expand(rest);
    let step = (usize::from(first) + 1) * 257;
    let reads: Vec<&[u8]> = output.chunks(step).collect();
    let got: Vec<Vec<u8>> = split_lines(&reads).iter().map(|b| b.to_vec()).collect();
    let want = reference(&output);
    assert_eq!(got.len(), want.len(), "message count, reads of {step}");
    assert!(
        got == want,
        "messages differ from the reference, reads of {step}"
    );
    assert!(got.iter().all(|m| m.len() <= MAX_LINE));
});
