//! Identical schemas become one type.
//!
//! Vendors repeat shapes inline: GitHub's webhooks declare the same `read`/`write` permission
//! enum 840 times and the same user object in hundreds of places. Each copy used to be its own
//! Rust type, which is most of what a big SDK costs to compile. Here every set of types with the
//! same shape (fields, wire names, field docs, enum values, recursively, cycles included) is
//! found by partition refinement and kept once.
//!
//! Names a user writes are kept: a vendor's own component (`#/components/schemas/<name>`) and
//! an event's payload type are never merged away; copies are merged into them. A group of
//! inline copies gets a name that says what they share (see [`group_name`]).

use std::collections::HashMap;

use super::model::{Direction, TypeDef, TypeId, TypeKind, TypeRef, TypeSpace};

/// Merge identical types. `pinned` types keep their own definition and name (payload roots);
/// `roots` are the types events and operations refer to, and what they do not reach is left
/// out; `name_taken` says whether a new name would collide with a name the crate already uses.
/// Returns the map from every old [`TypeId`] to its id in the reduced space.
pub fn merge_identical(
    space: &mut TypeSpace,
    pinned: &[TypeId],
    roots: &[TypeId],
    name_taken: impl Fn(&str) -> bool,
) -> Vec<TypeId> {
    // A vendor's own component stays, reached or not: users write its name.
    let components = (0..space.types.len()).filter(|&id| is_component(&space.types[id].pointer));
    let roots: Vec<TypeId> = roots.iter().copied().chain(components).collect();
    let reached = reachable(space, &roots);
    let classes = shape_classes(&space.types);
    let keeps_own = |id: TypeId| pinned.contains(&id) || is_component(&space.types[id].pointer);
    let mut members: HashMap<usize, Vec<TypeId>> = HashMap::new();
    for (id, class) in classes.iter().enumerate().filter(|(id, _)| reached[*id]) {
        members.entry(*class).or_default().push(id);
    }
    // In order of first appearance, so that which group gets a contested name is stable.
    let mut groups: Vec<Vec<TypeId>> = members.into_values().filter(|g| g.len() > 1).collect();
    groups.sort_by_key(|g| g[0]);
    let mut chosen = std::collections::HashSet::new();
    // Each type's representative: itself when it keeps its own definition, else the group's
    // first such type, else the group's first member.
    let mut representative: Vec<Option<TypeId>> = (0..space.types.len())
        .map(|id| reached[id].then_some(id))
        .collect();
    let mut renames = Vec::new();
    for group in &groups {
        let anchor = group.iter().copied().find(|&id| keeps_own(id));
        let target = anchor.unwrap_or(group[0]);
        for &id in group {
            if !keeps_own(id) {
                representative[id] = Some(target);
            }
        }
        let merged: Vec<TypeId> = group
            .iter()
            .copied()
            .filter(|&id| representative[id] == Some(target))
            .collect();
        if merged.len() > 1 {
            let names: Vec<&str> = merged
                .iter()
                .map(|&id| space.types[id].name.as_str())
                .collect();
            let docs_agree = merged
                .iter()
                .all(|&id| space.types[id].doc == space.types[target].doc);
            let name = if anchor.is_some() {
                space.types[target].name.clone()
            } else {
                group_name(&space.types[target].kind, &names, |n| {
                    chosen.contains(n) || (name_taken(n) && !names.contains(&n))
                })
            };
            chosen.insert(name.clone());
            // A vendor's component keeps its doc; copies that disagree leave the group none.
            let keep_doc = anchor.is_some() || docs_agree;
            let also_at = merged
                .iter()
                .filter(|&&id| id != target)
                .map(|&id| space.types[id].pointer.clone())
                .collect::<Vec<_>>();
            renames.push((target, name, keep_doc, also_at));
        }
    }
    for (target, name, keep_doc, also_at) in renames {
        let def = &mut space.types[target];
        def.name = name;
        def.copies = also_at.len();
        def.also_at = also_at;
        if !keep_doc {
            def.doc = None;
        }
    }
    compact(space, &representative)
}

/// Each type's [`Direction`]: decoded when a payload or a response reaches it, encoded when a
/// request does. A type none reaches (a vendor's component kept for its name) does both, and
/// so does everything it refers to, since its derives need theirs.
pub fn set_directions(
    space: &mut TypeSpace,
    payloads: &[TypeId],
    responses: &[TypeId],
    requests: &[TypeId],
) {
    let all: Vec<TypeId> = payloads
        .iter()
        .chain(responses)
        .chain(requests)
        .copied()
        .collect();
    let used = reachable(space, &all);
    let unused = (0..space.types.len()).filter(|&id| !used[id]);
    let with_unused =
        |roots: &[TypeId]| -> Vec<TypeId> { roots.iter().copied().chain(unused.clone()).collect() };
    let from_payloads = reachable(space, payloads);
    let decoded = reachable(space, &with_unused(&[payloads, responses].concat()));
    let encoded = reachable(space, &with_unused(requests));
    for (id, def) in space.types.iter_mut().enumerate() {
        def.direction = Direction {
            decoded: decoded[id],
            encoded: encoded[id],
            in_payload: from_payloads[id],
        };
    }
}

