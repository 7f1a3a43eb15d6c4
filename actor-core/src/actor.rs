//! The trait-style actor (like OTP's `gen_server`): state plus `handle`,
//! with `init` and `terminate`, running as an ordinary process.

use std::future::Future;

use crate::ctx::Ctx;
use crate::error::StartError;
use crate::pid::Pid;
use crate::signal::ExitReason;
use crate::spawn::spawn;

/// The context an [`Actor`]'s callbacks receive: its process's [`Ctx`].
pub type ActorCtx<A> = Ctx<<A as Actor>::Msg>;

/// An actor: state that handles one message at a time.
///
/// Calls are messages that carry a [`Reply`](crate::Reply), so `handle`
/// serves both calls and casts. Returning `Err(reason)` stops the actor
/// with that reason (`Err(ExitReason::Normal)` for a normal stop), after
/// [`terminate`](Actor::terminate).
///
/// `terminate` runs when `init` or `handle` stops the actor; a kill or an
/// exit signal ends the process at its next `.await` without it, but the
/// actor's state is dropped in every case, so `Drop` is the place for
/// cleanup that must always happen.
///
/// # Examples
///
/// ```
/// use actor_core::{start, Actor, ActorCtx, ExitReason, Reply, Runtime};
/// use std::time::Duration;
///
/// struct Counter { n: u64 }
///
/// enum Msg { Incr, Get(Reply<u64>), Stop }
///
/// impl Actor for Counter {
///     type Msg = Msg;
///     async fn handle(&mut self, msg: Msg, _ctx: &mut ActorCtx<Self>) -> Result<(), ExitReason> {
///         match msg {
///             Msg::Incr => self.n += 1,
///             Msg::Get(reply) => { let _ = reply.send(self.n); }
///             Msg::Stop => return Err(ExitReason::Normal),
///         }
///         Ok(())
///     }
/// }
///
/// Runtime::tokio().block_on(async {
///     let pid = start(Counter { n: 0 }).await.unwrap();
///     pid.send(Msg::Incr).await.unwrap();
///     pid.send(Msg::Incr).await.unwrap();
///     assert_eq!(pid.call(Msg::Get, Duration::from_secs(1)).await, Ok(2));
///     pid.send(Msg::Stop).await.unwrap();
///     assert!(pid.wait().await.is_normal());
/// });
/// ```
pub trait Actor: Send + Sized + 'static {
    /// The messages it handles.
    type Msg: Send + 'static;

    /// Runs in the new process before any message. An error stops the actor
    /// and makes [`start`] fail with it.
    fn init(
        &mut self,
        ctx: &mut ActorCtx<Self>,
    ) -> impl Future<Output = Result<(), ExitReason>> + Send {
        let _ = ctx;
        async { Ok(()) }
    }

    /// Handles one message.
    fn handle(
        &mut self,
        msg: Self::Msg,
        ctx: &mut ActorCtx<Self>,
    ) -> impl Future<Output = Result<(), ExitReason>> + Send;

    /// Runs when `init` or `handle` stopped the actor, with the reason.
    fn terminate(
        &mut self,
        reason: &ExitReason,
        ctx: &mut ActorCtx<Self>,
    ) -> impl Future<Output = ()> + Send {
        let _ = (reason, ctx);
        async {}
    }
}

/// Starts `actor` in a new process and waits until its `init` has run.
///
/// # Errors
///
/// [`StartError::Failed`] with the reason if `init` fails or panics.
///
/// # Panics
///
/// Outside a runtime, as [`spawn`].
pub async fn start<A: Actor>(actor: A) -> Result<Pid<A::Msg>, StartError> {
    let (tx, rx) = tokio::sync::oneshot::channel();
    let pid = spawn(move |mut ctx: Ctx<A::Msg>| async move {
        let mut actor = actor;
        let reason = match actor.init(&mut ctx).await {
            Err(reason) => {
                let _ = tx.send(Err(reason.clone()));
                reason
            }
            Ok(()) => {
                let _ = tx.send(Ok(()));
                loop {
                    let msg = ctx.recv().await;
                    if let Err(reason) = actor.handle(msg, &mut ctx).await {
                        break reason;
                    }
                }
            }
        };
        actor.terminate(&reason, &mut ctx).await;
        reason
    });
    match rx.await {
        Ok(Ok(())) => Ok(pid),
        Ok(Err(reason)) => Err(StartError::Failed(reason)),
        // init panicked or was killed: the process's exit reason says why.
        Err(_) => Err(StartError::Failed(pid.wait().await)),
    }
}
