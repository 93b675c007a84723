//! One patient's consents and a policy, compiled for many decisions.
//!
//! - Only the patient's `active` consents are kept, sorted by date
//!   (latest first), then id: step 4 stops at the first date older than the
//!   first applicable consent's, and within a date the first deny found is
//!   the smallest-id deny.
//! - Roles, categories, actions and purposes are one-byte bitsets: a list
//!   holds when `mask & request_bit != 0` (mask 0: the field is absent;
//!   a present list is never empty).
//! - Periods are pairs of `i64` Unix seconds (`i64::MIN`/`i64::MAX` for open
//!   ends); `at` and `data_date` are compared as integers.
//! - Accessor ids, organisations and labels are interned once; a list is a
//!   sorted run of symbols in one pool, the request's strings are looked up
//!   once per decision (unknown strings can match nothing).
//! - Provisions live in one flat array; the children of a node are a
//!   contiguous run, so a walk is a loop over a slice. Among siblings the
//!   walk stops at the first matching deny (deny wins).

use std::collections::{HashMap, HashSet};
use std::ops::Range;

use super::{
    AUDIT_BREAK_GLASS, Action, BREAK_GLASS_SECONDS, Basis, Category, Code, Consent, ConsentRequest,
    ConsentStatus, Decision, Effect, Match, Period, Provision, Purpose, Role, RolePolicy,
    consent_error,
};
use crate::error::{Error, ErrorCode, Result};

type Symbols = HashMap<Box<str>, usize, std::collections::hash_map::RandomState>;

/// No symbol: a request string no consent mentions.
const NONE: usize = usize::MAX;

/// A run `start..start + len` of the node array or the symbol pool.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
struct Span {
    start: usize,
    len: usize,
}

impl Span {
    const fn range(self) -> Range<usize> {
        self.start..self.start + self.len
    }
}

/// A compiled [`Match`].
#[derive(Debug, Clone, Copy)]
struct Cond {
    roles: u8,
    categories: u8,
    actions: u8,
    purposes: u8,
    has_data_period: bool,
    period: (i64, i64),
    data_period: (i64, i64),
    actors: Span,
    orgs: Span,
    labels: Span,
}

impl Cond {
    /// The match without fields: holds always.
    const ALWAYS: Self = Self {
        roles: 0,
        categories: 0,
        actions: 0,
        purposes: 0,
        has_data_period: false,
        period: (i64::MIN, i64::MAX),
        data_period: (i64::MIN, i64::MAX),
        actors: Span { start: 0, len: 0 },
        orgs: Span { start: 0, len: 0 },
        labels: Span { start: 0, len: 0 },
    };
}

#[derive(Debug, Clone, Copy)]
struct Node {
    cond: Cond,
    kids: Span,
}

#[derive(Debug, Clone)]
struct Compiled {
    id: Box<str>,
    date: i64,
    period: (i64, i64),
    scope: Cond,
    decision: Effect,
    kids: Span,
}

/// The request, as the compiled form needs it.
#[derive(Debug)]
struct Prepared {
    roles: u8,
    category: u8,
    action: u8,
    purpose: u8,
    at: i64,
    data_date: Option<i64>,
    actor: usize,
    org: usize,
    labels: Vec<usize>,
}

/// One patient's consents and the organisation's policy, compiled to answer
/// many [`ConsentRequest`]s fast (see the module notes in `docs/consent.md`).
///
/// ```
/// use hcas_core::consent::{Accessor, Basis, Category, CompiledConsents, Consent, ConsentRequest,
///     Effect, Match, Provision, Purpose, Role, RolePolicy};
/// let t = |s: &str| s.parse().unwrap();
/// // Pat9 permits everything but payment.
/// let consents = [Consent::permit("K1", "Pat9", t("2025-03-01T00:00:00Z"))
///     .with_provision(Provision::new(Match::any().with_purpose(Purpose::Hpaymt)))];
/// let compiled = CompiledConsents::new("Pat9", &consents, &RolePolicy::default()).unwrap();
/// let desk = Accessor::new("Fd1", "OrgA").with_role(Role::Admin);
/// let ask = |purpose| {
///     ConsentRequest::builder(desk.clone(), "Pat9")
///         .read(Category::Appointments)
///         .for_purpose(purpose)
///         .at(t("2025-09-01T10:00:00Z"))
///         .build()
///         .unwrap()
/// };
/// let d = compiled.decide(&ask(Purpose::Hpaymt)).unwrap();
/// assert_eq!((d.decision, d.basis, d.path.as_slice()), (Effect::Deny, Basis::Consent, &[0][..]));
/// assert!(compiled.decide(&ask(Purpose::Hoperat)).unwrap().is_permit());
/// ```
#[derive(Debug, Clone)]
pub struct CompiledConsents {
    patient: Box<str>,
    /// Per role (by index): the category, action and purpose bits it may use.
    gate: [(u8, u8, u8); 5],
    consents: Vec<Compiled>,
    nodes: Vec<Node>,
    pool: Vec<usize>,
    actors: Symbols,
    orgs: Symbols,
    labels: Symbols,
}

