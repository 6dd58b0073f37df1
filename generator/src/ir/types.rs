//! Building the type space: schemas (named and anonymous) → Rust types with stable names.

use std::collections::HashMap;

use indexmap::IndexMap;
use openapiv3::{AdditionalProperties, ReferenceOr, Schema, SchemaKind, Type};
use serde::Deserialize;
use serde_json::Value;

use super::model::{
    Direction, EnumValue, Field, TypeDef, TypeId, TypeKind, TypeRef, TypeSpace, Variant,
};
use super::names::{field_name, type_name, NameScope};
use crate::codes::Code;
use crate::diag::Diagnostic;
use crate::pointer::{escape_segment, split_pointer};

/// Formats that need no type of their own: the base type is right.
const PLAIN_FORMATS: &[&str] = &[
    "date",
    "time",
    "duration",
    "email",
    "idn-email",
    "hostname",
    "idn-hostname",
    "ipv4",
    "ipv6",
    "uri",
    "uri-reference",
    "iri",
    "iri-reference",
    "uri-template",
    "json-pointer",
    "relative-json-pointer",
    "regex",
    "byte",
    "binary",
    "password",
    "int32",
    "int64",
    "float",
    "double",
    "url",
    "html",
    "markdown",
    "phone",
    "country-code",
    "currency",
    "decimal",
    "unixtime",
    "timestamp",
    "text",
    "ip",
    "char",
    "int8",
    "int16",
    "uint8",
    "uint16",
    "uint32",
    "uint64",
    "string",
    "time-zone",
    "timezone",
    "language",
    "locale",
];

/// Deepest schema nesting followed; deeper is read as any JSON value.
const MAX_DEPTH: usize = 64;

/// A flattened view of one schema, whatever shape `openapiv3` parsed it into.
#[derive(Default, Clone)]
pub(super) struct View {
    pub ty: Option<String>,
    pub format: Option<String>,
    pub enumeration: Vec<Value>,
    pub properties: IndexMap<String, ReferenceOr<Box<Schema>>>,
    pub required: Vec<String>,
    pub additional: Option<AdditionalProperties>,
    pub items: Option<ReferenceOr<Box<Schema>>>,
    pub one_of: Vec<ReferenceOr<Schema>>,
    pub any_of: Vec<ReferenceOr<Schema>>,
    pub all_of: Vec<ReferenceOr<Schema>>,
    pub nullable: bool,
    pub title: Option<String>,
    pub description: Option<String>,
    pub deprecated: bool,
    pub discriminator: Option<openapiv3::Discriminator>,
    pub min_properties: Option<usize>,
}

pub(super) fn view(s: &Schema) -> View {
    let d = &s.schema_data;
    let mut v = View {
        nullable: d.nullable,
        title: d.title.clone(),
        description: d.description.clone(),
        deprecated: d.deprecated,
        discriminator: d.discriminator.clone(),
        ..View::default()
    };
    let fmt =
        |f: &openapiv3::VariantOrUnknownOrEmpty<_>, known: &dyn Fn() -> Option<String>| match f {
            openapiv3::VariantOrUnknownOrEmpty::Unknown(s) => Some(s.clone()),
            openapiv3::VariantOrUnknownOrEmpty::Empty => None,
            openapiv3::VariantOrUnknownOrEmpty::Item(_) => known(),
        };
    match &s.schema_kind {
        SchemaKind::Type(Type::String(t)) => {
            v.ty = Some("string".into());
            v.format = fmt(&t.format, &|| {
                Some(format!("{:?}", t.format).to_lowercase())
            });
            if let openapiv3::VariantOrUnknownOrEmpty::Item(i) = &t.format {
                v.format = Some(
                    match i {
                        openapiv3::StringFormat::Date => "date",
                        openapiv3::StringFormat::DateTime => "date-time",
                        openapiv3::StringFormat::Password => "password",
                        openapiv3::StringFormat::Byte => "byte",
                        openapiv3::StringFormat::Binary => "binary",
                    }
                    .into(),
                );
            }
            v.enumeration = t
                .enumeration
                .iter()
                .map(|e| e.clone().map(Value::String).unwrap_or(Value::Null))
                .collect();
        }
        SchemaKind::Type(Type::Number(t)) => {
            v.ty = Some("number".into());
            v.enumeration = t
                .enumeration
                .iter()
                .map(|e| e.map(Value::from).unwrap_or(Value::Null))
                .collect();
        }
        SchemaKind::Type(Type::Integer(t)) => {
            v.ty = Some("integer".into());
            if let openapiv3::VariantOrUnknownOrEmpty::Item(i) = &t.format {
                v.format = Some(
                    if matches!(i, openapiv3::IntegerFormat::Int32) {
                        "int32"
                    } else {
                        "int64"
                    }
                    .into(),
                );
            }
            v.enumeration = t
                .enumeration
                .iter()
                .map(|e| e.map(Value::from).unwrap_or(Value::Null))
                .collect();
        }
        SchemaKind::Type(Type::Boolean(t)) => {
            v.ty = Some("boolean".into());
            v.enumeration = t
                .enumeration
                .iter()
                .map(|e| e.map(Value::from).unwrap_or(Value::Null))
                .collect();
        }
        SchemaKind::Type(Type::Object(o)) => {
            v.ty = Some("object".into());
            v.properties = o.properties.clone();
            v.required = o.required.clone();
            v.additional = o.additional_properties.clone();
            v.min_properties = o.min_properties;
        }
        SchemaKind::Type(Type::Array(a)) => {
            v.ty = Some("array".into());
            v.items = a.items.clone();
        }
        SchemaKind::OneOf { one_of } => v.one_of = one_of.clone(),
        SchemaKind::AnyOf { any_of } => v.any_of = any_of.clone(),
        SchemaKind::AllOf { all_of } => v.all_of = all_of.clone(),
        SchemaKind::Not { .. } => {}
        SchemaKind::Any(a) => {
            v.ty = a.typ.clone();
            v.format = a.format.clone();
            v.enumeration = a.enumeration.clone();
            v.properties = a.properties.clone();
            v.required = a.required.clone();
            v.additional = a.additional_properties.clone();
            v.min_properties = a.min_properties;
            v.items = a.items.clone();
            v.one_of = a.one_of.clone();
            v.any_of = a.any_of.clone();
            v.all_of = a.all_of.clone();
        }
    }
    v
}

