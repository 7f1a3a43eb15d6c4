//! The seed's `stackless.channel` example: a rendezvous between a
//! receiving and a sending tasklet, with a third tasklet in the run queue
//! to show who runs when.
//!
//! ```python
//! channel = stackless.channel()
//! def receiving_tasklet():
//!     print "Receiving tasklet started"
//!     print channel.receive()
//!     print "Receiving tasklet finished"
//! def sending_tasklet():
//!     print "Sending tasklet started"
//!     channel.send("send from sending_tasklet")
//!     print "sending tasklet finished"
//! def another_tasklet():
//!     print "Just another tasklet in the scheduler"
//! stackless.tasklet(receiving_tasklet)()
//! stackless.tasklet(sending_tasklet)()
//! stackless.tasklet(another_tasklet)()
//! stackless.run()
//! ```
//!
//! The receiver blocks in `receive`; the sender hands it the value, and
//! then the receiver runs next (ahead of the third tasklet) while the
//! sender goes to the back of the run queue. So the sender's last line
//! comes last.
//!
//! `cargo run -p examples --example stackless_channel`

use std::sync::Arc;

use actor_core::deterministic::Config;
use actor_core::sync::Channel;
use actor_core::{Ctx, Runtime, spawn};
use clap::Parser;

/// Where the example's lines go: standard output, or a test's buffer.
type Out = Arc<dyn Fn(&str) + Send + Sync>;

/// Runs the example, handing each printed line to `out`.
pub(crate) fn run(out: Out) {
    Runtime::deterministic(Config::fifo()).block_on(async move {
        let channel: Channel<String> = Channel::new();

        let (ch, print) = (channel.clone(), out.clone());
        let receiving = spawn(move |_: Ctx<()>| async move {
            print("Receiving tasklet started");
            print(&ch.recv().await.expect("the channel stays open"));
            print("Receiving tasklet finished");
        });

        let (ch, print) = (channel.clone(), out.clone());
        let sending = spawn(move |_: Ctx<()>| async move {
            print("Sending tasklet started");
            ch.send("send from sending_tasklet".to_string())
                .await
                .expect("the channel stays open");
            print("sending tasklet finished");
        });

        let print = out.clone();
        let another = spawn(move |_: Ctx<()>| async move {
            print("Just another tasklet in the scheduler");
        });

        for t in [receiving, sending, another] {
            t.wait().await;
        }
    });
}

/// The seed's `stackless.channel` example: who runs when at a
/// rendezvous.
#[derive(Parser)]
#[command(name = "stackless_channel")]
pub(crate) struct Args {}

fn main() {
    Args::parse();
    run(Arc::new(|line| println!("{line}")));
}
