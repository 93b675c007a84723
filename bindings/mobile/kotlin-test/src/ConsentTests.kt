// The consent API in Kotlin: decide, bookingAllowed, CompiledConsents and the
// FHIR Consent mapping. Answers derived by hand from the shared CONSENT.md.
package hcas.mobile.test

import hcas.mobile.Accessor
import hcas.mobile.Action
import hcas.mobile.AppointmentKind
import hcas.mobile.Basis
import hcas.mobile.BookingQuestion
import hcas.mobile.BreakGlass
import hcas.mobile.Category
import hcas.mobile.CompiledConsents
import hcas.mobile.Consent
import hcas.mobile.ConsentRequest
import hcas.mobile.ConsentStatus
import hcas.mobile.Effect
import hcas.mobile.FhirVersion
import hcas.mobile.HcasException
import hcas.mobile.Match
import hcas.mobile.Period
import hcas.mobile.Provision
import hcas.mobile.Purpose
import hcas.mobile.Refusal
import hcas.mobile.Rights
import hcas.mobile.Role
import hcas.mobile.RolePolicy
import hcas.mobile.bookingAllowed
import hcas.mobile.consentFromFhir
import hcas.mobile.consentFromJson
import hcas.mobile.consentToFhir
import hcas.mobile.decide
import hcas.mobile.defaultRolePolicy
import java.time.Instant

private fun t(s: String) = Instant.parse(s)

private val drA = Accessor("DrA", "Org1", listOf(Role.DOCTOR))
private val nurse = Accessor("Nu1", "Org1", listOf(Role.NURSE))
private val desk = Accessor("Fd1", "Org1", listOf(Role.ADMIN))

private fun ask(actor: Accessor, category: Category, purpose: Purpose, at: String = "2025-06-15T12:00:00Z", action: Action = Action.READ) =
    ConsentRequest(actor, "P1", category, action, purpose, t(at))

/** CONSENT.md's example consent: permit in 2025 at Org1, except payment, except appointments. */
private val c1 = Consent(
    "C1", "P1", t("2025-03-01T00:00:00Z"), Effect.PERMIT, ConsentStatus.ACTIVE,
    period = Period(t("2025-01-01T00:00:00Z"), t("2026-01-01T00:00:00Z")),
    scope = Match(orgs = listOf("Org1")),
    provisions = listOf(
        Provision(
            Match(purposes = listOf(Purpose.HPAYMT)),
            listOf(Provision(Match(categories = listOf(Category.APPOINTMENTS)))),
        ),
    ),
)

private val denyAll = Consent("K2", "P1", t("2025-03-01T00:00:00Z"), Effect.DENY, ConsentStatus.ACTIVE)

/** The default table, but front desk may also read records (for payment). */
private val deskReadsRecords = RolePolicy(
    defaultRolePolicy().roles + (
        Role.ADMIN to Rights(listOf(Category.APPOINTMENTS, Category.RECORDS), listOf(Action.READ, Action.WRITE), listOf(Purpose.HOPERAT, Purpose.HPAYMT))
    ),
)