/// Which types the roots reach; the others (an inline event-naming enum once its field is a
/// plain string, an inline schema only a discarded candidate used) are left out of the crate.
pub fn reachable(space: &TypeSpace, roots: &[TypeId]) -> Vec<bool> {
    let mut reached = vec![false; space.types.len()];
    let mut stack: Vec<TypeId> = roots.to_vec();
    while let Some(id) = stack.pop() {
        if std::mem::replace(&mut reached[id], true) {
            continue;
        }
        stack.extend(named_children(&space.types[id].kind));
    }
    reached
}

/// `#/components/schemas/<name>`: a schema the vendor named, whose Rust name users write.
fn is_component(pointer: &str) -> bool {
    pointer
        .strip_prefix("/components/schemas/")
        .is_some_and(|rest| !rest.contains('/'))
}

/// Moore's partition refinement: start from each type's shape with its references blanked,
/// then split classes by the classes their references point at, until nothing splits. Two
/// types end in one class exactly when no finite unfolding tells them apart.
fn shape_classes(types: &[TypeDef]) -> Vec<usize> {
    let mut classes = vec![0; types.len()];
    let mut count = 0;
    loop {
        let mut keys: HashMap<String, usize> = HashMap::new();
        let next: Vec<usize> = types
            .iter()
            .map(|t| {
                let key = shape_key(t, &classes);
                let fresh = keys.len();
                *keys.entry(key).or_insert(fresh)
            })
            .collect();
        // Refinement only splits, so an unchanged count means an unchanged partition.
        if keys.len() == count {
            return next;
        }
        count = keys.len();
        classes = next;
    }
}

/// Everything emission prints for a type except its name, its own doc and where it is, with
/// each reference replaced by its target's current class.
fn shape_key(t: &TypeDef, classes: &[usize]) -> String {
    let mut kind = t.kind.clone();
    for_each_named(&mut kind, &mut |id| *id = classes[*id]);
    format!("{}|{kind:?}", t.deprecated)
}

/// Visit every named type a definition refers to (inside `Vec` and maps too).
pub fn for_each_named(kind: &mut TypeKind, f: &mut impl FnMut(&mut TypeId)) {
    let mut visit = |r: &mut TypeRef| visit_named(r, f);
    match kind {
        TypeKind::Struct {
            fields, additional, ..
        } => {
            fields.iter_mut().for_each(|field| visit(&mut field.ty));
            if let Some(a) = additional {
                visit(a);
            }
        }
        TypeKind::StringEnum { .. } => {}
        TypeKind::Tagged { variants, .. } | TypeKind::Untagged { variants } => {
            variants.iter_mut().for_each(|v| visit(&mut v.ty));
        }
        TypeKind::Alias(inner) => visit(inner),
    }
}

/// Visit the named type a reference names, through `Vec` and maps.
pub fn visit_named(r: &mut TypeRef, f: &mut impl FnMut(&mut TypeId)) {
    match r {
        TypeRef::Vec(inner) | TypeRef::Map(inner) => visit_named(inner, f),
        TypeRef::Named(id) => f(id),
        _ => {}
    }
}

/// The named types a definition refers to, read without copying it.
fn named_children(kind: &TypeKind) -> Vec<TypeId> {
    fn push(r: &TypeRef, out: &mut Vec<TypeId>) {
        match r {
            TypeRef::Vec(inner) | TypeRef::Map(inner) => push(inner, out),
            TypeRef::Named(id) => out.push(*id),
            _ => {}
        }
    }
    let mut out = Vec::new();
    match kind {
        TypeKind::Struct {
            fields, additional, ..
        } => {
            fields.iter().for_each(|f| push(&f.ty, &mut out));
            if let Some(a) = additional {
                push(a, &mut out);
            }
        }
        TypeKind::StringEnum { .. } => {}
        TypeKind::Tagged { variants, .. } | TypeKind::Untagged { variants } => {
            variants.iter().for_each(|v| push(&v.ty, &mut out));
        }
        TypeKind::Alias(inner) => push(inner, &mut out),
    }
    out
}

