use super::scale::series_colors;
use super::*;
use crate::report::{WorkloadMeta, test_machine};
use crate::run::scale::{ScalePoint, Sweep};
use crate::run::{RunReport, RunStatus, fill_speedups};

/// Parses `svg` as XML; returns each element's name with its attributes.
fn elements(svg: &str) -> Vec<(String, Vec<(String, String)>)> {
    let mut reader = quick_xml::Reader::from_str(svg);
    let mut out = Vec::new();
    let mut depth = 0i32;
    loop {
        match reader.read_event() {
            Ok(quick_xml::events::Event::Start(e)) => {
                depth += 1;
                out.push(element(&e));
            }
            Ok(quick_xml::events::Event::Empty(e)) => out.push(element(&e)),
            Ok(quick_xml::events::Event::End(_)) => depth -= 1,
            Ok(quick_xml::events::Event::Eof) => break,
            Ok(_) => {}
            Err(e) => panic!("not well-formed: {e}"),
        }
    }
    assert_eq!(depth, 0, "unclosed elements");
    out
}

fn element(e: &quick_xml::events::BytesStart) -> (String, Vec<(String, String)>) {
    let attrs = e
        .attributes()
        .map(|a| {
            let a = a.unwrap();
            (
                String::from_utf8_lossy(a.key.as_ref()).into_owned(),
                String::from_utf8_lossy(&a.value).into_owned(),
            )
        })
        .collect();
    (
        String::from_utf8_lossy(e.name().as_ref()).into_owned(),
        attrs,
    )
}

fn attr<'a>(e: &'a (String, Vec<(String, String)>), key: &str) -> &'a str {
    e.1.iter().find(|(k, _)| k == key).map_or("", |(_, v)| v)
}

fn results() -> Results {
    let rung = |id: &str, s: f64, extrapolated: bool| {
        let mut r = RunReport::new(&crate::rungs::find(id).unwrap().info(), 1, 100);
        r.rows_done = 100;
        r.estimated_s = s;
        r.extrapolated = extrapolated;
        r
    };
    let mut failed = rung("library", 0.0, false);
    failed.status = RunStatus::Failed("no".into());
    let mut native = rung("native", 0.01, false);
    native.load_elsewhere = Some(1.5);
    let mut rungs = vec![
        rung("naive", 3.0, true),
        rung("algorithmic", 0.5, false),
        native,
        failed,
    ];
    fill_speedups(&mut rungs);
    Results {
        workload: WorkloadMeta {
            n: 1000,
            d: 768,
            seed: 0,
            source: "normal".into(),
            zero_rows: 0,
        },
        machine: test_machine("cpu"),
        budget_s: 1.0,
        threads: 1,
        rungs,
        learner: None,
    }
}

#[test]
fn the_ladder_chart_has_a_bar_per_timed_rung_coloured_by_step_and_the_limit() {
    let r = results();
    let svg = speedup_svg(&r).unwrap();
    let els = elements(&svg);
    let texts: String = svg.split("<text").skip(1).collect::<Vec<_>>().join("|");
    for id in ["naive", "algorithmic", "native", "library"] {
        assert!(
            texts.contains(&format!(">\n{id}{GAP}{KEEP}\n<")),
            "{id} labels a row"
        );
    }
    for step in ["Baseline", "Algorithm", "Native"] {
        assert!(
            texts.contains(&format!("vs base · {step}")),
            "{step} names its rows"
        );
    }
    assert!(texts.contains("~ est. 3.00 s"), "the estimate is marked");
    assert!(
        texts.contains("10.0 ms (! under load) · "),
        "a time measured under load says so: {texts}"
    );
    assert!(texts.contains("failed: no"), "an untimed rung says why");
    // The axis ends near the slowest bar (3 s): its figures go inside it, not past 10 s.
    assert!(
        texts.contains(">\n1 s\n<") && !texts.contains(">\n10 s\n<"),
        "{texts}"
    );
    // The upper triangle, 1000·1001·768 flops, at 200 GFLOP/s: a rung that mirrors it (half
    // the whole matrix's work) must not pass the line.
    assert!(texts.contains("(200 GFLOP/s, 3.8 ms)"), "{texts}");
    let color = |step| palette::css(step_color(step)).to_uppercase();
    let bars = |fill: &str, stroke: &str| {
        els.iter()
            .filter(|e| e.0 == "rect")
            .filter(|e| attr(e, "fill") == fill && attr(e, "stroke") == stroke)
            .count()
    };
    // Measured bars are filled; the estimate is hollow.
    assert_eq!(bars(&color(Step::Algorithm), "none"), 1);
    assert_eq!(bars(&color(Step::Native), "none"), 1);
    assert_eq!(bars("none", &color(Step::Baseline)), 1);
    let none = Results {
        rungs: vec![r.rungs[3].clone()],
        learner: None,
        ..r
    };
    assert_eq!(speedup_svg(&none), None, "nothing timed, nothing drawn");
}

