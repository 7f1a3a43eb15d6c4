//! Event and AsyncResult: setting wakes every waiter; a value or an error
//! is set once and read by all; waits with a timeout follow virtual time.

use std::time::Duration;

use actor_core::deterministic::{self, Config};
use actor_core::sync::{AlreadySet, AsyncResult, Event};
use actor_core::{Ctx, Runtime, spawn, yield_now};

#[test]
fn setting_an_event_wakes_every_waiter() {
    let out = deterministic::run(Config::seeded(1), async {
        let e = Event::new();
        let waiters: Vec<_> = (0..5)
            .map(|_| {
                let e = e.clone();
                spawn(move |_: Ctx<()>| async move { e.wait().await })
            })
            .collect();
        actor_core::sleep(Duration::from_secs(1)).await;
        assert!(waiters.iter().all(|w| w.is_alive()));
        e.set();
        for w in waiters {
            assert!(w.wait().await.is_normal());
        }
        actor_core::now()
    });
    assert_eq!(out.result, Ok(Duration::from_secs(1)));
}

#[test]
fn a_set_event_lets_waits_through_until_cleared() {
    let out = deterministic::run(Config::fifo(), async {
        let e = Event::new();
        e.set();
        e.wait().await;
        assert!(e.wait_timeout(Duration::from_secs(1)).await);
        e.clear();
        assert!(!e.is_set());
        e.wait_timeout(Duration::from_secs(5)).await
    });
    assert_eq!(out.result, Ok(false));
    assert_eq!(out.elapsed, Duration::from_secs(5));
}

#[test]
fn a_waiter_woken_by_set_returns_even_if_cleared_before_it_runs() {
    Runtime::deterministic(Config::fifo()).block_on(async {
        let e = Event::new();
        let e2 = e.clone();
        let w = spawn(move |_: Ctx<()>| async move { e2.wait().await });
        yield_now().await;
        e.set();
        e.clear();
        assert!(w.wait().await.is_normal());
    });
}

#[test]
fn every_getter_gets_the_value() {
    let out = deterministic::run(Config::seeded(9), async {
        let r: AsyncResult<String, String> = AsyncResult::new();
        let getters: Vec<_> = (0..3)
            .map(|_| {
                let r = r.clone();
                spawn(move |_: Ctx<()>| async move {
                    assert_eq!(r.get().await.as_deref(), Ok("answer"));
                })
            })
            .collect();
        yield_now().await;
        assert!(!r.ready());
        r.set("answer".into()).unwrap();
        for g in getters {
            assert!(g.wait().await.is_normal());
        }
        (r.successful(), r.try_get())
    });
    assert_eq!(out.result, Ok((true, Some(Ok("answer".to_string())))));
}

#[test]
fn an_error_is_delivered_and_the_first_setting_stays() {
    Runtime::deterministic(Config::fifo()).block_on(async {
        let r: AsyncResult<u32, String> = AsyncResult::new();
        let r2 = r.clone();
        spawn(move |_: Ctx<()>| async move { r2.set_error("failed".into()).unwrap() });
        assert_eq!(r.get().await, Err("failed".to_string()));
        assert!(r.ready() && !r.successful());
        assert_eq!(r.set(1), Err(AlreadySet(1)));
        let err = r.set_error("again".into()).unwrap_err();
        assert_eq!(err.to_string(), "the result has already been set");
        assert_eq!(r.get().await, Err("failed".to_string()));
    });
}

#[test]
fn get_with_a_timeout_gives_up_in_virtual_time() {
    let out = deterministic::run(Config::fifo(), async {
        let r: AsyncResult<u32, String> = AsyncResult::new();
        let r2 = r.clone();
        let late = spawn(move |_: Ctx<()>| async move {
            actor_core::sleep(Duration::from_secs(120)).await;
            r2.set(5).unwrap();
        });
        let first = r.get_timeout(Duration::from_secs(60)).await;
        let second = r.get_timeout(Duration::from_secs(600)).await;
        late.wait().await;
        (first, second, actor_core::now())
    });
    assert_eq!(
        out.result,
        Ok((None, Some(Ok(5)), Duration::from_secs(120)))
    );
}

#[test]
fn event_and_async_result_work_across_tokios_threads() {
    Runtime::tokio().block_on(async {
        let (e, r) = (Event::new(), AsyncResult::<u64, ()>::new());
        let (e2, r2) = (e.clone(), r.clone());
        let p = spawn(move |_: Ctx<()>| async move {
            e2.wait().await;
            r2.set(7).unwrap();
        });
        e.set();
        assert_eq!(r.get().await, Ok(7));
        assert!(p.wait().await.is_normal());
    });
}
