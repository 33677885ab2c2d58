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

/// Every file of the library's `src/` by its module path (`lang::compile::expr`; the crate
/// root, `lib.rs`, is empty). `main.rs` is another crate.
fn file_modules(src: &Path) -> BTreeMap<Vec<String>, std::path::PathBuf> {
    let mut paths = Vec::new();
    files(src, &mut paths);
    paths
        .into_iter()
        .filter(|p| p != &src.join("main.rs"))
        .map(|p| {
            let rel = p.strip_prefix(src).unwrap().with_extension("");
            let mut parts: Vec<String> = rel
                .components()
                .map(|c| c.as_os_str().to_string_lossy().to_string())
                .collect();
            if parts == ["lib"] || parts.last().is_some_and(|l| l == "mod") {
                parts.pop();
            }
            (parts, p)
        })
        .collect()
}

/// Reads one path of a `use` tree or an expression at `at` (`a::b::{c, d::{e}}`), pushing each
/// whole path onto `out`; returns where it ended.
fn use_tree(
    code: &[u8],
    mut at: usize,
    mut path: Vec<String>,
    out: &mut Vec<Vec<String>>,
) -> usize {
    let skip = |mut i: usize| {
        while code.get(i).is_some_and(|c| c.is_ascii_whitespace()) {
            i += 1;
        }
        i
    };
    loop {
        at = skip(at);
        if code.get(at) == Some(&b'{') {
            at += 1;
            loop {
                at = use_tree(code, skip(at), path.clone(), out);
                // An alias (`x as y`) or a glob ends an item: go to its comma or brace.
                while code.get(at).is_some_and(|c| *c != b',' && *c != b'}') {
                    at += 1;
                }
                match code.get(at) {
                    Some(b',') => at += 1,
                    _ => return at + 1,
                }
                if code.get(skip(at)) == Some(&b'}') {
                    return skip(at) + 1;
                }
            }
        }
        let start = at;
        while code
            .get(at)
            .is_some_and(|c| c.is_ascii_alphanumeric() || *c == b'_')
        {
            at += 1;
        }
        if start == at {
            out.push(path);
            return at;
        }
        path.push(String::from_utf8_lossy(&code[start..at]).to_string());
        if !code[at..].starts_with(b"::") {
            out.push(path);
            return at;
        }
        at += 2;
    }
}

/// The files of `known` that the file of module `me` names through `crate::`, `super::` or
/// `self::`, other than itself and the modules that contain it (a child naming its parent's
/// items is containment, not a dependency).
fn files_named<T>(
    me: &[String],
    text: &str,
    known: &BTreeMap<Vec<String>, T>,
) -> BTreeSet<Vec<String>> {
    let code: String = text
        .lines()
        .map(|l| l.split("//").next().unwrap_or(""))
        .collect::<Vec<_>>()
        .join("\n");
    let bytes = code.as_bytes();
    let mut trees = Vec::new();
    for (at, _) in code.match_indices("::") {
        let word = code[..at].trim_end_matches(|c: char| c.is_alphanumeric() || c == '_');
        let first = &code[word.len()..at];
        let before = word.chars().last();
        if ["crate", "super", "self"].contains(&first)
            && !before.is_some_and(|c| c == ':' || c.is_alphanumeric() || c == '_')
        {
            use_tree(bytes, word.len(), Vec::new(), &mut trees);
        }
    }
    let mut out = BTreeSet::new();
    for tree in trees {
        let mut base: Vec<String> = me.to_vec();
        let mut rest = tree.as_slice();
        match rest.first().map(String::as_str) {
            Some("crate") => base.clear(),
            Some("self") => {}
            _ => {}
        }
        if rest.first().is_some_and(|s| s == "crate" || s == "self") {
            rest = &rest[1..];
        }
        while rest.first().is_some_and(|s| s == "super") {
            base.pop();
            rest = &rest[1..];
        }
        let target = (0..=rest.len())
            .rev()
            .map(|n| [base.as_slice(), &rest[..n]].concat())
            .find(|m| known.contains_key(m));
        if let Some(m) = target.filter(|m| !me.starts_with(m)) {
            out.insert(m);
        }
    }
    out
}

/// The same one-way rule one level down: no two files of `src/` name each other, directly or
/// around a loop (`lang::binding` opens protocol files through `lang::registry`, which never
/// names it back).
#[test]
fn files_depend_one_way() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let known = file_modules(&src);
    let mut deps: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for (m, file) in &known {
        let name = m.join("::");
        let text = std::fs::read_to_string(file).unwrap();
        let named = files_named(m, &text, &known);
        deps.insert(name, named.iter().map(|n| n.join("::")).collect());
    }
    assert!(
        deps["lang::binding"].contains("lang::registry"),
        "the scan finds nothing: {deps:?}"
    );
    if let Some(cycle) = find_loop(&deps) {
        panic!(
            "files depend on each other in a loop: {}",
            cycle.join(" -> ")
        );
    }
}

#[test]
fn a_file_loop_is_found() {
    let known: BTreeMap<Vec<String>, ()> = [vec!["a"], vec!["a", "b"], vec!["a", "c"], vec!["d"]]
        .into_iter()
        .map(|m| (m.into_iter().map(String::from).collect(), ()))
        .collect();
    let me: Vec<String> = vec!["a".into(), "b".into()];
    let text = "use super::{c::X, self as y};\nuse crate::d::{self, Z as W};\n// crate::e\nlet v = super::super::d::f();\n";
    let named: Vec<String> = files_named(&me, text, &known)
        .into_iter()
        .map(|m| m.join("::"))
        .collect();
    assert_eq!(named, ["a::c", "d"]);
}
