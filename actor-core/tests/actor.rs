//! The trait-style actor: init, handle (calls and casts), terminate.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use actor_core::deterministic::Config;
use actor_core::{Actor, ActorCtx, CallError, ExitReason, Reply, Runtime, StartError, start};

type Log = Arc<Mutex<Vec<String>>>;

struct Account {
    balance: i64,
    log: Log,
    fail_init: bool,
}

enum Msg {
    Deposit(i64),
    Withdraw(i64, Reply<Result<i64, String>>),
    Balance(Reply<i64>),
    Close,
    Explode,
}

impl Actor for Account {
    type Msg = Msg;

    async fn init(&mut self, _ctx: &mut ActorCtx<Self>) -> Result<(), ExitReason> {
        self.log.lock().unwrap().push("init".into());
        if self.fail_init {
            return Err(ExitReason::other("no database"));
        }
        Ok(())
    }

    async fn handle(&mut self, msg: Msg, _ctx: &mut ActorCtx<Self>) -> Result<(), ExitReason> {
        match msg {
            Msg::Deposit(n) => self.balance += n,
            Msg::Withdraw(n, reply) => {
                let answer = if n > self.balance {
                    Err(format!("insufficient funds: {}", self.balance))
                } else {
                    self.balance -= n;
                    Ok(self.balance)
                };
                let _ = reply.send(answer);
            }
            Msg::Balance(reply) => {
                let _ = reply.send(self.balance);
            }
            Msg::Close => return Err(ExitReason::Normal),
            Msg::Explode => panic!("exploded"),
        }
        Ok(())
    }

    async fn terminate(&mut self, reason: &ExitReason, _ctx: &mut ActorCtx<Self>) {
        self.log.lock().unwrap().push(format!("terminate {reason}"));
    }
}

fn account(log: &Log, fail_init: bool) -> Account {
    Account {
        balance: 0,
        log: log.clone(),
        fail_init,
    }
}

const T: Duration = Duration::from_secs(5);

#[test]
fn calls_and_casts_are_handled_in_order() {
    Runtime::deterministic(Config::seeded(11)).block_on(async {
        let log = Log::default();
        let pid = start(account(&log, false)).await.unwrap();
        pid.send(Msg::Deposit(100)).await.unwrap();
        assert_eq!(pid.call(|r| Msg::Withdraw(30, r), T).await, Ok(Ok(70)));
        assert_eq!(
            pid.call(|r| Msg::Withdraw(100, r), T).await,
            Ok(Err("insufficient funds: 70".to_string()))
        );
        assert_eq!(pid.call(Msg::Balance, T).await, Ok(70));
        pid.send(Msg::Close).await.unwrap();
        assert!(pid.wait().await.is_normal());
        assert_eq!(*log.lock().unwrap(), ["init", "terminate normal"]);
    });
}

#[test]
fn a_failing_init_is_a_start_error() {
    Runtime::deterministic(Config::fifo()).block_on(async {
        let log = Log::default();
        let err = start(account(&log, true)).await.unwrap_err();
        assert_eq!(err, StartError::Failed(ExitReason::other("no database")));
        assert_eq!(*log.lock().unwrap(), ["init", "terminate no database"]);
    });
}

#[tokio::test]
async fn a_panic_in_handle_ends_the_actor_and_fails_pending_calls() {
    let log = Log::default();
    let pid = start(account(&log, false)).await.unwrap();
    pid.send(Msg::Explode).await.unwrap();
    let err = pid.call(Msg::Balance, T).await.unwrap_err();
    assert!(matches!(
        err,
        CallError::Exited(ExitReason::Panicked(_)) | CallError::Exited(ExitReason::NoProc)
    ));
    assert_eq!(pid.wait().await, ExitReason::Panicked("exploded".into()));
}

/// The seed's gevent `Actor`: an inbox and a `receive` in a loop, written
/// with the trait.
#[tokio::test]
async fn the_seeds_gevent_actor_in_trait_style() {
    struct Printer {
        seen: Log,
    }
    impl Actor for Printer {
        type Msg = String;
        async fn handle(
            &mut self,
            msg: String,
            _ctx: &mut ActorCtx<Self>,
        ) -> Result<(), ExitReason> {
            if msg == "stop" {
                return Err(ExitReason::Normal);
            }
            self.seen.lock().unwrap().push(msg);
            Ok(())
        }
    }
    let seen = Log::default();
    let pid = start(Printer { seen: seen.clone() }).await.unwrap();
    for m in ["hello", "world", "stop"] {
        pid.send(m.to_string()).await.unwrap();
    }
    assert!(pid.wait().await.is_normal());
    assert_eq!(*seen.lock().unwrap(), ["hello", "world"]);
}
