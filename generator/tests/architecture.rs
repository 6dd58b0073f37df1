//! Data flows one way. Over the `use crate::...` paths of `generator/src` and `runtime/src`:
//! no two top-level modules import each other (directly or round a longer cycle), and no
//! module of an earlier stage imports one of a later stage.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

/// The generator's stages, earliest first. A module may import only modules of its own or an
/// earlier stage.
const GENERATOR_STAGES: &[&[&str]] = &[
    &["codes", "pointer", "dupkeys", "config"],
    &["diag"],
    &["source", "overlay", "normalize", "repair"],
    &["load"],
    &["ir"],
    &["lint"],
    // A received delivery read and identified as the SDK would, judged with `lint`'s validator.
    &["received"],
    // Compares two IRs, with `lint`'s validator for the examples; emits nothing.
    &["diff"],
    // Stored deliveries against a spec: the overlay that makes it match them.
    &["drift"],
    &["emit"],
    &["builder"],
    &["lib"],
];

/// The top-level module a source file belongs to (`ir/types.rs` → `ir`).
fn module_of(root: &Path, file: &Path) -> String {
    let rel = file.strip_prefix(root).unwrap();
    let first = rel
        .components()
        .next()
        .unwrap()
        .as_os_str()
        .to_string_lossy();
    first.trim_end_matches(".rs").to_string()
}

/// Every top-level module a file names through `crate::` (in `use` lines and paths).
fn imports(text: &str) -> BTreeSet<String> {
    let mut found = BTreeSet::new();
    for line in text.lines() {
        let code = line.split("//").next().unwrap_or_default();
        let mut rest = code;
        while let Some(at) = rest.find("crate::") {
            rest = &rest[at + "crate::".len()..];
            if let Some(group) = rest.strip_prefix('{') {
                // `crate::{a, b::c, d}`: the first segment of each item.
                let end = group.find('}').unwrap_or(group.len());
                for item in group[..end].split(',') {
                    let name: String = item
                        .trim()
                        .chars()
                        .take_while(|c| c.is_alphanumeric() || *c == '_')
                        .collect();
                    found.insert(name);
                }
            } else {
                let name: String = rest
                    .chars()
                    .take_while(|c| c.is_alphanumeric() || *c == '_')
                    .collect();
                found.insert(name);
            }
        }
    }
    found.retain(|n| !n.is_empty() && n.chars().next().is_some_and(|c| c.is_lowercase()));
    found
}

fn graph(root: &Path) -> BTreeMap<String, BTreeSet<String>> {
    let mut graph: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
            } else if path.extension().is_some_and(|e| e == "rs") {
                let module = module_of(root, &path);
                let text = std::fs::read_to_string(&path).unwrap();
                let edges = graph.entry(module.clone()).or_default();
                for import in imports(&text) {
                    if import != module {
                        edges.insert(import);
                    }
                }
            }
        }
    }
    // Items re-exported at the crate root (`crate::Api`) are not modules.
    let modules: BTreeSet<String> = graph.keys().cloned().collect();
    for edges in graph.values_mut() {
        edges.retain(|e| modules.contains(e));
    }
    graph
}

/// Every cycle's modules, found by depth-first search.
fn cycles(graph: &BTreeMap<String, BTreeSet<String>>) -> Vec<Vec<String>> {
    fn visit(
        node: &str,
        graph: &BTreeMap<String, BTreeSet<String>>,
        path: &mut Vec<String>,
        done: &mut BTreeSet<String>,
        found: &mut Vec<Vec<String>>,
    ) {
        if let Some(at) = path.iter().position(|p| p == node) {
            found.push(path[at..].to_vec());
            return;
        }
        if done.contains(node) {
            return;
        }
        path.push(node.to_string());
        for next in graph.get(node).into_iter().flatten() {
            visit(next, graph, path, done, found);
        }
        path.pop();
        done.insert(node.to_string());
    }
    let mut found = Vec::new();
    let mut done = BTreeSet::new();
    for node in graph.keys() {
        visit(node, graph, &mut Vec::new(), &mut done, &mut found);
    }
    found
}

