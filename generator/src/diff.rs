//! What a vendor's spec change does to its consumers: two IRs compared event by event, type by
//! type, field by field and enum value by enum value, each change judged **from the consumer's
//! side** (a webhook payload is something the SDK decodes, like a response, so the polarity of
//! request-oriented differs is inverted):
//!
//! - [`Impact::Decode`]: a payload valid under NEW that the SDK generated from OLD fails to
//!   decode (a field it requires is gone or may now be null, a type changed);
//! - [`Impact::Compile`]: code written against OLD's SDK no longer compiles against NEW's (an
//!   event, variant, field or type removed or renamed, a field's `Option` changed);
//! - [`Impact::Safe`]: open enums and `Event::Unknown` absorb it (a new enum value, a new event,
//!   a new optional field).
//!
//! A stage after [`crate::ir`]: it reads two [`Api`]s and never goes back to the specs, so a
//! schema that only moved (`$ref` to another place, same shape) is no change, and a component
//! renamed with the same shape is one rename.

use std::collections::HashSet;

use serde::Serialize;

use crate::ir::{EnumValue, Field, TypeDef, TypeKind, TypeRef, Variant};
use crate::received::{self, Stored};
use crate::Api;

/// How a change reaches a consumer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Impact {
    Safe,
    Compile,
    Decode,
}

/// One change.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Change {
    /// The worst of what it does (a decode break usually breaks compiling too: see `compile`).
    pub impact: Impact,
    /// Whether code written against OLD's SDK stops compiling.
    pub compile: bool,
    /// Whether a payload valid under NEW stops decoding with OLD's SDK.
    pub decode: bool,
    /// Where, in the SDK's terms: `Event`, `Event.field.sub[]`, `Type::Variant`.
    pub path: String,
    /// What changed.
    pub what: String,
    /// The schema in OLD and in NEW (JSON pointers), where there is one.
    pub old_pointer: Option<String>,
    pub new_pointer: Option<String>,
    /// What a consumer's code names: the item a proof compiles against.
    pub subject: Subject,
    /// The event (its variant in OLD, or in NEW for a new event) in whose payload it was
    /// found, and where in that payload (a JSON pointer from the payload's root, arrays and
    /// maps at their first item): the place a payload that proves it has to differ.
    pub event: String,
    pub at: String,
}

/// The item of the generated SDK a change is about, by its Rust names.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "lowercase")]
pub enum Subject {
    /// A variant of `Event`.
    Event { variant: String },
    /// A field of a struct (`owner`: OLD's name for the struct, NEW's for a new struct), with
    /// its Rust type in OLD (`None` for a field OLD does not have).
    Field {
        owner: String,
        field: String,
        old_type: Option<String>,
    },
    /// A variant of an enum (`wire`: its value) or of a union type.
    Variant {
        owner: String,
        variant: String,
        wire: Option<String>,
    },
    /// A type as a whole.
    Type { name: String },
}

/// The semver bump the regenerated crate needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Bump {
    /// Nothing a consumer can see changed.
    Patch,
    /// Only additions.
    Minor,
    /// Code written against OLD's SDK breaks.
    Major,
}

/// A spec example that one side's model rejects though its own side's accepts: the evidence
/// behind the verdicts, as the typed decoder's rules see it (`lint::validate`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Replayed {
    /// The event, as the vendor names it.
    pub event: String,
    /// The example's JSON pointer, in the document it comes from.
    pub example: String,
    /// `new-through-old`: a NEW example that the SDK generated from OLD fails to decode (a
    /// decode break, seen); `old-through-new`: an OLD example (a delivery stored before) that
    /// the regenerated SDK fails to decode; `stored-through-new`: a delivery from an inbox
    /// (`diff --inbox`) that OLD's SDK decodes and the regenerated one does not.
    pub direction: &'static str,
    /// Where and why, by JSON pointer into the example.
    pub problems: Vec<String>,
}

/// Every change, the examples that stop decoding, and the bump.
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    pub changes: Vec<Change>,
    pub replay: Vec<Replayed>,
    pub bump: Bump,
}

impl Report {
    /// Whether anything breaks a consumer (decoding or compiling), or a stored delivery would
    /// stop decoding with the regenerated SDK.
    pub fn breaking(&self) -> bool {
        self.changes.iter().any(|c| c.impact != Impact::Safe)
            || self
                .replay
                .iter()
                .any(|r| r.direction == STORED_THROUGH_NEW)
    }
}

