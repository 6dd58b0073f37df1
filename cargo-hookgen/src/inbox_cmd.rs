//! `cargo hookgen inbox --db URL ...`: inspect a receiver's durable inbox, replay dead letters
//! and undecodable bodies, prune handled deliveries.

use std::process::ExitCode;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use chrono::{DateTime, NaiveDate, Utc};
use hookgen_runtime::inbox::{self, Delivery, Inbox, ListFilter, Replay, State};

/// What to do with the inbox.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    /// Rows, newest first, with counts per state.
    List {
        state: Option<String>,
        event_type: Option<String>,
        limit: u32,
        json: bool,
    },
    /// One row with its headers and body.
    Show { id: i64, json: bool },
    /// Make rows pending again.
    Replay {
        id: Option<i64>,
        dead: bool,
        undecodable: bool,
    },
    /// Delete done rows received before a date.
    Purge { done_before: String },
}

/// Run `action` on the inbox at `db`: exit 0 on success, 1 when the row asked for is not
/// there, 2 on usage or database errors (returned as `Err`).
pub fn run(db: &str, action: Action) -> Result<ExitCode, String> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| e.to_string())?;
    if let Some(path) = sqlite_file(db) {
        // Opening creates a missing file; a typo must not look like an empty inbox.
        if !std::path::Path::new(path).exists() {
            return Err(format!(
                "no inbox at {path} (the receiver creates it when it starts)"
            ));
        }
    }
    runtime.block_on(async move {
        let inbox = inbox::open(db).await.map_err(|e| e.to_string())?;
        match action {
            Action::List {
                state,
                event_type,
                limit,
                json,
            } => list(&*inbox, state, event_type, limit, json).await,
            Action::Show { id, json } => show(&*inbox, id, json).await,
            Action::Replay {
                id,
                dead,
                undecodable,
            } => replay(&*inbox, id, dead, undecodable).await,
            Action::Purge { done_before } => purge(&*inbox, &done_before).await,
        }
    })
}

async fn list(
    inbox: &dyn Inbox,
    state: Option<String>,
    event_type: Option<String>,
    limit: u32,
    json: bool,
) -> Result<ExitCode, String> {
    let state = state.map(|s| parse_state(&s)).transpose()?;
    let filter = ListFilter {
        state,
        event_type,
        limit: Some(limit),
    };
    let rows = inbox.list(&filter).await.map_err(|e| e.to_string())?;
    let counts = inbox.counts().await.map_err(|e| e.to_string())?;
    if json {
        let value = serde_json::json!({
            "counts": counts.iter().map(|(s, n)| (s.as_str().to_string(), serde_json::Value::from(*n))).collect::<serde_json::Map<_, _>>(),
            "deliveries": rows.iter().map(summary_json).collect::<Vec<_>>(),
        });
        println!(
            "{}",
            serde_json::to_string_pretty(&value).unwrap_or_default()
        );
        return Ok(ExitCode::SUCCESS);
    }
    let totals: Vec<String> = counts.iter().map(|(s, n)| format!("{n} {s}")).collect();
    println!("{}", totals.join(", "));
    if rows.is_empty() {
        println!("(no deliveries match)");
    }
    for d in &rows {
        println!(
            "{:>6}  {}  {:<11}  {:>2} attempt(s)  {:<28}  {}{}",
            d.id,
            time(d.received_at),
            d.state.as_str(),
            d.attempts,
            d.event_type.as_deref().unwrap_or("-"),
            d.key,
            d.last_error
                .as_deref()
                .map(|e| format!("  ({})", one_line(e)))
                .unwrap_or_default()
        );
    }
    Ok(ExitCode::SUCCESS)
}

async fn show(inbox: &dyn Inbox, id: i64, json: bool) -> Result<ExitCode, String> {
    let Some(d) = inbox.get(id).await.map_err(|e| e.to_string())? else {
        eprintln!("no delivery {id} in the inbox");
        return Ok(ExitCode::from(1));
    };
    let body_text = std::str::from_utf8(&d.body).ok();
    let headers: Vec<(String, String)> = d
        .headers
        .iter()
        .map(|(name, value)| (name.clone(), hookgen_runtime::redact::shown(name, value)))
        .collect();
    if json {
        let mut value = summary_json(&d);
        value["headers"] = serde_json::json!(headers);
        value["body"] = match body_text {
            Some(text) => serde_json::from_str(text).unwrap_or_else(|_| text.into()),
            None => serde_json::json!({ "base64": base64(&d.body) }),
        };
        println!(
            "{}",
            serde_json::to_string_pretty(&value).unwrap_or_default()
        );
        return Ok(ExitCode::SUCCESS);
    }
    println!("delivery {} ({} from {})", d.id, d.key, d.source);
    println!("  state:       {}", d.state);
    println!("  event type:  {}", d.event_type.as_deref().unwrap_or("-"));
    println!("  received:    {}", time(d.received_at));
    println!("  attempts:    {}", d.attempts);
    if matches!(d.state, State::Pending) {
        println!("  next run:    {}", time(d.next_run_at));
    }
    if let (Some(owner), Some(until)) = (&d.lease_owner, d.lease_expires_at) {
        println!("  leased by:   {owner} until {}", time(until));
    }
    if let Some(e) = &d.last_error {
        println!("  last error:  {e}");
    }
    println!("headers:");
    for (name, value) in &headers {
        println!("  {name}: {value}");
    }
    println!("body ({} bytes):", d.body.len());
    match body_text {
        Some(text) => match serde_json::from_str::<serde_json::Value>(text) {
            Ok(v) => println!("{}", serde_json::to_string_pretty(&v).unwrap_or_default()),
            Err(_) => println!("{text}"),
        },
        None => println!("(binary, base64) {}", base64(&d.body)),
    }
    Ok(ExitCode::SUCCESS)
}