/// Rewrite a reference through the map [`merge_identical`] returned.
pub fn remap(r: &mut TypeRef, map: &[TypeId]) {
    visit_named(r, &mut |id| *id = map[*id]);
}

/// Keep each type that is its own representative, drop the rest, and renumber. Dropped
/// unreachable types map to nothing, which nothing kept refers to.
fn compact(space: &mut TypeSpace, representative: &[Option<TypeId>]) -> Vec<TypeId> {
    let mut new_index = vec![usize::MAX; representative.len()];
    let mut next = 0;
    for (id, rep) in representative.iter().enumerate() {
        if *rep == Some(id) {
            new_index[id] = next;
            next += 1;
        }
    }
    let map: Vec<TypeId> = representative
        .iter()
        .map(|rep| rep.map_or(usize::MAX, |rep| new_index[rep]))
        .collect();
    let old = std::mem::take(&mut space.types);
    for (id, mut def) in old.into_iter().enumerate() {
        if representative[id] == Some(id) {
            for_each_named(&mut def.kind, &mut |id| *id = map[*id]);
            space.types.push(def);
        }
    }
    map
}

/// The name of a group of identical inline types, whose own names each say where one copy
/// was (`WebhookCheckSuiteRequestedCheckSuiteAppPermissionsEmails`):
/// - the words all their names end with, when that is at least two words (`AuthorAssociation`);
/// - for an enum of up to three values, the values (`ReadOrWrite`);
/// - else the shortest of their names.
fn group_name(kind: &TypeKind, names: &[&str], taken: impl Fn(&str) -> bool) -> String {
    let shortest = names
        .iter()
        .min_by_key(|n| (n.len(), **n))
        .map(|n| n.to_string())
        .unwrap_or_default();
    let suffix = common_word_suffix(names);
    let by_values = match kind {
        TypeKind::StringEnum { values } if (2..=3).contains(&values.len()) => Some(
            values
                .iter()
                .map(|v| v.variant.trim_end_matches('_'))
                .collect::<Vec<_>>()
                .join("Or"),
        ),
        _ => None,
    };
    [suffix, by_values]
        .into_iter()
        .flatten()
        .find(|n| !taken(n) && n.starts_with(|c: char| c.is_ascii_uppercase()))
        .unwrap_or(shortest)
}

/// The longest run of whole words every name ends with, when it is two words or more.
fn common_word_suffix(names: &[&str]) -> Option<String> {
    let split: Vec<Vec<&str>> = names.iter().map(|n| pascal_words(n)).collect();
    let shortest = split.iter().map(Vec::len).min()?;
    let mut len = 0;
    while len < shortest {
        let word = split[0][split[0].len() - 1 - len];
        if split.iter().all(|w| w[w.len() - 1 - len] == word) {
            len += 1;
        } else {
            break;
        }
    }
    (len >= 2).then(|| split[0][split[0].len() - len..].concat())
}

