//! One handler per program point of a prewarm-lock actor (protocols.md §4): each makes the one
//! filesystem or process call its point makes, narrates it, and sets the next point. The
//! dispatcher is [`PrewarmLockModel::step`]; the handlers follow the seed's code order: the
//! claim by `mkdir`, the owner file, the staleness judgement and its reclaim (V1's pid
//! liveness, V2's recovery intents), the wait loop, and the release.

use super::*;

impl PrewarmLockModel {
    /// `Point::NotArrived`.
    pub(super) fn on_not_arrived<N: Narrator>(
        &self,
        s: &mut World,
        a: usize,
        t: &mut Turn<'_>,
        n: &mut N,
    ) {
        let x = &mut s.actors[a];
        x.started = t.host_now;
        x.arrived = s.now;
        x.waiting = true;
        x.pc = match self.spec.actors[a].role {
            Role::Prewarm => Point::MakeParent,
            Role::Wait if self.version.intents() => Point::IntentsList(Site::WaitTop),
            Role::Wait => Point::WaiterStat,
        };
        n.say(format_args!("pid {}", s.procs.pid(t.process).0));
        self.step(s, a, n);
        t.continued = true;
    }

    /// `Point::MakeParent`.
    pub(super) fn on_make_parent<N: Narrator>(
        &self,
        s: &mut World,
        a: usize,
        t: &mut Turn<'_>,
        n: &mut N,
    ) {
        match s.fs.mkdir_p(t.context, self.parent) {
            Ok(()) => {
                n.say(format_args!("ok"));
                s.actors[a].pc = if self.version.intents() {
                    Point::IntentsList(Site::AcqTop)
                } else {
                    Point::Claim
                };
            }
            Err(e) => {
                t.notable = true;
                self.throw(s, a, e.code(), n);
            }
        }
    }

    /// `Point::Claim`.
    pub(super) fn on_claim<N: Narrator>(
        &self,
        s: &mut World,
        a: usize,
        t: &mut Turn<'_>,
        n: &mut N,
    ) {
        match s.fs.mkdir(t.context, self.lock) {
            Ok(()) => {
                t.notable = true;
                n.say(format_args!("claimed"));
                s.lock_owner = a as u8 + 1;
                s.actors[a].born = s.now;
                s.actors[a].holding = true;
                s.actors[a].pc = if self.version.intents() {
                    Point::ListAfterClaim
                } else {
                    Point::OwnerWrite(self.owner_write(s, a))
                };
                self.reach(s, a, spec::P_CLAIMED, n);
            }
            Err(Errno::EEXIST) => {
                n.say(format_args!("EEXIST"));
                s.actors[a].pc = Point::LockStat;
            }
            Err(e) => {
                t.notable = true;
                self.throw(s, a, e.code(), n);
            }
        }
    }

