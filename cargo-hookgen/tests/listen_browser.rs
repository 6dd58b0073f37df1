//! `cargo hookgen listen` in a real browser: headless Chromium (Debian's `chromium` and
//! `chromium-driver`) driven over WebDriver. Three deliveries are sent with `cargo hookgen
//! send` (one good, one with a wrong secret, one that breaks the schema); the page lists all
//! three with the right outcomes, shows the reason of the failed verification, and a replay
//! click delivers a copy to a local app. A screenshot of the page is saved as a test artifact
//! (`$CARGO_TARGET_DIR/hookgen-artifacts/listen.png`); `HOOKGEN_UPDATE_SCREENSHOT=1` also
//! writes `docs/listen.png`, which the README shows.
//!
//! Without Chromium and chromedriver the test is skipped with a note; with
//! `HOOKGEN_REQUIRE_BROWSER=1` (CI) that is a failure.

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use fantoccini::{Client, ClientBuilder, Locator};

const SECRET: &str = "listen-test-secret";

struct Killed(Child);

impl Drop for Killed {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn wait_for_port(port: u16, child: &mut Child, what: &str) {
    let deadline = Instant::now() + Duration::from_secs(30);
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        if let Ok(Some(status)) = child.try_wait() {
            panic!("{what} exited: {status}");
        }
        assert!(Instant::now() < deadline, "{what} did not start");
        std::thread::sleep(Duration::from_millis(50));
    }
}

fn repo(p: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..").join(p)
}

fn browser_available() -> bool {
    let found = ["chromium", "chromedriver"].iter().all(|b| {
        Command::new(b)
            .arg("--version")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success())
    });
    if !found {
        if std::env::var("HOOKGEN_REQUIRE_BROWSER").is_ok_and(|v| v == "1") {
            panic!("chromium and chromedriver are required (HOOKGEN_REQUIRE_BROWSER=1)");
        }
        eprintln!(
            "note: skipping the listen browser test: install Debian's chromium and chromium-driver"
        );
    }
    found
}

