//! The IR's data: everything emission needs, and nothing that makes it go back to the spec. A
//! leaf of the IR: the stages that build it import this, and it imports none of them.

use serde_json::Value;

pub use hookgen_runtime::Scheme;

/// The vendor's signature scheme and where the IR found it.
#[derive(Debug, Clone)]
pub struct SignatureScheme {
    pub scheme: Scheme,
    /// Where it came from, for `check` and generated docs.
    pub source: String,
}

/// Index of a named type in [`TypeSpace::types`].
pub type TypeId = usize;

/// A reference to a Rust type.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum TypeRef {
    String,
    Integer,
    Integer32,
    Number,
    Boolean,
    Uuid,
    DateTime,
    /// Any JSON value: unknown shapes are kept, not dropped.
    Json,
    Named(TypeId),
    Vec(Box<TypeRef>),
    Map(Box<TypeRef>),
}

#[derive(Debug, Clone)]
pub struct Field {
    /// The JSON property name.
    pub wire: String,
    /// The Rust field name (may be a raw identifier like `r#type`).
    pub name: String,
    pub ty: TypeRef,
    pub required: bool,
    pub nullable: bool,
    /// Indirection needed because the type contains itself.
    pub boxed: bool,
    pub doc: Option<String>,
    pub deprecated: bool,
    /// A union member of an `allOf`, flattened into the struct (it has no property name).
    pub flatten: bool,
    /// Required, and the spec declares a `default` that is the type's own default (`false`,
    /// `0`, `""`, `[]`, `{}`): a delivery that omits the field means that value (OpenAPI: "the
    /// value the consumer assumes when none is provided"), so it is not a schema break.
    pub absent_is_default: bool,
}

#[derive(Debug, Clone)]
pub struct EnumValue {
    pub variant: String,
    pub wire: String,
    pub doc: Option<String>,
}

#[derive(Debug, Clone)]
pub struct Variant {
    pub name: String,
    /// The tag value selecting this variant (tagged unions only).
    pub tag: Option<String>,
    pub ty: TypeRef,
    pub boxed: bool,
}

#[derive(Debug, Clone)]
pub enum TypeKind {
    /// `undeclared_required`: names the schema requires but never declares (a vendor defect).
    Struct {
        fields: Vec<Field>,
        additional: Option<TypeRef>,
        undeclared_required: Vec<String>,
        /// `minProperties >= 1` with only optional fields: an empty value is never sent (the
        /// API would reject `{}`); it is left out instead.
        omit_when_empty: bool,
    },
    /// An open string enum: known values plus a fallback that keeps the unknown string.
    StringEnum { values: Vec<EnumValue> },
    /// `oneOf`/`anyOf` selected by a property's value; unknown tags are kept.
    Tagged {
        property: String,
        variants: Vec<Variant>,
    },
    /// `oneOf`/`anyOf` without a tag: the first variant that decodes wins.
    Untagged { variants: Vec<Variant> },
    /// A named schema that is just another type (an array, a map, a primitive).
    Alias(TypeRef),
}

#[derive(Debug, Clone)]
pub struct TypeDef {
    pub name: String,
    pub doc: Option<String>,
    pub kind: TypeKind,
    /// Where the schema is, for diagnostics and docs.
    pub pointer: String,
    pub deprecated: bool,
    /// How many other schemas of the same shape this one type stands for (`ir::dedup`).
    pub copies: usize,
    /// Where those copies are (JSON pointers): amending the type means amending each.
    pub also_at: Vec<String>,
    /// Which ways the type crosses the wire, so that it derives only what it needs.
    pub direction: Direction,
    /// The operation groups that need this type; empty when it is always needed (events use
    /// it, or every group does).
    pub groups: Vec<String>,
}

/// Which ways a type crosses the wire: decoded (a payload, a response) or encoded (a request
/// body, a parameter). A type whose use is not known does both.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Direction {
    pub decoded: bool,
    pub encoded: bool,
    /// Part of an event's payload, which is encoded too when the crate serializes events
    /// (`serialize_events`).
    pub in_payload: bool,
}

