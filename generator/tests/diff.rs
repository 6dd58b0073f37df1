//! `hookgen::diff`: each rule on a small pair of specs, and ROOMZ's two published versions.

use hookgen::diff::{diff, Bump, Change, Impact, Report};

const OLD: &str = r#"
openapi: 3.1.0
info: {title: Acme, version: "1"}
webhooks:
  order.created:
    post:
      requestBody:
        content:
          application/json:
            schema: {$ref: '#/components/schemas/OrderCreated'}
            example: {type: order.created, id: o1, amount: 5, status: open, customer: {name: Ann}, note: hi}
      responses: {'200': {description: ok}}
components:
  schemas:
    OrderCreated:
      type: object
      required: [type, id, amount, status, customer]
      properties:
        type: {type: string, enum: [order.created]}
        id: {type: string}
        amount: {type: integer}
        status: {$ref: '#/components/schemas/Status'}
        customer: {$ref: '#/components/schemas/Customer'}
        note: {type: string}
        gone: {type: string}
    Status: {type: string, enum: [open, paid]}
    Customer:
      type: object
      required: [name]
      properties:
        name: {type: string}
"#;

fn new_spec() -> String {
    OLD.replace(
        "example: {type: order.created, id: o1, amount: 5,",
        "example: {type: order.created, amount: '5',",
    )
    .replace("amount: {type: integer}", "amount: {type: string}")
        .replace("enum: [open, paid]", "enum: [open, refunded]")
        .replace(
            "required: [type, id, amount, status, customer]",
            "required: [type, amount, status, customer, note]",
        )
        .replace("        gone: {type: string}\n", "        tags: {type: array, items: {type: string}}\n")
        .replace(
            "webhooks:\n",
            "webhooks:\n  order.cancelled:\n    post:\n      requestBody:\n        content:\n          application/json:\n            schema: {$ref: '#/components/schemas/Customer'}\n      responses: {'200': {description: ok}}\n",
        )
}

fn report(old: &str, new: &str) -> Report {
    let old = hookgen::analyze_bytes(old.as_bytes(), "old.yaml").expect("old loads");
    let new = hookgen::analyze_bytes(new.as_bytes(), "new.yaml").expect("new loads");
    diff(&old.api, &new.api)
}

fn find<'r>(report: &'r Report, path: &str, what: &str) -> &'r Change {
    report
        .changes
        .iter()
        .find(|c| c.path == path && c.what.contains(what))
        .unwrap_or_else(|| panic!("no change at {path} saying {what:?}: {:#?}", report.changes))
}

#[test]
fn each_change_is_judged_from_the_consumers_side() {
    let r = report(OLD, &new_spec());
    // A type change: NEW payloads carry a string where OLD's SDK wants an integer.
    let amount = find(&r, "OrderCreated.amount", "type `i64` → `String`");
    assert_eq!((amount.impact, amount.compile), (Impact::Decode, true));
    assert!(amount
        .old_pointer
        .as_deref()
        .is_some_and(|p| p.contains("OrderCreated")));
    // A required field made optional: OLD's SDK insists on it.
    let id = find(&r, "OrderCreated.id", "now optional");
    assert_eq!(
        (id.impact, id.decode, id.compile),
        (Impact::Decode, true, true)
    );
    // An optional field made required: decodes, but `Option<T>` → `T`.
    let note = find(&r, "OrderCreated.note", "now required");
    assert_eq!((note.impact, note.decode), (Impact::Compile, false));
    // An optional field removed: compiles no more, decodes still.
    let gone = find(&r, "OrderCreated.gone", "removed");
    assert_eq!((gone.impact, gone.decode), (Impact::Compile, false));
    // Enum values: a new one is kept as Unknown, a removed one is a removed variant.
    assert_eq!(find(&r, "Status::Refunded", "added").impact, Impact::Safe);
    assert_eq!(find(&r, "Status::Paid", "removed").impact, Impact::Compile);
    // A new optional field and a new event are absorbed.
    assert_eq!(
        find(&r, "OrderCreated.tags", "optional field").impact,
        Impact::Safe
    );
    assert_eq!(find(&r, "OrderCancelled", "added").impact, Impact::Safe);
    // The evidence: NEW's example fails OLD's SDK where the decode verdicts say (an unknown
    // enum value decodes anyway), and OLD's example fails the regenerated SDK.
    let seen = |direction: &str| {
        let r: Vec<_> = r
            .replay
            .iter()
            .filter(|x| x.direction == direction)
            .collect();
        assert_eq!(r.len(), 1, "{direction}: {r:#?}");
        r[0].problems.join("; ")
    };
    let new_through_old = seen("new-through-old");
    assert!(new_through_old.contains("/amount"), "{new_through_old}");
    assert!(new_through_old.contains("id"), "{new_through_old}");
    assert!(!new_through_old.contains("/status"), "{new_through_old}");
    assert!(seen("old-through-new").contains("/amount"));
    // Nothing else, and the bump follows the compile breaks.
    assert_eq!(r.changes.len(), 8, "{:#?}", r.changes);
    assert_eq!(r.bump, Bump::Major);
    assert!(r.breaking());
}

#[test]
fn additions_alone_are_a_minor_bump_and_nothing_is_a_patch() {
    let added = OLD.replace("enum: [open, paid]", "enum: [open, paid, refunded]");
    let r = report(OLD, &added);
    assert!(!r.breaking(), "{:#?}", r.changes);
    assert_eq!(r.bump, Bump::Minor);
    assert_eq!(report(OLD, OLD).bump, Bump::Patch);
    assert!(report(OLD, OLD).changes.is_empty());
}

#[test]
fn a_schema_renamed_with_the_same_shape_is_one_rename() {
    let renamed = OLD
        .replace(
            "'#/components/schemas/Customer'",
            "'#/components/schemas/Buyer'",
        )
        .replace("    Customer:\n", "    Buyer:\n");
    let r = report(OLD, &renamed);
    let renames: Vec<_> = r
        .changes
        .iter()
        .filter(|c| c.what.contains("renamed"))
        .collect();
    assert_eq!(renames.len(), 1, "{:#?}", r.changes);
    assert!(renames[0].what.contains("`Customer` renamed `Buyer`"));
    assert_eq!(r.changes.len(), 1, "{:#?}", r.changes);
}

#[test]
fn roomz_published_versions() {
    let root =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/vendor-specs/roomz");
    if !root.exists() {
        eprintln!("skipped: ../shared/vendor-specs/roomz is not beside the clone");
        return;
    }
    let old = hookgen::analyze(&root.join("spec3.ec24617.yml")).unwrap();
    let new = hookgen::analyze(&root.join("spec3.yml")).unwrap();
    let r = diff(&old.api, &new.api);
    // The current spec documents only presence changes: the ten older events are gone from it.
    let removed: Vec<_> = r
        .changes
        .iter()
        .filter(|c| c.what.contains("removed"))
        .collect();
    assert_eq!(removed.len(), 10, "{:#?}", r.changes);
    assert!(removed
        .iter()
        .all(|c| c.impact == Impact::Compile && !c.decode));
    assert_eq!(
        find(&r, "WorkspacePresenceChanged", "added").impact,
        Impact::Safe
    );
    assert_eq!(r.bump, Bump::Major);
}
