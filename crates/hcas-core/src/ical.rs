//! An RFC 5545 (iCalendar) writer: bookings as `VEVENT`s in a `VCALENDAR`
//! with `METHOD:PUBLISH`, times in the calendar's zone (or an event's own,
//! [`Event::in_zone`]) with a generated `VTIMEZONE` for every zone used.
//!
//! Pure: `DTSTAMP` is passed in, nothing reads a clock. Times are written as
//! local wall time with `TZID` (or as UTC with `Z` when the zone is `UTC`),
//! text is escaped (RFC 5545 3.3.11), lines are folded at 75 octets without
//! splitting a UTF-8 character (3.1) and end in CRLF.
//!
//! ```
//! use hcas_core::ical::{Calendar, Event, EventStatus};
//! use hcas_core::{Interval, Zone};
//!
//! let slot = Interval::parse("2027-03-15T13:00:00Z", "2027-03-15T13:30:00Z")?;
//! let event = Event::new("a1", slot, "Appointment", "2027-03-01T00:00:00Z".parse()?)
//!     .status(EventStatus::Confirmed);
//! let text = Calendar::new(Zone::parse("America/New_York")?).event(event).to_ics();
//! // 13:00Z is 09:00 EDT (the clocks went forward on 14 March).
//! assert!(text.contains("DTSTART;TZID=America/New_York:20270315T090000\r\n"));
//! assert!(text.contains("BEGIN:DAYLIGHT\r\n"));
//! # Ok::<(), hcas_core::Error>(())
//! ```

use std::fmt::Write as _;

use chrono::NaiveDateTime;

use crate::booking::Status;
use crate::time::Interval;
use crate::{RRule, Timestamp, Zone};

/// The `PRODID` hcas writes.
pub const PRODID: &str = "-//hcas//hcas scheduling engine//EN";

/// Longest content line, in octets, before folding (RFC 5545 3.1).
const LINE_OCTETS: usize = 75;

/// A `VEVENT`'s `STATUS` (RFC 5545 3.8.1.11).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EventStatus {
    /// `TENTATIVE`: held or awaiting confirmation.
    Tentative,
    /// `CONFIRMED`: booked (or taking place, or done).
    Confirmed,
    /// `CANCELLED`: cancelled, a no-show, or entered in error.
    Cancelled,
}

impl EventStatus {
    /// The status an appointment in `status` is shown with.
    #[must_use]
    pub fn of(status: Status) -> Self {
        match status {
            Status::Proposed | Status::Pending | Status::Held | Status::Waitlist => Self::Tentative,
            Status::Cancelled | Status::Noshow | Status::EnteredInError => Self::Cancelled,
            _ => Self::Confirmed,
        }
    }

    fn as_str(self) -> &'static str {
        match self {
            Self::Tentative => "TENTATIVE",
            Self::Confirmed => "CONFIRMED",
            Self::Cancelled => "CANCELLED",
        }
    }
}

/// One `VEVENT`: an appointment, or a recurring series with `RRULE`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Event {
    uid: String,
    slot: Interval,
    summary: String,
    dtstamp: Timestamp,
    status: EventStatus,
    sequence: i64,
    location: Option<String>,
    rrule: Option<RRule>,
    exdates: Vec<Timestamp>,
    recurrence_id: Option<Timestamp>,
    zone: Option<Zone>,
    covers: Option<Timestamp>,
}

impl Event {
    /// An event for `slot`; `uid` is made globally unique with `@hcas`.
    #[must_use]
    pub fn new(
        uid: impl Into<String>,
        slot: Interval,
        summary: impl Into<String>,
        dtstamp: Timestamp,
    ) -> Self {
        Self {
            uid: uid.into(),
            slot,
            summary: summary.into(),
            dtstamp,
            status: EventStatus::Confirmed,
            sequence: 0,
            location: None,
            rrule: None,
            exdates: Vec::new(),
            recurrence_id: None,
            zone: None,
            covers: None,
        }
    }

