//! SMART Scheduling Links (the `$bulk-publish` slot publisher API of
//! <https://github.com/smart-on-fhir/smart-scheduling-links>): the
//! manifest, and `Location`, `Schedule` and `Slot` as that specification
//! requires them. Pure: the server passes the time, the URLs and the data.
//!
//! | hcas | published |
//! |---|---|
//! | a provider's free-text `location` | `Location`, id [`location_id`] of the text, `name` the text, `identifier` ([`LOCATION_NAME_SYSTEM`], the text) |
//! | configured details of that location | `Location.address`, `telecom` (phone, url) |
//! | a provider with a location | `Schedule` (id = the provider's id), `actor` = its one `Location`, `serviceType` = its specialties |
//! | a 30-minute grid start in working hours | `Slot` `free` (bookable) or `busy` (taken), id `<schedule>-<unix start>`, with [`EXT_BOOKING_DEEP_LINK`] when free |
//!
//! ```
//! use hcas_core::fhir::publish::{location_id, published_slot, PublishedSlot};
//! let id = location_id("Main St Clinic");
//! assert!(id.starts_with("main-st-clinic-") && id.len() <= 64);
//! let t = |s: &str| s.parse().unwrap();
//! let s = PublishedSlot::free("dr-lee", t("2030-01-09T14:00:00Z"), t("2030-01-09T14:30:00Z"))
//!     .with_deep_link("https://book.example/?slot=dr-lee-1894197600");
//! let v = published_slot(&s).unwrap();
//! assert_eq!(v["schedule"]["reference"], "Schedule/dr-lee");
//! assert_eq!(v["extension"][0]["valueUrl"], "https://book.example/?slot=dr-lee-1894197600");
//! ```

use super::directory::concept;
use super::*;

/// The booking deep link extension of a free `Slot` (`valueUrl`).
pub const EXT_BOOKING_DEEP_LINK: &str =
    "http://fhir-registry.smarthealthit.org/StructureDefinition/booking-deep-link";
/// The booking phone extension of a `Slot` (`valueString`).
pub const EXT_BOOKING_PHONE: &str =
    "http://fhir-registry.smarthealthit.org/StructureDefinition/booking-phone";
/// The identifier system whose value is a location's hcas name (the
/// provider profile's free-text `location`).
pub const LOCATION_NAME_SYSTEM: &str = "https://hcas.dev/fhir/NamingSystem/location-name";
/// The media type of the NDJSON files.
pub const FHIR_NDJSON: &str = "application/fhir+ndjson";

/// The longest slug kept in a [`location_id`] (the rest is the hash).
const SLUG_LEN: usize = 40;

/// The stable FHIR id of the location named `name`: its slug (lower-case
/// ASCII letters and digits, other runs as `-`, at most 40 characters),
/// `-`, and 16 hex digits of the FNV-1a 64 hash of the exact text, so
/// different texts with one slug get different ids. At most 57
/// characters of `a-z 0-9 -`; `loc-<hash>` when the slug is empty.
#[must_use]
pub fn location_id(name: &str) -> String {
    let mut slug = String::new();
    for c in name.chars().map(|c| c.to_ascii_lowercase()) {
        if c.is_ascii_lowercase() || c.is_ascii_digit() {
            slug.push(c);
        } else if !slug.is_empty() && !slug.ends_with('-') {
            slug.push('-');
        }
        if slug.len() >= SLUG_LEN {
            break;
        }
    }
    let slug = slug.trim_end_matches('-');
    let slug = if slug.is_empty() { "loc" } else { slug };
    format!("{slug}-{:016x}", fnv1a(name.as_bytes()))
}

/// FNV-1a, 64 bits: stable across builds and platforms.
fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ u64::from(*b)).wrapping_mul(0x0000_0100_0000_01b3)
    })
}

/// A postal address (the USPS "complete address" the specification asks for).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[non_exhaustive]
pub struct Address {
    /// Street lines.
    pub line: Vec<String>,
    /// City.
    pub city: String,
    /// State or jurisdiction (`MA`).
    pub state: String,
    /// Postal code.
    pub postal_code: String,
    /// County, if given.
    #[serde(default)]
    pub district: Option<String>,
}

