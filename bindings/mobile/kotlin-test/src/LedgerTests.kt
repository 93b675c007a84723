// Kotlin tests of the ledger, pooled slots and the lifecycle: answers derived
// by hand (the reasoning is next to each), error variants and codes asserted.
// `ledgerTests()` runs them, prints one line per failure and answers
// (passed, failed); ApiTests.kt's main adds the counts to its own.
package hcas.mobile.test

import hcas.mobile.Availability
import hcas.mobile.BookOutcome
import hcas.mobile.Booking
import hcas.mobile.BookingStatus
import hcas.mobile.Busy
import hcas.mobile.Conflict
import hcas.mobile.EditScope
import hcas.mobile.HcasException
import hcas.mobile.Ledger
import hcas.mobile.LifecyclePolicy
import hcas.mobile.Party
import hcas.mobile.PooledSlot
import hcas.mobile.Recurrence
import hcas.mobile.SeriesPolicy
import hcas.mobile.TransitionOutcome
import hcas.mobile.WorkingHours
import hcas.mobile.Zone
import hcas.mobile.allowedActors
import hcas.mobile.bookingStatusName
import hcas.mobile.bookingStatusParse
import hcas.mobile.defaultLifecyclePolicy
import hcas.mobile.isTerminal
import hcas.mobile.legalTargets
import hcas.mobile.planSeriesCancel
import hcas.mobile.pooledSlots
import hcas.mobile.reasonRequired
import hcas.mobile.transition
import java.time.Instant

private fun t(s: String): Instant = Instant.parse(s)

private fun appt(id: String, resources: List<String>, start: String, end: String) =
    Booking(id, resources, t(start), t(end), BookingStatus.BOOKED)

private val NOW = t("2026-05-04T08:00:00Z")

