//! One handler per program point of a restart-lock actor (protocols.md §3): each makes the one
//! filesystem call its point makes, narrates it, and sets the next point. The dispatcher is
//! [`RestartLockModel::step`]; the phases follow the seed's code order: V1/V2's claim of L, the
//! registry mutex and its reclaim lock (V3 family), the critical section under the mutex, and
//! the restart with `release()`.

use super::*;

impl RestartLockModel {
    /// `Point::NotArrived`.
    pub(super) fn on_not_arrived<N: Narrator>(
        &self,
        s: &mut World,
        a: usize,
        t: &mut Turn<'_>,
        n: &mut N,
    ) {
        s.actors[a].arrived = s.now;
        s.actors[a].deadline = t.host_now + self.spec.max_wait;
        match s.fs.mkdir_p(t.context, self.dir) {
            Ok(()) => {
                n.say(format_args!(
                    "pid {}, deadline {}",
                    s.procs.pid(t.process).0,
                    shown(t.host_now + self.spec.max_wait)
                ));
                self.loop_top(s, a);
            }
            Err(e) => self.throw(s, a, e, n),
        }
        t.notable = true;
    }

    // ---- V1 / V2 -----------------------------------------------------------------

    /// `Point::Open`.
    pub(super) fn on_open<N: Narrator>(
        &self,
        s: &mut World,
        a: usize,
        t: &mut Turn<'_>,
        n: &mut N,
    ) {
        match s.fs.open(t.context, self.l, OpenMode::CreateExcl) {
            Ok(fd) => {
                s.owner_l = a as u8 + 1;
                // Ghost: an empty lock is as old as its creation, for `crashed-lock-taken-over`.
                s.actors[a].stamp_at = s.now;
                n.say(format_args!("created (empty)"));
                s.actors[a].pc = Point::Write(fd);
                t.notable = true;
            }
            Err(Errno::EEXIST) => {
                n.say(format_args!("EEXIST"));
                s.actors[a].pc = Point::ReadL;
            }
            Err(e) => {
                self.throw(s, a, e, n);
                t.notable = true;
            }
        }
    }

    /// `Point::Write`.
    pub(super) fn on_write<N: Narrator>(
        &self,
        s: &mut World,
        a: usize,
        t: &mut Turn<'_>,
        n: &mut N,
        fd: Fd,
    ) {
        let c = self.content(s, a);
        match s.fs.write(t.context, fd, c.words()) {
            Ok(()) => {
                n.say(format_args!("writes {}", self.show_content(&c)));
                s.actors[a].stamp_at = s.now;
                s.actors[a].pc = Point::Close(fd);
            }
            Err(e) => self.throw(s, a, e, n),
        }
        t.notable = true;
    }

    /// `Point::Close`.
    pub(super) fn on_close<N: Narrator>(
        &self,
        s: &mut World,
        a: usize,
        t: &mut Turn<'_>,
        n: &mut N,
        fd: Fd,
    ) {
        match s.fs.close(t.context, fd) {
            Ok(()) => self.enter_cs(s, a, n),
            Err(e) => self.throw(s, a, e, n),
        }
        t.notable = true;
    }

    /// `Point::ReadL`.
    pub(super) fn on_read_l<N: Narrator>(
        &self,
        s: &mut World,
        a: usize,
        t: &mut Turn<'_>,
        n: &mut N,
    ) {
        let (stale, why) = match s.fs.read_file(t.context, self.l) {
            Err(Errno::ENOENT) => (false, "ENOENT: not stale".to_string()),
            Err(e) => (true, format!("{e}: unreadable, so stale")),
            Ok(c) => {
                let st = self.content_stale(&c, t.host_now);
                (
                    st,
                    if N::ON {
                        format!(
                            "{} {}",
                            self.show_content(&c),
                            if c.len() < 2 {
                                "has no stamp: corrupt, so stale".to_string()
                            } else if st {
                                "is stale".to_string()
                            } else {
                                "is fresh".to_string()
                            }
                        )
                    } else {
                        String::new()
                    },
                )
            }
        };
        let timed_out = t.host_now >= s.actors[a].deadline;
        n.say(format_args!("{why}"));
        if stale || timed_out {
            t.notable = true;
            n.say(format_args!(
                "{}",
                if stale {
                    "breaking stale fleet restart lock"
                } else {
                    "timed out: breaking the lock"
                }
            ));
            if self.version == Version::V1UnlinkRecreate {
                s.actors[a].pc = Point::BreakUnlink;
            } else {
                let c = self.content(s, a);
                s.actors[a].stamp_at = s.now;
                s.actors[a].pc = Point::Temp(WriteFile::new(self.tmp[a], c));
            }
        } else {
            s.actors[a].waited = true;
            self.sleep_poll(s, a);
            n.say(format_args!("sleeps {}", self.spec.poll));
        }
    }

