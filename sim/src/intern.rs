//! Interned names: user-named invariants, variants and protocols outlive every run that names
//! them, and the kernel's vocabulary ([`crate::Property`]) keeps `&'static str` ids so that
//! verdicts stay `Copy` and comparisons stay cheap. A name is leaked once and reused: the set
//! of distinct names a process sees is bounded by the files it reads.

use std::collections::BTreeSet;
use std::sync::Mutex;

static NAMES: Mutex<BTreeSet<&'static str>> = Mutex::new(BTreeSet::new());

/// The one `'static` copy of `name`.
pub fn intern(name: &str) -> &'static str {
    let mut set = NAMES.lock().unwrap_or_else(|e| e.into_inner());
    if let Some(s) = set.get(name) {
        return s;
    }
    let s: &'static str = Box::leak(name.to_string().into_boxed_str());
    set.insert(s);
    s
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_same_name_is_one_pointer() {
        let a = super::intern("max-inits");
        let b = super::intern(&String::from("max-inits"));
        assert!(std::ptr::eq(a, b));
    }
}
