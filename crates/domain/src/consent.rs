//! Consent to share, per recipient organisation: what may be shared and until when, or a
//! refusal. Sharing without consent is lawful where safeguarding requires it, but only by a
//! permitted role, with a recorded legal basis and justification; it is flagged in the audit
//! trail and shown on the record.

use crate::validation::FieldErrors;
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

/// What a receiving service may see beyond the minimum every recipient sees (the person's first
/// name, area, age, needs, tier, risk level, and how it is safe to contact them).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Share {
    /// Full name, previous names, date of birth, address and postcode.
    Identity,
    /// The incident: crime, date, police reference, notes.
    Incident,
    /// Perpetrators and their relationship.
    Perpetrators,
    /// Children in the household.
    Children,
    /// The risk checklist answers and score, and the MARAC criteria.
    RiskAssessment,
    /// Language, disability and other details.
    Circumstances,
}

impl Share {
    pub const ALL: [Share; 6] = [
        Share::Identity,
        Share::Incident,
        Share::Perpetrators,
        Share::Children,
        Share::RiskAssessment,
        Share::Circumstances,
    ];

    pub fn slug(self) -> &'static str {
        match self {
            Share::Identity => "identity",
            Share::Incident => "incident",
            Share::Perpetrators => "perpetrators",
            Share::Children => "children",
            Share::RiskAssessment => "risk_assessment",
            Share::Circumstances => "circumstances",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Share::Identity => "Full name, date of birth and address",
            Share::Incident => "What happened: the incident and police reference",
            Share::Perpetrators => "Who harmed them",
            Share::Children => "Children in the household",
            Share::RiskAssessment => "The risk assessment and MARAC criteria",
            Share::Circumstances => "Language, disability and other circumstances",
        }
    }

    pub fn from_slug(s: &str) -> Option<Share> {
        Share::ALL.into_iter().find(|x| x.slug() == s)
    }
}

/// The lawful bases for sharing without consent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LegalBasis {
    /// UK GDPR Art. 9(2)(g) with DPA 2018 Sch. 1 para. 18: safeguarding of children and
    /// individuals at risk.
    Safeguarding,
    /// A MARAC referral for a high-risk victim.
    Marac,
    /// To prevent or detect crime (DPA 2018 Sch. 1 para. 10).
    PreventingCrime,
}

impl LegalBasis {
    pub const ALL: [LegalBasis; 3] = [
        LegalBasis::Safeguarding,
        LegalBasis::Marac,
        LegalBasis::PreventingCrime,
    ];

    pub fn slug(self) -> &'static str {
        match self {
            LegalBasis::Safeguarding => "safeguarding",
            LegalBasis::Marac => "marac",
            LegalBasis::PreventingCrime => "preventing_crime",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            LegalBasis::Safeguarding => {
                "Safeguarding a child or an individual at risk (UK GDPR Art. 9(2)(g), DPA 2018 Sch. 1 para. 18)"
            }
            LegalBasis::Marac => "MARAC referral for a high-risk victim",
            LegalBasis::PreventingCrime => {
                "Preventing or detecting crime (DPA 2018 Sch. 1 para. 10)"
            }
        }
    }

    pub fn from_slug(s: &str) -> Option<LegalBasis> {
        LegalBasis::ALL.into_iter().find(|x| x.slug() == s)
    }
}

/// The decision recorded for one recipient organisation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "decision", rename_all = "snake_case")]
pub enum Consent {
    Given {
        shares: Vec<Share>,
        until: Option<NaiveDate>,
    },
    Refused,
    /// Shared without consent on a recorded legal basis.
    Override {
        basis: LegalBasis,
        justification: String,
        shares: Vec<Share>,
    },
}

impl Consent {
    pub fn slug(&self) -> &'static str {
        match self {
            Consent::Given { .. } => "given",
            Consent::Refused => "refused",
            Consent::Override { .. } => "override",
        }
    }

    /// Whether a referral may be sent under this decision on `today`.
    pub fn permits_referral(&self, today: NaiveDate) -> bool {
        match self {
            Consent::Given { until, .. } => until.is_none_or(|u| today <= u),
            Consent::Refused => false,
            Consent::Override { .. } => true,
        }
    }

    /// What the recipient may see, beyond the minimum, once it has taken the person on.
    pub fn shares(&self, today: NaiveDate) -> Vec<Share> {
        match self {
            Consent::Given { shares, until } if until.is_none_or(|u| today <= u) => shares.clone(),
            Consent::Override { shares, .. } => shares.clone(),
            _ => Vec::new(),
        }
    }
}

/// The consent form as submitted, for one organisation.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(default)]
pub struct ConsentInput {
    /// given | refused | override
    pub decision: String,
    pub shares: Vec<String>,
    /// YYYY-MM-DD, optional
    pub until: String,
    pub basis: String,
    pub justification: String,
}