    /// `Point::OwnerWrite`.
    pub(super) fn on_owner_write<N: Narrator>(
        &self,
        s: &mut World,
        a: usize,
        t: &mut Turn<'_>,
        n: &mut N,
        mut wf: WriteFile,
    ) {
        t.notable = true;
        if N::ON {
            match wf.next_op() {
                Some(Op::Open) if self.version.verified() => n.say(format_args!("open 'wx'")),
                Some(Op::Open) => n.say(format_args!("open 'w'")),
                Some(Op::Write) => n.say(format_args!("writes its owner record")),
                _ => n.say(format_args!("closes")),
            }
        }
        let opening = wf.next_op() == Some(Op::Open);
        match wf.step(&mut s.fs, t.context) {
            Poll::Pending => {
                if opening && self.version.verified() {
                    // The directory it now owns was born when its creator's mkdir ran.
                    if let Some(creator) = usize::from(s.lock_owner).checked_sub(1) {
                        s.actors[a].born = s.actors[creator].born;
                    }
                    s.lock_owner = a as u8 + 1;
                }
                s.actors[a].pc = Point::OwnerWrite(wf);
            }
            Poll::Ready(Ok(())) => self.enter_cs(s, a, n),
            Poll::Ready(Err(e)) if !self.version.intents() => {
                if e == Errno::ENOENT && s.flags & F_LOST_CLAIM == 0 {
                    s.flags |= F_LOST_CLAIM;
                    s.flag_actor = a as u8;
                }
                self.throw(
                    s,
                    a,
                    &format!(
                        "{e}: its lock directory vanished after its mkdir{}",
                        if e == Errno::ENOENT {
                            " (a lost claim surfaces as an error)"
                        } else {
                            ""
                        }
                    ),
                    n,
                );
            }
            Poll::Ready(Err(e @ (Errno::ENOENT | Errno::EEXIST))) => {
                n.say(format_args!(
                    "{e}: a reclaimer moved its claim away; retries"
                ));
                if !self.timed_out(s, a, t.host_now, n) {
                    s.actors[a].pc = Point::MakeParent;
                }
            }
            Poll::Ready(Err(e)) => {
                // Unreachable while ENOENT is retried above; a version that threw on it would
                // surface a lost claim as an error (L-D3).
                if e == Errno::ENOENT && s.flags & F_LOST_CLAIM == 0 {
                    s.flags |= F_LOST_CLAIM;
                    s.flag_actor = a as u8;
                }
                n.say(format_args!("{e}: removes its claim, then throws"));
                s.actors[a].pc = Point::LockDirRename(AfterLockDir::WriteFailed, 0);
            }
        }
    }

    /// `Point::ListAfterClaim`.
    pub(super) fn on_list_after_claim<N: Narrator>(
        &self,
        s: &mut World,
        a: usize,
        t: &mut Turn<'_>,
        n: &mut N,
    ) {
        let m = match self.list_intents(s, t.context) {
            Ok(m) => m,
            Err(e) => {
                self.throw(s, a, e.code(), n);
                t.continued = true;
                return;
            }
        };
        if m != 0 {
            t.notable = true;
            n.say(format_args!("a recovery intent appeared: undoes its claim"));
            s.actors[a].pc = if self.version.verified() {
                Point::UndoRmdir
            } else {
                Point::LockDirRename(AfterLockDir::Undo, 0)
            };
        } else {
            n.say(format_args!("no intent"));
            s.actors[a].pc = Point::OwnerWrite(self.owner_write(s, a));
        }
    }

    /// `Point::WaiterStat`.
    pub(super) fn on_waiter_stat<N: Narrator>(
        &self,
        s: &mut World,
        a: usize,
        t: &mut Turn<'_>,
        n: &mut N,
    ) {
        match s.fs.stat(t.context, self.lock) {
            Err(Errno::ENOENT) => {
                t.notable = true;
                let x = &mut s.actors[a];
                x.pc = Point::Done;
                x.waiting = false;
                n.say(format_args!("ENOENT: the prewarm is over, returns"));
                self.reach(s, a, spec::P_WAITER_RETURNED, n);
            }
            Err(e) => {
                t.notable = true;
                self.throw(s, a, e.code(), n);
            }
            Ok(_) => {
                n.say(format_args!("held: waits"));
                s.actors[a].pc = Point::LockStat;
            }
        }
    }

    /// `Point::LockStat`.
    pub(super) fn on_lock_stat<N: Narrator>(
        &self,
        s: &mut World,
        a: usize,
        t: &mut Turn<'_>,
        n: &mut N,
    ) {
        match s.fs.stat(t.context, self.lock) {
            Err(Errno::ENOENT) => {
                n.say(format_args!("ENOENT: gone"));
                s.actors[a].pc = self.cont(a);
            }
            Err(e) => {
                t.notable = true;
                self.throw(s, a, e.code(), n);
            }
            Ok(st) => {
                if self.version.probes() {
                    n.say(format_args!("mtime {}", shown(st.mtime)));
                    s.actors[a].pc = Point::OwnerRead(st.mtime);
                } else {
                    let age = st.age_at(t.host_now);
                    if age > self.stale as i64 {
                        t.notable = true;
                        n.say(format_args!(
                            "{age} ms old > {}: removing stale lock",
                            self.stale
                        ));
                        s.actors[a].pc = Point::RemoveStale(RmRf::new(self.lock));
                        self.reach(s, a, spec::P_RECLAIM_JUDGED, n);
                    } else {
                        n.say(format_args!("{age} ms old"));
                        self.timeout_or_sleep(s, a, t.host_now, n);
                    }
                }
            }
        }
    }

