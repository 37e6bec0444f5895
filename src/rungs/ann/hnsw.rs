//! A hierarchical navigable small-world graph (HNSW, Malkov & Yashunin 2016) over unit rows,
//! searched by inner product.
//!
//! Every node sits on layer 0; a node reaches layer l with probability M^-l, so the upper
//! layers are ever sparser express lanes. A query walks greedily down the upper layers, then
//! keeps the `ef` best candidates while walking layer 0. Building is inserting each row as a
//! query and linking it to the neighbours found, chosen by the paper's heuristic (a candidate
//! is kept only if it is nearer the new node than any neighbour already kept, which spreads
//! the links in all directions).
//!
//! A walk spends its time reading rows it jumps to at random (the dot products are bound by
//! loads, not arithmetic), so what mattered here was bytes and waiting:
//! - rows padded to whole 512-bit vectors in one 2 MiB-page buffer;
//! - the next row's first cache lines prefetched while the current one is computed;
//! - each link stores its similarity, so trimming a full neighbour list recomputes nothing
//!   between the node and its neighbours;
//! - nodes inserted in parallel under one lock per node, taken to change a list; walks read
//!   layer 0 without locks, and after the build every list is frozen into flat arrays;
//! - a last pass links the few nodes that trimming left unreachable (see [`Hnsw::connect`]),
//!   so every row can be found.

use std::cmp::Ordering;
use std::sync::atomic::{AtomicBool, AtomicU32, AtomicUsize, Ordering as AtomicOrdering};
use std::sync::{Mutex, PoisonError, RwLock};

use super::dot::{self, DotFn, LANES};

mod walk;
use crate::rungs::hugepages::HugeBuf;
use crate::rungs::native::Isa;
use crate::workload::Matrix;
pub(super) use walk::Scratch;
use walk::{greedy, search_layer, select};

/// Levels above this are never drawn (M^-16 is far below one node in any index that fits).
const MAX_LEVEL: usize = 16;

/// A node and its similarity to whatever it is being compared with.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(super) struct Hit {
    pub(super) sim: f32,
    pub(super) id: u32,
}

impl Eq for Hit {}

impl Ord for Hit {
    fn cmp(&self, other: &Self) -> Ordering {
        self.sim
            .total_cmp(&other.sim)
            .then_with(|| other.id.cmp(&self.id))
    }
}

impl PartialOrd for Hit {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

/// The rows, padded, and the dot product for this CPU.
struct Space {
    data: HugeBuf<f32>,
    stride: usize,
    dot: DotFn,
}

impl Space {
    /// The rows of `x`, normalised straight into the padded buffer (a zero row stays zero).
    fn new(x: &Matrix, isa: Isa) -> Self {
        let (n, d) = (x.n(), x.d());
        let stride = d.div_ceil(LANES).max(1) * LANES;
        let mut data = HugeBuf::zeroed(n * stride);
        for (i, dst) in data.as_mut_slice().chunks_exact_mut(stride).enumerate() {
            let row = x.row(i);
            let inv = crate::rungs::inv_norm(row);
            for (o, &v) in dst.iter_mut().zip(row) {
                *o = crate::rungs::scaled(v, inv);
            }
        }
        Self {
            data,
            stride,
            dot: dot::for_isa(isa),
        }
    }

    /// Row `i`, padded to `stride` floats.
    #[inline]
    fn row(&self, i: u32) -> &[f32] {
        let at = i as usize * self.stride;
        &self.data.as_slice()[at..at + self.stride]
    }