/// A published location: a provider location's name and what the
/// organization configured about it.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct FhirLocation {
    /// The id ([`location_id`] of the name).
    pub id: String,
    /// The name (the providers' free-text `location`).
    pub name: String,
    /// The postal address, when configured.
    pub address: Option<Address>,
    /// A general-information phone number.
    pub phone: Option<String>,
    /// A general-information web page.
    pub url: Option<String>,
}

impl FhirLocation {
    /// The location named `name` (id from [`location_id`]), nothing else known.
    #[must_use]
    pub fn new(name: impl Into<String>) -> Self {
        let name = name.into();
        Self {
            id: location_id(&name),
            name,
            address: None,
            phone: None,
            url: None,
        }
    }

    /// With this address, phone and web page.
    #[must_use]
    pub fn with_contact(
        mut self,
        address: Option<Address>,
        phone: Option<String>,
        url: Option<String>,
    ) -> Self {
        self.address = address;
        self.phone = phone;
        self.url = url;
        self
    }
}

/// The R4 `Location`: `id`, `name`, `identifier` (the name under
/// [`LOCATION_NAME_SYSTEM`]), `telecom` (phone, url) and `address` (the
/// configured one; only `text` = the name when none is configured).
///
/// # Errors
/// `invalid_request` for a blank name or an id FHIR cannot carry.
pub fn location_to_fhir(l: &FhirLocation) -> Result<Value> {
    check_id(&l.id, "id")?;
    if l.name.trim().is_empty() {
        return Err(invalid("name", "is blank; FHIR strings are never empty"));
    }
    let mut out = Map::new();
    out.insert("resourceType".into(), "Location".into());
    out.insert("id".into(), l.id.clone().into());
    out.insert(
        "identifier".into(),
        json!([{ "system": LOCATION_NAME_SYSTEM, "value": l.name }]),
    );
    out.insert("name".into(), l.name.clone().into());
    let telecom: Vec<Value> = [("phone", &l.phone), ("url", &l.url)]
        .into_iter()
        .filter_map(|(system, v)| {
            let v = v.as_deref().filter(|v| !v.trim().is_empty())?;
            Some(json!({ "system": system, "value": v }))
        })
        .collect();
    if !telecom.is_empty() {
        out.insert("telecom".into(), telecom.into());
    }
    out.insert("address".into(), address(l));
    Ok(Value::Object(out))
}

fn address(l: &FhirLocation) -> Value {
    let Some(a) = &l.address else {
        return json!({ "text": l.name });
    };
    let mut out = json!({
        "line": a.line,
        "city": a.city,
        "state": a.state,
        "postalCode": a.postal_code,
    });
    if let Some(d) = a.district.as_deref().filter(|d| !d.trim().is_empty()) {
        out["district"] = d.into();
    }
    out
}

/// The published `Schedule` of provider `id` at location `location_id`:
/// `actor` is that one `Location` (the specification's rule),
/// `serviceType` and `specialty` the provider's specialties
/// ([`SPECIALTY_SYSTEM`]); a provider without any gets one `serviceType`
/// with `text` "Appointment".
///
/// # Errors
/// `invalid_request` for an id FHIR cannot carry.
pub fn published_schedule(id: &str, location_id: &str, specialties: &[String]) -> Result<Value> {
    check_id(id, "id")?;
    check_id(location_id, "location")?;
    let codes: Vec<Value> = specialties
        .iter()
        .filter(|s| !s.trim().is_empty())
        .map(|s| concept(SPECIALTY_SYSTEM, s))
        .collect();
    let service = if codes.is_empty() {
        json!([{ "text": "Appointment" }])
    } else {
        Value::Array(codes.clone())
    };
    let mut out = json!({
        "resourceType": "Schedule",
        "id": id,
        "active": true,
        "serviceType": service,
        "actor": [{ "reference": format!("Location/{location_id}") }],
    });
    if !codes.is_empty() {
        out["specialty"] = Value::Array(codes);
    }
    Ok(out)
}

/// One published slot: a grid start of a schedule, free or busy.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct PublishedSlot {
    /// The slot ([`FhirSlot`]: id, schedule, status, start, end).
    pub slot: FhirSlot,
    /// The booking deep link (free slots).
    pub deep_link: Option<String>,
    /// The booking phone number.
    pub phone: Option<String>,
}

