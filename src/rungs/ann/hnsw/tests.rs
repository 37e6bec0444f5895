use super::*;
use crate::workload::{Distribution, generate};

/// Nodes a walk from the entry can reach on layer 0.
fn reachable(h: &Hnsw, n: usize) -> usize {
    let mut seen = vec![false; n];
    let mut stack = vec![h.entry];
    seen[h.entry as usize] = true;
    let mut out = Vec::new();
    while let Some(v) = stack.pop() {
        h.graph.copy(v, 0, &mut out);
        for &j in &out {
            if !std::mem::replace(&mut seen[j as usize], true) {
                stack.push(j);
            }
        }
    }
    seen.iter().filter(|&&s| s).count()
}

fn build(n: usize, d: usize, m: usize, threads: usize) -> Hnsw {
    let x = generate(Distribution::Clustered, n, d, n as u64).unwrap();
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .unwrap();
    let shape = Shape {
        m,
        ef_construction: 4 * m,
    };
    pool.install(|| Hnsw::build(&x, shape, Isa::detect(), threads, None))
        .expect("not cancelled")
}

#[test]
fn every_node_is_reachable_and_every_list_well_formed() {
    // Small M and several threads orphan nodes most often (found here at 5 of 300).
    for (n, d) in [(1, 3), (2, 3), (300, 20), (613, 65), (3000, 48)] {
        for m in [2, 4, 16] {
            for threads in [1, 3] {
                let mut h = build(n, d, m, threads);
                assert_eq!(reachable(&h, n), n, "n {n} d {d} m {m} threads {threads}");
                assert_eq!(
                    h.connect(4 * m, &mut Scratch::new(n)),
                    0,
                    "already connected"
                );
                let mut out = Vec::new();
                for v in 0..n as u32 {
                    for layer in 0..=h.top {
                        if layer > 0 && h.graph.upper[v as usize].len() < layer * (m + 1) {
                            continue;
                        }
                        h.graph.copy(v, layer, &mut out);
                        let most = if layer == 0 { 2 * m + 1 } else { m };
                        assert!(out.len() <= most, "node {v} layer {layer}: {out:?}");
                        let mut sorted = out.clone();
                        sorted.sort_unstable();
                        sorted.dedup();
                        assert_eq!(sorted.len(), out.len(), "duplicate link: {out:?}");
                        assert!(out.iter().all(|&j| j != v && (j as usize) < n));
                    }
                }
            }
        }
    }
}

#[test]
fn a_cancelled_build_stops_and_says_so() {
    let x = generate(Distribution::Clustered, 5000, 16, 1).unwrap();
    let cancel = AtomicBool::new(true);
    let shape = Shape {
        m: 8,
        ef_construction: 32,
    };
    let built = Hnsw::build(&x, shape, Isa::detect(), 1, Some(&cancel));
    assert!(built.is_none());
}

#[test]
fn levels_thin_out_by_a_factor_of_m() {
    let m = 8;
    let n = 100_000;
    let mut at = [0usize; 4];
    for i in 0..n {
        let l = level_of(i, m, 7);
        for (k, c) in at.iter_mut().enumerate() {
            if l >= k {
                *c += 1;
            }
        }
    }
    assert_eq!(at[0], n);
    for k in 1..4 {
        let ratio = at[k - 1] as f64 / at[k] as f64;
        assert!((6.0..10.5).contains(&ratio), "level {k}: 1 in {ratio}");
    }
}
