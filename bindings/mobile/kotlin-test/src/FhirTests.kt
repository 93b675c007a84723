// FHIR R4 Slot and OperationOutcome JSON text in Kotlin. Answers derived by
// hand (2026-05-04T09:00:00Z is 1777885200 Unix seconds: 20577 days since
// 1970-01-01, times 86400, plus 9 hours).
package hcas.mobile.test

import hcas.mobile.Booking
import hcas.mobile.BookingStatus
import hcas.mobile.FhirSlot
import hcas.mobile.HcasException
import hcas.mobile.SlotId
import hcas.mobile.SlotStatus
import hcas.mobile.appointmentFromFhir
import hcas.mobile.appointmentToFhir
import hcas.mobile.fhirSlotToFhir
import hcas.mobile.operationOutcome
import hcas.mobile.parseSlotId
import hcas.mobile.slotFromFhir
import hcas.mobile.slotToFhir
import hcas.mobile.slotsToFhir
import java.time.Instant

private fun t(s: String) = Instant.parse(s)

internal fun fhirTests(): Pair<Int, Int> = Checks.run("fhir", listOf(
    "a Slot out as R4 JSON text and back" to {
        val text = slotToFhir("S1", t("2026-05-04T09:00:00Z"), t("2026-05-04T09:30:00Z"), SlotStatus.FREE)
        Checks.equal(Checks.jsonAt(text, "resourceType"), "Slot", "resourceType")
        Checks.equal(Checks.jsonAt(text, "id"), "S1-1777885200", "id")
        Checks.equal(Checks.jsonAt(text, "schedule", "reference"), "Schedule/S1", "schedule")
        Checks.equal(Checks.jsonAt(text, "status"), "free", "status")
        Checks.equal(Checks.jsonAt(text, "end"), "2026-05-04T09:30:00Z", "end")
        val slot = slotFromFhir(text)
        Checks.equal(slot, FhirSlot("S1-1777885200", "S1", t("2026-05-04T09:00:00Z"), t("2026-05-04T09:30:00Z"), SlotStatus.FREE, listOf()), "parsed")
        Checks.equal(fhirSlotToFhir(slot), text, "written again")
    },
    "slotsToFhir makes free slots of the duration; statuses and ids parse" to {
        val both = slotsToFhir("S1", listOf(t("2026-05-04T09:00:00Z"), t("2026-05-04T09:30:00Z")), 30u)
        Checks.equal(both.size, 2, "count")
        Checks.equal(Checks.jsonAt(both[1], "id"), "S1-1777887000", "second id")
        Checks.equal(Checks.jsonAt(both[1], "end"), "2026-05-04T10:00:00Z", "second end")
        val held = slotFromFhir(
            """{"resourceType":"Slot","id":"s9","schedule":{"reference":"Schedule/S1"},"status":"busy-tentative","start":"2026-05-04T09:00:00Z","end":"2026-05-04T09:30:00Z"}""",
        )
        Checks.equal(held.status to held.schedule, SlotStatus.BUSY_TENTATIVE to "S1", "busy-tentative")
        Checks.equal(parseSlotId("dr-lee-1777885200"), SlotId("dr-lee", t("2026-05-04T09:00:00Z")), "parseSlotId")
        Checks.equal(parseSlotId("dr-lee"), null, "not a slot id")
    },
    "malformed Slots are HcasException with the JSON path" to {
        Checks.throws<HcasException.InvalidRequest> { slotFromFhir("{") }
        val e = Checks.throws<HcasException.InvalidRequest> {
            slotFromFhir("""{"resourceType":"Slot","id":"s9","schedule":{"reference":"Practitioner/X"},"status":"free","start":"2026-05-04T09:00:00Z","end":"2026-05-04T09:30:00Z"}""")
        }
        Checks.that("schedule" in e.detail) { "detail does not name schedule: ${e.detail}" }
        Checks.throws<HcasException.InvalidInterval> {
            slotFromFhir("""{"resourceType":"Slot","id":"s9","schedule":{"reference":"Schedule/S1"},"status":"free","start":"2026-05-04T09:30:00Z","end":"2026-05-04T09:00:00Z"}""")
        }
    },
    "operationOutcome carries the stable code" to {
        val oo = operationOutcome("invalid", "invalid_rrule", "FREQ is required")
        Checks.equal(Checks.jsonAt(oo, "resourceType"), "OperationOutcome", "resourceType")
        Checks.equal(Checks.jsonAt(oo, "issue", 0, "severity"), "error", "severity")
        Checks.equal(Checks.jsonAt(oo, "issue", 0, "code"), "invalid", "issue type")
        Checks.equal(Checks.jsonAt(oo, "issue", 0, "details", "coding", 0, "code"), "invalid_rrule", "hcas code")
        Checks.equal(Checks.jsonAt(oo, "issue", 0, "diagnostics"), "FREQ is required", "diagnostics")
    },
    "a Booking out as an R4 Appointment and back" to {
        val b = Booking("a1", listOf("provider:P1", "patient:X1", "room:R2"), t("2026-05-04T09:00:00Z"), t("2026-05-04T09:45:00Z"), BookingStatus.BOOKED)
        val text = appointmentToFhir(b)
        Checks.equal(Checks.jsonAt(text, "resourceType"), "Appointment", "resourceType")
        Checks.equal(Checks.jsonAt(text, "id"), "a1", "id")
        Checks.equal(Checks.jsonAt(text, "status"), "booked", "status")
        Checks.equal(Checks.jsonAt(text, "start"), "2026-05-04T09:00:00Z", "start")
        Checks.equal(Checks.jsonAt(text, "end"), "2026-05-04T09:45:00Z", "end")
        Checks.equal(Checks.jsonAt(text, "participant", 0, "actor", "reference"), "Practitioner/P1", "provider")
        Checks.equal(Checks.jsonAt(text, "participant", 1, "actor", "reference"), "Patient/X1", "patient")
        Checks.equal(Checks.jsonAt(text, "participant", 2, "actor", "reference"), "Location/R2", "room")
        Checks.equal(appointmentFromFhir(text), b, "read back")
        val gone = b.copy(status = BookingStatus.CANCELLED, cancelReason = "patient asked")
        val goneText = appointmentToFhir(gone)
        Checks.equal(Checks.jsonAt(goneText, "status"), "cancelled", "cancelled status")
        Checks.equal(Checks.jsonAt(goneText, "cancelationReason", "text"), "patient asked", "reason")
        Checks.equal(appointmentFromFhir(goneText), gone, "cancelled read back")
        Checks.throws<HcasException.InvalidRequest> { appointmentToFhir(b.copy(resources = listOf("nurse:N1"))) }
        Checks.throws<HcasException.InvalidRequest> { appointmentFromFhir("{") }
    },
))