fn doc_of(v: &View) -> Option<String> {
    match (&v.title, &v.description) {
        (Some(t), Some(d)) if !d.trim().is_empty() => Some(format!("{}\n\n{}", t.trim(), d.trim())),
        (_, Some(d)) if !d.trim().is_empty() => Some(d.trim().to_string()),
        (Some(t), _) if !t.trim().is_empty() => Some(t.trim().to_string()),
        _ => None,
    }
}

/// Builds the [`TypeSpace`] from schemas in the document, on demand.
pub(super) struct TypeBuilder<'a> {
    root: &'a Value,
    pub space: TypeSpace,
    /// Schema pointer → named type.
    by_pointer: HashMap<String, TypeId>,
    /// Resolved schemas by pointer; `None` when the target does not exist or is not a schema.
    resolved: HashMap<String, Option<Schema>>,
    names: NameScope,
    pub diags: Vec<Diagnostic>,
    depth: usize,
}

impl<'a> TypeBuilder<'a> {
    pub fn new(root: &'a Value) -> Self {
        let mut names = NameScope::default();
        for reserved in super::names::RESERVED_NAMES {
            names.reserve(reserved);
        }
        TypeBuilder {
            root,
            space: TypeSpace::default(),
            by_pointer: HashMap::new(),
            resolved: HashMap::new(),
            names,
            diags: Vec::new(),
            depth: 0,
        }
    }

    /// Resolve a `$ref` to a schema, following chains; diagnostics for missing and cyclic targets.
    pub fn resolve(&mut self, reference: &str, at: &str) -> Option<(String, Schema)> {
        let mut seen = Vec::new();
        let mut current = reference.to_string();
        loop {
            let Some(ptr) = current.strip_prefix('#').map(str::to_string) else {
                self.diags.push(Diagnostic::warning(
                    Code::UnresolvedRef,
                    at.to_string(),
                    format!("`$ref: {current}` is not a reference into this document; read as any JSON value"),
                ));
                return None;
            };
            if seen.contains(&ptr) {
                self.diags.push(Diagnostic::error(
                    Code::CyclicRef,
                    at.to_string(),
                    format!("`$ref` chain {} loops back on itself", seen.join(" → ")),
                ));
                return None;
            }
            seen.push(ptr.clone());
            if let Some(Value::String(next)) = self.root.pointer(&ptr).and_then(|v| v.get("$ref")) {
                current = next.clone();
                continue;
            }
            if !self.resolved.contains_key(&ptr) {
                let parsed = self.parse_schema_at(&ptr, at);
                self.resolved.insert(ptr.clone(), parsed);
            }
            return self.resolved[&ptr].clone().map(|s| (ptr, s));
        }
    }

    fn parse_schema_at(&mut self, ptr: &str, at: &str) -> Option<Schema> {
        let Some(value) = self.root.pointer(ptr) else {
            self.diags.push(Diagnostic::error(
                Code::UnresolvedRef,
                at.to_string(),
                format!("`$ref: #{ptr}` points at nothing in this document"),
            ));
            return None;
        };
        if let Ok(s) = Schema::deserialize(value) {
            return Some(s);
        }
        // Repair a copy keyword by keyword: a bad keyword costs that keyword, not the schema.
        let mut copy = value.clone();
        crate::repair::schema(&mut copy, &mut ptr.to_string(), &mut self.diags);
        Schema::deserialize(&copy).ok()
    }

