//! `cargo hookgen listen`: the local development loop. Receives deliveries, verifies them with
//! the spec's scheme (with the reason when that fails), identifies the event, validates the
//! payload against the spec's schema (the dynamic twin of the typed decode: no crate to
//! compile), stores each delivery in SQLite, optionally forwards the exact bytes to the
//! user's app, prints one line per delivery, and serves a page at `/` to inspect and replay.
//!
//! It sends nothing anywhere but the `--forward-to` URL the user names.

mod analyze;
mod page;
mod store;

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

use axum::body::{Body, Bytes};
use axum::extract::{Path as UrlPath, Query, Request, State};
use axum::http::{HeaderMap, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use hookgen_runtime::client::reqwest;
use hookgen_runtime::guard::{check_state_change, HostPolicy, Refusal};
use hookgen_runtime::serve::Limits;
use hookgen_runtime::{Scheme, Verifier};
use serde::Deserialize;
use tokio::sync::broadcast;

pub use analyze::Analysis;
use hookgen::ir::Api;
use store::{Forward, Record, Store};

/// Bodies above this are refused (413) and recorded as such, never buffered further.
const BODY_LIMIT: usize = 8 * 1024 * 1024;
/// How much of the app's response is kept.
const RESPONSE_KEPT: usize = 64 * 1024;

/// What `listen` was asked to do.
#[derive(Debug, Clone)]
pub struct Options {
    pub secret: Option<String>,
    pub port: u16,
    pub forward_to: Option<String>,
    pub db: String,
    /// Hosts besides loopback that may read the page and API (`--allow-host`).
    pub allow_hosts: Vec<String>,
}

struct App {
    api: Api,
    /// The loaded spec, for drift's overlay targets.
    document: hookgen::Document,
    scheme: Option<Scheme>,
    secret: Option<String>,
    forward_to: Option<String>,
    store: Store,
    client: reqwest::Client,
    changes: broadcast::Sender<i64>,
    /// Set once the port is bound.
    hosts: std::sync::OnceLock<HostPolicy>,
}

/// Serve until Ctrl-C.
pub fn run(analysis: hookgen::Analysis, options: Options) -> Result<(), String> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(|e| e.to_string())?;
    runtime.block_on(serve(analysis.api, analysis.document, options))
}

async fn serve(api: Api, document: hookgen::Document, options: Options) -> Result<(), String> {
    let store = Store::open(&options.db).await?;
    let scheme = api.signature.as_ref().map(|s| s.scheme.clone());
    let app = Arc::new(App {
        api,
        document,
        scheme,
        secret: options.secret,
        forward_to: options.forward_to.clone(),
        store,
        client: reqwest::Client::builder()
            .timeout(Duration::from_secs(30))
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .map_err(|e| e.to_string())?,
        changes: broadcast::channel(256).0,
        hosts: std::sync::OnceLock::new(),
    });
    let addr = SocketAddr::from(([127, 0, 0, 1], options.port));
    let listener = tokio::net::TcpListener::bind(addr)
        .await
        .map_err(|e| format!("cannot listen on {addr}: {e}"))?;
    let bound = listener.local_addr().map_err(|e| e.to_string())?;
    let hosts = options
        .allow_hosts
        .iter()
        .fold(HostPolicy::loopback(bound.port()), |p, h| p.allow_host(h));
    let _ = app.hosts.set(hosts);
    let router = router(app.clone());
    println!(
        "hookgen listen: receiving {} deliveries at http://{bound}/ (any path); page at http://{bound}/",
        app.api.vendor
    );
    match &options.forward_to {
        Some(url) => println!("forwarding each delivery to {url}"),
        None => println!("not forwarding (add --forward-to URL to pass deliveries to your app)"),
    }
    if app.secret.is_none() {
        println!("no --secret: signatures are not checked");
    }
    let stop = async { tokio::signal::ctrl_c().await.unwrap_or_default() };
    hookgen_runtime::serve::serve_with_shutdown(listener, router, Limits::default(), stop)
        .await
        .map_err(|e| e.to_string())
}

