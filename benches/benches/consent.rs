//! Consent decisions: the compiled form against a naive reading of
//! `CONSENT.md`, with 1, 10 and 50 provisions in force.
//!
//! `cargo bench -p hcas-benches --bench consent`
//!
//! Workload: one patient, consents of one date (so step 4 must look at all of
//! them), each a permit with up to five deny exceptions (purpose, actor +
//! category, label with a nested re-permit, data period, organisation), all
//! applicable; 64 requests by doctors (so the role gate passes and no
//! break-glass decides) vary actor, category, purpose, labels and data date.
//! "Provisions in force" counts every provision node of the applicable consents.

use std::hint::black_box;

use criterion::{BenchmarkId, Criterion, criterion_group, criterion_main};
use hcas_benches::Rng;
use hcas_core::Timestamp;
use hcas_core::consent::{
    Accessor, Action, Category, CompiledConsents, Consent, ConsentRequest, ConsentStatus, Decision,
    Effect, Match, Period, Provision, Purpose, Role, RolePolicy,
};

const BASE: i64 = 1_750_000_000; // 2025-06-15T15:06:40Z

/// The decision procedure of `CONSENT.md`, read sentence by sentence, with
/// no compilation (the same reading as the naive evaluator of
/// `crates/hcas-core/tests/consent.rs`).
mod naive {
    use super::{
        Action, Category, Consent, ConsentRequest, ConsentStatus, Decision, Effect, Match, Period,
        Provision, Purpose, Role, RolePolicy,
    };
    use hcas_core::Timestamp;
    use hcas_core::consent::Basis;

    fn effect(permitted: bool) -> Effect {
        if permitted {
            Effect::Permit
        } else {
            Effect::Deny
        }
    }

    fn inside(p: &Period, t: Timestamp) -> bool {
        p.start.is_none_or(|s| s <= t) && p.end.is_none_or(|e| t < e)
    }

    fn holds(m: &Match, r: &ConsentRequest) -> bool {
        m.actors.as_ref().is_none_or(|l| l.contains(&r.actor.id))
            && m.roles
                .as_ref()
                .is_none_or(|l| l.iter().any(|x| r.actor.roles.contains(x)))
            && m.orgs.as_ref().is_none_or(|l| l.contains(&r.actor.org))
            && m.purposes.as_ref().is_none_or(|l| l.contains(&r.purpose))
            && m.categories
                .as_ref()
                .is_none_or(|l| l.contains(&r.category))
            && m.actions.as_ref().is_none_or(|l| l.contains(&r.action))
            && m.labels
                .as_ref()
                .is_none_or(|l| l.iter().any(|x| r.labels.contains(x)))
            && m.period.as_ref().is_none_or(|p| inside(p, r.at))
            && m.data_period
                .as_ref()
                .is_none_or(|p| r.data_date.is_some_and(|d| inside(p, d)))
    }

    fn result(own: Effect, kids: &[Provision], r: &ConsentRequest) -> (Effect, Vec<usize>) {
        let matching: Vec<(usize, Effect, Vec<usize>)> = kids
            .iter()
            .enumerate()
            .filter(|(_, k)| holds(&k.when, r))
            .map(|(i, k)| {
                let (e, below) = result(own.flip(), &k.provisions, r);
                (i, e, below)
            })
            .collect();
        let combined = if matching.is_empty() {
            return (own, Vec::new());
        } else if matching.iter().any(|m| m.1 == Effect::Deny) {
            Effect::Deny
        } else {
            Effect::Permit
        };
        let mut path = Vec::new();
        if let Some((i, _, below)) = matching.into_iter().find(|m| m.1 == combined) {
            path.push(i);
            path.extend(below);
        }
        (combined, path)
    }