impl Direction {
    pub const BOTH: Direction = Direction {
        decoded: true,
        encoded: true,
        in_payload: false,
    };

    /// Whether the type implements `Serialize`.
    pub fn encodes(self, serialize_events: bool) -> bool {
        self.encoded || (self.in_payload && serialize_events)
    }
}

#[derive(Debug, Clone, Default)]
pub struct TypeSpace {
    pub types: Vec<TypeDef>,
}

impl TypeSpace {
    pub fn get(&self, id: TypeId) -> &TypeDef {
        &self.types[id]
    }

    /// The struct fields of a type, following aliases; empty for non-structs.
    pub fn fields_of(&self, ty: &TypeRef) -> &[Field] {
        match ty {
            TypeRef::Named(id) => match &self.types[*id].kind {
                TypeKind::Struct { fields, .. } => fields,
                TypeKind::Alias(inner) => self.fields_of(inner),
                _ => &[],
            },
            _ => &[],
        }
    }

    /// [`TypeSpace::field_at`], to change the field.
    pub fn field_at_mut(&mut self, ty: &TypeRef, path: &[String]) -> Option<&mut Field> {
        let (first, rest) = path.split_first()?;
        let id = self.struct_behind(ty)?;
        let index = self
            .fields_of(&TypeRef::Named(id))
            .iter()
            .position(|f| &f.wire == first)?;
        if !rest.is_empty() {
            let next = self.fields_of(&TypeRef::Named(id))[index].ty.clone();
            return self.field_at_mut(&next, rest);
        }
        match &mut self.types[id].kind {
            TypeKind::Struct { fields, .. } => fields.get_mut(index),
            _ => None,
        }
    }

    /// The struct a reference names, following aliases.
    fn struct_behind(&self, ty: &TypeRef) -> Option<TypeId> {
        match ty {
            TypeRef::Named(id) => match &self.types[*id].kind {
                TypeKind::Struct { .. } => Some(*id),
                TypeKind::Alias(inner) => self.struct_behind(inner),
                _ => None,
            },
            _ => None,
        }
    }

    /// Find a field by JSON pointer path of wire names (`/data/workspaceId`).
    pub fn field_at(&self, ty: &TypeRef, path: &[String]) -> Option<&Field> {
        let (first, rest) = path.split_first()?;
        let field = self.fields_of(ty).iter().find(|f| &f.wire == first)?;
        if rest.is_empty() {
            Some(field)
        } else {
            self.field_at(&field.ty, rest)
        }
    }
}

#[derive(Debug, Clone)]
pub struct Example {
    /// Where the example is in the spec.
    pub pointer: String,
    pub value: Value,
}

/// A follow-up call an event calls for (`x-hookgen-link`).
#[derive(Debug, Clone)]
pub struct Link {
    /// Index into [`Api::operations`].
    pub operation: usize,
    /// Rust method name on the event, e.g. `fetch_workspace_status`.
    pub method: String,
    /// For each path/query parameter of the operation, the payload field path it comes from.
    pub arguments: Vec<LinkArgument>,
    pub description: Option<String>,
}

#[derive(Debug, Clone)]
pub struct LinkArgument {
    pub parameter: String,
    /// Wire names from the payload root to the field.
    pub path: Vec<String>,
}

#[derive(Debug, Clone)]
pub struct Event {
    /// The vendor's name for the event: the value in the payload (`workspace.presence.changed`).
    pub name: String,
    /// This event's value of each part of [`Api::identity`], as a delivery carries it
    /// (`None`: the event does not constrain that part).
    pub identity: Vec<Option<String>>,
    pub variant: String,
    pub payload: TypeRef,
    pub summary: Option<String>,
    pub description: Option<String>,
    pub deprecated: bool,
    pub webhook_key: String,
    pub pointer: String,
    /// Header names the webhook declares.
    pub headers: Vec<String>,
    pub examples: Vec<Example>,
    pub links: Vec<Link>,
    /// The payload field `Event::id()` reads, when the payload has one.
    pub id_field: Option<AccessorField>,
    /// The payload field `Event::timestamp()` reads, when the payload has one.
    pub timestamp_field: Option<AccessorField>,
}

