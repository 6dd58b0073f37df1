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
