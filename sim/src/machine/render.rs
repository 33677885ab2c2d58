//! How a machine world reads in a timeline: move labels, the state changes of a step, the
//! shared state after it, and why a property failed. Only replays for a human call these.

use std::fmt::Write;

use crate::narrate::Narrator;

use super::layout::*;
use super::model::{Machine, Move};
use super::op::Op;
use super::os::DEPTH;
use super::program::{Form, Program, Slot, SlotKind, NEVER};

/// One slot's value in the protocol's terms.
fn value(program: &Program, slot: &Slot, v: i64) -> String {
    match slot.kind {
        SlotKind::Int | SlotKind::Tag => v.to_string(),
        SlotKind::Dur if v == NEVER => "never".to_string(),
        SlotKind::Dur => format!("{v}ms"),
        SlotKind::Bool => (v != 0).to_string(),
        SlotKind::Sym => format!(
            "'{}'",
            usize::try_from(v)
                .ok()
                .and_then(|i| program.syms.get(i))
                .map_or("?", String::as_str)
        ),
        SlotKind::Actor => usize::try_from(v)
            .ok()
            .and_then(|i| program.actors.get(i))
            .map_or_else(|| "?".to_string(), |a| a.name.clone()),
        SlotKind::Name | SlotKind::Path => program
            .os
            .as_ref()
            .map_or_else(|| v.to_string(), |os| os.show_name(v)),
    }
}

/// A slot's value, or `none` when it is the payload of an empty option (`tags_at`: where the
/// layout the slot belongs to starts in the world).
fn shown(program: &Program, slot: &Slot, w: &[i64], at: usize, tags_at: usize) -> String {
    match (slot.tag, &program.os) {
        (Some(t), _) if w[tags_at + t as usize] == 0 => "none".to_string(),
        (_, Some(os)) if slot.kind == SlotKind::Path => os.show_path(&w[at..at + DEPTH]),
        _ => value(program, slot, w[at]),
    }
}

/// The record or array element a slot belongs to (`cells[0]` of `cells[0].owner`).
fn group(name: &str) -> &str {
    let name = name.trim_end_matches('?');
    match name.rfind('.') {
        Some(i) if name[..i].ends_with(']') || !name[..i].contains('[') => &name[..i],
        _ => name,
    }
}

/// The changes a step made, appended to its description: shared state and the actor's own
/// variables, in layout order. A step that changed neither and ended in a sleep is routine.
pub(super) fn narrate_changes<N: Narrator>(
    m: &Machine,
    before: &[i64],
    after: &[i64],
    a: usize,
    n: &mut N,
) {
    let program = m.program();
    let mut changes = Vec::new();
    for (i, slot) in program.shared.iter().enumerate() {
        let at = W_HEADER + i;
        if slot.kind != SlotKind::Tag
            && slot.shown
            && changed(slot, before, after, at, W_HEADER)
            && !past_length(&program.shared, &slot.name, &after[W_HEADER..])
        {
            changes.push(format!(
                "{} = {}",
                slot.name,
                shown(program, slot, after, at, W_HEADER)
            ));
        }
    }
    let b = m.block(a);
    let kind = &program.kinds[usize::from(program.actors[a].kind)];
    let locals = b + B_HEADER + kind.choices as usize;
    for (i, slot) in kind.locals.iter().enumerate() {
        let at = locals + i;
        if slot.kind != SlotKind::Tag
            && slot.shown
            && changed(slot, before, after, at, locals)
            && !past_length(&kind.locals, &slot.name, &after[locals..])
        {
            changes.push(format!(
                "{} = {}",
                slot.name,
                shown(program, slot, after, at, locals)
            ));
        }
    }
    if !changes.is_empty() {
        n.say(format_args!("{}", changes.join(", ")));
    } else if after[b + B_STATUS] == ST_READY
        && after[b + B_PC] > 0
        && matches!(program.ops[after[b + B_PC] as usize - 1], Op::Sleep)
        && after[W_ERROR] == 0
    {
        n.routine();
    }
}

