//! The transport under generated API clients: auth, timeouts, retries, typed responses.
//!
//! Retries: 429 and 503 only, honouring `Retry-After` (seconds) and backing off exponentially
//! otherwise, and only for idempotent methods unless the caller opts in. Other 4xx are never
//! retried. The transport is a trait, so tracing or a custom policy can wrap it.

// `ClientError` carries the whole response (status, headers, body) on purpose: nothing is lost.
#![allow(clippy::result_large_err)]

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use http::{HeaderMap, HeaderName, HeaderValue, Method, StatusCode};
use serde::de::DeserializeOwned;
use serde::Serialize;

pub use reqwest;

/// Sends one HTTP request. Implemented for `reqwest::Client`; wrap it to add tracing or your own policy.
pub trait Transport: Send + Sync + 'static {
    /// Send the request and return the response (without reading the body).
    fn send(
        &self,
        request: reqwest::Request,
    ) -> Pin<Box<dyn Future<Output = reqwest::Result<reqwest::Response>> + Send>>;
}

impl Transport for reqwest::Client {
    fn send(
        &self,
        request: reqwest::Request,
    ) -> Pin<Box<dyn Future<Output = reqwest::Result<reqwest::Response>> + Send>> {
        Box::pin(self.execute(request))
    }
}

/// Which credential an operation accepts (from the spec's `securitySchemes`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AuthScheme {
    /// HTTP Basic.
    Basic,
    /// `Authorization: Bearer`.
    Bearer,
    /// An API key in this header.
    ApiKeyHeader(&'static str),
    /// An API key in this query parameter.
    ApiKeyQuery(&'static str),
}

/// Credentials for the vendor's API. Never printed.
#[derive(Clone, Default)]
pub enum Credentials {
    /// No credentials.
    #[default]
    None,
    /// HTTP Basic.
    Basic {
        /// User name.
        username: String,
        /// Password.
        password: String,
    },
    /// A bearer token.
    Bearer(String),
    /// An API key (sent where the operation's scheme says).
    ApiKey(String),
}

impl fmt::Debug for Credentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let kind = match self {
            Credentials::None => "None",
            Credentials::Basic { .. } => "Basic(redacted)",
            Credentials::Bearer(_) => "Bearer(redacted)",
            Credentials::ApiKey(_) => "ApiKey(redacted)",
        };
        f.write_str(kind)
    }
}

impl Credentials {
    /// HTTP Basic credentials.
    pub fn basic(username: impl Into<String>, password: impl Into<String>) -> Self {
        Credentials::Basic {
            username: username.into(),
            password: password.into(),
        }
    }
    /// A bearer token.
    pub fn bearer(token: impl Into<String>) -> Self {
        Credentials::Bearer(token.into())
    }
    /// An API key.
    pub fn api_key(key: impl Into<String>) -> Self {
        Credentials::ApiKey(key.into())
    }
}

/// When to retry.
#[derive(Debug, Clone)]
pub struct RetryPolicy {
    /// Retries after the first attempt (default 3).
    pub max_retries: u32,
    /// First backoff when the server gives no `Retry-After` (default 200 ms, doubling).
    pub base_delay: Duration,
    /// Longest wait, whatever `Retry-After` says (default 30 s).
    pub max_delay: Duration,
    /// Also retry POST and PATCH (not idempotent) on 429/503 (default false).
    pub retry_non_idempotent: bool,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            max_retries: 3,
            base_delay: Duration::from_millis(200),
            max_delay: Duration::from_secs(30),
            retry_non_idempotent: false,
        }
    }
}

impl RetryPolicy {
    /// Never retry.
    pub fn none() -> Self {
        RetryPolicy {
            max_retries: 0,
            ..Default::default()
        }
    }
}

/// A request body.
#[derive(Debug, Clone)]
pub enum Body {
    /// `application/json`.
    Json(Vec<u8>),
    /// `application/x-www-form-urlencoded`.
    Form(String),
}

impl Body {
    /// Serialize a JSON body.
    pub fn json<T: Serialize + ?Sized>(value: &T) -> Result<Self, serde_json::Error> {
        serde_json::to_vec(value).map(Body::Json)
    }
    /// Serialize a form body.
    pub fn form<T: Serialize + ?Sized>(value: &T) -> Result<Self, serde_urlencoded::ser::Error> {
        serde_urlencoded::to_string(value).map(Body::Form)
    }
}