    /// `Point::BreakUnlink`.
    pub(super) fn on_break_unlink<N: Narrator>(
        &self,
        s: &mut World,
        a: usize,
        t: &mut Turn<'_>,
        n: &mut N,
    ) {
        t.notable = true;
        let fresh = self.fresh_to(s, a, t.host_now);
        match s.fs.unlink(t.context, self.l) {
            Ok(()) => {
                if fresh {
                    self.broke_fresh(s, a);
                }
                if N::ON {
                    let who = s.owner_l;
                    n.say(format_args!(
                        "unlinked (blind: it was {}'s)",
                        if who == 0 {
                            "nobody".to_string()
                        } else {
                            self.name(usize::from(who) - 1).to_string()
                        }
                    ));
                }
                s.owner_l = 0;
            }
            Err(e) => n.say(format_args!("{e}")),
        }
        n.say(format_args!("re-creates with open('wx')"));
        s.actors[a].pc = Point::Open;
    }

    /// `Point::Temp`.
    pub(super) fn on_temp<N: Narrator>(
        &self,
        s: &mut World,
        a: usize,
        t: &mut Turn<'_>,
        n: &mut N,
        mut wf: WriteFile,
    ) {
        t.notable = true;
        self.say_write(&wf, n);
        match wf.step(&mut s.fs, t.context) {
            Poll::Pending => s.actors[a].pc = Point::Temp(wf),
            Poll::Ready(Ok(())) => {
                s.actors[a].pc = Point::RenameTemp;
                self.reach(s, a, spec::P_TEMP_WRITTEN, n);
            }
            Poll::Ready(Err(e)) => self.throw(s, a, e, n),
        }
    }

    /// `Point::RenameTemp`.
    pub(super) fn on_rename_temp<N: Narrator>(
        &self,
        s: &mut World,
        a: usize,
        t: &mut Turn<'_>,
        n: &mut N,
    ) {
        t.notable = true;
        let fresh = self.fresh_to(s, a, t.host_now);
        match s.fs.rename(t.context, self.tmp[a], self.l) {
            Ok(()) => {
                if fresh {
                    self.broke_fresh(s, a);
                }
                if N::ON && s.owner_l != 0 && s.owner_l != a as u8 + 1 {
                    n.say(format_args!(
                        "replaces {}'s lock",
                        self.name(usize::from(s.owner_l) - 1)
                    ));
                }
                s.owner_l = a as u8 + 1;
                s.actors[a].pc = Point::ReadBack;
            }
            Err(e) => {
                n.say(format_args!("{e}"));
                s.actors[a].pc = Point::UnlinkTemp;
            }
        }
    }

    /// `Point::UnlinkTemp`.
    pub(super) fn on_unlink_temp<N: Narrator>(
        &self,
        s: &mut World,
        a: usize,
        t: &mut Turn<'_>,
        n: &mut N,
    ) {
        t.notable = true;
        let _ = s.fs.unlink(t.context, self.tmp[a]);
        self.throw(s, a, Errno::EIO, n);
    }

    /// `Point::ReadBack`.
    pub(super) fn on_read_back<N: Narrator>(
        &self,
        s: &mut World,
        a: usize,
        t: &mut Turn<'_>,
        n: &mut N,
    ) {
        t.notable = true;
        let tok =
            s.fs.read_file(t.context, self.l)
                .ok()
                .and_then(|c| c.get(2));
        if tok == Some(a as u64 + 1) {
            n.say(format_args!("reads back its own token: owns the lock"));
            self.enter_cs(s, a, n);
        } else {
            n.say(format_args!(
                "reads back {}: a concurrent breaker won",
                tok.map_or("nothing".to_string(), |t| self.tok_name(t))
            ));
            s.actors[a].waited = true;
            self.sleep_poll(s, a);
        }
    }