/// `AppPermissionsEmails` → `App`, `Permissions`, `Emails`; digits stay with their word.
fn pascal_words(name: &str) -> Vec<&str> {
    let mut words = Vec::new();
    let mut start = 0;
    for (i, c) in name.char_indices().skip(1) {
        if c.is_ascii_uppercase() {
            words.push(&name[start..i]);
            start = i;
        }
    }
    words.push(&name[start..]);
    words
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ir::model::{EnumValue, Field};

    fn def(name: &str, pointer: &str, kind: TypeKind) -> TypeDef {
        TypeDef {
            name: name.into(),
            doc: Some(format!("{name}'s own doc")),
            kind,
            pointer: pointer.into(),
            deprecated: false,
            copies: 0,
            also_at: Vec::new(),
            direction: super::super::model::Direction::BOTH,
            groups: vec![],
        }
    }

    fn enumeration(values: &[&str]) -> TypeKind {
        TypeKind::StringEnum {
            values: values
                .iter()
                .map(|v| EnumValue {
                    variant: super::super::names::type_name(v),
                    wire: v.to_string(),
                    doc: None,
                })
                .collect(),
        }
    }

    fn field(wire: &str, ty: TypeRef) -> Field {
        Field {
            wire: wire.into(),
            name: wire.into(),
            ty,
            required: true,
            nullable: false,
            boxed: false,
            doc: None,
            deprecated: false,
            flatten: false,
            absent_is_default: false,
        }
    }

    fn object(fields: Vec<Field>) -> TypeKind {
        TypeKind::Struct {
            fields,
            additional: None,
            undeclared_required: vec![],
            omit_when_empty: false,
        }
    }

    #[test]
    fn identical_inline_enums_become_one_named_after_their_values() {
        let mut space = TypeSpace {
            types: vec![
                def(
                    "AppPermissionsEmails",
                    "/a/emails",
                    enumeration(&["read", "write"]),
                ),
                def(
                    "AppPermissionsIssues",
                    "/a/issues",
                    enumeration(&["read", "write"]),
                ),
                def(
                    "AppPermissionsAdmin",
                    "/a/admin",
                    enumeration(&["read", "write", "admin"]),
                ),
            ],
        };
        let map = merge_identical(&mut space, &[], &[0, 1, 2], |_| false);
        assert_eq!(map, vec![0, 0, 1]);
        let names: Vec<_> = space.types.iter().map(|t| t.name.as_str()).collect();
        assert_eq!(names, ["ReadOrWrite", "AppPermissionsAdmin"]);
        assert_eq!(space.types[0].copies, 1);
        assert_eq!(
            space.types[0].doc, None,
            "their docs differ, so neither is kept"
        );
        assert_eq!(
            space.types[1].doc.as_deref(),
            Some("AppPermissionsAdmin's own doc")
        );
    }

    #[test]
    fn copies_merge_into_the_vendors_component_and_references_follow() {
        let user = |name: &str, ptr: &str, kind_ref: TypeRef| {
            def(
                name,
                ptr,
                object(vec![
                    field("login", TypeRef::String),
                    field("kind", kind_ref),
                ]),
            )
        };
        let mut space = TypeSpace {
            types: vec![
                def(
                    "SenderKind",
                    "/x/sender/kind",
                    enumeration(&["Bot", "User"]),
                ),
                user("Sender", "/x/sender", TypeRef::Named(0)),
                def(
                    "UserKind",
                    "/components/schemas/user/properties/kind",
                    enumeration(&["Bot", "User"]),
                ),
                user("User", "/components/schemas/user", TypeRef::Named(2)),
                def(
                    "Event",
                    "/x",
                    object(vec![
                        field("sender", TypeRef::Named(1)),
                        field("others", TypeRef::Vec(Box::new(TypeRef::Named(3)))),
                    ]),
                ),
            ],
        };
        let map = merge_identical(&mut space, &[4], &[4], |_| false);
        let names: Vec<_> = space.types.iter().map(|t| t.name.as_str()).collect();
        assert_eq!(names, ["BotOrUser", "User", "Event"]);
        assert_eq!(map, vec![0, 1, 0, 1, 2]);
        let TypeKind::Struct { fields, .. } = &space.types[2].kind else {
            panic!()
        };
        assert_eq!(fields[0].ty, TypeRef::Named(1));
        assert_eq!(fields[1].ty, TypeRef::Vec(Box::new(TypeRef::Named(1))));
        assert_eq!(space.types[1].doc.as_deref(), Some("User's own doc"));
    }

    #[test]
    fn recursive_shapes_merge_only_when_every_unfolding_agrees() {
        // Node{next: Node} twice, and a chain that ends after one step: only the two loops merge.
        let node = |name: &str, next: TypeId| {
            let mut f = field("next", TypeRef::Named(next));
            f.boxed = true;
            f.required = false;
            def(name, &format!("/{name}"), object(vec![f]))
        };
        let mut space = TypeSpace {
            types: vec![
                node("ANode", 0),
                node("BNode", 1),
                node("CNode", 3),
                def("CEnd", "/end", object(vec![])),
            ],
        };
        let map = merge_identical(&mut space, &[], &[0, 1, 2], |_| false);
        assert_eq!(map, vec![0, 0, 1, 2]);
        assert_eq!(space.types[0].name, "ANode");
    }

    #[test]
    fn types_no_root_reaches_are_left_out() {
        let mut space = TypeSpace {
            types: vec![
                def(
                    "Payload",
                    "/p",
                    object(vec![field("kind", TypeRef::String)]),
                ),
                def("PayloadKind", "/p/kind", enumeration(&["thing.created"])),
            ],
        };
        let map = merge_identical(&mut space, &[0], &[0], |_| false);
        assert_eq!(space.types.len(), 1);
        assert_eq!(map[0], 0);
    }

    #[test]
    fn a_shared_suffix_of_two_words_names_the_group_unless_taken() {
        let kind = enumeration(&["OWNER", "MEMBER", "NONE", "COLLABORATOR"]);
        let names = ["IssueAuthorAssociation", "CommentAuthorAssociation"];
        assert_eq!(group_name(&kind, &names, |_| false), "AuthorAssociation");
        assert_eq!(
            group_name(&kind, &names, |n| n == "AuthorAssociation"),
            "IssueAuthorAssociation"
        );
        let two = enumeration(&["open", "closed"]);
        assert_eq!(
            group_name(&two, &["PrState", "IssueState"], |_| false),
            "OpenOrClosed"
        );
    }
}
