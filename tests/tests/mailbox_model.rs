//! The mailbox against a model: generated sequences of sends (several
//! senders, waiting and non-waiting, into unbounded and bounded
//! mailboxes), receives (plain, selective, with a timeout, without
//! waiting), cancelled receives and senders that stop, on the
//! deterministic runtime and on tokio's current-thread runtime.
//!
//! The test drives every party one step at a time, through channels that
//! are not the mailbox under test, so the order in which messages enter
//! the mailbox is known and the model is exact: a queue in arrival order;
//! a receive takes the first message that matches and leaves the rest in
//! order; a blocked receive takes the first matching message that
//! arrives; a bounded mailbox holds at most its capacity (messages skipped
//! by selective receives included), a sender that finds it full waits,
//! and a receive that makes room lets it in; a cancelled receive or send
//! takes or leaves nothing. Everything each party observes must equal the
//! model's prediction, and at the end the mailbox must hold exactly what
//! the model holds: nothing lost, duplicated or reordered.

mod common;

use std::collections::VecDeque;
use std::pin::pin;
use std::time::Duration;

use actor_core::deterministic::{self, Config};
use actor_core::{Ctx, Pid, Runtime, Spawn, TrySendError, spawn};
use futures::future::{Either, select};
use proptest::prelude::*;
use tokio::sync::mpsc::{UnboundedReceiver, UnboundedSender, unbounded_channel};

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
struct Msg {
    sender: u8,
    seq: u32,
    class: u8,
}

/// How a receive waits.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Mode {
    /// `try_recv`: not at all.
    Try,
    /// With a timeout that expires if nothing matches now.
    Short,
    /// With a timeout that never expires within a case.
    Long,
    /// `recv` / `recv_match`: until a message matches.
    Block,
}

#[derive(Clone, Copy, Debug)]
enum Op {
    Send {
        sender: u8,
        class: u8,
    },
    TrySend {
        sender: u8,
        class: u8,
    },
    /// A receive of the first message of `class` (any, if `None`).
    Receive {
        class: Option<u8>,
        mode: Mode,
    },
    /// Cancels a receive that is waiting.
    Cancel,
    /// Checks `Ctx::queued`.
    Queued,
    /// The sender ends: normally if idle, killed if blocked in a send.
    Stop {
        sender: u8,
    },
}

#[derive(Clone, Debug)]
struct Case {
    senders: u8,
    capacity: Option<usize>,
    ops: Vec<Op>,
}

/// A sender's answer to a send.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Ack {
    Sent,
    Full(Msg),
    Closed(Msg),
}

/// The receiver's answer to a command.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Report {
    Got(Option<Msg>),
    Cancelled,
    Queued(usize),
}

#[derive(Debug)]
enum SendCmd {
    Send(Msg),
    TrySend(Msg),
    Stop,
}

#[derive(Debug)]
enum RecvCmd {
    Receive { class: Option<u8>, mode: Mode },
    Cancel,
    Queued,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum SenderState {
    Idle,
    Blocked(Msg),
    Stopped,
}

/// What the driver tells the parties for one step.
enum Command {
    Sender(u8, SendCmd),
    Kill(u8),
    Receiver(RecvCmd),
}

/// What the parties must answer to one step.
#[derive(Debug, Default)]
struct Expect {
    acks: Vec<(u8, Ack)>,
    report: Option<Report>,
    /// A sender that ends, and whether it is killed.
    ends: Option<(u8, bool)>,
}

struct Model {
    capacity: Option<usize>,
    queue: VecDeque<Msg>,
    senders: Vec<SenderState>,
    next_seq: Vec<u32>,
    /// A receive that is waiting: its class.
    pending: Option<Option<u8>>,
}

fn matches(class: Option<u8>, m: &Msg) -> bool {
    class.is_none_or(|c| m.class == c)
}

impl Model {
    fn new(senders: u8, capacity: Option<usize>) -> Model {
        Model {
            capacity,
            queue: VecDeque::new(),
            senders: vec![SenderState::Idle; senders as usize],
            next_seq: vec![0; senders as usize],
            pending: None,
        }
    }

    fn full(&self) -> bool {
        self.capacity.is_some_and(|c| self.queue.len() >= c)
    }

    fn blocked(&self) -> Option<usize> {
        self.senders
            .iter()
            .position(|s| matches!(s, SenderState::Blocked(_)))
    }

    fn next(&mut self, sender: u8, class: u8) -> Msg {
        let seq = &mut self.next_seq[sender as usize];
        *seq += 1;
        Msg {
            sender,
            seq: *seq,
            class,
        }
    }