    // ---- the registry mutex ------------------------------------------------------

    /// `Point::MOpen`.
    pub(super) fn on_m_open<N: Narrator>(
        &self,
        s: &mut World,
        a: usize,
        t: &mut Turn<'_>,
        n: &mut N,
    ) {
        match s.fs.open(t.context, self.m, OpenMode::CreateExcl) {
            Ok(fd) => {
                s.owner_m = a as u8 + 1;
                n.say(format_args!("created (empty)"));
                s.actors[a].pc = Point::MWrite(fd);
                self.reach(s, a, spec::P_MUTEX_CREATED, n);
            }
            Err(Errno::EEXIST) => {
                n.say(format_args!("EEXIST"));
                s.actors[a].pc = if self.version.mutex() == MutexKind::Content {
                    Point::MRead
                } else {
                    Point::MStat
                };
            }
            Err(e) => {
                t.notable = true;
                self.throw(s, a, e, n);
            }
        }
    }

    /// `Point::MWrite`.
    pub(super) fn on_m_write<N: Narrator>(
        &self,
        s: &mut World,
        a: usize,
        t: &mut Turn<'_>,
        n: &mut N,
        fd: Fd,
    ) {
        let c = self.content(s, a);
        match s.fs.write(t.context, fd, c.words()) {
            Ok(()) => {
                n.say(format_args!("writes {}", self.show_content(&c)));
                if N::ON
                    && let Some((_, false)) = s.fs.fd_inode(t.process, fd)
                {
                    n.say(format_args!(
                        "writes its token into an inode nobody can see any more"
                    ));
                }
                s.actors[a].pc = Point::MClose(fd);
            }
            Err(e) => {
                t.notable = true;
                n.say(format_args!("{e}: closes and unlinks its own mutex"));
                s.actors[a].pc = Point::MCloseFailed(fd);
                s.actors[a].failing = true;
            }
        }
    }

    /// `Point::MClose`.
    pub(super) fn on_m_close<N: Narrator>(
        &self,
        s: &mut World,
        a: usize,
        t: &mut Turn<'_>,
        n: &mut N,
        fd: Fd,
    ) {
        match s.fs.close(t.context, fd) {
            Ok(()) => self.mutex_acquired(s, a, n),
            Err(e) => {
                t.notable = true;
                n.say(format_args!("{e}: unlinks its own mutex"));
                s.actors[a].failing = true;
                s.actors[a].pc = Point::MUnlinkFailed;
            }
        }
    }

    /// `Point::MCloseFailed`.
    pub(super) fn on_m_close_failed<N: Narrator>(
        &self,
        s: &mut World,
        a: usize,
        t: &mut Turn<'_>,
        _n: &mut N,
        fd: Fd,
    ) {
        t.notable = true;
        let _ = s.fs.close(t.context, fd);
        s.actors[a].pc = Point::MUnlinkFailed;
    }

    /// `Point::MUnlinkFailed`.
    pub(super) fn on_m_unlink_failed<N: Narrator>(
        &self,
        s: &mut World,
        a: usize,
        t: &mut Turn<'_>,
        n: &mut N,
    ) {
        t.notable = true;
        if s.fs.unlink(t.context, self.m).is_ok() {
            self.unlinked(s, a, self.m, false, n);
        }
        self.throw(s, a, Errno::EIO, n);
    }

