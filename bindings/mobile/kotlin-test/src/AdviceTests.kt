// Availability.explain and Availability.alternatives in Kotlin: why a start
// is or is not offered, and the nearest offered starts around it. Answers
// derived by hand from the working hours and busy time below.
package hcas.mobile.test

import hcas.mobile.Availability
import hcas.mobile.Booking
import hcas.mobile.BookingStatus
import hcas.mobile.Busy
import hcas.mobile.Ledger
import hcas.mobile.HcasException
import hcas.mobile.Reason
import hcas.mobile.TimeInterval
import hcas.mobile.WorkingHours
import hcas.mobile.Zone
import java.time.Instant

private fun t(s: String) = Instant.parse(s)

private val FROM = t("2026-06-01T00:00:00Z")
private val TO = t("2026-06-02T00:00:00Z")

/** 09:00-12:00 UTC daily from Mon 2026-06-01; busy 10:00-10:30 that day. */
private val P1 = listOf("provider:P1")

private fun <R> clinic(body: (Availability) -> R): R = Zone("UTC").use { zone ->
    Availability(
        zone,
        listOf(WorkingHours("FREQ=DAILY", "2026-06-01", "09:00", "12:00")),
        listOf(Busy(t("2026-06-01T10:00:00Z"), t("2026-06-01T10:30:00Z"))),
    ).use(body)
}

