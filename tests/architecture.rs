//! Rules of the layout that the compiler does not enforce, checked on the sources.
//!
//! No file imports a file that imports it: for every crate under `crates/`, each `.rs` file under
//! `src/` is a module; a file imports another when one of its paths (a `use` tree, or a
//! `crate::…`, `super::…`, `self::…` path in the code) names an item of the other's module or
//! below. `mod x;` declarations are structure, not imports. A pair of files that import each
//! other is a circle, and the test names every one.
#![allow(missing_docs, clippy::unwrap_used)] // test code: an unwrap is an assertion

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// A crate's sources: module path (`["section", "dataset"]`; `[]` for lib.rs / main.rs) to the
/// file's name (for messages) and its text.
type Sources = BTreeMap<Vec<String>, (String, String)>;

#[test]
fn no_file_imports_a_file_that_imports_it() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut circles = Vec::new();
    let mut crates = 0;
    for entry in std::fs::read_dir(root.join("crates")).unwrap() {
        let src = entry.unwrap().path().join("src");
        if src.is_dir() {
            crates += 1;
            circles.extend(circles_in(&read_crate(root, &src)));
        }
    }
    assert!(crates >= 10, "found only {crates} crates under crates/");
    assert!(
        circles.is_empty(),
        "files that import each other (move what both need into the lower file or a small shared module):\n  {}",
        circles.join("\n  ")
    );
}

#[test]
fn the_checker_finds_a_circle_through_use_super_and_crate_paths() {
    let sources = crate_of(&[
        (
            "lib.rs",
            "mod a; mod b; pub use a::Alpha; pub use c::S; pub struct Top;",
        ),
        // a.rs names b and the root through a `use` tree; b.rs names a through a path in code;
        // the root re-exports a.
        (
            "a.rs",
            "use crate::{b::{Beta, gamma}, Top};\npub struct Alpha;",
        ),
        (
            "b.rs",
            "pub struct Beta;\nfn f() -> crate::a::Alpha { crate::a::Alpha }",
        ),
        // a child and its parent: `use super::*` in the child, `pub use` of it in the parent.
        ("m/mod.rs", "mod x; pub use x::Ex; // use crate::b::Beta;"),
        ("m/x.rs", "use super::*;\npub struct Ex;"),
        // one-way imports, an inline test module, and paths inside strings are not circles.
        (
            "c.rs",
            "use crate::b::Beta; mod t { use super::Beta; } pub const S: &str = \"crate::d\";",
        ),
        ("d.rs", "fn g() -> char { '\"' } // crate::c::X"),
        // a parent that calls into its child by a relative path in code.
        ("n/mod.rs", "mod y; pub struct En; fn h() { y::f() }"),
        ("n/y.rs", "pub fn f() -> super::En { super::En }"),
    ]);
    assert_eq!(
        circles_in(&sources),
        [
            "src/a.rs <-> src/b.rs",
            "src/a.rs <-> src/lib.rs",
            "src/m/mod.rs <-> src/m/x.rs",
            "src/n/mod.rs <-> src/n/y.rs",
        ]
    );
}

fn crate_of(files: &[(&str, &str)]) -> Sources {
    files
        .iter()
        .map(|(name, text)| {
            let path = PathBuf::from(name);
            (
                module_path(&path),
                (format!("src/{name}"), (*text).to_string()),
            )
        })
        .collect()
}

/// Every `.rs` file under `src`, keyed by its module path.
fn read_crate(root: &Path, src: &Path) -> Sources {
    let mut files = Vec::new();
    collect_rs(src, &mut files);
    files
        .into_iter()
        .map(|path| {
            let rel = path.strip_prefix(src).unwrap().to_path_buf();
            let shown = path.strip_prefix(root).unwrap().display().to_string();
            (
                module_path(&rel),
                (shown, std::fs::read_to_string(&path).unwrap()),
            )
        })
        .collect()
}