    /// The Rust type for a schema or reference found at `at`; `hint` names anonymous types.
    pub fn type_of(&mut self, s: &ReferenceOr<Schema>, hint: &str, at: &str) -> TypeRef {
        match s {
            ReferenceOr::Reference { reference } => self.type_of_ref(reference, at),
            ReferenceOr::Item(schema) => self.type_of_schema(schema, hint, at),
        }
    }

    pub fn type_of_boxed(&mut self, s: &ReferenceOr<Box<Schema>>, hint: &str, at: &str) -> TypeRef {
        match s {
            ReferenceOr::Reference { reference } => self.type_of_ref(reference, at),
            ReferenceOr::Item(schema) => self.type_of_schema(schema, hint, at),
        }
    }

    pub fn type_of_ref(&mut self, reference: &str, at: &str) -> TypeRef {
        let Some((ptr, schema)) = self.resolve(reference, at) else {
            return TypeRef::Json;
        };
        if let Some(id) = self.by_pointer.get(&ptr) {
            return TypeRef::Named(*id);
        }
        let name = name_from_pointer(&ptr);
        self.type_of_schema(&schema, &name, &ptr)
    }

    /// Does this schema need a named Rust type (as opposed to a primitive, Vec or map)?
    fn needs_named(&mut self, v: &View) -> bool {
        let string_enum = v.enumeration.iter().any(Value::is_string);
        !v.properties.is_empty()
            || string_enum
            || !v.one_of.is_empty()
            || !v.any_of.is_empty()
            || !v.all_of.is_empty()
    }

    pub fn type_of_schema(&mut self, schema: &Schema, hint: &str, at: &str) -> TypeRef {
        if let Some(id) = self.by_pointer.get(at) {
            return TypeRef::Named(*id);
        }
        if self.depth > MAX_DEPTH {
            self.diags.push(Diagnostic::warning(
                Code::TooDeep,
                at.to_string(),
                "schema nesting too deep; read as any JSON value",
            ));
            return TypeRef::Json;
        }
        self.depth += 1;
        let v = view(schema);
        let t = if self.needs_named(&v) {
            self.named(&v, hint, at)
        } else {
            self.unnamed(&v, hint, at)
        };
        self.depth -= 1;
        t
    }

    fn unnamed(&mut self, v: &View, hint: &str, at: &str) -> TypeRef {
        match v.ty.as_deref() {
            Some("array") => {
                let item = match &v.items {
                    Some(items) => {
                        self.type_of_boxed(items, &format!("{hint}Item"), &format!("{at}/items"))
                    }
                    None => TypeRef::Json,
                };
                TypeRef::Vec(Box::new(item))
            }
            Some("object") => match &v.additional {
                Some(AdditionalProperties::Schema(s)) => {
                    let value = self.type_of(
                        s,
                        &format!("{hint}Value"),
                        &format!("{at}/additionalProperties"),
                    );
                    TypeRef::Map(Box::new(value))
                }
                Some(AdditionalProperties::Any(true)) => TypeRef::Map(Box::new(TypeRef::Json)),
                _ => TypeRef::Json,
            },
            Some("string") => self.string_type(v, at),
            Some("integer") => {
                self.check_format(v, at, &["int32", "int64"]);
                if v.format.as_deref() == Some("int32") {
                    TypeRef::Integer32
                } else {
                    TypeRef::Integer
                }
            }
            Some("number") => TypeRef::Number,
            Some("boolean") => TypeRef::Boolean,
            Some(other) => {
                self.diags.push(Diagnostic::warning(
                    Code::UnknownType,
                    format!("{at}/type"),
                    format!("`type: {other}` is not a JSON Schema type; read as any JSON value"),
                ));
                TypeRef::Json
            }
            None => self.untyped(v, at),
        }
    }

    /// No `type`: a known string format still says what it is (ROOMZ's `apiVersion: {format: string}`).
    fn untyped(&mut self, v: &View, at: &str) -> TypeRef {
        match v.format.as_deref() {
            Some(f) if f == "uuid" || f == "date-time" || PLAIN_FORMATS.contains(&f) => {
                self.diags.push(Diagnostic::warning(
                    Code::MissingType,
                    at.to_string(),
                    format!("schema has `format: {f}` but no `type`; read as a string"),
                ));
                self.string_type(
                    &View {
                        ty: Some("string".into()),
                        ..v.clone()
                    },
                    at,
                )
            }
            _ => TypeRef::Json,
        }
    }

    fn string_type(&mut self, v: &View, at: &str) -> TypeRef {
        match v.format.as_deref() {
            Some("uuid") => TypeRef::Uuid,
            Some("date-time") => TypeRef::DateTime,
            _ => {
                self.check_format(v, at, PLAIN_FORMATS);
                TypeRef::String
            }
        }
    }

