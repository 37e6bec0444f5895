//! The HTML report and the exports meant for slides, as a user makes them: `ladder run
//! --report`, `ladder report` from saved runs, flamegraph exports with and without the full
//! stacks, and the report opened in a real browser (headless Chromium).

use std::path::{Path, PathBuf};
use std::process::Command as Process;

use assert_cmd::Command;
use predicates::prelude::*;
use tempfile::TempDir;

fn ladder() -> Command {
    Command::cargo_bin("ladder").unwrap()
}

/// A small profiled run: its JSON, its flamegraphs (with their folded stacks) and its report.
fn small_run(dir: &Path) -> (PathBuf, PathBuf) {
    let json = dir.join("run.json");
    let html = dir.join("report.html");
    ladder()
        .current_dir(dir)
        .args([
            "run",
            // Large enough that naive and algorithmic are sampled (their difference is drawn).
            "--n",
            "800",
            "--d",
            "256",
            "--budget",
            "1",
            "--rungs",
            "naive,algorithmic,native",
            "--format",
            "json",
            "--profile",
            "-o",
            "run.json",
            "--report",
            "report.html",
        ])
        .assert()
        .success();
    (json, html)
}

#[test]
fn run_report_and_report_from_saved_runs_show_every_rung() {
    let dir = TempDir::new().unwrap();
    let (json, html) = small_run(dir.path());
    let page = std::fs::read_to_string(&html).unwrap();
    for id in ["naive", "algorithmic", "native"] {
        assert!(page.contains(&format!("<code>{id}</code>")), "{id}");
    }
    assert!(
        page.contains("<h3>naive → algorithmic</h3>"),
        "the differences"
    );
    // The folded stacks beside the SVGs hold every frame and say so. They sit in a folder
    // named for the output (`-o run.json`), so another run's do not replace them.
    let folded = std::fs::read_to_string(dir.path().join("run-flamegraphs/naive.folded")).unwrap();
    assert!(
        folded.starts_with("# ladder folded stacks, full stacks"),
        "{folded}"
    );

    // The same report, after the fact, from the saved run (elsewhere: paths resolve beside it).
    let out = dir.path().join("again.html");
    ladder()
        .current_dir(std::env::temp_dir())
        .arg("report")
        .arg(&json)
        .arg("-o")
        .arg(&out)
        .assert()
        .success();
    let again = std::fs::read_to_string(&out).unwrap();
    assert_eq!(
        again.matches("<iframe class=\"flame\"").count(),
        page.matches("<iframe class=\"flame\"").count(),
        "the flamegraphs come back from the folded stacks"
    );
    assert!(again.contains("<code>native</code>"));

    // A rung run again takes its earlier row's place: the ladder keeps its order.
    let redo = dir.path().join("redo.json");
    ladder()
        .args(["run", "--n", "800", "--d", "256", "--budget", "1"])
        .args(["--rungs", "algorithmic", "--format", "json", "-o"])
        .arg(&redo)
        .assert()
        .success();
    let merged = dir.path().join("merged.html");
    ladder()
        .arg("report")
        .args([&json, &redo])
        .arg("-o")
        .arg(&merged)
        .assert()
        .success()
        .stderr(predicates::str::contains(
            "ran algorithmic again: its row here is from it, not from the files before it; one \
             earlier flamegraph goes with it (this run was not profiled)",
        ));
    let merged = std::fs::read_to_string(&merged).unwrap();
    assert!(merged.contains("its row here is from it, not from the files before it"));
    // One file twice is refused, not merged with itself.
    ladder()
        .arg("report")
        .args([&json, &redo, &json])
        .arg("-o")
        .arg(dir.path().join("twice.html"))
        .assert()
        .code(2)
        .stderr(predicates::str::contains(
            "is given twice: give each file once",
        ));
    let at = |id: &str| merged.find(&format!("<code>{id}</code>")).unwrap();
    assert!(at("naive") < at("algorithmic") && at("algorithmic") < at("native"));
    assert!(
        page.contains("href=\"#diffs\""),
        "the differences are in the contents"
    );
    // The rerun was not profiled: the first run's profile of it is not shown as its own.
    assert!(
        !merged.contains("<h3>algorithmic</h3>"),
        "a profile of another run"
    );
    assert!(
        !merged.contains("Warning:"),
        "one machine, nothing to warn of"
    );

    // A run from another machine merged in: the page itself says so.
    let mut other: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&redo).unwrap()).unwrap();
    other["machine"]["cpu"] = "Another CPU".into();
    let other_json = dir.path().join("other.json");
    std::fs::write(&other_json, other.to_string()).unwrap();
    let mixed = dir.path().join("mixed.html");
    ladder()
        .arg("report")
        .args([&json, &other_json])
        .arg("-o")
        .arg(&mixed)
        .assert()
        .success();
    let mixed = std::fs::read_to_string(&mixed).unwrap();
    assert!(mixed.contains("Warning:"), "warned on the page");
    assert!(mixed.contains("(algorithmic) ran on another machine, Another CPU"));

    // A run saved without --profile: the report says why it has no flamegraphs, and how to get
    // them; a named run's report says whose it is.
    let plain = dir.path().join("plain.json");
    ladder()
        .args(["run", "--n", "100", "--d", "16", "--rungs", "naive"])
        .args(["--name", "Ada <L>", "--format", "json", "-o"])
        .arg(&plain)
        .assert()
        .success();
    let out_plain = dir.path().join("plain.html");
    ladder()
        .arg("report")
        .arg(&plain)
        .arg("-o")
        .arg(&out_plain)
        .assert()
        .success()
        .stderr(predicates::str::contains("not profiled"));
    let page_plain = std::fs::read_to_string(&out_plain).unwrap();
    assert!(page_plain.contains("No flamegraphs: these runs were not profiled"));
    assert!(page_plain.contains("ladder run --profile --format json"));
    assert!(page_plain.contains("Run by Ada &lt;L&gt;."), "escaped");
    assert!(!page.contains("Run by"), "an unnamed run names no one");

    // A lab's results slot in as a table of their own.
    let lab = dir.path().join("lab.json");
    std::fs::write(
        &lab,
        r#"{"lab": "my-lab", "all_count": false, "workload": {"n": 200, "d": 16},
            "steps": [{"id": "naive", "file": "01_naive.py", "seconds": 0.2,
                       "extrapolated": false, "speedup_vs_baseline": 1.0, "verified": true,
                       "counts": true, "run": {"load_elsewhere": 0.9}},
                      {"id": "library", "file": "07_library.py", "seconds": 0.01,
                       "speedup_vs_baseline": 20.0, "speedup_vs_previous": 20.0,
                       "topk_vs_full": [true, true], "verified": true, "counts": true},
                      {"id": "<b>numpy</b>", "file": "03_numpy.py", "counts": false,
                       "reason": "locked: 02_algorithmic.py does not count yet"}]}"#,
    )
    .unwrap();
    ladder()
        .arg("report")
        .args([&json, &lab])
        .arg("-o")
        .arg(&out)
        .assert()
        .success();
    let with_lab = std::fs::read_to_string(&out).unwrap();
    assert!(with_lab.contains("<h2 id=\"section-0\">Lab: my-lab</h2>"));
    // Measured under load, marked as `lab check` marks it, and said.
    assert!(with_lab.contains("<td class=\"t\">200.0 ms !</td>"));
    assert!(with_lab.contains("! marks a time measured under load"));
    assert!(with_lab.contains("&lt;b&gt;numpy&lt;/b&gt;") && !with_lab.contains("<b>numpy"));
    assert!(with_lab.contains("locked: 02_algorithmic.py does not count yet"));
    // A top-k step's speedups over a full matrix's are starred, and the star explained.
    assert!(
        with_lab.contains("<td class=\"t\">20.0x*</td>"),
        "{with_lab}"
    );
    assert!(with_lab.contains("top-k answers another question"));

    // And the lessons' predictions against their measurements.
    let learn = dir.path().join("learn.json");
    std::fs::write(
        &learn,
        r#"{"learner": "ada", "lessons": [{"title": "Profile first", "answers": [
            {"kind": "predict", "question": "How many times faster?", "first_attempt_right": true,
             "attempts": [{"predicted": 5.0, "measured": 5.9}]},
            {"kind": "choice", "question": "Which frame?", "attempts": [{"choice": 1}]}]}]}"#,
    )
    .unwrap();
    ladder()
        .arg("report")
        .args([&json, &learn])
        .arg("-o")
        .arg(&out)
        .assert()
        .success();
    let with_learn = std::fs::read_to_string(&out).unwrap();
    assert!(with_learn.contains("Predictions: ada"));
    assert!(with_learn.contains("<td class=\"t\">5.000</td><td class=\"t\">5.900</td>"));
    assert!(!with_learn.contains("Which frame?"), "only predictions");

    // The lab and the lessons alone (a student's hand-in without a run): their tables, named
    // by what they hold and by whom, and no empty speedup table or chart.
    let only = dir.path().join("only.html");
    ladder()
        .arg("report")
        .args([&lab, &learn])
        .arg("-o")
        .arg(&only)
        .assert()
        .success();
    let page = std::fs::read_to_string(&only).unwrap();
    assert!(
        page.contains("<title>ladder: Lab: my-lab · Predictions: ada</title>"),
        "{page}"
    );
    // The lab names no one: ada's predictions do not make it hers.
    assert!(
        !page.contains("By ada.") && !page.contains("Run by"),
        "{page}"
    );
    assert!(page.contains("<h2 id=\"section-1\">Predictions: ada</h2>"));
    assert!(!page.contains("id=\"table\"") && !page.contains("id=\"chart\""));
    // Her own predictions alone are hers.
    ladder()
        .arg("report")
        .arg(&learn)
        .arg("-o")
        .arg(&only)
        .assert()
        .success();
    let page = std::fs::read_to_string(&only).unwrap();
    assert!(page.contains("By ada."), "{page}");
}

