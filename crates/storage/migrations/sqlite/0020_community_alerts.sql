-- Community alerts (SQLite dialect; migrations/postgres holds the same): topics people
-- choose, subscribers and the places they hear about, alerts and their delivery.

-- Topics are data: each has a bit, so a subscriber's and an alert's topics are each one number
-- and "do they share a topic" is one AND in the reach query. At most 63 topics.
CREATE TABLE alert_topics (
    id TEXT PRIMARY KEY,
    bit BIGINT NOT NULL UNIQUE CHECK (bit BETWEEN 0 AND 62),
    name TEXT NOT NULL,
    hint TEXT NOT NULL,
    -- A business sector the topic is for: businesses of it are offered it.
    sector TEXT,
    position BIGINT NOT NULL,
    active INTEGER NOT NULL DEFAULT 1 CHECK (active IN (0, 1))
);
INSERT INTO alert_topics (id, bit, name, hint, sector, position, active) VALUES ('burglary', 0, 'Burglary', 'Break-ins at homes, sheds and garages', NULL, 0, 1);
INSERT INTO alert_topics (id, bit, name, hint, sector, position, active) VALUES ('fraud_scams', 1, 'Fraud and scams', 'Doorstep callers, phone and online scams', NULL, 1, 1);
INSERT INTO alert_topics (id, bit, name, hint, sector, position, active) VALUES ('vehicle_crime', 2, 'Vehicle crime', 'Thefts of and from vehicles', NULL, 2, 1);
INSERT INTO alert_topics (id, bit, name, hint, sector, position, active) VALUES ('rural', 3, 'Rural crime', 'Thefts of machinery, fuel and livestock; hare coursing', NULL, 3, 1);
INSERT INTO alert_topics (id, bit, name, hint, sector, position, active) VALUES ('horse', 4, 'Horse watch', 'Tack thefts and incidents with horses', NULL, 4, 1);
INSERT INTO alert_topics (id, bit, name, hint, sector, position, active) VALUES ('canal', 5, 'Canal and waterways', 'Boats, towpaths and moorings', NULL, 5, 1);
INSERT INTO alert_topics (id, bit, name, hint, sector, position, active) VALUES ('school', 6, 'Schools', 'Around schools and on the way to and from them', NULL, 6, 1);
INSERT INTO alert_topics (id, bit, name, hint, sector, position, active) VALUES ('cycle', 7, 'Cycle crime', 'Bike thefts and cyclists'' safety', NULL, 7, 1);
INSERT INTO alert_topics (id, bit, name, hint, sector, position, active) VALUES ('missing_person', 8, 'Missing people', 'Appeals to help find someone missing', NULL, 8, 1);
INSERT INTO alert_topics (id, bit, name, hint, sector, position, active) VALUES ('community_events', 9, 'Community events', 'Meetings, surgeries and crime-prevention events', NULL, 9, 1);
INSERT INTO alert_topics (id, bit, name, hint, sector, position, active) VALUES ('antisocial', 10, 'Antisocial behaviour', 'Nuisance, vandalism and disorder', NULL, 10, 1);
INSERT INTO alert_topics (id, bit, name, hint, sector, position, active) VALUES ('business_crime', 11, 'Business crime', 'Crime against businesses of every kind', NULL, 11, 1);
INSERT INTO alert_topics (id, bit, name, hint, sector, position, active) VALUES ('retail_crime', 12, 'Shoplifting and retail crime', 'For shops: shoplifting patterns and counterfeit notes', 'retail', 12, 1);
INSERT INTO alert_topics (id, bit, name, hint, sector, position, active) VALUES ('licensed_premises', 13, 'Licensed premises', 'For pubs, bars and restaurants: disorder, spiking and thefts', 'hospitality', 13, 1);
INSERT INTO alert_topics (id, bit, name, hint, sector, position, active) VALUES ('farm_machinery', 14, 'Farm machinery and fuel', 'For farms: thefts of machinery, GPS units and fuel', 'farming', 14, 1);
INSERT INTO alert_topics (id, bit, name, hint, sector, position, active) VALUES ('site_security', 15, 'Building site security', 'For builders: plant and tool thefts from sites', 'construction', 15, 1);
INSERT INTO alert_topics (id, bit, name, hint, sector, position, active) VALUES ('freight_crime', 16, 'Freight crime', 'For hauliers: load thefts and lorry park crime', 'transport', 16, 1);

-- Whether an agency's alerts wait for a colleague's approval before they go.
ALTER TABLE agencies ADD COLUMN alerts_need_approval INTEGER NOT NULL DEFAULT 0 CHECK (alerts_need_approval IN (0, 1));

-- A subscription. The address is compared in lower case (email_key); the links a subscriber
-- uses carry the id and `generation`, which a renewal bumps so older links stop working.
CREATE TABLE alert_subscribers (
    id TEXT PRIMARY KEY,
    email TEXT NOT NULL,
    email_key TEXT NOT NULL UNIQUE,
    kind TEXT NOT NULL,
    sector TEXT,
    age_group TEXT NOT NULL,
    topics_mask BIGINT NOT NULL,
    min_level BIGINT NOT NULL,
    quiet_from TEXT,
    quiet_until TEXT,
    -- pending (not yet confirmed: nothing is sent) or active.
    status TEXT NOT NULL,
    generation BIGINT NOT NULL,
    created_at TEXT NOT NULL,
    confirmed_at TEXT,
    updated_at TEXT NOT NULL,
    -- When a confirmation or link was last e-mailed: at most one every few minutes.
    mailed_at TEXT
);
CREATE INDEX alert_subscribers_status ON alert_subscribers (status, created_at);

