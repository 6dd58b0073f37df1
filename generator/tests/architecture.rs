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
    &["emit"],
    &["builder", "render"],
    &["verify_cmd", "send", "inbox_cmd", "listen"],
    &["cli", "main", "lib"],
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
    for krate in ["generator", "runtime"] {
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