#[test]
fn a_python_peer_s_flamegraph_is_its_own_stacks_by_py_spy() {
    let dir = TempDir::new().unwrap();
    let html = dir.path().join("peer.html");
    let out = ladder()
        .current_dir(dir.path())
        // Long enough (about a second) for py-spy to sample it on a busy machine.
        .args(["run", "--n", "600", "--d", "32", "--budget", "1"])
        .args(["--rungs", "none", "--peers", "py-algorithm", "--report"])
        .arg(&html)
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    let page = std::fs::read_to_string(&html).unwrap_or_default();
    if ladder::peers::which("py-spy").is_none() {
        // Without py-spy a peer has no flamegraph, and the run says why.
        assert!(err.contains("pip install py-spy"), "{err}");
        assert!(
            !page.contains("<h3>py-algorithm</h3>"),
            "no profile of ladder waiting"
        );
        eprintln!("skipped the py-spy half: py-spy is not installed");
        return;
    }
    // Not ladder's own threads waiting for the program: the program's Python functions.
    let flame = page
        .split("<h3>py-algorithm</h3>")
        .nth(1)
        .unwrap_or_else(|| panic!("no flamegraph of py-algorithm: {err}"));
    assert!(
        flame.contains("py-spy samples") && flame.contains("whole process"),
        "{err}"
    );
    assert!(flame.contains("pure_python.py"), "its own file's frames");
    assert!(
        !flame.contains("ladder::peers"),
        "not ladder waiting for it"
    );
}

