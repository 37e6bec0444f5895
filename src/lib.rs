//! `ladder`: climb the performance-optimisation ladder on one workload, pairwise cosine
//! similarity, and measure every step honestly.
//!
//! Data flows one way: a [`workload::Workload`] goes to the [`run::Runner`], which drives one
//! [`rungs::Rung`] at a time on a worker thread and sends [`run::RunEvent`]s back; each run ends
//! in a [`run::RunReport`], from which [`report`] derives every table and export.

pub mod fsio;
pub mod lab;
pub mod lessons;
pub mod machine;
pub mod monitor;
pub mod peers;
pub mod profile;
pub mod report;
pub mod run;
pub mod rungs;
pub mod tui;
pub mod workload;
