//! The message of each notification type, per language: minijinja
//! templates (plain text, strict about undefined variables), a subject and a
//! text each. They see only [`Fields`]: the time in the patient's zone, the
//! doctor's name, the clinic (the provider's location) and a link; never a
//! diagnosis, a note or a reason for the visit.
//!
//! The language is the patient's tag, then its primary subtag (`pt-BR`,
//! `pt`), then English.

use minijinja::{Environment, UndefinedBehavior, context};

use super::kinds;

/// The languages with templates, English first (the fallback).
pub(crate) const LANGUAGES: [&str; 2] = ["en", "pt"];

/// `(type, language, subject, text)`.
const TEMPLATES: [(&str, &str, &str, &str); 12] = [
    (
        kinds::REMINDER,
        "en",
        "Reminder: appointment on {{ when }}",
        "A reminder of your appointment{% if doctor %} with {{ doctor }}{% endif %}{% if clinic %} at {{ clinic }}{% endif %} on {{ when }} ({{ zone }}).\nDetails: {{ link }}",
    ),
    (
        kinds::REMINDER,
        "pt",
        "Lembrete: consulta em {{ when }}",
        "Lembramos a sua consulta{% if doctor %} com {{ doctor }}{% endif %}{% if clinic %} em {{ clinic }}{% endif %} de {{ when }} ({{ zone }}).\nDetalhes: {{ link }}",
    ),
    (
        kinds::CREATED,
        "en",
        "Appointment booked: {{ when }}",
        "Your appointment{% if doctor %} with {{ doctor }}{% endif %}{% if clinic %} at {{ clinic }}{% endif %} is booked for {{ when }} ({{ zone }}).\nDetails: {{ link }}",
    ),
    (
        kinds::CONFIRMED,
        "en",
        "Appointment confirmed: {{ when }}",
        "Your appointment{% if doctor %} with {{ doctor }}{% endif %}{% if clinic %} at {{ clinic }}{% endif %} on {{ when }} ({{ zone }}) is confirmed.\nDetails: {{ link }}",
    ),
    (
        kinds::CANCELLED,
        "en",
        "Appointment cancelled: {{ when }}",
        "Your appointment{% if doctor %} with {{ doctor }}{% endif %} on {{ when }} ({{ zone }}) is cancelled.\nDetails: {{ link }}",
    ),
    (
        kinds::RESCHEDULED,
        "en",
        "Appointment moved to {{ when }}",
        "Your appointment{% if doctor %} with {{ doctor }}{% endif %}{% if clinic %} at {{ clinic }}{% endif %} is now on {{ when }} ({{ zone }}).\nDetails: {{ link }}",
    ),
    (
        kinds::WAITLIST_OFFERED,
        "en",
        "A time is free: {{ when }}",
        "A time{% if doctor %} with {{ doctor }}{% endif %} is free on {{ when }} ({{ zone }}) and held for you{% if expires %} until {{ expires }}{% endif %}.\nAccept it: {{ link }}",
    ),
    (
        kinds::CREATED,
        "pt",
        "Consulta marcada: {{ when }}",
        "A sua consulta{% if doctor %} com {{ doctor }}{% endif %}{% if clinic %} em {{ clinic }}{% endif %} está marcada para {{ when }} ({{ zone }}).\nDetalhes: {{ link }}",
    ),
    (
        kinds::CONFIRMED,
        "pt",
        "Consulta confirmada: {{ when }}",
        "A sua consulta{% if doctor %} com {{ doctor }}{% endif %}{% if clinic %} em {{ clinic }}{% endif %} de {{ when }} ({{ zone }}) está confirmada.\nDetalhes: {{ link }}",
    ),
    (
        kinds::CANCELLED,
        "pt",
        "Consulta cancelada: {{ when }}",
        "A sua consulta{% if doctor %} com {{ doctor }}{% endif %} de {{ when }} ({{ zone }}) foi cancelada.\nDetalhes: {{ link }}",
    ),
    (
        kinds::RESCHEDULED,
        "pt",
        "Consulta remarcada para {{ when }}",
        "A sua consulta{% if doctor %} com {{ doctor }}{% endif %}{% if clinic %} em {{ clinic }}{% endif %} passou para {{ when }} ({{ zone }}).\nDetalhes: {{ link }}",
    ),
    (
        kinds::WAITLIST_OFFERED,
        "pt",
        "Vaga disponível: {{ when }}",
        "Há uma vaga{% if doctor %} com {{ doctor }}{% endif %} em {{ when }} ({{ zone }}), reservada para si{% if expires %} até {{ expires }}{% endif %}.\nAceitar: {{ link }}",
    ),
];

