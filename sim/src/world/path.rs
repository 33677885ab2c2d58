//! Path interning: the names a model will ever touch, numbered once, kept outside the world.
//!
//! The world state must be small and cheap to clone, so it never holds a string: a file is
//! addressed by a [`PathId`] and a directory entry stores only a [`NameId`]. The table that
//! turns them back into text ([`Paths`]) belongs to the model (it is fixed for a scenario), and
//! is passed to every filesystem call through [`super::Ctx`].
//!
//! Every path a run can reach must be interned before the run starts, including the children
//! of a directory under each name the directory may be renamed to: eve's reclaim renames
//! `lock` (holding `owner.json`) to `lock.tombstone-<pid>-<uuid>` and then removes it, so a
//! model that uses such a tombstone interns `lock.tombstone-1/owner.json` too. Forgetting one
//! is a harness bug and panics with the missing name.

use std::fmt;

/// An interned path. `PathId::ROOT` is `/`; everything else is below it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct PathId(pub u8);

impl PathId {
    pub const ROOT: PathId = PathId(0);
}

/// An interned path component (`owner.json`): what a directory entry stores.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct NameId(pub u8);

#[derive(Clone, Debug)]
struct Node {
    parent: PathId,
    name: NameId,
}

/// The path table of one scenario. Append-only; ids are dense and handed out in interning
/// order, so the same interning code always yields the same ids.
#[derive(Clone, Debug)]
pub struct Paths {
    /// Index = `PathId`. Entry 0 is the root (its parent and name are unused).
    nodes: Vec<Node>,
    /// Index = `NameId`.
    names: Vec<String>,
}

impl Default for Paths {
    fn default() -> Self {
        Self::new()
    }
}

impl Paths {
    pub fn new() -> Self {
        Paths {
            nodes: vec![Node {
                parent: PathId::ROOT,
                name: NameId(0),
            }],
            names: vec![String::new()],
        }
    }

    /// Interns `path` (components separated by `/`, leading `/` optional) and every prefix of
    /// it; returns the id of the whole path. Idempotent.
    pub fn intern(&mut self, path: &str) -> PathId {
        let mut cur = PathId::ROOT;
        for comp in path.split('/').filter(|c| !c.is_empty()) {
            assert!(
                comp != "." && comp != "..",
                "intern: `{path}` is not normalised"
            );
            let name = self.intern_name(comp);
            cur = match self.child(cur, name) {
                Some(p) => p,
                None => {
                    let id = u8::try_from(self.nodes.len()).expect("more than 256 interned paths");
                    self.nodes.push(Node { parent: cur, name });
                    PathId(id)
                }
            };
        }
        cur
    }

    /// Interns `name` as a child of `dir`.
    pub fn join(&mut self, dir: PathId, name: &str) -> PathId {
        let full = format!("{}/{name}", self.display(dir));
        self.intern(&full)
    }

    fn intern_name(&mut self, name: &str) -> NameId {
        if let Some(i) = self.names.iter().position(|n| n == name) {
            return NameId(i as u8);
        }
        let id = u8::try_from(self.names.len()).expect("more than 256 interned names");
        self.names.push(name.to_owned());
        NameId(id)
    }

    /// The path with this name directly under `dir`, if interned.
    pub fn child(&self, dir: PathId, name: NameId) -> Option<PathId> {
        self.nodes
            .iter()
            .enumerate()
            .skip(1)
            .find(|(_, n)| n.parent == dir && n.name == name)
            .map(|(i, _)| PathId(i as u8))
    }

    /// Like [`Paths::child`], but a missing path is a harness bug: the model forgot to intern
    /// it (see the module doc).
    pub fn expect_child(&self, dir: PathId, name: NameId) -> PathId {
        self.child(dir, name).unwrap_or_else(|| {
            panic!(
                "path `{}/{}` exists in the simulated filesystem but was never interned",
                self.display(dir),
                self.name_str(name)
            )
        })
    }

    /// The parent directory, `None` for the root.
    pub fn parent(&self, p: PathId) -> Option<PathId> {
        (p != PathId::ROOT).then(|| self.nodes[p.0 as usize].parent)
    }

    /// The last component.
    pub fn name(&self, p: PathId) -> NameId {
        self.nodes[p.0 as usize].name
    }

    pub fn name_str(&self, n: NameId) -> &str {
        &self.names[n.0 as usize]
    }

    /// Whether `a` is `b` or one of its ancestors.
    pub fn is_prefix(&self, a: PathId, b: PathId) -> bool {
        let mut cur = Some(b);
        while let Some(p) = cur {
            if p == a {
                return true;
            }
            cur = self.parent(p);
        }
        false
    }

    /// The full path, `/`-separated, for timelines and messages.
    pub fn display(&self, p: PathId) -> impl fmt::Display + '_ {
        Shown { paths: self, p }
    }

    pub fn len(&self) -> usize {
        self.nodes.len()
    }

    pub fn is_empty(&self) -> bool {
        false
    }
}

struct Shown<'a> {
    paths: &'a Paths,
    p: PathId,
}

impl fmt::Display for Shown<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.paths.parent(self.p) {
            None => f.write_str("/"),
            Some(PathId::ROOT) => write!(f, "/{}", self.paths.name_str(self.paths.name(self.p))),
            Some(par) => write!(
                f,
                "{}/{}",
                self.paths.display(par),
                self.paths.name_str(self.paths.name(self.p))
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn interning_is_idempotent_and_creates_prefixes() {
        let mut p = Paths::new();
        let owner = p.intern("cache/x.lock/owner.json");
        let lock = p.intern("/cache/x.lock");
        assert_eq!(p.parent(owner), Some(lock));
        assert_eq!(p.intern("cache/x.lock/owner.json"), owner);
        assert_eq!(p.display(owner).to_string(), "/cache/x.lock/owner.json");
        assert_eq!(p.display(PathId::ROOT).to_string(), "/");
        // Same last component under two directories: one name, two paths.
        let tomb = p.intern("cache/x.tomb/owner.json");
        assert_eq!(p.name(tomb), p.name(owner));
        assert_ne!(tomb, owner);
        assert!(p.is_prefix(lock, owner));
        assert!(!p.is_prefix(owner, lock));
        assert_eq!(p.join(lock, "owner.json"), owner);
    }
}
