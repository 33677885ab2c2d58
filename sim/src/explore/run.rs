//! The single-run step loop shared by the scripted, random and replay explorers.

use std::fmt;

use crate::explore::{Config, Limit, Report, Strategy, TieBreak, Verdict};
use crate::model::Model;
use crate::narrate::{Narrator, Recorder, Silent};
use crate::schedule::{Choice, Schedule};

/// What a chooser may pick from at one state.
pub struct Options<'a, Mv> {
    /// Enabled moves; the first `urgent` are urgent.
    pub moves: &'a [Mv],
    pub urgent: usize,
    /// Whether letting time pass is allowed (no urgent move, a timer pending).
    pub can_advance: bool,
}

/// A strategy for one run. `None` ends the run where it stands (only sensible when nothing is
/// urgent).
pub trait Chooser<M: Model> {
    fn choose(&mut self, model: &M, s: &M::State, opts: &Options<'_, M::Move>) -> Option<Choice>;
}

pub(crate) enum RunEnd {
    Holds,
    Violated(u8),
    Limit(Limit),
}

pub(crate) struct RunResult {
    pub end: RunEnd,
    pub schedule: Schedule,
    pub steps: u64,
    /// Virtual time when the run ended.
    pub end_time: crate::model::Time,
}

/// Runs one execution from the initial world. Properties are checked after every move. A
/// violation of the first-listed property ends the run; a violation of a later one is noted
/// and the run goes on looking only for earlier-listed ones (the exhaustive search's verdict
/// order, see [`super::exhaustive`]), until nothing can happen any more or a budget runs out.
/// A run that violated anything reports its earliest-listed violation, with its schedule cut
/// at the move that made it.
pub(crate) fn run_one<M: Model, C: Chooser<M>, N: RunNarrator>(
    model: &M,
    chooser: &mut C,
    cfg: &Config,
    narrator: &mut N,
) -> RunResult {
    let nprops = model.properties().len() as u8;
    let mut s = model.initial();
    let mut moves = Vec::new();
    let mut schedule = Vec::new();
    let mut steps = 0u64;
    // Clock advances, capped like moves: a model whose timers keep firing with nothing to do
    // would otherwise grow the schedule until the horizon, millisecond by millisecond.
    let mut advances = 0u64;
    // The earliest-listed violation so far, and the schedule length that reached it.
    let mut found: Option<(u8, usize)> = None;
    let end = loop {
        let limit = found.map_or(nprops, |f| f.0);
        if let Some(p) = model.violated(&s, limit, false) {
            found = Some((p, schedule.len()));
            if p == 0 {
                break RunEnd::Violated(0);
            }
        }
        let limit = found.map_or(nprops, |f| f.0);
        moves.clear();
        let urgent = model.moves(&s, &mut moves);
        let wake = if urgent == 0 {
            model.next_wake(&s)
        } else {
            None
        };
        let ended = moves.is_empty() && wake.is_none();
        if ended {
            break end_of_run(model, &s, limit);
        }
        if steps >= cfg.steps_max || advances >= cfg.steps_max {
            break RunEnd::Limit(Limit::Steps);
        }
        let opts = Options {
            moves: &moves,
            urgent,
            can_advance: wake.is_some(),
        };
        let Some(choice) = chooser.choose(model, &s, &opts) else {
            if urgent == 0 && wake.is_none() {
                break end_of_run(model, &s, limit);
            }
            break RunEnd::Limit(Limit::OpenChoice);
        };
        match choice {
            Choice::Advance => {
                let to = wake.expect("chooser advanced with no timer pending");
                if to > cfg.time_ms_max {
                    break RunEnd::Limit(Limit::Horizon);
                }
                model.advance(&mut s, to);
                advances += 1;
            }
            Choice::Move(i) => {
                let m = moves[i as usize];
                narrator.before(model, &s, m);
                model.apply(&mut s, m, narrator.inner());
                narrator.after(model, &s, m);
                steps += 1;
            }
        }
        schedule.push(choice);
    };
    let end = match (end, found) {
        (RunEnd::Violated(p), _) => {
            // At the end of the run (or the first-listed property): the whole schedule.
            RunEnd::Violated(p)
        }
        (_, Some((p, len))) => {
            schedule.truncate(len);
            RunEnd::Violated(p)
        }
        (end, None) => end,
    };
    RunResult {
        end,
        schedule: Schedule(schedule),
        steps,
        end_time: model.now(&s),
    }
}

fn end_of_run<M: Model>(model: &M, s: &M::State, nprops: u8) -> RunEnd {
    match model.violated(s, nprops, true) {
        Some(p) => RunEnd::Violated(p),
        None => RunEnd::Holds,
    }
}

/// A narrator plus the bookkeeping a timeline needs around each move.
pub(crate) trait RunNarrator {
    type Inner: Narrator;
    fn inner(&mut self) -> &mut Self::Inner;
    fn before<M: Model>(&mut self, model: &M, s: &M::State, m: M::Move);
    fn after<M: Model>(&mut self, model: &M, s: &M::State, m: M::Move);
}

impl RunNarrator for Silent {
    type Inner = Silent;
    #[inline(always)]
    fn inner(&mut self) -> &mut Silent {
        self
    }
    #[inline(always)]
    fn before<M: Model>(&mut self, _: &M, _: &M::State, _: M::Move) {}
    #[inline(always)]
    fn after<M: Model>(&mut self, _: &M, _: &M::State, _: M::Move) {}
}

struct Recording {
    rec: Recorder,
    label: String,
    time: u64,
}

impl RunNarrator for Recording {
    type Inner = Recorder;
    fn inner(&mut self) -> &mut Recorder {
        &mut self.rec
    }
    fn before<M: Model>(&mut self, model: &M, s: &M::State, m: M::Move) {
        self.rec.begin();
        self.label = model.move_label(s, m);
        self.time = model.now(s);
    }
    fn after<M: Model>(&mut self, model: &M, s: &M::State, m: M::Move) {
        let actor = model.actor_name(model.actor_of(m));
        let label = std::mem::take(&mut self.label);
        let mask = model.in_section(s);
        let section = (0..64u8)
            .filter(|i| mask >> i & 1 == 1)
            .map(|i| model.actor_name(i))
            .collect();
        self.rec
            .finish(self.time, actor, label, model.render_state(s), section);
    }
}

struct Scripted(TieBreak);

impl<M: Model> Chooser<M> for Scripted {
    fn choose(&mut self, _: &M, _: &M::State, o: &Options<'_, M::Move>) -> Option<Choice> {
        if o.urgent > 0 {
            let i = match self.0 {
                TieBreak::ActorOrder => 0,
                TieBreak::ReverseActorOrder => o.urgent - 1,
            };
            Some(Choice::Move(i as u32))
        } else if o.can_advance {
            Some(Choice::Advance)
        } else {
            None
        }
    }
}

fn report_of(strategy: Strategy, r: RunResult) -> Report {
    let (verdict, cx) = match r.end {
        RunEnd::Holds => (Verdict::Holds, None),
        RunEnd::Violated(p) => (Verdict::Violated { property: p }, Some(r.schedule)),
        RunEnd::Limit(l) => (Verdict::Inconclusive(l), None),
    };
    Report {
        strategy,
        verdict,
        states: 0,
        schedules: 1,
        steps: r.steps,
        counterexample: cx,
        failing_run: None,
        found_by_probe: false,
    }
}

/// The scenario's own timeline: urgent moves only, same-instant ties broken by
/// `cfg.tie_break`, optional moves (faults "at any point") never taken.
pub fn check_scripted<M: Model>(model: &M, cfg: &Config) -> Report {
    let r = run_one(model, &mut Scripted(cfg.tie_break), cfg, &mut Silent);
    report_of(Strategy::Scripted, r)
}

/// A schedule that does not fit the model it is replayed on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReplayError {
    pub at: usize,
    pub why: String,
}

