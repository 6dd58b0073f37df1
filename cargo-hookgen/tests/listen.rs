//! `cargo hookgen listen` over HTTP, without a browser: hostile deliveries (a body over the
//! limit, binary bytes, broken signature headers, no body) get clear outcomes, are recorded,
//! and never stop the server; the API masks signatures.

use std::net::TcpListener;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use hookgen_runtime::client::reqwest;

/// Kills the child when the test ends, also when it fails.
struct Killed(std::process::Child);

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

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hostile_deliveries_get_clear_outcomes_and_the_server_stays_up() {
    let dir = std::env::temp_dir().join(format!("hookgen-listen-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let port = free_port();
    let spec = Path::new(env!("CARGO_MANIFEST_DIR")).join("../specs/roomz");
    let child = Command::new(env!("CARGO_BIN_EXE_cargo-hookgen"))
        .args(["listen", spec.to_str().unwrap(), "--secret", "s3cret"])
        .args(["--port", &port.to_string()])
        .arg("--db")
        .arg(format!("sqlite:{}", dir.join("listen.db").display()))
        .stdout(Stdio::null())
        .spawn()
        .unwrap();
    let mut child = Killed(child);
    let deadline = Instant::now() + Duration::from_secs(20);
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(Instant::now() < deadline, "listen did not start");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let base = format!("http://127.0.0.1:{port}");
    let http = reqwest::Client::new();
    let post = |body: Vec<u8>, headers: Vec<(&'static str, &'static [u8])>| {
        let mut r = http.post(format!("{base}/webhooks")).body(body);
        for (k, v) in headers {
            r = r.header(k, v);
        }
        r.send()
    };
    let huge = post(vec![b'a'; 9 * 1024 * 1024], vec![]).await;
    assert_eq!(huge.map(|r| r.status().as_u16()).unwrap_or(413), 413);
    let binary = post(vec![0xff, 0x00, 0xfe, 0x13], vec![]).await.unwrap();
    assert_eq!(
        binary.status().as_u16(),
        401,
        "unsigned: refused with the reason"
    );
    let text = binary.text().await.unwrap();
    assert!(text.contains("missing"), "{text}");
    let garbled = post(
        br#"{"type":"workspace.updated"}"#.to_vec(),
        vec![
            ("roomz-signature", b"\xff\xfe not base64 \x80"),
            ("x-odd", b"\x80"),
        ],
    )
    .await
    .unwrap();
    assert_eq!(garbled.status().as_u16(), 401);
    let empty = post(Vec::new(), vec![("roomz-signature", b"")])
        .await
        .unwrap();
    assert_eq!(empty.status().as_u16(), 401);

    let list: serde_json::Value = http
        .get(format!("{base}/api/deliveries"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let list = list.as_array().unwrap().clone();
    assert_eq!(list.len(), 4, "every delivery is recorded: {list:?}");
    let by_id = |id: i64| list.iter().find(|d| d["id"] == id).unwrap().clone();
    assert!(by_id(1)["verification"]
        .as_str()
        .unwrap()
        .contains("over 8 MiB"));
    let binary: serde_json::Value = http
        .get(format!("{base}/api/deliveries/2"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(
        binary["body"]
            .as_str()
            .unwrap()
            .contains("binary body, 4 bytes"),
        "{binary}"
    );
    assert!(binary["analysis"]["problems"][0]["message"]
        .as_str()
        .unwrap()
        .contains("not JSON"));
    let garbled: serde_json::Value = http
        .get(format!("{base}/api/deliveries/3"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let shown = garbled["headers"].to_string();
    assert!(shown.contains("masked"), "{shown}");
    assert_eq!(garbled["analysis"]["verified"], false);
    assert_eq!(garbled["analysis"]["event_type"], "workspace.updated");
    let missing: serde_json::Value = http
        .get(format!("{base}/api/deliveries/99"))
        .send()
        .await
        .map(|r| r.status().as_u16())
        .unwrap()
        .into();
    assert_eq!(missing, 404);
    let page = http.get(&base).send().await.unwrap().text().await.unwrap();
    assert!(page.contains("<title>hookgen listen</title>"));
    assert!(
        child.0.try_wait().unwrap().is_none(),
        "listen is still running"
    );
}

/// Start `listen` on a free port with these extra arguments; returns it and its port.
async fn start_listen(dir: &Path, extra: &[&str]) -> (Killed, u16) {
    let port = free_port();
    let spec = Path::new(env!("CARGO_MANIFEST_DIR")).join("../specs/roomz");
    let child = Command::new(env!("CARGO_BIN_EXE_cargo-hookgen"))
        .args(["listen", spec.to_str().unwrap(), "--secret", "s3cret"])
        .args(["--port", &port.to_string()])
        .args(extra)
        .arg("--db")
        .arg(format!("sqlite:{}", dir.join("listen.db").display()))
        .stdout(Stdio::null())
        .spawn()
        .unwrap();
    let child = Killed(child);
    let deadline = Instant::now() + Duration::from_secs(20);
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(Instant::now() < deadline, "listen did not start");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    (child, port)
}

/// One raw HTTP/1.1 request (so that `Host` and `Origin` are exactly what a browser under a
/// rebound name would send); returns the status and the body.
fn raw(port: u16, method: &str, path: &str, headers: &[(&str, &str)], body: &str) -> (u16, String) {
    use std::io::{Read, Write};
    let mut stream = std::net::TcpStream::connect(("127.0.0.1", port)).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(30)))
        .unwrap();
    let mut request = format!(
        "{method} {path} HTTP/1.1\r\nconnection: close\r\ncontent-length: {}\r\n",
        body.len()
    );
    for (k, v) in headers {
        request.push_str(&format!("{k}: {v}\r\n"));
    }
    request.push_str("\r\n");
    request.push_str(body);
    stream.write_all(request.as_bytes()).unwrap();
    let mut answer = Vec::new();
    // An event stream never ends: the head and first bytes are enough.
    let mut buf = [0u8; 4096];
    while let Ok(n) = stream.read(&mut buf) {
        if n == 0 {
            break;
        }
        answer.extend_from_slice(&buf[..n]);
        if path == "/api/stream" && answer.windows(4).any(|w| w == b"\r\n\r\n") {
            break;
        }
    }
    let text = String::from_utf8_lossy(&answer).into_owned();
    let status = text
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    let body = text
        .split_once("\r\n\r\n")
        .map(|(_, b)| b.to_string())
        .unwrap_or_default();
    (status, body)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn foreign_hosts_and_cross_site_replays_are_refused_and_credentials_never_stored() {
    let dir = std::env::temp_dir().join(format!("hookgen-listen-guard-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let app = free_port();
    let forward = format!("http://127.0.0.1:{app}/hook");
    let (child, port) = start_listen(
        &dir,
        &["--allow-host", "tunnel.example", "--forward-to", &forward],
    )
    .await;
    let own = format!("127.0.0.1:{port}");
    let foreign = format!("attacker.example:{port}");

    // A delivery stays open to any Host (vendors and tunnels send them); its Authorization
    // header is kept masked.
    let (status, _) = raw(
        port,
        "POST",
        "/webhooks",
        &[
            ("host", &foreign),
            ("authorization", "Bearer sup3r-s3cret-t0ken"),
            ("content-type", "application/json"),
        ],
        r#"{"type":"workspace.updated"}"#,
    );
    assert_ne!(status, 403, "deliveries are open");
    assert_ne!(status, 0);

    for (method, path) in [
        ("GET", "/"),
        ("GET", "/api/deliveries"),
        ("GET", "/api/deliveries/1"),
        ("GET", "/api/stream"),
        ("POST", "/api/deliveries/1/replay"),
        ("GET", "/nowhere"),
    ] {
        for host in [foreign.as_str(), "127.0.0.1:1", "localhost"] {
            let (status, body) = raw(
                port,
                method,
                path,
                &[("host", host), ("x-hookgen-request", "1")],
                "",
            );
            assert_eq!(status, 403, "{method} {path} with Host {host}: {body}");
        }
    }
    let (status, body) = raw(
        port,
        "GET",
        "/api/deliveries",
        &[("host", "tunnel.example")],
        "",
    );
    assert_eq!(status, 200, "an allowed tunnel host reads the API: {body}");
    assert!(body.contains("workspace.updated"), "{body}");
    let (status, _) = raw(port, "GET", "/api/stream", &[("host", &own)], "");
    assert_eq!(status, 200);

    // Replays: a form (text/plain, urlencoded), another origin, or a cross-site fetch are refused.
    let replay = "/api/deliveries/1/replay?mode=exact";
    for headers in [
        vec![
            ("host", own.as_str()),
            ("content-type", "text/plain"),
            ("origin", "http://attacker.example"),
        ],
        vec![("host", own.as_str()), ("content-type", "text/plain")],
        vec![
            ("host", own.as_str()),
            ("content-type", "application/x-www-form-urlencoded"),
        ],
        vec![
            ("host", own.as_str()),
            ("x-hookgen-request", "1"),
            ("origin", "http://attacker.example"),
        ],
        vec![
            ("host", own.as_str()),
            ("x-hookgen-request", "1"),
            ("sec-fetch-site", "cross-site"),
        ],
    ] {
        let (status, body) = raw(port, "POST", replay, &headers, "x=1");
        assert_eq!(status, 403, "{headers:?}: {body}");
    }
    let origin = format!("http://{own}");
    let (status, body) = raw(
        port,
        "POST",
        replay,
        &[
            ("host", &own),
            ("x-hookgen-request", "1"),
            ("origin", &origin),
        ],
        "",
    );
    assert_eq!(status, 200, "the page's own replay goes through: {body}");

    let (_, detail) = raw(port, "GET", "/api/deliveries/1", &[("host", &own)], "");
    assert!(!detail.contains("sup3r-s3cret-t0ken"), "{detail}");
    assert!(detail.contains("masked"), "{detail}");
    drop(child);
    for file in std::fs::read_dir(&dir).unwrap() {
        let bytes = std::fs::read(file.unwrap().path()).unwrap();
        assert!(
            !bytes.windows(18).any(|w| w == b"sup3r-s3cret-t0ken"),
            "a credential reached the store in the clear"
        );
    }
}

/// `GET /api/drift`: where what listen received departs from the spec, and the overlay that
/// makes the spec match it, counted per delivery.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_drift_of_what_was_received_is_an_overlay() {
    let dir = std::env::temp_dir().join(format!("hookgen-listen-drift-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let (_child, port) = start_listen(&dir, &[]).await;
    let own = format!("127.0.0.1:{port}");
    let (_, empty) = raw(port, "GET", "/api/drift", &[("host", &own)], "");
    let empty: serde_json::Value = serde_json::from_str(&empty).unwrap();
    assert_eq!(empty["deliveries"], 0);
    for id in 1..=2 {
        let body = format!(
            r#"{{"id":"00000000-0000-4000-8000-00000000000{id}","type":"workspace.updated","timestamp":"2024-02-02T09:13:44+0000"}}"#
        );
        // Unsigned, so listen answers 401; it keeps the delivery all the same.
        let (status, _) = raw(
            port,
            "POST",
            "/webhooks",
            &[("host", &own), ("content-type", "application/json")],
            &body,
        );
        assert_eq!(status, 401);
    }
    let (status, text) = raw(port, "GET", "/api/drift", &[("host", &own)], "");
    assert_eq!(status, 200, "{text}");
    let drift: serde_json::Value = serde_json::from_str(&text).unwrap();
    assert_eq!(drift["deliveries"], 2);
    assert_eq!(drift["fitting"], 0);
    let amendments = drift["amendments"].as_array().unwrap();
    let workspace = amendments
        .iter()
        .find(|a| a["what"] == "`workspaceId` is no longer required")
        .unwrap_or_else(|| panic!("{drift:#}"));
    assert_eq!(workspace["kind"], "optional");
    assert_eq!(workspace["deliveries"], 2);
    assert!(drift["overlay"]
        .as_str()
        .unwrap()
        .contains("['required'][?@ == 'workspaceId']"));
    // A foreign Host does not read it.
    let (status, _) = raw(
        port,
        "GET",
        "/api/drift",
        &[("host", "attacker.example")],
        "",
    );
    assert_eq!(status, 403);
}