#[test]
fn the_scaling_chart_has_a_line_per_rung_with_its_exponent() {
    let p = |rung: &str, n: usize, seconds: f64, extrapolated| ScalePoint {
        rung: rung.into(),
        n,
        seconds,
        extrapolated,
        gflops_effective: 1.0,
        verified: true,
        load_elsewhere: None,
    };
    let sweep = Sweep {
        points: vec![
            p("naive", 1000, 1.0, false),
            p("naive", 2000, 4.0, true),
            p("native", 1000, 0.01, false),
            p("native", 2000, 0.02, false),
        ],
        ..Sweep::default()
    };
    let svg = scale_svg(&sweep, &["naive", "native"]).unwrap();
    let els = elements(&svg);
    assert!(svg.contains("naive · b = 2.00") && svg.contains("native · b = 1.00"));
    assert!(
        svg.contains("hollow points: estimates"),
        "the marks are said"
    );
    let colors = series_colors(&["naive", "native"], &Look::SCREEN);
    assert_ne!(colors[0], colors[1]);
    assert_eq!(
        colors[1],
        step_color(crate::rungs::Step::Native),
        "as in the ladder"
    );
    for (k, hollow) in [(0, 1), (1, 0)] {
        let c = palette::css(colors[k]).to_uppercase();
        let lines = els
            .iter()
            .filter(|e| e.0 == "polyline" && attr(e, "stroke") == c)
            .filter(|e| attr(e, "points").split_whitespace().count() == 2)
            .count();
        // The series' line and its legend's sample.
        assert!(lines >= 2, "rung {k}: {lines} lines");
        // Each rung's points have a shape of their own (a circle, then a square), so two
        // lines lying on one another still show both.
        let shape = ["circle", "rect"][k];
        let filled = els
            .iter()
            .filter(|e| e.0 == shape && attr(e, "fill") == c)
            .count();
        let hollows = els
            .iter()
            .filter(|e| e.0 == shape && attr(e, "fill") == "none")
            .filter(|e| attr(e, "stroke") == c)
            .count();
        assert_eq!(hollows, hollow, "rung {k}: extrapolated points are hollow");
        // Its measured points and its legend's sample.
        assert_eq!(filled, 2 - hollow + 1, "rung {k}");
    }
    assert!(!svg.contains("!: under load"), "no point was under load");
    // A file of its own says why native's b is far from 2; a page's chart leaves it to the
    // page's text.
    assert!(svg.contains("native (1.00) grows slower than n²"), "{svg}");
    let in_page = scale_svg_in(&sweep, &["naive", "native"], &Look::PAPER).unwrap();
    assert!(!in_page.contains("slower than n²"));
    let mut loaded = sweep.clone();
    loaded.points[2].load_elsewhere = Some(1.5);
    let svg = scale_svg(&loaded, &["naive", "native"]).unwrap();
    assert!(svg.contains("!: under load"), "the mark is said: {svg}");
    assert_eq!(svg.matches(">\n!\n<").count(), 1, "one point marked: {svg}");
    assert_eq!(scale_svg(&Sweep::default(), &["naive"]), None);
}