impl ConsentInput {
    /// Checks the decision; `may_override` says whether the actor's role may share without
    /// consent. Errors are named under `prefix`.
    pub fn validate(
        &self,
        prefix: &str,
        today: NaiveDate,
        may_override: bool,
        errors: &mut FieldErrors,
    ) -> Option<Consent> {
        let at = |f: &str| format!("{prefix}{f}");
        crate::validation::check_fields(
            &[(
                &at("justification"),
                "The justification",
                &self.justification,
                true,
            )],
            errors,
        );
        let mut shares = Vec::new();
        for s in &self.shares {
            match Share::from_slug(s) {
                Some(x) if !shares.contains(&x) => shares.push(x),
                Some(_) => {}
                None => errors.add(&at("shares"), "Choose what may be shared from the list"),
            }
        }
        shares.sort();
        match self.decision.as_str() {
            "given" => {
                let until = match self.until.trim() {
                    "" => None,
                    t => match NaiveDate::parse_from_str(t, "%Y-%m-%d") {
                        Ok(d) if d >= today => Some(d),
                        Ok(_) => {
                            errors.add(
                                &at("until"),
                                "The date consent lasts until must be today or later",
                            );
                            return None;
                        }
                        Err(_) => {
                            errors.add(
                                &at("until"),
                                "Enter the date consent lasts until, like 2027-05-31",
                            );
                            return None;
                        }
                    },
                };
                Some(Consent::Given { shares, until })
            }
            "refused" => Some(Consent::Refused),
            "override" => {
                if !may_override {
                    errors.add(
                        &at("decision"),
                        "Your role cannot share without consent; ask a triage officer or MARAC coordinator",
                    );
                    return None;
                }
                let basis = LegalBasis::from_slug(&self.basis);
                if basis.is_none() {
                    errors.add(
                        &at("basis"),
                        "Choose the legal basis for sharing without consent",
                    );
                }
                let justification = self.justification.trim();
                if justification.chars().count() < 20 {
                    errors.add(
                        &at("justification"),
                        "Say why sharing without consent is necessary and proportionate (at least 20 characters)",
                    );
                }
                if justification.chars().count() > 2000 {
                    errors.add(
                        &at("justification"),
                        "The justification must be 2,000 characters or fewer",
                    );
                }
                Some(Consent::Override {
                    basis: basis?,
                    justification: justification.to_owned(),
                    shares,
                })
                .filter(|_| (20..=2000).contains(&justification.chars().count()))
            }
            _ => {
                errors.add(
                    &at("decision"),
                    "Say whether the person consented to this referral, refused, or why it is shared without consent",
                );
                None
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn today() -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 11, 23).unwrap()
    }

    fn input(decision: &str) -> ConsentInput {
        ConsentInput {
            decision: decision.into(),
            shares: vec!["identity".into(), "incident".into()],
            ..Default::default()
        }
    }

    #[test]
    fn given_consent_lasts_until_its_date() {
        let mut e = FieldErrors::new();
        let mut i = input("given");
        i.until = "2026-12-31".into();
        let c = i.validate("c/", today(), false, &mut e).unwrap();
        assert!(e.is_empty());
        assert!(c.permits_referral(today()));
        assert_eq!(c.shares(today()), vec![Share::Identity, Share::Incident]);
        let later = NaiveDate::from_ymd_opt(2027, 1, 1).unwrap();
        assert!(!c.permits_referral(later));
        assert!(c.shares(later).is_empty(), "nothing shared once it lapses");
    }

    #[test]
    fn a_refusal_stops_the_referral() {
        let mut e = FieldErrors::new();
        let c = input("refused")
            .validate("c/", today(), false, &mut e)
            .unwrap();
        assert!(!c.permits_referral(today()));
        assert!(c.shares(today()).is_empty());
    }

    #[test]
    fn an_override_needs_the_role_a_basis_and_a_justification() {
        let mut e = FieldErrors::new();
        assert!(
            input("override")
                .validate("c/", today(), false, &mut e)
                .is_none()
        );
        assert!(
            e.get("c/decision")
                .unwrap()
                .contains("cannot share without consent")
        );
        let mut e = FieldErrors::new();
        assert!(
            input("override")
                .validate("c/", today(), true, &mut e)
                .is_none()
        );
        assert!(e.get("c/basis").is_some());
        assert!(e.get("c/justification").is_some());
        let mut ok = input("override");
        ok.basis = "safeguarding".into();
        ok.justification = "Children at immediate risk; the perpetrator has returned home.".into();
        let mut e = FieldErrors::new();
        let c = ok.validate("c/", today(), true, &mut e).unwrap();
        assert!(e.is_empty(), "{e}");
        assert!(c.permits_referral(today()));
    }

    #[test]
    fn a_decision_must_be_made() {
        let mut e = FieldErrors::new();
        assert!(input("").validate("c/", today(), true, &mut e).is_none());
        assert!(e.get("c/decision").is_some());
        let mut past = input("given");
        past.until = "2020-01-01".into();
        let mut e = FieldErrors::new();
        assert!(past.validate("c/", today(), true, &mut e).is_none());
        assert!(e.get("c/until").is_some());
    }
}