/// The direction of a stored delivery replayed through NEW's model.
pub const STORED_THROUGH_NEW: &str = "stored-through-new";

/// Each stored delivery that decodes with OLD's SDK, through NEW's model (`diff --inbox`): the
/// ones the regenerated SDK would no longer decode into the same event, with why.
pub fn replay_deliveries(old: &Api, new: &Api, stored: &[Stored]) -> Vec<Replayed> {
    let mut out = Vec::new();
    for delivery in stored {
        let Ok(before) = received::decode(old, delivery) else {
            continue; // it does not decode now: NEW cannot break it
        };
        let problem = match received::decode(new, delivery) {
            Ok(after) if after.name == before.name => continue,
            Ok(after) => format!("decodes as `{}` instead", after.name),
            Err(why) => why,
        };
        out.push(Replayed {
            event: before.name.clone(),
            example: format!("delivery {}", delivery.id),
            direction: STORED_THROUGH_NEW,
            problems: vec![problem],
        });
    }
    out
}

/// Compare OLD's IR with NEW's.
pub fn diff(old: &Api, new: &Api) -> Report {
    let mut walk = Walk {
        old,
        new,
        changes: Vec::new(),
        event: String::new(),
        wire: String::new(),
        field: None,
        seen: HashSet::new(),
    };
    let pairs = walk.events();
    let replay = pairs
        .into_iter()
        .flat_map(|(o, n)| replay(old, new, o, n))
        .collect();
    let mut changes = walk.changes;
    changes.sort_by(|a, b| b.impact.cmp(&a.impact).then_with(|| a.path.cmp(&b.path)));
    let bump = if changes.iter().any(|c| c.compile) {
        Bump::Major
    } else if changes.is_empty() {
        Bump::Patch
    } else {
        Bump::Minor
    };
    Report {
        changes,
        replay,
        bump,
    }
}

/// Each example of one version of an event through the other version's model, where its own
/// version's model accepts it (an example that breaks its own schema proves nothing).
fn replay(old: &Api, new: &Api, o: usize, n: usize) -> Vec<Replayed> {
    let (old_event, new_event) = (&old.events[o], &new.events[n]);
    let mut out = Vec::new();
    let sides = [
        (new, new_event, old, old_event, "new-through-old"),
        (old, old_event, new, new_event, "old-through-new"),
    ];
    for (own, own_event, other, other_event, direction) in sides {
        for example in &own_event.examples {
            let failures = |api: &Api, payload: &TypeRef| {
                let mut found = Vec::new();
                crate::lint::validate(&api.types, payload, &example.value, "", &mut found);
                found.retain(|m| !m.decodes_anyway);
                found
            };
            if !failures(own, &own_event.payload).is_empty() {
                continue;
            }
            let problems = failures(other, &other_event.payload);
            if !problems.is_empty() {
                out.push(Replayed {
                    event: own_event.name.clone(),
                    example: example.pointer.clone(),
                    direction,
                    problems: problems
                        .into_iter()
                        .map(|m| {
                            let at = if m.at.is_empty() { "/" } else { &m.at };
                            format!("{at}: {}", m.message)
                        })
                        .collect(),
                });
            }
        }
    }
    out
}

struct Walk<'a> {
    old: &'a Api,
    new: &'a Api,
    changes: Vec<Change>,
    /// The event whose payload is being walked, and where the walk is in it.
    event: String,
    wire: String,
    /// The field whose type is being compared, if any: a type change there is a change of it.
    field: Option<Subject>,
    /// (old type, new type) pairs already compared: recursive types end, shared ones are
    /// reported once.
    seen: HashSet<(usize, usize)>,
}

