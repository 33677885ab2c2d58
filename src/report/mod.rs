//! Rendering: timelines of counterexamples, the results table, JSON and the reports folder.
//! Nothing here reads a clock: elapsed times appear only in `check --json`, never in a
//! timeline or a report file.

pub mod html;
mod results;
pub mod svg;
mod timeline;

pub use results::{
    json_results, junit, table, thousands, unfired_note, unreached_block, write_reports, ResultRow,
};
pub use timeline::{counterexample_block, fold_end, folds, replay_command, shell_quote};
