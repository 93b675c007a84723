// The `kotlin` front door of scripts/vectors: every conformance vector under
// $HCAS_VECTORS (default tests/vectors/; a relative path is taken from the
// repository root, the first argument) through the generated Kotlin binding
// on the JVM, judged by `checkVector` (hcas_core::wire::check, the comparison
// every door uses). One line per failure, then `N passed, N failed`, as the
// rust, server and python doors.
package hcas.mobile.test

import hcas.mobile.Answer
import hcas.mobile.HcasException
import hcas.mobile.checkVector
import hcas.mobile.evaluate
import hcas.mobile.kinds
import hcas.mobile.tzdbVersion
import hcas.mobile.version
import java.nio.file.Files
import java.nio.file.Path
import java.nio.file.Paths
import kotlin.io.path.isRegularFile
import kotlin.io.path.readText
import kotlin.system.exitProcess

/** Run one vector file: null when it passes, else the failure line. */
fun runVector(path: Path): String? {
    val text = try {
        path.readText(Charsets.UTF_8)
    } catch (e: java.io.IOException) {
        return "$path: not a readable file: $e"
    }
    val case = try {
        parseJson(text)
    } catch (e: JsonException) {
        return "$path: not a JSON file: ${e.message}"
    }
    if (case !is JsonObject) return "$path: not a JSON object"
    val vid = case["id"] as? String ?: "<no id>"
    val kind = case["kind"]
    if (kind !is String || kind !in kinds()) return "$vid: unknown kind `$kind` (file $path)"
    val answer = try {
        Answer.Output(evaluate(kind, case.raw("input") ?: "null"))
    } catch (e: HcasException) {
        val line = checkVector(text, Answer.Failed(e.code()))
        return if (line == null) null else "$line (${e.code()}: ${e.message()})"
    }
    return checkVector(text, answer)
}

fun main(args: Array<String>) {
    val repo = Paths.get(args.getOrElse(0) { "." }).toAbsolutePath().normalize()
    val given = System.getenv("HCAS_VECTORS")
    val root = if (given.isNullOrEmpty()) repo.resolve("tests/vectors") else repo.resolve(given)
    if (!Files.isDirectory(root)) {
        println("cannot read vectors in $root")
        println("0 passed, 1 failed")
        exitProcess(1)
    }
    val files = Files.walk(root).use { s ->
        s.filter { it.isRegularFile() && it.fileName.toString().endsWith(".json") }.sorted().toList()
    }
    var passed = 0
    var failed = 0
    for (f in files) {
        val line = runVector(f)
        if (line == null) {
            passed++
        } else {
            failed++
            println("FAIL $line")
        }
    }
    if (files.isEmpty()) {
        println("no *.json vectors below $root")
        failed++
    }
    println("vectors from $root (hcas-mobile ${version()}, tzdb ${tzdbVersion()})")
    println("$passed passed, $failed failed")
    exitProcess(if (failed == 0) 0 else 1)
}
