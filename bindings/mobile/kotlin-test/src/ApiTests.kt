// Tests of the generated Kotlin API on the JVM: error variants and codes,
// answers derived by hand, the constants. A tiny runner (no JUnit: no Maven
// registry here) prints one line per failure and ends with
// `N passed, N failed`; the exit status is non-zero on any failure.
package hcas.mobile.test

import hcas.mobile.Answer
import hcas.mobile.Availability
import hcas.mobile.Busy
import hcas.mobile.WorkingHours
import hcas.mobile.HcasException
import hcas.mobile.Recurrence
import hcas.mobile.Zone
import hcas.mobile.checkVector
import hcas.mobile.errorCodes
import hcas.mobile.evaluate
import hcas.mobile.kinds
import hcas.mobile.tzdbVersion
import java.time.Instant
import kotlin.system.exitProcess

private class Failure(message: String) : Exception(message)

private fun expect(cond: Boolean, what: () -> String) {
    if (!cond) throw Failure(what())
}

private fun <T> expectEqual(got: T, want: T, what: String) =
    expect(got == want) { "$what: expected $want, got $got" }

/** Run `block`, which must throw an `HcasException` of type `E`; return it. */
private inline fun <reified E : HcasException> expectThrows(block: () -> Unit): E {
    try {
        block()
    } catch (e: HcasException) {
        if (e is E) return e
        throw Failure("expected ${E::class.simpleName}, got ${e::class.simpleName}: ${e.message}")
    }
    throw Failure("expected ${E::class.simpleName}, nothing was thrown")
}

/** The string values of a JSON array member of an answer. */
private fun strings(answerJson: String, key: String): List<String> {
    val obj = parseJson(answerJson) as? JsonObject ?: throw Failure("answer is not an object: $answerJson")
    val arr = obj[key] as? List<*> ?: throw Failure("answer has no array `$key`: $answerJson")
    return arr.map { it as? String ?: throw Failure("`$key` holds a non-string: $answerJson") }
}

private const val WINDOW = """"from":"2026-03-01T00:00:00Z","to":"2026-04-01T00:00:00Z""""