    pub(super) fn decide(
        r: &ConsentRequest,
        consents: &[Consent],
        policy: &RolePolicy,
    ) -> Decision {
        let obligations = if r.break_glass.is_some() {
            vec!["audit-break-glass".to_string()]
        } else {
            Vec::new()
        };
        let plain = |decision, basis| {
            let mut d = Decision::new(decision, basis);
            d.obligations.clone_from(&obligations);
            d
        };
        let patient = r.actor.roles.contains(&Role::Patient);
        if patient && r.actor.id == r.patient {
            let may = match r.action {
                Action::Read => r.category != Category::Psychotherapy,
                Action::Write => r.category == Category::Appointments,
            };
            return plain(effect(may), Basis::SelfAccess);
        }
        if patient && r.actor.roles.iter().all(|x| *x == Role::Patient) {
            return plain(Effect::Deny, Basis::Role);
        }
        if !policy.allows(r) {
            return plain(Effect::Deny, Basis::Role);
        }
        if let Some(bg) = &r.break_glass {
            let elapsed = r.at.unix() - bg.started_at.unix();
            let ok = r
                .actor
                .roles
                .iter()
                .any(|x| matches!(x, Role::Doctor | Role::Nurse))
                && r.purpose == Purpose::Etreat
                && !bg.reason.trim().is_empty()
                && (0..=3600).contains(&elapsed);
            return plain(effect(ok), Basis::BreakGlass);
        }
        let applicable: Vec<(&Consent, Effect, Vec<usize>)> = consents
            .iter()
            .filter(|c| {
                c.status == ConsentStatus::Active
                    && c.patient == r.patient
                    && c.period.as_ref().is_none_or(|p| inside(p, r.at))
                    && c.scope.as_ref().is_none_or(|s| holds(s, r))
            })
            .map(|c| {
                let (e, p) = result(c.decision, &c.provisions, r);
                (c, e, p)
            })
            .collect();
        if let Some(latest) = applicable.iter().map(|a| a.0.date).max() {
            let same: Vec<&(&Consent, Effect, Vec<usize>)> =
                applicable.iter().filter(|a| a.0.date == latest).collect();
            let wins = effect(!same.iter().any(|a| a.1 == Effect::Deny));
            if let Some((c, e, path)) = same
                .into_iter()
                .filter(|a| a.1 == wins)
                .min_by(|a, b| a.0.id.cmp(&b.0.id))
            {
                let mut d = Decision::by_consent(*e, c.id.clone(), path.clone());
                d.obligations = obligations;
                return d;
            }
        }
        let purpose_ok = matches!(
            r.purpose,
            Purpose::Treat | Purpose::Etreat | Purpose::Hpaymt | Purpose::Hoperat
        );
        let psy_ok = r.category != Category::Psychotherapy
            || r.originator.as_deref() == Some(r.actor.id.as_str());
        plain(effect(purpose_ok && psy_ok), Basis::Default)
    }
}

#[allow(clippy::unwrap_used)]
fn at(secs: i64) -> Timestamp {
    Timestamp::from_unix(BASE + secs).unwrap()
}

/// Provision `j` of the workload (one or two nodes: returns the node count too).
fn provision(j: usize) -> (Provision, usize) {
    let any = Match::any;
    match j % 5 {
        0 => (Provision::new(any().with_purpose(Purpose::Hmarkt)), 1),
        1 => (
            Provision::new(
                any()
                    .with_actor(format!("Dr{j}"))
                    .with_actor(format!("Dr{}", j + 1))
                    .with_category(Category::Labs),
            ),
            1,
        ),
        2 => (
            Provision::new(any().with_label("V"))
                .with_provision(Provision::new(any().with_actor("Dr3"))),
            2,
        ),
        3 => (
            Provision::new(any().with_data_period(Period::until(at(-15 * 365 * 86_400)))),
            1,
        ),
        _ => (Provision::new(any().with_org(format!("OrgX{j}"))), 1),
    }
}

