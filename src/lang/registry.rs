//! Protocol files, loaded once per path and content and kept for the run (`'static`, so a
//! scenario can hold its protocol by reference): the files lockstep ships, a scenario's own
//! file, and the module a file names, which is opened the same way (a file and its module are
//! loaded together, so opening and module loading live here, side by side).

use std::sync::Mutex;

use toml::Spanned;

use lockstep_sim::{intern, Property};

use super::ast::ItemKind;
use super::Protocol;
use crate::protocol::VariantInfo;
use crate::scenario::{at, ScenarioError, Source};

/// Protocol files lockstep ships, embedded so an installed binary has them: (id, path, text).
pub const EMBEDDED: &[(&str, &str, &str)] = &[
    (
        "init-lock",
        "protocols/init-lock.lstep",
        include_str!("../../protocols/init-lock.lstep"),
    ),
    (
        "restart-lock",
        "protocols/restart-lock.lstep",
        include_str!("../../protocols/restart-lock.lstep"),
    ),
    (
        "prewarm-lock",
        "protocols/prewarm-lock.lstep",
        include_str!("../../protocols/prewarm-lock.lstep"),
    ),
    (
        "isolate",
        "protocols/isolate.lstep",
        include_str!("../../protocols/isolate.lstep"),
    ),
];

/// A loaded protocol file, as the rest of lockstep sees a protocol.
pub struct FileProtocol {
    pub protocol: Protocol,
    pub(super) id: &'static str,
    pub(super) summary: &'static str,
    pub(super) variants: &'static [VariantInfo],
    pub(super) props: &'static [Property],
    /// The protocol its actors call into (`module`), if any.
    pub module: Option<Module>,
}

static LOADED: Mutex<Vec<&'static FileProtocol>> = Mutex::new(Vec::new());

/// The one `'static` copy of a loaded protocol (the registry owns every loaded file).
pub(super) fn find_loaded(p: &FileProtocol) -> &'static FileProtocol {
    let reg = LOADED.lock().unwrap_or_else(|e| e.into_inner());
    reg.iter()
        .copied()
        .find(|q| std::ptr::eq(*q, p))
        .expect("protocol files are used through the registry")
}

/// Loads (once per path and content) the protocol file at `path` with text `text`.
pub fn open(path: &str, text: &str) -> Result<&'static FileProtocol, ScenarioError> {
    {
        let reg = LOADED.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(p) = reg
            .iter()
            .find(|p| p.protocol.path == path && p.protocol.text == text)
        {
            return Ok(p);
        }
    }
    let protocol = super::load(path, text)?;
    let variants: Vec<VariantInfo> = protocol
        .variants
        .iter()
        .map(|v| VariantInfo {
            name: intern(&v.name),
            summary: intern(&v.summary),
            canary: v.canary,
        })
        .collect();
    let mut props: Vec<Property> = Vec::new();
    props.extend(protocol.props.iter().map(|p| Property {
        id: intern(&p.name),
        kind: if p.liveness {
            lockstep_sim::PropertyKind::BoundedLiveness
        } else {
            lockstep_sim::PropertyKind::Safety
        },
        summary: intern(&p.summary),
    }));
    let module = load_module(&protocol)?;
    if let Some(m) = &module {
        // The guest's invariants are checkable too: judged in every instance.
        props.extend(m.guest.props.iter().map(|p| Property {
            summary: intern(&format!(
                "[the {} module, judged in every instance] {}",
                m.name, p.summary
            )),
            ..*p
        }));
    }
    let fp: &'static FileProtocol = Box::leak(Box::new(FileProtocol {
        id: intern(&protocol.name),
        summary: intern(&protocol.doc),
        variants: Box::leak(variants.into_boxed_slice()),
        props: Box::leak(props.into_boxed_slice()),
        module,
        protocol,
    }));
    LOADED.lock().unwrap_or_else(|e| e.into_inner()).push(fp);
    Ok(fp)
}

/// The shipped protocol file of built-in protocol `id`, if there is one.
pub fn embedded(id: &str) -> Option<Result<&'static FileProtocol, ScenarioError>> {
    EMBEDDED
        .iter()
        .find(|(i, _, _)| *i == id)
        .map(|(_, path, text)| open(path, text))
}

