//! What a lab's `lab.toml` asks less of than the shipped one: an instructor may loosen it on
//! purpose, and a student can too, so every headless check and class view says so.

use super::spec::{Lab, LabStep, parse_lab};

/// One line per way `lab` asks less than the shipped lab.toml of a shipped step (by id): a
/// step removed or made optional, a lower floor or one over another step, a check turned off,
/// a smaller workload.
/// Empty when it asks as much (or more).
#[must_use]
pub fn loosened(lab: &Lab) -> Vec<String> {
    let Some(text) = super::scaffold::template("lab.toml") else {
        return Vec::new();
    };
    let Ok(shipped) = parse_lab(text, &lab.dir) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    // The floors were measured at the shipped size: at a smaller one, fixed costs weigh more.
    let (w, g) = (&shipped.workload, &lab.workload);
    if g.n < w.n || g.d < w.d {
        out.push(format!(
            "the workload is {} × {} (shipped: {} × {}, the size the floors are set for)",
            g.n, g.d, w.n, w.d
        ));
    }
    for want in &shipped.steps {
        let Some(got) = lab.steps.iter().find(|s| s.id == want.id) else {
            out.push(format!("step {} was removed", want.id));
            continue;
        };
        out.extend(step_loosened(want, got));
    }
    out
}

fn step_loosened(want: &LabStep, got: &LabStep) -> Vec<String> {
    let id = &want.id;
    let mut out = Vec::new();
    if got.optional && !want.optional {
        out.push(format!("step {id} was made optional"));
    }
    if let Some(w) = &want.floor {
        match &got.floor {
            None => out.push(format!(
                "step {id} has no floor (shipped: {}x over {})",
                w.at_least, w.over
            )),
            Some(g) if g.over != w.over || g.at_least < w.at_least => out.push(format!(
                "step {id}'s floor is {}x over {} (shipped: {}x over {})",
                g.at_least, g.over, w.at_least, w.over
            )),
            Some(_) => {}
        }
    }
    for (what, shipped, now) in [
        ("given", want.given, got.given),
        ("own_loops", want.own_loops, got.own_loops),
    ] {
        if shipped && !now {
            out.push(format!("step {id} has {what} turned off"));
        }
    }
    if !want.uses_one_of.is_empty() && got.uses_one_of != want.uses_one_of {
        out.push(format!(
            "step {id} must use [{}] (shipped: [{}])",
            got.uses_one_of.join(", "),
            want.uses_one_of.join(", ")
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_lab_as_shipped_asks_as_much_and_a_loosened_one_says_how() {
        let dir = std::path::Path::new("lab");
        let text = crate::lab::scaffold::template("lab.toml").unwrap();
        assert!(loosened(&parse_lab(text, dir).unwrap()).is_empty());
        let edited = text
            .replace("given = true", "given = false")
            .replace("at_least = 30.0", "at_least = 0.5");
        let lines = loosened(&parse_lab(&edited, dir).unwrap());
        assert!(
            lines.contains(&"step naive has given turned off".to_string()),
            "{lines:?}"
        );
        assert!(
            lines
                .iter()
                .any(|l| l.starts_with("step numpy's floor is 0.5x over algorithmic")),
            "{lines:?}"
        );
        let smaller = text.replacen("\nn = 2000\n", "\nn = 300\n", 1);
        assert_ne!(smaller, text, "the shipped size changed: update this test");
        assert_eq!(
            loosened(&parse_lab(&smaller, dir).unwrap()),
            ["the workload is 300 × 128 (shipped: 2000 × 128, the size the floors are set for)"]
        );
        // Asking more is the instructor's to do, and not said.
        let stricter = text.replace("at_least = 30.0", "at_least = 60.0");
        assert!(loosened(&parse_lab(&stricter, dir).unwrap()).is_empty());
    }
}
