//! The settings that define a run's numbers, their fingerprint and the keys in which two sets
//! differ. A run's folder records them (config.json, result.json, the checkpoint), so a rerun
//! or a resume with changed settings is refused with the key that changed instead of mixing
//! results made under two settings.

use serde_json::Value;

/// A 16-hex-digit fingerprint of `settings`: FNV-1a (64 bit) of its canonical JSON (object keys
/// sorted at every level, no whitespace), so key order and formatting never change it.
pub fn fingerprint(settings: &Value) -> String {
    let text = canonical(settings);
    let hash = text.bytes().fold(0xcbf2_9ce4_8422_2325u64, |h, b| {
        (h ^ b as u64).wrapping_mul(0x0100_0000_01b3)
    });
    format!("{hash:016x}")
}

fn canonical(v: &Value) -> String {
    match v {
        Value::Object(map) => {
            let mut keys: Vec<&String> = map.keys().collect();
            keys.sort();
            let items: Vec<String> = keys
                .iter()
                .map(|k| format!("{}:{}", Value::String((*k).clone()), canonical(&map[*k])))
                .collect();
            format!("{{{}}}", items.join(","))
        }
        Value::Array(items) => {
            let items: Vec<String> = items.iter().map(canonical).collect();
            format!("[{}]", items.join(","))
        }
        other => other.to_string(),
    }
}

/// One difference: the dotted key path, the old value and the new one (`-` when absent).
#[derive(Clone, Debug, PartialEq)]
pub struct Change {
    /// The dotted key path.
    pub key: String,
    /// The value before (`-` when absent).
    pub old: String,
    /// The value now (`-` when absent).
    pub new: String,
}

impl std::fmt::Display for Change {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} {} -> {}", self.key, self.old, self.new)
    }
}

/// Every leaf in which `old` and `new` differ, by dotted path (`config.hidden`, `budget.steps`),
/// in sorted key order. Numbers compare by value (1 and 1.0 are equal).
pub fn diff(old: &Value, new: &Value) -> Vec<Change> {
    let mut out = Vec::new();
    walk("", old, new, &mut out);
    out
}

fn walk(path: &str, old: &Value, new: &Value, out: &mut Vec<Change>) {
    let join = |k: &str| {
        if path.is_empty() {
            k.to_string()
        } else {
            format!("{path}.{k}")
        }
    };
    match (old, new) {
        (Value::Object(a), Value::Object(b)) => {
            let mut keys: Vec<&String> = a.keys().chain(b.keys()).collect();
            keys.sort();
            keys.dedup();
            for k in keys {
                let (x, y) = (a.get(k), b.get(k));
                match (x, y) {
                    (Some(x), Some(y)) => walk(&join(k), x, y, out),
                    _ => out.push(Change {
                        key: join(k),
                        old: show(x),
                        new: show(y),
                    }),
                }
            }
        }
        (Value::Number(a), Value::Number(b)) if a.as_f64() == b.as_f64() => {}
        (a, b) if a == b => {}
        (a, b) => out.push(Change {
            key: if path.is_empty() {
                "(all)".into()
            } else {
                path.into()
            },
            old: show(Some(a)),
            new: show(Some(b)),
        }),
    }
}

fn show(v: Option<&Value>) -> String {
    match v {
        None => "-".into(),
        Some(Value::String(s)) => format!("\"{s}\""),
        Some(v) => v.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn fingerprint_ignores_key_order_and_sees_every_value() {
        let a = json!({"steps": 15, "config": {"hidden": 64, "layers": 2}});
        let b = json!({"config": {"layers": 2, "hidden": 64}, "steps": 15});
        assert_eq!(fingerprint(&a), fingerprint(&b));
        assert_eq!(fingerprint(&a).len(), 16);
        let c = json!({"steps": 15, "config": {"hidden": 65, "layers": 2}});
        assert_ne!(fingerprint(&a), fingerprint(&c));
        // FNV-1a 64 of the empty object `{}`: 0xcbf29ce484222325 folded over '{' and '}'.
        let by_hand = [b'{', b'}'].iter().fold(0xcbf2_9ce4_8422_2325u64, |h, b| {
            (h ^ *b as u64).wrapping_mul(0x0100_0000_01b3)
        });
        assert_eq!(fingerprint(&json!({})), format!("{by_hand:016x}"));
    }

    #[test]
    fn diff_names_the_nested_key_that_changed() {
        let old =
            json!({"learning_rate": 0.001, "budget": {"steps": 15}, "config": {"hidden": 64}});
        let new = json!({"learning_rate": 0.001, "budget": {"steps": 20}, "config": {"hidden": 64, "layers": 3}});
        let d = diff(&old, &new);
        assert_eq!(
            d.iter().map(ToString::to_string).collect::<Vec<_>>(),
            ["budget.steps 15 -> 20", "config.layers - -> 3"]
        );
        assert!(diff(&json!({"a": 1}), &json!({"a": 1.0})).is_empty());
    }
}