    /// `Point::MStat`.
    pub(super) fn on_m_stat<N: Narrator>(
        &self,
        s: &mut World,
        a: usize,
        t: &mut Turn<'_>,
        n: &mut N,
    ) {
        match s.fs.stat(t.context, self.m) {
            // `isRestartLockPathStale` answers false for ENOENT ("gone, not stale — the
            // caller will re-contend") and for any other error ("treat as live"); the
            // caller reads false as a live holder and backs off 20 ms either way.
            Err(e) => {
                n.say(format_args!(
                    "{e}: not stale; retries in {}",
                    self.spec.mutex_retry
                ));
                s.actors[a].spins = 0;
                s.actors[a].waited = true;
                self.sleep(s, a, self.spec.mutex_retry, Point::MOpen);
            }
            Ok(st) => {
                let age = st.age_at(t.host_now);
                if age >= self.spec.stale as i64 {
                    t.notable = true;
                    n.say(format_args!(
                        "M is {age} ms old ≥ stale {}: reclaims",
                        self.spec.stale
                    ));
                    s.actors[a].pc = if self.version.mutex() == MutexKind::RenameRestore {
                        Point::AsideRename
                    } else {
                        Point::RlOpen
                    };
                } else {
                    n.say(format_args!(
                        "M is {age} ms old: live; retries in {}",
                        self.spec.mutex_retry
                    ));
                    s.actors[a].spins = 0;
                    s.actors[a].waited = true;
                    self.sleep(s, a, self.spec.mutex_retry, Point::MOpen);
                }
            }
        }
    }

    /// `Point::MRead`.
    pub(super) fn on_m_read<N: Narrator>(
        &self,
        s: &mut World,
        a: usize,
        t: &mut Turn<'_>,
        n: &mut N,
    ) {
        match s.fs.read_file(t.context, self.m) {
            // As V3's check: an unreadable or vanished mutex is "not stale", back off.
            Err(e) => {
                n.say(format_args!(
                    "{e}: not stale; retries in {}",
                    self.spec.mutex_retry
                ));
                s.actors[a].spins = 0;
                s.actors[a].waited = true;
                self.sleep(s, a, self.spec.mutex_retry, Point::MOpen);
            }
            Ok(c) => {
                if self.content_stale(&c, t.host_now) {
                    t.notable = true;
                    n.say(format_args!(
                        "{} {}: reaps it",
                        self.show_content(&c),
                        if c.len() < 2 {
                            "has no stamp, corrupt"
                        } else {
                            "is stale"
                        }
                    ));
                    s.actors[a].pc = Point::MUnlinkStale;
                } else {
                    n.say(format_args!(
                        "{} is fresh; retries in {}",
                        self.show_content(&c),
                        self.spec.mutex_retry
                    ));
                    s.actors[a].spins = 0;
                    s.actors[a].waited = true;
                    self.sleep(s, a, self.spec.mutex_retry, Point::MOpen);
                }
            }
        }
    }

    /// `Point::MUnlinkStale` and `Point::RlUnlinkStale`: reap a stale mutex or reclaim lock
    /// (`reclaim_lock`), then spin again.
    pub(super) fn on_unlink_stale<N: Narrator>(
        &self,
        s: &mut World,
        a: usize,
        t: &mut Turn<'_>,
        n: &mut N,
        reclaim_lock: bool,
    ) {
        t.notable = true;
        let (path, owner, what) = if reclaim_lock {
            (self.rl, s.owner_rl, "reclaim lock")
        } else {
            (self.m, s.owner_m, "mutex")
        };
        if s.fs.unlink(t.context, path).is_ok() {
            self.say_unlinked(owner, what, n);
            self.unlinked(s, a, path, false, n);
        }
        self.respin(s, a);
    }

    /// `Point::RlOpen`.
    pub(super) fn on_rl_open<N: Narrator>(
        &self,
        s: &mut World,
        a: usize,
        t: &mut Turn<'_>,
        n: &mut N,
    ) {
        match s.fs.open(t.context, self.rl, OpenMode::CreateExcl) {
            Ok(fd) => {
                t.notable = true;
                s.owner_rl = a as u8 + 1;
                n.say(format_args!("holds the reclaim lock"));
                s.actors[a].pc = Point::RlStatM(fd);
                self.reach(s, a, spec::P_RECLAIM_HELD, n);
            }
            Err(Errno::EEXIST) => {
                n.say(format_args!("EEXIST: someone is reclaiming"));
                s.actors[a].pc = Point::RlStat;
            }
            Err(e) => {
                t.notable = true;
                self.throw(s, a, e, n);
            }
        }
    }

