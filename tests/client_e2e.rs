//! The generated clients against a real HTTP server on 127.0.0.1 (wiremock, ephemeral port):
//! method, path, query, headers, bodies, typed success and error bodies, retries, timeouts,
//! and the link from a ROOMZ event to the call it calls for.

use std::time::{Duration, Instant};

use hookgen_runtime::client::{ClientError, Credentials, HttpClient, RetryPolicy};
use serde_json::json;
use wiremock::matchers::{body_json, body_string, header, method, path, query_param};
use wiremock::{Mock, MockServer, Request, ResponseTemplate};

const WS: &str = "df801b47-b7be-48e8-8e21-20e20c75906c";

fn roomz(server: &MockServer) -> roomz_webhooks::Client {
    roomz_webhooks::Client::with_base_url(server.uri())
        .unwrap()
        .credentials(Credentials::basic("api-user", "api-pass"))
}

fn requests_to(received: &[Request], p: &str) -> usize {
    received.iter().filter(|r| r.url.path() == p).count()
}

#[tokio::test]
async fn roomz_get_sends_basic_auth_and_decodes_the_typed_body() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path(format!("/v1/workspaces/{WS}/status")))
        // "api-user:api-pass" in base64.
        .and(header("authorization", "Basic YXBpLXVzZXI6YXBpLXBhc3M="))
        .and(header("accept", "application/json"))
        .respond_with(ResponseTemplate::new(200).set_body_json(
            json!({"bookingSystem": "Free", "presence": "Busy", "workspace": "Used"}),
        ))
        .expect(1)
        .mount(&server)
        .await;
    let status = roomz(&server)
        .get_workspace_status(WS.parse().unwrap())
        .await
        .unwrap();
    assert_eq!(status.presence, roomz_webhooks::FreeBusyStatus::Busy);
    assert_eq!(status.workspace, roomz_webhooks::WorkspaceStatus::Used);
}

#[tokio::test]
async fn roomz_optional_query_parameters_are_sent_only_when_set() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/v1/buildings"))
        .and(query_param("page", "2"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(json!({"buildings": [{"id": WS, "name": "HQ"}]})),
        )
        .mount(&server)
        .await;
    let options = roomz_webhooks::ListBuildingsOptions {
        page: Some(2),
        ..Default::default()
    };
    let list = roomz(&server).list_buildings(&options).await.unwrap();
    assert_eq!(list.buildings[0].name, "HQ");
    let received = server.received_requests().await.unwrap();
    assert_eq!(received[0].url.query(), Some("page=2"));
}

#[tokio::test]
async fn undocumented_status_keeps_status_headers_and_body() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(
            ResponseTemplate::new(404)
                .insert_header("x-request-id", "r1")
                .set_body_string("no such workspace"),
        )
        .mount(&server)
        .await;
    match roomz(&server).get_workspace(WS.parse().unwrap()).await {
        Err(ClientError::UnexpectedStatus {
            status,
            headers,
            body,
        }) => {
            assert_eq!(status.as_u16(), 404);
            assert_eq!(headers["x-request-id"], "r1");
            assert_eq!(&body[..], b"no such workspace");
        }
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn a_429_with_retry_after_is_retried_then_succeeds() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(429).insert_header("retry-after", "1"))
        .up_to_n_times(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"id": WS, "name": "F1"})))
        .mount(&server)
        .await;
    let started = Instant::now();
    let floor = roomz(&server).get_floor(WS.parse().unwrap()).await.unwrap();
    assert_eq!(floor.name, "F1");
    assert!(
        started.elapsed() >= Duration::from_millis(950),
        "Retry-After: 1 was not honoured"
    );
    assert_eq!(server.received_requests().await.unwrap().len(), 2);
}

#[tokio::test]
async fn a_400_is_not_retried() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(400).set_body_string("bad"))
        .mount(&server)
        .await;
    let err = roomz(&server)
        .get_building(WS.parse().unwrap())
        .await
        .unwrap_err();
    assert_eq!(err.status().map(|s| s.as_u16()), Some(400));
    assert_eq!(server.received_requests().await.unwrap().len(), 1);
}

#[tokio::test]
async fn a_slow_server_is_a_timeout_not_a_hang() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_delay(Duration::from_secs(5))
                .set_body_json(json!({})),
        )
        .mount(&server)
        .await;
    let http = HttpClient::with_timeout(server.uri(), "test", Duration::from_millis(300)).unwrap();
    let client = roomz_webhooks::Client::with_http_client(http).retry_policy(RetryPolicy::none());
    let started = Instant::now();
    let err = client
        .get_workspace_status(WS.parse().unwrap())
        .await
        .unwrap_err();
    assert!(matches!(err, ClientError::Timeout), "{err:?}");
    assert!(started.elapsed() < Duration::from_secs(3));
}