    /// Similarity of `q` (a padded row of this space) with row `j`.
    #[inline]
    fn sim(&self, q: &[f32], j: u32) -> f32 {
        let r = self.row(j);
        // The dot product reads `stride` floats from each: checked here, where a wrong
        // length would otherwise read past the slice.
        assert_eq!(q.len(), self.stride);
        // SAFETY: `q` and `r` each hold `stride` floats (asserted just above; `row` slices
        // exactly that), a multiple of LANES as every `dot` requires, and `dot` was chosen for
        // an instruction set this CPU has.
        unsafe { (self.dot)(q.as_ptr(), r.as_ptr(), self.stride) }
    }
}

/// Reading a node's neighbour list on one layer.
trait Links: Sync {
    /// Replaces `out` with the neighbours of `node` on `layer`.
    fn copy(&self, node: u32, layer: usize, out: &mut Vec<u32>);
}

/// A node while the graph is built: its neighbours on each of its layers, with their
/// similarity to it.
struct Building {
    layers: Vec<Vec<Hit>>,
}

impl Links for Builder<'_> {
    fn copy(&self, node: u32, layer: usize, out: &mut Vec<u32>) {
        out.clear();
        if layer == 0 {
            // Read without the node's lock: a list changed meanwhile reads as a mix of old and
            // new neighbours, every one a real node, which a heuristic walk tolerates.
            let w = self.m0 + 1;
            let block = &self.layer0[node as usize * w..(node as usize + 1) * w];
            let len = (block[0].load(AtomicOrdering::Acquire) as usize).min(self.m0);
            out.extend(
                block[1..=len]
                    .iter()
                    .map(|a| a.load(AtomicOrdering::Relaxed)),
            );
            return;
        }
        let b = self.nodes[node as usize]
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        if let Some(list) = b.layers.get(layer) {
            out.extend(list.iter().map(|h| h.id));
        }
    }
}

/// The finished graph, in flat arrays: on each layer a node's block is its count, then that
/// many ids. Layer 0's blocks have one spare slot, for [`Hnsw::connect`].
struct Frozen {
    m: usize,
    m0: usize,
    layer0: Vec<u32>,
    upper: Vec<Vec<u32>>,
}

impl Links for Frozen {
    fn copy(&self, node: u32, layer: usize, out: &mut Vec<u32>) {
        let block = if layer == 0 {
            let w = self.m0 + 2;
            &self.layer0[node as usize * w..(node as usize + 1) * w]
        } else {
            let w = self.m + 1;
            &self.upper[node as usize][(layer - 1) * w..layer * w]
        };
        out.clear();
        out.extend_from_slice(&block[1..=block[0] as usize]);
    }
}

/// HNSW's shape.
#[derive(Clone, Copy, Debug)]
pub(super) struct Shape {
    /// Links per node on the upper layers (twice this on layer 0).
    pub(super) m: usize,
    /// Candidates kept while inserting.
    pub(super) ef_construction: usize,
}

/// The index: rows and a frozen graph.
pub(super) struct Hnsw {
    space: Space,
    graph: Frozen,
    entry: u32,
    top: usize,
}

/// The graph while it is built.
struct Builder<'a> {
    space: &'a Space,
    shape: Shape,
    m0: usize,
    levels: Vec<usize>,
    /// Each node's lists with their similarities; its lock serialises changes to the node.
    nodes: Vec<Mutex<Building>>,
    /// Layer 0's ids, copied from `nodes` after each change (count, then ids), so walks, which
    /// read layer 0 far more than anything else, take no lock.
    layer0: Vec<AtomicU32>,
    entry: RwLock<(u32, usize)>,
}