    /// `Point::RlStat`.
    pub(super) fn on_rl_stat<N: Narrator>(
        &self,
        s: &mut World,
        a: usize,
        t: &mut Turn<'_>,
        n: &mut N,
    ) {
        let stale = match s.fs.stat(t.context, self.rl) {
            Ok(st) => st.age_at(t.host_now) >= self.spec.stale as i64,
            Err(_) => false,
        };
        if stale {
            t.notable = true;
            n.say(format_args!(
                "RL is stale: its reclaimer died; unlinks it (blind)"
            ));
            s.actors[a].pc = Point::RlUnlinkStale;
        } else {
            n.say(format_args!(
                "RL is live: retries at once (charged {} ms)",
                self.spec.spin
            ));
            s.actors[a].spins += 1;
            self.sleep(s, a, self.spec.spin, Point::MOpen);
        }
    }

    /// `Point::RlStatM`.
    pub(super) fn on_rl_stat_m<N: Narrator>(
        &self,
        s: &mut World,
        a: usize,
        t: &mut Turn<'_>,
        n: &mut N,
        fd: Fd,
    ) {
        t.notable = true;
        let stale = match s.fs.stat(t.context, self.m) {
            Ok(st) => st.age_at(t.host_now) >= self.spec.stale as i64,
            Err(_) => false,
        };
        n.say(format_args!(
            "{}",
            if stale {
                "M is still stale: unlinks it"
            } else {
                "M is not stale any more: leaves it"
            }
        ));
        s.actors[a].pc = if stale {
            Point::RlUnlinkM(fd)
        } else {
            Point::RlClose(fd)
        };
    }

    /// `Point::RlUnlinkM`.
    pub(super) fn on_rl_unlink_m<N: Narrator>(
        &self,
        s: &mut World,
        a: usize,
        t: &mut Turn<'_>,
        n: &mut N,
        fd: Fd,
    ) {
        t.notable = true;
        if s.fs.unlink(t.context, self.m).is_ok() {
            self.say_unlinked(s.owner_m, "mutex", n);
            self.unlinked(s, a, self.m, false, n);
        }
        s.actors[a].pc = Point::RlClose(fd);
    }

    /// `Point::RlClose`.
    pub(super) fn on_rl_close<N: Narrator>(
        &self,
        s: &mut World,
        a: usize,
        t: &mut Turn<'_>,
        n: &mut N,
        fd: Fd,
    ) {
        t.notable = true;
        // The seed's `finally { await handle.close(); await unlink(reclaimPath).catch(...) }`:
        // a failed close escapes the finally before the unlink, so RL stays behind and the
        // error leaves reclaimStaleRestartMutex, and acquireRestartLock (or release()), uncaught.
        match s.fs.close(t.context, fd) {
            Ok(()) => {
                n.say(format_args!("closes"));
                s.actors[a].pc = Point::RlUnlink;
            }
            Err(e) => self.throw(s, a, e, n),
        }
    }

    /// `Point::RlUnlink`.
    pub(super) fn on_rl_unlink<N: Narrator>(
        &self,
        s: &mut World,
        a: usize,
        t: &mut Turn<'_>,
        n: &mut N,
    ) {
        t.notable = true;
        match s.fs.unlink(t.context, self.rl) {
            Ok(_) => {
                if s.owner_rl == a as u8 + 1 {
                    n.say(format_args!("removed its own reclaim lock"));
                } else {
                    self.say_unlinked(s.owner_rl, "reclaim lock", n);
                }
                self.unlinked(s, a, self.rl, false, n);
            }
            // Another process removed it first: nothing to remove (the timeline says so).
            Err(e) => n.say(format_args!("{}: already gone", e.code())),
        }
        self.respin(s, a);
    }

    /// `Point::AsideRename`.
    pub(super) fn on_aside_rename<N: Narrator>(
        &self,
        s: &mut World,
        a: usize,
        t: &mut Turn<'_>,
        n: &mut N,
    ) {
        t.notable = true;
        match s.fs.rename(t.context, self.m, self.aside[a]) {
            Ok(()) => {
                let o = s.owner_m;
                s.owner_m = 0;
                n.say(format_args!("moved M aside to inspect it"));
                s.actors[a].pc = Point::AsideStat(o);
            }
            Err(Errno::ENOENT) => {
                n.say(format_args!("ENOENT: gone, re-contends"));
                self.respin(s, a);
            }
            Err(e) => {
                n.say(format_args!("{e}: retries in {}", self.spec.mutex_retry));
                s.actors[a].spins = 0;
                self.sleep(s, a, self.spec.mutex_retry, Point::MOpen);
            }
        }
    }