impl Walk<'_> {
    #[allow(clippy::too_many_arguments)]
    fn push(
        &mut self,
        path: &str,
        what: String,
        decode: bool,
        compile: bool,
        pointers: Pointers,
        subject: Subject,
    ) {
        let impact = if decode {
            Impact::Decode
        } else if compile {
            Impact::Compile
        } else {
            Impact::Safe
        };
        self.changes.push(Change {
            impact,
            compile,
            decode,
            path: path.to_string(),
            what,
            old_pointer: pointers.0,
            new_pointer: pointers.1,
            subject,
            event: self.event.clone(),
            at: self.wire.clone(),
        });
    }

    /// Walk one step into the payload for `f`, then back.
    fn within<T>(&mut self, step: &str, f: impl FnOnce(&mut Self) -> T) -> T {
        let len = self.wire.len();
        self.wire.push('/');
        self.wire.push_str(&crate::pointer::escape_segment(step));
        let out = f(self);
        self.wire.truncate(len);
        out
    }

    /// The subject of a change of the type at the current place: the field it is the type of,
    /// else the type itself.
    fn here(&self, old: &TypeRef) -> Subject {
        self.field.clone().unwrap_or_else(|| Subject::Type {
            name: show(self.old, old),
        })
    }

    /// Events match by variant (what the consumer's code names), else by a webhook key that
    /// names one event on each side (the spec's name for it, when the variant was renamed).
    fn events(&mut self) -> Vec<(usize, usize)> {
        let mut pairs = Vec::new();
        let unique_key =
            |api: &Api, key: &str| api.events.iter().filter(|e| e.webhook_key == key).count() == 1;
        let mut matched = HashSet::new();
        for (o, old_event) in self.old.events.iter().enumerate() {
            let key = old_event.webhook_key.as_str();
            let found = self
                .new
                .events
                .iter()
                .position(|e| e.variant == old_event.variant)
                .or_else(|| {
                    let renamed = unique_key(self.old, key) && unique_key(self.new, key);
                    let i = self.new.events.iter().position(|e| e.webhook_key == key)?;
                    let taken = self
                        .old
                        .events
                        .iter()
                        .any(|o| o.variant == self.new.events[i].variant);
                    (renamed && !taken).then_some(i)
                });
            let Some(i) = found else {
                let pointers = (Some(old_event.pointer.clone()), None);
                let what = format!("event `{}` removed", old_event.name);
                let subject = Subject::Event {
                    variant: old_event.variant.clone(),
                };
                self.event = old_event.variant.clone();
                self.push(&old_event.variant, what, false, true, pointers, subject);
                continue;
            };
            matched.insert(i);
            pairs.push((o, i));
            let new_event = &self.new.events[i];
            if new_event.variant != old_event.variant {
                let what = format!(
                    "event variant renamed `{}` → `{}`",
                    old_event.variant, new_event.variant
                );
                let pointers = (
                    Some(old_event.pointer.clone()),
                    Some(new_event.pointer.clone()),
                );
                let subject = Subject::Event {
                    variant: old_event.variant.clone(),
                };
                self.event = old_event.variant.clone();
                self.push(&old_event.variant, what, false, true, pointers, subject);
            }
            let path = old_event.variant.clone();
            self.event = path.clone();
            let at = (
                Some(old_event.pointer.clone()),
                Some(new_event.pointer.clone()),
            );
            self.refs(&path, &old_event.payload, &new_event.payload, true, &at);
        }
        for (i, new_event) in self.new.events.iter().enumerate() {
            if !matched.contains(&i) {
                let what = format!(
                    "event `{}` added (an SDK generated from OLD decodes it as `Event::Unknown`)",
                    new_event.name
                );
                let subject = Subject::Event {
                    variant: new_event.variant.clone(),
                };
                self.event = new_event.variant.clone();
                self.push(
                    &new_event.variant,
                    what,
                    false,
                    false,
                    (None, Some(new_event.pointer.clone())),
                    subject,
                );
            }
        }
        pairs
    }

    /// The named types' schemas, else where the references sit.
    fn pointers_of(&self, old: &TypeRef, new: &TypeRef, at: &Pointers) -> Pointers {
        let of = |api: &Api, r: &TypeRef, at: &Option<String>| match r {
            TypeRef::Named(id) => Some(api.types.get(*id).pointer.clone()),
            _ => at.clone(),
        };
        (of(self.old, old, &at.0), of(self.new, new, &at.1))
    }

    /// Compare a type reference, aliases resolved; `decoded` is false under a value OLD keeps
    /// as raw JSON.
    /// `at` is where the reference sits (a field's schema), named for changes of an unnamed type.
    fn refs(&mut self, path: &str, old: &TypeRef, new: &TypeRef, decoded: bool, at: &Pointers) {
        let (old, new) = (self.resolve(self.old, old), self.resolve(self.new, new));
        let pointers = self.pointers_of(&old, &new, at);
        match (&old, &new) {
            (TypeRef::Named(a), TypeRef::Named(b)) => self.named(path, *a, *b, decoded),
            (TypeRef::Vec(a), TypeRef::Vec(b)) => {
                self.within("0", |w| w.refs(&format!("{path}[]"), a, b, decoded, at))
            }
            (TypeRef::Map(a), TypeRef::Map(b)) => {
                self.within("key", |w| w.refs(&format!("{path}{{}}"), a, b, decoded, at))
            }
            _ if old == new => {}
            // OLD keeps any JSON here: nothing fails to decode, but the Rust type changes.
            (TypeRef::Json, _) => {
                let what = self.type_change(&old, &new);
                let subject = self.here(&old);
                self.push(path, what, false, true, pointers, subject);
            }
            _ => {
                let what = self.type_change(&old, &new);
                let subject = self.here(&old);
                self.push(path, what, decoded, true, pointers, subject);
            }
        }
    }

    fn type_change(&self, old: &TypeRef, new: &TypeRef) -> String {
        format!("type `{}` → `{}`", show(self.old, old), show(self.new, new))
    }

    fn resolve(&self, api: &Api, r: &TypeRef) -> TypeRef {
        let mut current = r.clone();
        for _ in 0..32 {
            match &current {
                TypeRef::Named(id) => match &api.types.get(*id).kind {
                    TypeKind::Alias(inner) => current = inner.clone(),
                    _ => return current,
                },
                _ => return current,
            }
        }
        current
    }

    fn named(&mut self, path: &str, a: usize, b: usize, decoded: bool) {
        if !self.seen.insert((a, b)) {
            return;
        }
        let (old, new) = (self.old.types.get(a), self.new.types.get(b));
        let pointers = (Some(old.pointer.clone()), Some(new.pointer.clone()));
        if old.name != new.name {
            let what = format!("type `{}` renamed `{}`", old.name, new.name);
            let subject = Subject::Type {
                name: old.name.clone(),
            };
            self.push(path, what, false, true, pointers.clone(), subject);
        }
        match (&old.kind, &new.kind) {
            (TypeKind::Struct { fields: f, .. }, TypeKind::Struct { fields: g, .. }) => {
                let owners = (old.name.clone(), new.name.clone());
                self.fields(path, &owners, f, g, decoded, pointers)
            }
            (TypeKind::StringEnum { values: v }, TypeKind::StringEnum { values: w }) => {
                self.enum_values(path, old, v, w, pointers)
            }
            (TypeKind::Tagged { variants: v, .. }, TypeKind::Tagged { variants: w, .. }) => {
                self.variants(path, old, v, w, decoded, true)
            }
            (TypeKind::Untagged { variants: v }, TypeKind::Untagged { variants: w }) => {
                self.variants(path, old, v, w, decoded, false)
            }
            (TypeKind::Alias(x), TypeKind::Alias(y)) => self.refs(path, x, y, decoded, &pointers),
            (k, l) => {
                let what = format!(
                    "`{}` is now {} (was {})",
                    new.name,
                    kind_name(l),
                    kind_name(k)
                );
                let subject = Subject::Type {
                    name: old.name.clone(),
                };
                self.push(path, what, decoded, true, pointers, subject);
            }
        }
    }

    fn fields(
        &mut self,
        path: &str,
        owners: &(String, String),
        old: &[Field],
        new: &[Field],
        decoded: bool,
        pointers: Pointers,
    ) {
        for f in old {
            let at = format!("{path}.{}", f.name);
            let subject = Subject::Field {
                owner: owners.0.clone(),
                field: f.name.clone(),
                old_type: Some(field_type(self.old, f)),
            };
            self.within(&f.wire.clone(), |w| {
                w.field_pair(&at, f, new, decoded, &pointers, subject)
            });
        }
        for g in new
            .iter()
            .filter(|g| !old.iter().any(|f| field_key(f) == field_key(g)))
        {
            let at = format!("{path}.{}", g.name);
            let kind = if is_required(g) {
                "required"
            } else {
                "optional"
            };
            let what = format!(
                "{kind} field `{}` added (an SDK generated from OLD skips it)",
                field_key(g)
            );
            let subject = Subject::Field {
                owner: owners.0.clone(),
                field: g.name.clone(),
                old_type: None,
            };
            self.within(&g.wire.clone(), |w| {
                w.push(&at, what, false, false, pointers.clone(), subject)
            });
        }
    }

    /// One field of OLD against its NEW counterpart (if any).
    fn field_pair(
        &mut self,
        at: &str,
        f: &Field,
        new: &[Field],
        decoded: bool,
        pointers: &Pointers,
        subject: Subject,
    ) {
        let Some(g) = new.iter().find(|g| field_key(g) == field_key(f)) else {
            // OLD's decoder insists on a required, non-null field a NEW payload may lack.
            let breaks = decoded && is_required(f);
            let what = format!("field `{}` removed", field_key(f));
            self.push(at, what, breaks, true, pointers.clone(), subject);
            return;
        };
        if g.name != f.name {
            let what = format!("field renamed `{}` → `{}` (same wire name)", f.name, g.name);
            self.push(at, what, false, true, pointers.clone(), subject.clone());
        }
        if is_required(f) != is_required(g) {
            let (decode, what) = if is_required(f) {
                let how = if g.nullable { "nullable" } else { "optional" };
                (
                    decoded,
                    format!("field `{}` is now {how}: `T` → `Option<T>`", f.wire),
                )
            } else {
                (
                    false,
                    format!(
                        "field `{}` is now required and non-null: `Option<T>` → `T`",
                        f.wire
                    ),
                )
            };
            self.push(at, what, decode, true, pointers.clone(), subject.clone());
        }
        let property =
            |p: &Option<String>, w: &str| p.as_ref().map(|p| format!("{p}/properties/{w}"));
        let field_at = (
            property(&pointers.0, &f.wire),
            property(&pointers.1, &g.wire),
        );
        let outer = self.field.replace(subject);
        self.refs(at, &f.ty, &g.ty, decoded, &field_at);
        self.field = outer;
    }

    fn enum_values(
        &mut self,
        path: &str,
        ty: &TypeDef,
        old: &[EnumValue],
        new: &[EnumValue],
        pointers: Pointers,
    ) {
        for v in old.iter().filter(|v| !new.iter().any(|w| w.wire == v.wire)) {
            let at = format!("{}::{}", ty.name, v.variant);
            let what = format!("enum value `{}` removed (at {path})", v.wire);
            let subject = Subject::Variant {
                owner: ty.name.clone(),
                variant: v.variant.clone(),
                wire: Some(v.wire.clone()),
            };
            self.push(&at, what, false, true, pointers.clone(), subject);
        }
        for w in new.iter().filter(|w| !old.iter().any(|v| v.wire == w.wire)) {
            let at = format!("{}::{}", ty.name, w.variant);
            let what = format!(
                "enum value `{}` added (at {path}; an SDK generated from OLD keeps it as `Unknown`)",
                w.wire
            );
            let subject = Subject::Variant {
                owner: ty.name.clone(),
                variant: w.variant.clone(),
                wire: Some(w.wire.clone()),
            };
            self.push(&at, what, false, false, pointers.clone(), subject);
        }
    }

    /// Union variants, matched by tag (tagged) or by name (untagged). A new tagged variant is
    /// kept by OLD as an unknown tag; a new untagged one may match none of OLD's variants.
    fn variants(
        &mut self,
        path: &str,
        ty: &TypeDef,
        old: &[Variant],
        new: &[Variant],
        decoded: bool,
        tagged: bool,
    ) {
        let key = |v: &Variant| v.tag.clone().unwrap_or_else(|| v.name.clone());
        for v in old {
            let at = format!("{}::{}", ty.name, v.name);
            match new.iter().find(|w| key(w) == key(v)) {
                Some(w) => {
                    let here = (Some(ty.pointer.clone()), None);
                    self.refs(&at, &v.ty, &w.ty, decoded, &here)
                }
                None => {
                    let what = format!("variant `{}` removed (at {path})", key(v));
                    let pointers = (Some(ty.pointer.clone()), None);
                    self.push(&at, what, false, true, pointers, variant_of(ty, v));
                }
            }
        }
        for w in new.iter().filter(|w| !old.iter().any(|v| key(v) == key(w))) {
            let at = format!("{}::{}", ty.name, w.name);
            let what = format!("variant `{}` added (at {path})", key(w));
            let decode = decoded && !tagged;
            let pointers = (Some(ty.pointer.clone()), None);
            self.push(&at, what, decode, false, pointers, variant_of(ty, w));
        }
    }
}

