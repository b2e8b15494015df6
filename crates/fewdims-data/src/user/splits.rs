//! A user's splits -> our train, dev and test. Selection (dev) and the reported number (test)
//! never share items, so by the labelled splits given:
//!
//! | given | train | dev | test |
//! |---|---|---|---|
//! | one file, or train only | 80% | 10% | 10% (deduplicated, then by text hash, as the built-in tasks) |
//! | train, test | 90% of train | 10% of train by text hash | test |
//! | train, dev | 90% of train | 10% of train by text hash | the given dev (as for GLUE) |
//! | train, dev, test | train | dev | test |

use super::labels::{self, Labels};
use super::table::Wanted;
use super::{ReadSplit, UserTask};
use crate::error::{DataError, Result};
use crate::meta::TaskMeta;
use crate::split::{HELD_OUT_PERCENT, assign, dedup, is_held_out};
use crate::taskfile::{Item, TaskSplit};
use std::path::PathBuf;

struct Got {
    items: Vec<Item>,
    source: PathBuf,
    sha256: String,
}

/// Converts every read split to items and arranges them (see the module doc).
pub(super) fn arrange(
    task: &UserTask,
    read: Vec<ReadSplit>,
    labels: &Labels,
    wanted: &Wanted,
    notes: &mut Vec<String>,
) -> Result<Vec<TaskSplit>> {
    let mut got: Vec<(&'static str, Got)> = Vec::new();
    for r in read {
        let items = labels::items(&r.tables, labels, wanted)?;
        let g = Got {
            items,
            source: r.source,
            sha256: r.sha256,
        };
        got.push((r.ours, g));
    }
    let mut take = |name: &str| {
        got.iter()
            .position(|(n, _)| *n == name)
            .map(|i| got.remove(i).1)
    };
    let train = take("train").expect("train is always read");
    let (dev, test) = (take("dev"), take("test"));
    let split = |name: &str, g: &Got, items: Vec<Item>| TaskSplit {
        meta: TaskMeta::for_user(task, name, &g.source, &g.sha256),
        items,
    };
    let mut train = train;
    let train_items = std::mem::take(&mut train.items);
    let out = match (dev, test) {
        (None, None) => {
            let read = train_items.len();
            let (items, stats) = dedup(train_items);
            notes.push(format!(
                "{read} rows read; {} duplicate(s) dropped; {} row(s) with conflicting labels dropped",
                stats.duplicates, stats.conflicting
            ));
            notes.push(
                "train, dev and test are 80/10/10 by text hash, as for the built-in tasks".into(),
            );
            let mut out = Vec::new();
            for (name, items) in assign(items) {
                if items.is_empty() {
                    return Err(DataError::EmptySplit {
                        path: train.source.clone(),
                        split: name.into(),
                        why: format!(
                            " after the 80/10/10 text-hash split of {read} rows; add rows"
                        ),
                    });
                }
                out.push(split(name, &train, items));
            }
            out
        }
        (None, Some(mut test)) => {
            let test_items = std::mem::take(&mut test.items);
            let (kept, held) = hold_out(&train, train_items)?;
            notes.push(held_note(held.len(), kept.len()));
            vec![
                split("train", &train, kept),
                split("dev", &train, held),
                split("test", &test, test_items),
            ]
        }
        (Some(mut dev), None) => {
            let dev_items = std::mem::take(&mut dev.items);
            let (kept, held) = hold_out(&train, train_items)?;
            notes.push(held_note(held.len(), kept.len()));
            notes.push(format!(
                "`test` is the given dev ({}): with no labelled test split, as for GLUE",
                dev.source.display()
            ));
            vec![
                split("train", &train, kept),
                split("dev", &train, held),
                split("test", &dev, dev_items),
            ]
        }
        (Some(mut dev), Some(mut test)) => {
            let (dev_items, test_items) = (
                std::mem::take(&mut dev.items),
                std::mem::take(&mut test.items),
            );
            vec![
                split("train", &train, train_items),
                split("dev", &dev, dev_items),
                split("test", &test, test_items),
            ]
        }
    };
    Ok(out)
}

fn held_note(held: usize, kept: usize) -> String {
    format!(
        "`dev` is {held} rows of train held out by text hash ({HELD_OUT_PERCENT}%; selection), \
         `train` the other {kept}"
    )
}

/// Train split into (kept, held out) by [`is_held_out`] of `text_a`.
fn hold_out(train: &Got, items: Vec<Item>) -> Result<(Vec<Item>, Vec<Item>)> {
    let (held, kept): (Vec<Item>, Vec<Item>) =
        items.into_iter().partition(|i| is_held_out(&i.text_a));
    if held.is_empty() || kept.is_empty() {
        return Err(DataError::EmptySplit {
            path: train.source.clone(),
            split: if held.is_empty() { "dev" } else { "train" }.into(),
            why: format!(
                " when {HELD_OUT_PERCENT}% of train is held out by text hash as `dev` ({} rows \
                 held out, {} kept); add rows or give a dev file",
                held.len(),
                kept.len()
            ),
        });
    }
    Ok((kept, held))
}
