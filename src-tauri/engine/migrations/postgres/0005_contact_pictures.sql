-- A customer's picture from the provider's profile API (Messenger), when the
-- page may read it: shown on the contact card. Small (capped when fetched).
ALTER TABLE contacts ADD COLUMN picture BYTEA;
ALTER TABLE contacts ADD COLUMN picture_type TEXT;
