//! The ROOMZ SDK generated at build time: verify a signed delivery, decode it, match on it.

mod roomz {
    include!(concat!(env!("OUT_DIR"), "/roomz.rs"));
}

use roomz::{Event, Webhook};

/// What a receiver does with one delivery: verify, decode, dispatch.
fn handle(
    webhook: &Webhook,
    headers: &hookgen_runtime::reexports::http::HeaderMap,
    body: &[u8],
) -> String {
    match webhook.verify(headers, body) {
        Ok(Event::WorkspaceStatusUpdated(e)) => {
            format!("workspace {} changed status", e.workspace_id)
        }
        Ok(Event::WorkspacePresenceChanged(e)) => format!(
            "presence in {}: {:?}",
            e.data.workspace_id, e.data.presence_status
        ),
        Ok(other) => format!("ignored {}", other.event_type()),
        Err(e) => format!("rejected: {e}"),
    }
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let webhook = Webhook::new("roomz_test_secret")?;
    let body = br#"{"id":"4f6aa5b6-8d68-4b48-b779-861fba5c20ba","type":"workspace.status.updated","timestamp":"2024-02-02T09:13:44+0000","workspaceId":"df801b47-b7be-48e8-8e21-20e20c75906c"}"#;
    let headers = webhook.sign(body)?;
    println!("{}", handle(&webhook, &headers, body));
    let tampered = body
        .iter()
        .copied()
        .map(|b| if b == b'd' { b'e' } else { b })
        .collect::<Vec<_>>();
    println!("{}", handle(&webhook, &headers, &tampered));
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn verifies_decodes_and_rejects_tampering() {
        let webhook = Webhook::new("roomz_test_secret").unwrap();
        let body = br#"{"id":"4f6aa5b6-8d68-4b48-b779-861fba5c20ba","type":"workspace.status.updated","timestamp":"2024-02-02T09:13:44+0000","workspaceId":"df801b47-b7be-48e8-8e21-20e20c75906c"}"#;
        let headers = webhook.sign(body).unwrap();
        assert_eq!(
            handle(&webhook, &headers, body),
            "workspace df801b47-b7be-48e8-8e21-20e20c75906c changed status"
        );
        assert!(handle(&webhook, &headers, b"{}").starts_with("rejected: signature does not match"));
    }
}
