//! Ghost-state checker for the lock's two safety invariants; see [`InvariantChecker`].

use std::fmt;
use std::sync::{Mutex, PoisonError};

use super::observer::{Event, Observer};
use super::Config;

/// A named safety property of the init lock (protocol spec §1.6).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Invariant {
    /// `max-active` (S-A2/S-A3): at most one thread runs init under a claim that no legitimate
    /// reclaim superseded. A reclaim is legitimate only if the claim in force was released by its
    /// own owner, or is older than the deadline (strictly) at the moment of the reclaim.
    MaxActive,
    /// `gated-publish` (S-A5): only the current claim publishes, and the published generation
    /// never goes back.
    GatedPublish,
}

impl Invariant {
    /// Both invariants.
    pub const ALL: [Invariant; 2] = [Invariant::MaxActive, Invariant::GatedPublish];

    /// The stable id used in messages, verdicts and scenario files.
    pub fn id(self) -> &'static str {
        match self {
            Invariant::MaxActive => "max-active",
            Invariant::GatedPublish => "gated-publish",
        }
    }
}

impl fmt::Display for Invariant {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.id())
    }
}

/// A recorded violation: which invariant, what happened, and the events up to it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Violation {
    /// The invariant that failed.
    pub invariant: Invariant,
    /// One line saying what happened.
    pub detail: String,
    /// Every event the lock reported, in order, up to and including the violating one.
    pub events: Vec<Event>,
}

impl fmt::Display for Violation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "invariant violated: {}: {}", self.invariant, self.detail)?;
        writeln!(f, "events:")?;
        for (i, event) in self.events.iter().enumerate() {
            writeln!(f, "  {i:>3}. {}", describe(event))?;
        }
        Ok(())
    }
}

/// One line per event, for violation reports.
fn describe(event: &Event) -> String {
    match *event {
        Event::CacheHit { now_ms } => format!("t={now_ms}: cache hit"),
        Event::Claimed {
            generation,
            now_ms,
            previous_started_at_ms: None,
        } => {
            format!("t={now_ms}: g{generation} claims the free lock")
        }
        Event::Claimed {
            generation,
            now_ms,
            previous_started_at_ms: Some(started),
        } => {
            format!("t={now_ms}: g{generation} reclaims a claim made at t={started}")
        }
        Event::TimedOut { now_ms, waited_ms } => {
            format!("t={now_ms}: a waiter times out after {waited_ms} ms")
        }
        Event::InitEnded {
            generation,
            outcome,
        } => {
            format!("g{generation}: init ended ({outcome:?})")
        }
        Event::Published {
            generation,
            current_generation,
        } => {
            format!("g{generation}: publishes (current is g{current_generation})")
        }
        Event::PublishSkipped {
            generation,
            current_generation,
        } => {
            format!(
                "g{generation}: superseded, does not publish (current is g{current_generation})"
            )
        }
        Event::Released {
            generation,
            current_generation,
            cleared,
        } => format!(
            "g{generation}: release step (current is g{current_generation}){}",
            if cleared {
                ", clears owner_started_at"
            } else {
                ", leaves the lock alone"
            }
        ),
    }
}

/// The claim the specification considers in force (the latest one made).
#[derive(Clone, Copy, Debug)]
struct InForce {
    generation: u64,
    claimed_at_ms: u64,
    released_by_owner: bool,
}

/// An owner that has claimed and not yet come back from its init (an abandoned owner never
/// comes back: to the lock it is a hung owner).
#[derive(Clone, Copy, Debug)]
struct Running {
    generation: u64,
    legitimately_superseded: bool,
}

#[derive(Debug, Default)]
struct Ghost {
    in_force: Option<InForce>,
    running: Vec<Running>,
    last_published: Option<u64>,
    events: Vec<Event>,
    violation: Option<Violation>,
    reclaims: u64,
    superseded_releases: u64,
    skipped_publications: u64,
}

/// Checks `max-active` and `gated-publish` against ghost state.
///
/// The checker is an [`Observer`]: it sees every transition inside the lock's critical section
/// and keeps, next to the lock's real state, what the *specification* says is in force. It never
/// trusts the lock's own `owner_started_at` (that is exactly what the historical versions
/// corrupt); it keeps its own record of the claim in force, of whether its owner has released
/// it, and of which owners are still inside their init (an owner that abandoned its claim never
/// comes back, so it counts as running until someone legitimately supersedes it).
///
/// - `max-active`: when a claim is made, it is legitimate if the claim in force was released by
///   its own owner or is older than the deadline; a legitimate claim marks the superseded owner
///   as no longer counting. More than one counting owner inside its init is a violation.
/// - `gated-publish`: a publication by a generation other than the current one, or of a
///   generation lower than the last published, is a violation.
///
/// Violations are recorded, not panicked, because the observer runs with the lock's mutex held;
/// the scenario (or test) calls [`InvariantChecker::assert_holds`] after joining its threads.
/// The panic message starts with `invariant violated: <id>:` and ends with the event log.
#[derive(Debug)]
pub struct InvariantChecker {
    deadline_ms: u64,
    checked: Vec<Invariant>,
    ghost: Mutex<Ghost>,
}

