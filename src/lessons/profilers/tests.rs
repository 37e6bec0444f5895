use super::*;

#[test]
fn claims_hold_within_points_or_a_factor() {
    assert!(judge(10.0, 14.0).held);
    assert!(judge(10.0, 19.0).held);
    assert!(!judge(10.0, 25.0).held);
    assert!(judge(1.0, -3.0).held);
    assert!(!judge(1.0, 7.0).held);
    // Below zero is noise around no cost: near a small claim, far from a large one.
    assert!(judge(1.0, -6.8).held);
    assert!(!judge(10.0, -3.0).held);
}

#[test]
fn medians_of_odd_even_and_empty() {
    assert_eq!(median(&[3.0, 1.0, 2.0]), Some(2.0));
    assert_eq!(median(&[4.0, 1.0, 2.0, 3.0]), Some(2.5));
    assert_eq!(median(&[]), None);
}

#[test]
fn sizes_out_of_range_are_refused_before_anything_runs() {
    assert!(compare(1, 1).unwrap_err().contains("--n 1"));
    assert!(compare(100, 0).unwrap_err().contains("--rounds 0"));
    assert!(compare(100_000, 1).unwrap_err().contains("out of range"));
}

#[test]
fn kernel_seconds_come_from_the_workload_line() {
    let out = "noise\nkernel_s 1.250000 checksum 3.0\n";
    assert_eq!(parse::kernel_seconds(out), Some(1.25));
    assert_eq!(parse::kernel_seconds("nothing"), None);
}

#[test]
fn pyspy_leaves_are_counted_by_function_without_lines() {
    let raw = "<module> (p.py:40);main (p.py:30);dot (p.py:19) 3\n\
               <module> (p.py:40);main (p.py:30);dot (p.py:20) 4\n\
               <module> (p.py:40);unit (p.py:12) 2\n 1\n";
    let s = parse::pyspy_raw(raw).unwrap();
    assert_eq!(s.top, "dot (p.py)");
    assert!((s.share - 0.7).abs() < 1e-9);
    assert!(parse::pyspy_raw("a;b x\n").is_err());
    assert!(parse::pyspy_raw("").is_err());
}

#[test]
fn pyinstrument_self_time_is_time_less_children() {
    let j = r#"{"root_frame": {"function": "<module>", "file_path_short": "p.py", "time": 1.0,
        "children": [{"function": "similarity", "file_path_short": "p.py", "time": 0.9,
          "children": [{"function": "dot", "file_path_short": "p.py", "time": 0.6}]}]}}"#;
    let s = parse::pyinstrument_json(j).unwrap();
    assert_eq!(s.top, "dot (p.py)");
    assert!((s.share - 0.6).abs() < 1e-9);
    assert!(parse::pyinstrument_json("{").is_err());
}

#[test]
fn memray_location_splits_function_file_and_line() {
    let j = r#"{"total_bytes_allocated": 200, "metadata": {"peak_memory": 150},
        "top_allocations_by_size": [{"location": "similarity:/x/p.py:31", "size": 150}]}"#;
    let s = parse::memray_stats(j).unwrap();
    assert_eq!(s.top, "similarity (p.py)");
    assert_eq!(s.peak_bytes, Some(150));
    assert!((s.share - 0.75).abs() < 1e-9);
    // At a small size the imports are the biggest allocation: said as such, not as a frame.
    let j = r#"{"total_bytes_allocated": 200, "top_allocations_by_size":
        [{"location": "get_data:<frozen importlib._bootstrap_external>:1186", "size": 90}]}"#;
    let s = parse::memray_stats(j).unwrap();
    assert_eq!(
        s.top,
        "importing modules (get_data in Python's import system)"
    );
}

#[test]
fn cprofile_reader_line_is_read() {
    let s = parse::cprofile("{\"top\": \"dot (p.py)\", \"share\": 0.5}\n").unwrap();
    assert_eq!((s.top.as_str(), s.share), ("dot (p.py)", 0.5));
    assert!(parse::cprofile("Traceback").is_err());
}

#[test]
fn scalene_sums_python_native_and_system_time_per_function_across_files() {
    let j = r#"{"files": {"/x/p.py": {"functions": [
          {"line": "dot", "n_cpu_percent_python": 20.0, "n_cpu_percent_c": 5.0, "n_sys_percent": 5.0},
          {"line": "main", "n_cpu_percent_python": 35.0}]},
        "/y/q.py": {"functions": [{"line": "dot", "n_cpu_percent_python": 40.0}]}}}"#;
    let s = parse::scalene_json(j).unwrap();
    assert_eq!(s.top, "dot (q.py)");
    assert!((s.share - 0.4).abs() < 1e-9);
    assert!(parse::scalene_json(r#"{"files": {"p.py": {"functions": []}}}"#).is_err());
}

#[test]
fn pyinstrument_self_frames_count_for_their_parent() {
    let j = r#"{"root_frame": {"function": "<module>", "file_path_short": "p.py", "time": 1.0,
        "children": [{"function": "dot", "file_path_short": "p.py", "time": 0.8,
          "children": [{"function": "[self]", "file_path_short": "p.py", "time": 0.7},
                       {"function": "len", "file_path_short": "", "time": 0.1}]}]}}"#;
    let s = parse::pyinstrument_json(j).unwrap();
    assert_eq!(s.top, "dot (p.py)");
    assert!((s.share - 0.7).abs() < 1e-9);
}
