//! Every diagnostic code, with what it means and how to fix it: `cargo hookgen explain CODE`
//! prints one, and `docs/diagnostics.md` lists them all (generated from this file; a test keeps
//! it current). A leaf: it imports nothing of this crate.

macro_rules! codes {
    ($($variant:ident = $name:literal, $summary:literal, $explanation:literal;)*) => {
        /// A diagnostic's stable code.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum Code {
            $(#[doc = $summary] $variant,)*
        }

        impl Code {
            /// Every code, in the order of this file.
            pub const ALL: &'static [Code] = &[$(Code::$variant),*];

            /// The code as printed: `undeclared-required`.
            pub fn as_str(self) -> &'static str {
                match self { $(Code::$variant => $name,)* }
            }

            /// One line: what the diagnostic says.
            pub fn summary(self) -> &'static str {
                match self { $(Code::$variant => $summary,)* }
            }

            /// What it means for the generated SDK, and how to fix the spec (or declare around it).
            pub fn explanation(self) -> &'static str {
                match self { $(Code::$variant => $explanation,)* }
            }

            /// The code named by its printed form.
            pub fn parse(name: &str) -> Option<Code> {
                Code::ALL.iter().copied().find(|c| c.as_str() == name)
            }
        }
    };
}

codes! {
    BadIdentity = "bad-identity", "The declared event identity cannot be read.",
        "`identity` in hookgen.toml or `x-webhook-identity` names parts as `header:NAME` or `body:/json/pointer`. One that is neither, or a pointer no webhook's payload has, is an error: without a readable identity the SDK could hand over the wrong event. Fix the declaration; `cargo hookgen events SPEC` shows the identity hookgen uses.";
    CyclicRef = "cyclic-ref", "A `$ref` chain loops back on itself.",
        "`$ref: A` → `$ref: B` → `$ref: A` names no schema at all. Point one of them at a real schema. (A schema that contains itself through a property is fine: it is boxed.)";
    DuplicateEvent = "duplicate-event", "Two webhooks declare the same event.",
        "The same event name is declared twice (for example in `webhooks` and in `x-webhooks`, or by two callbacks). The first is used and the second ignored. Remove one, or give them distinct keys.";
    ExampleMismatch = "example-mismatch", "A spec example does not fit its own schema.",
        "The vendor's example for an event breaks the event's schema (an enum value not listed, a required property missing). The example is not used as a test of the typed decode. Where the example is right and the schema wrong, fix the schema with an overlay.";
    ExternalRef = "external-ref", "A `$ref` points outside the spec folder or at a URL.",
        "hookgen never fetches URLs and never reads files outside the spec folder, so the target is read as any JSON value (`serde_json::Value`). Copy the referenced file into `specs/<vendor>/` and point the `$ref` at it (with an overlay if the vendor's file must stay verbatim).";
    IndistinguishableEvents = "indistinguishable-events", "Nothing a delivery carries tells these events apart.",
        "Two or more events share one identity (or have none) and their schemas can accept the same body. Decoding never guesses: a body both accept is an ambiguity error naming them. Declare what tells them apart (`identity = [\"header:X-Event\"]` in hookgen.toml, or `x-webhook-identity`), or give each schema a distinguishing `const`.";
    InvalidField = "invalid-field", "A field of a spec object cannot be read; it is dropped.",
        "One field of an operation, parameter, response or other object has the wrong shape (a string where an object belongs, say). That field is dropped and the rest of the object kept: a defect costs the part it is in. Fix it in the spec or with an overlay to get it back.";
    InvalidKeyword = "invalid-keyword", "A schema keyword cannot be read; it is dropped.",
        "One keyword of a schema (`minimum: \"ten\"`, `required: true`) has the wrong shape. The keyword is dropped and the schema kept. Fix its value.";
    InvalidLink = "invalid-link", "An `x-webhook-links` entry cannot be used.",
        "A link from an event to a follow-up call needs an `operationId` and a value for every required parameter, each a `$request.body#/json/pointer` into the event payload that names a field the payload has. The link is not generated. The message names what is missing.";
    InvalidOverlay = "invalid-overlay", "An overlay file is not an Overlay 1.0 document.",
        "An overlay needs `overlay: 1.0.0` and a list of `actions`, each with a `target` (JSONPath) and `update` or `remove: true`. The file is not applied.";
    InvalidParameter = "invalid-parameter", "A parameter cannot be read; it is skipped.",
        "The parameter object does not have the shape OpenAPI requires (a `name` and an `in`, a schema or content). The operation is generated without it. Fix the parameter.";
    InvalidPart = "invalid-part", "A part of the document cannot be read; it is dropped.",
        "A whole object (an operation, a response, a media type) has the wrong shape and is dropped; the rest of the document is kept. The message names the part and why.";
    InvalidSchema = "invalid-schema", "A schema cannot be read; it is read as any JSON value.",
        "The schema is not an object (or has keywords of the wrong shape throughout). Its values are kept as `serde_json::Value`, so nothing is lost, but nothing is typed. Fix the schema.";
    InvalidSignatureScheme = "invalid-signature-scheme", "The declared signature scheme cannot be read.",
        "`x-webhook-signature` (or `[signature]` in hookgen.toml) must be a preset (`{preset: stripe}`) or a scheme with its fields (`cargo hookgen schemes` lists them). An unreadable declaration is an error: an SDK must never verify with a scheme its vendor does not use.";
    KeywordConflict = "keyword-conflict", "`type` and `format` disagree; the format is ignored.",
        "`type: integer` with `format: date-time`, say. The type wins. Fix whichever is wrong.";
    LostOperation = "lost-operation", "A declared API operation generated no client method.",
        "Every declared operation must become a method or say why not. The message gives the reason (an unreadable part). Fix that part; the completeness count of `check` shows what is left.";
    LostWebhook = "lost-webhook", "A declared webhook generated no event.",
        "Every declared webhook must become an event or say why not. The message gives the reason. Fix that part of the spec.";
    MissingField = "missing-field", "A required field of a spec object is missing; a default is used.",
        "OpenAPI requires the field (a response's `description`, say). hookgen supplies the neutral value the message names and goes on. Add it to the spec to silence this.";
    MissingInfo = "missing-info", "The document has no `info` object.",
        "`info` (with `title` and `version`) is required by OpenAPI. The crate is named after the file instead. Add `info`, or set `crate_name` in hookgen.toml.";
    MissingType = "missing-type", "A schema has a `format` but no `type`; it is read as a string.",
        "`format: date-time` without `type: string`. hookgen reads it as a string. Add the `type`.";
    MultiType = "multi-type", "`type` lists several types; the value is read as any JSON value.",
        "`type: [string, integer]` (nullable aside) has no single Rust type; the field is `serde_json::Value`. Where one type is meant, say so; where both are real, write `oneOf` with one schema per type, which becomes an enum.";
    NameCollision = "name-collision", "Two names map to the same Rust name; one is renamed.",
        "Properties `user_id` and `userId`, or two schemas titled alike, become the same Rust identifier. The later one gets a suffix that the message names. The wire names are unchanged, so decoding is unaffected; rename in the spec (or with an overlay `title`) for nicer Rust names.";
    NoClient = "no-client", "The spec declares API operations but no client method was generated.",
        "The client is on by default; this means `client = false` (hookgen.toml) or every operation was lost. Turn the client on, or see the `lost-operation` diagnostics.";
    NoSignatureScheme = "no-signature-scheme", "No signature scheme is declared.",
        "Without a scheme the generated crate offers only `Webhook::insecure_without_verification()`. Declare the vendor's scheme: `x-webhook-signature: {preset: NAME}` in the spec or an overlay, or `[signature] preset = \"NAME\"` in hookgen.toml (`cargo hookgen schemes` lists the presets).";
    OverlayActionFailed = "overlay-action-failed", "An overlay action could not be applied.",
        "Its JSONPath `target` is invalid or matches nothing, or the action has neither `update` nor `remove: true`. The other actions still apply. A target that matches nothing usually means the vendor's file changed: check the path against it.";
    RefSiblingConflict = "ref-sibling-conflict", "Keywords beside a `$ref` are ignored.",
        "In OpenAPI 3.0 a `$ref` replaces its object, so `type`, `description` or `nullable` beside it are ignored (3.1 allows annotations). hookgen uses the `$ref`. To combine them, write `allOf: [{$ref: ...}]` with the keywords beside it.";
    TooDeep = "too-deep", "A schema nests too deeply; the deepest part is read as any JSON value.",
        "Beyond 64 levels of nesting, hookgen stops descending (a guard against hostile specs) and keeps the rest as `serde_json::Value`. Real specs stay far below this; flatten the schema with named components.";
    UndeclaredRequired = "undeclared-required", "A property is required but never declared.",
        "`required: [x]` without `x` in `properties`: there is no type for it, so it gets no field (its value is not checked). Declare the property.";
    UnknownFormat = "unknown-format", "A `format` is not known; the base type is used.",
        "Formats hookgen types specially are `date-time`, `uuid`, `int32` and `int64` (and the like). Others (`email`, vendor formats) keep the base type: a `String`. Nothing to fix unless the format is a typo.";
    UnknownGroup = "unknown-group", "`hookgen.toml` chooses an operation group the spec does not have.",
        "`groups` lists the parts of the client to generate: each operation's first tag, or its first path segment when it has none (`cargo hookgen check` lists them). A name that matches no operation chooses nothing; fix the name or remove it.";
    UnknownLinkOperation = "unknown-link-operation", "A link names an operation the spec does not define.",
        "The `operationId` of an `x-webhook-links` entry matches no operation. Fix the id (operation ids are case-sensitive).";
    UnknownType = "unknown-type", "`type` is not a JSON Schema type; the value is read as any JSON value.",
        "Types are `string`, `number`, `integer`, `boolean`, `array`, `object` and `null`. Fix the typo (`int`, `bool`, `str` are common).";
    UnresolvedRef = "unresolved-ref", "A `$ref` points at nothing.",
        "The pointer after `#` names no node of the document (or of the file it names). A percent-encoded pointer (`%7B`) is decoded first. The value is read as any JSON value. Fix the pointer: `~1` stands for `/` and `~0` for `~`.";
    UnsupportedKeyword = "unsupported-keyword", "A JSON Schema keyword is not supported; it is ignored.",
        "Keywords like `if`/`then`/`else`, `patternProperties` or `dependentSchemas` do not shape Rust types. They are ignored when generating types; values are still decoded by the rest of the schema.";
    UnsupportedMediaType = "unsupported-media-type", "A media type is not supported.",
        "Bodies are JSON, form-urlencoded and multipart. Another media type (XML, say) is sent or read as JSON where possible; the message says which. Add a JSON media type to the spec if the API accepts one.";
    UnsupportedOverlayVersion = "unsupported-overlay-version", "The overlay's version is not 1.x.",
        "hookgen applies Overlay 1.0 documents. Set `overlay: 1.0.0`.";
    UnsupportedParameter = "unsupported-parameter", "A parameter kind is not supported; it is not sent.",
        "Cookie parameters are not sent by the client. If the API needs one, set it through a custom `reqwest` client.";
    UnsupportedSecurity = "unsupported-security", "A security scheme is not supported; the client cannot send it.",
        "The client sends API keys (header, query), bearer tokens and Basic credentials. Others (OAuth2 flows, mutual TLS) must be handled by the `reqwest` client you pass in.";
    WebhookWithoutBody = "webhook-without-body", "A webhook declares no JSON request body.",
        "Its payload is kept as raw JSON (`serde_json::Value`), so nothing is lost, but nothing is typed. Declare the body's schema.";
    WebhookWithoutOperation = "webhook-without-operation", "A webhook has no operation.",
        "An entry of `webhooks` (or `x-webhooks`) must hold an operation (`post:` and so on); without one there is no payload to type. Add the operation.";
}

/// The docs page of every code, as `docs/diagnostics.md` holds it.
pub fn docs_page() -> String {
    let mut page = String::from(
        "# Diagnostics\n\n<!-- generated by hookgen from generator/src/codes.rs: do not edit -->\n\n\
         Every diagnostic `check` and `generate` print has a stable code. \
         `cargo hookgen explain CODE` prints its entry.\n",
    );
    for code in Code::ALL {
        page.push_str(&format!(
            "\n## `{}`\n\n{}\n\n{}\n",
            code.as_str(),
            code.summary(),
            code.explanation()
        ));
    }
    page
}