impl PublishedSlot {
    /// The free slot `[start, end)` of `schedule`.
    #[must_use]
    pub fn free(schedule: &str, start: Timestamp, end: Timestamp) -> Self {
        Self::of(FhirSlot::new(schedule, start, end, SlotStatus::Free))
    }

    /// The busy slot `[start, end)` of `schedule`.
    #[must_use]
    pub fn busy(schedule: &str, start: Timestamp, end: Timestamp) -> Self {
        Self::of(FhirSlot::new(schedule, start, end, SlotStatus::Busy))
    }

    const fn of(slot: FhirSlot) -> Self {
        Self {
            slot,
            deep_link: None,
            phone: None,
        }
    }

    /// With this booking deep link.
    #[must_use]
    pub fn with_deep_link(mut self, url: impl Into<String>) -> Self {
        self.deep_link = Some(url.into());
        self
    }

    /// With this booking phone number.
    #[must_use]
    pub fn with_phone(mut self, phone: Option<String>) -> Self {
        self.phone = phone;
        self
    }
}

/// The published `Slot`: the FHIR API's `Slot` plus the
/// [`EXT_BOOKING_DEEP_LINK`] and [`EXT_BOOKING_PHONE`] extensions when set.
/// Nothing about who booked a busy slot is written.
///
/// # Errors
/// `invalid_request` when the slot id is not a FHIR id (a schedule id
/// longer than 53 characters); `invalid_datetime` for an instant outside
/// the years 0001-9999.
pub fn published_slot(s: &PublishedSlot) -> Result<Value> {
    check_id(&s.slot.id, "id")?;
    instant_text(s.slot.start, "start")?;
    instant_text(s.slot.end, "end")?;
    let mut out = s.slot.to_fhir();
    let mut ext = Vec::new();
    if let Some(u) = s.deep_link.as_deref().filter(|u| !u.is_empty()) {
        ext.push(json!({ "url": EXT_BOOKING_DEEP_LINK, "valueUrl": u }));
    }
    if let Some(p) = s.phone.as_deref().filter(|p| !p.trim().is_empty()) {
        ext.push(json!({ "url": EXT_BOOKING_PHONE, "valueString": p }));
    }
    if !ext.is_empty() {
        out["extension"] = Value::Array(ext);
    }
    Ok(out)
}

/// The booking deep link of a slot from a template: `{slot}`,
/// `{schedule}` and `{start}` (the start instant, `:` written `%3A`) are
/// replaced.
#[must_use]
pub fn deep_link(template: &str, slot: &FhirSlot) -> String {
    template
        .replace("{slot}", &slot.id)
        .replace("{schedule}", &slot.schedule)
        .replace("{start}", &slot.start.to_string().replace(':', "%3A"))
}

/// The `$bulk-publish` manifest: `transactionTime`, `request` (the
/// manifest's own URL), `output` (`type` and `url` of each file, in the
/// order given, each with `extension.state` = `states` when there are any:
/// the jurisdictions the data covers, a hint for clients) and an empty
/// `error`.
///
/// # Errors
/// `invalid_datetime` for a time outside the years 0001-9999.
pub fn bulk_manifest(
    transaction_time: Timestamp,
    request: &str,
    outputs: &[(&str, String)],
    states: &[String],
) -> Result<Value> {
    let output: Vec<Value> = outputs
        .iter()
        .map(|(ty, url)| {
            let mut o = json!({ "type": ty, "url": url });
            if !states.is_empty() {
                o["extension"] = json!({ "state": states });
            }
            o
        })
        .collect();
    Ok(json!({
        "transactionTime": instant_text(transaction_time, "transactionTime")?,
        "request": request,
        "output": output,
        "error": [],
    }))
}

