//! Without the token the page's actions are refused: the page says so
//! (401) and nothing is killed; with a wrong token, 403.

mod observed;

use tests::browser::Browser;

#[test]
fn a_kill_without_the_token_is_refused_and_kills_nothing() {
    let sys = observed::start();
    let gamma = sys.rt.block_on(sys.child("gamma"));
    let id = gamma.id().to_string();
    sys.rt.block_on(async {
        let b = Browser::start(1280, 900).await.unwrap();
        b.client
            .goto(&sys.page(&format!("process/{id}")))
            .await
            .unwrap();
        b.until("return document.querySelector('#kill');")
            .await
            .unwrap();
        b.click("#kill").await.unwrap();
        let toast = b.toast().await.unwrap();
        assert!(toast.starts_with("kill refused (401)"), "{toast}");
        assert!(gamma.is_alive());

        b.type_into("#token", "not-it").await.unwrap();
        b.click("#kill").await.unwrap();
        let toast = b.toast().await.unwrap();
        assert!(toast.starts_with("kill refused (403)"), "{toast}");
        assert!(gamma.is_alive());
        b.close().await;
    });
}