/// Resolves a scenario's `protocol = "..."` that names a file, relative to the scenario.
pub fn resolve(
    src: &Source,
    name: &Spanned<String>,
) -> Result<&'static FileProtocol, ScenarioError> {
    let rel = std::path::Path::new(name.get_ref());
    let path = match std::path::Path::new(&src.path).parent() {
        Some(dir) if !rel.is_absolute() => dir.join(rel),
        _ => rel.to_path_buf(),
    };
    let shown = tidy(&path.to_string_lossy().replace('\\', "/"));
    let text = std::fs::read_to_string(&path).map_err(|e| {
        at(
            src,
            name,
            format!("cannot read the protocol file `{shown}`: {e}"),
        )
        .help("the path is relative to the scenario file's folder")
    })?;
    open(&shown, &text)
}

/// A relative path with its `dir/..` and `.` parts folded (`a/scenarios/../p.lstep` is
/// `a/p.lstep`), for messages and reports. Lexical only: a `..` after a symbolic link names
/// another folder than this says, but the file is read by the path as written.
pub(super) fn tidy(path: &str) -> String {
    let mut parts: Vec<&str> = Vec::new();
    for part in path.split('/') {
        match part {
            "." if !parts.is_empty() => {}
            ".." if parts.last().is_some_and(|p| *p != ".." && !p.is_empty()) => {
                parts.pop();
            }
            _ => parts.push(part),
        }
    }
    if parts.is_empty() {
        ".".to_string()
    } else {
        parts.join("/")
    }
}

thread_local! {
    /// The module files being loaded on this thread, outermost first: a file that names one of
    /// them as its module would load forever.
    static OPENING: std::cell::RefCell<Vec<String>> = const { std::cell::RefCell::new(Vec::new()) };
}

/// A loaded `module NAME = "file" keys "prefix"`.
pub struct Module {
    pub name: String,
    pub prefix: String,
    pub guest: &'static FileProtocol,
}

/// The file's module, if it declares one: the file it names, relative to the host file's
/// folder (a shipped file's module is the shipped file of that path).
fn load_module(p: &Protocol) -> Result<Option<Module>, ScenarioError> {
    let mut found = p.ast.items.iter().filter_map(|i| match &i.kind {
        ItemKind::Module { name, path, prefix } => Some((name, path, prefix)),
        _ => None,
    });
    let Some((name, path, prefix)) = found.next() else {
        return Ok(None);
    };
    let located = |span: std::ops::Range<usize>, m: String| {
        super::diag::Diag::new(span, m).located(&p.path, &p.text)
    };
    if let Some((second, _, _)) = found.next() {
        return Err(located(
            second.span.clone(),
            "a file declares at most one module".into(),
        ));
    }
    let dir = std::path::Path::new(&p.path).parent();
    let joined = tidy(&dir.map_or(path.text.clone(), |d| {
        d.join(&path.text).to_string_lossy().replace('\\', "/")
    }));
    let text = match EMBEDDED.iter().find(|(_, at, _)| *at == joined) {
        Some((_, _, text)) => text.to_string(),
        None => std::fs::read_to_string(&joined).map_err(|e| {
            located(
                path.span.clone(),
                format!("cannot read the module's file `{joined}`: {e}"),
            )
        })?,
    };
    if OPENING.with(|o| o.borrow().contains(&joined)) || joined == p.path {
        return Err(located(
            path.span.clone(),
            format!("`{joined}` is being loaded already: modules cannot form a cycle"),
        ));
    }
    OPENING.with(|o| o.borrow_mut().push(joined.clone()));
    let guest = open(&joined, &text);
    OPENING.with(|o| o.borrow_mut().pop());
    let guest = guest?;
    if guest.module.is_some() {
        return Err(located(
            path.span.clone(),
            "a module's protocol cannot hold a module of its own".into(),
        ));
    }
    if guest.protocol.kinds.len() != 1 {
        return Err(located(
            path.span.clone(),
            "a module's protocol declares one actor kind: the host's actors call into it".into(),
        ));
    }
    Ok(Some(Module {
        name: name.text.clone(),
        prefix: prefix.clone(),
        guest,
    }))
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_path_is_tidied_lexically() {
        assert_eq!(super::tidy("a/scenarios/../p.lstep"), "a/p.lstep");
        assert_eq!(super::tidy("./x/./p.lstep"), "./x/p.lstep");
        assert_eq!(super::tidy("../p.lstep"), "../p.lstep");
        assert_eq!(super::tidy("a/../../p.lstep"), "../p.lstep");
        assert_eq!(super::tidy("/abs/x/../p.lstep"), "/abs/p.lstep");
    }
}