impl Builder<'_> {
    fn insert(&self, i: u32, s: &mut Scratch) {
        let level = self.levels[i as usize];
        let q = self.space.row(i);
        let (ep, top) = *self.entry.read().unwrap_or_else(PoisonError::into_inner);
        let mut cur = Hit {
            sim: self.space.sim(q, ep),
            id: ep,
        };
        for layer in (level + 1..=top).rev() {
            cur = greedy(self.space, self, q, cur, layer, s);
        }
        let mut chosen = std::mem::take(&mut s.chosen);
        for layer in (0..=level.min(top)).rev() {
            search_layer(
                self.space,
                self,
                q,
                &[cur],
                self.shape.ef_construction,
                layer,
                s,
            );
            s.found.retain(|h| h.id != i);
            select(self.space, &s.found, self.shape.m, &mut chosen);
            let most = if layer == 0 { self.m0 } else { self.shape.m };
            for h in &chosen {
                // Added like any other link, not assigned: another thread that reached this
                // node through a layer above may have linked to it here already.
                self.link(i, *h, layer, most, &mut s.pool);
                self.link(h.id, Hit { sim: h.sim, id: i }, layer, most, &mut s.pool);
            }
            // The closest found seeds the next layer down. Seeding with all ef found was
            // measured too: the same recall, a slower build.
            if let Some(&best) = s.found.first() {
                cur = best;
            }
        }
        s.chosen = chosen;
        if level > top {
            let mut e = self.entry.write().unwrap_or_else(PoisonError::into_inner);
            if level > e.1 {
                *e = (i, level);
            }
        }
    }

    /// Adds `new` to `node`'s list on `layer`; a full list keeps the best `most` by the
    /// heuristic.
    fn link(&self, node: u32, new: Hit, layer: usize, most: usize, pool: &mut Vec<Hit>) {
        let mut b = self.nodes[node as usize]
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        let list = &mut b.layers[layer];
        if list.iter().any(|h| h.id == new.id) {
            return;
        }
        if list.len() < most {
            list.push(new);
        } else {
            pool.clear();
            pool.extend_from_slice(list);
            pool.push(new);
            pool.sort_unstable_by(|a, b| b.cmp(a));
            select(self.space, pool, most, list);
        }
        self.publish(node, layer, list);
    }

    /// Copies a changed layer-0 list where lock-free walks read it. The caller holds the
    /// node's lock, so writers never interleave.
    fn publish(&self, node: u32, layer: usize, list: &[Hit]) {
        if layer != 0 {
            return;
        }
        let w = self.m0 + 1;
        let block = &self.layer0[node as usize * w..(node as usize + 1) * w];
        for (slot, h) in block[1..].iter().zip(list) {
            slot.store(h.id, AtomicOrdering::Relaxed);
        }
        block[0].store(list.len() as u32, AtomicOrdering::Release);
    }
}

