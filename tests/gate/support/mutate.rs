//! Text mutations for the fuzzers: delete, insert a snippet, duplicate, swap lines, or rename
//! a word to another word of the same file (which keeps many mutants past the parser); and
//! what the fuzzers share around them.

use proptest::prelude::*;

/// One edit of a file's text.
#[derive(Clone, Debug)]
pub enum Mutation {
    Delete {
        at: usize,
        len: usize,
    },
    Insert {
        at: usize,
        snippet: usize,
    },
    Duplicate {
        at: usize,
        len: usize,
    },
    SwapLines {
        a: usize,
        b: usize,
    },
    /// Replace the word at `at` by another word of the file.
    Rename {
        at: usize,
        other: usize,
    },
}

pub fn mutation(snippets: usize) -> impl Strategy<Value = Mutation> {
    prop_oneof![
        (any::<usize>(), 1usize..24).prop_map(|(at, len)| Mutation::Delete { at, len }),
        (any::<usize>(), 0..snippets).prop_map(|(at, snippet)| Mutation::Insert { at, snippet }),
        (any::<usize>(), 1usize..40).prop_map(|(at, len)| Mutation::Duplicate { at, len }),
        (any::<usize>(), any::<usize>()).prop_map(|(a, b)| Mutation::SwapLines { a, b }),
        (any::<usize>(), any::<usize>()).prop_map(|(at, other)| Mutation::Rename { at, other }),
    ]
}

/// The largest char boundary at or below `i`.
fn floor(s: &str, i: usize) -> usize {
    let mut i = i.min(s.len());
    while !s.is_char_boundary(i) {
        i -= 1;
    }
    i
}

pub fn apply(text: &str, m: &Mutation, snippets: &[&str]) -> String {
    let n = text.len().max(1);
    match *m {
        Mutation::Delete { at, len } => {
            let a = floor(text, at % n);
            let b = floor(text, a + len);
            format!("{}{}", &text[..a], &text[b..])
        }
        Mutation::Insert { at, snippet } => {
            let a = floor(text, at % n);
            format!("{} {} {}", &text[..a], snippets[snippet], &text[a..])
        }
        Mutation::Duplicate { at, len } => {
            let a = floor(text, at % n);
            let b = floor(text, a + len);
            format!("{}{}", &text[..b], &text[a..])
        }
        Mutation::SwapLines { a, b } => {
            let mut lines: Vec<&str> = text.lines().collect();
            if !lines.is_empty() {
                let k = lines.len();
                lines.swap(a % k, b % k);
            }
            lines.join("\n")
        }
        Mutation::Rename { at, other } => {
            let words: Vec<(usize, &str)> = text
                .match_indices(|c: char| c.is_ascii_alphabetic())
                .filter(|(i, _)| *i == 0 || !text.as_bytes()[*i - 1].is_ascii_alphanumeric())
                .map(|(i, _)| {
                    let end = text[i..]
                        .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
                        .map_or(text.len(), |e| i + e);
                    (i, &text[i..end])
                })
                .collect();
            if words.is_empty() {
                return text.to_string();
            }
            let (i, w) = words[at % words.len()];
            let (_, r) = words[other % words.len()];
            format!("{}{}{}", &text[..i], r, &text[i + w.len()..])
        }
    }
}

/// What a caught panic said, for a failing input's report.
pub fn panic_message(p: &(dyn std::any::Any + Send)) -> String {
    p.downcast_ref::<String>()
        .cloned()
        .or_else(|| p.downcast_ref::<&str>().map(|s| s.to_string()))
        .unwrap_or_default()
}

/// Inputs per chunk of a long fuzzing run (one seed each).
pub const CHUNK: u32 = 50_000;

/// Runs `fuzz(CHUNK, seed)` for each seed, with progress on stderr.
pub fn fuzz_chunks(seeds: std::ops::RangeInclusive<u64>, fuzz: impl Fn(u32, u64)) {
    let total = (seeds.end() - seeds.start() + 1) as u32 * CHUNK;
    for (i, seed) in seeds.enumerate() {
        fuzz(CHUNK, seed);
        eprintln!("{} of {total} inputs", (i as u32 + 1) * CHUNK);
    }
}