/// Counts of interesting transitions seen, to guard against vacuous runs.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Coverage {
    /// Claims made on a lock that was not free (the previous claim had aged past the deadline).
    pub reclaims: u64,
    /// Release steps by an owner that was no longer current.
    pub superseded_releases: u64,
    /// Publications skipped because the owner was no longer current.
    pub skipped_publications: u64,
}

impl InvariantChecker {
    /// A checker for a lock with `config`, checking the `checked` invariants.
    pub fn new(config: &Config, checked: &[Invariant]) -> Self {
        Self {
            deadline_ms: config.deadline_ms(),
            checked: checked.to_vec(),
            ghost: Mutex::new(Ghost::default()),
        }
    }

    /// The first violation recorded, if any.
    pub fn violation(&self) -> Option<Violation> {
        self.ghost().violation.clone()
    }

    /// Panic with the first violation, if any. Call it after the lock's users have finished.
    #[track_caller]
    pub fn assert_holds(&self) {
        if let Some(violation) = self.violation() {
            panic!("{violation}");
        }
    }

    /// What the run exercised.
    pub fn coverage(&self) -> Coverage {
        let g = self.ghost();
        Coverage {
            reclaims: g.reclaims,
            superseded_releases: g.superseded_releases,
            skipped_publications: g.skipped_publications,
        }
    }

    fn ghost(&self) -> std::sync::MutexGuard<'_, Ghost> {
        // Only ever taken inside the lock's critical section or after the run, so it is never
        // contended; a std mutex is enough on every platform.
        self.ghost.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn checks(&self, invariant: Invariant) -> bool {
        self.checked.contains(&invariant)
    }
}

impl Ghost {
    fn violate(&mut self, invariant: Invariant, detail: String) {
        if self.violation.is_none() {
            self.violation = Some(Violation {
                invariant,
                detail,
                events: self.events.clone(),
            });
        }
    }
}

impl Observer for InvariantChecker {
    fn event(&self, event: &Event) {
        let mut g = self.ghost();
        g.events.push(*event);
        match *event {
            Event::Claimed {
                generation,
                now_ms,
                previous_started_at_ms,
            } => {
                if previous_started_at_ms.is_some() {
                    g.reclaims += 1;
                }
                let superseded = g.in_force;
                let legitimate = match superseded {
                    None => true,
                    Some(c) => {
                        c.released_by_owner
                            || now_ms.saturating_sub(c.claimed_at_ms) > self.deadline_ms
                    }
                };
                if let (true, Some(c)) = (legitimate, superseded) {
                    for r in g
                        .running
                        .iter_mut()
                        .filter(|r| r.generation == c.generation)
                    {
                        r.legitimately_superseded = true;
                    }
                }
                g.in_force = Some(InForce {
                    generation,
                    claimed_at_ms: now_ms,
                    released_by_owner: false,
                });
                g.running.push(Running {
                    generation,
                    legitimately_superseded: false,
                });
                let active: Vec<u64> = g
                    .running
                    .iter()
                    .filter(|r| !r.legitimately_superseded)
                    .map(|r| r.generation)
                    .collect();
                if active.len() > 1 && self.checks(Invariant::MaxActive) {
                    let detail = match superseded {
                        Some(c) if !legitimate => format!(
                            "at t={now_ms} g{generation} claimed while g{} (claimed at t={}, \
                             age {} <= deadline {}, not released by its owner) was still in \
                             its init; inits running under unsuperseded claims: {active:?}",
                            c.generation,
                            c.claimed_at_ms,
                            now_ms.saturating_sub(c.claimed_at_ms),
                            self.deadline_ms,
                        ),
                        _ => format!(
                            "at t={now_ms} g{generation} claimed; inits running under \
                             unsuperseded claims: {active:?}"
                        ),
                    };
                    g.violate(Invariant::MaxActive, detail);
                }
            }
            Event::InitEnded { generation, .. } => {
                g.running.retain(|r| r.generation != generation);
            }
            Event::Released {
                generation,
                current_generation,
                cleared,
            } => {
                if generation != current_generation {
                    g.superseded_releases += 1;
                }
                if let Some(c) = g.in_force.as_mut()
                    && cleared
                    && c.generation == generation
                {
                    c.released_by_owner = true;
                }
            }
            Event::Published {
                generation,
                current_generation,
            } => {
                if self.checks(Invariant::GatedPublish) {
                    if generation != current_generation {
                        g.violate(
                            Invariant::GatedPublish,
                            format!(
                                "g{generation} published while g{current_generation} is the \
                                 current claim"
                            ),
                        );
                    } else if let Some(last) = g.last_published.filter(|&last| last > generation) {
                        g.violate(
                            Invariant::GatedPublish,
                            format!("published generation went back from g{last} to g{generation}"),
                        );
                    }
                }
                g.last_published = Some(generation);
            }
            Event::PublishSkipped { .. } => g.skipped_publications += 1,
            Event::CacheHit { .. } | Event::TimedOut { .. } => {}
        }
    }
}
