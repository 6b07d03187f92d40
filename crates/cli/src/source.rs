//! Where a key sits in a manifest, so that every error names `file:line` and the key: the TOML
//! is parsed once more with its spans, and a key path (`models[2].config.hidden`) is looked up
//! in it, or found from the byte offset serde reports.

use crate::usage::UsageError;
use std::fmt;
use std::ops::Range;
use std::path::Path;
use toml::Spanned;
use toml::de::{DeTable, DeValue};

/// One step of a key path: a key of a table or an index into an array (of tables).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Seg {
    Key(String),
    Index(usize),
}

/// A key path, shown the way a reader finds it: `models[2].config.hidden`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct KeyPath(pub Vec<Seg>);

impl KeyPath {
    pub fn root() -> Self {
        Self(Vec::new())
    }

    /// This path with the key `k` (dots split it: `config.hidden`).
    pub fn key(&self, k: &str) -> Self {
        let mut out = self.clone();
        out.0.extend(k.split('.').map(|s| Seg::Key(s.to_string())));
        out
    }

    pub fn index(&self, i: usize) -> Self {
        let mut out = self.clone();
        out.0.push(Seg::Index(i));
        out
    }
}

impl fmt::Display for KeyPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, seg) in self.0.iter().enumerate() {
            match seg {
                Seg::Key(k) if i == 0 => write!(f, "{k}")?,
                Seg::Key(k) => write!(f, ".{k}")?,
                Seg::Index(n) => write!(f, "[{n}]")?,
            }
        }
        Ok(())
    }
}

/// A manifest's text with its spans.
pub struct Source<'a> {
    pub path: &'a Path,
    pub text: &'a str,
    doc: Option<Spanned<DeTable<'a>>>,
}

impl<'a> Source<'a> {
    pub fn new(path: &'a Path, text: &'a str) -> Self {
        Self {
            path,
            text,
            doc: DeTable::parse(text).ok(),
        }
    }

    /// 1-based line of byte `offset`.
    pub fn line_of(&self, offset: usize) -> usize {
        let end = offset.min(self.text.len());
        self.text.as_bytes()[..end]
            .iter()
            .filter(|&&b| b == b'\n')
            .count()
            + 1
    }

    /// The span of `path`'s key (of the element for an array index), or of the deepest prefix of
    /// it that exists; `None` when not even the first key does.
    pub fn span(&self, path: &KeyPath) -> Option<Range<usize>> {
        let doc = self.doc.as_ref()?;
        let mut node = Node::Table(doc.get_ref());
        let mut best = None;
        for seg in &path.0 {
            let Some((span, child)) = node.child(seg) else {
                break;
            };
            best = Some(span);
            node = Node::Value(child.get_ref());
        }
        best
    }

    /// The line of `path` (see [`Source::span`]); line 1 when nothing of it exists.
    pub fn line(&self, path: &KeyPath) -> usize {
        self.span(path).map_or(1, |s| self.line_of(s.start))
    }

    /// The deepest key path whose key or value holds byte `offset`; else the last key before it
    /// on its line.
    pub fn key_at(&self, offset: usize) -> Option<KeyPath> {
        let entries = self.entries();
        let holding = entries
            .iter()
            .filter(|e| contains(&e.key, offset) || contains(&e.value, offset))
            .max_by_key(|e| e.path.0.len());
        let line = self.line_of(offset);
        holding
            .or_else(|| {
                entries
                    .iter()
                    .filter(|e| e.key.start <= offset && self.line_of(e.key.start) == line)
                    .max_by_key(|e| (e.key.start, e.path.0.len()))
            })
            .map(|e| e.path.clone())
    }

    /// The table a byte range lies in: the nearest table (or array element) that starts at or
    /// before it, the root when none does. Where a missing key is missing from.
    pub fn table_at(&self, span: &Range<usize>) -> KeyPath {
        self.entries()
            .into_iter()
            .filter(|e| e.table && e.key.start <= span.start && span.start > 0)
            .max_by_key(|e| (e.key.start, e.path.0.len()))
            .map(|e| e.path)
            .unwrap_or_default()
    }