    /// `Point::AsideStat`.
    pub(super) fn on_aside_stat<N: Narrator>(
        &self,
        s: &mut World,
        a: usize,
        t: &mut Turn<'_>,
        n: &mut N,
        o: u8,
    ) {
        t.notable = true;
        let stale = match s.fs.stat(t.context, self.aside[a]) {
            Ok(st) => st.age_at(t.host_now) >= self.spec.stale as i64,
            Err(_) => false,
        };
        if stale {
            n.say(format_args!("stale: reaps it"));
            s.actors[a].pc = Point::AsideUnlink;
        } else {
            n.say(format_args!("fresh: puts it back"));
            s.actors[a].pc = Point::AsideRestore(o);
        }
    }

    /// `Point::AsideUnlink`.
    pub(super) fn on_aside_unlink<N: Narrator>(
        &self,
        s: &mut World,
        a: usize,
        t: &mut Turn<'_>,
        n: &mut N,
    ) {
        t.notable = true;
        n.say(format_args!("removed"));
        let _ = s.fs.unlink(t.context, self.aside[a]);
        self.respin(s, a);
    }

    /// `Point::AsideRestore`.
    pub(super) fn on_aside_restore<N: Narrator>(
        &self,
        s: &mut World,
        a: usize,
        t: &mut Turn<'_>,
        n: &mut N,
        o: u8,
    ) {
        t.notable = true;
        match s.fs.rename(t.context, self.aside[a], self.m) {
            Ok(()) => {
                if N::ON && s.owner_m != 0 {
                    n.say(format_args!(
                        "overwrites {}'s mutex",
                        self.name(usize::from(s.owner_m) - 1)
                    ));
                }
                s.owner_m = o;
            }
            Err(e) => n.say(format_args!("{e}")),
        }
        self.respin(s, a);
    }

    // ---- under the mutex ---------------------------------------------------------

    /// `Point::ReadUnder`.
    pub(super) fn on_read_under<N: Narrator>(
        &self,
        s: &mut World,
        a: usize,
        t: &mut Turn<'_>,
        n: &mut N,
    ) {
        let now_h = t.host_now;
        let decision = match s.fs.read_file(t.context, self.l) {
            Err(Errno::ENOENT) => {
                n.say(format_args!("ENOENT: the lock is free, takes it"));
                true
            }
            Err(e) => {
                n.say(format_args!(
                    "{e}: unreadable, so stale: breaking stale fleet restart lock"
                ));
                true
            }
            Ok(c) => {
                let stale = self.content_stale(&c, now_h);
                let timed_out = now_h >= s.actors[a].deadline;
                if N::ON {
                    n.say(format_args!(
                        "{} {}",
                        self.show_content(&c),
                        if c.len() < 2 {
                            "has no stamp: corrupt, so stale"
                        } else if stale {
                            "is stale"
                        } else {
                            "is fresh"
                        }
                    ));
                    if stale {
                        n.say(format_args!("breaking stale fleet restart lock"));
                    } else if timed_out {
                        n.say(format_args!(
                            "timed out after {} ms: breaking the lock",
                            self.spec.max_wait
                        ));
                    }
                }
                stale || timed_out
            }
        };
        if decision {
            t.notable = true;
            let c = self.content(s, a);
            s.actors[a].stamp_at = s.now;
            s.actors[a].pc = Point::WriteUnder(WriteFile::new(self.l, c));
        } else {
            self.release_mutex(s, a, n);
        }
    }