fn src(krate: &str) -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("..")
        .join(krate)
        .join("src")
}

#[test]
fn the_import_graph_reader_sees_grouped_and_plain_imports() {
    let text = "use crate::{load, ir::Api};\nlet x = crate::diag::pointer(); // crate::not_this\n";
    let found: Vec<String> = imports(text).into_iter().collect();
    assert_eq!(found, ["diag", "ir", "load"]);
    let mut g = BTreeMap::new();
    g.insert("a".to_string(), BTreeSet::from(["b".to_string()]));
    g.insert("b".to_string(), BTreeSet::from(["a".to_string()]));
    assert_eq!(cycles(&g).len(), 1);
}

#[test]
fn no_import_cycles_in_the_generator_or_the_runtime() {
    for krate in ["generator", "runtime", "cargo-hookgen"] {
        let graph = graph(&src(krate));
        let found = cycles(&graph);
        assert!(found.is_empty(), "{krate}: import cycles {found:?}");
    }
}

#[test]
fn generator_stages_import_only_earlier_stages() {
    let graph = graph(&src("generator"));
    let stage = |m: &str| GENERATOR_STAGES.iter().position(|s| s.contains(&m));
    let mut wrong = Vec::new();
    for (module, edges) in &graph {
        let Some(own) = stage(module) else {
            wrong.push(format!(
                "`{module}` has no stage: add it to GENERATOR_STAGES"
            ));
            continue;
        };
        for import in edges {
            match stage(import) {
                Some(s) if s <= own => {}
                _ => wrong.push(format!("`{module}` imports the later `{import}`")),
            }
        }
    }
    assert!(wrong.is_empty(), "{wrong:#?}");
}

/// A source file's module path: `verify/hmac_scheme.rs` → `verify::hmac_scheme`,
/// `verify/mod.rs` → `verify`, `lib.rs` → `crate`.
fn file_module(root: &Path, file: &Path) -> String {
    let rel = file.strip_prefix(root).unwrap().with_extension("");
    let mut parts: Vec<String> = rel
        .components()
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .collect();
    if parts
        .last()
        .is_some_and(|p| p == "mod" || p == "lib" || p == "main")
    {
        parts.pop();
    }
    if parts.is_empty() {
        "crate".into()
    } else {
        parts.join("::")
    }
}

/// Code outside `#[cfg(test)]` modules, comments and `quote!` bodies: a file's unit tests may
/// use anything, and quoted tokens are the generated crate's paths, not this crate's.
fn non_test_code(text: &str) -> String {
    let text = match text.find("#[cfg(test)]\nmod ") {
        Some(at) => &text[..at],
        None => text,
    };
    let code = text
        .lines()
        .map(|l| l.split("//").next().unwrap_or_default())
        .collect::<Vec<_>>()
        .join("\n");
    without_quoted(&code)
}

/// `quote!{..}`, `quote!(..)` and `quote![..]` bodies removed, nesting respected.
fn without_quoted(code: &str) -> String {
    let mut out = String::new();
    let mut rest = code;
    while let Some(at) = rest.find("quote!") {
        out.push_str(&rest[..at]);
        let after = &rest[at + "quote!".len()..];
        let Some(open) = after.find(['{', '(', '[']) else {
            rest = after;
            continue;
        };
        let mut depth = 0usize;
        let mut end = after.len();
        for (i, c) in after.char_indices().skip(open) {
            match c {
                '{' | '(' | '[' => depth += 1,
                '}' | ')' | ']' => {
                    depth -= 1;
                    if depth == 0 {
                        end = i + 1;
                        break;
                    }
                }
                _ => {}
            }
        }
        rest = &after[end..];
    }
    out.push_str(rest);
    out
}