internal fun adviceTests(): Pair<Int, Int> = Checks.run("advice", listOf(
    "explain: a busy start names the busy interval; a free one is offered as slots says" to {
        clinic { a ->
            val busy = a.explain(t("2026-06-01T10:00:00Z"), FROM, TO, 30u, null)
            Checks.equal(busy.offered, false, "10:00 offered")
            Checks.equal(busy.reasons, listOf<Reason>(Reason.BusyTime(TimeInterval(t("2026-06-01T10:00:00Z"), t("2026-06-01T10:30:00Z")))), "10:00 reasons")
            val free = a.explain(t("2026-06-01T09:30:00Z"), FROM, TO, 30u, null)
            Checks.equal(free.offered to free.reasons, true to listOf<Reason>(), "09:30")
            Checks.equal(free.start, t("2026-06-01T09:30:00Z"), "start")
            Checks.that(t("2026-06-01T09:30:00Z") in a.slots(FROM, TO, 30u, null)) { "slots does not offer 09:30" }
        }
    },
    "explain: off the grid, past the window's end, outside working hours, outside the query" to {
        clinic { a ->
            // 30-minute grid from 09:00: 09:10 lies between 09:00 and 09:30.
            val off = a.explain(t("2026-06-01T09:10:00Z"), FROM, TO, 30u, 30u).reasons
            val grid = off.singleOrNull() as? Reason.OffGrid ?: throw CheckFailure("09:10: $off")
            Checks.equal(grid.previous to grid.next, t("2026-06-01T09:00:00Z") to t("2026-06-01T09:30:00Z"), "grid points")
            Checks.equal(grid.stepMinutes, 30u, "step")
            Checks.equal(grid.window, TimeInterval(t("2026-06-01T09:00:00Z"), t("2026-06-01T12:00:00Z")), "window")
            // On the 15-minute grid, 11:45 + 30 minutes runs past 12:00.
            val late = a.explain(t("2026-06-01T11:45:00Z"), FROM, TO, 30u, 15u).reasons
            Checks.equal(late, listOf<Reason>(Reason.DoesNotFit(TimeInterval(t("2026-06-01T09:00:00Z"), t("2026-06-01T12:00:00Z")))), "11:45")
            // 13:00 is after hours on the local (UTC) date 2026-06-01, no override.
            val evening = a.explain(t("2026-06-01T13:00:00Z"), FROM, TO, 30u, null).reasons.firstOrNull() as? Reason.OutsideWorkingHours
                ?: throw CheckFailure("13:00 is not outside working hours")
            Checks.equal(evening.localDate to evening.overrideDate, "2026-06-01" to false, "13:00")
            // 2026-06-02 09:00 is worked but outside the query [06-01, 06-02).
            val next = a.explain(t("2026-06-02T09:00:00Z"), FROM, TO, 30u, null).reasons
            Checks.equal(next.firstOrNull(), Reason.OutsideQuery(FROM, TO), "outside the query")
            Checks.throws<HcasException.InvalidDuration> { a.explain(t("2026-06-01T09:00:00Z"), FROM, TO, 0u, null) }
        }
    },
    "alternatives around a busy start: nearest first, none before now" to {
        clinic { a ->
            // Wanted 10:00 (busy until 10:30) on the 30-minute grid from 09:00.
            val alt = a.alternatives(Ledger(), P1, t("2026-06-01T10:00:00Z"), 30u, FROM, 2u, null, 1u)
            Checks.equal(alt.before, listOf(t("2026-06-01T09:30:00Z"), t("2026-06-01T09:00:00Z")), "before")
            Checks.equal(alt.after, listOf(t("2026-06-01T10:30:00Z"), t("2026-06-01T11:00:00Z")), "after")
            // Asked at 09:15: 09:00 has passed.
            val later = a.alternatives(Ledger(), P1, t("2026-06-01T10:00:00Z"), 30u, t("2026-06-01T09:15:00Z"), 2u, null, 1u)
            Checks.equal(later.before, listOf(t("2026-06-01T09:30:00Z")), "before, asked at 09:15")
            Checks.throws<HcasException.InvalidRequest> { a.alternatives(Ledger(), P1, t("2026-06-01T10:00:00Z"), 30u, FROM, 0u, null, null) }
            Checks.throws<HcasException.InvalidRequest> { a.alternatives(Ledger(), P1, t("2026-06-01T10:00:00Z"), 30u, FROM, 1u, null, 201u) }
        }
    },
    "a ledger booking blocks a wanted start: alternatives skip it, explainWithLedger names it" to {
        clinic { a ->
            Ledger().use { ledger ->
                // b1 books provider:P1 10:30-11:00; own busy time 10:00-10:30.
                ledger.insert(Booking("b1", P1, t("2026-06-01T10:30:00Z"), t("2026-06-01T11:00:00Z"), BookingStatus.BOOKED))
                // Wanted 10:30 on the 30-minute grid: 10:00 (busy) and 10:30 (b1)
                // are out, so before: 09:30, 09:00; after: 11:00, 11:30.
                val alt = a.alternatives(ledger, P1, t("2026-06-01T10:30:00Z"), 30u, FROM, 2u, null, 1u)
                Checks.equal(alt.before, listOf(t("2026-06-01T09:30:00Z"), t("2026-06-01T09:00:00Z")), "before")
                Checks.equal(alt.after, listOf(t("2026-06-01T11:00:00Z"), t("2026-06-01T11:30:00Z")), "after")
                // Wanted 11:00, one each side: P1's nearest earlier start is 09:30,
                // but provider:P2 has nothing booked, so 10:30 is free for P2.
                val p1 = a.alternatives(ledger, P1, t("2026-06-01T11:00:00Z"), 30u, FROM, 1u, null, 1u)
                Checks.equal(p1.before, listOf(t("2026-06-01T09:30:00Z")), "P1 before 11:00")
                val p2 = a.alternatives(ledger, listOf("provider:P2"), t("2026-06-01T11:00:00Z"), 30u, FROM, 1u, null, 1u)
                Checks.equal(p2.before, listOf(t("2026-06-01T10:30:00Z")), "P2 before 11:00")
                val why = a.explainWithLedger(ledger, P1, FROM, t("2026-06-01T10:30:00Z"), FROM, TO, 30u, null)
                Checks.equal(why.offered, false, "10:30 offered")
                Checks.equal(why.reasons, listOf<Reason>(Reason.Conflict("provider:P1", listOf("b1"))), "10:30 reasons")
                // Plain explain knows nothing of the ledger.
                Checks.equal(a.explain(t("2026-06-01T10:30:00Z"), FROM, TO, 30u, null).offered, true, "plain explain")
            }
        }
    },
))
