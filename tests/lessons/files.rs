//! Lesson files: the shipped ones validate, malformed ones get precise errors.

use std::path::PathBuf;

use ladder::lessons::{self, parse};

use super::ladder;

#[test]
fn every_shipped_lesson_loads_and_validates() {
    let ls = lessons::shipped().expect("shipped lessons are valid");
    let ids: Vec<&str> = ls.iter().map(|l| l.id.as_str()).collect();
    assert_eq!(
        ids,
        [
            "profile-first",
            "bytecode",
            "find-the-leak",
            "concurrency",
            "profilers"
        ]
    );
    ladder()
        .args(["learn", "--check"])
        .assert()
        .success()
        .stdout(predicates::str::contains("5 lessons"));
    // The lessons/ folder in the repository is the same set.
    ladder()
        .args(["learn", "--check", "lessons"])
        .assert()
        .success();
}

/// A wrong pick says why it is wrong and nothing more: its explanation never names the right
/// option (by the first word of its text, "norm", "asyncio"), or the question is answered by
/// picking wrong once.
#[test]
fn no_wrong_option_s_explanation_names_the_right_option() {
    for lesson in lessons::shipped().unwrap() {
        for step in &lesson.steps {
            for right in step.choices.iter().filter(|c| c.correct) {
                // Its first word, as written ("norm:", "py-spy", "asyncio:").
                let key: String = right
                    .text
                    .split_whitespace()
                    .next()
                    .unwrap_or("")
                    .trim_matches(|c: char| !c.is_alphanumeric())
                    .to_lowercase();
                // Short words ("the", "its") name nothing.
                if key.chars().count() < 4 {
                    continue;
                }
                for wrong in step.choices.iter().filter(|c| !c.correct) {
                    let named = wrong.explain.to_lowercase().split_whitespace().any(|w| {
                        w.trim_matches(|c: char| !c.is_alphanumeric())
                            .starts_with(&key)
                    });
                    assert!(
                        !named,
                        "{}/{}: the wrong option \"{}\" names the right one ({key}): {}",
                        lesson.id, step.id, wrong.text, wrong.explain
                    );
                }
            }
        }
    }
}

const GOOD: &str = r#"format_version = 1
id = "t"
title = "T"
criterion = "c"

[[step]]
id = "a"
kind = "read"
text = "hello"

[[step]]
id = "b"
kind = "run"
rung = "naive"
"#;

#[test]
fn malformed_lessons_name_the_file_the_line_and_the_problem() {
    let f = PathBuf::from("lessons/x.toml");
    assert!(parse(GOOD, &f).is_ok());
    let cases = [
        // (text, line, what the message says)
        (
            GOOD.replace("\"naive\"", "\"warp\""),
            Some(11),
            "rung 'warp' does not exist",
        ),
        (
            GOOD.replace("kind = \"run\"", "kind = \"dance\""),
            Some(13),
            "dance",
        ),
        (
            GOOD.replace("id = \"b\"", "id = \"a\""),
            Some(11),
            "used by an earlier step",
        ),
        (GOOD.replace("text = \"hello\"", ""), Some(6), "has no text"),
        (
            GOOD.replace("format_version = 1", "format_version = 9"),
            Some(1),
            "format_version 9",
        ),
        (format!("{GOOD}colour = 3\n"), None, "colour"),
        (
            format!(
                "{GOOD}\n[[step]]\nid = \"p\"\nkind = \"predict\"\nquestion = \"q\"\nwithin = 2.0\n"
            ),
            Some(16),
            "needs measure",
        ),
        (
            format!(
                "{GOOD}\n[[step]]\nid = \"c\"\nkind = \"choice\"\nquestion = \"q\"\n[[step.choices]]\ntext = \"x\"\nexplain = \"e\"\n[[step.choices]]\ntext = \"y\"\nexplain = \"e\"\n"
            ),
            Some(16),
            "no choice is marked correct",
        ),
    ];
    for (text, line, want) in cases {
        let e = parse(&text, &f).expect_err(want);
        let msg = e.to_string();
        assert!(msg.starts_with("lessons/x.toml"), "{msg}");
        assert!(msg.contains(want), "{msg} (want {want})");
        if let Some(l) = line {
            assert_eq!(e.line, Some(l), "{msg}");
        }
    }
    // The CLI check exits non-zero and says where.
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("ok.toml"), GOOD).unwrap();
    std::fs::write(
        dir.path().join("broken.toml"),
        GOOD.replace("\"naive\"", "\"warp\""),
    )
    .unwrap();
    ladder()
        .args(["learn", "--check", dir.path().to_str().unwrap()])
        .assert()
        .failure()
        .stderr(predicates::str::contains("broken.toml:11"))
        .stderr(predicates::str::contains("warp"));
}

#[test]
fn a_way_names_one_of_the_measured_ways_of_a_workload_step() {
    let f = PathBuf::from("lessons/x.toml");
    let lesson = |workload: &str, way: &str| {
        format!(
            "format_version = 1\nid = \"t\"\ntitle = \"T\"\ncriterion = \"c\"\n\n[[step]]\nid = \"c\"\nkind = \"choice\"\n{workload}question = \"q\"\n\n[[step.choices]]\ntext = \"a\"\nway = \"{way}\"\ncorrect = true\nexplain = \"e\"\n\n[[step.choices]]\ntext = \"b\"\nexplain = \"e\"\n"
        )
    };
    assert!(parse(&lesson("workload = \"cpu\"\n", "processes"), &f).is_ok());
    let e = parse(&lesson("", "processes"), &f).unwrap_err().to_string();
    assert!(
        e.contains("names a way, but the step has no workload"),
        "{e}"
    );
    let e = parse(&lesson("workload = \"cpu\"\n", "fibers"), &f)
        .unwrap_err()
        .to_string();
    assert!(e.contains("way 'fibers' is not one of"), "{e}");
    let e = parse(&lesson("workload = \"gpu\"\n", "threads"), &f)
        .unwrap_err()
        .to_string();
    assert!(e.contains("workload 'gpu'"), "{e}");
}