-- Where a subscriber hears about: home (place 0) and an optional second place (1). The point is
-- kept to four decimal places, with its unit vector (x, y, z) and grid row for the reach query,
-- which reads only the index below; the topics, priority and quiet hours are copied here for the
-- same reason.
CREATE TABLE alert_places (
    subscriber_id TEXT NOT NULL REFERENCES alert_subscribers (id),
    place BIGINT NOT NULL,
    postcode TEXT,
    area_code TEXT,
    latitude DOUBLE PRECISION NOT NULL,
    longitude DOUBLE PRECISION NOT NULL,
    grid_row BIGINT NOT NULL,
    x DOUBLE PRECISION NOT NULL,
    y DOUBLE PRECISION NOT NULL,
    z DOUBLE PRECISION NOT NULL,
    topics_mask BIGINT NOT NULL,
    min_level BIGINT NOT NULL,
    -- Quiet hours as minutes of the day: start × 1440 + end; none if NULL.
    quiet BIGINT,
    -- Confirmed: only live places are reached.
    live INTEGER NOT NULL CHECK (live IN (0, 1)),
    PRIMARY KEY (subscriber_id, place)
);
CREATE INDEX alert_places_reach ON alert_places (grid_row, longitude, live, topics_mask, min_level, x, y, z, subscriber_id, quiet);
CREATE INDEX alert_places_area ON alert_places (area_code, live);

-- An alert, an update of one, or a cancellation of one (msg_type, as CAP says it). An update or
-- cancellation names the message it amends; the original is then superseded or cancelled.
CREATE TABLE alerts (
    id TEXT PRIMARY KEY,
    agency_id TEXT NOT NULL REFERENCES agencies (id),
    author_id TEXT NOT NULL REFERENCES users (id),
    msg_type TEXT NOT NULL,
    amends_id TEXT REFERENCES alerts (id),
    -- awaiting_approval, declined, published, superseded, cancelled.
    status TEXT NOT NULL,
    headline TEXT NOT NULL,
    description TEXT NOT NULL,
    instruction TEXT NOT NULL,
    reference TEXT,
    contact TEXT NOT NULL,
    -- Topic ids, comma separated, and their bits.
    topics TEXT NOT NULL,
    topics_mask BIGINT NOT NULL,
    urgency TEXT NOT NULL,
    severity TEXT NOT NULL,
    certainty TEXT NOT NULL,
    level BIGINT NOT NULL,
    -- circle, named or polygon; the area as JSON; its description in words.
    area_kind TEXT NOT NULL,
    area TEXT NOT NULL,
    area_description TEXT NOT NULL,
    exit_control INTEGER NOT NULL CHECK (exit_control IN (0, 1)),
    -- When its recipients were listed for delivery, and how many they were.
    recipients_at TEXT,
    reach BIGINT,
    created_at TEXT NOT NULL,
    sent_at TEXT,
    expires_at TEXT NOT NULL,
    decided_by TEXT REFERENCES users (id),
    decided_at TEXT,
    decline_reason TEXT,
    ended_at TEXT
);
CREATE INDEX alerts_agency ON alerts (agency_id, created_at);
CREATE INDEX alerts_live ON alerts (status, expires_at);
CREATE INDEX alerts_amends ON alerts (amends_id);

-- One message to one subscriber about one alert: written for every recipient when the alert is
-- published, then leased, sent and marked, so each subscriber gets it once and a crash resumes.
-- A deleted subscription leaves its counts (subscriber_id becomes NULL).
CREATE TABLE alert_deliveries (
    id TEXT PRIMARY KEY,
    alert_id TEXT NOT NULL REFERENCES alerts (id),
    subscriber_id TEXT REFERENCES alert_subscribers (id),
    -- How it goes: email (the only sender so far; SMS or app push would be others).
    channel TEXT NOT NULL,
    -- waiting, sent, bounced (the mail server refused it for good), withdrawn (unsubscribed or
    -- the alert cancelled before it went).
    state TEXT NOT NULL,
    -- Held for the subscriber's quiet hours when it was published.
    held INTEGER NOT NULL CHECK (held IN (0, 1)),
    due_at TEXT NOT NULL,
    locked_until TEXT,
    attempts BIGINT NOT NULL,
    sent_at TEXT,
    -- The subscriber unsubscribed by this message's link.
    unsubscribed INTEGER NOT NULL DEFAULT 0 CHECK (unsubscribed IN (0, 1))
);
CREATE UNIQUE INDEX alert_deliveries_once ON alert_deliveries (alert_id, subscriber_id, channel);
CREATE INDEX alert_deliveries_due ON alert_deliveries (alert_id, channel, state, due_at);
CREATE INDEX alert_deliveries_subscriber ON alert_deliveries (subscriber_id);

-- Keys Harbour makes for itself on first use (the key that signs subscribers' links), so that
-- every process and every restart agree on them.
CREATE TABLE site_keys (
    name TEXT PRIMARY KEY,
    value TEXT NOT NULL,
    created_at TEXT NOT NULL
);