#[test]
fn report_refuses_bad_input_by_name() {
    let dir = TempDir::new().unwrap();
    let write = |name: &str, text: &str| {
        let p = dir.path().join(name);
        std::fs::write(&p, text).unwrap();
        p
    };
    let cases = [
        (
            write("half.json", "{ \"rungs\": ["),
            "half.json is not JSON",
        ),
        (
            write("other.json", "{\"name\": \"x\"}"),
            "other.json is not a ladder output",
        ),
        (
            write("bad.json", "{\"rungs\": 3, \"workload\": {}}"),
            "bad.json is not a ladder output",
        ),
        (dir.path().join("missing.json"), "could not read"),
        (write("empty.json", "  \n"), "empty.json is empty"),
    ];
    for (path, says) in cases {
        ladder()
            .arg("report")
            .arg(&path)
            .assert()
            .code(2)
            .stderr(predicate::str::contains(says));
    }
}

#[test]
fn flame_exports_fold_the_scaffolding_unless_full_stacks_is_asked_for() {
    let dir = TempDir::new().unwrap();
    let export = |name: &str, full: bool| -> String {
        let path = dir.path().join(name);
        let mut cmd = ladder();
        cmd.args(["flame", "--rung", "naive", "--n", "400", "--d", "256", "-o"])
            .arg(&path);
        if full {
            cmd.arg("--full-stacks");
        }
        cmd.assert().success();
        std::fs::read_to_string(&path).unwrap()
    };
    // Scaffolding: a standard-library frame with one of ours above it.
    let scaffolded = |line: &str| {
        let frames: Vec<&str> = line.split(';').collect();
        frames.iter().enumerate().skip(1).any(|(i, f)| {
            (f.starts_with("std::") || f.starts_with("core::") || f.contains("FnOnce"))
                && frames[i + 1..].iter().any(|g| g.starts_with("ladder::"))
        })
    };
    let slide = export("slide.folded", false);
    assert!(
        slide.starts_with("# ladder folded stacks, slide view"),
        "{slide}"
    );
    assert!(slide.contains("ladder::rungs::naive"));
    assert!(!slide.lines().any(scaffolded), "{slide}");
    let full = export("full.folded", true);
    assert!(full.starts_with("# ladder folded stacks, full stacks"));
    assert!(full.lines().any(scaffolded), "{full}");
    // The SVG says which it holds.
    let svg = export("slide.svg", false);
    assert!(svg.contains("· scaffolding folded"));
}