fn router(app: Arc<App>) -> Router {
    Router::new()
        .route("/", get(page::index).post(receive))
        .route("/api/deliveries", get(list))
        .route("/api/deliveries/{id}", get(detail))
        .route("/api/deliveries/{id}/replay", post(replay))
        .route("/api/drift", get(drift))
        .route(
            "/api/stream",
            get(|State(app): State<Arc<App>>| page::stream(app.changes.subscribe())),
        )
        .fallback(receive)
        .layer(axum::middleware::from_fn_with_state(app.clone(), guard))
        .with_state(app)
}

/// The page, the API and the event stream answer only our own `Host` (no DNS rebinding), and
/// what changes state needs a request a form on another site cannot send. Deliveries (a POST
/// outside `/api/`) stay open to any `Host`: vendors and tunnels send them.
async fn guard(State(app): State<Arc<App>>, request: Request, next: Next) -> Response {
    let (method, path) = (request.method().clone(), request.uri().path().to_string());
    if is_delivery(&method, &path) {
        return next.run(request).await;
    }
    let headers = request.headers();
    let mut verdict = match app.hosts.get() {
        Some(hosts) => hosts.check(headers),
        None => Err(Refusal("not ready".into())),
    };
    if verdict.is_ok() && method != Method::GET && method != Method::HEAD {
        verdict = check_state_change(headers);
    }
    match verdict {
        Ok(()) => next.run(request).await,
        Err(refusal) => {
            println!("refused {method} {path}: {refusal}");
            (StatusCode::FORBIDDEN, refusal.to_string()).into_response()
        }
    }
}

fn is_delivery(method: &Method, path: &str) -> bool {
    *method == Method::POST && path != "/api" && !path.starts_with("/api/")
}

/// Any POST outside `/api/`: a delivery.
async fn receive(State(app): State<Arc<App>>, request: Request) -> Response {
    let (parts, body) = request.into_parts();
    if parts.method != axum::http::Method::POST {
        return (StatusCode::NOT_FOUND, "not found").into_response();
    }
    let path = parts.uri.path().to_string();
    let received = SystemTime::now();
    let (body, analysis) = match axum::body::to_bytes(body, BODY_LIMIT).await {
        Ok(bytes) => {
            let analysis = analyze::analyze(
                &app.api,
                app.scheme.as_ref(),
                app.secret.as_deref(),
                &parts.headers,
                &bytes,
                &request_url(&parts.headers, &parts.uri),
            );
            (bytes, analysis)
        }
        Err(_) => (
            Bytes::new(),
            Analysis::refused(format!(
                "body over {} MiB, or cut off: not read",
                BODY_LIMIT / (1024 * 1024)
            )),
        ),
    };
    let headers = stored_headers(&app, &parts.headers);
    let mut record = Record {
        id: 0,
        received_at: store::rfc3339(received),
        method: parts.method.to_string(),
        path,
        headers,
        analysis,
        forward: None,
        replay_of: None,
    };
    let id = match app.store.insert(&record, &body).await {
        Ok(id) => id,
        Err(e) => {
            return (StatusCode::SERVICE_UNAVAILABLE, format!("not stored: {e}")).into_response()
        }
    };
    record.id = id;
    let _ = app.changes.send(id);
    if record.analysis.too_large {
        print_line(&record);
        return (StatusCode::PAYLOAD_TOO_LARGE, "body too large").into_response();
    }
    if let Some(url) = app.forward_to.clone() {
        let forward = forward_exact(&app, &url, &parts.headers, body.clone()).await;
        record.forward = Some(forward.clone());
        let _ = app.store.set_forward(id, &forward).await;
        let _ = app.changes.send(id);
        print_line(&record);
        let status = forward
            .status
            .and_then(|s| StatusCode::from_u16(s).ok())
            .unwrap_or(StatusCode::BAD_GATEWAY);
        // The app's answer goes back only to our own Host: a rebound page must not read it.
        let trusted = app
            .hosts
            .get()
            .is_some_and(|h| h.check(&parts.headers).is_ok());
        let body = if trusted {
            forward.body
        } else {
            String::from("forwarded")
        };
        return (status, body).into_response();
    }
    print_line(&record);
    if record.analysis.verified == Some(false) {
        (
            StatusCode::UNAUTHORIZED,
            record.analysis.verification.clone(),
        )
            .into_response()
    } else {
        (StatusCode::ACCEPTED, "received by hookgen listen").into_response()
    }
}

