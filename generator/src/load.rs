//! Loading: files → overlaid, bundled, normalised JSON document, with the webhooks lifted out.
//!
//! Everything after this stage reads [`Document`]; nothing re-reads files.

use std::collections::BTreeMap;
use std::path::{Component, Path, PathBuf};

use serde_json::{json, Value};
use sha2::{Digest, Sha256};

use crate::codes::Code;
use crate::config::Config;
use crate::diag::{Diagnostic, Diagnostics};
use crate::pointer::{escape_segment, push_segment, resolve_local, split_pointer};
use crate::source::{self, LineMap};
use crate::{normalize, overlay, repair};

const METHODS: &[&str] = &[
    "get", "put", "post", "delete", "options", "head", "patch", "trace",
];

/// One file that was read, kept for line lookups and `rerun-if-changed`.
#[derive(Debug, Clone)]
pub struct SourceFile {
    pub path: PathBuf,
    /// Path as shown in diagnostics (relative to the spec folder).
    pub display: String,
    pub text: String,
}

/// Where a webhook was declared.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WebhookOrigin {
    /// OpenAPI 3.1 `webhooks`.
    Webhooks,
    /// The 3.0 `x-webhooks` extension.
    XWebhooks,
    /// An operation's `callbacks`.
    Callback,
}

/// A webhook lifted out of the document as a path item.
#[derive(Debug, Clone)]
pub struct Webhook {
    pub key: String,
    /// JSON pointer of the path item in [`Document::root`].
    pub pointer: String,
    pub origin: WebhookOrigin,
    pub item: Value,
}

/// A loaded, normalised spec.
#[derive(Debug, Clone)]
pub struct Document {
    pub root: Value,
    pub openapi_version: String,
    pub config: Config,
    pub sources: Vec<SourceFile>,
    pub webhooks: Vec<Webhook>,
    pub diagnostics: Diagnostics,
    /// sha256 over every input file, for the generated files' header.
    pub hash: String,
    /// Folder or file name the spec was loaded from, for headers.
    pub name: String,
}

/// A failure that stops loading altogether (as opposed to a diagnostic).
#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    #[error("{path}: {message}")]
    Io { path: String, message: String },
    #[error("{0}")]
    Config(String),
    #[error("{path}: {source}")]
    Parse {
        path: String,
        #[source]
        source: source::ParseError,
    },
    #[error("{path}: {message}")]
    NotOpenApi { path: String, message: String },
}

/// Load a spec folder (with `hookgen.toml`) or a single spec file.
pub fn load(path: &Path) -> Result<Document, LoadError> {
    load_with_overlays(path, &[])
}

/// Load a spec as [`load`] does, then apply further overlays held in memory after its own
/// (`drift` trying the overlay it writes).
pub fn load_with_overlays(path: &Path, extra: &[Value]) -> Result<Document, LoadError> {
    let (dir, config) = if path.is_dir() {
        let config = Config::read(path).map_err(LoadError::Config)?;
        let config = match config {
            Some(c) if !c.spec.is_empty() => c,
            other => {
                let mut c = other.unwrap_or_default();
                c.spec = vec![find_spec_file(path)?];
                c
            }
        };
        (path.to_path_buf(), config)
    } else {
        let dir = path.parent().map(Path::to_path_buf).unwrap_or_default();
        let file = path
            .file_name()
            .map(|f| f.to_string_lossy().into_owned())
            .unwrap_or_default();
        (
            dir,
            Config {
                spec: vec![file],
                ..Config::default()
            },
        )
    };
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "spec".into());
    load_overlaid(&dir, config, name, extra)
}