type Pointers = (Option<String>, Option<String>);

/// A union variant as the subject of a change.
fn variant_of(ty: &TypeDef, v: &Variant) -> Subject {
    Subject::Variant {
        owner: ty.name.clone(),
        variant: v.name.clone(),
        wire: v.tag.clone(),
    }
}

/// A field's Rust type in the SDK, as a consumer would write it.
fn field_type(api: &Api, f: &Field) -> String {
    let ty = show(api, &f.ty);
    let ty = if f.boxed { format!("Box<{ty}>") } else { ty };
    if is_required(f) {
        ty
    } else {
        format!("Option<{ty}>")
    }
}

/// A type as the consumer sees it, spelled as the SDK spells it.
fn show(api: &Api, r: &TypeRef) -> String {
    match r {
        TypeRef::String => "String".into(),
        TypeRef::Integer => "i64".into(),
        TypeRef::Integer32 => "i32".into(),
        TypeRef::Number => "f64".into(),
        TypeRef::Boolean => "bool".into(),
        TypeRef::Uuid => "Uuid".into(),
        TypeRef::DateTime => "Timestamp".into(),
        TypeRef::Json => "serde_json::Value".into(),
        TypeRef::Named(id) => api.types.get(*id).name.clone(),
        TypeRef::Vec(inner) => format!("Vec<{}>", show(api, inner)),
        TypeRef::Map(inner) => format!("BTreeMap<String, {}>", show(api, inner)),
    }
}

