-- Whether a service works only in the areas listed for it (it has service areas) or everywhere.
-- Kept on write so a postcode search need not read every service area to find the services
-- without any.
ALTER TABLE dir_services ADD COLUMN limited_to_areas INTEGER NOT NULL DEFAULT 0
    CHECK (limited_to_areas IN (0, 1));
UPDATE dir_services SET limited_to_areas =
    EXISTS (SELECT 1 FROM dir_service_areas a WHERE a.service_id = dir_services.id);