internal fun consentTests(): Pair<Int, Int> = Checks.run("consent", listOf(
    "no consent: a doctor reading labs for treatment is permitted by default (step 5)" to {
        val d = decide(ask(drA, Category.LABS, Purpose.TREAT), listOf(), null)
        Checks.equal(d.decision, Effect.PERMIT, "decision")
        Checks.equal(d.basis, Basis.DEFAULT, "basis")
        Checks.equal(d.consent, null, "consent")
        Checks.equal(d.obligations, listOf<String>(), "obligations")
        // Research needs an authorization: denied by default (a researcher may ask for it, step 2).
        val r = decide(ask(Accessor("Re1", "Org1", listOf(Role.RESEARCHER)), Category.LABS, Purpose.HRESCH), listOf(), null)
        Checks.equal(r.decision to r.basis, Effect.DENY to Basis.DEFAULT, "research by default")
    },
    "a deny-all consent denies, naming it with the base decision's empty path (step 4)" to {
        val d = decide(ask(drA, Category.LABS, Purpose.TREAT), listOf(denyAll), null)
        Checks.equal(Triple(d.decision, d.basis, d.consent), Triple(Effect.DENY, Basis.CONSENT, "K2"), "decision")
        Checks.equal(d.path, listOf<UInt>(), "path")
    },
    "CONSENT.md's consent: provisions flip the effect, path names the deciding one" to {
        // Payment on appointments: the HPAYMT provision denies, its appointments child permits again.
        val appts = decide(ask(desk, Category.APPOINTMENTS, Purpose.HPAYMT), listOf(c1), deskReadsRecords)
        Checks.equal(Triple(appts.decision, appts.basis, appts.consent), Triple(Effect.PERMIT, Basis.CONSENT, "C1"), "appointments")
        Checks.equal(appts.path, listOf(0u, 0u), "appointments path")
        // Payment on records: the HPAYMT provision denies, no child matches.
        val records = decide(ask(desk, Category.RECORDS, Purpose.HPAYMT), listOf(c1), deskReadsRecords)
        Checks.equal(Triple(records.decision, records.basis, records.consent), Triple(Effect.DENY, Basis.CONSENT, "C1"), "records")
        Checks.equal(records.path, listOf(0u), "records path")
        // Under the default table front desk may not touch records at all: the role gate (step 2).
        val gate = decide(ask(desk, Category.RECORDS, Purpose.HPAYMT), listOf(c1), null)
        Checks.equal(gate.decision to gate.basis, Effect.DENY to Basis.ROLE, "default table")
        // Outside the consent's period (it ends 2026-01-01) and outside its scope (Org2): default.
        val late = decide(ask(desk, Category.RECORDS, Purpose.HPAYMT, at = "2026-01-01T00:00:00Z"), listOf(c1), deskReadsRecords)
        Checks.equal(late.decision to late.basis, Effect.PERMIT to Basis.DEFAULT, "after the period")
        val org2 = decide(ask(desk.copy(org = "Org2"), Category.RECORDS, Purpose.HPAYMT), listOf(c1), deskReadsRecords)
        Checks.equal(org2.decision to org2.basis, Effect.PERMIT to Basis.DEFAULT, "outside the scope")
        // An inactive consent does not count.
        val revoked = decide(ask(desk, Category.RECORDS, Purpose.HPAYMT), listOf(c1.copy(status = ConsentStatus.INACTIVE)), deskReadsRecords)
        Checks.equal(revoked.basis, Basis.DEFAULT, "inactive consent")
    },
    "a patient reads their own labs but not psychotherapy notes (step 1)" to {
        val me = Accessor("P1", "Org1", listOf(Role.PATIENT))
        val labs = decide(ask(me, Category.LABS, Purpose.TREAT), listOf(denyAll), null)
        Checks.equal(labs.decision to labs.basis, Effect.PERMIT to Basis.SELF_ACCESS, "own labs")
        val notes = decide(ask(me, Category.PSYCHOTHERAPY, Purpose.TREAT), listOf(), null)
        Checks.equal(notes.decision to notes.basis, Effect.DENY to Basis.SELF_ACCESS, "own psychotherapy notes")
    },
    "break-glass: a nurse within the hour overrides a deny; every attempt is audited (step 3)" to {
        val glass = BreakGlass("unconscious in ED", t("2025-06-15T11:30:00Z"))
        val d = decide(ask(nurse, Category.RECORDS, Purpose.ETREAT).copy(breakGlass = glass), listOf(denyAll), null)
        Checks.equal(d.decision to d.basis, Effect.PERMIT to Basis.BREAK_GLASS, "30 minutes in")
        Checks.equal(d.obligations, listOf("audit-break-glass"), "obligations")
        // Started 61 minutes before the access: the override has lapsed, denied and still audited.
        val old = BreakGlass("unconscious in ED", t("2025-06-15T10:59:00Z"))
        val late = decide(ask(nurse, Category.RECORDS, Purpose.ETREAT).copy(breakGlass = old), listOf(denyAll), null)
        Checks.equal(late.decision to late.basis, Effect.DENY to Basis.BREAK_GLASS, "61 minutes in")
        Checks.equal(late.obligations, listOf("audit-break-glass"), "lapsed obligations")
        // Exactly 60 minutes is still inside (inclusive).
        val edge = BreakGlass("unconscious in ED", t("2025-06-15T11:00:00Z"))
        Checks.equal(decide(ask(nurse, Category.RECORDS, Purpose.ETREAT).copy(breakGlass = edge), listOf(denyAll), null).decision, Effect.PERMIT, "60 minutes in")
    },
    "bad consents are HcasException.InvalidConsent, bad requests InvalidRequest" to {
        val emptyList = denyAll.copy(scope = Match(roles = listOf()))
        val e = Checks.throws<HcasException.InvalidConsent> { decide(ask(drA, Category.LABS, Purpose.TREAT), listOf(emptyList), null) }
        Checks.equal(e.code(), "invalid_consent", "code")
        Checks.that("scope.roles" in e.detail) { "detail does not name the field: ${e.detail}" }
        val backwards = denyAll.copy(period = Period(t("2026-01-01T00:00:00Z"), t("2025-01-01T00:00:00Z")))
        Checks.throws<HcasException.InvalidConsent> { decide(ask(drA, Category.LABS, Purpose.TREAT), listOf(backwards), null) }
        Checks.throws<HcasException.InvalidConsent> { decide(ask(drA, Category.LABS, Purpose.TREAT), listOf(denyAll, denyAll), null) }
        val r = Checks.throws<HcasException.InvalidRequest> { decide(ask(drA.copy(id = ""), Category.LABS, Purpose.TREAT), listOf(), null) }
        Checks.equal(r.code(), "invalid_request", "empty actor id")
        Checks.throws<HcasException.InvalidConsent> { consentFromJson("""{"id":"C9","patient":"P1","status":"active","date":"2025-01-01T00:00:00Z","decision":"maybe"}""") }
    },
    "CompiledConsents answers as decide, for its own patient only" to {
        CompiledConsents("P1", listOf(c1, denyAll), deskReadsRecords).use { compiled ->
            Checks.equal(compiled.patient(), "P1", "patient")
            Checks.equal(compiled.count(), 2u, "count")
            val req = ask(desk, Category.APPOINTMENTS, Purpose.HPAYMT)
            // Both consents are dated 2025-03-01: on a tie of dates deny wins, so K2 decides.
            val d = compiled.decide(req)
            Checks.equal(Triple(d.decision, d.basis, d.consent), Triple(Effect.DENY, Basis.CONSENT, "K2"), "tie")
            Checks.equal(d, decide(req, listOf(c1, denyAll), deskReadsRecords), "same as decide")
            Checks.equal(compiled.byConsent(req)?.consent, "K2", "byConsent")
            Checks.throws<HcasException.InvalidRequest> { compiled.decide(req.copy(patient = "P2")) }
        }
        CompiledConsents("P2", listOf(denyAll), null).use { Checks.equal(it.count(), 0u, "another patient's consents do not count") }
    },
    "bookingAllowed: a minor's guardian, front desk and telehealth" to {
        // Kid's consent: nobody, except Mum for appointments.
        val kid = listOf(Consent(
            "T1", "Kid", t("2025-01-01T00:00:00Z"), Effect.DENY, ConsentStatus.ACTIVE,
            provisions = listOf(Provision(Match(actors = listOf("Mum"), categories = listOf(Category.APPOINTMENTS)))),
        ))
        val at = t("2025-06-01T09:00:00Z")
        // The desk itself is denied by the deny-all consent; Mum is singled out as guardian.
        val q = BookingQuestion(desk, "Kid", at, AppointmentKind.IN_PERSON, patientIsMinor = true, guardian = "Mum")
        val v = bookingAllowed(q, kid, null)
        Checks.equal(v.allowed, false, "desk allowed")
        Checks.equal(v.refusals.size, 1, "desk refusals: ${v.refusals}")
        val access = v.refusals[0] as? Refusal.Access ?: throw CheckFailure("not Access: ${v.refusals}")
        Checks.equal(Triple(access.decision.decision, access.decision.basis, access.decision.consent), Triple(Effect.DENY, Basis.CONSENT, "T1"), "access decision")
        // Mum books herself: allowed.
        val mum = q.copy(actor = Accessor("Mum", "Org1", listOf(Role.PATIENT)))
        Checks.equal(bookingAllowed(mum, kid, null).allowed, true, "Mum books")
        // No guardian named: access and guardian-missing refusals, in that order.
        val none = bookingAllowed(q.copy(guardian = null), kid, null).refusals
        Checks.that(none.size == 2 && none[0] is Refusal.Access && none[1] == Refusal.GuardianMissing) { "no guardian: $none" }
        // Telehealth by the desk: no consent permits it.
        val tele = bookingAllowed(q.copy(kind = AppointmentKind.TELEHEALTH), kid, null).refusals
        Checks.that(tele.size == 2 && tele[0] is Refusal.Access && tele[1] is Refusal.Telehealth) { "telehealth: $tele" }
        // CompiledConsents gives the same verdicts.
        CompiledConsents("Kid", kid, null).use { Checks.equal(it.bookingAllowed(q), v, "compiled verdict") }
        Checks.throws<HcasException.InvalidRequest> { bookingAllowed(q.copy(patientIsMinor = false), kid, null) }
    },
    "FHIR R4 Consent text out and back" to {
        // Opt out, except for doctors, until the end of 2025.
        val c = Consent(
            "C2", "P1", t("2025-03-01T00:00:00Z"), Effect.DENY, ConsentStatus.ACTIVE,
            period = Period(end = t("2026-01-01T00:00:00Z")),
            provisions = listOf(Provision(Match(roles = listOf(Role.DOCTOR)))),
        )
        val r4 = consentToFhir(c, FhirVersion.R4)
        Checks.equal(Checks.jsonAt(r4, "resourceType"), "Consent", "resourceType")
        Checks.equal(Checks.jsonAt(r4, "status"), "active", "status")
        Checks.equal(Checks.jsonAt(r4, "patient", "reference"), "Patient/P1", "patient")
        Checks.equal(Checks.jsonAt(r4, "provision", "type"), "deny", "root provision type")
        Checks.equal(Checks.jsonAt(r4, "provision", "period", "end"), "2026-01-01T00:00:00Z", "period end")
        Checks.equal(Checks.jsonAt(r4, "provision", "provision", 0, "type"), "permit", "exception type")
        Checks.equal(consentFromFhir(r4, FhirVersion.R4), c, "round trip R4")
        Checks.equal(consentFromFhir(consentToFhir(c, FhirVersion.R5), FhirVersion.R5), c, "round trip R5")
        Checks.throws<HcasException.InvalidRequest> { consentFromFhir("{not json", FhirVersion.R4) }
        Checks.throws<HcasException.InvalidRequest> { consentFromFhir("""{"resourceType":"Patient","id":"P1"}""", FhirVersion.R4) }
    },
))
