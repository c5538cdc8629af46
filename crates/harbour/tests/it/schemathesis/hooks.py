"""Schemathesis hooks for Harbour's API documents (loaded by tests/it/schemathesis.rs).

An Idempotency-Key names one referral: sending the same key with a different body is refused
with 422, as the IETF draft on the header says it should be, and as the document states. Left to
itself, schemathesis sends the same short keys ("0", "00") with many different bodies, and each
such refusal would hide whether the body itself was accepted. So a well-formed key becomes a new
UUID for every request; malformed keys are sent as generated, to check they are refused.
"""

import re
import uuid

import schemathesis

WELL_FORMED = re.compile(r"^[\x21-\x7E]{1,200}$")


@schemathesis.hook
def before_call(ctx, case, **kwargs):
    headers = case.headers or {}
    key = headers.get("Idempotency-Key")
    if isinstance(key, str) and WELL_FORMED.match(key):
        headers["Idempotency-Key"] = str(uuid.uuid4())
        case.headers = headers


# Rules JSON Schema cannot state, each stated in words in the document, by operation and status:
# a date no later than today (which changes daily) and no earlier than 1900; a safe time whose end
# is after its start, each way of contact listed once, and a proximity only with a postcode
# (comparisons between fields); a postcode
# the directory holds (data, not form). A request refused for these, and only these, was refused
# as the document says; any other refusal of schema-valid data is still a failure.
REFERRAL_RULES = [
    (r"#/incident_date", "The date of the incident must be today or in the past"),
    (r"#/incident_date", "The date of the incident must be after 1900"),
    (r"#/person/date_of_birth", "Date of birth must be today or in the past"),
    (r"#/person/date_of_birth", "Date of birth must be after 1900"),
    (r"#/safe_contact/safe_times/[0-9]+/to", "The end of a safe time must be after its start"),
    (r"#/safe_contact/channels/[0-9]+/channel", "[A-Za-z ]+ is listed twice"),
]
SEARCH_RULES = [
    (r"#/proximity", "proximity needs a postcode to measure from"),
    (r"#/postcode", "postcode is not one this directory knows; check it, or search without it"),
]
CASE_NOTE_RULES = [
    (r"#/happened_on", "The date it happened must be today or in the past"),
]
# The areas and scale of the outcome tool in use are data, given with each case; a closed case
# takes only an exit reading.
CASE_READING_RULES = [
    (r"(?s)#/scores/.*", r"(?s)(Choose a score for .+|The score for .+ must be a whole number from \d+ to \d+|.* is not an area of .+)"),
    (r"#/kind", "The case is closed: only a reading at the end of support can be added"),
]
# A period is a month, quarter or financial year from 1900 on, or two days in order; the first
# and last days come together, in order, at most ten years apart; an area is one of the
# partnership's community safety areas (data).
STATISTICS_RULES = [
    (r"#/period", "Choose a period from the list"),
    (r"#/from", r"Enter the first day as day/month/year, for example 1/4/2026"),
    (r"#/to", r"Enter the last day as day/month/year, for example 30/6/2026"),
    (r"#/to", "The last day must be the same as or after the first day"),
    (r"#/to", "Choose a period of ten years or less"),
    (r"#/area", "area must be the GSS code of one of the partnership's community safety areas"),
    (r"#/area", "area is empty: give a value or leave it out"),
]
BEYOND_THE_SCHEMA = {
    ("GET", "/statistics", 400): STATISTICS_RULES,
    ("GET", "/statistics/{id}", 400): STATISTICS_RULES,
    ("POST", "/cases/{id}/notes", 422): CASE_NOTE_RULES,
    ("POST", "/cases/{id}/readings", 422): CASE_READING_RULES,
    ("POST", "/referrals", 422): REFERRAL_RULES,
    ("GET", "/services", 400): SEARCH_RULES,
    ("POST", "/services", 400): SEARCH_RULES,
    ("GET", "/service_at_locations", 400): SEARCH_RULES,
    ("POST", "/service_at_locations", 400): SEARCH_RULES,
}


def stated_beyond_the_schema(rules, error):
    return any(
        re.fullmatch(pointer, error.get("pointer", ""))
        and re.fullmatch(detail, error.get("detail", ""))
        for pointer, detail in rules
    )


@schemathesis.hook
def filter_failure(ctx, failure, case, response):
    rules = BEYOND_THE_SCHEMA.get((case.method.upper(), case.operation.path, response.status_code))
    if failure.code == "ST202" and rules:
        try:
            errors = response.json().get("errors") or []
        except ValueError:
            return True
        if errors and all(stated_beyond_the_schema(rules, e) for e in errors):
            return False
    return True
