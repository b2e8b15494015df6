//! The report: reads fine-tune runs (`runs/<task>/<name>/run.json`), probe tables
//! (`probes/<id>/<task>.parquet`), CKA tables (`probes/cka/<a>_vs_<b>/<task>/<split>.parquet`) and
//! cross-fine-tuning matrices (`runs/cross/<name>/cross.parquet`), and writes `REPORT.md` with a
//! CSV per table and an SVG per plot into one report dir, as a whole (staged, then renamed).
//!
//! Missing inputs are not errors: their section says what is missing and which make target makes
//! it. Inputs that exist but break their contract are errors naming the file and field or column.
//! See `docs/report.md` for what each section and plot means and the verdict thresholds.

pub mod bootstrap;
pub mod claims;
pub mod cross;
mod doc;
mod error;
pub mod plot;
pub mod probes;
pub mod run_groups;
mod sections;
pub mod sources;
pub mod stats;

use std::path::{Path, PathBuf};

pub use claims::{Claim, Comparison, Thresholds, Verdict};
pub use doc::{Missing, md_table};
pub use error::ReportError;
pub use sections::claims::{CLAIMS_HEADING, claims_markdown, claims_section};

/// The report file inside the report dir.
pub const REPORT_FILE: &str = "REPORT.md";

/// What to read and where to write.
#[derive(Clone, Debug)]
pub struct ReportConfig {
    /// `runs/`: `<task>/<name>/run.json` and `cross/<name>/cross.parquet`.
    pub runs: PathBuf,
    /// `probes/`: `<id>/<task>.parquet` and `cka/<a>_vs_<b>/<task>/<split>.parquet`.
    pub probes: PathBuf,
    /// The report dir (`reports/<name>`), replaced as a whole.
    pub out: PathBuf,
    /// The title of REPORT.md.
    pub title: String,
    /// Only these tasks (all when empty).
    pub tasks: Vec<String>,
    /// How many top dim pairs to list and plot per probe table.
    pub top_pairs: usize,
    pub thresholds: Thresholds,
}

impl ReportConfig {
    /// Defaults for everything but the paths; the title names the report dir.
    pub fn new(
        runs: impl Into<PathBuf>,
        probes: impl Into<PathBuf>,
        out: impl Into<PathBuf>,
    ) -> Self {
        let out = out.into();
        let name = out
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| "report".into());
        ReportConfig {
            runs: runs.into(),
            probes: probes.into(),
            title: format!("fewdims report: {name}"),
            out,
            tasks: Vec::new(),
            top_pairs: 20,
            thresholds: Thresholds::default(),
        }
    }
}

/// What a finished report holds.
#[derive(Clone, Debug, serde::Serialize)]
pub struct ReportSummary {
    /// `<out>/REPORT.md`.
    pub report: PathBuf,
    pub out: PathBuf,
    /// Files in the report dir (CSV, SVG, REPORT.md), names relative to `out`.
    pub files: Vec<String>,
    pub claims: Vec<Claim>,
    /// Sections without their input.
    pub missing: Vec<Missing>,
    pub tasks: Vec<String>,
    /// How many runs (seeds counted), probe tables, CKA tables and cross matrices were read.
    pub counts: Counts,
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct Counts {
    pub runs: usize,
    /// Runs whose selected dev score is NaN or infinite (shown, never averaged).
    pub non_finite_runs: usize,
    pub run_groups: usize,
    pub probe_tables: usize,
    pub cka_tables: usize,
    pub cross_matrices: usize,
}

/// Everything read, shared by the sections.
#[derive(Debug)]
pub(crate) struct Inputs {
    pub runs_root: PathBuf,
    pub probes_root: PathBuf,
    pub groups: Vec<run_groups::RunGroup>,
    pub probes: Vec<probes::ProbeTable>,
    /// Head-ablation tables (`<id>/<task>-ablate.parquet`).
    pub ablations: Vec<probes::ProbeTable>,
    /// Control tables (`<id>/<task>-control<seed>.parquet`), with their seed.
    pub controls: Vec<(u64, probes::ProbeTable)>,
    pub cka: Vec<probes::CkaTable>,
    pub cross: Vec<cross::CrossTable>,
    /// Tasks seen in any input (or the configured ones), sorted.
    pub tasks: Vec<String>,
    /// run.json files of another format, skipped.
    pub stale_runs: Vec<PathBuf>,
}

impl Inputs {
    fn read(cfg: &ReportConfig) -> Result<Self, ReportError> {
        let keep = |t: &str| cfg.tasks.is_empty() || cfg.tasks.iter().any(|x| x == t);
        let (runs, stale_runs) = run_groups::scan_runs(&cfg.runs)?;
        let runs: Vec<run_groups::RunRecord> = runs.into_iter().filter(|r| keep(&r.task)).collect();
        let groups = run_groups::group_runs(runs);
        let tables = probes::scan_probes(&cfg.probes)?;
        let probes: Vec<_> = tables
            .probes
            .into_iter()
            .filter(|p| keep(&p.task))
            .collect();
        let ablations: Vec<_> = tables
            .ablations
            .into_iter()
            .filter(|p| keep(&p.task))
            .collect();
        let controls: Vec<_> = tables
            .controls
            .into_iter()
            .filter(|c| keep(&c.1.task))
            .collect();
        let cka: Vec<_> = probes::scan_cka(&cfg.probes)?
            .into_iter()
            .filter(|c| keep(&c.task))
            .collect();
        let cross = cross::scan_cross(&cfg.runs)?;
        let mut tasks: Vec<String> = groups
            .iter()
            .map(|g| g.task.clone())
            .chain(probes.iter().map(|p| p.task.clone()))
            .chain(cka.iter().map(|c| c.task.clone()))
            .chain(cfg.tasks.iter().cloned())
            .collect();
        tasks.sort();
        tasks.dedup();
        Ok(Inputs {
            stale_runs,
            runs_root: cfg.runs.clone(),
            probes_root: cfg.probes.clone(),
            groups,
            probes,
            ablations,
            controls,
            cka,
            cross,
            tasks,
        })
    }

