//! Walking the graph: a best-first search of one layer, the greedy descent through the upper
//! layers, and the paper's heuristic for choosing a node's neighbours.

use std::cmp::Reverse;
use std::collections::BinaryHeap;

use super::{Hit, Links, Space, dot};

/// One thread's working memory for walks: reused across every insertion and query.
pub(in crate::rungs::ann) struct Scratch {
    pub(super) seen: Vec<u32>,
    pub(super) epoch: u32,
    pub(super) cand: BinaryHeap<Hit>,
    pub(super) best: BinaryHeap<Reverse<Hit>>,
    pub(super) links: Vec<u32>,
    pub(super) fresh: Vec<u32>,
    pub(super) found: Vec<Hit>,
    pub(super) chosen: Vec<Hit>,
    pub(super) pool: Vec<Hit>,
}

impl Scratch {
    pub(in crate::rungs::ann) fn new(n: usize) -> Self {
        Self {
            seen: vec![0; n],
            epoch: 0,
            cand: BinaryHeap::new(),
            best: BinaryHeap::new(),
            links: Vec::new(),
            fresh: Vec::new(),
            found: Vec::new(),
            chosen: Vec::new(),
            pool: Vec::new(),
        }
    }

    /// Starts a walk: every node reads as unseen without clearing the array.
    pub(super) fn next_walk(&mut self) {
        self.epoch = self.epoch.wrapping_add(1);
        if self.epoch == 0 {
            self.seen.fill(0);
            self.epoch = 1;
        }
    }
}

/// The `ef` nodes nearest `q` on `layer` found by a best-first walk from `entries`, best first,
/// in `s.found`.
pub(super) fn search_layer<L: Links + ?Sized>(
    space: &Space,
    links: &L,
    q: &[f32],
    entries: &[Hit],
    ef: usize,
    layer: usize,
    s: &mut Scratch,
) {
    s.next_walk();
    let epoch = s.epoch;
    s.cand.clear();
    s.best.clear();
    for &e in entries {
        s.seen[e.id as usize] = epoch;
        s.cand.push(e);
        s.best.push(Reverse(e));
        if s.best.len() > ef {
            s.best.pop();
        }
    }
    while let Some(c) = s.cand.pop() {
        let worst = s.best.peek().map_or(f32::NEG_INFINITY, |w| w.0.sim);
        if s.best.len() >= ef && c.sim < worst {
            break;
        }
        links.copy(c.id, layer, &mut s.links);
        s.fresh.clear();
        for &j in &s.links {
            let tag = &mut s.seen[j as usize];
            if *tag != epoch {
                *tag = epoch;
                s.fresh.push(j);
            }
        }
        if let Some(&first) = s.fresh.first() {
            dot::prefetch(space.row(first).as_ptr());
        }
        for t in 0..s.fresh.len() {
            let j = s.fresh[t];
            if let Some(&next) = s.fresh.get(t + 1) {
                dot::prefetch(space.row(next).as_ptr());
            }
            let sim = space.sim(q, j);
            let full = s.best.len() >= ef;
            if !full || sim > s.best.peek().map_or(f32::NEG_INFINITY, |w| w.0.sim) {
                let h = Hit { sim, id: j };
                s.cand.push(h);
                s.best.push(Reverse(h));
                if full {
                    s.best.pop();
                }
            }
        }
    }
    s.found.clear();
    s.found.extend(s.best.drain().map(|r| r.0));
    s.found.sort_unstable_by(|a, b| b.cmp(a));
}

/// Moves from `cur` to a better neighbour on `layer` until none is better.
pub(super) fn greedy<L: Links + ?Sized>(
    space: &Space,
    links: &L,
    q: &[f32],
    mut cur: Hit,
    layer: usize,
    s: &mut Scratch,
) -> Hit {
    loop {
        let mut moved = false;
        links.copy(cur.id, layer, &mut s.links);
        for &j in &s.links {
            let sim = space.sim(q, j);
            if sim > cur.sim {
                cur = Hit { sim, id: j };
                moved = true;
            }
        }
        if !moved {
            return cur;
        }
    }
}

/// The paper's neighbour heuristic: from `cands` (best first, by similarity to the node being
/// linked), keep a candidate only if it is more similar to the node than to every candidate
/// kept so far, up to `m`. Fewer than `m` candidates are all kept.
pub(super) fn select(space: &Space, cands: &[Hit], m: usize, out: &mut Vec<Hit>) {
    out.clear();
    if cands.len() <= m {
        out.extend_from_slice(cands);
        return;
    }
    for (t, &c) in cands.iter().enumerate() {
        if out.len() >= m {
            break;
        }
        if let Some(next) = cands.get(t + 1) {
            dot::prefetch(space.row(next.id).as_ptr());
        }
        let row = space.row(c.id);
        if out.iter().all(|kept| space.sim(row, kept.id) <= c.sim) {
            out.push(c);
        }
    }
}