    /// Write this event's times in `zone` rather than the calendar's; the
    /// calendar then carries a `VTIMEZONE` for it too.
    #[must_use]
    pub fn in_zone(mut self, zone: Zone) -> Self {
        self.zone = Some(zone);
        self
    }

    /// Make its zone's `VTIMEZONE` cover offsets up to `until` (a recurring
    /// event's last occurrence, later than its own start).
    #[must_use]
    pub fn covers_until(mut self, until: Timestamp) -> Self {
        self.covers = Some(until);
        self
    }

    /// Set `STATUS`.
    #[must_use]
    pub fn status(mut self, status: EventStatus) -> Self {
        self.status = status;
        self
    }

    /// Set `SEQUENCE` (a revision count; negative values are written as 0).
    #[must_use]
    pub fn sequence(mut self, sequence: i64) -> Self {
        self.sequence = sequence.max(0);
        self
    }

    /// Set `LOCATION`.
    #[must_use]
    pub fn location(mut self, location: impl Into<String>) -> Self {
        self.location = Some(location.into());
        self
    }

    /// Make the event recur by `rule` from its start, in the calendar's zone
    /// (wall time kept across DST), less the instants in `exdates`.
    #[must_use]
    pub fn recurring(mut self, rule: RRule, exdates: Vec<Timestamp>) -> Self {
        self.rrule = Some(rule);
        self.exdates = exdates;
        self
    }

    /// Mark this event as the override of one occurrence of a recurring event
    /// with the same uid, originally starting at `original`.
    #[must_use]
    pub fn recurrence_id(mut self, original: Timestamp) -> Self {
        self.recurrence_id = Some(original);
        self
    }
}

/// A `VCALENDAR` with `METHOD:PUBLISH`: events in its zone or their own.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Calendar {
    zone: Zone,
    name: Option<String>,
    events: Vec<Event>,
    cover_until: Option<Timestamp>,
}

impl Calendar {
    /// An empty calendar whose times are written in `zone`.
    #[must_use]
    pub fn new(zone: Zone) -> Self {
        Self {
            zone,
            name: None,
            events: Vec::new(),
            cover_until: None,
        }
    }

    /// Set the display name (`X-WR-CALNAME`, read by most clients).
    #[must_use]
    pub fn name(mut self, name: impl Into<String>) -> Self {
        self.name = Some(name.into());
        self
    }

    /// Add an event.
    #[must_use]
    pub fn event(mut self, event: Event) -> Self {
        self.events.push(event);
        self
    }

    /// Make the `VTIMEZONE` cover offsets up to `until` (for recurring events
    /// whose last occurrence is later than any event's own start).
    #[must_use]
    pub fn cover_until(mut self, until: Timestamp) -> Self {
        self.cover_until = Some(until);
        self
    }

    /// The calendar as RFC 5545 text: CRLF line ends, folded lines.
    #[must_use]
    pub fn to_ics(&self) -> String {
        let mut out = String::new();
        let mut line = |s: &str| push_line(&mut out, s);
        line("BEGIN:VCALENDAR");
        line(&format!("PRODID:{PRODID}"));
        line("VERSION:2.0");
        line("CALSCALE:GREGORIAN");
        line("METHOD:PUBLISH");
        if let Some(name) = &self.name {
            line(&format!("X-WR-CALNAME:{}", escape_text(name)));
        }
        for (zone, lo, hi) in self.spans() {
            for l in vtimezone(zone, lo, hi) {
                line(&l);
            }
        }
        for e in &self.events {
            for l in self.vevent(e) {
                line(&l);
            }
        }
        line("END:VCALENDAR");
        out
    }

    /// The zone an event's times are written in.
    fn zone_of(&self, e: &Event) -> Zone {
        e.zone.unwrap_or(self.zone)
    }

