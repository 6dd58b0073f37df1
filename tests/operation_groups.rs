//! Big APIs in parts: each operation group (tag) of a generated crate is a cargo feature, so a
//! user who turns on one part compiles only its methods and the types they need. Checked the
//! way a user would see it: two small crates outside this workspace depend on Roam's generated
//! crate with only `webhook-list` on; one calls that part, the other a part that is off.

use std::path::Path;
use std::process::Command;

const ROAM: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../generated/roam-webhooks");

fn consumer(dir: &Path, name: &str, main: &str) {
    let src = dir.join(name).join("src");
    std::fs::create_dir_all(&src).unwrap();
    std::fs::write(
        dir.join(name).join("Cargo.toml"),
        format!(
            "[package]\nname = \"{name}\"\nversion = \"0.0.0\"\nedition = \"2021\"\npublish = false\n\n\
             [dependencies]\nroam-webhooks = {{ path = \"{ROAM}\", default-features = false, features = [\"webhook-list\"] }}\n"
        ),
    )
    .unwrap();
    std::fs::write(src.join("main.rs"), main).unwrap();
}

fn check(dir: &Path, package: &str) -> (bool, String) {
    let out = Command::new(env!("CARGO"))
        .args(["check", "--offline", "--quiet", "--package", package])
        .current_dir(dir)
        .env(
            "CARGO_TARGET_DIR",
            Path::new(env!("CARGO_TARGET_TMPDIR")).join("groups-target"),
        )
        .env("CARGO_INCREMENTAL", "0")
        .output()
        .unwrap();
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn a_crate_with_one_operation_group_on_compiles_that_part_and_nothing_else() {
    let manifest = std::fs::read_to_string(Path::new(ROAM).join("Cargo.toml")).unwrap();
    assert!(
        manifest.contains("webhook-list = []") && manifest.contains("default = ["),
        "Roam's crate declares a feature per group, all on by default:\n{manifest}"
    );
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("operation-groups");
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(
        dir.join("Cargo.toml"),
        "[workspace]\nresolver = \"2\"\nmembers = [\"uses-list\", \"uses-subscribe\"]\n",
    )
    .unwrap();
    // The workspace's lock, so that the consumers resolve the dependencies already built.
    std::fs::copy(
        concat!(env!("CARGO_MANIFEST_DIR"), "/../Cargo.lock"),
        dir.join("Cargo.lock"),
    )
    .unwrap();
    consumer(
        &dir,
        "uses-list",
        "#[allow(dead_code)]\n\
         async fn call(client: &roam_webhooks::Client) {\n    \
             let _: Vec<roam_webhooks::types::Subscription> = client.list_subscriptions().await.unwrap();\n\
         }\n\
         fn main() {\n    \
             // Events are always whole, whatever part of the client is on.\n    \
             let _ = roam_webhooks::Event::from_slice(b\"{}\");\n\
         }\n",
    );
    consumer(
        &dir,
        "uses-subscribe",
        "#[allow(dead_code)]\n\
         async fn call(client: &roam_webhooks::Client, body: &roam_webhooks::types::UnsubscribeRequest) {\n    \
             let _ = client.unsubscribe(body).await;\n\
         }\n\
         fn main() {}\n",
    );

    let (ok, stderr) = check(&dir, "uses-list");
    assert!(ok, "the part that is on compiles:\n{stderr}");

    let (ok, stderr) = check(&dir, "uses-subscribe");
    assert!(!ok, "a part that is off is not compiled");
    assert!(
        stderr.contains("UnsubscribeRequest"),
        "a type only that part uses is not compiled either:\n{stderr}"
    );
    assert!(
        stderr.contains("no method named `unsubscribe`"),
        "nor its method:\n{stderr}"
    );
}
