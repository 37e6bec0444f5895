//! The speedup table a student pastes into NOTES.md.

use std::io::{self, Write};

use super::{
    Export, Results, gflops_cell, peak_cell, range_cell, time_cell, verified_cell,
    vs_baseline_cell, vs_previous_cell,
};

/// A GitHub-flavoured Markdown table with a line naming the workload and machine, and the
/// speedup chart on top when `chart` names its file (relative to the Markdown's folder).
#[derive(Default)]
pub struct Markdown {
    pub chart: Option<String>,
}

impl Export for Markdown {
    fn write(&self, r: &Results, out: &mut dyn Write) -> io::Result<()> {
        writeln!(
            out,
            "Pairwise cosine similarity of {} vectors × {} dimensions ({}), on {} \
             ({} logical cores, {}; measured float32 peak {:.0} GFLOP/s per core, {:.0} on all cores).",
            r.workload.n,
            r.workload.d,
            r.workload.origin(),
            r.machine.cpu,
            r.machine.logical_cores,
            r.machine.kernel_isa,
            r.machine.peak_gflops_core,
            r.machine.peak_gflops_all
        )?;
        writeln!(out)?;
        if let Some(chart) = &self.chart {
            writeln!(
                out,
                "![The ladder: kernel time per rung]({})",
                chart.replace(' ', "%20")
            )?;
            writeln!(out)?;
        }
        let flames = r.rungs.iter().any(|x| x.flamegraph.is_some());
        // The min–max column when a rung ran more than once.
        let spread = super::any_repeated(&r.rungs);
        writeln!(
            out,
            "| rung | step | time |{} GFLOP/s | % of peak | vs baseline | vs previous | verified |{}",
            if spread { " min–max |" } else { "" },
            if flames { " flamegraph |" } else { "" }
        )?;
        writeln!(
            out,
            "|---|---|---:|{}---:|---:|---:|---:|---|{}",
            if spread { "---:|" } else { "" },
            if flames { "---|" } else { "" }
        )?;
        for x in &r.rungs {
            let flame = match (&x.flamegraph, flames) {
                (Some(p), _) => format!(" [svg]({}) |", p.replace(' ', "%20")),
                (None, true) => " - |".to_string(),
                (None, false) => String::new(),
            };
            let range = if spread {
                format!(" {} |", range_cell(x))
            } else {
                String::new()
            };
            writeln!(
                out,
                "| `{}` | {} | {} |{range} {} | {} | {} | {} | {} |{flame}",
                x.rung,
                x.step,
                time_cell(x),
                gflops_cell(x),
                peak_cell(x),
                vs_baseline_cell(x),
                vs_previous_cell(x),
                verified_cell(x).replace('|', "\\|"),
            )?;
        }
        writeln!(out)?;
        writeln!(
            out,
            "GFLOP/s is effective: the full matrix's 2·n²·d over the time, whatever shortcut a rung takes. \
             % of peak counts the arithmetic a rung really does against the measured peak of the cores it used."
        )?;
        // Each note its own paragraph: lines one after another would render as one.
        if let Some(n) = super::spread_note(&r.rungs) {
            writeln!(out, "\n{}.", capitalised(&n))?;
        }
        for n in r.rungs.iter().filter_map(super::repeat_note) {
            writeln!(out, "\n{n}")?;
        }
        for n in r.rungs.iter().filter_map(super::compile_note) {
            writeln!(out, "\n{n}")?;
        }
        if let Some(n) = super::load_notes(&r.rungs) {
            writeln!(out, "\n{n}")?;
        }
        if r.rungs.iter().any(|x| x.extrapolated) {
            writeln!(
                out,
                "\nTimes marked ~ (est.) stopped at the {} s budget and are extrapolated from the rows done.",
                r.budget_s
            )?;
        }
        Ok(())
    }
}

/// "Time: ..." from "time: ...".
fn capitalised(s: &str) -> String {
    let mut c = s.chars();
    c.next()
        .map(|f| f.to_uppercase().chain(c).collect())
        .unwrap_or_default()
}

/// Opens what ladder writes into a notes file; the student's own text goes outside it.
const BEGIN: &str = "<!-- ladder: from here to the end mark, written again by each export; \
                     your own notes above or below stay as they are -->";
const END: &str = "<!-- ladder: end -->";

/// A notes file's new text: `generated` between ladder's marks, and whatever the student wrote
/// around them in `existing` kept as it was. A file without the marks (one the student wrote,
/// or an older export) is kept whole, below the new block: a student's words are never lost.
#[must_use]
pub fn merge_notes(existing: Option<&str>, generated: &str) -> String {
    let block = format!("{BEGIN}\n{}\n{END}\n", generated.trim_end());
    let Some(old) = existing.filter(|t| !t.trim().is_empty()) else {
        return block;
    };
    if let Some(start) = old.find(BEGIN)
        && let Some(end) = old[start..].find(END).map(|e| start + e + END.len())
    {
        let after = old[end..].strip_prefix('\n').unwrap_or(&old[end..]);
        return format!("{}{block}{after}", &old[..start]);
    }
    format!("{block}\n{old}")
}

#[cfg(test)]
mod tests {
    use super::merge_notes;

    #[test]
    fn a_student_s_own_notes_survive_every_export() {
        let first = merge_notes(None, "# My ladder\n| a |\n");
        assert!(first.contains("# My ladder"));
        // The student writes above and below ladder's block.
        let edited = format!("My intro\n\n{first}\n## My reflections\nkeep me\n");
        let second = merge_notes(Some(&edited), "# My ladder\n| b |\n");
        assert!(second.starts_with("My intro\n\n"), "{second}");
        assert!(
            second.contains("| b |") && !second.contains("| a |"),
            "{second}"
        );
        assert!(second.ends_with("## My reflections\nkeep me\n"), "{second}");
        // Exported again, nothing piles up.
        let third = merge_notes(Some(&second), "# My ladder\n| b |\n");
        assert_eq!(third, second);
        // A file ladder did not mark is kept whole, below.
        let theirs = merge_notes(Some("my own notes\n"), "# My ladder\n");
        assert!(theirs.ends_with("\nmy own notes\n"), "{theirs}");
        assert!(theirs.contains("# My ladder"));
    }
}
