// The tiny runner of the typed-area test files (ConsentTests.kt, ...): the
// helpers of ApiTests.kt in one object, so each area file stays small.
package hcas.mobile.test

import hcas.mobile.HcasException

/** A failed expectation. */
internal class CheckFailure(message: String) : Exception(message)

internal object Checks {
    fun that(cond: Boolean, what: () -> String) {
        if (!cond) throw CheckFailure(what())
    }

    fun <T> equal(got: T, want: T, what: String) = that(got == want) { "$what: expected $want, got $got" }

    /** Run `block`, which must throw an `HcasException` of type `E`; return it. */
    inline fun <reified E : HcasException> throws(block: () -> Unit): E {
        try {
            block()
        } catch (e: HcasException) {
            if (e is E) return e
            throw CheckFailure("expected ${E::class.simpleName}, got ${e::class.simpleName}: ${e.message}")
        }
        throw CheckFailure("expected ${E::class.simpleName}, nothing was thrown")
    }

    /** The value at `path` (object keys and list indices) in JSON text. */
    fun jsonAt(json: String, vararg path: Any): Any? {
        var v: Any? = parseJson(json)
        for (step in path) {
            v = when {
                step is String && v is JsonObject -> v[step]
                step is Int && v is List<*> -> v.getOrNull(step)
                else -> throw CheckFailure("no ${path.joinToString(".")} in $json")
            }
        }
        return v
    }

    /** Run the named tests: one `FAIL` line per failure; (passed, failed). */
    fun run(area: String, tests: List<Pair<String, () -> Unit>>): Pair<Int, Int> {
        var passed = 0
        var failed = 0
        for ((name, body) in tests) {
            try {
                body()
                passed++
            } catch (e: Throwable) {
                failed++
                println("FAIL $area: $name: ${e.message ?: e}")
            }
        }
        return passed to failed
    }
}
