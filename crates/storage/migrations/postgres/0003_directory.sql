-- The service directory (PostgreSQL dialect; migrations/sqlite holds the same). The tables
-- mirror Open Referral UK (HSDS-UK 3.0) one for one, prefixed dir_ so that a directory
-- phone or address is never mistaken for a victim's. What a referral hub needs and the
-- standard lacks sits in extra columns, and confidential rows are flagged where they live.

CREATE TABLE dir_organizations (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    description TEXT NOT NULL,
    email TEXT,
    website TEXT,
    logo TEXT,
    uri TEXT,
    parent_organization_id TEXT REFERENCES dir_organizations (id),
    -- The Harbour agency whose staff keep this organisation's entries current.
    agency_id TEXT REFERENCES agencies (id),
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE INDEX dir_organizations_agency ON dir_organizations (agency_id);

CREATE TABLE dir_organization_identifiers (
    id TEXT PRIMARY KEY,
    organization_id TEXT NOT NULL REFERENCES dir_organizations (id) ON DELETE CASCADE,
    identifier_scheme TEXT,
    identifier_type TEXT NOT NULL,
    identifier TEXT NOT NULL
);
CREATE INDEX dir_organization_identifiers_org ON dir_organization_identifiers (organization_id);

CREATE TABLE dir_services (
    id TEXT PRIMARY KEY,
    organization_id TEXT NOT NULL REFERENCES dir_organizations (id),
    name TEXT NOT NULL,
    description TEXT,
    url TEXT,
    email TEXT,
    status TEXT NOT NULL CHECK (status IN ('active', 'inactive', 'defunct', 'temporarily closed')),
    fees TEXT,
    accreditations TEXT,
    minimum_age BIGINT,
    maximum_age BIGINT,
    assured_date TEXT,
    assurer_email TEXT,
    alert TEXT,
    last_modified TEXT NOT NULL,
    -- Harbour's additions. Who it is for (beside the attributes that carry needs, tiers and crimes):
    gender TEXT NOT NULL DEFAULT 'any' CHECK (gender IN ('any', 'women', 'men')),
    -- How to refer, and where referrals go (a professional line: confidential).
    referral_route TEXT NOT NULL DEFAULT 'harbour',
    referral_email TEXT,
    referral_phone TEXT,
    -- Room now (never in the open feed).
    capacity_unit TEXT,
    capacity_free BIGINT,
    capacity_total BIGINT,
    capacity_updated_at TEXT,
    capacity_updated_by TEXT REFERENCES users (id),
    -- When someone last confirmed the entry is right.
    last_checked_on TEXT,
    last_checked_by TEXT REFERENCES users (id),
    created_at TEXT NOT NULL
);
CREATE INDEX dir_services_organization ON dir_services (organization_id);
CREATE INDEX dir_services_name ON dir_services (name, id);
CREATE INDEX dir_services_modified ON dir_services (last_modified);

CREATE TABLE dir_locations (
    id TEXT PRIMARY KEY,
    organization_id TEXT REFERENCES dir_organizations (id),
    location_type TEXT NOT NULL CHECK (location_type IN ('physical', 'postal', 'virtual')),
    url TEXT,
    name TEXT,
    alternate_name TEXT,
    description TEXT,
    transportation TEXT,
    latitude DOUBLE PRECISION,
    longitude DOUBLE PRECISION,
    external_identifier TEXT,
    external_identifier_type TEXT,
    -- A refuge or safe house: its whereabouts are never published.
    confidential BOOLEAN NOT NULL DEFAULT FALSE
);
CREATE INDEX dir_locations_point ON dir_locations (latitude, longitude);

CREATE TABLE dir_addresses (
    id TEXT PRIMARY KEY,
    location_id TEXT NOT NULL REFERENCES dir_locations (id) ON DELETE CASCADE,
    attention TEXT,
    address_1 TEXT NOT NULL,
    address_2 TEXT,
    city TEXT NOT NULL,
    region TEXT,
    state_province TEXT NOT NULL,
    postal_code TEXT NOT NULL,
    country TEXT NOT NULL,
    address_type TEXT NOT NULL
);
CREATE INDEX dir_addresses_location ON dir_addresses (location_id);

CREATE TABLE dir_service_at_locations (
    id TEXT PRIMARY KEY,
    service_id TEXT NOT NULL REFERENCES dir_services (id) ON DELETE CASCADE,
    location_id TEXT NOT NULL REFERENCES dir_locations (id),
    description TEXT
);
CREATE INDEX dir_service_at_locations_service ON dir_service_at_locations (service_id);
CREATE INDEX dir_service_at_locations_location ON dir_service_at_locations (location_id);

CREATE TABLE dir_contacts (
    id TEXT PRIMARY KEY,
    organization_id TEXT REFERENCES dir_organizations (id) ON DELETE CASCADE,
    service_id TEXT REFERENCES dir_services (id) ON DELETE CASCADE,
    service_at_location_id TEXT REFERENCES dir_service_at_locations (id) ON DELETE CASCADE,
    location_id TEXT REFERENCES dir_locations (id) ON DELETE CASCADE,
    name TEXT,
    title TEXT,
    department TEXT,
    email TEXT,
    -- A named professional's details, for partners only.
    confidential BOOLEAN NOT NULL DEFAULT FALSE
);
CREATE INDEX dir_contacts_service ON dir_contacts (service_id);

CREATE TABLE dir_phones (
    id TEXT PRIMARY KEY,
    location_id TEXT REFERENCES dir_locations (id) ON DELETE CASCADE,
    service_id TEXT REFERENCES dir_services (id) ON DELETE CASCADE,
    organization_id TEXT REFERENCES dir_organizations (id) ON DELETE CASCADE,
    contact_id TEXT REFERENCES dir_contacts (id) ON DELETE CASCADE,
    service_at_location_id TEXT REFERENCES dir_service_at_locations (id) ON DELETE CASCADE,
    number TEXT NOT NULL,
    extension BIGINT,
    type TEXT,
    description TEXT,
    -- A direct professional line: for partners only.
    confidential BOOLEAN NOT NULL DEFAULT FALSE
);
CREATE INDEX dir_phones_service ON dir_phones (service_id);
CREATE INDEX dir_phones_location ON dir_phones (location_id);
CREATE INDEX dir_phones_contact ON dir_phones (contact_id);

CREATE TABLE dir_schedules (
    id TEXT PRIMARY KEY,
    service_id TEXT REFERENCES dir_services (id) ON DELETE CASCADE,
    location_id TEXT REFERENCES dir_locations (id) ON DELETE CASCADE,
    service_at_location_id TEXT REFERENCES dir_service_at_locations (id) ON DELETE CASCADE,
    valid_from TEXT,
    valid_to TEXT,
    dtstart TEXT,
    timezone DOUBLE PRECISION,
    until TEXT,
    count BIGINT,
    wkst TEXT,
    freq TEXT,
    interval BIGINT,
    byday TEXT,
    byweekno TEXT,
    bymonthday TEXT,
    byyearday TEXT,
    description TEXT,
    -- HH:MM, as given; opens_minute and closes_minute are the same in minutes after
    -- midnight, for the time filters.
    opens_at TEXT,
    closes_at TEXT,
    opens_minute BIGINT,
    closes_minute BIGINT,
    schedule_link TEXT,
    attending_type TEXT,
    notes TEXT
);
CREATE INDEX dir_schedules_service ON dir_schedules (service_id);
CREATE INDEX dir_schedules_service_at_location ON dir_schedules (service_at_location_id);

CREATE TABLE dir_service_areas (
    id TEXT PRIMARY KEY,
    service_id TEXT NOT NULL REFERENCES dir_services (id) ON DELETE CASCADE,
    name TEXT,
    description TEXT,
    extent TEXT,
    extent_type TEXT,
    uri TEXT,
    -- A named area (GSS code), or a drawn one (GeoJSON in extent) with its bounding box.
    area_code TEXT,
    min_latitude DOUBLE PRECISION,
    max_latitude DOUBLE PRECISION,
    min_longitude DOUBLE PRECISION,
    max_longitude DOUBLE PRECISION
);
CREATE INDEX dir_service_areas_service ON dir_service_areas (service_id);
CREATE INDEX dir_service_areas_code ON dir_service_areas (area_code, service_id);

-- The named areas a drawn service area reaches into (from the postcodes inside it).
CREATE TABLE dir_service_area_touches (
    service_area_id TEXT NOT NULL REFERENCES dir_service_areas (id) ON DELETE CASCADE,
    area_code TEXT NOT NULL,
    PRIMARY KEY (service_area_id, area_code)
);

CREATE TABLE dir_languages (
    id TEXT PRIMARY KEY,
    service_id TEXT REFERENCES dir_services (id) ON DELETE CASCADE,
    location_id TEXT REFERENCES dir_locations (id) ON DELETE CASCADE,
    phone_id TEXT REFERENCES dir_phones (id) ON DELETE CASCADE,
    name TEXT,
    code TEXT,
    note TEXT
);
CREATE INDEX dir_languages_service ON dir_languages (service_id);

CREATE TABLE dir_cost_options (
    id TEXT PRIMARY KEY,
    service_id TEXT NOT NULL REFERENCES dir_services (id) ON DELETE CASCADE,
    valid_from TEXT,
    valid_to TEXT,
    option TEXT,
    currency TEXT,
    amount DOUBLE PRECISION,
    amount_description TEXT
);
CREATE INDEX dir_cost_options_service ON dir_cost_options (service_id);

CREATE TABLE dir_fundings (
    id TEXT PRIMARY KEY,
    organization_id TEXT REFERENCES dir_organizations (id) ON DELETE CASCADE,
    service_id TEXT REFERENCES dir_services (id) ON DELETE CASCADE,
    source TEXT
);
CREATE INDEX dir_fundings_service ON dir_fundings (service_id);

CREATE TABLE dir_accessibilities (
    id TEXT PRIMARY KEY,
    location_id TEXT NOT NULL REFERENCES dir_locations (id) ON DELETE CASCADE,
    description TEXT,
    details TEXT,
    url TEXT
);
CREATE INDEX dir_accessibilities_location ON dir_accessibilities (location_id);

CREATE TABLE dir_taxonomies (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    description TEXT NOT NULL,
    uri TEXT,
    version TEXT
);

CREATE TABLE dir_taxonomy_terms (
    id TEXT PRIMARY KEY,
    code TEXT,
    name TEXT NOT NULL,
    description TEXT NOT NULL,
    parent_id TEXT REFERENCES dir_taxonomy_terms (id),
    taxonomy TEXT,
    taxonomy_id TEXT REFERENCES dir_taxonomies (id),
    language TEXT,
    term_uri TEXT
);
CREATE INDEX dir_taxonomy_terms_taxonomy ON dir_taxonomy_terms (taxonomy_id, code);
CREATE INDEX dir_taxonomy_terms_parent ON dir_taxonomy_terms (parent_id);

-- Classification: a taxonomy term attached to any row (link_entity names the table).
CREATE TABLE dir_attributes (
    id TEXT PRIMARY KEY,
    link_id TEXT NOT NULL,
    link_type TEXT,
    link_entity TEXT NOT NULL,
    taxonomy_term_id TEXT NOT NULL REFERENCES dir_taxonomy_terms (id),
    value TEXT,
    label TEXT
);
CREATE INDEX dir_attributes_term ON dir_attributes (taxonomy_term_id, link_entity, link_id);
CREATE INDEX dir_attributes_link ON dir_attributes (link_id);

-- Who changed what (HSDS metadata): one row per field changed.
CREATE TABLE dir_changes (
    id TEXT PRIMARY KEY,
    resource_id TEXT NOT NULL,
    resource_type TEXT NOT NULL,
    last_action_date TEXT NOT NULL,
    last_action_type TEXT NOT NULL,
    field_name TEXT NOT NULL,
    previous_value TEXT NOT NULL,
    replacement_value TEXT NOT NULL,
    updated_by TEXT NOT NULL,
    user_id TEXT REFERENCES users (id)
);
CREATE INDEX dir_changes_resource ON dir_changes (resource_id, last_action_date);

-- Postcode centroids (ONS Postcode Directory or Code-Point Open), in standard form.
CREATE TABLE postcodes (
    postcode TEXT PRIMARY KEY,
    area_code TEXT,
    latitude DOUBLE PRECISION NOT NULL,
    longitude DOUBLE PRECISION NOT NULL
);
CREATE INDEX postcodes_point ON postcodes (latitude, longitude);