/// One operation call, as the generated code describes it.
#[derive(Debug)]
pub struct Request {
    /// HTTP method.
    pub method: Method,
    /// Path with parameters already substituted (see [`path_segment`]).
    pub path: String,
    /// Query pairs (see [`query_param`]).
    pub query: Vec<(String, String)>,
    /// Header pairs.
    pub headers: Vec<(&'static str, String)>,
    /// Body, if any.
    pub body: Option<Body>,
    /// Accepted credentials; empty means the operation takes none.
    pub auth: &'static [AuthScheme],
    /// Statuses the spec documents as errors with a body of the operation's error type.
    pub error_statuses: &'static [&'static str],
}

impl Request {
    /// A request with no parameters.
    pub fn new(method: Method, path: String) -> Self {
        Request {
            method,
            path,
            query: Vec::new(),
            headers: Vec::new(),
            body: None,
            auth: &[],
            error_statuses: &[],
        }
    }

    /// Accept these credentials.
    pub fn auth(mut self, schemes: &'static [AuthScheme]) -> Self {
        self.auth = schemes;
        self
    }

    /// These statuses are documented errors with a body of the operation's error type.
    pub fn errors(mut self, statuses: &'static [&'static str]) -> Self {
        self.error_statuses = statuses;
        self
    }

    /// Add a query parameter ([`query_param`]); `None` (null) adds nothing.
    pub fn query<T: Serialize + ?Sized>(mut self, name: &str, value: &T, explode: bool) -> Self {
        query_param(&mut self.query, name, value, explode);
        self
    }

    /// Add a header parameter ([`header_param`]); `None` (null) adds nothing.
    pub fn header<T: Serialize + ?Sized>(mut self, name: &'static str, value: &T) -> Self {
        if !serde_json::to_value(value).is_ok_and(|v| v.is_null()) {
            self.headers.push((name, header_param(value)));
        }
        self
    }

    /// A JSON body; `None` (null) sends none.
    pub fn json<T: Serialize + ?Sized, E>(mut self, body: &T) -> Result<Self, ClientError<E>> {
        let bytes =
            serde_json::to_vec(body).map_err(|e| ClientError::InvalidRequest(e.to_string()))?;
        if bytes != b"null" {
            self.body = Some(Body::Json(bytes));
        }
        Ok(self)
    }

    /// A form body (`application/x-www-form-urlencoded`); `None` sends none.
    pub fn form<T: Serialize + ?Sized, E>(mut self, body: &T) -> Result<Self, ClientError<E>> {
        if serde_json::to_value(body).is_ok_and(|v| v.is_null()) {
            return Ok(self);
        }
        let text = serde_urlencoded::to_string(body)
            .map_err(|e| ClientError::InvalidRequest(e.to_string()))?;
        self.body = Some(Body::Form(text));
        Ok(self)
    }
}

const SEGMENT: &percent_encoding::AsciiSet = &percent_encoding::NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'_')
    .remove(b'.')
    .remove(b'~');

/// Percent-encode one path parameter value.
pub fn path_segment(value: &impl fmt::Display) -> String {
    percent_encoding::utf8_percent_encode(&value.to_string(), SEGMENT).to_string()
}

// Parameters of any type, written the way OpenAPI's default styles say: `simple` for path and
// header parameters, `form` for query parameters. Every generated type is `Serialize`, so one
// mechanism covers strings, numbers, booleans, open enums, newtypes, arrays and objects.

/// A path parameter (`simple` style, percent-encoded): `5`, `a,b,c`, `role,admin,team,3`.
pub fn path_param<T: Serialize + ?Sized>(value: &T) -> String {
    percent_encoding::utf8_percent_encode(&simple_style(value), SEGMENT).to_string()
}

/// A header parameter (`simple` style): like a path parameter, not percent-encoded.
pub fn header_param<T: Serialize + ?Sized>(value: &T) -> String {
    simple_style(value)
}