async fn replay(
    inbox: &dyn Inbox,
    id: Option<i64>,
    dead: bool,
    undecodable: bool,
) -> Result<ExitCode, String> {
    let which: Vec<Replay> = match (id, dead, undecodable) {
        (Some(id), false, false) => vec![Replay::Id(id)],
        (None, true, _) | (None, _, true) => {
            [(dead, Replay::Dead), (undecodable, Replay::Undecodable)]
                .into_iter()
                .filter_map(|(on, r)| on.then_some(r))
                .collect()
        }
        _ => return Err("replay takes an ID, or --dead and/or --undecodable".into()),
    };
    let mut total = 0;
    for w in which {
        total += inbox.replay(w).await.map_err(|e| e.to_string())?;
    }
    if let (Some(id), 0) = (id, total) {
        eprintln!("no delivery {id} in the inbox");
        return Ok(ExitCode::from(1));
    }
    println!("{total} deliveries made pending again; running receivers pick them up");
    Ok(ExitCode::SUCCESS)
}

async fn purge(inbox: &dyn Inbox, date: &str) -> Result<ExitCode, String> {
    let before = parse_date(date)?;
    let n = inbox
        .purge_done_before(before)
        .await
        .map_err(|e| e.to_string())?;
    println!(
        "{n} done deliveries received before {} purged",
        time(before)
    );
    Ok(ExitCode::SUCCESS)
}

/// The file a `sqlite:PATH[?options]` URL names (not `sqlite::memory:`).
fn sqlite_file(url: &str) -> Option<&str> {
    let rest = url.strip_prefix("sqlite:")?;
    let rest = rest.strip_prefix("//").unwrap_or(rest);
    let path = rest.split('?').next().unwrap_or(rest);
    (!path.is_empty() && !path.starts_with(':')).then_some(path)
}

fn parse_state(name: &str) -> Result<State, String> {
    State::parse(name).ok_or_else(|| {
        let all: Vec<&str> = State::ALL.iter().map(|s| s.as_str()).collect();
        format!("unknown state `{name}`: one of {}", all.join(", "))
    })
}

/// RFC 3339 (`2026-11-20T00:00:00Z`), a day (`2026-11-20`, midnight UTC) or unix seconds.
pub fn parse_date(text: &str) -> Result<SystemTime, String> {
    if let Ok(t) = DateTime::parse_from_rfc3339(text) {
        return Ok(t.with_timezone(&Utc).into());
    }
    if let Ok(day) = NaiveDate::parse_from_str(text, "%Y-%m-%d") {
        let midnight = day.and_hms_opt(0, 0, 0).ok_or("bad date")?.and_utc();
        return Ok(midnight.into());
    }
    if let Ok(secs) = text.parse::<u64>() {
        return Ok(UNIX_EPOCH + Duration::from_secs(secs));
    }
    Err(format!(
        "`{text}` is not a date: use 2026-11-20, 2026-11-20T12:00:00Z or unix seconds"
    ))
}

fn time(t: SystemTime) -> String {
    DateTime::<Utc>::from(t)
        .format("%Y-%m-%dT%H:%M:%SZ")
        .to_string()
}

fn one_line(text: &str) -> String {
    let line = text.lines().next().unwrap_or_default();
    if line.chars().count() > 80 {
        format!("{}…", line.chars().take(80).collect::<String>())
    } else {
        line.to_string()
    }
}

fn base64(bytes: &[u8]) -> String {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

fn summary_json(d: &Delivery) -> serde_json::Value {
    serde_json::json!({
        "id": d.id,
        "source": d.source,
        "key": d.key,
        "state": d.state.as_str(),
        "event_type": d.event_type,
        "attempts": d.attempts,
        "received_at": time(d.received_at),
        "next_run_at": time(d.next_run_at),
        "lease_owner": d.lease_owner,
        "last_error": d.last_error,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_in_three_forms() {
        let day = parse_date("2026-11-20").unwrap();
        assert_eq!(parse_date("2026-11-20T00:00:00Z").unwrap(), day);
        assert_eq!(parse_date("1795132800").unwrap(), day);
        assert!(parse_date("last tuesday")
            .unwrap_err()
            .contains("not a date"));
    }
}