/// What a template may show.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Fields {
    /// The start, in the patient's zone (`2026-03-29 09:30`).
    pub when: String,
    /// The zone's name (`Europe/Lisbon`).
    pub zone: String,
    /// The doctor's name, or empty.
    pub doctor: String,
    /// The clinic (the provider's location), or empty.
    pub clinic: String,
    /// The link to the appointment.
    pub link: String,
    /// For an offer: when the hold lapses, in the patient's zone, or empty.
    pub expires: String,
}

/// A rendered message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Message {
    /// The language used.
    pub language: &'static str,
    /// One line.
    pub subject: String,
    /// The body.
    pub text: String,
}

/// Every template, compiled once.
pub(crate) struct Templates {
    env: Environment<'static>,
}

impl std::fmt::Debug for Templates {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Templates")
    }
}

impl Templates {
    /// The built-in templates.
    ///
    /// # Errors
    /// A template that does not compile (a bug, caught by the unit tests).
    pub(crate) fn new() -> Result<Self, minijinja::Error> {
        let mut env = Environment::new();
        env.set_undefined_behavior(UndefinedBehavior::Strict);
        for (kind, lang, subject, text) in TEMPLATES {
            env.add_template_owned(format!("{kind}.{lang}.subject"), subject)?;
            env.add_template_owned(format!("{kind}.{lang}.text"), text)?;
        }
        Ok(Self { env })
    }

    /// The language of the templates for the patient's tag.
    pub(crate) fn language(tag: Option<&str>) -> &'static str {
        let tag = tag.unwrap_or("en").to_ascii_lowercase();
        let primary = tag.split('-').next().unwrap_or("en");
        LANGUAGES
            .iter()
            .find(|l| **l == tag || **l == primary)
            .copied()
            .unwrap_or("en")
    }

    /// The message of type `kind` in the language for `tag`.
    ///
    /// # Errors
    /// An unknown type or a template error.
    pub(crate) fn render(
        &self,
        kind: &str,
        tag: Option<&str>,
        f: &Fields,
    ) -> Result<Message, minijinja::Error> {
        let language = Self::language(tag);
        let ctx = context! {
            when => f.when.as_str(),
            zone => f.zone.as_str(),
            doctor => f.doctor.as_str(),
            clinic => f.clinic.as_str(),
            link => f.link.as_str(),
            expires => f.expires.as_str(),
        };
        let subject = self
            .env
            .get_template(&format!("{kind}.{language}.subject"))?
            .render(&ctx)?;
        let text = self
            .env
            .get_template(&format!("{kind}.{language}.text"))?
            .render(&ctx)?;
        Ok(Message {
            language,
            subject: subject.replace(['\r', '\n'], " "),
            text,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fields() -> Fields {
        Fields {
            when: "2026-03-29 09:30".into(),
            zone: "Europe/Lisbon".into(),
            doctor: "Dr. Ana".into(),
            clinic: String::new(),
            link: "https://h.example/appointments/a1".into(),
            expires: String::new(),
        }
    }

    #[test]
    fn every_type_renders_in_every_language() {
        let t = Templates::new().unwrap();
        for kind in kinds::ALL {
            for lang in LANGUAGES {
                let m = t.render(kind, Some(lang), &fields()).unwrap();
                assert_eq!(m.language, lang);
                assert!(m.subject.contains("2026-03-29 09:30"), "{kind} {lang}");
                assert!(m.text.contains("https://h.example/appointments/a1"));
                assert!(m.text.contains("Dr. Ana"), "{kind} {lang}: {}", m.text);
            }
        }
    }

    #[test]
    fn exact_english_created_message() {
        let t = Templates::new().unwrap();
        let m = t.render(kinds::CREATED, None, &fields()).unwrap();
        assert_eq!(m.subject, "Appointment booked: 2026-03-29 09:30");
        assert_eq!(
            m.text,
            "Your appointment with Dr. Ana is booked for 2026-03-29 09:30 (Europe/Lisbon).\n\
             Details: https://h.example/appointments/a1"
        );
    }

    #[test]
    fn language_falls_back_to_primary_then_english() {
        assert_eq!(Templates::language(Some("pt-BR")), "pt");
        assert_eq!(Templates::language(Some("PT")), "pt");
        assert_eq!(Templates::language(Some("de-AT")), "en");
        assert_eq!(Templates::language(None), "en");
        let t = Templates::new().unwrap();
        assert!(t.render("appointment.unknown", None, &fields()).is_err());
    }
}
