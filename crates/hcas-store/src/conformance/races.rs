//! Races over several handles on the same data (the adapters' `tests/concurrency.rs`
//! calls them): bookings, series, series shifts and reschedules.

use super::series::{WEEK, series_at, shift_edit, weekly_series};
use super::*;

/// What one racing attempt got.
#[derive(Debug, Clone)]
pub struct Attempt {
    pub id: String,
    pub slot: usize,
    pub result: Result<(), Vec<Conflict>>,
}

/// Race: `tasks` tasks split over `stores` (separate handles or pools on the
/// same data) make `attempts` bookings in total of random slots (30 min each,
/// `slots` of them back to back) on `resource`. Checks every slot has exactly
/// `capacity` winners and every loser got a conflict naming exactly that
/// slot's winners. Returns the winners per slot.
pub async fn race(
    stores: &[Arc<dyn AppointmentStore>],
    resource: &str,
    capacity: usize,
    slots: usize,
    tasks: usize,
    attempts: usize,
) -> BTreeMap<usize, BTreeSet<String>> {
    let now = at(-600);
    let mut handles = Vec::new();
    for t in 0..tasks {
        let store = Arc::clone(&stores[t % stores.len()]);
        let resource = resource.to_string();
        let mine = attempts / tasks + usize::from(t < attempts % tasks);
        handles.push(tokio::spawn(async move {
            let mut rng =
                0x9E37_79B9_7F4A_7C15_u64 ^ (t as u64 + 1).wrapping_mul(0xBF58_476D_1CE4_E5B9);
            let mut out = Vec::with_capacity(mine);
            for j in 0..mine {
                rng ^= rng << 13;
                rng ^= rng >> 7;
                rng ^= rng << 17;
                let slot = (rng % slots as u64) as usize;
                let start = 30 * slot as i64;
                let id = format!("t{t}-{j}");
                let patient = format!("patient:{id}");
                let r = store
                    .book(
                        booked(&id, start, start + 30, &[&resource, &patient]),
                        None,
                        now,
                    )
                    .await;
                let result = match r {
                    Ok(_) => Ok(()),
                    Err(StoreError::Conflict { conflicts }) => Err(conflicts),
                    Err(e) => panic!("attempt {id}: {e}"),
                };
                out.push(Attempt { id, slot, result });
            }
            out
        }));
    }
    let mut all = Vec::with_capacity(attempts);
    for h in handles {
        all.extend(h.await.unwrap());
    }
    assert_eq!(all.len(), attempts);
    let mut winners: BTreeMap<usize, BTreeSet<String>> = BTreeMap::new();
    for a in all.iter().filter(|a| a.result.is_ok()) {
        winners.entry(a.slot).or_default().insert(a.id.clone());
    }
    assert_eq!(winners.len(), slots, "every slot booked");
    for (slot, w) in &winners {
        assert_eq!(w.len(), capacity, "slot {slot}: winners {w:?}");
    }
    for a in &all {
        if let Err(conflicts) = &a.result {
            let expect = vec![Conflict::new(
                resource.to_string(),
                winners[&a.slot].iter().cloned().collect(),
            )];
            assert_eq!(conflicts, &expect, "loser {}", a.id);
        }
    }
    let counts = stores[0].counts().await.unwrap();
    assert_eq!(counts.bookings as usize, slots * capacity);
    assert_eq!(counts.outbox as usize, slots * capacity);
    winners
}

/// The largest number of `bookings` (all blocking) on one resource at one instant, per resource.
#[must_use]
pub fn peaks(bookings: &[Booking]) -> BTreeMap<String, usize> {
    let mut by: BTreeMap<String, Vec<(i64, i64)>> = BTreeMap::new();
    for b in bookings {
        for r in &b.resources {
            by.entry(r.clone())
                .or_default()
                .push((b.start.unix(), b.end.unix()));
        }
    }
    by.into_iter()
        .map(|(r, ivs)| {
            let peak = ivs
                .iter()
                .map(|&(s, _)| ivs.iter().filter(|&&(s2, e2)| s2 <= s && e2 > s).count())
                .max()
                .unwrap_or(0);
            (r, peak)
        })
        .collect()
}