fn collect_rs(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            collect_rs(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// `lib.rs`/`main.rs` -> `[]`, `a/b.rs` -> `[a, b]`, `a/mod.rs` -> `[a]`.
fn module_path(rel: &Path) -> Vec<String> {
    let mut parts: Vec<String> = rel
        .iter()
        .map(|p| p.to_string_lossy().into_owned())
        .collect();
    let last = parts.pop().unwrap_or_default();
    let stem = last.trim_end_matches(".rs");
    if parts.is_empty() && (stem == "lib" || stem == "main") || stem == "mod" {
        return parts;
    }
    parts.push(stem.to_string());
    parts
}

/// "a <-> b" for every pair of files that import each other, sorted.
fn circles_in(sources: &Sources) -> Vec<String> {
    let mut edges: BTreeSet<(Vec<String>, Vec<String>)> = BTreeSet::new();
    for (module, (_, text)) in sources {
        for target in imports(sources, module, text) {
            if &target != module {
                edges.insert((module.clone(), target));
            }
        }
    }
    let mut circles: Vec<String> = edges
        .iter()
        .filter(|(a, b)| a < b && edges.contains(&(b.clone(), a.clone())))
        .map(|(a, b)| {
            let (mut x, mut y) = (sources[a].0.clone(), sources[b].0.clone());
            if x > y {
                std::mem::swap(&mut x, &mut y);
            }
            format!("{x} <-> {y}")
        })
        .collect();
    circles.sort();
    circles
}

/// The modules (files) that the file of `module` imports.
fn imports(sources: &Sources, module: &[String], text: &str) -> BTreeSet<Vec<String>> {
    let code = strip_comments_and_strings(text);
    let tokens = tokenize(&code);
    let mut found = BTreeSet::new();
    // Inline modules (`mod tests { … }`) shift what `super` and `self` mean.
    let mut inline: Vec<(String, usize)> = Vec::new();
    let mut depth = 0;
    let mut i = 0;
    while i < tokens.len() {
        let here: Vec<String> = module
            .iter()
            .cloned()
            .chain(inline.iter().map(|(m, _)| m.clone()))
            .collect();
        match tokens[i].as_str() {
            "{" => depth += 1,
            "}" => {
                depth -= 1;
                if inline.last().is_some_and(|(_, d)| *d == depth) {
                    inline.pop();
                }
            }
            "mod" if tokens.get(i + 2).is_some_and(|t| t == "{") => {
                inline.push((tokens[i + 1].clone(), depth));
            }
            "use" => {
                let end = (i..tokens.len())
                    .find(|&j| tokens[j] == ";")
                    .unwrap_or(tokens.len());
                for path in expand_use_tree(&tokens[i + 1..end]) {
                    found.extend(resolve(sources, &here, &path));
                }
                i = end;
            }
            first
                if tokens.get(i + 1).is_some_and(|t| t == "::")
                    && (i == 0 || tokens[i - 1] != "::")
                    && (matches!(first, "crate" | "super" | "self")
                        || is_child(sources, &here, first)) =>
            {
                let mut path = vec![tokens[i].clone()];
                let mut j = i + 1;
                while tokens.get(j).is_some_and(|t| t == "::")
                    && tokens.get(j + 1).is_some_and(|t| is_ident(t))
                {
                    path.push(tokens[j + 1].clone());
                    j += 2;
                }
                found.extend(resolve(sources, &here, &path));
                i = j - 1;
            }
            _ => {}
        }
        i += 1;
    }
    found
}

/// Whether `name` is a module of its own file below module `here`.
fn is_child(sources: &Sources, here: &[String], name: &str) -> bool {
    let mut child = here.to_vec();
    child.push(name.to_string());
    sources.contains_key(&child)
}

/// The file (module path) that `path`, seen from module `here`, lands in; `None` for paths into
/// other crates. A path may start with a child module's name.
fn resolve(sources: &Sources, here: &[String], path: &[String]) -> Option<Vec<String>> {
    let mut abs: Vec<String> = Vec::new();
    let mut rest = path;
    match path.first().map(String::as_str) {
        Some("crate") => rest = &path[1..],
        Some("self") => {
            abs = here.to_vec();
            rest = &path[1..];
        }
        Some("super") => {
            abs = here.to_vec();
            while rest.first().is_some_and(|s| s == "super") {
                abs.pop();
                rest = &rest[1..];
            }
        }
        Some(first) if is_child(sources, here, first) => abs = here.to_vec(),
        _ => return None,
    }
    abs.extend(rest.iter().filter(|s| s.as_str() != "*").cloned());
    // The longest prefix that is a file: `crate::a::b::Item` lands in a/b.rs, `crate::Item` in
    // lib.rs.
    (0..=abs.len())
        .rev()
        .map(|n| abs[..n].to_vec())
        .find(|m| sources.contains_key(m))
}

/// `a::{b::C, d}` -> `[a, b, C]`, `[a, d]`; `self` inside braces names the prefix itself.
fn expand_use_tree(tokens: &[String]) -> Vec<Vec<String>> {
    fn tree(tokens: &[String], pos: &mut usize, prefix: &[String], out: &mut Vec<Vec<String>>) {
        let mut path = prefix.to_vec();
        while let Some(token) = tokens.get(*pos) {
            match token.as_str() {
                "{" => {
                    *pos += 1;
                    while tokens.get(*pos).is_some_and(|t| t != "}") {
                        tree(tokens, pos, &path, out);
                        if tokens.get(*pos).is_some_and(|t| t == ",") {
                            *pos += 1;
                        }
                    }
                    *pos += 1;
                    return;
                }
                "," | "}" => break,
                "::" | "pub" => *pos += 1,
                "as" => *pos += 2,
                "self" if !path.is_empty() => *pos += 1,
                t => {
                    path.push(t.to_string());
                    *pos += 1;
                }
            }
        }
        out.push(path);
    }
    let mut out = Vec::new();
    tree(tokens, &mut 0, &[], &mut out);
    out.retain(|p| !p.is_empty());
    out
}

fn is_ident(t: &str) -> bool {
    t.chars()
        .next()
        .is_some_and(|c| c.is_alphabetic() || c == '_')
}

/// Identifiers, `::`, `*` and single punctuation characters.
fn tokenize(code: &str) -> Vec<String> {
    let chars: Vec<char> = code.chars().collect();
    let mut tokens = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if c.is_alphanumeric() || c == '_' {
            let start = i;
            while i < chars.len() && (chars[i].is_alphanumeric() || chars[i] == '_') {
                i += 1;
            }
            tokens.push(chars[start..i].iter().collect());
            continue;
        }
        if c == ':' && chars.get(i + 1) == Some(&':') {
            tokens.push("::".to_string());
            i += 2;
            continue;
        }
        if !c.is_whitespace() {
            tokens.push(c.to_string());
        }
        i += 1;
    }
    tokens
}

/// The code with comments, string literals and character literals blanked out.
fn strip_comments_and_strings(text: &str) -> String {
    let chars: Vec<char> = text.chars().collect();
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    let ident = |c: char| c.is_alphanumeric() || c == '_';
    while i < chars.len() {
        let c = chars[i];
        let next = chars.get(i + 1).copied();
        if c == '/' && next == Some('/') {
            while i < chars.len() && chars[i] != '\n' {
                i += 1;
            }
        } else if c == '/' && next == Some('*') {
            let mut depth = 0;
            while i < chars.len() {
                if chars[i] == '/' && chars.get(i + 1) == Some(&'*') {
                    depth += 1;
                    i += 2;
                } else if chars[i] == '*' && chars.get(i + 1) == Some(&'/') {
                    depth -= 1;
                    i += 2;
                    if depth == 0 {
                        break;
                    }
                } else {
                    i += 1;
                }
            }
            out.push(' ');
        } else if (c == 'r' || c == 'b')
            && (i == 0 || !ident(chars[i - 1]))
            && raw_string_start(&chars, i).is_some()
        {
            let (hashes, body) = raw_string_start(&chars, i).unwrap_or((0, i));
            let closing: String = std::iter::once('"')
                .chain(std::iter::repeat_n('#', hashes))
                .collect();
            let rest: String = chars[body..].iter().collect();
            let len = rest
                .find(&closing)
                .map_or(rest.len(), |p| p + closing.len());
            i = body + rest[..len].chars().count();
            out.push_str("\"\"");
        } else if c == '"' {
            i += 1;
            while i < chars.len() && chars[i] != '"' {
                i += if chars[i] == '\\' { 2 } else { 1 };
            }
            i += 1;
            out.push_str("\"\"");
        } else if c == '\'' {
            // A character literal ('x', '\n', '\'', '\u{..}') or a lifetime ('a).
            if next == Some('\\') {
                i += 3;
                while i < chars.len() && chars[i] != '\'' {
                    i += 1;
                }
                i += 1;
                out.push_str("' '");
            } else if chars.get(i + 2) == Some(&'\'') {
                i += 3;
                out.push_str("' '");
            } else {
                out.push(c);
                i += 1;
            }
        } else {
            out.push(c);
            i += 1;
        }
    }
    out
}

/// At `r"`, `r#"`, `br"`, `br#"`: the number of `#` and where the body starts.
fn raw_string_start(chars: &[char], i: usize) -> Option<(usize, usize)> {
    let mut j = i;
    if chars[j] == 'b' {
        j += 1;
    }
    if chars.get(j) != Some(&'r') {
        return None;
    }
    j += 1;
    let mut hashes = 0;
    while chars.get(j) == Some(&'#') {
        hashes += 1;
        j += 1;
    }
    (chars.get(j) == Some(&'"')).then_some((hashes, j + 1))
}