/// `resources` as NDJSON: one minified resource per line, each line ended
/// by `\n`.
#[must_use]
pub fn ndjson(resources: &[Value]) -> String {
    let mut out = String::new();
    for r in resources {
        out.push_str(&r.to_string());
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(s: &str) -> Timestamp {
        s.parse().unwrap()
    }

    #[test]
    fn location_ids_are_stable_short_and_distinct() {
        let a = location_id("Main St Clinic");
        assert_eq!(a, location_id("Main St Clinic"));
        assert_ne!(a, location_id("main st clinic"));
        assert!(a.starts_with("main-st-clinic-"));
        let long = location_id(&"Ward ".repeat(100));
        assert!(long.len() <= 64 && crate::id::is_id(&long), "{long}");
        let odd = location_id("Zürich — Ärztehaus");
        assert!(
            crate::id::is_id(&odd) && odd.starts_with("z-rich-rztehaus-"),
            "{odd}"
        );
        assert!(location_id("***").starts_with("loc-"));
    }

    #[test]
    fn location_writes_address_and_telecom() {
        let bare = location_to_fhir(&FhirLocation::new("Room 2")).unwrap();
        assert_eq!(bare["address"], json!({"text": "Room 2"}));
        assert!(bare.get("telecom").is_none());
        assert_eq!(bare["identifier"][0]["value"], "Room 2");
        let a = Address {
            line: vec!["1 Main St".into()],
            city: "Springfield".into(),
            state: "MA".into(),
            postal_code: "01101".into(),
            district: None,
        };
        let l = FhirLocation::new("Main").with_contact(
            Some(a),
            Some("555-0100".into()),
            Some("https://x.example".into()),
        );
        let v = location_to_fhir(&l).unwrap();
        assert_eq!(v["address"]["postalCode"], "01101");
        assert!(v["address"].get("district").is_none());
        assert_eq!(
            v["telecom"][1],
            json!({"system": "url", "value": "https://x.example"})
        );
        assert!(location_to_fhir(&FhirLocation::new(" ")).is_err());
    }

    #[test]
    fn schedule_has_one_location_actor() {
        let v = published_schedule("P1", "loc-1", &["gp".into()]).unwrap();
        assert_eq!(v["actor"], json!([{"reference": "Location/loc-1"}]));
        assert_eq!(v["serviceType"][0]["coding"][0]["code"], "gp");
        let none = published_schedule("P1", "loc-1", &[]).unwrap();
        assert_eq!(none["serviceType"][0]["text"], "Appointment");
        assert!(published_schedule("P_1", "loc-1", &[]).is_err());
    }

    #[test]
    fn slots_carry_links_only_when_given() {
        let (a, b) = (t("2030-01-09T14:00:00Z"), t("2030-01-09T14:30:00Z"));
        let busy = published_slot(&PublishedSlot::busy("P1", a, b)).unwrap();
        assert_eq!(busy["status"], "busy");
        assert!(busy.get("extension").is_none());
        let free = PublishedSlot::free("P1", a, b);
        let link = deep_link(
            "https://b.example/{schedule}?slot={slot}&at={start}",
            &free.slot,
        );
        assert_eq!(
            link,
            "https://b.example/P1?slot=P1-1894197600&at=2030-01-09T14%3A00%3A00Z"
        );
        let v = published_slot(&free.with_deep_link(link).with_phone(Some("555".into()))).unwrap();
        assert_eq!(v["extension"][1]["url"], EXT_BOOKING_PHONE);
        let long = PublishedSlot::free(&"p".repeat(60), a, b);
        assert!(published_slot(&long).is_err());
    }

    #[test]
    fn manifest_and_ndjson() {
        let m = bulk_manifest(
            t("2030-01-01T00:00:00Z"),
            "http://h/$bulk-publish",
            &[("Location", "http://h/l".into())],
            &[],
        )
        .unwrap();
        assert_eq!(m["transactionTime"], "2030-01-01T00:00:00Z");
        assert_eq!(m["output"][0]["type"], "Location");
        assert!(m["output"][0].get("extension").is_none());
        let ma = bulk_manifest(
            t("2030-01-01T00:00:00Z"),
            "http://h/$bulk-publish",
            &[("Slot", "http://h/s".into())],
            &["MA".into()],
        )
        .unwrap();
        assert_eq!(ma["output"][0]["extension"], json!({"state": ["MA"]}));
        assert_eq!(m["error"], json!([]));
        assert_eq!(
            ndjson(&[json!({"a": 1}), json!({"b": 2})]),
            "{\"a\":1}\n{\"b\":2}\n"
        );
    }
}