/// Chromium, when installed (CI installs it).
fn chromium() -> Option<PathBuf> {
    ["chromium", "chromium-browser", "google-chrome"]
        .iter()
        .find_map(|name| ladder::peers::which(name))
}

fn browser(exe: &Path, profile: &Path) -> Process {
    let mut cmd = Process::new(exe);
    cmd.args([
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--hide-scrollbars",
        "--enable-logging=stderr",
        "--v=0",
    ])
    .arg(format!("--user-data-dir={}", profile.display()));
    cmd
}

/// A click on a flamegraph frame and a search, from the page around it: inferno's own script
/// must zoom (the frame fills the width) and count the matches, inside the report.
const CLICK_CHECK: &str = r##"<script>
window.addEventListener("load", function () { setTimeout(function () {
  var out = [];
  try {
    var f = document.querySelector("iframe.flame"), w = f.contentWindow, d = f.contentDocument;
    var gs = d.querySelectorAll("#frames > g"), g = null;
    for (var i = 0; i < gs.length; i++) {
      var wd = parseFloat(gs[i].querySelector("rect").getAttribute("width"));
      // A frame of a Rust path (a slide names it `naive::norm`, as the terminal does), so the
      // search below has a match inside the zoomed frame: inferno searches only what a zoom
      // leaves visible.
      if (wd > 1 && wd < 90 && gs[i].querySelector("title").textContent.indexOf("::") >= 0) { g = gs[i]; break; }
    }
    g.dispatchEvent(new w.MouseEvent("click", {bubbles: true}));
    out.push("zoomed " + g.querySelector("rect").getAttribute("width"));
    w.search("::");
    out.push("search " + d.getElementById("matched").textContent);
  } catch (e) { out.push("error " + e); }
  document.body.setAttribute("data-check", out.join("; "));
}, 300); });
</script></body>"##;

#[test]
fn the_report_renders_in_a_real_browser() {
    let Some(exe) = chromium() else {
        println!("skipped: chromium is not installed (apt-get install chromium); CI installs it");
        return;
    };
    let dir = TempDir::new().unwrap();
    let (_, html) = small_run(dir.path());
    let page = std::fs::read_to_string(&html).unwrap();
    let checked = dir.path().join("checked.html");
    std::fs::write(&checked, page.replace("</body>", CLICK_CHECK)).unwrap();

    let dom = browser(&exe, &dir.path().join("profile-dom"))
        .args(["--virtual-time-budget=5000", "--dump-dom"])
        .arg(format!("file://{}", checked.display()))
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&dom.stdout);
    let log = String::from_utf8_lossy(&dom.stderr);
    assert!(
        !log.contains("Uncaught") && !log.contains(":ERROR:CONSOLE"),
        "a script failed:\n{log}"
    );
    let marker = text
        .split("data-ladder=\"")
        .nth(1)
        .and_then(|s| s.split('"').next())
        .unwrap_or_else(|| panic!("the page's script did not run:\n{log}"));
    let (ready, total) = marker
        .trim_start_matches("rendered flames ")
        .split_once('/')
        .unwrap();
    assert!(
        total != "0" && ready == total,
        "flamegraphs ready: {marker}"
    );
    assert!(
        text.contains("data-check=\"zoomed 100.0000%; search Matched: "),
        "click-to-zoom or search failed: {}",
        text.split("data-check=\"")
            .nth(1)
            .unwrap_or("(no check ran)")
    );
    assert!(text.contains("<code>algorithmic</code>"), "an empty page");

    let png = dir.path().join("report.png");
    let shot = browser(&exe, &dir.path().join("profile-shot"))
        .args(["--window-size=1280,900", "--virtual-time-budget=3000"])
        .arg(format!("--screenshot={}", png.display()))
        .arg(format!("file://{}", html.display()))
        .output()
        .unwrap();
    assert!(
        shot.status.success(),
        "{}",
        String::from_utf8_lossy(&shot.stderr)
    );
    let bytes = std::fs::read(&png).unwrap();
    assert!(
        bytes.starts_with(b"\x89PNG") && bytes.len() > 20_000,
        "an empty screenshot"
    );
    if let Ok(keep) = std::env::var("LADDER_SCREENSHOT") {
        std::fs::copy(&png, keep).unwrap();
    }
}

