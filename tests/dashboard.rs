//! The inbox page a user mounts in their own receiver (runtime feature `dashboard`): refused
//! without the auth hook's approval (and when no hook is set at all), read-only by default,
//! replay only when allowed; signatures masked; mounted under a path of the user's choosing.

use std::sync::Arc;
use std::time::{Duration, SystemTime};

use hookgen_runtime::client::reqwest;
use hookgen_runtime::dashboard::Dashboard;
use hookgen_runtime::inbox::{self, Finish, Inbox, NewDelivery, State};

async fn seeded() -> Arc<dyn Inbox> {
    let dir = std::env::temp_dir().join(format!("hookgen-dashboard-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let store = inbox::open(&format!("sqlite:{}", dir.join("inbox.db").display()))
        .await
        .unwrap();
    let row = |key: &str| NewDelivery {
        source: "roomz".into(),
        key: key.into(),
        body: br#"{"id":"x","type":"workspace.updated"}"#.to_vec(),
        headers: vec![
            ("content-type".into(), "application/json".into()),
            ("roomz-signature".into(), "SIGNATURE-VALUE".into()),
        ],
        event_type: Some("workspace.updated".into()),
        ordering_key: None,
        state: State::Pending,
        error: None,
        received_at: SystemTime::now(),
    };
    store.insert_batch(&[row("a"), row("b")]).await.unwrap();
    let leased = store
        .lease(
            "w",
            1,
            Duration::from_secs(60),
            SystemTime::now() + Duration::from_millis(5),
        )
        .await
        .unwrap();
    let dead = Finish::Dead {
        error: "upstream 500".into(),
    };
    store.finish(leased[0].id, "w", dead).await.unwrap();
    store
}

async fn serve(dashboard: Dashboard) -> String {
    let app = axum::Router::new().nest("/admin/webhooks", dashboard.router());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    format!("http://{addr}/admin/webhooks")
}

fn admin(dashboard: Dashboard) -> Dashboard {
    dashboard.auth(|h| h.get("x-admin-token").is_some_and(|t| t == "let-me-in"))
}

#[tokio::test]
async fn auth_first_read_only_by_default_replay_when_allowed() {
    let store = seeded().await;
    let http = reqwest::Client::new();
    let get = |url: String, token: Option<&'static str>| {
        let mut r = http.get(url);
        if let Some(t) = token {
            r = r.header("x-admin-token", t);
        }
        r.send()
    };

    let unguarded = serve(Dashboard::new(store.clone())).await;
    let r = get(format!("{unguarded}/api/deliveries"), Some("let-me-in"))
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 401, "no auth hook: nobody gets in");

    let url = serve(admin(Dashboard::new(store.clone()))).await;
    assert_eq!(get(url.clone(), None).await.unwrap().status().as_u16(), 401);
    assert_eq!(
        get(url.clone(), Some("wrong"))
            .await
            .unwrap()
            .status()
            .as_u16(),
        401
    );
    let page = get(url.clone(), Some("let-me-in")).await.unwrap();
    assert_eq!(page.status().as_u16(), 200);
    let html = page.text().await.unwrap();
    assert!(html.contains("<title>Webhook inbox</title>") && !html.contains("/*STYLE*/"));

    let list: serde_json::Value = get(format!("{url}/api/deliveries"), Some("let-me-in"))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(list["replay"], false);
    let rows = list["deliveries"].as_array().unwrap();
    assert_eq!(rows.len(), 2);
    let dead = rows.iter().find(|d| d["state"] == "dead").unwrap();
    assert_eq!(dead["last_error"], "upstream 500");
    let id = dead["id"].as_i64().unwrap();
    let dead_only: serde_json::Value = get(
        format!("{url}/api/deliveries?state=dead"),
        Some("let-me-in"),
    )
    .await
    .unwrap()
    .json()
    .await
    .unwrap();
    assert_eq!(dead_only["deliveries"].as_array().unwrap().len(), 1);

    let detail = get(format!("{url}/api/deliveries/{id}"), Some("let-me-in"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(!detail.contains("SIGNATURE-VALUE"), "{detail}");
    assert!(detail.contains("masked"), "{detail}");

    let replay = |base: String, token: &'static str| {
        http.post(format!("{base}/api/deliveries/{id}/replay"))
            .header("x-admin-token", token)
            .header("x-hookgen-request", "1")
            .send()
    };
    assert_eq!(
        replay(url.clone(), "let-me-in")
            .await
            .unwrap()
            .status()
            .as_u16(),
        403,
        "read-only by default"
    );
    assert_eq!(store.get(id).await.unwrap().unwrap().state, State::Dead);

    let replaying = serve(admin(Dashboard::new(store.clone())).allow_replay(true)).await;
    assert_eq!(
        replay(replaying.clone(), "wrong")
            .await
            .unwrap()
            .status()
            .as_u16(),
        401
    );
    // What another site could make a logged-in browser send: a form (text/plain or
    // urlencoded, no custom header), or a request from another origin. Refused, and nothing
    // changes.
    let forged = |content_type: &'static str, extra: Option<(&'static str, &'static str)>| {
        let mut request = http
            .post(format!("{replaying}/api/deliveries/{id}/replay"))
            .header("x-admin-token", "let-me-in")
            .header("content-type", content_type)
            .header("origin", "http://attacker.example")
            .body("a=1");
        if let Some((k, v)) = extra {
            request = request.header(k, v);
        }
        request.send()
    };
    for (content_type, extra) in [
        ("text/plain", None),
        ("application/x-www-form-urlencoded", None),
        ("multipart/form-data; boundary=x", None),
        ("application/json", None),
        ("text/plain", Some(("x-hookgen-request", "1"))),
    ] {
        let status = forged(content_type, extra).await.unwrap().status().as_u16();
        assert_eq!(status, 403, "{content_type} {extra:?}");
    }
    let plain_form = http
        .post(format!("{replaying}/api/deliveries/{id}/replay"))
        .header("x-admin-token", "let-me-in")
        .header("content-type", "application/x-www-form-urlencoded")
        .body("a=1")
        .send()
        .await
        .unwrap();
    assert_eq!(
        plain_form.status().as_u16(),
        403,
        "a form without an origin"
    );
    assert_eq!(store.get(id).await.unwrap().unwrap().state, State::Dead);
    let same_origin = replaying
        .trim_end_matches('/')
        .split('/')
        .take(3)
        .collect::<Vec<_>>()
        .join("/");
    let ok = http
        .post(format!("{replaying}/api/deliveries/{id}/replay"))
        .header("x-admin-token", "let-me-in")
        .header("x-hookgen-request", "1")
        .header("origin", same_origin)
        .send()
        .await
        .unwrap();
    assert_eq!(ok.status().as_u16(), 200, "{}", ok.text().await.unwrap());
    assert_eq!(store.get(id).await.unwrap().unwrap().state, State::Pending);
}
