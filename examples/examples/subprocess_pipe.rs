//! A process drives an interactive child through its pipes (the seed's
//! `gevent.subprocess`): a calculator in `sh` that reads an expression per
//! line and answers its value. The process sends a line, receives the
//! answer as a message, and so on. Exits 0 when every answer is right.
//!
//! `cargo run -p examples --example subprocess_pipe`

use actor_core::Runtime;
use clap::Parser;
use examples::calc::{QUESTIONS, ask};

/// Drives a calculator in `sh` through its pipes, a question per line,
/// and checks every answer.
#[derive(Parser)]
#[command(name = "subprocess_pipe")]
pub(crate) struct Args {}

fn main() {
    Args::parse();
    let questions: Vec<&str> = QUESTIONS.iter().map(|(q, _)| *q).collect();
    let answers = match Runtime::tokio().block_on(ask(&questions)) {
        Ok(answers) => answers,
        Err(e) => {
            eprintln!("subprocess_pipe: {e}");
            std::process::exit(1);
        }
    };
    let mut wrong = 0;
    for ((question, expected), answer) in QUESTIONS.iter().zip(&answers) {
        let mark = if answer == expected { "ok" } else { "WRONG" };
        println!("sh: $(({question})) = {answer} [{mark}]");
        if answer != expected {
            wrong += 1;
        }
    }
    if wrong > 0 {
        eprintln!("subprocess_pipe: {wrong} wrong answers");
        std::process::exit(1);
    }
    println!("subprocess_pipe: all {} answers right", answers.len());
}
