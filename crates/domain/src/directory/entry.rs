//! A service's entry as a person edits it: every field checked and reported against itself,
//! then read into the directory's types.

use super::*;
use crate::validation::FieldErrors;

/// The fields of a service entry as a person edits them (all text, as typed).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct ServiceInput {
    pub name: String,
    pub description: String,
    pub status: String,
    pub url: String,
    pub email: String,
    pub alert: String,
    pub minimum_age: String,
    pub maximum_age: String,
    pub gender: String,
    pub crime_categories: Vec<String>,
    pub tiers: Vec<String>,
    pub needs: Vec<String>,
    pub areas: Vec<String>,
    pub referral_route: String,
    /// Where referrals go by email or phone: a professional line, kept confidential.
    pub referral_email: String,
    pub referral_phone: String,
    /// A number the public may call, published.
    pub public_phone: String,
    pub capacity_unit: String,
}

/// A service entry that passed validation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServiceEntry {
    pub name: String,
    pub description: String,
    pub status: ServiceStatus,
    pub url: Option<String>,
    pub email: Option<String>,
    pub alert: Option<String>,
    pub eligibility: Eligibility,
    pub areas: Vec<String>,
    pub referral_route: ReferralRoute,
    pub referral_email: Option<String>,
    pub referral_phone: Option<String>,
    pub public_phone: Option<String>,
    pub capacity_unit: Option<String>,
}

fn optional(text: &str) -> Option<String> {
    let t = text.trim();
    (!t.is_empty()).then(|| t.to_owned())
}

/// A phone number as people write them in the UK: digits, spaces, and an optional leading +.
pub fn is_phone_number(text: &str) -> bool {
    let t = text.trim();
    let digits = t.chars().filter(char::is_ascii_digit).count();
    (3..=15).contains(&digits)
        && t.chars()
            .enumerate()
            .all(|(i, c)| c.is_ascii_digit() || c == ' ' || (c == '+' && i == 0))
}

fn looks_like_email(text: &str) -> bool {
    let t = text.trim();
    match t.split_once('@') {
        Some((local, domain)) => {
            !local.is_empty()
                && domain.contains('.')
                && !domain.starts_with('.')
                && !domain.ends_with('.')
                && !t.contains(char::is_whitespace)
        }
        None => false,
    }
}

