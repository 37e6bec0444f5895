use super::*;
use crate::workload::{Distribution, Source};

/// A thread that cannot start: far more stack than any address space holds.
fn unstartable(name: &str) -> std::thread::Builder {
    named(name).stack_size(1 << 62)
}

fn machine() -> MachineInfo {
    MachineInfo {
        cpu: "Test CPU".into(),
        model: None,
        arch: "x86_64".into(),
        logical_cores: 2,
        physical_cores: Some(2),
        simd: vec![],
        kernel_isa: "portable".into(),
        peak_gflops_core: 10.0,
        peak_gflops_all: 20.0,
        peak_gflops_core_128: 10.0,
        peak_gflops_all_128: 20.0,
        mem_read_gbs: None,
        peak_origin: crate::machine::PeakOrigin::default(),
    }
}

#[test]
fn a_run_whose_thread_cannot_start_ends_failed_saying_why() {
    let (tx, rx) = std::sync::mpsc::channel();
    let mut effects = Effects::new(tx, Vec::new());
    effects.thread = unstartable;
    let x = crate::workload::generate(Distribution::Normal, 10, 4, 0).unwrap();
    let w = Workload::from_matrix(Source::Generated(Distribution::Normal), 0, x);
    let _ = effects.workload_loaded(0, Arc::new(w));
    let _ = effects.machine_loaded(machine());
    effects.execute(Command::Run {
        index: 0,
        budget: std::time::Duration::from_secs(1),
        threads: 1,
        k: 5,
        repeat: 1,
    });
    let Ok(Event::App(Msg::RungFinished(report))) = rx.try_recv() else {
        panic!("no report of the run that never started");
    };
    assert_eq!(report.rung, "naive");
    match &report.status {
        crate::run::RunStatus::Failed(why) => {
            assert!(why.contains("could not start a thread"), "{why}");
        }
        other => panic!("{other:?}"),
    }
    // Every other worker says so in its own message, so nothing waits for it.
    effects.execute(Command::Sweep {
        spec: crate::workload::WorkloadSpec {
            n: 10,
            d: 4,
            seed: 0,
            source: Source::Generated(Distribution::Normal),
        },
        budget: std::time::Duration::from_secs(1),
        threads: 1,
        k: 5,
    });
    assert!(matches!(
        rx.try_recv(),
        Ok(Event::App(Msg::SweepFinished { error: Some(_), .. }))
    ));
    effects.execute(Command::LoadWorkload(crate::workload::WorkloadSpec {
        n: 10,
        d: 4,
        seed: 0,
        source: Source::Generated(Distribution::Normal),
    }));
    assert!(matches!(
        rx.try_recv(),
        Ok(Event::App(Msg::WorkloadFailed(_)))
    ));
}