/// Consents with `n` provision nodes in force, five top-level provisions each.
#[allow(clippy::unwrap_used)]
fn consents(n: usize) -> Vec<Consent> {
    let mut out: Vec<Consent> = Vec::new();
    let (mut nodes, mut j) = (0, 0);
    while nodes < n {
        if j % 5 == 0 {
            out.push(
                Consent::permit(format!("K{:03}", out.len()), "P1", at(-100 * 86_400))
                    .with_period(Period::between(at(-365 * 86_400), at(365 * 86_400)).unwrap())
                    .with_scope(Match::any().with_org("Org1").with_org("Org2")),
            );
        }
        let (mut p, mut count) = provision(j);
        if nodes + count > n {
            p.provisions.clear();
            count = 1;
        }
        if let Some(c) = out.last_mut() {
            c.provisions.push(p);
        }
        nodes += count;
        j += 1;
    }
    out
}

#[allow(clippy::unwrap_used)]
fn requests() -> Vec<ConsentRequest> {
    let mut rng = Rng::new(11);
    let cats = [
        Category::Labs,
        Category::Records,
        Category::Notes,
        Category::Appointments,
    ];
    let purposes = [Purpose::Treat, Purpose::Etreat, Purpose::Hoperat];
    (0..64)
        .map(|_| {
            let pick = |rng: &mut Rng, n: usize| {
                usize::try_from(rng.below(u64::try_from(n).unwrap_or(1))).unwrap_or(0)
            };
            let id = format!("Dr{}", rng.below(60));
            let org = if rng.below(2) == 0 { "Org1" } else { "Org2" };
            let category = cats[pick(&mut rng, cats.len())];
            let action = if rng.below(2) == 0 {
                Action::Read
            } else {
                Action::Write
            };
            let purpose = purposes[pick(&mut rng, purposes.len())];
            let when = at(i64::try_from(rng.below(86_400)).unwrap_or(0));
            let data_date = (rng.below(2) == 0)
                .then(|| at(-i64::try_from(rng.below(30 * 365)).unwrap_or(0) * 86_400));
            let label = match rng.below(4) {
                0 => Some("V"),
                1 => Some("R"),
                _ => None,
            };
            let mut b =
                ConsentRequest::builder(Accessor::new(id, org).with_role(Role::Doctor), "P1")
                    .access(action, category)
                    .for_purpose(purpose)
                    .at(when);
            if let Some(d) = data_date {
                b = b.data_date(d);
            }
            if let Some(l) = label {
                b = b.label(l);
            }
            b.build().unwrap()
        })
        .collect()
}

#[allow(clippy::unwrap_used)]
fn benches(c: &mut Criterion) {
    let policy = RolePolicy::default();
    let requests = requests();
    let mut group = c.benchmark_group("consent_decision");
    for n in [1usize, 10, 50] {
        let consents = consents(n);
        let compiled = CompiledConsents::new("P1", &consents, &policy).unwrap();
        // The two evaluators agree on the whole workload, and it reaches step 4.
        let mut by_consent = 0;
        for r in &requests {
            let d = compiled.decide(r).unwrap();
            assert_eq!(d, naive::decide(r, &consents, &policy));
            by_consent += usize::from(d.consent.is_some());
        }
        assert!(by_consent > requests.len() / 2, "{n}: {by_consent}");
        let mut i = 0usize;
        group.bench_function(BenchmarkId::new("compiled", n), |b| {
            b.iter(|| {
                i = (i + 1) % requests.len();
                black_box(&compiled).decide(black_box(&requests[i]))
            });
        });
        group.bench_function(BenchmarkId::new("naive", n), |b| {
            b.iter(|| {
                i = (i + 1) % requests.len();
                naive::decide(black_box(&requests[i]), black_box(&consents), &policy)
            });
        });
        group.bench_function(BenchmarkId::new("compile", n), |b| {
            b.iter(|| CompiledConsents::new("P1", black_box(&consents), &policy));
        });
    }
    group.finish();
}

criterion_group!(consent_benches, benches);
criterion_main!(consent_benches);
