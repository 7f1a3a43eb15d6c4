//! Headless Chromium driven through chromedriver (Debian's `chromium` and
//! `chromium-driver`), for the observer's browser tests and screenshots.
//!
//! Each [`Browser`] starts its own chromedriver on a free loopback port
//! (chromedriver picks it and says so on its output: that line is the
//! signal that it is ready) and a Chromium with a fresh profile, and stops
//! both when dropped.

use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::{Value, json};

/// Where Debian puts them.
pub const CHROMIUM: &str = "/usr/bin/chromium";
/// Where Debian puts it.
pub const CHROMEDRIVER: &str = "/usr/bin/chromedriver";

/// How long a wait for the page may take.
pub const WAIT: Duration = Duration::from_secs(30);

/// A headless Chromium under chromedriver.
pub struct Browser {
    /// The WebDriver session.
    pub client: Client,
    driver: Child,
    profile: PathBuf,
}

impl Browser {
    /// Starts chromedriver and a headless Chromium, `width`×`height`.
    ///
    /// # Errors
    ///
    /// A message naming what is missing or what failed.
    pub async fn start(width: u32, height: u32) -> Result<Browser, String> {
        for path in [CHROMIUM, CHROMEDRIVER] {
            if !std::path::Path::new(path).exists() {
                return Err(format!(
                    "{path} is missing: apt-get install chromium chromium-driver"
                ));
            }
        }
        let mut driver = Command::new(CHROMEDRIVER)
            .arg("--port=0")
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .map_err(|e| format!("cannot start {CHROMEDRIVER}: {e}"))?;
        let stdout = driver.stdout.take().ok_or("chromedriver has no stdout")?;
        // chromedriver says when it is ready, and on which port.
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if let Some(rest) = line.split("started successfully on port ").nth(1) {
                    let _ = tx.send(rest.trim_end_matches('.').trim().to_string());
                }
            }
        });
        let port = match rx.recv_timeout(WAIT) {
            Ok(p) => p,
            Err(_) => {
                let _ = driver.kill();
                return Err("chromedriver did not say it was ready".into());
            }
        };
        let profile =
            std::env::temp_dir().join(format!("observer-chromium-{}-{}", std::process::id(), port));
        let args = vec![
            "--headless".to_string(),
            "--no-sandbox".into(),
            "--disable-gpu".into(),
            "--disable-quic".into(),
            "--no-first-run".into(),
            "--disable-background-networking".into(),
            "--disable-component-update".into(),
            "--disable-sync".into(),
            format!("--user-data-dir={}", profile.display()),
            format!("--window-size={width},{height}"),
        ];
        let caps = json!({
            "goog:chromeOptions": { "binary": CHROMIUM, "args": args },
            "timeouts": { "script": WAIT.as_millis() as u64 },
        });
        let caps = match caps {
            Value::Object(m) => m,
            _ => unreachable!("built as an object"),
        };
        let connector = hyper_util::client::legacy::connect::HttpConnector::new();
        let client = ClientBuilder::new(connector)
            .capabilities(caps)
            .connect(&format!("http://127.0.0.1:{port}"))
            .await;
        match client {
            Ok(client) => Ok(Browser {
                client,
                driver,
                profile,
            }),
            Err(e) => {
                let _ = driver.kill();
                let _ = driver.wait();
                Err(format!("no WebDriver session: {e}"))
            }
        }
    }

    /// Waits until the JavaScript function body `condition` returns a
    /// truthy value, and returns it. The page checks it again on every
    /// change of its DOM (a `MutationObserver`): nothing sleeps.
    ///
    /// # Errors
    ///
    /// The WebDriver error if the condition does not hold within [`WAIT`].
    pub async fn until(&self, condition: &str) -> Result<Value, String> {
        let script = r#"
            const done = arguments[arguments.length - 1];
            const f = new Function(arguments[0]);
            let obs = null;
            const check = () => {
                let v = null;
                try { v = f(); } catch (e) { v = null; }
                if (v) { if (obs) obs.disconnect(); done(v); return true; }
                return false;
            };
            if (!check()) {
                obs = new MutationObserver(check);
                obs.observe(document, { subtree: true, childList: true, characterData: true, attributes: true });
            }
        "#;
        self.client
            .execute_async(script, vec![json!(condition)])
            .await
            .map_err(|e| format!("waited {WAIT:?} for `{condition}`: {e}"))
    }

    /// Runs a JavaScript function body and returns its value.
    ///
    /// # Errors
    ///
    /// The WebDriver error.
    pub async fn js(&self, body: &str) -> Result<Value, String> {
        self.client
            .execute(body, vec![])
            .await
            .map_err(|e| format!("`{body}`: {e}"))
    }

    /// Clicks the element that CSS selector `css` finds.
    ///
    /// # Errors
    ///
    /// The WebDriver error if there is no such element or it cannot be
    /// clicked.
    pub async fn click(&self, css: &str) -> Result<(), String> {
        self.client
            .find(Locator::Css(css))
            .await
            .map_err(|e| format!("`{css}`: {e}"))?
            .click()
            .await
            .map_err(|e| format!("clicking `{css}`: {e}"))
    }

    /// Types `text` into the element that CSS selector `css` finds.
    ///
    /// # Errors
    ///
    /// The WebDriver error if there is no such element or it takes no
    /// keys.
    pub async fn type_into(&self, css: &str, text: &str) -> Result<(), String> {
        self.client
            .find(Locator::Css(css))
            .await
            .map_err(|e| format!("`{css}`: {e}"))?
            .send_keys(text)
            .await
            .map_err(|e| format!("typing into `{css}`: {e}"))
    }

    /// Waits until the observer page shows its toast (the answer to an
    /// action), returns its text and hides it, so that the next call
    /// waits for the next answer.
    ///
    /// # Errors
    ///
    /// The WebDriver error if no toast shows within [`WAIT`].
    pub async fn toast(&self) -> Result<String, String> {
        let text = self
            .until("const t = document.querySelector('#toast'); return !t.hidden && t.textContent;")
            .await?;
        self.js("document.querySelector('#toast').hidden = true;")
            .await?;
        Ok(text.as_str().unwrap_or_default().to_string())
    }

    /// Ends the session and stops Chromium and chromedriver.
    pub async fn close(mut self) {
        let client = self.client.clone();
        let _ = client.close().await;
        self.stop();
    }

    fn stop(&mut self) {
        let _ = self.driver.kill();
        let _ = self.driver.wait();
        let _ = std::fs::remove_dir_all(&self.profile);
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        self.stop();
    }
}
