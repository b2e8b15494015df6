//! `--token` / `--readouts`: which token vector of a layer is read. [`READOUT_KINDS`] is the one
//! table of readout kinds: parsing, printing, help and error texts, and the hidden-file
//! metadata check all come from it. Adding a kind: a row here and a variant, its two read paths
//! in `fewdims_bert::readout` (device and host), a test, and a line in docs/extract.md.

use std::fmt;
use std::str::FromStr;

use crate::vocab::{VocabError, err};

/// Which token vector feeds a head or a probe.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ReadoutKind {
    /// The first token ([CLS]).
    Cls,
    /// The token vector of largest L2 norm, padding excluded (the paper's "max-pooling").
    MaxNorm,
    /// The masked mean over real tokens.
    Mean,
    /// Position N (clamped to the last real token of shorter sequences).
    Pos(usize),
    /// BERT's pooler output (needs a checkpoint with a pooler; last layer only).
    Pooler,
}

/// One row of [`READOUT_KINDS`].
#[derive(Clone, Copy, Debug)]
pub struct ReadoutKindSpec {
    /// The kind (`Pos(0)` stands for every `pos:N`).
    pub kind: ReadoutKind,
    /// The flag spelling; `pos:N` stands for `pos:0`, `pos:1`, ...
    pub name: &'static str,
    pub about: &'static str,
    /// Read at the last layer only (a hidden file holds one layer of it).
    pub last_layer_only: bool,
}

const fn spec(
    kind: ReadoutKind,
    name: &'static str,
    about: &'static str,
    last_layer_only: bool,
) -> ReadoutKindSpec {
    ReadoutKindSpec {
        kind,
        name,
        about,
        last_layer_only,
    }
}

/// Every readout kind, in the order help texts list them.
pub const READOUT_KINDS: [ReadoutKindSpec; 5] = [
    spec(ReadoutKind::Cls, "cls", "the first token ([CLS])", false),
    spec(
        ReadoutKind::MaxNorm,
        "max-norm",
        "the token vector of largest L2 norm, padding excluded",
        false,
    ),
    spec(
        ReadoutKind::Mean,
        "mean",
        "the mean over real tokens",
        false,
    ),
    spec(
        ReadoutKind::Pos(0),
        "pos:N",
        "the token at position N (the last real one if shorter)",
        false,
    ),
    spec(
        ReadoutKind::Pooler,
        "pooler",
        "BERT's pooler output (needs a pooler; last layer only)",
        true,
    ),
];

const POS_PREFIX: &str = "pos:";

impl ReadoutKind {
    /// Its row of [`READOUT_KINDS`] (the row of its variant).
    pub fn spec(self) -> &'static ReadoutKindSpec {
        let variant = std::mem::discriminant(&self);
        READOUT_KINDS
            .iter()
            .find(|k| std::mem::discriminant(&k.kind) == variant)
            .expect("every variant has a row in READOUT_KINDS")
    }

    /// `cls, max-norm, mean, pos:N or pooler`, for error texts.
    pub fn expected() -> String {
        let names: Vec<&str> = READOUT_KINDS.iter().map(|k| k.name).collect();
        let (last, rest) = names.split_last().expect("a kind");
        format!("{} or {last}", rest.join(", "))
    }

    /// One line per kind (`name: about`), for help texts.
    pub fn help() -> String {
        let lines: Vec<String> = READOUT_KINDS
            .iter()
            .map(|k| format!("{}: {}", k.name, k.about))
            .collect();
        lines.join("; ")
    }

    /// How many layers of this readout a hidden file of `layers` (= L+1) layers holds.
    pub fn layers_in_file(self, layers: usize) -> usize {
        if self.spec().last_layer_only {
            1
        } else {
            layers
        }
    }
}

impl FromStr for ReadoutKind {
    type Err = VocabError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let t = s.trim();
        if let Some(n) = t.strip_prefix(POS_PREFIX) {
            return n
                .parse()
                .map(ReadoutKind::Pos)
                .map_err(|_| err("--token", s, Self::expected()));
        }
        READOUT_KINDS
            .iter()
            .find(|k| k.name == t && !matches!(k.kind, ReadoutKind::Pos(_)))
            .map(|k| k.kind)
            .ok_or_else(|| err("--token", s, Self::expected()))
    }
}

impl fmt::Display for ReadoutKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ReadoutKind::Pos(n) => write!(f, "{POS_PREFIX}{n}"),
            k => f.write_str(k.spec().name),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_kind_round_trips_through_its_table_row() {
        for (s, k) in [
            ("cls", ReadoutKind::Cls),
            ("max-norm", ReadoutKind::MaxNorm),
            ("mean", ReadoutKind::Mean),
            ("pos:3", ReadoutKind::Pos(3)),
            ("pooler", ReadoutKind::Pooler),
        ] {
            assert_eq!(s.parse::<ReadoutKind>().unwrap(), k);
            assert_eq!(k.to_string(), s);
            let name = if let ReadoutKind::Pos(_) = k {
                "pos:N"
            } else {
                s
            };
            assert_eq!(k.spec().name, name);
            assert_eq!(
                std::mem::discriminant(&k.spec().kind),
                std::mem::discriminant(&k)
            );
        }
        assert_eq!(
            ReadoutKind::expected(),
            "cls, max-norm, mean, pos:N or pooler"
        );
        let e = "pos:x".parse::<ReadoutKind>().unwrap_err().to_string();
        assert!(e.contains("pos:N or pooler"), "{e}");
        assert!("pos:N".parse::<ReadoutKind>().is_err() && "Cls".parse::<ReadoutKind>().is_err());
        assert!(ReadoutKind::help().contains("pooler: BERT's pooler output"));
        assert_eq!(ReadoutKind::Pooler.layers_in_file(7), 1);
        assert_eq!(ReadoutKind::Mean.layers_in_file(7), 7);
    }
}
