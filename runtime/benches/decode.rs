//! Decoding time of `#[derive(Decode)]` against serde's `#[derive(Deserialize)]`, on the same
//! types and the same GitHub-like payload, both through `hookgen_runtime::decode` (issue #21:
//! the derive was chosen for build time; this shows what it costs at run time).
//!
//! `cargo bench -p hookgen-runtime --bench decode`

use criterion::{black_box, criterion_group, criterion_main, Criterion};

/// The same shapes twice: once with each derive. `user` fields are unions, as GitHub's
/// nullable users are (`SimpleUser` or anything else kept as sent).
macro_rules! shapes {
    ($module:ident, $derive:path) => {
        mod $module {
            #![allow(dead_code)]
            #[derive(Debug, $derive)]
            pub struct User {
                pub login: String,
                pub id: i64,
                pub node_id: String,
                pub avatar_url: String,
                pub html_url: String,
                pub r#type: String,
                pub site_admin: bool,
                pub name: Option<String>,
                pub email: Option<String>,
            }
            #[derive(Debug, $derive)]
            #[serde(untagged)]
            pub enum UserOrOther {
                User(Box<User>),
                Other(serde_json::Value),
            }
            #[derive(Debug, $derive)]
            pub struct Label {
                pub id: i64,
                pub name: String,
                pub color: String,
                pub default: bool,
                pub description: Option<String>,
            }
            #[derive(Debug, $derive)]
            pub struct Issue {
                pub id: i64,
                pub number: i64,
                pub title: String,
                pub state: String,
                pub locked: bool,
                pub body: Option<String>,
                pub user: UserOrOther,
                pub assignee: Option<UserOrOther>,
                pub assignees: Vec<UserOrOther>,
                pub labels: Vec<Label>,
                pub comments: i64,
                pub created_at: String,
                pub updated_at: String,
                pub closed_at: Option<String>,
                #[serde(rename = "authorAssociation")]
                pub author_association: String,
            }
            #[derive(Debug, $derive)]
            pub struct IssuesEvent {
                pub action: String,
                pub issue: Issue,
                pub sender: User,
                pub installation: Option<serde_json::Value>,
            }
        }
    };
}

shapes!(with_serde, serde::Deserialize);
shapes!(with_decode, hookgen_runtime::Decode);

fn payload() -> Vec<u8> {
    let user = |n: u32| {
        serde_json::json!({
            "login": format!("user{n}"), "id": n, "node_id": "MDQ6VXNlcjE=",
            "avatar_url": "https://avatars.githubusercontent.com/u/1?v=4",
            "html_url": "https://github.com/user", "type": "User", "site_admin": false,
            "name": null, "email": null, "gravatar_id": "", "url": "https://api.github.com/users/u"
        })
    };
    let labels: Vec<_> = (0..5)
        .map(|i| serde_json::json!({"id": i, "name": format!("label{i}"), "color": "ededed", "default": false, "description": null, "url": "https://api.github.com/labels/x"}))
        .collect();
    serde_json::to_vec(&serde_json::json!({
        "action": "opened",
        "issue": {
            "id": 1, "number": 42, "title": "Decoding is slow", "state": "open", "locked": false,
            "body": "x".repeat(2000), "user": user(1), "assignee": user(2),
            "assignees": [user(2), user(3), user(4)], "labels": labels, "comments": 3,
            "created_at": "2026-12-01T00:00:00Z", "updated_at": "2026-12-01T00:00:00Z",
            "closed_at": null, "authorAssociation": "MEMBER", "reactions": {"+1": 0, "total_count": 0}
        },
        "sender": user(1),
        "installation": {"id": 5, "node_id": "x"}
    }))
    .unwrap()
}

fn decode(c: &mut Criterion) {
    let body = payload();
    assert!(hookgen_runtime::decode::<with_serde::IssuesEvent>(&body).is_ok());
    assert!(hookgen_runtime::decode::<with_decode::IssuesEvent>(&body).is_ok());
    let mut group = c.benchmark_group("decode a GitHub-like issues event");
    group.bench_function("serde's derive", |b| {
        b.iter(|| hookgen_runtime::decode::<with_serde::IssuesEvent>(black_box(&body)))
    });
    group.bench_function("hookgen's Decode", |b| {
        b.iter(|| hookgen_runtime::decode::<with_decode::IssuesEvent>(black_box(&body)))
    });
    group.finish();
}

criterion_group!(benches, decode);
criterion_main!(benches);