    /// `Point::OwnerRead`.
    pub(super) fn on_owner_read<N: Narrator>(
        &self,
        s: &mut World,
        a: usize,
        t: &mut Turn<'_>,
        n: &mut N,
        mtime: Time,
    ) {
        let c = s.fs.read_file(t.context, self.owner).ok();
        let l = self.liveness(s, a, c.as_ref());
        let age = t.host_now as i64 - mtime as i64;
        let r = self.reason(l, age);
        if N::ON {
            n.say(format_args!(
                "{}: {}, {age} ms old",
                c.as_ref()
                    .map_or("unreadable".to_string(), |c| self.show_owner(c)),
                l.name()
            ));
        }
        if r != RC_NONE {
            t.notable = true;
            n.say(format_args!(
                "{}",
                if r == RC_DEAD {
                    "held by a dead process: reclaims"
                } else {
                    "stale: reclaims"
                }
            ));
            s.actors[a].judged = r;
            s.actors[a].pc = if self.version.intents() {
                s.actors[a].rc = RC_NONE;
                Point::IntentParent(Purpose::Reclaim)
            } else {
                Point::RemoveStale(RmRf::new(self.lock))
            };
            self.reach(s, a, spec::P_RECLAIM_JUDGED, n);
        } else {
            self.timeout_or_sleep(s, a, t.host_now, n);
        }
    }

    /// `Point::RemoveStale`.
    pub(super) fn on_remove_stale<N: Narrator>(
        &self,
        s: &mut World,
        a: usize,
        t: &mut Turn<'_>,
        n: &mut N,
        mut rm: RmRf,
    ) {
        t.notable = true;
        match self.step_rm_lock(s, a, t.context, &mut rm, false, n) {
            Poll::Pending => s.actors[a].pc = Point::RemoveStale(rm),
            Poll::Ready(_) => s.actors[a].pc = self.cont(a),
        }
    }

    // ---- V2: recovery intents ----------------------------------------------------

    /// `Point::IntentsList`.
    pub(super) fn on_intents_list<N: Narrator>(
        &self,
        s: &mut World,
        a: usize,
        t: &mut Turn<'_>,
        n: &mut N,
        site: Site,
    ) {
        let m = match self.list_intents(s, t.context) {
            Ok(m) => m,
            Err(e) => {
                self.throw(s, a, e.code(), n);
                t.continued = true;
                return;
            }
        };
        if m == 0 {
            n.say(format_args!("no recovery intent"));
            s.actors[a].pc = Self::site_false(site);
        } else {
            n.say(format_args!("recovery intents present: inspects them"));
            s.actors[a].pc = Self::next_intent(site, m);
        }
    }

    /// `Point::IntentStat`.
    pub(super) fn on_intent_stat<N: Narrator>(
        &self,
        s: &mut World,
        a: usize,
        t: &mut Turn<'_>,
        n: &mut N,
        (site, mask, i): (Site, u8, u8),
    ) {
        let rest = mask & !(1 << i);
        match s.fs.stat(t.context, self.own.intent[usize::from(i)]) {
            Ok(st) => {
                n.say(format_args!("mtime {}", shown(st.mtime)));
                s.actors[a].pc = Point::IntentRead(site, rest, i, st.mtime);
            }
            Err(Errno::ENOENT) => {
                n.say(format_args!("ENOENT: already gone"));
                s.actors[a].pc = Self::next_intent(site, rest);
            }
            Err(e) => {
                t.notable = true;
                self.throw(s, a, e.code(), n);
            }
        }
    }

