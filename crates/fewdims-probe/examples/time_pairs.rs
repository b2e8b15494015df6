//! Times the all-pairs search on one layer of a hidden-state folder (for profiling the kernel
//! without the CLI): `time_pairs <hidden dir> <readout> <layer> [max pairs]`; env TOL sets the
//! Newton tolerance.

use std::time::Instant;

use fewdims_probe::data::HiddenSet;
use fewdims_probe::search::best;
use fewdims_probe::{Prober, Settings};
use fewdims_schema::probe::Method;

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if args.len() < 4 {
        eprintln!("usage: time_pairs <hidden dir> <readout> <layer> [max pairs]");
        std::process::exit(2);
    }
    let set = HiddenSet::open_dir(args[1].as_ref()).expect("hidden files");
    let layer: usize = args[3].parse().expect("layer");
    let t = Instant::now();
    let p = set.problem(&args[2], layer).expect("problem");
    println!(
        "load + standardize: {:.2} s (n train {}, h {})",
        t.elapsed().as_secs_f64(),
        p.train.x.n,
        p.h()
    );
    let tol = std::env::var("TOL")
        .ok()
        .map_or(1e-4, |t| t.parse().unwrap());
    let prober = Prober::new(
        &p,
        Settings {
            tol,
            ..Settings::default()
        },
    );
    let h = p.h();
    let max: usize = args
        .get(4)
        .map_or(usize::MAX, |m| m.parse().expect("max pairs"));
    let sets: Vec<Vec<usize>> = (0..h)
        .flat_map(|i| (i + 1..h).map(move |j| vec![i, j]))
        .take(max)
        .collect();
    let t = Instant::now();
    prober.many(Method::Single, &[vec![0]], &|_| {});
    println!("gram: {:.2} s", t.elapsed().as_secs_f64());
    let t = Instant::now();
    let rs = prober.many(Method::Pair, &sets, &|_| {});
    let s = t.elapsed().as_secs_f64();
    println!(
        "{} pairs in {s:.2} s: {:.1} us/probe on {} threads",
        rs.len(),
        s * 1e6 / rs.len() as f64,
        rayon::current_num_threads()
    );
    let b = best(&rs).expect("a pair");
    println!(
        "best pair {:?}: dev {:.4} test {:.4}",
        b.dims, b.dev[0], b.test[0]
    );
    let t = Instant::now();
    let f = prober.full();
    println!(
        "full: dev {:.4} test {:.4} in {:.2} s",
        f.dev[0],
        f.test[0],
        t.elapsed().as_secs_f64()
    );
}