    /// The main metric of a task's runs (or probe tables).
    pub fn main_metric(&self, task: &str) -> Option<&str> {
        self.groups
            .iter()
            .find(|g| g.task == task)
            .map(|g| g.main_metric())
            .or_else(|| {
                self.probes
                    .iter()
                    .find(|p| p.task == task)
                    .map(|p| p.main_metric())
            })
    }

    fn counts(&self) -> Counts {
        Counts {
            runs: self.groups.iter().map(|g| g.runs.len()).sum(),
            non_finite_runs: self.groups.iter().map(|g| g.non_finite()).sum(),
            run_groups: self.groups.len(),
            probe_tables: self.probes.len(),
            cka_tables: self.cka.len(),
            cross_matrices: self.cross.len(),
        }
    }
}

fn show_path(p: &Path) -> String {
    p.display().to_string()
}

/// Reads the inputs and writes the report dir `cfg.out` (replacing it).
pub fn build_report(cfg: &ReportConfig) -> Result<ReportSummary, ReportError> {
    let inp = Inputs::read(cfg)?;
    let claims = claims::claims(&inp, &cfg.thresholds);
    let counts = inp.counts();
    let mut d = doc::Doc::new(&cfg.out)?;
    d.md += &format!("# {}\n\n", cfg.title);
    d.para(&format!(
        "Reproducing *Few Dimensions are Enough: Fine-tuning BERT with Selected Dimensions Revealed Its \
         Redundant Nature* (arXiv:2504.04966). Inputs: `{}` ({} runs in {} configs), `{}` ({} probe tables, \
         {} CKA tables), {} cross-fine-tuning matrices. Tasks: {}. What each section means: `docs/report.md`.",
        show_path(&cfg.runs), counts.runs, counts.run_groups, show_path(&cfg.probes), counts.probe_tables,
        counts.cka_tables, counts.cross_matrices,
        if inp.tasks.is_empty() { "none".to_string() } else { inp.tasks.join(", ") }
    ));
    if counts.non_finite_runs > 0 {
        d.para(&format!(
            "**{} run(s) had no finite dev score** (NaN or infinite in every epoch, e.g. a \
             regression that predicts a constant): they are counted in the `seeds` columns as \
             non-finite and left out of every mean.",
            counts.non_finite_runs
        ));
    }
    // Where `test` is not a test split of its own (GLUE's dev, your dev file), say so up front.
    d.md += &sources::markdown(&sources::task_split_notes(&inp.groups));
    sections::claims::write(&mut d, &claims, &cfg.thresholds)?;
    sections::sweeps::write(&mut d, &inp)?;
    sections::probes::write_probes(&mut d, &inp, cfg.top_pairs)?;
    sections::probes::write_ablations(&mut d, &inp)?;
    sections::change::write_cka(&mut d, &inp)?;
    sections::cross::write_cross(&mut d, &inp)?;
    for path in &inp.stale_runs {
        let what = format!("{}: a run.json of another format (skipped)", path.display());
        d.missing("runs", &what, &format!("make {}", path.display()));
    }
    let missing = d.missing.clone();
    if !missing.is_empty() {
        d.h2("Missing inputs");
        let rows: Vec<Vec<String>> = missing
            .iter()
            .map(|m| vec![m.section.clone(), m.what.clone(), format!("`{}`", m.make)])
            .collect();
        d.table(&["section", "missing", "make"], &rows);
    }
    let files = d.publish(&cfg.out, REPORT_FILE)?;
    Ok(ReportSummary {
        report: cfg.out.join(REPORT_FILE),
        out: cfg.out.clone(),
        files,
        claims,
        missing,
        tasks: inp.tasks,
        counts,
    })
}