fn find_spec_file(dir: &Path) -> Result<String, LoadError> {
    let io = |e: std::io::Error| LoadError::Io {
        path: dir.display().to_string(),
        message: e.to_string(),
    };
    let mut candidates: Vec<String> = std::fs::read_dir(dir)
        .map_err(io)?
        .filter_map(Result::ok)
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".yml") || n.ends_with(".yaml") || n.ends_with(".json"))
        .collect();
    candidates.sort();
    // An overlay beside the vendor's file is not the spec: told apart by its content.
    let is_overlay = |name: &String| {
        std::fs::read(dir.join(name))
            .ok()
            .and_then(|bytes| crate::source::parse(&bytes).ok())
            .is_some_and(|(doc, _)| overlay::is_overlay(&doc))
    };
    candidates
        .into_iter()
        .find(|n| !is_overlay(n))
        .ok_or_else(|| LoadError::Io {
            path: dir.display().to_string(),
            message: "no spec file (.yml, .yaml, .json) and no hookgen.toml naming one".into(),
        })
}

/// Load from a folder with an explicit configuration.
pub fn load_with_config(dir: &Path, config: Config, name: String) -> Result<Document, LoadError> {
    load_overlaid(dir, config, name, &[])
}

fn load_overlaid(
    dir: &Path,
    config: Config,
    name: String,
    extra: &[Value],
) -> Result<Document, LoadError> {
    let mut loader = Loader {
        dir: dir.to_path_buf(),
        sources: Vec::new(),
        diags: Diagnostics::default(),
    };
    let root_file = config
        .spec
        .first()
        .cloned()
        .ok_or_else(|| LoadError::Config("no spec file named".into()))?;
    let mut root = loader.read(&root_file)?;
    let openapi_version = check_version(&root, &root_file)?;
    for ov in &config.overlays {
        let overlay_doc = loader.read(ov)?;
        let diags = overlay::apply(&mut root, &overlay_doc);
        loader.diags.extend(diags.into_iter().map(|mut d| {
            d.file = Some(ov.clone());
            d
        }));
    }
    for (i, overlay_doc) in extra.iter().enumerate() {
        let diags = overlay::apply(&mut root, overlay_doc);
        loader.diags.extend(diags.into_iter().map(|mut d| {
            d.file = Some(format!("(overlay {})", i + 1));
            d
        }));
    }
    for extra in config.spec.iter().skip(1) {
        // Further documents contribute their components and webhooks (a split spec).
        let doc = loader.read(extra)?;
        for key in ["components", "webhooks", "x-webhooks", "paths"] {
            if let Some(part) = doc.get(key) {
                let slot = root
                    .as_object_mut()
                    .map(|m| m.entry(key).or_insert_with(|| json!({})));
                if let Some(slot) = slot {
                    overlay::merge(slot, part);
                }
            }
        }
    }
    let mut bundler = Bundler::new(&loader.dir, &root_file);
    bundler.bundle(&mut root, &root_file, &mut String::new());
    let bundle_diags = bundler.finish(&mut root, &mut loader);
    loader.diags.extend(bundle_diags);
    loader
        .diags
        .extend(normalize::normalize_document(&mut root));
    loader.diags.extend(repair::repair_document(&mut root));
    let webhooks = lift_webhooks(&root, &mut loader.diags);
    let hash = hash_sources(&loader.sources);
    let mut doc = Document {
        root,
        openapi_version,
        config,
        sources: loader.sources,
        webhooks,
        diagnostics: loader.diags,
        hash,
        name,
    };
    let diags = std::mem::take(&mut doc.diagnostics);
    doc.diagnostics = locate_all(&doc, diags);
    Ok(doc)
}

