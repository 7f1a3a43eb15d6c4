//! The observer's process table, in headless Chromium, lists the known
//! processes with their labels, and sorts by a column when it is clicked.

mod observed;

use tests::browser::Browser;

#[test]
fn the_process_table_lists_the_known_processes() {
    let sys = observed::start();
    sys.rt.block_on(async {
        let b = Browser::start(1280, 900).await.unwrap();
        b.client.goto(&sys.page("processes")).await.unwrap();
        // Every child of `app` shows up, by label, with its id.
        let labels = b
            .until(
                r#"const rows = [...document.querySelectorAll('#process-table tbody tr')];
                   const labels = rows.map(r => r.children[2].textContent);
                   return ['alpha', 'beta', 'gamma', 'observer'].every(l => labels.some(t => t.startsWith(l))) && labels;"#,
            )
            .await
            .unwrap();
        let labels: Vec<String> = serde_json::from_value(labels).unwrap();
        assert!(labels.iter().any(|l| l.starts_with("observer-sampler")), "{labels:?}");
        for id in ["alpha", "beta", "gamma"] {
            let pid = sys.child(id).await.id().to_string();
            let found = b
                .js(&format!(
                    "return !!document.querySelector('#process-table tr[data-id=\"{pid}\"]');"
                ))
                .await
                .unwrap();
            assert_eq!(found, true, "{id} as {pid}");
        }
        // The supervisor is marked as one.
        let app = sys.app.id().to_string();
        let text = b
            .js(&format!(
                "return document.querySelector('#process-table tr[data-id=\"{app}\"]').textContent;"
            ))
            .await
            .unwrap();
        assert!(text.as_str().unwrap().contains("supervisor"), "{text}");

        // Filtering keeps only the matching rows.
        b.type_into("#filter", "gam").await.unwrap();
        b.until(
            r#"const rows = document.querySelectorAll('#process-table tbody tr');
               return rows.length === 1 && rows[0].children[2].textContent === 'gamma';"#,
        )
        .await
        .unwrap();
        b.close().await;
    });
}