fn mask<T: Code>(list: Option<&Vec<T>>) -> u8 {
    list.map_or(0, |l| l.iter().fold(0, |m, c| m | c.bit()))
}

fn bounds(p: Option<&Period>) -> (i64, i64) {
    p.map_or((i64::MIN, i64::MAX), |p| {
        (
            p.start.map_or(i64::MIN, |s| s.unix()),
            p.end.map_or(i64::MAX, |e| e.unix()),
        )
    })
}

impl CompiledConsents {
    /// Validate every consent in `consents` (whoever's they are, so a bad
    /// consent is reported wherever it appears), then compile the active
    /// consents of `patient` with `policy`.
    ///
    /// # Errors
    /// `invalid_consent` for a consent that breaks the model (see
    /// [`Consent::validate`]) or two consents with one id.
    pub fn new(patient: &str, consents: &[Consent], policy: &RolePolicy) -> Result<Self> {
        let mut ids = HashSet::with_capacity(consents.len());
        for (i, c) in consents.iter().enumerate() {
            let at = format!("consents[{i}]");
            c.validate_at(&at)?;
            if !ids.insert(c.id.as_str()) {
                return Err(consent_error(format!(
                    "`{}` is the id of an earlier consent too; ids are unique",
                    c.id
                ))
                .at(&format!("{at}.id")));
            }
        }
        let mut gate = [(0u8, 0u8, 0u8); 5];
        for (role, rights) in &policy.roles {
            if let Some(g) = gate.get_mut(*role as usize) {
                *g = (
                    mask(Some(&rights.categories)),
                    mask(Some(&rights.actions)),
                    mask(Some(&rights.purposes)),
                );
            }
        }
        let mut mine: Vec<&Consent> = consents
            .iter()
            .filter(|c| c.status == ConsentStatus::Active && c.patient == patient)
            .collect();
        mine.sort_by(|a, b| b.date.cmp(&a.date).then_with(|| a.id.cmp(&b.id)));
        let mut out = Self {
            patient: patient.into(),
            gate,
            consents: Vec::with_capacity(mine.len()),
            nodes: Vec::new(),
            pool: Vec::new(),
            actors: Symbols::default(),
            orgs: Symbols::default(),
            labels: Symbols::default(),
        };
        for c in mine {
            let scope = c.scope.as_ref().map_or(Cond::ALWAYS, |s| out.cond(s));
            let kids = out.children(&c.provisions);
            out.consents.push(Compiled {
                id: c.id.as_str().into(),
                date: c.date.unix(),
                period: bounds(c.period.as_ref()),
                scope,
                decision: c.decision,
                kids,
            });
        }
        Ok(out)
    }

    /// The patient these consents are about.
    #[must_use]
    pub fn patient(&self) -> &str {
        &self.patient
    }

    /// How many consents count (the patient's active ones).
    #[must_use]
    pub fn len(&self) -> usize {
        self.consents.len()
    }