/// Load a spec held in memory (tests, fuzzing): the same pipeline without files.
pub fn load_bytes(bytes: &[u8], display: &str) -> Result<Document, LoadError> {
    let (mut root, _) = source::parse(bytes).map_err(|e| LoadError::Parse {
        path: display.into(),
        source: e,
    })?;
    let openapi_version = check_version(&root, display)?;
    let mut diags = Diagnostics::default();
    diags.extend(strip_external_refs(&mut root));
    diags.extend(normalize::normalize_document(&mut root));
    diags.extend(repair::repair_document(&mut root));
    let webhooks = lift_webhooks(&root, &mut diags);
    let text = String::from_utf8_lossy(bytes).into_owned();
    let sources = vec![SourceFile {
        path: PathBuf::from(display),
        display: display.into(),
        text,
    }];
    let hash = hash_sources(&sources);
    let mut doc = Document {
        root,
        openapi_version,
        config: Config::default(),
        sources,
        webhooks,
        diagnostics: Diagnostics::default(),
        hash,
        name: display.into(),
    };
    doc.diagnostics = locate_all(&doc, diags);
    Ok(doc)
}

fn check_version(root: &Value, path: &str) -> Result<String, LoadError> {
    let not = |message: String| LoadError::NotOpenApi {
        path: path.into(),
        message,
    };
    let Value::Object(map) = root else {
        let kind = match root {
            Value::Array(_) => "an array",
            Value::String(_) => "a string",
            Value::Number(_) => "a number",
            Value::Bool(_) => "a boolean",
            _ => "null",
        };
        return Err(not(format!(
            "top level is {kind}; an OpenAPI document is an object"
        )));
    };
    if let Some(v) = map.get("swagger") {
        return Err(not(format!(
            "Swagger {} is not supported; hookgen reads OpenAPI 3.0.x and 3.1.x (convert it first)",
            scalar_text(v)
        )));
    }
    match map.get("openapi") {
        Some(Value::String(v)) if v.starts_with("3.0") || v.starts_with("3.1") => Ok(v.clone()),
        Some(v) => Err(not(format!(
            "OpenAPI version {} is not supported; hookgen reads 3.0.x and 3.1.x",
            scalar_text(v)
        ))),
        None => Err(not(
            "no `openapi` version field: this is not an OpenAPI document".into(),
        )),
    }
}

