//! report: tables, SVG plots and the paper's claims, measured, from runs and probe tables.
//! Writes `<out>/REPORT.md` with a CSV per table and an SVG per plot; prints the path of
//! REPORT.md and the claims table.

use std::path::PathBuf;

use anyhow::{Context, Result};
use clap::Parser;
use fewdims_report::{ReportConfig, Thresholds, build_report, claims_markdown};

/// Build the report from fine-tune runs, probe tables, CKA tables and cross-fine-tuning matrices.
#[derive(Parser, Debug)]
#[command(version)]
struct Args {
    /// Runs root: `<task>/<name>/run.json` and `cross/<name>/cross.parquet`.
    #[arg(long, default_value = "runs")]
    runs: PathBuf,
    /// Probes root: `<id>/<task>.parquet` and `cka/<a>_vs_<b>/<task>/<split>.parquet`.
    #[arg(long, default_value = "probes")]
    probes: PathBuf,
    /// The report dir (replaced as a whole).
    #[arg(long, default_value = "reports/main")]
    out: PathBuf,
    /// Title of REPORT.md (default: "fewdims report: <name of --out>").
    #[arg(long)]
    title: Option<String>,
    /// Only these tasks (comma-separated; default: every task found).
    #[arg(long, value_delimiter = ',')]
    tasks: Vec<String>,
    /// Top dim pairs listed and plotted per probe table.
    #[arg(long, default_value_t = 20)]
    top_pairs: usize,
    /// "≈" claims hold when the gap's 95% interval lies within ±this many points (0.01 of the metric).
    #[arg(long, default_value_t = Thresholds::default().margin)]
    margin_pts: f64,
    /// Freezing: the frozen encoder is "clearly worse" when the gap's interval lies below −this.
    #[arg(long, default_value_t = Thresholds::default().clearly_worse)]
    clearly_worse_pts: f64,
    /// Bootstrap replicates per interval.
    #[arg(long, default_value_t = Thresholds::default().resamples)]
    resamples: usize,
    /// Do not print the claims table (make prints it once, at the end of the main job).
    #[arg(long)]
    no_print_claims: bool,
    /// Also print the summary as JSON.
    #[arg(long)]
    json: bool,
    /// Only print one line per given run.json (best epoch, dev and test scores) and exit.
    #[arg(long, num_args = 1..)]
    summary: Vec<PathBuf>,
    /// Only print the claims section of an existing REPORT.md and exit.
    #[arg(long)]
    claims_of: Option<PathBuf>,
}

fn main() -> Result<()> {
    let args = Args::parse();
    if !args.summary.is_empty() {
        for path in &args.summary {
            println!("{}", fewdims_report::run_groups::summary_line(path)?);
        }
        return Ok(());
    }
    if let Some(md) = &args.claims_of {
        let text =
            std::fs::read_to_string(md).with_context(|| format!("reading {}", md.display()))?;
        let section = fewdims_report::claims_section(&text)
            .with_context(|| format!("{}: no claims section", md.display()))?;
        print!("{section}");
        return Ok(());
    }
    fewdims_schema::check_writable(&args.out)?;
    // One writer per output: refuse while another process (a second `make`) writes it.
    let _lock = fewdims_schema::OutputLock::acquire(&args.out)?;
    let mut cfg = ReportConfig::new(&args.runs, &args.probes, &args.out);
    if let Some(t) = args.title {
        cfg.title = t;
    }
    cfg.tasks = args.tasks;
    cfg.top_pairs = args.top_pairs;
    cfg.thresholds = Thresholds {
        margin: args.margin_pts,
        clearly_worse: args.clearly_worse_pts,
        resamples: args.resamples.max(100),
    };
    let summary = build_report(&cfg)
        .with_context(|| format!("building the report in {}", args.out.display()))?;
    println!("{}", summary.report.display());
    if !args.no_print_claims {
        println!();
        print!("{}", claims_markdown(&summary.claims));
    }
    for m in &summary.missing {
        eprintln!("missing ({}): {} — `{}`", m.section, m.what, m.make);
    }
    if args.json {
        println!("{}", serde_json::to_string_pretty(&summary)?);
    }
    Ok(())
}