    /// Whether no consent counts (every decision falls through to the default).
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.consents.is_empty()
    }

    fn intern(pool: &mut Vec<usize>, table: &mut Symbols, list: Option<&Vec<String>>) -> Span {
        let Some(list) = list else {
            return Span::default();
        };
        let mut syms: Vec<usize> = list
            .iter()
            .map(|s| {
                let next = table.len();
                *table.entry(s.as_str().into()).or_insert(next)
            })
            .collect();
        syms.sort_unstable();
        syms.dedup();
        let span = Span {
            start: pool.len(),
            len: syms.len(),
        };
        pool.extend(syms);
        span
    }

    fn cond(&mut self, m: &Match) -> Cond {
        Cond {
            roles: mask(m.roles.as_ref()),
            categories: mask(m.categories.as_ref()),
            actions: mask(m.actions.as_ref()),
            purposes: mask(m.purposes.as_ref()),
            has_data_period: m.data_period.is_some(),
            period: bounds(m.period.as_ref()),
            data_period: bounds(m.data_period.as_ref()),
            actors: Self::intern(&mut self.pool, &mut self.actors, m.actors.as_ref()),
            orgs: Self::intern(&mut self.pool, &mut self.orgs, m.orgs.as_ref()),
            labels: Self::intern(&mut self.pool, &mut self.labels, m.labels.as_ref()),
        }
    }

    /// Lay out `list` as one contiguous run of nodes, then their children.
    fn children(&mut self, list: &[Provision]) -> Span {
        let start = self.nodes.len();
        for p in list {
            let cond = self.cond(&p.when);
            self.nodes.push(Node {
                cond,
                kids: Span::default(),
            });
        }
        for (i, p) in list.iter().enumerate() {
            let kids = self.children(&p.provisions);
            if let Some(n) = self.nodes.get_mut(start + i) {
                n.kids = kids;
            }
        }
        Span {
            start,
            len: list.len(),
        }
    }

    fn prepare(&self, r: &ConsentRequest) -> Prepared {
        let lookup = |table: &Symbols, s: &str| {
            if table.is_empty() {
                NONE
            } else {
                table.get(s).copied().unwrap_or(NONE)
            }
        };
        Prepared {
            roles: r.actor.roles.iter().fold(0, |m, x| m | x.bit()),
            category: r.category.bit(),
            action: r.action.bit(),
            purpose: r.purpose.bit(),
            at: r.at.unix(),
            data_date: r.data_date.map(|d| d.unix()),
            actor: lookup(&self.actors, &r.actor.id),
            org: lookup(&self.orgs, &r.actor.org),
            labels: if self.labels.is_empty() {
                Vec::new()
            } else {
                r.labels
                    .iter()
                    .filter_map(|l| self.labels.get(l.as_str()).copied())
                    .collect()
            },
        }
    }

    fn has(&self, span: Span, sym: usize) -> bool {
        self.pool
            .get(span.range())
            .is_some_and(|s| s.binary_search(&sym).is_ok())
    }

    #[inline]
    fn holds(&self, c: &Cond, p: &Prepared) -> bool {
        (c.roles == 0 || c.roles & p.roles != 0)
            && (c.categories == 0 || c.categories & p.category != 0)
            && (c.actions == 0 || c.actions & p.action != 0)
            && (c.purposes == 0 || c.purposes & p.purpose != 0)
            && c.period.0 <= p.at
            && p.at < c.period.1
            && (!c.has_data_period
                || p.data_date
                    .is_some_and(|d| c.data_period.0 <= d && d < c.data_period.1))
            && (c.actors.len == 0 || self.has(c.actors, p.actor))
            && (c.orgs.len == 0 || self.has(c.orgs, p.org))
            && (c.labels.len == 0 || p.labels.iter().any(|l| self.has(c.labels, *l)))
    }

    fn nodes(&self, span: Span) -> &[Node] {
        self.nodes.get(span.range()).unwrap_or_default()
    }

    /// The result of a node whose own effect is `effect` and whose children
    /// are `kids`: deny if a matching child's result is deny, else permit if
    /// any child matches, else `effect`.
    fn eval(&self, kids: Span, effect: Effect, p: &Prepared) -> Effect {
        let theirs = effect.flip();
        let mut matched = false;
        for n in self.nodes(kids) {
            if self.holds(&n.cond, p) {
                let r = if n.kids.len == 0 {
                    theirs
                } else {
                    self.eval(n.kids, theirs, p)
                };
                if r == Effect::Deny {
                    return Effect::Deny;
                }
                matched = true;
            }
        }
        if matched { Effect::Permit } else { effect }
    }

    /// The provision path that gave [`Self::eval`]'s result: from `kids`
    /// down, the first matching child whose result is deny, else the first
    /// matching child.
    fn path(&self, mut kids: Span, mut effect: Effect, p: &Prepared) -> Vec<usize> {
        let mut out = Vec::new();
        loop {
            let theirs = effect.flip();
            let mut deny = None;
            let mut first = None;
            for (i, n) in self.nodes(kids).iter().enumerate() {
                if self.holds(&n.cond, p) {
                    if self.eval(n.kids, theirs, p) == Effect::Deny {
                        deny = Some((i, n.kids));
                        break;
                    }
                    first = first.or(Some((i, n.kids)));
                }
            }
            let Some((i, k)) = deny.or(first) else {
                return out;
            };
            out.push(i);
            kids = k;
            effect = theirs;
        }
    }

    /// Step 4: the deciding consent (index) and its effect, if any applies.
    fn consent_step(&self, p: &Prepared) -> Option<(usize, Effect)> {
        let mut best: Option<(usize, i64)> = None;
        for (i, c) in self.consents.iter().enumerate() {
            if best.is_some_and(|(_, date)| c.date < date) {
                break;
            }
            if !(c.period.0 <= p.at && p.at < c.period.1 && self.holds(&c.scope, p)) {
                continue;
            }
            if self.eval(c.kids, c.decision, p) == Effect::Deny {
                return Some((i, Effect::Deny));
            }
            best = best.or(Some((i, c.date)));
        }
        best.map(|(i, _)| (i, Effect::Permit))
    }

    fn consent_decision(&self, p: &Prepared, r: &ConsentRequest) -> Option<Decision> {
        let (i, effect) = self.consent_step(p)?;
        let c = self.consents.get(i)?;
        let path = self.path(c.kids, c.decision, p);
        Some(Decision {
            decision: effect,
            basis: Basis::Consent,
            consent: Some(String::from(&*c.id)),
            obligations: obligations(r),
            path,
        })
    }

    fn gate(&self, r: &ConsentRequest) -> bool {
        let (c, a, p) = (r.category.bit(), r.action.bit(), r.purpose.bit());
        r.actor.roles.iter().any(|role| {
            self.gate
                .get(*role as usize)
                .is_some_and(|(gc, ga, gp)| gc & c != 0 && ga & a != 0 && gp & p != 0)
        })
    }

    fn check(&self, r: &ConsentRequest) -> Result<()> {
        r.validate()?;
        if r.patient.as_str() != &*self.patient {
            return Err(Error::new(
                ErrorCode::InvalidRequest,
                format!(
                    "these consents were compiled for patient `{}`, not `{}`",
                    self.patient, r.patient
                ),
            )
            .at("request.patient"));
        }
        Ok(())
    }

    /// Decide `request` by the five steps of `CONSENT.md`.
    ///
    /// # Errors
    /// `invalid_request` when the request fails [`ConsentRequest::validate`]
    /// or is about another patient than the one compiled for.
    pub fn decide(&self, request: &ConsentRequest) -> Result<Decision> {
        self.check(request)?;
        Ok(self.decide_valid(request))
    }

    /// Step 4 alone: the decision of the patient's consents, or `None` when
    /// no consent applies. Steps 1-3 are skipped: this answers "does a
    /// consent permit this?", e.g. for [`super::booking_allowed`].
    ///
    /// # Errors
    /// As [`Self::decide`].
    pub fn by_consent(&self, request: &ConsentRequest) -> Result<Option<Decision>> {
        self.check(request)?;
        Ok(self.by_consent_valid(request))
    }

    pub(super) fn by_consent_valid(&self, request: &ConsentRequest) -> Option<Decision> {
        self.consent_decision(&self.prepare(request), request)
    }

    pub(super) fn decide_valid(&self, r: &ConsentRequest) -> Decision {
        let simple = |decision, basis| Decision {
            decision,
            basis,
            consent: None,
            obligations: obligations(r),
            path: Vec::new(),
        };
        let permit = |ok: bool| if ok { Effect::Permit } else { Effect::Deny };
        // 1. Self.
        let patient_role = r.actor.roles.contains(&Role::Patient);
        if patient_role && r.actor.id == r.patient {
            let ok = match r.action {
                Action::Read => r.category != Category::Psychotherapy,
                Action::Write => r.category == Category::Appointments,
            };
            return simple(permit(ok), Basis::SelfAccess);
        }
        if patient_role && r.actor.roles.iter().all(|x| *x == Role::Patient) {
            return simple(Effect::Deny, Basis::Role);
        }
        // 2. Role gate.
        if !self.gate(r) {
            return simple(Effect::Deny, Basis::Role);
        }
        // 3. Break-glass.
        if let Some(bg) = &r.break_glass {
            let clinician = r
                .actor
                .roles
                .iter()
                .any(|x| matches!(x, Role::Doctor | Role::Nurse));
            let elapsed = r.at.unix().saturating_sub(bg.started_at.unix());
            let ok = clinician
                && r.purpose == Purpose::Etreat
                && !bg.reason.trim().is_empty()
                && (0..=BREAK_GLASS_SECONDS).contains(&elapsed);
            return simple(permit(ok), Basis::BreakGlass);
        }
        // 4. Consents.
        if !self.consents.is_empty()
            && let Some(d) = self.consent_decision(&self.prepare(r), r)
        {
            return d;
        }
        // 5. Default.
        let purpose_ok = matches!(
            r.purpose,
            Purpose::Treat | Purpose::Etreat | Purpose::Hpaymt | Purpose::Hoperat
        );
        let psychotherapy_ok = r.category != Category::Psychotherapy
            || r.originator.as_deref() == Some(r.actor.id.as_str());
        simple(permit(purpose_ok && psychotherapy_ok), Basis::Default)
    }
}

fn obligations(r: &ConsentRequest) -> Vec<String> {
    if r.break_glass.is_some() {
        vec![AUDIT_BREAK_GLASS.to_string()]
    } else {
        Vec::new()
    }
}