    /// A message enters the mailbox: a waiting receive that it matches
    /// takes it, otherwise it joins the queue.
    fn arrive(&mut self, msg: Msg, expect: &mut Expect) {
        if let Some(class) = self.pending
            && matches(class, &msg)
        {
            self.pending = None;
            expect.report = Some(Report::Got(Some(msg)));
            return;
        }
        self.queue.push_back(msg);
    }

    /// A receive takes the message at `i`; a blocked sender gets the room.
    fn take(&mut self, i: usize, expect: &mut Expect) -> Msg {
        let m = self.queue.remove(i).expect("index in range");
        if !self.full()
            && let Some(s) = self.blocked()
        {
            let SenderState::Blocked(msg) = self.senders[s] else {
                unreachable!()
            };
            self.senders[s] = SenderState::Idle;
            expect.acks.push((s as u8, Ack::Sent));
            self.arrive(msg, expect);
        }
        m
    }

    /// The step `op` stands for, and what it must produce; `None` if the
    /// op does not apply in this state (it is skipped).
    fn apply(&mut self, op: Op) -> Option<(Command, Expect)> {
        let n = self.senders.len() as u8;
        let mut expect = Expect::default();
        let command = match op {
            Op::Send { sender, class } => {
                let s = sender % n;
                if self.senders[s as usize] != SenderState::Idle {
                    return None;
                }
                if self.full() {
                    // One blocked sender at a time: which of several gets
                    // the room first is not part of the contract.
                    if self.blocked().is_some() {
                        return None;
                    }
                    let msg = self.next(s, class);
                    self.senders[s as usize] = SenderState::Blocked(msg);
                    Command::Sender(s, SendCmd::Send(msg))
                } else {
                    let msg = self.next(s, class);
                    expect.acks.push((s, Ack::Sent));
                    self.arrive(msg, &mut expect);
                    Command::Sender(s, SendCmd::Send(msg))
                }
            }
            Op::TrySend { sender, class } => {
                let s = sender % n;
                if self.senders[s as usize] != SenderState::Idle {
                    return None;
                }
                let msg = self.next(s, class);
                if self.full() {
                    expect.acks.push((s, Ack::Full(msg)));
                } else {
                    expect.acks.push((s, Ack::Sent));
                    self.arrive(msg, &mut expect);
                }
                Command::Sender(s, SendCmd::TrySend(msg))
            }
            Op::Receive { class, mode } => {
                if self.pending.is_some() {
                    return None;
                }
                // There is no selective try_recv.
                let class = if mode == Mode::Try { None } else { class };
                match self.queue.iter().position(|m| matches(class, m)) {
                    Some(i) => {
                        let m = self.take(i, &mut expect);
                        expect.report = Some(Report::Got(Some(m)));
                    }
                    None if matches!(mode, Mode::Try | Mode::Short) => {
                        expect.report = Some(Report::Got(None));
                    }
                    None => self.pending = Some(class),
                }
                Command::Receiver(RecvCmd::Receive { class, mode })
            }
            Op::Cancel => {
                self.pending.take()?;
                expect.report = Some(Report::Cancelled);
                Command::Receiver(RecvCmd::Cancel)
            }
            Op::Queued => {
                if self.pending.is_some() {
                    return None;
                }
                expect.report = Some(Report::Queued(self.queue.len()));
                Command::Receiver(RecvCmd::Queued)
            }
            Op::Stop { sender } => {
                let s = sender % n;
                match self.senders[s as usize] {
                    SenderState::Stopped => return None,
                    SenderState::Idle => {
                        self.senders[s as usize] = SenderState::Stopped;
                        expect.ends = Some((s, false));
                        Command::Sender(s, SendCmd::Stop)
                    }
                    // Its send is cancelled: the message is never sent.
                    SenderState::Blocked(_) => {
                        self.senders[s as usize] = SenderState::Stopped;
                        expect.ends = Some((s, true));
                        Command::Kill(s)
                    }
                }
            }
        };
        Some((command, expect))
    }