/// The URL the sender called, for schemes that sign it (as seen through `Host`).
fn request_url(headers: &HeaderMap, uri: &axum::http::Uri) -> String {
    let host = headers
        .get("host")
        .and_then(|h| h.to_str().ok())
        .unwrap_or("127.0.0.1");
    format!("http://{host}{uri}")
}

/// The headers as kept: credentials (`Authorization`, the scheme's shared secret) masked.
fn stored_headers(app: &App, headers: &HeaderMap) -> Vec<(String, String)> {
    let credentials = app
        .scheme
        .as_ref()
        .map(Scheme::credential_headers)
        .unwrap_or_default();
    hookgen_runtime::redact::redacted_headers(headers, &credentials)
}

/// Headers not passed on: they describe this hop, not the delivery.
const HOP_HEADERS: [&str; 5] = [
    "host",
    "content-length",
    "connection",
    "transfer-encoding",
    "keep-alive",
];

async fn forward_exact(app: &App, url: &str, headers: &HeaderMap, body: Bytes) -> Forward {
    let mut request = app.client.post(url).body(body);
    for (name, value) in headers {
        if !HOP_HEADERS.contains(&name.as_str()) {
            request = request.header(name, value);
        }
    }
    send(request, url, "exact").await
}

async fn send(request: reqwest::RequestBuilder, url: &str, mode: &str) -> Forward {
    let started = Instant::now();
    let outcome = request.send().await;
    let latency_ms = started.elapsed().as_millis() as u64;
    match outcome {
        Ok(response) => {
            let status = response.status().as_u16();
            let bytes = response.bytes().await.unwrap_or_default();
            let kept = &bytes[..bytes.len().min(RESPONSE_KEPT)];
            Forward {
                url: url.to_string(),
                status: Some(status),
                latency_ms,
                body: String::from_utf8_lossy(kept).into_owned(),
                mode: mode.to_string(),
            }
        }
        Err(e) => Forward {
            url: url.to_string(),
            status: None,
            latency_ms,
            body: format!("could not reach the app: {e}"),
            mode: mode.to_string(),
        },
    }
}

/// One terminal line per delivery, as `stripe listen` prints.
fn print_line(r: &Record) {
    let a = &r.analysis;
    let verify = match a.verified {
        Some(true) => "verified".to_string(),
        Some(false) => format!("NOT VERIFIED ({})", a.verification),
        None => a.verification.clone(),
    };
    let schema = if a.problems.is_empty() {
        "schema ok".to_string()
    } else {
        format!("{} schema problem(s)", a.problems.len())
    };
    let forward = match &r.forward {
        Some(Forward {
            status: Some(s),
            latency_ms,
            ..
        }) => format!("  -> {s} ({latency_ms} ms)"),
        Some(Forward { status: None, .. }) => "  -> app unreachable".to_string(),
        None => String::new(),
    };
    println!(
        "{}  #{:<4} {:<32} {verify}  {schema}{forward}",
        r.received_at,
        r.id,
        a.event_type.as_deref().unwrap_or("(unknown event)")
    );
}

#[derive(Debug, Deserialize)]
struct Filter {
    event_type: Option<String>,
    outcome: Option<String>,
}

async fn list(State(app): State<Arc<App>>, Query(filter): Query<Filter>) -> Response {
    match app.store.list(500).await {
        Ok(records) => {
            let shown: Vec<serde_json::Value> = records
                .iter()
                .filter(|r| {
                    filter
                        .event_type
                        .as_deref()
                        .is_none_or_empty_or(|t| r.analysis.event_type.as_deref() == Some(t))
                })
                .filter(|r| {
                    filter
                        .outcome
                        .as_deref()
                        .is_none_or_empty_or(|o| outcome_matches(r, o))
                })
                .map(summary)
                .collect();
            axum::Json(shown).into_response()
        }
        Err(e) => (StatusCode::INTERNAL_SERVER_ERROR, e).into_response(),
    }
}