    fn check_format(&mut self, v: &View, at: &str, known: &[&str]) {
        if let Some(f) = &v.format {
            if !known.contains(&f.as_str())
                && !PLAIN_FORMATS.contains(&f.as_str())
                && f != "uuid"
                && f != "date-time"
            {
                self.diags.push(Diagnostic::warning(
                    Code::UnknownFormat,
                    format!("{at}/format"),
                    format!("`format: {f}` is not known; the base type is used"),
                ));
            }
        }
    }

    /// Reserve a named type, then fill it in (so recursive references find it).
    fn named(&mut self, v: &View, hint: &str, at: &str) -> TypeRef {
        // A one-member oneOf/anyOf/allOf with nothing of its own is that member.
        if let Some(only) = self.sole_member(v) {
            return self.type_of(&only, hint, &format!("{at}/{}/0", self.composition_key(v)));
        }
        let (name, renamed) = self.names.unique(&type_name(hint));
        if renamed {
            self.diags.push(Diagnostic::warning(
                Code::NameCollision,
                at.to_string(),
                format!(
                    "type name `{}` is already taken; this schema is named `{name}`",
                    type_name(hint)
                ),
            ));
        }
        let id = self.space.types.len();
        self.space.types.push(TypeDef {
            name: name.clone(),
            doc: doc_of(v),
            kind: TypeKind::Alias(TypeRef::Json),
            pointer: at.to_string(),
            deprecated: v.deprecated,
            copies: 0,
            also_at: Vec::new(),
            direction: Direction::BOTH,
            groups: Vec::new(),
        });
        self.by_pointer.insert(at.to_string(), id);
        let kind = self.kind_of(v, &name, at);
        self.space.types[id].kind = kind;
        TypeRef::Named(id)
    }

