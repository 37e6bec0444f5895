use super::*;
use crate::run::scale::ScalePoint;
use crate::run::{RunReport, RunStatus, fill_speedups};

const HOSTILE: &str = "<script>alert('x')</script>\"&";

fn rung(id: &str, seconds: f64, extrapolated: bool) -> RunReport {
    let info = crate::rungs::find(id).unwrap().info();
    let mut r = RunReport::new(&info, 2, 300);
    r.rows_done = if extrapolated { 100 } else { 300 };
    r.estimated_s = seconds;
    r.kernel_s = seconds / 3.0;
    r.setup_s = 0.002;
    r.extrapolated = extrapolated;
    r.status = if extrapolated {
        RunStatus::Extrapolated
    } else {
        RunStatus::Completed
    };
    r.gflops_effective = 1.0 / seconds;
    r.peak_pct = 12.0;
    r.peak_rss_bytes = 123 << 20;
    r
}

fn results() -> Results {
    let mut rungs = vec![
        rung("naive", 2.5, true),
        rung("algorithmic", 0.4, false),
        rung("native", 0.01, false),
    ];
    let mut failed = rung("library", 0.0, false);
    failed.status = RunStatus::Failed("no BLAS here".into());
    rungs.push(failed);
    fill_speedups(&mut rungs);
    crate::report::test_results(rungs)
}

fn profile(leaf: &str, n: u64) -> Profile {
    Profile::from_folded(
        &format!("ladder-runner;ladder::run::go;ladder::rungs::{leaf} {n}\nladder-runner;ladder::run::verify 5\n"),
        250,
    )
    .unwrap()
}

fn report(results: Results) -> HtmlReport {
    HtmlReport {
        results: Some(results),
        tables_by: None,
        profiles: vec![
            RungProfile {
                rung: "naive".into(),
                profile: profile("naive::dot", 90),
                python: false,
            },
            RungProfile {
                rung: "algorithmic".into(),
                profile: profile("algorithmic::row", 40),
                python: false,
            },
            RungProfile {
                rung: "native".into(),
                profile: Profile::default(),
                python: false,
            },
        ],
        scale: None,
        sections: vec![TableSection {
            title: "Lab".into(),
            intro: "your steps".into(),
            header: vec!["step".into(), "time".into()],
            rows: vec![vec!["step 1".into(), "1.00 s".into()]],
        }],
        sources: vec!["run.json".into()],
        warnings: Vec::new(),
        notes: Vec::new(),
    }
}

/// Bytes `a..b` of `s` (cut to its length), as text even where they split a character.
fn window(s: &str, a: usize, b: usize) -> String {
    String::from_utf8_lossy(&s.as_bytes()[a..b.min(s.len())]).into_owned()
}

/// Every place the page could load something from elsewhere. The `http` strings left are
/// namespace names (`xmlns`), which nothing fetches, and two in the text of inferno's script
/// (a comment and an error message).
fn external_references(html: &str) -> Vec<String> {
    let lower = html.to_lowercase();
    let mut found = Vec::new();
    for needle in [
        "src=",
        "<link",
        "@import",
        "url(",
        "href=\"http",
        "href=&quot;http",
    ] {
        for (at, _) in lower.match_indices(needle) {
            let here = window(&lower, at, at + 60);
            // `url(#id)` names an element of the same document.
            if !here.starts_with("url(#") {
                found.push(here);
            }
        }
    }
    for (at, _) in lower.match_indices("http") {
        let before = window(&lower, at.saturating_sub(24), at);
        let after = window(&lower, at, at + 60);
        let namespace = before.ends_with("=\"") || before.ends_with("=&quot;");
        let namespace = namespace && before.contains("xmlns");
        let script_text = after.starts_with("https://web.dev/avoid-large")
            || after.starts_with("https://github.com/jonhoo/inferno/&quot;)");
        if !namespace && !script_text {
            found.push(after);
        }
    }
    found
}

#[test]
fn the_page_holds_every_rung_and_every_figure_the_terminal_shows() {
    let r = results();
    let html = report(r.clone()).render();
    for x in &r.rungs {
        for cell in [
            x.rung.clone(),
            x.step.to_string(),
            time_cell(x),
            gflops_cell(x),
            peak_cell(x),
            vs_baseline_cell(x),
            vs_previous_cell(x),
            human_bytes(x.peak_rss_bytes),
            verified_cell(x),
        ] {
            assert!(html.contains(&esc(&cell)), "{}: '{cell}' missing", x.rung);
        }
    }
    for words in [
        "Test CPU",
        "avx2+fma",
        "100.0 GFLOP/s per core",
        "200.0 on all cores",
    ] {
        assert!(html.contains(words), "{words}");
    }
    assert!(html.contains("300 vectors × 768 dimensions"));
    assert!(html.contains("~ (est.): stopped at the 1 s budget"));
    // The ladder chart, inline, twice: for the screen, and for paper (white ground).
    assert_eq!(
        html.matches("<div class=\"screen\"><svg").count(),
        1,
        "{html}"
    );
    assert_eq!(html.matches("<div class=\"paper\"><svg").count(), 1);
    let paper = &html[html.find("<div class=\"paper\">").unwrap()..];
    assert!(
        paper.contains("fill=\"#FFFFFF\""),
        "paper's chart is on white"
    );
    assert!(html.contains("<td class=\"t\">step 1</td>"));
}