/// Append a query parameter (`form` style) to `query`. With `explode` (the default), an array
/// repeats the name (`id=1&id=2`) and an object becomes one pair per property (`role=admin`);
/// without it, `id=1,2` and `filter=role,admin`. A null value is not sent.
pub fn query_param<T: Serialize + ?Sized>(
    query: &mut Vec<(String, String)>,
    name: &str,
    value: &T,
    explode: bool,
) {
    match serde_json::to_value(value).unwrap_or(serde_json::Value::Null) {
        serde_json::Value::Null => {}
        serde_json::Value::Array(items) if explode => query.extend(
            items
                .iter()
                .map(|item| (name.to_string(), scalar_text(item))),
        ),
        serde_json::Value::Object(fields) if explode => query.extend(
            fields
                .iter()
                .filter(|(_, v)| !v.is_null())
                .map(|(k, v)| (k.clone(), scalar_text(v))),
        ),
        other => query.push((name.to_string(), joined(&other))),
    }
}

fn simple_style<T: Serialize + ?Sized>(value: &T) -> String {
    joined(&serde_json::to_value(value).unwrap_or(serde_json::Value::Null))
}

/// Arrays as `a,b`, objects as `k,v,k,v` (non-exploded), scalars as their text.
fn joined(value: &serde_json::Value) -> String {
    match value {
        serde_json::Value::Array(items) => {
            items.iter().map(scalar_text).collect::<Vec<_>>().join(",")
        }
        serde_json::Value::Object(fields) => fields
            .iter()
            .filter(|(_, v)| !v.is_null())
            .flat_map(|(k, v)| [k.clone(), scalar_text(v)])
            .collect::<Vec<_>>()
            .join(","),
        other => scalar_text(other),
    }
}

/// A scalar's text (`true`, `5`, `admin`); nested arrays and objects as JSON text.
fn scalar_text(value: &serde_json::Value) -> String {
    match value {
        serde_json::Value::String(s) => s.clone(),
        serde_json::Value::Null => String::new(),
        other => other.to_string(),
    }
}

/// Why a call failed. Every variant that saw a response keeps its status, headers and body.
#[derive(Debug)]
#[non_exhaustive]
pub enum ClientError<E = serde_json::Value> {
    /// A documented error status; its body decoded into the operation's error type.
    Api {
        /// Status code.
        status: StatusCode,
        /// Response headers.
        headers: HeaderMap,
        /// The typed error body.
        body: E,
    },
    /// A status the spec does not document, or a documented one whose body did not decode.
    UnexpectedStatus {
        /// Status code.
        status: StatusCode,
        /// Response headers.
        headers: HeaderMap,
        /// The raw body.
        body: Bytes,
    },
    /// A success status whose body does not fit the documented type.
    Decode {
        /// Status code.
        status: StatusCode,
        /// Response headers.
        headers: HeaderMap,
        /// The raw body.
        body: Bytes,
        /// What serde said.
        error: serde_json::Error,
    },
    /// The request did not complete in time.
    Timeout,
    /// Connection or protocol failure.
    Transport(reqwest::Error),
    /// The request could not be built (bad base URL, unserialisable body, missing value).
    InvalidRequest(String),
}

impl<E: fmt::Debug> fmt::Display for ClientError<E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ClientError::Api { status, body, .. } => write!(f, "API error {status}: {body:?}"),
            ClientError::UnexpectedStatus { status, body, .. } => {
                write!(f, "unexpected status {status} ({} byte body)", body.len())
            }
            ClientError::Decode { status, error, .. } => {
                write!(f, "status {status}, but the body does not decode: {error}")
            }
            ClientError::Timeout => f.write_str("request timed out"),
            ClientError::Transport(e) => write!(f, "transport error: {e}"),
            ClientError::InvalidRequest(m) => write!(f, "invalid request: {m}"),
        }
    }
}

impl<E: fmt::Debug> std::error::Error for ClientError<E> {}

impl<E> ClientError<E> {
    /// The response status, when a response was received.
    pub fn status(&self) -> Option<StatusCode> {
        match self {
            ClientError::Api { status, .. }
            | ClientError::UnexpectedStatus { status, .. }
            | ClientError::Decode { status, .. } => Some(*status),
            _ => None,
        }
    }
}

/// The configured HTTP side of a generated `Client`.
#[derive(Clone)]
pub struct HttpClient {
    transport: Arc<dyn Transport>,
    base_url: String,
    credentials: Credentials,
    retry: RetryPolicy,
    user_agent: String,
}