    /// `Point::WriteUnder`.
    pub(super) fn on_write_under<N: Narrator>(
        &self,
        s: &mut World,
        a: usize,
        t: &mut Turn<'_>,
        n: &mut N,
        mut wf: WriteFile,
    ) {
        t.notable = true;
        let opening = wf.next_op() == Some(Op::Open);
        let fresh = opening && self.fresh_to(s, a, t.host_now);
        self.say_write(&wf, n);
        match wf.step(&mut s.fs, t.context) {
            Poll::Pending => {
                if fresh {
                    self.broke_fresh(s, a);
                }
                if opening {
                    if N::ON && s.owner_l != 0 && s.owner_l != a as u8 + 1 {
                        n.say(format_args!(
                            "truncates {}'s lock",
                            self.name(usize::from(s.owner_l) - 1)
                        ));
                    }
                    s.owner_l = a as u8 + 1;
                }
                s.actors[a].pc = Point::WriteUnder(wf);
            }
            Poll::Ready(Ok(())) => {
                s.actors[a].owned = true;
                self.release_mutex(s, a, n);
            }
            Poll::Ready(Err(e)) => {
                n.say(format_args!("{e}"));
                s.actors[a].failing = true;
                self.release_mutex(s, a, n);
            }
        }
    }

    /// `Point::MRelRead`.
    pub(super) fn on_m_rel_read<N: Narrator>(
        &self,
        s: &mut World,
        a: usize,
        t: &mut Turn<'_>,
        n: &mut N,
    ) {
        s.actors[a].in_mutex = false;
        let tok =
            s.fs.read_file(t.context, self.m)
                .ok()
                .and_then(|c| c.get(2));
        if tok == Some(a as u64 + 1) {
            n.say(format_args!("own token"));
            s.actors[a].pc = Point::MRelUnlink;
            self.reach(s, a, spec::P_MUTEX_TOKEN_READ, n);
        } else {
            t.notable = true;
            n.say(format_args!(
                "token {}: not its mutex, leaves it",
                tok.map_or("-".to_string(), |t| self.tok_name(t))
            ));
            self.after_mutex(s, a, n);
        }
    }

    /// `Point::MRelUnlink`.
    pub(super) fn on_m_rel_unlink<N: Narrator>(
        &self,
        s: &mut World,
        a: usize,
        t: &mut Turn<'_>,
        n: &mut N,
    ) {
        if s.fs.unlink(t.context, self.m).is_ok() {
            n.say(format_args!("removed"));
            if s.owner_m != a as u8 + 1 {
                t.notable = true;
            }
            self.unlinked(s, a, self.m, true, n);
        }
        self.after_mutex(s, a, n);
    }

    // ---- the restart and release() -----------------------------------------------

    /// `Point::Restarting`.
    pub(super) fn on_restarting<N: Narrator>(
        &self,
        s: &mut World,
        a: usize,
        t: &mut Turn<'_>,
        n: &mut N,
    ) {
        // The restart's end and the release's first call are one step: nothing that
        // touches a file happens between them.
        self.start_release(s, a, n);
        self.step(s, a, n);
        t.continued = true;
    }

    /// `Point::RelRead`.
    pub(super) fn on_rel_read<N: Narrator>(
        &self,
        s: &mut World,
        a: usize,
        t: &mut Turn<'_>,
        n: &mut N,
    ) {
        t.notable = true;
        let tok =
            s.fs.read_file(t.context, self.l)
                .ok()
                .and_then(|c| c.get(2));
        if tok == Some(a as u64 + 1) {
            n.say(format_args!("own token"));
            s.actors[a].pc = Point::RelUnlink;
            self.reach(s, a, spec::P_LOCK_TOKEN_READ, n);
        } else {
            n.say(format_args!(
                "token {}: not its lock, leaves it",
                tok.map_or("-".to_string(), |t| self.tok_name(t))
            ));
            if self.version.mutex() == MutexKind::None {
                s.actors[a].pc = Point::Done;
                n.say(format_args!("release() returns"));
            } else {
                self.release_mutex(s, a, n);
            }
        }
    }

    /// `Point::RelUnlink`.
    pub(super) fn on_rel_unlink<N: Narrator>(
        &self,
        s: &mut World,
        a: usize,
        t: &mut Turn<'_>,
        n: &mut N,
    ) {
        t.notable = true;
        match s.fs.unlink(t.context, self.l) {
            Ok(()) => {
                n.say(format_args!("removed"));
                self.unlinked(s, a, self.l, true, n);
            }
            Err(e) => n.say(format_args!("{e}")),
        }
        if self.version.mutex() == MutexKind::None {
            s.actors[a].pc = Point::Done;
            n.say(format_args!("release() returns"));
        } else {
            self.release_mutex(s, a, n);
        }
    }
}
