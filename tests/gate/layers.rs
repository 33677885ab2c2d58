//! The crate's modules depend on each other one way: no two top-level modules of `src/` reach
//! each other, directly or around a loop (`crate::engine` may name `crate::scenario`, never
//! the reverse). Read from the source, so a new `use` that closes a loop fails here.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

/// The top-level modules of `src/` (files and folders), by name.
fn modules(src: &Path) -> BTreeSet<String> {
    std::fs::read_dir(src)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter_map(|p| {
            let name = p.file_stem()?.to_string_lossy().to_string();
            (p.is_dir() || p.extension().is_some_and(|x| x == "rs")).then_some(name)
        })
        .filter(|n| n != "lib" && n != "main")
        .collect()
}

/// Every `.rs` file under `path` (or `path` itself).
fn files(path: &Path, out: &mut Vec<std::path::PathBuf>) {
    if path.is_dir() {
        for e in std::fs::read_dir(path).unwrap() {
            files(&e.unwrap().path(), out);
        }
    } else if path.is_file() && path.extension().is_some_and(|x| x == "rs") {
        out.push(path.to_path_buf());
    }
}

/// The modules `text` names as `crate::<module>` or inside `crate::{...}`, comments aside.
fn named(text: &str, known: &BTreeSet<String>) -> BTreeSet<String> {
    let code: String = text
        .lines()
        .map(|l| l.split("//").next().unwrap_or(""))
        .collect::<Vec<_>>()
        .join("\n");
    let mut out = BTreeSet::new();
    for (at, _) in code.match_indices("crate::") {
        let rest = &code[at + "crate::".len()..];
        let group = rest
            .strip_prefix('{')
            .map(|g| &g[..g.find('}').unwrap_or(g.len())]);
        let words: Vec<&str> = match group {
            Some(g) => g.split([',', ' ', '\n']).collect(),
            None => vec![rest],
        };
        for w in words {
            let name: String = w
                .chars()
                .take_while(|c| c.is_alphanumeric() || *c == '_')
                .collect();
            if known.contains(&name) {
                out.insert(name);
            }
        }
    }
    out
}

/// A loop of modules in `deps`, if there is one (depth-first search).
fn find_loop(deps: &BTreeMap<String, BTreeSet<String>>) -> Option<Vec<String>> {
    fn visit(
        m: &str,
        deps: &BTreeMap<String, BTreeSet<String>>,
        path: &mut Vec<String>,
        done: &mut BTreeSet<String>,
    ) -> Option<Vec<String>> {
        if let Some(i) = path.iter().position(|p| p == m) {
            let mut cycle = path[i..].to_vec();
            cycle.push(m.to_string());
            return Some(cycle);
        }
        if done.contains(m) {
            return None;
        }
        path.push(m.to_string());
        for d in &deps[m] {
            if let Some(c) = visit(d, deps, path, done) {
                return Some(c);
            }
        }
        path.pop();
        done.insert(m.to_string());
        None
    }
    let mut done = BTreeSet::new();
    deps.keys()
        .find_map(|m| visit(m, deps, &mut Vec::new(), &mut done))
}

#[test]
fn modules_depend_one_way() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let known = modules(&src);
    let mut deps = BTreeMap::new();
    for m in &known {
        let mut paths = Vec::new();
        files(&src.join(m), &mut paths);
        files(&src.join(format!("{m}.rs")), &mut paths);
        let mut names = BTreeSet::new();
        for p in paths {
            names.extend(named(&std::fs::read_to_string(p).unwrap(), &known));
        }
        names.remove(m);
        deps.insert(m.clone(), names);
    }
    assert!(
        deps["engine"].contains("scenario"),
        "the scan finds nothing: {deps:?}"
    );
    if let Some(cycle) = find_loop(&deps) {
        panic!(
            "modules depend on each other in a loop: {}",
            cycle.join(" -> ")
        );
    }
}

#[test]
fn a_loop_is_found() {
    let deps: BTreeMap<String, BTreeSet<String>> = [
        ("a", vec!["b"]),
        ("b", vec!["c"]),
        ("c", vec!["a"]),
        ("d", vec![]),
    ]
    .into_iter()
    .map(|(m, d)| (m.to_string(), d.into_iter().map(String::from).collect()))
    .collect();
    assert_eq!(find_loop(&deps).unwrap().join(" "), "a b c a");
    let known: BTreeSet<String> = ["engine", "scenario"].map(String::from).into();
    let text = "use crate::{engine::Outcome, scenario};\n// crate::report\n";
    assert_eq!(named(text, &known), known);
}