/// Level of node `i`: ⌊−ln(u)/ln(M)⌋ for a uniform u drawn from the seed and i (so a build is
/// reproducible up to the order threads insert in).
fn level_of(i: usize, m: usize, seed: u64) -> usize {
    let mut z = seed ^ (i as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^= z >> 31;
    // 53 random bits, in (0, 1].
    let u = ((z >> 11) as f64 + 1.0) / (1u64 << 53) as f64;
    let level = (-u.ln() / (m.max(2) as f64).ln()).floor();
    (level as usize).min(MAX_LEVEL)
}

impl Hnsw {
    /// Builds the index over the rows of `x`, normalised, on the current rayon pool's threads.
    /// Returns `None` if `cancel` is set before it finishes.
    pub(super) fn build(
        x: &Matrix,
        shape: Shape,
        isa: Isa,
        threads: usize,
        cancel: Option<&AtomicBool>,
    ) -> Option<Self> {
        let n = x.n();
        let space = Space::new(x, isa);
        let m0 = 2 * shape.m;
        let levels: Vec<usize> = (0..n).map(|i| level_of(i, shape.m, 0x1ad_de7)).collect();
        let nodes = levels
            .iter()
            .map(|&l| {
                let layers = (0..=l)
                    .map(|layer| Vec::with_capacity(if layer == 0 { m0 } else { shape.m }))
                    .collect();
                Mutex::new(Building { layers })
            })
            .collect();
        let b = Builder {
            space: &space,
            shape,
            m0,
            levels,
            nodes,
            layer0: (0..n * (m0 + 1)).map(|_| AtomicU32::new(0)).collect(),
            entry: RwLock::new((0, 0)),
        };
        if n > 0 {
            *b.entry.write().unwrap_or_else(PoisonError::into_inner) = (0, b.levels[0]);
        }
        // Threads take the next row in order, as a sequential build would: early rows form the
        // graph's long-range links.
        let next = AtomicUsize::new(1);
        let stop = || cancel.is_some_and(|c| c.load(AtomicOrdering::Relaxed));
        let work = || {
            let mut s = Scratch::new(n);
            loop {
                let i = next.fetch_add(1, AtomicOrdering::Relaxed);
                if i >= n || (i.is_multiple_of(64) && stop()) {
                    break;
                }
                b.insert(i as u32, &mut s);
            }
        };
        if threads <= 1 {
            work();
        } else {
            rayon::scope(|sc| {
                for _ in 0..threads {
                    sc.spawn(|_| work());
                }
            });
        }
        if stop() {
            return None;
        }
        let (entry, top) = *b.entry.read().unwrap_or_else(PoisonError::into_inner);
        let graph = freeze(b.nodes, shape.m, m0);
        let mut index = Self {
            space,
            graph,
            entry,
            top,
        };
        index.connect(shape.ef_construction, &mut Scratch::new(n));
        Some(index)
    }

    /// Makes every node reachable on layer 0 from the entry, and returns how many needed it.
    ///
    /// A node's only way in is the links its neighbours keep to it, and a neighbour whose list
    /// is full may trim that link away (more often when neighbours are inserted at once, by
    /// different threads). Such a node can never be found: a fraction of a percent of nodes
    /// here. Each is linked from the nearest node a walk finds, in that node's spare slot.
    fn connect(&mut self, ef: usize, s: &mut Scratch) -> usize {
        let w = self.graph.m0 + 2;
        let n = self.graph.layer0.len() / w;
        let mut reached = vec![false; n];
        let mut stack = Vec::new();
        let mut links = Vec::new();
        let mut mark = |from: u32, reached: &mut [bool], graph: &Frozen| {
            if std::mem::replace(&mut reached[from as usize], true) {
                return;
            }
            stack.push(from);
            while let Some(v) = stack.pop() {
                graph.copy(v, 0, &mut links);
                for &j in &links {
                    if !std::mem::replace(&mut reached[j as usize], true) {
                        stack.push(j);
                    }
                }
            }
        };
        if n == 0 {
            return 0;
        }
        mark(self.entry, &mut reached, &self.graph);
        let mut repaired = 0;
        for u in 0..n {
            if reached[u] {
                continue;
            }
            // The nearest reached node with its spare slot free takes u (any reached node will
            // do when those a walk finds are all taken). A walk can land on unreached nodes
            // too, through the upper layers, so each is checked.
            let found: Vec<u32> = self
                .search(u as u32, ef, ef, s)
                .iter()
                .map(|h| h.id)
                .collect();
            let host_ok = |h: &u32| {
                reached[*h as usize] && self.graph.layer0[*h as usize * w] as usize <= self.graph.m0
            };
            let host = found
                .iter()
                .copied()
                .find(host_ok)
                .or_else(|| (0..n as u32).find(host_ok));
            let Some(host) = host else { break };
            let block = &mut self.graph.layer0[host as usize * w..(host as usize + 1) * w];
            block[0] += 1;
            block[block[0] as usize] = u as u32;
            mark(u as u32, &mut reached, &self.graph);
            repaired += 1;
        }
        repaired
    }

    /// The `k` rows most similar to row `q` (itself included, when the walk finds it), best
    /// first, keeping `ef` candidates.
    pub(super) fn search<'s>(&self, q: u32, k: usize, ef: usize, s: &'s mut Scratch) -> &'s [Hit] {
        let qp = self.space.row(q);
        let mut cur = Hit {
            sim: self.space.sim(qp, self.entry),
            id: self.entry,
        };
        for layer in (1..=self.top).rev() {
            cur = greedy(&self.space, &self.graph, qp, cur, layer, s);
        }
        search_layer(&self.space, &self.graph, qp, &[cur], ef.max(k), 0, s);
        s.found.truncate(k);
        &s.found
    }
}

/// The lists, in flat arrays for lock-free reading.
fn freeze(nodes: Vec<Mutex<Building>>, m: usize, m0: usize) -> Frozen {
    let n = nodes.len();
    let w = m0 + 2;
    let mut layer0 = vec![0u32; n * w];
    let mut upper = Vec::with_capacity(n);
    for (i, node) in nodes.into_iter().enumerate() {
        let b = node.into_inner().unwrap_or_else(PoisonError::into_inner);
        let block = &mut layer0[i * w..(i + 1) * w];
        block[0] = b.layers[0].len() as u32;
        for (slot, h) in block[1..].iter_mut().zip(&b.layers[0]) {
            *slot = h.id;
        }
        let mut up = vec![0u32; (b.layers.len() - 1) * (m + 1)];
        for (block, list) in up.chunks_exact_mut(m + 1).zip(&b.layers[1..]) {
            block[0] = list.len() as u32;
            for (slot, h) in block[1..].iter_mut().zip(list) {
                *slot = h.id;
            }
        }
        upper.push(up);
    }
    Frozen {
        m,
        m0,
        layer0,
        upper,
    }
}

#[cfg(test)]
mod tests;
