//! Core's modules only look down: each top-level module may use modules in its own layer or
//! below, and no set of modules uses each other in a circle. The graph is read from the
//! source (`crate::…` paths), leaving out test-only code, which may reach any module.
#![allow(clippy::unwrap_used)]

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

/// Core's layers, bottom first. A module uses only its own layer and those below it.
const LAYERS: &[(&str, &[&str])] = &[
    (
        "primitives",
        &[
            "error", "clock", "crypto", "fsutil", "policy", "listing", "archive", "process",
            "progress", "signing",
        ],
    ),
    ("the vault's files and keys", &["store"]),
    ("the audit chain", &["audit_chain"]),
    ("a signed-in session", &["session", "outside"]),
    (
        "records",
        &[
            "accounts",
            "settings",
            "patients",
            "merge",
            "encounters",
            "narratives",
            "consents",
            "credentials",
            "chart",
            "media",
            "audit",
            "access",
        ],
    ),
    (
        "whole-vault work",
        &[
            "vault",
            "backup",
            "retention",
            "erasure",
            "subject_export",
            "export",
            "seed",
            "transfer",
        ],
    ),
];

type Graph = BTreeMap<String, BTreeSet<String>>;

#[test]
fn every_core_module_has_a_layer_and_uses_only_its_own_or_lower_ones() {
    let graph = module_graph(&Path::new(env!("CARGO_MANIFEST_DIR")).join("src"));
    let layer_of: BTreeMap<&str, usize> = LAYERS
        .iter()
        .enumerate()
        .flat_map(|(i, (_, modules))| modules.iter().map(move |m| (*m, i)))
        .collect();
    let mut problems = Vec::new();
    for (module, uses) in &graph {
        let Some(&layer) = layer_of.get(module.as_str()) else {
            problems.push(format!("`{module}` has no layer in LAYERS"));
            continue;
        };
        for used in uses {
            if let Some(&used_layer) = layer_of.get(used.as_str())
                && used_layer > layer
            {
                problems.push(format!(
                    "`{module}` ({}) uses `{used}` ({}), a layer above it",
                    LAYERS[layer].0, LAYERS[used_layer].0
                ));
            }
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn core_modules_use_each_other_in_no_cycle() {
    let graph = module_graph(&Path::new(env!("CARGO_MANIFEST_DIR")).join("src"));
    assert!(graph.len() > 10, "the module graph was not read: {graph:?}");
    if let Some(cycle) = find_cycle(&graph) {
        panic!(
            "core modules use each other in a circle: {}",
            cycle.join(" -> ")
        );
    }
}

#[test]
fn the_cycle_check_finds_a_cycle_and_the_reader_finds_uses() {
    let dir = tempfile::tempdir().unwrap();
    let src = dir.path();
    std::fs::create_dir(src.join("session")).unwrap();
    std::fs::write(src.join("lib.rs"), "pub mod session;\n").unwrap();
    std::fs::write(
        src.join("session/mod.rs"),
        "use crate::{audit::Change, store};\n#[cfg(test)]\nmod tests { use crate::vault; }\n",
    )
    .unwrap();
    std::fs::write(src.join("audit.rs"), "fn f() { crate::media::sweep(); }\n").unwrap();
    std::fs::write(src.join("media.rs"), "use crate::session::Session;\n").unwrap();
    std::fs::write(src.join("store.rs"), "// crate::audit in a comment\n").unwrap();
    let graph = module_graph(src);
    assert_eq!(
        graph["session"],
        BTreeSet::from(["audit".to_owned(), "store".to_owned()]),
        "test-only uses and comments do not count"
    );
    assert!(graph["store"].is_empty());
    let cycle = find_cycle(&graph).expect("session -> audit -> media -> session");
    assert_eq!(cycle.first(), cycle.last());
    assert_eq!(cycle.len(), 4, "{cycle:?}");
}

/// Top-level module -> the other top-level modules its non-test code names.
fn module_graph(src: &Path) -> Graph {
    let mut graph = Graph::new();
    for file in rust_files(src) {
        let relative = file.strip_prefix(src).unwrap();
        let top = relative
            .components()
            .next()
            .unwrap()
            .as_os_str()
            .to_string_lossy()
            .trim_end_matches(".rs")
            .to_owned();
        if top == "lib" {
            continue;
        }
        let text = without_test_code(&std::fs::read_to_string(&file).unwrap());
        let uses = graph.entry(top.clone()).or_default();
        for used in crate_paths(&text) {
            if used != top {
                uses.insert(used);
            }
        }
    }
    let modules: BTreeSet<String> = graph.keys().cloned().collect();
    for uses in graph.values_mut() {
        uses.retain(|u| modules.contains(u));
    }
    graph
}

fn rust_files(dir: &Path) -> Vec<std::path::PathBuf> {
    let mut files = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            files.extend(rust_files(&path));
        } else if path.extension().is_some_and(|e| e == "rs") {
            files.push(path);
        }
    }
    files
}

/// The text without line comments and without items marked `#[cfg(test)]`.
fn without_test_code(text: &str) -> String {
    let mut code: String = text
        .lines()
        .map(|l| match l.trim_start().starts_with("//") {
            true => "",
            false => l,
        })
        .collect::<Vec<_>>()
        .join("\n");
    while let Some(start) = code.find("#[cfg(test)]") {
        let rest = &code[start..];
        let end = match (rest.find('{'), rest.find(';')) {
            (Some(brace), semicolon) if semicolon.is_none_or(|s| brace < s) => {
                let mut depth = 0usize;
                let mut end = rest.len();
                for (i, c) in rest[brace..].char_indices() {
                    match c {
                        '{' => depth += 1,
                        '}' => {
                            depth -= 1;
                            if depth == 0 {
                                end = brace + i + 1;
                                break;
                            }
                        }
                        _ => {}
                    }
                }
                end
            }
            (_, Some(semicolon)) => semicolon + 1,
            _ => rest.len(),
        };
        code.replace_range(start..start + end, "");
    }
    code
}

/// The first segment of every `crate::` path, including each path of a `crate::{…}` group.
fn crate_paths(code: &str) -> BTreeSet<String> {
    let mut found = BTreeSet::new();
    for (at, _) in code.match_indices("crate::") {
        if at > 0 && code[..at].ends_with('$') {
            continue;
        }
        let rest = &code[at + "crate::".len()..];
        if let Some(group) = rest.strip_prefix('{') {
            let mut depth = 1usize;
            let mut starts_path = true;
            let mut word = String::new();
            for c in group.chars() {
                if c.is_alphanumeric() || c == '_' {
                    word.push(c);
                    continue;
                }
                if !word.is_empty() && starts_path && depth == 1 {
                    found.insert(std::mem::take(&mut word));
                }
                word.clear();
                match c {
                    '{' => depth += 1,
                    '}' if depth == 1 => break,
                    '}' => depth -= 1,
                    ',' if depth == 1 => {
                        starts_path = true;
                        continue;
                    }
                    c if c.is_whitespace() => continue,
                    _ => {}
                }
                starts_path = false;
            }
        } else {
            let name: String = rest
                .chars()
                .take_while(|c| c.is_alphanumeric() || *c == '_')
                .collect();
            if !name.is_empty() {
                found.insert(name);
            }
        }
    }
    found
}

/// A cycle as a path that starts and ends at the same module, if the graph has one.
fn find_cycle(graph: &Graph) -> Option<Vec<String>> {
    fn visit(
        module: &str,
        graph: &Graph,
        done: &mut BTreeSet<String>,
        path: &mut Vec<String>,
    ) -> Option<Vec<String>> {
        if let Some(i) = path.iter().position(|m| m == module) {
            let mut cycle = path[i..].to_vec();
            cycle.push(module.to_owned());
            return Some(cycle);
        }
        if done.contains(module) {
            return None;
        }
        path.push(module.to_owned());
        for used in graph.get(module).into_iter().flatten() {
            if let Some(cycle) = visit(used, graph, done, path) {
                return Some(cycle);
            }
        }
        path.pop();
        done.insert(module.to_owned());
        None
    }
    let mut done = BTreeSet::new();
    graph
        .keys()
        .find_map(|m| visit(m, graph, &mut done, &mut Vec::new()))
}