/// A top-level payload field an `Event` accessor reads.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccessorField {
    /// The Rust field name.
    pub name: String,
    /// The field is an `Option` (not required, or nullable).
    pub optional: bool,
}

/// One place a delivery names its event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum IdentityPart {
    /// A request header.
    Header(String),
    /// A body field at a JSON pointer (a form body read as the object of its fields).
    Body(String),
}

/// Where deliveries name their event: one or more parts, each event with its values.
#[derive(Debug, Clone, Default)]
pub struct Identity {
    pub parts: Vec<IdentityPart>,
    /// Per part: its values come from the webhook keys and are compared loosely (case and
    /// separators ignored), not byte for byte.
    pub loose: Vec<bool>,
    /// Where it was declared; `None` when inferred from the spec.
    pub declared_in: Option<String>,
}

impl Identity {
    /// An event's values as a delivery's are compared with them.
    pub fn match_values(&self, values: &[Option<String>]) -> Vec<Option<String>> {
        values
            .iter()
            .zip(&self.loose)
            .map(|(v, loose)| match (v, loose) {
                (Some(v), true) => Some(hookgen_runtime::identity::loose(v)),
                (v, _) => v.clone(),
            })
            .collect()
    }

    /// Whether decoding needs the request headers.
    pub fn needs_headers(&self) -> bool {
        self.parts
            .iter()
            .any(|p| matches!(p, IdentityPart::Header(_)))
    }

    /// `header X-GitHub-Event + body /action`, for `check` and `events`.
    pub fn describe(&self) -> String {
        if self.parts.is_empty() {
            return "none (events are told apart by their schemas)".into();
        }
        self.parts
            .iter()
            .map(|p| match p {
                IdentityPart::Header(h) => format!("header {h}"),
                IdentityPart::Body(b) => format!("body {b}"),
            })
            .collect::<Vec<_>>()
            .join(" + ")
    }

