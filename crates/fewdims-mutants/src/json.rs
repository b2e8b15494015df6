//! Structural mutants of JSON files (run.json, config.json, tokenizer.json, a safetensors
//! header): a value replaced by a number out of every range, a string of the wrong kind, null or
//! a container; a key removed, duplicated or renamed onto another; an array cut or grown; a
//! nesting bomb. Objects keep duplicate keys and numbers keep their text, so the written JSON is
//! exactly what the edit says.

use crate::{Lcg, Mutant};

/// JSON as written: objects as ordered pairs (duplicates allowed), numbers as raw text.
#[derive(Debug, Clone, PartialEq)]
pub enum J {
    Null,
    Bool(bool),
    /// Raw text, written as is (a number, or any hostile fragment).
    Raw(String),
    Str(String),
    Arr(Vec<J>),
    Obj(Vec<(String, J)>),
}

impl J {
    pub fn from_value(v: &serde_json::Value) -> Self {
        use serde_json::Value as V;
        match v {
            V::Null => J::Null,
            V::Bool(b) => J::Bool(*b),
            V::Number(n) => J::Raw(n.to_string()),
            V::String(s) => J::Str(s.clone()),
            V::Array(a) => J::Arr(a.iter().map(J::from_value).collect()),
            V::Object(o) => J::Obj(
                o.iter()
                    .map(|(k, v)| (k.clone(), J::from_value(v)))
                    .collect(),
            ),
        }
    }

    pub fn write(&self, out: &mut String) {
        match self {
            J::Null => out.push_str("null"),
            J::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
            J::Raw(r) => out.push_str(r),
            J::Str(s) => out.push_str(&serde_json::to_string(s).expect("a string serializes")),
            J::Arr(a) => {
                out.push('[');
                for (i, x) in a.iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    x.write(out);
                }
                out.push(']');
            }
            J::Obj(o) => {
                out.push('{');
                for (i, (k, v)) in o.iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    J::Str(k.clone()).write(out);
                    out.push(':');
                    v.write(out);
                }
                out.push('}');
            }
        }
    }

    pub fn to_text(&self) -> String {
        let mut s = String::new();
        self.write(&mut s);
        s
    }

    fn children(&self) -> usize {
        match self {
            J::Arr(a) => a.len(),
            J::Obj(o) => o.len(),
            _ => 0,
        }
    }

    fn child_mut(&mut self, i: usize) -> &mut J {
        match self {
            J::Arr(a) => &mut a[i],
            J::Obj(o) => &mut o[i].1,
            _ => unreachable!("only containers have children"),
        }
    }
}

/// Every node's path (child indices from the root), root first.
fn paths(j: &J, prefix: &mut Vec<usize>, out: &mut Vec<Vec<usize>>) {
    out.push(prefix.clone());
    for i in 0..j.children() {
        let child = match j {
            J::Arr(a) => &a[i],
            J::Obj(o) => &o[i].1,
            _ => unreachable!(),
        };
        prefix.push(i);
        paths(child, prefix, out);
        prefix.pop();
    }
}

fn node_mut<'a>(mut j: &'a mut J, path: &[usize]) -> &'a mut J {
    for &i in path {
        j = j.child_mut(i);
    }
    j
}

/// Numbers out of every range a reader might assume.
const NUMBERS: [&str; 20] = [
    "0",
    "-1",
    "1",
    "2",
    "-2147483649",
    "2147483648",
    "4294967295",
    "4294967296",
    "9007199254740993",
    "9223372036854775807",
    "18446744073709551615",
    "18446744073709551616",
    "100000000000",
    "1e308",
    "-1e308",
    "1e400",
    "0.5",
    "-0.0",
    "1e-320",
    "1000000",
];

fn hostile(rng: &mut Lcg, strings: &[String]) -> (J, String) {
    match rng.below(8) {
        0..=2 => {
            let n = *rng.pick(&NUMBERS);
            (J::Raw(n.into()), n.into())
        }
        3 | 4 if !strings.is_empty() => {
            let s = rng.pick(strings).clone();
            let shown: String = s.chars().take(40).collect();
            (J::Str(s), format!("{shown:?}"))
        }
        5 => {
            let s = rng.pick(&crate::hostile_strings()).clone();
            let shown: String = s.chars().take(40).collect();
            (J::Str(s), format!("{shown:?}"))
        }
        6 => {
            let v = rng
                .pick(&[
                    J::Null,
                    J::Bool(true),
                    J::Arr(vec![]),
                    J::Obj(vec![]),
                    J::Arr(vec![J::Arr(vec![])]),
                ])
                .clone();
            let t = v.to_text();
            (v, t)
        }
        _ => {
            let depth = *rng.pick(&[3usize, 200, 5000]);
            let v = J::Raw(format!("{}{}", "[".repeat(depth), "]".repeat(depth)));
            (v, format!("arrays nested {depth} deep"))
        }
    }
}