/// The local app `listen` forwards to: counts what arrives.
async fn app(port: u16) -> Arc<AtomicUsize> {
    let hits = Arc::new(AtomicUsize::new(0));
    let h = hits.clone();
    let router = axum::Router::new().route(
        "/hook",
        axum::routing::post(move || {
            let h = h.clone();
            async move {
                h.fetch_add(1, Ordering::SeqCst);
                "stored by the app"
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", port))
        .await
        .unwrap();
    tokio::spawn(async move { axum::serve(listener, router).await.unwrap() });
    hits
}

fn send(port: u16, secret: &str, payload: &Path) {
    let out = Command::new(env!("CARGO_BIN_EXE_cargo-hookgen"))
        .args(["send", repo("specs/roomz").to_str().unwrap()])
        .args(["--event", "workspace.updated", "--secret", secret])
        .args(["--to", &format!("http://127.0.0.1:{port}/webhooks/roomz")])
        .arg("--payload")
        .arg(payload)
        .output()
        .unwrap();
    assert!(!out.stdout.is_empty(), "send printed nothing: {out:?}");
}

/// Click the element `css` names. The list re-renders when a delivery arrives or changes, so
/// a found element can go stale before the click: find it again and retry.
async fn click(c: &Client, css: &str) {
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        let clicked = match c.find(Locator::Css(css)).await {
            Ok(e) => e.click().await.is_ok(),
            Err(_) => false,
        };
        if clicked {
            return;
        }
        assert!(Instant::now() < deadline, "could not click `{css}`");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Wait until the elements matching `css` satisfy `ready` (given their texts).
async fn wait_texts(c: &Client, css: &str, ready: impl Fn(&[String]) -> bool) -> Vec<String> {
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        let mut texts = Vec::new();
        for e in c.find_all(Locator::Css(css)).await.unwrap_or_default() {
            texts.push(e.text().await.unwrap_or_default());
        }
        if ready(&texts) {
            return texts;
        }
        assert!(Instant::now() < deadline, "timed out on `{css}`: {texts:?}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_page_shows_outcomes_reasons_and_replays_in_chromium() {
    if !browser_available() {
        return;
    }
    // fantoccini's rustls needs a crypto provider chosen (ring, as the runtime uses).
    let _ = rustls::crypto::ring::default_provider().install_default();
    let dir = std::env::temp_dir().join(format!("hookgen-listen-browser-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let (listen_port, app_port, driver_port) = (free_port(), free_port(), free_port());
    let hits = app(app_port).await;

    let mut listen = Command::new(env!("CARGO_BIN_EXE_cargo-hookgen"))
        .args([
            "listen",
            repo("specs/roomz").to_str().unwrap(),
            "--secret",
            SECRET,
        ])
        .args(["--port", &listen_port.to_string()])
        .args(["--forward-to", &format!("http://127.0.0.1:{app_port}/hook")])
        .arg("--db")
        .arg(format!("sqlite:{}", dir.join("listen.db").display()))
        .stdout(Stdio::null())
        .spawn()
        .unwrap();
    wait_for_port(listen_port, &mut listen, "listen");
    let _listen = Killed(listen);

    let good = dir.join("good.json");
    std::fs::write(&good, r#"{"id":"4f6aa5b6-8d68-4b48-b779-861fba5c20ba","type":"workspace.updated","timestamp":"2024-02-02T09:13:44+0000","workspaceId":"df801b47-b7be-48e8-8e21-20e20c75906c"}"#).unwrap();
    let broken = dir.join("broken.json");
    std::fs::write(
        &broken,
        r#"{"id":"not-a-uuid","type":"workspace.updated","timestamp":"2024-02-02T09:13:44+0000"}"#,
    )
    .unwrap();
    send(listen_port, SECRET, &good);
    send(listen_port, "the-wrong-secret", &good);
    send(listen_port, SECRET, &broken);

    let mut driver = Command::new("chromedriver")
        .arg(format!("--port={driver_port}"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    wait_for_port(driver_port, &mut driver, "chromedriver");
    let _driver = Killed(driver);
    let profile = dir.join("chromium-profile");
    let mut caps = serde_json::Map::new();
    caps.insert(
        "goog:chromeOptions".into(),
        serde_json::json!({
            "binary": "/usr/bin/chromium",
            "args": ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
                     "--disable-background-networking", "--disable-component-update", "--disable-sync",
                     "--window-size=1280,900", format!("--user-data-dir={}", profile.display())]
        }),
    );
    let c = ClientBuilder::rustls()
        .unwrap()
        .capabilities(caps)
        .connect(&format!("http://127.0.0.1:{driver_port}"))
        .await
        .expect("a WebDriver session in Chromium");

    c.goto(&format!("http://127.0.0.1:{listen_port}/"))
        .await
        .unwrap();
    let rows = wait_texts(&c, "#deliveries tbody tr", |t| t.len() == 3).await;
    // Newest first: the broken payload, the wrong secret, the good one.
    assert!(
        rows[2].contains("verified") && rows[2].contains("fits") && rows[2].contains("200"),
        "{rows:?}"
    );
    assert!(rows[1].contains("failed"), "{rows:?}");
    assert!(
        rows[0].contains("verified") && rows[0].contains("problem"),
        "{rows:?}"
    );

    // Open the delivery whose signature failed: its reason is on the page.
    click(&c, "button[aria-label='Show delivery 2']").await;
    let reason = wait_texts(&c, "#verification", |t| {
        t.first().is_some_and(|s| !s.is_empty())
    })
    .await;
    assert!(
        reason[0].contains("no signature in the delivery matches"),
        "{reason:?}"
    );
    let headers = c
        .find(Locator::Css("#detail"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        headers.contains("masked"),
        "signatures are masked: {headers}"
    );
    let shot = c.screenshot().await.unwrap();
    let artifacts = PathBuf::from(
        std::env::var("CARGO_TARGET_DIR").unwrap_or_else(|_| repo("target").display().to_string()),
    )
    .join("hookgen-artifacts");
    std::fs::create_dir_all(&artifacts).unwrap();
    std::fs::write(artifacts.join("listen.png"), &shot).unwrap();
    if std::env::var("HOOKGEN_UPDATE_SCREENSHOT").is_ok_and(|v| v == "1") {
        std::fs::write(repo("docs/listen.png"), &shot).unwrap();
    }

    // The schema problems of the broken one name their fields.
    click(&c, "button[aria-label='Show delivery 3']").await;
    let problems = wait_texts(&c, "#problems li", |t| t.len() >= 2).await;
    assert!(
        problems
            .iter()
            .any(|p| p.contains("/id") && p.contains("not a UUID")),
        "{problems:?}"
    );
    assert!(
        problems.iter().any(|p| p.contains("workspaceId")),
        "{problems:?}"
    );

    // The drift panel: the overlay that would make the spec match what arrived.
    let drift = wait_texts(&c, "#drift-amendments li", |t| {
        t.iter().any(|s| s.contains("workspaceId"))
    })
    .await;
    assert!(
        drift
            .iter()
            .any(|s| s.contains("optional") && s.contains("`workspaceId` is no longer required")),
        "{drift:?}"
    );
    let overlay = wait_texts(&c, "#drift-overlay", |t| !t.is_empty()).await;
    assert!(overlay[0].contains("overlay: 1.0.0"), "{overlay:?}");

    // Replay the good one to the app: a copy arrives and is listed.
    let before = hits.load(Ordering::SeqCst);
    assert_eq!(before, 3, "listen forwarded each delivery");
    click(&c, "button[aria-label='Show delivery 1']").await;
    // The replay buttons belong to the delivery shown: wait until it is #1.
    wait_texts(&c, "#detail dl dd", |t| {
        t.first().is_some_and(|s| s == "#1")
    })
    .await;
    click(&c, "#replay-exact").await;
    let result = wait_texts(&c, "#replay-result", |t| {
        t.first().is_some_and(|s| s.starts_with("replayed"))
    })
    .await;
    assert!(result[0].contains("the app answered 200"), "{result:?}");
    assert_eq!(
        hits.load(Ordering::SeqCst),
        before + 1,
        "the replay reached the app"
    );
    // The list is drawn anew on each change: wait for the drawing that has the replay.
    let rows = wait_texts(&c, "#deliveries tbody tr", |t| {
        t.len() == 4 && t[0].contains("replay of #1")
    })
    .await;
    assert!(rows[0].contains("replay of #1"), "{rows:?}");
    c.close().await.unwrap();
}