    /// `Point::IntentRead`.
    pub(super) fn on_intent_read<N: Narrator>(
        &self,
        s: &mut World,
        a: usize,
        t: &mut Turn<'_>,
        n: &mut N,
        (site, rest, i, mtime): (Site, u8, u8, Time),
    ) {
        let c =
            s.fs.read_file(t.context, self.own.intent_owner[usize::from(i)])
                .ok();
        let l = self.liveness(s, a, c.as_ref());
        let age = t.host_now as i64 - mtime as i64;
        let r = self.reason(l, age);
        n.say(format_args!(
            "intent-{}: {}, {age} ms old",
            self.name(usize::from(i)),
            l.name()
        ));
        if r != RC_NONE {
            t.notable = true;
            n.say(format_args!("reaps it"));
            s.actors[a].pc = Point::IntentRelease(i, AfterIntent::Next(site, rest), 0);
        } else {
            s.actors[a].pc = Self::next_intent(site, rest);
        }
    }

    /// `Point::IntentsRelist`.
    pub(super) fn on_intents_relist<N: Narrator>(
        &self,
        s: &mut World,
        a: usize,
        t: &mut Turn<'_>,
        n: &mut N,
        site: Site,
    ) {
        let m = match self.list_intents(s, t.context) {
            Ok(m) => m,
            Err(e) => {
                self.throw(s, a, e.code(), n);
                t.continued = true;
                return;
            }
        };
        if m == 0 {
            n.say(format_args!("no intent left"));
            s.actors[a].pc = Self::site_false(site);
        } else if !self.timed_out(s, a, t.host_now, n) {
            n.say(format_args!(
                "a live intent remains: sleeps {}",
                self.spec.poll
            ));
            self.sleep(s, a, self.spec.poll, Self::site_true(site));
        }
    }

    /// `Point::IntentRelease`.
    pub(super) fn on_intent_release<N: Narrator>(
        &self,
        s: &mut World,
        a: usize,
        t: &mut Turn<'_>,
        n: &mut N,
        (i, then, attempt): (u8, AfterIntent, u8),
    ) {
        t.notable = true;
        match s.fs.rename(
            t.context,
            self.own.intent[usize::from(i)],
            self.own.released[a],
        ) {
            Ok(()) => {
                n.say(format_args!(
                    "intent-{} moved out of the recovery root",
                    self.name(usize::from(i))
                ));
                s.actors[a].pc = Point::ReleasedRemove(then, RmRf::new(self.own.released[a]));
            }
            Err(e) if Self::transient(e) && usize::from(attempt) < BUSY_RETRY_MS.len() => {
                let d = BUSY_RETRY_MS[usize::from(attempt)];
                n.say(format_args!("{e}: retries in {d} ms"));
                let now = s.now;
                let x = &mut s.actors[a];
                x.pc = Point::IntentRelease(i, then, attempt + 1);
                x.wake = now + d;
            }
            Err(e) => {
                n.say(format_args!("{e}: left in place"));
                self.ri_done(s, a, then, t.host_now, n);
            }
        }
    }

    /// `Point::ReleasedRemove`.
    pub(super) fn on_released_remove<N: Narrator>(
        &self,
        s: &mut World,
        a: usize,
        t: &mut Turn<'_>,
        n: &mut N,
        then: AfterIntent,
        mut rm: RmRf,
    ) {
        match self.rm_step(s, t.context, &mut rm, n) {
            Poll::Pending => s.actors[a].pc = Point::ReleasedRemove(then, rm),
            Poll::Ready(_) => {
                t.notable = true;
                self.ri_done(s, a, then, t.host_now, n);
            }
        }
    }

    /// `Point::IntentParent`.
    pub(super) fn on_intent_parent<N: Narrator>(
        &self,
        s: &mut World,
        a: usize,
        t: &mut Turn<'_>,
        n: &mut N,
        p: Purpose,
    ) {
        match s.fs.mkdir_p(t.context, self.recovery) {
            Ok(()) => {
                n.say(format_args!("ok"));
                s.actors[a].pc = Point::IntentMkdir(p);
            }
            Err(e) => {
                t.notable = true;
                self.ci_failed(s, a, p, e, n);
            }
        }
    }