    fn composition_key(&self, v: &View) -> &'static str {
        if !v.one_of.is_empty() {
            "oneOf"
        } else if !v.any_of.is_empty() {
            "anyOf"
        } else {
            "allOf"
        }
    }

    fn sole_member(&self, v: &View) -> Option<ReferenceOr<Schema>> {
        let own = !v.properties.is_empty() || v.enumeration.iter().any(Value::is_string);
        let lists = [&v.one_of, &v.any_of, &v.all_of];
        let non_empty: Vec<_> = lists.iter().filter(|l| !l.is_empty()).collect();
        match non_empty.as_slice() {
            [only] if only.len() == 1 && !own => Some(only[0].clone()),
            _ => None,
        }
    }

    fn kind_of(&mut self, v: &View, name: &str, at: &str) -> TypeKind {
        if v.enumeration.iter().any(Value::is_string) && v.properties.is_empty() {
            return self.string_enum(v, at);
        }
        if !v.all_of.is_empty() {
            return self.merged_struct(v, name, at);
        }
        if !v.one_of.is_empty() || !v.any_of.is_empty() {
            return self.union(v, name, at);
        }
        self.struct_kind(v, name, at, &[])
    }

    fn string_enum(&mut self, v: &View, at: &str) -> TypeKind {
        let mut scope = NameScope::default();
        scope.reserve("Unknown");
        let mut values = Vec::new();
        for (i, e) in v.enumeration.iter().enumerate() {
            let Value::String(s) = e else { continue };
            if values.iter().any(|x: &EnumValue| &x.wire == s) {
                continue;
            }
            let (variant, renamed) = scope.unique(&type_name(s));
            if renamed {
                self.diags.push(Diagnostic::warning(
                    Code::NameCollision,
                    format!("{at}/enum/{i}"),
                    format!("enum value `{s}` maps to a Rust name already used; it is named `{variant}`"),
                ));
            }
            values.push(EnumValue {
                variant,
                wire: s.clone(),
                doc: None,
            });
        }
        TypeKind::StringEnum { values }
    }

    fn struct_kind(
        &mut self,
        v: &View,
        name: &str,
        at: &str,
        inherited_required: &[String],
    ) -> TypeKind {
        let mut scope = NameScope::default();
        let mut fields = Vec::new();
        for (wire, prop) in &v.properties {
            let p = format!("{at}/properties/{}", escape_segment(wire));
            let ty = self.type_of_boxed(prop, &format!("{name} {wire}"), &p);
            let (nullable, doc, deprecated, default) = self.property_annotations(prop, &p);
            let absent_is_default = default.is_some_and(|d| is_rust_default(&ty, &d));
            let (fname, renamed) = scope.unique(&field_name(wire));
            if renamed {
                self.diags.push(Diagnostic::warning(
                    Code::NameCollision,
                    p.clone(),
                    format!("property `{wire}` maps to a Rust field name already used; it is named `{fname}`"),
                ));
            }
            let required = v.required.contains(wire) || inherited_required.contains(wire);
            fields.push(Field {
                wire: wire.clone(),
                name: fname,
                ty,
                required,
                nullable,
                boxed: false,
                doc,
                deprecated,
                flatten: false,
                absent_is_default: required && !nullable && absent_is_default,
            });
        }
        let mut undeclared_required = Vec::new();
        for (i, req) in v.required.iter().enumerate() {
            if !v.properties.contains_key(req) {
                undeclared_required.push(req.clone());
                self.diags.push(Diagnostic::warning(
                    Code::UndeclaredRequired,
                    format!("{at}/required/{i}"),
                    format!(
                        "`{req}` is required but not declared in `properties`; it gets no field"
                    ),
                ));
            }
        }
        let additional = match &v.additional {
            Some(AdditionalProperties::Schema(s)) if !v.properties.is_empty() => {
                Some(self.type_of(
                    s,
                    &format!("{name} Extra"),
                    &format!("{at}/additionalProperties"),
                ))
            }
            // Declared open: unknown properties are kept, not dropped.
            Some(AdditionalProperties::Any(true)) if !v.properties.is_empty() => {
                Some(TypeRef::Json)
            }
            _ => None,
        };
        let omit_when_empty = v.min_properties.unwrap_or(0) >= 1
            && !fields.is_empty()
            && fields.iter().all(|f| !f.required)
            && additional.is_none();
        TypeKind::Struct {
            fields,
            additional,
            undeclared_required,
            omit_when_empty,
        }
    }

    fn property_annotations(
        &mut self,
        prop: &ReferenceOr<Box<Schema>>,
        at: &str,
    ) -> (bool, Option<String>, bool, Option<Value>) {
        match prop {
            ReferenceOr::Item(s) => {
                let v = view(s);
                let nullable = v.nullable
                    || v.enumeration.iter().any(Value::is_null)
                    || self.all_of_nullable(&v);
                let default = s.schema_data.default.clone();
                (nullable, doc_of(&v), v.deprecated, default)
            }
            ReferenceOr::Reference { reference } => match self.resolve(reference, at) {
                Some((_, s)) => {
                    let v = view(&s);
                    (
                        v.nullable,
                        None,
                        v.deprecated,
                        s.schema_data.default.clone(),
                    )
                }
                None => (false, None, false, None),
            },
        }
    }

    fn all_of_nullable(&self, v: &View) -> bool {
        v.all_of.iter().chain(&v.one_of).chain(&v.any_of).any(|m| match m {
            ReferenceOr::Item(s) => s.schema_data.nullable && matches!(&s.schema_kind, SchemaKind::Any(a) if a.typ.is_none() && a.properties.is_empty()),
            _ => false,
        })
    }

    /// `allOf`: properties and `required` of every member (recursively) become one struct;
    /// members that are unions are kept as flattened fields.
    fn merged_struct(&mut self, v: &View, name: &str, at: &str) -> TypeKind {
        let mut merged = View {
            properties: v.properties.clone(),
            required: v.required.clone(),
            ..View::default()
        };
        let mut unions: Vec<(usize, ReferenceOr<Schema>)> = Vec::new();
        self.collect_all_of(v, at, &mut merged, &mut unions, 0);
        let mut kind = self.struct_kind(&merged, name, at, &[]);
        if let TypeKind::Struct { fields, .. } = &mut kind {
            for (i, member) in unions {
                let p = format!("{at}/allOf/{i}");
                let ty = self.type_of(&member, &format!("{name} Variant"), &p);
                let fname = match &ty {
                    TypeRef::Named(id) => field_name(&self.space.types[*id].name),
                    _ => format!("variant_{i}"),
                };
                fields.push(Field {
                    wire: String::new(),
                    name: fname,
                    ty,
                    required: true,
                    nullable: false,
                    boxed: false,
                    doc: None,
                    deprecated: false,
                    flatten: true,
                    absent_is_default: false,
                });
            }
        }
        kind
    }

    fn collect_all_of(
        &mut self,
        v: &View,
        at: &str,
        merged: &mut View,
        unions: &mut Vec<(usize, ReferenceOr<Schema>)>,
        depth: usize,
    ) {
        if depth > 16 {
            return;
        }
        for (i, member) in v.all_of.iter().enumerate() {
            let (mv, mat) = match member {
                ReferenceOr::Item(s) => (view(s), format!("{at}/allOf/{i}")),
                ReferenceOr::Reference { reference } => {
                    match self.resolve(reference, &format!("{at}/allOf/{i}")) {
                        Some((ptr, s)) => (view(&s), ptr),
                        None => continue,
                    }
                }
            };
            if (!mv.one_of.is_empty() || !mv.any_of.is_empty()) && mv.properties.is_empty() {
                unions.push((i, member.clone()));
                continue;
            }
            for (k, p) in mv.properties {
                // Later members refine earlier ones; the first declaration keeps its place.
                merged.properties.entry(k).or_insert(p);
            }
            for r in mv.required {
                if !merged.required.contains(&r) {
                    merged.required.push(r);
                }
            }
            if !mv.all_of.is_empty() {
                let inner = View {
                    all_of: mv.all_of.clone(),
                    ..View::default()
                };
                self.collect_all_of(&inner, &mat, merged, unions, depth + 1);
            }
        }
    }

    fn union(&mut self, v: &View, name: &str, at: &str) -> TypeKind {
        let (key, members) = if !v.one_of.is_empty() {
            ("oneOf", &v.one_of)
        } else {
            ("anyOf", &v.any_of)
        };
        let mut scope = NameScope::default();
        scope.reserve("Unknown");
        let mut variants = Vec::new();
        let mut pointers = Vec::new();
        for (i, m) in members.iter().enumerate() {
            let p = format!("{at}/{key}/{i}");
            if is_null_schema(m) {
                continue;
            }
            let ty = self.type_of(m, &format!("{name} Variant{i}"), &p);
            let base = match (&ty, m) {
                (_, ReferenceOr::Reference { reference }) => {
                    type_name(&name_from_pointer(reference.trim_start_matches('#')))
                }
                (TypeRef::Named(id), _) => self.space.types[*id].name.clone(),
                (other, _) => primitive_variant_name(other),
            };
            let (vname, _) = scope.unique(&base);
            pointers.push(match m {
                ReferenceOr::Reference { reference } => {
                    reference.trim_start_matches('#').to_string()
                }
                _ => p,
            });
            variants.push(Variant {
                name: vname,
                tag: None,
                ty,
                boxed: false,
            });
        }
        if let Some(property) = self.tag_property(v, &variants) {
            let mapping: Vec<(String, String)> = v
                .discriminator
                .as_ref()
                .map(|d| {
                    d.mapping
                        .iter()
                        .map(|(k, v)| (k.clone(), v.clone()))
                        .collect()
                })
                .unwrap_or_default();
            for (variant, ptr) in variants.iter_mut().zip(&pointers) {
                let from_mapping = mapping
                    .iter()
                    .find(|(_, target)| {
                        target.trim_start_matches('#') == ptr
                            || name_from_pointer(target) == name_from_pointer(ptr)
                    })
                    .map(|(k, _)| k.clone());
                variant.tag = from_mapping.or_else(|| self.single_value(&variant.ty, &property));
                if variant.tag.is_none() && v.discriminator.is_some() {
                    variant.tag = Some(name_from_pointer(ptr));
                }
            }
            if variants.iter().all(|v| v.tag.is_some()) {
                return TypeKind::Tagged { property, variants };
            }
            for v in &mut variants {
                v.tag = None;
            }
        }
        // Most specific first: more required fields wins, spec order breaks ties.
        let mut ranked: Vec<(usize, Variant)> = variants.into_iter().enumerate().collect();
        ranked.sort_by_key(|(i, v)| (std::cmp::Reverse(self.specificity(&v.ty)), *i));
        TypeKind::Untagged {
            variants: ranked.into_iter().map(|(_, v)| v).collect(),
        }
    }

    fn specificity(&self, ty: &TypeRef) -> usize {
        match ty {
            TypeRef::Json => 0,
            TypeRef::Named(id) => match &self.space.types[*id].kind {
                TypeKind::Struct { fields, .. } => {
                    2 + fields.iter().filter(|f| f.required).count() * 2 + fields.len()
                }
                _ => 2,
            },
            TypeRef::String => 1,
            _ => 2,
        }
    }

    /// The property that tells variants apart: the discriminator, or a property that has one
    /// distinct constant value in every variant.
    fn tag_property(&self, v: &View, variants: &[Variant]) -> Option<String> {
        if let Some(d) = &v.discriminator {
            return Some(d.property_name.clone());
        }
        if variants.len() < 2 {
            return None;
        }
        let first = self.space.fields_of(&variants[0].ty);
        first.iter().map(|f| f.wire.clone()).find(|candidate| {
            let tags: Vec<Option<String>> = variants
                .iter()
                .map(|v| self.single_value(&v.ty, candidate))
                .collect();
            let all = tags.iter().all(Option::is_some);
            let mut distinct: Vec<_> = tags.iter().flatten().collect();
            distinct.sort();
            distinct.dedup();
            all && distinct.len() == tags.len()
        })
    }

    /// The one value a variant's `property` can have (a one-value enum), if any.
    pub fn single_value(&self, ty: &TypeRef, property: &str) -> Option<String> {
        let values = self.enum_values(ty, property);
        match values.as_slice() {
            [one] => Some(one.clone()),
            _ => None,
        }
    }

    /// The enum values declared for `property` of a struct type.
    pub fn enum_values(&self, ty: &TypeRef, property: &str) -> Vec<String> {
        let Some(field) = self.space.fields_of(ty).iter().find(|f| f.wire == property) else {
            return vec![];
        };
        match &field.ty {
            TypeRef::Named(id) => match &self.space.types[*id].kind {
                TypeKind::StringEnum { values } => values.iter().map(|v| v.wire.clone()).collect(),
                _ => vec![],
            },
            _ => vec![],
        }
    }

    /// Mark struct fields and variants that make a type contain itself by value, so they are boxed.
    pub fn box_recursive_fields(&mut self) {
        for id in 0..self.space.types.len() {
            let targets = self.direct_children(id);
            for (slot, child) in targets {
                if self.reaches(child, id, &mut vec![false; self.space.types.len()]) {
                    match &mut self.space.types[id].kind {
                        TypeKind::Struct { fields, .. } => fields[slot].boxed = true,
                        TypeKind::Tagged { variants, .. } | TypeKind::Untagged { variants } => {
                            variants[slot].boxed = true
                        }
                        _ => {}
                    }
                }
            }
        }
    }

    /// Box struct fields and union variants whose type is large inline, so that no type is
    /// big on the stack: serde's derived code (in a debug build especially) keeps every field
    /// of a struct being decoded in one frame, and nested payloads stack those frames. Real
    /// payloads (GitHub's) overflowed a 2 MiB thread without this.
    pub fn box_large_fields(&mut self) {
        let mut sizes: Vec<Option<usize>> = vec![None; self.space.types.len()];
        for id in 0..self.space.types.len() {
            self.inline_size(id, &mut sizes, &mut vec![false; self.space.types.len()]);
        }
    }

    /// Estimated bytes of a named type held by value, boxing its large parts on the way.
    fn inline_size(
        &mut self,
        id: TypeId,
        sizes: &mut Vec<Option<usize>>,
        busy: &mut Vec<bool>,
    ) -> usize {
        if let Some(size) = sizes[id] {
            return size;
        }
        if busy[id] {
            // A cycle not yet boxed: it will be behind a pointer.
            return POINTER_SIZE;
        }
        busy[id] = true;
        let size = match self.space.types[id].kind.clone() {
            TypeKind::Struct {
                fields, additional, ..
            } => {
                let mut total = additional.map_or(0, |_| 24);
                for (slot, f) in fields.iter().enumerate() {
                    let inner = if f.boxed {
                        POINTER_SIZE
                    } else {
                        self.ref_size(&f.ty, sizes, busy)
                    };
                    let inner = if inner > BOX_ABOVE && matches!(f.ty, TypeRef::Named(_)) {
                        if let TypeKind::Struct { fields, .. } = &mut self.space.types[id].kind {
                            fields[slot].boxed = true;
                        }
                        POINTER_SIZE
                    } else {
                        inner
                    };
                    total += inner + if f.required && !f.nullable { 0 } else { 8 };
                }
                total
            }
            TypeKind::Tagged { variants, .. } | TypeKind::Untagged { variants } => {
                let mut largest = 24;
                for (slot, v) in variants.iter().enumerate() {
                    let inner = if v.boxed {
                        POINTER_SIZE
                    } else {
                        self.ref_size(&v.ty, sizes, busy)
                    };
                    let inner = if inner > BOX_ABOVE && matches!(v.ty, TypeRef::Named(_)) {
                        if let TypeKind::Tagged { variants, .. } | TypeKind::Untagged { variants } =
                            &mut self.space.types[id].kind
                        {
                            variants[slot].boxed = true;
                        }
                        POINTER_SIZE
                    } else {
                        inner
                    };
                    largest = largest.max(inner);
                }
                largest + 8
            }
            TypeKind::StringEnum { .. } => 32,
            TypeKind::Alias(inner) => self.ref_size(&inner, sizes, busy),
        };
        busy[id] = false;
        sizes[id] = Some(size);
        size
    }

    fn ref_size(
        &mut self,
        ty: &TypeRef,
        sizes: &mut Vec<Option<usize>>,
        busy: &mut Vec<bool>,
    ) -> usize {
        match ty {
            TypeRef::String | TypeRef::Vec(_) | TypeRef::Map(_) => 24,
            TypeRef::Integer | TypeRef::Number => 8,
            TypeRef::Integer32 => 4,
            TypeRef::Boolean => 1,
            TypeRef::Uuid => 16,
            TypeRef::DateTime => 40,
            TypeRef::Json => 80,
            TypeRef::Named(id) => self.inline_size(*id, sizes, busy),
        }
    }

    /// (slot, child) pairs where a type holds a named type by value (not behind Vec/Map).
    fn direct_children(&self, id: TypeId) -> Vec<(usize, TypeId)> {
        let by_value = |t: &TypeRef| {
            if let TypeRef::Named(c) = t {
                Some(*c)
            } else {
                None
            }
        };
        match &self.space.types[id].kind {
            TypeKind::Struct { fields, .. } => fields
                .iter()
                .enumerate()
                .filter_map(|(i, f)| by_value(&f.ty).map(|c| (i, c)))
                .collect(),
            TypeKind::Tagged { variants, .. } | TypeKind::Untagged { variants } => variants
                .iter()
                .enumerate()
                .filter_map(|(i, v)| by_value(&v.ty).map(|c| (i, c)))
                .collect(),
            TypeKind::Alias(t) => by_value(t).map(|c| vec![(0, c)]).unwrap_or_default(),
            TypeKind::StringEnum { .. } => vec![],
        }
    }

    fn reaches(&self, from: TypeId, target: TypeId, seen: &mut Vec<bool>) -> bool {
        if from == target {
            return true;
        }
        if seen[from] {
            return false;
        }
        seen[from] = true;
        let boxed_slots: Vec<usize> = match &self.space.types[from].kind {
            TypeKind::Struct { fields, .. } => fields
                .iter()
                .enumerate()
                .filter(|(_, f)| f.boxed)
                .map(|(i, _)| i)
                .collect(),
            TypeKind::Tagged { variants, .. } | TypeKind::Untagged { variants } => variants
                .iter()
                .enumerate()
                .filter(|(_, v)| v.boxed)
                .map(|(i, _)| i)
                .collect(),
            _ => vec![],
        };
        self.direct_children(from)
            .into_iter()
            .filter(|(slot, _)| !boxed_slots.contains(slot))
            .any(|(_, c)| self.reaches(c, target, seen))
    }
}