fn scalar_text(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

fn hash_sources(sources: &[SourceFile]) -> String {
    let mut h = Sha256::new();
    for s in sources {
        h.update(s.display.as_bytes());
        h.update([0]);
        h.update(s.text.as_bytes());
    }
    h.finalize()
        .iter()
        .take(8)
        .map(|b| format!("{b:02x}"))
        .collect()
}

struct Loader {
    dir: PathBuf,
    sources: Vec<SourceFile>,
    diags: Diagnostics,
}

impl Loader {
    fn read(&mut self, rel: &str) -> Result<Value, LoadError> {
        let path = self.dir.join(rel);
        let bytes = std::fs::read(&path).map_err(|e| LoadError::Io {
            path: path.display().to_string(),
            message: e.to_string(),
        })?;
        let (value, _) = source::parse(&bytes).map_err(|e| LoadError::Parse {
            path: rel.into(),
            source: e,
        })?;
        self.sources.push(SourceFile {
            path,
            display: rel.to_string(),
            text: String::from_utf8_lossy(&bytes).into_owned(),
        });
        Ok(value)
    }
}

/// Resolve a relative file path against the spec folder, refusing paths that escape it.
fn confine(dir: &Path, base_file: &str, rel: &str) -> Option<String> {
    let base_dir = Path::new(base_file).parent().unwrap_or(Path::new(""));
    let mut out: Vec<String> = Vec::new();
    for c in base_dir.join(rel).components() {
        match c {
            Component::Normal(s) => out.push(s.to_string_lossy().into_owned()),
            Component::CurDir => {}
            Component::ParentDir => {
                out.pop()?;
            }
            Component::RootDir | Component::Prefix(_) => return None,
        }
    }
    let joined = out.join("/");
    // Symlinks could still lead out: compare canonical paths when the file exists.
    if let (Ok(real), Ok(root)) = (dir.join(&joined).canonicalize(), dir.canonicalize()) {
        if !real.starts_with(root) {
            return None;
        }
    }
    Some(joined)
}

/// Copies what relative file `$ref`s point at into `components/schemas`, so that every ref is internal.
struct Bundler {
    dir: PathBuf,
    root_file: String,
    /// (file, fragment) → component name.
    imported: BTreeMap<(String, String), String>,
    pending: Vec<(String, Value)>,
    files: BTreeMap<String, Option<Value>>,
    diags: Vec<Diagnostic>,
}

impl Bundler {
    fn new(dir: &Path, root_file: &str) -> Self {
        Bundler {
            dir: dir.to_path_buf(),
            root_file: root_file.to_string(),
            imported: BTreeMap::new(),
            pending: Vec::new(),
            files: BTreeMap::new(),
            diags: Vec::new(),
        }
    }

    /// Walk `v`, rewriting every `$ref` that is not already local to the root document.
    /// `at` is `v`'s pointer, extended and restored in place as the walk goes.
    fn bundle(&mut self, v: &mut Value, base_file: &str, at: &mut String) {
        match v {
            Value::Object(map) => {
                if let Some(Value::String(r)) = map.get("$ref") {
                    let local_to_root = r.starts_with('#') && base_file == self.root_file;
                    if !local_to_root {
                        let r = r.clone();
                        if let Some(new_ref) = self.rewrite(&r, base_file, at) {
                            map.insert("$ref".into(), Value::String(new_ref));
                        } else {
                            // Unresolvable external ref: keep the document loadable with an any-schema.
                            map.remove("$ref");
                            map.insert("x-hookgen-unresolved-ref".into(), Value::String(r));
                        }
                    }
                }
                for (k, child) in map.iter_mut() {
                    if k == "example"
                        || k == "examples"
                        || !(child.is_object() || child.is_array())
                        || is_foreign_extension(k)
                    {
                        continue;
                    }
                    let len = push_segment(at, k);
                    self.bundle(child, base_file, at);
                    at.truncate(len);
                }
            }
            Value::Array(items) => {
                for (i, child) in items.iter_mut().enumerate() {
                    let len = push_segment(at, &i.to_string());
                    self.bundle(child, base_file, at);
                    at.truncate(len);
                }
            }
            _ => {}
        }
    }

    fn rewrite(&mut self, r: &str, base_file: &str, at: &str) -> Option<String> {
        let (file_part, fragment) = match r.split_once('#') {
            Some((f, frag)) => (f, frag.to_string()),
            None => (r, String::new()),
        };
        if file_part.is_empty() {
            return Some(if base_file == self.root_file {
                r.to_string()
            } else {
                self.import(base_file, &fragment, at)?
            });
        }
        if file_part.contains("://") {
            self.diags.push(Diagnostic::warning(
                Code::ExternalRef,
                format!("{at}/$ref"),
                format!("`$ref: {r}` points at a URL; hookgen never fetches URLs, so it is read as any JSON value"),
            ));
            return None;
        }
        let Some(file) = confine(&self.dir, base_file, file_part) else {
            self.diags.push(Diagnostic::warning(
                Code::ExternalRef,
                format!("{at}/$ref"),
                format!("`$ref: {r}` leaves the spec folder; it is not read and is treated as any JSON value"),
            ));
            return None;
        };
        if file == self.root_file {
            return Some(format!("#{fragment}"));
        }
        self.import(&file, &fragment, at)
    }

    fn import(&mut self, file: &str, fragment: &str, at: &str) -> Option<String> {
        let key = (file.to_string(), fragment.to_string());
        if let Some(name) = self.imported.get(&key) {
            return Some(format!("#/components/schemas/{}", escape_segment(name)));
        }
        if !self.files.contains_key(file) {
            let parsed = std::fs::read(self.dir.join(file))
                .ok()
                .and_then(|b| source::parse(&b).ok())
                .map(|(v, _)| v);
            self.files.insert(file.to_string(), parsed);
        }
        let target = self
            .files
            .get(file)
            .and_then(|d| d.as_ref())
            .and_then(|d| d.pointer(fragment))
            .cloned();
        let Some(mut target) = target else {
            self.diags.push(Diagnostic::warning(
                Code::UnresolvedRef,
                format!("{at}/$ref"),
                format!("`{file}#{fragment}` cannot be read; it is treated as any JSON value"),
            ));
            return None;
        };
        let base_name = split_pointer(fragment).last().cloned().unwrap_or_else(|| {
            Path::new(file)
                .file_stem()
                .map(|s| s.to_string_lossy().into_owned())
                .unwrap_or_default()
        });
        let name = self.unique_name(&base_name);
        self.imported.insert(key, name.clone());
        self.bundle(
            &mut target,
            file,
            &mut format!("/components/schemas/{}", escape_segment(&name)),
        );
        self.pending.push((name.clone(), target));
        Some(format!("#/components/schemas/{}", escape_segment(&name)))
    }

    fn unique_name(&self, base: &str) -> String {
        let taken = |n: &str| {
            self.imported.values().any(|v| v == n) || self.pending.iter().any(|(p, _)| p == n)
        };
        let mut name = base.to_string();
        let mut i = 2;
        while taken(&name) {
            name = format!("{base}{i}");
            i += 1;
        }
        name
    }

    fn finish(self, root: &mut Value, loader: &mut Loader) -> Vec<Diagnostic> {
        for (file, parsed) in &self.files {
            if parsed.is_some() {
                if let Ok(text) = std::fs::read_to_string(self.dir.join(file)) {
                    loader.sources.push(SourceFile {
                        path: self.dir.join(file),
                        display: file.clone(),
                        text,
                    });
                }
            }
        }
        if let Value::Object(map) = root {
            let components = map.entry("components").or_insert_with(|| json!({}));
            if let Value::Object(c) = components {
                let schemas = c.entry("schemas").or_insert_with(|| json!({}));
                if let Value::Object(s) = schemas {
                    for (name, v) in self.pending {
                        s.entry(name).or_insert(v);
                    }
                }
            }
        }
        self.diags
    }
}

/// Vendor extensions that hookgen never reads (`x-codeSamples`, `x-meta`, ...): their `$ref`s
/// are left as they are, neither followed nor reported.
fn is_foreign_extension(key: &str) -> bool {
    key.starts_with("x-")
        && !key.starts_with("x-webhook")
        && !key.starts_with("x-speakeasy-webhooks")
        && !key.starts_with("x-hookgen")
}

/// In-memory documents have no folder: external refs are reported and neutralised.
fn strip_external_refs(root: &mut Value) -> Vec<Diagnostic> {
    let mut b = Bundler::new(Path::new("/nonexistent-hookgen-dir"), "<memory>");
    b.bundle(root, "<memory>", &mut String::new());
    b.diags
}

/// Collect webhooks from 3.1 `webhooks`, `x-webhooks` (both shapes) and operation `callbacks`.
fn lift_webhooks(root: &Value, diags: &mut Diagnostics) -> Vec<Webhook> {
    let mut out: Vec<Webhook> = Vec::new();
    let push = |hook: Webhook, out: &mut Vec<Webhook>| {
        let dup = out.iter().any(|h| h.key == hook.key && h.item == hook.item);
        if !dup {
            out.push(hook);
        }
    };
    if let Some(Value::Object(hooks)) = root.get("webhooks") {
        for (key, item) in hooks {
            let pointer = format!("/webhooks/{}", escape_segment(key));
            let item = deref_path_item(root, item);
            push(
                Webhook {
                    key: key.clone(),
                    pointer,
                    origin: WebhookOrigin::Webhooks,
                    item,
                },
                &mut out,
            );
        }
    }
    if let Some(Value::Object(hooks)) = root.get("x-webhooks") {
        for (key, item) in hooks {
            let pointer = format!("/x-webhooks/{}", escape_segment(key));
            for (p, item) in path_items_of(root, item, &pointer) {
                push(
                    Webhook {
                        key: key.clone(),
                        pointer: p,
                        origin: WebhookOrigin::XWebhooks,
                        item,
                    },
                    &mut out,
                );
            }
        }
    }
    if let Some(Value::Object(paths)) = root.get("paths") {
        for (path, item) in paths {
            let Value::Object(item) = item else { continue };
            for m in METHODS {
                let Some(Value::Object(callbacks)) =
                    item.get(*m).and_then(|op| op.get("callbacks"))
                else {
                    continue;
                };
                for (name, cb) in callbacks {
                    let pointer = format!(
                        "/paths/{}/{m}/callbacks/{}",
                        escape_segment(path),
                        escape_segment(name)
                    );
                    let cb = resolve_local(root, cb).unwrap_or(cb);
                    for (p, item) in path_items_of(root, cb, &pointer) {
                        push(
                            Webhook {
                                key: name.clone(),
                                pointer: p,
                                origin: WebhookOrigin::Callback,
                                item,
                            },
                            &mut out,
                        );
                    }
                }
            }
        }
    }
    for hook in &out {
        if !METHODS.iter().any(|m| hook.item.get(*m).is_some()) {
            diags.push(Diagnostic::warning(
                Code::WebhookWithoutOperation,
                hook.pointer.clone(),
                format!("webhook `{}` has no operation (post, put, ...)", hook.key),
            ));
        }
    }
    out
}

/// A value under `x-webhooks` or a callback is either a path item or `{expression: path item}`.
fn path_items_of(root: &Value, v: &Value, pointer: &str) -> Vec<(String, Value)> {
    let v = resolve_local(root, v).unwrap_or(v);
    let is_path_item = v
        .as_object()
        .is_some_and(|m| m.keys().any(|k| METHODS.contains(&k.as_str())));
    if is_path_item {
        return vec![(pointer.to_string(), v.clone())];
    }
    let Value::Object(map) = v else { return vec![] };
    map.iter()
        .filter(|(k, _)| !k.starts_with("x-"))
        .map(|(expr, item)| {
            (
                format!("{pointer}/{}", escape_segment(expr)),
                deref_path_item(root, item),
            )
        })
        .collect()
}

fn deref_path_item(root: &Value, item: &Value) -> Value {
    resolve_local(root, item).unwrap_or(item).clone()
}

/// Attach file, line and column to each diagnostic where a source gives them.
fn locate_all(doc: &Document, diags: Diagnostics) -> Diagnostics {
    let mut maps: Vec<Option<LineMap>> = vec![None; doc.sources.len()];
    let mut out = Diagnostics::default();
    for mut d in diags {
        locate(doc, &mut maps, &mut d);
        out.push(d);
    }
    out
}

/// Find the diagnostic's pointer in the first source that has it (vendor file first, then overlays).
pub fn locate(doc: &Document, maps: &mut [Option<LineMap>], d: &mut Diagnostic) {
    if d.line.is_some() {
        return;
    }
    if d.pointer.is_empty() {
        // The whole document: a line would only point at its first key.
        d.file = d
            .file
            .take()
            .or_else(|| doc.sources.first().map(|s| s.display.clone()));
        return;
    }
    // A file named by the diagnostic (an overlay) is searched alone; otherwise the exact node is
    // looked for in every source first (it may come from an overlay), then its nearest ancestor.
    let candidates: Vec<usize> = match &d.file {
        Some(f) => doc
            .sources
            .iter()
            .position(|s| &s.display == f)
            .into_iter()
            .collect(),
        None => (0..doc.sources.len()).collect(),
    };
    let exact = candidates
        .iter()
        .find_map(|&i| line_map(doc, maps, i).exact(&d.pointer).map(|hit| (i, hit)));
    let hit = exact.or_else(|| {
        candidates.iter().find_map(|&i| {
            line_map(doc, maps, i)
                .locate(&d.pointer)
                .map(|hit| (i, hit))
        })
    });
    if let Some((i, (line, col))) = hit {
        d.file = Some(doc.sources[i].display.clone());
        d.line = Some(line);
        d.column = Some(col);
    } else if d.file.is_none() {
        d.file = doc.sources.first().map(|s| s.display.clone());
    }
}

fn line_map<'m>(doc: &Document, maps: &'m mut [Option<LineMap>], i: usize) -> &'m LineMap {
    maps[i].get_or_insert_with(|| LineMap::build(&doc.sources[i].text))
}