/// Races series against single bookings: `tasks` tasks over `stores` (two
/// handles = two instances) book weekly series (6 Mondays 10:00 London,
/// 30 minutes, on `provider:P1`; all-or-nothing and book-free alternately) or
/// single bookings at those same times. Afterwards: the provider is never
/// double-booked, every success reported is stored and nothing else is, and
/// an all-or-nothing series is stored whole or not at all.
pub async fn series_race(stores: &[Arc<dyn Store>], tasks: usize, attempts_per_task: usize) {
    use hcas_core::series::SeriesPolicy;
    let now = at(-24 * 60);
    let week = 7 * 24 * 60;
    let mut handles = Vec::new();
    for t in 0..tasks {
        let store = Arc::clone(&stores[t % stores.len()]);
        handles.push(tokio::spawn(async move {
            let mut rng = 0x2545_F491_4F6C_DD1D_u64 ^ (t as u64 + 1).wrapping_mul(0x9E37_79B9);
            // (series id, policy, booked ids) or (single id, booked?)
            let mut series = Vec::new();
            let mut singles = Vec::new();
            for j in 0..attempts_per_task {
                rng ^= rng << 13;
                rng ^= rng >> 7;
                rng ^= rng << 17;
                if (t + j).is_multiple_of(2) {
                    let id = format!("S{t}-{j}");
                    let mut spec = weekly_series(&id, 6);
                    spec.resources = vec!["provider:P1".into(), format!("patient:{id}")];
                    let policy = if rng.is_multiple_of(2) {
                        SeriesPolicy::AllOrNothing
                    } else {
                        SeriesPolicy::BookFree
                    };
                    let r = store.book_series(&spec, policy, now).await.unwrap();
                    let ids: Vec<String> = r
                        .occurrences
                        .iter()
                        .filter(|o| o.booked)
                        .map(|o| o.id.clone())
                        .collect();
                    if policy == SeriesPolicy::AllOrNothing {
                        assert!(ids.is_empty() || ids.len() == 6, "{id}: {ids:?}");
                    }
                    series.push((id, policy, ids));
                } else {
                    let id = format!("b{t}-{j}");
                    let k = (rng >> 8) % 6;
                    let start = i64::try_from(k).unwrap() * week;
                    let r = store
                        .book(booked(&id, start, start + 30, &["provider:P1"]), None, now)
                        .await;
                    match r {
                        Ok(_) => singles.push(id),
                        Err(StoreError::Conflict { conflicts }) => {
                            assert_eq!(conflicts.len(), 1, "{id}: {conflicts:?}");
                            assert_eq!(conflicts[0].with.len(), 1, "{id}: {conflicts:?}");
                        }
                        Err(e) => panic!("{id}: {e}"),
                    }
                }
            }
            (series, singles)
        }));
    }
    let mut reported: BTreeSet<String> = BTreeSet::new();
    let store = &stores[0];
    for h in handles {
        let (series, singles) = h.await.unwrap();
        for (id, _policy, ids) in series {
            let stored: BTreeSet<String> = store
                .series_bookings(&id)
                .await
                .unwrap()
                .into_iter()
                .map(|s| s.value.id)
                .collect();
            let said: BTreeSet<String> = ids.iter().cloned().collect();
            assert_eq!(stored, said, "series {id}: stored vs reported");
            reported.extend(ids);
        }
        for id in singles {
            assert_eq!(store.get(&id).await.unwrap().value.id, id);
            reported.insert(id);
        }
    }
    // Exactly the reported bookings hold the provider, one per Monday at most.
    let busy = store
        .busy("provider:P1", at(-60), at(6 * week), now)
        .await
        .unwrap();
    assert_eq!(busy.len(), reported.len(), "stored vs reported bookings");
    // Every Monday ends up taken: a free one is booked by the next single or book-free series.
    assert_eq!(busy.len(), 6, "{busy:?}");
    for pair in busy.windows(2) {
        assert!(pair[0].end() <= pair[1].start(), "double-booked: {pair:?}");
    }
    assert_eq!(
        store.counts().await.unwrap().bookings as usize,
        reported.len()
    );
}

