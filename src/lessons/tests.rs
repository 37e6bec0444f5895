use super::*;

#[test]
fn predictions_score_within_a_factor_either_way() {
    assert!(scores(5.0, 6.0, 2.0));
    assert!(scores(12.0, 6.0, 2.0));
    assert!(!scores(13.0, 6.0, 2.0));
    assert!(!scores(2.9, 6.0, 2.0));
    assert!(!scores(0.0, 6.0, 2.0));
    assert!(!scores(-3.0, 6.0, 2.0));
    assert!(!scores(f64::NAN, 6.0, 2.0));
}

#[test]
fn a_prediction_on_the_wrong_side_of_1x_never_scores() {
    // 0.8x ("slower") for a change measured 1.48x faster is within 2x but wrong.
    assert!(!scores(0.8, 1.48, 2.0));
    assert!(scores(1.2, 1.48, 2.0));
    assert!(!scores(1.5, 0.7, 2.5));
    // A measurement indistinguishable from 1x accepts either side.
    assert!(scores(0.9, 1.02, 1.6));
    assert!(scores(1.1, 0.98, 1.6));
}

#[test]
fn option_orders_are_permutations_fixed_per_learner_and_step() {
    let a = option_order("ada", "l", "s", 4);
    let mut sorted = a.clone();
    sorted.sort_unstable();
    assert_eq!(sorted, [0, 1, 2, 3]);
    assert_eq!(a, option_order("ada", "l", "s", 4));
    // Across learners every option comes first for someone.
    let firsts: std::collections::BTreeSet<usize> = (0..40)
        .map(|k| option_order(&format!("learner{k}"), "l", "s", 4)[0])
        .collect();
    assert_eq!(firsts.len(), 4, "{firsts:?}");
}

fn explain_step(subject: &[&str]) -> Step {
    let mut s: Step = toml::from_str(
        "id = \"e\"\nkind = \"explain\"\nquestion = \"Why is the algorithm step first?\"\nmin_words = 15",
    )
    .unwrap();
    s.subject = subject.iter().map(ToString::to_string).collect();
    s
}

#[test]
fn empty_justifications_are_refused_with_the_reason() {
    let s = explain_step(&["algorithm", "norm", "work"]);
    let a15 = vec!["a"; 15].join(" ");
    assert!(
        check_justification(&s, &a15)
            .unwrap_err()
            .contains("different words")
    );
    assert!(
        check_justification(&s, "too short")
            .unwrap_err()
            .contains("at least 15")
    );
    let off = "my cat likes to sleep on the warm keyboard in the afternoon sun every single day";
    assert!(
        check_justification(&s, off)
            .unwrap_err()
            .contains("subject")
    );
    let good = "Removing the norm work per pair deletes two thirds of it, and every later rung only multiplies what is left";
    assert_eq!(check_justification(&s, good), Ok(()));
    // Without a subject list, the question's own longer words serve.
    let s = explain_step(&[]);
    assert!(check_justification(&s, off).is_err());
    let good = "The algorithm step removes work outright, so each later speedup multiplies a much smaller remaining cost";
    assert_eq!(check_justification(&s, good), Ok(()));
}

#[test]
fn a_miss_reads_as_more_than_the_allowance() {
    assert_eq!(
        off_by(2.04, 1.0, 2.0),
        "off by 2.04x, more than the 2x allowed"
    );
    assert_eq!(
        off_by(1.0, 3.0, 2.0),
        "off by 3.0x, more than the 2x allowed"
    );
    assert_eq!(
        off_by(1.0, 2.0004, 2.0),
        "off by 2.0004x, more than the 2x allowed"
    );
}