impl TypeBuilder<'_> {
    /// Whether a type name is already used (by a schema type, an options struct or a name the
    /// crate's own modules define).
    pub fn name_taken(&self, name: &str) -> bool {
        self.names.is_taken(name)
    }

    /// A type name for something the emitter defines (options structs), unique among schema types.
    pub fn unique_type_name(&mut self, wanted: &str) -> String {
        self.names.unique(&type_name(wanted)).0
    }
}

fn is_null_schema(m: &ReferenceOr<Schema>) -> bool {
    match m {
        ReferenceOr::Item(s) => {
            matches!(&s.schema_kind, SchemaKind::Any(a) if a.typ.is_none() && a.properties.is_empty() && a.one_of.is_empty() && a.all_of.is_empty() && a.any_of.is_empty())
                && s.schema_data.nullable
        }
        _ => false,
    }
}

fn primitive_variant_name(t: &TypeRef) -> String {
    match t {
        TypeRef::String => "String",
        TypeRef::Integer | TypeRef::Integer32 => "Integer",
        TypeRef::Number => "Number",
        TypeRef::Boolean => "Boolean",
        TypeRef::Uuid => "Uuid",
        TypeRef::DateTime => "DateTime",
        TypeRef::Json => "Value",
        TypeRef::Vec(_) => "List",
        TypeRef::Map(_) => "Map",
        TypeRef::Named(_) => "Variant",
    }
    .into()
}