/// Races reschedules into one room slot: `tasks` patients over `stores` (two
/// handles = two instances) each move their own booking to the same
/// capacity-1 room slot. Exactly one succeeds; every other gets a conflict
/// naming the winner and keeps its old booking unchanged.
pub async fn reschedule_race(stores: &[Arc<dyn AppointmentStore>], tasks: usize) {
    let now = at(-600);
    for t in 0..tasks {
        let patient = format!("patient:X{t}");
        let t30 = 30 * i64::try_from(t).unwrap();
        stores[0]
            .book(
                booked(&format!("r{t}"), t30, t30 + 30, &[&patient]),
                None,
                now,
            )
            .await
            .unwrap();
    }
    let mut handles = Vec::new();
    for t in 0..tasks {
        let store = Arc::clone(&stores[t % stores.len()]);
        handles.push(tokio::spawn(async move {
            let patient = format!("patient:X{t}");
            let new = booked(&format!("n{t}"), 6000, 6030, &["room:R1", &patient]);
            (
                t,
                store
                    .reschedule(
                        &format!("r{t}"),
                        1,
                        new,
                        &crate::RescheduleRequest::new(Party::Patient, "moved", now),
                    )
                    .await,
            )
        }));
    }
    let mut winners = Vec::new();
    let mut losers = Vec::new();
    for h in handles {
        match h.await.unwrap() {
            (t, Ok(r)) => {
                assert_eq!(r.old.value.status, Status::Cancelled);
                winners.push(t);
            }
            (t, Err(StoreError::Conflict { conflicts })) => losers.push((t, conflicts)),
            (t, Err(e)) => panic!("reschedule r{t}: {e}"),
        }
    }
    assert_eq!(winners.len(), 1, "winners {winners:?}");
    let w = format!("n{}", winners[0]);
    for (t, conflicts) in losers {
        assert_eq!(conflicts, vec![c("room:R1", &[&w])], "loser r{t}");
        let old = stores[0].get(&format!("r{t}")).await.unwrap();
        assert_eq!((old.value.status, old.version), (Status::Booked, 1), "r{t}");
        assert_eq!(
            stores[0].get(&format!("n{t}")).await.unwrap_err().code(),
            "not_found"
        );
    }
    let busy = stores[0]
        .busy("room:R1", at(0), at(7000), now)
        .await
        .unwrap();
    assert_eq!(busy.len(), 1);
    let counts = stores[0].counts().await.unwrap();
    assert_eq!(counts.bookings as usize, tasks + 1);
}

