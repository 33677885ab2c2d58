//! One system call of a running actor: its operands off the stack, the call on the world's
//! [`super::os`] region, its results and errno onto the stack, and a line for the timeline.

use crate::narrate::Narrator;

use super::exec::{Ctx, Stack};
use super::layout::{E_SECOND_OPEN, W_NOW};
use super::os::{effect, kill0, Call, Errno, Os, DEPTH, ENTRIES, WORDS};

/// Runs `call` for the running actor at host time `clock` (out of line: the step loop of a
/// program without system calls stays as small as it was). `Err`: the runtime error it is
/// (an `open` while the process holds a file open: one descriptor per process is all the
/// simulated process table keeps, and closing the first one silently would hide the bug).
#[cold]
#[inline(never)]
pub(super) fn run<N: Narrator>(
    os: &Os,
    cx: &Ctx<'_>,
    st: &mut Stack,
    w: &mut [i64],
    call: Call,
    clock: i64,
    n: &mut N,
) -> Result<(), u32> {
    let (a, _) = cx.actor.expect("a system call belongs to an actor");
    if matches!(call, Call::Open { .. }) && w[os.fd_slot(a)] != 0 {
        return Err(E_SECOND_OPEN);
    }
    let (pops, pushes) = effect(call);
    let args: [i64; 2 * DEPTH] = {
        let mut buf = [0; 2 * DEPTH];
        buf[..pops].copy_from_slice(&st.buf[st.sp - pops..st.sp]);
        buf
    };
    st.sp -= pops;
    let out = st.sp;
    st.buf[out..out + pushes].fill(0);
    let results = &mut st.buf[out..out + pushes - 1];
    let injected = injected(os, w, call, &args);
    let result = match call {
        _ if injected.is_some() => Err(injected.expect("checked")),
        Call::Mkdir => os.mkdir(w, &args[..DEPTH], clock),
        Call::MkdirAll => os.mkdir_all(w, &args[..DEPTH], clock),
        Call::Rmdir => os.rmdir(w, &args[..DEPTH], clock),
        Call::Unlink => os.unlink(w, &args[..DEPTH], clock),
        Call::Rename => os.rename(w, &args[..DEPTH], &args[DEPTH..2 * DEPTH], clock),
        Call::Stat => os
            .stat(w, &args[..DEPTH])
            .map(|s| results.copy_from_slice(&s)),
        Call::Read => os.read(w, &args[..DEPTH], results),
        Call::Readdir => os.readdir(w, &args[..DEPTH], results),
        Call::Open { exclusive } => os.open(w, &args[..DEPTH], exclusive, clock).map(|ino| {
            // A write fault on this path is armed now: the write of this open fails.
            let fault = os.take_fault(w, call, true, &[&args[..DEPTH]]);
            let tag = fault.map_or(0, |e| errno_index(e) as i64 + 1);
            w[os.fd_slot(a)] = ino | (tag << 32);
        }),
        Call::Write => {
            let fd = std::mem::take(&mut w[os.fd_slot(a)]);
            let (ino, tag) = (fd & 0xffff_ffff, fd >> 32);
            if ino == 0 {
                Err(Errno::EBADF)
            } else if tag == 0 {
                os.write(w, ino, &args[..=WORDS], clock);
                Ok(())
            } else {
                os.close(w, ino);
                Err(Errno::ALL[tag as usize - 1])
            }
        }
        Call::Close => match std::mem::take(&mut w[os.fd_slot(a)]) & 0xffff_ffff {
            0 => Err(Errno::EBADF),
            ino => {
                os.close(w, ino);
                Ok(())
            }
        },
        Call::Utimes => os.utimes(w, &args[..DEPTH], args[DEPTH]),
        Call::Kill => kill0(w, cx.actors, cx.bases, a, args[0]),
    };
    st.sp += pushes;
    st.buf[st.sp - 1] = match result {
        Ok(()) => 0,
        Err(e) => os.errnos[errno_index(e)],
    };
    if N::ON {
        say(
            os,
            n,
            call,
            &args,
            result,
            &st.buf[out..st.sp - 1],
            w[W_NOW],
        );
    }
    Ok(())
}

fn errno_index(e: Errno) -> usize {
    Errno::ALL
        .iter()
        .position(|&x| x == e)
        .expect("a known errno")
}

/// The fault the scenario injects into this call, taken (writes are armed at their open).
fn injected(os: &Os, w: &mut [i64], call: Call, args: &[i64]) -> Option<Errno> {
    match call {
        Call::Write | Call::Close | Call::Kill => None,
        Call::Rename => os.take_fault(w, call, false, &[&args[..DEPTH], &args[DEPTH..2 * DEPTH]]),
        _ => os.take_fault(w, call, false, &[&args[..DEPTH]]),
    }
}

/// The timeline's line for a call: what it was given and what it answered.
fn say<N: Narrator>(
    os: &Os,
    n: &mut N,
    call: Call,
    args: &[i64],
    result: Result<(), Errno>,
    results: &[i64],
    _now: i64,
) {
    let what = match call {
        Call::Rename => format!(
            "{} {} -> {}",
            call.name(),
            os.show_path(&args[..DEPTH]),
            os.show_path(&args[DEPTH..2 * DEPTH])
        ),
        Call::Write => format!("{} [{}]", call.name(), words(&args[..=WORDS])),
        Call::Utimes => format!(
            "{} {} {}",
            call.name(),
            os.show_path(&args[..DEPTH]),
            args[DEPTH]
        ),
        Call::Kill => format!("kill({}, 0)", args[0]),
        Call::Close => "close".to_string(),
        _ => format!("{} {}", call.name(), os.show_path(&args[..DEPTH])),
    };
    let answer = match (result, call) {
        (Err(e), _) => e.name().to_string(),
        (Ok(()), Call::Stat) => format!(
            "{{ ino: {}, mtime: {}, size: {}, dir: {} }}",
            results[0],
            results[1],
            results[2],
            results[3] != 0
        ),
        (Ok(()), Call::Read) => format!("[{}]", words(results)),
        (Ok(()), Call::Readdir) => {
            let k = (results[0].clamp(0, ENTRIES as i64)) as usize;
            let names: Vec<String> = results[1..=k].iter().map(|&x| os.show_name(x)).collect();
            format!("[{}]", names.join(", "))
        }
        (Ok(()), _) => "ok".to_string(),
    };
    n.say(format_args!("{what}: {answer}"));
}

/// A list of words (its length, then the words) as text.
fn words(list: &[i64]) -> String {
    let k = list[0].clamp(0, WORDS as i64) as usize;
    let parts: Vec<String> = list[1..=k].iter().map(i64::to_string).collect();
    parts.join(", ")
}