    /// `Point::IntentMkdir`.
    pub(super) fn on_intent_mkdir<N: Narrator>(
        &self,
        s: &mut World,
        a: usize,
        t: &mut Turn<'_>,
        n: &mut N,
        p: Purpose,
    ) {
        t.notable = true;
        match s.fs.mkdir(t.context, self.own.intent[a]) {
            Ok(()) => {
                n.say(format_args!("recovery intent created"));
                let c = self.owner_content(s, a, true);
                s.actors[a].pc = Point::IntentWrite(p, WriteFile::new(self.own.intent_owner[a], c));
                self.reach(s, a, spec::P_INTENT_CREATED, n);
            }
            Err(e) => self.ci_failed(s, a, p, e, n),
        }
    }

    /// `Point::IntentWrite`.
    pub(super) fn on_intent_write<N: Narrator>(
        &self,
        s: &mut World,
        a: usize,
        t: &mut Turn<'_>,
        n: &mut N,
        p: Purpose,
        mut wf: WriteFile,
    ) {
        match wf.step(&mut s.fs, t.context) {
            Poll::Pending => {
                n.say(format_args!("ok"));
                s.actors[a].pc = Point::IntentWrite(p, wf);
            }
            Poll::Ready(Ok(())) => {
                t.notable = true;
                n.say(format_args!("intent recorded"));
                s.actors[a].pc = match p {
                    Purpose::Reclaim if self.version == Version::CanaryNoRecheck => {
                        n.say(format_args!("acts on its earlier judgment (canary)"));
                        Point::ReclaimRename(s.actors[a].judged, 0)
                    }
                    Purpose::Reclaim if self.version.verified() => Point::RecheckStatFirst,
                    Purpose::Reclaim => Point::RecheckStat,
                    Purpose::Release => Point::ReleaseRead,
                };
            }
            Poll::Ready(Err(e)) => {
                t.notable = true;
                n.say(format_args!("{e}: removes its intent"));
                s.actors[a].pc = Point::IntentRelease(a as u8, AfterIntent::CreateFailed, 0);
            }
        }
    }

    /// `Point::RecheckStat`.
    pub(super) fn on_recheck_stat<N: Narrator>(
        &self,
        s: &mut World,
        a: usize,
        t: &mut Turn<'_>,
        n: &mut N,
    ) {
        t.notable = true;
        match s.fs.stat(t.context, self.lock) {
            Ok(st) => {
                n.say(format_args!(
                    "re-check under the intent: mtime {}",
                    shown(st.mtime)
                ));
                s.actors[a].pc = Point::RecheckRead(st.mtime);
            }
            Err(e) => self.nothing_to_reclaim(s, a, e, n),
        }
    }

    /// `Point::RecheckRead`.
    pub(super) fn on_recheck_read<N: Narrator>(
        &self,
        s: &mut World,
        a: usize,
        t: &mut Turn<'_>,
        n: &mut N,
        mtime: Time,
    ) {
        t.notable = true;
        let c = s.fs.read_file(t.context, self.owner).ok();
        let l = self.liveness(s, a, c.as_ref());
        let age = t.host_now as i64 - mtime as i64;
        let r = self.reason(l, age);
        n.say(format_args!(
            "re-check under the intent: {}, {}, {age} ms old",
            c.as_ref()
                .map_or("unreadable".to_string(), |c| self.show_owner(c)),
            l.name()
        ));
        self.act_on_recheck(s, a, r, n);
    }