/// Whether slot `name` (`q[1]`, `queues[0][1].who`) is an element at or past its list's
/// length in `values` (the layout `slots` starts at): a `pop_front` clears the element it
/// leaves behind, which is no change a reader sees. Only timelines call it.
fn past_length(slots: &[Slot], name: &str, values: &[i64]) -> bool {
    let mut rest = name;
    while let Some(open) = rest.rfind('[') {
        let list = &rest[..open];
        let index = rest[open + 1..]
            .split(']')
            .next()
            .and_then(|k| k.parse::<i64>().ok());
        let length = format!("{list}.len");
        if let (Some(index), Some(at)) = (index, slots.iter().position(|s| s.name == length))
            && values[at] <= index
        {
            return true;
        }
        rest = list;
    }
    false
}

fn changed(slot: &Slot, before: &[i64], after: &[i64], at: usize, tags_at: usize) -> bool {
    let width = if slot.kind == SlotKind::Path {
        DEPTH
    } else {
        1
    };
    before[at..at + width] != after[at..at + width]
        || slot
            .tag
            .is_some_and(|t| before[tags_at + t as usize] != after[tags_at + t as usize])
}

pub(super) fn say_choice<N: Narrator>(m: &Machine, a: usize, p: usize, i: usize, n: &mut N) {
    let program = m.program();
    let inst = &program.actors[a];
    let kind = &program.kinds[usize::from(inst.kind)];
    if let super::program::ParamValue::Open(alts) = &inst.params[p] {
        let slot = Slot {
            name: String::new(),
            kind: kind.param_kinds[p],
            tag: None,
            ghost: false,
            shown: true,
        };
        n.say(format_args!(
            "chooses {} = {}",
            kind.params[p],
            value(program, &slot, alts[i])
        ));
    }
}

/// The turn an `any order` loop takes: its element's index in the list.
pub(super) fn say_pick<N: Narrator>(_m: &Machine, _a: usize, index: i64, n: &mut N) {
    n.say(format_args!("any order: takes element {index} next"));
}

pub(super) fn move_label(m: &Machine, w: &[i64], mv: Move) -> String {
    let program = m.program();
    match mv {
        Move::Cancel(_) if program.platform == super::program::Platform::Node => "kill".to_string(),
        Move::Cancel(_) => "cancel".to_string(),
        Move::Pause(_) => "pause".to_string(),
        Move::Abort(_) => "abort delivered".to_string(),
        Move::Choose(a, i) => {
            let a = usize::from(a);
            let b = m.block(a);
            let inst = &program.actors[a];
            let kind = &program.kinds[usize::from(inst.kind)];
            match program.ops[w[b + B_PC] as usize] {
                Op::Resolve(p) => {
                    let p = p as usize;
                    let v = match &inst.params[p] {
                        super::program::ParamValue::Open(alts) => alts[usize::from(i)],
                        super::program::ParamValue::Fixed(v) => *v,
                    };
                    let slot = Slot {
                        name: String::new(),
                        kind: param_kind(program, a, p),
                        tag: None,
                        ghost: false,
                        shown: true,
                    };
                    format!("choose {} = {}", kind.params[p], value(program, &slot, v))
                }
                Op::PickBit { taken, len, .. } => {
                    let mut left = super::exec::left_to_pick(w, b, taken, len);
                    for _ in 0..i {
                        left &= left - 1;
                    }
                    format!("pick element {}", left.trailing_zeros())
                }
                _ => "choose".to_string(),
            }
        }
        Move::Step(a) => {
            let b = m.block(usize::from(a));
            let pc = w[b + B_PC] as usize;
            match w[b + B_STATUS] {
                ST_NEW => "arrive".to_string(),
                // The line of the first code the step runs: a system call's own line, the
                // code after a sleep (not the sleep), an `until`'s condition.
                _ => format!("line {}", program.origins[resumes_at(program, pc)].line),
            }
        }
    }
}

/// The first instruction a step from `pc` runs that is not an unconditional jump (a loop's
/// way back to its head runs no code of its own).
fn resumes_at(program: &Program, mut pc: usize) -> usize {
    for _ in 0..program.ops.len() {
        match program.ops.get(pc) {
            Some(Op::Jump(target)) => pc = *target as usize,
            Some(_) => return pc,
            None => break,
        }
    }
    pc.min(program.origins.len().saturating_sub(1))
}