impl ServiceInput {
    /// Checks every field and reports each problem against it. `known_areas` are the GSS
    /// codes Harbour holds (countries are always known).
    pub fn validate(&self, known_areas: &[String]) -> Result<ServiceEntry, FieldErrors> {
        let mut e = FieldErrors::default();
        crate::validation::check_text(
            self,
            &["description", "alert", "referral_route"],
            &[],
            &mut e,
        );
        let name = self.name.trim();
        if name.is_empty() {
            e.add("name", "Enter the service's name");
        } else if name.chars().count() > 200 {
            e.add("name", "The name must be 200 characters or fewer");
        }
        let description = self.description.trim();
        if description.is_empty() {
            e.add(
                "description",
                "Describe the service: what it does and who it is for",
            );
        }
        let status = ServiceStatus::from_code(self.status.trim());
        if status.is_none() {
            e.add("status", "Choose whether the service is running");
        }
        let url = optional(&self.url);
        if let Some(u) = &url
            && !(u.starts_with("https://") || u.starts_with("http://"))
        {
            e.add("url", "Enter a web address starting with https://");
        }
        let email = optional(&self.email);
        if let Some(m) = &email
            && !looks_like_email(m)
        {
            e.add("email", "Enter an email address like name@example.org");
        }
        let mut age = |field: &str, text: &str, what: &str| match optional(text) {
            None => None,
            Some(t) => match t.parse::<u32>() {
                Ok(n) if n <= 120 => Some(n),
                _ => {
                    e.add(
                        field,
                        format!("The {what} must be a whole number of years, 0 to 120"),
                    );
                    None
                }
            },
        };
        let minimum_age = age("minimum_age", &self.minimum_age, "youngest age");
        let maximum_age = age("maximum_age", &self.maximum_age, "oldest age");
        if let (Some(lo), Some(hi)) = (minimum_age, maximum_age)
            && lo > hi
        {
            e.add(
                "maximum_age",
                "The oldest age must be the same as or more than the youngest",
            );
        }
        let gender = match self.gender.trim() {
            "" => Some(GenderEligibility::Any),
            g => GenderEligibility::from_slug(g),
        };
        if gender.is_none() {
            e.add("gender", "Choose who the service is for");
        }
        let crime_categories = pick(
            &mut e,
            "crime_categories",
            &self.crime_categories,
            CrimeCategory::from_slug,
            "crime",
        );
        let tiers = pick(&mut e, "tiers", &self.tiers, ServiceTier::from_slug, "tier");
        let needs = pick(
            &mut e,
            "needs",
            &self.needs,
            NeedCategory::from_slug,
            "need",
        );
        let active = status == Some(ServiceStatus::Active);
        if needs.is_empty() && active {
            e.add(
                "needs",
                "Choose at least one category of need the service meets",
            );
        }
        let mut areas = Vec::new();
        for a in &self.areas {
            let a = a.trim();
            if a.is_empty() || areas.iter().any(|x| x == a) {
                continue;
            }
            if known_areas.iter().any(|k| k == a) || ["E92000001", "W92000004"].contains(&a) {
                areas.push(a.to_owned());
            } else {
                e.add("areas", "Choose areas from the list");
            }
        }
        if areas.is_empty() && active {
            e.add("areas", "Choose at least one area the service works in");
        }
        let referral_route = ReferralRoute::from_slug(self.referral_route.trim());
        let referral_email = optional(&self.referral_email);
        let referral_phone = optional(&self.referral_phone);
        match referral_route {
            None => e.add("referral_route", "Choose how referrals reach the service"),
            Some(ReferralRoute::Email) if referral_email.is_none() => {
                e.add("referral_email", "Enter the email address referrals go to");
            }
            Some(ReferralRoute::Phone) if referral_phone.is_none() => {
                e.add("referral_phone", "Enter the phone number referrals go to");
            }
            _ => {}
        }
        if let Some(m) = &referral_email
            && !looks_like_email(m)
        {
            e.add(
                "referral_email",
                "Enter an email address like referrals@example.org",
            );
        }
        for (field, value) in [
            ("referral_phone", &referral_phone),
            ("public_phone", &optional(&self.public_phone)),
        ] {
            if let Some(p) = value
                && !is_phone_number(p)
            {
                e.add(
                    field,
                    "Enter a phone number using digits and spaces, like 01785 000 000",
                );
            }
        }
        let capacity_unit = optional(&self.capacity_unit);
        if let Some(u) = &capacity_unit
            && u.chars().count() > 60
        {
            e.add(
                "capacity_unit",
                "Name what is counted in 60 characters or fewer",
            );
        }
        if !e.is_empty() {
            return Err(e);
        }
        Ok(ServiceEntry {
            name: name.to_owned(),
            description: description.to_owned(),
            status: status.unwrap_or(ServiceStatus::Inactive),
            url,
            email,
            alert: optional(&self.alert),
            eligibility: Eligibility {
                minimum_age,
                maximum_age,
                gender,
                crime_categories,
                tiers,
                needs,
            },
            areas,
            referral_route: referral_route.unwrap_or(ReferralRoute::Harbour),
            referral_email,
            referral_phone,
            public_phone: optional(&self.public_phone),
            capacity_unit,
        })
    }
}

fn pick<T: PartialEq + Copy>(
    e: &mut FieldErrors,
    field: &str,
    slugs: &[String],
    parse: fn(&str) -> Option<T>,
    what: &str,
) -> Vec<T> {
    let mut out = Vec::new();
    for s in slugs.iter().map(|s| s.trim()).filter(|s| !s.is_empty()) {
        match parse(s) {
            Some(v) if !out.contains(&v) => out.push(v),
            Some(_) => {}
            None => {
                e.add(field, format!("Choose each {what} from the list"));
                break;
            }
        }
    }
    out
}