/// One edit of `root`, somewhere; returns what was done. `strings` are the values worth
/// trying in string fields (names of the file's own contract, say).
pub fn mutate_json(root: &mut J, rng: &mut Lcg, strings: &[String]) -> String {
    let mut all = vec![];
    paths(root, &mut vec![], &mut all);
    let path = rng.pick(&all).clone();
    let at = format!("{path:?}");
    let (parent_path, last) = match path.split_last() {
        Some((last, parent)) => (parent.to_vec(), Some(*last)),
        None => (vec![], None),
    };
    let op = rng.below(11);
    match (op, last) {
        (0 | 1, Some(i)) => {
            let parent = node_mut(root, &parent_path);
            match parent {
                J::Arr(a) => {
                    a.remove(i);
                }
                J::Obj(o) => {
                    o.remove(i);
                }
                _ => unreachable!(),
            }
            format!("removed {at}")
        }
        (2, Some(i)) => {
            let (v, shown) = hostile(rng, strings);
            let parent = node_mut(root, &parent_path);
            match parent {
                J::Arr(a) => {
                    let copy = a[i].clone();
                    a.insert(i + 1, copy);
                    format!("duplicated array element {at}")
                }
                J::Obj(o) => {
                    let key = o[i].0.clone();
                    let pos = if rng.chance(1, 2) { i + 1 } else { i };
                    o.insert(pos, (key.clone(), v));
                    format!("duplicated key {key:?} at {at} with {shown}")
                }
                _ => unreachable!(),
            }
        }
        (3, Some(i)) => {
            let parent = node_mut(root, &parent_path);
            if let J::Obj(o) = parent {
                let other = o[rng.below(o.len())].0.clone();
                let key = if rng.chance(1, 2) || strings.is_empty() {
                    other
                } else {
                    rng.pick(strings).clone()
                };
                o[i].0 = key.clone();
                format!("renamed key at {at} to {key:?}")
            } else if let J::Arr(a) = parent {
                a.truncate(i);
                format!("cut array at {at}")
            } else {
                unreachable!()
            }
        }
        (4 | 10, _) => {
            let node = node_mut(root, &path);
            match node {
                J::Raw(n) => {
                    let old = n.clone();
                    let new = match rng.below(4) {
                        0 => format!("-{old}"),
                        1 => format!("{old}0000000000"),
                        2 => old
                            .parse::<i128>()
                            .map_or("0".into(), |v| (v + 1).to_string()),
                        _ => old
                            .parse::<i128>()
                            .map_or("-1".into(), |v| (v - 1).to_string()),
                    };
                    *n = new.clone();
                    format!("number at {at}: {old} -> {new}")
                }
                // Metadata keeps numbers as strings (`"num_layers": "2"`): edge numbers there too.
                J::Str(v) if v.trim().parse::<f64>().is_ok() => {
                    let old = v.clone();
                    let new = rng.pick(&NUMBERS).to_string();
                    *v = new.clone();
                    format!("numeric string at {at}: {old:?} -> {new:?}")
                }
                J::Arr(a) if !a.is_empty() => {
                    let last = a[a.len() - 1].clone();
                    let extra = 1 + rng.below(3);
                    a.extend(std::iter::repeat_n(last, extra));
                    format!("grew array at {at} by {extra}")
                }
                J::Obj(o) => {
                    let (v, shown) = hostile(rng, strings);
                    let key = if strings.is_empty() {
                        "unknown".to_string()
                    } else {
                        rng.pick(strings).clone()
                    };
                    o.push((key.clone(), v));
                    format!("added key {key:?} = {shown} at {at}")
                }
                _ => {
                    *node = J::Null;
                    format!("nulled {at}")
                }
            }
        }
        _ => {
            let (v, shown) = hostile(rng, strings);
            *node_mut(root, &path) = v;
            format!("set {at} to {shown}")
        }
    }
}

/// A mutant of a JSON file: one to three structural edits (or, when `orig` is not JSON, a
/// byte edit).
pub fn json_mutant(orig: &[u8], rng: &mut Lcg, strings: &[String]) -> Mutant {
    let Ok(value) = serde_json::from_slice::<serde_json::Value>(orig) else {
        return crate::Bytes::new(orig).mutant(1, 2, rng);
    };
    let mut root = J::from_value(&value);
    let edits = 1 + rng.below(3) * rng.below(2);
    let what: Vec<String> = (0..edits)
        .map(|_| mutate_json(&mut root, rng, strings))
        .collect();
    Mutant {
        what: what.join("; "),
        bytes: root.to_text().into_bytes(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_and_edits() {
        let text = br#"{"a":[1,2,{"b":"c"}],"d":null}"#;
        let v: serde_json::Value = serde_json::from_slice(text).unwrap();
        assert_eq!(J::from_value(&v).to_text().as_bytes(), text);
        let mut rng = Lcg::new(3);
        let mut changed = 0;
        for _ in 0..200 {
            let m = json_mutant(text, &mut rng, &["b".into()]);
            changed += usize::from(m.bytes != text);
        }
        assert!(changed > 150, "{changed}");
    }
}
