//! A bare HTTP/1.1 load generator on a thread of its own.
//!
//! The receiver and its load share this machine's 2 cores, so every cycle the generator spends
//! is one the receiver does not get. reqwest on the receiver's runtime cost about as much CPU
//! as the receiver itself. Here each request is serialized once, before the clock starts, the
//! connections are opened before it too, and sending one is a `write_all` and a read of the
//! status line and body on a single-threaded runtime of its own.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// (status, latency) of each request; status 0 is a transport error.
pub type Results = Vec<(u16, Duration)>;

/// `POST path` with `headers` and `body`, as bytes on the wire.
pub fn request(path: &str, headers: &http::HeaderMap, body: &[u8]) -> Vec<u8> {
    let mut out = format!("POST {path} HTTP/1.1\r\nhost: load\r\n").into_bytes();
    for (name, value) in headers {
        out.extend_from_slice(name.as_str().as_bytes());
        out.extend_from_slice(b": ");
        out.extend_from_slice(value.as_bytes());
        out.extend_from_slice(b"\r\n");
    }
    out.extend_from_slice(
        format!(
            "content-type: application/json\r\ncontent-length: {}\r\n\r\n",
            body.len()
        )
        .as_bytes(),
    );
    out.extend_from_slice(body);
    out
}

/// How the requests are paced.
#[derive(Clone, Copy)]
pub struct Pace {
    /// Keep-alive connections, opened before the clock starts; connection `c` talks to
    /// `targets[c % targets.len()]`.
    pub connections: usize,
    /// `None`: each connection sends its next request when the last is answered (closed
    /// loop). `Some(rate)`: request `i` is due `i / rate` after the start, and its latency
    /// counts from then, even when it waited for a free connection (open loop).
    pub rate: Option<f64>,
    /// No request is sent after this much time.
    pub limit: Duration,
}

/// Send every request once, on a thread of its own, and return each one's status and
/// latency (in no particular order) with the time the whole run took.
pub fn drive(
    targets: Vec<SocketAddr>,
    requests: Arc<Vec<Vec<u8>>>,
    pace: Pace,
) -> (Results, Duration) {
    std::thread::spawn(move || {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("a runtime for the load generator");
        runtime.block_on(run(targets, requests, pace))
    })
    .join()
    .expect("the load generator does not panic")
}

async fn run(
    targets: Vec<SocketAddr>,
    requests: Arc<Vec<Vec<u8>>>,
    pace: Pace,
) -> (Results, Duration) {
    let mut streams = Vec::with_capacity(pace.connections);
    for c in 0..pace.connections {
        let target = targets[c % targets.len()];
        streams.push((
            target,
            connect(target).await.expect("connect to the receiver"),
        ));
    }
    let next = Arc::new(AtomicUsize::new(0));
    let started = Instant::now();
    let mut tasks = Vec::with_capacity(streams.len());
    for (target, stream) in streams {
        let (requests, next) = (requests.clone(), next.clone());
        tasks.push(tokio::spawn(async move {
            connection(target, stream, &requests, &next, pace, started).await
        }));
    }
    let mut results = Vec::with_capacity(requests.len());
    for task in tasks {
        results.extend(task.await.expect("a connection task does not panic"));
    }
    (results, started.elapsed())
}

async fn connect(target: SocketAddr) -> std::io::Result<TcpStream> {
    let stream = TcpStream::connect(target).await?;
    stream.set_nodelay(true)?;
    Ok(stream)
}

/// One connection's share: it takes the next request number until none are left.
async fn connection(
    target: SocketAddr,
    mut stream: TcpStream,
    requests: &[Vec<u8>],
    next: &AtomicUsize,
    pace: Pace,
    started: Instant,
) -> Results {
    let mut out = Vec::new();
    let mut buffer = Vec::with_capacity(4096);
    loop {
        let i = next.fetch_add(1, Ordering::Relaxed);
        if i >= requests.len() {
            break;
        }
        let due = match pace.rate {
            Some(rate) => {
                let due = started + Duration::from_secs_f64(i as f64 / rate);
                tokio::time::sleep_until(due.into()).await;
                due
            }
            None => Instant::now(),
        };
        if started.elapsed() > pace.limit {
            break;
        }
        let status = match exchange(&mut stream, &requests[i], &mut buffer).await {
            Ok(status) => status,
            Err(_) => {
                // The answer is lost; a fresh connection serves the next request.
                match connect(target).await {
                    Ok(fresh) => stream = fresh,
                    Err(_) => break,
                }
                0
            }
        };
        out.push((status, due.elapsed()));
    }
    out
}

/// Write one request and read its whole answer; the answer's status.
async fn exchange(
    stream: &mut TcpStream,
    request: &[u8],
    buffer: &mut Vec<u8>,
) -> std::io::Result<u16> {
    stream.write_all(request).await?;
    buffer.clear();
    let head_end = loop {
        if let Some(end) = find(buffer, b"\r\n\r\n") {
            break end + 4;
        }
        read_more(stream, buffer).await?;
    };
    let head = std::str::from_utf8(&buffer[..head_end]).map_err(invalid)?;
    let status: u16 = head
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| invalid("no status line"))?;
    let header = |name: &str| {
        head.lines().find_map(|line| {
            let (n, v) = line.split_once(':')?;
            n.eq_ignore_ascii_case(name)
                .then(|| v.trim().to_ascii_lowercase())
        })
    };
    if let Some(length) = header("content-length") {
        let length: usize = length.parse().map_err(invalid)?;
        while buffer.len() < head_end + length {
            read_more(stream, buffer).await?;
        }
    } else if header("transfer-encoding").is_some_and(|v| v.contains("chunked")) {
        while find(&buffer[head_end..], b"0\r\n\r\n").is_none() {
            read_more(stream, buffer).await?;
        }
    }
    Ok(status)
}

async fn read_more(stream: &mut TcpStream, buffer: &mut Vec<u8>) -> std::io::Result<()> {
    let mut chunk = [0u8; 4096];
    let n = stream.read(&mut chunk).await?;
    if n == 0 {
        return Err(std::io::ErrorKind::UnexpectedEof.into());
    }
    buffer.extend_from_slice(&chunk[..n]);
    Ok(())
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

fn invalid(e: impl std::fmt::Display) -> std::io::Error {
    std::io::Error::new(std::io::ErrorKind::InvalidData, e.to_string())
}