impl fmt::Debug for HttpClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("HttpClient")
            .field("base_url", &self.base_url)
            .field("credentials", &self.credentials)
            .field("retry", &self.retry)
            .finish()
    }
}

/// Default request timeout.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(30);

impl HttpClient {
    /// A client for `base_url` with reqwest, a 30 s timeout and the given user agent. HTTPS
    /// needs the `native-tls` or the `rustls` feature: without either, an `https` base URL is
    /// refused here, not at the first request.
    pub fn new(
        base_url: impl Into<String>,
        user_agent: impl Into<String>,
    ) -> Result<Self, ClientError> {
        Self::with_timeout(base_url, user_agent, DEFAULT_TIMEOUT)
    }

    /// [`HttpClient::new`] with another timeout.
    pub fn with_timeout(
        base_url: impl Into<String>,
        user_agent: impl Into<String>,
        timeout: Duration,
    ) -> Result<Self, ClientError> {
        let base_url = base_url.into();
        if cfg!(not(any(feature = "native-tls", feature = "rustls")))
            && base_url.starts_with("https:")
        {
            return Err(ClientError::InvalidRequest(format!(
                "`{base_url}` needs TLS: turn on hookgen-runtime's `native-tls` or `rustls` feature"
            )));
        }
        let user_agent = user_agent.into();
        let client = reqwest::Client::builder()
            .timeout(timeout)
            .user_agent(user_agent.clone())
            .build()
            .map_err(ClientError::Transport)?;
        Ok(Self::with_transport(base_url, user_agent, client))
    }

    /// Use your own transport (tracing, middleware, a test double).
    pub fn with_transport(
        base_url: impl Into<String>,
        user_agent: impl Into<String>,
        transport: impl Transport,
    ) -> Self {
        HttpClient {
            transport: Arc::new(transport),
            base_url: base_url.into().trim_end_matches('/').to_string(),
            credentials: Credentials::None,
            retry: RetryPolicy::default(),
            user_agent: user_agent.into(),
        }
    }

    /// Set credentials.
    pub fn set_credentials(&mut self, credentials: Credentials) {
        self.credentials = credentials;
    }

    /// Set the retry policy.
    pub fn set_retry_policy(&mut self, retry: RetryPolicy) {
        self.retry = retry;
    }

    /// The base URL requests go to.
    pub fn base_url(&self) -> &str {
        &self.base_url
    }

    /// Send a request, retrying as the policy allows, and decode the response.
    ///
    /// Only the decoding is generic: the sending, the retries and the reading of the body are
    /// one function for every operation, so a client of 465 operations compiles them once.
    pub async fn call<T: DeserializeOwned, E: DeserializeOwned>(
        &self,
        request: Request,
    ) -> Result<T, ClientError<E>> {
        let raw = Box::pin(self.exchange(request))
            .await
            .map_err(Failure::into_error)?;
        raw.decode()
    }

    /// Send, retry and read the whole response.
    async fn exchange(&self, request: Request) -> Result<RawResponse, Failure> {
        let idempotent = matches!(
            request.method,
            Method::GET | Method::HEAD | Method::PUT | Method::DELETE | Method::OPTIONS
        );
        let may_retry = idempotent || self.retry.retry_non_idempotent;
        let mut attempt = 0;
        loop {
            let built = self.build(&request).map_err(Failure::InvalidRequest)?;
            let response = self.transport.send(built).await.map_err(Failure::from)?;
            let status = response.status();
            let retryable = status == StatusCode::TOO_MANY_REQUESTS
                || status == StatusCode::SERVICE_UNAVAILABLE;
            if retryable && may_retry && attempt < self.retry.max_retries {
                let wait = retry_after(response.headers())
                    .unwrap_or_else(|| self.retry.base_delay * 2u32.saturating_pow(attempt));
                tokio::time::sleep(wait.min(self.retry.max_delay)).await;
                attempt += 1;
                continue;
            }
            let headers = response.headers().clone();
            let body = response.bytes().await.map_err(Failure::from)?;
            return Ok(RawResponse {
                status,
                headers,
                body,
                error_statuses: request.error_statuses,
            });
        }
    }

