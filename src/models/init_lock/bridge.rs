//! The init lock's lane map: one thread per request for its own steps, and one per request the
//! environment cancels (`cancel_at_ms`, `cancel_before_anchor`) for the cancellation.

use lockstep_sim::Config;

use super::{InitLockModel, Move, Spec};
use crate::bridge::{Bridge, BridgeError, Lanes, Layout};

/// Which thread each init-lock move runs on.
pub struct InitLockLanes {
    names: Vec<String>,
    /// Per actor: the lane its cancellation runs on.
    cancel_lane: Vec<usize>,
}

impl InitLockLanes {
    /// Lanes `0..actors` are the actors in file order; with [`Layout::Separate`], every actor the
    /// environment cancels gets one more lane after them.
    pub fn new(spec: &Spec, layout: Layout) -> InitLockLanes {
        let mut names: Vec<String> = spec.actors.iter().map(|a| a.name.clone()).collect();
        let mut cancel_lane = Vec::new();
        for (i, a) in spec.actors.iter().enumerate() {
            let cancelled = a.cancel_at.is_some() || a.cancel_before_anchor;
            if cancelled && layout == Layout::Separate {
                cancel_lane.push(names.len());
                names.push(format!("{} env", a.name));
            } else {
                cancel_lane.push(i);
            }
        }
        InitLockLanes { names, cancel_lane }
    }
}

impl Lanes<InitLockModel> for InitLockLanes {
    fn count(&self) -> usize {
        self.names.len()
    }
    fn lane_of(&self, m: Move) -> usize {
        match m {
            Move::Step(a) | Move::Choose(a, _, _) => usize::from(a),
            Move::Cancel(a) => self.cancel_lane[usize::from(a)],
        }
    }
    fn name(&self, lane: usize) -> String {
        self.names[lane].clone()
    }
}

/// Refuses a scenario whose actors leave a value open: the kernel branches on those, a thread
/// cannot.
pub fn refuse_open_choices(spec: &Spec) -> Result<(), BridgeError> {
    for a in &spec.actors {
        let open = [
            ("arrive_ms", a.arrive.len()),
            ("init_ms", a.init_ms[0].len()),
            ("inner_init_ms", a.init_ms[1].len()),
            ("outcome", a.outcome[0].len()),
            ("inner_outcome", a.outcome[1].len()),
        ];
        if let Some((key, n)) = open.iter().find(|(_, n)| *n > 1) {
            return Err(BridgeError::OpenChoice(format!(
                "actor `{}` leaves `{key}` open ({n} alternatives)",
                a.name
            )));
        }
    }
    Ok(())
}

/// The bridge for one init-lock model built from `spec`.
pub fn bridge(
    spec: &Spec,
    model: InitLockModel,
    layout: Layout,
    cfg: &Config,
) -> Result<Bridge<InitLockModel, InitLockLanes>, BridgeError> {
    refuse_open_choices(spec)?;
    Bridge::new(model, InitLockLanes::new(spec, layout), cfg)
}
