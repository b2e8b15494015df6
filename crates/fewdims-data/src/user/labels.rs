//! Labels of a user's task: the kind and the class order, decided from train and the flags,
//! and each row turned into an [`Item`] with errors naming the file, row and column.
//!
//! - `--kind regression`, or labels that are all numbers but not all integers: regression.
//! - `--label-names a,b,c`, or a `datasets` ClassLabel: those classes, in that order; a label
//!   is a class name, or else an integer index into the names.
//! - integer labels: classes are train's distinct values in numeric order, named by them.
//! - any other labels: classes are train's distinct labels (trimmed) in byte order (`Ord` of
//!   `str`: uppercase before lowercase, `neg` before `pos`).
//!
//! With classes taken from train, a dev or test label that train lacks is an error.

use super::table::{At, Cell, ID, LABEL, RawTable, TEXT_A, TEXT_B, Wanted};
use crate::error::{DataError, Result};
use crate::registry::TaskKind;
use crate::taskfile::{Item, Label};
use std::collections::{BTreeSet, HashMap};
use std::path::Path;

/// More classes than this means `--label` names a text column, or the labels are scores.
pub const MAX_CLASSES: usize = 1000;

#[derive(Debug, Clone, PartialEq)]
enum Rule {
    Regression,
    /// Train's distinct integers, sorted.
    Ints(Vec<i64>),
    /// Train's distinct label texts, sorted (the names).
    Texts,
    /// Given names: a label is a name or an index.
    Named,
}

/// The decided kind and classes of a task, and how a label cell maps to a class.
#[derive(Debug, Clone)]
pub struct Labels {
    pub kind: TaskKind,
    pub names: Vec<String>,
    /// Where the classes come from, for the notes.
    pub origin: String,
    rule: Rule,
}

/// Decides the labels from the flags, the ClassLabel metadata and train's label cells.
pub fn decide(
    kind: Option<TaskKind>,
    label_names: Option<&[String]>,
    train: &[RawTable],
    column: &str,
) -> Result<Labels> {
    let path = &train[0].path;
    let class_names = train.iter().find_map(|t| t.class_names.clone());
    let labels = || {
        train
            .iter()
            .flat_map(|t| t.rows.iter().map(|r| &r.cells[LABEL]))
    };
    let named = |names: Vec<String>, origin: String| Labels {
        kind: TaskKind::Classification,
        names,
        origin,
        rule: Rule::Named,
    };
    let regression = |origin: &str| Labels {
        kind: TaskKind::Regression,
        names: Vec::new(),
        origin: origin.into(),
        rule: Rule::Regression,
    };
    let decided = match (kind, label_names, class_names) {
        (Some(TaskKind::Regression), Some(_), _) => {
            return Err(DataError::flag(
                "--label-names",
                "names classes; a regression task has none",
            ));
        }
        (Some(TaskKind::Regression), None, _) => regression("--kind regression"),
        (_, Some(names), Some(cl)) if names.len() != cl.len() => {
            return Err(DataError::flag(
                "--label-names",
                format!(
                    "gives {} names, but the ClassLabel of `{column}` has {}: {cl:?}",
                    names.len(),
                    cl.len()
                ),
            ));
        }
        (_, Some(names), _) => named(names.to_vec(), "--label-names".into()),
        (_, None, Some(cl)) => named(cl, format!("the `datasets` ClassLabel of `{column}`")),
        (_, None, None) => {
            let present: Vec<&Cell> = labels().filter(|c| c.text().is_some()).collect();
            let ints: Option<BTreeSet<i64>> = present.iter().map(|c| c.int()).collect();
            let numeric = present.iter().all(|c| c.float().is_some());
            match ints {
                Some(ints) if !ints.is_empty() => Labels {
                    kind: TaskKind::Classification,
                    names: ints.iter().map(i64::to_string).collect(),
                    origin: "train's integer labels, in numeric order".into(),
                    rule: Rule::Ints(ints.into_iter().collect()),
                },
                _ if numeric && kind.is_none() && !present.is_empty() => {
                    regression("numeric labels (not all integers)")
                }
                _ => {
                    let names: BTreeSet<String> = present.iter().filter_map(|c| c.text()).collect();
                    Labels {
                        kind: TaskKind::Classification,
                        names: names.into_iter().collect(),
                        origin: "train's labels, in byte order".into(),
                        rule: Rule::Texts,
                    }
                }
            }
        }
    };
    if decided.kind == TaskKind::Classification {
        let n = decided.names.len();
        if n > MAX_CLASSES {
            return Err(DataError::column(
                path,
                column,
                format!(
                    "{n} distinct labels in train (more than {MAX_CLASSES}): is it a text column? \
                     For scores, pass --kind regression"
                ),
            ));
        }
        if n == 0 {
            return Err(DataError::column(
                path,
                column,
                "every label in train is empty",
            ));
        }
        if n < 2 {
            return Err(DataError::column(
                path,
                column,
                format!(
                    "train has {n} class(es) {:?}; a classifier needs two (--label-names names \
                     classes train lacks)",
                    decided.names
                ),
            ));
        }
        let mut seen = BTreeSet::new();
        for name in &decided.names {
            if name.trim().is_empty() || !seen.insert(name) {
                let msg = format!(
                    "class name `{name}` from {} is empty or repeated",
                    decided.origin
                );
                return Err(DataError::flag("--label-names", msg));
            }
        }
    }
    Ok(decided)
}

