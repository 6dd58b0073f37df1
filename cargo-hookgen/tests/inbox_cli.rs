//! `cargo hookgen inbox`: list, show, replay (by id, dead, undecodable) and purge a SQLite
//! inbox that the runtime filled, through the real binary.

use std::path::PathBuf;
use std::process::{Command, Output};
use std::time::{Duration, SystemTime};

use hookgen_runtime::inbox::{self, Finish, NewDelivery, State};

fn scratch() -> PathBuf {
    let dir = std::env::temp_dir().join(format!("hookgen-inbox-cli-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn hookgen(db: &str, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_cargo-hookgen"))
        .args(["inbox", "--db", db])
        .args(args)
        .output()
        .unwrap()
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn row(key: &str, state: State, body: &[u8]) -> NewDelivery {
    NewDelivery {
        source: "roomz".into(),
        key: key.into(),
        body: body.to_vec(),
        headers: vec![("webhook-id".into(), key.into())],
        event_type: (state != State::Undecodable).then(|| "workspace.updated".to_string()),
        ordering_key: None,
        state,
        error: (state == State::Undecodable).then(|| "id: not a UUID".to_string()),
        received_at: SystemTime::now() - Duration::from_secs(3600),
    }
}

/// An inbox with one dead, one done, one pending and one undecodable delivery.
fn seed(db: &str) {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let inbox = inbox::open(db).await.unwrap();
        inbox
            .insert_batch(&[
                row("msg_dead", State::Pending, br#"{"id":"a"}"#),
                row("msg_done", State::Pending, br#"{"id":"b"}"#),
            ])
            .await
            .unwrap();
        let leased = inbox
            .lease("w", 10, Duration::from_secs(60), SystemTime::now())
            .await
            .unwrap();
        let dead = Finish::Dead {
            error: "handler: upstream 500".into(),
        };
        inbox.finish(leased[0].id, "w", dead).await.unwrap();
        inbox.finish(leased[1].id, "w", Finish::Done).await.unwrap();
        inbox
            .insert_batch(&[
                row("msg_pending", State::Pending, br#"{"id":"c"}"#),
                row("msg_bad", State::Undecodable, &[0xff, 0x00, 0x01]),
            ])
            .await
            .unwrap();
    });
}

#[test]
fn list_show_replay_and_purge() {
    let dir = scratch();
    let db = format!("sqlite:{}", dir.join("inbox.db").display());
    seed(&db);

    let list = hookgen(&db, &["list"]);
    assert!(list.status.success());
    let text = stdout(&list);
    assert!(
        text.starts_with("1 pending, 0 leased, 1 done, 1 dead, 1 undecodable"),
        "{text}"
    );
    assert!(text.contains("msg_dead  (handler: upstream 500)"), "{text}");

    let dead = hookgen(&db, &["list", "--state", "dead", "--format", "json"]);
    let json: serde_json::Value = serde_json::from_slice(&dead.stdout).unwrap();
    assert_eq!(json["deliveries"].as_array().unwrap().len(), 1);
    assert_eq!(json["deliveries"][0]["key"], "msg_dead");
    assert_eq!(json["counts"]["dead"], 1);
    let id = json["deliveries"][0]["id"].as_i64().unwrap().to_string();

    let show = stdout(&hookgen(&db, &["show", &id]));
    assert!(show.contains("state:       dead"), "{show}");
    assert!(
        show.contains("last error:  handler: upstream 500"),
        "{show}"
    );
    assert!(show.contains("webhook-id: msg_dead"), "{show}");
    assert!(show.contains("\"id\": \"a\""), "{show}");
    let bad = stdout(&hookgen(
        &db,
        &["list", "--state", "undecodable", "--format", "json"],
    ));
    let bad: serde_json::Value = serde_json::from_str(&bad).unwrap();
    let bad_id = bad["deliveries"][0]["id"].as_i64().unwrap().to_string();
    let binary = stdout(&hookgen(&db, &["show", &bad_id]));
    assert!(binary.contains("(binary, base64) /wAB"), "{binary}");

    let missing = hookgen(&db, &["show", "99999"]);
    assert_eq!(missing.status.code(), Some(1));
    assert_eq!(hookgen(&db, &["replay", "99999"]).status.code(), Some(1));
    assert_eq!(
        hookgen(&db, &["replay"]).status.code(),
        Some(2),
        "replay needs a target"
    );
    assert_eq!(
        hookgen(&db, &["list", "--state", "gone"]).status.code(),
        Some(2)
    );

    let replayed = hookgen(&db, &["replay", "--dead", "--undecodable"]);
    assert!(stdout(&replayed).starts_with("2 deliveries made pending again"));
    assert!(stdout(&hookgen(&db, &["list"]))
        .starts_with("3 pending, 0 leased, 1 done, 0 dead, 0 undecodable"));

    let purge_old = hookgen(&db, &["purge", "--done-before", "2000-01-01"]);
    assert!(stdout(&purge_old).starts_with("0 done deliveries"));
    let purge_all = hookgen(&db, &["purge", "--done-before", "2999-01-01T00:00:00Z"]);
    assert!(stdout(&purge_all).starts_with("1 done deliveries"));
    assert_eq!(
        hookgen(&db, &["purge", "--done-before", "soon"])
            .status
            .code(),
        Some(2)
    );

    let typo = format!("sqlite:{}", dir.join("typo.db").display());
    let refused = hookgen(&typo, &["list"]);
    assert_eq!(refused.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&refused.stderr).contains("no inbox at"));
    assert!(
        !dir.join("typo.db").exists(),
        "a mistyped path is not created"
    );
}