/// `None` or `""` passes every record.
trait FilterValue {
    fn is_none_or_empty_or(&self, f: impl FnOnce(&str) -> bool) -> bool;
}

impl FilterValue for Option<&str> {
    fn is_none_or_empty_or(&self, f: impl FnOnce(&str) -> bool) -> bool {
        match self {
            None | Some("") => true,
            Some(v) => f(v),
        }
    }
}

fn outcome_matches(r: &Record, outcome: &str) -> bool {
    let a = &r.analysis;
    match outcome {
        "verified" => a.verified == Some(true),
        "not-verified" => a.verified == Some(false),
        "schema-problems" => !a.problems.is_empty(),
        "forward-failed" => r
            .forward
            .as_ref()
            .is_some_and(|f| f.status.is_none_or_error()),
        _ => true,
    }
}

trait StatusCheck {
    fn is_none_or_error(&self) -> bool;
}

impl StatusCheck for Option<u16> {
    fn is_none_or_error(&self) -> bool {
        self.is_none_or(|s| s >= 400)
    }
}

fn summary(r: &Record) -> serde_json::Value {
    serde_json::json!({
        "id": r.id,
        "received_at": r.received_at,
        "path": r.path,
        "event_type": r.analysis.event_type,
        "verified": r.analysis.verified,
        "verification": r.analysis.verification,
        "problems": r.analysis.problems.len(),
        "forward_status": r.forward.as_ref().and_then(|f| f.status),
        "forwarded": r.forward.is_some(),
        "replay_of": r.replay_of,
    })
}

async fn detail(State(app): State<Arc<App>>, UrlPath(id): UrlPath<i64>) -> Response {
    match app.store.get(id).await {
        Ok(Some((record, body))) => {
            let mut value = serde_json::to_value(&record).unwrap_or_default();
            value["headers"] = serde_json::json!(record
                .headers
                .iter()
                .map(|(k, v)| (k.clone(), page::mask(k, v)))
                .collect::<Vec<_>>());
            value["body"] = serde_json::json!(page::pretty_body(&body));
            value["body_bytes"] = serde_json::json!(body.len());
            axum::Json(value).into_response()
        }
        Ok(None) => (StatusCode::NOT_FOUND, "no such delivery").into_response(),
        Err(e) => (StatusCode::INTERNAL_SERVER_ERROR, e).into_response(),
    }
}

/// Where what was received departs from the spec, and the overlay that makes the spec match
/// it (one round of `cargo hookgen drift`, over every delivery kept).
async fn drift(State(app): State<Arc<App>>) -> Response {
    let stored = match app.store.stored().await {
        Ok(stored) => stored,
        Err(e) => return (StatusCode::INTERNAL_SERVER_ERROR, e).into_response(),
    };
    let drift = hookgen::drift::drift(&app.document, &app.api, &stored);
    let overlay = hookgen::drift::overlay_yaml(&drift, &app.document.name);
    axum::Json(serde_json::json!({
        "deliveries": drift.deliveries,
        "fitting": drift.fitting,
        "amendments": drift.amendments,
        "left": drift.left,
        "overlay": overlay,
    }))
    .into_response()
}

#[derive(Debug, Deserialize)]
struct ReplayMode {
    mode: Option<String>,
}