fn param_kind(program: &Program, a: usize, p: usize) -> SlotKind {
    program.kinds[usize::from(program.actors[a].kind)].param_kinds[p]
}

/// The protocol's shared state after a step (ghost state shows in the steps that change it):
/// every record or element that differs from its initial value, with its options and its
/// fields that differ (so a lock that went back to `none` still shows).
pub(super) fn state(m: &Machine, w: &[i64]) -> String {
    let program = m.program();
    let mut out = String::new();
    let mut i = 0;
    let slots = &program.shared;
    while i < slots.len() {
        let g = group(&slots[i].name);
        let mut j = i;
        while j < slots.len() && group(&slots[j].name) == g {
            j += 1;
        }
        let differs = (i..j).any(|k| w[W_HEADER + k] != program.shared_init[k]);
        let hidden = (i..j).all(|k| !slots[k].shown);
        if differs && !slots[i].ghost && !hidden {
            let fields: Vec<String> = (i..j)
                .filter(|&k| slots[k].kind != SlotKind::Tag && slots[k].shown)
                .filter(|&k| slots[k].tag.is_some() || w[W_HEADER + k] != program.shared_init[k])
                .map(|k| {
                    format!(
                        "{}={}",
                        &slots[k].name[g.len()..].trim_start_matches('.'),
                        shown(program, &slots[k], w, W_HEADER + k, W_HEADER)
                    )
                })
                .collect();
            if !out.is_empty() {
                out.push(' ');
            }
            if fields.len() == 1 && fields[0].starts_with('=') {
                let _ = write!(out, "{g}{}", fields[0]);
            } else {
                let _ = write!(out, "{g}{{{}}}", fields.join(" "));
            }
        }
        i = j;
    }
    if let Some(os) = &program.os {
        if !out.is_empty() {
            out.push(' ');
        }
        let _ = write!(out, "files: {}", os.show(w));
    }
    if out.is_empty() {
        out.push_str("(initial)");
    }
    out
}

pub(super) fn explain(m: &Machine, w: &[i64], p: u8) -> String {
    let program = m.program();
    if usize::from(p) == program.props.len() {
        if w[W_ERROR] == 0 {
            // No step failed: the error is in a property's own code, and no actor is to blame.
            if let Some((i, code, pc)) = m.property_fault(w) {
                let prop = &program.props[i];
                return format!(
                    "property `{}` (`{}`) ran into a runtime error at {}: {}",
                    prop.property.id,
                    prop.source,
                    program.location(pc),
                    program
                        .messages
                        .get(code as usize)
                        .map_or("?", String::as_str)
                );
            }
        }
        let code = (w[W_ERROR] - 1).max(0) as usize;
        let pc = w[W_ERROR_PC].max(0) as usize;
        let actor = usize::try_from(w[W_ERROR_ACTOR])
            .ok()
            .and_then(|a| program.actors.get(a))
            .map_or("?", |a| a.name.as_str());
        return format!(
            "{} ran into a runtime error at {}: {}",
            actor,
            program.location(pc),
            program.messages.get(code).map_or("?", String::as_str)
        );
    }
    let prop = &program.props[usize::from(p)];
    match prop.form {
        Form::Safety => format!("`{}` is false", prop.source),
        Form::AtEnd => format!("`{}` is false when the run ends", prop.source),
        Form::Deadline => overdue(m, prop, w),
    }
}

/// The first overdue obligation of a liveness property, with its binding and deadline.
fn overdue(m: &Machine, prop: &super::program::Prop, w: &[i64]) -> String {
    let now = w[W_NOW];
    let first = prop.obligations.iter().find_map(|o| {
        let due = m.deadline(w, o.code).ok()?;
        (due != NEVER && due < now).then_some((o, due))
    });
    match first {
        Some((o, due)) => {
            let whose = if o.binding.is_empty() {
                String::new()
            } else {
                format!(" for {}", o.binding)
            };
            format!(
                "the obligation of `{}`{whose} fell due at {due} ms and is still open at {now} ms",
                prop.source
            )
        }
        None => format!(
            "an obligation of `{}` fell due and is still open at {} ms",
            prop.source, now
        ),
    }
}