    fn build(&self, r: &Request) -> Result<reqwest::Request, String> {
        let url = format!("{}{}", self.base_url, r.path);
        let mut url = reqwest::Url::parse(&url).map_err(|e| format!("`{url}`: {e}"))?;
        let mut query: Vec<(&str, &str)> = r
            .query
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        let mut headers = HeaderMap::new();
        for (k, v) in &r.headers {
            let name = HeaderName::from_bytes(k.as_bytes())
                .map_err(|_| format!("`{k}` is not a header name that can be sent"))?;
            let value = HeaderValue::from_str(v)
                .map_err(|_| format!("header `{k}` has a value that cannot be sent"))?;
            headers.append(name, value);
        }
        self.apply_auth(r.auth, &mut headers, &mut query);
        if !query.is_empty() {
            url.query_pairs_mut().extend_pairs(query);
        }
        let mut req = reqwest::Request::new(r.method.clone(), url);
        let body = match &r.body {
            Some(Body::Json(b)) => {
                headers.insert(
                    http::header::CONTENT_TYPE,
                    HeaderValue::from_static("application/json"),
                );
                Some(b.clone())
            }
            Some(Body::Form(f)) => {
                headers.insert(
                    http::header::CONTENT_TYPE,
                    HeaderValue::from_static("application/x-www-form-urlencoded"),
                );
                Some(f.clone().into_bytes())
            }
            None => None,
        };
        headers.insert(
            http::header::ACCEPT,
            HeaderValue::from_static("application/json"),
        );
        if let Ok(ua) = HeaderValue::from_str(&self.user_agent) {
            headers.insert(http::header::USER_AGENT, ua);
        }
        *req.headers_mut() = headers;
        *req.body_mut() = body.map(reqwest::Body::from);
        Ok(req)
    }

    fn apply_auth<'a>(
        &'a self,
        accepted: &[AuthScheme],
        headers: &mut HeaderMap,
        query: &mut Vec<(&'a str, &'a str)>,
    ) {
        for scheme in accepted {
            match (scheme, &self.credentials) {
                (AuthScheme::Basic, Credentials::Basic { username, password }) => {
                    use base64::Engine;
                    let token = base64::engine::general_purpose::STANDARD
                        .encode(format!("{username}:{password}"));
                    if let Ok(mut v) = HeaderValue::from_str(&format!("Basic {token}")) {
                        v.set_sensitive(true);
                        headers.insert(http::header::AUTHORIZATION, v);
                    }
                    return;
                }
                (AuthScheme::Bearer, Credentials::Bearer(token)) => {
                    if let Ok(mut v) = HeaderValue::from_str(&format!("Bearer {token}")) {
                        v.set_sensitive(true);
                        headers.insert(http::header::AUTHORIZATION, v);
                    }
                    return;
                }
                (AuthScheme::ApiKeyHeader(name), Credentials::ApiKey(key)) => {
                    if let (Ok(n), Ok(mut v)) = (
                        HeaderName::from_bytes(name.as_bytes()),
                        HeaderValue::from_str(key),
                    ) {
                        v.set_sensitive(true);
                        headers.insert(n, v);
                    }
                    return;
                }
                (AuthScheme::ApiKeyQuery(name), Credentials::ApiKey(key)) => {
                    query.push((name, key.as_str()));
                    return;
                }
                _ => {}
            }
        }
    }
}

/// Why a request got no response to decode; the same for every operation.
enum Failure {
    InvalidRequest(String),
    Timeout,
    Transport(reqwest::Error),
}

impl From<reqwest::Error> for Failure {
    fn from(e: reqwest::Error) -> Self {
        if e.is_timeout() {
            Failure::Timeout
        } else {
            Failure::Transport(e)
        }
    }
}

impl Failure {
    fn into_error<E>(self) -> ClientError<E> {
        match self {
            Failure::InvalidRequest(m) => ClientError::InvalidRequest(m),
            Failure::Timeout => ClientError::Timeout,
            Failure::Transport(e) => ClientError::Transport(e),
        }
    }
}

/// A whole response, read before the operation's types are involved.
struct RawResponse {
    status: StatusCode,
    headers: HeaderMap,
    body: bytes::Bytes,
    error_statuses: &'static [&'static str],
}