#[test]
fn markdown_notes_bring_their_chart_and_scale_draws_its_plot() {
    let dir = TempDir::new().unwrap();
    let notes = dir.path().join("NOTES.md");
    ladder()
        .args(["run", "--n", "200", "--d", "32", "--rungs", "naive,native"])
        .args(["--format", "markdown", "-o"])
        .arg(&notes)
        .assert()
        .success();
    let md = std::fs::read_to_string(&notes).unwrap();
    let chart = md
        .find("![The ladder: kernel time per rung](speedup.svg)")
        .unwrap();
    assert!(
        chart < md.find("| rung |").unwrap(),
        "the chart tops the table"
    );
    let svg = std::fs::read_to_string(dir.path().join("speedup.svg")).unwrap();
    assert!(svg.starts_with("<svg") && svg.contains("native"));
    // A second output in the same folder brings its own chart and leaves NOTES.md's.
    ladder()
        .args(["run", "--n", "150", "--d", "32", "--rungs", "naive"])
        .args(["--format", "markdown", "-o"])
        .arg(dir.path().join("second.md"))
        .assert()
        .success();
    let second = std::fs::read_to_string(dir.path().join("second.md")).unwrap();
    assert!(second.contains("](second-speedup.svg)"), "{second}");
    assert_eq!(
        std::fs::read_to_string(dir.path().join("speedup.svg")).unwrap(),
        svg
    );

    let plot = dir.path().join("scale.svg");
    ladder()
        .args(["scale", "--rungs", "native", "--n", "100,200", "--d", "32"])
        .args(["--budget", "1", "--plot"])
        .arg(&plot)
        .assert()
        .success();
    let svg = std::fs::read_to_string(&plot).unwrap();
    assert!(svg.contains("native · b = "), "{svg}");

    // The sweep saved as JSON goes into a report beside a run, as the README shows.
    let sweep = dir.path().join("scale.json");
    ladder()
        .args(["scale", "--rungs", "native", "--n", "100,200", "--d", "32"])
        .args(["--budget", "1", "--format", "json", "-o"])
        .arg(&sweep)
        .assert()
        .success();
    let run = dir.path().join("run.json");
    ladder()
        .args(["run", "--n", "200", "--d", "32", "--rungs", "naive,native"])
        .args(["--format", "json", "-o"])
        .arg(&run)
        .assert()
        .success();
    let page = dir.path().join("report.html");
    ladder()
        .arg("report")
        .args([&run, &sweep])
        .arg("-o")
        .arg(&page)
        .assert()
        .success();
    let html = std::fs::read_to_string(&page).unwrap();
    assert!(
        html.contains("id=\"scale\""),
        "the scaling section is there"
    );
}

#[test]
fn merged_runs_keep_the_ladder_s_order_and_say_what_does_not_compare() {
    let dir = TempDir::new().unwrap();
    let run = |file: &str, rungs: &str, extra: &[&str]| {
        ladder()
            .current_dir(dir.path())
            .args(["run", "--n", "300", "--d", "32", "--rungs", rungs])
            .args(["--format", "json", "-o", file, "--name", "Ada"])
            .args(extra)
            .assert()
            .success();
    };
    run("lib.json", "library", &["--threads", "2"]);
    run("base.json", "naive,algorithmic", &["--threads", "1"]);
    std::fs::write(
        dir.path().join("bob-lab.json"),
        r#"{"lab": "l", "learner": "Bob", "steps": []}"#,
    )
    .unwrap();
    let out = ladder()
        .current_dir(dir.path())
        .args([
            "report",
            "lib.json",
            "base.json",
            "bob-lab.json",
            "-o",
            "r.html",
        ])
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    let err = String::from_utf8_lossy(&out.stderr);
    let html = std::fs::read_to_string(dir.path().join("r.html")).unwrap();
    // The library run came first; naive is still the baseline, first in the table.
    let first = html.find("<code>naive</code>").unwrap();
    assert!(first < html.find("<code>library</code>").unwrap());
    assert!(err.contains("ran with 1 thread, not 2"), "{err}");
    assert!(html.contains("ran with 1 thread, not 2"));
    assert!(err.contains("bob-lab.json is Bob's"), "{err}");
    assert!(!html.contains("Run by Ada"), "the lab is not Ada's");
}
