-- Each referral keeps its own record of the person as referred: nothing a later referral says
-- alters it. The person's row holds the current confirmed details, which change only when a hub
-- officer chooses, field by field, between what is held and what a newer referral says.
ALTER TABLE referrals ADD COLUMN person_details TEXT;
ALTER TABLE referrals ADD COLUMN person_safe_contact TEXT;
-- 'pending' while the referral's details differ from those held and no one has chosen between
-- them (the contact gate then allows only what both allow); 'resolved' once someone has; NULL
-- when they agreed, or the referral made the person known.
ALTER TABLE referrals ADD COLUMN details_review TEXT
    CHECK (details_review IN ('pending', 'resolved'));
ALTER TABLE referrals ADD COLUMN details_reviewed_by TEXT REFERENCES users (id);
ALTER TABLE referrals ADD COLUMN details_reviewed_at TEXT;
-- Referrals stored before this get their record from the person as held now, the best there is.
UPDATE referrals r SET person_details = p.details, person_safe_contact = p.safe_contact
    FROM persons p WHERE p.id = r.person_id;
ALTER TABLE referrals ALTER COLUMN person_details SET NOT NULL;
ALTER TABLE referrals ALTER COLUMN person_safe_contact SET NOT NULL;
-- The contact gate reads a person's unresolved referrals every time it decides.
CREATE INDEX referrals_details_pending ON referrals (person_id)
    WHERE details_review = 'pending';