private val tests: List<Pair<String, () -> Unit>> = listOf(
    "a bad RRULE is HcasException.InvalidRrule with code invalid_rrule" to {
        val e = expectThrows<HcasException.InvalidRrule> {
            evaluate("recurrence", """{"rrule":"FREQ=SOMETIMES","dtstart":"2026-03-07T09:00","timezone":"UTC",$WINDOW}""")
        }
        expectEqual(e.code, "invalid_rrule", "variant field code")
        expectEqual(e.code(), "invalid_rrule", "code()")
        expectEqual(e.message(), e.detail, "message() is the variant's detail")
        expect(e.detail.isNotBlank()) { "empty detail" }
        expect(e.message?.contains("invalid_rrule") == true) { "Throwable.message names the code: ${e.message}" }
    },
    "an unknown zone is HcasException.InvalidTimezone naming the zone" to {
        val e = expectThrows<HcasException.InvalidTimezone> {
            evaluate("recurrence", """{"rrule":"FREQ=DAILY;COUNT=1","dtstart":"2026-03-07T09:00","timezone":"Mars/Olympus_Mons",$WINDOW}""")
        }
        expectEqual(e.code(), "invalid_timezone", "code()")
        expect("Mars/Olympus_Mons" in e.detail) { "detail does not name the zone: ${e.detail}" }
    },
    "an unknown kind is HcasException.InvalidRequest naming the kind" to {
        val e = expectThrows<HcasException.InvalidRequest> { evaluate("appointments", "{}") }
        expectEqual(e.code(), "invalid_request", "code()")
        expect("appointments" in e.detail) { "detail does not name the kind: ${e.detail}" }
    },
    "text that is not JSON is HcasException.InvalidRequest" to {
        val e = expectThrows<HcasException.InvalidRequest> { evaluate("slots", "{\"timezone\":") }
        expect("input_json" in e.detail) { "detail does not say which argument: ${e.detail}" }
    },
    "a catch of the sealed class sees the family through when" to {
        val family = try {
            evaluate("slots", """{"timezone":"UTC","rules":[],"query":{"from":"2026-03-02T00:00:00Z","to":"2026-03-01T00:00:00Z","duration":30}}""")
            "none"
        } catch (e: HcasException) {
            when (e) {
                is HcasException.InvalidInterval, is HcasException.InvalidWindow -> e.code()
                else -> "other: ${e.code()}"
            }
        }
        // docs/vectors.md: a query whose `to` is not after `from` is an invalid interval.
        expectEqual(family, "invalid_interval", "family of a reversed query window")
    },
    "slots across the EU DST change, derived by hand" to {
        // Mondays 09:00-11:00 Berlin, 60-minute slots every 30 minutes: 09:00, 09:30, 10:00.
        // Mon 2026-03-23 is CET (UTC+1): 08:00Z, 08:30Z, 09:00Z. Clocks go forward on
        // Sun 2026-03-29, so Mon 2026-03-30 is CEST (UTC+2): 07:00Z, 07:30Z, 08:00Z, of
        // which busy 07:15Z-07:45Z removes the two that overlap it.
        val out = evaluate(
            "slots",
            """{"timezone":"Europe/Berlin",
                "rules":[{"rrule":"FREQ=WEEKLY;BYDAY=MO","dtstart":"2026-03-23","start":"09:00","end":"11:00"}],
                "busy":[{"start":"2026-03-30T07:15:00Z","end":"2026-03-30T07:45:00Z"}],
                "query":{"from":"2026-03-20T00:00:00Z","to":"2026-04-01T00:00:00Z","duration":60,"step":30}}""",
        )
        expectEqual(
            strings(out, "slots"),
            listOf("2026-03-23T08:00:00Z", "2026-03-23T08:30:00Z", "2026-03-23T09:00:00Z", "2026-03-30T08:00:00Z"),
            "slots",
        )
        expectEqual((parseJson(out) as JsonObject)["tzdb"], tzdbVersion(), "the answer's tzdb")
    },
    "a daily 09:00 Berlin recurrence moves an hour in UTC at the DST change" to {
        val out = evaluate(
            "recurrence",
            """{"rrule":"FREQ=DAILY;COUNT=3","dtstart":"2026-03-28T09:00","timezone":"Europe/Berlin",$WINDOW}""",
        )
        expectEqual(
            strings(out, "occurrences"),
            listOf("2026-03-28T08:00:00Z", "2026-03-29T07:00:00Z", "2026-03-30T07:00:00Z"),
            "occurrences",
        )
    },
    "typed Recurrence.between answers java.time.Instant across the DST change" to {
        Zone("Europe/Berlin").use { zone ->
            expectEqual(zone.name(), "Europe/Berlin", "Zone.name()")
            Recurrence("FREQ=DAILY;COUNT=3", "2026-03-28T09:00", zone).use { rec ->
                // As the JSON test above: 09:00 CET = 08:00Z, then 09:00 CEST = 07:00Z.
                val got = rec.between(Instant.parse("2026-03-01T00:00:00Z"), Instant.parse("2026-04-01T00:00:00Z"), null)
                expectEqual(
                    got,
                    listOf("2026-03-28T08:00:00Z", "2026-03-29T07:00:00Z", "2026-03-30T07:00:00Z").map(Instant::parse),
                    "between",
                )
                expectEqual(rec.between(Instant.parse("2026-03-01T00:00:00Z"), Instant.parse("2026-04-01T00:00:00Z"), 1u).size, 1, "limit 1")
                val e = expectThrows<HcasException.InvalidInterval> {
                    rec.between(Instant.parse("2026-04-01T00:00:00Z"), Instant.parse("2026-03-01T00:00:00Z"), null)
                }
                expectEqual(e.code(), "invalid_interval", "reversed window")
            }
        }
        expectThrows<HcasException.InvalidTimezone> { Zone("Mars/Olympus_Mons") }
        Zone("UTC").use { utc -> expectThrows<HcasException.InvalidRrule> { Recurrence("FREQ=SOMETIMES", "2026-03-28T09:00", utc) } }
    },
    "typed Availability.slots gives the JSON level's hand-derived slots as Instants" to {
        Zone("Europe/Berlin").use { zone ->
            // The same input as "slots across the EU DST change" above.
            val avail = Availability(
                zone,
                listOf(WorkingHours("FREQ=WEEKLY;BYDAY=MO", "2026-03-23", "09:00", "11:00")),
                listOf(Busy(Instant.parse("2026-03-30T07:15:00Z"), Instant.parse("2026-03-30T07:45:00Z"))),
            )
            avail.use {
                val got = it.slots(Instant.parse("2026-03-20T00:00:00Z"), Instant.parse("2026-04-01T00:00:00Z"), 60u, 30u)
                expectEqual(
                    got,
                    listOf("2026-03-23T08:00:00Z", "2026-03-23T08:30:00Z", "2026-03-23T09:00:00Z", "2026-03-30T08:00:00Z").map(Instant::parse),
                    "slots",
                )
                val e = expectThrows<HcasException.InvalidDuration> {
                    it.slots(Instant.parse("2026-03-20T00:00:00Z"), Instant.parse("2026-04-01T00:00:00Z"), 0u, null)
                }
                expectEqual(e.code(), "invalid_duration", "zero duration")
            }
            expectThrows<HcasException.InvalidRrule> {
                Availability(zone, listOf(WorkingHours("FREQ=SOMETIMES", "2026-03-23", "09:00", "11:00")), listOf())
            }
        }
    },
    "checkVector passes a right answer and names the field of a wrong one" to {
        val case = """{"id":"k1","expect":{"slots":["2026-03-23T08:00:00Z"]}}"""
        expectEqual(checkVector(case, Answer.Output("""{"slots":["2026-03-23T08:00:00Z"],"tzdb":"x"}""")), null, "right answer")
        val line = checkVector(case, Answer.Output("""{"slots":[]}"""))
        expect(line != null && line.startsWith("k1: slots:")) { "wrong answer's line: $line" }
        val errLine = checkVector(case, Answer.Failed("invalid_rrule"))
        expect(errLine != null && "invalid_rrule" in errLine) { "error answer's line: $errLine" }
        val errCase = """{"id":"k2","expect_error":{"code":"invalid_rrule"}}"""
        expectEqual(checkVector(errCase, Answer.Failed("invalid_rrule")), null, "expected error")
        expectThrows<HcasException.InvalidRequest> { checkVector("not json", Answer.Failed("x")) }
    },
    "the constants are the documented ones" to {
        // docs/vectors.md's error code table, in the engine's order.
        expectEqual(
            errorCodes(),
            listOf(
                "invalid_rrule", "invalid_timezone", "invalid_datetime", "invalid_interval",
                "invalid_duration", "invalid_window", "invalid_consent", "invalid_request",
                "invalid_transition", "not_permitted", "limit_exceeded",
            ),
            "errorCodes()",
        )
        expectEqual(kinds(), listOf("recurrence", "slots", "conflict", "series", "transition", "consent"), "kinds()")
        expect(Regex("[0-9]{4}[a-z]").matches(tzdbVersion())) { "tzdbVersion() ${tzdbVersion()}" }
    },
)

fun main() {
    var passed = 0
    var failed = 0
    for ((name, body) in tests) {
        try {
            body()
            passed++
        } catch (e: Throwable) {
            failed++
            println("FAIL $name: ${e.message ?: e}")
        }
    }
    consentTests().let { (p, f) -> passed += p; failed += f }
    adviceTests().let { (p, f) -> passed += p; failed += f }
    fhirTests().let { (p, f) -> passed += p; failed += f }
    ledgerTests().let { (p, f) -> passed += p; failed += f }
    println("Kotlin API tests: $passed passed, $failed failed")
    exitProcess(if (failed == 0) 0 else 1)
}