/// Races series shifts against single bookings: `tasks` tasks over `stores`
/// (two handles = two instances) either move series A or B (two weekly
/// occurrences each, UTC, on `provider:P1`) a week earlier or later
/// (towards the first 32 Mondays), or book a single 30 minutes on
/// `provider:P1` on one of those Mondays. Afterwards: the provider is never double-booked; every shift
/// is applied whole or not at all (each series' occurrences stay a week
/// apart and sit where the applied shifts put them, one version per applied
/// shift); every single reported booked is stored and nothing else is; one
/// outbox event per creation and per moved occurrence.
pub async fn series_shift_race(stores: &[Arc<dyn Store>], tasks: usize, attempts_per_task: usize) {
    use hcas_core::series::{EditScope, SeriesPolicy, WallShift};
    // Far before every slot a shift can reach: no occurrence has started.
    let now = at(-200 * WEEK);
    let specs = [
        series_at(
            "A",
            "UTC",
            "2026-05-04T09:00",
            2,
            &["provider:P1", "patient:A"],
        ),
        series_at(
            "B",
            "UTC",
            "2026-06-01T09:00",
            2,
            &["provider:P1", "patient:B"],
        ),
    ];
    for spec in &specs {
        assert!(
            stores[0]
                .book_series(spec, SeriesPolicy::AllOrNothing, now)
                .await
                .unwrap()
                .booked
        );
    }
    let mut handles = Vec::new();
    for t in 0..tasks {
        let store = Arc::clone(&stores[t % stores.len()]);
        handles.push(tokio::spawn(async move {
            let mut rng = 0x9E37_79B9_7F4A_7C15_u64 ^ (t as u64 + 1).wrapping_mul(0x2545_F491);
            // (series index, weeks) of every applied shift; singles booked.
            let mut shifts: Vec<(usize, i64)> = Vec::new();
            let mut singles = Vec::new();
            for j in 0..attempts_per_task {
                rng ^= rng << 13;
                rng ^= rng >> 7;
                rng ^= rng << 17;
                let week = i64::try_from((rng >> 8) % 32).unwrap();
                if (rng >> 16).is_multiple_of(4) {
                    let id = format!("b{t}-{j}");
                    let r = store
                        .book(
                            booked(&id, week * WEEK, week * WEEK + 30, &["provider:P1"]),
                            None,
                            now,
                        )
                        .await;
                    match r {
                        Ok(_) => singles.push(id),
                        Err(StoreError::Conflict { conflicts }) => {
                            assert_eq!(conflicts.len(), 1, "{id}: {conflicts:?}");
                        }
                        Err(e) => panic!("{id}: {e}"),
                    }
                } else {
                    let which = usize::try_from((rng >> 24) % 2).unwrap();
                    let (name, first) =
                        [("A", "2026-05-04T09:00:00"), ("B", "2026-06-01T09:00:00")][which];
                    // Towards the Mondays the singles take, at random in between.
                    let now_at = store.series_bookings(name).await.unwrap()[0].value.start;
                    let weeks = if now_at < at(2 * WEEK) {
                        1
                    } else if now_at > at(28 * WEEK) || (rng >> 32).is_multiple_of(2) {
                        -1
                    } else {
                        1
                    };
                    let edit = shift_edit(
                        name,
                        "UTC",
                        first,
                        EditScope::All,
                        WallShift::days(7 * weeks),
                    );
                    let r = store.shift_series(&edit, now).await.unwrap();
                    assert!(r.skipped.is_empty(), "{r:?}");
                    assert_eq!(r.occurrences.len(), 2, "{r:?}");
                    if r.applied {
                        assert!(r.occurrences.iter().all(|o| o.ok && o.booked), "{r:?}");
                        shifts.push((which, weeks));
                    } else {
                        assert!(r.occurrences.iter().all(|o| !o.booked), "{r:?}");
                        assert!(r.occurrences.iter().any(|o| !o.conflicts.is_empty()));
                    }
                }
            }
            (shifts, singles)
        }));
    }
    let mut net = [0_i64; 2];
    let mut applied = [0_i64; 2];
    let mut singles = Vec::new();
    for h in handles {
        let (shifts, s) = h.await.unwrap();
        for (which, weeks) in shifts {
            net[which] += weeks;
            applied[which] += 1;
        }
        singles.extend(s);
    }
    // The race was a race: edits went through and singles got in between.
    assert!(
        applied[0] + applied[1] > 0 && !singles.is_empty(),
        "{applied:?}"
    );
    let store = &stores[0];
    let mut on_provider: Vec<Booking> = Vec::new();
    for (k, (name, base)) in [("A", 0), ("B", 4)].into_iter().enumerate() {
        let got: Vec<(Timestamp, i64)> = store
            .series_bookings(name)
            .await
            .unwrap()
            .into_iter()
            .map(|s| {
                on_provider.push(s.value.clone());
                (s.value.start, s.version)
            })
            .collect();
        let first = (base + net[k]) * WEEK;
        assert_eq!(
            got,
            [
                (at(first), 1 + applied[k]),
                (at(first + WEEK), 1 + applied[k])
            ],
            "series {name}: stored vs applied shifts"
        );
    }
    for id in &singles {
        on_provider.push(store.get(id).await.unwrap().value);
    }
    on_provider.sort_by_key(|b| b.start);
    for pair in on_provider.windows(2) {
        assert!(
            pair[0].end <= pair[1].start,
            "double-booked: {} and {}",
            pair[0].id,
            pair[1].id
        );
    }
    let counts = store.counts().await.unwrap();
    assert_eq!(counts.bookings as usize, 4 + singles.len());
    assert_eq!(
        counts.outbox,
        4 + singles.len() as u64 + 2 * u64::try_from(applied[0] + applied[1]).unwrap()
    );
}
