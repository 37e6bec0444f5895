//! The flamegraph screen's model: a tree of frames built from a profile's stacks, zoomed into a
//! path, laid out as proportional bars, root at the top (an icicle).

use crate::profile::{FrameKind, Profile, frame_kind};

/// A frame and everything sampled beneath it.
#[derive(Clone, Debug, PartialEq)]
pub struct Node {
    pub name: String,
    pub total: u64,
    /// Children, largest first.
    pub children: Vec<Node>,
}

impl Node {
    /// The tree of `profile` as the terminal shows it: the standard library's scaffolding
    /// folded away (see [`Profile::without_scaffolding`]; exports draw the same view). Bars
    /// too narrow for a column are dropped by [`layout`].
    #[must_use]
    pub fn from_profile_simplified(profile: &Profile) -> Self {
        Self::from_profile(&profile.without_scaffolding())
    }

    /// The tree of `profile`: a synthetic root named "all" over the threads.
    #[must_use]
    pub fn from_profile(profile: &Profile) -> Self {
        let mut root = Node {
            name: "all".into(),
            total: 0,
            children: Vec::new(),
        };
        for (stack, count) in &profile.stacks {
            root.total += count;
            let mut node = &mut root;
            for frame in stack {
                let i = if let Some(i) = node.children.iter().position(|c| &c.name == frame) {
                    i
                } else {
                    node.children.push(Node {
                        name: frame.clone(),
                        total: 0,
                        children: Vec::new(),
                    });
                    node.children.len() - 1
                };
                node = &mut node.children[i];
                node.total += count;
            }
        }
        root.sort();
        root
    }

    fn sort(&mut self) {
        self.children
            .sort_by(|a, b| b.total.cmp(&a.total).then(a.name.cmp(&b.name)));
        for c in &mut self.children {
            c.sort();
        }
    }

    /// The node at `path` (names below the root), or the deepest one that exists.
    #[must_use]
    pub fn at(&self, path: &[String]) -> &Node {
        let mut node = self;
        for name in path {
            match node.children.iter().find(|c| &c.name == name) {
                Some(c) => node = c,
                None => break,
            }
        }
        node
    }
}

/// One bar of the icicle.
#[derive(Clone, Debug, PartialEq)]
pub struct Bar {
    pub depth: usize,
    pub x: u16,
    pub width: u16,
    pub name: String,
    pub total: u64,
    pub kind: FrameKind,
}

/// Lays `node` out in `width` columns, `depth` rows deep; bars narrower than a column are
/// dropped.
#[must_use]
pub fn layout(node: &Node, width: u16, depth: usize) -> Vec<Bar> {
    let mut bars = Vec::new();
    place(node, 0, f64::from(width), 0, depth, &mut bars);
    bars
}

fn place(node: &Node, x: u16, width: f64, level: usize, max: usize, out: &mut Vec<Bar>) {
    if level >= max || width < 1.0 {
        return;
    }
    out.push(Bar {
        depth: level,
        x,
        width: width as u16,
        name: node.name.clone(),
        total: node.total,
        kind: frame_kind(&node.name),
    });
    let mut cum = 0u64;
    for c in &node.children {
        let start = f64::from(x) + width * cum as f64 / node.total.max(1) as f64;
        let end = f64::from(x) + width * (cum + c.total) as f64 / node.total.max(1) as f64;
        cum += c.total;
        let (a, b) = (start.round(), end.round());
        if b - a >= 1.0 {
            place(c, a as u16, b - a, level + 1, max, out);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tree() -> Node {
        Node::from_profile(
            &Profile::from_folded(
                "t;main;ladder::rungs::naive::norm 60\nt;main;ladder::rungs::naive::dot 30\nt;main;ladder::run::verify 10\n",
                1000,
            )
            .unwrap(),
        )
    }

    #[test]
    fn builds_totals_largest_first() {
        let t = tree();
        assert_eq!(t.total, 100);
        let main = t.at(&["t".into(), "main".into()]);
        assert_eq!(main.total, 100);
        let names: Vec<&str> = main.children.iter().map(|c| c.name.as_str()).collect();
        assert_eq!(
            names,
            [
                "ladder::rungs::naive::norm",
                "ladder::rungs::naive::dot",
                "ladder::run::verify"
            ]
        );
        // A path that goes nowhere stops at the deepest node found.
        assert_eq!(t.at(&["t".into(), "nope".into()]).name, "t");
    }

    #[test]
    fn scaffolding_is_hidden_but_leaves_stay() {
        let p = Profile::from_folded(
            "t;clone3;std::rt::x;ladder::run::go;core::iter::y;ladder::rungs::k;memcpy 5\n",
            1000,
        )
        .unwrap();
        let t = Node::from_profile_simplified(&p);
        let mut names = Vec::new();
        let mut node = &t;
        while let Some(c) = node.children.first() {
            names.push(c.name.as_str());
            node = c;
        }
        assert_eq!(
            names,
            ["t", "ladder::run::go", "ladder::rungs::k", "memcpy"]
        );
    }

    #[test]
    fn bars_are_proportional_and_classified() {
        let bars = layout(&tree(), 100, 10);
        let norm = bars.iter().find(|b| b.name.ends_with("norm")).unwrap();
        let dot = bars.iter().find(|b| b.name.ends_with("dot")).unwrap();
        assert_eq!((norm.x, norm.width, norm.depth), (0, 60, 3));
        assert_eq!((dot.x, dot.width), (60, 30));
        assert_eq!(norm.kind, FrameKind::Kernel);
        let verify = bars.iter().find(|b| b.name.ends_with("verify")).unwrap();
        assert_eq!(verify.kind, FrameKind::Runner);
        assert_eq!(layout(&tree(), 100, 2).len(), 2, "depth limits the rows");
    }
}