    /// The ops that end a case: cancel a waiting receive, then take
    /// everything left (letting a blocked sender in), then find nothing.
    fn closing_op(&self) -> Option<Op> {
        if self.pending.is_some() {
            return Some(Op::Cancel);
        }
        if !self.queue.is_empty() || self.blocked().is_some() {
            return Some(Op::Receive {
                class: None,
                mode: Mode::Try,
            });
        }
        None
    }
}

async fn receiver(
    mut ctx: Ctx<Msg>,
    mut cmds: UnboundedReceiver<RecvCmd>,
    reports: UnboundedSender<Report>,
    short: Duration,
    long: Duration,
) {
    while let Some(cmd) = cmds.recv().await {
        let report = match cmd {
            RecvCmd::Receive { class, mode } => {
                let pred = move |m: &Msg| matches(class, m);
                match mode {
                    Mode::Try => Report::Got(ctx.try_recv()),
                    Mode::Short => Report::Got(match class {
                        None => ctx.recv_timeout(short).await,
                        Some(_) => ctx.recv_match_timeout(pred, short).await,
                    }),
                    Mode::Long | Mode::Block => {
                        let receive = async {
                            match (class, mode) {
                                (None, Mode::Block) => Some(ctx.recv().await),
                                (Some(_), Mode::Block) => Some(ctx.recv_match(pred).await),
                                (None, _) => ctx.recv_timeout(long).await,
                                (Some(_), _) => ctx.recv_match_timeout(pred, long).await,
                            }
                        };
                        // The only command that may come while it waits.
                        match select(pin!(receive), pin!(cmds.recv())).await {
                            Either::Left((got, _)) => Report::Got(got),
                            Either::Right((Some(RecvCmd::Cancel), _)) => Report::Cancelled,
                            Either::Right((other, _)) => {
                                panic!("{other:?} while receiving")
                            }
                        }
                    }
                }
            }
            RecvCmd::Cancel => panic!("a cancel with no receive waiting"),
            RecvCmd::Queued => Report::Queued(ctx.queued()),
        };
        let _ = reports.send(report);
    }
}

async fn sender(
    id: u8,
    to: Pid<Msg>,
    mut cmds: UnboundedReceiver<SendCmd>,
    acks: UnboundedSender<(u8, Ack)>,
) {
    while let Some(cmd) = cmds.recv().await {
        let ack = match cmd {
            SendCmd::Send(m) => match to.send(m).await {
                Ok(()) => Ack::Sent,
                Err(e) => Ack::Closed(e.0),
            },
            SendCmd::TrySend(m) => match to.try_send(m) {
                Ok(()) => Ack::Sent,
                Err(TrySendError::Full(m)) => Ack::Full(m),
                Err(TrySendError::Closed(m)) => Ack::Closed(m),
                Err(other) => panic!("unknown TrySendError {other:?}"),
            },
            SendCmd::Stop => return,
        };
        let _ = acks.send((id, ack));
    }
}

/// The next value from a party, within `patience`.
async fn next<T>(rx: &mut UnboundedReceiver<T>, patience: Duration) -> Result<T, String> {
    match actor_core::timeout(patience, rx.recv()).await {
        Ok(Some(v)) => Ok(v),
        Ok(None) => Err("a party is gone".into()),
        Err(_) => Err(format!("nothing came within {patience:?}")),
    }
}

struct Times {
    /// A timeout that expires (nothing matches).
    short: Duration,
    /// A timeout that does not expire within a case.
    long: Duration,
    /// How long the driver waits for an answer that is due.
    patience: Duration,
}

async fn run_case(case: Case, times: Times) -> Result<(), String> {
    let (cmd_tx, cmd_rx) = unbounded_channel();
    let (report_tx, mut reports) = unbounded_channel();
    let opts = match case.capacity {
        Some(c) => Spawn::new().bounded(c),
        None => Spawn::new(),
    };
    let (short, long) = (times.short, times.long);
    let rx: Pid<Msg> = opts.spawn(move |ctx| receiver(ctx, cmd_rx, report_tx, short, long));
    let (ack_tx, mut acks) = unbounded_channel();
    let senders: Vec<(Pid<()>, UnboundedSender<SendCmd>)> = (0..case.senders)
        .map(|id| {
            let (tx, cmds) = unbounded_channel();
            let (to, acks) = (rx.clone(), ack_tx.clone());
            (spawn(move |_: Ctx<()>| sender(id, to, cmds, acks)), tx)
        })
        .collect();
    let mut model = Model::new(case.senders, case.capacity);
    let mut done = Vec::new();
    let mut ops = case.ops.into_iter();
    loop {
        let op = match ops.next() {
            Some(op) => op,
            None => match model.closing_op() {
                Some(op) => op,
                None => break,
            },
        };
        let Some((command, mut expect)) = model.apply(op) else {
            continue;
        };
        done.push(op);
        let step = |what: String| {
            format!(
                "step {} ({op:?}): {what}\n  steps so far: {done:?}",
                done.len()
            )
        };
        match command {
            Command::Sender(s, cmd) => {
                let _ = senders[s as usize].1.send(cmd);
            }
            Command::Kill(s) => senders[s as usize].0.kill(),
            Command::Receiver(cmd) => {
                let _ = cmd_tx.send(cmd);
            }
        }
        let mut got = Vec::new();
        for _ in 0..expect.acks.len() {
            got.push(next(&mut acks, times.patience).await.map_err(&step)?);
        }
        got.sort();
        expect.acks.sort();
        if got != expect.acks {
            return Err(step(format!(
                "senders answered {got:?}, the model says {:?}",
                expect.acks
            )));
        }
        if let Some(want) = expect.report {
            let report = next(&mut reports, times.patience).await.map_err(&step)?;
            if report != want {
                return Err(step(format!(
                    "the receiver answered {report:?}, the model says {want:?}"
                )));
            }
        }
        if let Some((s, killed)) = expect.ends {
            let reason = senders[s as usize].0.wait().await;
            if reason.is_normal() == killed {
                return Err(step(format!("sender {s} ended with {reason}")));
            }
        }
    }
    // All taken: nothing is left, and nothing more answers.
    let _ = cmd_tx.send(RecvCmd::Receive {
        class: None,
        mode: Mode::Try,
    });
    let _ = cmd_tx.send(RecvCmd::Queued);
    let left = (
        next(&mut reports, times.patience).await?,
        next(&mut reports, times.patience).await?,
    );
    if left != (Report::Got(None), Report::Queued(0)) {
        return Err(format!("at the end the receiver answered {left:?}"));
    }
    if let Ok(extra) = acks.try_recv() {
        return Err(format!("an answer no step asked for: {extra:?}"));
    }
    drop(cmd_tx);
    let reason = rx.wait().await;
    if !reason.is_normal() {
        return Err(format!("the receiver ended with {reason}"));
    }
    // A send to the ended receiver gives the message back.
    if let Some(s) = model.senders.iter().position(|s| *s == SenderState::Idle) {
        let msg = model.next(s as u8, 0);
        let _ = senders[s].1.send(SendCmd::TrySend(msg));
        let _ = senders[s].1.send(SendCmd::Send(msg));
        let answers = (
            next(&mut acks, times.patience).await?,
            next(&mut acks, times.patience).await?,
        );
        let closed = (s as u8, Ack::Closed(msg));
        if answers != (closed, closed) {
            return Err(format!(
                "sending to the ended receiver answered {answers:?}"
            ));
        }
    }
    Ok(())
}

fn op() -> impl Strategy<Value = Op> {
    let mode = prop_oneof![
        Just(Mode::Try),
        Just(Mode::Short),
        Just(Mode::Long),
        Just(Mode::Block)
    ];
    prop_oneof![
        4 => (0u8..4, 0u8..3).prop_map(|(sender, class)| Op::Send { sender, class }),
        2 => (0u8..4, 0u8..3).prop_map(|(sender, class)| Op::TrySend { sender, class }),
        4 => (proptest::option::of(0u8..3), mode)
            .prop_map(|(class, mode)| Op::Receive { class, mode }),
        1 => Just(Op::Cancel),
        1 => Just(Op::Queued),
        1 => (0u8..4).prop_map(|sender| Op::Stop { sender }),
    ]
}

fn case() -> impl Strategy<Value = Case> {
    (
        1u8..=4,
        prop_oneof![Just(None), (1usize..=4).prop_map(Some)],
        proptest::collection::vec(op(), 0..64),
    )
        .prop_map(|(senders, capacity, ops)| Case {
            senders,
            capacity,
            ops,
        })
}

proptest! {
    #![proptest_config(common::config())]

    /// On the deterministic runtime: the seed chooses which ready process
    /// runs next; time is virtual.
    #[test]
    fn mailbox_matches_its_model_on_the_deterministic_runtime(case in case(), seed in any::<u64>()) {
        let times = Times {
            short: Duration::from_millis(1),
            long: Duration::from_secs(3600),
            patience: Duration::from_secs(60),
        };
        let out = deterministic::run(Config::seeded(seed), run_case(case, times));
        match out.result {
            Ok(Ok(())) => {}
            Ok(Err(e)) => prop_assert!(false, "seed {seed}: {e}"),
            Err(e) => prop_assert!(false, "seed {seed}: the run stopped: {e}"),
        }
    }

    /// On tokio's current-thread runtime, in real time.
    #[test]
    fn mailbox_matches_its_model_on_tokio(case in case()) {
        let times = Times {
            short: Duration::from_millis(1),
            long: Duration::from_secs(60),
            patience: Duration::from_secs(10),
        };
        let result = Runtime::tokio_current_thread().block_on(run_case(case, times));
        prop_assert!(result.is_ok(), "{}", result.unwrap_err());
    }
}