/// How a field is matched across versions: its wire name, or for a flattened one (which has
/// none) its Rust name.
fn field_key(f: &Field) -> &str {
    if f.flatten || f.wire.is_empty() {
        &f.name
    } else {
        &f.wire
    }
}

/// Whether the SDK's field is a plain `T`: required and not nullable.
fn is_required(f: &Field) -> bool {
    f.required && !f.nullable
}

fn kind_name(kind: &TypeKind) -> &'static str {
    match kind {
        TypeKind::Struct { .. } => "a struct",
        TypeKind::StringEnum { .. } => "an enum",
        TypeKind::Tagged { .. } => "a tagged union",
        TypeKind::Untagged { .. } => "an untagged union",
        TypeKind::Alias(_) => "an alias",
    }
}

/// The report for people: breaking changes first, each with its place, then the bump.
pub fn render(report: &Report) -> String {
    let mut out = String::new();
    for impact in [Impact::Decode, Impact::Compile, Impact::Safe] {
        let changes: Vec<&Change> = report
            .changes
            .iter()
            .filter(|c| c.impact == impact)
            .collect();
        if changes.is_empty() {
            continue;
        }
        let heading = match impact {
            Impact::Decode => "decode: NEW payloads that an SDK generated from OLD fails to decode",
            Impact::Compile => "compile: code written against OLD's SDK that no longer compiles",
            Impact::Safe => "safe: absorbed by open enums and Event::Unknown",
        };
        out.push_str(&format!("{heading} ({})\n", changes.len()));
        for c in changes {
            let also = if c.decode && c.compile {
                " [also compile]"
            } else {
                ""
            };
            out.push_str(&format!("  {}: {}{also}\n", c.path, c.what));
            if let Some(p) = &c.old_pointer {
                out.push_str(&format!("      old {p}\n"));
            }
            if let Some(p) = &c.new_pointer {
                out.push_str(&format!("      new {p}\n"));
            }
        }
        out.push('\n');
    }
    if report.changes.is_empty() {
        out.push_str("no change a consumer can see\n");
    }
    if !report.replay.is_empty() {
        out.push_str(&format!(
            "replay: spec examples and stored deliveries that stop decoding ({})\n",
            report.replay.len()
        ));
        for r in &report.replay {
            let how = match r.direction {
                "new-through-old" => "NEW's example fails the SDK generated from OLD",
                STORED_THROUGH_NEW => "decodes with OLD's SDK, not with the regenerated one",
                _ => "OLD's example fails the regenerated SDK",
            };
            out.push_str(&format!("  {} {}: {how}\n", r.event, r.example));
            for p in &r.problems {
                out.push_str(&format!("      {p}\n"));
            }
        }
        out.push('\n');
    }
    let bump = match report.bump {
        Bump::Major => "major (code written against the old crate breaks; 0.x: the minor number)",
        Bump::Minor => "minor (additions only)",
        Bump::Patch => "patch",
    };
    out.push_str(&format!(
        "semver: the regenerated crate needs a {bump} bump\n"
    ));
    out
}