impl RawResponse {
    fn decode<T: DeserializeOwned, E: DeserializeOwned>(self) -> Result<T, ClientError<E>> {
        let RawResponse {
            status,
            headers,
            body,
            error_statuses,
        } = self;
        if status.is_success() {
            let text: &[u8] = if body.iter().all(u8::is_ascii_whitespace) {
                b"null"
            } else {
                &body
            };
            return crate::decode::read_json(text).map_err(|error| ClientError::Decode {
                status,
                headers,
                body,
                error: error.inner,
            });
        }
        if documented(status, error_statuses) {
            if let Ok(typed) = crate::decode::read_json::<E>(&body) {
                return Err(ClientError::Api {
                    status,
                    headers,
                    body: typed,
                });
            }
        }
        Err(ClientError::UnexpectedStatus {
            status,
            headers,
            body,
        })
    }
}

fn documented(status: StatusCode, statuses: &[&str]) -> bool {
    let code = status.as_str();
    statuses.iter().any(|s| {
        *s == code
            || *s == "default"
            || (s.len() == 3 && s.ends_with("XX") && s.as_bytes()[0] == code.as_bytes()[0])
    })
}

/// `Retry-After` in seconds (the HTTP-date form is not honoured; backoff applies instead).
fn retry_after(headers: &HeaderMap) -> Option<Duration> {
    let v = headers.get(http::header::RETRY_AFTER)?.to_str().ok()?;
    v.trim().parse::<u64>().ok().map(Duration::from_secs)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn path_segments_are_escaped() {
        assert_eq!(path_segment(&"a b/c"), "a%20b%2Fc");
        assert_eq!(path_segment(&"df801b47-b7be"), "df801b47-b7be");
    }

    #[test]
    fn documented_statuses_match_ranges_and_default() {
        assert!(documented(StatusCode::NOT_FOUND, &["404"]));
        assert!(documented(StatusCode::BAD_REQUEST, &["4XX"]));
        assert!(!documented(StatusCode::BAD_REQUEST, &["5XX"]));
        assert!(documented(StatusCode::IM_A_TEAPOT, &["default"]));
    }

    #[test]
    fn credentials_are_not_printed() {
        let c = Credentials::basic("user", "hunter2");
        assert!(!format!("{c:?}").contains("hunter2"));
    }
}

#[cfg(test)]
mod param_tests {
    use super::*;
    use serde_json::json;

    #[derive(Serialize)]
    struct BankId(String);

    #[derive(Serialize)]
    #[serde(rename_all = "lowercase")]
    enum Region {
        Eu,
    }

    fn query(value: serde_json::Value, explode: bool) -> Vec<(String, String)> {
        let mut q = Vec::new();
        query_param(&mut q, "p", &value, explode);
        q
    }

    fn pairs(p: &[(&str, &str)]) -> Vec<(String, String)> {
        p.iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn path_parameters_of_every_shape_use_the_simple_style() {
        assert_eq!(path_param(&BankId("bank 1/2".into())), "bank%201%2F2");
        assert_eq!(path_param(&Region::Eu), "eu");
        assert_eq!(path_param(&5_i64), "5");
        assert_eq!(path_param(&true), "true");
        assert_eq!(path_param(&["a", "b"]), "a%2Cb");
        assert_eq!(
            path_param(&json!({"role": "admin", "n": 3})),
            "role%2Cadmin%2Cn%2C3"
        );
        assert_eq!(header_param(&vec![1, 2]), "1,2");
        assert_eq!(header_param("x y"), "x y");
    }

    #[test]
    fn query_parameters_use_the_form_style_with_and_without_explode() {
        assert_eq!(query(json!("eu"), true), pairs(&[("p", "eu")]));
        assert_eq!(query(json!([1, 2]), true), pairs(&[("p", "1"), ("p", "2")]));
        assert_eq!(query(json!([1, 2]), false), pairs(&[("p", "1,2")]));
        assert_eq!(
            query(json!({"role": "admin", "team": 3, "gone": null}), true),
            pairs(&[("role", "admin"), ("team", "3")])
        );
        assert_eq!(
            query(json!({"role": "admin"}), false),
            pairs(&[("p", "role,admin")])
        );
        assert_eq!(query(json!(null), true), pairs(&[]));
        assert_eq!(query(json!(false), true), pairs(&[("p", "false")]));
    }
}
