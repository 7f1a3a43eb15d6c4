//! Killing a supervised child from the observer's page: its supervisor
//! restarts it, and the tree and the log show the restart. The page's
//! restart button does the same through the supervisor.

mod observed;

use tests::browser::Browser;

#[test]
fn killing_a_supervised_child_from_the_page_shows_the_restart_in_the_tree_and_the_log() {
    let sys = observed::start();
    let beta = sys.rt.block_on(sys.child("beta"));
    let old = beta.id().to_string();
    sys.rt.block_on(async {
        let b = Browser::start(1280, 900).await.unwrap();
        b.client
            .goto(&sys.page(&format!("process/{old}")))
            .await
            .unwrap();
        b.until("return document.querySelector('#kill');").await.unwrap();
        b.type_into("#token", observed::TOKEN).await.unwrap();
        b.click("#kill").await.unwrap();
        let toast = b.toast().await.unwrap();
        assert_eq!(toast, format!("killed {old}"));

        // The tree: `beta` under `app`, a new process, one restart.
        b.client.goto(&sys.page("tree")).await.unwrap();
        let app = sys.app.id().to_string();
        let row = b
            .until(&format!(
                r#"const app = document.querySelector('#tree li[data-id="{app}"]');
                   if (!app) return null;
                   const li = [...app.querySelectorAll('li')].find(l => l.querySelector('strong')?.textContent === 'beta');
                   return li && li.textContent.includes('restarts 1') && li.dataset.id;"#
            ))
            .await
            .unwrap();
        let new = sys.child("beta").await.id().to_string();
        assert_eq!(row, new.as_str());
        assert_ne!(new, old);

        // The log: the exit (killed) and the restart.
        b.client.goto(&sys.page("log")).await.unwrap();
        let lines = b
            .until(&format!(
                r#"const lines = [...document.querySelectorAll('#log li')].map(l => l.textContent);
                   const exit = lines.find(l => l.includes('exited {old} [beta]: killed'));
                   const restart = lines.find(l => l.includes('restarted "beta": {old} -> {new}'));
                   return exit && restart && [exit, restart];"#
            ))
            .await
            .unwrap();
        assert_eq!(lines.as_array().unwrap().len(), 2);

        // The restart button: the supervisor starts `alpha` again, and the
        // page moves to the new process.
        let alpha = sys.child("alpha").await.id().to_string();
        b.client.goto(&sys.page(&format!("process/{alpha}"))).await.unwrap();
        b.until("return document.querySelector('#restart');").await.unwrap();
        b.click("#restart").await.unwrap();
        let restarts = b
            .until(&format!(
                r#"const r = document.querySelector('#detail-restarts');
                   const at = decodeURIComponent(location.hash);
                   return !at.includes('{alpha}') && r && r.textContent === '1' && at;"#
            ))
            .await
            .unwrap();
        let new_alpha = sys.child("alpha").await.id().to_string();
        assert!(restarts.as_str().unwrap().ends_with(&new_alpha), "{restarts}");
        b.close().await;
    });
}
