//! The registry: unique names, typed lookup, freed on exit.

use actor_core::deterministic::Config;
use actor_core::{Ctx, RegistryError, Runtime, register, spawn, unregister, whereis, whereis_any};

fn det<F: std::future::Future>(f: F) -> F::Output {
    Runtime::deterministic(Config::fifo()).block_on(f)
}

#[test]
fn register_and_look_up_by_name_and_type() {
    det(async {
        let p = spawn(|mut ctx: Ctx<u32>| async move {
            ctx.recv().await;
        });
        register("counter", &p).unwrap();
        assert_eq!(whereis::<u32>("counter"), Some(p.clone()));
        assert_eq!(whereis::<String>("counter"), None, "wrong message type");
        assert_eq!(whereis_any("counter").map(|a| a.id()), Some(p.id()));
        assert_eq!(whereis::<u32>("nobody"), None);
        p.kill();
    });
}

#[test]
fn a_taken_name_is_an_error_not_a_panic() {
    det(async {
        let a = spawn(|mut ctx: Ctx<()>| async move { ctx.recv().await });
        let b = spawn(|mut ctx: Ctx<()>| async move { ctx.recv().await });
        register("db", &a).unwrap();
        assert_eq!(register("db", &b), Err(RegistryError::Taken("db".into())));
        assert_eq!(whereis::<()>("db"), Some(a.clone()));
        a.kill();
        b.kill();
    });
}

#[test]
fn a_name_is_freed_when_its_process_exits() {
    det(async {
        let a = spawn(|mut ctx: Ctx<()>| async move { ctx.recv().await });
        register("worker", &a).unwrap();
        a.kill();
        a.wait().await;
        assert_eq!(whereis::<()>("worker"), None);
        let b = spawn(|mut ctx: Ctx<()>| async move { ctx.recv().await });
        register("worker", &b).unwrap();
        assert_eq!(whereis::<()>("worker"), Some(b.clone()));
        b.kill();
    });
}

#[test]
fn registering_a_dead_process_fails() {
    det(async {
        let a = spawn(|_ctx: Ctx<()>| async {});
        a.wait().await;
        assert_eq!(register("ghost", &a), Err(RegistryError::NoProc));
        assert_eq!(whereis::<()>("ghost"), None);
    });
}

#[test]
fn unregister_frees_the_name_and_keeps_the_process() {
    det(async {
        let a = spawn(|mut ctx: Ctx<()>| async move { ctx.recv().await });
        register("tmp", &a).unwrap();
        assert!(unregister("tmp"));
        assert!(!unregister("tmp"));
        assert_eq!(whereis::<()>("tmp"), None);
        assert!(a.is_alive());
        a.kill();
    });
}

#[test]
fn each_deterministic_run_has_its_own_registry() {
    for _ in 0..2 {
        det(async {
            let a = spawn(|mut ctx: Ctx<()>| async move { ctx.recv().await });
            register("per-run", &a).unwrap();
        });
    }
}

/// One name per process, as Erlang's `register/2`; the name it has stays.
#[test]
fn a_process_has_at_most_one_name() {
    det(async {
        let p = spawn(|mut ctx: Ctx<()>| async move { ctx.recv().await });
        register("first", &p).unwrap();
        assert_eq!(
            register("second", &p),
            Err(RegistryError::AlreadyNamed("first".into()))
        );
        assert_eq!(whereis::<()>("second"), None);
        assert_eq!(whereis::<()>("first"), Some(p.clone()));
        // Once unregistered it may take another.
        assert!(unregister("first"));
        register("second", &p).unwrap();
        assert_eq!(whereis::<()>("second"), Some(p.clone()));
        p.kill();
    });
}