/// Re-send a stored delivery to the forward target: byte-identical, or re-signed now.
async fn replay(
    State(app): State<Arc<App>>,
    UrlPath(id): UrlPath<i64>,
    Query(mode): Query<ReplayMode>,
) -> Response {
    let Some(url) = app.forward_to.clone() else {
        return (
            StatusCode::CONFLICT,
            "no --forward-to: nowhere to replay to",
        )
            .into_response();
    };
    let (original, body) = match app.store.get(id).await {
        Ok(Some(found)) => found,
        Ok(None) => return (StatusCode::NOT_FOUND, "no such delivery").into_response(),
        Err(e) => return (StatusCode::INTERNAL_SERVER_ERROR, e).into_response(),
    };
    let resign = mode.mode.as_deref() == Some("resigned");
    let mut headers = HeaderMap::new();
    for (k, v) in &original.headers {
        if let (Ok(name), Ok(value)) = (
            axum::http::HeaderName::from_bytes(k.as_bytes()),
            axum::http::HeaderValue::from_str(v),
        ) {
            // A masked credential was never kept: it is not sent (the scheme's own is
            // restored below from --secret).
            if !HOP_HEADERS.contains(&name.as_str()) && !hookgen_runtime::redact::is_masked(v) {
                headers.append(name, value);
            }
        }
    }
    let mut body = Bytes::from(body);
    if !resign {
        restore_credentials(&app, &body, &mut headers);
    }
    if resign {
        match resigned(&app, &url, &body) {
            Ok((signed_body, signed)) => {
                for name in signed.keys() {
                    headers.remove(name);
                }
                headers.extend(signed);
                body = Bytes::from(signed_body);
            }
            Err(e) => return (StatusCode::CONFLICT, e).into_response(),
        }
    }
    let request = app
        .client
        .post(&url)
        .headers(headers.clone())
        .body(body.clone());
    let forward = send(request, &url, if resign { "resigned" } else { "exact" }).await;
    let mut record = Record {
        id: 0,
        received_at: store::rfc3339(SystemTime::now()),
        method: "POST".into(),
        path: original.path.clone(),
        headers: stored_headers(&app, &headers),
        analysis: if resign {
            analyze::analyze(
                &app.api,
                app.scheme.as_ref(),
                app.secret.as_deref(),
                &headers,
                &body,
                &url,
            )
        } else {
            original.analysis.clone()
        },
        forward: Some(forward),
        replay_of: Some(id),
    };
    match app.store.insert(&record, &body).await {
        Ok(new_id) => {
            record.id = new_id;
            let _ = app.changes.send(new_id);
            print_line(&record);
            axum::Json(summary(&record)).into_response()
        }
        Err(e) => (StatusCode::INTERNAL_SERVER_ERROR, e).into_response(),
    }
}

/// The scheme's shared-secret header, which the store keeps masked, sent again from --secret:
/// the vendor sent exactly that value, or the delivery did not verify.
fn restore_credentials(app: &App, body: &[u8], headers: &mut HeaderMap) {
    let (Some(scheme), Some(secret)) = (&app.scheme, &app.secret) else {
        return;
    };
    let credentials = scheme.credential_headers();
    if credentials.is_empty() {
        return;
    }
    let Ok(verifier) = Verifier::new(scheme.clone(), [secret]) else {
        return;
    };
    if let Ok(signed) = verifier.sign(body, None, None) {
        for (name, value) in &signed {
            if credentials.iter().any(|c| c == name.as_str()) {
                headers.insert(name.clone(), value.clone());
            }
        }
    }
}

fn resigned(app: &App, url: &str, body: &[u8]) -> Result<(Vec<u8>, HeaderMap), String> {
    let (Some(scheme), Some(secret)) = (&app.scheme, &app.secret) else {
        return Err("re-signing needs the spec's scheme and --secret".into());
    };
    let verifier = Verifier::new(scheme.clone(), [secret]).map_err(|e| e.to_string())?;
    let body = verifier.sign_body(body).map_err(|e| e.to_string())?;
    let id = format!(
        "msg_replay_{}",
        SystemTime::now()
            .duration_since(SystemTime::UNIX_EPOCH)
            .unwrap_or_default()
            .as_nanos()
    );
    let headers = if verifier.needs_url() {
        verifier.sign_request(url, &body, Some(&id), None)
    } else {
        verifier.sign(&body, Some(&id), None)
    }
    .map_err(|e| e.to_string())?;
    Ok((body, headers))
}

impl IntoResponse for page::Html {
    fn into_response(self) -> Response {
        Response::builder()
            .header("content-type", "text/html; charset=utf-8")
            .header("cache-control", "no-store")
            .body(Body::from(self.0.as_str()))
            .unwrap_or_default()
    }
}