    /// Every key and array element of the document with its spans.
    fn entries(&self) -> Vec<Entry> {
        fn walk(path: &KeyPath, node: Node, out: &mut Vec<Entry>) {
            if let Some(t) = node.table() {
                for (k, v) in t {
                    let p = path.key(k.get_ref());
                    let table = matches!(v.get_ref(), DeValue::Table(_));
                    out.push(Entry {
                        path: p.clone(),
                        key: k.span(),
                        value: v.span(),
                        table,
                    });
                    walk(&p, Node::Value(v.get_ref()), out);
                }
            } else if let Node::Value(DeValue::Array(a)) = node {
                for (i, v) in a.iter().enumerate() {
                    let p = path.index(i);
                    let table = matches!(v.get_ref(), DeValue::Table(_));
                    out.push(Entry {
                        path: p.clone(),
                        key: v.span(),
                        value: v.span(),
                        table,
                    });
                    walk(&p, Node::Value(v.get_ref()), out);
                }
            }
        }
        let mut out = Vec::new();
        if let Some(doc) = &self.doc {
            walk(&KeyPath::root(), Node::Table(doc.get_ref()), &mut out);
        }
        out
    }

    /// `file:line: key: message` for the key at `path`.
    pub fn error(&self, path: &KeyPath, msg: impl fmt::Display) -> UsageError {
        self.error_at_line(self.line(path), Some(path), msg)
    }

    /// `file:line: message` with the line of byte `offset` and the key found there.
    pub fn error_at(&self, offset: usize, msg: impl fmt::Display) -> UsageError {
        let key = self.key_at(offset);
        self.error_at_line(self.line_of(offset), key.as_ref(), msg)
    }

    pub fn error_at_line(
        &self,
        line: usize,
        key: Option<&KeyPath>,
        msg: impl fmt::Display,
    ) -> UsageError {
        let msg = msg.to_string().trim().replace('\n', " ");
        match key.filter(|k| !k.0.is_empty()) {
            Some(k) => UsageError::new(format!("{}:{line}: {k}: {msg}", self.path.display())),
            None => UsageError::new(format!("{}:{line}: {msg}", self.path.display())),
        }
    }
}

/// The document's root table or a value inside it.
#[derive(Clone, Copy)]
enum Node<'d, 'a> {
    Table(&'d DeTable<'a>),
    Value(&'d DeValue<'a>),
}

impl<'d, 'a> Node<'d, 'a> {
    fn table(self) -> Option<&'d DeTable<'a>> {
        match self {
            Node::Table(t) | Node::Value(DeValue::Table(t)) => Some(t),
            _ => None,
        }
    }

    /// The child `seg` names, with the span of its key (of the element for an index).
    fn child(self, seg: &Seg) -> Option<(Range<usize>, &'d Spanned<DeValue<'a>>)> {
        match (seg, self) {
            (Seg::Key(k), _) => self
                .table()?
                .iter()
                .find(|(key, _)| key.get_ref() == k)
                .map(|(key, v)| (key.span(), v)),
            (Seg::Index(i), Node::Value(DeValue::Array(a))) => a.get(*i).map(|v| (v.span(), v)),
            _ => None,
        }
    }
}

/// A key (or array element) of the document, with the spans of its key and its value.
struct Entry {
    path: KeyPath,
    key: Range<usize>,
    value: Range<usize>,
    table: bool,
}

fn contains(span: &Range<usize>, offset: usize) -> bool {
    span.start <= offset && offset < span.end.max(span.start + 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    const TEXT: &str = "name = \"x\"\nseeds = [0, 1]\n\n[eval]\nsamples = 5\n\n[[models]]\nname = \"a\"\n\n[[models]]\nname = \"b\"\nbatch_size = \"half\"\n[models.config]\nhidden = 0\n";

    #[test]
    fn paths_find_their_lines() {
        let src = Source::new(Path::new("m.toml"), TEXT);
        let root = KeyPath::root();
        assert_eq!(src.line(&root.key("name")), 1);
        assert_eq!(src.line(&root.key("eval.samples")), 5);
        assert_eq!(
            src.line(&root.key("models").index(1).key("config.hidden")),
            14
        );
        assert_eq!(src.line(&root.key("models").index(1).key("batch_size")), 12);
        // A key that is absent falls back to the deepest part that exists.
        assert_eq!(
            src.line(&root.key("models").index(0).key("steps")),
            src.line(&root.key("models").index(0))
        );
        assert_eq!(src.line(&root.key("nothing")), 1);
    }

    #[test]
    fn offsets_find_their_keys() {
        let src = Source::new(Path::new("m.toml"), TEXT);
        let at = TEXT.find("\"half\"").unwrap();
        assert_eq!(src.key_at(at).unwrap().to_string(), "models[1].batch_size");
        let at = TEXT.find("hidden = 0").unwrap() + 9;
        assert_eq!(
            src.key_at(at).unwrap().to_string(),
            "models[1].config.hidden"
        );
        let e = src.error_at(at, "must be at least 1");
        assert_eq!(
            e.0,
            "m.toml:14: models[1].config.hidden: must be at least 1"
        );
    }
}
