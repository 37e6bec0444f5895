//! Criterion benchmarks of every rung's kernel at a small size (set-up excluded).
//! `cargo bench` ; compare rungs as ratios within one run.

use std::hint::black_box;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use ladder::rungs::{self, Context, Isa, Native, Neighbours, Output, OutputKind, Rung, SimMatrix};
use ladder::workload::{Distribution, generate};

fn kernels(c: &mut Criterion) {
    let (n, d) = (384, 256);
    let x = generate(Distribution::Normal, n, d, 0).expect("workload");
    // The ladder as dispatched, plus the native kernel at every other ISA this CPU runs.
    let mut rungs: Vec<(String, Box<dyn Rung>)> = rungs::ladder()
        .into_iter()
        .chain(rungs::extras().into_iter().filter(|r| r.info().id == "ann"))
        .map(|r| (r.info().id.to_string(), r))
        .collect();
    for isa in Isa::available().into_iter().skip(1) {
        rungs.push((format!("native-{isa}"), Box::new(Native::with_isa(isa))));
    }
    let mut group = c.benchmark_group(format!("kernel n={n} d={d}"));
    group.sample_size(10);
    group.throughput(Throughput::Elements((n * n) as u64));
    for (name, rung) in &rungs {
        let mut kernel = rung.prepare(&x, &Context::default()).expect("prepare");
        let mut out = match rung.output() {
            OutputKind::Full => Output::Full(SimMatrix::new(n)),
            OutputKind::TopK => Output::TopK(Neighbours::new(n, 10)),
        };
        group.bench_function(name.as_str(), |b| {
            b.iter(|| {
                kernel.rows(0..n, &mut out);
                black_box(&out);
            });
        });
    }
    group.finish();
}

/// The approximate index's build: most of what `ann` costs, and set-up, so the kernels above
/// leave it out.
fn ann_build(c: &mut Criterion) {
    let (n, d) = (2000, 128);
    let x = generate(Distribution::Clustered, n, d, 0).expect("workload");
    let ann = rungs::ann::Ann::default();
    let mut group = c.benchmark_group(format!("ann build n={n} d={d}"));
    group.sample_size(10);
    group.throughput(Throughput::Elements(n as u64));
    group.bench_function("ann", |b| {
        b.iter(|| black_box(ann.prepare(&x, &Context::default()).expect("prepare")));
    });
    group.finish();
}

criterion_group!(benches, kernels, ann_build);
criterion_main!(benches);
