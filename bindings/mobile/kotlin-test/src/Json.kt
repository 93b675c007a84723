// A minimal JSON reader for the tests (the JVM has none built in, and no
// Maven registry is reachable here): enough to pick `id`, `kind` and the raw
// text of `input` out of a vector file, and to read answers in the API tests.
// Not part of the binding: apps use their own JSON library.
package hcas.mobile.test

/** A JSON object: member values, and each member's raw text span in the source. */
class JsonObject(val members: Map<String, Any?>, private val text: String, private val spans: Map<String, IntRange>) {
    /** The member's value (String, JsonNumber, Boolean, null, List, JsonObject). */
    operator fun get(key: String): Any? = members[key]

    /** The member's JSON text exactly as written, or null when absent. */
    fun raw(key: String): String? = spans[key]?.let { text.substring(it.first, it.last + 1) }
}

/** A JSON number, kept as written (no float rounding). */
data class JsonNumber(val text: String)

/** Thrown for text that is not JSON, with the offset. */
class JsonException(message: String) : Exception(message)

/** Parse one JSON document. */
fun parseJson(text: String): Any? {
    val p = JsonParser(text)
    val v = p.value()
    p.ws()
    if (p.pos != text.length) throw JsonException("trailing text at offset ${p.pos}")
    return v
}

private class JsonParser(val s: String) {
    var pos = 0

    fun ws() {
        while (pos < s.length && s[pos] in " \t\r\n") pos++
    }

    fun fail(what: String): Nothing = throw JsonException("$what at offset $pos")

    fun value(): Any? {
        ws()
        if (pos >= s.length) fail("unexpected end")
        return when (s[pos]) {
            '{' -> obj()
            '[' -> arr()
            '"' -> str()
            't' -> word("true", true)
            'f' -> word("false", false)
            'n' -> word("null", null)
            else -> num()
        }
    }

    fun word(w: String, v: Any?): Any? {
        if (!s.startsWith(w, pos)) fail("bad literal")
        pos += w.length
        return v
    }

    fun num(): JsonNumber {
        val start = pos
        while (pos < s.length && s[pos] in "+-0123456789.eE") pos++
        if (start == pos) fail("unexpected character '${s[pos]}'")
        return JsonNumber(s.substring(start, pos))
    }

    fun str(): String {
        pos++ // opening quote
        val b = StringBuilder()
        while (true) {
            if (pos >= s.length) fail("unterminated string")
            val c = s[pos++]
            when (c) {
                '"' -> return b.toString()
                '\\' -> {
                    if (pos >= s.length) fail("unterminated escape")
                    when (val e = s[pos++]) {
                        '"', '\\', '/' -> b.append(e)
                        'b' -> b.append('\b')
                        'f' -> b.append('\u000C')
                        'n' -> b.append('\n')
                        'r' -> b.append('\r')
                        't' -> b.append('\t')
                        'u' -> {
                            if (pos + 4 > s.length) fail("short \\u escape")
                            b.append(s.substring(pos, pos + 4).toInt(16).toChar())
                            pos += 4
                        }
                        else -> fail("bad escape")
                    }
                }
                else -> b.append(c)
            }
        }
    }

    fun arr(): List<Any?> {
        pos++
        val out = ArrayList<Any?>()
        ws()
        if (pos < s.length && s[pos] == ']') { pos++; return out }
        while (true) {
            out.add(value())
            ws()
            if (pos >= s.length) fail("unterminated array")
            when (s[pos++]) {
                ',' -> continue
                ']' -> return out
                else -> { pos--; fail("expected , or ]") }
            }
        }
    }

    fun obj(): JsonObject {
        pos++
        val members = LinkedHashMap<String, Any?>()
        val spans = HashMap<String, IntRange>()
        ws()
        if (pos < s.length && s[pos] == '}') { pos++; return JsonObject(members, s, spans) }
        while (true) {
            ws()
            if (pos >= s.length || s[pos] != '"') fail("expected a member name")
            val key = str()
            ws()
            if (pos >= s.length || s[pos] != ':') fail("expected :")
            pos++
            ws()
            val start = pos
            members[key] = value()
            spans[key] = start until pos
            ws()
            if (pos >= s.length) fail("unterminated object")
            when (s[pos++]) {
                ',' -> continue
                '}' -> return JsonObject(members, s, spans)
                else -> { pos--; fail("expected , or }") }
            }
        }
    }
}