    /// Every zone the events use but UTC, by name, with the instants its
    /// `VTIMEZONE` must cover.
    fn spans(&self) -> Vec<(Zone, Timestamp, Timestamp)> {
        let mut out: Vec<(Zone, Timestamp, Timestamp)> = Vec::new();
        for e in &self.events {
            let zone = self.zone_of(e);
            if zone.is_utc() {
                continue;
            }
            let mut hi = e.covers.map_or(e.slot.end(), |c| c.max(e.slot.end()));
            if zone == self.zone {
                hi = self.cover_until.map_or(hi, |c| c.max(hi));
            }
            match out.iter_mut().find(|(z, _, _)| *z == zone) {
                Some((_, l, h)) => {
                    *l = (*l).min(e.slot.start());
                    *h = (*h).max(hi);
                }
                None => out.push((zone, e.slot.start(), hi)),
            }
        }
        out.sort_by_key(|(z, _, _)| z.name());
        out
    }

    fn time(zone: Zone, name: &str, t: Timestamp) -> String {
        if zone.is_utc() {
            format!("{name}:{}", utc(t))
        } else {
            let local = zone.to_local(t);
            format!("{name};TZID={}:{}", zone.name(), local_text(local))
        }
    }

    fn vevent(&self, e: &Event) -> Vec<String> {
        let zone = self.zone_of(e);
        let mut v = vec![
            "BEGIN:VEVENT".to_owned(),
            format!("UID:{}@hcas", escape_text(&e.uid)),
            format!("DTSTAMP:{}", utc(e.dtstamp)),
            Self::time(zone, "DTSTART", e.slot.start()),
            Self::time(zone, "DTEND", e.slot.end()),
        ];
        if let Some(r) = e.recurrence_id {
            v.push(Self::time(zone, "RECURRENCE-ID", r));
        }
        if let Some(rule) = &e.rrule {
            v.push(format!("RRULE:{rule}"));
        }
        v.extend(e.exdates.iter().map(|x| Self::time(zone, "EXDATE", *x)));
        v.push(format!("SUMMARY:{}", escape_text(&e.summary)));
        if let Some(l) = &e.location {
            v.push(format!("LOCATION:{}", escape_text(l)));
        }
        v.push(format!("STATUS:{}", e.status.as_str()));
        v.push(format!("SEQUENCE:{}", e.sequence));
        v.push("TRANSP:OPAQUE".to_owned());
        v.push("END:VEVENT".to_owned());
        v
    }
}

/// One booked occurrence of a series, for [`series_events`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Occurrence {
    /// Its original local start in the calendar's zone (`RECURRENCE-ID`).
    pub recurrence_id: NaiveDateTime,
    /// When it is now.
    pub slot: Interval,
    /// Its status; cancelled occurrences become `EXDATE`s.
    pub status: EventStatus,
    /// Its revision (`SEQUENCE`).
    pub sequence: i64,
}