/// Every path a file names: `use` trees flattened (`a::{b, c::d}` → `a::b`, `a::c::d`) and
/// inline paths (`crate::wire::hex_val(..)`), as segment lists.
fn paths(code: &str) -> Vec<Vec<String>> {
    fn flatten(prefix: &[String], tree: &str, out: &mut Vec<Vec<String>>) {
        let tree = tree.trim();
        if let Some(open) = tree.find('{') {
            let head: Vec<String> = tree[..open]
                .split("::")
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(String::from)
                .collect();
            let mut base = prefix.to_vec();
            base.extend(head);
            let close = tree.rfind('}').filter(|c| *c > open).unwrap_or(tree.len());
            let inner = &tree[open + 1..close];
            let mut depth = 0;
            let mut start = 0;
            for (i, c) in inner.char_indices() {
                match c {
                    '{' => depth += 1,
                    '}' => depth -= 1,
                    ',' if depth == 0 => {
                        flatten(&base, &inner[start..i], out);
                        start = i + 1;
                    }
                    _ => {}
                }
            }
            flatten(&base, &inner[start..], out);
        } else {
            let mut path = prefix.to_vec();
            path.extend(
                tree.split(" as ")
                    .next()
                    .unwrap_or_default()
                    .split("::")
                    .map(|s| s.trim().to_string()),
            );
            path.retain(|s| !s.is_empty());
            if !path.is_empty() {
                out.push(path);
            }
        }
    }
    let mut out = Vec::new();
    // `use` items start a line (after any visibility) and may span lines.
    let mut offset = 0;
    for line in code.split_inclusive('\n') {
        let start = offset;
        offset += line.len();
        let trimmed = line.trim_start();
        let item = ["use ", "pub use ", "pub(crate) use ", "pub(super) use "]
            .iter()
            .find_map(|p| trimmed.strip_prefix(p));
        if let Some(item) = item {
            let at = start + (line.len() - item.len());
            let end = code[at..].find(';').map_or(code.len(), |e| at + e);
            flatten(&[], &code[at..end], &mut out);
        }
    }
    // Inline `crate::`/`super::` paths.
    for anchor in ["crate::", "super::"] {
        let mut rest = code;
        while let Some(at) = rest.find(anchor) {
            let path: String = rest[at..]
                .chars()
                .take_while(|c| c.is_alphanumeric() || *c == '_' || *c == ':')
                .collect();
            out.push(
                path.split("::")
                    .filter(|s| !s.is_empty())
                    .map(String::from)
                    .collect(),
            );
            rest = &rest[at + anchor.len()..];
        }
    }
    out
}

/// The module a path names from inside `module`, as the longest known module prefix; `None`
/// for external crates and items re-exported at the crate root.
fn resolve(module: &str, path: &[String], modules: &BTreeSet<String>) -> Option<String> {
    let mut base: Vec<String> = if module == "crate" {
        Vec::new()
    } else {
        module.split("::").map(String::from).collect()
    };
    let mut segments = path;
    let anchored = matches!(
        segments.first().map(String::as_str),
        Some("crate" | "self" | "super")
    );
    match segments.first().map(String::as_str) {
        Some("crate") => {
            base.clear();
            segments = &segments[1..];
        }
        Some("self") => segments = &segments[1..],
        Some("super") => {
            while segments.first().map(String::as_str) == Some("super") {
                base.pop();
                segments = &segments[1..];
            }
        }
        // A relative path starting with a child module.
        _ => {}
    }
    // An anchored path to an item names the module the item is in (or re-exported from).
    let mut best = anchored.then(|| {
        if base.is_empty() {
            "crate".to_string()
        } else {
            base.join("::")
        }
    });
    for n in 1..=segments.len() {
        let mut candidate = base.clone();
        candidate.extend(segments[..n].iter().cloned());
        let name = candidate.join("::");
        if modules.contains(&name) {
            best = Some(name);
        }
    }
    best.filter(|m| m != module)
}

/// The import graph between source files.
fn file_graph(root: &Path) -> BTreeMap<String, BTreeSet<String>> {
    let mut files = Vec::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
            } else if path.extension().is_some_and(|e| e == "rs") {
                files.push(path);
            }
        }
    }
    let modules: BTreeSet<String> = files.iter().map(|f| file_module(root, f)).collect();
    let mut graph = BTreeMap::new();
    for file in &files {
        let module = file_module(root, file);
        let code = non_test_code(&std::fs::read_to_string(file).unwrap());
        let edges: BTreeSet<String> = paths(&code)
            .iter()
            .filter_map(|p| resolve(&module, p, &modules))
            // The crate root only declares and re-exports.
            .filter(|m| m != "crate")
            .collect();
        graph.insert(module, edges);
    }
    graph
}

