//! The readout, head and freezing vocabulary shared by every stage and the report
//! (`shared/DESIGN.md`): `--layer`, `--token` ([`ReadoutKind`], its own table), `--dims`,
//! `--head`, `--freeze`.

use std::fmt;
use std::str::FromStr;

pub use crate::readout_kind::ReadoutKind;

/// A flag value that does not parse, with what was expected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{value}` is not a valid {flag}: expected {expected}")]
pub struct VocabError {
    pub flag: &'static str,
    pub value: String,
    pub expected: String,
}

pub(crate) fn err(flag: &'static str, value: &str, expected: impl Into<String>) -> VocabError {
    VocabError {
        flag,
        value: value.into(),
        expected: expected.into(),
    }
}

/// `--layer`: 0..=L (0 is the embeddings), negatives count from the top (-1 = last).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Layer(pub i32);

impl Layer {
    /// The index into the L+1 hidden states, or an error naming the valid range.
    pub fn resolve(self, num_layers: usize) -> Result<usize, String> {
        let n = num_layers as i32 + 1;
        let idx = if self.0 < 0 { n + self.0 } else { self.0 };
        if (0..n).contains(&idx) {
            Ok(idx as usize)
        } else {
            Err(format!(
                "--layer {} is out of range: the model has hidden layers 0..={num_layers} (or -1..=-{n})",
                self.0
            ))
        }
    }
}

impl FromStr for Layer {
    type Err = VocabError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        s.trim()
            .parse()
            .map(Layer)
            .map_err(|_| err("--layer", s, "an integer: 0..L, or -1 for the last"))
    }
}

impl fmt::Display for Layer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

/// `--dims`: which dimensions of the readout vector reach the head (the rest are zeroed).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Dims {
    All,
    List(Vec<usize>),
    First(usize),
    /// K dims drawn without replacement: `random:K` draws with the run's seed, so each seed of a
    /// run draws its own dims; `random:K:S` pins the draw to seed S.
    Random {
        k: usize,
        seed: Option<u64>,
    },
}

impl Dims {
    /// The selected dims (sorted, unique) for hidden size `h`, or an error for dims ≥ H.
    /// `run_seed` is the draw's seed for an unpinned `random:K`.
    pub fn resolve(&self, h: usize, run_seed: u64) -> Result<Vec<usize>, String> {
        let dims = match self {
            Dims::All => (0..h).collect(),
            Dims::List(list) => {
                let mut v = list.clone();
                v.sort_unstable();
                v.dedup();
                v
            }
            Dims::First(k) => (0..*k).collect(),
            Dims::Random { k, seed } => random_subset(h, *k, seed.unwrap_or(run_seed)),
        };
        if dims.is_empty() {
            return Err(format!("--dims {self} selects no dimension"));
        }
        if let Some(&bad) = dims.iter().find(|&&d| d >= h) {
            return Err(format!(
                "--dims {self}: dim {bad} is out of range for hidden size {h} (dims are 0..{h})"
            ));
        }
        if matches!(self, Dims::First(k) | Dims::Random { k, .. } if *k > h) {
            return Err(format!(
                "--dims {self} asks for more dims than the hidden size {h}"
            ));
        }
        Ok(dims)
    }
}

/// K distinct dims out of 0..h, sorted, from a splitmix64 stream (stable across platforms).
fn random_subset(h: usize, k: usize, seed: u64) -> Vec<usize> {
    let mut state = seed ^ 0x9E37_79B9_7F4A_7C15;
    let mut next = || {
        state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = state;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    };
    let mut pool: Vec<usize> = (0..h).collect();
    let k = k.min(h);
    for i in 0..k {
        let j = i + (next() % (h - i) as u64) as usize;
        pool.swap(i, j);
    }
    let mut out = pool[..k].to_vec();
    out.sort_unstable();
    out
}

impl FromStr for Dims {
    type Err = VocabError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        const EXPECTED: &str = "all, list:I,J,..., first:K or random:K[:SEED]";
        let bad = || err("--dims", s, EXPECTED);
        let s2 = s.trim();
        if s2 == "all" {
            return Ok(Dims::All);
        }
        if let Some(list) = s2.strip_prefix("list:") {
            let dims: Result<Vec<usize>, _> = list.split(',').map(|d| d.trim().parse()).collect();
            return dims.map(Dims::List).map_err(|_| bad());
        }
        if let Some(k) = s2.strip_prefix("first:") {
            return k.parse().map(Dims::First).map_err(|_| bad());
        }
        if let Some(rest) = s2.strip_prefix("random:") {
            let mut parts = rest.splitn(2, ':');
            let k = parts.next().and_then(|k| k.parse().ok()).ok_or_else(bad)?;
            let seed = match parts.next() {
                Some(seed) => Some(seed.parse().map_err(|_| bad())?),
                None => None,
            };
            return Ok(Dims::Random { k, seed });
        }
        Err(bad())
    }
}