/// An update to a service's capacity as typed.
pub fn parse_capacity(free: &str, total: &str) -> Result<(u32, Option<u32>), FieldErrors> {
    let mut e = FieldErrors::default();
    let free = match free.trim().parse::<u32>() {
        Ok(n) if n <= 10_000 => Some(n),
        _ => {
            e.add("free", "Enter how many are free now, as a whole number");
            None
        }
    };
    let total = match total.trim() {
        "" => None,
        t => match t.parse::<u32>() {
            Ok(n) if n <= 10_000 => Some(n),
            _ => {
                e.add(
                    "total",
                    "Enter the total as a whole number, or leave it blank",
                );
                None
            }
        },
    };
    if let (Some(f), Some(t)) = (free, total)
        && f > t
    {
        e.add("free", "There cannot be more free than there are in total");
    }
    match free {
        Some(f) if e.is_empty() => Ok((f, total)),
        _ => Err(e),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn input() -> ServiceInput {
        ServiceInput {
            name: "Refuge".into(),
            description: "Safe accommodation for women and their children.".into(),
            status: "active".into(),
            gender: "women".into(),
            needs: vec!["accommodation".into()],
            tiers: vec!["acute".into()],
            areas: vec!["E07000197".into()],
            referral_route: "harbour".into(),
            capacity_unit: "refuge spaces".into(),
            ..ServiceInput::default()
        }
    }

    fn areas() -> Vec<String> {
        vec!["E07000197".into(), "E10000028".into()]
    }

    #[test]
    fn a_complete_entry_passes() {
        let s = input().validate(&areas()).unwrap();
        assert_eq!(s.status, ServiceStatus::Active);
        assert_eq!(s.eligibility.gender, Some(GenderEligibility::Women));
        assert_eq!(
            s.eligibility.needs,
            vec![NeedCategory::ShelterAndAccommodation]
        );
        assert_eq!(s.capacity_unit.as_deref(), Some("refuge spaces"));
    }

    #[test]
    fn each_mistake_is_reported_against_its_field() {
        let bad = ServiceInput {
            name: " ".into(),
            status: "open".into(),
            url: "www.example.org".into(),
            minimum_age: "18".into(),
            maximum_age: "16".into(),
            needs: vec![],
            areas: vec!["E99999999".into()],
            referral_route: "email".into(),
            public_phone: "call us".into(),
            ..input()
        };
        let e = bad.validate(&areas()).unwrap_err();
        for field in [
            "name",
            "status",
            "url",
            "maximum_age",
            "areas",
            "referral_email",
            "public_phone",
        ] {
            assert!(e.get(field).is_some(), "{field}: {e:?}");
        }
    }

    #[test]
    fn an_active_service_needs_a_need_and_an_area_but_a_closed_one_does_not() {
        let e = ServiceInput {
            needs: vec![],
            areas: vec![],
            ..input()
        }
        .validate(&areas())
        .unwrap_err();
        assert!(e.get("needs").is_some() && e.get("areas").is_some());
        let closed = ServiceInput {
            needs: vec![],
            areas: vec![],
            status: "defunct".into(),
            ..input()
        };
        assert!(closed.validate(&areas()).is_ok());
    }

    #[test]
    fn reads_genders_as_typed_without_guessing() {
        assert_eq!(
            GenderEligibility::of_person("Female"),
            Some(GenderEligibility::Women)
        );
        assert_eq!(
            GenderEligibility::of_person("trans woman"),
            Some(GenderEligibility::Women)
        );
        assert_eq!(
            GenderEligibility::of_person("male"),
            Some(GenderEligibility::Men)
        );
        assert_eq!(
            GenderEligibility::of_person("M"),
            Some(GenderEligibility::Men)
        );
        assert_eq!(GenderEligibility::of_person("non-binary"), None);
        assert_eq!(GenderEligibility::of_person(""), None);
    }

    #[test]
    fn capacity_cannot_have_more_free_than_total() {
        assert_eq!(parse_capacity("2", "6").unwrap(), (2, Some(6)));
        assert_eq!(parse_capacity("0", "").unwrap(), (0, None));
        assert!(parse_capacity("7", "6").unwrap_err().get("free").is_some());
        assert!(parse_capacity("-1", "").unwrap_err().get("free").is_some());
        assert!(
            parse_capacity("1", "six")
                .unwrap_err()
                .get("total")
                .is_some()
        );
    }
}