const POINTER_SIZE: usize = 8;

/// Named types larger than this (bytes, estimated) are boxed where another type holds them.
const BOX_ABOVE: usize = 256;

/// A readable name for the schema at a pointer: `/components/schemas/Foo` → `Foo`;
/// deeper pointers keep the meaningful segments (`Foo/properties/bar/oneOf/3` → `FooBarOneOf3`).
pub fn name_from_pointer(ptr: &str) -> String {
    let segments = split_pointer(ptr.trim_start_matches('#'));
    let skip = [
        "components",
        "schemas",
        "properties",
        "items",
        "definitions",
        "$defs",
        "content",
        "schema",
    ];
    let start = segments
        .iter()
        .position(|s| s == "schemas")
        .map(|i| i + 1)
        .unwrap_or(0);
    let meaningful: Vec<&str> = segments[start.min(segments.len())..]
        .iter()
        .map(String::as_str)
        .filter(|s| !skip.contains(s))
        .collect();
    if meaningful.is_empty() {
        segments.last().cloned().unwrap_or_else(|| "Schema".into())
    } else {
        meaningful.join(" ")
    }
}

/// Whether a declared default is what `Default::default()` gives the field's Rust type, so that
/// `#[serde(default)]` reads an absent field as exactly the value the spec declares.
fn is_rust_default(ty: &TypeRef, default: &Value) -> bool {
    match (ty, default) {
        (TypeRef::Boolean, Value::Bool(b)) => !b,
        (TypeRef::Integer | TypeRef::Integer32, Value::Number(n)) => n.as_i64() == Some(0),
        (TypeRef::Number, Value::Number(n)) => n.as_f64() == Some(0.0),
        (TypeRef::String, Value::String(s)) => s.is_empty(),
        (TypeRef::Vec(_), Value::Array(a)) => a.is_empty(),
        (TypeRef::Map(_), Value::Object(o)) => o.is_empty(),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_from_pointers() {
        assert_eq!(name_from_pointer("/components/schemas/Foo"), "Foo");
        assert_eq!(
            name_from_pointer("#/components/schemas/X/properties/y/oneOf/3"),
            "X y oneOf 3"
        );
    }
}