#[tokio::test]
async fn roomz_signed_event_is_verified_decoded_and_its_link_fetches_the_status() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path(format!("/v1/workspaces/{WS}/status")))
        .and(header("authorization", "Basic YXBpLXVzZXI6YXBpLXBhc3M="))
        .respond_with(ResponseTemplate::new(200).set_body_json(
            json!({"bookingSystem": "None", "presence": "Free", "workspace": "Free"}),
        ))
        .expect(1)
        .mount(&server)
        .await;
    let body = serde_json::to_vec(&json!({
        "id": "e6ae112e-2af3-4d72-894b-03435d7afde4", "type": "workspace.presence.changed",
        "timestamp": "2024-05-21T08:22:32.452Z", "data": {"workspaceId": WS, "presenceStatus": "Free"}
    }))
    .unwrap();
    let webhook = roomz_webhooks::Webhook::new("roomz_test_secret").unwrap();
    let headers = webhook.sign(&body).unwrap();
    let roomz_webhooks::Event::WorkspacePresenceChanged(event) =
        webhook.verify(&headers, &body).unwrap()
    else {
        panic!()
    };
    let status = event.fetch_workspace_status(&roomz(&server)).await.unwrap();
    assert_eq!(status.presence, roomz_webhooks::FreeBusyStatus::Free);
}

fn roam(server: &MockServer) -> roam_webhooks::Client {
    roam_webhooks::Client::with_base_url(server.uri())
        .unwrap()
        .credentials(Credentials::bearer("roam-token"))
}

fn subscription(filter: serde_json::Value) -> serde_json::Value {
    let mut s = json!({"id": "sub_1", "event": "lobby:booked", "url": "https://example.com/hook", "dynamic": true});
    if !filter.is_null() {
        s["filter"] = filter;
    }
    s
}

#[tokio::test]
async fn roam_subscribe_with_and_without_a_filter() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/webhook.subscribe"))
        .and(header("authorization", "Bearer roam-token"))
        .and(body_json(json!({"url": "https://example.com/hook", "event": "lobby:booked", "filter": {"lobbyId": "lobby_1"}})))
        .respond_with(ResponseTemplate::new(200).set_body_json(subscription(json!({"lobbyId": "lobby_1"}))))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/webhook.subscribe"))
        .and(body_json(
            json!({"url": "https://example.com/hook", "event": "lobby:booked"}),
        ))
        .respond_with(ResponseTemplate::new(200).set_body_json(subscription(json!(null))))
        .expect(2)
        .mount(&server)
        .await;
    let client = roam(&server);
    let mut request = roam_webhooks::SubscribeRequest {
        url: "https://example.com/hook".into(),
        event: roam_webhooks::EventName::LobbyBooked,
        filter: Some(roam_webhooks::Filter {
            lobby_id: Some("lobby_1".into()),
            ..Default::default()
        }),
        api_version: None,
    };
    let sub = client.subscribe(&request).await.unwrap();
    assert_eq!(sub.filter.unwrap().lobby_id.as_deref(), Some("lobby_1"));
    request.filter = None;
    assert!(client.subscribe(&request).await.unwrap().filter.is_none());
    // An empty filter is omitted, never sent as `{}`.
    request.filter = Some(roam_webhooks::Filter::default());
    client.subscribe(&request).await.unwrap();
    for r in server.received_requests().await.unwrap().iter().skip(1) {
        assert!(
            !String::from_utf8_lossy(&r.body).contains("filter"),
            "{}",
            String::from_utf8_lossy(&r.body)
        );
    }
}

#[tokio::test]
async fn roam_list_and_unsubscribe_with_a_form_body() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/webhook.list"))
        .and(header("authorization", "Bearer roam-token"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!([subscription(json!(null))])))
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/webhook.unsubscribe"))
        .and(header("content-type", "application/x-www-form-urlencoded"))
        .and(body_string("id=sub_1"))
        .respond_with(ResponseTemplate::new(200))
        .expect(1)
        .mount(&server)
        .await;
    let client = roam(&server);
    let subs = client.list_subscriptions().await.unwrap();
    assert_eq!(subs[0].id, "sub_1");
    client
        .unsubscribe(&roam_webhooks::UnsubscribeRequest { id: "sub_1".into() })
        .await
        .unwrap();
    assert_eq!(
        requests_to(
            &server.received_requests().await.unwrap(),
            "/webhook.unsubscribe"
        ),
        1
    );
}

#[tokio::test]
async fn roam_documented_errors_decode_into_the_typed_error_body() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(400).set_body_json(
            json!({"error": "invalid_filter", "message": "filter must not be empty"}),
        ))
        .mount(&server)
        .await;
    let request = roam_webhooks::SubscribeRequest {
        url: "https://example.com/hook".into(),
        event: roam_webhooks::EventName::LobbyBooked,
        filter: None,
        api_version: None,
    };
    match roam(&server).subscribe(&request).await {
        Err(ClientError::Api { status, body, .. }) => {
            assert_eq!(status.as_u16(), 400);
            assert_eq!(body.error.as_deref(), Some("invalid_filter"));
        }
        other => panic!("{other:?}"),
    }
    // POST is not idempotent: a 429 is not retried unless the caller opts in.
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(429).insert_header("retry-after", "0"))
        .mount(&server)
        .await;
    assert!(roam(&server).subscribe(&request).await.is_err());
    assert_eq!(server.received_requests().await.unwrap().len(), 1);
    let opted_in = roam(&server).retry_policy(RetryPolicy {
        retry_non_idempotent: true,
        max_retries: 2,
        ..Default::default()
    });
    assert!(opted_in.subscribe(&request).await.is_err());
    assert_eq!(server.received_requests().await.unwrap().len(), 4);
}