    /// `Point::RecheckStatFirst`.
    pub(super) fn on_recheck_stat_first<N: Narrator>(
        &self,
        s: &mut World,
        a: usize,
        t: &mut Turn<'_>,
        n: &mut N,
    ) {
        t.notable = true;
        match s.fs.stat(t.context, self.lock) {
            Ok(st) => {
                n.say(format_args!(
                    "re-check under the intent: mtime {}",
                    shown(st.mtime)
                ));
                s.actors[a].judged_ino = st.ino.0;
                s.actors[a].judged_mtime = st.mtime;
                s.actors[a].pc = Point::RecheckReadFirst;
            }
            Err(e) => self.nothing_to_reclaim(s, a, e, n),
        }
    }

    /// `Point::RecheckReadFirst`.
    pub(super) fn on_recheck_read_first<N: Narrator>(
        &self,
        s: &mut World,
        a: usize,
        t: &mut Turn<'_>,
        n: &mut N,
    ) {
        t.notable = true;
        let c = s.fs.read_file(t.context, self.owner).ok();
        let l = self.liveness(s, a, c.as_ref());
        n.say(format_args!(
            "re-check under the intent: {}, {}",
            c.as_ref()
                .map_or("unreadable".to_string(), |c| self.show_owner(c)),
            l.name()
        ));
        s.actors[a].pc = Point::RecheckStatAfter(l);
    }

    /// `Point::RecheckStatAfter`.
    pub(super) fn on_recheck_stat_after<N: Narrator>(
        &self,
        s: &mut World,
        a: usize,
        t: &mut Turn<'_>,
        n: &mut N,
        l: Liveness,
    ) {
        t.notable = true;
        self.recheck_age(s, a, t.context, t.host_now, l, n);
    }

    /// `Point::ReclaimVerify`.
    pub(super) fn on_reclaim_verify<N: Narrator>(
        &self,
        s: &mut World,
        a: usize,
        t: &mut Turn<'_>,
        n: &mut N,
        r: u8,
        was: u8,
    ) {
        t.notable = true;
        self.verify_tombstone(s, a, t.context, r, was, n);
    }

    /// `Point::UndoRmdir`.
    pub(super) fn on_undo_rmdir<N: Narrator>(
        &self,
        s: &mut World,
        a: usize,
        t: &mut Turn<'_>,
        n: &mut N,
    ) {
        t.notable = true;
        match s.fs.rmdir(t.context, self.lock) {
            Ok(()) => {
                n.say(format_args!("removed the empty claim"));
                s.lock_owner = 0;
            }
            Err(e) => n.say(format_args!("{e}: not an empty claim; leaves it")),
        }
        self.rl_done(s, a, AfterLockDir::Undo, n);
    }

    /// V3: renames `a`'s tombstone back to the lock name; the ghost owner `was` comes back
    /// with it.
    fn put_back(&self, s: &mut World, a: usize, cx: Ctx<'_>, was: u8) -> Result<(), Errno> {
        s.fs.rename(cx, self.own.tomb[a], self.lock)?;
        s.lock_owner = was;
        Ok(())
    }

    /// `Point::ReclaimRestore`.
    pub(super) fn on_reclaim_restore<N: Narrator>(
        &self,
        s: &mut World,
        a: usize,
        t: &mut Turn<'_>,
        n: &mut N,
        was: u8,
    ) {
        t.notable = true;
        match self.put_back(s, a, t.context, was) {
            Ok(()) => {
                n.say(format_args!("put back: not the generation it judged"));
                s.actors[a].rc = RC_NONE;
            }
            Err(e) => {
                n.say(format_args!("{e}: cannot put it back"));
                self.damaged(s, a, was, false, n);
                s.actors[a].rc = RC_ERROR;
            }
        }
        s.actors[a].pc = Point::IntentRelease(a as u8, AfterIntent::AfterReclaim, 0);
    }