#[test]
fn flamegraphs_are_framed_with_their_differences_and_an_empty_one_is_said() {
    let html = report(results()).render();
    // naive and algorithmic have samples; native has none: a note, no frame, no difference.
    assert_eq!(
        html.matches("<iframe class=\"flame\"").count(),
        3,
        "two flames and one diff"
    );
    assert!(html.contains("<h3>naive → algorithmic</h3>"));
    assert!(!html.contains("algorithmic → native"));
    assert!(html.contains("No samples: the run was too short"));
    assert!(html.contains("history.replaceState = function () {};"));
    // inferno's script, inside the frame's document.
    assert!(html.contains("function init(evt)"));
}

#[test]
fn nothing_is_loaded_from_elsewhere() {
    let html = report(results()).render();
    assert_eq!(external_references(&html), Vec::<String>::new());
    // The check itself sees a link, a script from a file and a style sheet.
    for bad in [
        "<img src=\"x.png\">",
        "<a href=\"https://example.com\">",
        "<link rel=stylesheet href=s.css>",
        "<p>see http://example.com</p>",
        "<div style=\"background:url(x.png)\">",
    ] {
        assert!(!external_references(bad).is_empty(), "{bad}");
    }
}

#[test]
fn hostile_names_from_files_are_escaped() {
    let mut r = results();
    r.rungs[1].rung = HOSTILE.into();
    r.rungs[1].what_changed = HOSTILE.into();
    r.machine.cpu = HOSTILE.into();
    r.workload.source = HOSTILE.into();
    let mut rep = report(r);
    rep.profiles[1].rung = HOSTILE.into();
    rep.sources = vec![HOSTILE.into()];
    rep.sections[0].rows[0][0] = HOSTILE.into();
    let html = rep.render();
    assert!(!html.contains("<script>alert"), "a name became markup");
    assert!(html.contains("&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;&quot;&amp;"));
    // Our own scripts stay: the page's marker and inferno's (inside the frames' documents).
    assert_eq!(html.matches("<script>").count(), 1);
}

#[test]
fn a_sweep_brings_its_chart_and_exponents() {
    let mut rep = report(results());
    let point = |rung: &str, n: usize, seconds: f64| ScalePoint {
        rung: rung.into(),
        n,
        seconds,
        extrapolated: false,
        gflops_effective: 1.0,
        verified: true,
        load_elsewhere: None,
    };
    rep.scale = Some(ScaleSection {
        sweep: Sweep {
            points: vec![
                point("naive", 1000, 1.0),
                point("naive", 2000, 4.0),
                point("native", 1000, 0.01),
                point("native", 2000, 0.04),
            ],
            ..Sweep::default()
        },
        ids: vec!["naive".into(), "native".into()],
        d: 768,
    });
    let html = rep.render();
    assert!(html.contains("<h2 id=\"scale\">Scaling (d = 768)</h2>"));
    assert_eq!(
        html.matches("<div class=\"screen\"><svg").count(),
        2,
        "the ladder and the sweep"
    );
    assert_eq!(html.matches("<div class=\"paper\"><svg").count(), 2);
    assert!(html.contains("naive · b = 2.00"));
    assert!(html.contains("<td>2.00</td>"));
}

#[test]
fn a_lesson_s_code_spans_are_shown_as_code_and_everything_is_escaped() {
    use super::esc_code_spans;
    assert_eq!(
        esc_code_spans("How much faster is `algorithmic` than `naive`?"),
        "How much faster is <code>algorithmic</code> than <code>naive</code>?"
    );
    assert_eq!(esc_code_spans("`<b>`&"), "<code>&lt;b&gt;</code>&amp;");
    // An odd backtick is no span.
    assert_eq!(esc_code_spans("a ` b"), "a ` b");
}

#[test]
fn a_repeated_run_shows_its_range_and_what_the_spread_means() {
    let mut r = results();
    let x = &mut r.rungs[0];
    x.repeat = Some(crate::run::Repeats {
        asked: 5,
        median_s: x.estimated_s,
        min_s: x.estimated_s * 0.9,
        max_s: x.estimated_s * 1.2,
        spread: 0.3,
        cancelled: false,
        shared_budget_s: None,
        runs: vec![],
    });
    let cell = range_cell(&r.rungs[0]);
    let html = report(r).render();
    assert!(html.contains("<th>min–max</th>"), "no range column");
    assert!(html.contains(&esc(&cell)), "'{cell}' missing");
    assert!(html.contains("the median of 5 runs"), "no spread note");
}