/// A series' occurrences as ONE recurring event where they lie on a daily
/// or weekly grid of local wall time in `zone` (same time of day): `RRULE`
/// with `COUNT`, `EXDATE` for cancelled occurrences and gaps, and an
/// override (`RECURRENCE-ID`) for each occurrence moved or resized. Else (one
/// occurrence, or no grid) one event per occurrence, uid `<uid>.<n>`. Every
/// event is in `zone` ([`Event::in_zone`]) and the master covers the last
/// occurrence, so the events can join a calendar of another zone. The last
/// end is returned too, for [`Calendar::cover_until`].
///
/// # Errors
/// `invalid_rrule` only if the inferred rule were refused (it is not for
/// counts up to the engine's limits).
pub fn series_events(
    uid: &str,
    zone: Zone,
    occurrences: &[Occurrence],
    summary: &str,
    dtstamp: Timestamp,
) -> crate::Result<(Vec<Event>, Option<Timestamp>)> {
    let mut occ: Vec<&Occurrence> = occurrences.iter().collect();
    occ.sort_by_key(|o| o.recurrence_id);
    let last = occ.iter().map(|o| o.slot.end()).max();
    let Some(grid) = grid(&occ) else {
        let events = occ
            .iter()
            .enumerate()
            .map(|(i, o)| {
                Event::new(format!("{uid}.{i}"), o.slot, summary, dtstamp)
                    .status(o.status)
                    .sequence(o.sequence)
                    .in_zone(zone)
            })
            .collect();
        return Ok((events, last));
    };
    let first = occ[0];
    let length = first.slot.end() - first.slot.start();
    let nominal = |rid: NaiveDateTime| {
        let s = zone.resolve(rid);
        s.plus_seconds(length.num_seconds())
            .and_then(|e| Interval::new(s, e))
    };
    let date0 = first.recurrence_id.date();
    let count = (occ[occ.len() - 1].recurrence_id.date() - date0).num_days() / grid.0 + 1;
    let freq = if grid.0 % 7 == 0 {
        format!("FREQ=WEEKLY;INTERVAL={}", grid.0 / 7)
    } else {
        format!("FREQ=DAILY;INTERVAL={}", grid.0)
    };
    let rule: RRule = format!("{freq};COUNT={count}").parse()?;
    let live: Vec<&&Occurrence> = occ
        .iter()
        .filter(|o| o.status != EventStatus::Cancelled)
        .collect();
    let mut exdates = Vec::new();
    for k in 0..count {
        let rid = first.recurrence_id + chrono::TimeDelta::days(k * grid.0);
        if !live.iter().any(|o| o.recurrence_id == rid) {
            exdates.push(zone.resolve(rid));
        }
    }
    let master = Event::new(uid, nominal(first.recurrence_id)?, summary, dtstamp)
        .status(EventStatus::Confirmed)
        .sequence(occ.iter().map(|o| o.sequence).max().unwrap_or(0))
        .recurring(rule, exdates)
        .in_zone(zone);
    let master = match last {
        Some(l) => master.covers_until(l),
        None => master,
    };
    let mut events = vec![master];
    for o in live {
        if o.slot != nominal(o.recurrence_id)? || o.status != EventStatus::Confirmed {
            events.push(
                Event::new(uid, o.slot, summary, dtstamp)
                    .status(o.status)
                    .sequence(o.sequence)
                    .recurrence_id(zone.resolve(o.recurrence_id))
                    .in_zone(zone),
            );
        }
    }
    Ok((events, last))
}

/// The day step of a grid the occurrences lie on (same local time, dates a
/// multiple of it apart), if there are at least two and they do.
fn grid(occ: &[&Occurrence]) -> Option<(i64,)> {
    let first = occ.first()?;
    if occ.len() < 2
        || occ
            .iter()
            .any(|o| o.recurrence_id.time() != first.recurrence_id.time())
    {
        return None;
    }
    let days = |o: &Occurrence| (o.recurrence_id.date() - first.recurrence_id.date()).num_days();
    let step = occ[1..].iter().map(|o| days(o)).fold(0, gcd);
    // A sparse grid (more gaps than occurrences) would be mostly EXDATEs.
    let slots = occ.last().map_or(0, |l| days(l)) / step.max(1) + 1;
    let dense = usize::try_from(slots).is_ok_and(|n| n <= 2 * occ.len());
    (step > 0 && dense).then_some((step,))
}

fn gcd(a: i64, b: i64) -> i64 {
    if b == 0 { a } else { gcd(b, a % b) }
}

/// Escape a TEXT value (RFC 5545 3.3.11): backslash, `;`, `,` and newlines.
#[must_use]
pub fn escape_text(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            ';' => out.push_str("\\;"),
            ',' => out.push_str("\\,"),
            '\n' => out.push_str("\\n"),
            '\r' => {}
            c => out.push(c),
        }
    }
    out
}

/// Fold one content line at 75 octets (continuations start with a space,
/// which counts toward their 75), never inside a UTF-8 character; CRLF ends.
#[must_use]
pub fn fold(line: &str) -> String {
    let mut out = String::with_capacity(line.len() + line.len() / 70 * 3 + 2);
    let mut used = 0;
    for c in line.chars() {
        if used + c.len_utf8() > LINE_OCTETS {
            out.push_str("\r\n ");
            used = 1;
        }
        out.push(c);
        used += c.len_utf8();
    }
    out.push_str("\r\n");
    out
}

fn push_line(out: &mut String, line: &str) {
    out.push_str(&fold(line));
}

fn utc(t: Timestamp) -> String {
    t.naive_utc().format("%Y%m%dT%H%M%SZ").to_string()
}