    /// `Point::ReclaimRename`.
    pub(super) fn on_reclaim_rename<N: Narrator>(
        &self,
        s: &mut World,
        a: usize,
        t: &mut Turn<'_>,
        n: &mut N,
        r: u8,
        attempt: u8,
    ) {
        t.notable = true;
        let was = s.lock_owner;
        match s.fs.rename(t.context, self.lock, self.own.tomb[a]) {
            Ok(()) if self.version.verified() => {
                n.say(format_args!("lock moved to tombstone-{}", self.name(a)));
                s.lock_owner = 0;
                s.actors[a].pc = Point::ReclaimVerify(r, was);
            }
            Ok(()) => {
                n.say(format_args!("lock moved to tombstone-{}", self.name(a)));
                s.lock_owner = 0;
                self.damaged(s, a, was, false, n);
                s.actors[a].pc = Point::ReclaimRemove(r, RmRf::new(self.own.tomb[a]));
                self.reach(s, a, spec::P_TOMBSTONED, n);
            }
            Err(Errno::ENOENT) => {
                n.say(format_args!("ENOENT: someone else reclaimed it"));
                s.actors[a].rc = RC_NONE;
                s.actors[a].pc = Point::IntentRelease(a as u8, AfterIntent::AfterReclaim, 0);
            }
            Err(e) if Self::transient(e) && usize::from(attempt) < BUSY_RETRY_MS.len() => {
                let d = BUSY_RETRY_MS[usize::from(attempt)];
                n.say(format_args!("{e}: retries in {d} ms"));
                let now = s.now;
                let x = &mut s.actors[a];
                x.pc = Point::ReclaimRename(r, attempt + 1);
                x.wake = now + d;
            }
            Err(e) => {
                n.say(format_args!("{e}"));
                s.actors[a].rc = RC_ERROR;
                s.actors[a].pc = Point::IntentRelease(a as u8, AfterIntent::AfterReclaim, 0);
            }
        }
    }

    /// `Point::ReclaimRemove`.
    pub(super) fn on_reclaim_remove<N: Narrator>(
        &self,
        s: &mut World,
        a: usize,
        t: &mut Turn<'_>,
        n: &mut N,
        r: u8,
        mut rm: RmRf,
    ) {
        match self.rm_step(s, t.context, &mut rm, n) {
            Poll::Pending => s.actors[a].pc = Point::ReclaimRemove(r, rm),
            Poll::Ready(_) => {
                t.notable = true;
                s.actors[a].rc = r;
                s.actors[a].pc = Point::IntentRelease(a as u8, AfterIntent::AfterReclaim, 0);
            }
        }
    }

    /// `Point::ReleaseRead`.
    pub(super) fn on_release_read<N: Narrator>(
        &self,
        s: &mut World,
        a: usize,
        t: &mut Turn<'_>,
        n: &mut N,
    ) {
        t.notable = true;
        let tok =
            s.fs.read_file(t.context, self.owner)
                .ok()
                .and_then(|c| c.get(3));
        if tok == Some(a as u64 + 1) {
            n.say(format_args!("own token: removes the lock"));
            s.actors[a].pc = Point::LockDirRename(AfterLockDir::Release, 0);
        } else {
            n.say(format_args!("not its token: leaves the lock"));
            s.actors[a].pc = Point::IntentRelease(a as u8, AfterIntent::AfterRelease, 0);
        }
    }

    /// `Point::LockDirRename`.
    pub(super) fn on_lock_dir_rename<N: Narrator>(
        &self,
        s: &mut World,
        a: usize,
        t: &mut Turn<'_>,
        n: &mut N,
        then: AfterLockDir,
        attempt: u8,
    ) {
        t.notable = true;
        let was = s.lock_owner;
        match s.fs.rename(t.context, self.lock, self.own.tomb[a]) {
            Ok(()) if then == AfterLockDir::Release && self.version.verified() => {
                n.say(format_args!("lock moved to tombstone-{}", self.name(a)));
                s.lock_owner = 0;
                s.actors[a].pc = Point::ReleaseVerify(was);
            }
            Ok(()) => {
                n.say(format_args!("lock moved to tombstone-{}", self.name(a)));
                s.lock_owner = 0;
                self.damaged(s, a, was, true, n);
                s.actors[a].pc = Point::LockDirRemove(then, RmRf::new(self.own.tomb[a]));
            }
            Err(e) if Self::transient(e) && usize::from(attempt) < BUSY_RETRY_MS.len() => {
                let d = BUSY_RETRY_MS[usize::from(attempt)];
                n.say(format_args!("{e}: retries in {d} ms"));
                let now = s.now;
                let x = &mut s.actors[a];
                x.pc = Point::LockDirRename(then, attempt + 1);
                x.wake = now + d;
            }
            Err(e) => {
                n.say(format_args!("{e}"));
                self.rl_done(s, a, then, n);
            }
        }
    }