impl fmt::Display for ReplayError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "the schedule does not fit this scenario at choice {}: {}",
            self.at + 1,
            self.why
        )
    }
}

impl std::error::Error for ReplayError {}

struct Follow<'a> {
    schedule: &'a [Choice],
    at: usize,
    error: Option<ReplayError>,
}

impl<M: Model> Chooser<M> for Follow<'_> {
    fn choose(&mut self, _: &M, _: &M::State, o: &Options<'_, M::Move>) -> Option<Choice> {
        let c = *self.schedule.get(self.at)?;
        let fits = match c {
            Choice::Move(i) => (i as usize) < o.moves.len(),
            Choice::Advance => o.can_advance,
        };
        if !fits {
            self.error = Some(ReplayError {
                at: self.at,
                why: match c {
                    Choice::Move(i) => format!(
                        "move {i} chosen but only {} moves are enabled",
                        o.moves.len()
                    ),
                    Choice::Advance => "time cannot pass here".to_string(),
                },
            });
            return None;
        }
        self.at += 1;
        Some(c)
    }
}

/// A replayed run: its verdict and its timeline.
pub struct ReplayRun {
    pub verdict: Verdict,
    pub rows: Vec<crate::narrate::Row>,
    pub steps: u64,
    /// The world at the end of the replay, rendered.
    pub final_state: String,
    /// The violated property's explanation, if any.
    pub explanation: Option<String>,
}

/// Re-executes `schedule` and records the timeline. Errors if the schedule does not fit.
pub fn replay<M: Model>(
    model: &M,
    schedule: &Schedule,
    cfg: &Config,
) -> Result<ReplayRun, ReplayError> {
    let mut follow = Follow {
        schedule: &schedule.0,
        at: 0,
        error: None,
    };
    let mut rec = Recording {
        rec: Recorder::default(),
        label: String::new(),
        time: 0,
    };
    let r = run_one(model, &mut follow, cfg, &mut rec);
    if let Some(e) = follow.error {
        return Err(e);
    }
    if follow.at < schedule.0.len() {
        return Err(ReplayError {
            at: follow.at,
            why: "the run ended before the schedule did".to_string(),
        });
    }
    // Re-derive the final world to explain the verdict (cheap: replays are short).
    let mut s = model.initial();
    let mut moves = Vec::new();
    for &c in &schedule.0 {
        match c {
            Choice::Advance => {
                let to = model.next_wake(&s).expect("replayed advance");
                model.advance(&mut s, to);
            }
            Choice::Move(i) => {
                moves.clear();
                model.moves(&s, &mut moves);
                model.apply(&mut s, moves[i as usize], &mut Silent);
            }
        }
    }
    let verdict = report_of(
        Strategy::Replay,
        RunResult {
            end: r.end,
            schedule: Schedule::default(),
            steps: r.steps,
            end_time: r.end_time,
        },
    )
    .verdict;
    let explanation = match verdict {
        Verdict::Violated { property } => Some(model.explain(&s, property)),
        _ => None,
    };
    Ok(ReplayRun {
        verdict,
        rows: rec.rec.rows,
        steps: r.steps,
        final_state: model.render_state(&s),
        explanation,
    })
}