fn local_text(t: NaiveDateTime) -> String {
    t.format("%Y%m%dT%H%M%S").to_string()
}

/// `+HHMM` (or `+HHMMSS` when seconds are not zero).
fn offset_text(secs: i32) -> String {
    let sign = if secs < 0 { '-' } else { '+' };
    let a = secs.unsigned_abs();
    let (h, m, s) = (a / 3600, a / 60 % 60, a % 60);
    let mut out = format!("{sign}{h:02}{m:02}");
    if s != 0 {
        let _ = write!(out, "{s:02}");
    }
    out
}

/// An offset change: the first instant of the new offset.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Transition {
    at: i64,
    from: i32,
    to: i32,
}

/// Offset changes of `zone` in `(lo, hi]`, by sampling every 6 days (tzdb's
/// changes are further apart, see `zone.rs`) and bisecting to the second.
fn transitions(zone: Zone, lo: i64, hi: i64) -> Vec<Transition> {
    const STEP: i64 = 6 * 86_400;
    let off = |t: i64| Timestamp::from_unix(t).map_or(0, |t| zone.offset_at(t));
    let mut found = Vec::new();
    let mut a = lo;
    while a < hi {
        let b = (a + STEP).min(hi);
        let (oa, ob) = (off(a), off(b));
        if oa != ob {
            let (mut l, mut h) = (a, b);
            while h - l > 1 {
                let m = l + (h - l) / 2;
                if off(m) == oa { l = m } else { h = m }
            }
            found.push(Transition {
                at: h,
                from: oa,
                to: ob,
            });
        }
        a = b;
    }
    found
}

/// Whether `zone` observes daylight saving time at unix second `t`, and the
/// abbreviation then.
fn observance(zone: Zone, t: i64) -> (bool, Option<String>) {
    let o = zone.observance_at(Timestamp::clamped(t));
    (o.dst_offset != 0, o.abbreviation)
}