    /// The body field when the identity is exactly one top-level body field.
    pub fn top_level_field(&self) -> Option<String> {
        match self.parts.as_slice() {
            [IdentityPart::Body(p)] => match crate::pointer::split_pointer(p).as_slice() {
                [one] => Some(one.clone()),
                _ => None,
            },
            _ => None,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ParamLocation {
    Path,
    Query,
    Header,
}

#[derive(Debug, Clone)]
pub struct Parameter {
    pub wire: String,
    pub name: String,
    pub location: ParamLocation,
    pub ty: TypeRef,
    pub required: bool,
    pub doc: Option<String>,
    /// Query arrays: `explode: true` repeats the key, otherwise values are comma-joined.
    pub explode: bool,
    /// The schema's `default`, when it is a string.
    pub default: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BodyKind {
    Json,
    Form,
}

#[derive(Debug, Clone)]
pub struct Body {
    pub kind: BodyKind,
    pub ty: TypeRef,
    pub required: bool,
}

#[derive(Debug, Clone)]
pub struct Response {
    /// `200`, `404`, or a range like `4XX`; `default` as well.
    pub status: String,
    pub ty: Option<TypeRef>,
    pub description: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SecurityKind {
    Basic,
    Bearer,
    ApiKeyHeader(String),
    ApiKeyQuery(String),
    Unsupported(String),
}

#[derive(Debug, Clone)]
pub struct SecurityScheme {
    pub name: String,
    pub kind: SecurityKind,
    pub description: Option<String>,
}

#[derive(Debug, Clone)]
pub struct Operation {
    pub id: Option<String>,
    /// Rust method name.
    pub name: String,
    pub method: String,
    pub path: String,
    pub summary: Option<String>,
    pub description: Option<String>,
    pub deprecated: bool,
    pub params: Vec<Parameter>,
    pub body: Option<Body>,
    pub responses: Vec<Response>,
    /// Names of security schemes any one of which the operation accepts; empty = no auth.
    pub security: Vec<String>,
    /// Name of the generated options struct, when the operation has optional parameters.
    pub options_type: Option<String>,
    /// The part of the API it belongs to (its first tag, else its first path segment), as a
    /// cargo feature name: a generated crate compiles only the groups its user turns on.
    pub group: String,
}

/// What became of one operation the document declares.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// These events or client methods were generated from it.
    Generated(Vec<String>),
    /// Left out on purpose (configuration), not by a defect.
    Excluded(String),
    /// Nothing could be generated from it, and why.
    Lost(String),
}

/// One declared webhook or API operation and its outcome.
#[derive(Debug, Clone)]
pub struct Declared {
    /// `POST webhook user.created` or `GET /v1/users/{id}`.
    pub label: String,
    pub pointer: String,
    pub outcome: Outcome,
}

/// Completeness: every operation the document declares, and what became of it. A shortfall is
/// an error (see [`build`]), so that no loss goes unnoticed.
#[derive(Debug, Clone, Default)]
pub struct Coverage {
    /// 3.1 `webhooks` and `x-webhooks` (the same key and method once) and every `callbacks` entry.
    pub webhooks: Vec<Declared>,
    /// Operations under `paths`.
    pub operations: Vec<Declared>,
}

impl Coverage {
    /// (declared, generated, lost) for a list.
    pub fn tally(items: &[Declared]) -> (usize, usize, usize) {
        let generated = items
            .iter()
            .filter(|d| matches!(d.outcome, Outcome::Generated(_)))
            .count();
        let lost = items
            .iter()
            .filter(|d| matches!(d.outcome, Outcome::Lost(_)))
            .count();
        (items.len(), generated, lost)
    }

    pub fn lost(&self) -> impl Iterator<Item = &Declared> {
        self.webhooks
            .iter()
            .chain(&self.operations)
            .filter(|d| matches!(d.outcome, Outcome::Lost(_)))
    }
}

/// Everything the emitter needs.
#[derive(Debug, Clone)]
pub struct Api {
    pub crate_name: String,
    pub vendor: String,
    pub title: String,
    pub version: String,
    pub description: Option<String>,
    pub spec_name: String,
    pub spec_hash: String,
    pub servers: Vec<String>,
    pub security_schemes: Vec<SecurityScheme>,
    /// Where deliveries name their event.
    pub identity: Identity,
    pub events: Vec<Event>,
    pub types: TypeSpace,
    pub operations: Vec<Operation>,
    pub signature: Option<SignatureScheme>,
    pub emit_client: bool,
    /// Events implement `Serialize` (`serialize_events` in `hookgen.toml`): their payload
    /// types derive it, although deliveries are only ever decoded.
    pub serialize_events: bool,
    /// Some webhook posts `application/x-www-form-urlencoded` bodies: `Event::from_slice`
    /// reads a form as a JSON object of its fields.
    pub form_payloads: bool,
    /// What became of each declared operation (for `check`; emission does not read it).
    pub coverage: Coverage,
}

impl Api {
    /// Keep only the operations `keep` accepts; links to dropped operations are dropped too.
    pub fn retain_operations(&mut self, keep: impl Fn(&Operation) -> bool) {
        let mut new_index = Vec::with_capacity(self.operations.len());
        let mut kept = Vec::new();
        for op in std::mem::take(&mut self.operations) {
            if keep(&op) {
                new_index.push(Some(kept.len()));
                kept.push(op);
            } else {
                new_index.push(None);
            }
        }
        self.operations = kept;
        for event in &mut self.events {
            event
                .links
                .retain_mut(|link| match new_index[link.operation] {
                    Some(i) => {
                        link.operation = i;
                        true
                    }
                    None => false,
                });
        }
    }
}