impl Labels {
    /// The label of one cell of `table`.
    pub fn label(&self, table: &RawTable, at: At, column: &str, cell: &Cell) -> Result<Label> {
        let err = |msg: String| DataError::cell(&table.path, at.to_string(), column, msg);
        let Some(text) = cell.text() else {
            return Err(err(empty(cell)));
        };
        let class = |i: usize| Ok(Label::Class(i as i64));
        match &self.rule {
            Rule::Regression => cell.float().map(|f| Label::Score(f as f32)).ok_or_else(|| {
                err(format!(
                    "{} is not a finite number (regression labels)",
                    cell.describe()
                ))
            }),
            Rule::Ints(values) => match cell.int().map(|v| values.binary_search(&v)) {
                Some(Ok(i)) => class(i),
                _ => Err(err(self.not_in_train(cell))),
            },
            Rule::Texts => match self.names.binary_search(&text) {
                Ok(i) => class(i),
                Err(_) => Err(err(self.not_in_train(cell))),
            },
            Rule::Named => {
                if let Some(i) = self.names.iter().position(|n| *n == text) {
                    return class(i);
                }
                match cell.int() {
                    Some(i) if (0..self.names.len() as i64).contains(&i) => class(i as usize),
                    Some(-1) if table.from_datasets => Err(err(
                        "-1 marks a hidden label (as `datasets` writes them); only a whole test \
                         split may be unlabelled"
                            .into(),
                    )),
                    _ => Err(err(format!(
                        "{} is neither a class name ({}) nor an index 0..{}",
                        cell.describe(),
                        short_list(&self.names),
                        self.names.len() - 1
                    ))),
                }
            }
        }
    }

    fn not_in_train(&self, cell: &Cell) -> String {
        format!(
            "{} is not a label of train (classes: {}); name every class with --label-names",
            cell.describe(),
            short_list(&self.names)
        )
    }
}

fn empty(cell: &Cell) -> String {
    match cell {
        Cell::Missing => "missing (the key is absent from this line)".into(),
        _ => "is empty".into(),
    }
}

fn short_list(names: &[String]) -> String {
    if names.len() <= 12 {
        names.join(", ")
    } else {
        format!("{}, ... ({} in all)", names[..12].join(", "), names.len())
    }
}

/// A test split of a `datasets` export whose labels are all -1 (or null): hidden labels.
pub fn is_unlabelled(tables: &[RawTable]) -> bool {
    tables.iter().all(|t| t.from_datasets)
        && tables
            .iter()
            .flat_map(|t| &t.rows)
            .all(|r| matches!(&r.cells[LABEL], Cell::Null) || r.cells[LABEL].float() == Some(-1.0))
}

/// The items of one split (its shards in order). Texts must be non-empty text; ids (with
/// `--id`) whole numbers in 0..2^32, unique within the split; without `--id`, the 0-based row
/// number across the shards.
pub fn items(tables: &[RawTable], labels: &Labels, wanted: &Wanted) -> Result<Vec<Item>> {
    let mut out = Vec::new();
    let mut ids: HashMap<u32, (usize, At)> = HashMap::new();
    for (t, table) in tables.iter().enumerate() {
        for row in &table.rows {
            let name = |k: usize| wanted[k].as_deref().unwrap_or_default();
            let text_a = text(&table.path, row.at, name(TEXT_A), &row.cells[TEXT_A])?;
            let text_b = match wanted[TEXT_B] {
                Some(_) => Some(text(&table.path, row.at, name(TEXT_B), &row.cells[TEXT_B])?),
                None => None,
            };
            let label = labels.label(table, row.at, name(LABEL), &row.cells[LABEL])?;
            let idx = match wanted[ID] {
                Some(_) => id(&table.path, row.at, name(ID), &row.cells[ID])?,
                None => u32::try_from(out.len()).map_err(|_| {
                    DataError::source(&table.path, "more than 2^32 rows in one split")
                })?,
            };
            if let Some((ft, fat)) = ids.insert(idx, (t, row.at)) {
                let where_ = if ft == t {
                    fat.to_string()
                } else {
                    format!("{fat} of {}", tables[ft].path.display())
                };
                return Err(DataError::cell(
                    &table.path,
                    row.at.to_string(),
                    name(ID),
                    format!(
                        "id {idx} repeats (first at {where_}); ids must be unique within a split"
                    ),
                ));
            }
            out.push(Item {
                idx,
                text_a,
                text_b,
                label,
            });
        }
    }
    Ok(out)
}

fn text(path: &Path, at: At, column: &str, cell: &Cell) -> Result<String> {
    match cell {
        Cell::Text(s) if !s.trim().is_empty() => Ok(s.clone()),
        Cell::Text(_) | Cell::Null | Cell::Missing => {
            Err(DataError::cell(path, at.to_string(), column, empty(cell)))
        }
        other => Err(DataError::cell(
            path,
            at.to_string(),
            column,
            format!("expected text, found {}", other.describe()),
        )),
    }
}

fn id(path: &Path, at: At, column: &str, cell: &Cell) -> Result<u32> {
    let v = match cell {
        Cell::Int(i) => u32::try_from(*i).ok(),
        Cell::Text(s) => s.trim().parse::<u32>().ok(),
        // pandas turns an integer column with gaps into floats
        Cell::Float(f) if f.fract() == 0.0 && (0.0..=u32::MAX as f64).contains(f) => {
            Some(*f as u32)
        }
        _ => None,
    };
    v.ok_or_else(|| {
        let msg = match cell {
            Cell::Null | Cell::Missing => empty(cell),
            Cell::Text(s) if s.trim().is_empty() => empty(cell),
            _ => format!(
                "{} is not an id (a whole number in 0..2^32); leave out --id to number the rows",
                cell.describe()
            ),
        };
        DataError::cell(path, at.to_string(), column, msg)
    })
}
