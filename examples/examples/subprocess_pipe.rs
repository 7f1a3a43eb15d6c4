//! A process drives an interactive child, `bc`, through its pipes (the
//! seed's `gevent.subprocess`): it sends a line, receives the answer as a
//! message, and so on. Exits 0 when every answer is right.
//!
//! `cargo run -p examples --example subprocess_pipe` (needs `bc`).

use actor_core::Runtime;
use examples::calc::{BC_QUESTIONS, ask_bc};

fn main() {
    let questions: Vec<&str> = BC_QUESTIONS.iter().map(|(q, _)| *q).collect();
    let answers = match Runtime::tokio().block_on(ask_bc(&questions)) {
        Ok(answers) => answers,
        Err(e) => {
            eprintln!("subprocess_pipe: {e}");
            std::process::exit(1);
        }
    };
    let mut wrong = 0;
    for ((question, expected), answer) in BC_QUESTIONS.iter().zip(&answers) {
        let mark = if answer == expected { "ok" } else { "WRONG" };
        println!("bc: {question} = {answer} [{mark}]");
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