/// Line positions for later stages (IR and lint) that find problems at pointers.
pub struct Locator<'a> {
    doc: &'a Document,
    maps: Vec<Option<LineMap>>,
}

impl<'a> Locator<'a> {
    pub fn new(doc: &'a Document) -> Self {
        Locator {
            doc,
            maps: vec![None; doc.sources.len()],
        }
    }

    pub fn locate(&mut self, d: &mut Diagnostic) {
        locate(self.doc, &mut self.maps, d);
    }
}

/// An operation object ready for the `openapiv3` model: `responses` is required in 3.0 but
/// optional on 3.1 webhooks, and vendors often leave it out.
pub fn operation_value(op: &Value) -> Value {
    let mut op = op.clone();
    if let Value::Object(m) = &mut op {
        m.entry("responses").or_insert_with(|| json!({}));
    }
    op
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn swagger_and_other_versions_are_named() {
        let e = load_bytes(b"swagger: '2.0'\ninfo: {}\n", "s.yml").unwrap_err();
        assert!(
            e.to_string().contains("Swagger 2.0 is not supported"),
            "{e}"
        );
        let e = load_bytes(b"{\"openapi\": \"4.0.0\"}", "s.json").unwrap_err();
        assert!(e.to_string().contains("4.0.0"), "{e}");
        let e = load_bytes(b"[1, 2]", "s.json").unwrap_err();
        assert!(e.to_string().contains("top level is an array"), "{e}");
    }

    #[test]
    fn webhooks_from_all_three_places_are_lifted_and_duplicates_merged() {
        let spec = br##"{
          "openapi": "3.0.3", "info": {"title": "t", "version": "1"},
          "paths": {"/subscribe": {"post": {"responses": {}, "callbacks": {"onEvent": {"{$request.body#/url}": {"post": {"responses": {}}}}}}}},
          "webhooks": {"a.created": {"post": {"responses": {}}}},
          "x-webhooks": {
            "a.created": {"post": {"responses": {}}},
            "b.created": {"{$request.body#/callback}": {"post": {"responses": {"200": {"description": "ok"}}}}}
          }
        }"##;
        let doc = load_bytes(spec, "t.json").unwrap();
        let keys: Vec<_> = doc
            .webhooks
            .iter()
            .map(|h| (h.key.as_str(), h.origin))
            .collect();
        assert_eq!(
            keys,
            vec![
                ("a.created", WebhookOrigin::Webhooks),
                ("b.created", WebhookOrigin::XWebhooks),
                ("onEvent", WebhookOrigin::Callback)
            ]
        );
    }

    #[test]
    fn url_refs_are_never_fetched() {
        let spec = br##"{"openapi": "3.1.0", "info": {"title": "t", "version": "1"},
          "components": {"schemas": {"A": {"$ref": "http://example.com/x.json#/A"}, "B": {"$ref": "../../etc/passwd"}}}}"##;
        let doc = load_bytes(spec, "t.json").unwrap();
        let codes: Vec<_> = doc.diagnostics.iter().map(|d| d.code).collect();
        assert_eq!(codes, vec!["external-ref", "external-ref"]);
        assert!(doc.root["components"]["schemas"]["A"].get("$ref").is_none());
    }
}