/// A `VTIMEZONE` for `zone` valid from a year before `lo` to `hi`: one
/// observance for the offset in force then, and one per change after.
fn vtimezone(zone: Zone, lo: Timestamp, hi: Timestamp) -> Vec<String> {
    const YEAR: i64 = 366 * 86_400;
    let start = lo.unix() - YEAR;
    let first = zone.offset_at(Timestamp::from_unix(start).unwrap_or(lo));
    let mut v = vec![
        "BEGIN:VTIMEZONE".to_owned(),
        format!("TZID:{}", zone.name()),
    ];
    let mut add = |at: i64, from: i32, to: i32| {
        let (dst, name) = observance(zone, at);
        let kind = if dst { "DAYLIGHT" } else { "STANDARD" };
        v.push(format!("BEGIN:{kind}"));
        let local = crate::time::naive_from_secs(at + i64::from(from));
        v.push(format!("DTSTART:{}", local_text(local)));
        v.push(format!("TZOFFSETFROM:{}", offset_text(from)));
        v.push(format!("TZOFFSETTO:{}", offset_text(to)));
        if let Some(n) = name {
            v.push(format!("TZNAME:{}", escape_text(&n)));
        }
        v.push(format!("END:{kind}"));
    };
    add(start, first, first);
    for t in transitions(zone, start, hi.unix()) {
        add(t.at, t.from, t.to);
    }
    v.push("END:VTIMEZONE".to_owned());
    v
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ts(s: &str) -> Timestamp {
        s.parse().expect("a timestamp")
    }

    fn slot(a: &str, b: &str) -> Interval {
        Interval::parse(a, b).expect("an interval")
    }

    #[test]
    fn text_escaping_follows_rfc5545_3_3_11() {
        // RFC 5545 3.3.11: `\\` `\;` `\,` and `\n` for a line break.
        assert_eq!(
            escape_text("Dr. O'Neil; room 2, floor\\3\r\nback"),
            "Dr. O'Neil\\; room 2\\, floor\\\\3\\nback"
        );
    }

    #[test]
    fn folding_keeps_lines_at_75_octets_and_utf8_whole() {
        let long = format!("SUMMARY:{}", "é".repeat(80)); // 8 + 160 octets
        let folded = fold(&long);
        assert!(folded.ends_with("\r\n"));
        let lines: Vec<&str> = folded.trim_end_matches("\r\n").split("\r\n").collect();
        assert!(lines.len() > 1);
        for (i, l) in lines.iter().enumerate() {
            assert!(l.len() <= 75, "line {i} has {} octets", l.len());
            assert_eq!(i > 0, l.starts_with(' '));
        }
        // Unfolding (drop CRLF + one space) gives the line back.
        let unfolded: String = lines
            .iter()
            .enumerate()
            .map(|(i, l)| if i == 0 { *l } else { &l[1..] })
            .collect();
        assert_eq!(unfolded, long);
        // The first line holds 8 ASCII octets and 33 two-octet characters (74);
        // a 34th would make 76.
        assert_eq!(lines[0].len(), 74);
        assert_eq!(
            fold("A".repeat(75).as_str()),
            format!("{}\r\n", "A".repeat(75))
        );
    }

    #[test]
    fn offsets_are_written_as_rfc5545_utc_offsets() {
        assert_eq!(offset_text(-5 * 3600), "-0500");
        assert_eq!(offset_text(5 * 3600 + 30 * 60), "+0530");
        assert_eq!(offset_text(0), "+0000");
        assert_eq!(offset_text(-(3600 + 15 * 60 + 7)), "-011507");
    }

    #[test]
    fn new_york_2027_changes_are_found_to_the_second() {
        // US rules: second Sunday of March 02:00 EST (07:00Z), first Sunday
        // of November 02:00 EDT (06:00Z). In 2027: 14 March and 7 November.
        let ny = Zone::parse("America/New_York").expect("zone");
        let got = transitions(
            ny,
            ts("2027-01-01T00:00:00Z").unix(),
            ts("2028-01-01T00:00:00Z").unix(),
        );
        assert_eq!(
            got,
            vec![
                Transition {
                    at: ts("2027-03-14T07:00:00Z").unix(),
                    from: -18_000,
                    to: -14_400
                },
                Transition {
                    at: ts("2027-11-07T06:00:00Z").unix(),
                    from: -14_400,
                    to: -18_000
                },
            ]
        );
    }

    #[test]
    fn an_event_is_written_in_local_time_with_its_vtimezone() {
        let ny = Zone::parse("America/New_York").expect("zone");
        let e = Event::new(
            "a1",
            slot("2027-03-15T13:00:00Z", "2027-03-15T13:45:00Z"),
            "Appointment",
            ts("2027-03-01T12:00:00Z"),
        )
        .status(EventStatus::Tentative)
        .sequence(3);
        let text = Calendar::new(ny).event(e).to_ics();
        for want in [
            "BEGIN:VCALENDAR\r\nPRODID:",
            "\r\nVERSION:2.0\r\nCALSCALE:GREGORIAN\r\nMETHOD:PUBLISH\r\n",
            "\r\nTZID:America/New_York\r\n",
            // The spring change: local 02:00 EST to EDT.
            "BEGIN:DAYLIGHT\r\nDTSTART:20270314T020000\r\nTZOFFSETFROM:-0500\r\nTZOFFSETTO:-0400\r\nTZNAME:EDT\r\nEND:DAYLIGHT\r\n",
            "\r\nUID:a1@hcas\r\nDTSTAMP:20270301T120000Z\r\n",
            "DTSTART;TZID=America/New_York:20270315T090000\r\n",
            "DTEND;TZID=America/New_York:20270315T094500\r\n",
            "\r\nSTATUS:TENTATIVE\r\nSEQUENCE:3\r\n",
        ] {
            assert!(text.contains(want), "missing {want:?} in\n{text}");
        }
        assert!(text.ends_with("END:VEVENT\r\nEND:VCALENDAR\r\n"));
        assert!(!text.replace("\r\n", "").contains('\n'), "bare LF");
    }

    #[test]
    fn utc_calendars_have_no_vtimezone() {
        let e = Event::new(
            "b",
            slot("2027-01-05T10:00:00Z", "2027-01-05T11:00:00Z"),
            "x",
            ts("2027-01-01T00:00:00Z"),
        );
        let text = Calendar::new(Zone::UTC).event(e).to_ics();
        assert!(!text.contains("VTIMEZONE"));
        assert!(text.contains("\r\nDTSTART:20270105T100000Z\r\nDTEND:20270105T110000Z\r\n"));
    }

    #[test]
    fn a_series_is_one_event_with_rrule_and_exdate() {
        let ny = Zone::parse("America/New_York").expect("zone");
        let rule: RRule = "FREQ=WEEKLY;COUNT=4".parse().expect("rule");
        // Weekly 09:00 local from 7 March 2027 (EST) across the 14 March change.
        let e = Event::new(
            "s1",
            slot("2027-03-07T14:00:00Z", "2027-03-07T14:30:00Z"),
            "Appointment",
            ts("2027-03-01T00:00:00Z"),
        )
        .recurring(rule, vec![ts("2027-03-21T13:00:00Z")]);
        let text = Calendar::new(ny)
            .cover_until(ts("2027-03-28T13:30:00Z"))
            .event(e)
            .to_ics();
        assert!(text.contains("DTSTART;TZID=America/New_York:20270307T090000\r\n"));
        assert!(text.contains("\r\nRRULE:FREQ=WEEKLY;COUNT=4\r\n"));
        assert!(text.contains("\r\nEXDATE;TZID=America/New_York:20270321T090000\r\n"));
        assert!(text.contains("TZOFFSETTO:-0400"));
    }

    fn occ(rid: &str, a: &str, b: &str, status: EventStatus) -> Occurrence {
        Occurrence {
            recurrence_id: crate::time::parse_local_datetime(rid).expect("local"),
            slot: slot(a, b),
            status,
            sequence: 1,
        }
    }

    #[test]
    fn a_booked_series_becomes_rrule_exdate_and_overrides() {
        let ny = Zone::parse("America/New_York").expect("zone");
        let c = EventStatus::Confirmed;
        // Weekly 09:00 New York from 7 March 2027: EST (14:00Z), then EDT
        // (13:00Z) after 14 March. 21 March cancelled, 28 March booked 2 h
        // later, 4 April never booked (a conflict), 11 April as planned.
        let occs = [
            occ(
                "2027-03-07T09:00:00",
                "2027-03-07T14:00:00Z",
                "2027-03-07T14:30:00Z",
                c,
            ),
            occ(
                "2027-03-14T09:00:00",
                "2027-03-14T13:00:00Z",
                "2027-03-14T13:30:00Z",
                c,
            ),
            occ(
                "2027-03-21T09:00:00",
                "2027-03-21T13:00:00Z",
                "2027-03-21T13:30:00Z",
                EventStatus::Cancelled,
            ),
            occ(
                "2027-03-28T09:00:00",
                "2027-03-28T15:00:00Z",
                "2027-03-28T15:30:00Z",
                c,
            ),
            occ(
                "2027-04-11T09:00:00",
                "2027-04-11T13:00:00Z",
                "2027-04-11T13:30:00Z",
                c,
            ),
        ];
        let (events, last) =
            series_events("s1", ny, &occs, "Appointment", ts("2027-03-01T00:00:00Z"))
                .expect("events");
        assert_eq!(last, Some(ts("2027-04-11T13:30:00Z")));
        assert_eq!(events.len(), 2, "{events:?}");
        let master = &events[0];
        assert_eq!(
            master.rrule.as_ref().map(ToString::to_string).as_deref(),
            Some("FREQ=WEEKLY;COUNT=6")
        );
        assert_eq!(
            master.slot,
            slot("2027-03-07T14:00:00Z", "2027-03-07T14:30:00Z")
        );
        assert_eq!(
            master.exdates,
            [ts("2027-03-21T13:00:00Z"), ts("2027-04-04T13:00:00Z")]
        );
        let moved = &events[1];
        assert_eq!(moved.recurrence_id, Some(ts("2027-03-28T13:00:00Z")));
        assert_eq!(
            moved.slot,
            slot("2027-03-28T15:00:00Z", "2027-03-28T15:30:00Z")
        );
        assert_eq!(moved.uid, "s1");
    }

    #[test]
    fn events_in_their_own_zones_get_a_vtimezone_each() {
        let ny = Zone::parse("America/New_York").expect("zone");
        let berlin = Zone::parse("Europe/Berlin").expect("zone");
        let stamp = ts("2027-03-01T00:00:00Z");
        let a = Event::new(
            "a",
            slot("2027-03-15T13:00:00Z", "2027-03-15T13:30:00Z"),
            "x",
            stamp,
        )
        .in_zone(ny);
        let b = Event::new(
            "b",
            slot("2027-03-15T13:00:00Z", "2027-03-15T13:30:00Z"),
            "x",
            stamp,
        )
        .in_zone(berlin);
        let c = Event::new(
            "c",
            slot("2027-03-15T13:00:00Z", "2027-03-15T13:30:00Z"),
            "x",
            stamp,
        );
        let text = Calendar::new(Zone::UTC).event(a).event(b).event(c).to_ics();
        // 13:00Z: 09:00 EDT in New York (DST from 14 March), 14:00 CET in
        // Berlin (DST only from 28 March), 13:00Z for the calendar's UTC.
        assert!(text.contains("DTSTART;TZID=America/New_York:20270315T090000\r\n"));
        assert!(text.contains("DTSTART;TZID=Europe/Berlin:20270315T140000\r\n"));
        assert!(text.contains("DTSTART:20270315T130000Z\r\n"));
        assert_eq!(text.matches("BEGIN:VTIMEZONE").count(), 2);
        assert!(text.contains("TZID:America/New_York\r\n"));
        assert!(text.contains("TZID:Europe/Berlin\r\n"));
        assert!(!text.contains("TZID:UTC"));
    }

    #[test]
    fn occurrences_off_a_grid_are_separate_events() {
        let c = EventStatus::Confirmed;
        let occs = [
            occ(
                "2027-03-07T09:00:00",
                "2027-03-07T09:00:00Z",
                "2027-03-07T09:30:00Z",
                c,
            ),
            occ(
                "2027-03-08T10:00:00",
                "2027-03-08T10:00:00Z",
                "2027-03-08T10:30:00Z",
                c,
            ),
        ];
        let (events, _) =
            series_events("s2", Zone::UTC, &occs, "x", ts("2027-03-01T00:00:00Z")).expect("events");
        assert_eq!(events.len(), 2);
        assert!(events.iter().all(|e| e.rrule.is_none()));
        assert_eq!(events[1].uid, "s2.1");
        // Same time of day but 1 and 30 days apart: a daily grid of 31 with
        // 28 gaps is not worth a rule.
        let sparse = [
            occ(
                "2027-03-01T09:00:00",
                "2027-03-01T09:00:00Z",
                "2027-03-01T09:30:00Z",
                c,
            ),
            occ(
                "2027-03-02T09:00:00",
                "2027-03-02T09:00:00Z",
                "2027-03-02T09:30:00Z",
                c,
            ),
            occ(
                "2027-03-31T09:00:00",
                "2027-03-31T09:00:00Z",
                "2027-03-31T09:30:00Z",
                c,
            ),
        ];
        let (events, _) = series_events("s3", Zone::UTC, &sparse, "x", ts("2027-03-01T00:00:00Z"))
            .expect("events");
        assert_eq!(events.len(), 3);
        assert!(events.iter().all(|e| e.rrule.is_none()));
    }

    #[test]
    fn statuses_map_to_vevent_statuses() {
        assert_eq!(EventStatus::of(Status::Booked), EventStatus::Confirmed);
        assert_eq!(EventStatus::of(Status::Fulfilled), EventStatus::Confirmed);
        assert_eq!(EventStatus::of(Status::Pending), EventStatus::Tentative);
        assert_eq!(EventStatus::of(Status::Noshow), EventStatus::Cancelled);
        assert_eq!(EventStatus::of(Status::Cancelled), EventStatus::Cancelled);
    }
}