impl fmt::Display for Dims {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Dims::All => f.write_str("all"),
            Dims::List(v) => {
                let v: Vec<String> = v.iter().map(|d| d.to_string()).collect();
                write!(f, "list:{}", v.join(","))
            }
            Dims::First(k) => write!(f, "first:{k}"),
            Dims::Random { k, seed: None } => write!(f, "random:{k}"),
            Dims::Random { k, seed: Some(s) } => write!(f, "random:{k}:{s}"),
        }
    }
}

/// `--head`: one FC layer, or two (the paper's frozen setting).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Head {
    Linear,
    Mlp,
}

impl FromStr for Head {
    type Err = VocabError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim() {
            "linear" => Ok(Head::Linear),
            "mlp" => Ok(Head::Mlp),
            _ => Err(err("--head", s, "linear or mlp")),
        }
    }
}

impl fmt::Display for Head {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Head::Linear => "linear",
            Head::Mlp => "mlp",
        })
    }
}

/// `--freeze`: which encoder parameters stay fixed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Freeze {
    None,
    /// The whole encoder.
    All,
    Embeddings,
    /// The embeddings and layers 1..=N (hidden layers below N+1).
    Below(usize),
}

impl FromStr for Freeze {
    type Err = VocabError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let bad = || err("--freeze", s, "none, all, embeddings or below:N");
        match s.trim() {
            "none" => Ok(Freeze::None),
            "all" => Ok(Freeze::All),
            "embeddings" => Ok(Freeze::Embeddings),
            other => other
                .strip_prefix("below:")
                .and_then(|n| n.parse().ok())
                .map(Freeze::Below)
                .ok_or_else(bad),
        }
    }
}

impl fmt::Display for Freeze {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Freeze::None => f.write_str("none"),
            Freeze::All => f.write_str("all"),
            Freeze::Embeddings => f.write_str("embeddings"),
            Freeze::Below(n) => write!(f, "below:{n}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips() {
        for s in ["cls", "max-norm", "mean", "pos:3", "pooler"] {
            assert_eq!(s.parse::<ReadoutKind>().unwrap().to_string(), s);
        }
        for s in ["all", "list:17,305", "first:2", "random:3:7", "random:2"] {
            assert_eq!(s.parse::<Dims>().unwrap().to_string(), s);
        }
        for s in ["none", "all", "embeddings", "below:3"] {
            assert_eq!(s.parse::<Freeze>().unwrap().to_string(), s);
        }
        assert_eq!(
            "random:2".parse::<Dims>().unwrap(),
            Dims::Random { k: 2, seed: None }
        );
    }

    #[test]
    fn rejects_with_expectations() {
        let e = "pos:x".parse::<ReadoutKind>().unwrap_err();
        assert!(e.to_string().contains("pos:N"), "{e}");
        assert!("list:1,a".parse::<Dims>().is_err());
        assert!("below:".parse::<Freeze>().is_err());
    }

    #[test]
    fn resolves_layers_and_dims() {
        assert_eq!(Layer(-1).resolve(6), Ok(6));
        assert_eq!(Layer(0).resolve(6), Ok(0));
        assert_eq!(Layer(-7).resolve(6), Ok(0));
        assert!(Layer(7).resolve(6).unwrap_err().contains("0..=6"));
        assert!(
            Dims::List(vec![384])
                .resolve(384, 0)
                .unwrap_err()
                .contains("out of range")
        );
        let pinned = |s| Dims::Random {
            k: 3,
            seed: Some(s),
        };
        let r = pinned(5).resolve(384, 0).unwrap();
        assert_eq!(r.len(), 3);
        assert_eq!(
            r,
            pinned(5).resolve(384, 99).unwrap(),
            "pinned: the run seed is ignored"
        );
        assert_ne!(r, pinned(6).resolve(384, 0).unwrap());
        let free = Dims::Random { k: 3, seed: None };
        assert_eq!(
            free.resolve(384, 5).unwrap(),
            r,
            "unpinned: the run's seed draws"
        );
        assert_ne!(free.resolve(384, 1).unwrap(), free.resolve(384, 2).unwrap());
    }
}