#[test]
fn the_file_graph_reader_resolves_relative_paths() {
    let modules: BTreeSet<String> = ["verify", "verify::family", "verify::code", "wire"]
        .map(String::from)
        .into();
    let p = |s: &str| s.split("::").map(String::from).collect::<Vec<_>>();
    let r = |m: &str, path: &str| resolve(m, &p(path), &modules);
    assert_eq!(
        r("verify::family", "super::code::Code"),
        Some("verify::code".into())
    );
    assert_eq!(
        r("verify", "family::Delivery"),
        Some("verify::family".into())
    );
    assert_eq!(
        r("verify::family", "super::WebhookError"),
        Some("verify".into())
    );
    assert_eq!(
        r("verify::code", "crate::wire::hex_val"),
        Some("wire".into())
    );
    assert_eq!(r("verify::code", "http::HeaderMap"), None);
    let quoted = without_quoted("a quote! { use super::types::*; { b } } c quote!(d)");
    assert_eq!(quoted, "a  c ");
    let found =
        paths("use super::{code::Code, family::{Delivery, Signed}};\nlet x = crate::wire::f();");
    assert!(found.contains(&p("super::family::Signed")), "{found:?}");
    assert!(found.contains(&p("crate::wire::f")), "{found:?}");
}

/// No cycle between files either: a module and its submodules included (the verification
/// families import only shared leaves, never each other or the registry).
#[test]
fn no_import_cycles_between_files() {
    for krate in ["generator", "runtime", "cargo-hookgen"] {
        let found = cycles(&file_graph(&src(krate)));
        assert!(
            found.is_empty(),
            "{krate}: import cycles between files {found:?}"
        );
    }
}

/// A signature scheme family is its own file plus one registry line: it imports the shared
/// leaves of `verify`, never another family or the registry, and nothing outside `verify`
/// names a family's file.
#[test]
fn scheme_families_are_self_contained() {
    let root = src("runtime");
    let registry = std::fs::read_to_string(root.join("verify/mod.rs")).unwrap();
    let families: Vec<String> = registry
        .lines()
        .filter_map(|l| {
            let (head, rest) = l.trim().split_once("::")?;
            // `"feature" module::Type => Variant,`
            let module = head.strip_prefix('"')?.rsplit(' ').next()?;
            let is_name =
                !module.is_empty() && module.chars().all(|c| c.is_ascii_lowercase() || c == '_');
            (is_name && rest.contains("=>")).then(|| format!("verify::{module}"))
        })
        .collect();
    assert!(
        families.len() >= 7,
        "registry lines not found: {families:?}"
    );
    let graph = file_graph(&root);
    for family in &families {
        let edges = &graph[family];
        for edge in edges {
            assert!(
                !families.contains(edge) && edge != "verify",
                "{family} imports {edge}: a family imports only verify's shared leaves"
            );
        }
    }
    for (module, edges) in &graph {
        if module != "verify" && !module.starts_with("verify::") {
            for family in &families {
                assert!(
                    !edges.contains(family),
                    "{module} names the family file {family}"
                );
            }
        }
    }
}

/// A build script that depends on `hookgen` builds no web server, database or async runtime:
/// those belong to the `cargo-hookgen` crate.
#[test]
fn the_generator_library_builds_no_server() {
    let out = std::process::Command::new(env!("CARGO"))
        .args([
            "tree",
            "-p",
            "hookgen",
            "-e",
            "normal",
            "--prefix",
            "none",
            "--offline",
        ])
        .current_dir(Path::new(env!("CARGO_MANIFEST_DIR")))
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let tree = String::from_utf8_lossy(&out.stdout);
    let crates: BTreeSet<&str> = tree.lines().filter_map(|l| l.split(' ').next()).collect();
    for server in ["axum", "sqlx", "tokio", "clap", "hyper", "reqwest"] {
        assert!(!crates.contains(server), "hookgen depends on {server}");
    }
    assert!(crates.contains("hookgen-runtime"), "{tree}");
}
