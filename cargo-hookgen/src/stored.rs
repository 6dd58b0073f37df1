//! The deliveries an inbox holds, for the commands that judge them against a spec (`drift`,
//! `diff --inbox`).

use std::path::Path;

use hookgen::received::Stored;
use hookgen_runtime::inbox::{self, Inbox, ListFilter};

/// Every delivery in the inbox (a receiver's, or listen's SQLite file).
pub fn read(url: &str) -> Result<Vec<Stored>, String> {
    if let Some(path) = url.strip_prefix("sqlite:") {
        let path = path.strip_prefix("//").unwrap_or(path);
        let path = path.split('?').next().unwrap_or_default();
        if !Path::new(path).exists() {
            return Err(format!("no inbox at {path}"));
        }
    }
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| e.to_string())?;
    runtime.block_on(async {
        let inbox = inbox::open(url).await.map_err(|e| e.to_string())?;
        all(&*inbox).await
    })
}

/// Every delivery `inbox` holds, oldest first.
pub async fn all(inbox: &dyn Inbox) -> Result<Vec<Stored>, String> {
    let filter = ListFilter {
        limit: Some(u32::MAX),
        ..ListFilter::default()
    };
    let mut rows = inbox.list(&filter).await.map_err(|e| e.to_string())?;
    rows.sort_by_key(|d| d.id);
    Ok(rows
        .into_iter()
        .map(|d| Stored {
            id: d.id.to_string(),
            headers: inbox::stored_header_map(&d.headers),
            body: d.body,
        })
        .collect())
}