private val ledgerCases: List<Pair<String, () -> Unit>> = listOf(
    "book, an idempotent repeat, and every conflict of a clash" to {
        Ledger().use { ledger ->
            val a1 = appt("a1", listOf("provider:P1", "patient:X1"), "2026-05-04T09:00:00Z", "2026-05-04T09:30:00Z")
            val first = ledger.book(a1, NOW, idempotencyKey = "req-1")
            Checks.equal(first, BookOutcome.Booked(a1), "first book")
            // The same key again: the booking it made, nothing new written.
            Checks.equal(ledger.book(a1, NOW, idempotencyKey = "req-1"), BookOutcome.Existing(a1), "repeat")
            Checks.equal(ledger.count(), 1uL, "count")
            // 09:15-09:45 with the same patient and provider: both taken by a1.
            val a2 = appt("a2", listOf("provider:P1", "patient:X1"), "2026-05-04T09:15:00Z", "2026-05-04T09:45:00Z")
            val clash = ledger.book(a2, NOW)
            Checks.equal(
                clash,
                BookOutcome.Conflict(listOf(Conflict("patient:X1", listOf("a1")), Conflict("provider:P1", listOf("a1")))),
                "clash (conflicts sorted by resource)",
            )
            // Touching at 09:30 is not overlapping.
            Checks.equal(ledger.check(listOf("provider:P1"), t("2026-05-04T09:30:00Z"), t("2026-05-04T10:00:00Z"), NOW), listOf(), "touching")
            // Ignoring a1, nothing is in the way.
            Checks.equal(ledger.check(a2.resources, a2.start, a2.end, NOW, exclude = "a1"), listOf(), "exclude a1")
            // The same key for another request is refused.
            val e = Checks.throws<HcasException.InvalidRequest> { ledger.book(a2, NOW, idempotencyKey = "req-1") }
            Checks.equal(e.code(), "invalid_request", "reused key")
            Checks.equal(ledger.get("a1"), a1, "get")
            Checks.equal(ledger.get("zz"), null, "get unknown")
            Checks.equal(ledger.bookings(), listOf(a1), "bookings")
        }
    },
    "bad bookings are refused with their codes" to {
        Ledger().use { ledger ->
            Checks.throws<HcasException.InvalidInterval> {
                ledger.insert(appt("a1", listOf("provider:P1"), "2026-05-04T09:00:00Z", "2026-05-04T09:00:00Z"))
            }
            // A hold must expire.
            Checks.throws<HcasException.InvalidRequest> {
                ledger.insert(Booking("h1", listOf("provider:P1"), t("2026-05-04T09:00:00Z"), t("2026-05-04T09:30:00Z"), BookingStatus.HELD))
            }
            Checks.throws<HcasException.InvalidRequest> { ledger.insert(appt("a1", listOf(), "2026-05-04T09:00:00Z", "2026-05-04T09:30:00Z")) }
            ledger.insert(appt("a1", listOf("provider:P1"), "2026-05-04T09:00:00Z", "2026-05-04T09:30:00Z"))
            Checks.throws<HcasException.InvalidRequest> { ledger.insert(appt("a1", listOf("provider:P2"), "2026-05-04T10:00:00Z", "2026-05-04T10:30:00Z")) }
            Checks.throws<HcasException.InvalidRequest> { ledger.setCapacity("room:R1", 0u) }
            Checks.equal(ledger.count(), 1uL, "count after refusals")
        }
    },
    "a hold blocks until it lapses, confirms before, and a lapsed one cannot be confirmed" to {
        Ledger().use { ledger ->
            val (s, e) = t("2026-05-04T09:00:00Z") to t("2026-05-04T09:30:00Z")
            // Placed at 08:00 for 10 minutes: lapses at 08:10.
            val held = ledger.holdFor("h1", listOf("provider:P1"), s, e, NOW, 10u)
            val h = (held as? BookOutcome.Booked)?.booking ?: throw CheckFailure("hold: $held")
            Checks.equal(h.status, BookingStatus.HELD, "hold status")
            Checks.equal(h.holdExpires, t("2026-05-04T08:10:00Z"), "hold expiry")
            // While it holds, the slot is taken; at 08:10 it is free again.
            val other = appt("a9", listOf("provider:P1"), "2026-05-04T09:00:00Z", "2026-05-04T09:30:00Z")
            Checks.equal(ledger.check(other.resources, s, e, t("2026-05-04T08:09:59Z")), listOf(Conflict("provider:P1", listOf("h1"))), "held")
            Checks.equal(ledger.check(other.resources, s, e, t("2026-05-04T08:10:00Z")), listOf(), "lapsed")
            val confirmed = ledger.confirmHold("h1", t("2026-05-04T08:05:00Z"))
            val b = (confirmed as? BookOutcome.Booked)?.booking ?: throw CheckFailure("confirm: $confirmed")
            Checks.equal(b.status to b.holdExpires, BookingStatus.BOOKED to null, "confirmed")
            ledger.hold("h2", listOf("provider:P2"), s, e, NOW, t("2026-05-04T08:10:00Z"))
            val lapsed = Checks.throws<HcasException.InvalidTransition> { ledger.confirmHold("h2", t("2026-05-04T08:10:00Z")) }
            Checks.equal(lapsed.code(), "invalid_transition", "lapsed hold")
            Checks.throws<HcasException.InvalidDuration> { ledger.hold("h3", listOf("provider:P3"), s, e, NOW, NOW) }
            Checks.throws<HcasException.InvalidRequest> { ledger.confirmHold("nope", NOW) }
        }
    },
    "reschedule links both bookings; move keeps the id; capacity lets two share a room" to {
        Ledger().use { ledger ->
            ledger.insert(appt("a1", listOf("provider:P1"), "2026-05-04T09:00:00Z", "2026-05-04T09:30:00Z"))
            val moved = appt("a1b", listOf("provider:P1"), "2026-05-04T10:00:00Z", "2026-05-04T10:30:00Z")
            val out = ledger.reschedule("a1", moved, NOW, "patient asked")
            Checks.equal(out, BookOutcome.Booked(moved.copy(replaces = "a1")), "reschedule")
            val old = ledger.get("a1") ?: throw CheckFailure("a1 gone")
            Checks.equal(Triple(old.status, old.replacedBy, old.cancelReason), Triple(BookingStatus.CANCELLED, "a1b", "patient asked"), "old booking")
            val m = ledger.moveBooking("a1b", t("2026-05-04T11:00:00Z"), t("2026-05-04T11:30:00Z"), NOW)
            Checks.equal((m as? BookOutcome.Booked)?.booking?.start, t("2026-05-04T11:00:00Z"), "moved start")
            ledger.setCapacity("room:R1", 2u)
            Checks.equal(ledger.capacity("room:R1") to ledger.capacity("room:R2"), 2u to 1u, "capacities")
            for (id in listOf("r1", "r2")) {
                val r = ledger.book(appt(id, listOf("room:R1"), "2026-05-04T11:00:00Z", "2026-05-04T12:00:00Z"), NOW)
                Checks.that(r is BookOutcome.Booked) { "$id: $r" }
            }
            // 11:30-12:30 overlaps both r1 and r2 while the room holds two.
            val third = ledger.book(appt("r3", listOf("room:R1"), "2026-05-04T11:30:00Z", "2026-05-04T12:30:00Z"), NOW)
            Checks.equal(third, BookOutcome.Conflict(listOf(Conflict("room:R1", listOf("r1", "r2")))), "third in a room for two")
            Checks.equal(
                ledger.blockingOn("room:R1", t("2026-05-04T11:45:00Z"), t("2026-05-04T12:00:00Z"), NOW).map { it.id },
                listOf("r1", "r2"),
                "blocking on the room",
            )
        }
    },
    "pooled slots name the free providers across the DST change" to {
        Zone("Europe/Berlin").use { zone ->
            // Mon 2026-03-30 is CEST (UTC+2; clocks went forward on the 29th).
            // Provider 0 works 09-11 local = 07:00Z-09:00Z, provider 1 10-12 local =
            // 08:00Z-10:00Z. Hour slots: 07:00Z [0], 08:00Z [0, 1], 09:00Z [1].
            val a = Availability(zone, listOf(WorkingHours("FREQ=WEEKLY;BYDAY=MO", "2026-03-23", "09:00", "11:00")), listOf())
            val b = Availability(zone, listOf(WorkingHours("FREQ=WEEKLY;BYDAY=MO", "2026-03-23", "10:00", "12:00")), listOf())
            val from = t("2026-03-30T00:00:00Z")
            val to = t("2026-03-31T00:00:00Z")
            Checks.equal(
                pooledSlots(listOf(a, b), from, to, 60u),
                listOf(
                    PooledSlot(t("2026-03-30T07:00:00Z"), listOf(0u)),
                    PooledSlot(t("2026-03-30T08:00:00Z"), listOf(0u, 1u)),
                    PooledSlot(t("2026-03-30T09:00:00Z"), listOf(1u)),
                ),
                "pooled",
            )
            // Busy 08:00Z-08:30Z for provider 1, 30-minute grid: 08:00Z loses provider 1.
            val bBusy = Availability(
                zone,
                listOf(WorkingHours("FREQ=WEEKLY;BYDAY=MO", "2026-03-23", "10:00", "12:00")),
                listOf(Busy(t("2026-03-30T08:00:00Z"), t("2026-03-30T08:30:00Z"))),
            )
            val rows = pooledSlots(listOf(a, bBusy), from, to, 60u, 30u)
            Checks.equal(rows.map { it.start to it.members }, listOf(
                t("2026-03-30T07:00:00Z") to listOf(0u),
                t("2026-03-30T07:30:00Z") to listOf(0u),
                t("2026-03-30T08:00:00Z") to listOf(0u),
                t("2026-03-30T08:30:00Z") to listOf(1u),
                t("2026-03-30T09:00:00Z") to listOf(1u),
            ), "pooled with busy, 30-minute step")
            Checks.throws<HcasException.InvalidInterval> { pooledSlots(listOf(a), to, from, 60u) }
            Checks.throws<HcasException.InvalidDuration> { pooledSlots(listOf(a), from, to, 0u) }
            listOf(a, b, bBusy).forEach { it.close() }
        }
    },
    "statuses read as their wire names" to {
        Checks.equal(bookingStatusName(BookingStatus.CHECKED_IN), "checked-in", "checked-in")
        Checks.equal(bookingStatusName(BookingStatus.ENTERED_IN_ERROR), "entered-in-error", "entered-in-error")
        Checks.equal(bookingStatusParse("noshow"), BookingStatus.NOSHOW, "parse noshow")
        Checks.equal(BookingStatus.values().map(::bookingStatusName), listOf(
            "proposed", "pending", "booked", "arrived", "checked-in", "fulfilled",
            "cancelled", "noshow", "entered-in-error", "waitlist", "held",
        ), "every status")
        Checks.throws<HcasException.InvalidRequest> { bookingStatusParse("done") }
    },
    "lifecycle: late cancellation, who may, when, and the ledger's record" to {
        val a1 = appt("a1", listOf("provider:P1"), "2026-05-04T09:00:00Z", "2026-05-04T09:30:00Z")
        // 07:00 is 120 minutes before the 09:00 start, inside the default 24 h window: late.
        val late = transition(a1, BookingStatus.CANCELLED, Party.PATIENT, t("2026-05-04T07:00:00Z"), reason = "sick")
        Checks.equal(late.from to late.to, BookingStatus.BOOKED to BookingStatus.CANCELLED, "from/to")
        Checks.equal(
            late.outcomes,
            listOf(TransitionOutcome.Cancelled, TransitionOutcome.LateCancellation(120L), TransitionOutcome.SlotFreed),
            "late cancellation outcomes",
        )
        // With a 60-minute window it is not late.
        val policy = defaultLifecyclePolicy().copy(lateCancelMinutes = 60u)
        Checks.equal(
            transition(a1, BookingStatus.CANCELLED, Party.PATIENT, t("2026-05-04T07:00:00Z"), "sick", policy).outcomes,
            listOf(TransitionOutcome.Cancelled, TransitionOutcome.SlotFreed),
            "on-time cancellation",
        )
        Checks.equal(defaultLifecyclePolicy(), LifecyclePolicy(1440u, 15u, 60u), "default policy")
        Checks.throws<HcasException.InvalidRequest> { transition(a1, BookingStatus.CANCELLED, Party.PATIENT, t("2026-05-04T07:00:00Z")) }
        // A patient may not record their own no-show.
        val e = Checks.throws<HcasException.NotPermitted> { transition(a1, BookingStatus.NOSHOW, Party.PATIENT, t("2026-05-04T10:00:00Z")) }
        Checks.equal(e.code(), "not_permitted", "patient no-show")
        Checks.throws<HcasException.InvalidTransition> { transition(a1, BookingStatus.HELD, Party.STAFF, NOW) }
        Checks.equal(legalTargets(BookingStatus.FULFILLED), listOf(BookingStatus.ENTERED_IN_ERROR), "after fulfilled")
        Checks.equal(legalTargets(BookingStatus.ENTERED_IN_ERROR), listOf(), "after entered-in-error")
        Checks.equal(allowedActors(BookingStatus.CANCELLED, BookingStatus.ENTERED_IN_ERROR), listOf(Party.STAFF), "who may void")
        Checks.equal(allowedActors(BookingStatus.CANCELLED, BookingStatus.BOOKED), null, "cancelled to booked")
        Checks.that(reasonRequired(BookingStatus.BOOKED, BookingStatus.CANCELLED) && !reasonRequired(BookingStatus.HELD, BookingStatus.CANCELLED)) { "reasonRequired" }
        Checks.that(isTerminal(BookingStatus.NOSHOW) && !isTerminal(BookingStatus.BOOKED)) { "isTerminal" }
        Ledger().use { ledger ->
            ledger.insert(a1)
            // No-show from 15 minutes after the 09:00 start: not at 09:10, at 09:15.
            Checks.throws<HcasException.InvalidTransition> { ledger.applyTransition("a1", BookingStatus.NOSHOW, Party.STAFF, t("2026-05-04T09:10:00Z")) }
            val done = ledger.applyTransition("a1", BookingStatus.NOSHOW, Party.STAFF, t("2026-05-04T09:15:00Z"))
            Checks.equal(done.outcomes, listOf(TransitionOutcome.NoShow), "no-show outcomes")
            Checks.equal(ledger.get("a1")?.status, BookingStatus.NOSHOW, "recorded")
            Checks.throws<HcasException.InvalidRequest> { ledger.applyTransition("zz", BookingStatus.NOSHOW, Party.STAFF, NOW) }
        }
    },
    "series: book the free occurrences, shift a week across BST, cancel one" to {
        Zone("Europe/London").use { london ->
            // Tuesdays 10:00 London, three times from 17 March 2026: 17 and 24 March are
            // GMT (10:00Z), 31 March is BST (09:00Z). x1 already takes the 24th.
            Recurrence("FREQ=WEEKLY;COUNT=3", "2026-03-17T10:00", london).use { rec ->
                Ledger().use { ledger ->
                    val now = t("2026-03-01T00:00:00Z")
                    ledger.insert(appt("x1", listOf("provider:P1"), "2026-03-24T10:00:00Z", "2026-03-24T10:30:00Z"))
                    val none = ledger.bookSeries("physio", rec, 30u, listOf("provider:P1"), now)
                    Checks.equal(none.booked to ledger.count(), false to 1uL, "all or nothing books nothing")
                    val some = ledger.bookSeries("physio", rec, 30u, listOf("provider:P1"), now, policy = SeriesPolicy.BOOK_FREE)
                    Checks.equal(
                        some.occurrences.map { Triple(it.id, it.start, it.booked) },
                        listOf(
                            Triple("physio.20260317T100000", t("2026-03-17T10:00:00Z"), true),
                            Triple("physio.20260324T100000", t("2026-03-24T10:00:00Z"), false),
                            Triple("physio.20260331T100000", t("2026-03-31T09:00:00Z"), true),
                        ),
                        "book free",
                    )
                    Checks.equal(some.occurrences[1].conflicts, listOf(Conflict("provider:P1", listOf("x1"))), "the 24th's conflict")
                    Checks.equal(ledger.seriesBookings("physio").map { it.series?.recurrenceId }, listOf("2026-03-17T10:00:00", "2026-03-31T10:00:00"), "series refs")
                    // Everything a week later: the 17th to the 24th is taken by x1, so nothing moves.
                    val blocked = ledger.shiftSeries("physio", "2026-03-17T10:00:00", EditScope.ALL, london, 7L, 0L, Party.STAFF, now)
                    Checks.equal(blocked.applied, false, "shift into x1")
                    Checks.equal(ledger.get("physio.20260317T100000")?.start, t("2026-03-17T10:00:00Z"), "unchanged")
                    ledger.remove("x1")
                    val moved = ledger.shiftSeries("physio", "2026-03-17T10:00:00", EditScope.ALL, london, 7L, 0L, Party.STAFF, now)
                    Checks.equal(moved.applied, true, "shift")
                    // 17th (GMT) -> 24th 10:00Z; 31st (BST) -> 7 April 10:00 BST = 09:00Z.
                    Checks.equal(moved.occurrences.map { it.start }, listOf(t("2026-03-24T10:00:00Z"), t("2026-04-07T09:00:00Z")), "moved starts")
                    val plan = planSeriesCancel(ledger.seriesBookings("physio"), "physio", "2026-03-31T10:00:00", EditScope.THIS, Party.PATIENT, "away", now)
                    Checks.equal(plan.cancelled.map { it.id }, listOf("physio.20260331T100000"), "plan cancel")
                    val c = ledger.cancelSeries("physio", "2026-03-31T10:00:00", EditScope.THIS_AND_FOLLOWING, Party.PATIENT, "away", now)
                    Checks.equal(c.cancelled.map { it.id to it.outcomes }, listOf("physio.20260331T100000" to listOf(TransitionOutcome.Cancelled, TransitionOutcome.SlotFreed)), "cancel")
                    Checks.equal(ledger.get("physio.20260331T100000")?.cancelReason, "away", "reason recorded")
                    Checks.throws<HcasException.InvalidRequest> { ledger.cancelSeries("physio", "2026-03-31T10:00:00", EditScope.THIS, Party.PATIENT, " ", now) }
                }
            }
        }
    },
)

/** Run the ledger, pooled and lifecycle tests: (passed, failed). */
fun ledgerTests(): Pair<Int, Int> = Checks.run("ledger", ledgerCases)