    /// `Point::ReleaseVerify`: the token read before the rename and the rename are two calls on
    /// a fixed name, so what moved may be a claim made after another host's reclaim; only a
    /// tombstone holding the releaser's own token is removed.
    pub(super) fn on_release_verify<N: Narrator>(
        &self,
        s: &mut World,
        a: usize,
        t: &mut Turn<'_>,
        n: &mut N,
        was: u8,
    ) {
        t.notable = true;
        let token =
            s.fs.read_file(t.context, self.own.tomb_owner[a])
                .ok()
                .and_then(|c| c.get(3));
        if token == Some(a as u64 + 1) {
            n.say(format_args!("the tombstone holds its own token"));
            self.damaged(s, a, was, true, n);
            s.actors[a].pc =
                Point::LockDirRemove(AfterLockDir::Release, RmRf::new(self.own.tomb[a]));
        } else {
            n.say(format_args!("the tombstone is not its lock"));
            s.actors[a].pc = Point::ReleaseRestore(was);
        }
    }

    /// `Point::ReleaseRestore`: puts another process's directory back; when that fails (a newer
    /// claim holds the name), the moved directory stays where it is, damaged.
    pub(super) fn on_release_restore<N: Narrator>(
        &self,
        s: &mut World,
        a: usize,
        t: &mut Turn<'_>,
        n: &mut N,
        was: u8,
    ) {
        t.notable = true;
        match self.put_back(s, a, t.context, was) {
            Ok(()) => n.say(format_args!("put back: not its own lock")),
            Err(e) => {
                n.say(format_args!("{e}: cannot put it back"));
                self.damaged(s, a, was, true, n);
            }
        }
        self.rl_done(s, a, AfterLockDir::Release, n);
    }

    /// `Point::LockDirRemove`.
    pub(super) fn on_lock_dir_remove<N: Narrator>(
        &self,
        s: &mut World,
        a: usize,
        t: &mut Turn<'_>,
        n: &mut N,
        then: AfterLockDir,
        mut rm: RmRf,
    ) {
        match self.rm_step(s, t.context, &mut rm, n) {
            Poll::Pending => s.actors[a].pc = Point::LockDirRemove(then, rm),
            Poll::Ready(_) => {
                t.notable = true;
                self.rl_done(s, a, then, n);
            }
        }
    }

    /// `Point::RemoveToRelease`.
    pub(super) fn on_remove_to_release<N: Narrator>(
        &self,
        s: &mut World,
        a: usize,
        t: &mut Turn<'_>,
        n: &mut N,
        mut rm: RmRf,
    ) {
        t.notable = true;
        match self.step_rm_lock(s, a, t.context, &mut rm, true, n) {
            Poll::Pending => s.actors[a].pc = Point::RemoveToRelease(rm),
            Poll::Ready(_) => {
                s.actors[a].pc = Point::Done;
                n.say(format_args!("released"));
            }
        }
    }

    /// `Point::Prewarming`.
    pub(super) fn on_prewarming<N: Narrator>(
        &self,
        s: &mut World,
        a: usize,
        t: &mut Turn<'_>,
        n: &mut N,
    ) {
        // The callback's end and the release's first call are one step.
        let x = &mut s.actors[a];
        x.in_cs = false;
        x.holding = false;
        x.pc = if self.version.intents() {
            Point::IntentParent(Purpose::Release)
        } else {
            Point::RemoveToRelease(RmRf::new(self.lock))
        };
        n.say(format_args!("prewarm done; releases"));
        self.step(s, a, n);
        t.continued = true;
    }
}
